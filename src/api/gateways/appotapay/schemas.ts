/**
 * The AppotaPay wire as tokenvault serves it (docs/appotapay.md), as JSON Schema: every request and answer of
 * the five routes, for the OpenAPI document. The handler (routes.ts) reads and refuses fields by hand in
 * AppotaPay's error shape; test/gateways/appotapay/openapi.test.ts holds it to these schemas (every
 * documented example accepted, every one-change request they forbid refused, every answer matching).
 *
 * Builders return fresh objects: the document generator rewrites what it is given.
 */
import { ALL_BRANDS, brandNames, type Funding } from '../../../domain/card.ts';
import { CODES, type Code } from './codes.ts';

type Schema = Record<string, unknown>;

export const SECURITY = [{ appotapayJwt: [] }];
export const TAGS = { tokens: 'tokens', charges: 'charges' } as const;

/** No control characters: the handler refuses them in every string it reads. */
const PRINTABLE = '^[^\\u0000-\\u001f]+$';

const text = (min: number, max: number, description: string, extra: Schema = {}): Schema => ({
  type: 'string',
  minLength: min,
  maxLength: max,
  ...(extra.pattern ? {} : { pattern: PRINTABLE }),
  description,
  ...extra,
});

const merchantRefId = (description: string): Schema => text(1, 40, description);

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

const BILLING_FIELDS: [name: string, min: number, max: number, description: string, pattern?: string][] = [
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

const billingProperty = ([, min, max, description, pattern]: (typeof BILLING_FIELDS)[number]): Schema =>
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

const billingAnswer = (): Schema => ({
  type: 'object',
  description: 'The billing details as sent (country upper-case; `alternatePhoneNumber` empty when not sent)',
  additionalProperties: false,
  required: [...BILLING_FIELDS.map(([name]) => name), 'alternatePhoneNumber'],
  properties: {
    ...Object.fromEntries(BILLING_FIELDS.map((f) => [f[0], billingProperty(f)])),
    country: { type: 'string', pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2 country of residence' },
    alternatePhoneNumber: { type: 'string', maxLength: 20, pattern: '^\\+?[0-9 ]*$', description: 'Another phone number, or empty' },
  },
});

const vnTime = (description: string): Schema => ({
  type: 'string',
  format: 'date-time',
  pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\+07:00$',
  description: `${description} (RFC 3339, Vietnam time, UTC+7)`,
});

const maskedNumber = (): Schema => ({
  type: 'string',
  minLength: 12,
  maxLength: 19,
  pattern: '^[0-9]{6}X+[0-9]{4}$',
  description: 'The first 6 and last 4 digits of the card number, the rest as `X`',
});

// AppotaPay's brand names are the vault's (domain/card.ts), so the document enumerates the vault's.
const BRANDS = ALL_BRANDS.map((b) => brandNames(b).code);
const FUNDING = Object.keys({ CREDIT: 1, DEBIT: 1, PREPAID: 1, UNKNOWN: 1 } satisfies Record<Funding, 1>);
const brand = (): Schema => ({
  type: 'string',
  enum: BRANDS,
  description: "The card brand from its BIN: AppotaPay's `VISA`, `MASTERCARD`, `JCB`, `AMEX`, or else tokenvault's name for it",
});
const funding = (): Schema => ({ type: 'string', enum: FUNDING, description: 'Card type from the BIN' });
const country = (description: string): Schema => ({ type: ['string', 'null'], pattern: '^[A-Z]{2}$', description });
const tokenId = (description: string): Schema => ({ type: 'string', minLength: 1, maxLength: 32, pattern: '^[0-9a-z]+$', description });

// -------------------------------------------------------------------------------------------------
// Token create

const TOKEN_EXAMPLE = {
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

export const tokenAnswer = (): Schema => ({
  type: 'object',
  description: 'The token',
  additionalProperties: false,
  required: ['tokenId', 'merchantRefId', 'card', 'createdAt', 'updatedAt'],
  properties: {
    tokenId: tokenId('The token: a lower-case 26-character ULID, for the charge and token delete requests'),
    merchantRefId: merchantRefId('Your reference, as sent'),
    card: {
      type: 'object',
      description: 'What the token holds, masked',
      additionalProperties: false,
      required: ['number', 'type', 'brand', 'country'],
      properties: {
        number: maskedNumber(),
        type: funding(),
        brand: brand(),
        country: country('The issuing country (ISO 3166-1 alpha-2) from the BIN, or null when unknown'),
      },
    },
    billing: billingAnswer(),
    createdAt: vnTime('When the token was created'),
    updatedAt: vnTime('When the token last changed'),
  },
  examples: [
    {
      tokenId: '01hqhr4qqnk66d7tg3pk5md08c',
      merchantRefId: 'PdWghqjDT',
      card: { number: '400000XXXXXX0010', type: 'CREDIT', brand: 'VISA', country: 'US' },
      billing: {
        firstName: 'NHUNG',
        lastName: 'HOANG',
        email: 'nhunghoang@email.com',
        phoneNumber: '02345686432',
        alternatePhoneNumber: '02345686432',
        country: 'MM',
        province: 'VP',
        city: 'VT',
        addressLine1: '81 Lang Ha',
        addressLine2: '17 Mai Anh Tuan',
        postalCode: '10000',
      },
      createdAt: '2024-02-26T10:43:08+07:00',
      updatedAt: '2024-02-26T10:43:08+07:00',
    },
  ],
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
    merchantRefId: merchantRefId('The `merchantRefId` the token was created with (another is refused with errorCode `1`)'),
  },
});

export const tokenDeleteAnswer = (): Schema => ({
  type: 'object',
  description: 'The token is deleted',
  additionalProperties: false,
  required: ['tokenId', 'merchantRefId', 'isDeleted'],
  properties: {
    tokenId: tokenId('The deleted token'),
    merchantRefId: merchantRefId('As sent'),
    isDeleted: {
      type: 'boolean',
      description:
        'Whether the token is deleted. AppotaPay answers `false` for a token busy in a payment; tokenvault deletes at once and answers `true` (a concurrent second delete is refused with errorCode `109`).',
    },
  },
  examples: [{ tokenId: '01hqhr4qqnk66d7tg3pk5md08c', merchantRefId: 'PdWghqjDT', isDeleted: true }],
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

const CHARGE_STATUSES = ['AUTHORIZED', 'CAPTURED', 'PARTIALLY_REFUNDED', 'REFUNDED', 'VOIDED', 'FAILED', 'PENDING_AUTHENTICATION'];

export const chargeAnswer = (description: string): Schema => ({
  type: 'object',
  description,
  additionalProperties: false,
  required: [
    'id',
    'authenticationId',
    'merchantRefId',
    'status',
    'authorizedAmount',
    'capturedAmount',
    'currency',
    'approvalCode',
    'eci',
    'reconciliationId',
    'bankReconciliationId',
    'tokenId',
    'card',
    'chargeType',
    'createdAt',
    'updatedAt',
  ],
  properties: {
    id: { type: 'string', pattern: '^[0-9A-HJKMNP-TV-Z]{26}$', description: "AppotaPay's id of the charge (an upper-case ULID)" },
    authenticationId: { type: ['string', 'null'], maxLength: 40, description: 'As sent in the charge, or null' },
    merchantRefId: merchantRefId("Your charge's reference"),
    status: {
      type: 'string',
      enum: CHARGE_STATUSES,
      description:
        '`AUTHORIZED` (held, not captured), `CAPTURED`, `FAILED` (declined or failed; the refusal said why), or a later state the charge reached through the native API (`PARTIALLY_REFUNDED`, `REFUNDED`, `VOIDED`)',
    },
    authorizedAmount: { type: 'integer', minimum: 0, description: 'VND authorized' },
    capturedAmount: { type: 'integer', minimum: 0, description: 'VND captured' },
    currency: { type: 'string', enum: ['VND'], description: 'Always `VND`' },
    approvalCode: { type: ['string', 'null'], description: "The issuer's approval code, or null when not approved" },
    eci: { type: ['string', 'null'], pattern: '^[0-9]{2}$', description: 'Electronic commerce indicator, or null when not approved' },
    reconciliationId: { type: 'string', minLength: 1, description: 'Reconciliation id' },
    bankReconciliationId: { type: 'string', minLength: 1, description: "The acquirer's reconciliation id" },
    tokenId: tokenId('The token charged'),
    card: {
      type: ['object', 'null'],
      description: 'The card charged, masked (also after its token is deleted; null only if the vault no longer holds the card)',
      additionalProperties: false,
      required: ['number', 'expirationMonth', 'expirationYear', 'cardBrand', 'cardType', 'countryCode'],
      properties: {
        number: maskedNumber(),
        expirationMonth: { type: 'string', pattern: '^(0[1-9]|1[0-2])$', description: '`MM`' },
        expirationYear: { type: 'string', pattern: '^[0-9]{2}$', description: '`YY`' },
        cardBrand: brand(),
        cardType: funding(),
        countryCode: country('The issuing country (ISO 3166-1 alpha-2), or null when unknown'),
      },
    },
    chargeType: {
      type: 'string',
      enum: ['BY_SINGLE_TOKEN', 'BY_MULTIPLE_TOKEN'],
      description: 'Whether a SINGLE or a MULTIPLE token paid',
    },
    createdAt: vnTime('When the charge was made'),
    updatedAt: vnTime('When the charge last changed'),
  },
  examples: [
    {
      id: '01HQHRS9P9J5YPCJ09D94VW84F',
      authenticationId: '01HQHRPNYW78CQJK7CAW1SJP9F',
      merchantRefId: 'hi8xGfznb',
      status: 'CAPTURED',
      authorizedAmount: 1000000,
      capturedAmount: 1000000,
      currency: 'VND',
      approvalCode: '831000',
      eci: '07',
      reconciliationId: '09D94VW84F01',
      bankReconciliationId: '01HQHRS9P9J5',
      tokenId: '01hqhrp3yhff7z7bvtq6whwz8t',
      card: {
        number: '520000XXXXXX2151',
        expirationMonth: '12',
        expirationYear: '29',
        cardBrand: 'MASTERCARD',
        cardType: 'CREDIT',
        countryCode: 'US',
      },
      chargeType: 'BY_MULTIPLE_TOKEN',
      createdAt: '2024-02-26T10:54:22+07:00',
      updatedAt: '2024-02-26T10:56:04+07:00',
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
// Errors

/** Codes any operation can answer: bad Language, X-Request-ID or X-Account-Ref-ID, a reused X-Request-ID, a malformed URL. */
const COMMON_400: Code[] = [1, 6, 119];

const errorBody = (codes: Code[]): Schema => ({
  type: 'object',
  additionalProperties: false,
  required: ['errorCode', 'message'],
  properties: {
    errorCode: { type: 'integer', enum: [...codes] },
    message: {
      type: 'string',
      minLength: 1,
      description: "The code's message in the language the Language header asks for (Vietnamese by default)",
    },
    errors: {
      type: 'array',
      minItems: 1,
      description: 'On a refused field (errorCode `1` and others): which field and why',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['field', 'reason'],
        properties: {
          field: { type: 'string', description: 'The field, header or query parameter, e.g. `card.number`, `X-Request-ID`' },
          reason: { type: 'string', description: 'Why it was refused (never its value)' },
        },
      },
    },
  },
});

const WHY: Record<number, string> = {
  400: 'Refused: an invalid or missing field, header or query parameter, a malformed URL or body (also one over the size limit), a duplicate, or a card or payment rule',
  401: 'X-APPOTAPAY-AUTH is missing or not a valid JWT of a usable credential (unknown api_key, wrong iss, bad signature, other alg, expired or no exp)',
  403: 'The token belongs to another merchant',
  404: 'Not found',
  429: 'Too many requests from this merchant, or too many failed authentications from this client; Retry-After says when to retry',
  503: 'The database or the payment processor is unavailable; retry later',
};

const RETRY_AFTER = { type: 'string', pattern: '^[0-9]+$', description: 'Seconds to wait before retrying' };

const errorResponse = (status: number, codes: Code[]): Schema => ({
  ...errorBody(codes),
  description: `${WHY[status]}. errorCode: ${codes.map((c) => `\`${c}\` ${CODES[c][1]}`).join('; ')}.`,
  ...(status === 429 || status === 503 ? { headers: { 'Retry-After': RETRY_AFTER } } : {}),
});

/** The success answer and every error an operation can give: its own codes plus those of every operation. */
export function responses(success: Schema, own: { 400?: Code[]; 403?: Code[]; 404?: Code[]; 503?: Code[] }): Record<string, Schema> {
  const out: Record<string, Schema> = { 200: success };
  out[400] = errorResponse(
    400,
    [...new Set([...COMMON_400, ...(own[400] ?? [])])].sort((a, b) => a - b),
  );
  out[401] = errorResponse(401, [401]);
  if (own[403]) out[403] = errorResponse(403, own[403]);
  if (own[404]) out[404] = errorResponse(404, own[404]);
  out[429] = errorResponse(429, [429]);
  out[503] = errorResponse(503, [500]);
  return out;
}

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

export const REQUEST_ID_ANSWER = {
  type: 'string',
  description: "The request's id: your X-Request-ID when it is a valid one, else one tokenvault made",
};
