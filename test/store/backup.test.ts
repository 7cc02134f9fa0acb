/**
 * Backup and restore (issue 17, part 4): `tokenvault backup --out FILE` copies a SQLite database while the
 * server runs; restored into an empty data directory with the same master key, every card reveals as it was;
 * with another key the restored vault refuses to start. On PostgreSQL the command points at pg_dump.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { compactDecrypt, exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { visaNumber } from '../helpers/every-record.ts';
import { backend, client, createMerchant, futureYear, makeTestApp, type TestApp } from '../helpers/harness.ts';

const run = promisify(execFile);
const BIN = path.resolve('bin/tokenvault.mjs');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tv-backup-'));
let t: TestApp;
beforeAll(async () => {
  t = await makeTestApp();
});
afterAll(async () => {
  await t?.close();
  fs.rmSync(work, { recursive: true, force: true });
});

// One test per backend, no skipped test: each backend checks what backup means for it.
describe(`backup and restore (${backend})`, () => {
  it(
    backend === 'sqlite'
      ? 'a backup taken while the server runs restores into a fresh data directory and reveals every card'
      : 'points at pg_dump instead of writing a file',
    async () => {
      if (backend === 'postgres') {
        const out = path.join(work, 'pg.backup');
        expect(await t.vault.store.backup(out)).toBeNull();
        expect(fs.existsSync(out)).toBe(false);
        return;
      }
      const m = await createMerchant(t, 'backed up');
      const c = client(t, m.apiKey);
      const numbers = [visaNumber(9101), visaNumber(9102), visaNumber(9103)];
      const tokens: string[] = [];
      for (const number of numbers) {
        const res = await c.post('/v1/cards', { number, expMonth: 4, expYear: futureYear(), holderName: 'Ada Lovelace' });
        expect(res.statusCode).toBe(201);
        tokens.push(res.json().token);
      }

      // The real command, in another process, beside the running server.
      const out = path.join(work, 'vault.backup');
      const env = {
        ...process.env,
        TOKENVAULT_DATA_DIR: t.config.dataDir,
        TOKENVAULT_MASTER_KEY: t.config.masterKey ?? '',
        DATABASE_URL: '',
      };
      const { stdout } = await run(process.execPath, [BIN, 'backup', '--out', out], { env, timeout: 120_000 });
      expect(stdout).toContain('backup written to');
      expect(fs.statSync(out).mode & 0o777).toBe(0o600);
      // It never overwrites.
      await expect(run(process.execPath, [BIN, 'backup', '--out', out], { env, timeout: 120_000 })).rejects.toMatchObject({ code: 1 });

      const restoredDir = fs.mkdtempSync(path.join(work, 'restored-'));
      fs.copyFileSync(out, path.join(restoredDir, 'tokenvault.db'));
      const restored = await makeTestApp({ env: { TOKENVAULT_DATA_DIR: restoredDir, TOKENVAULT_MASTER_KEY: t.config.masterKey ?? '' } });
      try {
        const rc = client(restored, m.apiKey);
        const pair = await generateKeyPair('RSA-OAEP-256', { extractable: true });
        const jwk = await exportJWK(pair.publicKey);
        for (const [i, token] of tokens.entries()) {
          const res = await rc.post(`/v1/cards/${token}/reveal`, { purpose: 'restore check', jwk });
          expect(res.statusCode, res.body).toBe(200);
          const plain = JSON.parse(new TextDecoder().decode((await compactDecrypt(res.json().jwe, pair.privateKey)).plaintext));
          expect(plain.number).toBe(numbers[i]);
        }
        expect((await restored.vault.audit.verify()).ok).toBe(true);
      } finally {
        await restored.close();
      }

      // The copy is useless without its master key: another key refuses to open it.
      const wrongDir = fs.mkdtempSync(path.join(work, 'wrong-'));
      fs.copyFileSync(out, path.join(wrongDir, 'tokenvault.db'));
      await expect(makeTestApp({ env: { TOKENVAULT_DATA_DIR: wrongDir } })).rejects.toThrow(/master key/);
    },
  );
});
