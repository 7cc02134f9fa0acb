/**
 * REFUND of a token purchase and the two getting-data calls, as AlliancePay documents them: a refund is an
 * operation of its own (its own `operationId`, the payment in `originalOperationId`), partial refunds add up to
 * at most the payment, and every refusal is in AlliancePay's envelope with nothing written.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMerchant, futureYear, makeTestApp, type TestApp } from '../../helpers/harness.ts';
import { type AllianceClient, allianceClient, apDate, bodies, type Json, PATHS, statusLog } from './helpers.ts';

let t: TestApp;
let ap: AllianceClient;
let other: AllianceClient;
let b: ReturnType<typeof bodies>;
const EXP = `${String(futureYear() % 100).padStart(2, '0')}12`;
const INSUFFICIENT = '4000000000009995';

function ok(r: { status: number; json: Json; encrypted: boolean }): Json {
  expect(r.status, JSON.stringify(r.json)).toBe(200);
  expect(r.encrypted, JSON.stringify(r.json)).toBe(true);
  return r.json;
}

async function purchase(pan = '5555555555554444', coinAmount = 10000): Promise<Json> {
  const token = ok(await ap.call(PATHS.create, await b.createToken({ pan, customerId: 'refund-cust' }))).token;
  return ok(await ap.call(PATHS.tokenPurchase, await b.tokenPurchase(token, { coinAmount })));
}

const refundBody = (operationId: string, coinAmount: string | number, over: Record<string, unknown> = {}) => ({
  merchantRequestId: randomUUID(),
  operationId,
  merchantId: ap.merchantId,
  coinAmount,
  notificationUrl: '',
  date: apDate(),
  ...over,
});

const refundEvents = async () =>
  Number(
    (
      await t.vault.store.db
        .selectFrom('payment_events')
        .where('type', '=', 'refund')
        .select((e) => e.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

beforeAll(async () => {
  t = await makeTestApp();
  ap = allianceClient(t, await createMerchant(t, 'AlliancePay refunds'));
  other = allianceClient(t, await createMerchant(t, 'AlliancePay other'));
  b = bodies(ap, EXP);
  expect((await ap.authorize()).status).toBe(200);
  expect((await other.authorize()).status).toBe(200);
});
afterAll(() => t.close());

describe('AlliancePay REFUND', () => {
  it('refunds part of a purchase as an operation of its own, then the rest; a third is refused', async () => {
    const paid = await purchase();
    const first = refundBody(paid.operationId, '2500');
    const r1 = ok(await ap.call(PATHS.refund, first));
    expect(r1).toMatchObject({
      type: 'REFUND',
      status: 'SUCCESS',
      coinAmount: 2500,
      transactionType: 76,
      transactionCurrency: '980',
      merchantId: ap.merchantId,
      merchantRequestId: first.merchantRequestId,
      originalOperationId: paid.operationId,
      originalEcomOperationId: paid.operationId,
      originalCoinAmount: 10000,
      rrnOriginal: paid.rrn,
      productType: 'PURCHASE',
      cardNumberMask: '555555••••••4444',
      transactionResponseInfo: { actionCode: '0', responseCode: '00' },
      notificationUrl: null,
      notificationEncryption: false,
    });
    expect(r1.operationId).not.toBe(paid.operationId);
    expect(r1.rrn).toMatch(/^[0-9]{12}$/);
    // The SDK sends the amount as a number: accepted too.
    const r2 = ok(await ap.call(PATHS.refund, refundBody(paid.operationId, 7500)));
    expect(r2.operationId).not.toBe(r1.operationId);
    expect(r2.coinAmount).toBe(7500);
    const before = await refundEvents();
    const r3 = await ap.call(PATHS.refund, refundBody(paid.operationId, '1'));
    expect(r3.status).toBe(400);
    expect(r3.json).toMatchObject({ msgCode: 'b_txn_not_allowed', msgType: 'ERROR' });
    expect(await refundEvents()).toBe(before);
  });

  it('refuses an unknown operation, another merchant’s, a declined payment and a refund id (404 / 400), writing nothing', async () => {
    const paid = await purchase();
    const before = await refundEvents();
    const unknown = await ap.call(PATHS.refund, refundBody(randomUUID(), '100'));
    expect(unknown.status).toBe(404);
    expect(unknown.json.msgCode).toBe('payment_operation_not_found');
    const foreign = await other.call(PATHS.refund, { ...refundBody(paid.operationId, '100'), merchantId: other.merchantId });
    expect(foreign.status).toBe(404);
    const declined = await purchase(INSUFFICIENT);
    expect(declined.status).toBe('FAIL');
    const r = await ap.call(PATHS.refund, refundBody(declined.operationId, '100'));
    expect(r.status).toBe(400);
    expect(r.json.msgCode).toBe('b_txn_not_allowed');
    expect(await refundEvents()).toBe(before);
    const refund = ok(await ap.call(PATHS.refund, refundBody(paid.operationId, '100')));
    const ofRefund = await ap.call(PATHS.refund, refundBody(refund.operationId, '100'));
    expect(ofRefund.status).toBe(404);
  });

  it('refuses bad fields as VALIDATION_ERROR and a reused merchantRequestId as a duplicate', async () => {
    const paid = await purchase();
    for (const [field, value] of [
      ['coinAmount', '0'],
      ['coinAmount', '12.50'],
      ['coinAmount', -5],
      ['notificationUrl', 'ftp://example.com/x'],
      ['notificationUrl', 'not a url'],
      ['notificationEncryption', 'yes'],
      ['date', 'yesterday'],
    ] as const) {
      const r = await ap.call(PATHS.refund, refundBody(paid.operationId, '100', { [field]: value }));
      expect(r.status, `${field}=${value}`).toBe(200);
      expect(r.json, `${field}=${value}`).toMatchObject({ msgCode: 'b_invalid_request', msgType: 'VALIDATION_ERROR' });
      expect(r.json.errorCauses[0]).toMatch(new RegExp(`^${field}: `));
    }
    const { operationId: _o, ...missing } = refundBody(paid.operationId, '100');
    expect((await ap.call(PATHS.refund, missing)).json.errorCauses).toEqual(['operationId: is required']);
    const body = refundBody(paid.operationId, '100');
    ok(await ap.call(PATHS.refund, body));
    const again = await ap.call(PATHS.refund, { ...body });
    expect(again.status).toBe(400);
    expect(again.json).toMatchObject({ msgCode: 'b_duplicate_field_value', errorCauses: ['merchantRequestId'] });
    // A merchantRequestId of a payment is taken as well.
    const taken = await ap.call(PATHS.refund, refundBody(paid.operationId, '100', { merchantRequestId: paid.merchantRequestId }));
    expect(taken.json.msgCode).toBe('b_duplicate_field_value');
  });
});

describe('AlliancePay getting data', () => {
  it('reads a payment and a refund by OPERATION_ID and by merchantRequestId', async () => {
    const paid = await purchase();
    const body = refundBody(paid.operationId, '3000');
    const refund = ok(await ap.call(PATHS.refund, body));
    const byId = ok(await ap.call(PATHS.operation, { id: paid.operationId }));
    expect(byId).toMatchObject({
      type: 'PURCHASE',
      status: 'SUCCESS',
      operationId: paid.operationId,
      merchantRequestId: paid.merchantRequestId,
      coinAmount: 10000,
      transactionType: 35,
      rrn: paid.rrn,
      cardNumberMask: '555555••••••4444',
      transactionResponseInfo: { actionCode: '000', responseCode: '00', description: 'approved' },
      creatorSystem: 'H2H',
    });
    expect(ok(await ap.call(PATHS.byReference, { merchantRequestId: paid.merchantRequestId }))).toEqual(byId);
    const refundById = ok(await ap.call(PATHS.operation, { id: refund.operationId }));
    expect(refundById).toEqual(refund);
    expect(ok(await ap.call(PATHS.byReference, { merchantRequestId: body.merchantRequestId }))).toEqual(refund);
  });

  it('answers 404 payment_operation_not_found for an unknown id or reference, and for another merchant’s', async () => {
    const paid = await purchase();
    for (const [client, path, body] of [
      [ap, PATHS.operation, { id: 'no-such-operation' }],
      [ap, PATHS.byReference, { merchantRequestId: randomUUID() }],
      [other, PATHS.operation, { id: paid.operationId }],
      [other, PATHS.byReference, { merchantRequestId: paid.merchantRequestId }],
    ] as const) {
      const r = await client.call(path, body);
      expect(r.status, path).toBe(404);
      expect(r.json).toMatchObject({ msgCode: 'payment_operation_not_found', serviceId: 'api-gateway' });
    }
    const missing = await ap.call(PATHS.operation, {});
    expect(missing.json).toMatchObject({ msgCode: 'b_invalid_request', errorCauses: ['id: is required'] });
  });

  it('never answers 5xx', () => {
    expect(statusLog.filter((s) => s >= 500)).toEqual([]);
  });
});
