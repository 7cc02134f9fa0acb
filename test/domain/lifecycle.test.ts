import { describe, expect, it } from 'vitest';
import type { Expiry } from '../../src/domain/card.ts';
import {
  canPay,
  effectiveStatus,
  FINAL_STATUS,
  LIVE_STATUSES,
  type PayRefusal,
  SINGLE_USE,
  type Status,
  type StoredStatus,
  type TransitionError,
  transition,
} from '../../src/domain/lifecycle.ts';

const STORED: readonly StoredStatus[] = ['ACTIVE', 'SUSPENDED', 'DELETED', 'CONSUMED'];

// Every ordered pair, written out so a change to the rules has to change this table too.
const TRANSITIONS: Record<StoredStatus, Record<StoredStatus, 'ok' | TransitionError>> = {
  ACTIVE: { ACTIVE: 'already_in_state', SUSPENDED: 'ok', DELETED: 'ok', CONSUMED: 'ok' },
  SUSPENDED: { ACTIVE: 'ok', SUSPENDED: 'already_in_state', DELETED: 'ok', CONSUMED: 'invalid_transition' },
  DELETED: { ACTIVE: 'final_state', SUSPENDED: 'final_state', DELETED: 'already_in_state', CONSUMED: 'final_state' },
  CONSUMED: { ACTIVE: 'invalid_transition', SUSPENDED: 'invalid_transition', DELETED: 'ok', CONSUMED: 'already_in_state' },
};

describe('transition', () => {
  const table = STORED.flatMap((from) => STORED.map((to) => [from, to, TRANSITIONS[from][to]] as const));

  it('covers all 16 ordered pairs', () => {
    expect(table).toHaveLength(16);
  });

  it.each(table)('%s -> %s: %s', (from, to, expected) => {
    const result = transition(from, to);
    if (expected === 'ok') expect(result).toEqual({ ok: true, value: to });
    else expect(result).toMatchObject({ ok: false, error: expected });
  });

  it('lets a suspended single-use token come back and then be consumed, but not consumed while suspended', () => {
    expect(transition('SUSPENDED', 'CONSUMED').ok).toBe(false);
    expect(transition('SUSPENDED', 'ACTIVE').ok).toBe(true);
    expect(transition('ACTIVE', 'CONSUMED').ok).toBe(true);
  });
});

describe('effectiveStatus', () => {
  const exp: Expiry = { month: 12, year: 2027 };
  const before = new Date('2027-12-31T23:59:59.999Z');
  const after = new Date('2028-01-01T00:00:00.000Z');

  it.each<[StoredStatus, Status, Status]>([
    ['ACTIVE', 'ACTIVE', 'EXPIRED'],
    ['SUSPENDED', 'SUSPENDED', 'EXPIRED'],
    ['DELETED', 'DELETED', 'DELETED'],
    ['CONSUMED', 'CONSUMED', 'CONSUMED'],
  ])('%s reads as %s before expiry and %s after', (stored, beforeExpiry, afterExpiry) => {
    expect(effectiveStatus(stored, exp, before)).toBe(beforeExpiry);
    expect(effectiveStatus(stored, exp, after)).toBe(afterExpiry);
  });
});

describe('canPay', () => {
  it('allows only ACTIVE', () => {
    expect(canPay('ACTIVE')).toEqual({ ok: true, value: true });
  });

  it.each<[Status, PayRefusal]>([
    ['SUSPENDED', 'token_suspended'],
    ['DELETED', 'token_deleted'],
    ['CONSUMED', 'token_consumed'],
    ['EXPIRED', 'token_expired'],
  ])('refuses %s with %s', (status, refusal) => {
    expect(canPay(status)).toMatchObject({ ok: false, error: refusal });
  });

  it('refuses an active card once it has expired, when given the effective status', () => {
    const exp = { month: 1, year: 2026 };
    expect(canPay(effectiveStatus('ACTIVE', exp, new Date('2026-01-31T12:00:00Z'))).ok).toBe(true);
    expect(canPay(effectiveStatus('ACTIVE', exp, new Date('2026-02-01T00:00:00Z')))).toMatchObject({
      ok: false,
      error: 'token_expired',
    });
  });
});

describe('single-use reservation (one home: the vault applies these moves, SQL only compares-and-sets them)', () => {
  it('reserves as an ordinary transition, and releases only as its undo', () => {
    expect(transition(SINGLE_USE.reserve.from, SINGLE_USE.reserve.to).ok).toBe(true);
    expect(SINGLE_USE.release).toEqual({ from: SINGLE_USE.reserve.to, to: SINGLE_USE.reserve.from });
    // Nobody may un-spend a token by asking: the release is not a transition.
    expect(transition(SINGLE_USE.release.from, SINGLE_USE.release.to)).toMatchObject({ ok: false, error: 'invalid_transition' });
  });

  it('counts every status but the final one as live', () => {
    expect([...LIVE_STATUSES, FINAL_STATUS].sort()).toEqual([...STORED].sort());
    for (const s of STORED) expect(transition(FINAL_STATUS, s).ok).toBe(false);
  });
});
