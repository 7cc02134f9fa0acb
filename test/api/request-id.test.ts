/**
 * Request correlation (issue 17, part 3): a safe X-Request-Id is kept, anything else is replaced by a random
 * one that is never the value sent; the id is answered as x-request-id by every API (native, the five gateways,
 * refusals made by hooks, 404s, body errors, ops routes), bound to every log line of the request with the
 * merchant once authenticated, and written into the audit events the request causes.
 */
import { createHmac, randomUUID } from 'node:crypto';
import http from 'node:http';
import { connect as netConnect } from 'node:net';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allianceClient, PATHS } from '../gateways/alliancepay/helpers.ts';
import { appotaClient, tokenBody } from '../gateways/appotapay/helpers.ts';
import { cybs, expectAuthFailed, parseBody } from '../gateways/cybersource/helpers.ts';
import { hmacHex, sortedJson } from '../gateways/opay/helpers.ts';
import { buildRequest, twoc2pClient } from '../gateways/twoc2p/helpers.ts';
import {
  ADMIN_TOKEN,
  type Client,
  client,
  createMerchant,
  futureYear,
  makeTestApp,
  type TestApp,
  type TestMerchant,
  VISA,
} from '../helpers/harness.ts';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let t: TestApp;
let m: TestMerchant;
let c: Client;
let n = 0;
/** A fresh, valid request id: each test finds its own request's log lines by it. */
const rid = (label: string) => `rid-${label}.${++n}:${process.pid}`;

type LogLine = Record<string, unknown> & { reqId?: string; merchant?: string; msg?: string };
const logLines = (app: TestApp): LogLine[] => app.logs.map((line) => JSON.parse(line) as LogLine);
const linesOf = (app: TestApp, id: string) => logLines(app).filter((l) => l.reqId === id);
const accessLine = (app: TestApp, id: string) => linesOf(app, id).find((l) => l.msg === 'request completed');

function expectEchoed(res: LightMyRequestResponse | { headers: Record<string, unknown> }, id: string): void {
  expect(res.headers['x-request-id']).toBe(id);
}

beforeAll(async () => {
  t = await makeTestApp();
  m = await createMerchant(t);
  c = client(t, m.apiKey);
});
afterAll(() => t.close());

describe('X-Request-Id on the native API', () => {
  it('echoes a valid id on a success and writes an access line with method, route, status, duration, id and merchant', async () => {
    const id = rid('native-ok');
    const res = await c.post('/v1/customers', { name: 'Ada' }, { 'x-request-id': id });
    expect(res.statusCode).toBe(201);
    expectEchoed(res, id);
    const access = accessLine(t, id);
    expect(access).toMatchObject({ reqId: id, merchant: m.id, req: { method: 'POST', url: '/v1/customers' }, res: { statusCode: 201 } });
    expect(typeof access?.responseTime).toBe('number');
    // Only this request's lines carry its id, and every one of them names the merchant.
    expect(linesOf(t, id).every((l) => l.merchant === m.id)).toBe(true);
  });

  it('echoes it on error answers: validation, not found, unauthenticated, wrong media type, too large, malformed URL', async () => {
    const answers: [string, number, () => Promise<LightMyRequestResponse>][] = [
      ['validation', 400, () => c.post('/v1/customers', { nope: 1 }, { 'x-request-id': 'rid-validation' })],
      ['unknown card', 404, () => c.get('/v1/cards/tok_nothing_here', { 'x-request-id': 'rid-unknown-card' })],
      ['no route', 404, () => t.app.inject({ method: 'GET', url: '/v1/nowhere', headers: { 'x-request-id': 'rid-no-route' } })],
      ['no key', 401, () => client(t, 'tv_sk_wrong').get('/v1/customers', { 'x-request-id': 'rid-no-key' })],
      [
        'media type',
        415,
        () =>
          t.app.inject({
            method: 'POST',
            url: '/v1/customers',
            headers: { authorization: `Bearer ${m.apiKey}`, 'content-type': 'text/plain', 'x-request-id': 'rid-media' },
            payload: 'hello',
          }),
      ],
      [
        'too large',
        413,
        () =>
          t.app.inject({
            method: 'POST',
            url: '/v1/customers',
            headers: { authorization: `Bearer ${m.apiKey}`, 'content-type': 'application/json', 'x-request-id': 'rid-large' },
            payload: JSON.stringify({ name: 'x'.repeat(t.config.bodyLimit) }),
          }),
      ],
      ['malformed URL', 400, () => c.get('/v1/cards/%E0%A4%A', { 'x-request-id': 'rid-bad-url' })],
    ];
    for (const [label, status, send] of answers) {
      const res = await send();
      expect(res.statusCode, `${label}: ${res.body}`).toBe(status);
      expect(res.headers['content-type'], label).toMatch(/^application\/problem\+json/);
      expect(res.headers['x-request-id'], label).toMatch(/^rid-/);
    }
    expect(accessLine(t, 'rid-no-key')).toMatchObject({ res: { statusCode: 401 } });
    // Refused before anyone was authenticated: no merchant is named.
    expect(accessLine(t, 'rid-no-key')?.merchant).toBeUndefined();
  });

  it('echoes it on the ops routes and the OpenAPI document', async () => {
    for (const url of ['/healthz', '/readyz', '/openapi.json']) {
      const id = rid('ops');
      const res = await t.app.inject({ method: 'GET', url, headers: { 'x-request-id': id } });
      expect(res.statusCode, url).toBe(200);
      expectEchoed(res, id);
    }
  });

  it('echoes it on a 429 refused by the lockout, before any route work', async () => {
    const locked = await makeTestApp({ env: { TOKENVAULT_AUTH_FAILURE_LIMIT: '1', TOKENVAULT_AUTH_FAILURE_WINDOW_SECONDS: '600' } });
    try {
      const first = await client(locked, 'tv_sk_wrong').get('/v1/customers', { 'x-request-id': 'rid-lock-1' });
      expect(first.statusCode).toBe(401);
      expectEchoed(first, 'rid-lock-1');
      const second = await client(locked, 'tv_sk_wrong').get('/v1/customers', { 'x-request-id': 'rid-lock-2' });
      expect(second.statusCode).toBe(429);
      expectEchoed(second, 'rid-lock-2');
      expect(accessLine(locked, 'rid-lock-2')).toMatchObject({ res: { statusCode: 429 } });
    } finally {
      await locked.close();
    }
  });
});

describe('ids that are not kept', () => {
  const refused: [string, string][] = [
    ['too long', `rid-${'a'.repeat(61)}`],
    ['a space', 'rid with space'],
    ['a slash', 'rid/with/slash'],
    ['markup', '<script>alert(1)</script>'],
    ['a card number', VISA],
    ['a card number inside', `rid-${VISA}-x`],
    ['empty', ''],
  ];
  it.each(refused)('replaces one with %s by a generated id, never echoed or logged', async (_label, sent) => {
    const before = t.logs.length;
    const res = await c.post('/v1/customers', { name: 'B' }, { 'x-request-id': sent });
    expect(res.statusCode).toBe(201);
    const id = res.headers['x-request-id'] as string;
    expect(id).toMatch(UUID_V4);
    expect(id).not.toBe(sent);
    const written = t.logs.slice(before);
    expect(written.length).toBeGreaterThan(0);
    if (sent !== '') expect(written.join('\n')).not.toContain(sent);
    expect(accessLine(t, id)).toMatchObject({ merchant: m.id });
  });

  it('accepts the longest allowed id (64 characters) as it is', async () => {
    const id = `rid-${'b'.repeat(60)}`;
    expect(id).toHaveLength(64);
    expectEchoed(await c.get('/v1/customers', { 'x-request-id': id }), id);
  });

  it('gives two requests sent without one two different random ids', async () => {
    const a = await c.get('/v1/customers');
    const b = await c.get('/v1/customers');
    expect(a.headers['x-request-id']).toMatch(UUID_V4);
    expect(b.headers['x-request-id']).toMatch(UUID_V4);
    expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
    expect(accessLine(t, a.headers['x-request-id'] as string)).toMatchObject({ merchant: m.id });
  });
});

describe('request ids in the audit log', () => {
  it('writes the id into the events a request causes, readable through the API, and the chain still verifies', async () => {
    const id = rid('audit');
    const created = await c.post('/v1/cards', { number: VISA, expMonth: 12, expYear: futureYear() }, { 'x-request-id': id });
    expect(created.statusCode).toBe(201);
    const token = created.json().token as string;
    const rows = await t.vault.store.db.selectFrom('audit_events').selectAll().where('target', '=', token).execute();
    expect(rows).toHaveLength(1);
    expect(JSON.parse(rows[0]?.detail as string)).toMatchObject({ requestId: id });
    const listed = await c.get(`/v1/audit-events?token=${token}`);
    expect(listed.json().data).toEqual([
      expect.objectContaining({ action: 'card.create', detail: expect.objectContaining({ requestId: id }) }),
    ]);
    expect((await t.vault.audit.verify()).ok).toBe(true);
  });

  it('keeps the id across a body read from a real socket (the handler runs after the body stream ends)', async () => {
    const app = await makeTestApp();
    try {
      const merchant = await createMerchant(app);
      const address = await app.app.listen({ host: '127.0.0.1', port: 0 });
      // The body arrives in two writes, well after the head: it is read in the socket's async context.
      const res = await new Promise<{ status: number; header: unknown; body: string }>((resolve, reject) => {
        const req = http.request(`${address}/v1/customers`, {
          method: 'POST',
          headers: { authorization: `Bearer ${merchant.apiKey}`, 'content-type': 'application/json', 'x-request-id': 'rid-socket' },
        });
        req.on('error', reject);
        req.on('response', (r) => {
          let body = '';
          r.on('data', (chunk) => {
            body += chunk;
          });
          r.on('end', () => resolve({ status: r.statusCode ?? 0, header: r.headers['x-request-id'], body }));
        });
        req.flushHeaders();
        setTimeout(() => req.write('{"name":'), 30);
        setTimeout(() => req.end('"Over a socket"}'), 60);
      });
      expect(res.status).toBe(201);
      expect(res.header).toBe('rid-socket');
      const { id } = JSON.parse(res.body) as { id: string };
      const row = await app.vault.store.db.selectFrom('audit_events').selectAll().where('target', '=', id).executeTakeFirstOrThrow();
      expect(JSON.parse(row.detail as string)).toMatchObject({ requestId: 'rid-socket' });
    } finally {
      await app.close();
    }
  });

  it('names a generated id too, and the id of a refused authentication in its auth.failed event', async () => {
    const res = await client(t, 'tv_sk_wrong').get('/v1/customers', { 'x-request-id': 'rid-audit-denied' });
    expect(res.statusCode).toBe(401);
    const denied = await t.vault.store.db.selectFrom('audit_events').selectAll().where('action', '=', 'auth.failed').execute();
    expect(denied.map((r) => JSON.parse(r.detail as string).requestId)).toContain('rid-audit-denied');

    const admin = await t.app.inject({
      method: 'POST',
      url: '/v1/admin/merchants',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      payload: { name: 'Second' },
    });
    expect(admin.statusCode).toBe(201);
    const [first] = await t.vault.store.db.selectFrom('audit_events').selectAll().where('chain', '=', admin.json().id).execute();
    expect(JSON.parse(first?.detail as string).requestId).toBe(admin.headers['x-request-id']);
    expect(admin.headers['x-request-id']).toMatch(UUID_V4);
  });

  it('writes none into an event made outside any request', async () => {
    await t.vault.audit.recordDenied({ merchantId: null, actor: 'cli', action: 'test.outside', detail: { why: 'no request' } });
    const row = await t.vault.store.db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'test.outside')
      .executeTakeFirstOrThrow();
    expect(JSON.parse(row.detail as string)).toEqual({ why: 'no request' });
    expect((await t.vault.audit.verify()).ok).toBe(true);
  });
});

describe('X-Request-Id on every gateway API', () => {
  /** The lines of the request with this id name the merchant once it is authenticated, the access line included. */
  const expectMerchantLogged = (id: string) => expect(accessLine(t, id)).toMatchObject({ reqId: id, merchant: m.id });

  it('2C2P: on an answer to an authenticated request and on its plain-text refusal', async () => {
    const g = twoc2pClient(t, m);
    const id = rid('twoc2p');
    const jws = await buildRequest({ merchantID: g.merchantID, customerToken: 'nothing-here' }, g.vaultPublic, g.merchantPrivate);
    const res = await t.app.inject({
      method: 'POST',
      url: '/customertoken/3.0/CustomerToken/get',
      headers: { 'content-type': 'text/plain', 'x-request-id': id },
      payload: jws,
    });
    expectEchoed(res, id);
    expectMerchantLogged(id);
    const refused = await t.app.inject({
      method: 'POST',
      url: '/customertoken/3.0/CustomerToken/get',
      headers: { 'content-type': 'text/plain', 'x-request-id': 'rid-twoc2p-refused' },
      payload: 'not-a-jws',
    });
    expect({ status: refused.statusCode, body: refused.body }).toEqual({ status: 400, body: 'Invalid request' });
    expectEchoed(refused, 'rid-twoc2p-refused');
    expect(accessLine(t, 'rid-twoc2p-refused')?.merchant).toBeUndefined();
  });

  it('OPay: on an authenticated answer and on its signature refusal', async () => {
    const g = (m.credentials.gateways as Record<string, Record<string, string>>).opay as Record<string, string>;
    const text = sortedJson({ token: 'nothing-here' });
    const send = (signature: string, id: string) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/international/token/query',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${signature}`,
          merchantid: g.merchantId as string,
          'x-request-id': id,
        },
        payload: text,
      });
    const id = rid('opay');
    expectEchoed(await send(hmacHex(g.secretKey as string, text), id), id);
    expectMerchantLogged(id);
    const refused = await send(createHmac('sha512', 'wrong').update(text).digest('hex'), 'rid-opay-refused');
    expect(refused.statusCode).toBe(200);
    expect(refused.json()).toMatchObject({ code: expect.any(String), message: expect.any(String) });
    expectEchoed(refused, 'rid-opay-refused');
  });

  it('Cybersource: on an authenticated answer and on its authenticationFailed refusal', async () => {
    const id = rid('cybs');
    const res = await cybs(t, m).get('/tms/v2/customers/0123456789ABCDEF0123456789ABCDEF', { headers: { 'x-request-id': id } });
    expect(res.status).toBe(404);
    expectEchoed(res, id);
    expectMerchantLogged(id);
    const raw = await t.app.inject({
      method: 'GET',
      url: '/tms/v2/customers/0123456789ABCDEF0123456789ABCDEF',
      headers: { 'x-request-id': 'rid-cybs-refused' },
    });
    expectAuthFailed({ status: raw.statusCode, headers: raw.headers, json: parseBody(raw.body), body: raw.body });
    expectEchoed(raw, 'rid-cybs-refused');
  });

  it('AlliancePay: on the device authorization, a session call, and a refused session', async () => {
    const ap = allianceClient(t, m);
    const authorized = await ap.authorize({ headers: { 'x-request-id': 'rid-ap-authorize' } });
    expect(authorized.status).toBe(200);
    const session = ap.session;
    const send = (id: string, refreshToken: string) =>
      t.app.inject({
        method: 'POST',
        url: PATHS.get,
        headers: {
          'content-type': 'text/plain',
          'x-api_version': 'V1',
          'x-request_id': randomUUID(),
          'x-device_id': session.deviceId,
          'x-refresh_token': refreshToken,
          'x-request-id': id,
        },
        payload: 'not a jwe',
      });
    const id = rid('alliancepay');
    const res = await send(id, session.refreshToken);
    expectEchoed(res, id);
    expectMerchantLogged(id);
    const refused = await send('rid-ap-refused', 'wrong-refresh-token');
    expect(refused.statusCode).toBeGreaterThanOrEqual(400);
    expect(refused.json()).toMatchObject({ msgCode: expect.any(String), msgType: expect.any(String) });
    expectEchoed(refused, 'rid-ap-refused');
  });

  it('AppotaPay: its own X-Request-ID (a UUID v4) is echoed as it was; an auth refusal in its shape carries the id', async () => {
    const appota = appotaClient(t, m);
    const id = randomUUID();
    const res = await appota.call('POST', '/credit-card/token', tokenBody(), { headers: { 'x-request-id': id } });
    expect(res.status, res.body).toBe(200);
    expectEchoed(res, id);
    expectMerchantLogged(id);
    const refused = await appota.call('POST', '/credit-card/token', tokenBody(), {
      jwt: 'not.a.jwt',
      headers: { 'x-request-id': 'rid-appota-refused' },
    });
    expect(refused.status).toBe(401);
    expect(refused.json).toMatchObject({ errorCode: expect.any(Number) });
    expectEchoed(refused, 'rid-appota-refused');
    // An X-Request-ID AppotaPay itself refuses (not a UUID) is still answered with the server's id, not the value.
    const card = await appota.call('POST', '/credit-card/token', tokenBody(), { headers: { 'x-request-id': VISA } });
    expect(card.headers['x-request-id']).toMatch(UUID_V4);
    expect(card.body).not.toContain(VISA);
  });
});

describe('answers made outside the routes, on a listening server', () => {
  /** Writes raw bytes on one connection and collects everything the server sends until it closes it. */
  function rawExchange(port: number, steps: (socket: import('node:net').Socket) => Promise<void>): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = netConnect(port, '127.0.0.1');
      let got = '';
      socket.on('data', (d) => {
        got += d;
      });
      socket.on('close', () => resolve(got));
      socket.on('error', reject);
      socket.on('connect', () => steps(socket).catch(reject));
    });
  }

  it('a head over the limit gets 431 with an x-request-id, as problem+json, and a log line with that id', async () => {
    const app = await makeTestApp({ env: { TOKENVAULT_MAX_HEADER_BYTES: '2048' } });
    try {
      const address = await app.app.listen({ port: 0, host: '127.0.0.1' });
      const port = Number(new URL(address).port);
      const answer = await rawExchange(port, async (s) => {
        s.write(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: ${'a'.repeat(4000)}\r\n\r\n`);
      });
      expect(answer).toMatch(/^HTTP\/1\.1 431 /);
      const id = /\r\nx-request-id: ([0-9a-f-]{36})\r\n/.exec(answer)?.[1];
      expect(id).toMatch(UUID_V4);
      expect(answer).toContain('content-type: application/problem+json'.replace('content-type', 'Content-Type'));
      expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({ status: 431, code: 'header_too_large' });
      expect(linesOf(app, id as string).map((l) => l.msg)).toEqual(['request refused by the HTTP parser']);
    } finally {
      await app.close();
    }
  });

  it('while the server drains, a request still arriving on an open connection gets 503 in its API shape with its id', async () => {
    const app = await makeTestApp();
    const address = await app.app.listen({ port: 0, host: '127.0.0.1' });
    const port = Number(new URL(address).port);
    const server = app.app.server;
    // Two connections, each busy with a request whose body has not all arrived, while the server starts to close.
    let started = 0;
    const bothStarted = new Promise<void>((resolve) =>
      server.on('request', () => {
        if (++started === 2) resolve();
      }),
    );
    let draining: () => void = () => {};
    const drainingNow = new Promise<void>((r) => {
      draining = r;
    });
    const partial = 'POST /v1/cards HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{';
    const exchange = (next: string) =>
      rawExchange(port, async (s) => {
        s.write(partial);
        await drainingNow;
        s.write('}');
        s.write(next);
      });
    const native = exchange('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: rid-draining-native\r\n\r\n');
    const opay = exchange(
      'POST /api/v1/international/token/query HTTP/1.1\r\nHost: x\r\nX-Request-Id: rid-draining-opay\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}',
    );
    await bothStarted;
    const closed = app.close();
    // The server stops listening after the pre-close hooks ran: from then on it is draining.
    while (server.listening) await new Promise((r) => setImmediate(r));
    draining();
    const [nativeAnswer, opayAnswer] = await Promise.all([native, opay]);
    await closed;
    for (const answer of [nativeAnswer, opayAnswer]) {
      const [first, second] = answer.split(/(?=HTTP\/1\.1 )/);
      // The first request began before the drain: answered by its route (401: no API key).
      expect(first).toMatch(/^HTTP\/1\.1 401 /);
      expect(second).toMatch(/^HTTP\/1\.1 503 /);
      expect(second?.toLowerCase()).toContain('connection: close');
    }
    expect(nativeAnswer).toContain('x-request-id: rid-draining-native');
    expect(nativeAnswer).toContain('"code":"service_unavailable"');
    expect(opayAnswer).toContain('x-request-id: rid-draining-opay');
    // OPay's envelope, not the native problem.
    expect(opayAnswer.slice(opayAnswer.lastIndexOf('\r\n\r\n') + 4)).toMatch(/^\{"code":"90"/);
  });
});
