/**
 * Payment rules: states and amount bounds. Amounts only ever move within their bounds:
 * 0 ≤ captured ≤ authorized, 0 ≤ refunded ≤ captured. The store enforces the same bounds atomically.
 */
import { err, ok, type Result } from './result.ts';

export type PaymentStatus =
  | 'PENDING_AUTHENTICATION'
  | 'AUTHORIZED'
  | 'CAPTURED'
  | 'PARTIALLY_REFUNDED'
  | 'REFUNDED'
  | 'VOIDED'
  | 'DECLINED'
  | 'FAILED'
  | 'CREDITED';

/** Why a processor declined: stable codes every API maps to its own. */
export type DeclineCode =
  | 'insufficient_funds'
  | 'expired_card'
  | 'do_not_honor'
  | 'lost_card'
  | 'stolen_card'
  | 'invalid_cvv'
  | 'authentication_failed';

export interface Amounts {
  authorized: number;
  captured: number;
  refunded: number;
}

export type AmountError = 'amount_exceeds_authorized' | 'amount_exceeds_captured' | 'invalid_state';

export function canCapture(status: PaymentStatus, a: Amounts, amount: number): Result<true, AmountError> {
  if (status !== 'AUTHORIZED' && status !== 'CAPTURED') return err('invalid_state', `a ${status} payment cannot be captured`);
  if (a.refunded > 0) return err('invalid_state', 'a payment with refunds cannot be captured further');
  if (a.captured + amount > a.authorized)
    return err('amount_exceeds_authorized', `at most ${a.authorized - a.captured} can still be captured`);
  return ok(true);
}

export function canRefund(status: PaymentStatus, a: Amounts, amount: number): Result<true, AmountError> {
  if (status !== 'CAPTURED' && status !== 'PARTIALLY_REFUNDED') return err('invalid_state', `a ${status} payment cannot be refunded`);
  if (a.refunded + amount > a.captured) return err('amount_exceeds_captured', `at most ${a.captured - a.refunded} can still be refunded`);
  return ok(true);
}

export function canVoid(status: PaymentStatus, a: Amounts): Result<true, AmountError> {
  if (status !== 'AUTHORIZED' || a.captured > 0) return err('invalid_state', `a ${status} payment cannot be voided`);
  return ok(true);
}

/** A credit (a payout) can be voided while it stands. */
export function canVoidCredit(status: PaymentStatus): Result<true, AmountError> {
  return status === 'CREDITED' ? ok(true) : err('invalid_state', `a ${status} credit cannot be voided`);
}

/**
 * Whether an approved capture or refund of `amount` can be voided (its amount move undone) now: never on a
 * voided payment, a capture only while what stays captured still covers what was refunded.
 */
export function canUndoMove(op: AmountMove, status: PaymentStatus, a: Amounts, amount: number): Result<true, AmountError> {
  if (status !== 'CAPTURED' && status !== 'PARTIALLY_REFUNDED' && status !== 'REFUNDED')
    return err('invalid_state', `a ${status} payment has no ${op} to void`);
  if (op === 'refund') return a.refunded >= amount ? ok(true) : err('invalid_state', 'the refund is no longer standing');
  if (a.captured - amount < a.refunded) return err('invalid_state', 'the refunds of this capture must be voided first');
  return ok(true);
}

/**
 * Whether `amount` of the authorization may be released (a partial reversal): only what is neither captured
 * nor yet released, on an authorization without refunds.
 */
export function canReverse(status: PaymentStatus, a: Amounts, amount: number): Result<true, AmountError> {
  if ((status !== 'AUTHORIZED' && status !== 'CAPTURED') || a.refunded > 0)
    return err('invalid_state', `a ${status} payment cannot be reversed`);
  if (amount > a.authorized - a.captured)
    return err('amount_exceeds_authorized', `at most ${a.authorized - a.captured} of the authorization can be reversed`);
  return ok(true);
}

/** The status that the amounts imply once a capture or refund has settled. */
export function settledStatus(a: Amounts): PaymentStatus {
  if (a.refunded > 0) return a.refunded >= a.captured ? 'REFUNDED' : 'PARTIALLY_REFUNDED';
  return a.captured > 0 ? 'CAPTURED' : 'AUTHORIZED';
}

export type AmountMove = 'capture' | 'refund';

/** Whether `amount` may be captured or refunded now. */
export const canMove = (op: AmountMove, status: PaymentStatus, a: Amounts, amount: number): Result<true, AmountError> =>
  op === 'capture' ? canCapture(status, a, amount) : canRefund(status, a, amount);

/** The amounts after a capture or refund of `amount`; a negative amount is the undo of one the processor refused. */
export function moved(a: Amounts, op: AmountMove, amount: number): Amounts {
  return op === 'capture' ? { ...a, captured: a.captured + amount } : { ...a, refunded: a.refunded + amount };
}

/** What the first call (authorization or credit) leaves a payment in. */
export function firstCallStatus(
  result: 'approved' | 'declined' | 'challenge',
  kind: 'payment' | 'credit',
  capture: boolean,
): PaymentStatus {
  if (result === 'declined') return 'DECLINED';
  if (result === 'challenge') return 'PENDING_AUTHENTICATION';
  if (kind === 'credit') return 'CREDITED';
  return capture ? 'CAPTURED' : 'AUTHORIZED';
}

/** Only a payment waiting for its 3-D Secure challenge can complete one. */
export function canAuthenticate(status: PaymentStatus): Result<true, AmountError> {
  return status === 'PENDING_AUTHENTICATION' ? ok(true) : err('invalid_state', `a ${status} payment has no challenge to complete`);
}

/** What a completed challenge leaves a payment in. */
export const challengeStatus = (approved: boolean, capture: boolean): PaymentStatus =>
  approved ? (capture ? 'CAPTURED' : 'AUTHORIZED') : 'FAILED';

/** The processor refused the payment (declined, or a challenge failed): nothing was charged. */
export const isRefused = (status: PaymentStatus): boolean => status === 'DECLINED' || status === 'FAILED';

/** The payment went through: neither refused nor still waiting for the cardholder's challenge. */
export const isApproved = (status: PaymentStatus): boolean => !isRefused(status) && status !== 'PENDING_AUTHENTICATION';
