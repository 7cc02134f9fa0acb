/**
 * The OPay card token wire, as JSON Schema: what operations/tokens.ts reads and answers, for the OpenAPI document
 * (src/api/openapi.ts). The handler reads and refuses fields itself (documentWire): these schemas say the
 * same, and test/gateways/opay/openapi.test.ts holds the two to each other.
 *
 * Examples follow OPay's published ones (Token Info By User: customer 121111113, token
 * OPAY_TOKEN_bf8593c1693546ea83743e4d433c5bf5, card 450875…7411, created 1637822753); the card number is a
 * Luhn-valid number of that BIN and last four.
 *
 * Every schema is built fresh per call: the document generator rewrites schemas it is given.
 */
import { PAN_SCHEMA_SHAPE } from '../../../domain/card.ts';
import { type CodeName, envelope, OPAY_CODES } from './codes.ts';

type Schema = Record<string, unknown>;
export type OpayOperation = 'create' | 'query' | 'delete';

/**
 * The most tokens a query by customer answers, the newest active ones (*chosen*: the wire has no paging, and a
 * customer with thousands of cards must not cost every tenant a megabyte-sized answer).
 */
export const BY_USER_LIMIT = 100;

const code = (name: keyof typeof OPAY_CODES) => OPAY_CODES[name][0];
const codeList = (names: (keyof typeof OPAY_CODES)[]) => names.map((n) => `\`${OPAY_CODES[n][0]}\` ${OPAY_CODES[n][1]}`).join('; ');

/** Printable text: no control characters. */
const TEXT = '^[^\\u0000-\\u001f]*$';
const TOKEN_PATTERN = '^[A-Za-z0-9_-]+$';

const EXAMPLE_TOKEN = 'OPAY_TOKEN_bf8593c1693546ea83743e4d433c5bf5';
const EXAMPLE_CUSTOMER = {
  customerId: '121111113',
  customerName: 'name1',
  customerEmail: '123@1231.com',
  customerMobile: '20123111111',
};
const EXAMPLE_CARD = {
  opayToken: EXAMPLE_TOKEN,
  brand: 'VISA',
  expiryYear: '34',
  expiryMonth: '02',
  createTimestamp: 1637822753,
  lastFourDigits: '7411',
  firstSixDigits: '450875',
};

// ---------------------------------------------------------------------------------------------------
// Requests

/**
 * An optional field: the handler reads `null` and `""` as absent (clients that serialise every field, as
 * PHP's json_encode does, send them), so the schema admits both beside a valid value.
 */
const optional = (s: Schema & { pattern: string; description: string }): Schema => ({
  ...s,
  type: ['string', 'null'],
  pattern: `^$|${s.pattern}`,
  description: `${s.description}. Optional: \`null\` or \`""\` is the same as leaving it out`,
});

const customerInfoRequest = (): Schema => ({
  type: ['object', 'null'],
  description:
    'The customer the token belongs to, by your own id. A customerId seen for the first time creates the customer (with the name, email and mobile given); a known one is reused as it is. Optional: `null` is the same as leaving it out (no customer).',
  additionalProperties: false,
  required: ['customerId'],
  properties: {
    customerId: { type: 'string', minLength: 1, maxLength: 64, pattern: TEXT, description: 'Your unique user id' },
    customerName: optional({ maxLength: 100, pattern: TEXT, description: 'User name' }),
    customerEmail: optional({ maxLength: 100, pattern: '^[^@\\s]+@[^@\\s]+$', description: 'User email' }),
    customerMobile: optional({ maxLength: 32, pattern: '^[0-9+() -]+$', description: 'User mobile number' }),
  },
});

export const createRequest = (): Schema => ({
  type: 'object',
  description: 'The card to tokenize, as JSON. Sign this exact body (or its canonical form) for the Authorization header.',
  additionalProperties: false,
  required: ['reference', 'cardNumber', 'expiryYear', 'expiryMonth'],
  properties: {
    reference: {
      type: 'string',
      minLength: 1,
      maxLength: 64,
      pattern: '^[\\x21-\\x7e]+$',
      description:
        'Your unique reference for this request (printable ASCII, no spaces); a reference that already made a token is refused with `20000`',
    },
    cardNumber: {
      type: 'string',
      ...PAN_SCHEMA_SHAPE,
      description: 'The card number: 12 to 19 digits, no separators, passing the Luhn check',
    },
    expiryYear: { type: 'string', minLength: 2, maxLength: 2, pattern: '^[0-9]{2}$', description: 'Expiry year, `YY`' },
    expiryMonth: { type: 'string', minLength: 2, maxLength: 2, pattern: '^(0[1-9]|1[0-2])$', description: 'Expiry month, `MM`' },
    cvv: optional({
      maxLength: 4,
      pattern: '^[0-9]{3,4}$',
      description:
        'Card security code: 3 digits, 4 for American Express. Held encrypted for one use, for a limited time (then unrecoverable)',
    }),
    cardHolderName: optional({ maxLength: 100, pattern: TEXT, description: 'Name on the card (may not contain a card number)' }),
    customerInfo: customerInfoRequest(),
  },
  examples: [
    {
      reference: 'ref-20261206-0001',
      cardNumber: '4508750000077411',
      expiryYear: EXAMPLE_CARD.expiryYear,
      expiryMonth: EXAMPLE_CARD.expiryMonth,
      cvv: '100',
      cardHolderName: 'Ada Lovelace',
      customerInfo: { ...EXAMPLE_CUSTOMER },
    },
  ],
});

const opayToken = (description: string): Schema => ({
  type: 'string',
  minLength: 1,
  maxLength: 64,
  pattern: TOKEN_PATTERN,
  description,
});

export const queryRequest = (): Schema => ({
  type: 'object',
  description:
    'Exactly one of `opayToken` (that token) or `customerId` (the customer and its active tokens: Token Info By User). Sign this exact body (or its canonical form) for the Authorization header.',
  additionalProperties: false,
  properties: {
    opayToken: opayToken('The card token to read'),
    customerId: { type: 'string', minLength: 1, maxLength: 64, pattern: TEXT, description: 'Your unique user id' },
  },
  minProperties: 1,
  maxProperties: 1,
  'x-examples': {
    byToken: { summary: 'Token info', value: { opayToken: EXAMPLE_TOKEN } },
    byCustomer: { summary: 'Token info by user', value: { customerId: EXAMPLE_CUSTOMER.customerId } },
  },
});

export const deleteRequest = (): Schema => ({
  type: 'object',
  description: 'The token to delete. Sign this exact body (or its canonical form) for the Authorization header.',
  additionalProperties: false,
  required: ['opayToken'],
  properties: { opayToken: opayToken('The card token to delete') },
  examples: [{ opayToken: EXAMPLE_TOKEN }],
});

// ---------------------------------------------------------------------------------------------------
// Answers

const cardToken = (withCustomer: boolean): Schema => ({
  type: 'object',
  additionalProperties: false,
  required: [
    'opayToken',
    'brand',
    'expiryYear',
    'expiryMonth',
    'createTimestamp',
    'lastFourDigits',
    'firstSixDigits',
    ...(withCustomer ? ['customerInfo'] : []),
  ],
  properties: {
    opayToken: { type: 'string', pattern: '^OPAY_TOKEN_[0-9a-f]{32}$', description: 'The card token' },
    brand: {
      type: 'string',
      enum: ['VISA', 'MASTERCARD', 'AMEX', 'DISCOVER', 'JCB', 'DINERS', 'UNIONPAY', 'MAESTRO', 'UNKNOWN'],
      description: 'Card brand, upper case',
    },
    expiryYear: { type: 'string', pattern: '^[0-9]{2}$', description: 'Expiry year, `YY`' },
    expiryMonth: { type: 'string', pattern: '^(0[1-9]|1[0-2])$', description: 'Expiry month, `MM`' },
    createTimestamp: { type: 'integer', minimum: 0, description: 'When the token was created, Unix seconds' },
    lastFourDigits: { type: 'string', pattern: '^[0-9]{4}$', description: 'Last 4 digits of the card number' },
    firstSixDigits: {
      type: 'string',
      pattern: '^[0-9]{0,6}$',
      description: 'First 6 digits of the card number (fewer for a card number under 15 digits, so that at most half of it shows)',
    },
    ...(withCustomer
      ? {
          customerInfo: {
            description: 'The customer the token belongs to; `null` when it has none',
            oneOf: [customerAnswer(), { type: 'null' }],
          },
        }
      : {}),
  },
});

function customerAnswer(): Schema {
  const text = (description: string) => ({ type: 'string', description: `${description} (\`""\` when not given)` });
  return {
    type: 'object',
    additionalProperties: false,
    required: ['customerId', 'customerName', 'customerEmail', 'customerMobile'],
    properties: {
      customerId: { type: 'string', description: 'Your unique user id' },
      customerName: text('User name'),
      customerEmail: text('User email'),
      customerMobile: text('User mobile number'),
    },
  };
}

const success = (data: Schema, title: string): Schema => ({
  type: 'object',
  title,
  additionalProperties: false,
  required: ['code', 'message', 'data'],
  properties: {
    code: { const: code('success'), description: 'Success' },
    message: { const: OPAY_CODES.success[1] },
    data,
  },
});

/** OPay's error envelope: a code, a message naming the problem (never a card number), data null. */
const failure = (names: (keyof typeof OPAY_CODES)[], title = 'Refused'): Schema => ({
  type: 'object',
  title,
  additionalProperties: false,
  required: ['code', 'message', 'data'],
  properties: {
    code: { type: 'string', enum: names.map(code), description: codeList(names) },
    message: { type: 'string', description: 'What went wrong (for `99`, which field and why), never a card number' },
    data: { type: 'null' },
  },
});

const REFUSALS: Record<OpayOperation, CodeName[]> = {
  create: ['header', 'auth', 'params', 'duplicate', 'expired'],
  query: ['header', 'auth', 'params', 'tokenNotFound', 'customerNotFound'],
  delete: ['header', 'auth', 'params', 'tokenNotFound'],
};

const refusedExample = (name: CodeName, detail?: string) => envelope(name, null, detail);

const ANSWER: Record<OpayOperation, () => Schema> = {
  create: () => success(cardToken(true), 'Token created'),
  query: () => ({
    anyOf: [
      success(cardToken(true), 'Token info'),
      success(
        {
          type: 'object',
          additionalProperties: false,
          required: ['customer', 'cardTokens'],
          properties: {
            customer: customerAnswer(),
            cardTokens: {
              type: 'array',
              maxItems: BY_USER_LIMIT,
              description: `The customer’s active tokens, newest first: at most the ${BY_USER_LIMIT} newest`,
              items: cardToken(false),
            },
          },
        },
        'Token info by user',
      ),
    ],
  }),
  delete: () => success({ type: 'null' }, 'Token deleted'),
};

const SUCCESS_EXAMPLES: Record<OpayOperation, Record<string, { summary: string; value: unknown }>> = {
  create: {
    created: {
      summary: 'Token created',
      value: { code: '00000', message: 'SUCCESSFUL', data: { ...EXAMPLE_CARD, customerInfo: { ...EXAMPLE_CUSTOMER } } },
    },
    duplicate: { summary: 'Duplicate reference', value: refusedExample('duplicate') },
  },
  query: {
    byToken: {
      summary: 'Token info',
      value: { code: '00000', message: 'SUCCESSFUL', data: { ...EXAMPLE_CARD, customerInfo: { ...EXAMPLE_CUSTOMER } } },
    },
    byCustomer: {
      summary: 'Token info by user',
      value: { code: '00000', message: 'SUCCESSFUL', data: { customer: { ...EXAMPLE_CUSTOMER }, cardTokens: [{ ...EXAMPLE_CARD }] } },
    },
    notFound: { summary: 'Unknown token', value: refusedExample('tokenNotFound') },
  },
  delete: {
    deleted: { summary: 'Token deleted', value: { code: '00000', message: 'SUCCESSFUL', data: null } },
    notFound: { summary: 'Unknown token', value: refusedExample('tokenNotFound') },
  },
};

const RETRY_AFTER = { type: 'integer', minimum: 1, description: 'Seconds to wait before retrying' };

/** An answer with a non-200 status: the same envelope, a fixed code. */
const statusAnswer = (description: string, name: CodeName, detail?: string, retryAfter = false): Schema => ({
  description,
  ...failure([name], `Refused with ${code(name)}`),
  ...(retryAfter ? { headers: { 'retry-after': { ...RETRY_AFTER } } } : {}),
  examples: [refusedExample(name, detail)],
});

const OPERATION: Record<OpayOperation, { operationId: string; summary: string; description: string; body: () => Schema }> = {
  create: {
    operationId: 'createCardToken',
    summary: 'Create a card token',
    description:
      'Tokenizes a card for the merchant: the card number is checked (Luhn, length, expiry, the security code for its brand) before anything is written, and the reference is claimed with the card, once.',
    body: createRequest,
  },
  query: {
    operationId: 'queryCardToken',
    summary: 'Token info, by token or by user',
    description: `With \`opayToken\`: that token (unknown, deleted or another merchant’s: \`20001\`). With \`customerId\` (Token Info By User): the customer and its active tokens, newest first, at most the ${BY_USER_LIMIT} newest (there is no paging; \`20002\` for an unknown customer).`,
    body: queryRequest,
  },
  delete: {
    operationId: 'deleteCardToken',
    summary: 'Delete a card token',
    description: 'Deletes the token: it is not found by query or delete afterwards (`20001`).',
    body: deleteRequest,
  },
};

/** The whole route schema of one operation. */
export function operationSchema(op: OpayOperation): Schema {
  const o = OPERATION[op];
  const names = REFUSALS[op];
  return {
    operationId: o.operationId,
    summary: o.summary,
    description: `${o.description}\n\nEvery outcome the request itself decides is HTTP 200 with OPay's envelope \`{code, message, data}\`: \`00000\` is success, any other code a refusal with \`data: null\` (${codeList(names)}). Other statuses are answered before or around the request: see below.`,
    tags: ['card tokens'],
    security: [{ opayMerchantId: [], opaySignature: [] }],
    consumes: ['application/json'],
    body: o.body(),
    response: {
      200: {
        description: `The outcome, success or refusal, in OPay's envelope: ${codeList(['success', ...names])}`,
        anyOf: [ANSWER[op](), failure(names)],
        'x-examples': SUCCESS_EXAMPLES[op],
      },
      400: statusAnswer(
        'The request is malformed below the body (a URL with bad percent-encoding, say)',
        'params',
        'the request URL is malformed',
      ),
      413: statusAnswer('The body is larger than the server’s limit', 'params', 'Request body too large'),
      415: statusAnswer('The body is not `application/json`', 'params', 'send application/json'),
      429: statusAnswer(
        'Too many requests for this merchant, or too many failed authentications from this address (locked out); `Retry-After` says when to retry',
        'limited',
        undefined,
        true,
      ),
      500: statusAnswer('An internal error (logged with the request id; nothing of it is sent)', 'system', 'an internal error occurred'),
      503: statusAnswer('The database is unavailable; retry later', 'system', undefined, true),
    },
  };
}
