import type { Executor } from './db.ts';
import { type Cursor, keysetPage } from './page.ts';
import { prepareOne } from './prepared.ts';
import type { CustomerRow } from './schema.ts';

/**
 * A customer as read: its row, and what its default payment instrument holds (`card` or `bank`, null with no
 * default), so an API that serves no bank accounts can leave such a default out (vault/customers.ts).
 */
export type CustomerRead = CustomerRow & { default_card_kind: string | null };

/** Customers with the kind of their default, by a scalar subquery (two primary-key lookups; no join to page over). */
const readCustomers = (q: Executor) =>
  q
    .selectFrom('customers')
    .selectAll()
    .select((eb) =>
      eb
        .selectFrom('cards as dc')
        .innerJoin('instrument_identifiers as dii', 'dii.id', 'dc.instrument_id')
        .select('dii.kind')
        .whereRef('dc.id', '=', 'customers.default_card_id')
        .as('default_card_kind'),
    );

const getCustomer = prepareOne<{ merchantId: string; id: string }, CustomerRead>((q, arg) =>
  readCustomers(q).where('merchant_id', '=', arg('merchantId')).where('id', '=', arg('id')).where('deleted_at', 'is', null),
);

export type CustomerPatch = Partial<
  Pick<CustomerRow, 'external_id' | 'name' | 'email' | 'phone' | 'metadata' | 'default_card_id' | 'default_address_id' | 'attributes'>
>;

export const customerStore = {
  insert: (q: Executor, row: CustomerRow) => q.insertInto('customers').values(row).execute(),

  get: (q: Executor, merchantId: string, id: string) => getCustomer(q, { merchantId, id }),

  findByExternalId: (q: Executor, merchantId: string, externalId: string): Promise<CustomerRead | undefined> =>
    readCustomers(q)
      .where('merchant_id', '=', merchantId)
      .where('external_id', '=', externalId)
      .where('deleted_at', 'is', null)
      .executeTakeFirst(),

  list: (q: Executor, merchantId: string, opts: { after: Cursor | null; limit: number }): Promise<CustomerRead[]> =>
    keysetPage(readCustomers(q).where('merchant_id', '=', merchantId).where('deleted_at', 'is', null), opts).execute(),

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

  /**
   * Makes `cardId` the customer's default card; with `onlyIfNone`, only if it has none (of concurrent first
   * cards the database picks one). True when it did.
   */
  setDefaultCard: async (q: Executor, customerId: string, cardId: string | null, onlyIfNone = false): Promise<boolean> => {
    let update = q.updateTable('customers').set({ default_card_id: cardId }).where('id', '=', customerId);
    if (onlyIfNone) update = update.where('default_card_id', 'is', null);
    return Number((await update.executeTakeFirst()).numUpdatedRows) === 1;
  },

  /** The customer has no default card any more if it was `cardId`. */
  clearDefaultCard: (q: Executor, customerId: string, cardId: string) =>
    q.updateTable('customers').set({ default_card_id: null }).where('id', '=', customerId).where('default_card_id', '=', cardId).execute(),

  /** Like setDefaultCard, for the default shipping address. */
  setDefaultAddress: async (q: Executor, customerId: string, addressId: string | null, onlyIfNone = false): Promise<boolean> => {
    let update = q.updateTable('customers').set({ default_address_id: addressId }).where('id', '=', customerId);
    if (onlyIfNone) update = update.where('default_address_id', 'is', null);
    return Number((await update.executeTakeFirst()).numUpdatedRows) === 1;
  },

  /** Merchant deletion: the personal data kept in clear for display goes. */
  clearPersonalDataOfMerchant: (q: Executor, merchantId: string) =>
    q
      .updateTable('customers')
      .set({ name: null, email: null, phone: null, metadata: null, attributes: null, external_id: null, default_address_id: null })
      .where('merchant_id', '=', merchantId)
      .execute(),
};
