/** Instrument identifiers (one encrypted PAN per merchant, found by fingerprint) and cards (tokens). */
import { FINAL_STATUS, type GuardedMove, LIVE_STATUSES, type StoredStatus } from '../domain/lifecycle.ts';
import type { Executor } from './db.ts';
import { afterCursor, type Cursor } from './page.ts';
import { prepare, prepareInsert, prepareOne } from './prepared.ts';
import type { CardRow, InstrumentRow } from './schema.ts';

export type CardPatch = Partial<
  Pick<CardRow, 'exp_month' | 'exp_year' | 'holder_name' | 'billing_address' | 'metadata' | 'status' | 'customer_id' | 'attributes'>
>;

/**
 * Which instruments a read sees: 'cards' (card numbers only) or 'all' (bank accounts too). The caller's API
 * decides (vault/deps.ts scopeOf); every card and identifier read takes it, so no API sees a bank account
 * unless it serves them.
 */
export type InstrumentScope = 'cards' | 'all';

interface ListArgs extends Record<string, unknown> {
  merchantId: string;
  customerId: string | null;
  limit: number;
  afterCreatedAt: string | null;
  afterId: string | null;
}

/** One prepared listing per shape (by customer or not, with deleted cards or not, first page or later). */
const listShapes = new Map<string, (q: Executor, args: ListArgs) => Promise<CardWithDisplay[]>>();
function listCardsQuery(opts: { customerId: string | null; after: Cursor | null; includeDeleted: boolean; scope: InstrumentScope }) {
  const shape = `${opts.customerId !== null}:${opts.includeDeleted}:${opts.after !== null}:${opts.scope}`;
  let run = listShapes.get(shape);
  if (!run) {
    run = prepare<ListArgs, CardWithDisplay>((q, arg) => {
      let query = withInstrument(q, opts.scope)
        .where('cards.merchant_id', '=', arg('merchantId'))
        .orderBy('cards.created_at')
        .orderBy('cards.id')
        .limit(arg('limit'));
      if (opts.customerId !== null) query = query.where('cards.customer_id', '=', arg('customerId'));
      if (!opts.includeDeleted) query = query.where('cards.status', '!=', FINAL_STATUS);
      if (opts.after !== null) {
        query = query.where(
          afterCursor('cards.created_at', 'cards.id', { createdAt: arg('afterCreatedAt') as string, id: arg('afterId') as string }),
        );
      }
      return query;
    });
    listShapes.set(shape, run);
  }
  return run;
}

/** A card with its instrument's display fields. */
type CardWithDisplay = CardRow &
  Pick<InstrumentRow, 'bin6' | 'bin8' | 'last4' | 'pan_length' | 'brand' | 'funding' | 'kind' | 'routing_number'>;

const insertCardRow = prepareInsert('cards');
const insertInstrumentUnlessKnown = prepareInsert('instrument_identifiers', ['merchant_id', 'fingerprint']);
const instrumentByFingerprint = prepareOne<{ merchantId: string; fingerprint: string }, InstrumentRow>((q, arg) =>
  q
    .selectFrom('instrument_identifiers')
    .selectAll()
    .where('merchant_id', '=', arg('merchantId'))
    .where('fingerprint', '=', arg('fingerprint')),
);

/** Every card read joins its instrument's display fields (never the PAN ciphertext), within a scope. */
const withInstrument = (q: Executor, scope: InstrumentScope) => {
  const query = q
    .selectFrom('cards')
    .innerJoin('instrument_identifiers as ii', 'ii.id', 'cards.instrument_id')
    .selectAll('cards')
    .select(['ii.bin6', 'ii.bin8', 'ii.last4', 'ii.pan_length', 'ii.brand', 'ii.funding', 'ii.kind', 'ii.routing_number']);
  return scope === 'cards' ? query.where('ii.kind', '=', 'card') : query;
};

const getCardQueries: Record<
  InstrumentScope,
  (q: Executor, args: { merchantId: string; id: string }) => Promise<CardWithDisplay | undefined>
> = {
  cards: prepareOne<{ merchantId: string; id: string }, CardWithDisplay>((q, arg) =>
    withInstrument(q, 'cards').where('cards.merchant_id', '=', arg('merchantId')).where('cards.id', '=', arg('id')),
  ),
  all: prepareOne<{ merchantId: string; id: string }, CardWithDisplay>((q, arg) =>
    withInstrument(q, 'all').where('cards.merchant_id', '=', arg('merchantId')).where('cards.id', '=', arg('id')),
  ),
};

export const cardStore = {
  /** Inserts the identifier unless the fingerprint already exists; returns the row in force and whether it is new. */
  upsertInstrument: async (q: Executor, row: InstrumentRow): Promise<{ row: InstrumentRow; created: boolean }> => {
    if ((await insertInstrumentUnlessKnown(q, row)) === 1) return { row, created: true };
    const existing = await instrumentByFingerprint(q, { merchantId: row.merchant_id, fingerprint: row.fingerprint });
    if (!existing) throw new Error('instrument identifier vanished between insert and read');
    return { row: existing, created: false };
  },

  setInstrumentPan: (q: Executor, id: string, panCt: string | null, keyVersion?: number) =>
    q
      .updateTable('instrument_identifiers')
      .set(keyVersion === undefined ? { pan_ct: panCt } : { pan_ct: panCt, key_version: keyVersion })
      .where('id', '=', id)
      .execute(),

  getInstrument: (q: Executor, merchantId: string, id: string, scope: InstrumentScope) => {
    const query = q.selectFrom('instrument_identifiers').selectAll().where('merchant_id', '=', merchantId).where('id', '=', id);
    return (scope === 'cards' ? query.where('kind', '=', 'card') : query).executeTakeFirst();
  },

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
      .where('status', 'in', LIVE_STATUSES)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  },

  insertCard: (q: Executor, row: CardRow) => insertCardRow(q, row),

  /** A card with its instrument's display fields (never the PAN ciphertext). */
  getCard: (q: Executor, merchantId: string, id: string, scope: InstrumentScope) => getCardQueries[scope](q, { merchantId, id }),

  listCards: (
    q: Executor,
    merchantId: string,
    opts: { customerId: string | null; after: Cursor | null; limit: number; includeDeleted: boolean; scope: InstrumentScope },
  ) =>
    listCardsQuery(opts)(q, {
      merchantId,
      customerId: opts.customerId,
      limit: opts.limit,
      afterCreatedAt: opts.after?.createdAt ?? null,
      afterId: opts.after?.id ?? null,
    }),

  /**
   * A customer's newest `limit` cards, newest first: those not deleted, or only those stored as `status`. The
   * LIMIT is in the query (walking cards_customer backwards), so a customer with many cards costs `limit` rows.
   */
  newestCardsOfCustomer: (
    q: Executor,
    merchantId: string,
    customerId: string,
    opts: { limit: number; status: StoredStatus | null; scope: InstrumentScope },
  ) => {
    let query = withInstrument(q, opts.scope).where('cards.merchant_id', '=', merchantId).where('cards.customer_id', '=', customerId);
    query = opts.status === null ? query.where('cards.status', '!=', FINAL_STATUS) : query.where('cards.status', '=', opts.status);
    return query.orderBy('cards.created_at', 'desc').orderBy('cards.id', 'desc').limit(opts.limit).execute();
  },

  /** Live cards of a customer or of an instrument identifier by position, oldest first, and how many there are. */
  listCardsAt: async (
    q: Executor,
    merchantId: string,
    of: { customerId?: string; instrumentId?: string },
    offset: number,
    limit: number,
    scope: InstrumentScope,
  ) => {
    let rows = withInstrument(q, scope).where('cards.merchant_id', '=', merchantId).where('cards.status', '!=', FINAL_STATUS);
    let countQuery = q
      .selectFrom('cards')
      .innerJoin('instrument_identifiers as ii', 'ii.id', 'cards.instrument_id')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('cards.merchant_id', '=', merchantId)
      .where('cards.status', '!=', FINAL_STATUS);
    if (scope === 'cards') countQuery = countQuery.where('ii.kind', '=', 'card');
    let count = countQuery;
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

  /**
   * Applies a status move the domain defines (lifecycle.ts SINGLE_USE) only if the card is still in its
   * `from` status; true when it did.
   */
  moveStatus: async (q: Executor, id: string, move: GuardedMove, at: string): Promise<boolean> => {
    const res = await q
      .updateTable('cards')
      .set((eb) => ({ status: move.to, version: eb('version', '+', 1), updated_at: at }))
      .where('id', '=', id)
      .where('status', '=', move.from)
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
      .where('status', '!=', FINAL_STATUS)
      .execute(),

  /** Which merchant holds a token (card ids are unique across merchants). */
  ownerOf: async (q: Executor, id: string): Promise<string | null> =>
    (await q.selectFrom('cards').select('merchant_id').where('id', '=', id).executeTakeFirst())?.merchant_id ?? null,

  /** Merchant deletion: the holder data kept in clear for display goes. */
  clearHolderDataOfMerchant: (q: Executor, merchantId: string) =>
    q
      .updateTable('cards')
      .set({ holder_name: null, billing_address: null, metadata: null, attributes: null })
      .where('merchant_id', '=', merchantId)
      .execute(),
};

export type CardWithInstrument = CardWithDisplay;
