/** REFUND and the two getting-data calls in the document (docs/alliancepay.md, REFUND and Getting data). */
import * as ex from '../examples-refunds.ts';
import type { OperationDoc } from './answers.ts';
import { date, merchantId, merchantRequestId, nullableString, paymentCommon, type Schema, text } from './fields.ts';

const { notificationUrl, notificationEncryption } = paymentCommon as Record<string, Schema>;

const info: Schema = {
  type: 'object',
  required: ['actionCode', 'responseCode', 'description'],
  properties: { actionCode: nullableString, responseCode: nullableString, description: nullableString },
};

/** Fields every operation object has (payment or refund). */
const common: Record<string, Schema> = {
  type: { type: 'string', enum: ['PURCHASE', 'C2A', 'REFUND'] },
  status: { type: 'string', enum: ['SUCCESS', 'FAIL', 'REQUIRED_3DS', 'DESIRED_THREEDS_MODE_ERROR'] },
  operationId: { type: 'string' },
  ecomOperationId: { type: 'string' },
  merchantRequestId: nullableString,
  merchantId: { type: 'string' },
  coinAmount: { type: 'integer' },
  rrn: { type: 'string', pattern: '^[0-9]{12}$' },
  approvalCode: nullableString,
  transactionType: { type: ['integer', 'string'], description: '`35` purchase, `76` refund; `C2A` for a card-to-account transfer.' },
  transactionCurrency: { type: 'string', enum: ['980'] },
  createDateTime: { type: 'string' },
  creationDateTime: { type: 'string', description: 'The same as `createDateTime` (AlliancePay’s material uses both names).' },
  modificationDateTime: { type: 'string' },
  transactionResponseInfo: info,
  productType: { type: 'string', enum: ['PURCHASE'] },
  paymentServiceType: { type: 'string', enum: ['CARD'] },
  creatorSystem: { type: 'string', enum: ['H2H'] },
  cardNumberMask: { ...nullableString, description: 'First 6 and last 4 digits, `•` between.' },
  notificationUrl: nullableString,
  notificationEncryption: { type: 'boolean' },
};
const REQUIRED = [
  'type',
  'status',
  'operationId',
  'merchantId',
  'coinAmount',
  'transactionType',
  'transactionCurrency',
  'transactionResponseInfo',
];

const refundAnswer: Schema = {
  type: 'object',
  required: [...REQUIRED, 'originalOperationId', 'originalCoinAmount'],
  properties: {
    ...common,
    originalOperationId: { type: 'string', description: 'The payment refunded.' },
    originalCoinAmount: { type: 'integer' },
    originalEcomOperationId: { type: 'string' },
    rrnOriginal: { type: 'string' },
  },
};
const operationAnswer: Schema = {
  type: 'object',
  required: REQUIRED,
  properties: {
    ...common,
    actionCode: nullableString,
    responseCode: nullableString,
    originalOperationId: { type: 'string' },
    originalCoinAmount: { type: 'integer' },
    originalEcomOperationId: { type: 'string' },
    rrnOriginal: { type: 'string' },
  },
  description: 'A payment (as its step 1 answer, with the fields below) or a refund (as the REFUND answer).',
};

const lookup = { tag: 'payments' as const, ok: 'The operation', notFound: true };

export const refundDocs: Record<'refund' | 'operation' | 'byReference', OperationDoc> = {
  refund: {
    operationId: 'refundPayment',
    summary: 'Refund a payment (REFUND)',
    description:
      'Returns `coinAmount` of a successful payment to its card; several partial refunds up to the amount paid. The answer is the refund as an operation of its own (`operationId`), its payment in `originalOperationId`.',
    tag: 'payments',
    ok: 'The refund',
    extra400: ['b_txn_not_allowed'],
    notFound: true,
    payload: {
      type: 'object',
      required: ['merchantRequestId', 'merchantId', 'operationId', 'coinAmount', 'date'],
      properties: {
        merchantRequestId,
        merchantId,
        operationId: text(64, 'The `operationId` of the payment to refund.', true),
        coinAmount: {
          type: ['string', 'integer'],
          pattern: '^[0-9]{1,15}$',
          minimum: 1,
          description: 'The amount to refund, in kopiykas: a string of digits (as documented) or an integer (as the SDK sends it).',
        },
        date,
        notificationUrl,
        notificationEncryption,
        merchantComment: text(255, 'Your comment.'),
      },
      examples: [ex.refundRequest],
    },
    requestJwe: ex.refundRequestJwe,
    answer: { schema: refundAnswer, example: ex.refundAnswer, jwe: ex.refundAnswerJwe },
  },
  operation: {
    operationId: 'getOperationById',
    summary: 'Get an operation by its OPERATION_ID',
    description: 'A payment or refund of yours by its `operationId`.',
    ...lookup,
    payload: {
      type: 'object',
      required: ['id'],
      properties: { id: text(64, 'The `operationId` of a payment or a refund.', true) },
      examples: [ex.operationRequest],
    },
    requestJwe: ex.operationRequestJwe,
    answer: { schema: operationAnswer, example: ex.operationAnswer, jwe: ex.operationAnswerJwe },
  },
  byReference: {
    operationId: 'getOperationByMerchantRequestId',
    summary: 'Get an operation by its merchantRequestId',
    description: 'The payment or refund you sent with this `merchantRequestId`: to learn its outcome after a lost answer.',
    ...lookup,
    payload: {
      type: 'object',
      required: ['merchantRequestId'],
      properties: { merchantRequestId: { ...merchantRequestId, description: 'Your `merchantRequestId` of the payment or refund.' } },
      examples: [ex.byReferenceRequest],
    },
    requestJwe: ex.byReferenceRequestJwe,
    answer: { schema: operationAnswer, example: ex.operationAnswer, jwe: ex.operationAnswerJwe },
  },
};
