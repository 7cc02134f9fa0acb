/** The store contract: the same assertions hold on SQLite and PostgreSQL (CI runs this file on both). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardStore } from '../../src/store/card-store.ts';
import { customerStore } from '../../src/store/customer-store.ts';
import { inTransaction, isUniqueViolation } from '../../src/store/db.ts';
import { idempotencyStore } from '../../src/store/idempotency-store.ts';
import { merchantStore } from '../../src/store/merchant-store.ts';
import { decodeCursor, encodeCursor } from '../../src/store/page.ts';
import type { CustomerRow, InstrumentRow } from '../../src/store/schema.ts';
import { backend, createMerchant, makeTestApp, type TestApp } from '../helpers/harness.ts';

let t: TestApp;
let merchantId: string;
const at = '2026-01-01T00:00:00.000Z';

const customer = (id: string, extra: Partial<CustomerRow> = {}): CustomerRow => ({
  id,
  merchant_id: merchantId,
  external_id: null,
  name: null,
  email: null,
  phone: null,
  metadata: null,
  default_card_id: null,
  default_address_id: null,
  version: 1,
  created_at: at,
  updated_at: at,
  deleted_at: null,
  attributes: null,
  ...extra,
});

const instrument = (id: string, fingerprint: string): InstrumentRow => ({
  id,
  merchant_id: merchantId,
  fingerprint,
  fp_version: 1,
  pan_ct: 'tv1.A256GCM.d1.x.y',
  attributes: null,
  kind: 'card',
  routing_number: null,
  retained: 0,
  bin6: '411111',
  bin8: '41111111',
  last4: '1111',
  pan_length: 16,
  brand: 'VISA',
  funding: 'CREDIT',
  created_at: at,
  key_version: 1,
});

beforeAll(async () => {
  t = await makeTestApp();
  merchantId = (await createMerchant(t)).id;
});
afterAll(() => t.close());

describe(`store contract (${backend})`, () => {
  const db = () => t.vault.store.db;

  it('applies migrations once: a second run has nothing to do', async () => {
    expect(await t.vault.store.migrate()).toEqual([]);
    expect(await t.vault.store.ping()).toBe(true);
  });

  it('deduplicates instrument identifiers by fingerprint, also under concurrent inserts', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        inTransaction(db(), (tx) => cardStore.upsertInstrument(tx, instrument(`ii_race_${i}`, 'fp-race'))),
      ),
    );
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.row.id)).size).toBe(1);
    const rows = await db().selectFrom('instrument_identifiers').select('id').where('fingerprint', '=', 'fp-race').execute();
    expect(rows).toHaveLength(1);
  });

  it('pages by (created_at, id) without gaps or repeats when timestamps tie', async () => {
    const ids = ['cus_tie_a', 'cus_tie_b', 'cus_tie_c', 'cus_tie_d', 'cus_tie_e'];
    for (const id of [...ids].reverse()) await customerStore.insert(db(), customer(id, { created_at: '2000-01-01T00:00:00.000Z' }));
    const seen: string[] = [];
    let after = null;
    for (let i = 0; i < 10; i++) {
      const page = await customerStore.list(db(), merchantId, { after, limit: 2 });
      const tie = page.filter((r) => r.id.startsWith('cus_tie_'));
      seen.push(...tie.map((r) => r.id));
      const last = page[page.length - 1];
      if (!last || page.length < 2) break;
      after = decodeCursor(encodeCursor({ createdAt: last.created_at, id: last.id }));
    }
    expect(seen).toEqual(ids);
  });

  it('applies an optimistic update only at the expected version', async () => {
    await customerStore.insert(db(), customer('cus_opt'));
    expect(await customerStore.update(db(), merchantId, 'cus_opt', 1, { name: 'first' }, at)).toBe(true);
    expect(await customerStore.update(db(), merchantId, 'cus_opt', 1, { name: 'stale' }, at)).toBe(false);
    const row = await customerStore.get(db(), merchantId, 'cus_opt');
    expect(row).toMatchObject({ name: 'first', version: 2 });
  });

  it("keeps a merchant's own customer id unique among live customers only", async () => {
    await customerStore.insert(db(), customer('cus_ext1', { external_id: 'shop-7' }));
    let error: unknown;
    try {
      await customerStore.insert(db(), customer('cus_ext2', { external_id: 'shop-7' }));
    } catch (e) {
      error = e;
    }
    expect(isUniqueViolation(error)).toBe(true);
    expect(await customerStore.markDeleted(db(), merchantId, 'cus_ext1', at)).toBe(true);
    await customerStore.insert(db(), customer('cus_ext2', { external_id: 'shop-7' }));
    expect((await customerStore.findByExternalId(db(), merchantId, 'shop-7'))?.id).toBe('cus_ext2');
  });

  it('scopes every read by merchant', async () => {
    await customerStore.insert(db(), customer('cus_scoped'));
    expect(await customerStore.get(db(), 'mch_other', 'cus_scoped')).toBeUndefined();
    expect(await customerStore.get(db(), merchantId, 'cus_scoped')).toBeDefined();
  });

  it('rolls a failed transaction back completely', async () => {
    await expect(
      inTransaction(db(), async (tx) => {
        await customerStore.insert(tx, customer('cus_rollback'));
        await cardStore.upsertInstrument(tx, instrument('ii_rollback', 'fp-rollback'));
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await customerStore.get(db(), merchantId, 'cus_rollback')).toBeUndefined();
    expect(await db().selectFrom('instrument_identifiers').select('id').where('id', '=', 'ii_rollback').executeTakeFirst()).toBeUndefined();
  });

  it('claims an idempotency key once and keeps the completed response', async () => {
    expect(await idempotencyStore.claim(db(), merchantId, 'k1', 'h1', at)).toBe(true);
    expect(await idempotencyStore.claim(db(), merchantId, 'k1', 'h1', at)).toBe(false);
    expect(await idempotencyStore.claim(db(), 'mch_other', 'k1', 'h1', at)).toBe(true);
    await idempotencyStore.complete(db(), merchantId, 'k1', 201, '{"ok":true}');
    expect(await idempotencyStore.get(db(), merchantId, 'k1')).toMatchObject({ state: 'done', status_code: 201, response: '{"ok":true}' });
  });

  it('keeps the first value of a setting written by racing processes', async () => {
    const results = await Promise.all(['a', 'b', 'c'].map((v) => merchantStore.putSettingIfAbsent(db(), 'race', v)));
    expect(new Set(results).size).toBe(1);
  });

  it("reads a customer's newest cards with the LIMIT in the query: newest first, deleted or other statuses left out", async () => {
    await customerStore.insert(db(), customer('cus_many'));
    await customerStore.insert(db(), customer('cus_few'));
    await cardStore.upsertInstrument(db(), instrument('ii_many', 'fp-many'));
    const card = (id: string, second: number, status = 'ACTIVE', customerId = 'cus_many') =>
      cardStore.insertCard(db(), {
        id,
        merchant_id: merchantId,
        instrument_id: 'ii_many',
        customer_id: customerId,
        exp_month: 12,
        exp_year: 2040,
        holder_name: null,
        billing_address: null,
        usage: 'MULTIPLE',
        status,
        metadata: null,
        version: 1,
        created_at: `2026-02-01T00:00:${String(second).padStart(2, '0')}.000Z`,
        updated_at: at,
        attributes: null,
      });
    for (let i = 0; i < 8; i++) await card(`tok_many_${i}`, i);
    await card('tok_many_suspended', 20, 'SUSPENDED');
    await card('tok_many_deleted', 21, 'DELETED');
    await card('tok_few_0', 30, 'ACTIVE', 'cus_few');
    const ids = async (opts: { limit: number; status: 'ACTIVE' | null }, of = 'cus_many') =>
      (await cardStore.newestCardsOfCustomer(db(), merchantId, of, { ...opts, scope: 'cards' })).map((r) => r.id);

    expect(await ids({ limit: 3, status: null })).toEqual(['tok_many_suspended', 'tok_many_7', 'tok_many_6']);
    expect(await ids({ limit: 3, status: 'ACTIVE' })).toEqual(['tok_many_7', 'tok_many_6', 'tok_many_5']);
    expect(await ids({ limit: 100, status: null })).toHaveLength(9);
    expect(await ids({ limit: 100, status: null }, 'cus_few')).toEqual(['tok_few_0']);
    const first = (await cardStore.newestCardsOfCustomer(db(), merchantId, 'cus_many', { limit: 1, status: null, scope: 'cards' }))[0];
    expect(first).toMatchObject({ id: 'tok_many_suspended', last4: '1111', brand: 'VISA' });
    expect(first).not.toHaveProperty('pan_ct');
    expect(await cardStore.newestCardsOfCustomer(db(), 'mch_other', 'cus_many', { limit: 10, status: null, scope: 'cards' })).toEqual([]);
  });

  it('rejects a cursor it did not make', () => {
    expect(decodeCursor('not a cursor!')).toBeNull();
    expect(decodeCursor(Buffer.from('2026|x').toString('base64url'))).toBeNull();
    expect(decodeCursor(encodeCursor({ createdAt: at, id: 'cus_1' }))).toEqual({ createdAt: at, id: 'cus_1' });
  });
});
