/**
 * Property-based fuzzing of the AlliancePay host-to-host API. Garbage layer: missing, unknown or foreign
 * session headers, junk bodies, JWEs truncated, corrupted, re-headed (bad epk, other algorithms) or
 * encrypted to the wrong key, oversized bodies; junk authorize_virtual_device requests. Authenticated layer:
 * bodies correctly encrypted to the session key whose JSON is mutated from a valid one, or whose nested
 * card fields (JWEs to the payment key) carry hostile text; refunds of settled, refunded-in-full or pending
 * purchases (and of a refund) and the getting-data lookups of payments and refunds. Oracles: never a 5xx; every answer is a {jwe}
 * we can decrypt or AlliancePay's error body; no card number comes back; a refusal writes nothing (the
 * per-session x-request_id claim excepted, as documented).
 */
import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll } from 'vitest';
import {
  type AllianceClient,
  type AllianceSession,
  allianceClient,
  apDate,
  decryptWith,
  encryptTo,
  PATHS,
  strangerKeys,
} from '../gateways/alliancepay/helpers.ts';
import { createMerchant, futureYear, type TestApp } from '../helpers/harness.ts';
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
  isAllianceError,
  jsonOf,
  type Mutation,
  makeFuzzApp,
  mutate,
  mutationsArb,
  nastyString,
  newStats,
  type Sent,
  ShapeError,
  toJson,
  tokenCorruption,
} from './support.ts';

const AUTHORIZE = '/api-gateway/authorize_virtual_device';
const CHALLENGE = '4000000000003220';
const EXP = `${String(futureYear() % 100).padStart(2, '0')}12`;

let t: TestApp;
let ap: AllianceClient;
let session: AllianceSession;
let otherSession: AllianceSession;
let runner: CaseRunner;
let heapAtStart = 0;
const tokens = { get: '', state: '', pay: '', challenge: '' };
const stats = newStats('alliancepay');
const wrongKey = strangerKeys();

/** Plaintexts of the nested card fields of a template: a case may replace any of them. */
type CardText = { pan?: string; exp?: string; cvv?: string };

/** Field JWEs of the default card, made once (a field is not replay-protected): ECDH on P-384 is the cost here. */
const fieldCache = new Map<string, string>();
async function field(text: string, fresh: boolean): Promise<string> {
  if (fresh) return ap.encField(text);
  let jwe = fieldCache.get(text);
  if (!jwe) {
    jwe = await ap.encField(text);
    fieldCache.set(text, jwe);
  }
  return jwe;
}

let pending = '';
/** A payment waiting for its 3-D Secure result: a fresh one for some cases, else the last (maybe settled by now). */
async function pendingOperation(): Promise<string> {
  if (pending === '' || Math.random() < 0.3) pending = await newPendingOperation();
  return pending;
}

async function newPendingOperation(): Promise<string> {
  const answer = await accepted(PATHS.tokenPurchase, await tokenPayment(tokens.challenge));
  if (answer.status !== 'REQUIRED_3DS') throw new Error(`no challenge: ${JSON.stringify(answer)}`);
  return answer.operationId as string;
}

/** A settled purchase by token: its operation and the merchantRequestId it was made with. */
async function newPurchase(): Promise<{ id: string; ref: string }> {
  const body = await tokenPayment(tokens.pay);
  const answer = await accepted(PATHS.tokenPurchase, body);
  if (answer.status !== 'SUCCESS') throw new Error(`purchase not settled: ${JSON.stringify(answer)}`);
  return { id: answer.operationId as string, ref: body.merchantRequestId };
}

/** Operations the refund and getting-data cases name: a purchase and a refund of part of it (made once). */
const ops = { paid: '', paidRef: '', refund: '', refundRef: '' };

let refundable = '';
/**
 * What a refund case refunds: a purchase of 10,000 with room left (a fresh one for some cases, else the last,
 * maybe refunded in full by now), or now and then a payment still waiting for 3-D Secure or a refund itself.
 */
async function refundTarget(): Promise<string> {
  const r = Math.random();
  if (r < 0.1) return pendingOperation();
  if (r < 0.15) return ops.refund;
  if (refundable === '' || r < 0.4) refundable = (await newPurchase()).id;
  return refundable;
}

const refundBody = async (operationId: string) => {
  const notify = Math.random() < 0.3;
  // Now and then the merchantRequestId of an earlier payment or refund (used once: refused).
  const reused = ops.refundRef !== '' && Math.random() < 0.1;
  return {
    merchantRequestId: reused ? pick([ops.paidRef, ops.refundRef]) : randomUUID(),
    operationId,
    merchantId: ap.merchantId,
    coinAmount: pick(['2500', 4000, '10000']),
    notificationUrl: notify ? 'https://merchant.example/alliancepay/notify' : '',
    ...(notify ? { notificationEncryption: Math.random() < 0.5 ? 'true' : false } : {}),
    merchantComment: 'fuzz refund',
    date: apDate(),
  };
};

const pick = <T>(xs: T[]): T => xs[Math.floor(Math.random() * xs.length)] as T;

const tokenPayment = async (token: string, c: CardText = {}) => ({
  merchantRequestId: randomUUID(),
  merchantId: ap.merchantId,
  token,
  coinAmount: 10_000,
  cvv: await field(c.cvv ?? '321', c.cvv !== undefined),
  desiredThreeDSMode: 'SHOULD',
  date: apDate(),
  customerData: { senderCustomerId: 'fuzz-customer' },
});

const templates: Record<string, (card: CardText) => Promise<Record<string, unknown>>> = {
  [AUTHORIZE]: async () => ({ serviceCode: ap.creds.serviceCode }),
  [PATHS.create]: async (c) => ({
    merchantRequestId: randomUUID(),
    merchantId: ap.merchantId,
    customerId: 'fuzz-customer',
    encryptedCardNumber: await field(c.pan ?? '5555555555554444', c.pan !== undefined),
    encryptedExpDate: await field(c.exp ?? EXP, c.exp !== undefined),
    date: apDate(),
  }),
  [PATHS.list]: async () => ({ merchantId: ap.merchantId, customerId: 'fuzz-customer' }),
  [PATHS.get]: async () => ({ merchantId: ap.merchantId, token: tokens.get }),
  [PATHS.state]: async () => ({ merchantId: ap.merchantId, token: tokens.state, state: Math.random() < 0.5 ? 'SUSPENDED' : 'ACTIVE' }),
  [PATHS.tokenPurchase]: (c) => tokenPayment(tokens.pay, c),
  [PATHS.tokenC2a]: (c) => tokenPayment(tokens.pay, c),
  [PATHS.purchase]: async (c) => ({
    merchantRequestId: randomUUID(),
    merchantId: ap.merchantId,
    coinAmount: 4200,
    encryptedCardNumber: await field(c.pan ?? '5555555555554444', c.pan !== undefined),
    encryptedExpDate: await field(c.exp ?? EXP, c.exp !== undefined),
    cvv: await field(c.cvv ?? '321', c.cvv !== undefined),
    typeToken: Math.random() < 0.5 ? 'TOKEN_PER_CUSTOMER' : 'NO_TOKEN',
    desiredThreeDSMode: 'SHOULD',
    date: apDate(),
    customerData: { senderCustomerId: 'fuzz-customer' },
  }),
  [PATHS.tokenPurchase3ds]: async () => ({ merchantId: ap.merchantId, operationId: await pendingOperation(), transStatus: 'Y' }),
  [PATHS.tokenC2a3ds]: async () => ({ merchantId: ap.merchantId, operationId: await pendingOperation(), transStatus: 'N' }),
  [PATHS.purchase3ds]: async () => ({ merchantId: ap.merchantId, operationId: await pendingOperation(), transStatus: 'Y' }),
  [PATHS.refund]: async () => refundBody(await refundTarget()),
  [PATHS.operation]: async () => {
    const which = pick(['paid', 'refund', 'pending'] as const);
    return { merchantId: ap.merchantId, id: which === 'pending' ? await pendingOperation() : ops[which] };
  },
  [PATHS.byReference]: async () => ({ merchantId: ap.merchantId, merchantRequestId: pick([ops.paidRef, ops.refundRef]) }),
};

function sessionHeaders(s: AllianceSession, requestId = randomUUID()): Record<string, string> {
  return {
    'content-type': 'text/plain',
    'x-api_version': 'V1',
    'x-request_id': requestId,
    'x-device_id': s.deviceId,
    'x-refresh_token': s.refreshToken,
  };
}

function send(path: string, payload: string | Buffer, headers: Record<string, string> = sessionHeaders(session)) {
  return t.app.inject({ method: 'POST', url: path, headers, payload });
}

/** A fixture's call, which must be accepted: its decrypted answer. */
async function accepted(path: string, body: unknown): Promise<Record<string, unknown>> {
  runner.dirty();
  const r = await send(path, await encryptTo(session.serverPublic, toJson(body)));
  if (typeof r.json().jwe !== 'string') throw new Error(`fixture ${path} refused: ${r.body}`);
  return JSON.parse(await decryptWith(ap.creds.merchantPrivateJwk, r.json().jwe));
}

async function newToken(pan = '5555555555554444'): Promise<string> {
  return (await accepted(PATHS.create, await templates[PATHS.create]?.({ pan }))).token as string;
}

beforeAll(async () => {
  t = await makeFuzzApp();
  const m = await createMerchant(t, 'Fuzz AlliancePay');
  ap = allianceClient(t, m);
  const other = allianceClient(t, m);
  await other.authorize();
  otherSession = other.session;
  await ap.authorize();
  session = ap.session;
  runner = caseRunner(stats, await fingerprinter(t));
  tokens.get = await newToken();
  tokens.state = await newToken();
  tokens.pay = await newToken();
  tokens.challenge = await newToken(CHALLENGE);
  const paid = await newPurchase();
  const refund = await refundBody(paid.id);
  ops.paid = paid.id;
  ops.paidRef = paid.ref;
  ops.refund = (await accepted(PATHS.refund, { ...refund, coinAmount: '2500', notificationUrl: '' })).operationId as string;
  ops.refundRef = refund.merchantRequestId;
  heapAtStart = heapMb();
}, 120_000);

afterAll(() => t.close());

// ---------------------------------------------------------------------------------------------------
// The oracle

/** A {jwe} answer we can decrypt (accepted), or AlliancePay's error body (refused). */
function judge(sent: Sent) {
  return async (res: LightMyRequestResponse) => {
    const body = jsonOf(res) as Record<string, unknown> | undefined;
    if (isAllianceError(body)) {
      if (res.statusCode !== 200 && (res.statusCode < 400 || res.statusCode >= 500))
        throw new ShapeError(`error status: ${describeCase(sent, res)}`);
      return { refused: true };
    }
    if (res.statusCode !== 200 || !body || typeof body.jwe !== 'string' || Object.keys(body).length !== 1) {
      throw new ShapeError(`not an AlliancePay answer: ${describeCase(sent, res)}`);
    }
    let text: string;
    try {
      text = await decryptWith(ap.creds.merchantPrivateJwk, body.jwe);
    } catch {
      throw new ShapeError(`a {jwe} the merchant cannot decrypt: ${describeCase(sent, res)}`);
    }
    for (const s of sent.secrets ?? [])
      if (/^\d{12,19}$/.test(s) && text.includes(s)) throw new Error(`the card number came back: ${text}`);
    return { refused: false };
  };
}

// ---------------------------------------------------------------------------------------------------
// Layer 1: garbage

const garbageCase = fc.record({
  session: fc.constantFrom('own', 'own', 'own', 'none', 'noRefresh', 'unknownDevice', 'wrongRefresh', 'otherRefresh', 'garbage'),
  body: fc.constantFrom('junk', 'corrupt', 'corrupt', 'corrupt', 'wrongKey', 'paymentKey', 'oversized', 'plain'),
  junk: garbageBody,
  c: tokenCorruption,
  requestId: fc.oneof(
    { weight: 4, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: nastyString.filter((s) => /^[\x20-\x7e]*$/.test(s)) },
  ),
  contentType,
  headers: garbageHeaders,
});

function garbageCheck(route: string): (c: CaseOf<typeof garbageCase>) => Promise<void> {
  const path = route.split(' ')[1] as string;
  return async (g) => {
    const valid = toJson(await (templates[path] as (c: CardText) => Promise<unknown>)({}));
    let payload: string | Buffer;
    switch (g.body) {
      case 'junk':
        payload = g.junk;
        break;
      case 'corrupt':
        payload = corrupt(await encryptTo(session.serverPublic, valid), g.c);
        break;
      case 'wrongKey':
        payload = await encryptTo(wrongKey.publicJwk, valid);
        break;
      case 'paymentKey':
        payload = await encryptTo(ap.creds.paymentPublicJwk, valid);
        break;
      case 'oversized':
        payload = `${await encryptTo(session.serverPublic, valid)}${' '.repeat(BODY_LIMIT)}`;
        break;
      default:
        payload = valid;
    }
    if (path === AUTHORIZE && g.body !== 'junk')
      payload = g.body === 'plain' ? valid : toJson({ serviceCode: corrupt(ap.creds.serviceCode, g.c) });
    const headers: Record<string, string> = { ...g.headers, ...sessionHeaders(session) };
    switch (g.session) {
      case 'none':
        delete headers['x-device_id'];
        delete headers['x-refresh_token'];
        break;
      case 'noRefresh':
        delete headers['x-refresh_token'];
        break;
      case 'unknownDevice':
        headers['x-device_id'] = randomUUID();
        break;
      case 'wrongRefresh':
        headers['x-refresh_token'] = randomUUID();
        break;
      case 'otherRefresh':
        headers['x-refresh_token'] = otherSession.refreshToken;
        break;
      case 'garbage':
        headers['x-device_id'] = g.headers['x-device_id'] ?? 'x';
        headers['x-refresh_token'] = g.headers['x-refresh_token'] ?? '';
        break;
    }
    if (g.requestId !== null) headers['x-request_id'] = g.requestId;
    if (g.contentType !== undefined) headers['content-type'] = g.contentType;
    const sent: Sent = { method: 'POST', url: path };
    await runner.run(route, sent, () => send(path, payload, headers), judge(sent));
  };
}

async function garbage(route: string): Promise<void> {
  await assertAsync(garbageCase, garbageCheck(route), fcParams(35));
}

// ---------------------------------------------------------------------------------------------------
// Layer 2: inside a valid session, mutated plaintext

type AuthCase = { kind: string; muts: Mutation[]; card: CardText; text: string; requestId: string };

const authCase: fc.Arbitrary<AuthCase> = fc.record({
  kind: fc.constantFrom('mutate', 'mutate', 'mutate', 'mutate', 'card', 'card', 'plaintext', 'requestId'),
  muts: mutationsArb,
  card: fc.record(
    {
      pan: fc.oneof(
        nastyString,
        fc.stringMatching(/^[0-9]{12,20}$/),
        fc.constantFrom('4000000000000002', '4111111111111112', '4000000000009995'),
      ),
      exp: fc.oneof(nastyString, fc.stringMatching(/^[0-9]{4}$/), fc.constantFrom('0000', '9913', '2001', '12')),
      cvv: fc.oneof(nastyString, fc.stringMatching(/^[0-9]{3,4}$/), fc.constantFrom('000', '0000')),
    },
    { requiredKeys: [] },
  ),
  text: fc.oneof(
    nastyString,
    garbageBody.map((x) => x.toString()),
  ),
  requestId: nastyString.filter((s) => /^[\x20-\x7e]*$/.test(s)),
});

/** Cases that found bugs: each runs first on every run. */
const KNOWN_AUTH: Record<string, AuthCase[]> = {
  // coinAmount above the vault's maximum: refused only after the card was tokenized, which stays behind.
  [`POST ${PATHS.purchase}`]: [{ kind: 'mutate', muts: [{ op: 'set', at: 3, value: 1e13 }], card: {}, text: '', requestId: 'x' }],
};

function authenticatedCheck(route: string): (c: CaseOf<typeof authCase>) => Promise<void> {
  const path = route.split(' ')[1] as string;
  const make = templates[path] as (c: CardText) => Promise<Record<string, unknown>>;
  return async (a) => {
    const card: CardText = a.kind === 'card' ? a.card : {};
    const valid = await make(card);
    const body = a.kind === 'mutate' ? mutate(valid, a.muts) : valid;
    const plaintext = a.kind === 'plaintext' ? a.text : body === undefined ? '' : toJson(body);
    const headers = path === AUTHORIZE ? { 'content-type': 'application/json', 'x-request_id': randomUUID() } : sessionHeaders(session);
    if (a.kind === 'requestId') headers['x-request_id'] = a.requestId;
    const payload = path === AUTHORIZE ? plaintext : await encryptTo(session.serverPublic, plaintext);
    const sent: Sent = { method: 'POST', url: path, secrets: [card.pan ?? '', card.cvv ?? ''].filter(Boolean) };
    await runner.run(route, sent, () => send(path, payload, headers), judge(sent));
  };
}

async function authenticated(route: string): Promise<void> {
  await assertAsync(authCase, authenticatedCheck(route), fcParams(50));
}

// ---------------------------------------------------------------------------------------------------

describeApiFuzz({
  title: 'AlliancePay fuzz',
  api: 'alliancepay',
  garbage,
  authenticated,
  runner: () => runner,
  stats,
  heapAtStart: () => heapAtStart,
  known: () => {
    describeKnown(KNOWN_AUTH, authenticatedCheck, () => runner);
  },
});
