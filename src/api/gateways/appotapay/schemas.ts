/**
 * The AppotaPay wire as tokenvault serves it (docs/appotapay.md), as JSON Schema: every request of the five
 * routes and the headers they read, for the OpenAPI document (the answers are in schemas-answers.ts). The
 * operations read and refuse fields by hand in AppotaPay's error shape (fields.ts);
 * test/gateways/appotapay/openapi.test.ts holds them to these schemas (every documented example accepted,
 * every one-change request they forbid refused, every answer matching).
 *
 * Builders return fresh objects: the document generator rewrites what it is given.
 */

export type Schema = Record<string, unknown>;

export const SECURITY = [{ appotapayJwt: [] }];
export const TAGS = { tokens: 'tokens', charges: 'charges', refunds: 'refunds', reversals: 'reversals' } as const;

/** No control characters: the handler refuses them in every string it reads. */
const PRINTABLE = '^[^\\u0000-\\u001f]+$';

export const text = (min: number, max: number, description: string, extra: Schema = {}): Schema => ({
  type: 'string',
  minLength: min,
  maxLength: max,
  ...(extra.pattern ? {} : { pattern: PRINTABLE }),
  description,
  ...extra,
});

export const merchantRefId = (description: string): Schema => text(1, 40, description);

// -------------------------------------------------------------------------------------------------
// Shared request parts

const cardRequest = (): Schema => ({
  type: 'object',
  description: 'The card to tokenize. Only its masked number, brand, type and country are ever answered.',
  required: ['number', 'holderName', 'expirationMonth', 'expirationYear', 'cvv'],
  properties: {
    number: {
      type: 'string',
      minLength: 13,
      maxLength: 19,
      pattern: '^[0-9]{13,19}$',
      description: 'The card number, digits only. One failing the Luhn check is refused with errorCode `61`.',
    },
    holderName: text(1, 50, 'The name on the card: letters, digits and spaces', { pattern: '^[0-9a-zA-Z ]+$' }),
    expirationMonth: {
      type: 'string',
      minLength: 2,
      maxLength: 2,
      pattern: '^(0[1-9]|1[0-2])$',
      description: 'Expiry month with a leading zero (`MM`)',
    },
    expirationYear: {
      type: 'string',
      minLength: 2,
      maxLength: 2,
      pattern: '^[0-9]{2}$',
      description: 'Expiry year (`YY`), at most 20 years ahead. An expired card is refused with errorCode `63`.',
    },
    cvv: {
      type: 'string',
      minLength: 3,
      maxLength: 4,
      pattern: '^[0-9]{3,4}$',
      description:
        'The card security code: 4 digits on American Express, 3 on other brands. Held encrypted until the first charge (or its time to live), then wiped; never answered.',
    },
  },
});

const customerRequest = (): Schema => ({
  type: 'object',
  description: 'The customer, for risk management. If sent, `browser` and all of its fields are required.',
  required: ['browser'],
  properties: {
    browser: {
      type: 'object',
      description: "The customer's browser",
      required: ['clientIp', 'userAgent', 'referrer', 'acceptLanguage'],
      properties: {
        clientIp: {
          type: 'string',
          minLength: 7,
          maxLength: 45,
          anyOf: [{ format: 'ipv4' }, { format: 'ipv6' }],
          description: "The customer device's IPv4 or IPv6 address",
        },
        userAgent: text(1, 500, "The customer's User-Agent"),
        referrer: text(1, 500, 'The address the customer came from to the merchant page'),
        acceptLanguage: text(2, 10, "The customer device's language, e.g. `vi-VN`"),
      },
    },
  },
});

export const BILLING_FIELDS: [name: string, min: number, max: number, description: string, pattern?: string][] = [
  ['firstName', 1, 50, "Cardholder's first name"],
  ['lastName', 1, 50, "Cardholder's last name"],
  ['email', 1, 255, "Cardholder's email address on record with the issuer", '^[^@\\s]+@[^@\\s]+$'],
  ['phoneNumber', 8, 20, "Cardholder's mobile phone number on record with the issuer", '^\\+?[0-9 ]+$'],
  ['province', 1, 100, 'Province, state (a US state as its code, e.g. `CA`) or region'],
  ['city', 1, 100, 'City, village or town'],
  ['country', 2, 2, 'ISO 3166-1 alpha-2 country of residence (answered upper-case)', '^[A-Za-z]{2}$'],
  ['addressLine1', 1, 100, 'Address, first line'],
  ['addressLine2', 1, 100, 'Address, second line'],
  ['postalCode', 1, 10, 'Postal or zip code'],
];

export const billingProperty = ([, min, max, description, pattern]: (typeof BILLING_FIELDS)[number]): Schema =>
  text(min, max, description, pattern ? { pattern } : {});

const billingRequest = (): Schema => ({
  type: 'object',
  description:
    "The cardholder's billing details as registered with the issuer (useful for frictionless 3-D Secure 2). If sent, every field but `alternatePhoneNumber` is required.",
  required: BILLING_FIELDS.map(([name]) => name),
  properties: {
    ...Object.fromEntries(BILLING_FIELDS.map((f) => [f[0], billingProperty(f)])),
    alternatePhoneNumber: {
      type: 'string',
      maxLength: 20,
      pattern: '^\\+?[0-9 ]*$',
      description: 'Another phone number (optional; may be empty)',
    },
  },
});

export const tokenId = (description: string): Schema => ({
  type: 'string',
  minLength: 1,
  maxLength: 32,
  pattern: '^[0-9a-z]+$',
  description,
});

// -------------------------------------------------------------------------------------------------
// Token create

/** The seed's example request; the token answer's example answers it. */
export const TOKEN_EXAMPLE = {
  merchantRefId: 'PdWghqjDT',
  tokenType: 'SINGLE',
  card: { holderName: 'HOANG NHUNG', number: '4000000000000010', expirationMonth: '12', expirationYear: '29', cvv: '123' },
  customer: { browser: { clientIp: '192.11.11.11', userAgent: 'ui', referrer: 'https://appotapay.com/', acceptLanguage: 'en-US' } },
  billing: {
    firstName: 'NHUNG',
    lastName: 'HOANG',
    email: 'nhunghoang@email.com',
    phoneNumber: '02345686432',
    alternatePhoneNumber: '02345686432',
    province: 'VP',
    country: 'MM',
    city: 'VT',
    addressLine1: '81 Lang Ha',
    addressLine2: '17 Mai Anh Tuan',
    postalCode: '10000',
  },
};

const TOKEN_EXAMPLE_MINIMAL = {
  merchantRefId: 'ORDER-2024-000731',
  tokenType: 'MULTIPLE',
  card: { holderName: 'TRAN VAN AN', number: '5555555555554444', expirationMonth: '03', expirationYear: '28', cvv: '321' },
};

export const tokenCreateBody = (): Schema => ({
  type: 'object',
  description: 'The card to tokenize, as JSON.',
  required: ['card', 'tokenType', 'merchantRefId'],
  properties: {
    card: cardRequest(),
    tokenType: {
      type: 'string',
      enum: ['SINGLE', 'MULTIPLE'],
      description: '`SINGLE`: the token pays once (a second charge is refused with errorCode `92`); `MULTIPLE`: it pays many times',
    },
    merchantRefId: merchantRefId("Your reference for this token request, unique among this merchant's tokens (else errorCode `84`)"),
    customer: customerRequest(),
    billing: billingRequest(),
  },
  examples: [TOKEN_EXAMPLE, TOKEN_EXAMPLE_MINIMAL],
});

// -------------------------------------------------------------------------------------------------
// Token delete

export const tokenIdParams = (): Schema => ({
  type: 'object',
  required: ['tokenId'],
  properties: { tokenId: tokenId('The token to delete, as token create answered it') },
});

export const tokenDeleteQuery = (): Schema => ({
  type: 'object',
  required: ['merchantRefId'],
  properties: {
    merchantRefId: merchantRefId(
      "Your reference for this delete request (AppotaPay's example uses one other than the token's creation reference): any new one; one an earlier delete used is refused with errorCode `4`",
    ),
  },
});

// -------------------------------------------------------------------------------------------------
// Charges

const amount = (description: string): Schema => ({
  type: 'integer',
  minimum: 1,
  maximum: Number.MAX_SAFE_INTEGER,
  description: `${description} (VND, a whole number; AppotaPay's documents call it a float)`,
});
const currency = (): Schema => ({ type: 'string', enum: ['VND'], description: 'ISO 4217 currency: only `VND`' });

export const chargeBody = (): Schema => ({
  type: 'object',
  description: 'A charge with a token, as JSON.',
  required: ['tokenId', 'amount', 'currency', 'merchantRefId'],
  properties: {
    tokenId: tokenId('The token to charge. (AppotaPay also charges a `card` sent in full; tokenvault serves token charges only.)'),
    amount: amount('The amount to authorize'),
    currency: currency(),
    merchantRefId: merchantRefId("Your reference for this charge, unique among this merchant's charges (else errorCode `4`)"),
    capture: {
      type: 'boolean',
      default: false,
      description: '`true`: authorize and capture at once; `false` (default): authorize only, to capture later',
    },
    authenticationId: text(
      1,
      40,
      "The 3-D Secure authentication's id, recorded and echoed. tokenvault does not serve the Authentication API: a card that needs 3-D Secure is refused with errorCode `9`.",
    ),
    customer: customerRequest(),
    billing: billingRequest(),
  },
  examples: [
    {
      tokenId: '01hqhrp3yhff7z7bvtq6whwz8t',
      amount: 1000000,
      currency: 'VND',
      merchantRefId: 'hi8xGfznb',
      capture: false,
      authenticationId: '01HQHRPNYW78CQJK7CAW1SJP9F',
    },
    {
      tokenId: '01hqhrp3yhff7z7bvtq6whwz8t',
      amount: 250000,
      currency: 'VND',
      merchantRefId: 'ORDER-2024-000732',
      capture: true,
      customer: TOKEN_EXAMPLE.customer,
      billing: TOKEN_EXAMPLE.billing,
    },
  ],
});

export const chargeIdParams = (name: 'id' | 'authorizationId', description: string): Schema => ({
  type: 'object',
  required: [name],
  properties: { [name]: { type: 'string', minLength: 1, description } },
});

export const chargeGetQuery = (): Schema => ({
  type: 'object',
  properties: {
    referenceType: {
      type: 'string',
      enum: ['APPOTAPAY_REFERENCE_ID', 'MERCHANT_REFERENCE_ID'],
      default: 'APPOTAPAY_REFERENCE_ID',
      description: 'What the path names: `APPOTAPAY_REFERENCE_ID` the charge `id` (default), `MERCHANT_REFERENCE_ID` its `merchantRefId`',
    },
  },
});

export const captureBody = (): Schema => ({
  type: 'object',
  description: 'The amount to capture, as JSON.',
  required: ['amount', 'currency'],
  properties: {
    amount: amount('The amount to capture, at most what is left of the authorized amount (else errorCode `1`)'),
    currency: currency(),
  },
  examples: [{ amount: 1000000, currency: 'VND' }],
});

// -------------------------------------------------------------------------------------------------
// Headers every operation reads

export const HEADERS: Schema = {
  type: 'object',
  properties: {
    'X-Request-ID': {
      type: 'string',
      maxLength: 42,
      pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-4[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$',
      description:
        'Your id of this request, a UUID v4: echoed in the answer. One merchant cannot send the same id twice (errorCode `6`), which makes a retry with the same id safe to refuse.',
    },
    Language: { type: 'string', enum: ['vi', 'en'], default: 'vi', description: 'The language of `message` in an error (default `vi`)' },
    'X-Account-Ref-ID': {
      type: 'string',
      format: 'uuid',
      pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
      description: 'A sub-account id (a UUID; else errorCode `119`). Accepted and checked; tokenvault keeps no sub-accounts.',
    },
  },
};
