import type { Executor } from './db.ts';
import { afterCursor, type Cursor } from './page.ts';
import { prepareOne } from './prepared.ts';
import type { CustomerRow } from './schema.ts';

const getCustomer = prepareOne<{ merchantId: string; id: string }, CustomerRow>((q, arg) =>
  q
    .selectFrom('customers')
    .selectAll()
    .where('merchant_id', '=', arg('merchantId'))
    .where('id', '=', arg('id'))
    .where('deleted_at', 'is', null),
);

export type CustomerPatch = Partial<
  Pick<CustomerRow, 'external_id' | 'name' | 'email' | 'phone' | 'metadata' | 'default_card_id' | 'default_address_id' | 'attributes'>
>;

export const customerStore = {
  insert: (q: Executor, row: CustomerRow) => q.insertInto('customers').values(row).execute(),

  get: (q: Executor, merchantId: string, id: string) => getCustomer(q, { merchantId, id }),

  findByExternalId: (q: Executor, merchantId: string, externalId: string) =>
    q
      .selectFrom('customers')
      .selectAll()
      .where('merchant_id', '=', merchantId)
      .where('external_id', '=', externalId)
      .where('deleted_at', 'is', null)
      .executeTakeFirst(),

  list: (q: Executor, merchantId: string, opts: { after: Cursor | null; limit: number }) => {
    let query = q
      .selectFrom('customers')
      .selectAll()
      .where('merchant_id', '=', merchantId)
      .where('deleted_at', 'is', null)
      .orderBy('created_at')
      .orderBy('id')
      .limit(opts.limit);
    if (opts.after) query = query.where(afterCursor('created_at', 'id', opts.after));
    return query.execute();
  },

  /** Optimistic update: applies only if the row is still at `version`; returns whether it did. */
  update: async (q: Executor, merchantId: string, id: string, version: number, patch: CustomerPatch, at: string) => {
    const res = await q
      .updateTable('customers')
      .set({ ...patch, version: version + 1, updated_at: at })
      .where('merchant_id', '=', merchantId)
      .where('id', '=', id)
      .where('version', '=', version)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  },

  markDeleted: async (q: Executor, merchantId: string, id: string, at: string) => {
    const res = await q
      .updateTable('customers')
      .set({ deleted_at: at, updated_at: at, default_card_id: null, default_address_id: null })
      .where('merchant_id', '=', merchantId)
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  },
};
