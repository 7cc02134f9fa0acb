/**
 * Nothing under /tms or /pts answers in a foreign shape: unknown routes, SDK operations that are not served
 * (each refused by name, in Cybersource's shape), and `actionList` values that ask for a service not offered
 * (refused, never ignored: a Decision Manager "reject" request is not authorized).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMerchant, makeTestApp, type TestApp, type TestMerchant } from '../../helpers/harness.ts';
import { type CybsClient, customerWithCard, cybs, expectPtsError, expectTmsError, rowCounts } from './helpers.ts';

let t: TestApp;
let m: TestMerchant;
let c: CybsClient;
let customerId: string;

beforeAll(async () => {
  t = await makeTestApp();
  m = await createMerchant(t, 'cybs-unsupported');
  c = cybs(t, m);
  customerId = (await customerWithCard(c, '4111111111111111')).customerId;
});
afterAll(() => t.close());

describe('unknown routes and operations not served', () => {
  it.each([
    ['GET', '/tms/v2/nothing-here'],
    ['GET', '/tms/v1/instrumentidentifiers'],
    ['PUT', '/tms/v2/customers/ABC'],
  ])('%s %s → 404 TMS notFound', async (method, url) => {
    const r = await c.request(method as never, url, method === 'GET' ? undefined : {});
    expectTmsError(r, 404, 'notFound');
  });

  it.each([
    ['GET', '/pts/v2/nothing-here'],
    ['DELETE', '/pts/v2/payments/1234567890123456789012'],
    ['GET', '/pts/v1/payments'],
  ])('%s %s → 404 in the PTS shape', async (method, url) => {
    const r = await c.request(method as never, url, method === 'GET' || method === 'DELETE' ? undefined : {});
    expect(r.status, r.body).toBe(404);
    expect(r.json).toMatchObject({ status: 'INVALID_REQUEST', reason: 'NOT_SUPPORTED', message: expect.any(String) });
    expect(r.json.submitTimeUtc).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it.each([
    ['PATCH', '/pts/v2/payments/1234567890123456789012', 'PaymentsApi.incrementAuth'],
    ['POST', '/pts/v2/refresh-payment-status/1234567890123456789012', 'PaymentsApi.refreshPaymentStatus'],
    ['POST', '/pts/v2/payment-references', 'PaymentsApi.createSessionRequest'],
    ['PATCH', '/pts/v2/payment-references/ABC', 'PaymentsApi.updateSessionRequest'],
    ['POST', '/pts/v2/payment-references/ABC/intents', 'PaymentsApi.createOrderRequest'],
    ['POST', '/pts/v2/reversals', 'ReversalApi.mitReversal'],
    ['POST', '/pts/v2/voids', 'VoidApi.mitVoid'],
  ])('%s %s (%s) → 400 NOT_SUPPORTED', async (method, url, operation) => {
    const r = await c.request(method as never, url, {});
    expectPtsError(r, 'NOT_SUPPORTED');
    expect(r.json.message).toContain(operation);
  });

  it.each([
    ['POST', '/tms/v1/instrumentidentifiers/7010000000016241111/enrollment', 'postInstrumentIdentifierEnrollment'],
    ['POST', '/tms/v2/tokenize', 'TokenizeApi.tokenize'],
    ['GET', '/tms/v2/tokenized-cards/ABC', 'NetworkTokensApi'],
    ['POST', '/tms/v2/tokenized-cards', 'NetworkTokensApi'],
    ['POST', '/tms/v2/tokens/ABC/payment-credentials', 'NetworkTokensApi'],
  ])('%s %s → 403 TMS forbidden naming %s', async (method, url, operation) => {
    const r = await c.request(method as never, url, method === 'GET' ? undefined : {});
    expectTmsError(r, 403, 'forbidden');
    expect(r.json.errors[0].message).toContain(operation);
  });
});

describe('processingInformation.actionList', () => {
  const pay = (actionList: unknown, url = '/pts/v2/payments') =>
    c.post(url, {
      processingInformation: { actionList },
      paymentInformation: { customer: { id: customerId } },
      orderInformation: { amountDetails: { totalAmount: '102.21', currency: 'USD' }, billTo: { email: 'reject@domain.com' } },
    });

  it('refuses CONSUMER_AUTHENTICATION (the Decision Manager "reject" sample) and other services not offered; nothing is written', async () => {
    const before = await rowCounts(t, m.id);
    for (const action of ['CONSUMER_AUTHENTICATION', 'VALIDATE_CONSUMER_AUTHENTICATION', 'WATCHLIST_SCREENING', 'AP_AUTH', 'SOMETHING']) {
      const r = await pay([action]);
      expectPtsError(r, 'NOT_SUPPORTED');
      expect(r.json.details).toEqual([{ field: 'processingInformation.actionList', reason: 'NOT_SUPPORTED' }]);
      expect(r.json.message).toContain(action);
    }
    // A value that does not read as an action name is not echoed.
    const odd = await pay(['4111 1111 1111 1111']);
    expectPtsError(odd, 'NOT_SUPPORTED');
    expect(odd.body).not.toContain('4111');
    expect(await rowCounts(t, m.id)).toEqual(before);
  });

  it('accepts DECISION_SKIP (no Decision Manager runs here); credits take nothing else', async () => {
    const r = await pay(['DECISION_SKIP']);
    expect(r.status, r.body).toBe(201);
    expect(r.json.status).toBe('AUTHORIZED');
    const credit = await pay(['DECISION_SKIP'], '/pts/v2/credits');
    expect(credit.status, credit.body).toBe(201);
    expectPtsError(await pay(['TOKEN_CREATE'], '/pts/v2/credits'), 'NOT_SUPPORTED');
  });
});
