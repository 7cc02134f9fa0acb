/** Native shipping addresses under a customer: create, list, read, replace with If-Match, default handling, delete; errors and tenancy. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, client, createCustomer, createMerchant, makeTestApp, type TestApp } from '../../helpers/harness.ts';

let t: TestApp;
let c: Client;
let other: Client;

beforeAll(async () => {
  t = await makeTestApp();
  c = client(t, (await createMerchant(t, 'Shop A')).apiKey);
  other = client(t, (await createMerchant(t, 'Shop B')).apiKey);
});
afterAll(() => t?.close());

const PROBLEM_JSON = /^application\/problem\+json/;

const HOME = {
  firstName: 'Ada',
  lastName: 'Lovelace',
  company: 'Analytical Engines Ltd',
  line1: '12 St James Square',
  line2: 'Flat 3',
  city: 'London',
  state: 'Greater London',
  postalCode: 'SW1Y 4JH',
  country: 'GB',
  email: 'ada@example.com',
  phone: '+44 20 7946 0000',
};
const WORK = { firstName: 'Ada', lastName: 'Lovelace', line1: '1 Science Park', city: 'Cambridge', postalCode: 'CB4 0WS', country: 'GB' };
const HOLIDAY = { line1: '5 Rue de Rivoli', city: 'Paris', postalCode: '75001', country: 'FR' };

async function countAddresses(): Promise<number> {
  const r = await t.vault.store.db
    .selectFrom('addresses')
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirst();
  return Number(r?.n ?? 0);
}

async function addAddress(cl: Client, customerId: string, address: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const res = await cl.post(`/v1/customers/${customerId}/addresses`, { address, ...extra });
  if (res.statusCode !== 201) throw new Error(`address create failed: ${res.statusCode} ${res.body}`);
  return res.json();
}

const defaultAddressOf = async (cl: Client, customerId: string): Promise<string | null> =>
  (await cl.get(`/v1/customers/${customerId}`)).json().defaultAddress;

describe('native addresses: happy path', () => {
  it('adds a first address with every field; it becomes the default', async () => {
    const cus = await createCustomer(c);
    const res = await c.post(`/v1/customers/${cus.id}/addresses`, { address: HOME });
    expect(res.statusCode).toBe(201);
    expect(res.headers.etag).toBe('"1"');
    const adr = res.json();
    expect(adr.id).toMatch(/^adr_[0-9A-Z]{26}$/);
    expect(adr).toEqual({
      id: adr.id,
      object: 'address',
      customer: cus.id,
      address: HOME,
      isDefault: true,
      version: 1,
      createdAt: adr.createdAt,
      updatedAt: adr.createdAt,
    });
    expect(await defaultAddressOf(c, cus.id)).toBe(adr.id);

    const got = await c.get(`/v1/customers/${cus.id}/addresses/${adr.id}`);
    expect(got.statusCode).toBe(200);
    expect(got.headers.etag).toBe('"1"');
    expect(got.json()).toEqual(adr);
  });

  it('keeps the first default when more addresses are added, and moves it when one is added with default: true', async () => {
    const cus = await createCustomer(c);
    const home = await addAddress(c, cus.id, HOME);
    const work = await addAddress(c, cus.id, WORK);
    expect(work.isDefault).toBe(false);
    expect(await defaultAddressOf(c, cus.id)).toBe(home.id);

    const holiday = await addAddress(c, cus.id, HOLIDAY, { default: true });
    expect(holiday.isDefault).toBe(true);
    expect(await defaultAddressOf(c, cus.id)).toBe(holiday.id);
    expect((await c.get(`/v1/customers/${cus.id}/addresses/${home.id}`)).json().isDefault).toBe(false);

    const listed = (await c.get(`/v1/customers/${cus.id}/addresses`)).json();
    expect(listed.object).toBe('list');
    expect(listed.nextCursor).toBeNull();
    expect(listed.data.map((a: { id: string; isDefault: boolean }) => [a.id, a.isDefault])).toEqual([
      [home.id, false],
      [work.id, false],
      [holiday.id, true],
    ]);
  });

  it('pages through a customer’s addresses in creation order', async () => {
    const cus = await createCustomer(c);
    const made: string[] = [];
    for (let i = 0; i < 5; i++) made.push((await addAddress(c, cus.id, { line1: `${i} Test Road`, country: 'US' })).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await c.get(`/v1/customers/${cus.id}/addresses?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.statusCode).toBe(200);
      expect(res.json().data.length).toBeLessThanOrEqual(2);
      seen.push(...res.json().data.map((a: { id: string }) => a.id));
      cursor = res.json().nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual(made);
  });

  it('replaces the address on PATCH, bumping version and ETag', async () => {
    const cus = await createCustomer(c);
    const adr = await addAddress(c, cus.id, HOME);
    const res = await c.patch(`/v1/customers/${cus.id}/addresses/${adr.id}`, { address: WORK });
    expect(res.statusCode).toBe(200);
    expect(res.headers.etag).toBe('"2"');
    // "Replace a shipping address": fields absent from the new address are gone.
    expect(res.json()).toMatchObject({ id: adr.id, address: WORK, version: 2, isDefault: true, createdAt: adr.createdAt });
    expect(res.json().address.company).toBeUndefined();
    expect((await c.get(`/v1/customers/${cus.id}/addresses/${adr.id}`)).json().address).toEqual(WORK);
  });

  it('honours If-Match on PATCH: a stale version gets 412 and the address is unchanged', async () => {
    const cus = await createCustomer(c);
    const adr = await addAddress(c, cus.id, HOME);
    const ok = await c.patch(`/v1/customers/${cus.id}/addresses/${adr.id}`, { address: WORK }, { 'if-match': '"1"' });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().version).toBe(2);

    const stale = await c.patch(`/v1/customers/${cus.id}/addresses/${adr.id}`, { address: HOLIDAY }, { 'if-match': '"1"' });
    expect(stale.statusCode).toBe(412);
    expect(stale.headers['content-type']).toMatch(PROBLEM_JSON);
    expect(stale.json()).toMatchObject({ status: 412, code: 'version_mismatch' });
    expect((await c.get(`/v1/customers/${cus.id}/addresses/${adr.id}`)).json()).toMatchObject({ address: WORK, version: 2 });

    const bad = await c.patch(`/v1/customers/${cus.id}/addresses/${adr.id}`, { address: HOLIDAY }, { 'if-match': 'yesterday' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('invalid_if_match');
    expect((await c.get(`/v1/customers/${cus.id}/addresses/${adr.id}`)).json().address).toEqual(WORK);
  });

  it("moves and clears the default with PATCH { default }, and the customer's defaultAddress follows", async () => {
    const cus = await createCustomer(c);
    const home = await addAddress(c, cus.id, HOME);
    const work = await addAddress(c, cus.id, WORK);

    const moved = await c.patch(`/v1/customers/${cus.id}/addresses/${work.id}`, { default: true });
    expect(moved.statusCode).toBe(200);
    expect(moved.json()).toMatchObject({ isDefault: true, address: WORK });
    expect(await defaultAddressOf(c, cus.id)).toBe(work.id);
    expect((await c.get(`/v1/customers/${cus.id}/addresses/${home.id}`)).json().isDefault).toBe(false);

    // Un-defaulting an address that is not the default changes nothing.
    expect((await c.patch(`/v1/customers/${cus.id}/addresses/${home.id}`, { default: false })).json().isDefault).toBe(false);
    expect(await defaultAddressOf(c, cus.id)).toBe(work.id);

    const cleared = await c.patch(`/v1/customers/${cus.id}/addresses/${work.id}`, { default: false });
    expect(cleared.json().isDefault).toBe(false);
    expect(await defaultAddressOf(c, cus.id)).toBeNull();

    // Address and default together.
    const both = await c.patch(`/v1/customers/${cus.id}/addresses/${home.id}`, { address: HOLIDAY, default: true });
    expect(both.json()).toMatchObject({ address: HOLIDAY, isDefault: true, version: 2 });
    expect(await defaultAddressOf(c, cus.id)).toBe(home.id);
  });

  it('deletes addresses; deleting the default clears it and the next new address becomes the default', async () => {
    const cus = await createCustomer(c);
    const home = await addAddress(c, cus.id, HOME);
    const work = await addAddress(c, cus.id, WORK);

    const delWork = await c.delete(`/v1/customers/${cus.id}/addresses/${work.id}`);
    expect(delWork.statusCode).toBe(200);
    expect(delWork.json()).toMatchObject({ id: work.id, address: WORK });
    const gone = await c.get(`/v1/customers/${cus.id}/addresses/${work.id}`);
    expect(gone.statusCode).toBe(404);
    expect(gone.json().code).toBe('address_not_found');
    expect(await defaultAddressOf(c, cus.id)).toBe(home.id);

    expect((await c.delete(`/v1/customers/${cus.id}/addresses/${home.id}`)).statusCode).toBe(200);
    expect(await defaultAddressOf(c, cus.id)).toBeNull();
    expect((await c.get(`/v1/customers/${cus.id}/addresses`)).json().data).toEqual([]);

    const again = await c.delete(`/v1/customers/${cus.id}/addresses/${home.id}`);
    expect(again.statusCode).toBe(404);
    expect(again.json().code).toBe('address_not_found');

    const next = await addAddress(c, cus.id, HOLIDAY);
    expect(next.isDefault).toBe(true);
    expect(await defaultAddressOf(c, cus.id)).toBe(next.id);
  });

  it('makes exactly one of several concurrently added first addresses the default', async () => {
    // A few rounds, since a race shows only when the requests really overlap.
    for (let round = 0; round < 3; round++) {
      const cus = await createCustomer(c);
      const responses = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          c.post(`/v1/customers/${cus.id}/addresses`, { address: { line1: `${i} Race Road`, country: 'US' } }),
        ),
      );
      for (const r of responses) expect(r.statusCode).toBe(201);
      const actual = await defaultAddressOf(c, cus.id);
      expect(actual).not.toBeNull();
      // Every response tells the truth about isDefault: exactly one says true, and it is the customer's default.
      const claimed = responses.filter((r) => r.json().isDefault).map((r) => r.json().id);
      expect(claimed).toEqual([actual]);
      const listed = (await c.get(`/v1/customers/${cus.id}/addresses`)).json().data;
      expect(listed.filter((a: { isDefault: boolean }) => a.isDefault).map((a: { id: string }) => a.id)).toEqual([actual]);
    }
  });

  it("removes a customer's addresses when the customer is deleted", async () => {
    const cus = await createCustomer(c);
    const adr = await addAddress(c, cus.id, HOME);
    await addAddress(c, cus.id, WORK);
    expect((await c.delete(`/v1/customers/${cus.id}`)).statusCode).toBe(200);
    for (const res of [await c.get(`/v1/customers/${cus.id}/addresses`), await c.get(`/v1/customers/${cus.id}/addresses/${adr.id}`)]) {
      expect(res.statusCode).toBe(404);
      expect(res.json().code).toBe('customer_not_found');
    }
    const rows = await t.vault.store.db.selectFrom('addresses').select('id').where('customer_id', '=', cus.id).execute();
    expect(rows).toEqual([]);
  });
});

describe('native addresses: bad input', () => {
  it.each([
    ['a lower-case country', { address: { line1: '1 A St', country: 'gb' } }, 'address.country', 'pattern'],
    ['a three-letter country', { address: { country: 'GBR' } }, 'address.country', 'pattern'],
    ['an unknown address field', { address: { line1: '1 A St', street: 'x' } }, 'address.street', 'unknown_field'],
    ['an unknown top-level field', { address: { line1: '1 A St' }, primary: true }, 'primary', 'unknown_field'],
    ['a missing address', { default: true }, 'address', 'required'],
    ['a malformed email', { address: { email: 'ada at example' } }, 'address.email', 'pattern'],
    ['a numeric postal code (no coercion)', { address: { postalCode: 12345 } }, 'address.postalCode', 'wrong_type'],
    ['an empty city', { address: { city: '' } }, 'address.city', 'minLength'],
    ['a string default', { address: { line1: '1 A St' }, default: 'yes' }, 'default', 'wrong_type'],
  ])('rejects %s with 400 validation_failed naming the field, and stores nothing', async (_label, body, field, code) => {
    const cus = await createCustomer(c);
    const before = await countAddresses();
    const res = await c.post(`/v1/customers/${cus.id}/addresses`, body);
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(PROBLEM_JSON);
    expect(res.json().code).toBe('validation_failed');
    expect(res.json().errors).toContainEqual(expect.objectContaining({ field, code }));
    expect(await countAddresses()).toBe(before);
    expect(await defaultAddressOf(c, cus.id)).toBeNull();
  });

  it('rejects a line1 over 100 characters', async () => {
    const cus = await createCustomer(c);
    expect((await c.post(`/v1/customers/${cus.id}/addresses`, { address: { line1: 'x'.repeat(101) } })).statusCode).toBe(400);
  });

  it('rejects an empty or invalid PATCH and leaves the address as it was', async () => {
    const cus = await createCustomer(c);
    const adr = await addAddress(c, cus.id, HOME);
    const empty = await c.patch(`/v1/customers/${cus.id}/addresses/${adr.id}`, {});
    expect(empty.statusCode).toBe(400);
    expect(empty.json().code).toBe('validation_failed');
    const bad = await c.patch(`/v1/customers/${cus.id}/addresses/${adr.id}`, { address: { country: 'United Kingdom' } });
    expect(bad.statusCode).toBe(400);
    expect((await c.get(`/v1/customers/${cus.id}/addresses/${adr.id}`)).json()).toMatchObject({ address: HOME, version: 1 });
  });

  it('answers 404 for an unknown customer or an unknown address', async () => {
    const unknownCus = 'cus_00000000000000000000000000';
    for (const res of [
      await c.post(`/v1/customers/${unknownCus}/addresses`, { address: HOME }),
      await c.get(`/v1/customers/${unknownCus}/addresses`),
      await c.get(`/v1/customers/${unknownCus}/addresses/adr_00000000000000000000000000`),
    ]) {
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ status: 404, code: 'customer_not_found' });
    }
    const cus = await createCustomer(c);
    const unknownAdr = `/v1/customers/${cus.id}/addresses/adr_00000000000000000000000000`;
    for (const res of [await c.get(unknownAdr), await c.patch(unknownAdr, { default: true }), await c.delete(unknownAdr)]) {
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ status: 404, code: 'address_not_found' });
    }
    expect(await defaultAddressOf(c, cus.id)).toBeNull();
  });
});

describe('native addresses: security', () => {
  it("does not reach one customer's address through another customer of the same merchant", async () => {
    const owner = await createCustomer(c);
    const stranger = await createCustomer(c);
    const adr = await addAddress(c, owner.id, HOME);
    const via = `/v1/customers/${stranger.id}/addresses/${adr.id}`;
    for (const res of [await c.get(via), await c.patch(via, { address: WORK, default: true }), await c.delete(via)]) {
      expect(res.statusCode).toBe(404);
      expect(res.json().code).toBe('address_not_found');
    }
    expect((await c.get(`/v1/customers/${stranger.id}/addresses`)).json().data).toEqual([]);
    expect(await defaultAddressOf(c, stranger.id)).toBeNull();
    expect((await c.get(`/v1/customers/${owner.id}/addresses/${adr.id}`)).json()).toMatchObject({
      address: HOME,
      version: 1,
      isDefault: true,
    });
  });

  it("never shows, changes or deletes another merchant's addresses", async () => {
    const cus = await createCustomer(c);
    const adr = await addAddress(c, cus.id, HOME);
    const path = `/v1/customers/${cus.id}/addresses/${adr.id}`;
    for (const res of [
      await other.get(`/v1/customers/${cus.id}/addresses`),
      await other.post(`/v1/customers/${cus.id}/addresses`, { address: WORK, default: true }),
      await other.get(path),
      await other.patch(path, { address: WORK }),
      await other.delete(path),
    ]) {
      expect(res.statusCode).toBe(404);
      expect(res.json().code).toBe('customer_not_found');
    }
    // Nor through one of its own customers.
    const theirs = await createCustomer(other);
    const via = `/v1/customers/${theirs.id}/addresses/${adr.id}`;
    for (const res of [await other.get(via), await other.patch(via, { address: WORK }), await other.delete(via)]) {
      expect(res.statusCode).toBe(404);
      expect(res.json().code).toBe('address_not_found');
    }
    const after = await c.get(`/v1/customers/${cus.id}/addresses`);
    expect(after.json().data).toEqual([expect.objectContaining({ id: adr.id, address: HOME, version: 1, isDefault: true })]);
  });

  it('requires an API key', async () => {
    const cus = await createCustomer(c);
    const res = await t.app.inject({ method: 'GET', url: `/v1/customers/${cus.id}/addresses` });
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('unauthorized');
  });
});
