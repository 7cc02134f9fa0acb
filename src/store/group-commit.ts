/**
 * Group commit for SQLite: the transactions of concurrent requests share one database transaction and
 * one fsync, and none of them is answered before that commit is on disk.
 *
 * better-sqlite3 has one connection and runs statements synchronously, so transactions already run one
 * at a time. Here the first transaction of a batch opens `BEGIN IMMEDIATE`; each transaction runs inside
 * a savepoint of its own (a failure rolls back only that savepoint: a failed statement fails only its own
 * request); when it is done, the next waiting transaction runs in the same batch while this one waits for
 * the batch's COMMIT. The batch commits as soon as nobody is waiting to join (after one turn of the event
 * loop, so requests already read from their sockets can join) or when it is full.
 *
 * Plain statements outside a transaction: a write opens (or joins) a batch like a transaction does; a read
 * that runs while a batch is open may see that batch's uncommitted rows, so its result is held back until
 * the batch has committed, and fails with it. Nothing answered can reflect data that is not durable.
 */
import type SQLite from 'better-sqlite3';
import type { CompiledQuery, DatabaseConnection, Driver, QueryResult } from 'kysely';

interface Batch {
  /** Transactions (and plain writes) whose effects are in this batch. */
  members: number;
  committed: Promise<void>;
  resolve(): void;
  reject(e: unknown): void;
}

export interface GroupCommitStats {
  /** Batches committed (one fsync each). */
  commits: number;
  /** Transactions and plain writes that were part of them. */
  members: number;
  /** The largest batch so far. */
  largest: number;
}

const SAVEPOINT = 'gc_tx';

/** Statements that can change what a `select *` returns. */
const DDL = /^\s*(create|alter|drop)\b/i;

interface RowShape {
  width: number;
  make(values: unknown[]): Record<string, unknown>;
}

/** A function making a row object from a row's values; the names are SQL column names, quoted as JSON. */
function rowShape(names: string[]): RowShape {
  if (names.includes('__proto__')) {
    // In an object literal that name would set the prototype: assigned one by one instead.
    return { width: names.length, make: (v) => Object.fromEntries(names.map((name, i) => [name, v[i]])) };
  }
  const fields = names.map((name, i) => `${JSON.stringify(name)}: v[${i}]`).join(', ');
  return { width: names.length, make: new Function('v', `return { ${fields} };`) as RowShape['make'] };
}

/**
 * Two connections to one file in one process (a second vault in a test, the CLI in-process) must not both
 * hold a batch: BEGIN IMMEDIATE would wait synchronously for the other's lock and block the event loop the
 * other needs to commit. Batches on one file take turns through this process-wide token instead.
 */
const fileTurns = new Map<string, { holder: object | null; waiting: (() => void)[] }>();

async function takeTurn(file: string, who: object): Promise<void> {
  let turn = fileTurns.get(file);
  if (!turn) {
    turn = { holder: null, waiting: [] };
    fileTurns.set(file, turn);
  }
  while (turn.holder !== null && turn.holder !== who) {
    await new Promise<void>((resolve) => turn.waiting.push(resolve));
  }
  turn.holder = who;
}

function passTurn(file: string, who: object): void {
  const turn = fileTurns.get(file);
  if (!turn || turn.holder !== who) return;
  turn.holder = null;
  turn.waiting.shift()?.();
}

export class GroupCommitSqliteDriver implements Driver {
  readonly #db: SQLite.Database;
  readonly #maxBatch: number;
  readonly #waiting: (() => void)[] = [];
  #held = false;
  #batch: Batch | null = null;
  #flushScheduled = false;
  readonly stats: GroupCommitStats = { commits: 0, members: 0, largest: 0 };
  /** How each read statement's rows become objects (see #rows). */
  #shapes = new WeakMap<SQLite.Statement, RowShape>();

  /**
   * Makes the commits so far durable, off the event loop (the database runs with synchronous=NORMAL, so
   * COMMIT itself does not fsync): a batch is answered only when this has finished after its COMMIT.
   */
  readonly #sync: (() => Promise<void>) | null;
  /**
   * Committed batches waiting for a sync. One sync runs at a time and covers every batch committed before
   * it started; batches committed meanwhile share the next one (group commit for the fsync as well).
   */
  #unsynced: Batch[] = [];
  /** The sync in progress, if any (destroy waits for it). */
  #syncRun: Promise<void> | null = null;
  /** The last committed batch that is not yet durable: plain reads wait for it as for an open batch. */
  #syncing: Batch | null = null;

  constructor(db: SQLite.Database, opts: { maxBatch?: number; sync?: () => Promise<void> } = {}) {
    this.#db = db;
    this.#maxBatch = opts.maxBatch ?? 512;
    this.#sync = opts.sync ?? null;
  }

  async init(): Promise<void> {}

  /** Transaction control through prepared statements (cached by SQL text in db.ts): no parse per call. */
  #run(text: string): void {
    this.#db.prepare(text).run();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    if (this.#held) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#held = true;
    return new GroupCommitConnection(this);
  }

  /**
   * Runs `fn` on the raw database between batches: the connection is held (no other statement runs) and any
   * open batch is committed first, so `fn` runs outside every transaction (checkpoints need that).
   */
  async betweenBatches<T>(fn: (db: SQLite.Database) => T): Promise<T> {
    await this.acquireConnection();
    try {
      const open = this.#batch;
      if (open !== null) {
        this.#flush();
        await open.committed.catch(() => {});
      }
      return fn(this.#db);
    } finally {
      this.#handOver();
    }
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    const conn = connection as GroupCommitConnection;
    await this.#open();
    this.#run(`SAVEPOINT ${SAVEPOINT}`);
    conn.inTransaction = true;
    conn.batch = this.#batch;
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const conn = connection as GroupCommitConnection;
    this.#run(`RELEASE ${SAVEPOINT}`);
    const batch = this.#join(conn);
    conn.released = true;
    // The next transaction may run (and join this batch) while this one waits for the commit.
    this.#handOver();
    await batch.committed;
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const conn = connection as GroupCommitConnection;
    conn.inTransaction = false;
    // Its own effects are undone; it fails now rather than waiting for the others' commit.
    conn.batch = null;
    if (!this.#db.inTransaction) {
      // SQLite rolled the whole transaction back itself (I/O error, disk full): the batch is lost.
      this.#lose(new Error('the database rolled the batch back'));
      return;
    }
    this.#run(`ROLLBACK TO ${SAVEPOINT}`);
    this.#run(`RELEASE ${SAVEPOINT}`);
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    const conn = connection as GroupCommitConnection;
    if (conn.released) return;
    conn.released = true;
    const batch = conn.batch;
    if (batch && !conn.inTransaction) this.#join(conn);
    this.#handOver();
    if (batch) await batch.committed;
  }

  async destroy(): Promise<void> {
    if (this.#batch && !this.#held) this.#flush();
    while (this.#syncRun !== null) await this.#syncRun;
    this.#db.close();
  }

  /** Runs a statement for a connection: plain writes open or join a batch; plain reads join an open one. */
  async execute(conn: GroupCommitConnection, compiled: CompiledQuery): Promise<QueryResult<unknown>> {
    const stmt = this.#db.prepare(compiled.sql);
    if (DDL.test(compiled.sql)) this.#shapes = new WeakMap();
    if (!conn.inTransaction) {
      // A write opens (or joins) a batch: `readonly`, not `reader`, since an UPDATE … RETURNING returns rows.
      if (!stmt.readonly && this.#batch === null) await this.#open();
      // A read may see rows of a batch not yet durable (open, or committed and syncing): it waits for that.
      if (this.#batch !== null) conn.batch = this.#batch;
      else if (this.#syncing !== null && conn.batch === null) conn.batch = this.#syncing;
    }
    try {
      if (stmt.reader) return { rows: this.#rows(stmt, compiled.parameters as unknown[]) };
      const { changes, lastInsertRowid } = stmt.run(compiled.parameters as unknown[]);
      return {
        numAffectedRows: changes !== undefined && changes !== null ? BigInt(changes) : undefined,
        insertId: lastInsertRowid !== undefined && lastInsertRowid !== null ? BigInt(lastInsertRowid) : undefined,
        rows: [],
      };
    } catch (e) {
      if (this.#batch !== null && !this.#db.inTransaction) this.#lose(e);
      throw e;
    }
  }

  /**
   * A read's rows as objects. better-sqlite3 builds each row object property by property in C++, which costs
   * more than reading the values; rows are read as arrays and made into objects by a function compiled once
   * per statement (one object literal: V8 gives every row the same shape). Same result as `all()`: columns in
   * order, a later column of the same name wins. A schema change (DDL) drops the compiled functions, and a
   * row of another width than the function's compiles it again.
   */
  #rows(stmt: SQLite.Statement, parameters: unknown[]): unknown[] {
    let shape = this.#shapes.get(stmt);
    if (shape === undefined) {
      stmt.raw(true);
      shape = rowShape(stmt.columns().map((c) => c.name));
      this.#shapes.set(stmt, shape);
    }
    const raw = stmt.all(parameters) as unknown[][];
    const first = raw[0];
    if (first !== undefined && first.length !== shape.width) {
      shape = rowShape(stmt.columns().map((c) => c.name));
      this.#shapes.set(stmt, shape);
    }
    const out = new Array<unknown>(raw.length);
    for (let i = 0; i < raw.length; i++) out[i] = shape.make(raw[i] as unknown[]);
    return out;
  }

  async #open(): Promise<void> {
    if (this.#batch !== null) return;
    await takeTurn(this.#db.name, this);
    try {
      this.#run('BEGIN IMMEDIATE');
    } catch (e) {
      passTurn(this.#db.name, this);
      throw e;
    }
    let resolve!: () => void;
    let reject!: (e: unknown) => void;
    const committed = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // Nobody may be waiting yet when a lost batch is rejected; that must not be an unhandled rejection.
    committed.catch(() => {});
    this.#batch = { members: 0, committed, resolve, reject };
  }

  #join(conn: GroupCommitConnection): Batch {
    const batch = (conn.batch ?? this.#batch) as Batch;
    batch.members++;
    return batch;
  }

  /** Passes the connection to the next waiter, or frees it and schedules the batch's commit. */
  #handOver(): void {
    if (this.#batch !== null && this.#batch.members >= this.#maxBatch) this.#flush();
    const next = this.#waiting.shift();
    if (next) {
      next();
      return;
    }
    this.#held = false;
    if (this.#batch !== null && !this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => {
        this.#flushScheduled = false;
        // Someone took the connection meanwhile: they will schedule the commit when they hand over.
        if (!this.#held && this.#batch !== null && !this.#waitsForSync()) this.#flush();
      });
    }
  }

  /**
   * While a sync is running, the open batch keeps growing instead of committing: its members would wait for
   * the next sync anyway, and one COMMIT then writes each page they changed to the WAL once, not once per
   * event-loop turn. It commits when the running sync ends (settle) or when it is full.
   */
  #waitsForSync(): boolean {
    return this.#syncRun !== null && this.#batch !== null && this.#batch.members < this.#maxBatch;
  }

  #flush(): void {
    const batch = this.#batch;
    if (batch === null) return;
    this.#batch = null;
    try {
      this.#run('COMMIT');
    } catch (e) {
      if (this.#db.inTransaction) this.#run('ROLLBACK');
      passTurn(this.#db.name, this);
      batch.reject(e);
      return;
    }
    passTurn(this.#db.name, this);
    this.stats.commits++;
    this.stats.members += batch.members;
    this.stats.largest = Math.max(this.stats.largest, batch.members);
    const sync = this.#sync;
    if (sync === null) {
      batch.resolve();
      return;
    }
    this.#syncing = batch;
    this.#unsynced.push(batch);
    if (this.#syncRun === null) this.#startSync(sync);
  }

  /** Syncs once for every batch committed so far, then again for those committed meanwhile, until none wait. */
  #startSync(sync: () => Promise<void>): void {
    const covered = this.#unsynced;
    this.#unsynced = [];
    const settle = (e?: unknown) => {
      for (const batch of covered) {
        if (this.#syncing === batch) this.#syncing = null;
        // Committed but not known to be on disk: its requests fail (the operator sees a failing disk).
        if (e === undefined) batch.resolve();
        else batch.reject(e);
      }
      this.#syncRun = null;
      if (this.#unsynced.length > 0) this.#startSync(sync);
      // The batch that grew while the disk was busy commits now, and its sync starts at once.
      else if (this.#batch !== null && !this.#held) this.#flush();
    };
    this.#syncRun = sync().then(
      () => settle(),
      (e: unknown) => settle(e ?? new Error('sync failed')),
    );
  }

  #lose(e: unknown): void {
    const batch = this.#batch;
    this.#batch = null;
    passTurn(this.#db.name, this);
    batch?.reject(e);
  }
}

class GroupCommitConnection implements DatabaseConnection {
  inTransaction = false;
  released = false;
  /** The batch whose uncommitted data this connection touched, if any. */
  batch: Batch | null = null;

  constructor(private readonly driver: GroupCommitSqliteDriver) {}

  executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    return this.driver.execute(this, compiled) as Promise<QueryResult<R>>;
  }

  // biome-ignore lint/correctness/useYield: streaming is not used with SQLite here; refusing is the honest answer.
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming queries are not supported on SQLite');
  }
}
