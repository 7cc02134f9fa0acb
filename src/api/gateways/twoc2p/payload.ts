/**
 * Reads a decrypted request payload: its fields in 2C2P's order and wording (schemas.ts documents the same
 * rules, and test/gateways/twoc2p/openapi.test.ts proves that what the schemas forbid is refused here).
 */
import { type Expiry, parseExpiryIsoDate } from '../../../domain/card.ts';
import { type Body, type FieldIssue, fieldReader, type StringRule } from '../kit/fields.ts';
import { type CodeName, refusal, type Twoc2pOperation } from './codes.ts';

/** Free text (2C2P type C): any characters but control characters, and never a card number (it is echoed in clear). */
const TEXT = { noControl: true, noCardNumber: true } as const;
const MERCHANT_ID: StringRule = { required: true, max: 15, pattern: /^[A-Za-z0-9]+$/ };
const TOKEN: StringRule = { required: true, max: 255, pattern: /^[0-9A-Za-z_-]+$/ };
const DETAILS: Record<string, StringRule> = {
  // 2C2P types email as C 50 (any characters); its own examples echo values that are no address.
  email: { max: 50, ...TEXT },
  expiry: { required: true, max: 10 },
  accountIssuer: { max: 50, ...TEXT },
  accountIssuerCountry: { max: 2, pattern: /^[A-Z]{2}$/ },
  accountCurrency: { max: 3, pattern: /^[A-Z]{3}$/ },
};

const FIELDS: Record<Twoc2pOperation, Record<string, StringRule>> = {
  add: {
    merchantID: MERCHANT_ID,
    tokenProvider: { required: true, max: 15, pattern: /^CC$/ },
    accountNo: { required: true, max: 255 },
    name: { max: 50, ...TEXT },
    ...DETAILS,
  },
  update: {
    merchantID: MERCHANT_ID,
    token: TOKEN,
    tokenProvider: { max: 15, pattern: /^CC$/ },
    name: { required: true, max: 50, ...TEXT },
    ...DETAILS,
  },
  get: { merchantID: MERCHANT_ID, token: TOKEN },
  delete: { merchantID: MERCHANT_ID, token: TOKEN },
};

/** How 2C2P words each fault (code, responseDesc naming the field, never its value). */
function wording(field: string, issue: FieldIssue): [CodeName, string] {
  switch (issue.kind) {
    case 'missing':
      return ['missing', `${field} is required`];
    case 'tooLong':
      return ['tooLong', `${field} exceeds ${issue.max} characters`];
    case 'notString':
    case 'notObject':
      return ['invalid', `${field} must be a string`];
    case 'cardNumber':
      return ['invalid', `${field} may not contain a card number`];
    case 'unknown':
      return ['invalid', `${field} is not a field of this request`];
    default:
      return ['invalid', `${field} is not valid`];
  }
}

const read = fieldReader((field, issue) => refusal(...wording(field, issue)));

/** Refuses the payload's first fault: a field the operation does not have, then each field in turn. */
export function validate(op: Twoc2pOperation, p: Body): void {
  const rules = FIELDS[op];
  read.only(p, Object.keys(rules));
  for (const [key, rule] of Object.entries(rules)) read.str(p, key, rule);
}

export function expiryOf(p: Body): Expiry {
  const e = parseExpiryIsoDate(p.expiry as string);
  if (!e.ok) throw refusal('invalid', 'expiry must be a date yyyy-MM-dd');
  return e.value;
}

/** Extra fields a token keeps for this API, echoed back as sent. */
const ATTRIBUTES = ['email', 'accountIssuer', 'accountIssuerCountry', 'accountCurrency'] as const;

/** The attributes a token keeps: its expiry as sent, and the extra fields present. */
export function attributesOf(p: Body): Record<string, string> {
  const out: Record<string, string> = { expiryDate: p.expiry as string };
  for (const k of ATTRIBUTES) if (typeof p[k] === 'string') out[k] = p[k] as string;
  return out;
}
