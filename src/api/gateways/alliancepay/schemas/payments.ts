/** The payment operations in the document: by token (PURCHASE, C2A), by card, and each one's 3-D Secure step 2. */
import * as ex from '../examples.ts';
import { type Answer, CARD_200, type OperationDoc, PAY_200 } from './answers.ts';
import {
  cardField,
  cvv,
  cvvUnlessNonCvv,
  merchantId,
  nullableString,
  paymentCommon,
  type Schema,
  text,
  token,
  typeToken,
} from './fields.ts';

const cvvRequired: Schema = { ...cvv, description: `${cvv.description} Required unless \`txnType\` is \`NONCVV\`.` };

function tokenPayment(example: unknown): Schema {
  return {
    type: 'object',
    required: ['merchantRequestId', 'merchantId', 'token', 'coinAmount', 'date', 'customerData'],
    anyOf: cvvUnlessNonCvv,
    properties: {
      ...paymentCommon,
      token,
      cvv: cvvRequired,
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

type PaymentOp = 'tokenPurchase' | 'tokenPurchase3ds' | 'tokenC2a' | 'tokenC2a3ds' | 'purchase' | 'purchase3ds';

/** What every payment operation shares; step 2 (`threeDs`) also answers 404 for an operation not found. */
const payment = (answer: Answer, payload: Schema, requestJwe: string, threeDs = false) => ({
  tag: 'payments' as const,
  ok: 'The payment',
  extra200: PAY_200,
  extra400: ['b_txn_not_allowed' as const],
  ...(threeDs ? { notFound: true } : {}),
  payload,
  requestJwe,
  answer,
});
const step2 = (answer: Answer) => payment(answer, threeDs(), ex.threeDsRequestJwe, true);

export const paymentDocs: Record<PaymentOp, OperationDoc> = {
  tokenPurchase: {
    operationId: 'purchaseWithToken',
    summary: 'Pay by token (PURCHASE, step 1)',
    description: 'Authorizes and captures `coinAmount` with a token. `REQUIRED_3DS`: complete it with step 2 (…/token/purchase/3ds).',
    ...payment(
      { schema: paymentAnswer(false), example: ex.tokenPurchaseAnswer, jwe: ex.tokenPurchaseAnswerJwe },
      tokenPayment(ex.tokenPurchaseRequest),
      ex.tokenPurchaseRequestJwe,
    ),
  },
  tokenPurchase3ds: {
    operationId: 'completeTokenPurchase3ds',
    summary: 'Complete a token purchase after 3-D Secure (step 2)',
    description: 'Carries the challenge result of a `REQUIRED_3DS` token purchase; the answer is the payment, `SUCCESS` or `FAIL`.',
    ...step2({ schema: paymentAnswer(false), example: ex.threeDsAnswer, jwe: ex.threeDsAnswerJwe }),
  },
  tokenC2a: {
    operationId: 'payC2aWithToken',
    summary: 'Card-to-account transfer by token (C2A, step 1)',
    description: 'As the token purchase, with `type: C2A`. `REQUIRED_3DS`: complete it with step 2 (…/token/c2a/3ds).',
    ...payment(
      { schema: paymentAnswer(false), example: ex.tokenC2aAnswer, jwe: ex.tokenC2aAnswerJwe },
      tokenPayment(ex.tokenC2aRequest),
      ex.tokenC2aRequestJwe,
    ),
  },
  tokenC2a3ds: {
    operationId: 'completeTokenC2a3ds',
    summary: 'Complete a token C2A after 3-D Secure (step 2)',
    description: 'Carries the challenge result of a `REQUIRED_3DS` C2A; the answer is the payment, `SUCCESS` or `FAIL`.',
    ...step2({ schema: paymentAnswer(false), example: ex.tokenC2aAnswer, jwe: ex.tokenC2aAnswerJwe }),
  },
  purchase: {
    operationId: 'purchaseWithCard',
    summary: 'Pay with a card (PURCHASE, step 1), optionally keeping a token',
    description:
      'Pays with the card fields (nested JWEs). With `typeToken: TOKEN_PER_CUSTOMER` a successful purchase keeps the card as a token of `customerData.senderCustomerId` and answers it in `token`; otherwise the card is not kept. `REQUIRED_3DS`: complete it with step 2 (…/purchase/3ds).',
    ...payment(
      { schema: paymentAnswer(true), example: ex.purchaseAnswer, jwe: ex.purchaseAnswerJwe },
      cardPurchase(),
      ex.purchaseRequestJwe,
    ),
    extra200: [...CARD_200, ...PAY_200],
  },
  purchase3ds: {
    operationId: 'completeCardPurchase3ds',
    summary: 'Complete a card purchase after 3-D Secure (step 2)',
    description:
      'Carries the challenge result of a `REQUIRED_3DS` card purchase; the answer is the payment, with `token` when one was asked for and the purchase succeeded.',
    ...step2({ schema: paymentAnswer(true), example: ex.purchaseAnswer, jwe: ex.purchaseAnswerJwe }),
  },
};

function cardPurchase(): Schema {
  return {
    type: 'object',
    required: ['merchantRequestId', 'merchantId', 'coinAmount', 'encryptedCardNumber', 'encryptedExpDate', 'date', 'customerData'],
    anyOf: cvvUnlessNonCvv,
    properties: {
      ...paymentCommon,
      encryptedCardNumber: cardField('The card number'),
      encryptedExpDate: cardField('The expiry, `YYMM`'),
      cvv: cvvRequired,
      typeToken,
    },
    examples: [ex.purchaseRequest],
  };
}
