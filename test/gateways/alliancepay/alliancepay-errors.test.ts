import { randomUUID } from 'node:crypto';
import { CompactEncrypt, importJWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, type Client, client, createMerchant, futureYear, makeTestApp, type TestApp, VISA } from '../../helpers/harness.ts';
import {
  type AllianceClient,
  type ApResponse,
  allianceClient,
  apDate,
  bodies,
  type CallOptions,
  encryptTo,
  type Json,
  PATHS,
  statusLog,
  strangerKeys,
  tamper,
} from './helpers.ts';

let t: TestApp;
let ap: AllianceClient;
let other: AllianceClient;
let native: Client;
let b: ReturnType<typeof bodies>;
let bo: ReturnType<typeof bodies>;

const YY = String(futureYear() % 100).padStart(2, '0');
const EXP = `${YY}12`;
const CHALLENGE = '4000000000003220';

let custSeq = 0;
const newCustomer = () => `ap-err-${Date.now()}-${++custSeq}`;

const count = async (table: 'cards' | 'payments' | 'gateway_sessions' | 'customers') =>
  Number(
    (
      await t.vault.store.db
        .selectFrom(table)
        .select((e) => e.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );
const snapshot = async () => ({ cards: await count('cards'), payments: await count('payments'), customers: await count('customers') });

/** The AlliancePay error envelope, field for field, in plain JSON (never a JWE). */
function expectError(r: ApResponse, http: number, msgCode: string, msgType: 'ERROR' | 'VALIDATION_ERROR' = 'ERROR'): void {
  expect(r.encrypted, JSON.stringify(r.json)).toBe(false);
  expect({ status: r.status, msgCode: r.json?.msgCode }).toEqual({ status: http, msgCode });
  expect(r.json).toEqual({
    requestId: expect.any(String),
    serviceId: 'api-gateway',
    msgCode,
    msgType,
    msgText: expect.any(String),
    isLocalized: false,
    msgAttrs: expect.any(Object),
    errorCauses: expect.any(Array),
  });
  expect(Array.isArray(r.json.msgAttrs)).toBe(false);
  expect(r.json.requestId.length).toBeGreaterThan(0);
  expect(r.json.msgText.length).toBeGreaterThan(0);
}

/** A call that must be refused with `msgCode` and change no card, payment or customer. */
async function refused(
  path: string,
  body: unknown,
  http: number,
  msgCode: string,
  opts: CallOptions & { client?: AllianceClient; msgType?: 'ERROR' | 'VALIDATION_ERROR' } = {},
): Promise<ApResponse> {
  const before = await snapshot();
  const r = await (opts.client ?? ap).call(path, body, opts);
  expectError(r, http, msgCode, opts.msgType);
  expect(await snapshot()).toEqual(before);
  return r;
}

function ok(r: ApResponse): Json {
  expect(r.status, JSON.stringify(r.json)).toBe(200);
  expect(r.encrypted, JSON.stringify(r.json)).toBe(true);
  return r.json;
}

async function createToken(over: Record<string, unknown> = {}, c: AllianceClient = ap): Promise<Json> {
  return ok(await c.call(PATHS.create, await (c === ap ? b : bo).createToken(over)));
}
const list = async (customerId: string, c: AllianceClient = ap): Promise<Json[]> => ok(await c.call(PATHS.list, { customerId })).result;
const get = async (token: string): Promise<Json> => ok(await ap.call(PATHS.get, { token })).result[0];

beforeAll(async () => {
  t = await makeTestApp();
  const m = await createMerchant(t, 'AlliancePay merchant');
  ap = allianceClient(t, m);
  other = allianceClient(t, await createMerchant(t, 'Other AlliancePay merchant'));
  native = client(t, m.apiKey);
  b = bodies(ap, EXP);
  bo = bodies(other, EXP);
  expect((await ap.authorize()).encrypted).toBe(true);
  expect((await other.authorize()).encrypted).toBe(true);
});
afterAll(() => t.close());

describe('AlliancePay session refusals', () => {
  it('refuses an unknown serviceCode (b_merchant_not_found) and opens no session', async () => {
    const before = await count('gateway_sessions');
    const r = await ap.authorize({ serviceCode: randomUUID() });
    expectError(r, 200, 'b_merchant_not_found');
    expect(await count('gateway_sessions')).toBe(before);
  });

  it('refuses an authorization without serviceCode, opening no session', async () => {
    const before = await count('gateway_sessions');
    const r = await ap.authorize({ body: {} });
    expect(r.encrypted).toBe(false);
    expect(['b_invalid_request', 'b_merchant_not_found']).toContain(r.json.msgCode);
    expect(r.status).toBeLessThan(500);
    expect(await count('gateway_sessions')).toBe(before);
  });

  it('refuses a call without x-device_id (b_virtual_device_not_found, HTTP 200)', async () => {
    await refused(PATHS.create, await b.createToken(), 200, 'b_virtual_device_not_found', { omit: ['x-device_id'] });
  });

  it('refuses a call without x-refresh_token (b_refresh_token_absent)', async () => {
    await refused(PATHS.create, await b.createToken(), 200, 'b_refresh_token_absent', { omit: ['x-refresh_token'] });
  });

  it('refuses an unknown device id (401 b_unknown_device)', async () => {
    await refused(PATHS.create, await b.createToken(), 401, 'b_unknown_device', { headers: { 'x-device_id': randomUUID() } });
  });

  it('refuses a wrong refresh token (401 b_used_token)', async () => {
    await refused(PATHS.create, await b.createToken(), 401, 'b_used_token', { headers: { 'x-refresh_token': randomUUID() } });
  });

  it("refuses another session's refresh token with this device (401 b_used_token)", async () => {
    await refused(PATHS.create, await b.createToken(), 401, 'b_used_token', {
      headers: { 'x-refresh_token': other.session.refreshToken },
    });
  });

  it('refuses a reused x-request_id (400 b_duplicate_field_value) and makes no second token', async () => {
    const customerId = newCustomer();
    const requestId = randomUUID();
    const first = ok(await ap.call(PATHS.create, await b.createToken({ customerId }), { requestId }));
    await refused(PATHS.create, await b.createToken({ customerId, pan: VISA }), 400, 'b_duplicate_field_value', { requestId });
    expect((await list(customerId)).map((x: Json) => x.token)).toEqual([first.token]);
    // A read with the reused id is refused too.
    await refused(PATHS.list, { customerId }, 400, 'b_duplicate_field_value', { requestId });
  });
});

describe('AlliancePay session expiry', () => {
  let clockApp: TestApp;
  let offset = 0;
  afterAll(() => clockApp?.close());

  it('refuses a session past its lifetime (401 b_expired_token); a new authorization works', async () => {
    clockApp = await makeTestApp({ now: () => new Date(Date.now() + offset) });
    const c = allianceClient(clockApp, await createMerchant(clockApp, 'Clocked merchant'));
    const cb = bodies(c, EXP);
    expect((await c.authorize()).encrypted).toBe(true);
    const customerId = newCustomer();
    ok(await c.call(PATHS.create, await cb.createToken({ customerId })));
    offset = 3601_000;
    const r = await c.call(PATHS.list, { customerId });
    expectError(r, 401, 'b_expired_token');
    const made = await c.call(PATHS.create, await cb.createToken({ customerId, pan: VISA }));
    expectError(made, 401, 'b_expired_token');
    expect((await c.authorize()).encrypted).toBe(true);
    const after = ok(await c.call(PATHS.list, { customerId })).result;
    expect(after).toHaveLength(1);
  });

  it('shows a token whose card expiry passed as EXPIRED and refuses to pay with it (b_token_not_active)', async () => {
    const base = new Date(Date.now() + offset);
    // Expires at the end of next month.
    const next = new Date(Date.UTC(base.getUTCFullYear(), base.getUTCMonth() + 1, 1));
    const exp = `${String(next.getUTCFullYear() % 100).padStart(2, '0')}${String(next.getUTCMonth() + 1).padStart(2, '0')}`;
    const c = allianceClient(clockApp, await createMerchant(clockApp, 'Expiring merchant'));
    const cb = bodies(c, exp);
    expect((await c.authorize()).encrypted).toBe(true);
    const customerId = newCustomer();
    const made = ok(await c.call(PATHS.create, await cb.createToken({ customerId })));
    expect(made.status).toBe('ACTIVE');
    offset += 70 * 86400_000;
    expect((await c.authorize()).encrypted).toBe(true);
    const got = ok(await c.call(PATHS.get, { token: made.token })).result[0];
    expect(got.status).toBe('EXPIRED');
    expect(ok(await c.call(PATHS.list, { customerId })).result.map((x: Json) => x.status)).toEqual(['EXPIRED']);
    const pay = await c.call(PATHS.tokenPurchase, await cb.tokenPurchase(made.token));
    expectError(pay, 200, 'b_token_not_active');
    // The same expiry is now in the past for a new token.
    expectError(await c.call(PATHS.create, await cb.createToken({ customerId })), 200, 'b_validation_card_expiration_date');
  });
});

describe('AlliancePay session lifetime setting', () => {
  it('honours TOKENVAULT_ALLIANCEPAY_SESSION_SECONDS', async () => {
    let shift = 0;
    const app = await makeTestApp({ now: () => new Date(Date.now() + shift), env: { TOKENVAULT_ALLIANCEPAY_SESSION_SECONDS: '120' } });
    try {
      const c = allianceClient(app, await createMerchant(app, 'Short-session merchant'));
      const s = await c.authorize();
      expect(s.encrypted).toBe(true);
      const [date, time] = s.json.tokenExpirationDateTime.split(' ');
      const expires = Date.parse(`${date}T${time.split('.')[0]}Z`);
      expect(Math.abs(expires - (Date.now() + 120_000))).toBeLessThan(5_000);
      shift = 100_000;
      expect(ok(await c.call(PATHS.list, { customerId: 'x' })).result).toEqual([]);
      shift = 125_000;
      expectError(await c.call(PATHS.list, { customerId: 'x' }), 401, 'b_expired_token');
    } finally {
      await app.close();
    }
  });
});

describe('AlliancePay body decryption refusals', () => {
  it('refuses a body encrypted to the wrong key (b_encryptor_failed_decrypt_message)', async () => {
    await refused(PATHS.create, await b.createToken(), 200, 'b_encryptor_failed_decrypt_message', {
      encryptTo: strangerKeys().publicJwk,
    });
  });

  it("refuses a body encrypted to another session's server key", async () => {
    await refused(PATHS.create, await b.createToken(), 200, 'b_encryptor_failed_decrypt_message', {
      encryptTo: other.session.serverPublic,
    });
  });

  it('refuses a body encrypted to the payment key instead of the session key', async () => {
    await refused(PATHS.create, await b.createToken(), 200, 'b_encryptor_failed_decrypt_message', {
      encryptTo: ap.creds.paymentPublicJwk,
    });
  });

  it('refuses a body JWE with another algorithm or content encryption', async () => {
    const text = JSON.stringify(await b.createToken());
    const key = await importJWK({ ...ap.session.serverPublic, alg: undefined }, 'ECDH-ES');
    const a128 = await new CompactEncrypt(new TextEncoder().encode(text))
      .setProtectedHeader({ alg: 'ECDH-ES+A256KW', enc: 'A128GCM' })
      .encrypt(key);
    await refused(PATHS.create, undefined, 200, 'b_encryptor_failed_decrypt_message', { raw: a128 });
    const direct = await new CompactEncrypt(new TextEncoder().encode(text))
      .setProtectedHeader({ alg: 'ECDH-ES', enc: 'A256GCM' })
      .encrypt(key);
    await refused(PATHS.create, undefined, 200, 'b_encryptor_failed_decrypt_message', { raw: direct });
  });

  it('refuses a tampered JWE (one ciphertext character flipped)', async () => {
    const jwe = await encryptTo(ap.session.serverPublic, JSON.stringify(await b.createToken()));
    await refused(PATHS.create, undefined, 200, 'b_encryptor_failed_decrypt_message', { raw: tamper(jwe) });
  });

  it('refuses a body that is not a JWE (plain JSON, junk, empty)', async () => {
    const body = await b.createToken();
    await refused(PATHS.create, undefined, 200, 'b_encryptor_failed_decrypt_message', { raw: JSON.stringify(body) });
    await refused(PATHS.create, undefined, 200, 'b_encryptor_failed_decrypt_message', { raw: 'not.a.jwe.at.all' });
    await refused(PATHS.create, undefined, 200, 'b_encryptor_failed_decrypt_message', { raw: 'hello' });
  });

  it('refuses a decrypted body that is not JSON (400 b_error_parse_json)', async () => {
    await refused(PATHS.create, undefined, 400, 'b_error_parse_json', { plaintext: '{"merchantRequestId": ' });
    await refused(PATHS.create, undefined, 400, 'b_error_parse_json', { plaintext: 'customerId=x' });
  });

  it('refuses a decrypted body that is JSON but not an object (400 b_error_parse_json)', async () => {
    await refused(PATHS.list, undefined, 400, 'b_error_parse_json', { plaintext: '["customerId"]' });
    await refused(PATHS.list, undefined, 400, 'b_error_parse_json', { plaintext: '"customerId"' });
  });

  it('refuses a card number encrypted to the wrong key, making no token', async () => {
    const customerId = newCustomer();
    const stranger = strangerKeys().publicJwk;
    await refused(
      PATHS.create,
      await b.createToken({ customerId, encryptedCardNumber: await ap.encField(VISA, stranger) }),
      200,
      'b_encryptor_failed_decrypt_message',
    );
    await refused(
      PATHS.create,
      await b.createToken({ customerId, encryptedExpDate: await ap.encField(EXP, ap.session.serverPublic) }),
      200,
      'b_encryptor_failed_decrypt_message',
    );
    await refused(PATHS.create, await b.createToken({ customerId, encryptedCardNumber: VISA }), 200, 'b_encryptor_failed_decrypt_message');
    expect(await list(customerId)).toEqual([]);
  });

  it('refuses a cvv encrypted to the wrong key, charging nothing', async () => {
    const made = await createToken({ customerId: newCustomer() });
    await refused(
      PATHS.tokenPurchase,
      await b.tokenPurchase(made.token, { cvv: await ap.encField('123', strangerKeys().publicJwk) }),
      200,
      'b_encryptor_failed_decrypt_message',
    );
  });
});

describe('AlliancePay merchant isolation', () => {
  it('refuses a body merchantId of another merchant (400 b_user_merchant_request_mismatch)', async () => {
    const customerId = newCustomer();
    await refused(PATHS.create, await b.createToken({ customerId, merchantId: other.merchantId }), 400, 'b_user_merchant_request_mismatch');
    expect(await list(customerId)).toEqual([]);
    const made = await createToken({ customerId });
    await refused(
      PATHS.tokenPurchase,
      await b.tokenPurchase(made.token, { merchantId: other.merchantId }),
      400,
      'b_user_merchant_request_mismatch',
    );
    await refused(PATHS.create, await b.createToken({ customerId, merchantId: randomUUID() }), 400, 'b_user_merchant_request_mismatch');
  });

  it("does not find another merchant's token through a valid session (get, state update, purchase, c2a)", async () => {
    const customerId = newCustomer();
    const made = await createToken({ customerId });
    await refused(PATHS.get, { token: made.token }, 200, 'b_token_not_found', { client: other });
    await refused(PATHS.state, { token: made.token, state: 'DELETED' }, 200, 'b_token_not_found', { client: other });
    await refused(PATHS.state, { token: made.token, state: 'SUSPENDED' }, 200, 'b_token_not_found', { client: other });
    await refused(PATHS.tokenPurchase, await bo.tokenPurchase(made.token), 200, 'b_token_not_found', { client: other });
    await refused(PATHS.tokenC2a, await bo.tokenPurchase(made.token), 200, 'b_token_not_found', { client: other });
    expect(await list(customerId, other)).toEqual([]);
    // Untouched for its owner.
    expect(await get(made.token)).toMatchObject({ token: made.token, status: 'ACTIVE' });
    expect((await list(customerId)).map((x: Json) => x.token)).toEqual([made.token]);
  });

  it("a session of merchant B with merchant B's own keys cannot delete merchant A's token", async () => {
    const customerId = newCustomer();
    const made = await createToken({ customerId });
    // B's session, B's merchantId, B's payment key for the cvv: all valid — only the token is A's.
    await refused(PATHS.state, { token: made.token, state: 'DELETED' }, 200, 'b_token_not_found', { client: other });
    const body = {
      merchantRequestId: randomUUID(),
      merchantId: other.merchantId,
      token: made.token,
      coinAmount: 100,
      cvv: await other.encField('123'),
      date: apDate(),
      customerData: { senderCustomerId: customerId },
    };
    await refused(PATHS.tokenPurchase, body, 200, 'b_token_not_found', { client: other });
    expect(await get(made.token)).toMatchObject({ status: 'ACTIVE' });
    expect((await native.get(`/v1/cards/${made.token}`)).json().status).toBe('ACTIVE');
  });

  it("refuses merchant A's session headers with merchant A's body encrypted for B's session", async () => {
    // The session header pair is A's; the body is encrypted to B's session key: it must not decrypt.
    await refused(PATHS.create, await b.createToken(), 200, 'b_encryptor_failed_decrypt_message', {
      encryptTo: other.session.serverPublic,
    });
  });

  it('refuses an unknown token (b_token_not_found) for get, state update and purchase', async () => {
    const unknown = 'AAAAAAAAAAAAAAAAAAAAAAAA';
    await refused(PATHS.get, { token: unknown }, 200, 'b_token_not_found');
    await refused(PATHS.state, { token: unknown, state: 'SUSPENDED' }, 200, 'b_token_not_found');
    await refused(PATHS.tokenPurchase, await b.tokenPurchase(unknown), 200, 'b_token_not_found');
  });
});

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

describe('AlliancePay after the merchant is deleted', () => {
  it('refuses its serviceCode (b_merchant_not_found) and its open session, without a server error', async () => {
    const m = await createMerchant(t, 'Doomed AlliancePay merchant');
    const c = allianceClient(t, m);
    expect((await c.authorize()).encrypted).toBe(true);
    const del = await t.app.inject({
      method: 'DELETE',
      url: `/v1/admin/merchants/${m.id}`,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(del.statusCode, del.body).toBeLessThan(300);
    expectError(await c.authorize(), 200, 'b_merchant_not_found');
    const r = await c.call(PATHS.list, { customerId: 'anyone' });
    expect(r.encrypted).toBe(false);
    expect(r.status).toBeLessThan(500);
    expect(r.json.serviceId).toBe('api-gateway');
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
