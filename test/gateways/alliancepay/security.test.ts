/** AlliancePay authentication and isolation: sessions, message encryption, replays, other merchants' tokens and operations. */
import { randomUUID } from 'node:crypto';
import { CompactEncrypt, importJWK } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createMerchant, makeTestApp, type TestApp, VISA } from '../../helpers/harness.ts';
import {
  ap,
  b,
  bo,
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
  t,
  useErrorSuite,
} from './error-suite.ts';
import { allianceClient, apDate, bodies, encryptTo, type Json, PATHS, statusLog, strangerKeys, tamper } from './helpers.ts';

useErrorSuite();

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

describe('AlliancePay audits refused authentications', () => {
  /** How many auth.failed events name this merchant (null: none) with this scheme and reason, for this API. */
  async function events(merchantId: string | null, scheme: string, reason: string): Promise<number> {
    const rows = await t.vault.store.db
      .selectFrom('audit_events')
      .select(['merchant_id', 'detail'])
      .where('action', '=', 'auth.failed')
      .execute();
    return rows.filter((r) => {
      const d = JSON.parse(r.detail ?? '{}') as Record<string, unknown>;
      return r.merchant_id === merchantId && d.api === 'alliancepay' && d.scheme === scheme && d.reason === reason;
    }).length;
  }
  async function expectAudited(merchantId: string | null, scheme: string, reason: string, act: () => Promise<unknown>) {
    const before = await events(merchantId, scheme, reason);
    await act();
    expect(await events(merchantId, scheme, reason)).toBe(before + 1);
  }

  it('audits an unknown serviceCode (virtual-device), a wrong refresh token, a replayed request id and a body not encrypted to the session, each with its reason and merchant', async () => {
    const m = await createMerchant(t, 'Audited AlliancePay merchant');
    const c = allianceClient(t, m);
    expect((await c.authorize()).encrypted).toBe(true);
    await expectAudited(null, 'virtual-device', 'b_merchant_not_found', () => c.authorize({ serviceCode: randomUUID() }));
    expect((await c.authorize()).encrypted).toBe(true);
    await expectAudited(m.id, 'session', 'b_used_token', () =>
      c.call(PATHS.list, { customerId: 'x' }, { headers: { 'x-refresh_token': 'not-the-refresh-token' } }),
    );
    const requestId = randomUUID();
    expect((await c.call(PATHS.list, { customerId: 'x' }, { requestId })).encrypted).toBe(true);
    await expectAudited(m.id, 'session', 'replayed_request_id', () => c.call(PATHS.list, { customerId: 'x' }, { requestId }));
    await expectAudited(m.id, 'session', 'b_encryptor_failed_decrypt_message', () =>
      c.call(PATHS.list, { customerId: 'x' }, { encryptTo: strangerKeys().publicJwk }),
    );
  });
});

describe('AlliancePay never fails with a server error', () => {
  it('answered every request of this file below 500', () => {
    expect(statusLog.length).toBeGreaterThan(50);
    expect(statusLog.filter((s) => s >= 500)).toEqual([]);
  });
});
