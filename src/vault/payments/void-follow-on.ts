/**
 * Voiding a follow-on call: undoing the amount move of an approved capture or refund (or the capture of a
 * sale: an authorization captured at once) before it settles. The void is written first, as a 'pending'
 * event under the payment's row lock together with the reserved amount move, so two voids of one call can
 * never both pass; then the processor is asked, and its refusal (or silence) puts the amounts back and the
 * event says so. The rules are the domain's (canUndoMove, moved, settledStatus).
 */
import { newId } from '../../domain/ids.ts';
import { type AmountMove, canUndoMove, moved, type PaymentStatus, settledStatus } from '../../domain/payment.ts';
import { type FollowUpOutcome, ProcessorUnavailableError, withTimeout } from '../../payments/processor.ts';
import { type Executor, inTransaction } from '../../store/db.ts';
import { paymentStore } from '../../store/payment-store.ts';
import type { PaymentEventRow, PaymentRow } from '../../store/schema.ts';
import { type Caller, iso } from '../deps.ts';
import { fail, succeed, type VaultResult } from '../errors.ts';
import type { FollowOnOptions, PaymentContext } from './context.ts';
import { amountsOf, eventView, n, type PaymentView, paymentView } from './view.ts';

/** The amount move an event made that a void undoes, if it is one that can be voided. */
function undoneMove(e: PaymentEventRow): AmountMove | null {
  if (e.outcome !== 'approved') return null;
  if (e.type === 'capture' || e.type === 'refund') return e.type;
  // A sale: the authorization (or its completed challenge) captured at once.
  if ((e.type === 'authorize' || e.type === 'authenticate') && e.status_after === 'CAPTURED') return 'capture';
  return null;
}

/** Whether `e` is a standing (or still pending) void of event `eventId`. */
function voids(e: PaymentEventRow, eventId: string): boolean {
  if (e.type !== 'void' || (e.outcome !== 'approved' && e.outcome !== 'pending') || !e.detail) return false;
  return (JSON.parse(e.detail) as { voids?: string }).voids === eventId;
}

/** The patch that moves `amount` (negative: undoes it) and the status the amounts then imply. */
function movePatch(row: PaymentRow, op: AmountMove, amount: number, at: string) {
  const next = moved(amountsOf(row), op, amount);
  const status: PaymentStatus = settledStatus(next);
  return { ...(op === 'capture' ? { captured_amount: next.captured } : { refunded_amount: next.refunded }), status, updated_at: at };
}

export function createVoidFollowOn(ctx: PaymentContext) {
  const { deps, db } = ctx;

  /** Reserves the undo and writes the pending void, under the row lock. */
  async function reserve(caller: Caller, target: PaymentEventRow, op: AmountMove, voidId: string): Promise<VaultResult<PaymentRow>> {
    const id = target.payment_id;
    const amount = n(target.amount);
    const at = iso(deps.now());
    return inTransaction(db, async (tx): Promise<VaultResult<PaymentRow>> => {
      const locked = await paymentStore.lock(tx, caller.merchantId, id);
      if (!locked) return fail('payment_not_found', 'no such payment');
      if ((await paymentStore.events(tx, id)).some((e) => voids(e, target.id))) {
        return fail('invalid_payment_state', `the ${target.type} was already voided`);
      }
      const check = canUndoMove(op, locked.status as PaymentStatus, amountsOf(locked), amount);
      if (!check.ok) return fail('invalid_payment_state', check.detail);
      const patch = movePatch(locked, op, -amount, at);
      await paymentStore.update(tx, id, locked.version, patch);
      await ctx.event(
        tx,
        id,
        'void',
        amount,
        'pending',
        patch.status,
        at,
        { voids: target.id, of: target.type },
        voidId ? { id: voidId } : {},
      );
      return succeed(locked);
    });
  }

  /** Voids the capture or refund `eventId` (with `opts.eventId`, the void's own id in the caller's format). */
  return async function voidFollowOn(caller: Caller, eventId: string, opts: FollowOnOptions = {}): Promise<VaultResult<PaymentView>> {
    const { merchantId } = caller;
    const target = await paymentStore.eventOf(db, merchantId, eventId);
    if (!target) return fail('payment_not_found', 'no such payment event');
    const op = undoneMove(target);
    if (!op) return fail('invalid_payment_state', `a ${target.outcome} ${target.type} cannot be voided`);
    const id = target.payment_id;
    const amount = n(target.amount);
    const voidId = opts.eventId ? opts.eventId() : newId('pev');
    const reserved = await reserve(caller, target, op, voidId);
    if (!reserved.ok) return reserved;

    /** Puts the amount back and marks the void with `outcome`. */
    const undo = async (tx: Executor, outcome: string) => {
      const locked = (await paymentStore.lock(tx, merchantId, id)) as PaymentRow;
      const patch = movePatch(locked, op, amount, iso(deps.now()));
      await paymentStore.update(tx, id, locked.version, patch);
      await paymentStore.settleEvent(tx, voidId, outcome, patch.status);
    };
    let result: FollowUpOutcome;
    try {
      const ref = { reference: voidId, processorRef: reserved.value.processor_ref ?? '' };
      result = await withTimeout(deps.processor.void(ref), deps.processorTimeoutMs);
    } catch (e) {
      if (!(e instanceof ProcessorUnavailableError)) {
        await inTransaction(db, (tx) => undo(tx, 'failed'));
        throw e;
      }
      return ctx.timedOut(caller, 'void', id, (tx) => undo(tx, 'failed'));
    }
    const at = iso(deps.now());
    const fresh = await inTransaction(db, async (tx) => {
      if (result.result === 'approved') {
        const row = (await paymentStore.byId(tx, merchantId, id)) as PaymentRow;
        await paymentStore.settleEvent(tx, voidId, 'approved', row.status);
      } else {
        await undo(tx, result.result);
      }
      await ctx.audit(tx, caller, 'payment.void', id, at, result.result === 'approved' ? 'success' : 'failure', { amount, of: target.id });
      return (await paymentStore.byId(tx, merchantId, id)) as PaymentRow;
    });
    deps.metrics.record('void', result.result);
    if (result.result !== 'approved') return fail('invalid_payment_state', 'the processor refused the void');
    const written = (await paymentStore.eventOf(db, merchantId, voidId)) as PaymentEventRow;
    return succeed({ ...paymentView(fresh), event: eventView(written) });
  };
}
