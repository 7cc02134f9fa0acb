/**
 * The AlliancePay wire as tokenvault serves it (docs/alliancepay.md), for the OpenAPI document: every
 * route's request (headers, the JWE body and, under `x-payload-schema`, the JSON inside it) and every
 * answer it can give. The handler in routes.ts reads and refuses fields itself (documentWire), so these
 * schemas describe it; test/gateways/alliancepay/openapi.test.ts holds the two together.
 *
 * Errors are AlliancePay's envelope (`msgCode`, `msgType`, …) and many of them come with HTTP 200, as the
 * gateway's own error table has them: a 200 answer is either `{jwe}` (success) or an error envelope.
 */
import { MAX_AMOUNT } from '../../../domain/money.ts';
import { CODES, type Code } from './codes.ts';
import * as ex from './examples.ts';

type Schema = Record<string, unknown>;

/** Scheme names in the document (distinct from every other API's). */
export const DEVICE_SCHEME = 'alliancepayDevice';
export const REFRESH_SCHEME = 'alliancepayRefreshToken';

export const PATHS = {
  create: '/ecom/execute_request/token/v1/create',
  list: '/ecom/execute_request/token/v1/list/by-customer-id',
  get: '/ecom/execute_request/token/v1/get',
  state: '/ecom/execute_request/token/v1/state/update',
  tokenPurchase: '/ecom/execute_request/payments/v1/token/purchase',
  tokenPurchase3ds: '/ecom/execute_request/payments/v1/token/purchase/3ds',
  tokenC2a: '/ecom/execute_request/payments/v1/token/c2a',
  tokenC2a3ds: '/ecom/execute_request/payments/v1/token/c2a/3ds',
  purchase: '/ecom/execute_request/payments/v1/purchase',
  purchase3ds: '/ecom/execute_request/payments/v1/purchase/3ds',
} as const;
export type SessionPath = (typeof PATHS)[keyof typeof PATHS];

// -------------------------------------------------------------------------------------------------
// Fields

const JWE_PATTERN = '^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]*\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$';
/** Every string field refuses control characters. */
const NO_CONTROL = '^[^\\u0000-\\u001f]*$';

const text = (maxLength: number, description: string, required = false): Schema => ({
  type: 'string',
  ...(required ? { minLength: 1 } : {}),
  maxLength,
  pattern: NO_CONTROL,
  description,
});

const merchantRequestId: Schema = {
  type: 'string',
  minLength: 1,
  maxLength: 36,
  pattern: '^[A-Za-z0-9-]{1,36}$',
  description:
    'Your id of this request (a UUID): unique per merchant across token creations and payments; a reuse is refused with `b_duplicate_field_value`.',
};
const merchantId: Schema = {
  type: 'string',
  minLength: 1,
  maxLength: 36,
  description: 'Your AlliancePay merchant id (a UUID, from the merchant credentials); must be the session’s merchant.',
};
const optionalMerchantId: Schema = {
  type: 'string',
  maxLength: 36,
  description: 'Optional here; when sent, must be the session’s merchant (else `b_user_merchant_request_mismatch`).',
};
const customerId = (description: string): Schema => text(255, description, true);
const cardField = (what: string): Schema => ({
  type: 'string',
  minLength: 1,
  maxLength: 4096,
  pattern: JWE_PATTERN,
  description: `${what}, as a compact JWE (ECDH-ES+A256KW / A256GCM) to your \`paymentPublicJwk\`; one that does not decrypt is refused with \`b_encryptor_failed_decrypt_message\`.`,
});
const date: Schema = {
  type: 'string',
  minLength: 1,
  maxLength: 40,
  pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}:[0-9]{2}',
  description: 'When you sent the request, `yyyy-MM-dd HH:mm:ss.SS+00:00`.',
};
const token: Schema = {
  type: 'string',
  minLength: 1,
  maxLength: 64,
  pattern: '^[A-Za-z0-9_-]+$',
  description: 'A token (24 url-safe characters) from token creation or a purchase with `typeToken: TOKEN_PER_CUSTOMER`.',
};
const coinAmount: Schema = {
  type: 'integer',
  minimum: 1,
  maximum: MAX_AMOUNT,
  description: 'The amount in kopiykas (UAH, currency 980).',
};
const cvv = cardField('The card security code (3 or 4 digits)');
const desiredThreeDSMode: Schema = {
  type: 'string',
  enum: ['MUST', 'MUST_NOT', 'SHOULD'],
  default: 'SHOULD',
  description:
    '`MUST`: 3-D Secure wherever possible; `SHOULD` (default): as the card requires; `MUST_NOT`: never — a card that needs a challenge then ends `DESIRED_THREEDS_MODE_ERROR`, nothing charged.',
};
const txnType: Schema = {
  type: 'string',
  enum: ['NONCVV', 'noncvv'],
  description: 'A payment without the CVV; `cvv` is then not read.',
};
const typeToken: Schema = {
  type: 'string',
  enum: ['TOKEN_PER_CUSTOMER', 'NO_TOKEN'],
  default: 'NO_TOKEN',
  description: '`TOKEN_PER_CUSTOMER`: keep the card as a token of `customerData.senderCustomerId` when the purchase succeeds.',
};
const customerData: Schema = {
  type: 'object',
  required: ['senderCustomerId'],
  properties: { senderCustomerId: customerId('Your id of the paying customer.') },
  description: 'The payer. Further sender/recipient fields the gateway defines are accepted and not used.',
};
const paymentCommon: Record<string, Schema> = {
  merchantRequestId,
  merchantId,
  coinAmount,
  desiredThreeDSMode,
  txnType,
  resultRedirectUrl: text(1000, 'Where the cardholder returns after 3-D Secure.'),
  notificationUrl: text(1000, 'Accepted; tokenvault sends no callbacks.'),
  comment: text(255, 'A comment.'),
  purpose: text(255, 'The purpose of the payment.'),
  merchantComment: text(255, 'Your comment, not shown to the cardholder.'),
  date,
  customerData,
};
const cvvUnlessNonCvv = [{ required: ['cvv'] }, { required: ['txnType'] }];

// -------------------------------------------------------------------------------------------------
// Request payloads (the JSON inside the JWE body)

const payloads: Record<SessionPath, Schema> = {
  [PATHS.create]: {
    type: 'object',
    required: ['merchantRequestId', 'merchantId', 'customerId', 'encryptedCardNumber', 'encryptedExpDate', 'date'],
    properties: {
      merchantRequestId,
      merchantId,
      customerId: customerId('Your id of the customer the token belongs to (made on first sight).'),
      encryptedCardNumber: cardField('The card number'),
      encryptedExpDate: cardField('The expiry, `YYMM`'),
      date,
    },
    examples: [ex.createRequest],
  },
  [PATHS.list]: {
    type: 'object',
    required: ['customerId'],
    properties: { customerId: customerId('Your id of the customer.'), merchantId: optionalMerchantId },
    examples: [ex.listRequest],
  },
  [PATHS.get]: {
    type: 'object',
    required: ['token'],
    properties: { token, merchantId: optionalMerchantId },
    examples: [ex.getRequest],
  },
  [PATHS.state]: {
    type: 'object',
    required: ['token', 'state'],
    properties: {
      token,
      state: {
        type: 'string',
        enum: ['ACTIVE', 'SUSPENDED', 'DELETED'],
        description: '`ACTIVE` ⇄ `SUSPENDED`, either → `DELETED` (final).',
      },
      merchantId: optionalMerchantId,
    },
    examples: [ex.stateRequest],
  },
  [PATHS.tokenPurchase]: tokenPayment(ex.tokenPurchaseRequest),
  [PATHS.tokenC2a]: tokenPayment(ex.tokenC2aRequest),
  [PATHS.purchase]: {
    type: 'object',
    required: ['merchantRequestId', 'merchantId', 'coinAmount', 'encryptedCardNumber', 'encryptedExpDate', 'date', 'customerData'],
    anyOf: cvvUnlessNonCvv,
    properties: {
      ...paymentCommon,
      encryptedCardNumber: cardField('The card number'),
      encryptedExpDate: cardField('The expiry, `YYMM`'),
      cvv: { ...cvv, description: `${cvv.description} Required unless \`txnType\` is \`NONCVV\`.` },
      typeToken,
    },
    examples: [ex.purchaseRequest],
  },
  [PATHS.tokenPurchase3ds]: threeDs(),
  [PATHS.tokenC2a3ds]: threeDs(),
  [PATHS.purchase3ds]: threeDs(),
};

function tokenPayment(example: unknown): Schema {
  return {
    type: 'object',
    required: ['merchantRequestId', 'merchantId', 'token', 'coinAmount', 'date', 'customerData'],
    anyOf: cvvUnlessNonCvv,
    properties: {
      ...paymentCommon,
      token,
      cvv: { ...cvv, description: `${cvv.description} Required unless \`txnType\` is \`NONCVV\`.` },
      typeToken: { ...typeToken, description: 'Accepted; a token payment keeps no new token.' },
    },
    examples: [example],
  };
}

function threeDs(): Schema {
  return {
    type: 'object',
    required: ['merchantId', 'operationId', 'transStatus'],
    properties: {
      merchantId,
      operationId: text(64, 'The `operationId` of the step 1 answer that was `REQUIRED_3DS`.', true),
      transStatus: {
        type: 'string',
        enum: ['Y', 'N'],
        description: 'The challenge result: `Y` authenticated (the payment proceeds), `N` not (it fails).',
      },
    },
    examples: [ex.threeDsRequest],
  };
}

// -------------------------------------------------------------------------------------------------
// Answer payloads (the JSON inside the `jwe` of a successful answer)

const maskedPan: Schema = {
  type: 'string',
  pattern: '^[0-9]{6}•+[0-9]{4}$',
  description: 'First six and last four digits, the rest `•`.',
};
const tokenInfo: Schema = {
  type: 'object',
  required: ['token', 'status', 'maskedPan', 'customerId', 'merchantId'],
  additionalProperties: false,
  properties: {
    token: { type: 'string' },
    status: {
      type: 'string',
      enum: ['ACTIVE', 'SUSPENDED', 'DELETED', 'EXPIRED', 'CONSUMED'],
      description: '`EXPIRED`: the card expiry has passed; `CONSUMED`: a single-use token already used.',
    },
    maskedPan,
    customerId: { type: 'string', description: 'Your id of the token’s customer (empty when it has none).' },
    merchantId: { type: 'string' },
  },
};
const nullableString: Schema = { type: ['string', 'null'] };
const paymentAnswer = (withToken: boolean): Schema => ({
  type: 'object',
  required: [
    'type',
    'status',
    'operationId',
    'ecomOperationId',
    'merchantRequestId',
    'merchantId',
    'coinAmount',
    'rrn',
    'approvalCode',
    'transactionType',
    'transactionCurrency',
    'actionCode',
    'responseCode',
    'createDateTime',
    'modificationDateTime',
  ],
  additionalProperties: false,
  properties: {
    type: { type: 'string', enum: ['PURCHASE', 'C2A'] },
    status: {
      type: 'string',
      enum: ['SUCCESS', 'FAIL', 'REQUIRED_3DS', 'DESIRED_THREEDS_MODE_ERROR'],
      description:
        '`SUCCESS`: approved and captured; `FAIL`: declined (`actionCode`/`responseCode` say why); `REQUIRED_3DS`: complete the challenge with step 2; `DESIRED_THREEDS_MODE_ERROR`: `MUST_NOT` but the card needs a challenge (nothing charged).',
    },
    operationId: { type: 'string', description: 'The payment; step 2 names it.' },
    ecomOperationId: { type: 'string' },
    merchantRequestId: { ...nullableString, description: 'Your `merchantRequestId` of step 1.' },
    merchantId: { type: 'string' },
    coinAmount: { type: 'integer' },
    rrn: { type: 'string', pattern: '^[0-9]{12}$', description: 'Retrieval reference number.' },
    approvalCode: { ...nullableString, description: 'The authorization code, when approved.' },
    transactionType: { type: 'string', enum: ['PURCHASE', 'C2A'] },
    transactionCurrency: { type: 'string', enum: ['980'] },
    actionCode: { ...nullableString, description: '`000` approved; e.g. `116` insufficient funds, `101` expired card.' },
    responseCode: { ...nullableString, description: '`00` approved; e.g. `51` insufficient funds.' },
    createDateTime: { type: 'string', description: '`yyyy-MM-dd HH:mm:ss.SSSS +0000`' },
    modificationDateTime: { type: 'string' },
    ...(withToken
      ? { token: { type: 'string', description: 'The kept token: only with `typeToken: TOKEN_PER_CUSTOMER` and `SUCCESS`.' } }
      : {}),
  },
});

const answers: Record<SessionPath, { schema: Schema; example: unknown; jwe: string }> = {
  [PATHS.create]: {
    schema: {
      type: 'object',
      required: ['customerId', 'token', 'maskedPan', 'merchantId', 'status'],
      additionalProperties: false,
      properties: {
        customerId: { type: 'string' },
        token: { type: 'string' },
        maskedPan,
        merchantId: { type: 'string' },
        status: { type: 'string', enum: ['ACTIVE'] },
      },
    },
    example: ex.createAnswer,
    jwe: ex.createAnswerJwe,
  },
  [PATHS.list]: {
    schema: {
      type: 'object',
      required: ['result'],
      additionalProperties: false,
      properties: { result: { type: 'array', items: tokenInfo, description: 'The customer’s tokens (none when unknown).' } },
    },
    example: ex.listAnswer,
    jwe: ex.listAnswerJwe,
  },
  [PATHS.get]: {
    schema: {
      type: 'object',
      required: ['result'],
      additionalProperties: false,
      properties: { result: { type: 'array', items: tokenInfo, minItems: 1, maxItems: 1 } },
    },
    example: ex.getAnswer,
    jwe: ex.getAnswerJwe,
  },
  [PATHS.state]: {
    schema: {
      type: 'object',
      required: ['tokenUpdated', 'customerId', 'token'],
      additionalProperties: false,
      properties: {
        tokenUpdated: {
          type: 'boolean',
          description: '`false` when the transition is not allowed or the token is already in that state (nothing changed).',
        },
        customerId: { type: 'string' },
        token: { type: 'string' },
      },
    },
    example: ex.stateAnswer,
    jwe: ex.stateAnswerJwe,
  },
  [PATHS.tokenPurchase]: { schema: paymentAnswer(false), example: ex.tokenPurchaseAnswer, jwe: ex.tokenPurchaseAnswerJwe },
  [PATHS.tokenC2a]: { schema: paymentAnswer(false), example: ex.tokenC2aAnswer, jwe: ex.tokenC2aAnswerJwe },
  [PATHS.purchase]: { schema: paymentAnswer(true), example: ex.purchaseAnswer, jwe: ex.purchaseAnswerJwe },
  [PATHS.tokenPurchase3ds]: { schema: paymentAnswer(false), example: ex.threeDsAnswer, jwe: ex.threeDsAnswerJwe },
  [PATHS.tokenC2a3ds]: { schema: paymentAnswer(false), example: ex.tokenC2aAnswer, jwe: ex.tokenC2aAnswerJwe },
  [PATHS.purchase3ds]: { schema: paymentAnswer(true), example: ex.purchaseAnswer, jwe: ex.purchaseAnswerJwe },
};

const sessionAnswer: Schema = {
  type: 'object',
  required: ['authToken', 'refreshToken', 'deviceId', 'serverPublic', 'tokenExpirationDateTime'],
  additionalProperties: false,
  properties: {
    authToken: { type: 'string', description: 'Not needed by any call here.' },
    refreshToken: { type: 'string', description: 'Send as `x-refresh_token`.' },
    deviceId: { type: 'string', description: 'Send as `x-device_id`.' },
    serverPublic: {
      type: 'object',
      required: ['kty', 'crv', 'x', 'y'],
      properties: {
        kty: { type: 'string', enum: ['EC'] },
        crv: { type: 'string', enum: ['P-384'] },
        x: { type: 'string' },
        y: { type: 'string' },
        use: { type: 'string', enum: ['enc'] },
        alg: { type: 'string', enum: ['ECDH-ES+A256KW'] },
        kid: { type: 'string' },
      },
      description: 'This session’s public key (JWK): encrypt every request body to it.',
    },
    tokenExpirationDateTime: { type: 'string', description: 'When the session ends, `yyyy-MM-dd HH:mm:ss.SSSS +0000`.' },
  },
};

// -------------------------------------------------------------------------------------------------
// Answers

/** The error envelope, with the codes an answer of one status can carry. */
export function errorBody(codes: Code[]): Schema {
  return {
    type: 'object',
    required: ['requestId', 'serviceId', 'msgCode', 'msgType', 'msgText', 'isLocalized', 'msgAttrs', 'errorCauses'],
    additionalProperties: false,
    properties: {
      requestId: { type: 'string', description: 'Your `x-request_id`, or a new UUID when none was sent.' },
      serviceId: { type: 'string', enum: ['api-gateway'] },
      msgCode: {
        type: 'string',
        enum: codes,
        description: codes.map((c) => `\`${c}\`: ${CODES[c][1]}`).join('; '),
      },
      msgType: { type: 'string', enum: ['ERROR', 'VALIDATION_ERROR'], description: '`VALIDATION_ERROR` for a field refused.' },
      msgText: { type: 'string' },
      isLocalized: { type: 'boolean', enum: [false] },
      msgAttrs: { type: 'object', maxProperties: 0 },
      errorCauses: { type: 'array', items: { type: 'string' }, description: 'For a field refused, the field and why.' },
    },
  };
}

const errorExample = (code: Code, causes: string[] = []) => ({
  requestId: 'e1c2b3a4-d5f6-4a7b-8c9d-0e1f2a3b4c5d',
  serviceId: 'api-gateway',
  msgCode: code,
  msgType: causes.length && code === 'b_invalid_request' ? 'VALIDATION_ERROR' : 'ERROR',
  msgText: CODES[code][1],
  isLocalized: false,
  msgAttrs: {},
  errorCauses: causes,
});

const RETRY_AFTER = { 'retry-after': { type: 'string', pattern: '^[0-9]+$', description: 'Seconds to wait before retrying.' } };

function errorResponse(status: number, codes: Code[], why: string, headers?: Record<string, unknown>) {
  const wrong = codes.filter((c) => CODES[c][0] !== status);
  if (wrong.length) throw new Error(`AlliancePay document: ${wrong.join(', ')} not answered with HTTP ${status}`);
  const example = errorExample(codes[0] as Code);
  return {
    description: `${why} Codes: ${codes.map((c) => `\`${c}\``).join(', ')}.`,
    ...(headers ? { headers } : {}),
    content: { 'application/json': { schema: errorBody(codes), example } },
  };
}

function jweEnvelope(payload: Schema, example: unknown): Schema {
  return {
    type: 'object',
    required: ['jwe'],
    additionalProperties: false,
    properties: {
      jwe: {
        type: 'string',
        pattern: JWE_PATTERN,
        description: 'A compact JWE (ECDH-ES+A256KW / A256GCM) to your merchant public key; decrypt it with your private JWK.',
        'x-payload-schema': { ...payload, examples: [example] },
      },
    },
  };
}

/** 200: the `{jwe}` answer or an error the gateway answers with HTTP 200. */
function ok(answer: { schema: Schema; example: unknown; jwe: string }, codes200: Code[], what: string) {
  const example = errorExample(codes200.includes('b_token_not_found') ? 'b_token_not_found' : 'b_invalid_request', []);
  return {
    description: `${what}: \`{"jwe": …}\`, the answer encrypted to your merchant key. Or an error the gateway answers with HTTP 200 (a field refused, a body that does not decrypt, missing session headers; also a body over the size limit and a malformed URL). Codes: ${codes200
      .map((c) => `\`${c}\``)
      .join(', ')}.`,
    content: {
      'application/json': {
        schema: { oneOf: [jweEnvelope(answer.schema, answer.example), errorBody(codes200)] },
        examples: {
          answer: { summary: 'Success (decrypts to the x-payload-schema example)', value: { jwe: answer.jwe } },
          refused: { summary: 'Refused with HTTP 200', value: example },
        },
      },
    },
  };
}

const TOO_MANY = errorResponse(
  429,
  ['b_too_many_requests'],
  'Over your rate limit, or this client address is locked out after repeated failed authentications.',
  RETRY_AFTER,
);
const OVERLOADED = errorResponse(
  503,
  ['b_server_is_overloaded'],
  'The database or the payment processor is unavailable; retry later (Retry-After when the database is).',
  RETRY_AFTER,
);

const SESSION_200: Code[] = [
  'b_invalid_request',
  'b_encryptor_failed_decrypt_message',
  'b_virtual_device_not_found',
  'b_refresh_token_absent',
];
const SESSION_400: Code[] = ['b_duplicate_field_value', 'b_error_parse_json', 'b_user_merchant_request_mismatch'];
const CARD_200: Code[] = ['b_invalid_pan_format', 'b_validation_card_expiration_date'];
const PAY_200: Code[] = ['b_token_not_found', 'b_token_not_active'];

// -------------------------------------------------------------------------------------------------
// Operations

const REQUEST_ID = {
  type: 'string',
  minLength: 1,
  maxLength: 64,
  description: 'A new UUID per request; a value reused within a session is refused (`b_duplicate_field_value`) as a replay.',
};
const API_VERSION = { type: 'string', description: '`V1` (the gateway’s SDKs send it; not checked).' };

const SESSION_SECURITY = [{ [DEVICE_SCHEME]: [], [REFRESH_SCHEME]: [] }];

interface Op {
  operationId: string;
  summary: string;
  description: string;
  tag: 'tokens' | 'payments';
  ok: string;
  extra200?: Code[];
  extra400?: Code[];
  notFound?: boolean;
}

const OPS: Record<SessionPath, Op> = {
  [PATHS.create]: {
    operationId: 'createToken',
    summary: 'Create a token from a card',
    description: 'Keeps the card (number and expiry, each a nested JWE) as a token of your customer `customerId`.',
    tag: 'tokens',
    ok: 'The token',
    extra200: CARD_200,
  },
  [PATHS.list]: {
    operationId: 'listTokensByCustomerId',
    summary: 'List the tokens of a customer',
    description: 'The customer’s tokens that are not deleted; an unknown customer has none.',
    tag: 'tokens',
    ok: 'The tokens',
  },
  [PATHS.get]: {
    operationId: 'getToken',
    summary: 'Read a token',
    description: 'A token of yours (another merchant’s is `b_token_not_found`).',
    tag: 'tokens',
    ok: 'The token, as a one-element `result`',
    extra200: ['b_token_not_found'],
  },
  [PATHS.state]: {
    operationId: 'updateTokenState',
    summary: 'Change the state of a token',
    description: '`ACTIVE` ⇄ `SUSPENDED`, either → `DELETED`; `DELETED` is final. A transition not allowed answers `tokenUpdated: false`.',
    tag: 'tokens',
    ok: 'Whether the state changed',
    extra200: ['b_token_not_found'],
  },
  [PATHS.tokenPurchase]: {
    operationId: 'purchaseWithToken',
    summary: 'Pay by token (PURCHASE, step 1)',
    description: 'Authorizes and captures `coinAmount` with a token. `REQUIRED_3DS`: complete it with step 2 (…/token/purchase/3ds).',
    tag: 'payments',
    ok: 'The payment',
    extra200: PAY_200,
    extra400: ['b_txn_not_allowed'],
  },
  [PATHS.tokenPurchase3ds]: {
    operationId: 'completeTokenPurchase3ds',
    summary: 'Complete a token purchase after 3-D Secure (step 2)',
    description: 'Carries the challenge result of a `REQUIRED_3DS` token purchase; the answer is the payment, `SUCCESS` or `FAIL`.',
    tag: 'payments',
    ok: 'The payment',
    extra200: PAY_200,
    extra400: ['b_txn_not_allowed'],
    notFound: true,
  },
  [PATHS.tokenC2a]: {
    operationId: 'payC2aWithToken',
    summary: 'Card-to-account transfer by token (C2A, step 1)',
    description: 'As the token purchase, with `type: C2A`. `REQUIRED_3DS`: complete it with step 2 (…/token/c2a/3ds).',
    tag: 'payments',
    ok: 'The payment',
    extra200: PAY_200,
    extra400: ['b_txn_not_allowed'],
  },
  [PATHS.tokenC2a3ds]: {
    operationId: 'completeTokenC2a3ds',
    summary: 'Complete a token C2A after 3-D Secure (step 2)',
    description: 'Carries the challenge result of a `REQUIRED_3DS` C2A; the answer is the payment, `SUCCESS` or `FAIL`.',
    tag: 'payments',
    ok: 'The payment',
    extra200: PAY_200,
    extra400: ['b_txn_not_allowed'],
    notFound: true,
  },
  [PATHS.purchase]: {
    operationId: 'purchaseWithCard',
    summary: 'Pay with a card (PURCHASE, step 1), optionally keeping a token',
    description:
      'Pays with the card fields (nested JWEs). With `typeToken: TOKEN_PER_CUSTOMER` a successful purchase keeps the card as a token of `customerData.senderCustomerId` and answers it in `token`; otherwise the card is not kept. `REQUIRED_3DS`: complete it with step 2 (…/purchase/3ds).',
    tag: 'payments',
    ok: 'The payment',
    extra200: [...CARD_200, ...PAY_200],
    extra400: ['b_txn_not_allowed'],
  },
  [PATHS.purchase3ds]: {
    operationId: 'completeCardPurchase3ds',
    summary: 'Complete a card purchase after 3-D Secure (step 2)',
    description:
      'Carries the challenge result of a `REQUIRED_3DS` card purchase; the answer is the payment, with `token` when one was asked for and the purchase succeeded.',
    tag: 'payments',
    ok: 'The payment',
    extra200: PAY_200,
    extra400: ['b_txn_not_allowed'],
    notFound: true,
  },
};

const REQUEST_JWES: Record<SessionPath, string> = {
  [PATHS.create]: ex.createRequestJwe,
  [PATHS.list]: ex.listRequestJwe,
  [PATHS.get]: ex.getRequestJwe,
  [PATHS.state]: ex.stateRequestJwe,
  [PATHS.tokenPurchase]: ex.tokenPurchaseRequestJwe,
  [PATHS.tokenPurchase3ds]: ex.threeDsRequestJwe,
  [PATHS.tokenC2a]: ex.tokenC2aRequestJwe,
  [PATHS.tokenC2a3ds]: ex.threeDsRequestJwe,
  [PATHS.purchase]: ex.purchaseRequestJwe,
  [PATHS.purchase3ds]: ex.threeDsRequestJwe,
};

const BODY_DESCRIPTION =
  'The JSON request (see `x-payload-schema`) as a compact JWE (ECDH-ES+A256KW / A256GCM) to the session’s `serverPublic`, sent as text. Card fields inside it are themselves JWEs to your `paymentPublicJwk`.';

/** The route schema of one session operation. */
export function sessionRouteSchema(path: SessionPath): Schema {
  const op = OPS[path];
  const codes200 = [...SESSION_200, ...(op.extra200 ?? [])];
  return {
    operationId: op.operationId,
    summary: op.summary,
    description: `${op.description}\n\nNeeds a session from \`authorize_virtual_device\`: \`x-device_id\` and \`x-refresh_token\`.`,
    tags: [op.tag],
    security: SESSION_SECURITY,
    consumes: ['text/plain'],
    produces: ['application/json'],
    headers: {
      type: 'object',
      required: ['x-request_id'],
      properties: { 'x-request_id': REQUEST_ID, 'x-api_version': API_VERSION },
    },
    body: {
      type: 'string',
      pattern: JWE_PATTERN,
      description: BODY_DESCRIPTION,
      'x-payload-schema': payloads[path],
      examples: [REQUEST_JWES[path]],
    },
    response: {
      200: ok(answers[path], codes200, op.ok),
      400: errorResponse(
        400,
        [...SESSION_400, ...(op.extra400 ?? [])],
        'The request id or `merchantRequestId` was used before, the decrypted body is not a JSON object, its `merchantId` is not the session’s, or the payment is not allowed.',
      ),
      401: errorResponse(
        401,
        ['b_unknown_device', 'b_used_token', 'b_expired_token'],
        'The session is unknown, the refresh token is not its, or it has expired: authorize again.',
      ),
      ...(op.notFound ? { 404: errorResponse(404, ['payment_operation_not_found'], 'No payment of yours has this `operationId`.') } : {}),
      429: TOO_MANY,
      503: OVERLOADED,
    },
  };
}

/** The route schema of `authorize_virtual_device`. */
export const authorizeRouteSchema: Schema = {
  operationId: 'authorizeVirtualDevice',
  summary: 'Open a session (authorize the virtual device)',
  description:
    'Your `serviceCode` opens a session: the answer, encrypted to the public key registered for your merchant, holds `deviceId` and `refreshToken` (the headers of every other call) and `serverPublic` (the key every request body is encrypted to). A new session does not end earlier ones; sessions last an hour by default.',
  tags: ['session'],
  security: [],
  consumes: ['application/json'],
  produces: ['application/json'],
  headers: {
    type: 'object',
    required: ['x-request_id'],
    properties: { 'x-request_id': { ...REQUEST_ID, description: 'A new UUID per request.' }, 'x-api_version': API_VERSION },
  },
  body: {
    type: 'object',
    required: ['serviceCode'],
    properties: {
      serviceCode: {
        type: 'string',
        minLength: 1,
        maxLength: 64,
        pattern: NO_CONTROL,
        description: 'The service code (a UUID) of your AlliancePay credentials; it identifies your merchant.',
      },
    },
    examples: [ex.authorizeRequest],
  },
  response: {
    200: ok(
      { schema: sessionAnswer, example: ex.authorizeAnswer, jwe: ex.authorizeAnswerJwe },
      ['b_invalid_request', 'b_merchant_not_found'],
      'The session',
    ),
    400: errorResponse(400, ['b_error_parse_json'], 'The body is not a JSON object.'),
    429: TOO_MANY,
    503: OVERLOADED,
  },
};
