/**
 * Follow-on calls as PTS resources of their own (captures, refunds, reversals, voids), each answered with the
 * vault event's id (drawn as PTS draws ids) and the `_links` of its SDK model: a capture
 * `PtsV2PaymentsCapturesPost201ResponseLinks` {self, void}, a refund `PtsV2PaymentsRefundPost201ResponseLinks`
 * {self, void}, a reversal or void `PtsV2IncrementalAuthorizationPatch201ResponseLinks` {self}.
 */
import { decimalAmount } from '../../../domain/money.ts';
import type { PaymentEventView, PaymentView } from '../../../vault/payments.ts';
import { submitTime } from './codes.ts';
import type { Json } from './fields.ts';

export type FollowOnKind = 'captures' | 'refunds' | 'reversals' | 'voids';

/** The kind of resource a vault event is on the wire, or null when it is none of these. */
export function kindOfEvent(p: PaymentView, e: PaymentEventView): FollowOnKind | null {
  if (e.type === 'capture') return 'captures';
  if (e.type === 'refund') return 'refunds';
  if (e.type === 'reverse') return 'reversals';
  if (e.type === 'void') return p.kind === 'payment' && !e.detail?.voids ? 'reversals' : 'voids';
  return null;
}

/** The documented status of each kind, by the event's outcome (null: an outcome that is no resource of that kind). */
function statusOf(kind: FollowOnKind, outcome: string): string | null {
  if (outcome === 'approved') return { captures: 'PENDING', refunds: 'PENDING', reversals: 'REVERSED', voids: 'VOIDED' }[kind];
  if (kind === 'refunds' && outcome === 'declined') return 'DECLINED';
  if (kind === 'voids' && outcome !== 'pending') return 'FAILED';
  return null;
}

function amounts(kind: FollowOnKind, amount: string, p: PaymentView): Json {
  const currency = p.currency;
  switch (kind) {
    case 'captures':
      return { orderInformation: { amountDetails: { totalAmount: amount, currency } } };
    case 'refunds':
      return { orderInformation: { amountDetails: { currency } }, refundAmountDetails: { refundAmount: amount, currency } };
    case 'reversals':
      return {
        orderInformation: { amountDetails: { currency } },
        reversalAmountDetails: { reversedAmount: amount, originalTransactionAmount: decimalAmount(p.amount, currency), currency },
      };
    default:
      return {
        orderInformation: { amountDetails: { currency } },
        voidAmountDetails: { voidAmount: amount, originalTransactionAmount: decimalAmount(p.amount, currency), currency },
      };
  }
}

/** A follow-on call, as its POST answers it (201) and its `self` GET reads it (a choice: the same shape). Null: no such resource. */
export function followOnJson(kind: FollowOnKind, p: PaymentView, e: PaymentEventView, code: string | undefined): Json | null {
  const status = statusOf(kind, e.outcome);
  if (status === null) return null;
  const self = `/pts/v2/${kind}/${e.id}`;
  const voidable = (kind === 'captures' || kind === 'refunds') && e.outcome === 'approved';
  return {
    _links: { self: { method: 'GET', href: self }, ...(voidable ? { void: { method: 'POST', href: `${self}/voids` } } : {}) },
    id: e.id,
    submitTimeUtc: submitTime(new Date(e.at)),
    status,
    reconciliationId: e.id.slice(-16),
    ...(code ? { clientReferenceInformation: { code } } : {}),
    ...amounts(kind, decimalAmount(e.amount ?? 0, p.currency), p),
    processorInformation: { responseCode: e.outcome === 'approved' ? '100' : '05' },
  };
}
