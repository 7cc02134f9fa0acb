/**
 * The registry of encrypted fields (src/store/encrypted-fields.ts) is the one list rotation, retirement,
 * shredding and `keys status` read. This fails when a column holds ciphertext the registry does not name
 * (a new secret column would otherwise be missed by rotation), or names a column the schema does not have.
 */
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
