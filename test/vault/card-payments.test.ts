/**
 * Paying with a card number in one call (vault/card-payments.ts), called directly with a processor whose answers
 * the test decides: what is kept and what is removed for each outcome, for a card to keep and a one-off card,
 * with a customer created by the call, found by reference, or given.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PayWithCardInput } from '../../src/vault/card-payments.ts';
import { fakeProcessor } from './fake-processor.ts';
import { openTestVault, type TestVault } from './open-test-vault.ts';

const fake = fakeProcessor();
let t: TestVault;
beforeAll(async () => {
  t = await openTestVault({ processor: fake.processor });
});
afterAll(() => t.close());

const CARD = { pan: '4111111111111111', expiry: { month: 12, year: 2032 }, cvv: '123' } as const;
const PAYMENT = { amount: 1000, currency: 'USD', capture: true } as const;
const input = (over: Partial<PayWithCardInput> = {}): PayWithCardInput => ({
  kind: 'payment',
  card: { ...CARD },
  keep: true,
  payment: { ...PAYMENT },
  ...over,
});

const pay = async (over: Partial<PayWithCardInput> = {}) => {
  const r = await t.vault.cardPayments.payWithCard(t.caller, input(over));
  if (!r.ok) throw new Error(`${r.step}: ${r.error}`);
  return r.value;
};
const stored = async (token: string) => {
  const r = await t.vault.cards.get(t.caller, token);
  return r.ok ? r.value.storedStatus : null;
};
const customerLive = async (id: string) => (await t.vault.customers.get(t.caller, id)).ok;

describe('payWithCard', () => {
  it('approved, to keep: the card stays as a MULTIPLE-use token of the customer it created, with the address', async () => {
    fake.answer('approve');
    const { payment, made } = await pay({
      customer: { create: { customerId: 'ref-1', email: 'a@example.com' } },
      shippingAddress: { address: { line1: '1 Main St', city: 'Springfield', country: 'US' } },
    });
    expect(payment.status).toBe('CAPTURED');
    expect(made.kept).toBe(true);
    expect(made.instrumentCreated).toBe(true);
    expect(await stored(made.card.token)).toBe('ACTIVE');
    expect(made.card.usage).toBe('MULTIPLE');
    expect(made.card.customerId).toBe(made.customerId);
    expect(made.addressId).not.toBeNull();
    expect(await customerLive(made.customerId as string)).toBe(true);
  });

  it('approved, one-off: the card is deleted at once; a customer it created stays', async () => {
    fake.answer('approve');
    const { payment, made } = await pay({ keep: false, customer: { create: { customerId: 'ref-2' } } });
    expect(payment.status).toBe('CAPTURED');
    expect(made.kept).toBe(false);
    expect(made.card.usage).toBe('SINGLE');
    expect(made.card.customerId).toBeNull();
    expect(await stored(made.card.token)).toBe('DELETED');
    expect(await customerLive(made.customerId as string)).toBe(true);
  });

  it('declined: everything it made is removed (the customer with its cards), and the payment says DECLINED', async () => {
    fake.answer('decline');
    const { payment, made } = await pay({ customer: { create: { customerId: 'ref-3' } } });
    expect(payment.status).toBe('DECLINED');
    expect(made.kept).toBe(false);
    expect(made.customerId).toBeNull();
    expect(await stored(made.card.token)).toBe('DELETED');
    const found = await t.vault.customers.findByCustomerId(t.caller, 'ref-3');
    expect(found).toBeNull();
  });

  it('declined, one-off card with a created customer: the card is removed too', async () => {
    fake.answer('decline');
    const { made } = await pay({ keep: false, customer: { create: { customerId: 'ref-4' } } });
    expect(await stored(made.card.token)).toBe('DELETED');
  });

  it('processor unavailable: a failure at the payment step, and nothing it made is left', async () => {
    const live = async () =>
      Number(
        (
          await t.vault.store.db
            .selectFrom('cards')
            .select((eb) => eb.fn.countAll().as('n'))
            .where('status', '!=', 'DELETED')
            .executeTakeFirstOrThrow()
        ).n,
      );
    const before = await live();
    fake.answer('unavailable');
    const r = await t.vault.cardPayments.payWithCard(t.caller, input({ customer: { create: { customerId: 'ref-5' } } }));
    expect(r).toMatchObject({ ok: false, step: 'payment', error: 'processor_unavailable' });
    expect(await live()).toBe(before);
    expect(await t.vault.customers.findByCustomerId(t.caller, 'ref-5')).toBeNull();
  });

  it('a shipping address added to a given customer stays when approved and is removed when refused', async () => {
    const c = await t.vault.customers.create(t.caller, { customerId: 'given-1' });
    if (!c.ok) throw new Error(c.error);
    const addresses = async () => await t.vault.customers.listAddresses(t.caller, c.value.id, { after: null, limit: 10 });
    fake.answer('approve');
    const kept = await pay({ customer: { id: c.value.id }, shippingAddress: { address: { line1: '2 Elm St', country: 'US' } } });
    expect(kept.made.addressOf).toBe(c.value.id);
    fake.answer('decline');
    const refused = await pay({ customer: { id: c.value.id }, shippingAddress: { address: { line1: '3 Oak St', country: 'US' } } });
    expect(refused.made.addressId).toBeNull();
    const left = await addresses();
    if (!left.ok) throw new Error(left.error);
    expect(left.value.items.map((a) => a.id)).toEqual([kept.made.addressId]);
    expect(await customerLive(c.value.id)).toBe(true);
  });

  it('a customer found by reference is kept whatever happens', async () => {
    fake.answer('decline');
    const { made } = await pay({ customer: { findOrCreate: { customerId: 'ref-6' } } });
    expect(made.customerId).toBeNull();
    const found = await t.vault.customers.findByCustomerId(t.caller, 'ref-6');
    expect(found).not.toBeNull();
    expect(await stored(made.card.token)).toBe('DELETED');
  });

  it('a card the vault refuses: a failure at the card step, and a customer it created is removed', async () => {
    const r = await t.vault.cardPayments.payWithCard(
      t.caller,
      input({ card: { ...CARD, pan: '4111111111111112' }, customer: { create: { customerId: 'ref-7' } } }),
    );
    expect(r).toMatchObject({ ok: false, step: 'card', error: 'invalid_card_number' });
    expect(await t.vault.customers.findByCustomerId(t.caller, 'ref-7')).toBeNull();
  });

  it('a customer the vault refuses: a failure at the customer step, before any card is made', async () => {
    await pay({ customer: { create: { customerId: 'dup-ref' } } });
    const r = await t.vault.cardPayments.payWithCard(t.caller, input({ customer: { create: { customerId: 'dup-ref' } } }));
    expect(r).toMatchObject({ ok: false, step: 'customer' });
  });
});

describe('a challenge the gateway completes itself (settleAfterChallenge)', () => {
  it('nothing is decided while the challenge is pending; settle keeps a card to keep once it passes', async () => {
    fake.answer('challenge');
    const { payment, made } = await pay({ settleAfterChallenge: true, customer: { findOrCreate: { customerId: 'ref-8' } } });
    expect(payment.status).toBe('PENDING_AUTHENTICATION');
    expect(await stored(made.card.token)).toBe('ACTIVE');
    fake.answer('approve');
    const done = await t.vault.payments.authenticate(t.caller, payment.id, true);
    if (!done.ok) throw new Error(done.error);
    expect(await t.vault.cardPayments.settle(t.caller, done.value)).toEqual({ kept: true });
    expect(await stored(made.card.token)).toBe('ACTIVE');
  });

  it('a one-off card is removed once the challenge passes; any card once it fails', async () => {
    fake.answer('challenge');
    const oneOff = await pay({ keep: false, settleAfterChallenge: true });
    fake.answer('approve');
    const passed = await t.vault.payments.authenticate(t.caller, oneOff.payment.id, true);
    if (!passed.ok) throw new Error(passed.error);
    expect(await t.vault.cardPayments.settle(t.caller, passed.value)).toEqual({ kept: false });
    expect(await stored(oneOff.made.card.token)).toBe('DELETED');

    fake.answer('challenge');
    const kept = await pay({ settleAfterChallenge: true });
    const failed = await t.vault.payments.authenticate(t.caller, kept.payment.id, false);
    if (!failed.ok) throw new Error(failed.error);
    expect(failed.value.status).toBe('FAILED');
    expect(await t.vault.cardPayments.settle(t.caller, failed.value)).toEqual({ kept: false });
    expect(await stored(kept.made.card.token)).toBe('DELETED');
  });

  it('settle says null for a payment by token', async () => {
    const r = await t.vault.cards.tokenize(t.caller, { ...CARD, usage: 'MULTIPLE' });
    if (!r.ok) throw new Error(r.error);
    fake.answer('approve');
    const p = await t.vault.payments.authorize(t.caller, { token: r.value.card.token, ...PAYMENT });
    if (!p.ok) throw new Error(p.error);
    expect(await t.vault.cardPayments.settle(t.caller, p.value)).toBeNull();
  });
});
