/** Cybersource `card.type` spellings: each brand's 3-digit code and lowercase name (domain/card.ts), plus older aliases. */
import { type Brand, brandNames } from '../../../domain/card.ts';

const BRANDS: Brand[] = ['VISA', 'MASTERCARD', 'AMEX', 'DISCOVER', 'DINERS', 'JCB', 'MAESTRO', 'UNIONPAY'];

const TYPE_CODES: Record<string, Brand> = {
  ...Object.fromEntries(BRANDS.flatMap((b) => [[brandNames(b).cybersourceType, b] as const, [brandNames(b).lower, b] as const])),
  '024': 'MAESTRO',
  amex: 'AMEX',
  'china unionpay': 'UNIONPAY',
};

/** Every `card.type` spelling accepted (compared case-insensitively), for the OpenAPI document. */
export const TYPE_NAMES: string[] = Object.keys(TYPE_CODES).sort();

/** The brand a request's `card.type` names (3-digit code or name), or undefined when it names none we know. */
export const brandOfType = (type: string): Brand | undefined => TYPE_CODES[type.toLowerCase()];
