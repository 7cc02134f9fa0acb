/**
 * AppotaPay replays across instances (SECURITY.md "Replays"), on two apps sharing one database, and with Redis
 * configured: a captured state-changing request (the same JWT, path and body) sent again — on either instance,
 * with a fresh X-Request-ID — gets the first answer within its JWT's life and changes nothing: a partial capture
 * captures once, a charge charges once. Reads are answered afresh.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { merchantCounts } from '../../helpers/counts.ts';
import { createMerchant, type TestApp, type TestMerchant } from '../../helpers/harness.ts';
import { makeTwinApps, REDIS_ENV, type Twins } from '../../helpers/twins.ts';
import { type AppotaClient, appotaClient, appotaCredentials, appotaJwt, chargeBody, createToken, tokenBody } from './helpers.ts';

describe.each([
  ['the database', {}],
  ['Redis', REDIS_ENV],
])('AppotaPay replays across two instances, claims in %s', (_where, env) => {
  let twins: Twins;
  let m: TestMerchant;
  let a: AppotaClient;

  /** One request with one JWT, sent byte for byte (but for its X-Request-ID, which is not signed) to an instance. */
  function captured(method: 'POST' | 'DELETE' | 'GET', url: string, body?: unknown) {
    const jwt = appotaJwt(appotaCredentials(m));
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return async (t: TestApp) => {
      const headers: Record<string, string> = { 'x-appotapay-auth': jwt, 'x-request-id': randomUUID() };
      if (payload !== undefined) headers['content-type'] = 'application/json';
      const res = await t.app.inject({ method, url, headers, ...(payload !== undefined ? { payload } : {}) });
      return { status: res.statusCode, body: res.body, json: res.body ? JSON.parse(res.body) : undefined };
    };
  }

  beforeAll(async () => {
    twins = await makeTwinApps({ env });
    m = await createMerchant(twins.a, 'AppotaPay replays');
    a = appotaClient(twins.a, m);
  });
  afterAll(() => twins?.close());

  it('a captured partial capture replayed on the other instance captures once', async () => {
    const tok = await createToken(a);
    const auth = await a.call('POST', '/credit-card/charge', chargeBody(tok.tokenId, { capture: false, amount: 100000 }));
    expect(auth.status, auth.body).toBe(200);
    const capture = captured('POST', `/credit-card/${auth.json.id}/capture`, { amount: 40000, currency: 'VND' });
    const first = await capture(twins.a);
    expect(first.status, first.body).toBe(200);
    const before = await merchantCounts(twins.a, m.id);
    for (const app of [twins.b, twins.a]) {
      const replay = await capture(app);
      expect(replay.status).toBe(200);
      expect(replay.body).toBe(first.body);
    }
    expect((await a.call('GET', `/credit-card/charge/${auth.json.id}`)).json).toMatchObject({ capturedAmount: 40000 });
    expect(await merchantCounts(twins.b, m.id)).toEqual(before);
  });

  it('a captured charge and token create replayed on the other instance make nothing more', async () => {
    const create = captured('POST', '/credit-card/token', tokenBody());
    const made = await create(twins.a);
    expect(made.status, made.body).toBe(200);
    expect((await create(twins.b)).body).toBe(made.body);
    const charge = captured('POST', '/credit-card/charge', chargeBody(made.json.tokenId));
    const paid = await charge(twins.b);
    expect(paid.status, paid.body).toBe(200);
    const before = await merchantCounts(twins.a, m.id);
    expect((await charge(twins.a)).body).toBe(paid.body);
    expect(await merchantCounts(twins.a, m.id)).toEqual(before);
  });

  it('the same read with the same JWT is answered afresh (never deduplicated)', async () => {
    const tok = await createToken(a);
    const auth = await a.call('POST', '/credit-card/charge', chargeBody(tok.tokenId, { capture: false, amount: 100000 }));
    const read = captured('GET', `/credit-card/charge/${auth.json.id}`);
    expect((await read(twins.a)).json).toMatchObject({ capturedAmount: 0 });
    expect((await a.call('POST', `/credit-card/${auth.json.id}/capture`, { amount: 100000, currency: 'VND' })).status).toBe(200);
    expect((await read(twins.b)).json).toMatchObject({ capturedAmount: 100000 });
  });
});
