/**
 * Issue 16, findings 2 and 4 (PCI DSS 3.3.1.2 and crypto-shredding), proven against the raw database files:
 * the attacker has the master key and a copy of every file (SQLite: database and WAL; PostgreSQL: every
 * relation file of the schema) and tries every ciphertext in them with every key it can unwrap. Each case
 * first shows that the same attack does recover the secret while it is meant to exist, so a pass means the
 * secret is gone, not that the attack is blind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HELD_CVV, PAN } from '../../src/store/encrypted-fields.ts';
import { cvvWindowMs } from '../../src/vault/cards.ts';
import { visaNumber } from '../helpers/every-record.ts';
import { ADMIN_TOKEN, backend, client, createMerchant, futureYear, makeTestApp, type TestApp } from '../helpers/harness.ts';
import { rawDatabaseBytes, recoverCvvs, recoverDataKeys, recoverWithDataKeys } from '../helpers/raw-files.ts';

const TTL_SECONDS = 600;

describe(`held CVVs are unrecoverable after use and after their TTL (${backend})`, () => {
  let t: TestApp;
  let clock = Date.parse('2026-12-06T12:00:00.000Z');
  beforeAll(async () => {
    t = await makeTestApp({ now: () => new Date(clock), env: { TOKENVAULT_CVV_TTL_SECONDS: String(TTL_SECONDS) } });
  });
  afterAll(() => t.close());
  const master = () => t.vault.masterKey.versions;

  it('after its one use (a payment), no copy of the CVV opens, with the master key and the files', async () => {
    const m = await createMerchant(t, 'cvv use');
    const c = client(t, m.apiKey);
    const card = await c.post('/v1/cards', { number: visaNumber(701), expMonth: 1, expYear: futureYear(), cvv: '864' });
    expect(card.statusCode).toBe(201);
    const target = [{ merchantId: m.id, token: card.json().token, aad: HELD_CVV.aad(m.id, card.json().token) }];
    // While held, the attack works: the CVV is in the files and its window key unwraps.
    expect(recoverCvvs(await rawDatabaseBytes(t), master(), target)).toContain('864');

    const pay = await c.post('/v1/payments', { token: card.json().token, amount: 1200, currency: 'USD' });
    expect(pay.statusCode).toBe(201);
    await t.vault.cards.purgeExpiredCvvs();
    // The window key is still alive (its window has not ended), yet no ciphertext is left for it to open.
    expect(await t.vault.store.db.selectFrom('window_keys').select('id').execute()).not.toEqual([]);
    expect(recoverCvvs(await rawDatabaseBytes(t), master(), target)).toEqual([]);
  });

  it('after its TTL, the CVV and its window key are gone from the files', async () => {
    const m = await createMerchant(t, 'cvv ttl');
    const c = client(t, m.apiKey);
    const card = await c.post('/v1/cards', { number: visaNumber(702), expMonth: 1, expYear: futureYear(), cvv: '753' });
    const target = [{ merchantId: m.id, token: card.json().token, aad: HELD_CVV.aad(m.id, card.json().token) }];
    expect(recoverCvvs(await rawDatabaseBytes(t), master(), target)).toContain('753');

    clock += TTL_SECONDS * 1000 + cvvWindowMs(TTL_SECONDS * 1000) + 1;
    expect(await t.vault.cards.purgeExpiredCvvs()).toBeGreaterThanOrEqual(1);
    expect(await t.vault.store.db.selectFrom('window_keys').select('id').execute()).toEqual([]);
    expect(recoverCvvs(await rawDatabaseBytes(t), master(), target)).toEqual([]);
    // Nor does the server hand it out.
    expect(await t.vault.cards.takeCvv({ merchantId: m.id, actor: 'test' }, card.json().token)).toBeNull();
  });
});

describe(`deleting a merchant or a card leaves no recoverable card number (${backend})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await makeTestApp({ env: { TOKENVAULT_KEY_CACHE_SECONDS: '1' } });
  });
  afterAll(() => t.close());
  const master = () => t.vault.masterKey.versions;

  it("a deleted merchant's data keys no longer unwrap from the files (crypto-shredding)", async () => {
    const m = await createMerchant(t, 'to shred');
    const c = client(t, m.apiKey);
    const pan = visaNumber(801);
    const card = (await c.post('/v1/cards', { number: pan, expMonth: 1, expYear: futureYear() })).json();
    const before = await rawDatabaseBytes(t);
    const keys = recoverDataKeys(before, master(), m.id);
    expect(keys.length).toBeGreaterThan(0);
    const instrument = await t.vault.store.db
      .selectFrom('cards')
      .select('instrument_id')
      .where('id', '=', card.token)
      .executeTakeFirstOrThrow();
    expect(recoverWithDataKeys(before, keys, [PAN.aad(m.id, instrument.instrument_id)])).toContain(pan);

    const del = await t.app.inject({
      method: 'DELETE',
      url: `/v1/admin/merchants/${m.id}`,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(del.statusCode).toBe(200);
    await t.vault.cards.purgeExpiredCvvs();
    expect(recoverDataKeys(await rawDatabaseBytes(t), master(), m.id)).toEqual([]);
  });

  it("a deleted card's number is gone from the files once its data key version is retired", async () => {
    const m = await createMerchant(t, 'card delete');
    const c = client(t, m.apiKey);
    const pan = visaNumber(802);
    const card = (await c.post('/v1/cards', { number: pan, expMonth: 1, expYear: futureYear() })).json();
    const instrument = await t.vault.store.db
      .selectFrom('cards')
      .select('instrument_id')
      .where('id', '=', card.token)
      .executeTakeFirstOrThrow();
    const aads = [PAN.aad(m.id, instrument.instrument_id)];
    const keys = recoverDataKeys(await rawDatabaseBytes(t), master(), m.id);
    expect(recoverWithDataKeys(await rawDatabaseBytes(t), keys, aads)).toContain(pan);

    expect((await c.delete(`/v1/cards/${card.token}`)).statusCode).toBe(200);
    await t.vault.cards.purgeExpiredCvvs();
    if (backend === 'sqlite') {
      // SQLite: secure_delete zeroed the old value and the sweep truncated the WAL: gone at once.
      expect(recoverWithDataKeys(await rawDatabaseBytes(t), keys, aads)).toEqual([]);
    }
    // Both backends: rotate the data keys and retire the old version (PostgreSQL keeps the dead row version
    // in the table file until it is rewritten; without its key it is noise).
    await t.vault.keys.rotateData();
    const st = await t.vault.keys.status();
    const active = Math.max(...st.data.map((d) => d.version));
    for (const d of st.data.filter((d) => d.version < active)) expect((await t.vault.keys.retireData(d.version)).ok).toBe(true);
    const after = await rawDatabaseBytes(t);
    const left = recoverDataKeys(after, master(), m.id);
    // The old version's key no longer unwraps from the files; the new one opens no trace of the number.
    expect(left.length).toBeGreaterThan(0);
    expect(left.some((k) => keys.some((old) => old.equals(k)))).toBe(false);
    expect(recoverWithDataKeys(after, left, aads)).toEqual([]);
  });
});
