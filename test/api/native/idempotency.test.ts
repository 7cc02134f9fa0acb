/**
 * Idempotency-Key on native POSTs: a retry is answered from the first response and never creates a second
 * record; a different request under the same key is refused; keys belong to one merchant.
 */
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
  VISA,
} from '../../helpers/harness.ts';

let t: TestApp;
let merchantA: string;
let c: Client;
let b: Client;

beforeAll(async () => {
  t = await makeTestApp();
  const a = await createMerchant(t, 'Shop A');
  merchantA = a.id;
  c = client(t, a.apiKey);
  b = client(t, (await createMerchant(t, 'Shop B')).apiKey);
});
afterAll(() => t?.close());

let seq = 0;
/** A fresh key per use, so tests never collide. */
const newKey = (label: string): string => `idem-${label}-${++seq}-${Date.now()}`;
const withKey = (key: string) => ({ 'idempotency-key': key });

const cardBody = (extra: Record<string, unknown> = {}) => ({ number: VISA, expMonth: 12, expYear: futureYear(), ...extra });

async function count(table: 'cards' | 'customers' | 'addresses'): Promise<number> {
  const r = await t.vault.store.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirst();
  return Number(r?.n ?? 0);
}

describe('idempotency: replay', () => {
  it('creates two cards for two identical POSTs without a key (the baseline the key protects against)', async () => {
    const before = await count('cards');
    const first = await c.post('/v1/cards', cardBody());
    const second = await c.post('/v1/cards', cardBody());
    expect([first.statusCode, second.statusCode]).toEqual([201, 201]);
    expect(second.json().token).not.toBe(first.json().token);
    expect(await count('cards')).toBe(before + 2);
  });

  it('answers a repeated card POST with the same status, body and ETag, marked replayed, and stores one card', async () => {
    const key = newKey('card');
    const before = await count('cards');
    const first = await c.post('/v1/cards', cardBody({ holderName: 'Ada' }), withKey(key));
    expect(first.statusCode).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();

    const second = await c.post('/v1/cards', cardBody({ holderName: 'Ada' }), withKey(key));
    expect(second.statusCode).toBe(201);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.headers['content-type']).toBe(first.headers['content-type']);
    expect(second.headers.etag).toBe(first.headers.etag);
    expect(second.body).toBe(first.body);
    expect(second.json().token).toBe(first.json().token);

    const third = await c.post('/v1/cards', cardBody({ holderName: 'Ada' }), withKey(key));
    expect(third.body).toBe(first.body);
    expect(await count('cards')).toBe(before + 1);
    expect((await c.get(`/v1/cards/${first.json().token}`)).statusCode).toBe(200);
  });

  it('answers a repeated customer POST from the first response even after the customer changed', async () => {
    const key = newKey('customer');
    const before = await count('customers');
    const first = await c.post('/v1/customers', { customerId: 'idem-cus-1', name: 'First' }, withKey(key));
    expect(first.statusCode).toBe(201);
    // Without the key this would be a duplicate_customer_id 409; with it, the original 201 comes back.
    await c.patch(`/v1/customers/${first.json().id}`, { name: 'Renamed' });
    const again = await c.post('/v1/customers', { customerId: 'idem-cus-1', name: 'First' }, withKey(key));
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toBe(first.body);
    expect(again.headers.etag).toBe('"1"');
    expect(await count('customers')).toBe(before + 1);
  });

  it('replays a stored client error too: a 422 is answered again and nothing is created', async () => {
    const key = newKey('luhn');
    const before = await count('cards');
    const bad = cardBody({ number: '4111111111111112' });
    const first = await c.post('/v1/cards', bad, withKey(key));
    expect(first.statusCode).toBe(422);
    expect(first.json().code).toBe('invalid_card_number');
    const second = await c.post('/v1/cards', bad, withKey(key));
    expect(second.statusCode).toBe(422);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(second.body).toBe(first.body);
    expect(await count('cards')).toBe(before);
  });

  it('replays address and card-status POSTs without repeating their effect', async () => {
    const cus = await createCustomer(c);
    const key = newKey('address');
    const body = { address: { line1: '1 Main St', country: 'GB' } };
    const a1 = await c.post(`/v1/customers/${cus.id}/addresses`, body, withKey(key));
    const a2 = await c.post(`/v1/customers/${cus.id}/addresses`, body, withKey(key));
    expect([a1.statusCode, a2.statusCode]).toEqual([201, 201]);
    expect(a2.body).toBe(a1.body);
    expect((await c.get(`/v1/customers/${cus.id}/addresses`)).json().data).toHaveLength(1);

    const card = (await c.post('/v1/cards', cardBody())).json();
    const sKey = newKey('status');
    const s1 = await c.post(`/v1/cards/${card.token}/status`, { status: 'SUSPENDED' }, withKey(sKey));
    expect(s1.json()).toMatchObject({ status: 'SUSPENDED', version: 2 });
    const s2 = await c.post(`/v1/cards/${card.token}/status`, { status: 'SUSPENDED' }, withKey(sKey));
    expect(s2.headers['idempotent-replayed']).toBe('true');
    expect(s2.body).toBe(s1.body);
    expect((await c.get(`/v1/cards/${card.token}`)).json().version).toBe(2);
  });

  it('is shared by all API keys of one merchant', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: `/v1/admin/merchants/${merchantA}/api-keys`,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      payload: { scopes: ['tokenize', 'read'] },
    });
    expect(res.statusCode).toBe(201);
    const second = client(t, res.json().apiKey);
    const key = newKey('two-keys');
    const before = await count('cards');
    const first = await c.post('/v1/cards', cardBody(), withKey(key));
    const replay = await second.post('/v1/cards', cardBody(), withKey(key));
    expect(replay.statusCode).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toBe(first.body);
    expect(await count('cards')).toBe(before + 1);
  });
});

describe('idempotency: misuse', () => {
  it('refuses the same key with a different body with 409 idempotency_key_reused and creates nothing', async () => {
    const key = newKey('reuse');
    const first = await c.post('/v1/cards', cardBody(), withKey(key));
    expect(first.statusCode).toBe(201);
    const before = await count('cards');
    const other = await c.post('/v1/cards', cardBody({ number: MASTERCARD }), withKey(key));
    expect(other.statusCode).toBe(409);
    expect(other.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(other.json()).toMatchObject({ status: 409, code: 'idempotency_key_reused' });
    expect(other.headers['idempotent-replayed']).toBeUndefined();
    expect(other.body).not.toContain(first.json().token);
    expect(await count('cards')).toBe(before);
    // The key still replays its own request.
    expect((await c.post('/v1/cards', cardBody(), withKey(key))).body).toBe(first.body);
  });

  it('refuses the same key on a different route', async () => {
    const key = newKey('route');
    const cus = await c.post('/v1/customers', {}, withKey(key));
    expect(cus.statusCode).toBe(201);
    const before = await count('addresses');
    const res = await c.post(`/v1/customers/${cus.json().id}/addresses`, { address: { line1: 'x' } }, withKey(key));
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('idempotency_key_reused');
    expect(await count('addresses')).toBe(before);
  });

  it('rejects a key longer than 255 characters (or with invisible characters) with 400 and creates nothing', async () => {
    const before = await count('cards');
    for (const key of ['k'.repeat(256), 'has space', 'tab\there']) {
      const res = await c.post('/v1/cards', cardBody(), withKey(key));
      expect(res.statusCode, key).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json().code).toBe('invalid_request');
    }
    expect(await count('cards')).toBe(before);
    // 255 is still allowed.
    const longest = 'k'.repeat(254) + String(++seq % 10);
    const ok = await c.post('/v1/cards', cardBody(), withKey(longest));
    expect(ok.statusCode).toBe(201);
    expect((await c.post('/v1/cards', cardBody(), withKey(longest))).headers['idempotent-replayed']).toBe('true');
    expect(await count('cards')).toBe(before + 1);
  });

  it('lets a request that failed validation succeed with a corrected body under a new key', async () => {
    const before = await count('cards');
    const bad = await c.post('/v1/cards', cardBody({ expMonth: 13 }), withKey(newKey('invalid')));
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('validation_failed');
    expect(await count('cards')).toBe(before);

    const key = newKey('corrected');
    const good = await c.post('/v1/cards', cardBody({ expMonth: 11 }), withKey(key));
    expect(good.statusCode).toBe(201);
    expect(good.headers['idempotent-replayed']).toBeUndefined();
    expect(good.json().expMonth).toBe(11);
    expect(await count('cards')).toBe(before + 1);
  });

  it('does not burn a key on a request refused for authentication', async () => {
    const key = newKey('unauth');
    const denied = await client(t, 'tv_sk_wrong').post('/v1/cards', cardBody(), withKey(key));
    expect(denied.statusCode).toBe(401);
    const ok = await c.post('/v1/cards', cardBody(), withKey(key));
    expect(ok.statusCode).toBe(201);
    expect(ok.headers['idempotent-replayed']).toBeUndefined();
  });
});

describe('idempotency: tenancy and concurrency', () => {
  it('scopes keys per merchant: merchant B uses the same key string independently', async () => {
    const key = newKey('shared');
    const before = await count('cards');
    const fromA = await c.post('/v1/cards', cardBody(), withKey(key));
    const fromB = await b.post('/v1/cards', cardBody(), withKey(key));
    expect([fromA.statusCode, fromB.statusCode]).toEqual([201, 201]);
    expect(fromB.headers['idempotent-replayed']).toBeUndefined();
    expect(fromB.json().token).not.toBe(fromA.json().token);
    expect(await count('cards')).toBe(before + 2);
    // B never sees A's card through a replay, and each merchant's card is its own.
    expect((await b.get(`/v1/cards/${fromA.json().token}`)).statusCode).toBe(404);
    expect((await c.get(`/v1/cards/${fromB.json().token}`)).statusCode).toBe(404);
    // Each merchant's retry replays its own response.
    const mineB = await b.post('/v1/cards', cardBody(), withKey(key));
    expect(mineB.headers['idempotent-replayed']).toBe('true');
    expect(mineB.json().token).toBe(fromB.json().token);
    expect((await c.post('/v1/cards', cardBody(), withKey(key))).json().token).toBe(fromA.json().token);
  });

  it('creates exactly one card for five concurrent identical requests with one key', async () => {
    const key = newKey('race');
    const before = await count('cards');
    const responses = await Promise.all(
      Array.from({ length: 5 }, () => c.post('/v1/cards', cardBody({ holderName: 'Racer' }), withKey(key))),
    );
    expect(await count('cards')).toBe(before + 1);

    const created = responses.filter((r) => r.statusCode === 201);
    const waiting = responses.filter((r) => r.statusCode !== 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    const tokens = new Set(created.map((r) => r.json().token));
    expect(tokens.size).toBe(1);
    for (const r of waiting) {
      expect(r.statusCode).toBe(409);
      expect(r.json().code).toBe('idempotency_in_progress');
    }
    // Once settled, every retry gets the one card.
    const retry = await c.post('/v1/cards', cardBody({ holderName: 'Racer' }), withKey(key));
    expect(retry.statusCode).toBe(201);
    expect(retry.json().token).toBe([...tokens][0]);
    expect(await count('cards')).toBe(before + 1);
  });

  it('creates exactly one customer for concurrent identical customer POSTs', async () => {
    const key = newKey('race-cus');
    const before = await count('customers');
    const responses = await Promise.all(Array.from({ length: 5 }, () => c.post('/v1/customers', { name: 'Concurrent' }, withKey(key))));
    expect(await count('customers')).toBe(before + 1);
    for (const r of responses) expect([201, 409]).toContain(r.statusCode);
    const ids = new Set(responses.filter((r) => r.statusCode === 201).map((r) => r.json().id));
    expect(ids.size).toBe(1);
    for (const r of responses.filter((x) => x.statusCode === 409)) expect(r.json().code).toBe('idempotency_in_progress');
  });
});
