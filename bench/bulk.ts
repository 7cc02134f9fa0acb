/**
 * The benchmark's bulk path: stores N standalone cards for one merchant in the vault's real format, fast
 * enough for the 1,000,000-card scale scenario (tokenizing that many through HTTP would take most of an
 * hour).
 *
 * Per card it does what CardService.tokenize does for a new card without a customer (src/vault/cards.ts),
 * with the same helpers: the keyed fingerprint and the PAN encrypted with the merchant's data key under
 * the instrument identifier's AAD (keyring.fingerprint / keyring.encrypt / fieldAad, from a vault opened
 * with the server's own configuration by src/app.ts openVault), an instrument identifier
 * (instrumentIdentifierId) row, a card row with a native token (nativeToken), and a `card.create` event
 * appended to the merchant's audit hash chain (eventHash; the head row locked and moved, as appendAudit does). What
 * differs is only the batching: thousands of cards per transaction, rows built on worker threads while the
 * main thread writes the previous batch, multi-row INSERTs on PostgreSQL and prepared statements on SQLite.
 * The server reads, lists and reveals these cards like any other (the benchmark reveals a sample through
 * the HTTP API to prove it), and `tokenvault audit verify` accepts the chain.
 *
 * Card numbers must be new to the merchant: a plain INSERT (not tokenize's upsert) fails on a fingerprint
 * that already exists, loudly.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { openVault, type Vault } from '../src/app.ts';
import { chainOf, eventHash } from '../src/audit/log.ts';
import { loadConfig } from '../src/config.ts';
import { binInfo, parsePan } from '../src/domain/card.ts';
import { instrumentIdentifierId } from '../src/domain/ids.ts';
import { type Executor, inTransaction } from '../src/store/db.ts';
import { PAN } from '../src/store/encrypted-fields.ts';
import type { AuditEventRow, CardRow, InstrumentRow } from '../src/store/schema.ts';
import { instrumentRow } from '../src/vault/cards/model.ts';
import { nativeToken } from '../src/vault/cards.ts';

/** Appends the Luhn check digit to a payload of digits. */
export function withLuhn(payload: string): string {
  let sum = 0;
  // The check digit will sit to the right, so the payload's last digit is the first one doubled.
  for (let i = payload.length - 1, double = true; i >= 0; i--, double = !double) {
    let d = payload.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return payload + String((10 - (sum % 10)) % 10);
}

/** Card number i: prefix, i zero-padded, Luhn check digit; `length` digits in all. */
export interface PanSpec {
  prefix: string;
  length: number;
}

export const panAt = (spec: PanSpec, i: number): string =>
  withLuhn(`${spec.prefix}${String(i).padStart(spec.length - 1 - spec.prefix.length, '0')}`);

export interface PreloadOptions {
  /** The server's environment: the same database, schema and master key. */
  env: NodeJS.ProcessEnv;
  merchantId: string;
  count: number;
  pans: PanSpec;
  expMonth: number;
  expYear: number;
  /** Cards per batch built by one thread (default 10,000), written in one PostgreSQL transaction. */
  batch?: number;
  /** SQLite: cards per transaction, several batches (default 100,000). */
  cardsPerCommit?: number;
  /** Threads building rows while the main thread writes (default: the number of cores, at most 4; 0 builds in line). */
  workers?: number;
  /** How many tokens to hand back, spread evenly over the whole range. */
  sample?: number;
  /** The audit actor of the events (default 'cli': an operator's import). */
  actor?: string;
  onProgress?: (done: number, total: number) => void;
}

export interface PreloadResult {
  count: number;
  seconds: number;
  cardsPerSecond: number;
  buildWorkers: number;
  /** Main-thread time spent in write transactions. */
  writeSeconds: number;
  /** Tokens spread evenly over the preloaded cards, with their card numbers (for the reveal check). */
  sample: { token: string; pan: string }[];
}

/** One batch of rows, built off the main thread; audit events get their chain position and hash when written. */
export interface BuiltBatch {
  from: number;
  at: string;
  instruments: InstrumentRow[];
  cards: CardRow[];
  /** [target, detail] of each card.create event. */
  events: [string, string][];
  sample: { token: string; pan: string }[];
}

export interface BuildJob {
  from: number;
  n: number;
  at: string;
  sampleEvery: number;
  expMonth: number;
  expYear: number;
}

export async function buildBatch(vault: Pick<Vault, 'keyring'>, merchantId: string, spec: PanSpec, job: BuildJob): Promise<BuiltBatch> {
  const { from, n, at, sampleEvery, expMonth, expYear } = job;
  const out: BuiltBatch = { from, at, instruments: [], cards: [], events: [], sample: [] };
  for (let i = from; i < from + n; i++) {
    const parsed = parsePan(panAt(spec, i));
    if (!parsed.ok) throw new Error(`preload: card ${i} is not a valid card number (${parsed.error})`);
    const pan = parsed.value;
    const info = binInfo(pan);
    const fingerprint = await vault.keyring.fingerprint(merchantId, pan);
    const id = instrumentIdentifierId();
    const panCt = await vault.keyring.encrypt(merchantId, PAN.aad(merchantId, id), pan);
    const token = nativeToken();
    out.instruments.push(instrumentRow(merchantId, id, fingerprint, panCt, info, at, false));
    out.cards.push({
      id: token,
      merchant_id: merchantId,
      instrument_id: id,
      customer_id: null,
      exp_month: expMonth,
      exp_year: expYear,
      holder_name: null,
      billing_address: null,
      usage: 'MULTIPLE',
      status: 'ACTIVE',
      metadata: null,
      version: 1,
      created_at: at,
      updated_at: at,
      attributes: null,
    });
    out.events.push([token, JSON.stringify({ instrument: id, instrumentNew: true })]);
    if (sampleEvery && i % sampleEvery === 0) out.sample.push({ token, pan });
  }
  return out;
}

/** The audit events of a batch, chained after the head (seq, hash) as appendAudit chains them. */
function chainEvents(b: BuiltBatch, chain: string, merchantId: string, actor: string, head: { seq: number; hash: string }) {
  let seq = head.seq;
  let prev = head.hash;
  const rows: AuditEventRow[] = b.events.map(([target, detail]) => {
    const row: Omit<AuditEventRow, 'hash'> = {
      chain,
      seq: ++seq,
      at: b.at,
      merchant_id: merchantId,
      actor,
      action: 'card.create',
      target,
      outcome: 'success',
      detail,
      prev_hash: prev,
    };
    prev = eventHash(row);
    return { ...row, hash: prev };
  });
  return { rows, head: { seq, hash: prev } };
}

type Writer = { write(b: BuiltBatch): Promise<void>; finish(): Promise<void>; close(): Promise<void> };

/**
 * SQLite: prepared statements on a connection of our own to the same file (the server's WAL database),
 * in BEGIN IMMEDIATE transactions (the write lock up front, as the server's group commit takes it) of
 * `cardsPerCommit` cards, several batches each. Big transactions matter here more than anywhere: the
 * tokens, instrument ids and fingerprints are random, so every batch dirties a page of each of their
 * indexes per card, and each commit writes those pages to the WAL and a checkpoint writes them again. At a
 * million cards, 10,000-card commits wrote ~16 KB per card; 100,000-card ones touch each leaf page about
 * once. Rows go in sorted by key, so consecutive inserts land on neighbouring pages.
 */
function sqliteWriter(file: string, chain: string, merchantId: string, actor: string, cardsPerCommit: number): Writer {
  const db = new SQLite(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 10000');
  // This connection only: a bigger page cache for inserts spread over large indexes (default 2 MB).
  db.pragma('cache_size = -262144');
  const insert = <T extends object>(table: string, sample: T) => {
    const cols = Object.keys(sample);
    return db.prepare(`insert into ${table} (${cols.join(', ')}) values (${cols.map((c) => `@${c}`).join(', ')})`);
  };
  let statements: { instrument: SQLite.Statement; card: SQLite.Statement; event: SQLite.Statement } | null = null;
  const takeHead = db.prepare('update audit_heads set seq = seq + ? where chain = ? returning seq, hash');
  const setHead = db.prepare('update audit_heads set hash = ? where chain = ?');
  const byId = (x: { id: string }, y: { id: string }) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0);
  let inTransaction = false;
  let uncommitted = 0;
  const commit = () => {
    if (!inTransaction) return;
    db.exec('COMMIT');
    inTransaction = false;
    uncommitted = 0;
  };
  return {
    async write(b) {
      if (!inTransaction) {
        db.exec('BEGIN IMMEDIATE');
        inTransaction = true;
      }
      try {
        const head = takeHead.get(b.events.length, chain) as { seq: number; hash: string } | undefined;
        if (!head) throw new Error(`preload: audit chain ${chain} has no head`);
        const { rows, head: last } = chainEvents(b, chain, merchantId, actor, { seq: Number(head.seq) - b.events.length, hash: head.hash });
        statements ??= {
          instrument: insert('instrument_identifiers', b.instruments[0] as InstrumentRow),
          card: insert('cards', b.cards[0] as CardRow),
          event: insert('audit_events', rows[0] as AuditEventRow),
        };
        for (const r of [...b.instruments].sort(byId)) statements.instrument.run(r);
        for (const r of [...b.cards].sort(byId)) statements.card.run(r);
        for (const r of rows) statements.event.run(r);
        setHead.run(last.hash, chain);
      } catch (e) {
        db.exec('ROLLBACK');
        inTransaction = false;
        throw e;
      }
      uncommitted += b.cards.length;
      if (uncommitted >= cardsPerCommit) commit();
    },
    async finish() {
      commit();
    },
    async close() {
      if (inTransaction) db.exec('ROLLBACK');
      db.close();
    },
  };
}

/**
 * PostgreSQL: one INSERT … SELECT FROM unnest(column arrays) per table and batch, one transaction per
 * batch, through the vault's own Kysely pool: the whole batch travels as one array per column, which
 * PostgreSQL parses far faster than thousands of VALUES tuples. At the end, ANALYZE on the tables written:
 * what autovacuum does within a minute or so of a bulk change. Without it the planner still has the
 * statistics of the small table, and e.g. a customer's card list right after a 100,000-card load is
 * planned as a BitmapAnd over the whole merchant's cards_list index (~40 ms instead of ~1 ms). SQLite
 * keeps no statistics unless ANALYZE is run, and the server never runs it: nothing to do there.
 */
function postgresWriter(vault: Vault, chain: string, merchantId: string, actor: string): Writer {
  /** Every column of these tables is text or integer (src/store/migrations); the first row tells which. */
  const insertColumns = async <T extends object>(tx: Executor, table: string, rows: T[]) => {
    const first = rows[0];
    if (!first) return;
    const cols = Object.keys(first) as (keyof T & string)[];
    const arrays = cols.map(
      (c) => sql`${rows.map((r) => r[c] ?? null)}::${sql.raw(typeof first[c] === 'number' ? 'integer[]' : 'text[]')}`,
    );
    await sql`insert into ${sql.table(table)} (${sql.join(cols.map((c) => sql.ref(c)))}) select * from unnest(${sql.join(arrays)})`.execute(
      tx,
    );
  };
  return {
    async write(b) {
      await inTransaction(vault.store.db, async (tx) => {
        // The head row is locked before the events are chained after it (appendAudit reads it FOR UPDATE), so
        // no other append interleaves; a batch moves it by its whole length at once.
        const head = await tx
          .updateTable('audit_heads')
          .set((eb) => ({ seq: eb('seq', '+', b.events.length) }))
          .where('chain', '=', chain)
          .returning(['seq', 'hash'])
          .executeTakeFirst();
        if (!head) throw new Error(`preload: audit chain ${chain} has no head`);
        const { rows, head: last } = chainEvents(b, chain, merchantId, actor, { seq: Number(head.seq) - b.events.length, hash: head.hash });
        await insertColumns(tx, 'instrument_identifiers', b.instruments);
        await insertColumns(tx, 'cards', b.cards);
        await insertColumns(tx, 'audit_events', rows);
        await tx.updateTable('audit_heads').set({ hash: last.hash }).where('chain', '=', chain).execute();
      });
    },
    async finish() {
      await sql`analyze instrument_identifiers, cards, audit_events`.execute(vault.store.db);
    },
    async close() {},
  };
}

/** Row builders: worker threads (bench/bulk-worker.mjs), or this thread when there are none. */
function builders(opts: PreloadOptions, vault: Vault, count: number) {
  const spec = opts.pans;
  if (count === 0) {
    return {
      build: (job: BuildJob) => buildBatch(vault, opts.merchantId, spec, job),
      close: async () => {},
    };
  }
  const threads = Array.from(
    { length: count },
    () => new Worker(new URL('./bulk-worker.mjs', import.meta.url), { workerData: { env: opts.env, merchantId: opts.merchantId, spec } }),
  );
  const waiting = new Map<number, { resolve: (b: BuiltBatch) => void; reject: (e: Error) => void }>();
  let failure: Error | null = null;
  for (const t of threads) {
    t.on('message', (m: { batch?: BuiltBatch; error?: string; from: number }) => {
      const w = waiting.get(m.from);
      waiting.delete(m.from);
      if (m.batch) w?.resolve(m.batch);
      else w?.reject(new Error(m.error ?? 'bulk worker failed'));
    });
    t.on('error', (e) => {
      failure = e;
      for (const w of waiting.values()) w.reject(e);
      waiting.clear();
    });
  }
  let next = 0;
  return {
    build(job: BuildJob): Promise<BuiltBatch> {
      if (failure) return Promise.reject(failure);
      const thread = threads[next++ % threads.length] as Worker;
      return new Promise((resolve, reject) => {
        waiting.set(job.from, { resolve, reject });
        thread.postMessage(job);
      });
    },
    close: async () => {
      await Promise.all(threads.map((t) => t.terminate()));
    },
  };
}

export async function preloadCards(opts: PreloadOptions): Promise<PreloadResult> {
  const vault = await openVault(loadConfig(opts.env), { migrate: false });
  const { merchantId, count } = opts;
  const batch = opts.batch ?? 10_000;
  const actor = opts.actor ?? 'cli';
  const chain = chainOf(merchantId);
  const sampleEvery = opts.sample ? Math.max(1, Math.floor(count / opts.sample)) : 0;
  const workerCount = opts.workers ?? Math.min(4, os.availableParallelism());
  const started = performance.now();
  let writeMs = 0;
  const sample: PreloadResult['sample'] = [];
  const writer =
    vault.store.kind === 'sqlite'
      ? sqliteWriter(vault.store.location, chain, merchantId, actor, opts.cardsPerCommit ?? 100_000)
      : postgresWriter(vault, chain, merchantId, actor);
  const pool = builders(opts, vault, workerCount);
  try {
    // Keep every builder busy with up to two batches while the main thread writes, in order.
    const jobs: BuildJob[] = [];
    for (let from = 0; from < count; from += batch) {
      jobs.push({ from, n: Math.min(batch, count - from), at: '', sampleEvery, expMonth: opts.expMonth, expYear: opts.expYear });
    }
    const ahead = Math.max(2, workerCount * 2);
    const inFlight: Promise<BuiltBatch>[] = [];
    let queued = 0;
    const enqueue = () => {
      while (queued < jobs.length && inFlight.length < ahead) {
        const job = jobs[queued++] as BuildJob;
        job.at = new Date().toISOString();
        const p = pool.build(job);
        p.catch(() => {});
        inFlight.push(p);
      }
    };
    enqueue();
    let done = 0;
    while (inFlight.length > 0) {
      const b = await (inFlight.shift() as Promise<BuiltBatch>);
      enqueue();
      const t = performance.now();
      await writer.write(b);
      writeMs += performance.now() - t;
      if (opts.sample) sample.push(...b.sample.slice(0, opts.sample - sample.length));
      done += b.cards.length;
      opts.onProgress?.(done, count);
    }
    await writer.finish();
  } finally {
    await pool.close();
    await writer.close();
    await vault.close();
  }
  const seconds = (performance.now() - started) / 1000;
  return { count, seconds, cardsPerSecond: count / seconds, buildWorkers: workerCount, writeSeconds: writeMs / 1000, sample };
}
