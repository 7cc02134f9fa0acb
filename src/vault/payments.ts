/**
 * Paying with tokens. Invariants:
 * - a card that is not payable (suspended, deleted, consumed, expired) never reaches the processor;
 * - a SINGLE token is reserved (ACTIVE → CONSUMED, compare-and-set) before the processor is called, so two
 *   concurrent payments cannot both use it; a decline, failure or timeout gives it back;
 * - amounts move only by conditional updates (captured + amount ≤ authorized, refunded + amount ≤
 *   captured), so concurrent captures or refunds can never exceed the bounds; a failed processor call
 *   gives the reserved amount back;
 * - a timeout leaves no payment behind: nothing is written for an authorization that did not answer.
 * Known gap: a crash between the processor's answer and the write loses that answer; the payment id is
 * sent as the processor reference so a real connector can reconcile.
 */
import { sql } from 'kysely';
import { appendAudit, type Outcome } from '../audit/log.ts';

import { newId } from '../domain/ids.ts';
import { canPay, effectiveStatus, type StoredStatus } from '../domain/lifecycle.ts';
import { parseMoney } from '../domain/money.ts';
import { type Amounts, canCapture, canRefund, canVoid, type DeclineCode, type PaymentStatus } from '../domain/payment.ts';
import {
  type AuthorizeOutcome,
  type FollowUpOutcome,
  type Processor,
  ProcessorUnavailableError,
  withTimeout,
} from '../payments/processor.ts';
import { type CardWithInstrument, cardStore } from '../store/card-store.ts';
import { customerStore } from '../store/customer-store.ts';
import { type Executor, inTransaction } from '../store/db.ts';
import { PAN } from '../store/encrypted-fields.ts';
import { afterCursor, type Cursor, type Page, toPage } from '../store/page.ts';
import type { PaymentEventRow, PaymentRow } from '../store/schema.ts';
import type { CardService, HeldCvv } from './cards.ts';
import { type Caller, iso, type VaultDeps } from './deps.ts';
import { fail, succeed, type VaultFailure, type VaultResult } from './errors.ts';
import { claimInTransaction, type ReferenceClaim, ReferenceTaken } from './references.ts';

/** The metrics port: counts of payment outcomes by operation and reason. */
export interface PaymentMetrics {
  record(operation: string, outcome: string, reason?: string): void;
}
export const noopPaymentMetrics: PaymentMetrics = { record: () => {} };

export interface PaymentEventView {
  type: string;
  amount: number | null;
  outcome: string;
  statusAfter: string;
  detail: Record<string, unknown> | null;
  at: string;
}

export interface PaymentView {
  id: string;
  kind: 'payment' | 'credit';
  token: string;
  customerId: string | null;
  currency: string;
  amount: number;
  authorizedAmount: number;
  capturedAmount: number;
  refundedAmount: number;
  status: PaymentStatus;
  declineCode: DeclineCode | null;
  processor: string;
  authCode: string | null;
  reference: string | null;
  metadata: Record<string, string> | null;
  version: number;
  createdAt: string;
  updatedAt: string;
  history?: PaymentEventView[];
}

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
}

const n = (v: number | string | null): number => Number(v ?? 0);

function view(r: PaymentRow, events?: PaymentEventRow[]): PaymentView {
  return {
    id: r.id,
    kind: r.kind as 'payment' | 'credit',
    token: r.card_id,
    customerId: r.customer_id,
    currency: r.currency,
    amount: n(r.amount),
    authorizedAmount: n(r.authorized_amount),
    capturedAmount: n(r.captured_amount),
    refundedAmount: n(r.refunded_amount),
    status: r.status as PaymentStatus,
    declineCode: r.decline_code as DeclineCode | null,
    processor: r.processor,
    authCode: r.auth_code,
    reference: r.reference,
    metadata: r.metadata ? (JSON.parse(r.metadata) as Record<string, string>) : null,
    version: r.version,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    ...(events
      ? {
          history: events.map((e) => ({
            type: e.type,
            amount: e.amount === null ? null : n(e.amount),
            outcome: e.outcome,
            statusAfter: e.status_after,
            detail: e.detail ? (JSON.parse(e.detail) as Record<string, unknown>) : null,
            at: e.created_at,
          })),
        }
      : {}),
  };
}

const amountsOf = (r: PaymentRow): Amounts => ({
  authorized: n(r.authorized_amount),
  captured: n(r.captured_amount),
  refunded: n(r.refunded_amount),
});

export function createPaymentService(
  deps: VaultDeps & { processor: Processor; processorTimeoutMs: number; metrics: PaymentMetrics; cards: CardService },
) {
  const { db, keyring, processor } = deps;

  const getRow = (q: Executor, merchantId: string, id: string) =>
    q.selectFrom('payments').selectAll().where('merchant_id', '=', merchantId).where('id', '=', id).executeTakeFirst();

  async function event(
    tx: Executor,
    paymentId: string,
    type: string,
    amount: number | null,
    outcome: string,
    statusAfter: string,
    at: string,
    detail?: Record<string, unknown>,
  ) {
    await tx
      .insertInto('payment_events')
      .values({
        id: newId('pev'),
        payment_id: paymentId,
        type,
        amount,
        outcome,
        status_after: statusAfter,
        detail: detail ? JSON.stringify(detail) : null,
        created_at: at,
      })
      .execute();
  }

  const audit = (
    tx: Executor,
    caller: Caller,
    action: string,
    target: string,
    at: string,
    outcome: Outcome,
    detail: Record<string, string | number | boolean | null>,
  ) => appendAudit(tx, { merchantId: caller.merchantId, actor: caller.actor, action, target, outcome, detail }, at);

  /** The card to pay with: by token or the customer's default, payable now. */
  async function payableCard(caller: Caller, input: { token?: string; customerId?: string }): Promise<VaultResult<CardWithInstrument>> {
    let token = input.token;
    if (!token && input.customerId) {
      const customer = await customerStore.get(db, caller.merchantId, input.customerId);
      if (!customer) return fail('customer_not_found', 'no such customer');
      if (!customer.default_card_id) return fail('no_default_card', 'give a token, or set a default card for the customer');
      token = customer.default_card_id;
    }
    if (!token)
      return fail('validation_failed', 'give a token or a customer', [
        { field: 'token', code: 'required', message: 'token or customer is required' },
      ]);
    const card = await cardStore.getCard(db, caller.merchantId, token);
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

  async function decryptPan(merchantId: string, card: CardWithInstrument): Promise<string | null> {
    const instrument = await cardStore.getInstrument(db, merchantId, card.instrument_id);
    if (!instrument?.pan_ct) return null;
    return (await keyring.decrypt(merchantId, PAN.aad(merchantId, instrument.id), instrument.pan_ct)).toString();
  }

  /** ACTIVE → CONSUMED for a SINGLE token, only if nobody else got there first. */
  async function reserveSingleUse(card: CardWithInstrument, at: string): Promise<boolean> {
    const res = await db
      .updateTable('cards')
      .set((eb) => ({ status: 'CONSUMED', version: eb('version', '+', 1), updated_at: at }))
      .where('id', '=', card.id)
      .where('status', '=', 'ACTIVE')
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  const releaseSingleUse = (q: Executor, cardId: string, at: string) =>
    q
      .updateTable('cards')
      .set((eb) => ({ status: 'ACTIVE', version: eb('version', '+', 1), updated_at: at }))
      .where('id', '=', cardId)
      .where('status', '=', 'CONSUMED')
      .execute();

  async function timedOut(
    caller: Caller,
    operation: string,
    target: string,
    compensate: (tx: Executor, at: string) => Promise<void>,
  ): Promise<VaultFailure> {
    const at = iso(deps.now());
    await inTransaction(db, async (tx) => {
      await compensate(tx, at);
      await audit(tx, caller, `payment.${operation}`, target, at, 'failure', { reason: 'processor_unavailable' });
    });
    deps.metrics.record(operation, 'error', 'processor_unavailable');
    return fail('processor_unavailable', 'the payment processor did not answer; nothing was charged by this request, retry later');
  }

  /** Authorization (and optional capture) or credit: the two calls that take the card. */
  async function firstCall(caller: Caller, kind: 'payment' | 'credit', input: PayInput): Promise<VaultResult<PaymentView>> {
    const money = parseMoney(input.amount, input.currency);
    if (!money.ok)
      return fail('invalid_amount', money.detail, [
        { field: money.error === 'currency_unknown' ? 'currency' : 'amount', code: money.error, message: money.detail ?? '' },
      ]);
    const found = await payableCard(caller, input);
    if (!found.ok) return found;
    const card = found.value;
    const { merchantId } = caller;
    const id = input.newId ? input.newId() : newId(kind === 'payment' ? 'pay' : 'crd');
    const capture = kind === 'credit' ? true : (input.capture ?? true);
    // A SINGLE token is spent by whichever call takes the card first: a credit consumes it as a payment does.
    const single = card.usage === 'SINGLE';
    if (single && !(await reserveSingleUse(card, iso(deps.now())))) return fail('token_consumed', 'the single-use card was already used');
    const operation = kind === 'payment' ? 'authorize' : 'credit';

    let outcome: AuthorizeOutcome;
    let held: HeldCvv | null = null;
    try {
      const pan = await decryptPan(merchantId, card);
      if (pan === null) {
        if (single) await releaseSingleUse(db, card.id, iso(deps.now()));
        return fail('token_deleted', 'the card number is no longer stored');
      }
      held = kind === 'payment' && input.cvv === undefined ? await deps.cards.takeCvv(caller, card.id) : null;
      const cvv = input.cvv ?? held?.cvv;
      const request = {
        reference: id,
        amount: money.value.amount,
        currency: money.value.currency,
        capture,
        card: { pan, expMonth: card.exp_month, expYear: card.exp_year, holderName: card.holder_name, ...(cvv ? { cvv } : {}) },
      };
      outcome = await withTimeout(kind === 'payment' ? processor.authorize(request) : processor.credit(request), deps.processorTimeoutMs);
    } catch (e) {
      if (!(e instanceof ProcessorUnavailableError)) {
        if (single) await releaseSingleUse(db, card.id, iso(deps.now()));
        throw e;
      }
      // Nothing happened at the processor as far as we know: the CVV goes back for the retry.
      if (held) await deps.cards.restoreCvv(caller, card.id, held);
      return timedOut(caller, operation, card.id, async (tx, at) => {
        if (single) await releaseSingleUse(tx, card.id, at);
      });
    }

    const at = iso(deps.now());
    const approved = outcome.result === 'approved';
    const status: PaymentStatus =
      outcome.result === 'declined'
        ? 'DECLINED'
        : outcome.result === 'challenge'
          ? 'PENDING_AUTHENTICATION'
          : kind === 'credit'
            ? 'CREDITED'
            : capture
              ? 'CAPTURED'
              : 'AUTHORIZED';
    const row: PaymentRow = {
      id,
      merchant_id: merchantId,
      kind,
      card_id: card.id,
      customer_id: card.customer_id,
      currency: money.value.currency,
      amount: money.value.amount,
      authorized_amount: approved ? money.value.amount : 0,
      captured_amount: approved && capture ? money.value.amount : 0,
      refunded_amount: 0,
      capture_requested: capture ? 1 : 0,
      status,
      decline_code: outcome.result === 'declined' ? outcome.decline : null,
      processor: processor.name,
      processor_ref: outcome.processorRef,
      auth_code: outcome.result === 'approved' ? outcome.authCode : null,
      reference: input.reference ?? null,
      metadata: input.metadata ? JSON.stringify(input.metadata) : null,
      version: 1,
      created_at: at,
      updated_at: at,
    };
    const claimAndInsert = async (tx: Executor): Promise<void> => {
      if (input.claim) await claimInTransaction(tx, merchantId, input.claim, at);
      await tx.insertInto('payments').values(row).execute();
      await event(
        tx,
        id,
        operation,
        money.value.amount,
        outcome.result,
        status,
        at,
        outcome.result === 'declined' ? { decline: outcome.decline } : undefined,
      );
      if (single && outcome.result === 'declined') await releaseSingleUse(tx, card.id, at);
      await audit(tx, caller, `payment.${operation}`, id, at, approved || outcome.result === 'challenge' ? 'success' : 'failure', {
        token: card.id,
        amount: money.value.amount,
        currency: money.value.currency,
        result: outcome.result,
        decline: row.decline_code,
      });
    };
    try {
      await inTransaction(db, claimAndInsert);
    } catch (e) {
      if (!(e instanceof ReferenceTaken)) throw e;
      // Another request took the reference meanwhile: this one records nothing (and frees its card).
      if (single) await inTransaction(db, (tx) => releaseSingleUse(tx, card.id, at));
      return fail('reference_taken', 'the reference was already used');
    }
    deps.metrics.record(operation, outcome.result, row.decline_code ?? undefined);
    return succeed(view(row));
  }

  /** Reserve an amount move with a conditional update; undo it if the processor does not confirm. */
  async function amountMove(
    caller: Caller,
    id: string,
    op: 'capture' | 'refund',
    requested: number | undefined,
  ): Promise<VaultResult<PaymentView>> {
    const { merchantId } = caller;
    const row = await getRow(db, merchantId, id);
    if (!row) return fail('payment_not_found', 'no such payment');
    const a = amountsOf(row);
    // The state first: "nothing left" is only the answer for a payment in a state that allows the operation.
    const state = op === 'capture' ? canCapture(row.status as PaymentStatus, a, 0) : canRefund(row.status as PaymentStatus, a, 0);
    if (!state.ok && state.error === 'invalid_state') return fail('invalid_payment_state', state.detail);
    const amount = requested ?? (op === 'capture' ? a.authorized - a.captured : a.captured - a.refunded);
    if (!Number.isSafeInteger(amount) || amount <= 0) {
      return fail(op === 'capture' ? 'amount_exceeds_authorized' : 'amount_exceeds_captured', `nothing left to ${op}`);
    }
    const check = op === 'capture' ? canCapture(row.status as PaymentStatus, a, amount) : canRefund(row.status as PaymentStatus, a, amount);
    if (!check.ok) return fail(check.error === 'invalid_state' ? 'invalid_payment_state' : check.error, check.detail);

    const at = iso(deps.now());
    const reserved =
      op === 'capture'
        ? await db
            .updateTable('payments')
            .set((eb) => ({
              captured_amount: eb('captured_amount', '+', amount),
              status: 'CAPTURED',
              version: eb('version', '+', 1),
              updated_at: at,
            }))
            .where('id', '=', id)
            .where('merchant_id', '=', merchantId)
            .where('status', 'in', ['AUTHORIZED', 'CAPTURED'])
            .where('refunded_amount', '=', 0)
            .where(sql<boolean>`captured_amount + ${amount} <= authorized_amount`)
            .executeTakeFirst()
        : await db
            .updateTable('payments')
            .set((eb) => ({
              refunded_amount: eb('refunded_amount', '+', amount),
              status: sql<string>`case when refunded_amount + ${amount} >= captured_amount then 'REFUNDED' else 'PARTIALLY_REFUNDED' end`,
              version: eb('version', '+', 1),
              updated_at: at,
            }))
            .where('id', '=', id)
            .where('merchant_id', '=', merchantId)
            .where('status', 'in', ['CAPTURED', 'PARTIALLY_REFUNDED'])
            .where(sql<boolean>`refunded_amount + ${amount} <= captured_amount`)
            .executeTakeFirst();
    if (Number(reserved.numUpdatedRows) !== 1) {
      // Someone moved the amounts first: report against the fresh row.
      const fresh = (await getRow(db, merchantId, id)) as PaymentRow;
      const again =
        op === 'capture'
          ? canCapture(fresh.status as PaymentStatus, amountsOf(fresh), amount)
          : canRefund(fresh.status as PaymentStatus, amountsOf(fresh), amount);
      return fail(
        !again.ok && again.error === 'invalid_state'
          ? 'invalid_payment_state'
          : op === 'capture'
            ? 'amount_exceeds_authorized'
            : 'amount_exceeds_captured',
        again.ok ? 'changed concurrently; retry' : again.detail,
      );
    }

    const undo = async (tx: Executor) => {
      if (op === 'capture') {
        await tx
          .updateTable('payments')
          .set((eb) => ({
            captured_amount: eb('captured_amount', '-', amount),
            status: sql<string>`case when captured_amount - ${amount} > 0 then 'CAPTURED' else 'AUTHORIZED' end`,
            version: eb('version', '+', 1),
          }))
          .where('id', '=', id)
          .execute();
      } else {
        await tx
          .updateTable('payments')
          .set((eb) => ({
            refunded_amount: eb('refunded_amount', '-', amount),
            status: sql<string>`case when refunded_amount - ${amount} > 0 then 'PARTIALLY_REFUNDED' else 'CAPTURED' end`,
            version: eb('version', '+', 1),
          }))
          .where('id', '=', id)
          .execute();
      }
    };

    let result: FollowUpOutcome;
    try {
      const call =
        op === 'capture'
          ? processor.capture({ reference: id, processorRef: row.processor_ref ?? '', amount, currency: row.currency })
          : processor.refund({ reference: id, processorRef: row.processor_ref ?? '', amount, currency: row.currency });
      result = await withTimeout(call, deps.processorTimeoutMs);
    } catch (e) {
      if (!(e instanceof ProcessorUnavailableError)) {
        await inTransaction(db, undo);
        throw e;
      }
      return timedOut(caller, op, id, undo);
    }
    const done = iso(deps.now());
    const final = await inTransaction(db, async (tx) => {
      if (result.result !== 'approved') await undo(tx);
      const fresh = (await getRow(tx, merchantId, id)) as PaymentRow;
      await event(
        tx,
        id,
        op,
        amount,
        result.result,
        fresh.status,
        done,
        result.result === 'declined' ? { decline: result.decline } : undefined,
      );
      await audit(tx, caller, `payment.${op}`, id, done, result.result === 'approved' ? 'success' : 'failure', {
        amount,
        currency: row.currency,
      });
      return fresh;
    });
    deps.metrics.record(op, result.result, result.result === 'declined' ? result.decline : undefined);
    if (result.result !== 'approved') return fail('invalid_payment_state', `the processor refused the ${op}`);
    return succeed(view(final));
  }

  return {
    authorize: (caller: Caller, input: PayInput) => firstCall(caller, 'payment', input),
    credit: (caller: Caller, input: PayInput) => firstCall(caller, 'credit', input),
    capture: (caller: Caller, id: string, amount?: number) => amountMove(caller, id, 'capture', amount),
    refund: (caller: Caller, id: string, amount?: number) => amountMove(caller, id, 'refund', amount),

    async void(caller: Caller, id: string): Promise<VaultResult<PaymentView>> {
      const { merchantId } = caller;
      const row = await getRow(db, merchantId, id);
      if (!row) return fail('payment_not_found', 'no such payment');
      const check = canVoid(row.status as PaymentStatus, amountsOf(row));
      if (!check.ok) return fail('invalid_payment_state', check.detail);
      const at = iso(deps.now());
      const claimed = await db
        .updateTable('payments')
        .set((eb) => ({ status: 'VOIDED', version: eb('version', '+', 1), updated_at: at }))
        .where('id', '=', id)
        .where('status', '=', 'AUTHORIZED')
        .where('captured_amount', '=', 0)
        .executeTakeFirst();
      if (Number(claimed.numUpdatedRows) !== 1) return fail('invalid_payment_state', 'the payment changed concurrently');
      const undo = (tx: Executor) =>
        tx
          .updateTable('payments')
          .set((eb) => ({ status: 'AUTHORIZED', version: eb('version', '+', 1) }))
          .where('id', '=', id)
          .where('status', '=', 'VOIDED')
          .execute()
          .then(() => {});
      let result: FollowUpOutcome;
      try {
        result = await withTimeout(processor.void({ reference: id, processorRef: row.processor_ref ?? '' }), deps.processorTimeoutMs);
      } catch (e) {
        if (!(e instanceof ProcessorUnavailableError)) throw e;
        return timedOut(caller, 'void', id, undo);
      }
      const final = await inTransaction(db, async (tx) => {
        if (result.result !== 'approved') await undo(tx);
        const fresh = (await getRow(tx, merchantId, id)) as PaymentRow;
        await event(tx, id, 'void', n(row.authorized_amount), result.result, fresh.status, at);
        await audit(tx, caller, 'payment.void', id, at, result.result === 'approved' ? 'success' : 'failure', {
          amount: n(row.authorized_amount),
        });
        return fresh;
      });
      deps.metrics.record('void', result.result);
      if (result.result !== 'approved') return fail('invalid_payment_state', 'the processor refused the void');
      return succeed(view(final));
    },

    /** Completes a 3-D Secure challenge with the cardholder's result. */
    async authenticate(caller: Caller, id: string, authenticated: boolean): Promise<VaultResult<PaymentView>> {
      const { merchantId } = caller;
      const row = await getRow(db, merchantId, id);
      if (!row) return fail('payment_not_found', 'no such payment');
      if (row.status !== 'PENDING_AUTHENTICATION')
        return fail('invalid_payment_state', `a ${row.status} payment has no challenge to complete`);
      const capture = row.capture_requested === 1;
      const amount = n(row.amount);
      let outcome: AuthorizeOutcome;
      try {
        outcome = await withTimeout(
          processor.completeChallenge({
            reference: id,
            processorRef: row.processor_ref ?? '',
            authenticated,
            capture,
            amount,
            currency: row.currency,
          }),
          deps.processorTimeoutMs,
        );
      } catch (e) {
        if (!(e instanceof ProcessorUnavailableError)) throw e;
        return timedOut(caller, 'authenticate', id, async () => {});
      }
      const at = iso(deps.now());
      const approved = outcome.result === 'approved';
      const status: PaymentStatus = approved ? (capture ? 'CAPTURED' : 'AUTHORIZED') : 'FAILED';
      const decline = outcome.result === 'declined' ? outcome.decline : null;
      const final = await inTransaction(db, async (tx): Promise<VaultResult<PaymentRow>> => {
        const res = await tx
          .updateTable('payments')
          .set((eb) => ({
            status,
            authorized_amount: approved ? amount : 0,
            captured_amount: approved && capture ? amount : 0,
            decline_code: decline,
            auth_code: outcome.result === 'approved' ? outcome.authCode : null,
            version: eb('version', '+', 1),
            updated_at: at,
          }))
          .where('id', '=', id)
          .where('status', '=', 'PENDING_AUTHENTICATION')
          .executeTakeFirst();
        if (Number(res.numUpdatedRows) !== 1) return fail('invalid_payment_state', 'the challenge was already completed');
        if (!approved) {
          const card = await cardStore.getCard(tx, merchantId, row.card_id);
          if (card?.usage === 'SINGLE') await releaseSingleUse(tx, row.card_id, at);
        }
        await event(tx, id, 'authenticate', amount, outcome.result, status, at, decline ? { decline } : undefined);
        await audit(tx, caller, 'payment.authenticate', id, at, approved ? 'success' : 'failure', { result: outcome.result, decline });
        return succeed((await getRow(tx, merchantId, id)) as PaymentRow);
      });
      if (!final.ok) return final;
      deps.metrics.record('authenticate', outcome.result, decline ?? undefined);
      return succeed(view(final.value));
    },

    /**
     * The merchant's newest payment with this merchant reference that `accept` takes (gateways that look
     * their own payments up by it; references are only unique within one API).
     */
    async findByReference(
      caller: Caller,
      reference: string,
      accept: (p: PaymentView) => boolean = () => true,
    ): Promise<VaultResult<PaymentView>> {
      const rows = await db
        .selectFrom('payments')
        .select('id')
        .where('merchant_id', '=', caller.merchantId)
        .where('reference', '=', reference)
        .orderBy('created_at', 'desc')
        .limit(50)
        .execute();
      for (const row of rows) {
        const p = await this.get(caller, row.id);
        if (p.ok && accept(p.value)) return p;
      }
      return fail('payment_not_found', 'no such payment');
    },

    async get(caller: Caller, id: string): Promise<VaultResult<PaymentView>> {
      const row = await getRow(db, caller.merchantId, id);
      if (!row) return fail('payment_not_found', 'no such payment');
      const events = await db
        .selectFrom('payment_events')
        .selectAll()
        .where('payment_id', '=', id)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return succeed(view(row, events));
    },

    async list(
      caller: Caller,
      opts: { token: string | null; customerId: string | null; after: Cursor | null; limit: number },
    ): Promise<Page<PaymentView>> {
      let q = db
        .selectFrom('payments')
        .selectAll()
        .where('merchant_id', '=', caller.merchantId)
        .orderBy('created_at')
        .orderBy('id')
        .limit(opts.limit + 1);
      if (opts.token) q = q.where('card_id', '=', opts.token);
      if (opts.customerId) q = q.where('customer_id', '=', opts.customerId);
      if (opts.after) q = q.where(afterCursor('created_at', 'id', opts.after));
      return toPage(await q.execute(), opts.limit, (r) => view(r));
    },
  };
}

export type PaymentService = ReturnType<typeof createPaymentService>;
