/**
 * The SQLite group-commit driver on its own (SQLite only, whatever the backend of the run: it is SQLite's
 * driver), with a sync the test controls: a batch grows while a sync runs and commits when it ends; rows
 * read as arrays become the same objects better-sqlite3 would build; a new database has 2 KiB pages.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, PAGE_SIZE } from '../../src/store/db.ts';
import { GroupCommitSqliteDriver } from '../../src/store/group-commit.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tv-gcd-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * A driver over a fresh file whose syncs wait until the test releases them (or, `immediate`, never wait),
 * committing at most `maxBatch` members at once.
 */
function driverWithManualSync(opts: { immediate?: boolean; maxBatch?: number } = {}) {
  const raw = new SQLite(path.join(tempDir(), 'db.sqlite'));
  raw.pragma('journal_mode = WAL');
  raw.exec('create table t (name text primary key, n integer)');
  const pending: (() => void)[] = [];
  let syncs = 0;
  const driver = new GroupCommitSqliteDriver(raw, {
    ...(opts.maxBatch !== undefined ? { maxBatch: opts.maxBatch } : {}),
    sync: () =>
      new Promise<void>((resolve) => {
        syncs++;
        if (opts.immediate) resolve();
        else pending.push(resolve);
      }),
  });
  class Dialect extends SqliteDialect {
    override createDriver() {
      return driver;
    }
  }
  const db = new Kysely<{ t: { name: string; n: number | null } }>({ dialect: new Dialect({ database: raw }) });
  cleanups.push(async () => {
    while (pending.length > 0) pending.shift()?.();
    await db.destroy();
  });
  const releaseSync = () => pending.shift()?.();
  return { db, driver, raw, releaseSync, syncs: () => syncs, pendingSyncs: () => pending.length };
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await turn();
  expect(cond()).toBe(true);
}

describe('group commit driver: batches grow while the disk syncs', () => {
  it('keeps a batch open while a sync runs and commits it, then syncs it, when that sync ends', async () => {
    const { db, driver, releaseSync, syncs } = driverWithManualSync();
    const first = db.transaction().execute((tx) => tx.insertInto('t').values({ name: 'a', n: 1 }).execute());
    await until(() => syncs() === 1);
    expect(driver.stats.commits).toBe(1);

    // Three more transactions while the first batch's sync is running: they join one open batch.
    let answered = 0;
    const more = ['b', 'c', 'd'].map((name) =>
      db
        .transaction()
        .execute((tx) => tx.insertInto('t').values({ name, n: 2 }).execute())
        .then(() => answered++),
    );
    for (let i = 0; i < 10; i++) await turn();
    expect(driver.stats.commits).toBe(1);
    expect(answered).toBe(0);

    releaseSync();
    await first;
    // The first sync ended: the waiting batch commits as one and its own sync starts.
    await until(() => syncs() === 2);
    expect(driver.stats.commits).toBe(2);
    expect(driver.stats.largest).toBe(3);
    expect(answered).toBe(0);
    releaseSync();
    await Promise.all(more);
    expect(answered).toBe(3);
  });

  it('commits a full batch without waiting for the running sync', async () => {
    const { db, driver, raw, releaseSync, pendingSyncs } = driverWithManualSync({ maxBatch: 2 });
    const put = (name: string) => db.transaction().execute((tx) => tx.insertInto('t').values({ name, n: 1 }).execute());
    const first = put('a');
    await until(() => pendingSyncs() === 1);
    const rest = [put('b'), put('c')];
    // Two members fill the batch (maxBatch 2): it commits while the first sync is still running.
    await until(() => driver.stats.commits === 2);
    while (pendingSyncs() > 0) releaseSync();
    await first;
    await until(() => pendingSyncs() > 0);
    while (pendingSyncs() > 0) releaseSync();
    await Promise.all(rest);
    expect(raw.prepare('select count(*) as n from t').get()).toEqual({ n: 3 });
  });
});

describe('group commit driver: writes that return rows', () => {
  it('commits and syncs a plain UPDATE … RETURNING before answering it, like any other write', async () => {
    const { db, driver, raw, releaseSync, pendingSyncs } = driverWithManualSync();
    raw.prepare("insert into t values ('x', 1)").run();
    let answered = false;
    const update = sql<{ n: number }>`update t set n = 5 where name = 'x' returning n`.execute(db).then((r) => {
      answered = true;
      return r.rows;
    });
    await until(() => pendingSyncs() === 1);
    expect(driver.stats.commits).toBe(1);
    for (let i = 0; i < 5; i++) await turn();
    expect(answered).toBe(false);
    releaseSync();
    expect(await update).toEqual([{ n: 5 }]);
  });
});

describe('group commit driver: rows', () => {
  it('reads rows as better-sqlite3 objects would be: column order, the later of two same names, __proto__ as a plain column', async () => {
    const { db, raw } = driverWithManualSync({ immediate: true });
    raw.prepare("insert into t values ('x', 7)").run();
    const q = (text: string) => sql.raw<Record<string, unknown>>(text).execute(db);
    const direct = (text: string) => raw.prepare(text).all();
    for (const text of ['select name, n from t', "select name, n, 'later' as name from t", 'select * from t where 0']) {
      const { rows } = await q(text);
      expect(rows).toEqual(direct(text));
      for (const row of rows) expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
    }
    // better-sqlite3's own objects lose a column named __proto__ (it sets the prototype); here it is a column.
    const { rows } = await q('select name as __proto__, n from t');
    expect(Object.hasOwn(rows[0] as object, '__proto__')).toBe(true);
    expect(Object.getOwnPropertyDescriptor(rows[0], '__proto__')?.value).toBe('x');
    expect(Object.getPrototypeOf(rows[0])).toBe(Object.prototype);
  });

  it('sees a column added after a statement was first used (a schema change recompiles the row shape)', async () => {
    const { db } = driverWithManualSync({ immediate: true });
    await sql`insert into t (name, n) values ('y', 1)`.execute(db);
    const all = () => sql.raw<Record<string, unknown>>('select * from t').execute(db);
    expect((await all()).rows).toEqual([{ name: 'y', n: 1 }]);
    await sql`alter table t add column extra text default 'e'`.execute(db);
    expect((await all()).rows).toEqual([{ name: 'y', n: 1, extra: 'e' }]);
  });
});

describe('SQLite page size', () => {
  it('creates a new database with 2 KiB pages and keeps an existing database its own', async () => {
    const fresh = await openStore({ databaseUrl: null, databaseSchema: null, dataDir: tempDir(), databasePoolSize: 1 });
    cleanups.push(() => fresh.close());
    await fresh.migrate();
    const { rows } = await sql<{ page_size: number }>`pragma page_size`.execute(fresh.db);
    expect(PAGE_SIZE).toBe(2048);
    expect(rows[0]?.page_size).toBe(PAGE_SIZE);

    const dir = tempDir();
    const old = new SQLite(path.join(dir, 'tokenvault.db'));
    old.pragma('page_size = 4096');
    old.pragma('journal_mode = WAL');
    old.exec('create table before_us (x)');
    old.close();
    const reopened = await openStore({ databaseUrl: null, databaseSchema: null, dataDir: dir, databasePoolSize: 1 });
    cleanups.push(() => reopened.close());
    const again = await sql<{ page_size: number }>`pragma page_size`.execute(reopened.db);
    expect(again.rows[0]?.page_size).toBe(4096);
  });
});
