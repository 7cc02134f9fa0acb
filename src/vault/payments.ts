/**
 * Paying with tokens. Invariants:
 * - a card that is not payable (suspended, deleted, consumed, expired) never reaches the processor;
 * - a SINGLE token is reserved (ACTIVE → CONSUMED, compare-and-set) before the processor is called, so two
 *   concurrent payments cannot both use it; a decline, failure or timeout gives it back (lifecycle.ts SINGLE_USE);
 * - amounts move only under the payment's row lock, checked by the domain rules (captured + amount ≤
 *   authorized, refunded + amount ≤ captured), so concurrent captures or refunds can never exceed the bounds;
 *   a failed processor call gives the reserved amount back; the status is always settledStatus of the amounts;
 * - a timeout leaves no payment behind: nothing is written for an authorization that did not answer.
 * Known gap: a crash between the processor's answer and the write loses that answer; the payment id is
 * sent as the processor reference so a real connector can reconcile.
 * The operations live in payments/: first-call.ts (authorize, credit), follow-ups.ts (capture, refund, void,
 * authenticate); the reads are here.
 */

import { type Cursor, type Page, toPage } from '../store/page.ts';
import { paymentStore } from '../store/payment-store.ts';
import type { Caller } from './deps.ts';
import { fail, succeed, type VaultResult } from './errors.ts';
import { type PaymentDeps, paymentContext } from './payments/context.ts';
import { createFirstCall, type PayInput } from './payments/first-call.ts';
import { createFollowUps } from './payments/follow-ups.ts';
import { eventView, type PaymentEventView, type PaymentView, paymentView } from './payments/view.ts';
import { type ReferenceClaim, referenceKey } from './references.ts';

export type { FollowOnOptions } from './payments/context.ts';
export { noopPaymentMetrics, type PaymentMetrics } from './payments/context.ts';
export type { PayInput } from './payments/first-call.ts';
export type { PaymentEventView, PaymentView } from './payments/view.ts';

export function createPaymentService(deps: PaymentDeps) {
  const ctx = paymentContext(deps);
  const { db } = deps;
  const firstCall = createFirstCall(ctx);
  const followUps = createFollowUps(ctx);

  return {
    authorize: (caller: Caller, input: PayInput) => firstCall(caller, 'payment', input),
    credit: (caller: Caller, input: PayInput) => firstCall(caller, 'credit', input),
    ...followUps,

    /**
     * The merchant's newest payment with this merchant reference that `accept` takes (gateways that look
     * their own payments up by it; references are only unique within one API).
     */
    async findByReference(
      caller: Caller,
      reference: string,
      accept: (p: PaymentView) => boolean = () => true,
    ): Promise<VaultResult<PaymentView>> {
      for (const row of await paymentStore.idsByReference(db, caller.merchantId, reference, 50)) {
        const p = await this.get(caller, row.id);
        if (p.ok && accept(p.value)) return p;
      }
      return fail('payment_not_found', 'no such payment');
    },

    async get(caller: Caller, id: string): Promise<VaultResult<PaymentView>> {
      const row = await paymentStore.byId(db, caller.merchantId, id);
      if (!row) return fail('payment_not_found', 'no such payment');
      return succeed(paymentView(row, await paymentStore.events(db, id)));
    },

    /** A follow-on call (capture, refund, void…) as a resource of its own, with its payment as it stands now. */
    async followOn(caller: Caller, eventId: string): Promise<VaultResult<{ payment: PaymentView; event: PaymentEventView }>> {
      const row = await paymentStore.eventOf(db, caller.merchantId, eventId);
      if (!row) return fail('payment_not_found', 'no such payment');
      const payment = await this.get(caller, row.payment_id);
      if (!payment.ok) return payment;
      return succeed({ payment: payment.value, event: eventView(row) });
    },

    /** The follow-on call made with a merchant reference (FollowOnOptions.reference), once it succeeded. */
    async followOnByReference(
      caller: Caller,
      claim: ReferenceClaim,
    ): Promise<VaultResult<{ payment: PaymentView; event: PaymentEventView }>> {
      const row = await paymentStore.eventByReference(db, caller.merchantId, referenceKey(claim));
      return row ? this.followOn(caller, row.id) : fail('payment_not_found', 'no such payment');
    },

    async list(
      caller: Caller,
      opts: { token: string | null; customerId: string | null; after: Cursor | null; limit: number },
    ): Promise<Page<PaymentView>> {
      const rows = await paymentStore.list(db, caller.merchantId, { ...opts, limit: opts.limit + 1 });
      return toPage(rows, opts.limit, (r) => paymentView(r));
    },
  };
}

export type PaymentService = ReturnType<typeof createPaymentService>;
