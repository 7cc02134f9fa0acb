/** Instrument identifiers (one encrypted PAN per merchant, found by fingerprint) and cards (tokens). */
import type { Executor } from './db.ts';
import { afterCursor, type Cursor } from './page.ts';
import type { CardRow, InstrumentRow } from './schema.ts';

export type CardPatch = Partial<
  Pick<CardRow, 'exp_month' | 'exp_year' | 'holder_name' | 'billing_address' | 'metadata' | 'status' | 'customer_id' | 'attributes'>
>;

const LIVE = ['ACTIVE', 'SUSPENDED', 'CONSUMED'];

export const cardStore = {
  /** Inserts the identifier unless the fingerprint already exists; returns the row in force and whether it is new. */
  upsertInstrument: async (q: Executor, row: InstrumentRow): Promise<{ row: InstrumentRow; created: boolean }> => {
    const res = await q
      .insertInto('instrument_identifiers')
      .values(row)
      .onConflict((oc) => oc.columns(['merchant_id', 'fingerprint']).doNothing())
      .executeTakeFirst();
    if (Number(res.numInsertedOrUpdatedRows ?? 0n) === 1) return { row, created: true };
    const existing = await q
      .selectFrom('instrument_identifiers')
      .selectAll()
      .where('merchant_id', '=', row.merchant_id)
      .where('fingerprint', '=', row.fingerprint)
      .executeTakeFirstOrThrow();
    return { row: existing, created: false };
  },

  setInstrumentPan: (q: Executor, id: string, panCt: string | null, keyVersion?: number) =>
    q
      .updateTable('instrument_identifiers')
      .set(keyVersion === undefined ? { pan_ct: panCt } : { pan_ct: panCt, key_version: keyVersion })
      .where('id', '=', id)
      .execute(),

  getInstrument: (q: Executor, merchantId: string, id: string) =>
    q.selectFrom('instrument_identifiers').selectAll().where('merchant_id', '=', merchantId).where('id', '=', id).executeTakeFirst(),

  /**
   * After a card leaves the live set: if no live card still uses its identifier (and the merchant did not
   * keep the identifier as a token of its own), the PAN is destroyed.
   */
  wipePanIfOrphaned: async (q: Executor, instrumentId: string): Promise<void> => {
    if ((await cardStore.countLiveCardsOfInstrument(q, instrumentId)) > 0) return;
    const row = await q.selectFrom('instrument_identifiers').select('retained').where('id', '=', instrumentId).executeTakeFirst();
    if (row && Number(row.retained) === 0) await cardStore.destroyInstrumentPan(q, instrumentId);
  },

  /**
   * Destroys an identifier's card number and retires its fingerprint, so the same card seen again gets a
   * new identifier: nothing links tokens made after a deletion to the ones before it.
   */
  destroyInstrumentPan: (q: Executor, instrumentId: string) =>
    q
      .updateTable('instrument_identifiers')
      .set({ pan_ct: null, fingerprint: `retired:${instrumentId}` })
      .where('id', '=', instrumentId)
      .execute(),

  retainInstrument: (q: Executor, instrumentId: string) =>
    q.updateTable('instrument_identifiers').set({ retained: 1 }).where('id', '=', instrumentId).where('retained', '=', 0).execute(),

  countLiveCardsOfInstrument: async (q: Executor, instrumentId: string): Promise<number> => {
    const r = await q
      .selectFrom('cards')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('instrument_id', '=', instrumentId)
      .where('status', 'in', LIVE)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  },

  insertCard: (q: Executor, row: CardRow) => q.insertInto('cards').values(row).execute(),

  /** A card with its instrument's display fields (never the PAN ciphertext). */
  getCard: (q: Executor, merchantId: string, id: string) =>
    q
      .selectFrom('cards')
      .innerJoin('instrument_identifiers as ii', 'ii.id', 'cards.instrument_id')
      .selectAll('cards')
      .select(['ii.bin6', 'ii.bin8', 'ii.last4', 'ii.pan_length', 'ii.brand', 'ii.funding'])
      .where('cards.merchant_id', '=', merchantId)
      .where('cards.id', '=', id)
      .executeTakeFirst(),

  listCards: (
    q: Executor,
    merchantId: string,
    opts: { customerId: string | null; after: Cursor | null; limit: number; includeDeleted: boolean },
  ) => {
    let query = q
      .selectFrom('cards')
      .innerJoin('instrument_identifiers as ii', 'ii.id', 'cards.instrument_id')
      .selectAll('cards')
      .select(['ii.bin6', 'ii.bin8', 'ii.last4', 'ii.pan_length', 'ii.brand', 'ii.funding'])
      .where('cards.merchant_id', '=', merchantId)
      .orderBy('cards.created_at')
      .orderBy('cards.id')
      .limit(opts.limit);
    if (opts.customerId !== null) query = query.where('cards.customer_id', '=', opts.customerId);
    if (!opts.includeDeleted) query = query.where('cards.status', '!=', 'DELETED');
    if (opts.after) query = query.where(afterCursor('cards.created_at', 'cards.id', opts.after));
    return query.execute();
  },

  /** Live cards of a customer or of an instrument identifier by position, oldest first, and how many there are. */
  listCardsAt: async (
    q: Executor,
    merchantId: string,
    of: { customerId?: string; instrumentId?: string },
    offset: number,
    limit: number,
  ) => {
    let rows = q
      .selectFrom('cards')
      .innerJoin('instrument_identifiers as ii', 'ii.id', 'cards.instrument_id')
      .selectAll('cards')
      .select(['ii.bin6', 'ii.bin8', 'ii.last4', 'ii.pan_length', 'ii.brand', 'ii.funding'])
      .where('cards.merchant_id', '=', merchantId)
      .where('cards.status', '!=', 'DELETED');
    let count = q
      .selectFrom('cards')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('cards.merchant_id', '=', merchantId)
      .where('cards.status', '!=', 'DELETED');
    if (of.customerId !== undefined) {
      rows = rows.where('cards.customer_id', '=', of.customerId);
      count = count.where('cards.customer_id', '=', of.customerId);
    }
    if (of.instrumentId !== undefined) {
      rows = rows.where('cards.instrument_id', '=', of.instrumentId);
      count = count.where('cards.instrument_id', '=', of.instrumentId);
    }
    const [items, total] = await Promise.all([
      rows.orderBy('cards.created_at').orderBy('cards.id').limit(limit).offset(offset).execute(),
      count.executeTakeFirstOrThrow(),
    ]);
    return { items, total: Number(total.n) };
  },

  setInstrumentAttributes: (q: Executor, id: string, attributes: string | null) =>
    q.updateTable('instrument_identifiers').set({ attributes }).where('id', '=', id).execute(),

  updateCard: async (q: Executor, merchantId: string, id: string, version: number, patch: CardPatch, at: string) => {
    const res = await q
      .updateTable('cards')
      .set({ ...patch, version: version + 1, updated_at: at })
      .where('merchant_id', '=', merchantId)
      .where('id', '=', id)
      .where('version', '=', version)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  },

  /** Cards of a customer that are not deleted: ids only, for cascading a customer delete. */
  liveCardIdsOfCustomer: async (q: Executor, merchantId: string, customerId: string) =>
    await q
      .selectFrom('cards')
      .select(['id', 'version', 'instrument_id'])
      .where('merchant_id', '=', merchantId)
      .where('customer_id', '=', customerId)
      .where('status', '!=', 'DELETED')
      .execute(),
};

export type CardWithInstrument = NonNullable<Awaited<ReturnType<typeof cardStore.getCard>>>;
