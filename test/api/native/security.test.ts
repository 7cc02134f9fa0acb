/**
 * Security of the native API: one merchant can never see or touch another's data, every route enforces
 * its scope, and every credential failure is a clean 401 — threats a vault exists to stop.
 */
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_TOKEN,
  type Client,
  client,
  createCustomer,
  createMerchant,
  futureYear,
  MASTERCARD,
  makeTestApp,
  type TestApp,
  tokenize,
  VISA,
} from '../../helpers/harness.ts';

type Scope = 'tokenize' | 'read' | 'write' | 'reveal' | 'pay';
const SCOPES: readonly Scope[] = ['tokenize', 'read', 'write', 'reveal', 'pay'];
type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

let t: TestApp;

beforeAll(async () => {
  t = await makeTestApp();
});
afterAll(() => t.close());

const admin = (method: Method, url: string, payload?: Record<string, unknown>, authorization: string | null = `Bearer ${ADMIN_TOKEN}`) =>
  t.app.inject({ method, url, headers: authorization === null ? {} : { authorization }, ...(payload ? { payload } : {}) });

async function issueKey(merchantId: string, scopes: readonly Scope[], label?: string): Promise<{ id: string; apiKey: string }> {
  const res = await admin('POST', `/v1/admin/merchants/${merchantId}/api-keys`, { scopes: [...scopes], ...(label ? { label } : {}) });
  if (res.statusCode !== 201) throw new Error(`api key create failed: ${res.statusCode} ${res.body}`);
  return res.json();
}

/** Sends any request with an explicit Authorization header (or none). */
const send = (method: Method, url: string, authorization: string | null, payload?: unknown, headers: Record<string, string> = {}) =>
  t.app.inject({
    method,
    url,
    headers: { ...(authorization === null ? {} : { authorization }), ...headers },
    ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}),
  });

function expectProblem(res: LightMyRequestResponse, status: number, code: string) {
  expect(res.statusCode, `${res.statusCode} ${res.body}`).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = res.json();
  expect(body).toMatchObject({ status, code, type: `urn:tokenvault:error:${code}` });
  return body;
}

/** Every row an attack could alter, to prove a refused request wrote nothing. */
async function snapshot() {
  const db = t.vault.store.db;
  return {
    merchants: await db.selectFrom('merchants').selectAll().orderBy('id').execute(),
    apiKeys: await db.selectFrom('api_keys').selectAll().orderBy('id').execute(),
    customers: await db.selectFrom('customers').selectAll().orderBy('id').execute(),
    cards: await db.selectFrom('cards').selectAll().orderBy('id').execute(),
    instruments: await db.selectFrom('instrument_identifiers').selectAll().orderBy('id').execute(),
    addresses: await db.selectFrom('addresses').selectAll().orderBy('id').execute(),
  };
}

/** Every page of a list route. */
async function listAll(c: Client, url: string): Promise<Array<Record<string, unknown>>> {
  const out: Array<Record<string, unknown>> = [];
  let cursor: string | null = null;
  do {
    const sep = url.includes('?') ? '&' : '?';
    const res = await c.get(`${url}${sep}limit=2${cursor ? `&cursor=${cursor}` : ''}`);
    expect(res.statusCode, res.body).toBe(200);
    out.push(...res.json().data);
    cursor = res.json().nextCursor;
  } while (cursor);
  return out;
}

/** A customer with a card, an address, plus a standalone card: something on every route to aim at. */
interface Fixture {
  customer: string;
  externalId: string;
  card: string;
  address: string;
  solo: string;
}

let fixtureSeq = 0;
async function fixture(c: Client): Promise<Fixture> {
  const externalId = `ext-${++fixtureSeq}`;
  const customer = (await createCustomer(c, { customerId: externalId, name: 'Grace Hopper' })).id;
  const card = (await tokenize(c, { customer, holderName: 'Grace Hopper' })).token;
  const addr = await c.post(`/v1/customers/${customer}/addresses`, { address: { line1: '1 Main St', city: 'London', country: 'GB' } });
  if (addr.statusCode !== 201) throw new Error(`address create failed: ${addr.statusCode} ${addr.body}`);
  const solo = (await tokenize(c, { number: MASTERCARD })).token;
  return { customer, externalId, card, address: addr.json().id, solo };
}

interface RouteSpec {
  name: string;
  scope: Scope;
  method: Method;
  url: (f: Fixture) => string;
  body?: (f: Fixture) => unknown;
  ok: number;
}

/** Every merchant-key route of the native API with the scope it needs. */
const ROUTES: RouteSpec[] = [
  { name: 'createCustomer', scope: 'write', method: 'POST', url: () => '/v1/customers', body: () => ({ name: 'New' }), ok: 201 },
  { name: 'listCustomers', scope: 'read', method: 'GET', url: () => '/v1/customers', ok: 200 },
  { name: 'findCustomerByCustomerId', scope: 'read', method: 'GET', url: (f) => `/v1/customers?customerId=${f.externalId}`, ok: 200 },
  { name: 'getCustomer', scope: 'read', method: 'GET', url: (f) => `/v1/customers/${f.customer}`, ok: 200 },
  {
    name: 'updateCustomer',
    scope: 'write',
    method: 'PATCH',
    url: (f) => `/v1/customers/${f.customer}`,
    body: () => ({ name: 'Changed' }),
    ok: 200,
  },
  { name: 'deleteCustomer', scope: 'write', method: 'DELETE', url: (f) => `/v1/customers/${f.customer}`, ok: 200 },
  { name: 'listCustomerCards', scope: 'read', method: 'GET', url: (f) => `/v1/customers/${f.customer}/cards`, ok: 200 },
  {
    name: 'createAddress',
    scope: 'write',
    method: 'POST',
    url: (f) => `/v1/customers/${f.customer}/addresses`,
    body: () => ({ address: { line1: '2 Side St' } }),
    ok: 201,
  },
  { name: 'listAddresses', scope: 'read', method: 'GET', url: (f) => `/v1/customers/${f.customer}/addresses`, ok: 200 },
  { name: 'getAddress', scope: 'read', method: 'GET', url: (f) => `/v1/customers/${f.customer}/addresses/${f.address}`, ok: 200 },
  {
    name: 'updateAddress',
    scope: 'write',
    method: 'PATCH',
    url: (f) => `/v1/customers/${f.customer}/addresses/${f.address}`,
    body: () => ({ address: { line1: '3 Other St' } }),
    ok: 200,
  },
  { name: 'deleteAddress', scope: 'write', method: 'DELETE', url: (f) => `/v1/customers/${f.customer}/addresses/${f.address}`, ok: 200 },
  {
    name: 'createCard',
    scope: 'tokenize',
    method: 'POST',
    url: () => '/v1/cards',
    body: (f) => ({ number: VISA, expMonth: 12, expYear: futureYear(), customer: f.customer }),
    ok: 201,
  },
  { name: 'listCards', scope: 'read', method: 'GET', url: () => '/v1/cards', ok: 200 },
  { name: 'listCardsOfCustomer', scope: 'read', method: 'GET', url: (f) => `/v1/cards?customer=${f.customer}`, ok: 200 },
  { name: 'getCard', scope: 'read', method: 'GET', url: (f) => `/v1/cards/${f.card}`, ok: 200 },
  {
    name: 'updateCard',
    scope: 'write',
    method: 'PATCH',
    url: (f) => `/v1/cards/${f.card}`,
    body: () => ({ holderName: 'Changed' }),
    ok: 200,
  },
  {
    name: 'changeCardStatus',
    scope: 'write',
    method: 'POST',
    url: (f) => `/v1/cards/${f.card}/status`,
    body: () => ({ status: 'SUSPENDED' }),
    ok: 200,
  },
  { name: 'deleteCard', scope: 'write', method: 'DELETE', url: (f) => `/v1/cards/${f.solo}`, ok: 200 },
];

const call = (r: RouteSpec, f: Fixture, authorization: string | null) => send(r.method, r.url(f), authorization, r.body?.(f));

describe('native API security: tenant isolation', () => {
  let a: Client;
  let b: Client;
  let fa: Fixture;
  // Look like real ids, belong to nobody.
  const FAKE_CUS = 'cus_01ZZZZZZZZZZZZZZZZZZZZZZZZ';
  const FAKE_ADR = 'adr_01ZZZZZZZZZZZZZZZZZZZZZZZZ';
  const FAKE_TOK = 'tok_AAAAAAAAAAAAAAAAAAAAAAAA';
  let bCustomer: string;
  let bCard: string;

  beforeAll(async () => {
    a = client(t, (await createMerchant(t, 'Merchant A')).apiKey);
    b = client(t, (await createMerchant(t, 'Merchant B')).apiKey); // the default key has every scope
    fa = await fixture(a);
    // B has data of its own, so its lists are not trivially empty.
    bCustomer = (await createCustomer(b, { customerId: 'b-own' })).id;
    bCard = (await tokenize(b, { customer: bCustomer, number: MASTERCARD })).token;
  });

  interface Probe {
    name: string;
    method: Method;
    target: string;
    madeUp: string;
    body?: unknown;
    headers?: Record<string, string>;
  }

  const probes = (): Probe[] => {
    const cusA = fa.customer;
    const adrA = fa.address;
    return [
      { name: 'get customer', method: 'GET', target: `/v1/customers/${cusA}`, madeUp: `/v1/customers/${FAKE_CUS}` },
      {
        name: 'patch customer',
        method: 'PATCH',
        target: `/v1/customers/${cusA}`,
        madeUp: `/v1/customers/${FAKE_CUS}`,
        body: { name: 'pwned' },
      },
      {
        name: 'patch customer with If-Match',
        method: 'PATCH',
        target: `/v1/customers/${cusA}`,
        madeUp: `/v1/customers/${FAKE_CUS}`,
        body: { customerId: 'stolen' },
        headers: { 'if-match': '"1"' },
      },
      { name: 'delete customer', method: 'DELETE', target: `/v1/customers/${cusA}`, madeUp: `/v1/customers/${FAKE_CUS}` },
      { name: "list customer's cards", method: 'GET', target: `/v1/customers/${cusA}/cards`, madeUp: `/v1/customers/${FAKE_CUS}/cards` },
      {
        name: 'create address',
        method: 'POST',
        target: `/v1/customers/${cusA}/addresses`,
        madeUp: `/v1/customers/${FAKE_CUS}/addresses`,
        body: { address: { line1: 'evil' }, default: true },
      },
      { name: 'list addresses', method: 'GET', target: `/v1/customers/${cusA}/addresses`, madeUp: `/v1/customers/${FAKE_CUS}/addresses` },
      {
        name: 'get address',
        method: 'GET',
        target: `/v1/customers/${cusA}/addresses/${adrA}`,
        madeUp: `/v1/customers/${FAKE_CUS}/addresses/${FAKE_ADR}`,
      },
      {
        name: 'patch address',
        method: 'PATCH',
        target: `/v1/customers/${cusA}/addresses/${adrA}`,
        madeUp: `/v1/customers/${FAKE_CUS}/addresses/${FAKE_ADR}`,
        body: { address: { line1: 'evil' } },
      },
      {
        name: 'delete address',
        method: 'DELETE',
        target: `/v1/customers/${cusA}/addresses/${adrA}`,
        madeUp: `/v1/customers/${FAKE_CUS}/addresses/${FAKE_ADR}`,
      },
      // A's address id under B's own customer: the address is still not B's to see.
      {
        name: "get A's address under B's customer",
        method: 'GET',
        target: `/v1/customers/${bCustomer}/addresses/${adrA}`,
        madeUp: `/v1/customers/${bCustomer}/addresses/${FAKE_ADR}`,
      },
      {
        name: "patch A's address under B's customer",
        method: 'PATCH',
        target: `/v1/customers/${bCustomer}/addresses/${adrA}`,
        madeUp: `/v1/customers/${bCustomer}/addresses/${FAKE_ADR}`,
        body: { address: { line1: 'evil' }, default: true },
      },
      {
        name: "delete A's address under B's customer",
        method: 'DELETE',
        target: `/v1/customers/${bCustomer}/addresses/${adrA}`,
        madeUp: `/v1/customers/${bCustomer}/addresses/${FAKE_ADR}`,
      },
      { name: 'get attached card', method: 'GET', target: `/v1/cards/${fa.card}`, madeUp: `/v1/cards/${FAKE_TOK}` },
      { name: 'get standalone card', method: 'GET', target: `/v1/cards/${fa.solo}`, madeUp: `/v1/cards/${FAKE_TOK}` },
      {
        name: 'patch card',
        method: 'PATCH',
        target: `/v1/cards/${fa.card}`,
        madeUp: `/v1/cards/${FAKE_TOK}`,
        body: { holderName: 'pwned', default: true },
      },
      {
        name: 'patch standalone card',
        method: 'PATCH',
        target: `/v1/cards/${fa.solo}`,
        madeUp: `/v1/cards/${FAKE_TOK}`,
        body: { metadata: { x: 'y' } },
      },
      {
        name: 'suspend card',
        method: 'POST',
        target: `/v1/cards/${fa.card}/status`,
        madeUp: `/v1/cards/${FAKE_TOK}/status`,
        body: { status: 'SUSPENDED' },
      },
      {
        name: 'delete card via status',
        method: 'POST',
        target: `/v1/cards/${fa.solo}/status`,
        madeUp: `/v1/cards/${FAKE_TOK}/status`,
        body: { status: 'DELETED' },
      },
      { name: 'delete card', method: 'DELETE', target: `/v1/cards/${fa.card}`, madeUp: `/v1/cards/${FAKE_TOK}` },
      { name: 'delete standalone card', method: 'DELETE', target: `/v1/cards/${fa.solo}`, madeUp: `/v1/cards/${FAKE_TOK}` },
    ];
  };

  it("answers B's key on every id route of A's records with the same 404 as a made-up id, and changes nothing", async () => {
    const before = await snapshot();
    const aViews = {
      customer: (await a.get(`/v1/customers/${fa.customer}`)).json(),
      card: (await a.get(`/v1/cards/${fa.card}`)).json(),
      solo: (await a.get(`/v1/cards/${fa.solo}`)).json(),
      address: (await a.get(`/v1/customers/${fa.customer}/addresses/${fa.address}`)).json(),
    };
    expect(aViews.customer.version).toBe(1);
    expect(aViews.card.status).toBe('ACTIVE');

    for (const p of probes()) {
      const asB = (url: string) =>
        p.method === 'GET'
          ? b.get(url, p.headers)
          : p.method === 'DELETE'
            ? b.delete(url, p.headers)
            : p.method === 'PATCH'
              ? b.patch(url, p.body, p.headers)
              : b.post(url, p.body, p.headers);
      const real = await asB(p.target);
      const fake = await asB(p.madeUp);
      expect(real.statusCode, `${p.name}: ${real.body}`).toBe(404);
      expect(real.headers['content-type'], p.name).toMatch(/^application\/problem\+json/);
      expect(real.json().code, p.name).toMatch(/^(customer|card|address)_not_found$/);
      // Indistinguishable from an id that does not exist: same status, same body, byte for byte.
      expect(real.statusCode, p.name).toBe(fake.statusCode);
      expect(real.body, p.name).toBe(fake.body);
      // Nothing of A's leaks into the refusal.
      for (const id of [fa.customer, fa.card, fa.solo, fa.address, fa.externalId]) expect(real.body, p.name).not.toContain(id);
    }

    expect(await snapshot()).toEqual(before);
    // A still sees exactly what it had: same versions, same statuses, same everything.
    expect((await a.get(`/v1/customers/${fa.customer}`)).json()).toEqual(aViews.customer);
    expect((await a.get(`/v1/cards/${fa.card}`)).json()).toEqual(aViews.card);
    expect((await a.get(`/v1/cards/${fa.solo}`)).json()).toEqual(aViews.solo);
    expect((await a.get(`/v1/customers/${fa.customer}/addresses/${fa.address}`)).json()).toEqual(aViews.address);
  });

  it("does not find A's customer for B by customer filter or by A's own customerId", async () => {
    const byCustomer = await b.get(`/v1/cards?customer=${fa.customer}`);
    const byFake = await b.get(`/v1/cards?customer=${FAKE_CUS}`);
    expect([200, 404]).toContain(byCustomer.statusCode);
    if (byCustomer.statusCode === 200) expect(byCustomer.json().data).toEqual([]);
    else expect(byCustomer.json().code).toBe('customer_not_found');
    expect(byCustomer.statusCode).toBe(byFake.statusCode);
    expect(byCustomer.body).toBe(byFake.body);
    expect(byCustomer.body).not.toContain(fa.card);

    const search = await b.get(`/v1/customers?customerId=${fa.externalId}`);
    expect(search.statusCode).toBe(200);
    expect(search.json()).toEqual({ object: 'list', data: [], nextCursor: null });
    expect(search.body).toBe((await b.get('/v1/customers?customerId=no-such-external-id')).body);
    // Control: A finds it, so the empty answer above is isolation, not a broken search.
    expect((await a.get(`/v1/customers?customerId=${fa.externalId}`)).json().data.map((x: { id: string }) => x.id)).toEqual([fa.customer]);
    // And B's own customerId space is separate: B may use the same external id as A.
    const same = await b.post('/v1/customers', { customerId: fa.externalId });
    expect(same.statusCode).toBe(201);
    expect(same.json().id).not.toBe(fa.customer);
    expect((await b.delete(`/v1/customers/${same.json().id}`)).statusCode).toBe(200);
  });

  it("never lists A's cards or customers in B's lists", async () => {
    const bCards = await listAll(b, '/v1/cards');
    const bCustomers = await listAll(b, '/v1/customers');
    expect(bCards.map((x) => x.token)).toContain(bCard);
    expect(bCustomers.map((x) => x.id)).toContain(bCustomer);
    const aIds = [fa.customer, fa.card, fa.solo, fa.address];
    for (const x of [...bCards, ...bCustomers]) {
      expect(aIds).not.toContain(x.token ?? x.id);
      expect(x.customer ?? null).not.toBe(fa.customer);
    }
    // Control: A's own lists do hold them.
    expect((await listAll(a, '/v1/cards')).map((x) => x.token)).toEqual(expect.arrayContaining([fa.card, fa.solo]));
  });

  it("refuses to attach B's new card to A's customer and creates nothing", async () => {
    const before = await snapshot();
    const bListBefore = (await b.get('/v1/cards?limit=100')).json();
    const res = await b.post('/v1/cards', { number: VISA, expMonth: 12, expYear: futureYear(), customer: fa.customer, default: true });
    expectProblem(res, 404, 'customer_not_found');
    expect(res.body).toBe(
      (await b.post('/v1/cards', { number: VISA, expMonth: 12, expYear: futureYear(), customer: FAKE_CUS, default: true })).body,
    );
    expect((await b.get('/v1/cards?limit=100')).json()).toEqual(bListBefore);
    expect(await snapshot()).toEqual(before);
    expect((await a.get(`/v1/customers/${fa.customer}`)).json().defaultCard).toBe(fa.card);
    expect((await a.get(`/v1/customers/${fa.customer}/cards`)).json().data.map((x: { token: string }) => x.token)).toEqual([fa.card]);
  });

  it('gives the same card number a different instrument identifier in another merchant', async () => {
    const c = client(t, (await createMerchant(t, 'Merchant C')).apiKey);
    const inA = (await a.get(`/v1/cards/${fa.card}`)).json().instrumentIdentifier.id;
    const inC = await tokenize(c, { number: VISA });
    // A shared identifier would let one merchant learn that a customer also shops at another.
    expect(inC.instrumentIdentifier).toEqual({ id: expect.any(String), new: true });
    expect(inC.instrumentIdentifier.id).not.toBe(inA);
  });

  it("keeps Idempotency-Key replays per merchant: B reusing A's key gets its own result", async () => {
    const key = 'shared-idempotency-key-1';
    const first = await a.post('/v1/customers', { name: 'Same body' }, { 'idempotency-key': key });
    expect(first.statusCode).toBe(201);
    const replay = await a.post('/v1/customers', { name: 'Same body' }, { 'idempotency-key': key });
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json().id).toBe(first.json().id);

    const other = await b.post('/v1/customers', { name: 'Same body' }, { 'idempotency-key': key });
    expect(other.statusCode).toBe(201);
    expect(other.headers['idempotent-replayed']).toBeUndefined();
    expect(other.json().id).not.toBe(first.json().id);
    expect((await b.get(`/v1/customers/${first.json().id}`)).statusCode).toBe(404);
  });
});

describe('native API security: scopes', () => {
  let owner: Client;
  let merchantId: string;
  const only = {} as Record<Scope, string>;
  const allBut = {} as Record<Scope, string>;

  beforeAll(async () => {
    const m = await createMerchant(t, 'Scoped merchant');
    merchantId = m.id;
    owner = client(t, m.apiKey);
    for (const s of SCOPES) {
      const one = await issueKey(merchantId, [s], `only-${s}`);
      const rest = await issueKey(
        merchantId,
        SCOPES.filter((x) => x !== s),
        `all-but-${s}`,
      );
      expect(one.apiKey).toMatch(/^tv_sk_/);
      only[s] = one.apiKey;
      allBut[s] = rest.apiKey;
    }
  });

  it('issues keys with exactly the scopes asked for', async () => {
    const res = await admin('GET', `/v1/admin/merchants/${merchantId}`);
    const keys: Array<{ label: string; scopes: string[] }> = res.json().apiKeys;
    expect(keys.find((k) => k.label === 'only-read')?.scopes).toEqual(['read']);
    expect(keys.find((k) => k.label === 'all-but-write')?.scopes.sort()).toEqual(['pay', 'read', 'reveal', 'tokenize']);
    expect(res.body).not.toContain(only.read);
  });

  for (const r of ROUTES) {
    it(`${r.name}: 403 without "${r.scope}" (nothing changes), success with only "${r.scope}"`, async () => {
      const f = await fixture(owner);
      const before = await snapshot();
      const denied = await call(r, f, `Bearer ${allBut[r.scope]}`);
      const body = expectProblem(denied, 403, 'forbidden');
      expect(body.detail).toContain(r.scope);
      expect(await snapshot()).toEqual(before);

      // A key holding only some other scope is refused too.
      const other = SCOPES.find((s) => s !== r.scope) as Scope;
      expectProblem(await call(r, f, `Bearer ${only[other]}`), 403, 'forbidden');
      expect(await snapshot()).toEqual(before);

      const allowed = await call(r, f, `Bearer ${only[r.scope]}`);
      expect(allowed.statusCode, allowed.body).toBe(r.ok);
      expect(allowed.headers['content-type']).toMatch(/^application\/json/);
      // The same snapshot does see a permitted write, so "unchanged" above means something.
      if (r.method !== 'GET') expect(await snapshot()).not.toEqual(before);
    });
  }

  it('a key with only reveal and pay can use no native card or customer route', async () => {
    const key = (await issueKey(merchantId, ['reveal', 'pay'])).apiKey;
    const f = await fixture(owner);
    const before = await snapshot();
    for (const r of ROUTES) expectProblem(await call(r, f, `Bearer ${key}`), 403, 'forbidden');
    expect(await snapshot()).toEqual(before);
  });
});

describe('native API security: authentication', () => {
  let owner: Client;
  let apiKey: string;
  let merchantId: string;
  let f: Fixture;

  beforeAll(async () => {
    const m = await createMerchant(t, 'Auth merchant');
    apiKey = m.apiKey;
    merchantId = m.id;
    owner = client(t, apiKey);
    f = await fixture(owner);
  });

  const badCredentials = (): Array<[string, string | null]> => [
    ['no Authorization header', null],
    ['Basic scheme with the API key as user', `Basic ${Buffer.from(`${apiKey}:`).toString('base64')}`],
    ['Basic scheme with the API key as password', `Basic ${Buffer.from(`user:${apiKey}`).toString('base64')}`],
    ['the key with no scheme', apiKey],
    ['another scheme', `Token ${apiKey}`],
    ['Bearer with no token', 'Bearer'],
    ['Bearer with a blank token', 'Bearer    '],
    ['Bearer with two tokens', `Bearer ${apiKey} ${apiKey}`],
    ['a truncated key', `Bearer ${apiKey.slice(0, -1)}`],
    ['the key with an extra character', `Bearer ${apiKey}x`],
    ['an unknown tv_sk_ key', `Bearer tv_sk_${'Q'.repeat(apiKey.length - 6)}`],
    ['an overlong tv_sk_ key', `Bearer tv_sk_${'a'.repeat(5000)}`],
    ['the key without its prefix', `Bearer ${apiKey.slice('tv_sk_'.length)}`],
    ['the admin token', `Bearer ${ADMIN_TOKEN}`],
  ];

  it('refuses every bad credential on every merchant route with 401 problem+json, before looking at the request', async () => {
    const before = await snapshot();
    for (const [label, authorization] of badCredentials()) {
      for (const r of ROUTES) {
        const res = await call(r, f, authorization);
        expect(res.statusCode, `${label} on ${r.name}: ${res.body}`).toBe(401);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.json()).toMatchObject({ status: 401, code: 'unauthorized' });
        expect(res.body).not.toContain(apiKey);
        expect(res.body).not.toContain(ADMIN_TOKEN);
      }
    }
    // Auth comes before validation and lookups: a bad body or an unknown id still reads as 401.
    expectProblem(await send('POST', '/v1/cards', null, { number: 'x' }), 401, 'unauthorized');
    expectProblem(await send('GET', `/v1/cards/${'tok_nope'}`, `Bearer ${ADMIN_TOKEN}`), 401, 'unauthorized');
    expect(await snapshot()).toEqual(before);
    // Control: the same routes work with the real key.
    expect((await owner.get(`/v1/cards/${f.card}`)).statusCode).toBe(200);
  });

  it('stops a revoked key on its very next request, and only that key', async () => {
    const extra = await issueKey(merchantId, ['read', 'write', 'tokenize'], 'to-revoke');
    const c = client(t, extra.apiKey);
    expect((await c.get(`/v1/cards/${f.card}`)).statusCode).toBe(200);

    const revoke = await admin('DELETE', `/v1/admin/merchants/${merchantId}/api-keys/${extra.id}`);
    expect(revoke.statusCode).toBe(200);
    expect(revoke.json()).toMatchObject({ id: extra.id, revokedAt: expect.any(String) });
    expect(revoke.body).not.toContain(extra.apiKey);

    const before = await snapshot();
    expectProblem(await c.get(`/v1/cards/${f.card}`), 401, 'unauthorized');
    expectProblem(await c.post('/v1/customers', { name: 'after revoke' }), 401, 'unauthorized');
    expectProblem(await c.post('/v1/cards', { number: VISA, expMonth: 12, expYear: futureYear() }), 401, 'unauthorized');
    expectProblem(await c.delete(`/v1/cards/${f.solo}`), 401, 'unauthorized');
    expect(await snapshot()).toEqual(before);
    // The merchant's other keys keep working.
    expect((await owner.get(`/v1/cards/${f.card}`)).statusCode).toBe(200);
  });

  it("cannot revoke one merchant's key through another merchant's id", async () => {
    const other = await createMerchant(t, 'Other merchant');
    const victim = await issueKey(merchantId, ['read'], 'victim');
    const res = await admin('DELETE', `/v1/admin/merchants/${other.id}/api-keys/${victim.id}`);
    expectProblem(res, 404, 'api_key_not_found');
    expect((await client(t, victim.apiKey).get(`/v1/cards/${f.card}`)).statusCode).toBe(200);
  });

  it('refuses merchant API keys on admin routes', async () => {
    const before = await snapshot();
    for (const [method, url, body] of adminRoutes(merchantId, 'key_whatever')) {
      const res = await send(method, url, `Bearer ${apiKey}`, body);
      expectProblem(res, 401, 'unauthorized');
    }
    expect(await snapshot()).toEqual(before);
  });
});

function adminRoutes(merchantId: string, keyId: string): Array<[Method, string, Record<string, unknown> | undefined]> {
  return [
    ['POST', '/v1/admin/merchants', { name: 'Sneaky' }],
    ['GET', '/v1/admin/merchants', undefined],
    ['GET', `/v1/admin/merchants/${merchantId}`, undefined],
    ['POST', `/v1/admin/merchants/${merchantId}/api-keys`, { scopes: ['read', 'write', 'tokenize', 'reveal', 'pay'] }],
    ['DELETE', `/v1/admin/merchants/${merchantId}/api-keys/${keyId}`, undefined],
  ];
}

describe('native API security: admin routes', () => {
  it('require the admin token: missing, wrong, or another scheme is 401 and changes nothing', async () => {
    const m = await createMerchant(t, 'Admin target');
    const key = await issueKey(m.id, ['read'], 'target');
    const wrong: Array<[string, string | null]> = [
      ['no header', null],
      ['wrong token', 'Bearer not-the-admin-token-0123456789'],
      ['admin token plus a character', `Bearer ${ADMIN_TOKEN}x`],
      ['admin token minus a character', `Bearer ${ADMIN_TOKEN.slice(0, -1)}`],
      ['admin token in upper case', `Bearer ${ADMIN_TOKEN.toUpperCase()}`],
      ['admin token with Basic', `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}`],
      ['admin token without scheme', ADMIN_TOKEN],
      ['empty bearer', 'Bearer '],
    ];
    const before = await snapshot();
    for (const [label, authorization] of wrong) {
      for (const [method, url, body] of adminRoutes(m.id, key.id)) {
        const res = await send(method, url, authorization, body);
        expect(res.statusCode, `${label} on ${method} ${url}: ${res.body}`).toBe(401);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.json().code).toBe('unauthorized');
        expect(res.body).not.toContain(ADMIN_TOKEN);
      }
    }
    expect(await snapshot()).toEqual(before);
    // The key was not revoked, and the admin token itself works on the same routes.
    expect((await client(t, key.apiKey).get('/v1/cards')).statusCode).toBe(200);
    expect((await admin('GET', '/v1/admin/merchants?limit=100')).json().data.map((x: { id: string }) => x.id)).toContain(m.id);
    expect((await admin('GET', `/v1/admin/merchants/${m.id}`)).statusCode).toBe(200);
  });

  it('never return API key secrets or create anything when refused, even for a valid body', async () => {
    const before = (await admin('GET', '/v1/admin/merchants?limit=100')).json().data.length;
    const res = await admin('POST', '/v1/admin/merchants', { name: 'Should not exist' }, null);
    expectProblem(res, 401, 'unauthorized');
    expect(res.body).not.toContain('tv_sk_');
    const after = (await admin('GET', '/v1/admin/merchants?limit=100')).json();
    expect(after.data.length).toBe(before);
    expect(after.data.map((x: { name: string }) => x.name)).not.toContain('Should not exist');
  });
});
