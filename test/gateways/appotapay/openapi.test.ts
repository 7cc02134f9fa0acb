/**
 * The AppotaPay document (/openapi/appotapay.json) and the gateway agree (issue 17): every documented request
 * example is accepted; every one-change request the schemas forbid is refused in AppotaPay's error shape,
 * naming the changed field; every answer this file gets (successes, refusals, the guard's 429 and 503, a
 * malformed URL) matches the documented response for its status; and every status each operation
 * documents is one this file sees it answer.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMerchant, makeTestApp, type TestApp } from '../../helpers/harness.ts';
import {
  invalidExamples,
  type Mutant,
  mutants,
  type OpenApiDocument,
  operationOf,
  requestSchema,
  responseProblems,
  servedDocument,
} from '../../helpers/openapi-conformance.ts';
import { type AppotaClient, type AppotaResponse, appotaClient, chargeBody, createToken, refId, tokenBody } from './helpers.ts';

type Json = Record<string, unknown>;
type Method = 'GET' | 'POST' | 'DELETE';

const TOKEN = '/credit-card/token';
const TOKEN_ID = '/credit-card/token/{tokenId}';
const CHARGE = '/credit-card/charge';
const CHARGE_ID = '/credit-card/charge/{id}';
const CAPTURE = '/credit-card/{authorizationId}/capture';
const REFUND = '/credit-card/refund';
const REFUND_ID = '/credit-card/refund/{creditCardRefundId}';
const REVERSAL = '/credit-card/reversal';
const REVERSAL_ID = '/credit-card/reversal/{creditCardReversalId}';
const OPERATIONS: [Method, string][] = [
  ['POST', TOKEN],
  ['DELETE', TOKEN_ID],
  ['POST', CHARGE],
  ['GET', CHARGE_ID],
  ['POST', CAPTURE],
  ['POST', REFUND],
  ['GET', REFUND_ID],
  ['POST', REVERSAL],
  ['GET', REVERSAL_ID],
];

let t: TestApp;
let doc: OpenApiDocument;
let appota: AppotaClient;
let stranger: AppotaClient;

/** Every status each operation answered in this file, to compare with what it documents. */
const seen = new Map<string, Set<number>>(OPERATIONS.map(([m, p]) => [`${m} ${p}`, new Set<number>()]));
const counts = { mutantsSent: 0, mutantsRefused: 0 };

beforeAll(async () => {
  t = await makeTestApp();
  doc = await servedDocument(t.app, 'appotapay');
  appota = appotaClient(t, await createMerchant(t, 'AppotaPay document merchant'));
  stranger = appotaClient(t, await createMerchant(t, 'Another AppotaPay merchant'));
});
afterAll(() => t.close());

/** An answer, held to the document: its body matches what the operation documents for its status. */
function conforms(method: Method, path: string, r: { status: number; headers: Json; body: string }): void {
  const problems = responseProblems(doc, method, path, { statusCode: r.status, headers: r.headers, body: r.body });
  expect(problems, `${method} ${path} → ${r.status} ${r.body}`).toEqual([]);
  seen.get(`${method} ${path}`)?.add(r.status);
}

const urlOf = (path: string, params: Record<string, string>) =>
  path.replace(/\{(\w+)\}/g, (_, k: string) => encodeURIComponent(params[k] ?? ''));

async function send(
  c: AppotaClient,
  method: Method,
  path: string,
  opts: { params?: Record<string, string>; query?: string; body?: unknown; headers?: Record<string, string>; omit?: string[] } = {},
): Promise<AppotaResponse> {
  const url = `${urlOf(path, opts.params ?? {})}${opts.query ? `?${opts.query}` : ''}`;
  const r = await c.call(method, url, opts.body, {
    ...(opts.headers ? { headers: opts.headers } : {}),
    ...(opts.omit ? { omit: opts.omit } : {}),
  });
  conforms(method, path, r);
  return r;
}

/** The request examples an operation documents. */
function examplesOf(method: Method, path: string): Json[] {
  const content = (operationOf(doc, method, path).requestBody as Json).content as Record<string, Json>;
  const media = content['application/json'] as Json;
  const out = [
    ...(media.example !== undefined ? [media.example] : []),
    ...Object.values((media.examples as Record<string, Json> | undefined) ?? {}).map((e) => e.value),
  ];
  expect(out.length, `${method} ${path} documents an example`).toBeGreaterThan(0);
  return out as Json[];
}

/** The field a mutant changed, as AppotaPay's `errors[].field` names it. */
function fieldOf(m: Mutant): string {
  const match = /^(?:without )?(\S+?)(?: as a (?:number|string)| one past maxLength \d+| outside its enum| with an unknown field)?$/.exec(
    m.name,
  );
  if (!match?.[1]) throw new Error(`cannot tell the field of mutant "${m.name}"`);
  return match[1];
}

/** Sends every mutant of `example` (made unique by `fresh` where the mutation left the reference alone); each must be refused for its field. */
async function refusesEveryMutant(
  method: Method,
  path: string,
  example: Json,
  fresh: (body: Json) => Json,
  params: Record<string, string> = {},
): Promise<number> {
  const { schema } = requestSchema(doc, method, path);
  const all = mutants(schema, example);
  for (const m of all) {
    const r = await send(appota, method, path, { params, body: fresh(m.body as Json) });
    counts.mutantsSent++;
    expect(r.status, `${m.name}: ${r.body}`).toBe(400);
    expect(r.json?.errorCode, `${m.name}: ${r.body}`).toBe(1);
    expect(r.json?.errors?.[0]?.field, `${m.name}: ${r.body}`).toBe(fieldOf(m));
    counts.mutantsRefused++;
  }
  return all.length;
}

/** A fresh merchantRefId where the mutant kept the example's (a duplicate must not be what refuses it). */
const freshRef =
  (placeholder: string, prefix: string) =>
  (body: Json): Json =>
    body.merchantRefId === placeholder ? { ...body, merchantRefId: refId(prefix) } : body;

describe('the AppotaPay document', () => {
  it('documents the nine operations, each with a summary, the JWT security, its headers and its error answers', () => {
    const ops = Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ path, method, op })));
    expect(ops.map(({ method, path }) => `${method.toUpperCase()} ${path}`).sort()).toEqual(OPERATIONS.map(([m, p]) => `${m} ${p}`).sort());
    const ids = ops.map(({ op }) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    const schemes = (doc.components as Json).securitySchemes as Json;
    expect(schemes.appotapayJwt).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-APPOTAPAY-AUTH' });
    for (const { path, method, op } of ops) {
      const where = `${method} ${path}`;
      expect(op.summary, where).toBeTruthy();
      expect(op.security, where).toEqual([{ appotapayJwt: [] }]);
      const statuses = Object.keys(op.responses as Json);
      expect(statuses, where).toEqual(expect.arrayContaining(['200', '400', '401', '429', '503']));
      const headers = ((op.parameters as Json[]) ?? []).filter((p) => p.in === 'header').map((p) => p.name);
      expect(headers, where).toEqual(['X-Request-ID', 'Language', 'X-Account-Ref-ID']);
      if (method === 'post') expect(Object.keys((op.requestBody as Json).content as Json), where).toEqual(['application/json']);
    }
  });

  it('has only examples its own schemas accept', () => {
    expect(invalidExamples(doc)).toEqual([]);
  });
});

describe('POST /credit-card/token', () => {
  it('accepts every documented example and answers as documented', async () => {
    for (const example of examplesOf('POST', TOKEN)) {
      const r = await send(appota, 'POST', TOKEN, { body: { ...example, merchantRefId: refId('DOC') } });
      expect(r.status, r.body).toBe(200);
      expect(r.json.card.number).toMatch(/^[0-9]{6}X+[0-9]{4}$/);
    }
  });

  it('refuses every request one change away that the schema forbids, naming the field', async () => {
    let n = 0;
    for (const example of examplesOf('POST', TOKEN)) {
      const placeholder = refId('MUT');
      n += await refusesEveryMutant('POST', TOKEN, { ...example, merchantRefId: placeholder }, freshRef(placeholder, 'MUT'));
    }
    expect(n).toBeGreaterThan(40);
  });

  it('answers its documented refusals: a duplicate merchantRefId, a failed Luhn check, an expired card', async () => {
    const body = tokenBody();
    expect((await send(appota, 'POST', TOKEN, { body })).status).toBe(200);
    expect((await send(appota, 'POST', TOKEN, { body: { ...body } })).json.errorCode).toBe(84);
    expect((await send(appota, 'POST', TOKEN, { body: tokenBody({}, { number: '4000000000000011' }) })).json.errorCode).toBe(61);
    expect((await send(appota, 'POST', TOKEN, { body: tokenBody({}, { expirationYear: '20' }) })).json.errorCode).toBe(63);
  });
});

describe('POST /credit-card/charge', () => {
  it('accepts every documented example with a real token and answers as documented', async () => {
    const tok = await createToken(appota);
    const statuses: string[] = [];
    for (const example of examplesOf('POST', CHARGE)) {
      const r = await send(appota, 'POST', CHARGE, { body: { ...example, tokenId: tok.tokenId, merchantRefId: refId('DOC') } });
      expect(r.status, r.body).toBe(200);
      expect(r.json.tokenId).toBe(tok.tokenId);
      statuses.push(r.json.status);
    }
    expect(statuses).toEqual(['AUTHORIZED', 'CAPTURED']);
  });

  it('refuses every request one change away that the schema forbids, naming the field', async () => {
    const tok = await createToken(appota);
    let n = 0;
    for (const example of examplesOf('POST', CHARGE)) {
      const placeholder = refId('MUT');
      const real = { ...example, tokenId: tok.tokenId, merchantRefId: placeholder };
      n += await refusesEveryMutant('POST', CHARGE, real, freshRef(placeholder, 'MUT'));
    }
    expect(n).toBeGreaterThan(40);
  });

  it('answers its documented refusals: unknown, foreign, deleted and used tokens, a duplicate, declines, 3-D Secure', async () => {
    const charge = (c: AppotaClient, body: Json) => send(c, 'POST', CHARGE, { body });
    const code = async (c: AppotaClient, body: Json) => (await charge(c, body)).json.errorCode;
    expect(await code(appota, chargeBody('01hqhrp3yhff7z7bvtq6whwz8t'))).toBe(43);
    const foreign = await createToken(stranger);
    expect(await code(appota, chargeBody(foreign.tokenId))).toBe(86);
    const single = await createToken(appota, { tokenType: 'SINGLE' });
    const first = chargeBody(single.tokenId);
    expect((await charge(appota, first)).status).toBe(200);
    expect(await code(appota, chargeBody(single.tokenId))).toBe(92);
    const multi = await createToken(appota);
    expect(await code(appota, chargeBody(multi.tokenId, { merchantRefId: first.merchantRefId }))).toBe(4);
    for (const [number, expected] of [
      ['4000000000000002', 60],
      ['4000000000009995', 64],
      ['4000000000009987', 65],
      ['4000000000000127', 70],
      ['4000000000000069', 63],
      ['4000000000003220', 9],
    ] as const) {
      const tok = await createToken(appota, {}, { number });
      expect(await code(appota, chargeBody(tok.tokenId)), number.slice(-4)).toBe(expected);
    }
    const gone = await createToken(appota);
    const del = await appota.call('DELETE', `/credit-card/token/${gone.tokenId}?merchantRefId=${encodeURIComponent(gone.merchantRefId)}`);
    expect(del.status, del.body).toBe(200);
    expect(await code(appota, chargeBody(gone.tokenId))).toBe(109);
  });
});

describe('POST /credit-card/{authorizationId}/capture', () => {
  it('refuses every mutant of the documented example, then captures with the example itself', async () => {
    const tok = await createToken(appota);
    const auth = await appota.call('POST', CHARGE, chargeBody(tok.tokenId, { amount: 1000000, capture: false }));
    expect(auth.json.status, auth.body).toBe('AUTHORIZED');
    const params = { authorizationId: auth.json.id };
    const [example] = examplesOf('POST', CAPTURE) as [Json];
    expect(await refusesEveryMutant('POST', CAPTURE, example, (b) => b, params)).toBeGreaterThanOrEqual(5);
    const r = await send(appota, 'POST', CAPTURE, { params, body: example });
    expect(r.status, r.body).toBe(200);
    expect(r.json).toMatchObject({ id: auth.json.id, status: 'CAPTURED', capturedAmount: 1000000 });
    // Nothing left to capture, and a charge that does not exist.
    expect((await send(appota, 'POST', CAPTURE, { params, body: example })).json.errorCode).toBe(1);
    const missing = await send(appota, 'POST', CAPTURE, { params: { authorizationId: '01HQHRS9P9J5YPCJ09D94VW84F' }, body: example });
    expect([missing.status, missing.json.errorCode]).toEqual([404, 14]);
  });

  it('refuses to capture a failed charge (errorCode 9)', async () => {
    const tok = await createToken(appota, {}, { number: '4000000000000002' });
    const ref = refId('DECL');
    const declined = await send(appota, 'POST', CHARGE, { body: chargeBody(tok.tokenId, { merchantRefId: ref }) });
    expect(declined.json.errorCode).toBe(60);
    // The declined charge is kept: found by its reference, FAILED.
    const found = await send(appota, 'GET', CHARGE_ID, { params: { id: ref }, query: 'referenceType=MERCHANT_REFERENCE_ID' });
    expect([found.status, found.json.status]).toEqual([200, 'FAILED']);
    const r = await send(appota, 'POST', CAPTURE, { params: { authorizationId: found.json.id }, body: { amount: 1000, currency: 'VND' } });
    expect([r.status, r.json.errorCode]).toEqual([400, 9]);
  });
});

describe('GET /credit-card/charge/{id}', () => {
  it('reads a charge by id and by merchantRefId, and refuses a missing one and an unknown referenceType', async () => {
    const tok = await createToken(appota);
    const made = await appota.call('POST', CHARGE, chargeBody(tok.tokenId));
    expect(made.status, made.body).toBe(200);
    const byId = await send(appota, 'GET', CHARGE_ID, { params: { id: made.json.id } });
    expect(byId.json).toEqual(made.json);
    const byRef = await send(appota, 'GET', CHARGE_ID, {
      params: { id: made.json.merchantRefId },
      query: 'referenceType=MERCHANT_REFERENCE_ID',
    });
    expect(byRef.json.id).toBe(made.json.id);
    const missing = await send(appota, 'GET', CHARGE_ID, { params: { id: '01HQHRS9P9J5YPCJ09D94VW84F' } });
    expect([missing.status, missing.json.errorCode]).toEqual([404, 14]);
    const foreign = await send(stranger, 'GET', CHARGE_ID, { params: { id: made.json.id } });
    expect([foreign.status, foreign.json.errorCode]).toEqual([404, 14]);
    const bad = await send(appota, 'GET', CHARGE_ID, { params: { id: made.json.id }, query: 'referenceType=ORDER_ID' });
    expect([bad.status, bad.json.errorCode, bad.json.errors?.[0]?.field]).toEqual([400, 1, 'referenceType']);
  });

  it('still reads a charge, card and all, after its token is deleted', async () => {
    const tok = await createToken(appota);
    const made = await appota.call('POST', CHARGE, chargeBody(tok.tokenId));
    const del = await appota.call('DELETE', `/credit-card/token/${tok.tokenId}?merchantRefId=${encodeURIComponent(tok.merchantRefId)}`);
    expect(del.status, del.body).toBe(200);
    const r = await send(appota, 'GET', CHARGE_ID, { params: { id: made.json.id } });
    expect(r.status, r.body).toBe(200);
    expect(r.json.card).toEqual(made.json.card);
  });
});

describe('DELETE /credit-card/token/{tokenId}', () => {
  it('deletes a real token and refuses a deleted, missing, foreign or misreferenced one as documented', async () => {
    const tok = await createToken(appota);
    const params = { tokenId: tok.tokenId };
    const query = `merchantRefId=${encodeURIComponent(tok.merchantRefId)}`;
    const longRef = await send(appota, 'DELETE', TOKEN_ID, { params, query: `merchantRefId=${'r'.repeat(41)}` });
    expect([longRef.status, longRef.json.errorCode, longRef.json.errors?.[0]?.field]).toEqual([400, 1, 'merchantRefId']);
    const noRef = await send(appota, 'DELETE', TOKEN_ID, { params });
    expect([noRef.status, noRef.json.errorCode, noRef.json.errors?.[0]?.field]).toEqual([400, 1, 'merchantRefId']);
    const foreign = await send(stranger, 'DELETE', TOKEN_ID, { params, query });
    expect([foreign.status, foreign.json.errorCode]).toEqual([403, 86]);
    const ok = await send(appota, 'DELETE', TOKEN_ID, { params, query });
    expect([ok.status, ok.json]).toEqual([200, { tokenId: tok.tokenId, merchantRefId: tok.merchantRefId, isDeleted: true }]);
    const again = await send(appota, 'DELETE', TOKEN_ID, { params, query });
    expect([again.status, again.json.errorCode]).toEqual([400, 109]);
    const missing = await send(appota, 'DELETE', TOKEN_ID, { params: { tokenId: '01hqhr4qqnk66d7tg3pk5md08c' }, query });
    expect([missing.status, missing.json.errorCode]).toEqual([404, 43]);
  });
});

/** A charge made with a fresh MULTIPLE token of `c`: captured, or only authorized. */
async function chargeOf(c: AppotaClient, capture: boolean, amount = 1000000): Promise<Json & { id: string }> {
  const tok = await createToken(c, { tokenType: 'MULTIPLE' });
  const made = await c.call('POST', CHARGE, chargeBody(tok.tokenId, { capture, amount }));
  expect(made.status, made.body).toBe(200);
  return made.json;
}

describe('POST /credit-card/refund and GET /credit-card/refund/{creditCardRefundId}', () => {
  it('refuses every mutant of the documented example, refunds with the example itself, and reads it back', async () => {
    const captured = await chargeOf(appota, true);
    const [example] = examplesOf('POST', REFUND) as [Json];
    const placeholder = refId('MUT');
    const real = { ...example, transactionId: captured.id, merchantRefId: placeholder };
    expect(await refusesEveryMutant('POST', REFUND, real, freshRef(placeholder, 'MUT'))).toBeGreaterThanOrEqual(5);
    const r = await send(appota, 'POST', REFUND, { body: real });
    expect([r.status, r.json.amount, r.json.status], r.body).toEqual([200, 1000000, 'success']);
    const byId = await send(appota, 'GET', REFUND_ID, { params: { creditCardRefundId: r.json.refundId } });
    expect(byId.json).toEqual(r.json);
    const byRef = await send(appota, 'GET', REFUND_ID, {
      params: { creditCardRefundId: placeholder },
      query: 'referenceType=MERCHANT_REFERENCE_ID',
    });
    expect(byRef.json).toEqual(r.json);
    const missing = await send(appota, 'GET', REFUND_ID, { params: { creditCardRefundId: '01HQJ41Q7135ZNJTKTWB92BTVH' } });
    expect([missing.status, missing.json.errorCode]).toEqual([404, 111]);
    const bad = await send(appota, 'GET', REFUND_ID, { params: { creditCardRefundId: r.json.refundId }, query: 'referenceType=ORDER_ID' });
    expect([bad.status, bad.json.errorCode]).toEqual([400, 1]);
  });

  it('answers its documented refusals: 4, 10, 11, 12, 45, 14', async () => {
    const refund = (transactionId: string, amount: number, merchantRefId = refId('RF')) =>
      send(appota, 'POST', REFUND, { body: { merchantRefId, transactionId, amount, currency: 'VND' } });
    const captured = await chargeOf(appota, true, 100000);
    const code = async (r: Promise<AppotaResponse>) => (await r).json.errorCode;
    expect(await code(refund(captured.id, 999))).toBe(45);
    expect(await code(refund(captured.id, 100001))).toBe(12);
    const ref = refId('RF');
    expect((await refund(captured.id, 50000, ref)).status).toBe(200);
    expect(await code(refund(captured.id, 1000, ref))).toBe(4);
    expect((await refund(captured.id, 50000)).status).toBe(200);
    expect(await code(refund(captured.id, 1000))).toBe(10);
    expect(await code(refund((await chargeOf(appota, false)).id, 1000))).toBe(11);
    const missing = await refund('01HQHRWBC773J6CJV9VRZMBXD2', 1000);
    expect([missing.status, missing.json.errorCode]).toEqual([404, 14]);
  });
});

describe('POST /credit-card/reversal and GET /credit-card/reversal/{creditCardReversalId}', () => {
  it('refuses every mutant of the documented example, reverses with the example itself, and reads it back', async () => {
    const auth = await chargeOf(appota, false);
    const [example] = examplesOf('POST', REVERSAL) as [Json];
    const placeholder = refId('MUT');
    const real = { ...example, authorizationId: auth.id, merchantRefId: placeholder };
    expect(await refusesEveryMutant('POST', REVERSAL, real, freshRef(placeholder, 'MUT'))).toBeGreaterThanOrEqual(3);
    const r = await send(appota, 'POST', REVERSAL, { body: real });
    expect([r.status, r.json.amount, r.json.status], r.body).toEqual([200, 1000000, 'success']);
    const byId = await send(appota, 'GET', REVERSAL_ID, { params: { creditCardReversalId: r.json.reversalId } });
    expect(byId.json).toEqual(r.json);
    const byRef = await send(appota, 'GET', REVERSAL_ID, {
      params: { creditCardReversalId: placeholder },
      query: 'referenceType=MERCHANT_REFERENCE_ID',
    });
    expect(byRef.json).toEqual(r.json);
    const missing = await send(appota, 'GET', REVERSAL_ID, { params: { creditCardReversalId: '01HQHS26CFK4CEGE2QW0PATV5B' } });
    expect([missing.status, missing.json.errorCode]).toEqual([404, 112]);
    expect((await send(appota, 'POST', REVERSAL, { body: { ...real, merchantRefId: refId('RV') } })).json.errorCode).toBe(115);
  });

  it('answers its documented refusals: 4, 116, 14', async () => {
    const reverse = (authorizationId: string, merchantRefId = refId('RV')) =>
      send(appota, 'POST', REVERSAL, { body: { merchantRefId, authorizationId } });
    const ref = refId('RV');
    expect((await reverse((await chargeOf(appota, false)).id, ref)).status).toBe(200);
    expect((await reverse((await chargeOf(appota, false)).id, ref)).json.errorCode).toBe(4);
    expect((await reverse((await chargeOf(appota, true)).id)).json.errorCode).toBe(116);
    const missing = await reverse('01HQHRZQNJE4BWRB8P9P5Z8BE7');
    expect([missing.status, missing.json.errorCode]).toEqual([404, 14]);
  });
});

/** A request to each operation that gets past the headers (the path names something; the body is valid). */
async function requestsFor(
  c: AppotaClient,
): Promise<{ method: Method; path: string; params: Record<string, string>; query?: string; body?: Json }[]> {
  const tok = await createToken(c);
  const made = await c.call('POST', CHARGE, chargeBody(tok.tokenId, { capture: false }));
  const captured = await chargeOf(c, true);
  const refunded = await c.call('POST', REFUND, { merchantRefId: refId('RF'), transactionId: captured.id, amount: 1000, currency: 'VND' });
  const reversed = await c.call('POST', REVERSAL, { merchantRefId: refId('RV'), authorizationId: (await chargeOf(c, false)).id });
  return [
    {
      method: 'POST',
      path: REFUND,
      params: {},
      body: { merchantRefId: refId('RF'), transactionId: captured.id, amount: 1000, currency: 'VND' },
    },
    { method: 'GET', path: REFUND_ID, params: { creditCardRefundId: refunded.json.refundId } },
    { method: 'POST', path: REVERSAL, params: {}, body: { merchantRefId: refId('RV'), authorizationId: made.json.id } },
    { method: 'GET', path: REVERSAL_ID, params: { creditCardReversalId: reversed.json.reversalId } },
    { method: 'POST', path: TOKEN, params: {}, body: tokenBody() },
    { method: 'DELETE', path: TOKEN_ID, params: { tokenId: tok.tokenId }, query: `merchantRefId=${encodeURIComponent(tok.merchantRefId)}` },
    { method: 'POST', path: CHARGE, params: {}, body: chargeBody(tok.tokenId) },
    { method: 'GET', path: CHARGE_ID, params: { id: made.json.id } },
    { method: 'POST', path: CAPTURE, params: { authorizationId: made.json.id }, body: { amount: 1000, currency: 'VND' } },
  ];
}

describe('what every operation answers alike', () => {
  it('401 without or with a bad JWT; 400 for a bad Language, X-Request-ID or X-Account-Ref-ID, a reused X-Request-ID, a body that is not JSON or too large', async () => {
    for (const r of await requestsFor(appota)) {
      const opts = { params: r.params, ...(r.query ? { query: r.query } : {}), ...(r.body ? { body: r.body } : {}) };
      const noAuth = await send(appota, r.method, r.path, { ...opts, omit: ['x-appotapay-auth'] });
      expect([noAuth.status, noAuth.json.errorCode]).toEqual([401, 401]);
      const badAuth = await send(appota, r.method, r.path, { ...opts, headers: { 'x-appotapay-auth': 'not.a.jwt' } });
      expect([badAuth.status, badAuth.json.errorCode]).toEqual([401, 401]);
      const lang = await send(appota, r.method, r.path, { ...opts, headers: { language: 'fr' } });
      expect([lang.status, lang.json.errorCode, lang.json.errors?.[0]?.field]).toEqual([400, 1, 'Language']);
      const reqId = await send(appota, r.method, r.path, { ...opts, headers: { 'x-request-id': 'not-a-uuid' } });
      expect([reqId.status, reqId.json.errorCode, reqId.json.errors?.[0]?.field]).toEqual([400, 1, 'X-Request-ID']);
      const account = await send(appota, r.method, r.path, { ...opts, headers: { 'x-account-ref-id': 'sub-account-1' } });
      expect([account.status, account.json.errorCode]).toEqual([400, 119]);
      // The same X-Request-ID twice: the second is refused whatever it asks (the first may succeed or not).
      const id = randomUUID();
      await appota.call(r.method, `${urlOf(r.path, r.params)}${r.query ? `?${r.query}` : ''}`, r.body, { headers: { 'x-request-id': id } });
      const dup = await send(appota, r.method, r.path, { ...opts, headers: { 'x-request-id': id } });
      expect([dup.status, dup.json.errorCode]).toEqual([400, 6]);
      if (r.method === 'POST') {
        const url = urlOf(r.path, r.params);
        const notJson = await appota.call('POST', url, undefined, { raw: '{"amount":' });
        conforms('POST', r.path, notJson);
        expect([notJson.status, notJson.json.errorCode, notJson.json.errors?.[0]?.field]).toEqual([400, 1, 'body']);
        const tooLarge = await appota.call('POST', url, undefined, {
          raw: JSON.stringify({ ...r.body, pad: 'x'.repeat(t.config.bodyLimit) }),
        });
        conforms('POST', r.path, tooLarge);
        expect([tooLarge.status, tooLarge.json.errorCode, tooLarge.json.errors?.[0]?.field]).toEqual([400, 1, 'body']);
      }
    }
  });

  it('answers a malformed URL with 400 errorCode 1 in the documented shape', async () => {
    const r = await t.app.inject({ method: 'GET', url: '/credit-card/charge/%E0%A4%A' });
    conforms('GET', CHARGE_ID, { status: r.statusCode, headers: r.headers, body: r.body });
    expect([r.statusCode, r.json().errorCode]).toEqual([400, 1]);
  });

  it('answers 429 on every operation once the client is locked out for failed authentications', async () => {
    const locked = await makeTestApp({ env: { TOKENVAULT_AUTH_FAILURE_LIMIT: '1', TOKENVAULT_AUTH_FAILURE_WINDOW_SECONDS: '86400' } });
    try {
      const c = appotaClient(locked, await createMerchant(locked, 'Locked-out merchant'));
      const requests = await requestsFor(c);
      // A wrong signature for this api_key: that (address, api_key) is locked out, right signatures included.
      expect((await c.call('POST', TOKEN, tokenBody(), { jwt: { key: 'not-the-secret-key' } })).status).toBe(401);
      for (const r of requests) {
        const opts = { params: r.params, ...(r.query ? { query: r.query } : {}), ...(r.body ? { body: r.body } : {}) };
        const answer = await send(c, r.method, r.path, opts);
        expect([answer.status, answer.json.errorCode]).toEqual([429, 429]);
        expect(Number(answer.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      }
    } finally {
      await locked.close();
    }
  });

  it('answers 503 errorCode 500 on every operation when the database is down', async () => {
    const down = await makeTestApp();
    try {
      const c = appotaClient(down, await createMerchant(down, 'Outage merchant'));
      const requests = await requestsFor(c);
      await down.vault.close();
      for (const r of requests) {
        const opts = { params: r.params, ...(r.query ? { query: r.query } : {}), ...(r.body ? { body: r.body } : {}) };
        const answer = await send(c, r.method, r.path, opts);
        expect([answer.status, answer.json.errorCode], answer.body).toEqual([503, 500]);
      }
    } finally {
      await down.close();
    }
  });

  it('answered every status each operation documents, and refused every mutant', () => {
    for (const [method, path] of OPERATIONS) {
      const documented = Object.keys(operationOf(doc, method, path).responses as Json).map(Number);
      const answered = [...(seen.get(`${method} ${path}`) ?? [])];
      expect(
        answered.sort((a, b) => a - b),
        `${method} ${path}`,
      ).toEqual(documented.sort((a, b) => a - b));
    }
    expect(counts.mutantsSent).toBeGreaterThan(100);
    expect(counts.mutantsRefused).toBe(counts.mutantsSent);
    console.info(`AppotaPay document: ${counts.mutantsSent} mutants sent, ${counts.mutantsRefused} refused`);
  });
});
