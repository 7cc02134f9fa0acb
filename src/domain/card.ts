/**
 * Card data rules that every API shares: PAN validation, brand and funding from the BIN, masking, and
 * the many expiry spellings gateways use. Pure functions; nothing here touches I/O.
 */
import { err, ok, type Result } from './result.ts';

export type Brand = 'VISA' | 'MASTERCARD' | 'AMEX' | 'DISCOVER' | 'JCB' | 'DINERS' | 'UNIONPAY' | 'MAESTRO' | 'UNKNOWN';
export type Funding = 'CREDIT' | 'DEBIT' | 'PREPAID' | 'UNKNOWN';
export type PanError = 'pan_not_digits' | 'pan_leading_zero' | 'pan_length' | 'pan_luhn';

const PAN_MIN_LENGTH = 12;
const PAN_MAX_LENGTH = 19;

/** The shape parsePan accepts, as JSON Schema keywords, for API documents (Luhn and brand lengths aside). */
export const PAN_SCHEMA_SHAPE = {
  minLength: PAN_MIN_LENGTH,
  maxLength: PAN_MAX_LENGTH,
  pattern: `^[1-9][0-9]{${PAN_MIN_LENGTH - 1},${PAN_MAX_LENGTH - 1}}$`,
} as const;
const ASCII_DIGITS = /^[0-9]+$/;

/** False for anything that is not a non-empty string of ASCII digits, so a caller cannot mistake junk for a valid number. */
export function luhnValid(digits: string): boolean {
  if (!ASCII_DIGITS.test(digits)) return false;
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/**
 * Accepts the PAN exactly as a client sent it, in its one canonical form: ASCII digits only, no leading
 * zero (no card number begins with 0, so 004111… would be a second spelling of 4111…, bypassing dedup
 * and misreading the BIN), a length the brand issues (12..19 for a number of no known brand), Luhn-valid.
 */
export function parsePan(input: string): Result<string, PanError> {
  // Separators are refused rather than stripped: silently rewriting card data hides client bugs.
  if (!ASCII_DIGITS.test(input)) return err('pan_not_digits');
  if (input.startsWith('0')) return err('pan_leading_zero');
  if (input.length < PAN_MIN_LENGTH || input.length > PAN_MAX_LENGTH) return err('pan_length');
  const rule = findBrandRule(input);
  if (rule && !rule.lengths.includes(input.length)) return err('pan_length');
  if (!luhnValid(input)) return err('pan_luhn');
  return ok(input);
}

// ---------------------------------------------------------------------------------------------------
// Brand detection

type PrefixRange = string | readonly [from: string, to: string];

interface BrandRule {
  readonly brand: Exclude<Brand, 'UNKNOWN'>;
  readonly prefixes: readonly PrefixRange[];
  readonly lengths: readonly number[];
}

const span = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

const BRAND_RULES: readonly BrandRule[] = [
  { brand: 'VISA', prefixes: ['4'], lengths: [13, 16, 19] },
  {
    brand: 'MASTERCARD',
    prefixes: [
      ['51', '55'],
      ['2221', '2720'],
    ],
    lengths: [16],
  },
  { brand: 'AMEX', prefixes: ['34', '37'], lengths: [15] },
  { brand: 'UNIONPAY', prefixes: ['62', '81'], lengths: span(16, 19) },
  // 622126-622925 sits inside UnionPay's 62; those cards are co-branded and acquirers route them as Discover.
  { brand: 'DISCOVER', prefixes: ['6011', ['644', '649'], '65', ['622126', '622925']], lengths: span(16, 19) },
  { brand: 'JCB', prefixes: [['3528', '3589']], lengths: span(16, 19) },
  { brand: 'DINERS', prefixes: [['300', '305'], '3095', '36', '38', '39'], lengths: span(14, 19) },
  {
    brand: 'MAESTRO',
    prefixes: ['5018', '5020', '5038', '5893', '6304', '6759', '6761', '6762', '6763', '50', ['56', '58'], '639', '67'],
    lengths: span(PAN_MIN_LENGTH, PAN_MAX_LENGTH),
  },
];

interface FlatRange {
  readonly from: string;
  readonly to: string;
  readonly rule: BrandRule;
}

// Longest prefix first, so a narrow range (622126-622925) beats the wide one that contains it (62)
// whatever order the rules are written in.
const BRAND_RANGES: readonly FlatRange[] = BRAND_RULES.flatMap((rule) =>
  rule.prefixes.map((p): FlatRange => (typeof p === 'string' ? { from: p, to: p, rule } : { from: p[0], to: p[1], rule })),
).sort((a, b) => b.from.length - a.from.length);

function findBrandRule(digits: string): BrandRule | undefined {
  for (const range of BRAND_RANGES) {
    if (digits.length < range.from.length) continue;
    // Equal-length digit strings order the same as the numbers they spell.
    const head = digits.slice(0, range.from.length);
    if (head >= range.from && head <= range.to) return range.rule;
  }
  return undefined;
}

const ANY_LENGTH: readonly number[] = span(PAN_MIN_LENGTH, PAN_MAX_LENGTH);

/**
 * The lengths a number starting with these digits can have (its brand's, else 12..19): lets a card form tell a
 * number still being typed from one already too long, by the rule parsePan applies.
 */
export function panLengths(digits: string): readonly number[] {
  return findBrandRule(digits)?.lengths ?? ANY_LENGTH;
}

/** Brand from leading digits only, so it also works on a stored 6- or 8-digit BIN. Length is not checked here. */
export function detectBrand(pan: string): Brand {
  return findBrandRule(pan)?.brand ?? 'UNKNOWN';
}

// Funding is only knowable from an issuer BIN table, which we do not ship; these are the few prefixes
// that are public knowledge (Visa Electron) plus the test BINs integrators use every day.
const FUNDING_BY_PREFIX: readonly (readonly [prefix: string, funding: Funding])[] = [
  ['4026', 'DEBIT'],
  ['417500', 'DEBIT'],
  ['4405', 'DEBIT'],
  ['4508', 'DEBIT'],
  ['4844', 'DEBIT'],
  ['4913', 'DEBIT'],
  ['4917', 'DEBIT'],
  ['411111', 'CREDIT'],
  ['400000', 'CREDIT'],
  ['555555', 'CREDIT'],
  ['378282', 'CREDIT'],
];

const FUNDING_BY_BRAND: Partial<Record<Brand, Funding>> = { MAESTRO: 'DEBIT' };

// No prefix in the table contains another, so the first match is the only match.
function detectFunding(pan: string, brand: Brand): Funding {
  const byPrefix = FUNDING_BY_PREFIX.find(([prefix]) => pan.startsWith(prefix));
  return byPrefix?.[1] ?? FUNDING_BY_BRAND[brand] ?? 'UNKNOWN';
}

// Issuing country is only knowable from an issuer BIN table, which we do not ship either: the public test
// BINs integrators use, by the country of their issuer.
const COUNTRY_BY_PREFIX: readonly (readonly [prefix: string, country: string])[] = [
  ['411111', 'US'],
  ['400000', 'US'],
  ['424242', 'US'],
  ['555555', 'US'],
  ['222300', 'US'],
  ['378282', 'US'],
  ['601111', 'US'],
  ['353011', 'JP'],
  ['356600', 'JP'],
];

/** ISO 3166-1 alpha-2 country of the card's issuer, or null when the BIN is not in the table. */
export function issuerCountry(bin6: string): string | null {
  return COUNTRY_BY_PREFIX.find(([prefix]) => bin6.startsWith(prefix))?.[1] ?? null;
}

export interface BinInfo {
  bin6: string;
  /** PCI DSS allows keeping the first 8 digits only for PANs of 16 digits or more. */
  bin8: string | null;
  last4: string;
  length: number;
  brand: Brand;
  funding: Funding;
}

/**
 * Everything about a validated PAN that may be stored in clear. Unlike detectBrand, this sees the whole
 * PAN, so a number whose length the brand never issues (a 16-digit 34…) is reported as UNKNOWN rather
 * than sent to a gateway under the wrong card type.
 */
export function binInfo(pan: string): BinInfo {
  const rule = findBrandRule(pan);
  const brand: Brand = rule?.lengths.includes(pan.length) ? rule.brand : 'UNKNOWN';
  return {
    bin6: pan.slice(0, 6),
    bin8: pan.length >= 16 ? pan.slice(0, 8) : null,
    last4: pan.slice(-4),
    length: pan.length,
    brand,
    funding: detectFunding(pan, brand),
  };
}

// ---------------------------------------------------------------------------------------------------
// Brand names per API

/** The names each API needs for a brand. */
export interface BrandNames {
  code: Brand;
  display: string;
  /** Native API and Cybersource TMS v2 spelling. */
  lower: string;
}

const BRAND_NAMES: Readonly<Record<Brand, Omit<BrandNames, 'code'>>> = {
  VISA: { display: 'Visa', lower: 'visa' },
  MASTERCARD: { display: 'Mastercard', lower: 'mastercard' },
  AMEX: { display: 'American Express', lower: 'american express' },
  DISCOVER: { display: 'Discover', lower: 'discover' },
  DINERS: { display: 'Diners Club', lower: 'diners club' },
  JCB: { display: 'JCB', lower: 'jcb' },
  MAESTRO: { display: 'Maestro', lower: 'maestro' },
  UNIONPAY: { display: 'UnionPay', lower: 'unionpay' },
  UNKNOWN: { display: 'Unknown', lower: 'unknown' },
};

/** Every brand, for API documents that enumerate them. */
export const ALL_BRANDS = Object.keys(BRAND_NAMES) as Brand[];

export function brandNames(brand: Brand): BrandNames {
  return { code: brand, ...BRAND_NAMES[brand] };
}

// ---------------------------------------------------------------------------------------------------
// Masking

export type MaskChar = 'X' | '*' | '•';

/** Card security code: four digits on American Express, three on every other brand. */
export function cvvValid(brand: Brand, cvv: string): boolean {
  return (brand === 'AMEX' ? /^[0-9]{4}$/ : /^[0-9]{3}$/).test(cvv);
}

/**
 * The card number as it may be shown, built from the stored clear parts so showing a card never needs
 * decryption. Never more than the first 6 and last 4 digits, and never more than half of them: 15 to 19
 * digits show the first 6 and last 4 (the gateways' wire formats rely on that shape); a shorter number
 * shows its last 4 and the first floor(length / 2) - 4 (12 digits: 50******7750, where 501800**7750 would show 10 of 12).
 */
export function maskPan(parts: { bin6: string; last4: string; length: number }, char: MaskChar): string {
  // Bad parts mean corrupt stored data, a bug rather than an expected outcome.
  if (parts.bin6.length !== 6 || parts.last4.length !== 4) throw new RangeError('maskPan: bin6 must be 6 and last4 4 characters');
  if (!Number.isInteger(parts.length) || parts.length < PAN_MIN_LENGTH || parts.length > PAN_MAX_LENGTH) {
    throw new RangeError(`maskPan: length ${parts.length} outside ${PAN_MIN_LENGTH}..${PAN_MAX_LENGTH}`);
  }
  const head = visibleBin(parts);
  return head + char.repeat(parts.length - head.length - 4) + parts.last4;
}

/**
 * The leading digits any API may show beside the last 4 (a `bin` field, a mask): the first 6 from 15 digits
 * on, fewer below, so that no more than half the digits of a short number are ever shown (PCI DSS 3.4.1).
 */
export function visibleBin(parts: { bin6: string; length: number }): string {
  return parts.bin6.slice(0, parts.length >= 15 ? 6 : Math.max(0, Math.floor(parts.length / 2) - 4));
}

// ---------------------------------------------------------------------------------------------------
// Expiry

export interface Expiry {
  month: number;
  year: number;
}
export type ExpiryError = 'expiry_format' | 'expiry_month' | 'expiry_year';

// Shape problems are expiry_format; well-shaped but out-of-range values name the field at fault.

/** Year must be a whole number in 2000..2099, month 1..12. For APIs that send numbers. */
export function makeExpiry(month: number, year: number): Result<Expiry, ExpiryError> {
  if (!Number.isInteger(month) || month < 1 || month > 12) return err('expiry_month');
  if (!Number.isInteger(year) || year < 2000 || year > 2099) return err('expiry_year');
  return ok({ month, year });
}

/** Two-digit years are 20YY: cards issued before 2000 have long expired. */
function yearFromDigits(year: string): number {
  return year.length === 2 ? 2000 + Number(year) : Number(year);
}

/** 'MM/YY' or 'MM/YYYY'; the month must have its leading zero. */
export function parseExpirySlash(input: string): Result<Expiry, ExpiryError> {
  const m = /^([0-9]{2})\/([0-9]{2}|[0-9]{4})$/.exec(input);
  if (m === null) return err('expiry_format');
  return makeExpiry(Number(m[1]), yearFromDigits(m[2] ?? ''));
}

/** Month 'MM' (01-12) and year 'YY' or 'YYYY' sent as separate fields. */
export function parseExpiryParts(month: string, year: string): Result<Expiry, ExpiryError> {
  if (!/^[0-9]{2}$/.test(month) || !/^(?:[0-9]{2}|[0-9]{4})$/.test(year)) return err('expiry_format');
  return makeExpiry(Number(month), yearFromDigits(year));
}

/** 'YYMM', as AlliancePay sends it ('2712' is December 2027). */
export function parseExpiryYYMM(input: string): Result<Expiry, ExpiryError> {
  const m = /^([0-9]{2})([0-9]{2})$/.exec(input);
  if (m === null) return err('expiry_format');
  return makeExpiry(Number(m[2]), 2000 + Number(m[1]));
}

function daysInMonth(month: number, year: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** 'yyyy-MM-dd', as 2C2P sends it. The day must exist (an impossible date is expiry_format) but does not affect the expiry. */
export function parseExpiryIsoDate(input: string): Result<Expiry, ExpiryError> {
  const m = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(input);
  if (m === null) return err('expiry_format');
  const made = makeExpiry(Number(m[2]), Number(m[1]));
  if (!made.ok) return made;
  const day = Number(m[3]);
  if (day < 1 || day > daysInMonth(made.value.month, made.value.year)) return err('expiry_format', 'no such day in that month');
  return made;
}

/** First instant after the card stops working: 00:00 UTC on the 1st of the month after expiry. */
function endOfExpiry(exp: Expiry): number {
  // Date.UTC takes a zero-based month, so passing the one-based month lands on the next month.
  return Date.UTC(exp.year, exp.month, 1);
}

/** A card is valid through the last moment of its expiry month (UTC). */
export function isExpired(exp: Expiry, now: Date): boolean {
  return now.getTime() >= endOfExpiry(exp);
}

/** More than 20 years after now, counted in whole months: no issuer issues cards that long. */
export function isTooFarInFuture(exp: Expiry, now: Date): boolean {
  const expMonths = exp.year * 12 + (exp.month - 1);
  const limitMonths = (now.getUTCFullYear() + 20) * 12 + now.getUTCMonth();
  return expMonths > limitMonths;
}

export type ExpiryFormat = 'MM/YY' | 'MMYY' | 'YYMM' | 'MM' | 'YY' | 'YYYY' | 'yyyy-MM-dd';

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** 'yyyy-MM-dd' gives the last day of the month, the day the card stops being valid at its end. */
export function formatExpiry(exp: Expiry, format: ExpiryFormat): string {
  const mm = pad2(exp.month);
  const yy = pad2(exp.year % 100);
  const yyyy = String(exp.year).padStart(4, '0');
  switch (format) {
    case 'MM/YY':
      return `${mm}/${yy}`;
    case 'MMYY':
      return `${mm}${yy}`;
    case 'YYMM':
      return `${yy}${mm}`;
    case 'MM':
      return mm;
    case 'YY':
      return yy;
    case 'YYYY':
      return yyyy;
    case 'yyyy-MM-dd':
      return `${yyyy}-${mm}-${pad2(daysInMonth(exp.month, exp.year))}`;
  }
}
