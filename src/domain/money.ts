/** Amounts are integers in a currency's minor unit (ISO 4217): 1050 USD cents = 10.50 USD, 1050 JPY = ¥1050. */
import { err, ok, type Result } from './result.ts';

// ISO 4217 minor-unit exponents of the currencies in use; absent codes are refused rather than guessed.
const EXPONENTS: Record<string, number> = {
  AED: 2,
  ARS: 2,
  AUD: 2,
  BDT: 2,
  BGN: 2,
  BHD: 3,
  BRL: 2,
  CAD: 2,
  CHF: 2,
  CLP: 0,
  CNY: 2,
  COP: 2,
  CZK: 2,
  DKK: 2,
  EGP: 2,
  EUR: 2,
  GBP: 2,
  GHS: 2,
  HKD: 2,
  HUF: 2,
  IDR: 2,
  ILS: 2,
  INR: 2,
  IQD: 3,
  ISK: 0,
  JOD: 3,
  JPY: 0,
  KES: 2,
  KRW: 0,
  KWD: 3,
  KZT: 2,
  LKR: 2,
  LYD: 3,
  MAD: 2,
  MXN: 2,
  MYR: 2,
  NGN: 2,
  NOK: 2,
  NZD: 2,
  OMR: 3,
  PEN: 2,
  PHP: 2,
  PKR: 2,
  PLN: 2,
  QAR: 2,
  RON: 2,
  RSD: 2,
  RUB: 2,
  SAR: 2,
  SEK: 2,
  SGD: 2,
  THB: 2,
  TND: 3,
  TRY: 2,
  TWD: 2,
  UAH: 2,
  UGX: 0,
  USD: 2,
  UYU: 2,
  VND: 0,
  XAF: 0,
  XOF: 0,
  ZAR: 2,
};

/** Largest amount accepted, in minor units: far above any card payment, far below 2^53. */
export const MAX_AMOUNT = 1_000_000_000_000;

export type MoneyError = 'currency_unknown' | 'amount_not_positive' | 'amount_too_large' | 'amount_not_integer';

export interface Money {
  readonly amount: number;
  readonly currency: string;
}

export const currencyExponent = (currency: string): number | undefined => EXPONENTS[currency];

export function parseMoney(amount: number, currency: string): Result<Money, MoneyError> {
  if (!Object.hasOwn(EXPONENTS, currency)) return err('currency_unknown', `${currency} is not a supported ISO 4217 currency`);
  if (!Number.isSafeInteger(amount)) return err('amount_not_integer', 'amounts are whole numbers of the minor unit');
  if (amount <= 0) return err('amount_not_positive', 'the amount must be greater than zero');
  if (amount > MAX_AMOUNT) return err('amount_too_large', `the amount may not exceed ${MAX_AMOUNT}`);
  return ok({ amount, currency });
}

/** "10.50 USD", for messages and documentation. */
export function formatMoney(m: Money): string {
  return `${decimalAmount(m.amount, m.currency)} ${m.currency}`;
}

/**
 * A decimal amount as gateways send it ("10.00", "10.5", "1000") in the currency's minor unit. More
 * decimals than the currency has are refused rather than rounded.
 */
export function parseDecimalAmount(text: string, currency: string): Result<Money, MoneyError | 'amount_format'> {
  const exp = EXPONENTS[currency];
  if (exp === undefined) return err('currency_unknown', `${currency} is not a supported ISO 4217 currency`);
  const m = /^([0-9]{1,13})(?:\.([0-9]+))?$/.exec(text);
  if (!m) return err('amount_format', 'the amount must be a decimal number such as 10.00');
  const fraction = m[2] ?? '';
  if (fraction.replace(/0+$/, '').length > exp) return err('amount_format', `${currency} has ${exp} decimal places`);
  const minor = Number(m[1]) * 10 ** exp + Number(fraction.slice(0, exp).padEnd(exp, '0') || '0');
  return parseMoney(minor, currency);
}

/** Minor units back to the decimal text gateways send ("10.00"). */
export function decimalAmount(amount: number, currency: string): string {
  const exp = EXPONENTS[currency] ?? 0;
  return exp === 0 ? String(amount) : (amount / 10 ** exp).toFixed(exp);
}
