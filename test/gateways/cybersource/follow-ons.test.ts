/**
 * PTS follow-on calls as resources of their own: every capture, refund, reversal and void has its own id,
 * its documented status and `_links`, and every link answers (a GET for `self`, a POST for `void`); voids
 * undo exactly their own call's amount; over-amounts are refused in major units; another merchant's ids are
 * unknown.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMerchant, makeTestApp, type TestApp, type TestMerchant } from '../../helpers/harness.ts';
import { type CybsClient, type CybsResponse, customerWithCard, cybs, expectPtsError, PAYMENT_ID } from './helpers.ts';

let t: TestApp;
let m: TestMerchant;
let c: CybsClient;
let customerId: string;

const amount = (totalAmount: string) => ({ orderInformation: { amountDetails: { totalAmount, currency: 'USD' } } });

beforeAll(async () => {
  t = await makeTestApp();
  m = await createMerchant(t, 'cybs-follow-ons');
  c = cybs(t, m);
  customerId = (await customerWithCard(c, '4111111111111111')).customerId;
});
afterAll(() => t.close());

async function authorize(total = '10.00', capture = false): Promise<string> {
  const r = await c.post('/pts/v2/payments', {
    processingInformation: { capture },
    paymentInformation: { customer: { id: customerId } },
    ...amount(total),
  });
  expect(r.status, r.body).toBe(201);
  return r.json.id as string;
}

// biome-ignore lint/suspicious/noExplicitAny: wire JSON, checked field by field
type Wire = Record<string, any>;

function created(r: CybsResponse): Wire {
  expect(r.status, r.body).toBe(201);
  expect(r.json.id).toMatch(PAYMENT_ID);
  return r.json;
}

/** Follows every link of an answer: a GET `self` answers the same resource; returns the `void` link's href. */
async function followSelf(answer: Wire): Promise<string | undefined> {
  const self = answer._links.self;
  expect(self.method).toBe('GET');
  const got = await c.get(self.href);
  expect(got.status, got.body).toBe(200);
  const { clientReferenceInformation: _omit, ...rest } = answer;
  expect(got.json).toEqual(rest);
  return answer._links.void?.href;
}

const payment = async (id: string) => (await c.get(`/pts/v2/payments/${id}`)).json;

describe('follow-ons as resources', () => {
  it('two partial refunds answer two ids; each link answers; voiding one refund undoes only its amount', async () => {
    const id = await authorize();
    const cap = created(
      await c.post(`/pts/v2/payments/${id}/captures`, { clientReferenceInformation: { code: 'ABC123' }, ...amount('10.00') }),
    );
    expect(cap).toMatchObject({ status: 'PENDING', clientReferenceInformation: { code: 'ABC123' } });
    expect(cap.orderInformation.amountDetails).toEqual({ totalAmount: '10.00', currency: 'USD' });
    const r1 = created(await c.post(`/pts/v2/payments/${id}/refunds`, amount('3.00')));
    const r2 = created(await c.post(`/pts/v2/captures/${cap.id}/refunds`, amount('2.00')));
    expect(new Set([id, cap.id, r1.id, r2.id]).size).toBe(4);
    expect(r1).toMatchObject({ status: 'PENDING', refundAmountDetails: { refundAmount: '3.00', currency: 'USD' } });
    expect(r1._links).toEqual({
      self: { method: 'GET', href: `/pts/v2/refunds/${r1.id}` },
      void: { method: 'POST', href: `/pts/v2/refunds/${r1.id}/voids` },
    });
    await followSelf(cap);
    const voidHref = await followSelf(r1);
    const v = created(await c.post(voidHref as string, {}));
    expect(v).toMatchObject({ status: 'VOIDED', voidAmountDetails: { voidAmount: '3.00', currency: 'USD' } });
    expect(v._links).toEqual({ self: { method: 'GET', href: `/pts/v2/voids/${v.id}` } });
    await followSelf(v);
    expect(await payment(id)).toMatchObject({ status: 'AUTHORIZED' });
    const after = await t.vault.payments.get({ merchantId: m.id, actor: 'test' } as never, id);
    expect(after.ok && [after.value.capturedAmount, after.value.refundedAmount]).toEqual([1000, 200]);
    // Voided once only; a capture with refunds standing is not voidable.
    expectPtsError(await c.post(voidHref as string, {}), 'NOT_VOIDABLE');
    expectPtsError(await c.post(`/pts/v2/captures/${cap.id}/voids`, {}), 'NOT_VOIDABLE');
    created(await c.post(`/pts/v2/refunds/${r2.id}/voids`, {}));
    const vc = created(await c.post(`/pts/v2/captures/${cap.id}/voids`, {}));
    expect(vc.voidAmountDetails.voidAmount).toBe('10.00');
  });

  it('a reversal answers its own id and link; partial reversals release part, then the rest', async () => {
    const id = await authorize('10.00');
    const part = created(
      await c.post(`/pts/v2/payments/${id}/reversals`, {
        clientReferenceInformation: { code: 'test123' },
        reversalInformation: { amountDetails: { totalAmount: '4.00', currency: 'USD' }, reason: '34' },
      }),
    );
    expect(part).toMatchObject({ status: 'REVERSED', reversalAmountDetails: { reversedAmount: '4.00', currency: 'USD' } });
    expect(part._links).toEqual({ self: { method: 'GET', href: `/pts/v2/reversals/${part.id}` } });
    await followSelf(part);
    const over = await c.post(`/pts/v2/payments/${id}/captures`, amount('6.01'));
    expectPtsError(over, 'INVALID_AMOUNT');
    expect(over.json.message).toContain('6.00 USD');
    created(await c.post(`/pts/v2/payments/${id}/captures`, amount('2.50')));
    const rest = created(await c.post(`/pts/v2/payments/${id}/reversals`, {}));
    expect(rest.reversalAmountDetails.reversedAmount).toBe('3.50');
    const full = await authorize('7.00');
    const all = created(
      await c.post(`/pts/v2/payments/${full}/reversals`, { reversalInformation: { amountDetails: { totalAmount: '7.00' } } }),
    );
    await followSelf(all);
    expect((await payment(full)).status).toBe('REVERSED');
    expectPtsError(await c.post(`/pts/v2/payments/${full}/reversals`, {}), 'INVALID_DATA');
  });

  it('over-refund and over-reversal messages give amounts in major units', async () => {
    const id = await authorize('10.00', true);
    const over = await c.post(`/pts/v2/payments/${id}/refunds`, amount('10.01'));
    expectPtsError(over, 'INVALID_AMOUNT');
    expect(over.json.message).toContain('10.00 USD');
    expect(over.json.message).not.toContain('1000');
    const auth = await authorize('5.00');
    const rev = await c.post(`/pts/v2/payments/${auth}/reversals`, { reversalInformation: { amountDetails: { totalAmount: '5.01' } } });
    expectPtsError(rev, 'INVALID_AMOUNT');
    expect(rev.json.message).toContain('5.00 USD');
  });

  it('a sale is voided through VoidApi.voidPayment; an authorization is not (reverse it instead)', async () => {
    const sale = await authorize('8.00', true);
    const v = created(await c.post(`/pts/v2/payments/${sale}/voids`, {}));
    expect(v.voidAmountDetails).toMatchObject({ voidAmount: '8.00', originalTransactionAmount: '8.00' });
    expectPtsError(await c.post(`/pts/v2/payments/${sale}/voids`, {}), 'NOT_VOIDABLE');
    expectPtsError(await c.post(`/pts/v2/payments/${await authorize()}/voids`, {}), 'NOT_VOIDABLE');
  });

  it("a credit's links answer: GET self, and its void (once)", async () => {
    const credit = created(await c.post('/pts/v2/credits', { paymentInformation: { customer: { id: customerId } }, ...amount('5.00') }));
    const got = await c.get(credit._links.self.href);
    expect(got.status, got.body).toBe(200);
    expect(got.json.id).toBe(credit.id);
    const v = created(await c.post(credit._links.void.href, { clientReferenceInformation: { code: 'test123' } }));
    expect(v).toMatchObject({ status: 'VOIDED', clientReferenceInformation: { code: 'test123' } });
    expectPtsError(await c.post(credit._links.void.href, {}), 'NOT_VOIDABLE');
    expect((await c.get(credit._links.self.href)).json._links.void).toBeUndefined();
  });

  it("ids of the wrong kind, unknown ids and another merchant's ids are INVALID_PAYMENT_ID, and change nothing", async () => {
    const id = await authorize('10.00', true);
    const refund = created(await c.post(`/pts/v2/payments/${id}/refunds`, amount('1.00')));
    expectPtsError(await c.get(`/pts/v2/captures/${refund.id}`), 'INVALID_PAYMENT_ID');
    expectPtsError(await c.post(`/pts/v2/captures/${refund.id}/voids`, {}), 'INVALID_PAYMENT_ID');
    expectPtsError(await c.post(`/pts/v2/captures/${id}/refunds`, amount('1.00')), 'INVALID_PAYMENT_ID');
    expectPtsError(await c.post(`/pts/v2/credits/${id}/voids`, {}), 'INVALID_PAYMENT_ID');
    const other = cybs(t, await createMerchant(t, 'cybs-follow-ons-other'));
    expectPtsError(await other.get(`/pts/v2/refunds/${refund.id}`), 'INVALID_PAYMENT_ID');
    expectPtsError(await other.post(`/pts/v2/refunds/${refund.id}/voids`, {}), 'INVALID_PAYMENT_ID');
    expect((await c.get(`/pts/v2/refunds/${refund.id}`)).json.status).toBe('PENDING');
  });
});
