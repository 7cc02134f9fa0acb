/** How a payment reads to callers, built from its row and events. */
import type { Amounts, DeclineCode, PaymentStatus } from '../../domain/payment.ts';
import type { PaymentEventRow, PaymentRow } from '../../store/schema.ts';

/** One call on a payment (authorize, capture, refund, void, …): a resource of its own, by its id. */
export interface PaymentEventView {
  id: string;
  type: string;
  amount: number | null;
  outcome: string;
  statusAfter: string;
  detail: Record<string, unknown> | null;
  at: string;
  /** The merchant's own reference of this call, when it gave one (FollowOnOptions.reference). */
  reference?: string;
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
  /** The event this call wrote (capture, refund, void): what a gateway answers as a follow-on's own resource. */
  event?: PaymentEventView;
}

/** Amount columns read as numbers (PostgreSQL returns bigint as text). */
export const n = (v: number | string | null): number => Number(v ?? 0);

export function paymentView(r: PaymentRow, events?: PaymentEventRow[]): PaymentView {
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
    ...(events ? { history: events.map(eventView) } : {}),
  };
}

export function eventView(e: PaymentEventRow): PaymentEventView {
  const detail = e.detail ? (JSON.parse(e.detail) as Record<string, unknown>) : null;
  // The column holds the reference's claim key (for the lookup); the merchant's own text is in the detail.
  const reference = typeof detail?.reference === 'string' ? detail.reference : null;
  return {
    id: e.id,
    type: e.type,
    amount: e.amount === null ? null : n(e.amount),
    outcome: e.outcome,
    statusAfter: e.status_after,
    detail,
    at: e.created_at,
    ...(reference !== null ? { reference } : {}),
  };
}

export const amountsOf = (r: PaymentRow): Amounts => ({
  authorized: n(r.authorized_amount),
  captured: n(r.captured_amount),
  refunded: n(r.refunded_amount),
});
