/**
 * The OPay document (/openapi/opay.json) against the gateway that serves it: every documented request
 * example is accepted, every one-change request the request schema forbids is refused in OPay's envelope
 * (HTTP 200, code 99, data null), and every answer (accepted, refused, unauthenticated, over a limit, the
 * database gone) matches the response the document gives for its status.
 */
import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiOf } from '../../../src/api/guard.ts';
import { registeredRoutes } from '../../../src/api/openapi.ts';
import { createMerchant, makeTestApp, type TestApp } from '../../helpers/harness.ts';
import {
  invalidExamples,
  type Mutant,
  mutants,
  type OpenApiDocument,
  operationOf,
  requestSchema,
  responseProblems,
  schemaErrors,
  servedDocument,
} from '../../helpers/openapi-conformance.ts';
import { hmacHex, sortedJson } from './helpers.ts';

type Json = Record<string, unknown>;
type Op = 'create' | 'query' | 'delete';
const OPS: Op[] = ['create', 'query', 'delete'];
const PATH = (op: Op) => `/api/v1/international/token/${op}`;

let t: TestApp;
let doc: OpenApiDocument;
let merchantId: string;
let secretKey: string;

// Unique per run, so a shared PostgreSQL database cannot make a reference collide.
const run = randomUUID().slice(0, 8);
let seq = 0;
const freshReference = () => `oa-${run}-${++seq}`;

/** Answers checked against the document, by operation, for the final tally. */
const sent = { examples: 0, mutants: 0, refused: 0 };

async function post(op: Op, body: unknown, opts: { raw?: string; headers?: Record<string, string> } = {}): Promise<LightMyRequestResponse> {
  const text = opts.raw ?? sortedJson(body);
  return t.app.inject({
    method: 'POST',
    url: PATH(op),
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${hmacHex(secretKey, text)}`,
      merchantid: merchantId,
      ...opts.headers,
    },
    payload: text,
  });
}

/** The answer matches the documented response for its status. */
function expectDocumented(op: Op, r: LightMyRequestResponse): void {
  expect(responseProblems(doc, 'POST', PATH(op), r), `${op} ${r.statusCode} ${r.body}`).toEqual([]);
}

/** The documented request examples of an operation, by name. */
function examplesOf(op: Op): [string, Json][] {
  const content = (operationOf(doc, 'POST', PATH(op)).requestBody as Json).content as Record<string, Json>;
  const media = content['application/json'] as Json;
  const named = Object.entries((media.examples as Record<string, { value: Json }> | undefined) ?? {}).map(
    ([name, e]) => [name, e.value] as [string, Json],
  );
  return media.example !== undefined ? [['example', media.example as Json], ...named] : named;
}

/** A token made for the test through the documented create example (fresh reference). */
async function makeToken(customerId?: string): Promise<string> {
  const [[, example]] = examplesOf('create') as [[string, Json]];
  const body: Json = { ...structuredClone(example), reference: freshReference() };
  if (customerId) body.customerInfo = { ...(body.customerInfo as Json), customerId };
  const r = await post('create', body);
  expect(r.json().code, r.body).toBe('00000');
  return r.json().data.opayToken;
}

/**
 * Makes an example (or a mutant of it) sendable: a fresh reference for create, and the real token of an
 * object made first instead of the published one. Only values equal to the example's are replaced, so a
 * mutated field stays as the mutant has it.
 */
function substitute(op: Op, example: Json, body: unknown, ids: { token: string }): unknown {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return body;
  const b = structuredClone(body) as Json;
  if (op === 'create' && b.reference === example.reference) b.reference = freshReference();
  if ((op === 'query' || op === 'delete') && b.opayToken === example.opayToken && typeof b.opayToken === 'string') b.opayToken = ids.token;
  return b;
}

/**
 * Wrong types for the fields that admit two (`["string", "null"]`, `["object", "null"]`), which `mutants`
 * leaves alone: a number for a string, a string for an object. Each confirmed invalid by the schema.
 */
function multiTypeMutants(schema: Json, example: unknown): Mutant[] {
  const out: Mutant[] = [];
  const walk = (s: Json | undefined, value: unknown, path: string[]) => {
    if (!s || value === null || typeof value !== 'object' || Array.isArray(value)) return;
    const props = (s.properties ?? {}) as Record<string, Json>;
    for (const [k, v] of Object.entries(value as Json)) {
      const child = props[k];
      if (!child) continue;
      if (Array.isArray(child.type)) {
        const wrong = child.type.includes('string') ? 12345 : 'x';
        const body = structuredClone(example) as Json;
        let node = body;
        for (const p of path) node = node[p] as Json;
        node[k] = wrong;
        out.push({ name: `${[...path, k].join('.')} as ${typeof wrong === 'number' ? 'a number' : 'a string'}`, body });
      }
      walk(child, v, [...path, k]);
    }
  };
  walk(schema, example, []);
  return out.filter((m) => schemaErrors(schema, m.body).length > 0);
}

beforeAll(async () => {
  t = await makeTestApp();
  const m = await createMerchant(t, 'OPay OpenAPI merchant');
  const g = (m.credentials.gateways as Record<string, Record<string, string>>).opay as Record<string, string>;
  merchantId = g.merchantId as string;
  secretKey = g.secretKey as string;
  doc = await servedDocument(t.app, 'opay');
});
afterAll(() => t.close());

describe('the OPay document', () => {
  it('gives only examples its own schemas accept', () => {
    expect(invalidExamples(doc)).toEqual([]);
  });

  it('documents every OPay route the app registers, and nothing else', () => {
    const registered = registeredRoutes(t.app)
      .filter((r) => apiOf(r.url) === 'opay' && r.method !== 'HEAD')
      .map((r) => `${r.method} ${r.url}`)
      .sort();
    const documented = Object.entries(doc.paths)
      .flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`))
      .sort();
    expect(registered).toEqual(OPS.map((op) => `POST ${PATH(op)}`).sort());
    expect(documented).toEqual(registered);
    expect(registeredRoutes(t.app).filter((r) => apiOf(r.url) === 'opay' && r.hidden)).toEqual([]);
  });

  it('gives every operation a unique operationId, a summary, both credentials and its refusals', () => {
    const schemes = Object.keys((doc.components as { securitySchemes: Json }).securitySchemes);
    expect(schemes.sort()).toEqual(['opayMerchantId', 'opaySignature']);
    const ids = new Set<string>();
    for (const op of OPS) {
      const o = operationOf(doc, 'POST', PATH(op));
      expect(typeof o.operationId).toBe('string');
      ids.add(o.operationId as string);
      expect(String(o.summary ?? '').length).toBeGreaterThan(0);
      expect(o.security).toEqual([{ opayMerchantId: [], opaySignature: [] }]);
      const responses = o.responses as Record<string, Json>;
      // Outcomes are HTTP 200 in OPay's envelope: the 200 documents the refusal envelope beside success.
      const ok = ((responses['200']?.content ?? {}) as Record<string, { schema?: Json }>)['application/json']?.schema ?? {};
      const refusal = ((ok.anyOf ?? []) as Json[]).find((s) => schemaErrors(s, { code: '99', message: 'x', data: null }).length === 0);
      expect(refusal, `${op}: a 200 refusal envelope`).toBeDefined();
      expect(
        Object.keys(responses)
          .filter((s) => s.startsWith('4'))
          .sort(),
      ).toEqual(['400', '413', '415', '429']);
      expect(
        Object.keys(responses)
          .filter((s) => s.startsWith('5'))
          .sort(),
      ).toEqual(['500', '503']);
    }
    expect(ids.size).toBe(OPS.length);
  });
});

describe('requests: the documented examples are accepted, every mutant the schema forbids is refused', () => {
  const ids = { token: '' };

  beforeAll(async () => {
    ids.token = await makeToken();
  });

  for (const op of OPS) {
    it(`${op}: each example is accepted and answered as documented`, async () => {
      const examples = examplesOf(op);
      expect(examples.length).toBeGreaterThan(0);
      for (const [name, example] of examples) {
        // A delete consumes its token: each example deletes one made for it.
        if (op === 'delete') ids.token = await makeToken();
        const r = await post(op, substitute(op, example, example, ids));
        sent.examples++;
        expect(r.statusCode, `${op} ${name}`).toBe(200);
        expect(r.json().code, `${op} ${name}: ${r.body}`).toBe('00000');
        expectDocumented(op, r);
      }
    });

    it(`${op}: every mutant is refused with 99 in the envelope, as documented`, async () => {
      const { mediaType, schema } = requestSchema(doc, 'POST', PATH(op));
      expect(mediaType).toBe('application/json');
      let count = 0;
      for (const [name, example] of examplesOf(op)) {
        for (const m of [...mutants(schema, example), ...multiTypeMutants(schema, example)]) {
          if (op === 'delete') ids.token = await makeToken();
          const r = await post(op, substitute(op, example, m.body, ids));
          sent.mutants++;
          count++;
          expect(r.statusCode, `${op} ${name}: ${m.name}`).toBe(200);
          const answer = r.json();
          expect(answer.code, `${op} ${name}: ${m.name}: ${r.body}`).toBe('99');
          expect(answer.data).toBeNull();
          sent.refused++;
          expectDocumented(op, r);
        }
      }
      // Each operation has required or bounded fields and forbids unknown ones.
      expect(count).toBeGreaterThanOrEqual(3);
    });
  }

  it('query: the bodies the schema forbids that are not one change from an example are refused too', async () => {
    const { schema } = requestSchema(doc, 'POST', PATH('query'));
    for (const body of [
      {},
      { opayToken: ids.token, customerId: '121111113' },
      { opayToken: ids.token, customerId: null },
      { opayToken: ids.token, customerId: '' },
      { opayToken: null, customerId: '121111113' },
      { opayToken: '' },
      { customerId: 'x\u0001' },
    ]) {
      expect(schemaErrors(schema, body), JSON.stringify(body)).not.toEqual([]);
      const r = await post('query', body);
      expect(r.json().code, JSON.stringify(body)).toBe('99');
      expectDocumented('query', r);
    }
  });

  it('create: optional fields sent as null or "" are accepted as absent, as the schema admits', async () => {
    const [[, example]] = examplesOf('create') as [[string, Json]];
    const { schema } = requestSchema(doc, 'POST', PATH('create'));
    for (const blank of [null, '']) {
      const body: Json = {
        ...structuredClone(example),
        reference: freshReference(),
        cvv: blank,
        cardHolderName: blank,
        customerInfo: { customerId: `blank-${run}-${String(blank)}`, customerName: blank, customerEmail: blank, customerMobile: blank },
      };
      expect(schemaErrors(schema, body)).toEqual([]);
      const r = await post('create', body);
      expect(r.json().code, r.body).toBe('00000');
      expect(r.json().data.customerInfo).toEqual({
        customerId: `blank-${run}-${String(blank)}`,
        customerName: '',
        customerEmail: '',
        customerMobile: '',
      });
      expectDocumented('create', r);
    }
    const none = await post('create', { ...structuredClone(example), reference: freshReference(), customerInfo: null });
    expect(none.json().code, none.body).toBe('00000');
    expect(none.json().data.customerInfo).toBeNull();
    expectDocumented('create', none);
  });

  it('create: a card refused for what it is (expired, Luhn, CVV for its brand, duplicate reference) is answered as documented', async () => {
    const [[, example]] = examplesOf('create') as [[string, Json]];
    const base = () => ({ ...structuredClone(example), reference: freshReference() });
    const cases: [Json, string][] = [
      [{ ...base(), expiryYear: '20' }, '54'],
      [{ ...base(), cardNumber: '4508750000077412' }, '99'],
      [{ ...base(), cvv: '1000' }, '99'],
    ];
    const dup = base();
    expect((await post('create', dup)).json().code).toBe('00000');
    // Another request reusing the reference (the same body again would be a replay, answered the first answer).
    cases.push([{ ...dup, cardHolderName: 'Someone Else' }, '20000']);
    for (const [body, code] of cases) {
      const r = await post('create', body);
      expect(r.json().code, r.body).toBe(code);
      expectDocumented('create', r);
    }
  });
});

describe('every other answer matches the document', () => {
  it('a missing token: query and delete answer 20001; an unknown customer 20002', async () => {
    const missing = 'OPAY_TOKEN_00000000000000000000000000000000';
    for (const [op, body, code] of [
      ['query', { opayToken: missing }, '20001'],
      ['delete', { opayToken: missing }, '20001'],
      ['query', { customerId: `nobody-${run}` }, '20002'],
    ] as [Op, Json, string][]) {
      const r = await post(op, body);
      expect(r.statusCode).toBe(200);
      expect(r.json().code).toBe(code);
      expectDocumented(op, r);
    }
  });

  it('authentication refusals (98, 10001) on every operation', async () => {
    const body = { opayToken: 'OPAY_TOKEN_00000000000000000000000000000000' };
    for (const op of OPS) {
      const cases: [Record<string, string>, string][] = [
        [{ authorization: 'nope' }, '98'],
        [{ merchantid: 'abc' }, '98'],
        [{ authorization: `Bearer ${'0'.repeat(128)}` }, '10001'],
        [{ merchantid: '999999999999999' }, '10001'],
      ];
      for (const [headers, code] of cases) {
        const r = await post(op, body, { headers });
        expect(r.statusCode).toBe(200);
        expect(r.json().code).toBe(code);
        expectDocumented(op, r);
      }
    }
  });

  it('a body that is not JSON, or not an object, is 99 in the envelope', async () => {
    for (const op of OPS) {
      for (const raw of ['{"opayToken":', '[]', '"x"', '']) {
        const r = await post(op, undefined, { raw });
        expect(r.statusCode).toBe(200);
        expect(r.json().code, raw).toBe('99');
        expectDocumented(op, r);
      }
    }
  });

  it('415 for a body that is not application/json, 413 for one over the limit, 400 for a malformed URL', async () => {
    for (const op of OPS) {
      const plain = await post(op, { opayToken: 'x' }, { headers: { 'content-type': 'text/plain' } });
      expect(plain.statusCode).toBe(415);
      expect(plain.json().code).toBe('99');
      expectDocumented(op, plain);

      const big = await post(op, undefined, { raw: JSON.stringify({ opayToken: 'x'.repeat(t.config.bodyLimit) }) });
      expect(big.statusCode).toBe(413);
      expect(big.json().code).toBe('99');
      expectDocumented(op, big);
    }
    const bad = await t.app.inject({
      method: 'POST',
      url: `${PATH('query')}%zz`,
      payload: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('99');
    // The URL is not the operation's, but the answer is the one every operation documents for 400.
    expectDocumented('query', bad);
  });
});

describe('limits and outages match the document', () => {
  it('429 with Retry-After over the merchant’s rate, and for an address locked out after failed authentications', async () => {
    const limited = await makeTestApp({
      env: { TOKENVAULT_RATE_LIMIT_PER_SECOND: '1', TOKENVAULT_RATE_LIMIT_BURST: '1', TOKENVAULT_AUTH_FAILURE_LIMIT: '2' },
    });
    try {
      const g = ((await createMerchant(limited, 'OPay limited')).credentials.gateways as Record<string, Record<string, string>>)
        .opay as Record<string, string>;
      const send = (headers: Record<string, string> = {}, ip?: string) => {
        const text = sortedJson({ opayToken: 'OPAY_TOKEN_00000000000000000000000000000000' });
        return limited.app.inject({
          method: 'POST',
          url: PATH('query'),
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${hmacHex(g.secretKey as string, text)}`,
            merchantid: g.merchantId as string,
            ...headers,
          },
          payload: text,
          ...(ip ? { remoteAddress: ip } : {}),
        });
      };
      const first = await send();
      expect(first.json().code).toBe('20001');
      const over = await send();
      expect(over.statusCode).toBe(429);
      expect(over.json().code).toBe('10002');
      expect(Number(over.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expectDocumented('query', over);

      // Another address: two bad signatures lock it out, then even a good request is 429.
      const ip = '203.0.113.7';
      for (let i = 0; i < 2; i++) expect((await send({ authorization: `Bearer ${'0'.repeat(128)}` }, ip)).json().code).toBe('10001');
      const locked = await send({}, ip);
      expect(locked.statusCode).toBe(429);
      expect(locked.json().code).toBe('10002');
      expect(Number(locked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expectDocumented('query', locked);
    } finally {
      await limited.close();
    }
  });

  it('503 with Retry-After when the database is unavailable, 500 for an internal error: code 90 in the envelope', async () => {
    // The credential check reads the database on every request: make that read fail, the way a lost
    // connection fails (503) and the way a bug fails (500).
    const merchants = t.vault.merchants as { gatewayCredentialState: (...a: unknown[]) => Promise<unknown> };
    const real = merchants.gatewayCredentialState;
    const body = { opayToken: 'OPAY_TOKEN_00000000000000000000000000000000' };
    try {
      merchants.gatewayCredentialState = async () => {
        throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
      };
      for (const op of OPS) {
        const r = await post(op, body);
        expect(r.statusCode).toBe(503);
        expect(r.json().code).toBe('90');
        expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
        expectDocumented(op, r);
      }
      merchants.gatewayCredentialState = async () => {
        throw new Error('an unexpected failure');
      };
      for (const op of OPS) {
        const r = await post(op, body);
        expect(r.statusCode).toBe(500);
        expect(r.json().code).toBe('90');
        expect(r.body).not.toContain('unexpected failure');
        expectDocumented(op, r);
      }
    } finally {
      merchants.gatewayCredentialState = real;
    }
    expect((await post('query', body)).json().code).toBe('20001');
  });
});

describe('tally', () => {
  it('sent every example and refused every mutant', () => {
    expect(sent.examples).toBeGreaterThanOrEqual(4);
    expect(sent.refused).toBe(sent.mutants);
    expect(sent.mutants).toBeGreaterThan(0);
    console.info(`OPay document: ${sent.examples} examples accepted, ${sent.mutants} mutants sent, ${sent.refused} refused`);
  });
});
