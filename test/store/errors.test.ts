/**
 * Driver errors are classified in one place (store/errors.ts): an outage must answer 503 (retry later),
 * never 500, and a NUL the database cannot store is the client's error, whichever driver said so.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import type { FastifyError, FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { problemFromError } from '../../src/api/problem.ts';
import { openStore } from '../../src/store/db.ts';
import { classifyDbError, isDatabaseUnavailable, isUniqueViolation } from '../../src/store/errors.ts';

const coded = (code: string, message = 'x') => Object.assign(new Error(message), { code });
const request = { log: { warn: () => {}, error: () => {} } } as unknown as FastifyRequest;

describe('classifyDbError', () => {
  it.each([
    ['ECONNREFUSED', 'unavailable'],
    ['57P01', 'unavailable'],
    ['08006', 'unavailable'],
    ['SQLITE_BUSY', 'unavailable'],
    ['23505', 'unique_violation'],
    ['SQLITE_CONSTRAINT_UNIQUE', 'unique_violation'],
    ['SQLITE_CONSTRAINT_PRIMARYKEY', 'unique_violation'],
    ['22021', 'bad_text'],
    ['22P05', 'bad_text'],
  ])('%s is %s', (code, kind) => {
    expect(classifyDbError(coded(code))).toBe(kind);
  });

  it('knows pg and Kysely failures that carry no code by their message', () => {
    expect(classifyDbError(new Error('Connection terminated unexpectedly'))).toBe('unavailable');
  });

  it('leaves everything else alone (a bug stays a 500)', () => {
    expect(classifyDbError(new Error('boom'))).toBeNull();
    expect(classifyDbError(coded('SQLITE_CONSTRAINT_FOREIGNKEY'))).toBeNull();
    expect(classifyDbError(coded('toString'))).toBeNull();
    expect(classifyDbError(undefined)).toBeNull();
    expect(classifyDbError('text')).toBeNull();
    expect(isUniqueViolation(coded('57P01'))).toBe(false);
    expect(isDatabaseUnavailable(coded('23505'))).toBe(false);
  });

  it('maps to the problem the native API answers with', () => {
    expect(problemFromError(coded('57P01') as FastifyError, request).status).toBe(503);
    expect(problemFromError(coded('22021') as FastifyError, request)).toMatchObject({ status: 400, code: 'invalid_request' });
    expect(problemFromError(coded('SQLITE_CONSTRAINT_FOREIGNKEY') as FastifyError, request).status).toBe(500);
  });
});

describe('a closed store', () => {
  it('better-sqlite3 after this process closed it is an internal error (500), not a database to retry', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tv-errors-'));
    const raw = new SQLite(path.join(dir, 'x.db'));
    raw.close();
    let thrown: unknown;
    try {
      raw.prepare('select 1').get();
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(Error);
    expect(classifyDbError(thrown)).toBeNull();
    expect(problemFromError(thrown as FastifyError, request)).toMatchObject({ status: 500, code: 'internal_error' });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a query on a store this process already closed is an internal error (500), not a database to retry', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tv-errors-'));
    const store = await openStore({ databaseUrl: null, databaseSchema: null, dataDir: dir, databasePoolSize: 1 });
    expect(await store.ping()).toBe(true);
    await store.close();
    const thrown = await sql`select 1`.execute(store.db).then(
      () => null,
      (e: unknown) => e,
    );
    expect(thrown).toBeInstanceOf(Error);
    expect(classifyDbError(thrown)).toBeNull();
    expect(problemFromError(thrown as FastifyError, request)).toMatchObject({ status: 500, code: 'internal_error' });
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
