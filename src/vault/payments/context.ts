/** What every payment operation shares: its dependencies, the event and audit writers, the timeout answer. */
import { appendAudit, type Outcome } from '../../audit/log.ts';
import { newId } from '../../domain/ids.ts';
import { SINGLE_USE } from '../../domain/lifecycle.ts';
import type { Processor } from '../../payments/processor.ts';
import { cardStore } from '../../store/card-store.ts';
import { type Executor, inTransaction } from '../../store/db.ts';
import { paymentStore } from '../../store/payment-store.ts';
import type { PaymentEventRow } from '../../store/schema.ts';
import type { CardService } from '../cards.ts';
import { type Caller, iso, type VaultDeps } from '../deps.ts';
import { fail, type VaultFailure } from '../errors.ts';
import type { NotifyRequest } from '../outbox.ts';
import type { ReferenceClaim } from '../references.ts';

/** The metrics port: counts of payment outcomes by operation and reason. */
export interface PaymentMetrics {
  record(operation: string, outcome: string, reason?: string): void;
}
export const noopPaymentMetrics: PaymentMetrics = { record: () => {} };

/**
 * What a follow-on call (capture, refund, void, reversal) may carry:
 * - `eventId`: its event's id, drawn in the format of the API that asks (DESIGN §3);
 * - `reference`: the merchant's own reference for this call (AppotaPay's refund and reversal `merchantRefId`,
 *   AlliancePay's `merchantRequestId`): single-use in its namespace, claimed with the reservation
 *   (`reference_taken` if used), released if the processor does not confirm, and recorded on the event, where
 *   payments.followOnByReference finds it;
 * - `notify`: a delivery of its outcome (vault/outbox.ts), written in the same commit.
 */
export interface FollowOnOptions {
  eventId?: () => string;
  reference?: ReferenceClaim;
  notify?: NotifyRequest;
}

export type PaymentDeps = VaultDeps & { processor: Processor; processorTimeoutMs: number; metrics: PaymentMetrics; cards: CardService };

export function paymentContext(deps: PaymentDeps) {
  const { db } = deps;

  /** Writes one event of the payment (with `id`: one drawn in a gateway's format); returns the row written. */
  const event = async (
    tx: Executor,
    paymentId: string,
    type: string,
    amount: number | null,
    outcome: string,
    statusAfter: string,
    at: string,
    detail?: Record<string, unknown>,
    extra: { reference?: string; id?: string } = {},
  ): Promise<PaymentEventRow> => {
    const row: PaymentEventRow = {
      id: extra.id ?? newId('pev'),
      payment_id: paymentId,
      type,
      amount,
      outcome,
      status_after: statusAfter,
      detail: detail ? JSON.stringify(detail) : null,
      created_at: at,
      ...(extra.reference !== undefined ? { reference: extra.reference } : {}),
    };
    await paymentStore.insertEvent(tx, row);
    return row;
  };

  const audit = (
    tx: Executor,
    caller: Caller,
    action: string,
    target: string,
    at: string,
    outcome: Outcome,
    detail: Record<string, string | number | boolean | null>,
  ) => appendAudit(tx, { merchantId: caller.merchantId, actor: caller.actor, action, target, outcome, detail }, at);

  /** Gives a reserved single-use token back (lifecycle.ts SINGLE_USE.release): the processor did not take it. */
  const releaseSingleUse = async (q: Executor, cardId: string, at: string): Promise<void> => {
    await cardStore.moveStatus(q, cardId, SINGLE_USE.release, at);
  };

  /** The processor did not answer: undo what was reserved, audit the failure, and say so. */
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

  return { deps, db, event, audit, releaseSingleUse, timedOut };
}

export type PaymentContext = ReturnType<typeof paymentContext>;
