/**
 * Property-based fuzzing of the native REST API (/v1/…, ops and docs routes). Two layers per route:
 * garbage (random methods, paths, queries, headers, content types and bodies, oversized bodies, broken
 * bearer tokens) and authenticated (a correctly authenticated request whose path, query, headers or JSON
 * body is mutated from a valid one, so the fuzz reaches validation and the vault). Oracles: never a 5xx,
 * every refusal is problem+json, no stack trace or card number in a body, and a refusal writes nothing.
 */

import type { LightMyRequestResponse } from 'fastify';
import { exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll } from 'vitest';
import { publishableKey } from '../api/elements/helpers.ts';
import {
  ADMIN_TOKEN,
  type Client,
  client,
  createCustomer,
  createMerchant,
  futureYear,
  rememberSecret,
  type TestApp,
  type TestMerchant,
  tokenize,
  VISA,
} from '../helpers/harness.ts';
import { ROUTES } from './corpus.ts';
import {
  assertAsync,
  BODY_LIMIT,
  type CaseOf,
  type CaseRunner,
  caseRunner,
  checkProblem,
  contentType,
  corrupt,
  DEEP,
  describeApiFuzz,
  describeKnown,
  fc,
  fcParams,
  fill,
  fingerprinter,
  garbageBody,
  garbageHeaders,
  heapMb,
  jsonOf,
  type Mutation,
  makeFuzzApp,
  mutate,
  mutationsArb,
  nastyString,
  newStats,
  paramNames,
  pathText,
  pct,
  query,
  type Sent,
  ShapeError,
  secretsIn,
  type TokenCorruption,
  toJson,
  tokenCorruption,
} from './support.ts';

let t: TestApp;
let m: TestMerchant;
let other: TestMerchant;
let c: Client;
let readKey: string;
let revokedKey: string;
let runner: CaseRunner;
let heapAtStart = 0;
const stats = newStats('native');

interface Fixtures {
  customer: string;
  card: string;
  address: string;
  payment: string;
  otherCard: string;
  otherCustomer: string;
  victimMerchant: string;
  revokableKeyId: string;
  twoc2pPem: string;
  mlePem: string;
  rsaJwk: Record<string, unknown>;
  ecJwk: Record<string, unknown>;
  /** A publishable key of `m` for SHOP. */
  pk: string;
}
let fx: Fixtures;

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const SHOP = 'https://shop.example';
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const exp = { expMonth: 12, expYear: futureYear() };

async function newCard(body: Record<string, unknown> = {}): Promise<string> {
  runner.dirty();
  return (await tokenize(c, { customer: fx.customer, ...body })).token as string;
}

async function newPayment(capture: boolean, number = VISA): Promise<string> {
  runner.dirty();
  const token = await newCard({ number, customer: undefined });
  const res = await c.post('/v1/payments', { token, amount: 1000, currency: 'USD', capture });
  if (res.statusCode !== 201) throw new Error(`payment failed: ${res.statusCode} ${res.body}`);
  return res.json().id as string;
}

beforeAll(async () => {
  t = await makeFuzzApp();
  m = await createMerchant(t, 'Fuzz merchant');
  other = await createMerchant(t, 'Other merchant');
  const victim = await createMerchant(t, 'Victim merchant');
  c = client(t, m.apiKey);
  const key = async (scopes: string[]) => {
    const res = await t.app.inject({ method: 'POST', url: `/v1/admin/merchants/${m.id}/api-keys`, headers: admin, payload: { scopes } });
    const body = res.json();
    rememberSecret(body.apiKey);
    return body as { id: string; apiKey: string };
  };
  readKey = (await key(['read'])).apiKey;
  const revoked = await key(['read', 'write']);
  revokedKey = revoked.apiKey;
  await t.app.inject({ method: 'DELETE', url: `/v1/admin/merchants/${m.id}/api-keys/${revoked.id}`, headers: admin });
  const customer = (await createCustomer(c, { customerId: 'fuzz-1', name: 'Ada' })).id as string;
  const card = (await tokenize(c, { customer, cvv: '739' })).token as string;
  const addrRes = await c.post(`/v1/customers/${customer}/addresses`, { address: { line1: '1 Main St', city: 'London', country: 'GB' } });
  const oc = client(t, other.apiKey);
  const g = m.credentials.gateways as Record<string, Record<string, string>>;
  const rsa = await generateKeyPair('RSA-OAEP-256', { extractable: true });
  const ec = await generateKeyPair('ECDH-ES+A256KW', { extractable: true, crv: 'P-256' });
  fx = {
    customer,
    card,
    address: addrRes.json().id,
    payment: '',
    otherCard: (await tokenize(oc)).token,
    otherCustomer: (await createCustomer(oc)).id,
    victimMerchant: victim.id,
    revokableKeyId: (await key(['read'])).id,
    twoc2pPem: (g.twoc2p as Record<string, string>).vaultPublicKeyPem as string,
    mlePem: (await (async () => {
      const { publicKey } = await generateKeyPair('RSA-OAEP-256', { extractable: true });
      const { exportSPKI } = await import('jose');
      return exportSPKI(publicKey);
    })()) as string,
    rsaJwk: (await exportJWK(rsa.publicKey)) as Record<string, unknown>,
    ecJwk: (await exportJWK(ec.publicKey)) as Record<string, unknown>,
    pk: (await publishableKey(t, m.id, [SHOP])).key,
  };
  runner = caseRunner(stats, await fingerprinter(t));
  fx.payment = await newPayment(false);
  heapAtStart = heapMb();
}, 120_000);

afterAll(() => t.close());

// ---------------------------------------------------------------------------------------------------
// What a valid request of each route looks like

interface Spec {
  auth: 'key' | 'admin' | 'none';
  /** Valid path parameters; may create a fresh fixture (for routes that consume or destroy what they touch). */
  params?: () => Promise<Record<string, string>> | Record<string, string>;
  query?: () => Record<string, string>;
  body?: () => Promise<unknown> | unknown;
  headers?: () => Record<string, string>;
  /** Cases of the authenticated layer (the garbage layer runs GARBAGE_RUNS for every route). */
  runs: number;
}

const pemOf = async () => fx.mlePem;

const SPECS: Record<string, Spec> = {
  'GET /docs': { auth: 'none', runs: 3 },
  'GET /docs/': { auth: 'none', runs: 3 },
  'GET /docs/static/index.html': { auth: 'none', runs: 3 },
  'GET /docs/static/swagger-initializer.js': { auth: 'none', runs: 3 },
  'GET /docs/*': { auth: 'none', params: () => ({ '*': 'static/swagger-ui.css' }), runs: 10 },
  'GET /docs/json': { auth: 'none', runs: 3 },
  'GET /docs/yaml': { auth: 'none', runs: 3 },
  'GET /openapi.json': { auth: 'none', runs: 3 },
  'GET /openapi/native.json': { auth: 'none', runs: 3 },
  'GET /openapi/twoc2p.json': { auth: 'none', runs: 3 },
  'GET /openapi/cybersource.json': { auth: 'none', runs: 3 },
  'GET /openapi/alliancepay.json': { auth: 'none', runs: 3 },
  'GET /openapi/opay.json': { auth: 'none', runs: 3 },
  'GET /openapi/appotapay.json': { auth: 'none', runs: 3 },
  'GET /openapi/ops.json': { auth: 'none', runs: 3 },
  'GET /healthz': { auth: 'none', runs: 3 },
  'GET /readyz': { auth: 'none', runs: 3 },
  'GET /metrics': { auth: 'none', runs: 3 },
  'POST /v1/admin/merchants': { auth: 'admin', body: () => ({ name: '' }), runs: 25 },
  'GET /v1/admin/merchants': { auth: 'admin', query: () => ({ limit: '2', after: m.id }), runs: 25 },
  'GET /v1/admin/merchants/:id': { auth: 'admin', params: () => ({ id: m.id }), runs: 20 },
  'DELETE /v1/admin/merchants/:id': { auth: 'admin', params: () => ({ id: fx.victimMerchant }), runs: 20 },
  'POST /v1/admin/merchants/:id/api-keys': {
    auth: 'admin',
    params: () => ({ id: m.id }),
    body: () => ({ scopes: ['read'], label: 'fuzz' }),
    runs: 40,
  },
  'DELETE /v1/admin/merchants/:id/api-keys/:keyId': {
    auth: 'admin',
    params: async () => {
      runner.dirty();
      const res = await t.app.inject({
        method: 'POST',
        url: `/v1/admin/merchants/${m.id}/api-keys`,
        headers: admin,
        payload: { scopes: ['read'] },
      });
      rememberSecret(res.json().apiKey);
      return { id: m.id, keyId: res.json().id };
    },
    runs: 20,
  },
  'PUT /v1/admin/merchants/:id/gateways/twoc2p/keys': {
    auth: 'admin',
    params: () => ({ id: other.id }),
    body: () => ({ merchantPublicKeyPem: fx.twoc2pPem }),
    runs: 40,
  },
  'GET /v1/admin/merchants/:id/gateways/twoc2p/vault-public-key': { auth: 'admin', params: () => ({ id: m.id }), runs: 10 },
  'PUT /v1/admin/merchants/:id/gateways/cybersource/keys': {
    auth: 'admin',
    params: () => ({ id: other.id }),
    body: async () => ({ mlePublicKeyPem: await pemOf(), mleKeyId: 'fuzz-key' }),
    runs: 40,
  },
  'GET /v1/audit-events': {
    auth: 'key',
    query: () => ({
      token: fx.card,
      action: 'card.create',
      from: '2020-01-01T00:00:00Z',
      to: '2099-01-01T00:00:00.000Z',
      limit: '5',
      cursor: '1',
    }),
    runs: 50,
  },
  'POST /v1/customers': {
    auth: 'key',
    body: () => ({ customerId: `c-${Math.random()}`, name: 'Ada', email: 'ada@example.com', phone: '+44 20 1234', metadata: { k: 'v' } }),
    runs: 80,
  },
  'GET /v1/customers': { auth: 'key', query: () => ({ limit: '10', customerId: 'fuzz-1' }), runs: 30 },
  'GET /v1/customers/:id': { auth: 'key', params: () => ({ id: fx.customer }), runs: 20 },
  'PATCH /v1/customers/:id': {
    auth: 'key',
    params: () => ({ id: fx.customer }),
    body: () => ({ name: 'Ada L', email: null, metadata: { a: 'b' } }),
    headers: () => ({}),
    runs: 80,
  },
  'DELETE /v1/customers/:id': {
    auth: 'key',
    params: async () => {
      runner.dirty();
      return { id: (await createCustomer(c)).id };
    },
    runs: 25,
  },
  'GET /v1/customers/:id/cards': { auth: 'key', params: () => ({ id: fx.customer }), query: () => ({ limit: '5' }), runs: 20 },
  'POST /v1/customers/:id/addresses': {
    auth: 'key',
    params: () => ({ id: fx.customer }),
    body: () => ({
      address: { firstName: 'Ada', line1: '2 Side St', city: 'Paris', postalCode: '75001', country: 'FR', email: 'a@b.c', phone: '+33 1' },
    }),
    runs: 70,
  },
  'GET /v1/customers/:id/addresses': { auth: 'key', params: () => ({ id: fx.customer }), query: () => ({ limit: '3' }), runs: 20 },
  'GET /v1/customers/:id/addresses/:addressId': { auth: 'key', params: () => ({ id: fx.customer, addressId: fx.address }), runs: 20 },
  'PATCH /v1/customers/:id/addresses/:addressId': {
    auth: 'key',
    params: () => ({ id: fx.customer, addressId: fx.address }),
    body: () => ({ address: { line1: '3 Other St', country: 'DE' }, default: true }),
    runs: 70,
  },
  'DELETE /v1/customers/:id/addresses/:addressId': {
    auth: 'key',
    params: async () => {
      runner.dirty();
      const res = await c.post(`/v1/customers/${fx.customer}/addresses`, { address: { line1: 'x' } });
      return { id: fx.customer, addressId: res.json().id };
    },
    runs: 25,
  },
  'POST /v1/cards': {
    auth: 'key',
    body: () => ({
      number: VISA,
      ...exp,
      cvv: '739',
      holderName: 'Ada Lovelace',
      billingAddress: { line1: '1 Main St', country: 'GB' },
      customer: fx.customer,
      usage: 'MULTIPLE',
      default: false,
      metadata: { order: '1' },
    }),
    runs: 150,
  },
  'GET /v1/cards': { auth: 'key', query: () => ({ limit: '5', customer: fx.customer }), runs: 30 },
  'GET /v1/cards/:token': { auth: 'key', params: () => ({ token: fx.card }), runs: 20 },
  'PATCH /v1/cards/:token': {
    auth: 'key',
    params: () => ({ token: fx.card }),
    body: () => ({ ...exp, holderName: 'A L', billingAddress: { city: 'Rome', country: 'IT' }, default: true, metadata: { x: 'y' } }),
    runs: 100,
  },
  'DELETE /v1/cards/:token': { auth: 'key', params: async () => ({ token: await newCard() }), runs: 25 },
  'POST /v1/cards/:token/status': {
    auth: 'key',
    params: async () => ({ token: await newCard() }),
    body: () => ({ status: 'SUSPENDED' }),
    runs: 50,
  },
  'POST /v1/cards/:token/reveal': {
    auth: 'key',
    params: () => ({ token: fx.card }),
    body: () => ({ purpose: 'fuzzing the reveal route', jwk: Math.random() < 0.5 ? fx.rsaJwk : fx.ecJwk }),
    runs: 100,
  },
  'POST /v1/credits': { auth: 'key', body: () => ({ token: fx.card, amount: 1000, currency: 'USD', reference: 'r-1' }), runs: 60 },
  'POST /v1/payments': {
    auth: 'key',
    body: () => ({ token: fx.card, amount: 1000, currency: 'USD', capture: false, reference: 'order-1', metadata: { a: 'b' } }),
    runs: 120,
  },
  'GET /v1/payments': { auth: 'key', query: () => ({ limit: '5', token: fx.card }), runs: 30 },
  'GET /v1/payments/:id': { auth: 'key', params: () => ({ id: fx.payment }), runs: 20 },
  'POST /v1/payments/:id/capture': {
    auth: 'key',
    params: async () => ({ id: await newPayment(false) }),
    body: () => ({ amount: 500 }),
    runs: 50,
  },
  'POST /v1/payments/:id/refund': {
    auth: 'key',
    params: async () => ({ id: await newPayment(true) }),
    body: () => ({ amount: 500 }),
    runs: 50,
  },
  'POST /v1/payments/:id/void': { auth: 'key', params: async () => ({ id: await newPayment(false) }), body: () => ({}), runs: 30 },
  'POST /v1/payments/:id/authenticate': {
    auth: 'key',
    params: async () => ({ id: await newPayment(false, '4000000000003220') }),
    body: () => ({ result: 'success' }),
    runs: 40,
  },
  'GET /elements/v1/tokenvault.js': { auth: 'none', runs: 3 },
  'GET /elements/v1/assets/:file': { auth: 'none', params: () => ({ file: 'card.js' }), runs: 10 },
  'GET /elements/v1/card': { auth: 'none', query: () => ({ key: fx.pk, origin: SHOP, channel: 'c1' }), runs: 30 },
  'OPTIONS /elements/v1/tokens': {
    auth: 'none',
    query: () => ({ key: fx.pk }),
    headers: () => ({ origin: SHOP, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' }),
    runs: 20,
  },
  'POST /elements/v1/tokens': {
    auth: 'none',
    query: () => ({ key: fx.pk }),
    headers: () => ({ origin: SHOP }),
    body: () => ({ number: VISA, ...exp, cvc: '739', holderName: 'Ada Lovelace', customer: fx.customer }),
    runs: 100,
  },
  'GET /elements/demo': { auth: 'none', runs: 3 },
};

const specOf = (route: string): Spec => {
  const s = SPECS[route] ?? SPECS[route.replace(/^HEAD /, 'GET ')];
  if (!s) throw new Error(`no fuzz spec for ${route}`);
  return s;
};

const GARBAGE_RUNS = 24;
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;
type Method = (typeof METHODS)[number];

// ---------------------------------------------------------------------------------------------------
// The oracle

/** Native answers: a refusal is problem+json with its code; docs may redirect. */
function judge(sent: Sent) {
  return (res: LightMyRequestResponse) => {
    const s = res.statusCode;
    if (s >= 400) {
      checkProblem(sent, res);
      return { refused: true };
    }
    if (s >= 300 && !sent.url.startsWith('/docs')) throw new ShapeError(`unexpected redirect: ${sent.method} ${sent.url} → ${s}`);
    const json = String(res.headers['content-type'] ?? '').includes('json');
    if (sent.method !== 'HEAD' && sent.url.startsWith('/v1/') && s !== 204 && json && jsonOf(res) === undefined) {
      throw new ShapeError(`a 2xx that is not JSON: ${sent.method} ${sent.url} → ${s} ${res.body.slice(0, 200)}`);
    }
    return { refused: false };
  };
}

// ---------------------------------------------------------------------------------------------------
// Layer 1: garbage

const rawUrlPiece = fc.constantFrom('%', '%zz', '%E0%A4%A', '%00', '..%2F..', '%2e%2e', ';a=b', '//', 'a?b=c&b=d', 'a#b', '%C0%AF', '%FF');

const garbageCase = fc.record({
  method: fc.oneof(
    { weight: 3, arbitrary: fc.constant<Method | null>(null) },
    { weight: 1, arbitrary: fc.constantFrom<Method | null>(...METHODS) },
  ),
  params: fc.array(
    fc.oneof(
      pathText.map((s) => pct(s)),
      rawUrlPiece,
    ),
    { minLength: 3, maxLength: 3 },
  ),
  query: fc.array(fc.tuple(fc.oneof(nastyString, fc.constantFrom('limit', 'cursor', 'customer', 'token', 'after', 'from')), nastyString), {
    maxLength: 3,
  }),
  auth: fc.oneof<fc.Arbitrary<GarbageAuth>[]>(
    fc.constant({ kind: 'none' as const }),
    fc.constant({ kind: 'valid' as const }),
    fc.constant({ kind: 'read' as const }),
    fc.constant({ kind: 'revoked' as const }),
    fc.constant({ kind: 'other' as const }),
    fc.record({ kind: fc.constant('corrupt' as const), c: tokenCorruption }),
    fc.record({ kind: fc.constant('text' as const), text: nastyString.filter((s) => /^[\x20-\x7e]*$/.test(s)) }),
  ),
  headers: garbageHeaders,
  contentType,
  body: fc.oneof(
    { weight: 4, arbitrary: garbageBody },
    { weight: 1, arbitrary: fc.constant(undefined) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(BODY_LIMIT + 1, BODY_LIMIT * 2, 1024 * 1024 + 1).map((n) => `{"a":"${'x'.repeat(n)}"}`),
    },
  ),
  wrongLength: fc.oneof({ weight: 9, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
});

type GarbageAuth =
  | { kind: 'none' | 'valid' | 'read' | 'revoked' | 'other' }
  | { kind: 'corrupt'; c: TokenCorruption }
  | { kind: 'text'; text: string };

function authHeader(a: GarbageAuth, spec: Spec): Record<string, string> {
  const key = spec.auth === 'admin' ? ADMIN_TOKEN : m.apiKey;
  switch (a.kind) {
    case 'valid':
      return bearer(key);
    case 'read':
      return bearer(readKey);
    case 'revoked':
      return bearer(revokedKey);
    case 'other':
      return bearer(spec.auth === 'admin' ? m.apiKey : other.apiKey);
    case 'corrupt':
      return { authorization: `Bearer ${corrupt(key, a.c)}` };
    case 'text':
      return { authorization: a.text };
    default:
      return {};
  }
}

function garbageCheck(route: string): (c: CaseOf<typeof garbageCase>) => Promise<void> {
  const [routeMethod, pattern] = route.split(' ') as [Method, string];
  const spec = specOf(route);
  return async (g) => {
    const names = paramNames(pattern);
    const values: Record<string, string> = {};
    names.forEach((n, i) => {
      values[n] = g.params[i] as string;
    });
    values['*'] = g.params[0] as string;
    let url = pattern.replace(/:([A-Za-z]+)/g, (_, n: string) => values[n] as string).replace(/\*$/, values['*']);
    url += query(g.query);
    const method = g.method ?? routeMethod;
    const headers: Record<string, string> = { ...g.headers, ...authHeader(g.auth, spec) };
    if (g.contentType !== undefined) headers['content-type'] = g.contentType;
    const payload = g.body;
    if (g.wrongLength && payload !== undefined) headers['content-length'] = String(Buffer.byteLength(payload) + 7);
    const served = ROUTES.native.filter((r) => r.endsWith(` ${pattern}`)).map((r) => r.split(' ')[0]);
    const sent: Sent = { method, url, unrouted: !served.includes(method) };
    await runner.run(
      route,
      sent,
      () => t.app.inject({ method, url, headers, ...(payload !== undefined && method !== 'GET' && method !== 'HEAD' ? { payload } : {}) }),
      judge(sent),
    );
  };
}

async function garbage(route: string): Promise<void> {
  await assertAsync(garbageCase, garbageCheck(route), fcParams(GARBAGE_RUNS));
}

// ---------------------------------------------------------------------------------------------------
// Layer 2: authenticated, one part mutated

type AuthCase = {
  target: string;
  muts: Mutation[];
  param: number;
  paramValue: string;
  header: [string, string];
  idempotencyKey: string | null;
};

const authCase: fc.Arbitrary<AuthCase> = fc.record({
  target: fc.constantFrom('body', 'body', 'body', 'body', 'params', 'query', 'headers'),
  muts: mutationsArb,
  param: fc.nat(),
  paramValue: fc.oneof(
    pathText,
    fc.constantFrom('OTHER_CARD', 'OTHER_CUSTOMER', 'tok_00000000000000000000000000', 'cus_00000000000000000000000000', 'mch_0', 'pay_0'),
  ),
  header: fc.tuple(
    fc.constantFrom('if-match', 'idempotency-key', 'accept', 'content-type', 'authorization'),
    fc.oneof(
      fc.constantFrom(
        '"1"',
        'W/"2"',
        '"999999999"',
        '*',
        '"-1"',
        '"1", "2"',
        '1',
        '"abc"',
        'key-1',
        'a'.repeat(256),
        '',
        'application/xml',
        'text/plain',
      ),
      nastyString.filter((s) => /^[\x20-\x7e]*$/.test(s)),
    ),
  ),
  idempotencyKey: fc.oneof(
    { weight: 2, arbitrary: fc.constant<string | null>(null) },
    { weight: 1, arbitrary: fc.stringMatching(/^[\x21-\x7e]{1,20}$/) },
  ),
});

function queryText(q: unknown): string {
  if (q === undefined || q === null) return '';
  if (typeof q !== 'object' || Array.isArray(q)) return `?q=${encodeURIComponent(toJson(q))}`;
  const pairs: [string, string][] = [];
  for (const [k, v] of Object.entries(q as Record<string, unknown>)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) pairs.push([k, typeof x === 'string' ? x : toJson(x)]);
    else pairs.push([k, typeof v === 'string' ? v : toJson(v)]);
  }
  return query(pairs);
}

/** Cases that found bugs: each runs first on every run. */
/** A NUL where the route takes an id, or in a query filter: PostgreSQL refuses such text → 500. */
const nulParam: AuthCase = { target: 'params', muts: [], param: 0, paramValue: '\u0000', header: ['accept', '*/*'], idempotencyKey: null };
const nulQuery = (at: number): AuthCase => ({
  target: 'query',
  muts: [{ op: 'set', at, value: 'a\u0000b' }],
  param: 0,
  paramValue: 'x',
  header: ['accept', '*/*'],
  idempotencyKey: null,
});

const KNOWN_AUTH: Record<string, AuthCase[]> = {
  'GET /v1/cards/:token': [nulParam],
  'PATCH /v1/cards/:token': [nulParam],
  'POST /v1/cards/:token/reveal': [
    nulParam,
    // A deeply nested JWK with an Idempotency-Key: the request hash (JSON.stringify) overflowed the stack → 500.
    {
      target: 'body',
      muts: [{ op: 'add', at: 2, key: 'x', value: DEEP }],
      param: 0,
      paramValue: 'x',
      header: ['accept', '*/*'],
      idempotencyKey: 'deep',
    },
  ],
  // A route without a body schema takes any JSON: a deep one with an Idempotency-Key → 500, as above.
  'POST /v1/payments/:id/void': [
    nulParam,
    {
      target: 'body',
      muts: [{ op: 'set', at: 0, value: DEEP }],
      param: 0,
      paramValue: 'x',
      header: ['accept', '*/*'],
      idempotencyKey: 'deep',
    },
  ],
  'GET /v1/customers/:id': [nulParam],
  'GET /v1/customers/:id/addresses': [nulParam],
  'GET /v1/customers/:id/addresses/:addressId': [nulParam],
  'GET /v1/payments/:id': [nulParam],
  'GET /v1/admin/merchants/:id': [nulParam],
  'GET /v1/customers': [nulQuery(2)],
  'GET /v1/cards': [nulQuery(2)],
  'GET /v1/payments': [nulQuery(2)],
  'GET /v1/audit-events': [nulQuery(1)],
  'GET /v1/admin/merchants': [nulQuery(2)],
};

function authenticatedCheck(route: string): (c: CaseOf<typeof authCase>) => Promise<void> {
  const [method, pattern] = route.split(' ') as [Method, string];
  const spec = specOf(route);
  return async (a) => {
    const params = spec.params ? await spec.params() : {};
    const names = Object.keys(params);
    const target = a.target === 'params' && names.length === 0 ? 'body' : a.target;
    if (target === 'params') {
      const name = names[a.param % names.length] as string;
      params[name] = a.paramValue === 'OTHER_CARD' ? fx.otherCard : a.paramValue === 'OTHER_CUSTOMER' ? fx.otherCustomer : a.paramValue;
    }
    let q: unknown = spec.query?.();
    if (target === 'query') q = mutate(q ?? {}, a.muts);
    const url = fill(pattern, params) + queryText(q);
    const headers: Record<string, string> = {
      ...(spec.auth === 'admin' ? admin : spec.auth === 'key' ? bearer(m.apiKey) : {}),
      ...spec.headers?.(),
    };
    if (a.idempotencyKey !== null && method === 'POST') headers['idempotency-key'] = `${a.idempotencyKey}-${Math.random()}`;
    if (target === 'headers') headers[a.header[0]] = a.header[1];
    let payload: string | undefined;
    let body: unknown;
    const hasBody = method === 'POST' || method === 'PUT' || method === 'PATCH';
    if (hasBody) {
      const valid = spec.body ? await spec.body() : {};
      body = target === 'body' || (target === 'headers' && !spec.body) ? mutate(valid, a.muts as Mutation[]) : valid;
      payload = body === undefined ? undefined : toJson(body);
      if (payload !== undefined && headers['content-type'] === undefined) headers['content-type'] = 'application/json';
    }
    const sent: Sent = { method, url, secrets: secretsIn(body, ['number', 'cvv', 'cvc']) };
    await runner.run(route, sent, () => t.app.inject({ method, url, headers, ...(payload !== undefined ? { payload } : {}) }), judge(sent));
  };
}

async function authenticated(route: string): Promise<void> {
  await assertAsync(authCase, authenticatedCheck(route), fcParams(route.startsWith('HEAD ') ? 3 : specOf(route).runs));
}

// ---------------------------------------------------------------------------------------------------

describeApiFuzz({
  title: 'native API fuzz',
  api: 'native',
  garbage,
  authenticated,
  runner: () => runner,
  stats,
  heapAtStart: () => heapAtStart,
  specOf,
  known: () => {
    describeKnown(KNOWN_AUTH, authenticatedCheck, () => runner);
  },
});
