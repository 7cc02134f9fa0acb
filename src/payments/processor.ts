/**
 * The acquirer boundary. A connector to a real acquirer implements this; the simulator is the default.
 * Card data exists only inside authorize/credit calls (decrypted just before, dropped just after).
 * Every call carries the vault's own reference, so a connector can make retries idempotent at the acquirer.
 */
import type { DeclineCode } from '../domain/payment.ts';

export interface CardForProcessor {
  readonly pan: string;
  readonly expMonth: number;
  readonly expYear: number;
  readonly cvv?: string;
  readonly holderName?: string | null;
}

/** A bank account debited or credited by electronic check (ACH). */
export interface BankAccountForProcessor {
  readonly accountNumber: string;
  readonly routingNumber: string;
  readonly holderName?: string | null;
}

interface RequestBase {
  /** The vault's payment id: the idempotency key at the acquirer. */
  readonly reference: string;
  readonly amount: number;
  readonly currency: string;
  /** Always true for a bank account: an electronic check debit is a sale, never held as an authorization. */
  readonly capture: boolean;
}

/** What is paid with: a card, or (electronic check) a bank account. */
export type AuthorizeRequest = RequestBase &
  (
    | { readonly card: CardForProcessor; readonly bankAccount?: undefined }
    | { readonly bankAccount: BankAccountForProcessor; readonly card?: undefined }
  );

export type AuthorizeOutcome =
  | { readonly result: 'approved'; readonly processorRef: string; readonly authCode: string; readonly captured: boolean }
  | { readonly result: 'declined'; readonly processorRef: string; readonly decline: DeclineCode }
  | { readonly result: 'challenge'; readonly processorRef: string; readonly challengeUrl: string };

export type FollowUpOutcome =
  | { readonly result: 'approved'; readonly processorRef: string }
  | { readonly result: 'declined'; readonly decline: DeclineCode };

export interface Processor {
  readonly name: string;
  authorize(req: AuthorizeRequest): Promise<AuthorizeOutcome>;
  /** Completes a 3-D Secure challenge; `authenticated` is what the cardholder's challenge produced. */
  completeChallenge(req: {
    reference: string;
    processorRef: string;
    authenticated: boolean;
    capture: boolean;
    amount: number;
    currency: string;
  }): Promise<AuthorizeOutcome>;
  capture(req: { reference: string; processorRef: string; amount: number; currency: string }): Promise<FollowUpOutcome>;
  void(req: { reference: string; processorRef: string }): Promise<FollowUpOutcome>;
  refund(req: { reference: string; processorRef: string; amount: number; currency: string }): Promise<FollowUpOutcome>;
  /** A payout to the card (original credit). */
  credit(req: AuthorizeRequest): Promise<AuthorizeOutcome>;
}

/** The processor did not answer in time or could not be reached: nothing may be assumed to have happened. */
export class ProcessorUnavailableError extends Error {
  override name = 'ProcessorUnavailableError';
  constructor(message = 'the payment processor did not answer in time') {
    super(message);
  }
}

/** Bounds any processor call: a call still running after `ms` counts as unavailable. */
export async function withTimeout<T>(call: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ProcessorUnavailableError()), ms);
  });
  try {
    return await Promise.race([call, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
