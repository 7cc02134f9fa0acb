/**
 * Brute-force protection never locks out a correct credential (issue 19): a client suite that sends wrong
 * credentials far past the limit still gets its valid calls through on every API; the (address, credential)
 * pair that was brute-forced gets 429 before it is verified; the per-address ceiling still stops floods of
 * requests naming no credential; TOKENVAULT_TRUST_PROXY tells clients behind one balancer apart.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { allianceClient, PATHS } from '../gateways/alliancepay/helpers.ts';
import { appotaClient, tokenBody } from '../gateways/appotapay/helpers.ts';
import { customerBody, cybs } from '../gateways/cybersource/helpers.ts';
import { opayClient } from '../gateways/opay/helpers.ts';
import { postRaw, twoc2pClient } from '../gateways/twoc2p/helpers.ts';
import { client, createMerchant, makeTestApp, type TestApp, type TestMerchant } from '../helpers/harness.ts';

let t: TestApp | null = null;
afterEach(async () => {
  await t?.close();
  t = null;
});

const LIMIT = 3;
/** Well past the limit: what a client's own error suite sends in a minute. */
const TRIES = LIMIT + 3;
const OPAY_TOKEN = 'OPAY_TOKEN_00000000000000000000000000000000';

const events = (app: TestApp, action: string) =>
  app.vault.store.db.selectFrom('audit_events').selectAll().where('action', '=', action).execute();

/** One valid call per API, each answered as an authenticated request. */
async function validCalls(app: TestApp, m: TestMerchant, headers: Record<string, string> = {}) {
  const native = await client(app, m.apiKey).get('/v1/cards', headers);
  const opay = await opayClient(app, m).call('query', { opayToken: OPAY_TOKEN }, { headers });
  const appota = await appotaClient(app, m).call('POST', '/credit-card/token', tokenBody(), { headers });
  const cyb = await cybs(app, m).post('/tms/v2/customers', customerBody(), { headers });
  const ap = allianceClient(app, m);
  const opened = await ap.authorize({ headers });
  const apCall = opened.encrypted ? await ap.call(PATHS.list, { customerId: 'c-1' }, { headers }) : opened;
  const c2 = twoc2pClient(app, m);
  const twoc2p = await c2.call('get', { merchantID: c2.merchantID, token: '261020155003189559' });
  return {
    native: native.statusCode,
    opay: [opay.status, opay.json.code],
    appotapay: appota.status,
    cybersource: cyb.status,
    alliancepay: [opened.status, apCall.status, apCall.encrypted],
    twoc2p: twoc2p.status,
  };
}

const ALL_ADMITTED = {
  native: 200,
  opay: [200, '20001'],
  appotapay: 200,
  cybersource: 201,
  alliancepay: [200, 200, true],
  twoc2p: 200,
};

describe('a client suite testing wrong credentials', () => {
  it('gets 200 on its valid calls afterwards, on every API, from the same address', async () => {
    t = await makeTestApp({ env: { TOKENVAULT_AUTH_FAILURE_LIMIT: String(LIMIT), TOKENVAULT_AUTH_FAILURE_WINDOW_SECONDS: '600' } });
    const app = t;
    const m = await createMerchant(app);
    const opay = opayClient(app, m);
    const appota = appotaClient(app, m);
    const ap = allianceClient(app, m);
    expect((await ap.authorize()).encrypted).toBe(true);
    const statuses = new Set<number>();
    const note = (s: number) => void statuses.add(s);
    for (let i = 0; i < TRIES; i++) {
      // Wrong and missing API keys; a wrong admin token.
      note((await client(app, 'tv_sk_not-a-real-key-0000000000000000').get('/v1/cards')).statusCode);
      note((await app.app.inject({ method: 'GET', url: '/v1/cards' })).statusCode);
      note((await client(app, 'wrong-admin-token-0000000000').get('/v1/admin/merchants')).statusCode);
      // OPay: an unknown MerchantId, no Authorization at all.
      note((await opay.call('query', { opayToken: OPAY_TOKEN }, { merchantId: '999999999' })).status);
      note((await opay.call('query', { opayToken: OPAY_TOKEN }, { omit: ['authorization'] })).status);
      // AppotaPay: not a JWT, an unknown api_key.
      note((await appota.call('POST', '/credit-card/token', tokenBody(), { jwt: 'not.a.jwt' })).status);
      note((await appota.call('POST', '/credit-card/token', tokenBody(), { jwt: { claims: { api_key: 'no-such-key' } } })).status);
      // Cybersource: nothing signed, another merchant's id.
      note((await app.app.inject({ method: 'GET', url: '/tms/v2/customers/X' })).statusCode);
      note((await cybs(app, m).get('/tms/v2/customers/X', { merchantId: 'someone_else' })).status);
      // AlliancePay: an unknown device, no device at all.
      note((await ap.call(PATHS.list, { customerId: 'c-1' }, { headers: { 'x-device_id': 'no-such-device' } })).status);
      note((await ap.call(PATHS.list, { customerId: 'c-1' }, { omit: ['x-device_id'] })).status);
      // 2C2P: not a JWS.
      note((await postRaw(app, 'get', 'a.b.c')).statusCode);
    }
    // The wrong credentials themselves were refused (OPay and AlliancePay answer theirs with HTTP 200), and those
    // repeating one wrong credential (the same wrong key, the same unknown id) got 429 once past the limit.
    expect(statuses.has(429)).toBe(true);
    expect((await events(app, 'auth.failed')).length).toBeGreaterThanOrEqual(6 * LIMIT);

    expect(await validCalls(app, m)).toEqual(ALL_ADMITTED);
  });
});

describe('the brute-forced (address, credential) pair', () => {
  it('gets 429 in each API’s shape before it is verified, even with the right credential; other addresses and credentials are served', async () => {
    t = await makeTestApp({
      env: {
        TOKENVAULT_AUTH_FAILURE_LIMIT: String(LIMIT),
        TOKENVAULT_AUTH_FAILURE_WINDOW_SECONDS: '600',
        TOKENVAULT_TRUST_PROXY: '127.0.0.1',
      },
    });
    const app = t;
    const m = await createMerchant(app);
    const other = await createMerchant(app, 'Other merchant');
    const attacker = { 'x-forwarded-for': '203.0.113.9' };
    const opay = opayClient(app, m);
    const appota = appotaClient(app, m);
    const ap = allianceClient(app, m);
    expect((await ap.authorize()).encrypted).toBe(true);
    for (let i = 0; i < LIMIT; i++) {
      await client(app, 'tv_sk_guessed-0000000000000000000000').get('/v1/cards', attacker);
      await opay.call('query', { opayToken: OPAY_TOKEN }, { signature: 'f'.repeat(128), headers: attacker });
      await appota.call('POST', '/credit-card/token', tokenBody(), { jwt: { key: 'guessed-secret' }, headers: attacker });
      await cybs(app, m).get('/tms/v2/customers/X', { secret: Buffer.from('guessed').toString('base64'), headers: attacker });
      await ap.call(PATHS.list, { customerId: 'c-1' }, { headers: { ...attacker, 'x-refresh_token': 'guessed' } });
    }

    // The right credentials, from the address that guessed them: refused unverified, in each API's own shape.
    const native = await client(app, 'tv_sk_guessed-0000000000000000000000').get('/v1/cards', attacker);
    expect([native.statusCode, native.json().code]).toEqual([429, 'rate_limited']);
    expect(Number(native.headers['retry-after'])).toBeGreaterThan(500);
    const o = await opay.call('query', { opayToken: OPAY_TOKEN }, { headers: attacker });
    expect([o.status, o.json.code]).toEqual([429, '10002']);
    const a = await appota.call('POST', '/credit-card/token', tokenBody(), { headers: attacker });
    expect([a.status, a.json.errorCode]).toEqual([429, 429]);
    const c = await cybs(app, m).get('/tms/v2/customers/X', { headers: attacker });
    expect([c.status, c.json.errors?.[0]?.type]).toEqual([429, 'tooManyRequests']);
    const s = await ap.call(PATHS.list, { customerId: 'c-1' }, { headers: attacker });
    expect([s.status, s.json.msgCode]).toEqual([429, 'b_too_many_requests']);

    // The same address with another merchant's credentials, and this merchant from another address: served.
    expect(await validCalls(app, other, attacker)).toEqual(ALL_ADMITTED);
    expect(await validCalls(app, m, { 'x-forwarded-for': '198.51.100.7' })).toEqual(ALL_ADMITTED);

    // Audited: each failure up to the limit, one lockout per pair; no credential in any detail.
    const failed = await events(app, 'auth.failed');
    expect(failed).toHaveLength(5 * LIMIT);
    for (const e of failed) expect(e.actor).toBe('client:203.0.113.9');
    expect(await events(app, 'auth.locked')).toHaveLength(5);
    expect(JSON.stringify(failed)).not.toContain('guessed-0000');
  });
});

describe('the per-address ceiling', () => {
  it('still refuses a flood of requests naming no credential, on every API, while a correct credential is served', async () => {
    t = await makeTestApp({
      env: {
        TOKENVAULT_AUTH_FAILURE_LIMIT: '2',
        TOKENVAULT_AUTH_FAILURE_ADDRESS_LIMIT: '5',
        TOKENVAULT_AUTH_FAILURE_WINDOW_SECONDS: '600',
      },
    });
    const app = t;
    const m = await createMerchant(app);
    for (let i = 0; i < 5; i++) expect((await app.app.inject({ method: 'GET', url: '/v1/cards' })).statusCode).toBe(401);

    const native = await app.app.inject({ method: 'GET', url: '/v1/cards' });
    expect([native.statusCode, native.json().code]).toEqual([429, 'rate_limited']);
    const opay = await opayClient(app, m).call('query', { opayToken: OPAY_TOKEN }, { omit: ['merchantid'] });
    expect([opay.status, opay.json.code]).toEqual([429, '10002']);
    const appota = await appotaClient(app, m).call('POST', '/credit-card/token', tokenBody(), { omit: ['x-appotapay-auth'] });
    expect([appota.status, appota.json.errorCode]).toEqual([429, 429]);
    const tms = await app.app.inject({ method: 'GET', url: '/tms/v2/customers/abc' });
    expect([tms.statusCode, tms.json().errors[0].type]).toEqual([429, 'tooManyRequests']);
    const pts = await app.app.inject({ method: 'POST', url: '/pts/v2/payments', payload: {} });
    expect(pts.statusCode).toBe(429);
    expect(pts.json()).toMatchObject({ status: 'SERVER_ERROR', reason: 'TOO_MANY_REQUESTS' });
    const twoc2p = await postRaw(app, 'add', 'a.b.c');
    expect([twoc2p.statusCode, twoc2p.body]).toEqual([429, 'Too many requests']);
    const alliance = await app.app.inject({
      method: 'POST',
      url: PATHS.create,
      payload: 'x',
      headers: { 'content-type': 'text/plain' },
    });
    expect(alliance.statusCode).toBe(429);
    expect(alliance.json()).toMatchObject({ msgCode: 'b_too_many_requests', msgType: 'ERROR' });
    // Operations routes are not behind any lockout.
    expect((await app.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);

    // Every API but 2C2P names its credential before verifying it: served. A 2C2P message names its signer only
    // once verified, so it shares its address's fate (SECURITY.md).
    const { twoc2p: refused2c2p, ...named } = await validCalls(app, m);
    const { twoc2p: _, ...expected } = ALL_ADMITTED;
    expect(named).toEqual(expected);
    expect(refused2c2p).toBe(429);
  });
});

describe('TOKENVAULT_TRUST_PROXY', () => {
  const behindOneProxy = async (env: Record<string, string>) => {
    t = await makeTestApp({ env: { TOKENVAULT_AUTH_FAILURE_LIMIT: '2', TOKENVAULT_AUTH_FAILURE_WINDOW_SECONDS: '600', ...env } });
    const key = client(t, 'tv_sk_shared-wrong-key-000000000000000');
    for (let i = 0; i < 2; i++) expect((await key.get('/v1/cards', { 'x-forwarded-for': '10.0.0.1' })).statusCode).toBe(401);
    const first = (await key.get('/v1/cards', { 'x-forwarded-for': '10.0.0.1' })).statusCode;
    const second = (await key.get('/v1/cards', { 'x-forwarded-for': '10.0.0.2' })).statusCode;
    const actors = (await events(t, 'auth.failed')).map((e) => e.actor);
    return { first, second, actors };
  };

  it('set to the balancer’s address: two clients behind it are counted apart, by their X-Forwarded-For', async () => {
    expect(await behindOneProxy({ TOKENVAULT_TRUST_PROXY: '127.0.0.1/32' })).toEqual({
      first: 429,
      second: 401,
      actors: ['client:10.0.0.1', 'client:10.0.0.1', 'client:10.0.0.2'],
    });
  });

  it('unset: X-Forwarded-For is ignored and both clients are the balancer’s one address', async () => {
    expect(await behindOneProxy({})).toEqual({ first: 429, second: 429, actors: ['client:127.0.0.1', 'client:127.0.0.1'] });
  });
});
