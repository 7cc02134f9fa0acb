/** Payment rules: the status amounts imply, and how a capture or refund (or its undo) moves them. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canAuthenticate,
  canMove,
  challengeStatus,
  firstCallStatus,
  moved,
  type PaymentStatus,
  settledStatus,
} from '../../src/domain/payment.ts';

describe('settledStatus', () => {
  it.each([
    [{ authorized: 100, captured: 0, refunded: 0 }, 'AUTHORIZED'],
    [{ authorized: 100, captured: 40, refunded: 0 }, 'CAPTURED'],
    [{ authorized: 100, captured: 100, refunded: 0 }, 'CAPTURED'],
    [{ authorized: 100, captured: 100, refunded: 30 }, 'PARTIALLY_REFUNDED'],
    [{ authorized: 100, captured: 100, refunded: 100 }, 'REFUNDED'],
    [{ authorized: 100, captured: 60, refunded: 60 }, 'REFUNDED'],
  ] as const)('%o is %s', (a, status) => {
    expect(settledStatus(a)).toBe(status);
  });

  it('a move and its undo give back the amounts and the status before it', () => {
    const amounts = fc
      .tuple(fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 10_000 }))
      .map(([authorized, c, r]) => {
        const captured = c % (authorized + 1);
        return { authorized, captured, refunded: r % (captured + 1) };
      });
    fc.assert(
      fc.property(amounts, fc.constantFrom('capture' as const, 'refund' as const), fc.integer({ min: 1, max: 10_000 }), (a, op, amount) => {
        const status = settledStatus(a);
        if (!canMove(op, status, a, amount).ok) return;
        const after = moved(a, op, amount);
        // Within the bounds the domain allows, and the status the amounts say.
        expect(after.captured).toBeLessThanOrEqual(after.authorized);
        expect(after.refunded).toBeLessThanOrEqual(after.captured);
        expect(settledStatus(moved(after, op, -amount))).toBe(status);
        expect(moved(after, op, -amount)).toEqual(a);
      }),
    );
  });
});

describe('first call and challenge', () => {
  it('names the status each outcome leaves', () => {
    expect(firstCallStatus('declined', 'payment', true)).toBe('DECLINED');
    expect(firstCallStatus('challenge', 'payment', true)).toBe('PENDING_AUTHENTICATION');
    expect(firstCallStatus('approved', 'credit', true)).toBe('CREDITED');
    expect(firstCallStatus('approved', 'payment', true)).toBe('CAPTURED');
    expect(firstCallStatus('approved', 'payment', false)).toBe('AUTHORIZED');
    expect(challengeStatus(true, true)).toBe('CAPTURED');
    expect(challengeStatus(true, false)).toBe('AUTHORIZED');
    expect(challengeStatus(false, true)).toBe('FAILED');
  });

  it('completes a challenge only while one is pending', () => {
    const all: PaymentStatus[] = ['PENDING_AUTHENTICATION', 'AUTHORIZED', 'CAPTURED', 'FAILED', 'DECLINED', 'VOIDED'];
    expect(all.filter((s) => canAuthenticate(s).ok)).toEqual(['PENDING_AUTHENTICATION']);
  });
});
