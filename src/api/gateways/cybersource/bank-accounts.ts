/**
 * Electronic checks on the Cybersource wire: the bank account fields of TMS and PTS requests, read and
 * checked here; the account itself is checked and stored by the vault (domain/bank-account.ts).
 *
 * TMS: `bankAccount{number, routingNumber}` on an instrument identifier (and under a payment instrument's
 * `instrumentIdentifier`), `bankAccount.type` on a payment instrument (`PostPaymentInstrumentRequest
 * .bankAccount.type`: "checking : C, general ledger : G (Wells Fargo ACH only), savings : S (U.S. dollars
 * only), corporate checking : X"; the samples send the word, `savings`). PTS: `paymentInformation.bank
 * {account{number, type}, routingNumber}` and `paymentInformation.paymentType.name` `CHECK` (the eCheck guide's
 * token example sends `check`).
 */
import type { CardView } from '../../../vault/cards.ts';
import { ptsError, tmsError } from './codes.ts';
import { type Json, pts, tms } from './fields.ts';

type Reader = typeof tms | typeof pts;

/** Account types by their word and their one-letter code (case-insensitive). */
const ACCOUNT_TYPES: Readonly<Record<string, string>> = {
  checking: 'C',
  savings: 'S',
  'corporate checking': 'X',
  'general ledger': 'G',
  c: 'C',
  s: 'S',
  x: 'X',
  g: 'G',
};

/** An account type as sent (a word or a code), refused when it names none. */
export function readAccountType(r: Reader, body: Json | undefined, path: string, required: boolean): string | undefined {
  const v = r.str(body, path, { max: 20, min: 1, required });
  if (v === undefined || ACCOUNT_TYPES[v.toLowerCase()] !== undefined) return v;
  const message = `${path} must be checking, savings, corporate checking or general ledger (C, S, X, G)`;
  throw r === tms
    ? tmsError(400, 'invalidFields', message, [{ name: path, location: 'body' }])
    : ptsError(400, 'INVALID_DATA', message, [{ field: path, reason: 'INVALID_DATA' }]);
}

/** `{number, routingNumber}` at `path` (both required once the object is sent), or undefined. */
export function readBankAccount(
  r: Reader,
  body: Json | undefined,
  path: string,
  routingPath = `${path}.routingNumber`,
): { number: string; routingNumber: string } | undefined {
  const numberPath = `${path}.number`;
  if (r.at(body, path) === undefined && r.at(body, routingPath) === undefined) return undefined;
  const number = r.str(body, numberPath, { max: 17, min: 1, required: true }) as string;
  const routingNumber = r.str(body, routingPath, { max: 9, min: 1, required: true }) as string;
  return { number, routingNumber };
}

/** `paymentInformation.paymentType.name`: `CHECK` (any case) asks for an electronic check; other values are refused. */
export function readPaymentType(body: Json | undefined): 'check' | undefined {
  const name = pts.str(body, 'paymentInformation.paymentType.name', { max: 20, min: 1 });
  if (name === undefined) return undefined;
  if (name.toUpperCase() === 'CHECK') return 'check';
  throw ptsError(400, 'NOT_SUPPORTED', 'paymentInformation.paymentType.name: only CHECK (an electronic check) is supported here', [
    { field: 'paymentInformation.paymentType.name', reason: 'NOT_SUPPORTED' },
  ]);
}

/** The vault field names of a bank account refusal, as TMS request paths under `path`. */
export const bankFieldNames = (path: string): Record<string, string> => ({
  number: `${path}.number`,
  routingNumber: `${path}.routingNumber`,
});

/** Whether a token is a bank account's (an electronic check's) rather than a card's. */
export const isBankAccount = (c: Pick<CardView, 'kind'>): boolean => c.kind === 'bank';
