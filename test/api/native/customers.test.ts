/** Native customers API: create, read, search, paginate, update with If-Match, delete with its cards and addresses; errors and tenancy. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, client, createCustomer, createMerchant, makeTestApp, type TestApp, tokenize } from '../../helpers/harness.ts';

let t: TestApp;
let apiKey: string;
let c: Client;
let other: Client;
/** Added to the vault clock so a test can make time pass between a write and the next. */
let skewMs = 0;

beforeAll(async () => {
  t = await makeTestApp({ now: () => new Date(Date.now() + skewMs) });
  apiKey = (await createMerchant(t, 'Shop A')).apiKey;
  c = client(t, apiKey);
  other = client(t, (await createMerchant(t, 'Shop B')).apiKey);
});
afterAll(() => t?.close());

const PROBLEM_JSON = /^application\/problem\+json/;

async function countCustomers(): Promise<number> {
  const r = await t.vault.store.db
    .selectFrom('customers')
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirst();
  return Number(r?.n ?? 0);
}

async function countAddressesOf(customerId: string): Promise<number> {
  const r = await t.vault.store.db
    .selectFrom('addresses')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('customer_id', '=', customerId)
    .executeTakeFirst();
  return Number(r?.n ?? 0);
}

/** Walks every page of a list URL (which must already carry a query string) and returns the items. */
async function allPages(cl: Client, url: string): Promise<Array<{ id: string; customerId: string | null }>> {
  const seen: Array<{ id: string; customerId: string | null }> = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 50; pages++) {
    const res = await cl.get(`${url}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    seen.push(...body.data);
    cursor = body.nextCursor;
    if (!cursor) return seen;
  }
  throw new Error('pagination did not end');
}

describe('native customers: happy path', () => {
  it('creates a customer with all fields and returns it with a cus_ id, version 1 and ETag', async () => {
    const res = await c.post('/v1/customers', {
      customerId: 'crm-1001',
      name: 'Ada Lovelace',
      email: 'ada@example.com',
      phone: '+44 20 7946 0000',
      metadata: { tier: 'gold', 'source.channel': 'web' },
    });
    expect(res.statusCode).toBe(201);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers.etag).toBe('"1"');
    const cus = res.json();
    expect(cus.id).toMatch(/^cus_[0-9A-Z]{26}$/);
    expect(cus).toEqual({
      id: cus.id,
      object: 'customer',
      customerId: 'crm-1001',
      name: 'Ada Lovelace',
      email: 'ada@example.com',
      phone: '+44 20 7946 0000',
      metadata: { tier: 'gold', 'source.channel': 'web' },
      defaultCard: null,
      defaultAddress: null,
      version: 1,
      createdAt: cus.createdAt,
      updatedAt: cus.createdAt,
    });
    expect(new Date(cus.createdAt).toISOString()).toBe(cus.createdAt);

    const got = await c.get(`/v1/customers/${cus.id}`);
    expect(got.statusCode).toBe(200);
    expect(got.headers.etag).toBe('"1"');
    expect(got.json()).toEqual(cus);
  });

  it('creates a customer from an empty body with every optional field null', async () => {
    const res = await c.post('/v1/customers', {});
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      object: 'customer',
      customerId: null,
      name: null,
      email: null,
      phone: null,
      metadata: null,
      version: 1,
    });
  });

  it('pages through all live customers in creation order with nextCursor, ending with null', async () => {
    const m = client(t, (await createMerchant(t, 'Paging shop')).apiKey);
    const made: string[] = [];
    for (let i = 0; i < 5; i++) made.push((await createCustomer(m, { customerId: `p-${i}` })).id);

    const first = await m.get('/v1/customers?limit=2');
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ object: 'list', data: [{ id: made[0] }, { id: made[1] }] });
    expect(typeof first.json().nextCursor).toBe('string');

    const seen = await allPages(m, '/v1/customers?limit=2');
    expect(seen.map((x) => x.id)).toEqual(made);

    // An exact fit leaves no dangling cursor.
    const exact = await m.get('/v1/customers?limit=5');
    expect(exact.json().data).toHaveLength(5);
    expect(exact.json().nextCursor).toBeNull();

    // Deleted customers leave the list.
    expect((await m.delete(`/v1/customers/${made[2]}`)).statusCode).toBe(200);
    expect((await allPages(m, '/v1/customers?limit=2')).map((x) => x.id)).toEqual([made[0], made[1], made[3], made[4]]);
  });

  it("finds a customer by the merchant's own customerId", async () => {
    const cus = await createCustomer(c, { customerId: 'search-me', name: 'Searchable' });
    await createCustomer(c, { customerId: 'search-me-too' });
    const res = await c.get('/v1/customers?customerId=search-me');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ object: 'list', data: [cus], nextCursor: null });

    const none = await c.get('/v1/customers?customerId=nobody-has-this');
    expect(none.statusCode).toBe(200);
    expect(none.json()).toEqual({ object: 'list', data: [], nextCursor: null });
  });

  it('updates fields, clears them with null, bumps version and ETag, and keeps createdAt', async () => {
    const cus = await createCustomer(c, { customerId: 'upd-1', name: 'Old', email: 'old@example.com', metadata: { a: '1' } });
    skewMs += 60_000;
    const res = await c.patch(`/v1/customers/${cus.id}`, { name: 'New Name', email: null, metadata: null, phone: '555-0100' });
    expect(res.statusCode).toBe(200);
    expect(res.headers.etag).toBe('"2"');
    const upd = res.json();
    expect(upd).toMatchObject({
      id: cus.id,
      customerId: 'upd-1',
      name: 'New Name',
      email: null,
      phone: '555-0100',
      metadata: null,
      version: 2,
    });
    expect(upd.createdAt).toBe(cus.createdAt);
    expect(Date.parse(upd.updatedAt)).toBeGreaterThan(Date.parse(cus.updatedAt));
    expect((await c.get(`/v1/customers/${cus.id}`)).json()).toEqual(upd);
  });

  it('honours If-Match: the current version applies, a stale one is refused with 412 and changes nothing', async () => {
    const cus = await createCustomer(c, { name: 'v1' });
    const ok = await c.patch(`/v1/customers/${cus.id}`, { name: 'v2' }, { 'if-match': '"1"' });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().version).toBe(2);

    const stale = await c.patch(`/v1/customers/${cus.id}`, { name: 'lost update' }, { 'if-match': '"1"' });
    expect(stale.statusCode).toBe(412);
    expect(stale.headers['content-type']).toMatch(PROBLEM_JSON);
    expect(stale.json()).toMatchObject({ status: 412, code: 'version_mismatch' });
    const now = (await c.get(`/v1/customers/${cus.id}`)).json();
    expect(now).toMatchObject({ name: 'v2', version: 2 });

    // Weak ETags are accepted too.
    expect((await c.patch(`/v1/customers/${cus.id}`, { name: 'v3' }, { 'if-match': 'W/"2"' })).json()).toMatchObject({
      name: 'v3',
      version: 3,
    });

    const bad = await c.patch(`/v1/customers/${cus.id}`, { name: 'x' }, { 'if-match': 'not-an-etag' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('invalid_if_match');
    expect((await c.get(`/v1/customers/${cus.id}`)).json().name).toBe('v3');
  });

  it('deletes a customer, marking all its cards DELETED and removing its addresses', async () => {
    const cus = await createCustomer(c, { customerId: 'to-delete' });
    const card1 = await tokenize(c, { customer: cus.id });
    const card2 = await tokenize(c, { customer: cus.id, number: '5555555555554444' });
    const unrelated = await tokenize(c);
    for (const line1 of ['1 Main St', '2 High St']) {
      expect((await c.post(`/v1/customers/${cus.id}/addresses`, { address: { line1, country: 'GB' } })).statusCode).toBe(201);
    }
    expect(await countAddressesOf(cus.id)).toBe(2);

    const del = await c.delete(`/v1/customers/${cus.id}`);
    expect(del.statusCode).toBe(200);
    expect(del.json()).toMatchObject({ id: cus.id, object: 'customer', customerId: 'to-delete', defaultCard: null, defaultAddress: null });

    const gone = await c.get(`/v1/customers/${cus.id}`);
    expect(gone.statusCode).toBe(404);
    expect(gone.json().code).toBe('customer_not_found');
    for (const card of [card1, card2]) {
      const res = await c.get(`/v1/cards/${card.token}`);
      expect(res.statusCode).toBe(200);
      expect(res.json().status).toBe('DELETED');
      // A deleted card cannot be brought back.
      expect((await c.post(`/v1/cards/${card.token}/status`, { status: 'ACTIVE' })).json().code).toBe('card_deleted');
    }
    expect((await c.get(`/v1/cards/${unrelated.token}`)).json().status).toBe('ACTIVE');
    expect(await countAddressesOf(cus.id)).toBe(0);
    expect((await c.get(`/v1/customers/${cus.id}/addresses`)).statusCode).toBe(404);
    expect((await c.get(`/v1/customers/${cus.id}/cards`)).statusCode).toBe(404);
    expect((await c.get('/v1/customers?customerId=to-delete')).json().data).toEqual([]);

    // Deleting again, or changing the deleted customer, finds nothing.
    expect((await c.delete(`/v1/customers/${cus.id}`)).statusCode).toBe(404);
    expect((await c.patch(`/v1/customers/${cus.id}`, { name: 'zombie' })).statusCode).toBe(404);
    // Nor can a new card or address be attached to it.
    const attach = await c.post('/v1/cards', {
      number: '4111111111111111',
      expMonth: 12,
      expYear: new Date().getUTCFullYear() + 2,
      customer: cus.id,
    });
    expect(attach.statusCode).toBe(404);
    expect(attach.json().code).toBe('customer_not_found');
    expect((await c.post(`/v1/customers/${cus.id}/addresses`, { address: { line1: 'x' } })).statusCode).toBe(404);
  });

  it('refuses a delete with a stale If-Match and leaves the customer and its cards alone', async () => {
    const cus = await createCustomer(c);
    const card = await tokenize(c, { customer: cus.id });
    await c.patch(`/v1/customers/${cus.id}`, { name: 'now v2' });
    const res = await c.delete(`/v1/customers/${cus.id}`, { 'if-match': '"1"' });
    expect(res.statusCode).toBe(412);
    expect(res.json().code).toBe('version_mismatch');
    expect((await c.get(`/v1/customers/${cus.id}`)).statusCode).toBe(200);
    expect((await c.get(`/v1/cards/${card.token}`)).json().status).toBe('ACTIVE');
    expect((await c.delete(`/v1/customers/${cus.id}`, { 'if-match': '"2"' })).statusCode).toBe(200);
  });
});

describe('native customers: duplicate customerId', () => {
  it('refuses a second live customer with the same customerId and creates nothing', async () => {
    await createCustomer(c, { customerId: 'dup-1' });
    const before = await countCustomers();
    const res = await c.post('/v1/customers', { customerId: 'dup-1', name: 'Second' });
    expect(res.statusCode).toBe(409);
    expect(res.headers['content-type']).toMatch(PROBLEM_JSON);
    expect(res.json()).toMatchObject({ status: 409, code: 'duplicate_customer_id' });
    expect(res.json().errors).toEqual([expect.objectContaining({ field: 'customerId' })]);
    expect(await countCustomers()).toBe(before);
    expect((await c.get('/v1/customers?customerId=dup-1')).json().data).toHaveLength(1);
  });

  it('refuses a PATCH that takes another customer’s customerId, and lets a freed one be taken', async () => {
    const a = await createCustomer(c, { customerId: 'dup-a' });
    const b = await createCustomer(c, { customerId: 'dup-b' });
    const res = await c.patch(`/v1/customers/${b.id}`, { customerId: 'dup-a' });
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('duplicate_customer_id');
    expect((await c.get(`/v1/customers/${b.id}`)).json()).toMatchObject({ customerId: 'dup-b', version: 1 });

    // Clearing a's customerId frees it.
    expect((await c.patch(`/v1/customers/${a.id}`, { customerId: null })).json().customerId).toBeNull();
    const taken = await c.patch(`/v1/customers/${b.id}`, { customerId: 'dup-a' });
    expect(taken.statusCode).toBe(200);
    expect((await c.get('/v1/customers?customerId=dup-a')).json().data.map((x: { id: string }) => x.id)).toEqual([b.id]);
  });

  it('makes a customerId reusable once its customer is deleted', async () => {
    const first = await createCustomer(c, { customerId: 'reuse-me' });
    expect((await c.delete(`/v1/customers/${first.id}`)).statusCode).toBe(200);
    const res = await c.post('/v1/customers', { customerId: 'reuse-me', name: 'Second life' });
    expect(res.statusCode).toBe(201);
    expect(res.json().id).not.toBe(first.id);
    const found = (await c.get('/v1/customers?customerId=reuse-me')).json().data;
    expect(found.map((x: { id: string }) => x.id)).toEqual([res.json().id]);
    // And it is unique again among live customers.
    expect((await c.post('/v1/customers', { customerId: 'reuse-me' })).statusCode).toBe(409);
  });

  it('allows customers without a customerId to coexist', async () => {
    const a = await createCustomer(c, { name: 'anon 1' });
    const b = await createCustomer(c, { name: 'anon 2' });
    expect(a.id).not.toBe(b.id);
  });
});

describe('native customers: concurrency', () => {
  it('lets only one of several concurrent creates with the same customerId through', async () => {
    const before = await countCustomers();
    const responses = await Promise.all(
      Array.from({ length: 5 }, (_, i) => c.post('/v1/customers', { customerId: 'race-1', name: `racer ${i}` })),
    );
    const codes = responses.map((r) => r.statusCode).sort();
    expect(codes).toEqual([201, 409, 409, 409, 409]);
    for (const r of responses.filter((x) => x.statusCode === 409)) expect(r.json().code).toBe('duplicate_customer_id');
    expect(await countCustomers()).toBe(before + 1);
    expect((await c.get('/v1/customers?customerId=race-1')).json().data).toHaveLength(1);
  });

  it('applies concurrent PATCHes without If-Match one after another, losing none', async () => {
    const cus = await createCustomer(c, { name: 'start' });
    const responses = await Promise.all(Array.from({ length: 5 }, (_, i) => c.patch(`/v1/customers/${cus.id}`, { name: `writer ${i}` })));
    for (const r of responses) expect(r.statusCode).toBe(200);
    expect(responses.map((r) => r.json().version).sort()).toEqual([2, 3, 4, 5, 6]);
    const final = (await c.get(`/v1/customers/${cus.id}`)).json();
    expect(final.version).toBe(6);
    // The stored name is the one written by the request that produced version 6.
    expect(final.name).toBe(responses.find((r) => r.json().version === 6)?.json().name);
  });
});

describe('native customers: bad input', () => {
  it.each([
    ['an unknown field', { name: 'x', nickname: 'y' }, 'nickname', 'unknown_field'],
    ['a malformed email', { email: 'not-an-email' }, 'email', 'pattern'],
    ['a number for name (no coercion)', { name: 42 }, 'name', 'wrong_type'],
    ['an empty customerId', { customerId: '' }, 'customerId', 'minLength'],
    ['a non-string metadata value', { metadata: { a: 1 } }, 'metadata.a', 'wrong_type'],
    ['letters in phone', { phone: 'call me' }, 'phone', 'pattern'],
  ])('rejects %s with 400 validation_failed naming the field, and creates nothing', async (_label, body, field, code) => {
    const before = await countCustomers();
    const res = await c.post('/v1/customers', body);
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(PROBLEM_JSON);
    expect(res.json()).toMatchObject({ status: 400, code: 'validation_failed' });
    expect(res.json().errors).toContainEqual(expect.objectContaining({ field, code }));
    expect(await countCustomers()).toBe(before);
  });

  it('rejects a customerId over 100 characters and metadata with more than 20 keys', async () => {
    expect((await c.post('/v1/customers', { customerId: 'x'.repeat(101) })).statusCode).toBe(400);
    const metadata = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, 'v']));
    expect((await c.post('/v1/customers', { metadata })).statusCode).toBe(400);
  });

  it('rejects an empty PATCH and an invalid PATCH without changing the customer', async () => {
    const cus = await createCustomer(c, { name: 'Stable' });
    const empty = await c.patch(`/v1/customers/${cus.id}`, {});
    expect(empty.statusCode).toBe(400);
    expect(empty.json().code).toBe('validation_failed');
    const bad = await c.patch(`/v1/customers/${cus.id}`, { name: 'Fine', email: 'broken' });
    expect(bad.statusCode).toBe(400);
    expect((await c.get(`/v1/customers/${cus.id}`)).json()).toMatchObject({ name: 'Stable', version: 1 });
  });

  it('rejects malformed JSON and bad list parameters with problems, not 500s', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/customers',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      payload: '{"name": ',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('invalid_json');
    for (const q of ['limit=0', 'limit=101', 'limit=abc', 'color=red']) {
      const r = await c.get(`/v1/customers?${q}`);
      expect(r.statusCode, q).toBe(400);
      expect(r.json().code, q).toBe('validation_failed');
    }
    const cur = await c.get('/v1/customers?cursor=bm90LWEtY3Vyc29y');
    expect(cur.statusCode).toBe(400);
    expect(cur.json().code).toBe('invalid_cursor');
  });

  it('answers 404 customer_not_found for an unknown id on GET, PATCH and DELETE', async () => {
    for (const res of [
      await c.get('/v1/customers/cus_00000000000000000000000000'),
      await c.patch('/v1/customers/cus_00000000000000000000000000', { name: 'x' }),
      await c.delete('/v1/customers/cus_00000000000000000000000000'),
    ]) {
      expect(res.statusCode).toBe(404);
      expect(res.headers['content-type']).toMatch(PROBLEM_JSON);
      expect(res.json()).toMatchObject({ status: 404, code: 'customer_not_found' });
    }
  });
});

describe('native customers: security', () => {
  it('requires a valid API key', async () => {
    const none = await t.app.inject({ method: 'GET', url: '/v1/customers' });
    expect(none.statusCode).toBe(401);
    expect(none.json().code).toBe('unauthorized');
    const wrong = await client(t, 'tv_sk_not-a-real-key').post('/v1/customers', { name: 'x' });
    expect(wrong.statusCode).toBe(401);
  });

  it("never shows, changes or deletes another merchant's customer", async () => {
    const mine = await createCustomer(c, { customerId: 'tenant-x', name: 'Mine' });
    const card = await tokenize(c, { customer: mine.id });

    for (const res of [
      await other.get(`/v1/customers/${mine.id}`),
      await other.patch(`/v1/customers/${mine.id}`, { name: 'Stolen' }),
      await other.delete(`/v1/customers/${mine.id}`),
      await other.get(`/v1/customers/${mine.id}/cards`),
    ]) {
      expect(res.statusCode).toBe(404);
      expect(res.json().code).toBe('customer_not_found');
    }
    expect((await other.get('/v1/customers?customerId=tenant-x')).json().data).toEqual([]);
    expect((await allPages(other, '/v1/customers?limit=100')).map((x) => x.id)).not.toContain(mine.id);

    // Merchant B may use the same customerId for its own customer.
    const theirs = await createCustomer(other, { customerId: 'tenant-x' });
    expect(theirs.id).not.toBe(mine.id);

    // Merchant B cannot attach a card to A's customer.
    const attach = await other.post('/v1/cards', {
      number: '4111111111111111',
      expMonth: 12,
      expYear: new Date().getUTCFullYear() + 2,
      customer: mine.id,
    });
    expect(attach.statusCode).toBe(404);

    expect((await c.get(`/v1/customers/${mine.id}`)).json()).toMatchObject({ name: 'Mine', version: 1, defaultCard: card.token });
    expect((await c.get(`/v1/cards/${card.token}`)).json().status).toBe('ACTIVE');
  });
});
