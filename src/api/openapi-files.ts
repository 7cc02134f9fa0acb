/**
 * `tokenvault openapi --out DIR`: the documents the server serves, written to files (for linting, client
 * generators, publishing), from an app built on a throwaway SQLite vault with a throwaway master key, so it
 * needs no database and touches no real one.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildApp, openVault } from '../app.ts';
import { loadConfig } from '../config.ts';
import { DOCUMENT_IDS, documentUrl } from './openapi.ts';

export async function writeDocuments(outDir: string): Promise<string[]> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenvault-openapi-'));
  try {
    const config = loadConfig({
      TOKENVAULT_DATA_DIR: scratch,
      TOKENVAULT_MASTER_KEY: randomBytes(32).toString('base64'),
      TOKENVAULT_ADMIN_TOKEN: randomBytes(24).toString('hex'),
    });
    const vault = await openVault(config);
    const app = await buildApp(config, vault, () => false, { logger: false });
    try {
      fs.mkdirSync(outDir, { recursive: true });
      const written: string[] = [];
      for (const id of DOCUMENT_IDS) {
        const res = await app.inject({ method: 'GET', url: documentUrl(id) });
        if (res.statusCode !== 200) throw new Error(`${documentUrl(id)} answered ${res.statusCode}`);
        const file = path.join(outDir, `${id}.json`);
        fs.writeFileSync(file, `${JSON.stringify(res.json(), null, 2)}\n`);
        written.push(file);
      }
      return written;
    } finally {
      await app.close();
      await vault.close();
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
