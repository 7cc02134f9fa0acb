/** Payments and their event history. State rules are the domain's (domain/payment.ts): nothing here decides a status. */
import type { Executor } from './db.ts';
import { type Cursor, keysetPage } from './page.ts';
import type { PaymentEventRow, PaymentRow } from './schema.ts';

export type PaymentPatch = Partial<
  Pick<PaymentRow, 'status' | 'authorized_amount' | 'captured_amount' | 'refunded_amount' | 'decline_code' | 'auth_code' | 'updated_at'>
>;

export const paymentStore = {
  byId: (q: Executor, merchantId: string, id: string) =>
    q.selectFrom('payments').selectAll().where('merchant_id', '=', merchantId).where('id', '=', id).executeTakeFirst(),

  /**
   * The row, locked until the transaction `q` ends, so what the vault decides from it still holds when it
   * writes: PostgreSQL holds the row lock this (no-op) update takes, and a waiting one reads the row as the
   * holder left it; SQLite runs one transaction at a time anyway.
   */
  lock: (q: Executor, merchantId: string, id: string) =>
    q
      .updateTable('payments')
      .set((eb) => ({ version: eb.ref('version') }))
      .where('merchant_id', '=', merchantId)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst(),

  insert: (q: Executor, row: PaymentRow) => q.insertInto('payments').values(row).execute(),

  /** Writes the patch and the next version, only if the row is still at `version`; true when it did. */
  update: async (q: Executor, id: string, version: number, patch: PaymentPatch): Promise<boolean> => {
    const res = await q
      .updateTable('payments')
      .set({ ...patch, version: version + 1 })
      .where('id', '=', id)
      .where('version', '=', version)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  },

  insertEvent: (q: Executor, row: PaymentEventRow) => q.insertInto('payment_events').values(row).execute(),

  /** Sets the outcome of an event written before the processor answered (a void of a follow-on: 'pending'). */
  settleEvent: (q: Executor, id: string, outcome: string, statusAfter: string) =>
    q.updateTable('payment_events').set({ outcome, status_after: statusAfter }).where('id', '=', id).execute(),

  /** One event, by its id, when its payment is the merchant's. */
  eventOf: (q: Executor, merchantId: string, eventId: string) =>
    q
      .selectFrom('payment_events')
      .innerJoin('payments', 'payments.id', 'payment_events.payment_id')
      .selectAll('payment_events')
      .where('payment_events.id', '=', eventId)
      .where('payments.merchant_id', '=', merchantId)
      .executeTakeFirst(),

  /** The merchant's newest event with this follow-on reference (an AlliancePay refund's merchantRequestId). */
  eventByReference: (q: Executor, merchantId: string, reference: string) =>
    q
      .selectFrom('payment_events')
      .innerJoin('payments', 'payments.id', 'payment_events.payment_id')
      .selectAll('payment_events')
      .where('payment_events.reference', '=', reference)
      .where('payments.merchant_id', '=', merchantId)
      .orderBy('payment_events.created_at', 'desc')
      .limit(1)
      .executeTakeFirst(),

  events: (q: Executor, paymentId: string) =>
    q.selectFrom('payment_events').selectAll().where('payment_id', '=', paymentId).orderBy('created_at').orderBy('id').execute(),

  /** The merchant's newest payments with a merchant reference (ids only). */
  idsByReference: (q: Executor, merchantId: string, reference: string, limit: number) =>
    q
      .selectFrom('payments')
      .select('id')
      .where('merchant_id', '=', merchantId)
      .where('reference', '=', reference)
      .orderBy('created_at', 'desc')
      .limit(limit)
      .execute(),

  list: (
    q: Executor,
    merchantId: string,
    opts: { token: string | null; customerId: string | null; after: Cursor | null; limit: number },
  ) => {
    let query = q.selectFrom('payments').selectAll().where('merchant_id', '=', merchantId);
    if (opts.token) query = query.where('card_id', '=', opts.token);
    if (opts.customerId) query = query.where('customer_id', '=', opts.customerId);
    return keysetPage(query, opts).execute();
  },
};
