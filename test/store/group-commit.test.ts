/**
 * Group commit (SQLite): concurrent transactions share commits, yet each request is answered only once its
 * own writes are committed, a failure fails only its own request, and nothing uncommitted is ever read.
 * The same properties are asserted on PostgreSQL (where each transaction commits on its own).
 */
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction, isUniqueViolation } from '../../src/store/db.ts';
import { backend, makeTestApp, type TestApp } from '../helpers/harness.ts';

let t: TestApp;
/** A second, independent connection: it sees only what is committed (SQLite WAL readers, PostgreSQL). */
let outside: (name: string) => Promise<boolean>;
let closeOutside: () => void = () => {};

beforeAll(async () => {
  t = await makeTestApp();
  if (backend === 'sqlite') {
    const reader = new SQLite(t.vault.store.location, { readonly: true });
    const stmt = reader.prepare('select 1 from settings where name = ?');
    outside = async (name) => stmt.get(name) !== undefined;
    closeOutside = () => reader.close();
  } else {
    outside = async (name) => {
      // A fresh transaction of its own on another pool connection.
      const r = await sql<{ n: number }>`select count(*)::int as n from settings where name = ${name}`.execute(t.vault.store.db);
      return Number(r.rows[0]?.n) === 1;
    };
  }
});

afterAll(async () => {
  closeOutside();
  await t.close();
});

const put = (name: string) =>
  inTransaction(t.vault.store.db, async (tx) => {
    await tx.insertInto('settings').values({ name, value: 'v' }).execute();
    return name;
  });

describe('group commit', () => {
  it('answers each transaction only after its writes are committed, even when many share a commit', async () => {
    const before = t.vault.store.commitStats?.()?.commits ?? 0;
    const names = Array.from({ length: 60 }, (_, i) => `gc-durable-${i}`);
    const seen = await Promise.all(names.map(async (n) => (await put(n)) && (await outside(n))));
    expect(seen.every(Boolean)).toBe(true);
    if (backend === 'sqlite') {
      const commits = (t.vault.store.commitStats?.()?.commits ?? 0) - before;
      // Shared: far fewer commits (fsyncs) than transactions.
      expect(commits).toBeGreaterThan(0);
      expect(commits).toBeLessThan(names.length / 2);
    }
  });

  it('fails only the transaction whose statement failed; every other one in the batch commits', async () => {
    await put('gc-taken');
    const names = Array.from({ length: 30 }, (_, i) => (i === 13 ? 'gc-taken' : `gc-batch-${i}`));
    const results = await Promise.allSettled(names.map((n) => put(n)));
    results.forEach((r, i) => {
      if (i === 13) {
        expect(r.status).toBe('rejected');
        expect(isUniqueViolation((r as PromiseRejectedResult).reason)).toBe(true);
      } else {
        expect(r.status).toBe('fulfilled');
      }
    });
    for (const [i, n] of names.entries()) if (i !== 13) expect(await outside(n)).toBe(true);
  });

  it("rolls back all of a failed transaction's writes, not its neighbours'", async () => {
    const failing = inTransaction(t.vault.store.db, async (tx) => {
      await tx.insertInto('settings').values({ name: 'gc-partial-1', value: 'v' }).execute();
      await tx.insertInto('settings').values({ name: 'gc-partial-2', value: 'v' }).execute();
      throw new Error('the use case refused after writing');
    });
    const neighbours = ['gc-n1', 'gc-n2', 'gc-n3'].map((n) => put(n));
    await expect(failing).rejects.toThrow('refused after writing');
    await Promise.all(neighbours);
    expect(await outside('gc-partial-1')).toBe(false);
    expect(await outside('gc-partial-2')).toBe(false);
    for (const n of ['gc-n1', 'gc-n2', 'gc-n3']) expect(await outside(n)).toBe(true);
    const read = await t.vault.store.db.selectFrom('settings').select('name').where('name', 'like', 'gc-partial-%').execute();
    expect(read).toEqual([]);
  });

  it('never answers a read with data that is not yet committed', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `gc-read-${i}`);
    const checks = names.map(async (n) => {
      const write = put(n);
      // Issued while the write's batch may still be open: if it sees the row, the row must be committed.
      const row = await t.vault.store.db.selectFrom('settings').select('name').where('name', '=', n).executeTakeFirst();
      const committedWhenRead = row ? await outside(n) : true;
      await write;
      return committedWhenRead;
    });
    expect((await Promise.all(checks)).every(Boolean)).toBe(true);
  });

  it('commits plain statements outside a transaction before answering them', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `gc-plain-${i}`);
    const seen = await Promise.all(
      names.map(async (n) => {
        await t.vault.store.db.insertInto('settings').values({ name: n, value: 'v' }).execute();
        return outside(n);
      }),
    );
    expect(seen.every(Boolean)).toBe(true);
  });
});
