/**
 * Tenant isolation, one table for every API (issue 11, item 3): for each operation that can name another
 * merchant's object, merchant A makes the object, merchant B aims its own valid credentials at it, and
 *
 *  - B is refused, and the refusal is the one B gets for a made-up id of the same shape (same status, media
 *    type and body once ids, times and request ids are blanked): no existence oracle — except where the
 *    gateway's contract defines a distinct answer (AppotaPay errorCode 86, docs/appotapay.md), asserted as
 *    documented;
 *  - or, where the name is the merchant's own reference (a customerId, merchantRefId, card number), B's
 *    request works in B's own namespace and never lands on A's object;
 *  - and in every case every row A owns is as it was and A reads its objects back unchanged.
 *
 * A guard test fails when the app serves a route that no row (or listed exemption) covers.
 */

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiName } from '../../src/api/guard.ts';
import { DOCUMENT_IDS, documentUrl } from '../../src/api/openapi.ts';
import { publishableKey } from '../api/elements/helpers.ts';
import { apDate, PATHS } from '../gateways/alliancepay/helpers.ts';
import { createToken as appotaCreateToken, chargeBody, refId, tokenBody } from '../gateways/appotapay/helpers.ts';
import { customerBody, customerWithCard, EXP_YEAR, piBody } from '../gateways/cybersource/helpers.ts';
import { AMEX, futureYear, MASTERCARD, makeTestApp, type TestApp, tokenize, VISA } from '../helpers/harness.ts';
import {
  lookalike,
  makeParty,
  normalise,
  ownedRows,
  type Party,
  publicJwk,
  type Seen,
  seenOf,
  servedRoutes,
  UNTHROTTLED,
} from './helpers.ts';

type Api = ApiName | 'admin';
type Ids = Record<string, string>;

interface BaseRow {
  api: Api;
  op: string;
  /** The routes this row exercises, as `METHOD /path` the way the app registers them. */
  routes: string[];
  /** A's objects (and, under `own` keys, B's own objects or public values) the request names. */
  make: () => Promise<Ids>;
  /** Keys of `make`'s ids that are not A's: left as they are in the made-up twin. */
  own?: string[];
  /** B's request. */
  send: (ids: Ids) => Promise<Seen>;
}

interface HiddenRow extends BaseRow {
  /** Refused exactly as a made-up id is. */
  outcome: 'hidden';
  refused: (s: Seen) => void;
}

interface DocumentedRow extends BaseRow {
  /** Refused with the answer the gateway's contract defines for another merchant's object. */
  outcome: 'documented';
  refused: (s: Seen) => void;
  /** What the contract answers for a made-up id instead. */
  unknown: (s: Seen) => void;
}

interface OwnRow extends BaseRow {
  /** The name is a merchant-scoped reference: B's request succeeds for B and never reaches A's object. */
  outcome: 'own';
  check: (ids: Ids, s: Seen) => Promise<void>;
}

type Row = HiddenRow | DocumentedRow | OwnRow;

let t: TestApp;
let A: Party;
let B: Party;

beforeAll(async () => {
  t = await makeTestApp({ env: UNTHROTTLED });
  A = await makeParty(t, 'Isolation merchant A');
  B = await makeParty(t, 'Isolation merchant B');
});
afterAll(() => t?.close());

// -------------------------------------------------------------------------------------------------
// How each API answers, seen from the client

const cyAmount = (totalAmount = '10.00') => ({ orderInformation: { amountDetails: { totalAmount, currency: 'USD' } } });
const shipTo = () => ({
  shipTo: { firstName: 'Ada', lastName: 'Lovelace', address1: '1 Main St', locality: 'London', postalCode: 'N1 1AA', country: 'GB' },
});
const twoc2pExpiry = () => `${futureYear()}-12-31`;
const seq = (() => {
  let n = 0;
  return () => `${Date.now().toString(36)}${(++n).toString(36)}`;
})();

const native = (p: Party) => ({
  get: async (url: string, headers?: Record<string, string>) => seenOf(await p.native.get(url, headers)),
  post: async (url: string, body?: unknown) => seenOf(await p.native.post(url, body)),
  patch: async (url: string, body: unknown) => seenOf(await p.native.patch(url, body)),
  delete: async (url: string) => seenOf(await p.native.delete(url)),
});

/** B's merchant API key presented to an operator route. */
const adminAsB = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: Record<string, unknown>) =>
  seenOf(
    await t.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${B.m.apiKey}` },
      ...(payload ? { payload } : {}),
    }),
  );

const c2 = async (p: Party, op: 'add' | 'update' | 'get' | 'delete', payload: Record<string, unknown>): Promise<Seen> => {
  const r = await p.c2.call(op, payload);
  return { status: r.status, type: 'jws', body: r.json ?? r.body };
};

const opay = async (p: Party, op: 'create' | 'query' | 'delete', body: Record<string, unknown>): Promise<Seen> => {
  const r = await p.opay.call(op, body);
  return { status: r.status, type: 'json', body: r.json };
};

const ap = async (p: Party, path: string, body: Record<string, unknown>): Promise<Seen> => {
  const r = await p.ap.call(path, body);
  return { status: r.status, type: r.encrypted ? 'jwe' : 'json', body: r.json };
};

const appota = async (p: Party, method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<Seen> => {
  const r = await p.appota.call(method, path, body);
  return { status: r.status, type: String(r.headers['content-type'] ?? ''), body: r.json ?? r.body };
};

const cy = async (p: Party, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown, headers?: Record<string, string>) => {
  const r = await p.cy.request(method, url, body, headers ? { headers } : {});
  return { status: r.status, type: String(r.headers['content-type'] ?? ''), body: r.json ?? r.body } satisfies Seen;
};

// Refusals, per API.
const problem = (status: number, code: string) => (s: Seen) => {
  expect(s.status, JSON.stringify(s.body)).toBe(status);
  expect(s.type).toMatch(/^application\/problem\+json/);
  expect(s.body.code).toBe(code);
};
const emptyList = (s: Seen) => {
  expect(s.status, JSON.stringify(s.body)).toBe(200);
  expect(s.body.data).toEqual([]);
};
const c2Code = (code: string) => (s: Seen) => {
  expect(s.status, JSON.stringify(s.body)).toBe(200);
  expect(s.body.responseCode).toBe(code);
};
const opayCode = (code: string) => (s: Seen) => {
  expect(s.status).toBe(200);
  expect(s.body.code, JSON.stringify(s.body)).toBe(code);
  expect(s.body.data).toBeNull();
};
const apCode = (status: number, msgCode: string) => (s: Seen) => {
  expect(s.type, JSON.stringify(s.body)).toBe('json');
  expect(s.status, JSON.stringify(s.body)).toBe(status);
  expect(s.body.msgCode).toBe(msgCode);
};
const appotaCode = (status: number, errorCode: number) => (s: Seen) => {
  expect(s.status, JSON.stringify(s.body)).toBe(status);
  expect(s.body.errorCode).toBe(errorCode);
};
const tmsError = (status: number, type: string) => (s: Seen) => {
  expect(s.status, JSON.stringify(s.body)).toBe(status);
  expect(s.body.errors?.[0]?.type).toBe(type);
};
const ptsError = (reason: string) => (s: Seen) => {
  expect(s.status, JSON.stringify(s.body)).toBe(400);
  expect(s.body.status).toBe('INVALID_REQUEST');
  expect(s.body.reason).toBe(reason);
};

// Card elements: each party's publishable key, for its own page origin.
const pageOf = (p: Party) => (p === A ? 'https://a-shop.example' : 'https://b-shop.example');
const elementsKeys = new Map<Party, Promise<{ id: string; key: string }>>();
const elementsKey = (p: Party) => {
  let k = elementsKeys.get(p);
  if (!k) {
    k = publishableKey(t, p.m.id, [pageOf(p)]);
    elementsKeys.set(p, k);
  }
  return k;
};

/** A card element request from `p`'s page: with `p`'s own publishable key unless another is given. */
async function elementsCall(p: Party, method: 'GET' | 'POST' | 'OPTIONS', url: string, over: Record<string, unknown>, key?: string) {
  const k = key ?? (await elementsKey(p)).key;
  const origin = pageOf(p);
  const query = new URLSearchParams({ key: k, ...(method === 'GET' ? { origin, channel: 'c1' } : {}) });
  const card = { number: VISA, expMonth: 12, expYear: futureYear(), cvc: '123', ...over };
  return t.app.inject({
    method,
    url: `${url}?${query}`,
    headers: { origin, ...(method === 'OPTIONS' ? { 'access-control-request-method': 'POST' } : {}) },
    ...(method === 'POST' ? { payload: card } : {}),
  });
}

// -------------------------------------------------------------------------------------------------
// A's objects

async function nativeCustomer(): Promise<Ids> {
  const ext = `ext-${seq()}`;
  const c = await A.native.post('/v1/customers', { customerId: ext, name: 'Grace Hopper' });
  if (c.statusCode !== 201) throw new Error(`customer: ${c.body}`);
  const customer = c.json().id as string;
  const card = (await tokenize(A.native, { customer, holderName: 'Grace Hopper' })).token as string;
  const a = await A.native.post(`/v1/customers/${customer}/addresses`, { address: { line1: '1 Main St', city: 'London', country: 'GB' } });
  if (a.statusCode !== 201) throw new Error(`address: ${a.body}`);
  return { customer, ext, card, address: a.json().id };
}

async function nativeCard(): Promise<Ids> {
  return { card: (await tokenize(A.native, { number: MASTERCARD })).token };
}

async function nativePayment(kind: 'authorized' | 'captured' | 'pending'): Promise<Ids> {
  const card = (await tokenize(A.native, { number: kind === 'pending' ? '4000000000003220' : VISA })).token as string;
  const r = await A.native.post('/v1/payments', { token: card, amount: 1000, currency: 'USD', capture: kind === 'captured' });
  if (r.statusCode !== 201) throw new Error(`payment: ${r.body}`);
  const want = { authorized: 'AUTHORIZED', captured: 'CAPTURED', pending: 'PENDING_AUTHENTICATION' }[kind];
  if (r.json().status !== want) throw new Error(`payment is ${r.json().status}, not ${want}`);
  return { payment: r.json().id, card };
}

async function twoc2pToken(): Promise<Ids> {
  const r = await A.c2.call('add', {
    merchantID: A.c2.merchantID,
    tokenProvider: 'CC',
    accountNo: VISA,
    name: 'Grace Hopper',
    expiry: twoc2pExpiry(),
  });
  if (r.json?.responseCode !== '0000') throw new Error(`2C2P add: ${JSON.stringify(r.json)}`);
  return { token: r.json.token as string };
}

async function opayToken(): Promise<Ids> {
  const customerRef = `opay-cus-${seq()}`;
  const reference = `opay-ref-${seq()}`;
  const r = await A.opay.call('create', {
    reference,
    cardNumber: VISA,
    expiryYear: String(futureYear() % 100).padStart(2, '0'),
    expiryMonth: '12',
    cardHolderName: 'Grace Hopper',
    customerInfo: { customerId: customerRef, customerName: 'Grace Hopper' },
  });
  if (r.json.code !== '00000') throw new Error(`OPay create: ${JSON.stringify(r.json)}`);
  return { token: (r.json.data as { opayToken: string }).opayToken, customerRef, reference };
}

async function allianceToken(pan = MASTERCARD): Promise<Ids> {
  const customerRef = `ap-cus-${seq()}`;
  const body = await A.apBodies.createToken({ customerId: customerRef, pan });
  const r = await A.ap.call(PATHS.create, body);
  if (!r.encrypted) throw new Error(`AlliancePay create: ${r.raw}`);
  return { token: r.json.token, customerRef, requestId: body.merchantRequestId };
}

async function alliancePending(): Promise<Ids> {
  const token = (await allianceToken('4000000000003220')).token as string;
  const r = await A.ap.call(PATHS.tokenPurchase, await A.apBodies.tokenPurchase(token));
  if (r.json.status !== 'REQUIRED_3DS') throw new Error(`AlliancePay purchase: ${JSON.stringify(r.json)}`);
  return { operation: r.json.operationId, token };
}

async function alliancePaid(): Promise<Ids> {
  const token = (await allianceToken()).token as string;
  const r = await A.ap.call(PATHS.tokenPurchase, await A.apBodies.tokenPurchase(token));
  if (r.json.status !== 'SUCCESS') throw new Error(`AlliancePay purchase: ${JSON.stringify(r.json)}`);
  return { operation: r.json.operationId, requestId: r.json.merchantRequestId, token };
}

async function appotaToken(): Promise<Ids> {
  const tok = await appotaCreateToken(A.appota);
  return { token: tok.tokenId, ref: tok.merchantRefId };
}

async function appotaCharge(capture = false): Promise<Ids> {
  const token = (await appotaToken()).token as string;
  const body = chargeBody(token, { capture });
  const r = await A.appota.call('POST', '/credit-card/charge', body);
  if (r.status !== 200 || r.json.status !== (capture ? 'CAPTURED' : 'AUTHORIZED')) throw new Error(`AppotaPay charge: ${r.body}`);
  return { charge: r.json.id, chargeRef: body.merchantRefId as string, token };
}

/** A's captured charge, refunded in part (so it could still be refunded). */
async function appotaRefund(): Promise<Ids> {
  const ids = await appotaCharge(true);
  const refundRef = refId('RF');
  const r = await A.appota.call('POST', '/credit-card/refund', {
    transactionId: ids.charge,
    merchantRefId: refundRef,
    amount: 50000,
    currency: 'VND',
  });
  if (r.status !== 200 || r.json.status !== 'success') throw new Error(`AppotaPay refund: ${r.body}`);
  return { ...ids, refund: r.json.refundId, refundRef };
}

/** A's authorization, reversed. */
async function appotaReversal(): Promise<Ids> {
  const ids = await appotaCharge();
  const reversalRef = refId('RV');
  const r = await A.appota.call('POST', '/credit-card/reversal', { authorizationId: ids.charge, merchantRefId: reversalRef });
  if (r.status !== 200 || r.json.status !== 'success') throw new Error(`AppotaPay reversal: ${r.body}`);
  return { ...ids, reversal: r.json.reversalId, reversalRef };
}

/** B's own AppotaPay charge, for requests that reuse A's references on it. */
async function bAppotaCharge(capture: boolean): Promise<string> {
  const r = await B.appota.call('POST', '/credit-card/charge', chargeBody((await appotaCreateToken(B.appota)).tokenId, { capture }));
  if (r.status !== 200) throw new Error(`B AppotaPay charge: ${r.body}`);
  return r.json.id;
}

async function cyCustomer(): Promise<Ids> {
  const c = await customerWithCard(A.cy, VISA);
  const sa = await A.cy.post(`/tms/v2/customers/${c.customerId}/shipping-addresses`, shipTo());
  if (sa.status !== 201) throw new Error(`shipping address: ${sa.body}`);
  return {
    customer: c.customerId,
    pi: c.piId,
    ii: c.iiId,
    address: sa.json.id,
    merchantCustomerID: c.customer.buyerInformation.merchantCustomerID,
  };
}

/** A's bank account: its instrument identifier and a standalone payment instrument (an electronic check's). */
let bankAccounts = 0;
async function cyBankAccount(): Promise<Ids> {
  const r = await A.cy.post('/tms/v1/paymentinstruments', {
    bankAccount: { type: 'checking' },
    instrumentIdentifier: { bankAccount: { number: String(60_000_000 + ++bankAccounts), routingNumber: '071923284' } },
  });
  if (r.status !== 201) throw new Error(`bank payment instrument: ${r.body}`);
  return { pi: r.json.id, ii: r.json.instrumentIdentifier.id };
}

async function cyStandalonePi(): Promise<Ids> {
  const r = await A.cy.post('/tms/v1/paymentinstruments', piBody(MASTERCARD));
  if (r.status !== 201) throw new Error(`standalone PI: ${r.body}`);
  return { pi: r.json.id, ii: r.json.instrumentIdentifier.id };
}

async function cyPayment(capture: boolean): Promise<Ids> {
  const customer = (await cyCustomer()).customer as string;
  const r = await A.cy.post('/pts/v2/payments', {
    clientReferenceInformation: { code: `ord-${seq()}` },
    paymentInformation: { customer: { id: customer } },
    processingInformation: { capture },
    ...cyAmount(),
  });
  if (r.status !== 201 || r.json.status !== 'AUTHORIZED') throw new Error(`PTS payment: ${r.body}`);
  return { payment: r.json.id, customer };
}

/** A's follow-on of `kind` (its id under `followOn`) on a payment of A's; A's void is of a capture. */
async function cyFollowOn(kind: 'captures' | 'refunds' | 'reversals' | 'voids'): Promise<Ids> {
  const ids = await cyPayment(false);
  const post = async (url: string, body: unknown) => {
    const r = await A.cy.post(url, body);
    if (r.status !== 201) throw new Error(`PTS ${url}: ${r.body}`);
    return r.json.id as string;
  };
  if (kind === 'reversals') return { ...ids, followOn: await post(`/pts/v2/payments/${ids.payment}/reversals`, {}) };
  const capture = await post(`/pts/v2/payments/${ids.payment}/captures`, cyAmount());
  if (kind === 'captures') return { ...ids, followOn: capture };
  const path = kind === 'refunds' ? 'refunds' : 'voids';
  return { ...ids, capture, followOn: await post(`/pts/v2/captures/${capture}/${path}`, kind === 'refunds' ? cyAmount('3.00') : {}) };
}

async function cyCredit(): Promise<Ids> {
  const customer = (await cyCustomer()).customer as string;
  const r = await A.cy.post('/pts/v2/credits', { paymentInformation: { customer: { id: customer } }, ...cyAmount('5.00') });
  if (r.status !== 201) throw new Error(`PTS credit: ${r.body}`);
  return { credit: r.json.id, customer };
}

/** B's own Cybersource customer (with a card and an address), for requests that mix B's ids with A's. */
async function bCyCustomer(): Promise<{ bCustomer: string; bPi: string; bAddress: string }> {
  const c = await customerWithCard(B.cy, AMEX);
  const sa = await B.cy.post(`/tms/v2/customers/${c.customerId}/shipping-addresses`, shipTo());
  if (sa.status !== 201) throw new Error(`B shipping address: ${sa.body}`);
  return { bCustomer: c.customerId, bPi: c.piId, bAddress: sa.json.id };
}

// -------------------------------------------------------------------------------------------------
// The matrix

/** Rows for operations that must answer B exactly as for a made-up id: one `[op, route, send]` each. */
function hiddenRows(
  api: Row['api'],
  make: Row['make'],
  refused: HiddenRow['refused'],
  ops: readonly (readonly [string, string, Row['send']])[],
  own?: string[],
): Row[] {
  return ops.map(([op, route, send]) => ({ api, op, routes: [route], make, send, outcome: 'hidden', refused, ...(own ? { own } : {}) }));
}

const N = native;
const ROWS: Row[] = [
  // ---- native /v1: customers and addresses
  ...hiddenRows('native', nativeCustomer, problem(404, 'customer_not_found'), [
    ['get customer', 'GET /v1/customers/:id', (i: Ids) => N(B).get(`/v1/customers/${i.customer}`)],
    ['update customer', 'PATCH /v1/customers/:id', (i: Ids) => N(B).patch(`/v1/customers/${i.customer}`, { name: 'pwned' })],
    ['delete customer', 'DELETE /v1/customers/:id', (i: Ids) => N(B).delete(`/v1/customers/${i.customer}`)],
    ["list a customer's cards", 'GET /v1/customers/:id/cards', (i: Ids) => N(B).get(`/v1/customers/${i.customer}/cards`)],
    [
      'add an address',
      'POST /v1/customers/:id/addresses',
      (i: Ids) => N(B).post(`/v1/customers/${i.customer}/addresses`, { address: { line1: 'evil' }, default: true }),
    ],
    ['list addresses', 'GET /v1/customers/:id/addresses', (i: Ids) => N(B).get(`/v1/customers/${i.customer}/addresses`)],
  ]),
  ...hiddenRows(
    'native',
    nativeCustomer,
    (s) => {
      expect(s.status, JSON.stringify(s.body)).toBe(404);
      expect(['customer_not_found', 'address_not_found']).toContain(s.body.code);
    },
    [
      [
        'get address',
        'GET /v1/customers/:id/addresses/:addressId',
        (i: Ids) => N(B).get(`/v1/customers/${i.customer}/addresses/${i.address}`),
      ],
      [
        'update address',
        'PATCH /v1/customers/:id/addresses/:addressId',
        (i: Ids) => N(B).patch(`/v1/customers/${i.customer}/addresses/${i.address}`, { address: { line1: 'evil' }, default: true }),
      ],
      [
        'delete address',
        'DELETE /v1/customers/:id/addresses/:addressId',
        (i: Ids) => N(B).delete(`/v1/customers/${i.customer}/addresses/${i.address}`),
      ],
    ],
  ),
  {
    api: 'native',
    op: "create a customer with A's customerId",
    routes: ['POST /v1/customers'],
    make: nativeCustomer,
    own: ['ext'],
    send: (i) => N(B).post('/v1/customers', { customerId: i.ext, name: 'Same reference' }),
    outcome: 'own',
    check: async (i, s) => {
      expect(s.status, JSON.stringify(s.body)).toBe(201);
      expect(s.body.id).not.toBe(i.customer);
      const mine = (await B.native.get(`/v1/customers?customerId=${i.ext}`)).json().data.map((c: { id: string }) => c.id);
      expect(mine).toEqual([s.body.id]);
    },
  },
  {
    api: 'native',
    op: "find a customer by A's customerId",
    routes: ['GET /v1/customers'],
    make: nativeCustomer,
    send: (i) => N(B).get(`/v1/customers?customerId=${i.ext}`),
    outcome: 'hidden',
    refused: emptyList,
  },
  // ---- native /v1: cards
  {
    api: 'native',
    op: "tokenize a card onto A's customer",
    routes: ['POST /v1/cards'],
    make: nativeCustomer,
    send: (i) => N(B).post('/v1/cards', { number: AMEX, expMonth: 12, expYear: futureYear(), customer: i.customer, default: true }),
    outcome: 'hidden',
    refused: problem(404, 'customer_not_found'),
  },
  {
    api: 'native',
    op: "list cards of A's customer",
    routes: ['GET /v1/cards'],
    make: nativeCustomer,
    send: (i) => N(B).get(`/v1/cards?customer=${i.customer}`),
    outcome: 'hidden',
    refused: (s) => {
      // Either answer is fine; the twin comparison makes sure it is the unknown customer's.
      if (s.status === 200) emptyList(s);
      else problem(404, 'customer_not_found')(s);
    },
  },
  ...hiddenRows('native', nativeCard, problem(404, 'card_not_found'), [
    ['get card', 'GET /v1/cards/:token', (i: Ids) => N(B).get(`/v1/cards/${i.card}`)],
    ['update card', 'PATCH /v1/cards/:token', (i: Ids) => N(B).patch(`/v1/cards/${i.card}`, { holderName: 'pwned', default: true })],
    ['delete card', 'DELETE /v1/cards/:token', (i: Ids) => N(B).delete(`/v1/cards/${i.card}`)],
    ['suspend card', 'POST /v1/cards/:token/status', (i: Ids) => N(B).post(`/v1/cards/${i.card}/status`, { status: 'SUSPENDED' })],
    [
      'reveal card',
      'POST /v1/cards/:token/reveal',
      (i: Ids) => N(B).post(`/v1/cards/${i.card}/reveal`, { purpose: 'tenant isolation probe', jwk: publicJwk() }),
    ],
  ]),
  // ---- native /v1: payments
  ...hiddenRows(
    'native',
    nativeCustomer,
    (s) => {
      expect(s.status, JSON.stringify(s.body)).toBe(404);
      expect(['card_not_found', 'customer_not_found']).toContain(s.body.code);
    },
    [
      ["pay with A's token", 'POST /v1/payments', (i: Ids) => N(B).post('/v1/payments', { token: i.card, amount: 1000, currency: 'USD' })],
      [
        "pay with A's customer",
        'POST /v1/payments',
        (i: Ids) => N(B).post('/v1/payments', { customer: i.customer, amount: 1000, currency: 'USD' }),
      ],
      ["pay out to A's token", 'POST /v1/credits', (i: Ids) => N(B).post('/v1/credits', { token: i.card, amount: 1000, currency: 'USD' })],
      [
        "pay out to A's customer",
        'POST /v1/credits',
        (i: Ids) => N(B).post('/v1/credits', { customer: i.customer, amount: 1000, currency: 'USD' }),
      ],
    ],
  ),
  {
    api: 'native',
    op: "list payments of A's token",
    routes: ['GET /v1/payments'],
    make: () => nativePayment('captured'),
    send: (i) => N(B).get(`/v1/payments?token=${i.card}`),
    outcome: 'hidden',
    refused: emptyList,
  },
  {
    api: 'native',
    op: "list payments of A's customer",
    routes: ['GET /v1/payments'],
    make: nativeCustomer,
    send: (i) => N(B).get(`/v1/payments?customer=${i.customer}`),
    outcome: 'hidden',
    refused: emptyList,
  },
  ...(
    [
      ['get payment', 'GET /v1/payments/:id', 'authorized', (i: Ids) => N(B).get(`/v1/payments/${i.payment}`)],
      ['capture payment', 'POST /v1/payments/:id/capture', 'authorized', (i: Ids) => N(B).post(`/v1/payments/${i.payment}/capture`, {})],
      ['refund payment', 'POST /v1/payments/:id/refund', 'captured', (i: Ids) => N(B).post(`/v1/payments/${i.payment}/refund`, {})],
      ['void payment', 'POST /v1/payments/:id/void', 'authorized', (i: Ids) => N(B).post(`/v1/payments/${i.payment}/void`, {})],
      [
        "complete A's 3-D Secure challenge",
        'POST /v1/payments/:id/authenticate',
        'pending',
        (i: Ids) => N(B).post(`/v1/payments/${i.payment}/authenticate`, { result: 'success' }),
      ],
    ] as const
  ).map(
    ([op, route, kind, send]): Row => ({
      api: 'native',
      op,
      routes: [route],
      make: () => nativePayment(kind),
      send,
      outcome: 'hidden',
      refused: problem(404, 'payment_not_found'),
    }),
  ),
  {
    api: 'native',
    op: "audit events about A's token",
    routes: ['GET /v1/audit-events'],
    make: nativeCard,
    send: (i) => N(B).get(`/v1/audit-events?token=${i.card}&limit=100`),
    outcome: 'hidden',
    refused: emptyList,
  },

  // ---- card elements: B's publishable key naming A's customer; A's publishable key used from B's page
  {
    api: 'native',
    op: "card element token for A's customer (B's publishable key)",
    routes: ['POST /elements/v1/tokens'],
    make: async () => ({ customer: (await nativeCustomer()).customer as string }),
    send: async (i) => seenOf(await elementsCall(B, 'POST', '/elements/v1/tokens', { customer: i.customer })),
    outcome: 'hidden',
    refused: problem(404, 'customer_not_found'),
  },
  ...(
    [
      ["card element token with A's publishable key", 'POST /elements/v1/tokens', 'POST', '/elements/v1/tokens'],
      ["card element preflight with A's publishable key", 'OPTIONS /elements/v1/tokens', 'OPTIONS', '/elements/v1/tokens'],
      ["card iframe with A's publishable key", 'GET /elements/v1/card', 'GET', '/elements/v1/card'],
    ] as const
  ).map(
    ([op, route, method, url]): Row => ({
      api: 'native',
      op: `${op}, from B's page`,
      routes: [route],
      make: async () => ({ key: (await elementsKey(A)).key }),
      send: async (i) => seenOf(await elementsCall(B, method, url, {}, i.key)),
      // A publishable key is public (it sits in A's pages): that it exists is no secret, so it is told apart
      // from a made-up one; what matters is that B's page gets nothing through it.
      outcome: 'documented',
      refused: problem(403, 'origin_not_allowed'),
      unknown: problem(401, 'unauthorized'),
    }),
  ),

  // ---- operator routes, with B's merchant key naming A
  ...(
    [
      ['list merchants', 'GET /v1/admin/merchants', () => adminAsB('GET', '/v1/admin/merchants')],
      ['create a merchant', 'POST /v1/admin/merchants', () => adminAsB('POST', '/v1/admin/merchants', { name: 'Evil' })],
      ['get merchant A', 'GET /v1/admin/merchants/:id', (i: Ids) => adminAsB('GET', `/v1/admin/merchants/${i.merchant}`)],
      ['delete merchant A', 'DELETE /v1/admin/merchants/:id', (i: Ids) => adminAsB('DELETE', `/v1/admin/merchants/${i.merchant}`)],
      [
        'issue an API key for A',
        'POST /v1/admin/merchants/:id/api-keys',
        (i: Ids) => adminAsB('POST', `/v1/admin/merchants/${i.merchant}/api-keys`, { scopes: ['read'] }),
      ],
      [
        "revoke A's API key",
        'DELETE /v1/admin/merchants/:id/api-keys/:keyId',
        (i: Ids) => adminAsB('DELETE', `/v1/admin/merchants/${i.merchant}/api-keys/${i.key}`),
      ],
      [
        "replace A's 2C2P key",
        'PUT /v1/admin/merchants/:id/gateways/twoc2p/keys',
        (i: Ids) => adminAsB('PUT', `/v1/admin/merchants/${i.merchant}/gateways/twoc2p/keys`, { merchantPublicKeyPem: 'x' }),
      ],
      [
        "read A's 2C2P vault key",
        'GET /v1/admin/merchants/:id/gateways/twoc2p/vault-public-key',
        (i: Ids) => adminAsB('GET', `/v1/admin/merchants/${i.merchant}/gateways/twoc2p/vault-public-key`),
      ],
      [
        "replace A's Cybersource keys",
        'PUT /v1/admin/merchants/:id/gateways/cybersource/keys',
        (i: Ids) => adminAsB('PUT', `/v1/admin/merchants/${i.merchant}/gateways/cybersource/keys`, { removeMleKey: true }),
      ],
    ] as const
  ).map(
    ([op, route, send]): Row => ({
      api: 'admin',
      op,
      routes: [route],
      make: async () => {
        const key = (await t.vault.store.db.selectFrom('api_keys').select('id').where('merchant_id', '=', A.m.id).executeTakeFirstOrThrow())
          .id;
        return { merchant: A.m.id, key };
      },
      send,
      outcome: 'hidden',
      refused: problem(401, 'unauthorized'),
    }),
  ),

  // ---- 2C2P customer tokens
  ...(
    [
      [
        "update A's token",
        'update',
        (i: Ids) => c2(B, 'update', { merchantID: B.c2.merchantID, token: i.token, name: 'pwned', expiry: twoc2pExpiry() }),
      ],
      ["inquire A's token", 'get', (i: Ids) => c2(B, 'get', { merchantID: B.c2.merchantID, token: i.token })],
      ["delete A's token", 'delete', (i: Ids) => c2(B, 'delete', { merchantID: B.c2.merchantID, token: i.token })],
    ] as const
  ).map(
    ([op, path, send]): Row => ({
      api: 'twoc2p',
      op,
      routes: [`POST /customertoken/3.0/CustomerToken/${path}`],
      make: twoc2pToken,
      send,
      outcome: 'hidden',
      refused: c2Code('9040'),
    }),
  ),
  {
    api: 'twoc2p',
    op: "add a token naming A's merchantID (signed by B)",
    routes: ['POST /customertoken/3.0/CustomerToken/add'],
    make: async () => ({ merchantID: A.c2.merchantID }),
    send: (i) => c2(B, 'add', { merchantID: i.merchantID, tokenProvider: 'CC', accountNo: AMEX, expiry: twoc2pExpiry() }),
    outcome: 'hidden',
    refused: c2Code('9007'),
  },
  {
    api: 'twoc2p',
    op: "inquire A's token naming A's merchantID (signed by B)",
    routes: ['POST /customertoken/3.0/CustomerToken/get'],
    make: async () => ({ ...(await twoc2pToken()), merchantID: A.c2.merchantID }),
    send: (i) => c2(B, 'get', { merchantID: i.merchantID, token: i.token }),
    outcome: 'hidden',
    refused: c2Code('9007'),
  },

  // ---- OPay card tokens
  {
    api: 'opay',
    op: "query A's token",
    routes: ['POST /api/v1/international/token/query'],
    make: opayToken,
    send: (i) => opay(B, 'query', { opayToken: i.token }),
    outcome: 'hidden',
    refused: opayCode('20001'),
  },
  {
    api: 'opay',
    op: "query A's customer",
    routes: ['POST /api/v1/international/token/query'],
    make: opayToken,
    send: (i) => opay(B, 'query', { customerId: i.customerRef }),
    outcome: 'hidden',
    refused: opayCode('20002'),
  },
  {
    api: 'opay',
    op: "delete A's token",
    routes: ['POST /api/v1/international/token/delete'],
    make: opayToken,
    send: (i) => opay(B, 'delete', { opayToken: i.token }),
    outcome: 'hidden',
    refused: opayCode('20001'),
  },
  {
    api: 'opay',
    op: "create a token with A's reference and customerId",
    routes: ['POST /api/v1/international/token/create'],
    make: opayToken,
    own: ['customerRef', 'reference'],
    send: (i) =>
      opay(B, 'create', {
        reference: i.reference,
        cardNumber: AMEX,
        expiryYear: String(futureYear() % 100).padStart(2, '0'),
        expiryMonth: '12',
        customerInfo: { customerId: i.customerRef, customerName: 'Someone else' },
      }),
    outcome: 'own',
    check: async (i, s) => {
      expect(s.body.code, JSON.stringify(s.body)).toBe('00000');
      expect(s.body.data.opayToken).not.toBe(i.token);
      const mine = await B.opay.call('query', { customerId: i.customerRef });
      expect(mine.json.code).toBe('00000');
      const tokens = (mine.json.data as { cardTokens: { opayToken: string }[] }).cardTokens.map((c) => c.opayToken);
      expect(tokens).toEqual([s.body.data.opayToken]);
    },
  },

  // ---- AlliancePay H2H tokens
  {
    api: 'alliancepay',
    op: "list tokens of A's customerId",
    routes: ['POST /ecom/execute_request/token/v1/list/by-customer-id'],
    make: allianceToken,
    send: (i) => ap(B, PATHS.list, { customerId: i.customerRef }),
    outcome: 'hidden',
    refused: (s) => {
      expect(s.type).toBe('jwe');
      expect(s.body).toEqual({ result: [] });
    },
  },
  {
    api: 'alliancepay',
    op: "get A's token",
    routes: ['POST /ecom/execute_request/token/v1/get'],
    make: allianceToken,
    send: (i) => ap(B, PATHS.get, { token: i.token }),
    outcome: 'hidden',
    refused: apCode(200, 'b_token_not_found'),
  },
  {
    api: 'alliancepay',
    op: "suspend A's token",
    routes: ['POST /ecom/execute_request/token/v1/state/update'],
    make: allianceToken,
    send: (i) => ap(B, PATHS.state, { token: i.token, state: 'SUSPENDED' }),
    outcome: 'hidden',
    refused: apCode(200, 'b_token_not_found'),
  },
  {
    api: 'alliancepay',
    op: "delete A's token",
    routes: ['POST /ecom/execute_request/token/v1/state/update'],
    make: allianceToken,
    send: (i) => ap(B, PATHS.state, { token: i.token, state: 'DELETED' }),
    outcome: 'hidden',
    refused: apCode(200, 'b_token_not_found'),
  },
  ...(
    [
      ["purchase with A's token", PATHS.tokenPurchase],
      ["C2A with A's token", PATHS.tokenC2a],
    ] as const
  ).map(
    ([op, path]): Row => ({
      api: 'alliancepay',
      op,
      routes: [`POST ${path}`],
      make: allianceToken,
      send: async (i) => ap(B, path, await B.apBodies.tokenPurchase(i.token as string)),
      outcome: 'hidden',
      refused: apCode(200, 'b_token_not_found'),
    }),
  ),
  ...([PATHS.tokenPurchase3ds, PATHS.tokenC2a3ds, PATHS.purchase3ds] as const).map(
    (path): Row => ({
      api: 'alliancepay',
      op: `complete A's 3-D Secure (${path.split('/v1/')[1]})`,
      routes: [`POST ${path}`],
      make: alliancePending,
      send: (i) => ap(B, path, { merchantId: B.ap.merchantId, operationId: i.operation, transStatus: 'Y' }),
      outcome: 'hidden',
      refused: apCode(404, 'payment_operation_not_found'),
    }),
  ),
  ...hiddenRows('alliancepay', alliancePaid, apCode(404, 'payment_operation_not_found'), [
    ["read A's payment by operation id", `POST ${PATHS.operation}`, (i: Ids) => ap(B, PATHS.operation, { id: i.operation })],
    [
      "read A's payment by merchantRequestId",
      `POST ${PATHS.byReference}`,
      (i: Ids) => ap(B, PATHS.byReference, { merchantRequestId: i.requestId }),
    ],
    [
      "refund A's payment",
      `POST ${PATHS.refund}`,
      (i: Ids) =>
        ap(B, PATHS.refund, {
          merchantRequestId: randomUUID(),
          operationId: i.operation,
          merchantId: B.ap.merchantId,
          coinAmount: '100',
          notificationUrl: '',
          date: apDate(),
        }),
    ],
  ]),
  {
    api: 'alliancepay',
    op: "name A's AlliancePay merchantId in the body",
    routes: ['POST /ecom/execute_request/token/v1/get'],
    make: async () => ({ ...(await allianceToken()), apMerchant: A.ap.merchantId }),
    send: (i) => ap(B, PATHS.get, { merchantId: i.apMerchant, token: i.token }),
    outcome: 'hidden',
    refused: apCode(400, 'b_user_merchant_request_mismatch'),
  },
  {
    api: 'alliancepay',
    op: "create a token with A's customerId and merchantRequestId",
    routes: ['POST /ecom/execute_request/token/v1/create'],
    make: allianceToken,
    own: ['customerRef', 'requestId'],
    send: async (i) =>
      ap(B, PATHS.create, await B.apBodies.createToken({ customerId: i.customerRef, merchantRequestId: i.requestId, pan: AMEX })),
    outcome: 'own',
    check: async (i, s) => {
      expect(s.type, JSON.stringify(s.body)).toBe('jwe');
      expect(s.body.token).not.toBe(i.token);
      const mine = await B.ap.call(PATHS.list, { customerId: i.customerRef });
      expect(mine.json.result.map((x: { token: string }) => x.token)).toEqual([s.body.token]);
    },
  },
  {
    api: 'alliancepay',
    op: "card purchase keeping a token for A's customerId",
    routes: ['POST /ecom/execute_request/payments/v1/purchase'],
    make: allianceToken,
    own: ['customerRef'],
    send: async (i) =>
      ap(B, PATHS.purchase, {
        merchantRequestId: randomUUID(),
        merchantId: B.ap.merchantId,
        coinAmount: 10000,
        encryptedCardNumber: await B.ap.encField(AMEX),
        encryptedExpDate: await B.ap.encField('3012'),
        cvv: await B.ap.encField('1234'),
        typeToken: 'TOKEN_PER_CUSTOMER',
        date: apDate(),
        customerData: { senderCustomerId: i.customerRef },
      }),
    outcome: 'own',
    check: async (i, s) => {
      expect(s.type, JSON.stringify(s.body)).toBe('jwe');
      expect(s.body.status).toBe('SUCCESS');
      expect(s.body.token).not.toBe(i.token);
      const mine = await B.ap.call(PATHS.list, { customerId: i.customerRef });
      expect(mine.json.result.map((x: { token: string }) => x.token)).toEqual([s.body.token]);
    },
  },

  // ---- AppotaPay credit-card tokens
  {
    api: 'appotapay',
    op: "delete A's token",
    routes: ['DELETE /credit-card/token/:tokenId'],
    make: appotaToken,
    own: ['ref'],
    send: (i) => appota(B, 'DELETE', `/credit-card/token/${i.token}?merchantRefId=${i.ref}`),
    outcome: 'documented',
    refused: appotaCode(403, 86),
    unknown: appotaCode(404, 43),
  },
  {
    api: 'appotapay',
    op: "charge A's token",
    routes: ['POST /credit-card/charge'],
    make: appotaToken,
    send: (i) => appota(B, 'POST', '/credit-card/charge', chargeBody(i.token as string, { capture: true })),
    outcome: 'documented',
    refused: appotaCode(403, 86),
    unknown: appotaCode(404, 43),
  },
  {
    api: 'appotapay',
    op: "get A's charge",
    routes: ['GET /credit-card/charge/:id'],
    make: appotaCharge,
    send: (i) => appota(B, 'GET', `/credit-card/charge/${i.charge}`),
    outcome: 'hidden',
    refused: appotaCode(404, 14),
  },
  {
    api: 'appotapay',
    op: "get A's charge by its merchantRefId",
    routes: ['GET /credit-card/charge/:id'],
    make: appotaCharge,
    send: (i) => appota(B, 'GET', `/credit-card/charge/${i.chargeRef}?referenceType=MERCHANT_REFERENCE_ID`),
    outcome: 'hidden',
    refused: appotaCode(404, 14),
  },
  {
    api: 'appotapay',
    op: "capture A's charge",
    routes: ['POST /credit-card/:authorizationId/capture'],
    make: appotaCharge,
    send: (i) => appota(B, 'POST', `/credit-card/${i.charge}/capture`, { amount: 150000, currency: 'VND' }),
    outcome: 'hidden',
    refused: appotaCode(404, 14),
  },
  {
    api: 'appotapay',
    op: "create a token with A's merchantRefId",
    routes: ['POST /credit-card/token'],
    make: appotaToken,
    own: ['ref'],
    send: (i) => appota(B, 'POST', '/credit-card/token', tokenBody({ merchantRefId: i.ref })),
    outcome: 'own',
    check: async (i, s) => {
      expect(s.status, JSON.stringify(s.body)).toBe(200);
      expect(s.body.merchantRefId).toBe(i.ref);
      expect(s.body.tokenId).not.toBe(i.token);
    },
  },
  {
    api: 'appotapay',
    op: "charge B's token with A's charge merchantRefId",
    routes: ['POST /credit-card/charge'],
    make: async () => ({ ...(await appotaCharge()), bToken: (await appotaCreateToken(B.appota)).tokenId }),
    own: ['chargeRef', 'bToken'],
    send: (i) => appota(B, 'POST', '/credit-card/charge', chargeBody(i.bToken as string, { merchantRefId: i.chargeRef, capture: false })),
    outcome: 'own',
    check: async (i, s) => {
      expect(s.status, JSON.stringify(s.body)).toBe(200);
      expect(s.body.id).not.toBe(i.charge);
      expect(s.body.tokenId).toBe(i.bToken);
    },
  },
  ...hiddenRows('appotapay', appotaRefund, appotaCode(404, 111), [
    ["get A's refund", 'GET /credit-card/refund/:creditCardRefundId', (i: Ids) => appota(B, 'GET', `/credit-card/refund/${i.refund}`)],
    [
      "get A's refund by its merchantRefId",
      'GET /credit-card/refund/:creditCardRefundId',
      (i: Ids) => appota(B, 'GET', `/credit-card/refund/${i.refundRef}?referenceType=MERCHANT_REFERENCE_ID`),
    ],
  ]),
  ...hiddenRows('appotapay', appotaReversal, appotaCode(404, 112), [
    [
      "get A's reversal",
      'GET /credit-card/reversal/:creditCardReversalId',
      (i: Ids) => appota(B, 'GET', `/credit-card/reversal/${i.reversal}`),
    ],
    [
      "get A's reversal by its merchantRefId",
      'GET /credit-card/reversal/:creditCardReversalId',
      (i: Ids) => appota(B, 'GET', `/credit-card/reversal/${i.reversalRef}?referenceType=MERCHANT_REFERENCE_ID`),
    ],
  ]),
  {
    api: 'appotapay',
    op: "refund A's charge",
    routes: ['POST /credit-card/refund'],
    make: appotaRefund,
    send: (i) =>
      appota(B, 'POST', '/credit-card/refund', { transactionId: i.charge, merchantRefId: refId('RF'), amount: 50000, currency: 'VND' }),
    outcome: 'hidden',
    refused: appotaCode(404, 14),
  },
  {
    api: 'appotapay',
    op: "reverse A's authorization",
    routes: ['POST /credit-card/reversal'],
    make: appotaCharge,
    send: (i) => appota(B, 'POST', '/credit-card/reversal', { authorizationId: i.charge, merchantRefId: refId('RV') }),
    outcome: 'hidden',
    refused: appotaCode(404, 14),
  },
  {
    api: 'appotapay',
    op: "refund B's charge with A's refund merchantRefId",
    routes: ['POST /credit-card/refund'],
    make: async () => ({ ...(await appotaRefund()), bCharge: await bAppotaCharge(true) }),
    own: ['refundRef', 'bCharge'],
    send: (i) =>
      appota(B, 'POST', '/credit-card/refund', { transactionId: i.bCharge, merchantRefId: i.refundRef, amount: 50000, currency: 'VND' }),
    outcome: 'own',
    check: async (i, s) => {
      expect(s.status, JSON.stringify(s.body)).toBe(200);
      expect([s.body.transactionId, s.body.merchantRefId]).toEqual([i.bCharge, i.refundRef]);
      const mine = await B.appota.call('GET', `/credit-card/refund/${i.refundRef}?referenceType=MERCHANT_REFERENCE_ID`);
      expect([mine.status, mine.json.refundId]).toEqual([200, s.body.refundId]);
    },
  },
  {
    api: 'appotapay',
    op: "reverse B's authorization with A's reversal merchantRefId",
    routes: ['POST /credit-card/reversal'],
    make: async () => ({ ...(await appotaReversal()), bCharge: await bAppotaCharge(false) }),
    own: ['reversalRef', 'bCharge'],
    send: (i) => appota(B, 'POST', '/credit-card/reversal', { authorizationId: i.bCharge, merchantRefId: i.reversalRef }),
    outcome: 'own',
    check: async (i, s) => {
      expect(s.status, JSON.stringify(s.body)).toBe(200);
      expect([s.body.authorizationId, s.body.merchantRefId]).toEqual([i.bCharge, i.reversalRef]);
      const mine = await B.appota.call('GET', `/credit-card/reversal/${i.reversalRef}?referenceType=MERCHANT_REFERENCE_ID`);
      expect([mine.status, mine.json.reversalId]).toEqual([200, s.body.reversalId]);
    },
  },

  // ---- Cybersource TMS: customers, their payment instruments and shipping addresses
  ...hiddenRows(
    'cybersource',
    cyCustomer,
    tmsError(404, 'notFound'),
    [
      ['get customer', 'GET /tms/v2/customers/:customerId', (i: Ids) => cy(B, 'GET', `/tms/v2/customers/${i.customer}`)],
      [
        'get customer unmasked (MLE)',
        'GET /tms/v2/customers/:customerId',
        (i: Ids) => cy(B, 'GET', `/tms/v2/customers/${i.customer}`, undefined, { accept: 'application/jose' }),
      ],
      [
        'update customer',
        'PATCH /tms/v2/customers/:customerId',
        (i: Ids) => cy(B, 'PATCH', `/tms/v2/customers/${i.customer}`, { buyerInformation: { email: 'evil@example.com' } }),
      ],
      ['delete customer', 'DELETE /tms/v2/customers/:customerId', (i: Ids) => cy(B, 'DELETE', `/tms/v2/customers/${i.customer}`)],
      [
        'add a payment instrument',
        'POST /tms/v2/customers/:customerId/payment-instruments',
        (i: Ids) => cy(B, 'POST', `/tms/v2/customers/${i.customer}/payment-instruments`, piBody(AMEX)),
      ],
      [
        'list payment instruments',
        'GET /tms/v2/customers/:customerId/payment-instruments',
        (i: Ids) => cy(B, 'GET', `/tms/v2/customers/${i.customer}/payment-instruments`),
      ],
      [
        'get payment instrument',
        'GET /tms/v2/customers/:customerId/payment-instruments/:piId',
        (i: Ids) => cy(B, 'GET', `/tms/v2/customers/${i.customer}/payment-instruments/${i.pi}`),
      ],
      [
        'get payment instrument unmasked (MLE)',
        'GET /tms/v2/customers/:customerId/payment-instruments/:piId',
        (i: Ids) => cy(B, 'GET', `/tms/v2/customers/${i.customer}/payment-instruments/${i.pi}`, undefined, { accept: 'application/jose' }),
      ],
      [
        'update payment instrument',
        'PATCH /tms/v2/customers/:customerId/payment-instruments/:piId',
        (i: Ids) =>
          cy(B, 'PATCH', `/tms/v2/customers/${i.customer}/payment-instruments/${i.pi}`, {
            card: { expirationMonth: '01', expirationYear: EXP_YEAR },
          }),
      ],
      [
        'delete payment instrument',
        'DELETE /tms/v2/customers/:customerId/payment-instruments/:piId',
        (i: Ids) => cy(B, 'DELETE', `/tms/v2/customers/${i.customer}/payment-instruments/${i.pi}`),
      ],
      [
        'add a shipping address',
        'POST /tms/v2/customers/:customerId/shipping-addresses',
        (i: Ids) => cy(B, 'POST', `/tms/v2/customers/${i.customer}/shipping-addresses`, { ...shipTo(), default: true }),
      ],
      [
        'list shipping addresses',
        'GET /tms/v2/customers/:customerId/shipping-addresses',
        (i: Ids) => cy(B, 'GET', `/tms/v2/customers/${i.customer}/shipping-addresses`),
      ],
      [
        'get shipping address',
        'GET /tms/v2/customers/:customerId/shipping-addresses/:addressId',
        (i: Ids) => cy(B, 'GET', `/tms/v2/customers/${i.customer}/shipping-addresses/${i.address}`),
      ],
      [
        'update shipping address',
        'PATCH /tms/v2/customers/:customerId/shipping-addresses/:addressId',
        (i: Ids) => cy(B, 'PATCH', `/tms/v2/customers/${i.customer}/shipping-addresses/${i.address}`, { shipTo: { address1: 'evil' } }),
      ],
      [
        'delete shipping address',
        'DELETE /tms/v2/customers/:customerId/shipping-addresses/:addressId',
        (i: Ids) => cy(B, 'DELETE', `/tms/v2/customers/${i.customer}/shipping-addresses/${i.address}`),
      ],
    ],
    ['merchantCustomerID'],
  ),
  // A's ids under B's own customer.
  ...(
    [
      [
        "get A's payment instrument under B's customer",
        'GET /tms/v2/customers/:customerId/payment-instruments/:piId',
        (i: Ids) => cy(B, 'GET', `/tms/v2/customers/${i.bCustomer}/payment-instruments/${i.pi}`),
        tmsError(404, 'notFound'),
      ],
      [
        "delete A's payment instrument under B's customer",
        'DELETE /tms/v2/customers/:customerId/payment-instruments/:piId',
        (i: Ids) => cy(B, 'DELETE', `/tms/v2/customers/${i.bCustomer}/payment-instruments/${i.pi}`),
        tmsError(404, 'notFound'),
      ],
      [
        "get A's shipping address under B's customer",
        'GET /tms/v2/customers/:customerId/shipping-addresses/:addressId',
        (i: Ids) => cy(B, 'GET', `/tms/v2/customers/${i.bCustomer}/shipping-addresses/${i.address}`),
        tmsError(404, 'notFound'),
      ],
      [
        "make A's payment instrument B's customer's default",
        'PATCH /tms/v2/customers/:customerId',
        (i: Ids) => cy(B, 'PATCH', `/tms/v2/customers/${i.bCustomer}`, { defaultPaymentInstrument: { id: i.pi } }),
        tmsError(424, 'notFound'),
      ],
      [
        "make A's shipping address B's customer's default",
        'PATCH /tms/v2/customers/:customerId',
        (i: Ids) => cy(B, 'PATCH', `/tms/v2/customers/${i.bCustomer}`, { defaultShippingAddress: { id: i.address } }),
        tmsError(424, 'notFound'),
      ],
      [
        "add a payment instrument to B's customer from A's instrument identifier",
        'POST /tms/v2/customers/:customerId/payment-instruments',
        (i: Ids) =>
          cy(B, 'POST', `/tms/v2/customers/${i.bCustomer}/payment-instruments`, {
            card: { expirationMonth: '12', expirationYear: EXP_YEAR },
            instrumentIdentifier: { id: i.ii },
          }),
        tmsError(424, 'notFound'),
      ],
    ] as const
  ).map(
    ([op, route, send, refused]): Row => ({
      api: 'cybersource',
      op,
      routes: [route],
      make: async () => ({ ...(await cyCustomer()), ...(await bCyCustomer()) }),
      own: ['merchantCustomerID', 'bCustomer', 'bPi', 'bAddress'],
      send,
      outcome: 'hidden',
      refused,
    }),
  ),
  {
    api: 'cybersource',
    op: "create a customer with A's merchantCustomerID",
    routes: ['POST /tms/v2/customers'],
    make: cyCustomer,
    own: ['merchantCustomerID'],
    send: (i) => cy(B, 'POST', '/tms/v2/customers', customerBody({ buyerInformation: { merchantCustomerID: i.merchantCustomerID } })),
    outcome: 'own',
    check: async (i, s) => {
      expect(s.status, JSON.stringify(s.body)).toBe(201);
      expect(s.body.id).not.toBe(i.customer);
      expect(s.body.buyerInformation.merchantCustomerID).toBe(i.merchantCustomerID);
    },
  },
  // ---- Cybersource TMS: instrument identifiers and standalone payment instruments
  ...hiddenRows('cybersource', cyStandalonePi, tmsError(404, 'notFound'), [
    [
      'get instrument identifier',
      'GET /tms/v1/instrumentidentifiers/:instrumentId',
      (i: Ids) => cy(B, 'GET', `/tms/v1/instrumentidentifiers/${i.ii}`),
    ],
    [
      'get instrument identifier unmasked (MLE)',
      'GET /tms/v1/instrumentidentifiers/:instrumentId',
      (i: Ids) => cy(B, 'GET', `/tms/v1/instrumentidentifiers/${i.ii}`, undefined, { accept: 'application/jose' }),
    ],
    [
      'update instrument identifier',
      'PATCH /tms/v1/instrumentidentifiers/:instrumentId',
      (i: Ids) => cy(B, 'PATCH', `/tms/v1/instrumentidentifiers/${i.ii}`, { processingInformation: { authorizationOptions: {} } }),
    ],
    [
      'delete instrument identifier',
      'DELETE /tms/v1/instrumentidentifiers/:instrumentId',
      (i: Ids) => cy(B, 'DELETE', `/tms/v1/instrumentidentifiers/${i.ii}`),
    ],
    [
      "list the instrument identifier's payment instruments",
      'GET /tms/v1/instrumentidentifiers/:instrumentId/paymentinstruments',
      (i: Ids) => cy(B, 'GET', `/tms/v1/instrumentidentifiers/${i.ii}/paymentinstruments`),
    ],
    [
      'get standalone payment instrument',
      'GET /tms/v1/paymentinstruments/:piId',
      (i: Ids) => cy(B, 'GET', `/tms/v1/paymentinstruments/${i.pi}`),
    ],
    [
      'get standalone payment instrument unmasked (MLE)',
      'GET /tms/v1/paymentinstruments/:piId',
      (i: Ids) => cy(B, 'GET', `/tms/v1/paymentinstruments/${i.pi}`, undefined, { accept: 'application/jose' }),
    ],
    [
      'update standalone payment instrument',
      'PATCH /tms/v1/paymentinstruments/:piId',
      (i: Ids) => cy(B, 'PATCH', `/tms/v1/paymentinstruments/${i.pi}`, { card: { expirationMonth: '01', expirationYear: EXP_YEAR } }),
    ],
    [
      'delete standalone payment instrument',
      'DELETE /tms/v1/paymentinstruments/:piId',
      (i: Ids) => cy(B, 'DELETE', `/tms/v1/paymentinstruments/${i.pi}`),
    ],
  ]),
  {
    api: 'cybersource',
    op: "create a standalone payment instrument from A's instrument identifier",
    routes: ['POST /tms/v1/paymentinstruments'],
    make: cyStandalonePi,
    send: (i) =>
      cy(B, 'POST', '/tms/v1/paymentinstruments', {
        card: { expirationMonth: '12', expirationYear: EXP_YEAR },
        instrumentIdentifier: { id: i.ii },
      }),
    outcome: 'hidden',
    refused: tmsError(424, 'notFound'),
  },
  {
    api: 'cybersource',
    op: "create an instrument identifier for A's card number",
    routes: ['POST /tms/v1/instrumentidentifiers'],
    make: async () => {
      const r = await A.cy.post('/tms/v1/instrumentidentifiers', { card: { number: '4012888888881881' } });
      if (r.status !== 201) throw new Error(`instrument identifier: ${r.body}`);
      return { ii: r.json.id };
    },
    send: () => cy(B, 'POST', '/tms/v1/instrumentidentifiers', { card: { number: '4012888888881881' } }),
    outcome: 'own',
    check: async (i, s) => {
      expect([200, 201], JSON.stringify(s.body)).toContain(s.status);
      expect(s.body.id).not.toBe(i.ii);
      expect((await A.cy.get(`/tms/v1/instrumentidentifiers/${s.body.id}`)).status).toBe(404);
    },
  },
  {
    api: 'cybersource',
    op: "create an instrument identifier for A's bank account",
    routes: ['POST /tms/v1/instrumentidentifiers'],
    make: async () => {
      const r = await A.cy.post('/tms/v1/instrumentidentifiers', { bankAccount: { number: '70809010', routingNumber: '071923284' } });
      if (r.status !== 201) throw new Error(`bank instrument identifier: ${r.body}`);
      return { ii: r.json.id };
    },
    send: () => cy(B, 'POST', '/tms/v1/instrumentidentifiers', { bankAccount: { number: '70809010', routingNumber: '071923284' } }),
    outcome: 'own',
    check: async (i, s) => {
      expect([200, 201], JSON.stringify(s.body)).toContain(s.status);
      expect(s.body.id).not.toBe(i.ii);
      expect((await A.cy.get(`/tms/v1/instrumentidentifiers/${s.body.id}`)).status).toBe(404);
    },
  },
  ...hiddenRows('cybersource', cyBankAccount, tmsError(404, 'notFound'), [
    [
      "get A's bank-account instrument identifier",
      'GET /tms/v1/instrumentidentifiers/:instrumentId',
      (i: Ids) => cy(B, 'GET', `/tms/v1/instrumentidentifiers/${i.ii}`),
    ],
    [
      "get A's bank-account payment instrument",
      'GET /tms/v1/paymentinstruments/:piId',
      (i: Ids) => cy(B, 'GET', `/tms/v1/paymentinstruments/${i.pi}`),
    ],
  ]),
  ...hiddenRows(
    'cybersource',
    cyBankAccount,
    (s) => {
      expect(s.status, JSON.stringify(s.body)).toBe(400);
      expect(s.body.status).toBe('INVALID_REQUEST');
    },
    [
      [
        "debit A's bank-account payment instrument (eCheck)",
        'POST /pts/v2/payments',
        (i: Ids) =>
          cy(B, 'POST', '/pts/v2/payments', {
            paymentInformation: { paymentType: { name: 'CHECK' }, paymentInstrument: { id: i.pi } },
            ...cyAmount(),
          }),
      ],
    ],
  ),
  // ---- Cybersource PTS: payments with A's tokens, and follow-ups on A's payments
  ...hiddenRows(
    'cybersource',
    cyCustomer,
    (s) => {
      expect(s.status, JSON.stringify(s.body)).toBe(400);
      expect(s.body.status).toBe('INVALID_REQUEST');
    },
    [
      [
        "pay with A's customer",
        'POST /pts/v2/payments',
        (i: Ids) => cy(B, 'POST', '/pts/v2/payments', { paymentInformation: { customer: { id: i.customer } }, ...cyAmount() }),
      ],
      [
        "pay with A's payment instrument",
        'POST /pts/v2/payments',
        (i: Ids) => cy(B, 'POST', '/pts/v2/payments', { paymentInformation: { paymentInstrument: { id: i.pi } }, ...cyAmount() }),
      ],
      [
        "pay with A's instrument identifier",
        'POST /pts/v2/payments',
        (i: Ids) => cy(B, 'POST', '/pts/v2/payments', { paymentInformation: { instrumentIdentifier: { id: i.ii } }, ...cyAmount() }),
      ],
      [
        "pay out to A's customer",
        'POST /pts/v2/credits',
        (i: Ids) => cy(B, 'POST', '/pts/v2/credits', { paymentInformation: { customer: { id: i.customer } }, ...cyAmount() }),
      ],
      [
        "pay out to A's payment instrument",
        'POST /pts/v2/credits',
        (i: Ids) => cy(B, 'POST', '/pts/v2/credits', { paymentInformation: { paymentInstrument: { id: i.pi } }, ...cyAmount() }),
      ],
    ],
    ['merchantCustomerID'],
  ),
  {
    api: 'cybersource',
    op: "pay with B's customer and A's shipping address",
    routes: ['POST /pts/v2/payments'],
    make: async () => ({ ...(await cyCustomer()), ...(await bCyCustomer()) }),
    own: ['merchantCustomerID', 'bCustomer', 'bPi', 'bAddress'],
    send: (i) =>
      cy(B, 'POST', '/pts/v2/payments', {
        paymentInformation: { customer: { id: i.bCustomer }, shippingAddress: { id: i.address } },
        ...cyAmount(),
      }),
    outcome: 'hidden',
    refused: ptsError('INVALID_DATA'),
  },
  ...(
    [
      ['get payment', 'GET /pts/v2/payments/:id', false, (i: Ids) => cy(B, 'GET', `/pts/v2/payments/${i.payment}`)],
      [
        'capture payment',
        'POST /pts/v2/payments/:id/captures',
        false,
        (i: Ids) => cy(B, 'POST', `/pts/v2/payments/${i.payment}/captures`, cyAmount()),
      ],
      [
        'reverse payment',
        'POST /pts/v2/payments/:id/reversals',
        false,
        (i: Ids) =>
          cy(B, 'POST', `/pts/v2/payments/${i.payment}/reversals`, {
            reversalInformation: { amountDetails: { totalAmount: '10.00', currency: 'USD' }, reason: 'probe' },
          }),
      ],
      [
        'refund payment',
        'POST /pts/v2/payments/:id/refunds',
        true,
        (i: Ids) => cy(B, 'POST', `/pts/v2/payments/${i.payment}/refunds`, cyAmount()),
      ],
    ] as const
  ).map(
    ([op, route, captured, send]): Row => ({
      api: 'cybersource',
      op,
      routes: [route],
      make: () => cyPayment(captured),
      send,
      outcome: 'hidden',
      refused: ptsError('INVALID_PAYMENT_ID'),
    }),
  ),
  ...hiddenRows('cybersource', () => cyPayment(true), ptsError('INVALID_PAYMENT_ID'), [
    ['void sale', 'POST /pts/v2/payments/:id/voids', (i: Ids) => cy(B, 'POST', `/pts/v2/payments/${i.payment}/voids`, {})],
  ]),
  ...hiddenRows('cybersource', () => cyFollowOn('captures'), ptsError('INVALID_PAYMENT_ID'), [
    ['get capture', 'GET /pts/v2/captures/:id', (i: Ids) => cy(B, 'GET', `/pts/v2/captures/${i.followOn}`)],
    ['void capture', 'POST /pts/v2/captures/:id/voids', (i: Ids) => cy(B, 'POST', `/pts/v2/captures/${i.followOn}/voids`, {})],
    // A capture has its own id (issue 20): B names A's capture, as A would.
    [
      'refund capture',
      'POST /pts/v2/captures/:id/refunds',
      (i: Ids) => cy(B, 'POST', `/pts/v2/captures/${i.followOn}/refunds`, cyAmount()),
    ],
  ]),
  ...hiddenRows('cybersource', () => cyFollowOn('refunds'), ptsError('INVALID_PAYMENT_ID'), [
    ['get refund', 'GET /pts/v2/refunds/:id', (i: Ids) => cy(B, 'GET', `/pts/v2/refunds/${i.followOn}`)],
    ['void refund', 'POST /pts/v2/refunds/:id/voids', (i: Ids) => cy(B, 'POST', `/pts/v2/refunds/${i.followOn}/voids`, {})],
  ]),
  ...hiddenRows('cybersource', () => cyFollowOn('reversals'), ptsError('INVALID_PAYMENT_ID'), [
    ['get reversal', 'GET /pts/v2/reversals/:id', (i: Ids) => cy(B, 'GET', `/pts/v2/reversals/${i.followOn}`)],
  ]),
  ...hiddenRows('cybersource', () => cyFollowOn('voids'), ptsError('INVALID_PAYMENT_ID'), [
    ['get void', 'GET /pts/v2/voids/:id', (i: Ids) => cy(B, 'GET', `/pts/v2/voids/${i.followOn}`)],
  ]),
  ...hiddenRows('cybersource', cyCredit, ptsError('INVALID_PAYMENT_ID'), [
    ['get credit', 'GET /pts/v2/credits/:id', (i: Ids) => cy(B, 'GET', `/pts/v2/credits/${i.credit}`)],
    ['void credit', 'POST /pts/v2/credits/:id/voids', (i: Ids) => cy(B, 'POST', `/pts/v2/credits/${i.credit}/voids`, {})],
  ]),
];

// ---- across APIs: every token and payment is one vault object, whichever API made it
ROWS.push(
  ...(
    [
      ['2C2P inquiry', (i: Ids) => c2(B, 'get', { merchantID: B.c2.merchantID, token: i.card }), c2Code('9040')],
      ['OPay query', (i: Ids) => opay(B, 'query', { opayToken: i.card }), opayCode('20001')],
      ['AlliancePay get', (i: Ids) => ap(B, PATHS.get, { token: i.card }), apCode(200, 'b_token_not_found')],
      ['Cybersource standalone PI get', (i: Ids) => cy(B, 'GET', `/tms/v1/paymentinstruments/${i.card}`), tmsError(404, 'notFound')],
      [
        'Cybersource PTS payment',
        (i: Ids) => cy(B, 'POST', '/pts/v2/payments', { paymentInformation: { paymentInstrument: { id: i.card } }, ...cyAmount() }),
        ptsError('INVALID_DATA'),
      ],
    ] as const
  ).map(
    ([via, send, refused]): Row => ({
      api: 'native',
      op: `A's native card token, asked through ${via}`,
      routes: [],
      make: nativeCard,
      send,
      outcome: 'hidden',
      refused,
    }),
  ),
  ...(
    [
      ['2C2P token', twoc2pToken, 'token'],
      ['OPay token', opayToken, 'token'],
      ['AlliancePay token', allianceToken, 'token'],
      ['AppotaPay token', appotaToken, 'token'],
      ['Cybersource payment instrument', cyStandalonePi, 'pi'],
    ] as const
  ).map(
    ([what, make, key]): Row => ({
      api: 'native',
      op: `A's ${what}, read through the native API`,
      routes: [],
      make: async () => {
        const ids = await make();
        return { token: ids[key] as string };
      },
      send: (i) => N(B).get(`/v1/cards/${i.token}`),
      outcome: 'hidden',
      refused: problem(404, 'card_not_found'),
    }),
  ),
  ...(
    [
      ['AppotaPay charge', appotaCharge, 'charge'],
      ['AlliancePay payment', alliancePending, 'operation'],
      ['Cybersource PTS payment', () => cyPayment(false), 'payment'],
    ] as const
  ).map(
    ([what, make, key]): Row => ({
      api: 'native',
      op: `A's ${what}, read through the native API`,
      routes: [],
      make: async () => {
        const ids = await make();
        return { payment: ids[key] as string };
      },
      send: (i) => N(B).get(`/v1/payments/${i.payment}`),
      outcome: 'hidden',
      refused: problem(404, 'payment_not_found'),
    }),
  ),
);

/** Routes no row aims at, and why. */
const EXEMPT: Record<string, string> = {
  'GET /elements/v1/tokenvault.js': 'a static script, the same for everyone',
  'GET /elements/v1/assets/:file': 'static files, the same for everyone',
  'GET /elements/demo': 'the development demo page; names no object',
  'GET /healthz': 'no merchant data',
  'GET /readyz': 'no merchant data',
  'GET /metrics': 'process metrics, no merchant data (and no merchant credential accepted)',
  'GET /openapi.json': 'the API description',
  ...Object.fromEntries(DOCUMENT_IDS.map((id) => [`GET ${documentUrl(id)}`, 'the API description'])),
  'GET /docs': 'the API description',
  'GET /docs/': 'the API description',
  'GET /docs/*': 'the API description',
  'GET /docs/json': 'the API description',
  'GET /docs/yaml': 'the API description',
  'GET /docs/static/index.html': 'the API description',
  'GET /docs/static/swagger-initializer.js': 'the API description',
  'POST /api-gateway/authorize_virtual_device':
    "names no object, only a credential (serviceCode): presenting A's is an authentication attack, in auth-tampering.test.ts",
};

// -------------------------------------------------------------------------------------------------
// Running a row

/** A's objects as A reads them through the native API (cards, customers and payments of any API). */
async function readBack(ids: Ids, keys: string[]): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    const id = ids[k] as string;
    for (const url of [`/v1/cards/${id}`, `/v1/customers/${id}`, `/v1/payments/${id}`]) {
      const r = await A.native.get(url);
      if (r.statusCode === 200) out[`${k} ${url}`] = r.json();
    }
  }
  return out;
}

async function run(row: Row): Promise<void> {
  const ids = await row.make();
  const own = new Set(row.own ?? []);
  const aKeys = Object.keys(ids).filter((k) => !own.has(k));
  const before = await readBack(ids, aKeys);
  const rowsBefore = await ownedRows(t, A.m.id);

  const seen = await row.send(ids);
  expect(seen.status, `${row.op}: never a 5xx`).toBeLessThan(500);
  // Where there is no twin to compare with, nothing of A's may come back at all. (For 'hidden' rows the
  // twin comparison is stricter: an answer that carried anything of A's could not equal the twin's.)
  if (row.outcome !== 'hidden') for (const k of aKeys) expect(JSON.stringify(seen.body), row.op).not.toContain(ids[k] as string);

  if (row.outcome === 'own') {
    await row.check(ids, seen);
  } else {
    row.refused(seen);
    const twinIds: Ids = Object.fromEntries(Object.entries(ids).map(([k, v]) => [k, own.has(k) ? v : lookalike(v)]));
    const twin = await row.send(twinIds);
    expect(twin.status, `${row.op}: the made-up twin is never a 5xx`).toBeLessThan(500);
    if (row.outcome === 'documented') {
      row.unknown(twin);
    } else {
      const swapped = [...aKeys.map((k) => ids[k] as string), ...aKeys.map((k) => twinIds[k] as string)];
      expect(normalise(seen, swapped), `${row.op}: A's object must look exactly like an id that does not exist`).toEqual(
        normalise(twin, swapped),
      );
    }
  }

  expect(await ownedRows(t, A.m.id), `${row.op}: A's rows changed`).toEqual(rowsBefore);
  const after = await readBack(ids, aKeys);
  expect(after, `${row.op}: A reads its objects back changed`).toEqual(before);
  for (const [k, v] of Object.entries(before)) {
    const view = v as { status?: string; capturedAmount?: number; refundedAmount?: number };
    if (k.includes('/v1/cards/') && view.status === 'ACTIVE') expect((after[k] as { status: string }).status).toBe('ACTIVE');
  }
}

describe('tenant isolation matrix: B against A', () => {
  for (const row of ROWS) it(`${row.api}: ${row.op} [${row.outcome}]`, () => run(row));
});

describe('tenant isolation matrix: coverage', () => {
  it('has a row (or a stated exemption) for every route the app serves, and no row for a route it does not', () => {
    const served = servedRoutes(t);
    expect(served.length).toBeGreaterThan(60);
    const covered = new Set(ROWS.flatMap((r) => r.routes));
    const missing = served.filter((r) => !covered.has(r) && !(r in EXEMPT));
    expect(missing, 'routes with no tenant-isolation row').toEqual([]);
    const stale = [...covered, ...Object.keys(EXEMPT)].filter((r) => !served.includes(r));
    expect(stale, 'rows naming routes the app does not serve').toEqual([]);
    const table = ROWS.map((r) => `${r.api.padEnd(11)} ${r.outcome.padEnd(10)} ${r.op}`);
    console.log(
      `tenant isolation matrix: ${ROWS.length} rows over ${covered.size} routes (${Object.keys(EXEMPT).length} exempt)\n${table.join('\n')}`,
    );
  });
});
