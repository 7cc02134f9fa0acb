/**
 * The payment rules a merchant relies on without an HTTP call in between: the simulator's test-card and
 * amount table (the README promises it), minor-unit money parsing, and the amount bounds of a payment
 * (0 ≤ refunded ≤ captured ≤ authorized) that capture and refund must never break.
 */
import fs from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { currencyExponent, formatMoney, MAX_AMOUNT, parseMoney } from '../../src/domain/money.ts';
import { type Amounts, canCapture, canRefund, canVoid, type PaymentStatus, settledStatus } from '../../src/domain/payment.ts';
import { type AuthorizeRequest, ProcessorUnavailableError, withTimeout } from '../../src/payments/processor.ts';
import {
  APPROVING_BANK_ACCOUNTS,
  APPROVING_CARDS,
  amountBehaviour,
  behaviourOf,
  createSimulatorProcessor,
  TEST_BANK_ACCOUNTS,
  TEST_CARDS,
} from '../../src/payments/simulator.ts';

const DECLINE_CARDS = Object.entries(TEST_CARDS).flatMap(([pan, b]) => (b.kind === 'decline' ? [[pan, b.code] as const] : []));
const CHALLENGE_CARD = '4000000000003220';
const TIMEOUT_CARD = '4000000000000119';

const request = (
  pan: string,
  extra: Partial<Pick<AuthorizeRequest, 'reference' | 'amount' | 'currency' | 'capture'>> & { cvv?: string } = {},
): AuthorizeRequest => {
  const { cvv, ...rest } = extra;
  return {
    reference: 'pay_TEST',
    amount: 1000,
    currency: 'USD',
    capture: true,
    card: { pan, expMonth: 12, expYear: 2040, ...(cvv !== undefined ? { cvv } : {}) },
    ...rest,
  };
};

describe('simulator: the test-card table', () => {
  it('lists every decline code the domain knows except authentication_failed, which only a 3DS challenge gives', () => {
    expect(new Set(DECLINE_CARDS.map(([, code]) => code))).toEqual(
      new Set(['insufficient_funds', 'expired_card', 'do_not_honor', 'lost_card', 'stolen_card', 'invalid_cvv']),
    );
    expect(TEST_CARDS[CHALLENGE_CARD]?.kind).toBe('challenge');
    expect(TEST_CARDS[TIMEOUT_CARD]?.kind).toBe('timeout');
  });

  it.each(DECLINE_CARDS)('%s declines with %s whatever the amount or CVV', (pan, code) => {
    for (const amount of [1, 1000, 1051, 1052, 999_999]) {
      expect(behaviourOf(pan, amount)).toMatchObject({ kind: 'decline', code });
      expect(behaviourOf(pan, amount, '123')).toMatchObject({ kind: 'decline', code });
    }
  });

  it('puts the card table before the amount rules and the CVV rule', () => {
    expect(behaviourOf(CHALLENGE_CARD, 1051, '000').kind).toBe('challenge');
    expect(behaviourOf(TIMEOUT_CARD, 1052, '000').kind).toBe('timeout');
    expect(behaviourOf('4000000000000069', 1051, '000')).toMatchObject({ kind: 'decline', code: 'expired_card' });
  });

  it.each(APPROVING_CARDS)('%s approves an ordinary amount, with or without a CVV', (pan) => {
    expect(TEST_CARDS[pan]).toBeUndefined();
    for (const amount of [1, 100, 1050, 1053, 150, 5000]) expect(behaviourOf(pan, amount)).toEqual({ kind: 'approve' });
    expect(behaviourOf(pan, 1000, '123')).toEqual({ kind: 'approve' });
  });

  it('declines amounts ending in 51 (insufficient funds) and 52 (do not honor), in any currency', () => {
    fc.assert(
      fc.property(fc.constantFrom(...APPROVING_CARDS), fc.integer({ min: 0, max: 10_000_000 }), (pan, hundreds) => {
        expect(behaviourOf(pan, hundreds * 100 + 51)).toEqual({ kind: 'decline', code: 'insufficient_funds' });
        expect(behaviourOf(pan, hundreds * 100 + 52)).toEqual({ kind: 'decline', code: 'do_not_honor' });
      }),
    );
    // 151 and 5 are not "…51": the rule is on the last two digits, not on a substring.
    expect(amountBehaviour(510)).toBeNull();
    expect(amountBehaviour(5)).toBeNull();
    expect(amountBehaviour(151)).toEqual({ kind: 'decline', code: 'insufficient_funds' });
  });

  it('declines a CVV of all zeros as invalid_cvv, for 3 and 4 digits, before the amount rules', () => {
    expect(behaviourOf('4111111111111111', 1000, '000')).toEqual({ kind: 'decline', code: 'invalid_cvv' });
    expect(behaviourOf('378282246310005', 1000, '0000')).toEqual({ kind: 'decline', code: 'invalid_cvv' });
    expect(behaviourOf('4111111111111111', 1051, '000')).toEqual({ kind: 'decline', code: 'invalid_cvv' });
    expect(behaviourOf('4111111111111111', 1000, '100')).toEqual({ kind: 'approve' });
  });
});

describe('simulator processor', () => {
  const sim = createSimulatorProcessor({ timeoutDelayMs: 20 });

  it('approves with a six-digit auth code and a processor reference, capturing only when asked', async () => {
    const captured = await sim.authorize(request('4111111111111111'));
    expect(captured).toMatchObject({ result: 'approved', captured: true });
    if (captured.result !== 'approved') throw new Error('unreachable');
    expect(captured.authCode).toMatch(/^[1-9]\d{5}$/);
    expect(captured.processorRef).toMatch(/^sim_[0-9a-f]{24}$/);
    expect(await sim.authorize(request('4111111111111111', { capture: false }))).toMatchObject({ result: 'approved', captured: false });
    const other = await sim.authorize(request('4111111111111111'));
    expect(other.processorRef).not.toBe(captured.processorRef);
  });

  it('declines with the code from the table, and the amount rules apply to authorizations', async () => {
    expect(await sim.authorize(request('4000000000009987'))).toMatchObject({ result: 'declined', decline: 'lost_card' });
    expect(await sim.authorize(request('4111111111111111', { amount: 251 }))).toMatchObject({
      result: 'declined',
      decline: 'insufficient_funds',
    });
    expect(await sim.authorize(request('4111111111111111', { cvv: '000' }))).toMatchObject({ result: 'declined', decline: 'invalid_cvv' });
  });

  it('challenges the 3DS card with a URL naming the payment, then follows the challenge result', async () => {
    const first = await sim.authorize(request(CHALLENGE_CARD, { reference: 'pay_3DS' }));
    expect(first).toMatchObject({ result: 'challenge', challengeUrl: expect.stringMatching(/\/3ds\/pay_3DS$/) });
    const base = { reference: 'pay_3DS', processorRef: first.processorRef, amount: 1000, currency: 'USD' };
    expect(await sim.completeChallenge({ ...base, authenticated: true, capture: false })).toMatchObject({
      result: 'approved',
      captured: false,
      processorRef: first.processorRef,
    });
    expect(await sim.completeChallenge({ ...base, authenticated: false, capture: true })).toEqual({
      result: 'declined',
      processorRef: first.processorRef,
      decline: 'authentication_failed',
    });
    // A successful challenge still meets the amount rules.
    expect(await sim.completeChallenge({ ...base, amount: 1052, authenticated: true, capture: true })).toMatchObject({
      result: 'declined',
      decline: 'do_not_honor',
    });
  });

  it('never answers for the timeout card: authorize and credit fail as unavailable', async () => {
    await expect(sim.authorize(request(TIMEOUT_CARD))).rejects.toBeInstanceOf(ProcessorUnavailableError);
    await expect(sim.credit(request(TIMEOUT_CARD))).rejects.toBeInstanceOf(ProcessorUnavailableError);
  });

  it('pays out to any card but a lost, stolen or expired one; payouts are never challenged nor amount-declined', async () => {
    for (const [pan, decline] of [
      ['4000000000009987', 'lost_card'],
      ['4000000000009979', 'stolen_card'],
      ['4000000000000069', 'expired_card'],
    ]) {
      expect(await sim.credit(request(pan as string))).toMatchObject({ result: 'declined', decline });
    }
    for (const pan of ['4000000000009995', '4000000000000002', CHALLENGE_CARD, '4111111111111111']) {
      expect(await sim.credit(request(pan, { amount: 1051 }))).toMatchObject({ result: 'approved', captured: true });
    }
  });

  it('approves captures, voids and refunds against the original processor reference', async () => {
    const f = { reference: 'pay_X', processorRef: 'sim_abc', amount: 100, currency: 'USD' };
    expect(await sim.capture(f)).toEqual({ result: 'approved', processorRef: 'sim_abc' });
    expect(await sim.refund(f)).toEqual({ result: 'approved', processorRef: 'sim_abc' });
    expect(await sim.void({ reference: 'pay_X', processorRef: 'sim_abc' })).toEqual({ result: 'approved', processorRef: 'sim_abc' });
  });
});

describe('withTimeout', () => {
  it('passes a timely answer and a timely failure through unchanged', async () => {
    expect(await withTimeout(Promise.resolve(42), 1000)).toBe(42);
    const boom = new Error('boom');
    await expect(withTimeout(Promise.reject(boom), 1000)).rejects.toBe(boom);
  });

  it('turns a call still running after the bound into ProcessorUnavailableError', async () => {
    const started = Date.now();
    const never = new Promise<never>(() => {});
    const e = await withTimeout(never, 30).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ProcessorUnavailableError);
    expect((e as Error).name).toBe('ProcessorUnavailableError');
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe('money: ISO 4217 minor units', () => {
  it('knows the exponents of zero-, two- and three-decimal currencies', () => {
    expect(currencyExponent('JPY')).toBe(0);
    expect(currencyExponent('VND')).toBe(0);
    expect(currencyExponent('KRW')).toBe(0);
    expect(currencyExponent('USD')).toBe(2);
    expect(currencyExponent('EUR')).toBe(2);
    expect(currencyExponent('KWD')).toBe(3);
    expect(currencyExponent('BHD')).toBe(3);
    expect(currencyExponent('XYZ')).toBeUndefined();
  });

  it('formats amounts by the exponent', () => {
    expect(formatMoney({ amount: 1050, currency: 'USD' })).toBe('10.50 USD');
    expect(formatMoney({ amount: 1050, currency: 'JPY' })).toBe('1050 JPY');
    expect(formatMoney({ amount: 1500, currency: 'KWD' })).toBe('1.500 KWD');
    expect(formatMoney({ amount: 5, currency: 'EUR' })).toBe('0.05 EUR');
  });

  it('accepts any whole positive amount up to the maximum in a known currency', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX_AMOUNT }), fc.constantFrom('USD', 'JPY', 'VND', 'KWD', 'EUR'), (amount, currency) => {
        expect(parseMoney(amount, currency)).toEqual({ ok: true, value: { amount, currency } });
      }),
    );
  });

  it('refuses unknown currencies, including lower case and names inherited from Object', () => {
    for (const currency of ['XYZ', 'usd', '', 'US', 'toString', 'constructor', '__proto__', 'hasOwnProperty']) {
      expect(parseMoney(100, currency)).toMatchObject({ ok: false, error: 'currency_unknown' });
    }
  });

  it('refuses zero, negative, fractional, non-finite, unsafe and too-large amounts', () => {
    expect(parseMoney(0, 'USD')).toMatchObject({ ok: false, error: 'amount_not_positive' });
    expect(parseMoney(-1, 'USD')).toMatchObject({ ok: false, error: 'amount_not_positive' });
    for (const amount of [1.5, 0.1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      expect(parseMoney(amount, 'JPY')).toMatchObject({ ok: false, error: 'amount_not_integer' });
    }
    expect(parseMoney(MAX_AMOUNT, 'USD').ok).toBe(true);
    expect(parseMoney(MAX_AMOUNT + 1, 'USD')).toMatchObject({ ok: false, error: 'amount_too_large' });
    fc.assert(
      fc.property(
        fc.double({ noNaN: false }).filter((d) => !Number.isSafeInteger(d) || d <= 0 || d > MAX_AMOUNT),
        (amount) => !parseMoney(amount, 'USD').ok,
      ),
    );
  });
});

describe('payment rules: states', () => {
  const ALL: PaymentStatus[] = [
    'PENDING_AUTHENTICATION',
    'AUTHORIZED',
    'CAPTURED',
    'PARTIALLY_REFUNDED',
    'REFUNDED',
    'VOIDED',
    'DECLINED',
    'FAILED',
    'CREDITED',
  ];
  const roomy: Amounts = { authorized: 1000, captured: 500, refunded: 0 };

  it('captures only AUTHORIZED or CAPTURED payments with nothing refunded', () => {
    for (const s of ALL) expect(canCapture(s, roomy, 100).ok, s).toBe(s === 'AUTHORIZED' || s === 'CAPTURED');
    expect(canCapture('CAPTURED', { authorized: 1000, captured: 500, refunded: 1 }, 100)).toMatchObject({
      ok: false,
      error: 'invalid_state',
    });
  });

  it('refunds only CAPTURED or PARTIALLY_REFUNDED payments; a credit is never refunded', () => {
    for (const s of ALL) expect(canRefund(s, roomy, 100).ok, s).toBe(s === 'CAPTURED' || s === 'PARTIALLY_REFUNDED');
  });

  it('voids only an AUTHORIZED payment with nothing captured', () => {
    for (const s of ALL) expect(canVoid(s, { authorized: 1000, captured: 0, refunded: 0 }).ok, s).toBe(s === 'AUTHORIZED');
    expect(canVoid('AUTHORIZED', { authorized: 1000, captured: 1, refunded: 0 }).ok).toBe(false);
  });

  it('names the bound an amount exceeds, and allows reaching it exactly', () => {
    expect(canCapture('AUTHORIZED', { authorized: 1000, captured: 600, refunded: 0 }, 400).ok).toBe(true);
    expect(canCapture('CAPTURED', { authorized: 1000, captured: 600, refunded: 0 }, 401)).toMatchObject({
      ok: false,
      error: 'amount_exceeds_authorized',
    });
    expect(canRefund('PARTIALLY_REFUNDED', { authorized: 1000, captured: 1000, refunded: 700 }, 300).ok).toBe(true);
    expect(canRefund('PARTIALLY_REFUNDED', { authorized: 1000, captured: 1000, refunded: 700 }, 301)).toMatchObject({
      ok: false,
      error: 'amount_exceeds_captured',
    });
  });

  it('settles the status the amounts imply', () => {
    expect(settledStatus({ authorized: 1000, captured: 0, refunded: 0 })).toBe('AUTHORIZED');
    expect(settledStatus({ authorized: 1000, captured: 600, refunded: 0 })).toBe('CAPTURED');
    expect(settledStatus({ authorized: 1000, captured: 600, refunded: 100 })).toBe('PARTIALLY_REFUNDED');
    expect(settledStatus({ authorized: 1000, captured: 600, refunded: 600 })).toBe('REFUNDED');
  });
});

describe('payment rules: amount bounds (property)', () => {
  type Op = { kind: 'capture' | 'refund'; amount: number };
  const op = (max: number): fc.Arbitrary<Op> =>
    fc.record({ kind: fc.constantFrom<'capture' | 'refund'>('capture', 'refund'), amount: fc.integer({ min: 1, max }) });

  /** Applies the accepted ops as the vault does: move the amount, then settle the status. */
  function run(authorized: number, ops: Op[], capturedUpFront: boolean) {
    const a: Amounts = { authorized, captured: capturedUpFront ? authorized : 0, refunded: 0 };
    let status: PaymentStatus = settledStatus(a);
    const accepted: Op[] = [];
    for (const o of ops) {
      const check = o.kind === 'capture' ? canCapture(status, a, o.amount) : canRefund(status, a, o.amount);
      if (!check.ok) continue;
      if (o.kind === 'capture') a.captured += o.amount;
      else a.refunded += o.amount;
      status = settledStatus(a);
      accepted.push(o);
      expect(0).toBeLessThanOrEqual(a.refunded);
      expect(a.refunded).toBeLessThanOrEqual(a.captured);
      expect(a.captured).toBeLessThanOrEqual(a.authorized);
    }
    return { a, status, accepted };
  }

  it('keeps 0 ≤ refunded ≤ captured ≤ authorized through any sequence of accepted captures and refunds', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100_000 }),
        fc.array(op(120_000), { maxLength: 40 }),
        fc.boolean(),
        (authorized, ops, capturedUpFront) => {
          const { a, status, accepted } = run(authorized, ops, capturedUpFront);
          const captures = accepted.filter((o) => o.kind === 'capture').reduce((s, o) => s + o.amount, 0);
          const refunds = accepted.filter((o) => o.kind === 'refund').reduce((s, o) => s + o.amount, 0);
          expect(a.captured).toBe((capturedUpFront ? authorized : 0) + captures);
          expect(a.refunded).toBe(refunds);
          expect(status).toBe(settledStatus(a));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('refuses a move only when it would cross a bound or the state forbids it', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }).chain((authorized) =>
          fc.tuple(
            fc.constant(authorized),
            fc
              .integer({ min: 0, max: authorized })
              .chain((captured) => fc.tuple(fc.constant(captured), fc.integer({ min: 0, max: captured }))),
            fc.integer({ min: 1, max: 12_000 }),
          ),
        ),
        ([authorized, [captured, refunded], amount]) => {
          const a = { authorized, captured, refunded };
          const status = settledStatus(a);
          const cap = canCapture(status, a, amount);
          const ref = canRefund(status, a, amount);
          const capStateOk = (status === 'AUTHORIZED' || status === 'CAPTURED') && refunded === 0;
          expect(cap.ok).toBe(capStateOk && captured + amount <= authorized);
          if (!cap.ok) expect(cap.error).toBe(capStateOk ? 'amount_exceeds_authorized' : 'invalid_state');
          const refStateOk = status === 'CAPTURED' || status === 'PARTIALLY_REFUNDED';
          expect(ref.ok).toBe(refStateOk && refunded + amount <= captured);
          if (!ref.ok) expect(ref.error).toBe(refStateOk ? 'amount_exceeds_captured' : 'invalid_state');
        },
      ),
      { numRuns: 500 },
    );
  });

  it('lets a fully captured payment be refunded down to exactly nothing left, and nothing beyond', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100_000 }),
        fc.array(fc.integer({ min: 1, max: 100_000 }), { maxLength: 30 }),
        (total, parts) => {
          const partial = run(
            total,
            parts.map((amount) => ({ kind: 'refund' as const, amount })),
            true,
          );
          const left = partial.a.captured - partial.a.refunded;
          if (left > 0) {
            expect(canRefund(partial.status, partial.a, left + 1).ok).toBe(false);
            expect(canRefund(partial.status, partial.a, left).ok).toBe(true);
          } else {
            expect(partial.status).toBe('REFUNDED');
            expect(canRefund(partial.status, partial.a, 1).ok).toBe(false);
          }
        },
      ),
    );
  });
});

describe('simulator: the bank-account table (electronic checks)', () => {
  const sim = createSimulatorProcessor({ timeoutDelayMs: 10 });
  const bank = (accountNumber: string, amount = 1000): AuthorizeRequest => ({
    reference: 'pay_BANK',
    amount,
    currency: 'USD',
    capture: true,
    bankAccount: { accountNumber, routingNumber: '071923284' },
  });

  it('the README lists every test account with its outcome', () => {
    const readme = fs.readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('### Simulator test bank accounts'));
    for (const [account, b] of Object.entries(TEST_BANK_ACCOUNTS)) {
      const row = section.split('\n').find((l) => l.startsWith(`| ${account} |`));
      expect(row, account).toBeDefined();
      if (b.kind === 'decline') expect(row).toContain(b.code);
      else expect(row).toContain('times out');
    }
    for (const account of APPROVING_BANK_ACCOUNTS) expect(section).toContain(account);
  });

  it('debits approving accounts (captured: an eCheck debit is a sale), declines table accounts and the amount rules', async () => {
    for (const account of APPROVING_BANK_ACCOUNTS) {
      expect(await sim.authorize(bank(account))).toMatchObject({ result: 'approved', captured: true });
      expect(await sim.authorize(bank(account, 1051))).toMatchObject({ result: 'declined', decline: 'insufficient_funds' });
      expect(await sim.authorize(bank(account, 1052))).toMatchObject({ result: 'declined', decline: 'do_not_honor' });
    }
    expect(await sim.authorize(bank('9000009995'))).toMatchObject({ result: 'declined', decline: 'insufficient_funds' });
    expect(await sim.authorize(bank('9000000002', 1050))).toMatchObject({ result: 'declined', decline: 'do_not_honor' });
    await expect(sim.authorize(bank('9000000119'))).rejects.toBeInstanceOf(ProcessorUnavailableError);
  });

  it('credits every account but the closed one; an account number that is a test card number means nothing here', async () => {
    expect(await sim.credit(bank('9000009995'))).toMatchObject({ result: 'approved' });
    expect(await sim.credit(bank('4100', 1052))).toMatchObject({ result: 'approved' });
    expect(await sim.credit(bank('9000000002'))).toMatchObject({ result: 'declined', decline: 'do_not_honor' });
    expect(await sim.authorize(bank('4000000000000002'.slice(0, 16)))).toMatchObject({ result: 'approved' });
  });
});
