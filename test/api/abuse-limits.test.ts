/**
 * Abuse limits (issue 11, issue 19): lockout after repeated failed authentications, per-merchant rate
 * limits, both answered 429 in each API's own error shape with Retry-After; request head and body limits
 * on a real listening server.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { appotaClient, createToken as appotaCreateToken, tokenBody } from '../gateways/appotapay/helpers.ts';
import { opayClient } from '../gateways/opay/helpers.ts';
import { client, createMerchant, makeTestApp, type TestApp } from '../helpers/harness.ts';

let t: TestApp | null = null;
afterEach(async () => {
  await t?.close();
  t = null;
});

const authEvents = (app: TestApp, action: string) =>
  app.vault.store.db.selectFrom('audit_events').selectAll().where('action', '=', action).orderBy('chain').orderBy('seq').execute();

describe('per-client lockout after failed authentications', () => {
  it('audits each failure, refuses the repeated wrong key with 429 in the native shape (never the right key), and lifts it after the window', async () => {
    t = await makeTestApp({ env: { TOKENVAULT_AUTH_FAILURE_LIMIT: '3', TOKENVAULT_AUTH_FAILURE_WINDOW_SECONDS: '1' } });
    const m = await createMerchant(t);
    const bad = client(t, 'tv_sk_not-a-real-key-0000000000000000');
    for (let i = 0; i < 3; i++) expect((await bad.get('/v1/cards')).statusCode).toBe(401);

    // Locked: the key that failed is refused now, unverified, in the native problem shape ...
    const refused = await bad.get('/v1/cards');
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.json().code).toBe('rate_limited');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // ... while the right key from the same address is served on every API (issue 19: other requests' failures
    // never lock out a correct credential; each gateway's 429 shape: brute-force.test.ts).
    const good = client(t, m.apiKey);
    expect((await good.get('/v1/cards')).statusCode).toBe(200);
    expect((await opayClient(t, m).call('query', { opayToken: 'x' })).status).not.toBe(429);
    expect((await appotaClient(t, m).call('POST', '/credit-card/token', tokenBody())).status).toBe(200);

    // Three failures audited, then one lockout event; the refused requests while locked wrote nothing.
    const failed = await authEvents(t, 'auth.failed');
    expect(failed).toHaveLength(3);
    for (const e of failed) {
      expect(e.outcome).toBe('denied');
      expect(e.actor).toBe('client:127.0.0.1');
      expect(JSON.parse(e.detail as string)).toMatchObject({ api: 'native', scheme: 'api-key', reason: 'unknown_or_revoked_key' });
      expect(e.detail).not.toContain('not-a-real-key');
    }
    expect(await authEvents(t, 'auth.locked')).toHaveLength(1);
    expect((await t.vault.audit.verify()).ok).toBe(true);

    await new Promise((r) => setTimeout(r, 1100));
    expect((await bad.get('/v1/cards')).statusCode).toBe(401);
    expect((await good.get('/v1/cards')).statusCode).toBe(200);
  });

  it('counts failures of any scheme together per address: gateway signatures and the admin token too', async () => {
    t = await makeTestApp({
      env: { TOKENVAULT_AUTH_FAILURE_LIMIT: '4', TOKENVAULT_AUTH_FAILURE_ADDRESS_LIMIT: '4', TOKENVAULT_AUTH_FAILURE_WINDOW_SECONDS: '60' },
    });
    const m = await createMerchant(t);
    const opay = opayClient(t, m);
    expect((await opay.call('query', { opayToken: 'x' }, { signature: 'f'.repeat(128) })).json.code).toBe('10001');
    expect((await appotaClient(t, m).call('POST', '/credit-card/token', tokenBody(), { jwt: 'not.a.jwt' })).status).toBe(401);
    expect(
      (await t.app.inject({ method: 'GET', url: '/v1/admin/merchants', headers: { authorization: 'Bearer wrong-admin-token-000000000' } }))
        .statusCode,
    ).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: '/tms/v2/customers/abc' })).statusCode).toBe(401);
    // Past the address's ceiling a request naming no credential is refused, and so is one naming a credential
    // the address failed on (OPay's merchant id, even signed right); a credential it never failed on is served.
    expect((await t.app.inject({ method: 'GET', url: '/tms/v2/customers/abc' })).statusCode).toBe(429);
    expect((await opay.call('query', { opayToken: 'x' })).status).toBe(429);
    expect((await client(t, m.apiKey).get('/v1/cards')).statusCode).toBe(200);

    const details = (await authEvents(t, 'auth.failed')).map((e) => JSON.parse(e.detail as string));
    expect(details.map((d) => `${d.api}/${d.scheme}`).sort()).toEqual([
      'appotapay/jwt-hs256',
      'cybersource/none',
      'native/admin-token',
      'opay/hmac-sha512',
    ]);
    // The OPay failure named a known merchant: it is on that merchant's own chain.
    const opayEvent = (await authEvents(t, 'auth.failed')).find((e) => (e.detail as string).includes('"opay"'));
    expect(opayEvent?.merchant_id).toBe(m.id);
    expect(JSON.parse(opayEvent?.detail as string).reason).toBe('bad_signature');
  });
});

describe('per-merchant rate limit', () => {
  it('admits the burst, then answers 429 with Retry-After to that merchant only, in each API’s shape', async () => {
    t = await makeTestApp({ env: { TOKENVAULT_RATE_LIMIT_PER_SECOND: '1', TOKENVAULT_RATE_LIMIT_BURST: '3' } });
    const a = await createMerchant(t, 'A');
    const b = await createMerchant(t, 'B');
    const ca = client(t, a.apiKey);
    for (let i = 0; i < 3; i++) expect((await ca.get('/v1/cards')).statusCode).toBe(200);
    const limited = await ca.get('/v1/cards');
    expect(limited.statusCode).toBe(429);
    expect(limited.json().code).toBe('rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // Gateways share the merchant's bucket and answer in their own shape.
    const opay = await opayClient(t, a).call('query', { opayToken: 'x' });
    expect(opay.status).toBe(429);
    expect(opay.json.code).toBe('10002');
    // Another merchant is unaffected.
    expect((await client(t, b.apiKey).get('/v1/cards')).statusCode).toBe(200);
    // Nothing was audited as an auth failure: these callers authenticated.
    expect(await authEvents(t, 'auth.failed')).toHaveLength(0);
  });

  it('a throttled gateway write writes nothing', async () => {
    t = await makeTestApp({ env: { TOKENVAULT_RATE_LIMIT_PER_SECOND: '1', TOKENVAULT_RATE_LIMIT_BURST: '1' } });
    const m = await createMerchant(t);
    const appota = appotaClient(t, m);
    await appotaCreateToken(appota);
    const second = await appota.call('POST', '/credit-card/token', tokenBody());
    expect(second.status).toBe(429);
    expect(second.json.errorCode).toBe(429);
    const cards = await t.vault.store.db.selectFrom('cards').select('id').where('merchant_id', '=', m.id).execute();
    expect(cards).toHaveLength(1);
  });
});

describe('request size limits on a listening server', () => {
  async function listen(env: Record<string, string>) {
    t = await makeTestApp({ env });
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
    return { port: (t.app.server.address() as AddressInfo).port, address };
  }

  const rawRequest = (port: number, head: Record<string, string>) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method: 'GET', path: '/v1/cards', headers: head }, (res) => {
        let text = '';
        res.on('data', (c) => {
          text += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.end();
    });

  it('refuses an oversized request head with 431 and an oversized body with 413 in the native shape', async () => {
    const { port } = await listen({ TOKENVAULT_MAX_HEADER_BYTES: '2048', TOKENVAULT_BODY_LIMIT: '4096' });
    const m = await createMerchant(t as TestApp);
    const big = await rawRequest(port, { authorization: `Bearer ${m.apiKey}`, 'x-padding': 'a'.repeat(4000) });
    expect(big.status).toBe(431);
    // (In-process: over a socket the server answers 413 before reading the body and the unread bytes reset it.)
    const tooLarge = await client(t as TestApp, m.apiKey).post('/v1/cards', {
      number: '4111111111111111',
      expMonth: 12,
      expYear: 2040,
      metadata: { pad: 'b'.repeat(8000) },
    });
    expect(tooLarge.statusCode).toBe(413);
    expect(tooLarge.json().code).toBe('body_too_large');
    expect(await (t as TestApp).vault.store.db.selectFrom('cards').select('id').execute()).toHaveLength(0);
  });
});
