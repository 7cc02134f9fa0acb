/**
 * A vault without the HTTP app, for direct service tests: SQLite in a fresh temp dir, or — when
 * DATABASE_URL is set — PostgreSQL in a fresh schema dropped afterwards. A fixed clock unless told otherwise.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config.ts';
import { openVault, type Vault } from '../../src/open-vault.ts';
import type { Processor } from '../../src/payments/processor.ts';
import type { Caller } from '../../src/vault/deps.ts';
import { dropTestStorage } from '../helpers/harness.ts';

export interface TestVault {
  vault: Vault;
  /** A merchant of its own, acting through the CLI channel. */
  caller: Caller;
  close(): Promise<void>;
}

export const NOW = new Date('2030-06-15T12:00:00.000Z');

export async function openTestVault(opts: { now?: () => Date; processor?: Processor } = {}): Promise<TestVault> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tv-vault-'));
  const schema = process.env.DATABASE_URL ? `t_${randomBytes(6).toString('hex')}` : null;
  const config = loadConfig({
    TOKENVAULT_DATA_DIR: dataDir,
    TOKENVAULT_MASTER_KEY: randomBytes(32).toString('base64'),
    ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
    ...(schema ? { TOKENVAULT_DATABASE_SCHEMA: schema } : {}),
  });
  const vault = await openVault(config, { now: opts.now ?? (() => NOW), ...(opts.processor ? { processor: opts.processor } : {}) });
  const merchant = await vault.merchants.create({ name: 'Direct' }, 'cli');
  return {
    vault,
    caller: { merchantId: merchant.id, actor: 'cli' },
    async close() {
      await vault.close().catch(() => {});
      await dropTestStorage(dataDir, schema);
    },
  };
}
