/** The audit log's tables: events, chain heads and signed checkpoints. The chain rules are audit/log.ts's. */
import type { Executor } from './db.ts';
import { prepareInsert, prepareOne, prepareQuery } from './prepared.ts';
import type { AuditEventRow } from './schema.ts';

// The three statements of every append, compiled once (prepared.ts).
const advanceHead = prepareOne<{ chain: string }, { seq: number | string; hash: string }>((tx, arg) =>
  tx
    .updateTable('audit_heads')
    .set((eb) => ({ seq: eb('seq', '+', 1) }))
    .where('chain', '=', arg('chain'))
    .returning(['seq', 'hash']),
);
const setHeadHash = prepareQuery<{ chain: string; hash: string }, unknown>((tx, arg) =>
  tx
    .updateTable('audit_heads')
    .set({ hash: arg('hash') })
    .where('chain', '=', arg('chain')),
);
const insertEvent = prepareInsert('audit_events');

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
   * Takes the chain's next seq and returns it with the previous hash. The UPDATE takes the head row's lock
   * first (PostgreSQL), so concurrent appends to one chain queue here.
   */
  advanceHead: (tx: Executor, chain: string) => advanceHead(tx, { chain }),
  setHeadHash: (tx: Executor, chain: string, hash: string) => setHeadHash(tx, { chain, hash }),
  insertEvent: (tx: Executor, row: AuditEventRow) => insertEvent(tx, row),

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
