/**
 * Paying with a card number in one call, for the gateways whose clients send the card with the payment
 * (Cybersource's TOKEN_CREATE and plain card payments, AlliancePay's purchase by card): the card is tokenized
 * (with a new customer and shipping address when asked), paid with, and what was made is kept only as asked
 * and only when the processor did not refuse the payment:
 * - refused (declined, failed) or not answered: everything this call made is removed again;
 * - otherwise: a card to keep stays as the customer's MULTIPLE-use token; a one-off card (a SINGLE-use token)
 *   is deleted at once, its number wiped;
 * - pending a 3-D Secure challenge, with `settleAfterChallenge`: nothing is decided until the gateway has
 *   completed the challenge (payments.authenticate) and calls `settle`.
 * The rules of a payment's outcome are domain/payment.ts's (isRefused); gateways only translate.
 */
import { isRefused } from '../domain/payment.ts';
import type { Address, CardService, CardView, TokenizeInput } from './cards.ts';
import type { CustomerInput, CustomerService } from './customers.ts';
import type { Caller } from './deps.ts';
import { succeed, type VaultFailure, type VaultResult } from './errors.ts';
import type { PayInput, PaymentService, PaymentView } from './payments.ts';

/** Payment metadata that remembers, while a challenge is pending, whether the card is to be kept. */
const KEEP_CARD = 'cardPaymentKeep';

export interface PayWithCardInput {
  kind: 'payment' | 'credit';
  /** The card as tokenize takes it; its customer and usage are decided here. */
  card: Omit<TokenizeInput, 'customerId' | 'usage' | 'newCustomer' | 'claim'>;
  /** Keep the card as a token of the customer when the payment is not refused; else it is a one-off. */
  keep: boolean;
  /**
   * The customer: one that exists (`id`), one to find by the merchant's reference or create (`findOrCreate`,
   * kept whatever happens), or one to create now (`create`, removed again if the payment is refused).
   */
  customer?: { id: string } | { findOrCreate: CustomerInput & { customerId: string } } | { create: CustomerInput; newId?: () => string };
  /** A shipping address to add to the customer (removed again if the payment is refused). */
  shippingAddress?: { address: Address; newId?: () => string };
  payment: Omit<PayInput, 'token' | 'customerId'>;
  /** The gateway completes 3-D Secure challenges itself and then calls settle (AlliancePay). */
  settleAfterChallenge?: boolean;
}

/** What the call made, for the gateway's answer. */
export interface Made {
  /** The card as it was tokenized (its token may be deleted by now: see `kept`). */
  card: CardView;
  instrumentCreated: boolean;
  /** A customer this call created (and kept). */
  customerId: string | null;
  /** A shipping address this call added, and the customer it belongs to. */
  addressId: string | null;
  addressOf: string | null;
  /** Whether the card is kept as a token (false: removed, or a one-off). */
  kept: boolean;
}

/** Why the call failed, and where: the customer, the card or the payment. */
export type PayWithCardFailure = VaultFailure & { step: 'customer' | 'card' | 'payment' };

export function createCardPaymentService(deps: { cards: CardService; customers: CustomerService; payments: PaymentService }) {
  const { cards, customers, payments } = deps;

  /** Removes what a refused or failed call made: a customer it created (with its cards and addresses), the card, an address it added. */
  async function undo(
    caller: Caller,
    made: Pick<Made, 'customerId' | 'addressId' | 'addressOf'> & { card: { token: string } | null },
  ): Promise<void> {
    if (made.customerId) await customers.delete(caller, made.customerId, null);
    else if (made.addressId && made.addressOf) await customers.deleteAddress(caller, made.addressOf, made.addressId);
    if (made.card) await cards.setStatus(caller, made.card.token, 'DELETED', null);
  }

  async function customerFor(caller: Caller, input: PayWithCardInput): Promise<VaultResult<{ id: string | null; created: boolean }>> {
    const c = input.customer;
    if (!c) return succeed({ id: null, created: false });
    if ('id' in c) return succeed({ id: c.id, created: false });
    const r =
      'findOrCreate' in c
        ? await customers.findOrCreate(caller, c.findOrCreate)
        : await customers.create(caller, c.create, c.newId ? { id: c.newId } : {});
    return r.ok ? succeed({ id: r.value.id, created: 'create' in c }) : r;
  }

  /** Keeps or removes what was made, by the payment's outcome. */
  async function decide(caller: Caller, payment: PaymentView, made: Made, keep: boolean): Promise<Made> {
    if (isRefused(payment.status)) {
      await undo(caller, made);
      return { ...made, customerId: null, addressId: null, addressOf: null, kept: false };
    }
    if (keep) return { ...made, kept: true };
    await cards.setStatus(caller, made.card.token, 'DELETED', null);
    return { ...made, kept: false };
  }

  return {
    async payWithCard(
      caller: Caller,
      input: PayWithCardInput,
    ): Promise<{ ok: true; value: { payment: PaymentView; made: Made } } | PayWithCardFailure> {
      const customer = await customerFor(caller, input);
      if (!customer.ok) return { ...customer, step: 'customer' };
      const created = customer.value.created ? customer.value.id : null;
      const tokenized = await cards.tokenize(caller, {
        ...input.card,
        customerId: input.keep ? customer.value.id : null,
        usage: input.keep ? 'MULTIPLE' : 'SINGLE',
      });
      if (!tokenized.ok) {
        await undo(caller, { card: null, customerId: created, addressId: null, addressOf: null });
        return { ...tokenized, step: 'card' };
      }
      const { card, instrumentCreated } = tokenized.value;
      let addressId: string | null = null;
      const addressOf = input.shippingAddress ? customer.value.id : null;
      if (input.shippingAddress && addressOf) {
        const { address, newId } = input.shippingAddress;
        const a = await customers.createAddress(caller, addressOf, address, false, newId ? { id: newId } : {});
        if (a.ok) addressId = a.value.id;
      }
      const pay: PayInput = {
        ...input.payment,
        token: card.token,
        ...(input.keep && customer.value.id ? { customerId: customer.value.id } : {}),
        ...(input.settleAfterChallenge ? { metadata: { ...input.payment.metadata, [KEEP_CARD]: String(input.keep) } } : {}),
      };
      const r = input.kind === 'payment' ? await payments.authorize(caller, pay) : await payments.credit(caller, pay);
      if (!r.ok) {
        await undo(caller, { card, customerId: created, addressId, addressOf });
        return { ...r, step: 'payment' };
      }
      const made: Made = { card, instrumentCreated, customerId: created, addressId, addressOf, kept: true };
      if (input.settleAfterChallenge && r.value.status === 'PENDING_AUTHENTICATION') return { ok: true, value: { payment: r.value, made } };
      return { ok: true, value: { payment: r.value, made: await decide(caller, r.value, made, input.keep) } };
    },

    /**
     * After a challenge completed (payments.authenticate), keeps or removes the card a payWithCard with
     * `settleAfterChallenge` made; null when the payment was not one (a payment by token).
     */
    async settle(caller: Caller, payment: PaymentView): Promise<{ kept: boolean } | null> {
      const keep = payment.metadata?.[KEEP_CARD];
      if (keep === undefined) return null;
      const card = await cards.get(caller, payment.token);
      if (!card.ok) return { kept: false };
      const made = await decide(
        caller,
        payment,
        { card: card.value, instrumentCreated: false, customerId: null, addressId: null, addressOf: null, kept: true },
        keep === 'true',
      );
      return { kept: made.kept };
    },
  };
}

export type CardPaymentService = ReturnType<typeof createCardPaymentService>;
