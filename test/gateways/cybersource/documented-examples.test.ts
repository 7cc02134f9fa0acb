/**
 * Cybersource's own published request examples, sent verbatim (only the ids of objects replaced by ids made
 * through tokenvault, and the credentials), with the documented answers checked field by field. Each example
 * names its source; where the published answer differs from itself (an answer's reference code not the
 * request's, a lower-case currency beside an upper-case one), the comment says which way tokenvault answers.
 * Ids, times and reconciliation ids are the ones tokenvault drew, checked by form.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMerchant, makeTestApp, type TestApp, type TestMerchant } from '../../helpers/harness.ts';
import { type CybsClient, type CybsResponse, customerWithCard, cybs, expectPtsError, II_ID, PAYMENT_ID } from './helpers.ts';

let t: TestApp;
let m: TestMerchant;
let c: CybsClient;
let customerId: string;

const UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

beforeAll(async () => {
  t = await makeTestApp();
  m = await createMerchant(t, 'cybs-documented');
  c = cybs(t, m);
  customerId = (await customerWithCard(c, '4111111111111111')).customerId;
});
afterAll(() => t.close());

async function authorization(totalAmount: string, currency: string, capture = false): Promise<string> {
  const r = await c.post('/pts/v2/payments', {
    processingInformation: { capture },
    paymentInformation: { customer: { id: customerId } },
    orderInformation: { amountDetails: { totalAmount, currency } },
  });
  expect(r.status, r.body).toBe(201);
  return r.json.id as string;
}

function created(r: CybsResponse) {
  expect(r.status, r.body).toBe(201);
  expect(r.json.id).toMatch(PAYMENT_ID);
  expect(r.json.submitTimeUtc).toMatch(UTC);
  return r.json;
}

describe('PTS follow-on examples (developer.cybersource.com)', () => {
  it('capture', async () => {
    // https://developer.cybersource.com/docs/cybs/en-us/payments/developer/ctv/rest/payments/payments-processing-basic-intro/payments-processing-basic-capture-intro/payments-processing-basic-capture-ex-rest.html
    const request =
      '{"clientReferenceInformation":{"code":"ABC123"},"orderInformation":{"amountDetails":{"totalAmount":"100.00","currency":"EUR"}}}';
    const id = await authorization('100.00', 'EUR');
    const r = created(await c.post(`/pts/v2/payments/${id}/captures`, JSON.parse(request)));
    // Documented: {"_links":{"void":{"method":"POST","href":"/pts/v2/captures/{id}/voids"},"self":{"method":"GET","href":"/pts/v2/captures/{id}"}},
    // "clientReferenceInformation":{"code":"1666299443215"},"id":"6662994431376681303954","orderInformation":{"amountDetails":
    // {"totalAmount":"100.00","currency":"EUR"}},"reconciliationId":"66535942B9CGT52U","status":"PENDING","submitTimeUtc":"2022-10-20T20:57:23Z"}
    expect(r._links).toEqual({
      void: { method: 'POST', href: `/pts/v2/captures/${r.id}/voids` },
      self: { method: 'GET', href: `/pts/v2/captures/${r.id}` },
    });
    expect(r.id).not.toBe(id);
    // The published answer's code is not its request's; tokenvault echoes the request's.
    expect(r.clientReferenceInformation).toEqual({ code: 'ABC123' });
    expect(r.orderInformation).toEqual({ amountDetails: { totalAmount: '100.00', currency: 'EUR' } });
    expect(r.reconciliationId).toEqual(expect.any(String));
    expect(r.status).toBe('PENDING');
    expect((await c.get(r._links.self.href)).status).toBe(200);
  });

  it('refund', async () => {
    // Answer: https://developer.cybersource.com/docs/cybs/en-us/payments/developer/eftpos/rest/payments/payments-processing-basic-intro/payments-processing-basic-refund-intro/payments-processing-basic-refund-ex-rest-eftpos.html
    // (the request below is the capture page's, the refund page's own request was not retrieved).
    const id = await authorization('100.00', 'AUD', true);
    const r = created(
      await c.post(`/pts/v2/payments/${id}/refunds`, { orderInformation: { amountDetails: { totalAmount: '100.00', currency: 'AUD' } } }),
    );
    // Documented: {"_links":{"void":{"method":"POST","href":"/pts/v2/refunds/7530655864106337303091/voids"},"self":{"method":"GET",
    // "href":"/pts/v2/refunds/7530655864106337303091"}},"clientReferenceInformation":{"code":"eftpos1"},"id":"7530655864106337303091",
    // "orderInformation":{"amountDetails":{"currency":"AUD"}},"processorInformation":{...,"responseCode":"00"},"reconciliationId":"…",
    // "refundAmountDetails":{"currency":"AUD","refundAmount":"100.00"},"status":"PENDING","submitTimeUtc":"2025-07-21T02:39:46Z"}
    expect(r._links).toEqual({
      void: { method: 'POST', href: `/pts/v2/refunds/${r.id}/voids` },
      self: { method: 'GET', href: `/pts/v2/refunds/${r.id}` },
    });
    expect(r.orderInformation).toEqual({ amountDetails: { currency: 'AUD' } });
    expect(r.processorInformation.responseCode).toEqual(expect.any(String));
    expect(r.refundAmountDetails).toEqual({ currency: 'AUD', refundAmount: '100.00' });
    expect(r.status).toBe('PENDING');
  });

  it('authorization reversal', async () => {
    // https://developer.cybersource.com/docs/cybs/en-us/payments/developer/ctv/rest/payments/payments-processing-basic-intro/payments-processing-basic-auth-reversal-intro.html
    const request =
      '{"clientReferenceInformation":{"code":"test123"},"reversalInformation":{"amountDetails":{"totalAmount":"100.00","currency":"USD"}}}';
    const id = await authorization('100.00', 'USD');
    const r = created(await c.post(`/pts/v2/payments/${id}/reversals`, JSON.parse(request)));
    // Documented: {"_links":{"self":{"method":"GET","href":"/pts/v2/reversals/6869460219566537303955"}},"clientReferenceInformation":
    // {"code":"RTS-Auth-Reversal"},"id":"6869460219566537303955","orderInformation":{"amountDetails":{"currency":"USD"}},
    // "processorInformation":{"responseCode":"200"},"reconciliationId":"82kBK3qDNtls","reversalAmountDetails":{"reversedAmount":"100.00",
    // "currency":"USD"},"status":"REVERSED","submitTimeUtc":"2023-06-16T20:07:02Z"}
    expect(r._links).toEqual({ self: { method: 'GET', href: `/pts/v2/reversals/${r.id}` } });
    expect(r.clientReferenceInformation).toEqual({ code: 'test123' });
    expect(r.orderInformation).toEqual({ amountDetails: { currency: 'USD' } });
    expect(r.processorInformation.responseCode).toEqual(expect.any(String));
    expect(r.reversalAmountDetails).toMatchObject({ reversedAmount: '100.00', currency: 'USD' });
    expect(r.status).toBe('REVERSED');
    expect((await c.get(r._links.self.href)).json.id).toBe(r.id);
  });

  it('void', async () => {
    // https://developer.cybersource.com/docs/cybs/en-us/payments/developer/ctv/rest/payments/payments-processing-basic-intro/payments-processing-basic-void-intro.html
    const request = '{"clientReferenceInformation":{"code":"test123"}}';
    const id = await authorization('100.00', 'USD');
    const capture = created(await c.post(`/pts/v2/payments/${id}/captures`, {}));
    const r = created(await c.post(capture._links.void.href, JSON.parse(request)));
    // Documented: {"_links":{"self":{"method":"GET","href":"/pts/v2/voids/6541933390746728203005"}},"clientReferenceInformation":
    // {"code":"1654193339056"},"id":"6541933390746728203005","orderInformation":{"amountDetails":{"currency":"USD"}},"status":"VOIDED",
    // "submitTimeUtc":"2022-06-02T18:08:59Z","voidAmountDetails":{"currency":"usd","voidAmount":"100.00"}}
    expect(r._links).toEqual({ self: { method: 'GET', href: `/pts/v2/voids/${r.id}` } });
    expect(r.clientReferenceInformation).toEqual({ code: 'test123' });
    expect(r.orderInformation).toEqual({ amountDetails: { currency: 'USD' } });
    expect(r.status).toBe('VOIDED');
    // The published void amount's currency is lower case beside an upper-case one; tokenvault answers upper case.
    expect(r.voidAmountDetails).toMatchObject({ currency: 'USD', voidAmount: '100.00' });
    // "POST requests for voids require a body. If you have no fields to send, use empty braces" (same page).
    const id2 = await authorization('100.00', 'USD', true);
    expect(created(await c.post(`/pts/v2/payments/${id2}/voids`, JSON.parse('{}'))).status).toBe('VOIDED');
  });
});

describe("Cybersource's sample programs (CyberSource/cybersource-rest-samples-*)", () => {
  it('create-customer.js, run twice: two customers with the same merchantCustomerID', async () => {
    // Samples/TokenManagement/Customer/create-customer.js (cybersource-rest-samples-node)
    const body = {
      buyerInformation: { merchantCustomerID: 'Your customer identifier', email: 'test@cybs.com' },
      clientReferenceInformation: { code: 'TC50171_3' },
      merchantDefinedInformation: [{ name: 'data1', value: 'Your customer data' }],
    };
    const a = customerCreated(await c.post('/tms/v2/customers', body));
    const b = customerCreated(await c.post('/tms/v2/customers', body));
    expect(b.id).not.toBe(a.id);
    for (const r of [a, b]) {
      expect(r.buyerInformation).toEqual({ merchantCustomerID: 'Your customer identifier', email: 'test@cybs.com' });
      expect(r.clientReferenceInformation).toEqual({ code: 'TC50171_3' });
      expect(r.merchantDefinedInformation).toEqual([{ name: 'data1', value: 'Your customer data' }]);
    }
  });

  it('AuthorizationWithInstrumentIdentifierTokenId.php', async () => {
    // Samples/Payments/Payments/AuthorizationWithInstrumentIdentifierTokenId.php (cybersource-rest-samples-php);
    // the instrument identifier id replaced by one made here.
    const ii = (await c.post('/tms/v1/instrumentidentifiers', { card: { number: '4111111111111111' } })).json.id as string;
    expect(ii).toMatch(II_ID);
    const body = {
      processingInformation: { capture: false, commerceIndicator: 'internet' },
      paymentInformation: { card: { expirationMonth: '03', expirationYear: '2031', type: '001' }, instrumentIdentifier: { id: ii } },
      orderInformation: {
        amountDetails: { totalAmount: '200', currency: 'usd' },
        billTo: {
          firstName: 'John',
          lastName: 'Deo',
          address1: '900 Metro Center Blvd',
          locality: 'Foster City',
          administrativeArea: 'CA',
          postalCode: '48104-2201',
          country: 'US',
          email: 'test@cybs.com',
          phoneNumber: '9321499232',
        },
      },
    };
    const r = created(await c.post('/pts/v2/payments', body));
    expect(r.status).toBe('AUTHORIZED');
    expect(r.paymentInformation.instrumentIdentifier).toEqual({ id: ii, state: 'ACTIVE' });
    expect(r.orderInformation.amountDetails).toEqual({ authorizedAmount: '200.00', currency: 'USD' });
  });

  it('credit-with-instrument-identifier-token-id.js', async () => {
    // Samples/Payments/Credit/credit-with-instrument-identifier-token-id.js (cybersource-rest-samples-node)
    const ii = (await c.post('/tms/v1/instrumentidentifiers', { card: { number: '4111111111111111' } })).json.id as string;
    const body = {
      paymentInformation: { card: { expirationMonth: '03', expirationYear: '2031', type: '001' }, instrumentIdentifier: { id: ii } },
      orderInformation: { amountDetails: { totalAmount: '200', currency: 'usd' } },
    };
    const r = created(await c.post('/pts/v2/credits', body));
    expect(r.status).toBe('PENDING');
    expect(r.creditAmountDetails).toEqual({ creditAmount: '200.00', currency: 'USD' });
  });

  it('authorization-with-dmreject-pa-enroll.js: CONSUMER_AUTHENTICATION is refused, not authorized', async () => {
    // Samples/Payments/Payments/authorization-with-dmreject-pa-enroll.js (cybersource-rest-samples-node)
    const body = {
      clientReferenceInformation: { code: 'TC50171_3' },
      processingInformation: { actionList: ['CONSUMER_AUTHENTICATION'] },
      paymentInformation: { card: { number: '372425119311008', expirationMonth: '12', expirationYear: '2031', securityCode: '1234' } },
      orderInformation: {
        amountDetails: { totalAmount: '102.21', currency: 'USD' },
        billTo: { firstName: 'James', lastName: 'Smith', email: 'reject@domain.com', country: 'US' },
      },
    };
    const r = await c.post('/pts/v2/payments', body);
    expectPtsError(r, 'NOT_SUPPORTED');
    expect(r.body).not.toContain('372425119311008');
  });
});

function customerCreated(r: CybsResponse) {
  expect(r.status, r.body).toBe(201);
  return r.json;
}
