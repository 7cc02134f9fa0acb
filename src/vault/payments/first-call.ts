/**
 * The two calls that take the card: authorization (with optional capture) and credit. A SINGLE token is
 * reserved before the processor is called and released when the processor did not take it (lifecycle.ts
 * SINGLE_USE); a timeout writes no payment.
 */
import { newId } from '../../domain/ids.ts';
import { canPay, effectiveStatus, SINGLE_USE, type StoredStatus } from '../../domain/lifecycle.ts';
import { type Money, parseMoney } from '../../domain/money.ts';
import { firstCallStatus } from '../../domain/payment.ts';
import { type AuthorizeOutcome, type AuthorizeRequest, ProcessorUnavailableError, withTimeout } from '../../payments/processor.ts';
import { type CardWithInstrument, cardStore } from '../../store/card-store.ts';
import { customerStore } from '../../store/customer-store.ts';
import { type Executor, inTransaction } from '../../store/db.ts';
import { PAN } from '../../store/encrypted-fields.ts';
import { paymentStore } from '../../store/payment-store.ts';
import type { PaymentRow } from '../../store/schema.ts';
import type { HeldCvv } from '../cards.ts';
import { type Caller, iso, scopeOf } from '../deps.ts';
import { fail, succeed, type VaultResult } from '../errors.ts';
import { enqueueDelivery, type NotifyRequest } from '../outbox.ts';
import { claimInTransaction, type ReferenceClaim, ReferenceTaken } from '../references.ts';
import type { PaymentContext } from './context.ts';
import { type PaymentView, paymentView } from './view.ts';

export interface PayInput {
  /** A merchant reference claimed in the payment's own transaction (fails with reference_taken if used). */
  claim?: ReferenceClaim;
  token?: string;
  customerId?: string;
  amount: number;
  currency: string;
  capture?: boolean;
  reference?: string | null;
  metadata?: Record<string, string> | null;
  /** The API that takes the payment decides its id's format (Cybersource: 22 digits). */
  newId?: () => string;
  /** A security code sent with this payment (AlliancePay); else the one held since tokenization, if any. */
  cvv?: string;
  /** A delivery to the merchant (vault/outbox.ts) of the outcome, written with it; not while a challenge is pending. */
  notify?: NotifyRequest;
}

type Kind = 'payment' | 'credit';

/** One first call under way: what it pays with and how. */
interface Attempt {
  caller: Caller;
  kind: Kind;
  input: PayInput;
  card: CardWithInstrument;
  money: Money;
  id: string;
  capture: boolean;
  single: boolean;
  operation: 'authorize' | 'credit';
}

export function createFirstCall(ctx: PaymentContext) {
  const { deps, db } = ctx;

  /** The card to pay with: by token or the customer's default, payable now. */
  async function payableCard(caller: Caller, input: { token?: string; customerId?: string }): Promise<VaultResult<CardWithInstrument>> {
    let token = input.token;
    if (!token && input.customerId) {
      const customer = await customerStore.get(db, caller.merchantId, input.customerId);
      if (!customer) return fail('customer_not_found', 'no such customer');
      // A default the caller's API cannot see (a bank account's, outside Cybersource) is no default there.
      const hidden = scopeOf(caller) === 'cards' && customer.default_card_kind === 'bank';
      if (!customer.default_card_id || hidden) return fail('no_default_card', 'give a token, or set a default card for the customer');
      token = customer.default_card_id;
    }
    if (!token)
      return fail('validation_failed', 'give a token or a customer', [
        { field: 'token', code: 'required', message: 'token or customer is required' },
      ]);
    const card = await cardStore.getCard(db, caller.merchantId, token, scopeOf(caller));
    if (!card) return fail('card_not_found', 'no such card');
    if (input.token && input.customerId && card.customer_id !== input.customerId) {
      return fail('validation_failed', 'the card does not belong to that customer', [
        { field: 'customer', code: 'mismatch', message: 'give the token alone, or the customer the card belongs to' },
      ]);
    }
    const status = effectiveStatus(card.status as StoredStatus, { month: card.exp_month, year: card.exp_year }, deps.now());
    const payable = canPay(status);
    if (!payable.ok) return fail(payable.error, `the card is ${status.toLowerCase()}`);
    return succeed(card);
  }

  /** The card number (or a bank account's account number) of a token; null once destroyed. */
  async function decryptPan(merchantId: string, card: CardWithInstrument): Promise<string | null> {
    const instrument = await cardStore.getInstrument(db, merchantId, card.instrument_id, 'all');
    if (!instrument?.pan_ct) return null;
    return (await deps.keyring.decrypt(merchantId, PAN.aad(merchantId, instrument.id), instrument.pan_ct)).toString();
  }

  /** Calls the processor with the card; a failure (card gone, timeout) is answered with the single-use token given back. */
  async function callProcessor(a: Attempt): Promise<VaultResult<AuthorizeOutcome>> {
    const { caller, card, single } = a;
    let held: HeldCvv | null = null;
    try {
      const pan = await decryptPan(caller.merchantId, card);
      if (pan === null) {
        if (single) await ctx.releaseSingleUse(db, card.id, iso(deps.now()));
        return fail('token_deleted', 'the card number is no longer stored');
      }
      const base = { reference: a.id, amount: a.money.amount, currency: a.money.currency, capture: a.capture };
      let request: AuthorizeRequest;
      if (card.kind === 'bank') {
        // An electronic check: the account number decrypted, the routing number as stored; no security code.
        const bankAccount = { accountNumber: pan, routingNumber: card.routing_number ?? '', holderName: card.holder_name };
        request = { ...base, bankAccount };
      } else {
        held = a.kind === 'payment' && a.input.cvv === undefined ? await deps.cards.takeCvv(caller, card.id) : null;
        const cvv = a.input.cvv ?? held?.cvv;
        request = {
          ...base,
          card: { pan, expMonth: card.exp_month, expYear: card.exp_year, holderName: card.holder_name, ...(cvv ? { cvv } : {}) },
        };
      }
      const call = a.kind === 'payment' ? deps.processor.authorize(request) : deps.processor.credit(request);
      return succeed(await withTimeout(call, deps.processorTimeoutMs));
    } catch (e) {
      if (!(e instanceof ProcessorUnavailableError)) {
        if (single) await ctx.releaseSingleUse(db, card.id, iso(deps.now()));
        throw e;
      }
      // Nothing happened at the processor as far as we know: the CVV goes back for the retry.
      if (held) await deps.cards.restoreCvv(caller, card.id, held);
      return ctx.timedOut(caller, a.operation, card.id, async (tx, at) => {
        if (single) await ctx.releaseSingleUse(tx, card.id, at);
      });
    }
  }

  function paymentRow(a: Attempt, outcome: AuthorizeOutcome, at: string): PaymentRow {
    const approved = outcome.result === 'approved';
    return {
      id: a.id,
      merchant_id: a.caller.merchantId,
      kind: a.kind,
      card_id: a.card.id,
      customer_id: a.card.customer_id,
      currency: a.money.currency,
      amount: a.money.amount,
      authorized_amount: approved ? a.money.amount : 0,
      captured_amount: approved && a.capture ? a.money.amount : 0,
      refunded_amount: 0,
      capture_requested: a.capture ? 1 : 0,
      status: firstCallStatus(outcome.result, a.kind, a.capture),
      decline_code: outcome.result === 'declined' ? outcome.decline : null,
      processor: deps.processor.name,
      processor_ref: outcome.processorRef,
      auth_code: outcome.result === 'approved' ? outcome.authCode : null,
      reference: a.input.reference ?? null,
      metadata: a.input.metadata ? JSON.stringify(a.input.metadata) : null,
      version: 1,
      created_at: at,
      updated_at: at,
    };
  }

  /** Writes the payment, its event and audit event (and claims its reference) in one commit. */
  async function record(a: Attempt, outcome: AuthorizeOutcome): Promise<VaultResult<PaymentView>> {
    const at = iso(deps.now());
    const row = paymentRow(a, outcome, at);
    const { caller, card, single, money } = a;
    const claimAndInsert = async (tx: Executor): Promise<void> => {
      if (a.input.claim) await claimInTransaction(tx, caller.merchantId, a.input.claim, at);
      await paymentStore.insert(tx, row);
      const detail = outcome.result === 'declined' ? { decline: outcome.decline } : undefined;
      const written = await ctx.event(tx, a.id, a.operation, money.amount, outcome.result, row.status, at, detail);
      if (a.input.notify && outcome.result !== 'challenge') {
        await enqueueDelivery(tx, caller.merchantId, { paymentId: a.id, eventId: written.id }, a.input.notify, at);
      }
      if (single && outcome.result === 'declined') await ctx.releaseSingleUse(tx, card.id, at);
      const success = outcome.result === 'approved' || outcome.result === 'challenge';
      await ctx.audit(tx, caller, `payment.${a.operation}`, a.id, at, success ? 'success' : 'failure', {
        token: card.id,
        amount: money.amount,
        currency: money.currency,
        result: outcome.result,
        decline: row.decline_code,
      });
    };
    try {
      await inTransaction(db, claimAndInsert);
    } catch (e) {
      if (!(e instanceof ReferenceTaken)) throw e;
      // Another request took the reference meanwhile: this one records nothing (and frees its card).
      if (single) await inTransaction(db, (tx) => ctx.releaseSingleUse(tx, card.id, at));
      return fail('reference_taken', 'the reference was already used');
    }
    deps.metrics.record(a.operation, outcome.result, row.decline_code ?? undefined);
    return succeed(paymentView(row));
  }

  /** Authorization (and optional capture) or credit. */
  return async function firstCall(caller: Caller, kind: Kind, input: PayInput): Promise<VaultResult<PaymentView>> {
    const money = parseMoney(input.amount, input.currency);
    if (!money.ok)
      return fail('invalid_amount', money.detail, [
        { field: money.error === 'currency_unknown' ? 'currency' : 'amount', code: money.error, message: money.detail ?? '' },
      ]);
    const found = await payableCard(caller, input);
    if (!found.ok) return found;
    const card = found.value;
    const attempt: Attempt = {
      caller,
      kind,
      input,
      card,
      money: money.value,
      id: input.newId ? input.newId() : newId(kind === 'payment' ? 'pay' : 'crd'),
      // A credit, and an electronic check debit (a sale: ACH has no authorization to hold), always settle.
      capture: kind === 'credit' || card.kind === 'bank' ? true : (input.capture ?? true),
      // A SINGLE token is spent by whichever call takes the card first: a credit consumes it as a payment does.
      single: card.usage === 'SINGLE',
      operation: kind === 'payment' ? 'authorize' : 'credit',
    };
    if (attempt.single && !(await cardStore.moveStatus(db, card.id, SINGLE_USE.reserve, iso(deps.now())))) {
      return fail('token_consumed', 'the single-use card was already used');
    }
    const outcome = await callProcessor(attempt);
    if (!outcome.ok) return outcome;
    return record(attempt, outcome.value);
  };
}
