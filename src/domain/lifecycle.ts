/** Token status rules (DESIGN §3): which stored transitions are legal and what a reader or a payment sees. */
import { type Expiry, isExpired } from './card.ts';
import { err, ok, type Result } from './result.ts';

export type StoredStatus = 'ACTIVE' | 'SUSPENDED' | 'DELETED' | 'CONSUMED';
/** EXPIRED is never stored: it is derived from the expiry at read time, so it cannot drift from the clock. */
export type Status = StoredStatus | 'EXPIRED';
export type TransitionError = 'invalid_transition' | 'already_in_state' | 'final_state';
export type Usage = 'SINGLE' | 'MULTIPLE';

// CONSUMED is reachable only from ACTIVE: a suspended single-use token must not be spendable.
const ALLOWED: Readonly<Record<StoredStatus, readonly StoredStatus[]>> = {
  ACTIVE: ['SUSPENDED', 'DELETED', 'CONSUMED'],
  SUSPENDED: ['ACTIVE', 'DELETED'],
  CONSUMED: ['DELETED'],
  DELETED: [],
};

export function transition(from: StoredStatus, to: StoredStatus): Result<StoredStatus, TransitionError> {
  // Checked before final_state so a repeated DELETE reads as idempotent rather than forbidden.
  if (from === to) return err('already_in_state');
  if (from === 'DELETED') return err('final_state');
  if (!ALLOWED[from].includes(to)) return err('invalid_transition', `${from} -> ${to}`);
  return ok(to);
}

/** Statuses of a card that still exists for its merchant: every status but the final one. */
export const LIVE_STATUSES: readonly StoredStatus[] = ['ACTIVE', 'SUSPENDED', 'CONSUMED'];
export const FINAL_STATUS: StoredStatus = 'DELETED';

/** A status change applied only if the card is still in `from` (compare-and-set: of two racers one wins). */
export interface GuardedMove {
  readonly from: StoredStatus;
  readonly to: StoredStatus;
}

/**
 * A SINGLE token's reservation for a payment: `reserve` (ACTIVE → CONSUMED, an ordinary transition) before
 * the processor is called, so two concurrent payments cannot both use it; `release` (CONSUMED → ACTIVE) is its
 * undo when the processor did not take the card (declined, failed, timed out, or nothing recorded). `release`
 * is not a transition a caller may ask for: `transition` refuses CONSUMED → ACTIVE, a spent token stays spent.
 */
export const SINGLE_USE: Readonly<{ reserve: GuardedMove; release: GuardedMove }> = {
  reserve: { from: 'ACTIVE', to: 'CONSUMED' },
  release: { from: 'CONSUMED', to: 'ACTIVE' },
};

/** An ACTIVE or SUSPENDED card past its expiry reads as EXPIRED; DELETED and CONSUMED say more, so they stay. */
export function effectiveStatus(stored: StoredStatus, exp: Expiry, now: Date): Status {
  if ((stored === 'ACTIVE' || stored === 'SUSPENDED') && isExpired(exp, now)) return 'EXPIRED';
  return stored;
}

export type PayRefusal = 'token_suspended' | 'token_deleted' | 'token_consumed' | 'token_expired';

const REFUSAL: Readonly<Record<Exclude<Status, 'ACTIVE'>, PayRefusal>> = {
  SUSPENDED: 'token_suspended',
  DELETED: 'token_deleted',
  CONSUMED: 'token_consumed',
  EXPIRED: 'token_expired',
};

/** Whether a payment may use a token; pass the effective status so expiry is taken into account. */
export function canPay(status: Status): Result<true, PayRefusal> {
  return status === 'ACTIVE' ? ok(true) : err(REFUSAL[status]);
}
