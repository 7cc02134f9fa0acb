/** The token operations in the document: create, list by customer, get, state update. */
import * as ex from '../examples.ts';
import { CARD_200, type OperationDoc } from './answers.ts';
import { cardField, customerId, date, maskedPan, merchantId, merchantRequestId, optionalMerchantId, type Schema, token } from './fields.ts';

/**
 * The most tokens list-by-customer answers, the newest (*chosen*: the wire has no paging, and a customer with
 * thousands of cards must not cost every tenant a megabyte-sized answer).
 */
export const LIST_LIMIT = 100;

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

export const tokenDocs: Record<'create' | 'list' | 'get' | 'state', OperationDoc> = {
  create: {
    operationId: 'createToken',
    summary: 'Create a token from a card',
    description: 'Keeps the card (number and expiry, each a nested JWE) as a token of your customer `customerId`.',
    tag: 'tokens',
    ok: 'The token',
    extra200: CARD_200,
    payload: {
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
    requestJwe: ex.createRequestJwe,
    answer: {
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
  },
  list: {
    operationId: 'listTokensByCustomerId',
    summary: 'List the tokens of a customer',
    description: `The customer’s tokens that are not deleted, newest first: at most the ${LIST_LIMIT} newest (the list has no paging). An unknown customer has none.`,
    tag: 'tokens',
    ok: 'The tokens',
    payload: {
      type: 'object',
      required: ['customerId'],
      properties: { customerId: customerId('Your id of the customer.'), merchantId: optionalMerchantId },
      examples: [ex.listRequest],
    },
    requestJwe: ex.listRequestJwe,
    answer: {
      schema: {
        type: 'object',
        required: ['result'],
        additionalProperties: false,
        properties: {
          result: {
            type: 'array',
            maxItems: LIST_LIMIT,
            items: tokenInfo,
            description: `The customer’s newest tokens, newest first, at most ${LIST_LIMIT} (none when unknown).`,
          },
        },
      },
      example: ex.listAnswer,
      jwe: ex.listAnswerJwe,
    },
  },
  get: {
    operationId: 'getToken',
    summary: 'Read a token',
    description: 'A token of yours (another merchant’s is `b_token_not_found`).',
    tag: 'tokens',
    ok: 'The token, as a one-element `result`',
    extra200: ['b_token_not_found'],
    payload: {
      type: 'object',
      required: ['token'],
      properties: { token, merchantId: optionalMerchantId },
      examples: [ex.getRequest],
    },
    requestJwe: ex.getRequestJwe,
    answer: {
      schema: {
        type: 'object',
        required: ['result'],
        additionalProperties: false,
        properties: { result: { type: 'array', items: tokenInfo, minItems: 1, maxItems: 1 } },
      },
      example: ex.getAnswer,
      jwe: ex.getAnswerJwe,
    },
  },
  state: {
    operationId: 'updateTokenState',
    summary: 'Change the state of a token',
    description: '`ACTIVE` ⇄ `SUSPENDED`, either → `DELETED`; `DELETED` is final. A transition not allowed answers `tokenUpdated: false`.',
    tag: 'tokens',
    ok: 'Whether the state changed',
    extra200: ['b_token_not_found'],
    payload: {
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
    requestJwe: ex.stateRequestJwe,
    answer: {
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
  },
};
