/** The audit log's tables: events, chain heads and signed checkpoints. The chain rules are audit/log.ts's. */
import { type Executor, isPostgres } from './db.ts';
import { prepareInsert, prepareOne, prepareQuery } from './prepared.ts';
import type { AuditEventRow } from './schema.ts';

// The statements of every append, compiled once per dialect (prepared.ts).
/** The chain's head; on PostgreSQL it takes the head row's lock, held to the commit. */
const readHead = prepareOne<{ chain: string }, { seq: number | string; hash: string }>((tx, arg) => {
  const query = tx.selectFrom('audit_heads').select(['seq', 'hash']).where('chain', '=', arg('chain'));
  // SQLite has no row locks: its writer holds the database's write lock (BEGIN IMMEDIATE) instead.
  return isPostgres(tx) ? query.forUpdate() : query;
});
const moveHead = prepareQuery<{ chain: string; seq: number; hash: string }, unknown>((tx, arg) =>
  tx
    .updateTable('audit_heads')
    .set({ seq: arg('seq'), hash: arg('hash') })
    .where('chain', '=', arg('chain')),
);
const insertEvent = prepareInsert('audit_events');
/**
 * PostgreSQL: the head moves and the event is inserted in one statement (a data-modifying WITH), one round
 * trip fewer for every audited write; SQLite has no UPDATE in WITH and takes the two statements, in-process.
 */
const moveHeadAndInsert = prepareQuery<AuditEventRow & Record<string, unknown>, unknown>((tx, arg) =>
  tx
    .with('head', (db) =>
      db
        .updateTable('audit_heads')
        .set({ seq: arg('seq'), hash: arg('hash') })
        .where('chain', '=', arg('chain')),
    )
    .insertInto('audit_events')
    .values({
      chain: arg('chain'),
      seq: arg('seq'),
      at: arg('at'),
      merchant_id: arg('merchant_id'),
      actor: arg('actor'),
      action: arg('action'),
      target: arg('target'),
      outcome: arg('outcome'),
      detail: arg('detail'),
      prev_hash: arg('prev_hash'),
      hash: arg('hash'),
    }),
);

export interface AuditListFilter {
  target?: string;
  action?: string;
  from?: string;
  to?: string;
  afterSeq: number;
  limit: number;
}

export const auditStore = {
  /**
   * The chain's head (last seq and hash). On PostgreSQL the read takes the head row's lock first, so
   * concurrent appends to one chain queue here until the appender's transaction ends.
   */
  head: (tx: Executor, chain: string) => readHead(tx, { chain }),
  /** Inserts the event that follows the head and makes it the head, in the transaction that read the head. */
  append: async (tx: Executor, row: AuditEventRow): Promise<void> => {
    if (isPostgres(tx)) {
      await moveHeadAndInsert(tx, row as AuditEventRow & Record<string, unknown>);
      return;
    }
    await moveHead(tx, { chain: row.chain, seq: Number(row.seq), hash: row.hash });
    await insertEvent(tx, row);
  },

  createHead: (tx: Executor, chain: string, genesis: string) =>
    tx.insertInto('audit_heads').values({ chain, seq: 0, hash: genesis }).execute(),

  heads: (q: Executor) => q.selectFrom('audit_heads').selectAll().orderBy('chain').execute(),

  /** Every chain that has events (a chain whose head row was deleted included). */
  chainsWithEvents: async (q: Executor): Promise<string[]> =>
    (await q.selectFrom('audit_events').select('chain').distinct().execute()).map((r) => r.chain),

  /** Events of a chain from `fromSeq` on, oldest first. */
  eventsFrom: (q: Executor, chain: string, fromSeq: number, limit: number) =>
    q.selectFrom('audit_events').selectAll().where('chain', '=', chain).where('seq', '>=', fromSeq).orderBy('seq').limit(limit).execute(),

  eventHash: async (q: Executor, chain: string, seq: number): Promise<string | undefined> =>
    (await q.selectFrom('audit_events').select('hash').where('chain', '=', chain).where('seq', '=', seq).executeTakeFirst())?.hash,

  /** A chain's events after `afterSeq`, filtered, oldest first. */
  list: (q: Executor, chain: string, f: AuditListFilter) => {
    let query = q
      .selectFrom('audit_events')
      .selectAll()
      .where('chain', '=', chain)
      .where('seq', '>', f.afterSeq)
      .orderBy('seq')
      .limit(f.limit);
    if (f.target) query = query.where('target', '=', f.target);
    if (f.action) query = query.where('action', '=', f.action);
    if (f.from) query = query.where('at', '>=', f.from);
    if (f.to) query = query.where('at', '<', f.to);
    return query.execute();
  },

  insertCheckpoint: (q: Executor, row: { id: string; at: string; payload: string; signature: string }) =>
    q.insertInto('audit_checkpoints').values(row).execute(),

  latestCheckpoint: (q: Executor) =>
    q.selectFrom('audit_checkpoints').selectAll().orderBy('at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst(),
};
