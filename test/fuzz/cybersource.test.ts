/**
 * Property-based fuzzing of the Cybersource TMS and PTS APIs. Garbage layer: HTTP signatures and JWTs
 * missing, truncated, corrupted or re-headed, wrong dates, digests and merchant ids, junk and oversized
 * bodies, wrong content types, hostile path and query values. Authenticated layer: correctly signed
 * requests (HTTP Signature or HS256 JWT, over the exact bytes sent) whose body, path, query or headers are
 * mutated from a valid one. Oracles: never a 5xx (PTS maps internal errors to 502: also a failure); TMS
 * refusals are {errors:[{type, message, details?}]}, PTS ones {submitTimeUtc, status, reason, message},
 * the 401 its one body; no card number or CVV comes back; a refusal writes nothing.
 */
import { randomInt } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll } from 'vitest';
import {
  buildAuth,
  type CybsClient,
  type CybsCredentials,
  type CybsMode,
  customerBody,
  customerWithCard,
  cybs,
  cybsCreds,
  EXP_YEAR,
  type Knobs,
  piBody,
} from '../gateways/cybersource/helpers.ts';
import { createMerchant, type TestApp, VISA } from '../helpers/harness.ts';
import { ROUTES } from './corpus.ts';
import {
  assertAsync,
  BODY_LIMIT,
  type CaseOf,
  type CaseRunner,
  caseRunner,
  checkPtsError,
  checkTmsError,
  contentType,
  corrupt,
  DEEP,
  describeApiFuzz,
  describeCase,
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
  pathText,
  query,
  type Sent,
  ShapeError,
  secretsIn,
  type TokenCorruption,
  toJson,
  tokenCorruption,
} from './support.ts';

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'HEAD';

let t: TestApp;
let c: CybsClient;
let creds: CybsCredentials;
let otherCreds: CybsCredentials;
let runner: CaseRunner;
let heapAtStart = 0;
const stats = newStats('cybersource');
const fx = {
  customerId: '',
  piId: '',
  iiId: '',
  addressId: '',
  standalonePi: '',
  paymentId: '',
  creditId: '',
  captureId: '',
  refundId: '',
  reversalId: '',
  voidId: '',
};

/**
 * A bank account nobody used yet (an electronic check's new instrument identifier): 10 digits from 1, never
 * one of the simulator's declining or timing-out test accounts (all 9…).
 */
const freshAccount = (): { number: string; routingNumber: string } => ({
  number: `1${Array.from({ length: 9 }, () => randomInt(10)).join('')}`,
  routingNumber: '071923284',
});

/** A Luhn-valid Visa number nobody used yet (a new instrument identifier). */
function freshPan(): string {
  const body = `4${Array.from({ length: 14 }, () => randomInt(10)).join('')}`;
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return `${body}${(10 - (sum % 10)) % 10}`;
}

async function ok(res: Promise<{ status: number; json: Record<string, unknown>; body: string }>): Promise<Record<string, unknown>> {
  runner.dirty();
  const r = await res;
  if (r.status >= 300) throw new Error(`fixture failed: ${r.status} ${r.body}`);
  return r.json;
}

const amount = (totalAmount: string) => ({ orderInformation: { amountDetails: { totalAmount, currency: 'USD' } } });
const authorizeBody = (capture: boolean, code = 'order-1') => ({
  clientReferenceInformation: { code },
  processingInformation: { capture },
  paymentInformation: { paymentInstrument: { id: fx.piId } },
  ...amount('10.00'),
});
/**
 * Fixture first calls each carry a reference of their own: hundreds of byte-identical signed POSTs in a few
 * seconds would outrun the test client's distinct earlier seconds, and the server would answer a kept first
 * answer (an already captured or voided payment) instead of making a new one.
 */
const fresh = (prefix: string) => `${prefix}-${randomInt(1e12)}`;
const newPayment = async (capture: boolean) => (await ok(c.post('/pts/v2/payments', authorizeBody(capture, fresh('order'))))).id as string;
const creditBody = (code = 'cr') => ({
  clientReferenceInformation: { code },
  paymentInformation: { paymentInstrument: { id: fx.piId } },
  ...amount('3.00'),
});
const newCredit = async () => (await ok(c.post('/pts/v2/credits', creditBody(fresh('cr'))))).id as string;
/** Follow-ons are resources with ids of their own: a capture of a new authorization, a refund of a new sale. */
const newCapture = async () => (await ok(c.post(`/pts/v2/payments/${await newPayment(false)}/captures`, amount('10.00')))).id as string;
const newRefund = async () => (await ok(c.post(`/pts/v2/payments/${await newPayment(true)}/refunds`, amount('4.00')))).id as string;
const voidBody = () => ({ clientReferenceInformation: { code: 'void' } });
const address = () => ({
  firstName: 'Ada',
  lastName: 'Lovelace',
  address1: '1 Main St',
  locality: 'London',
  postalCode: 'N1 1AA',
  country: 'GB',
  email: 'a@b.c',
});

interface Spec {
  params?: () => Promise<Record<string, string>> | Record<string, string>;
  query?: () => Record<string, string>;
  body?: () => unknown;
  runs: number;
}

const cus = () => ({ customerId: fx.customerId });
const SPECS: Record<string, Spec> = {
  'POST /tms/v2/customers': { body: () => ({ ...customerBody(), merchantDefinedInformation: [{ name: 'data1', value: 'x' }] }), runs: 60 },
  'GET /tms/v2/customers/:customerId': { params: cus, runs: 25 },
  'PATCH /tms/v2/customers/:customerId': {
    params: cus,
    body: () => ({
      buyerInformation: { email: 'ada@example.org' },
      defaultPaymentInstrument: { id: fx.piId },
      objectInformation: { title: 't' },
    }),
    runs: 50,
  },
  'DELETE /tms/v2/customers/:customerId': {
    params: async () => ({ customerId: (await ok(c.post('/tms/v2/customers', customerBody()))).id as string }),
    runs: 20,
  },
  'POST /tms/v2/customers/:customerId/payment-instruments': { params: cus, body: () => piBody(VISA), runs: 50 },
  'GET /tms/v2/customers/:customerId/payment-instruments': { params: cus, query: () => ({ offset: '0', limit: '10' }), runs: 25 },
  'GET /tms/v2/customers/:customerId/payment-instruments/:piId': { params: () => ({ customerId: fx.customerId, piId: fx.piId }), runs: 25 },
  'PATCH /tms/v2/customers/:customerId/payment-instruments/:piId': {
    params: () => ({ customerId: fx.customerId, piId: fx.piId }),
    body: () => ({ card: { expirationMonth: '11', expirationYear: EXP_YEAR, type: '001' }, billTo: address(), default: true }),
    runs: 50,
  },
  'DELETE /tms/v2/customers/:customerId/payment-instruments/:piId': {
    params: async () => ({
      customerId: fx.customerId,
      piId: (await ok(c.post(`/tms/v2/customers/${fx.customerId}/payment-instruments`, piBody(VISA)))).id as string,
    }),
    runs: 20,
  },
  'POST /tms/v2/customers/:customerId/shipping-addresses': { params: cus, body: () => ({ shipTo: address(), default: false }), runs: 50 },
  'GET /tms/v2/customers/:customerId/shipping-addresses': { params: cus, query: () => ({ offset: '0', limit: '5' }), runs: 25 },
  'GET /tms/v2/customers/:customerId/shipping-addresses/:addressId': {
    params: () => ({ customerId: fx.customerId, addressId: fx.addressId }),
    runs: 25,
  },
  'PATCH /tms/v2/customers/:customerId/shipping-addresses/:addressId': {
    params: () => ({ customerId: fx.customerId, addressId: fx.addressId }),
    body: () => ({ shipTo: { locality: 'Paris', country: 'FR' }, default: true }),
    runs: 50,
  },
  'DELETE /tms/v2/customers/:customerId/shipping-addresses/:addressId': {
    params: async () => ({
      customerId: fx.customerId,
      addressId: (await ok(c.post(`/tms/v2/customers/${fx.customerId}/shipping-addresses`, { shipTo: address() }))).id as string,
    }),
    runs: 20,
  },
  'POST /tms/v1/instrumentidentifiers': {
    body: () =>
      Math.random() < 0.5
        ? { card: { number: freshPan(), expirationMonth: '12', expirationYear: EXP_YEAR }, issuer: { paymentAccountReference: 'x' } }
        : { bankAccount: freshAccount() },
    runs: 50,
  },
  'GET /tms/v1/instrumentidentifiers/:instrumentId': { params: () => ({ instrumentId: fx.iiId }), runs: 25 },
  'PATCH /tms/v1/instrumentidentifiers/:instrumentId': {
    params: () => ({ instrumentId: fx.iiId }),
    body: () => ({
      processingInformation: { authorizationOptions: { initiator: { merchantInitiatedTransaction: { previousTransactionId: '1' } } } },
    }),
    runs: 50,
  },
  'DELETE /tms/v1/instrumentidentifiers/:instrumentId': {
    params: async () => ({
      instrumentId: (await ok(c.post('/tms/v1/instrumentidentifiers', { card: { number: freshPan() } }))).id as string,
    }),
    runs: 20,
  },
  'GET /tms/v1/instrumentidentifiers/:instrumentId/paymentinstruments': {
    params: () => ({ instrumentId: fx.iiId }),
    query: () => ({ offset: '0', limit: '2' }),
    runs: 25,
  },
  'POST /tms/v1/paymentinstruments': {
    body: () =>
      Math.random() < 0.5
        ? piBody(VISA)
        : { bankAccount: { type: 'savings' }, billTo: address(), instrumentIdentifier: { bankAccount: freshAccount() } },
    runs: 50,
  },
  'GET /tms/v1/paymentinstruments/:piId': { params: () => ({ piId: fx.standalonePi }), runs: 25 },
  'PATCH /tms/v1/paymentinstruments/:piId': {
    params: () => ({ piId: fx.standalonePi }),
    body: () => ({ card: { expirationMonth: '10', expirationYear: EXP_YEAR }, billTo: address(), merchantInformation: { a: 1 } }),
    runs: 50,
  },
  'DELETE /tms/v1/paymentinstruments/:piId': {
    params: async () => ({ piId: (await ok(c.post('/tms/v1/paymentinstruments', piBody(VISA)))).id as string }),
    runs: 20,
  },
  'POST /pts/v2/payments': {
    body: () =>
      Math.random() < 0.2
        ? {
            clientReferenceInformation: { code: 'echeck' },
            paymentInformation: {
              bank: { account: { type: 'C', number: freshAccount().number }, routingNumber: '071923284' },
              paymentType: { name: 'CHECK' },
            },
            orderInformation: { amountDetails: { totalAmount: '3.00', currency: 'USD' }, billTo: address() },
          }
        : Math.random() < 0.5
          ? authorizeBody(false)
          : {
              clientReferenceInformation: { code: 'tc' },
              processingInformation: {
                capture: false,
                actionList: ['TOKEN_CREATE'],
                actionTokenTypes: ['customer', 'paymentInstrument', 'shippingAddress'],
              },
              paymentInformation: {
                card: { number: '6011111111111117', expirationMonth: '12', expirationYear: EXP_YEAR, securityCode: '739' },
              },
              orderInformation: { amountDetails: { totalAmount: '12.00', currency: 'USD' }, billTo: address(), shipTo: address() },
              buyerInformation: { merchantCustomerId: `m-${randomInt(1e9)}` },
            },
    runs: 80,
  },
  'GET /pts/v2/payments/:id': { params: () => ({ id: fx.paymentId }), runs: 25 },
  'POST /pts/v2/payments/:id/captures': {
    params: async () => ({ id: await newPayment(false) }),
    body: () => ({ clientReferenceInformation: { code: 'cap' }, ...amount('5.00') }),
    runs: 50,
  },
  'POST /pts/v2/payments/:id/reversals': {
    params: async () => ({ id: await newPayment(false) }),
    body: () => ({ reversalInformation: { amountDetails: { totalAmount: '10.00', currency: 'USD' }, reason: 'customer' } }),
    runs: 50,
  },
  'POST /pts/v2/payments/:id/refunds': { params: async () => ({ id: await newPayment(true) }), body: () => amount('5.00'), runs: 50 },
  'POST /pts/v2/credits': { body: () => creditBody(), runs: 50 },
  'GET /pts/v2/credits/:id': { params: () => ({ id: fx.creditId }), runs: 25 },
  'POST /pts/v2/captures/:id/refunds': { params: async () => ({ id: await newCapture() }), body: () => amount('2.00'), runs: 50 },
  'GET /pts/v2/captures/:id': { params: () => ({ id: fx.captureId }), runs: 25 },
  'GET /pts/v2/refunds/:id': { params: () => ({ id: fx.refundId }), runs: 25 },
  'GET /pts/v2/reversals/:id': { params: () => ({ id: fx.reversalId }), runs: 25 },
  'GET /pts/v2/voids/:id': { params: () => ({ id: fx.voidId }), runs: 25 },
  // Each void consumes what it voids: a new sale, capture, refund or credit per case.
  'POST /pts/v2/payments/:id/voids': { params: async () => ({ id: await newPayment(true) }), body: voidBody, runs: 50 },
  'POST /pts/v2/captures/:id/voids': { params: async () => ({ id: await newCapture() }), body: voidBody, runs: 50 },
  'POST /pts/v2/refunds/:id/voids': { params: async () => ({ id: await newRefund() }), body: voidBody, runs: 50 },
  'POST /pts/v2/credits/:id/voids': { params: async () => ({ id: await newCredit() }), body: voidBody, runs: 50 },
};

const specOf = (route: string): Spec => {
  const s = SPECS[route] ?? SPECS[route.replace(/^HEAD /, 'GET ')];
  if (!s) throw new Error(`no fuzz spec for ${route}`);
  return s;
};

beforeAll(async () => {
  t = await makeFuzzApp();
  const m = await createMerchant(t, 'Fuzz Cybersource');
  creds = cybsCreds(m);
  otherCreds = cybsCreds(await createMerchant(t, 'Other Cybersource'));
  c = cybs(t, m);
  runner = caseRunner(stats, await fingerprinter(t));
  const made = await customerWithCard(c, VISA);
  fx.customerId = made.customerId;
  fx.piId = made.piId;
  fx.iiId = made.iiId;
  fx.addressId = (await ok(c.post(`/tms/v2/customers/${fx.customerId}/shipping-addresses`, { shipTo: address() }))).id as string;
  fx.standalonePi = (await ok(c.post('/tms/v1/paymentinstruments', piBody(VISA)))).id as string;
  fx.paymentId = await newPayment(false);
  fx.creditId = await newCredit();
  fx.captureId = await newCapture();
  fx.refundId = await newRefund();
  fx.reversalId = (await ok(c.post(`/pts/v2/payments/${await newPayment(false)}/reversals`, {}))).id as string;
  fx.voidId = (await ok(c.post(`/pts/v2/refunds/${await newRefund()}/voids`, voidBody()))).id as string;
  heapAtStart = heapMb();
}, 120_000);

afterAll(() => t.close());

// ---------------------------------------------------------------------------------------------------
// The oracle

function judge(sent: Sent) {
  return (res: LightMyRequestResponse) => {
    const pts = sent.url.startsWith('/pts/');
    if (res.statusCode >= 400) {
      if (pts) checkPtsError(sent, res);
      else checkTmsError(sent, res);
      return { refused: true };
    }
    if (sent.method === 'HEAD' || res.statusCode === 204) return { refused: false };
    const type = String(res.headers['content-type'] ?? '');
    if (type.startsWith('application/jose')) return { refused: false };
    if (jsonOf(res) === undefined) throw new ShapeError(`a 2xx that is not JSON: ${describeCase(sent, res)}`);
    return { refused: false };
  };
}

// ---------------------------------------------------------------------------------------------------
// Layer 1: garbage

type GarbageAuth =
  | { kind: 'valid' | 'none' | 'otherMerchant' | 'otherSecret' | 'staleDate' | 'badDigest' | 'noDigest' | 'jwtExpired' | 'jwtReplay' }
  | { kind: 'corruptSig'; c: TokenCorruption }
  | { kind: 'corruptJwt'; c: TokenCorruption }
  | { kind: 'knob'; name: 'date' | 'keyId' | 'merchantId' | 'algorithm' | 'signature' | 'digest'; value: string };

const printable = nastyString.filter((s) => /^[\x20-\x7e]*$/.test(s));
const authArb = fc.oneof<fc.Arbitrary<GarbageAuth>[]>(
  fc.record({
    kind: fc.constantFrom(
      'valid',
      'none',
      'otherMerchant',
      'otherSecret',
      'staleDate',
      'badDigest',
      'noDigest',
      'jwtExpired',
      'jwtReplay',
    ) as fc.Arbitrary<
      'valid' | 'none' | 'otherMerchant' | 'otherSecret' | 'staleDate' | 'badDigest' | 'noDigest' | 'jwtExpired' | 'jwtReplay'
    >,
  }),
  fc.record({ kind: fc.constant('corruptSig' as const), c: tokenCorruption }),
  fc.record({ kind: fc.constant('corruptJwt' as const), c: tokenCorruption }),
  fc.record({
    kind: fc.constant('knob' as const),
    name: fc.constantFrom(
      'date' as const,
      'keyId' as const,
      'merchantId' as const,
      'algorithm' as const,
      'signature' as const,
      'digest' as const,
    ),
    value: printable,
  }),
);

let lastJwt = '';
async function authHeaders(a: GarbageAuth, method: Method, url: string, text: string | undefined): Promise<Record<string, string>> {
  const sig: CybsMode = { kind: 'sig' };
  const jwt: CybsMode = { kind: 'jwt-hs256' };
  const m = method === 'HEAD' ? 'GET' : method;
  const build = (mode: CybsMode, k: Knobs = {}, who = creds) =>
    buildAuth(who, mode, m, url, text, { ...(method === 'HEAD' ? { signedMethod: 'head' } : {}), ...k });
  switch (a.kind) {
    case 'valid':
      return build(Math.random() < 0.5 ? sig : jwt);
    case 'none':
      return build(sig, { omit: ['signature', 'authorization'] });
    case 'otherMerchant':
      return build(sig, { merchantId: otherCreds.merchantId });
    case 'otherSecret':
      return build(jwt, { secret: otherCreds.sharedSecret });
    case 'staleDate':
      return build(sig, { date: new Date(Date.now() - 3_600_000).toUTCString() });
    case 'badDigest':
      return build(sig, { digest: 'SHA-256=AAAA' });
    case 'noDigest':
      return build(sig, { omit: ['digest'] });
    case 'jwtExpired':
      return build(jwt, { iat: Math.floor(Date.now() / 1000) - 600, exp: Math.floor(Date.now() / 1000) - 300 });
    case 'jwtReplay': {
      if (lastJwt === '') {
        const h = await build(jwt);
        lastJwt = h.authorization as string;
      }
      return { ...(await build(jwt)), authorization: lastJwt };
    }
    case 'corruptSig': {
      const h = await build(sig);
      return { ...h, signature: corrupt(h.signature as string, a.c) };
    }
    case 'corruptJwt': {
      const h = await build(jwt);
      const bad = corrupt((h.authorization as string).slice(7), a.c);
      return { ...h, authorization: `Bearer ${bad}` };
    }
    case 'knob': {
      const h = await build(sig);
      if (a.name === 'keyId') return build(sig, { keyId: a.value });
      if (a.name === 'algorithm') return build(sig, { algorithm: a.value });
      return { ...h, [a.name === 'merchantId' ? 'v-c-merchant-id' : a.name]: a.value };
    }
  }
}

const garbageCase = fc.record({
  method: fc.oneof(
    { weight: 3, arbitrary: fc.constant<Method | null>(null) },
    { weight: 1, arbitrary: fc.constantFrom<Method | null>('GET', 'POST', 'PATCH', 'DELETE', 'HEAD') },
  ),
  params: fc.array(pathText, { minLength: 2, maxLength: 2 }),
  query: fc.array(fc.tuple(fc.oneof(nastyString, fc.constantFrom('offset', 'limit')), nastyString), { maxLength: 3 }),
  auth: authArb,
  body: fc.oneof(
    { weight: 5, arbitrary: garbageBody.map((b) => b.toString()) },
    { weight: 1, arbitrary: fc.constant(`{"a":"${'x'.repeat(BODY_LIMIT)}"}`) },
  ),
  contentType,
  headers: garbageHeaders,
});

function garbageCheck(route: string): (c: CaseOf<typeof garbageCase>) => Promise<void> {
  const [routeMethod, pattern] = route.split(' ') as [Method, string];
  return async (g) => {
    const names = [...pattern.matchAll(/:([A-Za-z]+)/g)].map((x) => x[1] as string);
    const values = Object.fromEntries(names.map((n, i) => [n, g.params[i] as string]));
    const url = fill(pattern, values) + query(g.query);
    const method = g.method ?? routeMethod;
    const text = method === 'GET' || method === 'HEAD' || method === 'DELETE' ? undefined : g.body;
    const headers: Record<string, string> = { ...g.headers, ...(await authHeaders(g.auth, method, url, text)) };
    if (g.contentType !== undefined) headers['content-type'] = g.contentType;
    const served = ROUTES.cybersource.filter((r) => r.endsWith(` ${pattern}`)).map((r) => r.split(' ')[0]);
    const sent: Sent = { method, url, unrouted: !served.includes(method) };
    await runner.run(
      route,
      sent,
      () => t.app.inject({ method, url, headers, ...(text !== undefined ? { payload: text } : {}) }),
      judge(sent),
    );
  };
}

async function garbage(route: string): Promise<void> {
  await assertAsync(garbageCase, garbageCheck(route), fcParams(20));
}

// ---------------------------------------------------------------------------------------------------
// Layer 2: signed requests, one part mutated

type AuthCase = { target: string; jwt: boolean; muts: Mutation[]; paramValue: string; header: [string, string] };

const authCase: fc.Arbitrary<AuthCase> = fc.record({
  target: fc.constantFrom<string>('body', 'body', 'body', 'body', 'params', 'query', 'headers'),
  jwt: fc.boolean(),
  muts: mutationsArb,
  paramValue: fc.oneof(pathText, fc.constantFrom('0', 'A'.repeat(32), '7'.repeat(19), '9'.repeat(22), 'a'.repeat(65))),
  header: fc.tuple(
    fc.constantFrom<string>('if-match', 'accept', 'content-type'),
    fc.oneof(fc.constantFrom('*', '"x"', 'W/"x"', 'application/jose', 'application/json', 'text/plain', ''), printable),
  ),
});

/** Cases that found bugs: each runs first on every run. */
const add = (key: string, value: unknown): AuthCase => ({
  target: 'body',
  jwt: false,
  muts: [{ op: 'add', at: 0, key, value }],
  paramValue: 'x',
  header: ['accept', '*/*'],
});
const KNOWN_AUTH: Record<string, AuthCase[]> = {
  // A clientReferenceInformation that is not an object: refused with 400 after the money moved.
  'POST /pts/v2/payments/:id/captures': [add('clientReferenceInformation', 'x')],
  'POST /pts/v2/payments/:id/refunds': [add('clientReferenceInformation', 'x')],
  'POST /pts/v2/payments/:id/reversals': [add('clientReferenceInformation', 'x')],
  'POST /pts/v2/captures/:id/refunds': [add('clientReferenceInformation', 'x')],
  // The same case on the voids, which read the reference too: it must be refused before anything is voided.
  'POST /pts/v2/payments/:id/voids': [add('clientReferenceInformation', 'x')],
  'POST /pts/v2/captures/:id/voids': [add('clientReferenceInformation', 'x')],
  'POST /pts/v2/refunds/:id/voids': [add('clientReferenceInformation', 'x')],
  'POST /pts/v2/credits/:id/voids': [add('clientReferenceInformation', 'x')],
  // Deeply nested objects kept as record extras: JSON.stringify overflowed the stack → 500 (after a write, for a new II).
  'POST /tms/v2/customers': [add('objectInformation', { x: DEEP })],
  'PATCH /tms/v2/customers/:customerId': [add('objectInformation', { x: DEEP })],
  'POST /tms/v1/instrumentidentifiers': [add('issuer', { x: DEEP })],
  'PATCH /tms/v1/instrumentidentifiers/:instrumentId': [add('issuer', { x: DEEP })],
  'POST /tms/v1/paymentinstruments': [add('buyerInformation', { x: DEEP })],
  'PATCH /tms/v1/paymentinstruments/:piId': [add('merchantInformation', { x: DEEP })],
  'POST /tms/v2/customers/:customerId/payment-instruments': [add('buyerInformation', { x: DEEP })],
  'PATCH /tms/v2/customers/:customerId/payment-instruments/:piId': [add('merchantInformation', { x: DEEP })],
};

function authenticatedCheck(route: string): (c: CaseOf<typeof authCase>) => Promise<void> {
  const [method, pattern] = route.split(' ') as [Method, string];
  const spec = specOf(route);
  return async (a) => {
    const params = spec.params ? await spec.params() : {};
    const names = Object.keys(params);
    let target = a.target;
    if (target === 'params' && names.length === 0) target = 'body';
    if (target === 'body' && !spec.body) target = names.length > 0 ? 'params' : 'query';
    if (target === 'params') params[names[randomInt(names.length)] as string] = a.paramValue;
    let q: unknown = spec.query?.() ?? {};
    if (target === 'query') q = mutate(q, a.muts);
    const pairs: [string, string][] =
      q !== null && typeof q === 'object' && !Array.isArray(q)
        ? Object.entries(q as Record<string, unknown>).map(([k, v]) => [k, typeof v === 'string' ? v : toJson(v)])
        : [['q', toJson(q)]];
    const url = fill(pattern, params) + query(pairs);
    const body = spec.body ? (target === 'body' ? mutate(spec.body(), a.muts) : spec.body()) : undefined;
    const text = body === undefined ? undefined : toJson(body);
    const m = method === 'HEAD' ? 'GET' : method;
    const headers = await buildAuth(
      creds,
      a.jwt ? { kind: 'jwt-hs256' } : { kind: 'sig' },
      m,
      url,
      text,
      method === 'HEAD' ? { signedMethod: 'head' } : {},
    );
    if (target === 'headers') headers[a.header[0]] = a.header[1];
    const sent: Sent = { method, url, secrets: secretsIn(body, ['number', 'securityCode']) };
    await runner.run(
      route,
      sent,
      () => t.app.inject({ method, url, headers, ...(text !== undefined ? { payload: text } : {}) }),
      judge(sent),
    );
  };
}

async function authenticated(route: string): Promise<void> {
  await assertAsync(authCase, authenticatedCheck(route), fcParams(route.startsWith('HEAD ') ? 10 : specOf(route).runs));
}

// ---------------------------------------------------------------------------------------------------

describeApiFuzz({
  title: 'Cybersource fuzz',
  api: 'cybersource',
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
