/**
 * Property-based fuzzing of the 2C2P customer-token API. Garbage layer: bodies that are not a message
 * (junk, broken JSON envelopes, oversized), and real signed messages truncated or corrupted, re-headed,
 * signed by a stranger or wrapping a corrupted JWE. Authenticated layer: correctly signed and encrypted
 * messages whose JSON payload is mutated from a valid one (or is not JSON at all). Oracles: never a 5xx;
 * an untrusted message gets the one plain 400 "Invalid request"; a trusted one a signed, encrypted answer
 * with a responseCode; no card number comes back; a refusal writes nothing.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { CompactEncrypt, CompactSign } from 'jose';
import { afterAll, beforeAll } from 'vitest';
import { buildRequest, openResponse, type Twoc2pClient, twoc2pClient } from '../gateways/twoc2p/helpers.ts';
import { createMerchant, futureYear, type TestApp, VISA } from '../helpers/harness.ts';
import { ROUTES } from './corpus.ts';
import {
  assertAsync,
  BODY_LIMIT,
  type CaseOf,
  type CaseRunner,
  caseRunner,
  contentType,
  corrupt,
  describeApiFuzz,
  describeCase,
  describeKnown,
  fc,
  fcParams,
  fingerprinter,
  garbageBody,
  garbageHeaders,
  heapMb,
  makeFuzzApp,
  mutate,
  mutationsArb,
  nastyString,
  newStats,
  type Sent,
  ShapeError,
  secretsIn,
  type TokenCorruption,
  toJson,
  tokenCorruption,
} from './support.ts';

type Op = 'add' | 'update' | 'get' | 'delete';
const PATH = (op: Op) => `/customertoken/3.0/CustomerToken/${op}`;
const opOf = (route: string) => route.split('/').pop() as Op;

let t: TestApp;
let tw: Twoc2pClient;
let stranger: KeyObject;
let runner: CaseRunner;
let heapAtStart = 0;
let token = '';
/** One real signed request per operation, to corrupt in the garbage layer. */
const signed: Partial<Record<Op, string>> = {};
const stats = newStats('twoc2p');
const expiry = `${futureYear()}-12-31`;

const templates: Record<Op, () => Promise<Record<string, unknown>>> = {
  add: async () => ({
    merchantID: tw.merchantID,
    tokenProvider: 'CC',
    accountNo: VISA,
    name: 'Ada Lovelace',
    email: 'ada@example.com',
    expiry,
    accountIssuer: 'Bank',
    accountIssuerCountry: 'GB',
    accountCurrency: 'GBP',
  }),
  update: async () => ({ merchantID: tw.merchantID, token, name: 'Ada L', email: 'a@b.c', expiry, accountCurrency: 'EUR' }),
  get: async () => ({ merchantID: tw.merchantID, token }),
  // Each delete gets a token of its own, so the valid case deletes something.
  delete: async () => ({ merchantID: tw.merchantID, token: await newToken() }),
};

async function newToken(): Promise<string> {
  runner.dirty();
  const r = await tw.call('add', await templates.add());
  if (r.json?.responseCode !== '0000') throw new Error(`add failed: ${r.body}`);
  return r.json.token as string;
}

beforeAll(async () => {
  t = await makeFuzzApp();
  tw = twoc2pClient(t, await createMerchant(t, 'Fuzz 2C2P'));
  stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  runner = caseRunner(stats, await fingerprinter(t));
  token = await newToken();
  for (const op of ['add', 'update', 'get', 'delete'] as const)
    signed[op] = await buildRequest(await templates[op](), tw.vaultPublic, tw.merchantPrivate);
  heapAtStart = heapMb();
}, 120_000);

afterAll(() => t.close());

// ---------------------------------------------------------------------------------------------------
// The oracle

const isInvalid = (res: LightMyRequestResponse) =>
  res.statusCode === 400 && res.body === 'Invalid request' && String(res.headers['content-type']).startsWith('text/plain');

/** An untrusted message: the plain 400. A trusted one: a JWS we can open, holding a responseCode. */
function judge(sent: Sent) {
  return async (res: LightMyRequestResponse) => {
    if (isInvalid(res)) return { refused: true };
    if (res.statusCode !== 200) throw new ShapeError(`not a 2C2P answer: ${describeCase(sent, res)}`);
    let answer: Record<string, unknown>;
    try {
      answer = await openResponse(res.body, tw.vaultPublic, tw.merchantPrivate);
    } catch {
      throw new ShapeError(`a 200 that is not a signed, encrypted answer: ${describeCase(sent, res)}`);
    }
    const text = JSON.stringify(answer);
    for (const s of sent.secrets ?? [])
      if (/^\d{12,19}$/.test(s) && text.includes(s)) throw new Error(`the card number came back: ${text}`);
    if (typeof answer.responseCode !== 'string' || typeof answer.responseDesc !== 'string') {
      throw new ShapeError(`an answer without responseCode: ${sent.method} ${sent.url} → ${text.slice(0, 300)}`);
    }
    return { refused: answer.responseCode !== '0000' };
  };
}

// ---------------------------------------------------------------------------------------------------
// Layer 1: garbage and corrupted messages

type GarbageCase = {
  kind: string;
  body: string | Buffer;
  c: TokenCorruption;
  json: boolean;
  contentType: string | undefined;
  headers: Record<string, string>;
};

const garbageCase: fc.Arbitrary<GarbageCase> = fc.record({
  kind: fc.constantFrom<string>('junk', 'corrupt', 'corrupt', 'corrupt', 'envelope', 'stranger', 'badJwe', 'oversized'),
  body: garbageBody,
  c: tokenCorruption,
  json: fc.boolean(),
  contentType,
  headers: garbageHeaders,
});

function garbageCheck(route: string): (c: CaseOf<typeof garbageCase>) => Promise<void> {
  const op = opOf(route);
  return async (g) => {
    let payload: string | Buffer;
    let type: string | undefined = g.contentType;
    const valid = signed[op] as string;
    switch (g.kind) {
      case 'junk':
        payload = g.body;
        break;
      case 'corrupt':
        payload = corrupt(valid, g.c);
        type = g.json ? 'application/json' : 'text/plain';
        if (g.json) payload = JSON.stringify({ payload });
        break;
      case 'envelope':
        payload = toJson({ payload: g.json ? corrupt(valid, g.c) : g.body.toString() });
        type = 'application/json';
        break;
      case 'stranger': {
        // Well formed, encrypted to the vault, signed by a key nobody registered.
        payload = await buildRequest(await templates[op](), tw.vaultPublic, stranger);
        type = 'text/plain';
        break;
      }
      case 'badJwe': {
        // Signed by the merchant, so it is trusted; the JWE inside is corrupted.
        const jwe = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify(await templates[op]())))
          .setProtectedHeader({ alg: 'RSA-OAEP', enc: 'A256GCM' })
          .encrypt(tw.vaultPublic);
        payload = await new CompactSign(new TextEncoder().encode(corrupt(jwe, g.c)))
          .setProtectedHeader({ alg: 'PS256' })
          .sign(tw.merchantPrivate);
        type = 'text/plain';
        break;
      }
      default:
        payload = `${valid}${'A'.repeat(BODY_LIMIT)}`;
        type = 'text/plain';
    }
    const headers: Record<string, string> = { ...g.headers };
    if (type !== undefined) headers['content-type'] = type;
    const sent: Sent = { method: 'POST', url: PATH(op) };
    await runner.run(route, sent, () => t.app.inject({ method: 'POST', url: PATH(op), headers, payload }), judge(sent));
  };
}

/** Cases that found bugs, replayed on every run. */
const envelopeNul: GarbageCase = {
  kind: 'envelope',
  body: '\u0000',
  c: { kind: 'empty', dots: 0 },
  json: false,
  contentType: undefined,
  headers: {},
};
// A JSON envelope whose payload holds a NUL: refused by the JSON parser, answered 500 by the 2C2P error handler.
const KNOWN_GARBAGE: Record<string, GarbageCase[]> = Object.fromEntries(ROUTES.twoc2p.map((r) => [r, [envelopeNul]]));

async function garbage(route: string): Promise<void> {
  await assertAsync(garbageCase, garbageCheck(route), fcParams(100));
}

// ---------------------------------------------------------------------------------------------------
// Layer 2: trusted messages, mutated payload

const authCase = fc.record({
  kind: fc.constantFrom('mutate', 'mutate', 'mutate', 'mutate', 'mutate', 'plaintext', 'cardNumber'),
  muts: mutationsArb,
  text: fc.oneof(
    nastyString,
    garbageBody.map((b) => b.toString()),
  ),
  pan: fc.oneof(
    nastyString,
    fc.constantFrom(
      '4111111111111112',
      '4000000000000002',
      '5555555555554444',
      '378282246310005',
      '0000000000000000',
      '4111 1111 1111 1111',
      '41111111111111111111111',
    ),
    fc.stringMatching(/^[0-9]{12,19}$/),
  ),
  json: fc.boolean(),
});

function authenticatedCheck(route: string): (c: CaseOf<typeof authCase>) => Promise<void> {
  const op = opOf(route);
  return async (a) => {
    const valid = await templates[op]();
    let plaintext: string;
    let body: unknown;
    if (a.kind === 'plaintext') plaintext = a.text;
    else {
      body = a.kind === 'cardNumber' ? { ...valid, accountNo: a.pan } : mutate(valid, a.muts);
      plaintext = body === undefined ? '' : toJson(body);
    }
    const jwe = await new CompactEncrypt(new TextEncoder().encode(plaintext))
      .setProtectedHeader({ alg: 'RSA-OAEP', enc: 'A256GCM' })
      .encrypt(tw.vaultPublic);
    const jws = await new CompactSign(new TextEncoder().encode(jwe)).setProtectedHeader({ alg: 'PS256' }).sign(tw.merchantPrivate);
    const sent: Sent = { method: 'POST', url: PATH(op), secrets: secretsIn(body, ['accountNo']) };
    await runner.run(
      route,
      sent,
      () =>
        t.app.inject({
          method: 'POST',
          url: PATH(op),
          headers: { 'content-type': a.json ? 'application/json' : 'text/plain' },
          payload: a.json ? JSON.stringify({ payload: jws }) : jws,
        }),
      judge(sent),
    );
  };
}

async function authenticated(route: string): Promise<void> {
  await assertAsync(authCase, authenticatedCheck(route), fcParams(200));
}

// ---------------------------------------------------------------------------------------------------

describeApiFuzz({
  title: '2C2P fuzz',
  api: 'twoc2p',
  garbage,
  authenticated,
  runner: () => runner,
  stats,
  heapAtStart: () => heapAtStart,
  known: () => {
    describeKnown(KNOWN_GARBAGE, garbageCheck, () => runner);
  },
});
