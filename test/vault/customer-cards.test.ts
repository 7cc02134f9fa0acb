/** A card for a customer named by the merchant's reference, made on first sight (vault/customer-cards.ts), called directly. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestVault, type TestVault } from './open-test-vault.ts';

let t: TestVault;
beforeAll(async () => {
  t = await openTestVault();
});
afterAll(() => t.close());

const CARD = { pan: '4111111111111111', expiry: { month: 12, year: 2032 } } as const;
const customersWith = async (ref: string) =>
  (await t.vault.customers.list(t.caller, { after: null, limit: 10, customerId: ref })).items.map((c) => c.id);

describe('tokenizeForCustomer', () => {
  it('makes the customer on first sight, with the card, and gives the next card to the same customer', async () => {
    const first = await t.vault.customerCards.tokenizeForCustomer(t.caller, { ...CARD }, { customerId: 'c-1', name: 'Ada' });
    if (!first.ok) throw new Error(first.error);
    expect(first.value.customer).toMatchObject({ customerId: 'c-1', name: 'Ada' });
    expect(first.value.card.customerId).toBe(first.value.customer?.id);
    const second = await t.vault.customerCards.tokenizeForCustomer(
      t.caller,
      { pan: '5555555555554444', expiry: CARD.expiry },
      { customerId: 'c-1' },
    );
    if (!second.ok) throw new Error(second.error);
    expect(second.value.customer?.id).toBe(first.value.customer?.id);
    expect(await customersWith('c-1')).toEqual([first.value.customer?.id]);
  });

  it('a card the vault refuses leaves no customer behind', async () => {
    const r = await t.vault.customerCards.tokenizeForCustomer(t.caller, { ...CARD, pan: '4111111111111112' }, { customerId: 'c-2' });
    expect(r).toMatchObject({ ok: false, error: 'invalid_card_number' });
    expect(await customersWith('c-2')).toEqual([]);
  });

  it('two first sights at once make one customer, and both cards are its', async () => {
    const [a, b] = await Promise.all([
      t.vault.customerCards.tokenizeForCustomer(t.caller, { ...CARD }, { customerId: 'c-3' }),
      t.vault.customerCards.tokenizeForCustomer(t.caller, { pan: '5555555555554444', expiry: CARD.expiry }, { customerId: 'c-3' }),
    ]);
    if (!a.ok || !b.ok) throw new Error('tokenize failed');
    expect(a.value.customer?.id).toBe(b.value.customer?.id);
    expect(await customersWith('c-3')).toEqual([a.value.customer?.id]);
    expect(a.value.card.customerId).toBe(b.value.card.customerId);
  });

  it('without a customer, the card is nobody’s', async () => {
    const r = await t.vault.customerCards.tokenizeForCustomer(t.caller, { ...CARD }, null);
    if (!r.ok) throw new Error(r.error);
    expect(r.value).toMatchObject({ customer: null, card: { customerId: null } });
  });
});
