/**
 * The outbox table (vault/outbox.ts): deliveries written with the outcome they report, claimed by whichever
 * instance's loop gets there first. A claim moves `claimed_until` forward on rows that are due and not held;
 * PostgreSQL picks them with FOR UPDATE SKIP LOCKED (two loops never wait on or take the same row), SQLite
 * runs one writer at a time. A late finisher whose claim was taken over changes nothing (its `claim` no longer matches).
 */
import { type Executor, isPostgres } from './db.ts';
import type { OutboxRow } from './schema.ts';

export type NewOutboxRow = Omit<OutboxRow, 'state' | 'attempts' | 'claimed_until' | 'claim' | 'last_result' | 'updated_at'>;

export const outboxStore = {
  insert: (q: Executor, row: NewOutboxRow) =>
    q
      .insertInto('outbox')
      .values({ ...row, state: 'pending', attempts: 0, claimed_until: null, claim: null, last_result: null, updated_at: row.created_at })
      .execute(),

  /** Claims up to `limit` due deliveries of `topics` for `claim` until `until`; the rows claimed. */
  async claimDue(
    q: Executor,
    opts: { topics: readonly string[]; now: string; until: string; claim: string; limit: number },
  ): Promise<OutboxRow[]> {
    if (opts.topics.length === 0) return [];
    let due = q
      .selectFrom('outbox')
      .select('id')
      .where('state', '=', 'pending')
      .where('next_attempt_at', '<=', opts.now)
      .where('topic', 'in', opts.topics)
      .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', opts.now)]))
      .orderBy('next_attempt_at')
      .limit(opts.limit);
    if (isPostgres(q)) due = due.forUpdate().skipLocked();
    return q
      .updateTable('outbox')
      .set({ claimed_until: opts.until, claim: opts.claim })
      .where('id', 'in', due)
      .where('state', '=', 'pending')
      .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', opts.now)]))
      .returningAll()
      .execute();
  },

  /** Records an attempt's end under the claim that made it: delivered, failed for good, or due again at `next`. */
  async finish(
    q: Executor,
    id: string,
    claim: string,
    patch: { state: OutboxRow['state']; attempts: number; next_attempt_at?: string; last_result: string; updated_at: string },
  ): Promise<boolean> {
    const res = await q
      .updateTable('outbox')
      .set({ ...patch, claimed_until: null, claim: null })
      .where('id', '=', id)
      .where('claim', '=', claim)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  },

  ofMerchant: (q: Executor, merchantId: string) =>
    q.selectFrom('outbox').selectAll().where('merchant_id', '=', merchantId).orderBy('created_at').orderBy('id').execute(),

  /** A deleted merchant's deliveries not yet made are dropped with it. */
  deletePendingOfMerchant: (q: Executor, merchantId: string) =>
    q.deleteFrom('outbox').where('merchant_id', '=', merchantId).where('state', '=', 'pending').execute(),
};
