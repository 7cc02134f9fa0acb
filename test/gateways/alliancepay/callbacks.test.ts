/**
 * AlliancePay callbacks through the vault's outbox, against a real HTTP receiver on 127.0.0.1: written with the
 * outcome (nothing for a refused request or a pending challenge), delivered by the delivery step, retried on the
 * documented schedule (5 s, 30 s, 5 min, 30 min, 1 h) until HTTP 200, then given up; plain or encrypted as the
 * request asked; never a card number in clear in a body or a log line. The clock is the vault's (set by the
 * test): no waiting on real retry delays.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMerchant, futureYear, makeTestApp, type TestApp } from '../../helpers/harness.ts';
import { type AllianceClient, allianceClient, apDate, bodies, decryptWith, type Json, PATHS } from './helpers.ts';

let t: TestApp;
let ap: AllianceClient;
let b: ReturnType<typeof bodies>;
let server: Server;
let base: string;
// A fixed time this year (the test cards expire in three years); moved forward by the test, never by waiting.
let clock = new Date(Date.UTC(new Date().getUTCFullYear(), 0, 15, 10));
const EXP = `${String(futureYear() % 100).padStart(2, '0')}12`;
const PAN = '5555555555554444';
const CHALLENGE = '4000000000003220';
const INSUFFICIENT = '4000000000009995';

/** What the receiver got, by path; `plan` says what each path answers, attempt after attempt (then 200). */
const received = new Map<string, { body: string; headers: IncomingHttpHeaders }[]>();
const plan = new Map<string, number[]>();
const got = (path: string) => received.get(path) ?? [];

const advance = (ms: number) => {
  clock = new Date(clock.getTime() + ms);
};

function ok(r: { status: number; json: Json; encrypted: boolean }): Json {
  expect(r.status, JSON.stringify(r.json)).toBe(200);
  expect(r.encrypted, JSON.stringify(r.json)).toBe(true);
  return r.json;
}

async function token(pan = PAN): Promise<string> {
  return ok(await ap.call(PATHS.create, await b.createToken({ pan, customerId: 'cb-cust' }))).token;
}

const deliveries = () => t.vault.outbox.ofMerchant(merchantId);
let merchantId: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      const path = req.url ?? '/';
      received.set(path, [...got(path), { body, headers: req.headers }]);
      const next = plan.get(path)?.shift() ?? 200;
      res.writeHead(next, { 'content-type': 'text/plain' }).end(next === 200 ? 'OK' : 'nope');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  t = await makeTestApp({ now: () => clock });
  const m = await createMerchant(t, 'AlliancePay callbacks');
  merchantId = m.id;
  ap = allianceClient(t, m);
  b = bodies(ap, EXP);
  expect((await ap.authorize()).status).toBe(200);
});
// The clock moves hours ahead: each test opens a session at the time it starts.
beforeEach(async () => {
  expect((await ap.authorize()).status).toBe(200);
});
afterAll(async () => {
  await t.close();
  await new Promise((resolve) => server.close(resolve));
});

describe('AlliancePay callbacks', () => {
  it('retries a callback answered 500 after 5 s and records it delivered when answered 200', async () => {
    plan.set('/first', [500]);
    const paid = ok(await ap.call(PATHS.tokenPurchase, await b.tokenPurchase(await token(), { notificationUrl: `${base}/first` })));
    expect(paid.status).toBe('SUCCESS');
    const [pending] = (await deliveries()).filter((d) => d.url.endsWith('/first'));
    expect(pending).toMatchObject({ topic: 'alliancepay.callback', state: 'pending', attempts: 0, paymentId: paid.operationId });

    const first = await t.vault.outbox.deliverDue();
    expect(first).toEqual([expect.objectContaining({ outcome: 'retry', result: 'http 500', attempt: 1 })]);
    const after1 = (await deliveries()).find((d) => d.id === pending?.id);
    expect(after1).toMatchObject({ state: 'pending', attempts: 1, lastResult: 'http 500' });
    expect(after1?.nextAttemptAt).toBe(new Date(clock.getTime() + 5_000).toISOString());
    // Not due yet: nothing is sent.
    advance(4_999);
    expect(await t.vault.outbox.deliverDue()).toEqual([]);
    advance(1);
    expect(await t.vault.outbox.deliverDue()).toEqual([expect.objectContaining({ outcome: 'delivered', result: 'http 200', attempt: 2 })]);
    expect((await deliveries()).find((d) => d.id === pending?.id)).toMatchObject({ state: 'delivered', attempts: 2 });
    // Delivered: never sent again.
    advance(3_600_000);
    expect(await t.vault.outbox.deliverDue()).toEqual([]);

    const bodies = got('/first');
    expect(bodies).toHaveLength(2);
    expect(bodies[1]?.body).toBe(bodies[0]?.body);
    expect(bodies[0]?.headers['content-type']).toBe('application/json');
    const cb = JSON.parse(bodies[1]?.body ?? '');
    expect(cb).toMatchObject({
      type: 'PURCHASE',
      status: 'SUCCESS',
      operationId: paid.operationId,
      merchantRequestId: paid.merchantRequestId,
      merchantId: ap.merchantId,
      coinAmount: 10000,
      transactionType: 35,
      transactionCurrency: '980',
      rrn: paid.rrn,
      cardNumberMask: '555555••••••4444',
      transactionResponseInfo: { actionCode: '000', responseCode: '00', description: 'approved' },
      notificationUrl: `${base}/first`,
      notificationEncryption: false,
      creatorSystem: 'H2H',
    });
    // The callback is the operation as the getting-data call answers it (a new session: the clock moved an hour).
    expect((await ap.authorize()).status).toBe(200);
    expect(ok(await ap.call(PATHS.operation, { id: paid.operationId }))).toEqual(cb);
  });

  it('follows the documented schedule (5 s, 30 s, 5 min, 30 min, 1 h), then gives up', async () => {
    plan.set('/down', [500, 503, 404, 500, 302, 500, 500]);
    ok(await ap.call(PATHS.tokenPurchase, await b.tokenPurchase(await token(), { notificationUrl: `${base}/down` })));
    const waits = [5_000, 30_000, 300_000, 1_800_000, 3_600_000];
    for (const [i, wait] of waits.entries()) {
      const [r] = await t.vault.outbox.deliverDue();
      expect(r).toMatchObject({ outcome: 'retry', attempt: i + 1 });
      const d = (await deliveries()).find((x) => x.url.endsWith('/down'));
      expect(d?.nextAttemptAt).toBe(new Date(clock.getTime() + wait).toISOString());
      advance(wait);
    }
    expect(await t.vault.outbox.deliverDue()).toEqual([expect.objectContaining({ outcome: 'failed', attempt: 6, result: 'http 500' })]);
    expect((await deliveries()).find((x) => x.url.endsWith('/down'))).toMatchObject({ state: 'failed', attempts: 6 });
    advance(86_400_000);
    expect(await t.vault.outbox.deliverDue()).toEqual([]);
    expect(got('/down')).toHaveLength(6);
  });

  it('encrypts a refund’s callback to the merchant key when notificationEncryption is "true"', async () => {
    const paid = ok(await ap.call(PATHS.tokenPurchase, await b.tokenPurchase(await token())));
    const refund = ok(
      await ap.call(PATHS.refund, {
        merchantRequestId: crypto.randomUUID(),
        operationId: paid.operationId,
        merchantId: ap.merchantId,
        coinAmount: '2500',
        notificationUrl: `${base}/refund`,
        notificationEncryption: 'true',
        date: apDate(),
      }),
    );
    expect(refund).toMatchObject({ notificationUrl: `${base}/refund`, notificationEncryption: true });
    expect(await t.vault.outbox.deliverDue()).toEqual([expect.objectContaining({ outcome: 'delivered' })]);
    const [sent] = got('/refund');
    const envelope = JSON.parse(sent?.body ?? '');
    expect(Object.keys(envelope)).toEqual(['jwe']);
    expect(JSON.parse(await decryptWith(ap.creds.merchantPrivateJwk, envelope.jwe))).toEqual(refund);
  });

  it('writes no callback for a refused request nor while a challenge is pending; sends the challenge’s end and a decline', async () => {
    const before = (await deliveries()).length;
    const tok = await token();
    const refused = await ap.call(PATHS.tokenPurchase, await b.tokenPurchase(tok, { notificationUrl: `${base}/x`, coinAmount: 0 }));
    expect(refused.json.msgCode).toBe('b_invalid_request');
    const badUrl = await ap.call(PATHS.tokenPurchase, await b.tokenPurchase(tok, { notificationUrl: 'file:///etc/passwd' }));
    expect(badUrl.json).toMatchObject({
      msgCode: 'b_invalid_request',
      errorCauses: ['notificationUrl: must be an absolute http or https URL'],
    });
    const challenged = ok(
      await ap.call(PATHS.tokenPurchase, await b.tokenPurchase(await token(CHALLENGE), { notificationUrl: `${base}/3ds` })),
    );
    expect(challenged.status).toBe('REQUIRED_3DS');
    expect((await deliveries()).length).toBe(before);
    ok(await ap.call(PATHS.tokenPurchase3ds, { merchantId: ap.merchantId, operationId: challenged.operationId, transStatus: 'Y' }));
    const declined = ok(
      await ap.call(PATHS.tokenPurchase, await b.tokenPurchase(await token(INSUFFICIENT), { notificationUrl: `${base}/declined` })),
    );
    expect(declined.status).toBe('FAIL');
    expect((await deliveries()).length).toBe(before + 2);
    expect(await t.vault.outbox.deliverDue()).toHaveLength(2);
    expect(JSON.parse(got('/3ds')[0]?.body ?? '')).toMatchObject({ operationId: challenged.operationId, status: 'SUCCESS' });
    expect(JSON.parse(got('/declined')[0]?.body ?? '')).toMatchObject({
      operationId: declined.operationId,
      status: 'FAIL',
      actionCode: '116',
      transactionResponseInfo: { actionCode: '116', responseCode: '51', description: 'declined' },
    });
  });

  it('hands each due delivery to one of two concurrent delivery steps (two instances)', async () => {
    const tok = await token();
    for (let i = 0; i < 6; i++)
      ok(await ap.call(PATHS.tokenPurchase, await b.tokenPurchase(tok, { notificationUrl: `${base}/pair/${i}` })));
    const [one, two] = await Promise.all([t.vault.outbox.deliverDue(), t.vault.outbox.deliverDue()]);
    const ids = [...(one ?? []), ...(two ?? [])].map((r) => r.id);
    expect(ids).toHaveLength(6);
    expect(new Set(ids).size).toBe(6);
    for (let i = 0; i < 6; i++) expect(got(`/pair/${i}`)).toHaveLength(1);
  });

  it('puts no card number in clear in any callback body or log line', () => {
    const all = [...received.values()].flat().map((r) => r.body);
    expect(all.length).toBeGreaterThan(10);
    for (const pan of [PAN, CHALLENGE, INSUFFICIENT]) {
      for (const body of all) expect(body).not.toContain(pan);
      for (const line of t.logs) expect(line).not.toContain(pan);
    }
  });
});
