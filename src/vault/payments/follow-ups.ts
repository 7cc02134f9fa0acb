/**
 * Calls on an existing payment: capture, refund, void, and the end of a 3-D Secure challenge. Each reserves
 * its change under the payment's row lock, checked and computed by the domain rules (domain/payment.ts:
 * canCapture/canRefund/canVoid, settledStatus), calls the processor, and undoes the reservation the same
 * way if the processor does not confirm. Concurrent captures or refunds can never exceed the bounds.
 */
import { SINGLE_USE } from '../../domain/lifecycle.ts';
import {
  type AmountMove,
  canAuthenticate,
  canMove,
  canReverse,
  canVoid,
  canVoidCredit,
  challengeStatus,
  moved,
  type PaymentStatus,
  settledStatus,
} from '../../domain/payment.ts';
import { type AuthorizeOutcome, type FollowUpOutcome, ProcessorUnavailableError, withTimeout } from '../../payments/processor.ts';
import { cardStore } from '../../store/card-store.ts';
import { type Executor, inTransaction } from '../../store/db.ts';
import { type PaymentPatch, paymentStore } from '../../store/payment-store.ts';
import type { PaymentRow } from '../../store/schema.ts';
import { type Caller, iso } from '../deps.ts';
import { fail, succeed, type VaultFailure, type VaultResult } from '../errors.ts';
import { enqueueDelivery } from '../outbox.ts';
import { claimInTransaction, ReferenceTaken, referenceKey, releaseClaim } from '../references.ts';
import type { FollowOnOptions, PaymentContext } from './context.ts';
import { amountsOf, eventView, n, type PaymentView, paymentView } from './view.ts';
import { createVoidFollowOn } from './void-follow-on.ts';

/** A reference claimed meanwhile rolled the reservation back. */
function referenceTaken(e: unknown): VaultFailure {
  if (!(e instanceof ReferenceTaken)) throw e;
  return fail('reference_taken', 'the reference was already used');
}

const exceeds = (op: AmountMove) => (op === 'capture' ? 'amount_exceeds_authorized' : 'amount_exceeds_captured');

export function createFollowUps(ctx: PaymentContext) {
  const { deps, db } = ctx;
  const { processor } = deps;

  /**
   * Locks the payment and applies what `decide` makes of it: a patch (written with the next version), null
   * (nothing to write), or a refusal. The decision is taken on the row as it is under the lock, so no concurrent change slips between.
   */
  async function change(
    q: Executor,
    merchantId: string,
    id: string,
    decide: (row: PaymentRow) => VaultResult<PaymentPatch | null>,
  ): Promise<VaultResult<PaymentRow>> {
    const row = await paymentStore.lock(q, merchantId, id);
    if (!row) return fail('payment_not_found', 'no such payment');
    const patch = decide(row);
    if (!patch.ok) return patch;
    if (patch.value !== null) await paymentStore.update(q, id, row.version, patch.value);
    return succeed(row);
  }

  /** The amounts and the status they imply after moving `amount` (negative: an undo). */
  const movedPatch = (row: PaymentRow, op: AmountMove, amount: number): PaymentPatch => {
    const next = moved(amountsOf(row), op, amount);
    return {
      ...(op === 'capture' ? { captured_amount: next.captured } : { refunded_amount: next.refunded }),
      status: settledStatus(next),
    };
  };

  /** Writes the processor's answer (undoing the reservation if it refused): event and audit, one commit. */
  async function settle(
    caller: Caller,
    id: string,
    op: 'capture' | 'refund' | 'void',
    amount: number,
    result: FollowUpOutcome,
    at: string,
    undo: (tx: Executor) => Promise<unknown>,
    auditDetail: Record<string, string | number>,
    opts: FollowOnOptions = {},
  ): Promise<VaultResult<PaymentView>> {
    const final = await inTransaction(db, async (tx) => {
      if (result.result !== 'approved') await undo(tx);
      const fresh = (await paymentStore.byId(tx, caller.merchantId, id)) as PaymentRow;
      const declined = op !== 'void' && result.result === 'declined' ? { decline: result.decline } : undefined;
      const detail = opts.reference ? { ...declined, reference: opts.reference.reference } : declined;
      // Only a call that went through keeps its reference (a refused one released it): found by its claim key.
      const reference = opts.reference && result.result === 'approved' ? referenceKey(opts.reference) : undefined;
      const eventId = opts.eventId?.();
      const written = await ctx.event(tx, id, op, amount, result.result, fresh.status, at, detail, {
        ...(reference !== undefined ? { reference } : {}),
        ...(eventId !== undefined ? { id: eventId } : {}),
      });
      if (opts.notify) await enqueueDelivery(tx, caller.merchantId, { paymentId: id, eventId: written.id }, opts.notify, at);
      const outcome = result.result === 'approved' ? 'success' : 'failure';
      await ctx.audit(tx, caller, `payment.${op}`, id, at, outcome, auditDetail);
      return { fresh, written };
    });
    deps.metrics.record(op, result.result, op !== 'void' && result.result === 'declined' ? result.decline : undefined);
    if (result.result !== 'approved') return fail('invalid_payment_state', `the processor refused the ${op}`);
    return succeed({ ...paymentView(final.fresh), event: eventView(final.written) });
  }

  /** Calls the processor; a timeout or failure undoes the reservation first. */
  async function call(
    caller: Caller,
    op: 'capture' | 'refund' | 'void',
    id: string,
    run: () => Promise<FollowUpOutcome>,
    undo: (tx: Executor) => Promise<unknown>,
    undoOnError: boolean,
  ): Promise<FollowUpOutcome | VaultFailure> {
    try {
      return await withTimeout(run(), deps.processorTimeoutMs);
    } catch (e) {
      if (!(e instanceof ProcessorUnavailableError)) {
        if (undoOnError) await inTransaction(db, undo);
        throw e;
      }
      return ctx.timedOut(caller, op, id, async (tx) => {
        await undo(tx);
      });
    }
  }

  /** Reserve an amount move under the row lock; undo it if the processor does not confirm. */
  async function amountMove(
    caller: Caller,
    id: string,
    op: AmountMove,
    requested: number | undefined,
    opts: FollowOnOptions = {},
  ): Promise<VaultResult<PaymentView>> {
    const { merchantId } = caller;
    const claim = opts.reference;
    const row = await paymentStore.byId(db, merchantId, id);
    if (!row) return fail('payment_not_found', 'no such payment');
    const a = amountsOf(row);
    // The state first: "nothing left" is only the answer for a payment in a state that allows the operation.
    const state = canMove(op, row.status as PaymentStatus, a, 0);
    if (!state.ok && state.error === 'invalid_state') return fail('invalid_payment_state', state.detail);
    const amount = requested ?? (op === 'capture' ? a.authorized - a.captured : a.captured - a.refunded);
    if (!Number.isSafeInteger(amount) || amount <= 0) return fail(exceeds(op), `nothing left to ${op}`);

    const at = iso(deps.now());
    const reserved = await inTransaction(db, async (tx) => {
      const done = await change(tx, merchantId, id, (locked) => {
        const check = canMove(op, locked.status as PaymentStatus, amountsOf(locked), amount);
        if (!check.ok) return fail(check.error === 'invalid_state' ? 'invalid_payment_state' : exceeds(op), check.detail);
        return succeed({ ...movedPatch(locked, op, amount), updated_at: at });
      });
      if (done.ok && claim) await claimInTransaction(tx, merchantId, claim, at);
      return done;
    }).catch(referenceTaken);
    if (!reserved.ok) return reserved;
    const undo = async (tx: Executor) => {
      await change(tx, merchantId, id, (locked) => succeed(movedPatch(locked, op, -amount)));
      if (claim) await releaseClaim(tx, merchantId, claim);
    };
    const req = { reference: id, processorRef: row.processor_ref ?? '', amount, currency: row.currency };
    const result = await call(caller, op, id, () => (op === 'capture' ? processor.capture(req) : processor.refund(req)), undo, true);
    if ('ok' in result) return result;
    return settle(caller, id, op, amount, result, iso(deps.now()), undo, { amount, currency: row.currency }, opts);
  }

  /**
   * Voids an authorization nothing was captured of (`kind` 'payment'), or a credit (a payout) that stands
   * (`kind` 'credit': only APIs that offer voiding credits ask for it).
   */
  async function voidPayment(
    caller: Caller,
    id: string,
    opts: FollowOnOptions = {},
    kind: 'payment' | 'credit' = 'payment',
  ): Promise<VaultResult<PaymentView>> {
    const claim = opts.reference;
    const { merchantId } = caller;
    const row = await paymentStore.byId(db, merchantId, id);
    if (!row) return fail('payment_not_found', 'no such payment');
    // Only a credit is ever CREDITED (firstCallStatus), so canVoidCredit refuses any other payment.
    const rule = (r: PaymentRow) =>
      kind === 'credit' ? canVoidCredit(r.status as PaymentStatus) : canVoid(r.status as PaymentStatus, amountsOf(r));
    const check = rule(row);
    if (!check.ok) return fail('invalid_payment_state', check.detail);
    const at = iso(deps.now());
    const claimed = await inTransaction(db, async (tx) => {
      const done = await change(tx, merchantId, id, (locked) =>
        rule(locked).ok ? succeed({ status: 'VOIDED', updated_at: at }) : fail('invalid_payment_state', 'the payment changed concurrently'),
      );
      if (done.ok && claim) await claimInTransaction(tx, merchantId, claim, at);
      return done;
    }).catch(referenceTaken);
    if (!claimed.ok) return claimed;
    // The void's undo: back to the status it had, unless something else changed it meanwhile.
    const before = claimed.value.status;
    const undo = async (tx: Executor) => {
      await change(tx, merchantId, id, (locked) => (locked.status === 'VOIDED' ? succeed({ status: before }) : succeed(null)));
      if (claim) await releaseClaim(tx, merchantId, claim);
    };
    const ref = { reference: id, processorRef: row.processor_ref ?? '' };
    const result = await call(caller, 'void', id, () => processor.void(ref), undo, false);
    if ('ok' in result) return result;
    const authorized = n(row.authorized_amount);
    return settle(caller, id, 'void', authorized, result, at, undo, { amount: authorized }, opts);
  }

  /**
   * Releases `amount` of an authorization (a reversal): all of it, with nothing captured, is a void; a part
   * (or the rest after a partial capture) lowers the authorized amount. The processor port has no partial
   * release, so a partial reversal is the vault's bookkeeping only (a real connector needs one: known gap).
   */
  async function reverse(caller: Caller, id: string, amount: number, opts: FollowOnOptions = {}): Promise<VaultResult<PaymentView>> {
    const { merchantId } = caller;
    const row = await paymentStore.byId(db, merchantId, id);
    if (!row) return fail('payment_not_found', 'no such payment');
    const a = amountsOf(row);
    if (row.kind !== 'payment') return fail('invalid_payment_state', 'a credit cannot be reversed');
    if (a.captured === 0 && amount === a.authorized) return voidPayment(caller, id, opts, 'payment');
    if (!Number.isSafeInteger(amount) || amount <= 0) return fail('invalid_amount', 'the amount must be positive');
    const at = iso(deps.now());
    const done = await inTransaction(db, async (tx): Promise<VaultResult<PaymentView>> => {
      const changed = await change(tx, merchantId, id, (locked) => {
        const check = canReverse(locked.status as PaymentStatus, amountsOf(locked), amount);
        if (!check.ok) return fail(check.error === 'invalid_state' ? 'invalid_payment_state' : 'amount_exceeds_authorized', check.detail);
        const next = { ...amountsOf(locked), authorized: amountsOf(locked).authorized - amount };
        return succeed({ authorized_amount: next.authorized, status: settledStatus(next), updated_at: at });
      });
      if (!changed.ok) return changed;
      const fresh = (await paymentStore.byId(tx, merchantId, id)) as PaymentRow;
      const eventId = opts.eventId?.();
      const written = await ctx.event(tx, id, 'reverse', amount, 'approved', fresh.status, at, undefined, eventId ? { id: eventId } : {});
      await ctx.audit(tx, caller, 'payment.reverse', id, at, 'success', { amount, currency: row.currency });
      return succeed({ ...paymentView(fresh), event: eventView(written) });
    });
    if (done.ok) deps.metrics.record('reverse', 'approved');
    return done;
  }

  /** Completes a 3-D Secure challenge with the cardholder's result. */
  async function authenticate(
    caller: Caller,
    id: string,
    authenticated: boolean,
    opts: Pick<FollowOnOptions, 'notify'> = {},
  ): Promise<VaultResult<PaymentView>> {
    const { merchantId } = caller;
    const row = await paymentStore.byId(db, merchantId, id);
    if (!row) return fail('payment_not_found', 'no such payment');
    const pending = canAuthenticate(row.status as PaymentStatus);
    if (!pending.ok) return fail('invalid_payment_state', pending.detail);
    const capture = row.capture_requested === 1;
    const amount = n(row.amount);
    let outcome: AuthorizeOutcome;
    try {
      const req = { reference: id, processorRef: row.processor_ref ?? '', authenticated, capture, amount, currency: row.currency };
      outcome = await withTimeout(processor.completeChallenge(req), deps.processorTimeoutMs);
    } catch (e) {
      if (!(e instanceof ProcessorUnavailableError)) throw e;
      return ctx.timedOut(caller, 'authenticate', id, async () => {});
    }
    const at = iso(deps.now());
    const approved = outcome.result === 'approved';
    const status = challengeStatus(approved, capture);
    const decline = outcome.result === 'declined' ? outcome.decline : null;
    const patch: PaymentPatch = {
      status,
      authorized_amount: approved ? amount : 0,
      captured_amount: approved && capture ? amount : 0,
      decline_code: decline,
      auth_code: outcome.result === 'approved' ? outcome.authCode : null,
      updated_at: at,
    };
    const final = await inTransaction(db, async (tx): Promise<VaultResult<PaymentRow>> => {
      const done = await change(tx, merchantId, id, (locked) =>
        canAuthenticate(locked.status as PaymentStatus).ok
          ? succeed(patch)
          : fail('invalid_payment_state', 'the challenge was already completed'),
      );
      if (!done.ok) return done;
      if (!approved) {
        const card = await cardStore.getCard(tx, merchantId, row.card_id, 'all');
        if (card?.usage === 'SINGLE') await cardStore.moveStatus(tx, row.card_id, SINGLE_USE.release, at);
      }
      const written = await ctx.event(tx, id, 'authenticate', amount, outcome.result, status, at, decline ? { decline } : undefined);
      if (opts.notify) await enqueueDelivery(tx, merchantId, { paymentId: id, eventId: written.id }, opts.notify, at);
      await ctx.audit(tx, caller, 'payment.authenticate', id, at, approved ? 'success' : 'failure', { result: outcome.result, decline });
      return succeed((await paymentStore.byId(tx, merchantId, id)) as PaymentRow);
    });
    if (!final.ok) return final;
    deps.metrics.record('authenticate', outcome.result, decline ?? undefined);
    return succeed(paymentView(final.value));
  }

  return {
    capture: (caller: Caller, id: string, amount?: number, opts: FollowOnOptions = {}) => amountMove(caller, id, 'capture', amount, opts),
    refund: (caller: Caller, id: string, amount?: number, opts: FollowOnOptions = {}) => amountMove(caller, id, 'refund', amount, opts),
    void: (caller: Caller, id: string, opts: FollowOnOptions = {}) => voidPayment(caller, id, opts, 'payment'),
    /** Voids a credit that stands (Cybersource's VoidApi.voidCredit). */
    voidCredit: (caller: Caller, id: string, opts: FollowOnOptions = {}) => voidPayment(caller, id, opts, 'credit'),
    reverse,
    voidFollowOn: createVoidFollowOn(ctx),
    authenticate,
  };
}
