/**
 * Fail closed on keys (issue 16, finding 5). Threats: a replica started on the same database with another
 * master key (or none) that reports ready and answers every card operation with 500; a development key
 * made up next to a database it cannot open; a rotation whose new version is then refused.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp, openVault, type Vault } from '../../src/app.ts';
import { type Config, loadConfig } from '../../src/config.ts';
import {
  compareKeyCheck,
  formatKeyCheckRecord,
  type KeyCheckRecord,
  keyCheckValue,
  loadMasterKey,
  MASTER_KEY_CHECK_SETTING,
  MasterKeyError,
  parseKeyCheckRecord,
  writeKeyFile,
} from '../../src/crypto/master-key.ts';
import { merchantStore } from '../../src/store/merchant-store.ts';
import { createMasterKeyCheck } from '../../src/vault/master-key-check.ts';
import { backend } from '../helpers/harness.ts';

const key = () => randomBytes(32);
const b64 = (k: Buffer) => k.toString('base64');
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** One database (a SQLite data dir, or a PostgreSQL schema on this backend) that several opens share. */
function sharedDatabase(kind: 'sqlite' | 'postgres' = backend) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tv-kcv-'));
  const schema = kind === 'postgres' ? `kcv_${randomBytes(5).toString('hex')}` : null;
  const opened: Vault[] = [];
  cleanups.push(async () => {
    for (const v of opened) await v.close().catch(() => {});
    if (schema && process.env.DATABASE_URL) {
      const c = new pg.Client({ connectionString: process.env.DATABASE_URL });
      await c.connect();
      await c.query(`drop schema if exists ${schema} cascade`);
      await c.end();
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  const config = (env: Record<string, string> = {}): Config =>
    loadConfig({
      TOKENVAULT_DATA_DIR: dataDir,
      TOKENVAULT_ADMIN_TOKEN: 'kcv-test-admin-token-0123456789',
      LOG_LEVEL: 'silent',
      ...(schema && process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL, TOKENVAULT_DATABASE_SCHEMA: schema } : {}),
      ...env,
    });
  return {
    dataDir,
    config,
    async open(env: Record<string, string> = {}): Promise<Vault> {
      const v = await openVault(config(env));
      opened.push(v);
      return v;
    },
  };
}

const refusal = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected the vault to refuse to open');
    },
    (e: unknown) => e as Error,
  );

describe('the key check rule (compareKeyCheck)', () => {
  const kcv = (k: Buffer) => keyCheckValue(k);
  const [k1, k2, k3] = [key(), key(), key()];
  const record = (versions: Record<number, Buffer>, retired: number[] = []): KeyCheckRecord => ({
    versions: Object.fromEntries(Object.entries(versions).map(([v, k]) => [v, kcv(k)])),
    retired,
  });

  it('a check value names the key without revealing it: fixed length, differs per key, stable per key', () => {
    expect(kcv(k1)).toMatch(/^[0-9a-f]{32}$/);
    expect(kcv(k1)).toBe(kcv(Buffer.from(k1)));
    expect(kcv(k1)).not.toBe(kcv(k2));
    expect(kcv(k1)).not.toContain(k1.toString('hex').slice(0, 32));
  });

  it('a new database records every loaded version', () => {
    expect(compareKeyCheck(null, new Map([[1, kcv(k1)]]))).toEqual({ ok: true, add: new Map([[1, kcv(k1)]]) });
  });

  it('refuses a loaded version whose value differs, even alongside a matching one', () => {
    const loaded = new Map([
      [1, kcv(k1)],
      [2, kcv(k3)],
    ]);
    expect(compareKeyCheck(record({ 1: k1, 2: k2 }), loaded)).toEqual({ ok: false, problem: 'mismatch', versions: [2] });
  });

  it('refuses when no loaded version is one the database knows', () => {
    expect(compareKeyCheck(record({ 1: k1 }), new Map([[2, kcv(k2)]]))).toEqual({ ok: false, problem: 'unknown', versions: [2] });
  });

  it('records a version added for rotation once another loaded version matched', () => {
    const loaded = new Map([
      [1, kcv(k1)],
      [2, kcv(k2)],
    ]);
    expect(compareKeyCheck(record({ 1: k1 }), loaded)).toEqual({ ok: true, add: new Map([[2, kcv(k2)]]) });
  });

  it('a retired version no longer vouches on its own, and is not recorded again', () => {
    expect(compareKeyCheck(record({ 1: k1, 2: k2 }, [1]), new Map([[1, kcv(k1)]]))).toMatchObject({ ok: false, problem: 'unknown' });
    expect(compareKeyCheck(record({ 2: k2 }, [1]), new Map([[1, kcv(k1)]]))).toMatchObject({ ok: false, problem: 'unknown' });
    expect(
      compareKeyCheck(
        record({ 2: k2 }, [1]),
        new Map([
          [1, kcv(k1)],
          [2, kcv(k2)],
        ]),
      ),
    ).toEqual({ ok: true, add: new Map() });
  });
});

describe(`a second instance on the same database (${backend})`, () => {
  it('with a different master key refuses to start, naming the setting', async () => {
    const db = sharedDatabase();
    const first = await db.open({ TOKENVAULT_MASTER_KEY: b64(key()) });
    await first.merchants.create({ name: 'Before the replica' }, 'test');
    const e = await refusal(db.open({ TOKENVAULT_MASTER_KEY: b64(key()) }));
    expect(e).toBeInstanceOf(MasterKeyError);
    expect(e.message).toMatch(/^the master key from TOKENVAULT_MASTER_KEY does not match this database: version 1 differs/);
    expect(e.message).toContain('set TOKENVAULT_MASTER_KEY or TOKENVAULT_MASTER_KEY_FILE');
  });

  it('with a key file holding another key refuses too, naming the file setting', async () => {
    const db = sharedDatabase();
    await db.open({ TOKENVAULT_MASTER_KEY: b64(key()) });
    const file = path.join(db.dataDir, 'other.key');
    writeKeyFile(file, new Map([[1, key()]]));
    const e = await refusal(db.open({ TOKENVAULT_MASTER_KEY_FILE: file }));
    expect(e).toBeInstanceOf(MasterKeyError);
    expect(e.message).toContain(`TOKENVAULT_MASTER_KEY_FILE (${file})`);
  });

  it('with the same key opens, as often as needed', async () => {
    const db = sharedDatabase();
    const k = b64(key());
    await db.open({ TOKENVAULT_MASTER_KEY: k });
    const second = await db.open({ TOKENVAULT_MASTER_KEY: k });
    expect((await second.keyCheck.status()) satisfies string).toBe('ok');
  });

  it('accepts the new version after a master-key rotation, and afterwards the new version alone', async () => {
    const db = sharedDatabase();
    const file = path.join(db.dataDir, 'rotating.key');
    const [v1, v2] = [key(), key()];
    writeKeyFile(file, new Map([[1, v1]]));
    const first = await db.open({ TOKENVAULT_MASTER_KEY_FILE: file });
    await first.merchants.create({ name: 'Rotated' }, 'test');
    // As `keys rotate`: a version added to the key file, then every data key re-wrapped.
    writeKeyFile(
      file,
      new Map([
        [1, v1],
        [2, v2],
      ]),
    );
    const rotating = await db.open({ TOKENVAULT_MASTER_KEY_FILE: file });
    expect((await rotating.keys.rewrapAll()).to).toBe(2);
    const record = parseKeyCheckRecord(await merchantStore.getSetting(rotating.store.db, MASTER_KEY_CHECK_SETTING));
    expect(record?.versions).toEqual({ '1': keyCheckValue(v1), '2': keyCheckValue(v2) });
    // As `keys retire --master 1`.
    await rotating.keyCheck.recordRetired(1);
    expect(await db.open({ TOKENVAULT_MASTER_KEY: `2:${b64(v2)}` })).toBeTruthy();
    // A server still holding only the retired version is refused; so is a different key calling itself version 2.
    expect((await refusal(db.open({ TOKENVAULT_MASTER_KEY: `1:${b64(v1)}` }))).message).toMatch(/is not one this database knows/);
    expect((await refusal(db.open({ TOKENVAULT_MASTER_KEY: `1:${b64(v1)},2:${b64(key())}` }))).message).toMatch(/version 2 differs/);
  });

  it('a running server that loaded only the old version stays ready through rotation and retirement by the CLI', async () => {
    const db = sharedDatabase();
    const file = path.join(db.dataDir, 'served.key');
    const [v1, v2] = [key(), key()];
    writeKeyFile(file, new Map([[1, v1]]));
    const server = await db.open({ TOKENVAULT_MASTER_KEY_FILE: file });
    await server.merchants.create({ name: 'Served' }, 'test');
    const statusNow = () =>
      createMasterKeyCheck({ db: server.store.db, master: server.master, keyring: server.keyring, source: 'test', cacheMs: 0 }).status();
    writeKeyFile(
      file,
      new Map([
        [1, v1],
        [2, v2],
      ]),
    );
    const cli = await db.open({ TOKENVAULT_MASTER_KEY_FILE: file });
    await cli.keys.rewrapAll();
    writeKeyFile(file, new Map([[2, v2]]));
    await cli.keyCheck.recordRetired(1);
    // The server never unwrapped under version 2, yet it can (its key file has it): ready.
    expect(await statusNow()).toBe('ok');
    // A key file that now holds another key as version 2: not ready.
    writeKeyFile(file, new Map([[2, key()]]));
    expect(await statusNow()).toBe('mismatch');
  });

  it('a database from before key check values accepts only a key that opens its data keys, then records it', async () => {
    const db = sharedDatabase();
    const k = b64(key());
    const first = await db.open({ TOKENVAULT_MASTER_KEY: k });
    await first.merchants.create({ name: 'Legacy' }, 'test');
    await first.store.db.deleteFrom('settings').where('name', '=', MASTER_KEY_CHECK_SETTING).execute();
    const e = await refusal(db.open({ TOKENVAULT_MASTER_KEY: b64(key()) }));
    expect(e.message).toMatch(/does not open this database's data keys/);
    expect(await merchantStore.getSetting(first.store.db, MASTER_KEY_CHECK_SETTING)).toBeUndefined();
    await db.open({ TOKENVAULT_MASTER_KEY: k });
    expect(await merchantStore.getSetting(first.store.db, MASTER_KEY_CHECK_SETTING)).toBeDefined();
  });

  it('/readyz is not ready (503) once the loaded key no longer matches the database', async () => {
    const db = sharedDatabase();
    const vault = await db.open({ TOKENVAULT_MASTER_KEY: b64(key()) });
    const app = await buildApp(db.config(), vault, () => false, { logger: false });
    cleanups.push(() => app.close());
    // The database's record now names another key (restored from elsewhere, or re-initialised): no earlier
    // /readyz call was made, so nothing is cached.
    await merchantStore.setSetting(
      vault.store.db,
      MASTER_KEY_CHECK_SETTING,
      formatKeyCheckRecord({ versions: { '1': keyCheckValue(key()) }, retired: [] }),
    );
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ status: 'not ready', database: 'up', keys: 'mismatch' });
  });
});

describe('the readiness key check is cached briefly', () => {
  it('reads the database again only after the cache time, on its own clock', async () => {
    const db = sharedDatabase();
    const vault = await db.open({ TOKENVAULT_MASTER_KEY: b64(key()) });
    let now = 1_000_000;
    const check = createMasterKeyCheck({
      db: vault.store.db,
      master: vault.master,
      keyring: vault.keyring,
      source: 'test',
      cacheMs: 5000,
      clock: () => now,
    });
    expect(await check.status()).toBe('ok');
    const saved = await merchantStore.getSetting(vault.store.db, MASTER_KEY_CHECK_SETTING);
    await merchantStore.setSetting(
      vault.store.db,
      MASTER_KEY_CHECK_SETTING,
      formatKeyCheckRecord({ versions: { '1': keyCheckValue(key()) }, retired: [] }),
    );
    now += 4999;
    expect(await check.status()).toBe('ok');
    now += 1;
    expect(await check.status()).toBe('mismatch');
    await merchantStore.setSetting(vault.store.db, MASTER_KEY_CHECK_SETTING, saved as string);
    now += 5000;
    expect(await check.status()).toBe('ok');
  });
});

describe('development keys: only for a new embedded SQLite database', () => {
  it('refuses to make one when DATABASE_URL is set, and writes nothing', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tv-kcv-'));
    cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
    const config = loadConfig({ TOKENVAULT_DATA_DIR: dir, DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test' });
    const e = await refusal(openVault(config));
    expect(e).toBeInstanceOf(MasterKeyError);
    expect(e.message).toMatch(/^no master key: set TOKENVAULT_MASTER_KEY \(base64, 32 bytes\) or TOKENVAULT_MASTER_KEY_FILE/);
    expect(e.message).toContain('never with DATABASE_URL');
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('makes one for a fresh data directory, and reuses it', async () => {
    const db = sharedDatabase('sqlite');
    const first = await db.open();
    expect(first.masterKey.source).toBe('generated');
    const again = await db.open();
    expect(again.masterKey.source).toBe('dev-file');
    expect(again.masterKey.key.equals(first.masterKey.key)).toBe(true);
  });

  it('refuses an existing database whose master.key is gone, instead of making a new key', async () => {
    const db = sharedDatabase('sqlite');
    const first = await db.open();
    await first.close();
    fs.rmSync(path.join(db.dataDir, 'master.key'));
    const e = await refusal(db.open());
    expect(e).toBeInstanceOf(MasterKeyError);
    expect(e.message).toContain(`${db.dataDir} holds a database but not its master.key`);
    expect(fs.existsSync(path.join(db.dataDir, 'master.key'))).toBe(false);
    // Only the loader's rule, without opening anything: the same refusal.
    expect(() => loadMasterKey({ masterKey: null, masterKeyFile: null, dataDir: db.dataDir })).toThrow(MasterKeyError);
  });
});
