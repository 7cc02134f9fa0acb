/**
 * The 2C2P document holds: for every operation the documented example (the JSON inside the signed,
 * encrypted body) is accepted, under every documented content type; every one-change payload the schema
 * forbids is refused inside the envelope with a documented failure code (never accepted, never a 5xx);
 * every answer — 200 envelopes decrypted and checked against the documented payload, plain-text refusals
 * before a message is trusted, 429 lockout and rate limit — matches the documented response.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createMerchant, makeTestApp, type TestApp } from '../../helpers/harness.ts';
import {
  invalidExamples,
  mutants,
  type OpenApiDocument,
  operationOf,
  requestSchema,
  resolve,
  responseProblems,
  schemaErrors,
  servedDocument,
} from '../../helpers/openapi-conformance.ts';
import { buildRawRequest, buildRequest, openResponse, postRaw, setTwoc2pMerchantId, type Twoc2pClient, type Twoc2pOp } from './helpers.ts';

type Json = Record<string, unknown>;

const OPS: Twoc2pOp[] = ['add', 'update', 'get', 'delete'];
const pathOf = (op: Twoc2pOp) => `/customertoken/3.0/CustomerToken/${op}`;
/** The merchantID and token 2C2P prints in its examples (schemas.ts). */
const SEED_MERCHANT = '458458000000000';
const SEED_TOKEN = '261020155003189559';

let t: TestApp;
let doc: OpenApiDocument;
let c: Twoc2pClient;

beforeAll(async () => {
  t = await makeTestApp();
  const m = await createMerchant(t);
  // The examples name 2C2P's sample merchant: this merchant gets that merchantID, so they are sent as printed.
  c = await setTwoc2pMerchantId(t, m, SEED_MERCHANT);
  doc = await servedDocument(t.app, 'twoc2p');
});
afterAll(async () => {
  await t?.close();
});

/** The documented JSON inside the 200 answer of an operation. */
function answerPayloadSchema(op: Twoc2pOp): Json {
  const responses = operationOf(doc, 'POST', pathOf(op)).responses as Record<string, Json>;
  const content = responses['200']?.content as Record<string, Json>;
  const schema = resolve(doc, content['text/plain']?.schema) as Json;
  return schema['x-payload-schema'] as Json;
}

/** The responseCodes the document gives a refusal of an operation. */
function failureCodes(op: Twoc2pOp): string[] {
  const refused = (answerPayloadSchema(op).oneOf as Json[]).find((s) => s.title === 'Refused');
  const code = (refused?.properties as Record<string, Json> | undefined)?.responseCode;
  expect(code?.enum, `${op} documents its refusal codes`).toBeDefined();
  return code?.enum as string[];
}

function documentedExample(op: Twoc2pOp): Json {
  const examples = requestSchema(doc, 'POST', pathOf(op)).schema.examples as Json[];
  expect(examples?.length, `${op} documents a payload example`).toBeGreaterThan(0);
  return structuredClone(examples[0] as Json);
}

/** What each answer was checked against, counted so the test proves it checked something. */
const checked = { answers: 0, envelopes: 0 };
const mutantCount: Partial<Record<Twoc2pOp, number>> = {};

/** Signs and encrypts a payload as a 2C2P client does, posts it, checks the answer against the document and opens it. */
async function send(op: Twoc2pOp, payload: unknown, contentType = 'text/plain'): Promise<{ status: number; json: Json | null }> {
  const jws = await buildRequest(payload, c.vaultPublic, c.merchantPrivate);
  const res = await postRaw(t, op, contentType === 'application/json' ? JSON.stringify({ payload: jws }) : jws, contentType);
  return check(op, res);
}

async function check(
  op: Twoc2pOp,
  res: { statusCode: number; headers: Record<string, unknown>; body: string },
): Promise<{ status: number; json: Json | null }> {
  expect(responseProblems(doc, 'POST', pathOf(op), res), `${op} answered ${res.statusCode}`).toEqual([]);
  checked.answers++;
  if (res.statusCode !== 200) return { status: res.statusCode, json: null };
  const json = await openResponse(res.body, c.vaultPublic, c.merchantPrivate);
  expect(schemaErrors(answerPayloadSchema(op), json), `${op} envelope ${JSON.stringify(json)}`).toEqual([]);
  checked.envelopes++;
  return { status: 200, json };
}

/** A live token made from the documented add example. */
async function newToken(): Promise<string> {
  const r = await send('add', documentedExample('add'));
  expect(r.json?.responseCode).toBe('0000');
  return r.json?.token as string;
}

/** The documented example of an operation, with 2C2P's sample token replaced by a real one. */
async function sendableExample(op: Twoc2pOp): Promise<Json> {
  const example = documentedExample(op);
  if (op !== 'add') {
    expect(example.token).toBe(SEED_TOKEN);
    example.token = await newToken();
  }
  return example;
}

describe('the 2C2P document', () => {
  it('has four operations, each with an id, a summary, no HTTP-level security (the body is signed) and a 4xx answer; every example fits its schema', () => {
    const ops = Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ path, method, op })));
    expect(ops.map((o) => `${o.method} ${o.path}`).sort()).toEqual(OPS.map((op) => `post ${pathOf(op)}`).sort());
    // The credential is the signed body, which OpenAPI cannot name as a scheme: the document says so instead.
    expect(Object.keys((doc.components?.securitySchemes ?? {}) as Json)).toEqual([]);
    expect(String((doc as unknown as { info: { description: string } }).info.description)).toContain(
      'signed with PS256 by your merchant private key',
    );
    const ids = new Set<string>();
    for (const { path, op } of ops) {
      expect(typeof op.summary === 'string' && op.summary.length > 0, path).toBe(true);
      expect(typeof op.operationId, path).toBe('string');
      ids.add(op.operationId as string);
      expect(op.security, path).toEqual([]);
      const statuses = Object.keys(op.responses as Json);
      expect(
        statuses.some((s) => s.startsWith('4')),
        path,
      ).toBe(true);
      expect(statuses, path).toEqual(expect.arrayContaining(['200', '400', '429', '500', '503']));
    }
    expect(ids.size).toBe(OPS.length);
    expect(invalidExamples(doc)).toEqual([]);
  });

  it('documents the JSON inside every request and answer with examples that fit', () => {
    for (const op of OPS) {
      const payload = requestSchema(doc, 'POST', pathOf(op)).schema;
      expect(payload.type, op).toBe('object');
      for (const ex of payload.examples as unknown[]) expect(schemaErrors(payload, ex), op).toEqual([]);
      const answer = answerPayloadSchema(op);
      const examples = answer.examples as Json[];
      // A success and a refusal example.
      expect(examples.map((e) => e.responseCode === '0000')).toEqual([true, false]);
      for (const ex of examples) expect(schemaErrors(answer, ex), op).toEqual([]);
    }
  });
});

describe.each(OPS)('%s', (op) => {
  it('accepts the documented example, under every documented content type', async () => {
    const content = (operationOf(doc, 'POST', pathOf(op)).requestBody as Json).content as Json;
    const types = Object.keys(content);
    expect(types).toEqual(expect.arrayContaining(['text/plain', 'application/json']));
    for (const type of types) {
      const example = await sendableExample(op);
      const r = await send(op, example, type);
      expect(r.status, type).toBe(200);
      expect(r.json?.responseCode, `${type} ${JSON.stringify(r.json)}`).toBe('0000');
      expect(r.json?.merchantID).toBe(SEED_MERCHANT);
      if (op !== 'add') expect(r.json?.token).toBe(example.token);
    }
  });

  it('refuses every one-change payload the schema forbids, with a documented failure code', async () => {
    const { schema } = requestSchema(doc, 'POST', pathOf(op));
    const example = await sendableExample(op);
    const all = mutants(schema, example);
    // Each required field removed, each field mistyped, each bounded one too long, tokenProvider outside its enum, an unknown field.
    const required = (schema.required as string[]).length;
    const fields = Object.keys(example).length;
    expect(all.length).toBeGreaterThanOrEqual(required + fields + 1);
    const codes = failureCodes(op);
    for (const m of all) {
      const r = await send(op, m.body);
      expect(r.status, m.name).toBe(200);
      expect(codes, `${m.name}: ${JSON.stringify(r.json)}`).toContain(r.json?.responseCode);
    }
    // The token the mutants aimed at is untouched and alive (a mutant of delete deleted nothing).
    if (op !== 'add') expect((await send('get', { merchantID: SEED_MERCHANT, token: example.token })).json?.responseCode).toBe('0000');
    mutantCount[op] = all.length;
  });
});

/**
 * Values the schemas' patterns and formats forbid, which mutants() (lengths, types, enums, presence) does
 * not derive: each must be invalid by the document and refused by the server.
 */
const PATTERN_BREAKS: [Twoc2pOp, string, unknown][] = [
  ['add', 'merchantID', '458458-00000000'],
  ['add', 'accountIssuerCountry', 'sg'],
  ['add', 'accountIssuerCountry', 'S'],
  ['add', 'accountCurrency', 'sgd'],
  ['add', 'name', 'Terrance\n'],
  ['add', 'email', 'terrance\u0007@example.com'],
  ['add', 'accountIssuer', 'UOB\tBank'],
  ['add', 'expiry', '2029/02/01'],
  ['add', 'expiry', '2029-2-1'],
  ['add', 'accountNo', ''],
  ['update', 'token', '26102015500318955!'],
  ['update', 'name', ''],
  ['update', 'accountCurrency', 'MY'],
  ['get', 'token', 'a token'],
  ['get', 'token', ''],
  ['delete', 'merchantID', ''],
];

describe('values the patterns forbid', () => {
  it.each(PATTERN_BREAKS)('%s with %s = %j is invalid by the document and refused', async (op, field, value) => {
    const { schema } = requestSchema(doc, 'POST', pathOf(op));
    const body = { ...(await sendableExample(op)), [field]: value };
    expect(schemaErrors(schema, body)).not.toEqual([]);
    const r = await send(op, body);
    expect(failureCodes(op), JSON.stringify(r.json)).toContain(r.json?.responseCode);
  });
});

describe('answers on real and missing tokens', () => {
  it('get and delete a real token, then the same token deleted, and a token that never existed: each answer documented', async () => {
    const token = await newToken();
    const got = await send('get', { merchantID: SEED_MERCHANT, token });
    expect(got.json).toMatchObject({ token, responseCode: '0000' });
    const deleted = await send('delete', { merchantID: SEED_MERCHANT, token });
    expect(deleted.json).toMatchObject({ token, responseCode: '0000' });
    for (const op of ['get', 'update', 'delete'] as const) {
      for (const missing of [token, '999999999999999999']) {
        const payload =
          op === 'update'
            ? { merchantID: SEED_MERCHANT, token: missing, name: 'Terrance', expiry: '2099-12-31' }
            : { merchantID: SEED_MERCHANT, token: missing };
        const r = await send(op, payload);
        expect(r.json, `${op} ${missing}`).toEqual({
          merchantID: SEED_MERCHANT,
          token: missing,
          responseCode: '9040',
          responseDesc: 'Token is invalid',
        });
      }
    }
  });

  it('a payload that is not a JSON object, and another merchant’s merchantID: refused in the envelope, as documented', async () => {
    const notJson = await buildRawRequest('[1,2]', c.vaultPublic, c.merchantPrivate);
    const r = await check('get', await postRaw(t, 'get', notJson));
    expect(r.json).toMatchObject({ merchantID: '', responseCode: '9004' });
    const foreign = await send('add', { ...documentedExample('add'), merchantID: '458458000000001' });
    expect(foreign.json).toMatchObject({ merchantID: '458458000000001', responseCode: '9007' });
  });

  it('refusals before a message is trusted are the documented plain-text 400', async () => {
    const other = await setTwoc2pMerchantId(t, await createMerchant(t, 'Other'), '458458000000002');
    const forged = await buildRequest(documentedExample('get'), c.vaultPublic, other.merchantPrivate);
    const cases: [string, string][] = [
      ['', 'text/plain'],
      ['not a jws', 'text/plain'],
      ['a.b.c', 'text/plain'],
      ['{"payload": 7}', 'application/json'],
      ['{"payload"', 'application/json'],
      ['<x/>', 'application/xml'],
      // Signed by a merchant key, but encrypted to another merchant's vault key.
      [forged, 'text/plain'],
    ];
    for (const [body, type] of cases) {
      const res = await postRaw(t, 'get', body, type);
      expect(res.statusCode, `${type} ${body.slice(0, 20)}`).toBe(400);
      expect(res.body).toBe('Invalid request');
      await check('get', res);
    }
  });
});

describe('limits', () => {
  it('a locked-out client and a merchant over its rate get the documented 429 with Retry-After', async () => {
    const limited = await makeTestApp({
      // A 2C2P message names its signer only once verified: its lockout is the address ceiling (issue 19), set low here.
      env: {
        TOKENVAULT_AUTH_FAILURE_LIMIT: '2',
        TOKENVAULT_AUTH_FAILURE_ADDRESS_LIMIT: '2',
        TOKENVAULT_RATE_LIMIT_PER_SECOND: '1',
        TOKENVAULT_RATE_LIMIT_BURST: '1',
      },
    });
    try {
      const m = await createMerchant(limited);
      const lc = await setTwoc2pMerchantId(limited, m, SEED_MERCHANT);
      const signed = () => buildRequest({ merchantID: SEED_MERCHANT, token: SEED_TOKEN }, lc.vaultPublic, lc.merchantPrivate);
      const ratedAnswers = [];
      for (let i = 0; i < 3; i++) ratedAnswers.push(await postRaw(limited, 'get', await signed()));
      const rated = ratedAnswers.find((r) => r.statusCode === 429);
      expect(rated?.body).toBe('Too many requests');
      expect(Number(rated?.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      if (rated) await check('get', rated);

      for (let i = 0; i < 2; i++) expect((await postRaw(limited, 'add', 'a.b.c')).statusCode).toBe(400);
      const locked = await postRaw(limited, 'add', await signed());
      expect(locked.statusCode).toBe(429);
      expect(Number(locked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      await check('add', locked);
    } finally {
      await limited.close();
    }
  });
});

describe('the database unavailable, and an internal error', () => {
  it('a database that refuses connections: the documented 503 Service unavailable with Retry-After', async () => {
    const signed = await buildRequest({ merchantID: SEED_MERCHANT, token: SEED_TOKEN }, c.vaultPublic, c.merchantPrivate);
    // The error the PostgreSQL driver raises when the server is down, at the first read of a verified request.
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const spy = vi.spyOn(t.vault.merchants, 'gatewayCredentialState').mockRejectedValue(refused);
    try {
      const res = await postRaw(t, 'get', signed);
      expect(spy).toHaveBeenCalled();
      expect(res.statusCode).toBe(503);
      expect(res.body).toBe('Service unavailable');
      expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      await check('get', res);
    } finally {
      spy.mockRestore();
    }
    expect((await postRaw(t, 'get', signed)).statusCode).toBe(200);
  });

  it('a store closed under the app: the documented plain-text 500, saying nothing more', async () => {
    const down = await makeTestApp();
    try {
      const dc = await setTwoc2pMerchantId(down, await createMerchant(down), SEED_MERCHANT);
      const signed = () => buildRequest({ merchantID: SEED_MERCHANT, token: SEED_TOKEN }, dc.vaultPublic, dc.merchantPrivate);
      // The merchant's keys are loaded by a first request; then the store is closed.
      expect((await postRaw(down, 'get', await signed())).statusCode).toBe(200);
      await down.vault.close();
      const res = await postRaw(down, 'get', await signed());
      expect(res.statusCode).toBe(500);
      expect(res.body).toBe('Internal error');
      await check('get', res);
    } finally {
      await down.close();
    }
  });
});

describe('counts', () => {
  it('checked every answer against the document', () => {
    expect(Object.keys(mutantCount).sort()).toEqual([...OPS].sort());
    expect(checked.answers).toBeGreaterThan(checked.envelopes);
    expect(checked.envelopes).toBeGreaterThan(Object.values(mutantCount).reduce((a, b) => a + (b ?? 0), 0));
    console.info(`2C2P document: mutants sent and refused ${JSON.stringify(mutantCount)}; answers checked ${checked.answers}`);
  });
});
