/**
 * Refunds and reversals on the AppotaPay wire as JSON Schema (requests and answers), for the OpenAPI document;
 * the examples are AppotaPay's own (docs.appotapay.com cc-merchant-host refund-create, reversal-authorization).
 */

import { merchantRefId, type Schema } from './schemas.ts';
import { vnTime } from './schemas-answers.ts';

const ULID = '^[0-9A-HJKMNP-TV-Z]{26}$';
const chargeId = (description: string): Schema => ({ type: 'string', minLength: 1, maxLength: 64, description });

export const refundBody = (): Schema => ({
  type: 'object',
  description: 'A refund of a captured charge, as JSON.',
  required: ['transactionId', 'merchantRefId', 'amount', 'currency'],
  properties: {
    transactionId: chargeId('The `id` of the charge to refund (it must be `CAPTURED` or partly refunded)'),
    merchantRefId: merchantRefId('Your reference for this refund, unique among your refunds (else errorCode `4`)'),
    amount: {
      type: ['integer', 'string'],
      minimum: 1000,
      maximum: Number.MAX_SAFE_INTEGER,
      pattern: '^[0-9]{1,15}$',
      description:
        'The amount to refund, VND, at least 1000 (else errorCode `45`), at most what is left of the captured amount (else `12`); a number, or a string of digits (AppotaPay’s table says String)',
    },
    currency: { type: 'string', enum: ['VND'], description: 'Only `VND`' },
  },
  examples: [{ merchantRefId: '7Xthy1kbi', transactionId: '01HJAG6Q3XMJBRJW28N1T8D6MM', amount: 1000000, currency: 'VND' }],
});

export const reversalBody = (): Schema => ({
  type: 'object',
  description: 'A reversal of an authorization (always in full), as JSON.',
  required: ['merchantRefId', 'authorizationId'],
  properties: {
    authorizationId: chargeId('The `id` of the charge that authorized (`capture: false`), not captured'),
    merchantRefId: merchantRefId('Your reference for this reversal, unique among your reversals (else errorCode `4`)'),
  },
  examples: [{ merchantRefId: 'MufRIHgy13', authorizationId: '01HJAFB1GMVTC74SN2FMA5PG5X' }],
});

export const followOnParams = (name: 'creditCardRefundId' | 'creditCardReversalId', what: string): Schema => ({
  type: 'object',
  required: [name],
  properties: {
    [name]: {
      type: 'string',
      minLength: 1,
      description: `The ${what}'s id, or its \`merchantRefId\` with \`referenceType=MERCHANT_REFERENCE_ID\``,
    },
  },
});

export const followOnQuery = (what: string): Schema => ({
  type: 'object',
  properties: {
    referenceType: {
      type: 'string',
      enum: ['APPOTAPAY_REFERENCE_ID', 'MERCHANT_REFERENCE_ID'],
      default: 'APPOTAPAY_REFERENCE_ID',
      description: `What the path names: \`APPOTAPAY_REFERENCE_ID\` the ${what}'s id (default), \`MERCHANT_REFERENCE_ID\` your \`merchantRefId\` for it`,
    },
  },
});

const STATUS: Schema = {
  type: 'string',
  enum: ['success', 'error', 'pending'],
  description:
    '`success` (tokenvault settles at once), `error` with `errorInformation` when the processor refused it; `pending` is never answered',
};

const ERROR_INFORMATION: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['errorCode', 'message'],
  description: 'Why it failed (only with `status: error`)',
  properties: { errorCode: { type: 'integer' }, message: { type: 'string' } },
};

const common = (what: string): Record<string, Schema> => ({
  merchantRefId: { ...merchantRefId('Your reference, as sent'), type: ['string', 'null'] },
  amount: { type: 'integer', minimum: 1, description: `VND ${what}` },
  currency: { type: 'string', enum: ['VND'], description: 'Always `VND`' },
  status: structuredClone(STATUS),
  errorInformation: structuredClone(ERROR_INFORMATION),
  createdAt: vnTime('When it was made'),
  updatedAt: vnTime('When it last changed'),
});

export const refundAnswer = (description: string): Schema => ({
  type: 'object',
  description,
  additionalProperties: false,
  required: ['refundId', 'transactionId', 'merchantRefId', 'amount', 'currency', 'status', 'createdAt', 'updatedAt'],
  properties: {
    refundId: { type: 'string', pattern: ULID, description: "The refund's id (an upper-case ULID)" },
    transactionId: { type: 'string', pattern: ULID, description: 'The charge refunded' },
    ...common('refunded'),
  },
  examples: [
    {
      refundId: '01HQJ41Q7135ZNJTKTWB92BTVH',
      transactionId: '01HQHRWBC773J6CJV9VRZMBXD2',
      merchantRefId: 'S68O0whWv',
      amount: 500000,
      currency: 'VND',
      status: 'success',
      createdAt: '2024-02-26T14:11:12+07:00',
      updatedAt: '2024-02-26T14:11:15+07:00',
    },
  ],
});

export const reversalAnswer = (description: string): Schema => ({
  type: 'object',
  description,
  additionalProperties: false,
  required: ['reversalId', 'authorizationId', 'merchantRefId', 'amount', 'currency', 'status', 'createdAt', 'updatedAt', 'reversedAt'],
  properties: {
    reversalId: { type: 'string', pattern: ULID, description: "The reversal's id (an upper-case ULID)" },
    authorizationId: { type: 'string', pattern: ULID, description: 'The authorization reversed' },
    ...common('reversed: the whole authorization'),
    reversedAt: vnTime('When the authorization was reversed'),
  },
  examples: [
    {
      reversalId: '01HQHS26CFK4CEGE2QW0PATV5B',
      authorizationId: '01HQHRZQNJE4BWRB8P9P5Z8BE7',
      merchantRefId: 'MufRIHgy11',
      amount: 1000000,
      currency: 'VND',
      status: 'success',
      createdAt: '2024-02-26T10:59:13+07:00',
      updatedAt: '2024-02-26T10:59:15+07:00',
      reversedAt: '2024-02-26T10:59:14+07:00',
    },
  ],
});
