/** What an attacker with a copy of the database sees: no card number, no credential secret in any table. */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { PAN } from '../../../src/store/encrypted-fields.ts';
import {
  AMEX,
  type Client,
  client,
  createCustomer,
  createMerchant,
  MASTERCARD,
  makeTestApp,
  type TestApp,
  type TestMerchant,
  tokenize,
  VISA,
} from '../../helpers/harness.ts';

let t: TestApp;
let m: TestMerchant;
let c: Client;

async function dumpDatabase(): Promise<string> {
  const parts: string[] = [];
  // Every table there is, so a table added later is covered without editing this test.
  const tables = (await t.vault.store.db.introspection.getTables())
    .filter((tb) => t.config.databaseSchema === null || tb.schema === t.config.databaseSchema)
    .map((tb) => tb.name)
    .filter((n) => !n.startsWith('kysely_'));
  expect(tables).toEqual(expect.arrayContaining(['cards', 'instrument_identifiers', 'audit_events', 'card_secrets']));
  for (const table of tables) {
    const rows = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(t.vault.store.db);
    parts.push(JSON.stringify(rows.rows));
  }
  return parts.join('\n');
}

beforeAll(async () => {
  t = await makeTestApp();
  m = await createMerchant(t);
  c = client(t, m.apiKey);
});
afterAll(() => t.close());

describe('data at rest', () => {
  it('stores no card number, and no credential secret, in any table', async () => {
    const cus = await createCustomer(c, { customerId: 'rest-1' });
    await tokenize(c, { number: VISA, customer: cus.id });
    await tokenize(c, { number: MASTERCARD });
    await c.post('/v1/cards', { number: AMEX, expMonth: 1, expYear: new Date().getUTCFullYear() + 2 }, { 'idempotency-key': 'at-rest-1' });
    const dump = await dumpDatabase();
    for (const pan of [VISA, MASTERCARD, AMEX]) {
      expect(dump).not.toContain(pan);
      // Nor the middle digits that masking hides.
      expect(dump).not.toContain(pan.slice(6, -4) + pan.slice(-4));
    }
    const g = m.credentials.gateways as Record<string, Record<string, unknown>>;
    const secrets = [
      m.apiKey,
      g.cybersource?.sharedSecret,
      g.opay?.secretKey,
      g.appotapay?.secretKey,
      (g.alliancepay?.merchantPrivateJwk as { d: string } | undefined)?.d,
      String(g.twoc2p?.merchantPrivateKeyPem).split('\n')[1],
    ];
    for (const secret of secrets) {
      expect(typeof secret).toBe('string');
      expect(dump).not.toContain(secret as string);
    }
  });

  it('keeps the PAN as a self-describing AES-256-GCM envelope bound to its row', async () => {
    const card = await tokenize(c, { number: '6011111111111117' });
    const row = await t.vault.store.db
      .selectFrom('instrument_identifiers')
      .select(['id', 'pan_ct'])
      .where('id', '=', card.instrumentIdentifier.id)
      .executeTakeFirstOrThrow();
    expect(row.pan_ct).toMatch(/^tv1\.A256GCM\.d1\./);
    const pan = await t.vault.keyring.decrypt(m.id, PAN.aad(m.id, row.id), row.pan_ct as string);
    expect(pan.toString()).toBe('6011111111111117');
    await expect(t.vault.keyring.decrypt(m.id, PAN.aad(m.id, 'ii_other'), row.pan_ct as string)).rejects.toThrow(
      'ciphertext could not be decrypted',
    );
  });

  it('destroys the PAN when the last token of a card is deleted; the card tokenized again gets a new identifier', async () => {
    const a = await tokenize(c, { number: '3566002020360505' });
    const b = await tokenize(c, { number: '3566002020360505' });
    const panOf = async () =>
      (
        await t.vault.store.db
          .selectFrom('instrument_identifiers')
          .select('pan_ct')
          .where('id', '=', a.instrumentIdentifier.id)
          .executeTakeFirstOrThrow()
      ).pan_ct;
    await c.delete(`/v1/cards/${a.token}`);
    expect(await panOf()).not.toBeNull();
    await c.delete(`/v1/cards/${b.token}`);
    expect(await panOf()).toBeNull();
    // Nothing links tokens made after the deletion to those before it: a new identifier, the old one stays empty.
    const again = await tokenize(c, { number: '3566002020360505' });
    expect(again.instrumentIdentifier.new).toBe(true);
    expect(again.instrumentIdentifier.id).not.toBe(a.instrumentIdentifier.id);
    expect(await panOf()).toBeNull();
  });
});
