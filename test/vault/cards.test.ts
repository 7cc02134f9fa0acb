/** The card service called directly (not over HTTP): tokenize, read, lifecycle, single-use reservation. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SINGLE_USE } from '../../src/domain/lifecycle.ts';
import { cardStore } from '../../src/store/card-store.ts';
import { openTestVault, type TestVault } from './open-test-vault.ts';

const VISA = '4111111111111111';
const expiry = { month: 12, year: 2032 };

let t: TestVault;
beforeAll(async () => {
  t = await openTestVault();
});
afterAll(() => t.close());

const tokenize = async (extra: Record<string, unknown> = {}) => {
  const r = await t.vault.cards.tokenize(t.caller, { pan: VISA, expiry, ...extra });
  if (!r.ok) throw new Error(`tokenize: ${r.error}`);
  return r.value;
};

describe('tokenize and read', () => {
  it('stores a card once per merchant and reads it masked', async () => {
    const a = await tokenize({ holderName: 'Ada Lovelace' });
    expect(a.instrumentCreated).toBe(true);
    expect(a.card).toMatchObject({ bin6: '411111', last4: '1111', brand: 'VISA', status: 'ACTIVE', usage: 'MULTIPLE', version: 1 });
    expect(JSON.stringify(a.card)).not.toContain(VISA);
    const b = await tokenize();
    // The same number again: a new token, the same identifier.
    expect(b.instrumentCreated).toBe(false);
    expect(b.card.instrumentId).toBe(a.card.instrumentId);
    expect(b.card.token).not.toBe(a.card.token);
    const read = await t.vault.cards.get(t.caller, a.card.token);
    expect(read).toMatchObject({ ok: true, value: { token: a.card.token, holderName: 'Ada Lovelace' } });
  });

  it('refuses bad input without writing anything', async () => {
    const bad = await t.vault.cards.tokenize(t.caller, { pan: '4111111111111112', expiry });
    expect(bad).toMatchObject({ ok: false, error: 'invalid_card_number' });
    const expired = await t.vault.cards.tokenize(t.caller, { pan: VISA, expiry: { month: 1, year: 2029 } });
    expect(expired).toMatchObject({ ok: false, error: 'card_expired' });
    const named = await t.vault.cards.tokenize(t.caller, { pan: VISA, expiry, holderName: `card ${VISA}` });
    expect(named).toMatchObject({ ok: false, error: 'validation_failed' });
    const noCustomer = await t.vault.cards.tokenize(t.caller, { pan: VISA, expiry, customerId: 'cus_missing' });
    expect(noCustomer).toMatchObject({ ok: false, error: 'customer_not_found' });
  });

  it('is scoped by merchant', async () => {
    const { card } = await tokenize();
    const other = { merchantId: 'mch_someone_else', actor: 'cli' };
    expect(await t.vault.cards.get(other, card.token)).toMatchObject({ ok: false, error: 'card_not_found' });
    expect(await t.vault.cards.ownerOf(card.token)).toBe(t.caller.merchantId);
  });
});

describe('lifecycle', () => {
  it('suspends, resumes and deletes; a deleted card is final', async () => {
    const { card } = await tokenize();
    const suspended = await t.vault.cards.setStatus(t.caller, card.token, 'SUSPENDED', null);
    expect(suspended).toMatchObject({ ok: true, value: { status: 'SUSPENDED', version: 2 } });
    expect(await t.vault.cards.setStatus(t.caller, card.token, 'ACTIVE', 2)).toMatchObject({ ok: true, value: { status: 'ACTIVE' } });
    // A stale If-Match version is refused.
    expect(await t.vault.cards.setStatus(t.caller, card.token, 'SUSPENDED', 2)).toMatchObject({ ok: false, error: 'version_mismatch' });
    expect(await t.vault.cards.setStatus(t.caller, card.token, 'DELETED', null)).toMatchObject({ ok: true, value: { status: 'DELETED' } });
    expect(await t.vault.cards.setStatus(t.caller, card.token, 'ACTIVE', null)).toMatchObject({ ok: false, error: 'card_deleted' });
    // A repeated delete is idempotent, unless strict.
    expect((await t.vault.cards.setStatus(t.caller, card.token, 'DELETED', null)).ok).toBe(true);
    expect(await t.vault.cards.setStatus(t.caller, card.token, 'DELETED', null, { strict: true })).toMatchObject({
      ok: false,
      error: 'card_deleted',
    });
  });

  it('refuses transitions the domain forbids: suspended → consumed, consumed → active', async () => {
    const { card } = await tokenize({ usage: 'SINGLE' });
    await t.vault.cards.setStatus(t.caller, card.token, 'SUSPENDED', null);
    expect(await t.vault.cards.setStatus(t.caller, card.token, 'CONSUMED', null)).toMatchObject({ ok: false, error: 'invalid_transition' });
    await t.vault.cards.setStatus(t.caller, card.token, 'ACTIVE', null);
    expect((await t.vault.cards.setStatus(t.caller, card.token, 'CONSUMED', null)).ok).toBe(true);
    expect(await t.vault.cards.setStatus(t.caller, card.token, 'ACTIVE', null)).toMatchObject({ ok: false, error: 'invalid_transition' });
  });

  it('reserves a single-use token once, and its release gives it back once', async () => {
    const { card } = await tokenize({ usage: 'SINGLE' });
    const at = new Date().toISOString();
    const db = t.vault.store.db;
    expect(await cardStore.moveStatus(db, card.token, SINGLE_USE.reserve, at)).toBe(true);
    // A second payment racing the first finds it taken.
    expect(await cardStore.moveStatus(db, card.token, SINGLE_USE.reserve, at)).toBe(false);
    expect(await t.vault.cards.get(t.caller, card.token)).toMatchObject({ ok: true, value: { status: 'CONSUMED', version: 2 } });
    expect(await cardStore.moveStatus(db, card.token, SINGLE_USE.release, at)).toBe(true);
    expect(await cardStore.moveStatus(db, card.token, SINGLE_USE.release, at)).toBe(false);
    expect(await t.vault.cards.get(t.caller, card.token)).toMatchObject({ ok: true, value: { status: 'ACTIVE', version: 3 } });
  });
});
