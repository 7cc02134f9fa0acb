/** What the Cybersource schemas are built from: strings, objects, links, addresses, expiry, card types, paths and paging. */
import { TYPE_NAMES } from '../card-types.ts';

export type Schema = Record<string, unknown>;

export const ID_PATTERN = '^[A-Za-z0-9_-]{1,64}$';
export const str = (maxLength: number, description?: string, extra: Schema = {}): Schema => ({
  type: 'string',
  maxLength,
  ...(description ? { description } : {}),
  ...extra,
});
export const obj = (properties: Record<string, Schema>, extra: Schema = {}): Schema => ({ type: 'object', properties, ...extra });
/** An object tokenvault keeps as sent and echoes back, without reading its members. */
export const kept = (description: string): Schema => ({
  type: 'object',
  additionalProperties: true,
  description: `${description} Kept as sent and echoed back; its members are not interpreted.`,
});
export const link: Schema = obj({ href: { type: 'string' } }, { required: ['href'] });
export const methodLink: Schema = obj(
  { method: { type: 'string', enum: ['GET', 'POST'] }, href: { type: 'string' } },
  { required: ['method', 'href'] },
);
export const metadata: Schema = obj(
  { creator: { type: 'string', description: 'The Cybersource merchant id (v-c-merchant-id) of the caller' } },
  { required: ['creator'] },
);
export const tokenRef = (what: string): Schema => obj({ id: str(64, `The ${what} id`, { pattern: ID_PATTERN }) }, { required: ['id'] });

// ---------------------------------------------------------------------------------------------------
// Shared pieces

export const ADDRESS_MAX: [string, number, string][] = [
  ['firstName', 60, 'First name'],
  ['lastName', 60, 'Last name'],
  ['company', 60, 'Company'],
  ['address1', 60, 'Street address'],
  ['address2', 60, 'Second address line'],
  ['locality', 50, 'City'],
  ['administrativeArea', 20, 'State or province'],
  ['postalCode', 10, 'Postal code'],
  ['country', 2, 'ISO 3166-1 alpha-2 country code (upper-cased when stored)'],
  ['email', 255, 'Email address'],
  ['phoneNumber', 15, 'Phone number'],
];

/** A billTo / shipTo as read (every member optional, each a string of at most its length). */
export const Address: Schema = obj(
  Object.fromEntries(
    ADDRESS_MAX.map(([name, max, description]) => [name, str(max, description, name === 'country' ? { pattern: '^[A-Za-z]{2}$' } : {})]),
  ),
  { description: 'An address; control characters are refused in every member.' },
);

export const EXPIRY_MONTH = str(2, 'Expiration month, `MM` (one or two digits)', { pattern: '^[0-9]{1,2}$' });
export const EXPIRY_YEAR = str(4, 'Expiration year, `YYYY`', { pattern: '^[0-9]{4}$' });
/** A request boolean: Cybersource's own examples send `"default": "true"`, so the strings are read too. */
export const bool = (description: string): Schema => ({ type: ['boolean', 'string'], enum: [true, false, 'true', 'false'], description });

export const CARD_TYPE = {
  type: 'string',
  enum: TYPE_NAMES,
  description:
    'The card brand, as a 3-digit Cybersource code (`001` Visa, `002` Mastercard, `003` American Express, `004` Discover, `005` Diners Club, `007` JCB, `024`/`042` Maestro, `062` UnionPay) or a lower-case name (matched case-insensitively). Refused when it contradicts the card number.',
};

export const merchantDefinedInformation: Schema = {
  type: 'array',
  maxItems: 8,
  description: 'Up to eight named merchant values.',
  items: obj(
    {
      name: {
        type: 'string',
        maxLength: 60,
        enum: ['data1', 'data2', 'data3', 'data4', 'sensitive1', 'sensitive2', 'sensitive3', 'sensitive4'],
      },
      value: str(100),
    },
    { required: ['name', 'value'] },
  ),
};

// ---------------------------------------------------------------------------------------------------
// Parameters

export const idParam = (name: string, description: string): Schema => ({
  type: 'object',
  properties: { [name]: { type: 'string', pattern: ID_PATTERN, description } },
  required: [name],
});

export const pagingQuery: Schema = {
  type: 'object',
  properties: {
    offset: { type: 'integer', minimum: 0, maximum: 1_000_000_000, default: 0, description: 'The first item to list' },
    limit: { type: 'integer', minimum: 1, maximum: 100, default: 20, description: 'How many items to list' },
  },
};
