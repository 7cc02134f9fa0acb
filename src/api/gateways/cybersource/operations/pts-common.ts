/** What the PTS operations share: amounts as sent, what a first call asks for, and how the vault is asked. */
import { numericId } from '../../../../domain/ids.ts';
import { parseDecimalAmount } from '../../../../domain/money.ts';
import type { CardView } from '../../../../vault/cards.ts';
import type { VaultFailure } from '../../../../vault/errors.ts';
import { ptsError, ptsFailure } from '../codes.ts';
import type { Ctx } from '../context.ts';
import { type Json, pts } from '../fields.ts';

/** Ids PTS issues (payments, credits and every follow-on): 22 digits. */
export const paymentId = (): string => numericId(22);

/** An amount block (`totalAmount`, `currency`); with `currencyDefault`, the currency may be left out but not changed. */
export function readMoney(body: Json | undefined, path: string, required: boolean, currencyDefault?: string) {
  const total = pts.str(body, `${path}.totalAmount`, { max: 19, required });
  const currencyText = pts.str(body, `${path}.currency`, { max: 3, required: required && !currencyDefault, pattern: /^[A-Za-z]{3}$/ });
  if (total === undefined) return undefined;
  const currency = (currencyText ?? currencyDefault ?? '').toUpperCase();
  if (currencyDefault && currency !== currencyDefault) {
    throw ptsError(400, 'INVALID_DATA', `the currency must be the payment's (${currencyDefault})`, [
      { field: `${path}.currency`, reason: 'INVALID_DATA' },
    ]);
  }
  const m = parseDecimalAmount(total, currency);
  if (!m.ok) {
    const [field, reason] =
      m.error === 'currency_unknown' ? [`${path}.currency`, 'INVALID_DATA' as const] : [`${path}.totalAmount`, 'INVALID_AMOUNT' as const];
    throw ptsError(400, reason, m.detail ?? 'The amount is not valid', [{ field, reason }]);
  }
  return m.value;
}

export type Kind = 'payment' | 'credit';

/** What an authorization or credit asks for, read (and refused) before anything moves. */
export interface FirstCall {
  kind: Kind;
  code: string | undefined;
  money: { amount: number; currency: string };
  capture: boolean;
  types: string[];
  customerId: string | undefined;
  piId: string | undefined;
  saId: string | undefined;
  /** `paymentInformation.instrumentIdentifier.id`: pay with a card the vault holds, with the expiry sent. */
  iiId: string | undefined;
  tokenCreate: boolean;
  hasCard: boolean;
  /** `paymentInformation.paymentType.name` CHECK: the instrument must be a bank account. */
  check: boolean;
  /** `paymentInformation.bank`: a bank account sent in full (an electronic check without a token). */
  bank: { number: string; routingNumber: string } | undefined;
}

/** Any card of the caller's, deleted ones included (a payment's card is shown as it was). */
export async function anyCard(ctx: Ctx, token: string): Promise<CardView | null> {
  const r = await ctx.deps.cards.get(ctx.caller, token);
  return r.ok ? r.value : null;
}

/** What every first call sends to the vault about the money. */
export const paymentInput = (f: FirstCall) => ({
  amount: f.money.amount,
  currency: f.money.currency,
  capture: f.capture,
  reference: f.code ?? null,
  newId: paymentId,
});

/** The request field that chose the card a first call pays with. */
export const sourceField = (f: FirstCall): string =>
  f.piId !== undefined
    ? 'paymentInformation.paymentInstrument.id'
    : f.iiId !== undefined
      ? 'paymentInformation.instrumentIdentifier.id'
      : 'paymentInformation.customer.id';

/** paymentType CHECK with a card: refused, naming the field that chose the card. */
export const checkNeedsBank = (field: string) =>
  ptsError(400, 'INVALID_DATA', 'paymentInformation.paymentType.name CHECK needs a bank account, not a card', [
    { field, reason: 'INVALID_DATA' },
  ]);

/** A refused first call, naming the field that chose the card. */
export const paymentRefused = (f: FirstCall, r: VaultFailure) => ptsFailure(r, sourceField(f));
