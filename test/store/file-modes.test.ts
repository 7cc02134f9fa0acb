/**
 * Files the server writes are owner-only whatever existed before (issue 16, finding 8). Threat: a data
 * directory made beforehand with 0755 (by an installer, or `mkdir data`) left the database, its WAL and the
 * development key world-readable: holder names, emails and the audit log. SQLite only: PostgreSQL's files are
 * the database server's.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openVault, type Vault } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';

const dirs: string[] = [];
const vaults: Vault[] = [];
afterEach(async () => {
  for (const v of vaults.splice(0)) await v.close().catch(() => {});
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function preparedDataDir(): string {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'tv-modes-'));
  dirs.push(parent);
  const dataDir = path.join(parent, 'data');
  fs.mkdirSync(dataDir);
  fs.chmodSync(dataDir, 0o755);
  return dataDir;
}

/** Opens the vault on the directory (SQLite, a development key) and writes to the database. */
async function openAndWrite(dataDir: string): Promise<Vault> {
  const vault = await openVault(loadConfig({ TOKENVAULT_DATA_DIR: dataDir, LOG_LEVEL: 'silent' }));
  vaults.push(vault);
  await vault.merchants.create({ name: 'Modes' }, 'test');
  return vault;
}

function modes(dataDir: string): Record<string, string> {
  const out: Record<string, string> = { '.': (fs.statSync(dataDir).mode & 0o777).toString(8) };
  for (const f of fs.readdirSync(dataDir)) out[f] = (fs.statSync(path.join(dataDir, f)).mode & 0o777).toString(8);
  return out;
}

describe('data directory and file modes (SQLite)', () => {
  it('a data directory made 0755 beforehand: the directory becomes 0700, every file in it 0600, and start-up says so', async () => {
    const dataDir = preparedDataDir();
    const vault = await openAndWrite(dataDir);
    const seen = modes(dataDir);
    expect(Object.keys(seen).sort()).toEqual(['.', 'master.key', 'tokenvault.db', 'tokenvault.db-shm', 'tokenvault.db-wal']);
    for (const [name, mode] of Object.entries(seen)) expect(mode, name).toBe(name === '.' ? '700' : '600');
    expect(vault.store.tightened).toEqual([`${dataDir} (0755 → 0700)`]);
  });

  it('an existing database, WAL and key left 0644 (an older version, a copy, a loose umask) are made 0600', async () => {
    const dataDir = preparedDataDir();
    await (await openAndWrite(dataDir)).close();
    vaults.length = 0;
    for (const f of fs.readdirSync(dataDir)) fs.chmodSync(path.join(dataDir, f), 0o644);
    fs.chmodSync(dataDir, 0o755);
    const vault = await openAndWrite(dataDir);
    for (const [name, mode] of Object.entries(modes(dataDir))) expect(mode, name).toBe(name === '.' ? '700' : '600');
    // Whatever files the closed database left behind, each was reported.
    const reported = (vault.store.tightened ?? []).map((t) => path.basename(t.split(' ')[0] as string));
    expect(reported).toContain('data');
    expect(reported).toContain('tokenvault.db');
    expect(reported).toContain('master.key');
  });

  it('an empty 0644 database file made beforehand is used and made 0600, and the WAL SQLite creates follows it', async () => {
    const dataDir = preparedDataDir();
    fs.writeFileSync(path.join(dataDir, 'master.key'), `${Buffer.alloc(32, 7).toString('base64')}\n`, { mode: 0o644 });
    fs.writeFileSync(path.join(dataDir, 'tokenvault.db'), '', { mode: 0o644 });
    fs.chmodSync(path.join(dataDir, 'tokenvault.db'), 0o644);
    fs.chmodSync(path.join(dataDir, 'master.key'), 0o644);
    await openAndWrite(dataDir);
    const seen = modes(dataDir);
    expect(seen['tokenvault.db-wal']).toBe('600');
    for (const [name, mode] of Object.entries(seen)) expect(mode, name).toBe(name === '.' ? '700' : '600');
  });

  it('under a permissive umask (0000) new files are still 0600', async () => {
    const dataDir = preparedDataDir();
    const old = process.umask(0);
    try {
      await openAndWrite(dataDir);
    } finally {
      process.umask(old);
    }
    for (const [name, mode] of Object.entries(modes(dataDir))) expect(mode, name).toBe(name === '.' ? '700' : '600');
  });
});
