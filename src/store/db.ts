/**
 * The one SQL layer: a Kysely instance over SQLite (better-sqlite3) or PostgreSQL (pg), chosen by
 * configuration, with the same migrations and queries for both. Only the configured driver is loaded.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type SQLite from 'better-sqlite3';
import {
  type Driver,
  Kysely,
  type Migration,
  type MigrationProvider,
  Migrator,
  PostgresAdapter,
  PostgresDialect,
  SqliteDialect,
  sql,
  type Transaction,
} from 'kysely';
import type pg from 'pg';
import { DEV_MASTER_KEY_FILE, SQLITE_FILE } from '../config.ts';
import { GroupCommitSqliteDriver, type GroupCommitStats } from './group-commit.ts';
import * as init from './migrations/0001-init.ts';
import * as auditKeysCvv from './migrations/0002-audit-keys-cvv.ts';
import * as payments from './migrations/0003-payments.ts';
import * as cardAttributes from './migrations/0004-card-attributes.ts';
import * as gatewayAttributes from './migrations/0005-gateway-attributes.ts';
import * as gatewaySessions from './migrations/0006-gateway-sessions.ts';
import * as windowKeys from './migrations/0007-window-keys.ts';
import * as sessionMerchant from './migrations/0008-session-merchant.ts';
import * as replayClaims from './migrations/0009-replay-claims.ts';
import * as outbox from './migrations/0010-outbox.ts';
import * as bankAccounts from './migrations/0011-bank-accounts.ts';
import * as publishableKeys from './migrations/0012-publishable-keys.ts';
import type { Database } from './schema.ts';

export type Db = Kysely<Database>;
/** Tables whose deleted rows must not survive in the files (see StoreHandle.scrub). */
export type ScrubbedTable = 'card_secrets' | 'window_keys' | 'data_keys' | 'gateway_sessions';
export type Tx = Transaction<Database>;
/** Anything queries can run on: the database itself or an open transaction. */
export type Executor = Kysely<Database>;

/** Whether queries on `q` run on PostgreSQL (row locks, data-modifying WITH) rather than SQLite. */
export const isPostgres = (q: Executor): boolean => q.getExecutor().adapter instanceof PostgresAdapter;

export interface StoreHandle {
  readonly kind: 'sqlite' | 'postgres';
  readonly db: Db;
  /** Where the data lives, for operators (file path, or host/database/schema). */
  readonly location: string;
  ping(): Promise<boolean>;
  migrate(): Promise<string[]>;
  /**
   * Makes rows already deleted from `tables` unrecoverable from the database files: SQLite runs with
   * secure_delete (freed content is zeroed) and this truncates the WAL, which still holds the old pages;
   * PostgreSQL keeps dead row versions in the table file until it is rewritten, so this runs VACUUM FULL on
   * each table (meant for the small tables of short-lived secrets). False when it could not finish now (a
   * reader held the WAL); the next call does it.
   */
  scrub(tables: readonly ScrubbedTable[]): Promise<boolean>;
  /**
   * SQLite: writes a consistent copy of the database to `file` (0600) while it stays in use (`VACUUM INTO`,
   * which copies live rows only: nothing wiped comes along). PostgreSQL: null, use pg_dump (README).
   */
  backup(file: string): Promise<{ bytes: number } | null>;
  /** SQLite: how transactions were grouped into commits (each one fsync). */
  commitStats?(): GroupCommitStats | null;
  /** SQLite: files and the data directory that were readable by others and were made owner-only at open. */
  readonly tightened?: readonly string[];
  close(): Promise<void>;
}

const MIGRATIONS: Record<string, Migration> = {
  '0001-init': init,
  '0002-audit-keys-cvv': auditKeysCvv,
  '0003-payments': payments,
  '0004-card-attributes': cardAttributes,
  '0005-gateway-attributes': gatewayAttributes,
  '0006-gateway-sessions': gatewaySessions,
  '0007-window-keys': windowKeys,
  '0008-session-merchant': sessionMerchant,
  '0009-replay-claims': replayClaims,
  '0010-outbox': outbox,
  '0011-bank-accounts': bankAccounts,
  '0012-publishable-keys': publishableKeys,
};

const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };

export interface OpenOptions {
  databaseUrl: string | null;
  databaseSchema: string | null;
  dataDir: string;
  /** PostgreSQL: the most connections the pool opens. */
  databasePoolSize: number;
}

export async function openStore(opts: OpenOptions): Promise<StoreHandle> {
  return opts.databaseUrl ? openPostgres(opts.databaseUrl, opts.databaseSchema, opts.databasePoolSize) : openSqlite(opts.dataDir);
}

function withMigrations(
  kind: StoreHandle['kind'],
  db: Db,
  location: string,
  close: () => Promise<void>,
  scrub: StoreHandle['scrub'],
  backup: StoreHandle['backup'],
  schema: string | null = null,
): StoreHandle {
  return {
    kind,
    db,
    location,
    scrub,
    backup,
    async ping() {
      try {
        await sql`select 1`.execute(db);
        return true;
      } catch {
        return false;
      }
    },
    async migrate() {
      // The schema is named explicitly: otherwise Kysely's existence check sees another schema's tables.
      const migrator = new Migrator({ db, provider, ...(schema ? { migrationTableSchema: schema } : {}) });
      const { error, results } = await migrator.migrateToLatest();
      if (error) throw error instanceof Error ? error : new Error(String(error));
      return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    },
    close,
  };
}

/**
 * The data directory 0700 and every file the server writes in it 0600, whatever existed before and whatever
 * the umask: holder data, emails and the audit log are in these files. Returns what had to be tightened.
 */
function securePrivateFiles(dataDir: string, file: string): string[] {
  const tightened: string[] = [];
  const tighten = (target: string, mode: number) => {
    let current: number;
    try {
      current = fs.statSync(target).mode & 0o777;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    if (current === mode) return;
    fs.chmodSync(target, mode);
    if (current & 0o077) tightened.push(`${target} (${current.toString(8).padStart(4, '0')} → ${mode.toString(8).padStart(4, '0')})`);
  };
  tighten(dataDir, 0o700);
  for (const f of [file, `${file}-wal`, `${file}-shm`, path.join(dataDir, DEV_MASTER_KEY_FILE)]) tighten(f, 0o600);
  return tightened;
}

const BUSY_TIMEOUT_MS = 10_000;
export const PAGE_SIZE = 2048;

async function openSqlite(dataDir: string): Promise<StoreHandle> {
  const { default: SQLite } = await import('better-sqlite3');
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, SQLITE_FILE);
  // Created 0600 before SQLite opens it: SQLite gives the -wal and -shm files it creates the database file's mode.
  fs.closeSync(fs.openSync(file, 'a', 0o600));
  const tightened = securePrivateFiles(dataDir, file);
  const database = new SQLite(file);
  // 2 KiB pages, for a new database (an existing one keeps its own): a tokenize inserts into five indexes
  // keyed by random values (tokens, identifier ids, fingerprints, audit targets), so each card dirties a page
  // of each, and every dirty page is written whole to the WAL and again at the checkpoint. Half the page,
  // half those bytes: about 15 % less server CPU per tokenize than 4 KiB, retrieve no slower (docs/architecture.md).
  database.pragma(`page_size = ${PAGE_SIZE}`);
  database.pragma('journal_mode = WAL');
  // NORMAL: COMMIT writes the WAL without fsync; the group-commit driver then fsyncs the WAL file itself,
  // on libuv's thread pool, and answers a batch only after that. Same durability as FULL (the WAL is on disk
  // before any 2xx), but the event loop goes on serving while the disk syncs. Checkpoints still fsync.
  database.pragma('synchronous = NORMAL');
  database.pragma('foreign_keys = ON');
  // Deleted content is overwritten with zeros, so a wiped CVV or card number is not left in free space.
  database.pragma('secure_delete = ON');
  database.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  const wal = walSyncer(file);
  const dialect = new GroupCommitSqliteDialect(withStatementCache(database), wal.sync);
  const db = new Kysely<Database>({ dialect });
  const store = withMigrations(
    'sqlite',
    db,
    file,
    async () => {
      await db.destroy();
      wal.close();
    },
    // Every table is scrubbed by secure_delete already; what remains is the WAL's copy of the old pages.
    async () => {
      const driver = dialect.driver;
      if (!driver) return true;
      const [r] = (await driver.betweenBatches((raw) => {
        // A TRUNCATE checkpoint waits for other processes' readers and writers (--workers) through the busy
        // handler, synchronously: wait briefly, and leave it to the next sweep if they are still busy.
        raw.pragma('busy_timeout = 200');
        try {
          return raw.pragma('wal_checkpoint(TRUNCATE)');
        } finally {
          raw.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
        }
      })) as { busy: number }[];
      return r?.busy === 0;
    },
    async (out) => {
      const driver = dialect.driver;
      if (!driver) throw new Error('the database is not open');
      if (fs.existsSync(out)) throw new Error(`${out} exists already: a backup never overwrites a file`);
      // Made empty and 0600 first (VACUUM INTO accepts an empty file): the copy is never readable by others.
      fs.closeSync(fs.openSync(out, 'wx', 0o600));
      await driver.betweenBatches((raw) => raw.prepare('VACUUM INTO ?').run(out));
      fs.chmodSync(out, 0o600);
      return { bytes: fs.statSync(out).size };
    },
  );
  // The WAL and shared-memory files exist now (WAL mode was just set): checked again, should SQLite differ.
  tightened.push(...securePrivateFiles(dataDir, file));
  return { ...store, commitStats: () => dialect.stats, tightened };
}

/**
 * fdatasync of the database's WAL file, off the event loop. The WAL exists once the first commit is made
 * and stays (same inode) while this process holds its connection; the directory is synced once, so the
 * WAL's own directory entry is durable too.
 */
function walSyncer(file: string): { sync: () => Promise<void>; close: () => void } {
  let fd: number | null = null;
  const datasync = (f: number) => new Promise<void>((resolve, reject) => fs.fdatasync(f, (err) => (err ? reject(err) : resolve())));
  return {
    async sync() {
      if (fd === null) {
        fd = fs.openSync(`${file}-wal`, 'r');
        const dir = fs.openSync(path.dirname(file), 'r');
        try {
          await datasync(dir);
        } finally {
          fs.closeSync(dir);
        }
      }
      await datasync(fd);
    },
    close() {
      if (fd !== null) fs.closeSync(fd);
      fd = null;
    },
  };
}

/**
 * Kysely prepares every query anew; compiling SQL is most of a point read's cost in SQLite. The same SQL
 * text always gets the same prepared statement (better-sqlite3 statements are reusable and run
 * synchronously, so no two executions overlap). Bounded: distinct texts beyond the limit reset the cache.
 */
function withStatementCache(database: SQLite.Database): SQLite.Database {
  const cache = new Map<string, SQLite.Statement>();
  const prepare = database.prepare.bind(database);
  return new Proxy(database, {
    get(target, prop) {
      if (prop !== 'prepare') {
        const value = Reflect.get(target, prop, target);
        return typeof value === 'function' ? value.bind(target) : value;
      }
      return (text: string) => {
        let statement = cache.get(text);
        if (!statement) {
          if (cache.size >= 1000) cache.clear();
          statement = prepare(text);
          cache.set(text, statement);
        }
        return statement;
      };
    },
  });
}

/**
 * SQLite through the group-commit driver (group-commit.ts): concurrent transactions share one
 * `BEGIN IMMEDIATE` … `COMMIT` and one fsync. IMMEDIATE takes the write lock up front, so a sibling worker's
 * commit can never invalidate a batch's snapshot (SQLITE_BUSY_SNAPSHOT); it waits (busy_timeout) instead.
 */
class GroupCommitSqliteDialect extends SqliteDialect {
  readonly #database: SQLite.Database;
  #driver: GroupCommitSqliteDriver | null = null;
  readonly #sync: () => Promise<void>;
  constructor(database: SQLite.Database, sync: () => Promise<void>) {
    super({ database });
    this.#database = database;
    this.#sync = sync;
  }
  override createDriver(): Driver {
    this.#driver = new GroupCommitSqliteDriver(this.#database, { sync: this.#sync });
    return this.#driver;
  }
  get stats(): GroupCommitStats | null {
    return this.#driver?.stats ?? null;
  }
  get driver(): GroupCommitSqliteDriver | null {
    return this.#driver;
  }
}

async function openPostgres(url: string, schema: string | null, poolSize: number): Promise<StoreHandle> {
  const { default: pg } = await import('pg');
  if (schema) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(`create schema if not exists ${schema}`);
    } finally {
      await client.end();
    }
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: 5000,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  // An idle client losing its server (database restart) must not crash the process.
  pool.on('error', () => {});
  pool.on('connect', (client) => {
    // A checked-out client whose server goes away emits 'error' too (pg-pool listens only on idle ones):
    // unhandled, that would kill the process. The query in flight fails on its own and becomes a 503.
    client.on('error', () => {});
    namedStatements(client);
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const u = new URL(url);
  return withMigrations(
    'postgres',
    db,
    `${u.hostname}:${u.port || 5432}${u.pathname}${schema ? `#${schema}` : ''}`,
    () => db.destroy(),
    async (tables) => {
      // Rewrites each table into a new file; the old file is truncated when the command commits.
      for (const table of tables) await sql`vacuum full ${sql.table(table)}`.execute(db);
      return true;
    },
    async () => null,
    schema,
  );
}

const statementNames = new Map<string, string>();

/**
 * Data statements run as named prepared statements: pg prepares each text once per connection and then
 * only binds and executes it, so PostgreSQL parses and plans the hot queries once, not on every request.
 * DDL and transaction control stay unnamed.
 */
function namedStatements(client: pg.PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as unknown as { query: (...args: unknown[]) => unknown }).query = (text: unknown, values?: unknown, callback?: unknown) => {
    if (typeof text !== 'string' || !Array.isArray(values) || !/^\s*(select|insert|update|delete|with)\b/i.test(text)) {
      return query(text, values, callback);
    }
    let name = statementNames.get(text);
    if (name === undefined) {
      if (statementNames.size >= 2000) statementNames.clear();
      name = `tv_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
      statementNames.set(text, name);
    }
    return query({ name, text, values }, callback);
  };
}

/** Runs fn in a transaction. */
export function inTransaction<T>(db: Db, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction().execute(fn);
}

export { isUniqueViolation } from './errors.ts';
