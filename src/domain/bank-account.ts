/**
 * Bank accounts (ACH / electronic check): the account and routing numbers an instrument identifier can hold
 * instead of a card number (Cybersource TMS: "in the case of an ACH bank account, the routing and account
 * numbers"). The account number is a secret stored like a card number; the routing number names the bank and
 * is kept in clear. Pure functions, no I/O.
 */
import type { Expiry } from './card.ts';
import { err, ok, type Result } from './result.ts';

/** What an instrument identifier holds. */
export type InstrumentKind = 'card' | 'bank';

export type BankAccountError = 'account_number_format' | 'routing_number_format';

export interface BankAccount {
  readonly number: string;
  readonly routingNumber: string;
}

/** ACH account numbers are at most 17 characters (NACHA DFI account number field); we take digits only. */
const ACCOUNT = /^[0-9]{4,17}$/;
/** U.S. ABA routing numbers and Canadian routing numbers in their 9-digit electronic form. */
const ROUTING = /^[0-9]{9}$/;

export function parseBankAccount(input: { number: string; routingNumber: string }): Result<BankAccount, BankAccountError> {
  if (!ACCOUNT.test(input.number)) return err('account_number_format', 'the account number must be 4 to 17 digits');
  if (!ROUTING.test(input.routingNumber)) return err('routing_number_format', 'the routing number must be 9 digits');
  return ok({ number: input.number, routingNumber: input.routingNumber });
}

/** The ABA checksum (weights 3, 7, 1): a U.S. routing number passes it; a typo almost never does. */
export function abaChecksumValid(routing: string): boolean {
  if (!ROUTING.test(routing)) return false;
  const weights = [3, 7, 1];
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += Number(routing[i]) * (weights[i % 3] as number);
  return sum % 10 === 0;
}

/**
 * How many trailing digits of an account number may be shown: 4, and never more than half of a short number
 * (the rule visibleBin applies to card numbers), so a 4-digit account shows 2.
 */
export const visibleAccountDigits = (length: number): number => Math.min(4, Math.floor(length / 2));

/** The digits of an account number that may be kept in clear and shown. */
export const accountSuffix = (number: string): string => number.slice(number.length - visibleAccountDigits(number.length));

/** A masked account number: every hidden digit an `X`, the visible suffix kept (`XXXXXXXXXXXXX4567`). */
export function maskAccountNumber(parts: { suffix: string; length: number }): string {
  if (parts.suffix.length !== visibleAccountDigits(parts.length)) throw new RangeError('maskAccountNumber: suffix length does not fit');
  return 'X'.repeat(parts.length - parts.suffix.length) + parts.suffix;
}

/**
 * What a bank account's fingerprint is computed over: routing and account number together (the same account
 * number at two banks is two accounts). The prefix keeps it apart from any card number's fingerprint input.
 */
export const bankFingerprintInput = (a: BankAccount): string => `ach:${a.routingNumber}:${a.number}`;

/** A bank account does not expire: the expiry its tokens carry, which no clock reaches. */
export const NEVER_EXPIRES: Expiry = Object.freeze({ month: 12, year: 9999 });
