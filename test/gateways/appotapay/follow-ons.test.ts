/**
 * AppotaPay refunds and reversals of token charges (docs/appotapay.md "Refund", "Reversal"): create and detail,
 * by AppotaPay's id and by the merchant's reference; partial refunds up to the captured amount; every refusal
 * in AppotaPay's shape, writing nothing; a reference single-use; the charge as it reads afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, createMerchant, makeTestApp, type TestApp } from '../../helpers/harness.ts';
import { type AppotaClient, appotaClient, chargeBody, createToken, refId } from './helpers.ts';
import { expectError } from './refusals.ts';

let t: TestApp;
let appota: AppotaClient;
let stranger: AppotaClient;
let nativeKey: string;

const VN_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+07:00$/;
const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

beforeAll(async () => {
  t = await makeTestApp();
  const m = await createMerchant(t, 'AppotaPay refunds merchant');
  appota = appotaClient(t, m);
  nativeKey = m.apiKey;
  stranger = appotaClient(t, await createMerchant(t, 'Another AppotaPay merchant'));
});
afterAll(() => t.close());

/** A charge of `amount` VND with a fresh MULTIPLE token, captured or only authorized. */
async function charged(amount: number, capture: boolean) {
  const tok = await createToken(appota, { tokenType: 'MULTIPLE' });
  const r = await appota.call('POST', '/credit-card/charge', chargeBody(tok.tokenId, { amount, capture }));
  expect(r.status, r.body).toBe(200);
  return r.json as { id: string; merchantRefId: string };
}

const refund = (transactionId: string, amount: number | string, merchantRefId = refId('RF')) =>
  appota.call('POST', '/credit-card/refund', { merchantRefId, transactionId, amount, currency: 'VND' });
const reversal = (authorizationId: string, merchantRefId = refId('RV')) =>
  appota.call('POST', '/credit-card/reversal', { merchantRefId, authorizationId });
const readCharge = async (id: string) => (await appota.call('GET', `/credit-card/charge/${id}`)).json;
const paymentEvents = async (id: string) => (await client(t, nativeKey).get(`/v1/payments/${id}`)).json().history.length as number;

describe('AppotaPay refund', () => {
  it('refunds a captured charge in parts, each its own refund with its own id, readable by id and by reference', async () => {
    const c = await charged(500000, true);
    const firstRef = refId('RF');
    const first = await refund(c.id, 200000, firstRef);
    expect(first.status, first.body).toBe(200);
    expect(first.json).toEqual({
      refundId: expect.stringMatching(ULID),
      transactionId: c.id,
      merchantRefId: firstRef,
      amount: 200000,
      currency: 'VND',
      status: 'success',
      createdAt: expect.stringMatching(VN_TIME),
      updatedAt: expect.stringMatching(VN_TIME),
    });
    expect((await readCharge(c.id)).status).toBe('PARTIALLY_REFUNDED');
    const second = await refund(c.id, '300000');
    expect([second.status, second.json.amount]).toEqual([200, 300000]);
    expect(second.json.refundId).not.toBe(first.json.refundId);
    expect((await readCharge(c.id)).status).toBe('REFUNDED');

    const byId = await appota.call('GET', `/credit-card/refund/${first.json.refundId}?referenceType=APPOTAPAY_REFERENCE_ID`);
    expect([byId.status, byId.json]).toEqual([200, first.json]);
    expect((await appota.call('GET', `/credit-card/refund/${first.json.refundId.toLowerCase()}`)).json).toEqual(first.json);
    const byRef = await appota.call('GET', `/credit-card/refund/${firstRef}?referenceType=MERCHANT_REFERENCE_ID`);
    expect([byRef.status, byRef.json]).toEqual([200, first.json]);
  });

  it('refuses a refund over what is left (12), of an authorization (11), of a refunded charge (10), below 1000 (45)', async () => {
    const c = await charged(100000, true);
    expectError(await refund(c.id, 100001), 400, 12);
    expectError(await refund(c.id, 999), 400, 45, 'amount');
    expect((await refund(c.id, 100000)).status).toBe(200);
    expectError(await refund(c.id, 1000), 400, 10);
    const auth = await charged(100000, false);
    expectError(await refund(auth.id, 1000), 400, 11);
    expect((await readCharge(auth.id)).status).toBe('AUTHORIZED');
  });

  it('refuses a reused merchantRefId (4), refunding nothing; a refused refund leaves its reference free', async () => {
    const c = await charged(100000, true);
    const ref = refId('RF');
    expectError(await refund(c.id, 200000, ref), 400, 12);
    expect((await refund(c.id, 10000, ref)).status).toBe(200);
    const before = await paymentEvents(c.id);
    expectError(await refund(c.id, 10000, ref), 400, 4, 'merchantRefId');
    expect(await paymentEvents(c.id)).toBe(before);
    expect((await readCharge(c.id)).status).toBe('PARTIALLY_REFUNDED');
  });

  it('refuses unknown and foreign charges (14) and refunds (111), and bad fields (1)', async () => {
    const c = await charged(100000, true);
    expectError(await refund('01HQHR4QQNK66D7TG3PK5MD08C', 1000), 404, 14);
    expectError(
      await stranger.call('POST', '/credit-card/refund', { merchantRefId: 'x', transactionId: c.id, amount: 1000, currency: 'VND' }),
      404,
      14,
    );
    expectError(await appota.call('GET', '/credit-card/refund/01HQHR4QQNK66D7TG3PK5MD08C'), 404, 111);
    expectError(await appota.call('GET', '/credit-card/refund/nope?referenceType=MERCHANT_REFERENCE_ID'), 404, 111);
    expectError(await appota.call('GET', '/credit-card/refund/nope?referenceType=OTHER'), 400, 1, 'referenceType');
    const done = await refund(c.id, 1000);
    expectError(await stranger.call('GET', `/credit-card/refund/${done.json.refundId}`), 404, 111);
    expectError(await appota.call('GET', `/credit-card/reversal/${done.json.refundId}`), 404, 112);
    expectError(await refund(c.id, 1.5), 400, 1, 'amount');
    expectError(await refund(c.id, '10 000'), 400, 1, 'amount');
    expectError(
      await appota.call('POST', '/credit-card/refund', { merchantRefId: 'x', transactionId: c.id, amount: 1000, currency: 'USD' }),
      400,
      1,
      'currency',
    );
    expectError(
      await appota.call('POST', '/credit-card/refund', { transactionId: c.id, amount: 1000, currency: 'VND' }),
      400,
      1,
      'merchantRefId',
    );
    expectError(
      await appota.call('POST', '/credit-card/refund', {
        merchantRefId: 'r'.repeat(41),
        transactionId: c.id,
        amount: 1000,
        currency: 'VND',
      }),
      400,
      1,
      'merchantRefId',
    );
  });
});

describe('AppotaPay reversal', () => {
  it('reverses an authorization in full, readable by id and by reference; the charge reads VOIDED', async () => {
    const c = await charged(1000000, false);
    const ref = refId('RV');
    const r = await reversal(c.id, ref);
    expect(r.status, r.body).toBe(200);
    expect(r.json).toEqual({
      reversalId: expect.stringMatching(ULID),
      authorizationId: c.id,
      merchantRefId: ref,
      amount: 1000000,
      currency: 'VND',
      status: 'success',
      createdAt: expect.stringMatching(VN_TIME),
      updatedAt: expect.stringMatching(VN_TIME),
      reversedAt: expect.stringMatching(VN_TIME),
    });
    expect((await readCharge(c.id)).status).toBe('VOIDED');
    expect((await appota.call('GET', `/credit-card/reversal/${r.json.reversalId}`)).json).toEqual(r.json);
    expect((await appota.call('GET', `/credit-card/reversal/${ref}?referenceType=MERCHANT_REFERENCE_ID`)).json).toEqual(r.json);
    expectError(await appota.call('GET', `/credit-card/refund/${r.json.reversalId}`), 404, 111);
    // Reversed: no capture, no second reversal.
    expectError(await reversal(c.id), 400, 115);
    expectError(await appota.call('POST', `/credit-card/${c.id}/capture`, { amount: 1000, currency: 'VND' }), 400, 9);
  });

  it('refuses a captured charge (116), unknown ones (14, 112), a reused reference (4)', async () => {
    const captured = await charged(100000, true);
    expectError(await reversal(captured.id), 400, 116);
    expect((await readCharge(captured.id)).status).toBe('CAPTURED');
    expectError(await reversal('01HQHR4QQNK66D7TG3PK5MD08C'), 404, 14);
    expectError(await appota.call('GET', '/credit-card/reversal/01HQHR4QQNK66D7TG3PK5MD08C'), 404, 112);
    expectError(await appota.call('GET', '/credit-card/reversal/nope?referenceType=MERCHANT_REFERENCE_ID'), 404, 112);
    const ref = refId('RV');
    expect((await reversal((await charged(100000, false)).id, ref)).status).toBe(200);
    const other = await charged(100000, false);
    expectError(await reversal(other.id, ref), 400, 4, 'merchantRefId');
    expect((await readCharge(other.id)).status).toBe('AUTHORIZED');
    expectError(await appota.call('POST', '/credit-card/reversal', { authorizationId: other.id }), 400, 1, 'merchantRefId');
  });

  it('lets exactly one of two concurrent reversals with the same reference through', async () => {
    const [a, b] = [await charged(100000, false), await charged(100000, false)];
    const ref = refId('RV');
    const answers = await Promise.all([reversal(a.id, ref), reversal(b.id, ref)]);
    expect(answers.map((r) => r.status).sort()).toEqual([200, 400]);
    expect(answers.find((r) => r.status === 400)?.json.errorCode).toBe(4);
    const statuses = [(await readCharge(a.id)).status, (await readCharge(b.id)).status].sort();
    expect(statuses).toEqual(['AUTHORIZED', 'VOIDED']);
  });
});
