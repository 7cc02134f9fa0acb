/** AlliancePay refusals of bad input and of what cannot be done: each in AlliancePay's envelope, writing nothing. */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { futureYear, VISA } from '../../helpers/harness.ts';
import {
  ap,
  b,
  bo,
  CHALLENGE,
  count,
  createToken,
  EXP,
  expectError,
  get,
  list,
  native,
  newCustomer,
  ok,
  other,
  refused,
  useErrorSuite,
  YY,
} from './error-suite.ts';
import { apDate, type Json, PATHS, statusLog } from './helpers.ts';

useErrorSuite();

describe('AlliancePay merchantRequestId', () => {
  it('refuses a duplicate merchantRequestId on create (400 b_duplicate_field_value)', async () => {
    const customerId = newCustomer();
    const first = await b.createToken({ customerId });
    const made = ok(await ap.call(PATHS.create, first));
    await refused(
      PATHS.create,
      await b.createToken({ customerId, pan: VISA, merchantRequestId: first.merchantRequestId }),
      400,
      'b_duplicate_field_value',
    );
    expect((await list(customerId)).map((x: Json) => x.token)).toEqual([made.token]);
  });

  it('refuses a merchantRequestId reused across create and payment', async () => {
    const customerId = newCustomer();
    const createBody = await b.createToken({ customerId });
    const made = ok(await ap.call(PATHS.create, createBody));
    await refused(
      PATHS.tokenPurchase,
      await b.tokenPurchase(made.token, { merchantRequestId: createBody.merchantRequestId }),
      400,
      'b_duplicate_field_value',
    );
    const pay = await b.tokenPurchase(made.token);
    expect(ok(await ap.call(PATHS.tokenPurchase, pay)).status).toBe('SUCCESS');
    await refused(
      PATHS.tokenPurchase,
      await b.tokenPurchase(made.token, { merchantRequestId: pay.merchantRequestId }),
      400,
      'b_duplicate_field_value',
    );
    await refused(
      PATHS.create,
      await b.createToken({ customerId, merchantRequestId: pay.merchantRequestId }),
      400,
      'b_duplicate_field_value',
    );
  });

  it('keeps merchantRequestId per merchant: another merchant may use the same one', async () => {
    const first = await b.createToken({ customerId: newCustomer() });
    ok(await ap.call(PATHS.create, first));
    const mine = await bo.createToken({ customerId: newCustomer(), merchantRequestId: first.merchantRequestId });
    expect(ok(await other.call(PATHS.create, mine)).status).toBe('ACTIVE');
  });
});

describe('AlliancePay card validation', () => {
  it('refuses an invalid PAN (b_invalid_pan_format) and makes no token', async () => {
    const customerId = newCustomer();
    for (const pan of ['5555555555554445', '4111', '41111111abcd1111', '']) {
      await refused(PATHS.create, await b.createToken({ customerId, pan }), 200, 'b_invalid_pan_format');
    }
    expect(await list(customerId)).toEqual([]);
  });

  it('refuses a bad or past expiry (b_validation_card_expiration_date)', async () => {
    const customerId = newCustomer();
    for (const exp of [`${YY}13`, `${YY}00`, '1001', '251', 'abcd', `${YY}-12`]) {
      await refused(PATHS.create, await b.createToken({ customerId, exp }), 200, 'b_validation_card_expiration_date');
    }
    expect(await list(customerId)).toEqual([]);
  });

  it('refuses a card purchase with an invalid PAN or expiry, charging nothing and making no token', async () => {
    const customerId = newCustomer();
    const body = async (pan: string, exp: string) => ({
      merchantRequestId: randomUUID(),
      merchantId: ap.merchantId,
      coinAmount: 1000,
      encryptedCardNumber: await ap.encField(pan),
      encryptedExpDate: await ap.encField(exp),
      cvv: await ap.encField('123'),
      typeToken: 'TOKEN_PER_CUSTOMER',
      date: apDate(),
      customerData: { senderCustomerId: customerId },
    });
    await refused(PATHS.purchase, await body('4111111111111112', EXP), 200, 'b_invalid_pan_format');
    await refused(PATHS.purchase, await body(VISA, '1001'), 200, 'b_validation_card_expiration_date');
    expect(await list(customerId)).toEqual([]);
  });
});

describe('AlliancePay request validation (b_invalid_request, VALIDATION_ERROR)', () => {
  const invalid = async (path: string, body: unknown, field?: string) => {
    const r = await refused(path, body, 200, 'b_invalid_request', { msgType: 'VALIDATION_ERROR' });
    expect(r.json.errorCauses.length).toBeGreaterThan(0);
    if (field) expect(JSON.stringify(r.json.errorCauses)).toContain(field);
    return r;
  };

  it('names each missing required field of a create', async () => {
    for (const field of ['merchantRequestId', 'merchantId', 'customerId', 'encryptedCardNumber', 'encryptedExpDate', 'date']) {
      const body: Record<string, unknown> = await b.createToken({ customerId: newCustomer() });
      delete body[field];
      await invalid(PATHS.create, body, field);
    }
  });

  it('refuses over-long merchantRequestId and customerId', async () => {
    await invalid(PATHS.create, await b.createToken({ merchantRequestId: 'x'.repeat(37) }), 'merchantRequestId');
    await invalid(PATHS.create, await b.createToken({ customerId: 'c'.repeat(256) }), 'customerId');
  });

  it('refuses a list without customerId, a get without token, a state update with an unknown state', async () => {
    await invalid(PATHS.list, {}, 'customerId');
    await invalid(PATHS.get, {}, 'token');
    const customerId = newCustomer();
    const made = await createToken({ customerId });
    await invalid(PATHS.state, { token: made.token, state: 'FROZEN' }, 'state');
    await invalid(PATHS.state, { token: made.token }, 'state');
    expect(await get(made.token)).toMatchObject({ status: 'ACTIVE' });
  });

  it('refuses a purchase with a missing or malformed field, charging nothing', async () => {
    const made = await createToken({ customerId: newCustomer() });
    const { cvv: _cvv, ...noCvv } = await b.tokenPurchase(made.token);
    await invalid(PATHS.tokenPurchase, noCvv, 'cvv');
    const { coinAmount: _amount, ...noAmount } = await b.tokenPurchase(made.token);
    await invalid(PATHS.tokenPurchase, noAmount, 'coinAmount');
    await invalid(PATHS.tokenPurchase, await b.tokenPurchase(made.token, { coinAmount: '100' }), 'coinAmount');
    await invalid(PATHS.tokenPurchase, await b.tokenPurchase(made.token, { coinAmount: 10.5 }), 'coinAmount');
    await invalid(PATHS.tokenPurchase, await b.tokenPurchase(made.token, { coinAmount: -1 }), 'coinAmount');
    await invalid(PATHS.tokenPurchase, await b.tokenPurchase(made.token, { desiredThreeDSMode: 'SOMETIMES' }), 'desiredThreeDSMode');
    const { token: _token, ...noToken } = await b.tokenPurchase(made.token);
    await invalid(PATHS.tokenPurchase, noToken, 'token');
  });

  it('refuses a step 2 with a transStatus other than Y or N', async () => {
    const made = await createToken({ customerId: newCustomer(), pan: CHALLENGE });
    const step1 = ok(await ap.call(PATHS.tokenPurchase, await b.tokenPurchase(made.token)));
    expect(step1.status).toBe('REQUIRED_3DS');
    await invalid(PATHS.tokenPurchase3ds, { merchantId: ap.merchantId, operationId: step1.operationId, transStatus: 'X' }, 'transStatus');
    await invalid(PATHS.tokenPurchase3ds, { merchantId: ap.merchantId, operationId: step1.operationId }, 'transStatus');
    // The operation still completes afterwards.
    const step2 = ok(
      await ap.call(PATHS.tokenPurchase3ds, { merchantId: ap.merchantId, operationId: step1.operationId, transStatus: 'Y' }),
    );
    expect(step2.status).toBe('SUCCESS');
  });
});

describe('AlliancePay tokens that cannot pay', () => {
  it('refuses a purchase with a SUSPENDED token (b_token_not_active), then pays once re-activated', async () => {
    const made = await createToken({ customerId: newCustomer() });
    expect(ok(await ap.call(PATHS.state, { token: made.token, state: 'SUSPENDED' })).tokenUpdated).toBe(true);
    await refused(PATHS.tokenPurchase, await b.tokenPurchase(made.token), 200, 'b_token_not_active');
    await refused(PATHS.tokenC2a, await b.tokenPurchase(made.token), 200, 'b_token_not_active');
    expect(ok(await ap.call(PATHS.state, { token: made.token, state: 'ACTIVE' })).tokenUpdated).toBe(true);
    expect(ok(await ap.call(PATHS.tokenPurchase, await b.tokenPurchase(made.token))).status).toBe('SUCCESS');
  });

  it('refuses a purchase with a DELETED token (b_token_not_active)', async () => {
    const made = await createToken({ customerId: newCustomer() });
    expect(ok(await ap.call(PATHS.state, { token: made.token, state: 'DELETED' })).tokenUpdated).toBe(true);
    await refused(PATHS.tokenPurchase, await b.tokenPurchase(made.token), 200, 'b_token_not_active');
  });
});

describe('AlliancePay under concurrent requests', () => {
  it('accepts one of five concurrent creates with the same merchantRequestId', async () => {
    const customerId = newCustomer();
    const reference = randomUUID();
    const before = await count('cards');
    const all = await Promise.all(
      Array.from({ length: 5 }, async () => ap.call(PATHS.create, await b.createToken({ customerId, merchantRequestId: reference }))),
    );
    expect(all.filter((r) => r.encrypted)).toHaveLength(1);
    for (const r of all.filter((x) => !x.encrypted)) expectError(r, 400, 'b_duplicate_field_value');
    expect(await count('cards')).toBe(before + 1);
    expect(await list(customerId)).toHaveLength(1);
  });

  it('accepts one of five concurrent calls with the same x-request_id', async () => {
    const customerId = newCustomer();
    const requestId = randomUUID();
    const all = await Promise.all(
      Array.from({ length: 5 }, async () => ap.call(PATHS.create, await b.createToken({ customerId }), { requestId })),
    );
    expect(all.filter((r) => r.encrypted)).toHaveLength(1);
    for (const r of all.filter((x) => !x.encrypted)) expectError(r, 400, 'b_duplicate_field_value');
    expect(await list(customerId)).toHaveLength(1);
  });

  it('captures a 3-D Secure payment once when step 2 arrives three times at once', async () => {
    const made = await createToken({ customerId: newCustomer(), pan: CHALLENGE });
    const step1 = ok(await ap.call(PATHS.tokenPurchase, await b.tokenPurchase(made.token)));
    expect(step1.status).toBe('REQUIRED_3DS');
    const all = await Promise.all(
      Array.from({ length: 3 }, () =>
        ap.call(PATHS.tokenPurchase3ds, { merchantId: ap.merchantId, operationId: step1.operationId, transStatus: 'Y' }),
      ),
    );
    for (const r of all) expect(r.status).toBeLessThan(500);
    expect(all.filter((r) => r.encrypted && r.json.status === 'SUCCESS').length).toBeGreaterThanOrEqual(1);
    const n = (await native.get(`/v1/payments/${step1.operationId}`)).json();
    expect(n).toMatchObject({ status: 'CAPTURED', capturedAmount: 10000 });
  });
});

describe('AlliancePay tokens used up', () => {
  it('refuses a second payment with a single-use native card (b_token_not_active)', async () => {
    const customerId = newCustomer();
    const cusRes = await native.post('/v1/customers', { customerId });
    expect(cusRes.statusCode).toBe(201);
    const cardRes = await native.post('/v1/cards', {
      number: VISA,
      expMonth: 12,
      expYear: futureYear(),
      customer: cusRes.json().id,
      usage: 'SINGLE',
    });
    expect(cardRes.statusCode).toBe(201);
    const token = cardRes.json().token;
    expect(ok(await ap.call(PATHS.tokenPurchase, await b.tokenPurchase(token))).status).toBe('SUCCESS');
    await refused(PATHS.tokenPurchase, await b.tokenPurchase(token), 200, 'b_token_not_active');
    await refused(PATHS.tokenC2a, await b.tokenPurchase(token), 200, 'b_token_not_active');
  });
});

describe('AlliancePay 3-D Secure step 2 refusals', () => {
  it('refuses step 2 for an unknown operationId (404 payment_operation_not_found)', async () => {
    await refused(
      PATHS.tokenPurchase3ds,
      { merchantId: ap.merchantId, operationId: randomUUID(), transStatus: 'Y' },
      404,
      'payment_operation_not_found',
    );
    await refused(
      PATHS.tokenC2a3ds,
      { merchantId: ap.merchantId, operationId: 'no-such-operation', transStatus: 'Y' },
      404,
      'payment_operation_not_found',
    );
  });

  it("refuses step 2 for another merchant's operation (404 payment_operation_not_found), which stays pending", async () => {
    const made = await createToken({ customerId: newCustomer(), pan: CHALLENGE });
    const step1 = ok(await ap.call(PATHS.tokenPurchase, await b.tokenPurchase(made.token)));
    expect(step1.status).toBe('REQUIRED_3DS');
    await refused(
      PATHS.tokenPurchase3ds,
      { merchantId: other.merchantId, operationId: step1.operationId, transStatus: 'Y' },
      404,
      'payment_operation_not_found',
      { client: other },
    );
    const step2 = ok(
      await ap.call(PATHS.tokenPurchase3ds, { merchantId: ap.merchantId, operationId: step1.operationId, transStatus: 'N' }),
    );
    expect(step2.status).toBe('FAIL');
  });
});

describe('AlliancePay never fails with a server error', () => {
  it('answered every request of this file below 500', () => {
    expect(statusLog.length).toBeGreaterThan(50);
    expect(statusLog.filter((s) => s >= 500)).toEqual([]);
  });
});
