/**
 * Issue 16, finding 1: key rotation and retirement complete on a database holding every kind of record
 * (live, suspended, deleted and consumed cards, a held CVV, a live session, credentials, a merchant already
 * crypto-shredded), while traffic goes on; afterwards nothing is encrypted under a retired version. Both
 * backends (DATABASE_URL picks PostgreSQL). Before the fix, one deleted card made `rotate --data` fail after
 * 20 passes ("1 records still use an old data key").
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openVault, type Vault } from '../../src/app.ts';
import { dataKeyVersion } from '../../src/crypto/keyring.ts';
import { kekVersionOf, loadMasterKey, writeKeyFile } from '../../src/crypto/master-key.ts';
import { DATA_KEY_FIELDS, SESSION_KEY } from '../../src/store/encrypted-fields.ts';
import { type EveryRecord, fillEveryRecord, visaNumber } from '../helpers/every-record.ts';
import { client, futureYear, makeTestApp, type TestApp } from '../helpers/harness.ts';

const keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tv-keys-every-'));
const keyFile = path.join(keyDir, 'master.key');
let t: TestApp;
let cli: Vault;
let fixture: EveryRecord;

beforeAll(async () => {
  fs.writeFileSync(keyFile, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  t = await makeTestApp({ env: { TOKENVAULT_MASTER_KEY: '', TOKENVAULT_MASTER_KEY_FILE: keyFile, TOKENVAULT_KEY_CACHE_SECONDS: '1' } });
  fixture = await fillEveryRecord(t, 1);
  cli = await openVault(t.config, { migrate: false });
});
afterAll(async () => {
  await cli?.close();
  await t?.close();
  fs.rmSync(keyDir, { recursive: true, force: true });
});

/** Every registered data-key value of merchants that still have keys, with the version it is under. */
async function dataValues(): Promise<{ table: string; merchant: string; version: number; id: string; ct: string }[]> {
  const out: { table: string; merchant: string; version: number; id: string; ct: string }[] = [];
  for (const f of DATA_KEY_FIELDS) {
    const { rows } = await sql<{ id: string; merchant_id: string; ct: string }>`
      select id, merchant_id, ${sql.ref(f.column)} as ct from ${sql.table(f.table)}
      where ${sql.ref(f.column)} is not null
      and merchant_id in (select merchant_id from data_keys)`.execute(t.vault.store.db);
    for (const r of rows) out.push({ table: f.table, merchant: r.merchant_id, version: dataKeyVersion(r.ct), id: r.id, ct: r.ct });
  }
  return out;
}

describe('rotation and retirement on a database holding every kind of record', () => {
  it('data-key rotation completes with a deleted card, a held CVV, a session and a shredded merchant, under traffic', async () => {
    const c = client(t, fixture.merchant.apiKey);
    const statuses: number[] = [];
    let rotating = true;
    let n = 0;
    // Traffic that makes and destroys every kind of record while the rotation runs.
    const traffic = async () => {
      while (rotating || n < 6) {
        n++;
        const made = await c.post('/v1/cards', { number: visaNumber(5000 + n), expMonth: 3, expYear: futureYear(), cvv: '246' });
        statuses.push(made.statusCode);
        if (made.statusCode !== 201) continue;
        const token = made.json().token as string;
        if (n % 2 === 0) statuses.push((await c.delete(`/v1/cards/${token}`)).statusCode);
        else statuses.push((await c.post('/v1/payments', { token, amount: 500, currency: 'USD' })).statusCode);
      }
    };
    const rotate = async () => {
      try {
        return await cli.keys.rotateData();
      } finally {
        rotating = false;
      }
    };
    const [r] = await Promise.all([rotate(), traffic()]);
    expect(r.passes).toBeLessThan(20);
    expect(statuses.length).toBeGreaterThan(6);
    expect(statuses.filter((s) => s >= 300)).toEqual([]);
    expect((await cli.keys.status()).job).toBeNull();

    // Nothing left on an old version: every value is on its merchant's newest key.
    const active = Math.max(...(await cli.keys.status()).data.map((d) => d.version));
    const values = await dataValues();
    expect(new Set(values.map((v) => v.table))).toEqual(new Set(DATA_KEY_FIELDS.map((f) => f.table)));
    expect(values.filter((v) => v.version !== active)).toEqual([]);
  });

  it('retires every old data-key version, and every live record still reads afterwards', async () => {
    const st = await cli.keys.status();
    const active = Math.max(...st.data.map((d) => d.version));
    for (const d of st.data.filter((d) => d.version < active)) {
      const r = await cli.keys.retireData(d.version);
      expect(r.ok ? 'ok' : r.error).toBe('ok');
    }
    expect((await cli.keys.status()).data.map((d) => d.version)).toEqual([active]);

    // The live card reveals through the server (which must drop its cached old key version).
    const c = client(t, fixture.merchant.apiKey);
    expect((await c.get(`/v1/cards/${fixture.tokens.live}`)).statusCode).toBe(200);
    expect((await c.get(`/v1/cards/${fixture.tokens.suspended}`)).statusCode).toBe(200);
    // Every value under a data key still decrypts with the keys that remain.
    for (const v of await dataValues()) {
      const aad = DATA_KEY_FIELDS.find((f) => f.table === v.table)?.aad(v.merchant, v.id) as string;
      await expect(cli.keyring.decrypt(v.merchant, aad, v.ct)).resolves.toBeInstanceOf(Buffer);
    }
    // The session key in particular (AlliancePay sessions survive a rotation instead of ending).
    const session = await t.vault.store.db
      .selectFrom('gateway_sessions')
      .select(['server_key_ct', 'merchant_id'])
      .where('id', '=', fixture.sessionDevice)
      .executeTakeFirstOrThrow();
    await expect(
      cli.keyring.decrypt(session.merchant_id, SESSION_KEY.aad(session.merchant_id, fixture.sessionDevice), session.server_key_ct),
    ).resolves.toBeInstanceOf(Buffer);
    // The held CVV is under a window key, not a data key: retirement left it usable.
    expect((await t.vault.cards.takeCvv({ merchantId: fixture.merchant.id, actor: 'test' }, fixture.tokens.heldCvv))?.cvv).toBe(
      fixture.cvv,
    );
  });

  it('master-key rotation re-wraps every registered wrapped value, window keys included', async () => {
    const c = client(t, fixture.merchant.apiKey);
    // A held CVV, so a window key exists.
    expect((await c.post('/v1/cards', { number: visaNumber(9001), expMonth: 3, expYear: futureYear(), cvv: '975' })).statusCode).toBe(201);
    expect((await cli.keys.status()).windowKeys).toBeGreaterThan(0);
    const loaded = loadMasterKey({ masterKey: null, masterKeyFile: keyFile, dataDir: keyDir });
    const next = Math.max(...loaded.versions.keys()) + 1;
    writeKeyFile(keyFile, new Map([...loaded.versions, [next, randomBytes(32)]]));
    await cli.close();
    cli = await openVault(t.config, { migrate: false });
    expect((await cli.keys.rewrapAll()).to).toBe(next);
    for (let v = 1; v < next; v++) expect(await cli.keys.masterVersionInUse(v)).toBe(0);
    const windows = await t.vault.store.db.selectFrom('window_keys').select('wrapped').execute();
    expect(windows.length).toBeGreaterThan(0);
    expect(windows.every((w) => kekVersionOf(w.wrapped) === next)).toBe(true);
    expect(Object.keys((await cli.keys.status()).master.wrappedValues)).toEqual([`k${next}`]);
  });

  it('resumes a rotation interrupted part-way, and finishes it', async () => {
    let calls = 0;
    await expect(
      cli.keys.rotateData(() => {
        calls++;
        throw new Error('interrupted');
      }),
    ).rejects.toThrow('interrupted');
    expect(calls).toBe(1);
    expect((await cli.keys.status()).job).not.toBeNull();
    const r = await cli.keys.rotateData();
    expect(r.resumed).toBe(true);
    expect((await cli.keys.status()).job).toBeNull();
    const active = Math.max(...(await cli.keys.status()).data.map((d) => d.version));
    expect((await dataValues()).filter((v) => v.version !== active)).toEqual([]);
  });
});
