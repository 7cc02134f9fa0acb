/** Cybersource `card.type` spellings: each brand's 3-digit code and lowercase name (domain/card.ts), plus older aliases. */
import { ALL_BRANDS, type Brand, brandNames } from '../../../domain/card.ts';

/** Cybersource's three-digit card.type of each brand; empty where Cybersource has no code. */
export const TYPE_CODE: Readonly<Record<Brand, string>> = {
  VISA: '001',
  MASTERCARD: '002',
  AMEX: '003',
  DISCOVER: '004',
  DINERS: '005',
  JCB: '007',
  MAESTRO: '042',
  UNIONPAY: '062',
  UNKNOWN: '',
};

const BRANDS = ALL_BRANDS.filter((b) => TYPE_CODE[b] !== '');

const TYPE_CODES: Record<string, Brand> = {
  ...Object.fromEntries(BRANDS.flatMap((b) => [[TYPE_CODE[b], b] as const, [brandNames(b).lower, b] as const])),
  '024': 'MAESTRO',
  amex: 'AMEX',
  'china unionpay': 'UNIONPAY',
};

/** Every `card.type` spelling accepted (compared case-insensitively), for the OpenAPI document. */
export const TYPE_NAMES: string[] = Object.keys(TYPE_CODES).sort();

/** The brand a request's `card.type` names (3-digit code or name), or undefined when it names none we know. */
export const brandOfType = (type: string): Brand | undefined => TYPE_CODES[type.toLowerCase()];
