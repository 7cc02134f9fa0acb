import type { Executor } from './db.ts';
import { type Cursor, keysetPage } from './page.ts';
import type { AddressRow } from './schema.ts';

export const addressStore = {
  insert: (q: Executor, row: AddressRow) => q.insertInto('addresses').values(row).execute(),

  get: (q: Executor, merchantId: string, customerId: string, id: string) =>
    q
      .selectFrom('addresses')
      .selectAll()
      .where('merchant_id', '=', merchantId)
      .where('customer_id', '=', customerId)
      .where('id', '=', id)
      .executeTakeFirst(),

  list: (q: Executor, merchantId: string, customerId: string, opts: { after: Cursor | null; limit: number }) =>
    keysetPage(
      q.selectFrom('addresses').selectAll().where('merchant_id', '=', merchantId).where('customer_id', '=', customerId),
      opts,
    ).execute(),

  /** By position, oldest first (offset paging). */
  listAt: (q: Executor, merchantId: string, customerId: string, offset: number, limit: number) =>
    q
      .selectFrom('addresses')
      .selectAll()
      .where('merchant_id', '=', merchantId)
      .where('customer_id', '=', customerId)
      .orderBy('created_at')
      .orderBy('id')
      .limit(limit)
      .offset(offset)
      .execute(),

  count: async (q: Executor, merchantId: string, customerId: string): Promise<number> => {
    const r = await q
      .selectFrom('addresses')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('merchant_id', '=', merchantId)
      .where('customer_id', '=', customerId)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  },

  update: async (q: Executor, merchantId: string, id: string, version: number, address: string, at: string) => {
    const res = await q
      .updateTable('addresses')
      .set({ address, version: version + 1, updated_at: at })
      .where('merchant_id', '=', merchantId)
      .where('id', '=', id)
      .where('version', '=', version)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  },

  delete: async (q: Executor, merchantId: string, id: string) => {
    const res = await q.deleteFrom('addresses').where('merchant_id', '=', merchantId).where('id', '=', id).executeTakeFirst();
    return Number(res.numDeletedRows) === 1;
  },

  deleteAllOfCustomer: (q: Executor, merchantId: string, customerId: string) =>
    q.deleteFrom('addresses').where('merchant_id', '=', merchantId).where('customer_id', '=', customerId).execute(),

  deleteOfMerchant: (q: Executor, merchantId: string) => q.deleteFrom('addresses').where('merchant_id', '=', merchantId).execute(),
};
