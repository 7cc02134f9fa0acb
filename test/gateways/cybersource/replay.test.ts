/**
 * Replays across instances (issue 19, SECURITY.md "Replays"), on two apps sharing one database — and the same
 * with Redis holding the claims: a byte-identical HTTP Signature or v1 JWT state-changing request answers the
 * first answer and changes nothing on either instance; a v2 JWT's jti is single-use on every instance; a v1 JWT
 * is bound to the first request it was used for; identical GETs in the same second are still answered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMerchant, type TestApp, type TestMerchant, VISA } from '../../helpers/harness.ts';
import { makeTwinApps, REDIS_ENV, type Twins } from '../../helpers/twins.ts';
import {
  auditCount,
  buildAuth,
  type CybsClient,
  type CybsCredentials,
  type CybsMode,
  customerBody,
  customerWithCard,
  cybs,
  cybsCreds,
  expectAuthFailed,
  makeCert,
  parseBody,
  registerCert,
  rfc1123,
  rowCounts,
  type TestCert,
} from './helpers.ts';

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** One request, signed once, that can be sent (byte for byte) to either instance. */
async function signed(creds: CybsCredentials, mode: CybsMode, method: Method, url: string, body?: unknown, knobs = {}) {
  const text = body === undefined ? undefined : JSON.stringify(body);
  const headers = await buildAuth(creds, mode, method, url, text, knobs);
  return async (t: TestApp) => {
    const res = await t.app.inject({ method, url, headers, ...(text !== undefined ? { payload: text } : {}) });
    return { status: res.statusCode, body: res.body, json: parseBody(res.body) as Record<string, unknown>, headers: res.headers };
  };
}

describe.each([
  ['the database', {}],
  ['Redis', REDIS_ENV],
])('Cybersource replays across two instances, claims in %s', (_where, env) => {
  let twins: Twins;
  let m: TestMerchant;
  let creds: CybsCredentials;
  let cert: TestCert;
  let sigA: CybsClient;
  let base: { customerId: string; piId: string; iiId: string };
  // Each test its own reference: a request another test signed in the same second would otherwise be its replay.
  const payment = (code = 'order-replay') => ({
    clientReferenceInformation: { code },
    paymentInformation: { customer: { id: base.customerId } },
    orderInformation: { amountDetails: { totalAmount: '10.00', currency: 'USD' } },
  });
  const v1: () => CybsMode = () => ({ kind: 'jwt-v1', privateKey: cert.privateKey, certDer: cert.certDer });

  beforeAll(async () => {
    twins = await makeTwinApps({ env });
    m = await createMerchant(twins.a, 'Cybersource replays');
    creds = cybsCreds(m);
    cert = makeCert();
    await registerCert(twins.a, m, cert);
    sigA = cybs(twins.a, m);
    base = await customerWithCard(sigA, VISA);
  });
  afterAll(() => twins?.close());

  it('HTTP Signature: a signed POST /pts/v2/payments sent to both instances authorizes once, both answered the same', async () => {
    const before = await rowCounts(twins.a, m.id);
    const events = await auditCount(twins.a, m.id, 'payment.authorize');
    const send = await signed(creds, { kind: 'sig' }, 'POST', '/pts/v2/payments', payment());
    const first = await send(twins.a);
    expect(first.status, first.body).toBe(201);
    const replayB = await send(twins.b);
    const replayA = await send(twins.a);
    for (const r of [replayB, replayA]) {
      expect(r.status).toBe(201);
      expect(r.body).toBe(first.body);
      expect(r.headers['content-type']).toBe(first.headers['content-type']);
    }
    expect(await rowCounts(twins.b, m.id)).toEqual({ ...before, payments: (before.payments ?? 0) + 1 });
    expect(await auditCount(twins.a, m.id, 'payment.authorize')).toBe(events + 1);
  });

  it('HTTP Signature: the same payment signed at another second is a new payment (a real second request)', async () => {
    const before = await rowCounts(twins.a, m.id);
    // One base second for both dates: read twice, a second boundary between the reads made them the same date.
    const second = Math.floor(Date.now() / 1000) * 1000;
    const at = (ms: number) => ({ date: rfc1123(new Date(second + ms)) });
    const one = await (await signed(creds, { kind: 'sig' }, 'POST', '/pts/v2/payments', payment('order-seconds'), at(-1000)))(twins.a);
    const two = await (await signed(creds, { kind: 'sig' }, 'POST', '/pts/v2/payments', payment('order-seconds'), at(-2000)))(twins.b);
    expect(one.status, one.body).toBe(201);
    expect(two.status, two.body).toBe(201);
    expect(one.json.id).not.toBe(two.json.id);
    expect((await rowCounts(twins.a, m.id)).payments).toBe((before.payments ?? 0) + 2);
  });

  it('HTTP Signature: byte-identical creates sent at once to both instances make one customer', async () => {
    const before = await rowCounts(twins.a, m.id);
    const send = await signed(creds, { kind: 'sig' }, 'POST', '/tms/v2/customers', customerBody());
    const answers = await Promise.all([send(twins.a), send(twins.b), send(twins.a), send(twins.b)]);
    const created = answers.filter((r) => r.status === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    for (const r of created) expect(r.body).toBe(created[0]?.body);
    // The others were in flight with the first: TMS's conflict, nothing done.
    for (const r of answers.filter((x) => x.status !== 201)) {
      expect(r.status, r.body).toBe(409);
      expect((r.json.errors as { type: string }[])[0]?.type).toBe('conflict');
    }
    expect((await rowCounts(twins.a, m.id)).customers).toBe((before.customers ?? 0) + 1);
  });

  it('HTTP Signature: a replayed DELETE answers the first 204 and deletes nothing else; a PATCH replay changes nothing', async () => {
    const made = await sigA.post('/tms/v2/customers', customerBody());
    expect(made.status, made.body).toBe(201);
    const url = `/tms/v2/customers/${made.json.id}`;
    const patch = await signed(creds, { kind: 'sig' }, 'PATCH', url, { buyerInformation: { email: 'first@example.com' } });
    expect((await patch(twins.a)).status).toBe(200);
    expect((await sigA.patch(url, { buyerInformation: { email: 'second@example.com' } })).status).toBe(200);
    const replayed = await patch(twins.b);
    expect(replayed.status).toBe(200);
    expect(((await sigA.get(url)).json.buyerInformation as { email: string }).email).toBe('second@example.com');
    const del = await signed(creds, { kind: 'sig' }, 'DELETE', url);
    expect((await del(twins.a)).status).toBe(204);
    expect((await del(twins.b)).status).toBe(204);
    expect((await sigA.get(url)).status).toBe(404);
  });

  it('JWT v2: a token used on one instance is refused on the other, nothing changed', async () => {
    const before = await rowCounts(twins.a, m.id);
    const send = await signed(creds, { kind: 'jwt-hs256' }, 'POST', '/tms/v2/customers', customerBody());
    expect((await send(twins.a)).status).toBe(201);
    const again = await send(twins.b);
    expectAuthFailed({ ...again, json: again.json });
    expect(again.body).toContain('the JWT was already used');
    expect((await rowCounts(twins.a, m.id)).customers).toBe((before.customers ?? 0) + 1);
  });

  it('JWT v1: a token made for GET X is refused for DELETE Y and for DELETE X, on either instance', async () => {
    const x = (await sigA.post('/tms/v2/customers', customerBody())).json.id as string;
    const y = (await sigA.post('/tms/v2/customers', customerBody())).json.id as string;
    const iat = rfc1123(new Date());
    const getX = await signed(creds, v1(), 'GET', `/tms/v2/customers/${x}`, undefined, { iat });
    expect((await getX(twins.a)).status).toBe(200);
    // The same claims (a v1 token names neither method nor path): the same token, bound to GET X.
    const deleteY = await signed(creds, v1(), 'DELETE', `/tms/v2/customers/${y}`, undefined, { iat });
    const deleteX = await signed(creds, v1(), 'DELETE', `/tms/v2/customers/${x}`, undefined, { iat });
    for (const [send, app] of [
      [deleteY, twins.b],
      [deleteY, twins.a],
      [deleteX, twins.b],
    ] as const) {
      const r = await send(app);
      expect(r.status, r.body).toBe(401);
      expect(r.body).toContain('the JWT was made for another request');
    }
    expect((await sigA.get(`/tms/v2/customers/${y}`)).status).toBe(200);
    expect((await sigA.get(`/tms/v2/customers/${x}`)).status).toBe(200);
  });

  it('JWT v1: identical GETs in the same second are answered on both instances', async () => {
    // An iat no other test here uses (ahead, within the skew): a v1 token is its iat and digest only.
    const iat = rfc1123(new Date(Date.now() + 200_000));
    const get = await signed(creds, v1(), 'GET', `/tms/v2/customers/${base.customerId}`, undefined, { iat });
    const answers = [await get(twins.a), await get(twins.b), await get(twins.a)];
    for (const r of answers) expect(r.status, r.body).toBe(200);
  });

  it('JWT v1: a state-changing request is single-use (its replay answers the first answer) and its digest must match the body', async () => {
    const before = await rowCounts(twins.a, m.id);
    const body = customerBody();
    const send = await signed(creds, v1(), 'POST', '/tms/v2/customers', body);
    const first = await send(twins.a);
    expect(first.status, first.body).toBe(201);
    const replay = await send(twins.b);
    expect(replay.status).toBe(201);
    expect(replay.body).toBe(first.body);
    expect((await rowCounts(twins.a, m.id)).customers).toBe((before.customers ?? 0) + 1);
    // The token's digest is over `body`: another body under it is refused.
    const text = JSON.stringify(body);
    const headers = await buildAuth(creds, v1(), 'POST', '/tms/v2/customers', text);
    const other = await twins.b.app.inject({ method: 'POST', url: '/tms/v2/customers', headers, payload: JSON.stringify(customerBody()) });
    expect(other.statusCode, other.body).toBe(401);
    expect(other.body).toContain('the digest does not match the body');
    expect((await rowCounts(twins.a, m.id)).customers).toBe((before.customers ?? 0) + 1);
  });
});
