/**
 * Online rotation: both key levels rotate (from a second vault instance, as the CLI would) while the
 * server tokenizes and reads; every request must succeed and every record must still decrypt.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openVault, type Vault } from '../../src/app.ts';

import { kekVersionOf, loadMasterKey, writeKeyFile } from '../../src/crypto/master-key.ts';
import { luhnValid } from '../../src/domain/card.ts';
import { PAN } from '../../src/store/encrypted-fields.ts';
import { client, createMerchant, futureYear, makeTestApp, type TestApp } from '../helpers/harness.ts';

const keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tv-keys-'));
const keyFile = path.join(keyDir, 'master.key');
let t: TestApp;
let cli: Vault;

/** A fresh Luhn-valid Visa number per call. */
let counter = 0;
function nextPan(): string {
  counter++;
  const body = `4${String(counter).padStart(14, '0')}`;
  for (let d = 0; d < 10; d++) if (luhnValid(`${body}${d}`)) return `${body}${d}`;
  throw new Error('unreachable');
}

beforeAll(async () => {
  fs.writeFileSync(keyFile, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  t = await makeTestApp({ env: { TOKENVAULT_MASTER_KEY: '', TOKENVAULT_MASTER_KEY_FILE: keyFile, TOKENVAULT_KEY_CACHE_SECONDS: '1' } });
  cli = await openVault(t.config, { migrate: false });
});
afterAll(async () => {
  await cli?.close();
  await t?.close();
  fs.rmSync(keyDir, { recursive: true, force: true });
});

describe('online key rotation', () => {
  it('rotates the master key and the data keys under load: no failed request, every record decrypts', async () => {
    const merchants = await Promise.all([createMerchant(t, 'rot A'), createMerchant(t, 'rot B')]);
    const clients = merchants.map((m) => client(t, m.apiKey));
    const tokens: { c: number; token: string }[] = [];
    for (let i = 0; i < 30; i++) {
      const c = i % 2;
      const res = await clients[c]!.post('/v1/cards', { number: nextPan(), expMonth: 5, expYear: futureYear() });
      tokens.push({ c, token: res.json().token });
    }

    const statuses: number[] = [];
    let rotating = true;
    const load = async (worker: number) => {
      let i = 0;
      while (rotating || i < 10) {
        const c = (worker + i) % 2;
        const write = await clients[c]!.post('/v1/cards', { number: nextPan(), expMonth: 6, expYear: futureYear() });
        statuses.push(write.statusCode);
        if (write.statusCode === 201) tokens.push({ c, token: write.json().token });
        const pick = tokens[i % tokens.length]!;
        statuses.push((await clients[pick.c]!.get(`/v1/cards/${pick.token}`)).statusCode);
        i++;
      }
    };
    const rotate = async () => {
      // Master key: add version 2 to the key file, then re-wrap every data key (as `keys rotate`).
      const loaded = loadMasterKey({ masterKey: null, masterKeyFile: keyFile, dataDir: keyDir });
      writeKeyFile(keyFile, new Map([...loaded.versions, [2, randomBytes(32)]]));
      await cli.close();
      cli = await openVault(t.config, { migrate: false });
      const rewrap = await cli.keys.rewrapAll();
      expect(rewrap.to).toBe(2);
      // Data keys: new versions, records re-encrypted while the server keeps writing with whichever it has.
      const progress: number[] = [];
      await cli.keys.rotateData((p) => progress.push(p.done));
      expect(progress.length).toBeGreaterThan(0);
      rotating = false;
    };
    await Promise.all([load(0), load(1), load(2), rotate()]);

    expect(statuses.length).toBeGreaterThan(40);
    expect(statuses.filter((s) => s !== 200 && s !== 201)).toEqual([]);

    // Every card number decrypts with the server's keys, and every one is on the new data key.
    const rows = await t.vault.store.db
      .selectFrom('instrument_identifiers')
      .select(['id', 'merchant_id', 'pan_ct', 'key_version'])
      .execute();
    expect(rows.length).toBeGreaterThanOrEqual(tokens.length);
    for (const row of rows) {
      const pan = await t.vault.keyring.decrypt(row.merchant_id, PAN.aad(row.merchant_id, row.id), row.pan_ct as string);
      expect(luhnValid(pan.toString())).toBe(true);
      expect(Number(row.key_version)).toBe(2);
    }
    const wrapped = await t.vault.store.db.selectFrom('data_keys').select('wrapped').execute();
    expect(wrapped.every((w) => kekVersionOf(w.wrapped) === 2)).toBe(true);

    const status = await cli.keys.status();
    expect(status.data.find((d) => d.version === 1)).toMatchObject({ activeFor: 0, records: 0 });
    expect(status.job).toBeNull();
    expect(await cli.keys.masterVersionInUse(1)).toBe(0);
    expect((await cli.audit.verify()).ok).toBe(true);
  });

  it('refuses to retire a data-key version still in use, and retires it once unused', async () => {
    const st = await cli.keys.status();
    const active = Math.max(...st.data.map((d) => d.version));
    const refused = await cli.keys.retireData(active);
    expect(refused.ok).toBe(false);
    const old = st.data.filter((d) => d.version < active);
    for (const d of old) expect((await cli.keys.retireData(d.version)).ok).toBe(true);
    expect((await cli.keys.status()).data.map((d) => d.version)).toEqual([active]);
    // Records still read after the old version is gone.
    const m = await createMerchant(t, 'after retire');
    const c = client(t, m.apiKey);
    expect((await c.post('/v1/cards', { number: nextPan(), expMonth: 1, expYear: futureYear() })).statusCode).toBe(201);
  });

  it('resumes an interrupted data-key rotation from its checkpoint instead of starting over', async () => {
    const m = await createMerchant(t, 'resume');
    const c = client(t, m.apiKey);
    for (let i = 0; i < 5; i++) await c.post('/v1/cards', { number: nextPan(), expMonth: 2, expYear: futureYear() });
    // An interrupted job: its checkpoint row exists, no new key versions are to be made.
    await t.vault.store.db
      .insertInto('settings')
      .values({ name: 'rekey_job', value: JSON.stringify({ startedAt: new Date().toISOString(), lastId: '' }) })
      .execute();
    const before = (await cli.keys.status()).data.map((d) => d.version);
    const r = await cli.keys.rotateData();
    expect(r.resumed).toBe(true);
    expect((await cli.keys.status()).data.map((d) => d.version)).toEqual(before);
    expect((await cli.keys.status()).job).toBeNull();
  });
});
