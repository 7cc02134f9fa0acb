/**
 * The AppotaPay answers as JSON Schema, for the OpenAPI document: tokens, charges, and the error body every
 * operation may answer with its codes (the requests are in schemas.ts).
 *
 * Builders return fresh objects: the document generator rewrites what it is given.
 */
import { ALL_BRANDS, brandNames, type Funding } from '../../../domain/card.ts';
import { CODES, type Code } from './codes.ts';
import { BILLING_FIELDS, billingProperty, merchantRefId, type Schema, TOKEN_EXAMPLE, tokenId } from './schemas.ts';

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

export const vnTime = (description: string): Schema => ({
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
      billing: TOKEN_EXAMPLE.billing,
      createdAt: '2024-02-26T10:43:08+07:00',
      updatedAt: '2024-02-26T10:43:08+07:00',
    },
  ],
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
  examples: [{ tokenId: '01hqhr4qqnk66d7tg3pk5md08c', merchantRefId: '9IzaassK2', isDeleted: true }],
});

const CHARGE_STATUSES = ['AUTHORIZED', 'CAPTURED', 'PARTIALLY_REFUNDED', 'REFUNDED', 'VOIDED', 'FAILED', 'PENDING_AUTHENTICATION'];

/** The card a charge was paid with, masked. */
const CHARGE_CARD: Schema = {
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
};

const CHARGE_EXAMPLE = {
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
};

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
        '`AUTHORIZED` (held, not captured), `CAPTURED`, `FAILED` (declined or failed; the refusal said why), or a later state the charge reached through a refund or reversal (or the native API): `PARTIALLY_REFUNDED`, `REFUNDED`, `VOIDED`',
    },
    authorizedAmount: { type: 'integer', minimum: 0, description: 'VND authorized' },
    capturedAmount: { type: 'integer', minimum: 0, description: 'VND captured' },
    currency: { type: 'string', enum: ['VND'], description: 'Always `VND`' },
    approvalCode: { type: ['string', 'null'], description: "The issuer's approval code, or null when not approved" },
    eci: { type: ['string', 'null'], pattern: '^[0-9]{2}$', description: 'Electronic commerce indicator, or null when not approved' },
    reconciliationId: { type: 'string', minLength: 1, description: 'Reconciliation id' },
    bankReconciliationId: { type: 'string', minLength: 1, description: "The acquirer's reconciliation id" },
    tokenId: tokenId('The token charged'),
    card: structuredClone(CHARGE_CARD),
    chargeType: {
      type: 'string',
      enum: ['BY_SINGLE_TOKEN', 'BY_MULTIPLE_TOKEN'],
      description: 'Whether a SINGLE or a MULTIPLE token paid',
    },
    createdAt: vnTime('When the charge was made'),
    updatedAt: vnTime('When the charge last changed'),
  },
  examples: [structuredClone(CHARGE_EXAMPLE)],
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

export const REQUEST_ID_ANSWER = {
  type: 'string',
  description: "The request's id: your X-Request-ID when it is a valid one, else one tokenvault made",
};
