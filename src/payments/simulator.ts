/**
 * The default processor: deterministic outcomes from the card number and the amount, so every path
 * (approval, each decline, 3-D Secure, a processor timeout) can be driven on purpose. README has the table.
 */
import { randomBytes } from 'node:crypto';
import type { DeclineCode } from '../domain/payment.ts';
import { type AuthorizeOutcome, type AuthorizeRequest, type Processor, ProcessorUnavailableError } from './processor.ts';

export type SimulatedBehaviour = { kind: 'approve' } | { kind: 'decline'; code: DeclineCode } | { kind: 'challenge' } | { kind: 'timeout' };

/** Test cards with a fixed outcome; every other valid number is approved (unless the amount says otherwise). */
export const TEST_CARDS: Readonly<Record<string, SimulatedBehaviour & { label: string }>> = {
  '4000000000009995': { kind: 'decline', code: 'insufficient_funds', label: 'declined: insufficient funds' },
  '4000000000000069': { kind: 'decline', code: 'expired_card', label: 'declined: expired card' },
  '4000000000000002': { kind: 'decline', code: 'do_not_honor', label: 'declined: do not honour' },
  '4000000000009987': { kind: 'decline', code: 'lost_card', label: 'declined: lost card' },
  '4000000000009979': { kind: 'decline', code: 'stolen_card', label: 'declined: stolen card' },
  '4000000000000127': { kind: 'decline', code: 'invalid_cvv', label: 'declined: invalid CVV' },
  '4000000000003220': { kind: 'challenge', label: '3-D Secure challenge, then approved or failed by the challenge result' },
  '4000000000000119': { kind: 'timeout', label: 'the processor times out' },
};

/** Cards the README lists as approving; any number not in TEST_CARDS approves too. */
export const APPROVING_CARDS = [
  '4111111111111111',
  '5555555555554444',
  '378282246310005',
  '6011111111111117',
  '3530111333300000',
  '2223003122003222',
];

/** Amount rules, in minor units: checked after the card table. */
export function amountBehaviour(amount: number): SimulatedBehaviour | null {
  // 10.51, 3.51 …: the last two digits 51 decline for insufficient funds (on any currency).
  if (amount % 100 === 51) return { kind: 'decline', code: 'insufficient_funds' };
  // …52 declines with do-not-honour.
  if (amount % 100 === 52) return { kind: 'decline', code: 'do_not_honor' };
  return null;
}

/**
 * Test bank accounts with a fixed outcome (any routing number); every other account is debited (an eCheck
 * debit is accepted for settlement: Cybersource answers PENDING), unless the amount says otherwise.
 */
export const TEST_BANK_ACCOUNTS: Readonly<Record<string, SimulatedBehaviour & { label: string }>> = {
  '9000009995': { kind: 'decline', code: 'insufficient_funds', label: 'declined: insufficient funds (ACH return R01)' },
  '9000000002': { kind: 'decline', code: 'do_not_honor', label: 'declined: account closed (ACH return R02)' },
  '9000000119': { kind: 'timeout', label: 'the processor times out' },
};

/** Bank accounts the README lists as debited; any account not in TEST_BANK_ACCOUNTS is debited too. */
export const APPROVING_BANK_ACCOUNTS = ['4100', '12345678901234567'];

function bankBehaviourOf(accountNumber: string, amount: number): SimulatedBehaviour {
  return TEST_BANK_ACCOUNTS[accountNumber] ?? amountBehaviour(amount) ?? { kind: 'approve' };
}

/** The outcome of a request: by its card (and CVV) or its bank account, then its amount. */
function requestBehaviour(req: AuthorizeRequest): SimulatedBehaviour {
  return req.bankAccount ? bankBehaviourOf(req.bankAccount.accountNumber, req.amount) : behaviourOf(req.card.pan, req.amount, req.card.cvv);
}

export function behaviourOf(pan: string, amount: number, cvv?: string): SimulatedBehaviour {
  const card = TEST_CARDS[pan];
  if (card) return card;
  // A CVV of all zeros never matches.
  if (cvv !== undefined && /^0+$/.test(cvv)) return { kind: 'decline', code: 'invalid_cvv' };
  return amountBehaviour(amount) ?? { kind: 'approve' };
}

const ref = () => `sim_${randomBytes(12).toString('hex')}`;
const authCode = () => String(100000 + (randomBytes(3).readUIntBE(0, 3) % 900000));

export function createSimulatorProcessor(opts: { timeoutDelayMs?: number } = {}): Processor {
  // A "timeout" card answers never in real life; here it fails after a delay, or the caller's bound hits first.
  const hang = () =>
    new Promise<never>((_, reject) => setTimeout(() => reject(new ProcessorUnavailableError()), opts.timeoutDelayMs ?? 30_000).unref());

  async function decide(req: AuthorizeRequest): Promise<AuthorizeOutcome> {
    const b = requestBehaviour(req);
    switch (b.kind) {
      case 'timeout':
        return hang();
      case 'decline':
        return { result: 'declined', processorRef: ref(), decline: b.code };
      case 'challenge':
        return { result: 'challenge', processorRef: ref(), challengeUrl: `https://simulator.tokenvault.invalid/3ds/${req.reference}` };
      default:
        return { result: 'approved', processorRef: ref(), authCode: authCode(), captured: req.capture };
    }
  }

  return {
    name: 'simulator',
    authorize: decide,
    async completeChallenge(req) {
      if (!req.authenticated) return { result: 'declined', processorRef: req.processorRef, decline: 'authentication_failed' };
      const b = amountBehaviour(req.amount);
      if (b?.kind === 'decline') return { result: 'declined', processorRef: req.processorRef, decline: b.code };
      return { result: 'approved', processorRef: req.processorRef, authCode: authCode(), captured: req.capture };
    },
    async capture(req) {
      return { result: 'approved', processorRef: req.processorRef };
    },
    async void(req) {
      return { result: 'approved', processorRef: req.processorRef };
    },
    async refund(req) {
      return { result: 'approved', processorRef: req.processorRef };
    },
    async credit(req) {
      const b = requestBehaviour(req);
      if (b.kind === 'timeout') return hang();
      // Payouts are not challenged; lost or stolen cards are refused, as acquirers do; so is a closed account.
      const refusedPayee = req.bankAccount ? ['do_not_honor'] : ['lost_card', 'stolen_card', 'expired_card'];
      const table = req.bankAccount ? TEST_BANK_ACCOUNTS[req.bankAccount.accountNumber] : TEST_CARDS[req.card.pan];
      if (b.kind === 'decline' && table?.kind === 'decline' && refusedPayee.includes(b.code)) {
        return { result: 'declined', processorRef: ref(), decline: b.code };
      }
      return { result: 'approved', processorRef: ref(), authCode: authCode(), captured: true };
    },
  };
}
