/**
 * Property-based fuzzing of the OPay card-token API. Garbage layer: missing, malformed or foreign
 * MerchantId / Authorization headers, signatures of the wrong shape or over other bytes, junk and
 * oversized bodies, wrong content types. Authenticated layer: bodies signed correctly (HMAC-SHA512 of the
 * exact bytes) whose JSON is mutated from a valid create, query or delete. Oracles: never a 5xx; every
 * answer is OPay's envelope {code, message, data}; no card number or CVV comes back; a refusal (any code
 * but 00000) writes nothing.
 */
import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll } from 'vitest';
import { hmacHex } from '../gateways/opay/helpers.ts';
import { createMerchant, futureYear, type TestApp, type TestMerchant, VISA } from '../helpers/harness.ts';
import { ROUTES } from './corpus.ts';
import {
  assertAsync,
  BODY_LIMIT,
  type CaseOf,
  type CaseRunner,
  caseRunner,
  contentType,
  corrupt,
  DEEP,
  describeApiFuzz,
  describeCase,
  describeKnown,
  fc,
  fcParams,
  fingerprinter,
  garbageBody,
  garbageHeaders,
  heapMb,
  isOpayEnvelope,
  jsonOf,
  type Mutation,
  makeFuzzApp,
  mutate,
  mutationsArb,
  nastyString,
  newStats,
  type Sent,
  ShapeError,
  secretsIn,
  toJson,
  tokenCorruption,
} from './support.ts';

type Op = 'create' | 'query' | 'delete';
const PATH = (op: Op) => `/api/v1/international/token/${op}`;
const opOf = (route: string) => route.split('/').pop() as Op;

let t: TestApp;
let merchantId: string;
let secret: string;
let other: { merchantId: string; secret: string };
let runner: CaseRunner;
let heapAtStart = 0;
let token = '';
const stats = newStats('opay');
const YY = String(futureYear() % 100).padStart(2, '0');

const creds = (m: TestMerchant) => {
  const g = (m.credentials.gateways as Record<string, Record<string, string>>).opay as Record<string, string>;
  return { merchantId: g.merchantId as string, secret: g.secretKey as string };
};

const templates: Record<Op, () => Promise<Record<string, unknown>>> = {
  create: async () => ({
    reference: `ref-${randomUUID()}`,
    cardNumber: VISA,
    expiryYear: YY,
    expiryMonth: '12',
    cvv: '739',
    cardHolderName: 'Ada Lovelace',
    customerInfo: { customerId: 'cust-1', customerName: 'Ada', customerEmail: 'ada@example.com', customerMobile: '+44 20 1234' },
  }),
  query: async () => (Math.random() < 0.5 ? { opayToken: token } : { customerId: 'cust-1' }),
  delete: async () => ({ opayToken: await newToken() }),
};

function signedHeaders(text: string, id = merchantId, key = secret): Record<string, string> {
  return { 'content-type': 'application/json', merchantid: id, authorization: `Bearer ${hmacHex(key, text)}` };
}

async function newToken(): Promise<string> {
  runner.dirty();
  const text = JSON.stringify(await templates.create());
  const res = await t.app.inject({ method: 'POST', url: PATH('create'), headers: signedHeaders(text), payload: text });
  const body = res.json();
  if (body.code !== '00000') throw new Error(`create failed: ${res.body}`);
  return body.data.opayToken as string;
}

beforeAll(async () => {
  t = await makeFuzzApp();
  ({ merchantId, secret } = creds(await createMerchant(t, 'Fuzz OPay')));
  other = creds(await createMerchant(t, 'Other OPay'));
  runner = caseRunner(stats, await fingerprinter(t));
  token = await newToken();
  heapAtStart = heapMb();
}, 120_000);

afterAll(() => t.close());

/**
 * Every answer is OPay's envelope, with HTTP 200 (or the HTTP status of a refusal made before the route's
 * code runs: body too large, media type, rate limit); anything but code 00000 is a refusal.
 */
function judge(sent: Sent) {
  return (res: LightMyRequestResponse) => {
    const b = jsonOf(res);
    if (!isOpayEnvelope(b) || (res.statusCode !== 200 && res.statusCode < 400))
      throw new ShapeError(`not an OPay envelope: ${describeCase(sent, res)}`);
    if (res.statusCode !== 200 && b.code === '00000') throw new ShapeError(`a success code on a refusal: ${describeCase(sent, res)}`);
    return { refused: b.code !== '00000' };
  };
}

// ---------------------------------------------------------------------------------------------------
// Layer 1: garbage

const hex128 = fc.stringMatching(/^[0-9a-fA-F]{128}$/);

const garbageCase = fc.record({
  merchant: fc.oneof(
    fc.constantFrom('own', 'own', 'other', 'none', 'unknown'),
    nastyString.filter((s) => /^[\x20-\x7e]*$/.test(s)),
  ),
  auth: fc.oneof(
    fc.record({ kind: fc.constant('hex' as const), hex: hex128 }),
    fc.record({ kind: fc.constant('otherBody' as const), text: fc.string({ maxLength: 20 }) }),
    fc.record({ kind: fc.constant('otherKey' as const) }),
    fc.record({ kind: fc.constant('corrupt' as const), c: tokenCorruption }),
    fc.record({ kind: fc.constant('none' as const) }),
    fc.record({ kind: fc.constant('text' as const), text: nastyString.filter((s) => /^[\x20-\x7e]*$/.test(s)) }),
  ),
  body: fc.oneof({ weight: 5, arbitrary: garbageBody }, { weight: 1, arbitrary: fc.constant(`{"a":"${'x'.repeat(BODY_LIMIT)}"}`) }),
  signBody: fc.boolean(),
  contentType,
  headers: garbageHeaders,
});

function garbageCheck(route: string): (c: CaseOf<typeof garbageCase>) => Promise<void> {
  const op = opOf(route);
  return async (g) => {
    const text = g.body.toString();
    const headers: Record<string, string> = { ...g.headers };
    const id =
      g.merchant === 'own'
        ? merchantId
        : g.merchant === 'other'
          ? other.merchantId
          : g.merchant === 'unknown'
            ? '99999999999999'
            : g.merchant;
    if (g.merchant !== 'none') headers.merchantid = id;
    const good = hmacHex(secret, text);
    switch (g.auth.kind) {
      case 'hex':
        headers.authorization = `Bearer ${g.signBody ? good : g.auth.hex}`;
        break;
      case 'otherBody':
        headers.authorization = `Bearer ${hmacHex(secret, g.auth.text)}`;
        break;
      case 'otherKey':
        headers.authorization = `Bearer ${hmacHex(other.secret, text)}`;
        break;
      case 'corrupt':
        headers.authorization = `Bearer ${corrupt(good, g.auth.c)}`;
        break;
      case 'text':
        headers.authorization = g.auth.text;
        break;
    }
    if (g.contentType !== undefined) headers['content-type'] = g.contentType;
    const sent: Sent = { method: 'POST', url: PATH(op) };
    await runner.run(route, sent, () => t.app.inject({ method: 'POST', url: PATH(op), headers, payload: g.body }), judge(sent));
  };
}

async function garbage(route: string): Promise<void> {
  await assertAsync(garbageCase, garbageCheck(route), fcParams(150));
}

// ---------------------------------------------------------------------------------------------------
// Layer 2: signed, mutated bodies

type AuthCase = { kind: string; muts: Mutation[]; card: { cardNumber: string; expiryYear: string; expiryMonth: string; cvv: string } };

const authCase: fc.Arbitrary<AuthCase> = fc.record({
  kind: fc.constantFrom<string>('mutate', 'mutate', 'mutate', 'mutate', 'card'),
  muts: mutationsArb,
  card: fc.record({
    cardNumber: fc.oneof(
      nastyString,
      fc.stringMatching(/^[0-9]{12,20}$/),
      fc.constantFrom('4000000000000002', '4111111111111112', '378282246310005'),
    ),
    expiryYear: fc.oneof(nastyString, fc.stringMatching(/^[0-9]{2}$/)),
    expiryMonth: fc.oneof(nastyString, fc.stringMatching(/^[0-9]{2}$/)),
    cvv: fc.oneof(nastyString, fc.stringMatching(/^[0-9]{3,4}$/)),
  }),
});

function authenticatedCheck(route: string): (c: CaseOf<typeof authCase>) => Promise<void> {
  const op = opOf(route);
  return async (a) => {
    const valid = await templates[op]();
    const body = a.kind === 'card' && op === 'create' ? { ...valid, ...a.card } : mutate(valid, a.muts);
    const text = body === undefined ? '' : toJson(body);
    const sent: Sent = { method: 'POST', url: PATH(op), secrets: secretsIn(body, ['cardNumber', 'cvv']) };
    await runner.run(
      route,
      sent,
      () => t.app.inject({ method: 'POST', url: PATH(op), headers: signedHeaders(text), payload: text }),
      judge(sent),
    );
  };
}

/** Cases that found bugs, replayed on every run. */
// A deeply nested body: the canonical-JSON signature check recursed past the stack → 500, signed or not.
const deepBody: AuthCase = {
  kind: 'mutate',
  muts: [{ op: 'add', at: 0, key: 'x', value: DEEP }],
  card: { cardNumber: VISA, expiryYear: YY, expiryMonth: '12', cvv: '739' },
};
const KNOWN_AUTH: Record<string, AuthCase[]> = Object.fromEntries(ROUTES.opay.map((r) => [r, [deepBody]]));
const unsignedDeep: CaseOf<typeof garbageCase> = {
  merchant: 'own',
  auth: { kind: 'hex', hex: 'a'.repeat(128) },
  body: toJson({ x: DEEP }),
  signBody: false,
  contentType: 'application/json',
  headers: {},
};
const KNOWN_GARBAGE: Record<string, CaseOf<typeof garbageCase>[]> = Object.fromEntries(ROUTES.opay.map((r) => [r, [unsignedDeep]]));

async function authenticated(route: string): Promise<void> {
  await assertAsync(authCase, authenticatedCheck(route), fcParams(350));
}

// ---------------------------------------------------------------------------------------------------

describeApiFuzz({
  title: 'OPay fuzz',
  api: 'opay',
  garbage,
  authenticated,
  runner: () => runner,
  stats,
  heapAtStart: () => heapAtStart,
  known: () => {
    describeKnown(KNOWN_GARBAGE, garbageCheck, () => runner);
    describeKnown(KNOWN_AUTH, authenticatedCheck, () => runner);
  },
});
