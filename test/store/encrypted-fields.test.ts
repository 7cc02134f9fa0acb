/**
 * The registry of encrypted fields (src/store/encrypted-fields.ts) is the one list rotation, retirement,
 * shredding and `keys status` read. This fails when a column holds ciphertext the registry does not name
 * (a new secret column would otherwise be missed by rotation), or names a column the schema does not have.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENCRYPTED_COLUMNS } from '../../src/store/encrypted-fields.ts';
import { fillEveryRecord } from '../helpers/every-record.ts';
import { backend, makeTestApp, type TestApp } from '../helpers/harness.ts';

let t: TestApp;
beforeAll(async () => {
  t = await makeTestApp();
  await fillEveryRecord(t, 2);
  // The audit signing key exists once a checkpoint was signed.
  await t.vault.audit.checkpoint();
});
afterAll(() => t.close());

/** This test app's tables (on PostgreSQL the introspection lists every schema's). */
const ownTables = async () =>
  (await t.vault.store.db.introspection.getTables()).filter((tb) => !t.config.databaseSchema || tb.schema === t.config.databaseSchema);

/** `table.column` of every value in the database that is an envelope (settings rows: `settings.<name>`). */
async function columnsHoldingCiphertext(): Promise<Set<string>> {
  const found = new Set<string>();
  for (const table of await ownTables()) {
    if (table.name.startsWith('kysely_')) continue;
    const rows = (await t.vault.store.db
      .selectFrom(table.name as 'merchants')
      .selectAll()
      .execute()) as unknown as Record<string, unknown>[];
    for (const row of rows)
      for (const [column, value] of Object.entries(row)) {
        if (typeof value !== 'string' || !value.includes('tv1.A256GCM.')) continue;
        found.add(table.name === 'settings' ? `settings.${row.name as string}` : `${table.name}.${column}`);
      }
  }
  return found;
}

describe(`the registry of encrypted fields (${backend})`, () => {
  it('names every column that holds a ciphertext, on a database holding every kind of record', async () => {
    const found = await columnsHoldingCiphertext();
    // The fixture makes at least these: a test that found nothing would prove nothing.
    for (const c of ['instrument_identifiers.pan_ct', 'gateway_credentials.secret_data', 'card_secrets.cvv_ct', 'data_keys.wrapped'])
      expect(found).toContain(c);
    expect([...found].filter((c) => !ENCRYPTED_COLUMNS.includes(c))).toEqual([]);
  });

  it('names only columns the schema has', async () => {
    const tables = await ownTables();
    const columns = new Set(tables.flatMap((tb) => tb.columns.map((c) => `${tb.name}.${c.name}`)));
    for (const c of ENCRYPTED_COLUMNS) {
      if (c.startsWith('settings.')) continue;
      expect(columns).toContain(c);
    }
  });
});

describe('one AAD builder (src/crypto/aad.ts)', () => {
  const root = path.resolve(import.meta.dirname, '../..');
  const sources = (dir: string): string[] =>
    fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) => {
      const rel = `${dir}/${e.name}`;
      if (e.isDirectory()) return sources(rel);
      return e.name.endsWith('.ts') ? [rel] : [];
    });
  // A template that starts an AAD (`tokenvault:${…`), or a builder of aad.ts called where the registry should be.
  const BUILDS_AAD = /`tokenvault:\$\{|`tokenvault:[a-z-]+:\$\{|\bfieldAad\(/;
  const ALLOWED = new Set(['src/crypto/aad.ts', 'src/store/encrypted-fields.ts']);

  it('recognises an AAD written elsewhere', () => {
    // Written with # for $, so this file does not hold the pattern it looks for.
    expect(BUILDS_AAD.test('const aad = `tokenvault:#{merchantId}:cards:#{id}:pan`;'.replaceAll('#', '$'))).toBe(true);
    expect(BUILDS_AAD.test("fieldAad(m, 'cards', id, 'pan')")).toBe(true);
    expect(BUILDS_AAD.test('PAN.aad(merchantId, id)')).toBe(false);
  });

  it('no source file but aad.ts and the registry builds an AAD', () => {
    const offenders = sources('src').filter((f) => !ALLOWED.has(f) && BUILDS_AAD.test(fs.readFileSync(path.join(root, f), 'utf8')));
    expect(offenders).toEqual([]);
  });
});
