/** The OpenAPI side of each PTS operation (routes.ts maps paths to operations; doc.ts expands these). */
import { doc, type RouteSchema } from './doc.ts';
import * as S from './schemas/index.ts';

const P = 'payments';
const paymentP = { id: 'The payment id' };
const followUpRefusal = {
  description:
    'A field is invalid, the payment id is unknown (`INVALID_PAYMENT_ID`), the amount is more than is left (`INVALID_AMOUNT`), or the payment’s state does not allow it',
};
const unknownId = { description: 'The id is unknown (`INVALID_PAYMENT_ID`)' };
const voided = () => ({
  201: { description: 'The void (`status: VOIDED`)', schema: S.Void },
  400: { description: 'A field is invalid, the id is unknown (`INVALID_PAYMENT_ID`), or it cannot be voided (`NOT_VOIDABLE`)' },
});
/** The GET of a follow-on's `self` link (a *choice*: the SDK has none; docs/cybersource.md). */
const read = (what: string, schema: S.Schema) => ({
  description: `The ${what} as its POST answered it (without the request’s clientReferenceInformation).`,
  params: { id: `The ${what} id` },
  response: { 200: { description: `The ${what}`, schema }, 400: unknownId },
});
const refund = () => ({ 201: { description: 'The refund (`status: PENDING`)', schema: S.Refund }, 400: followUpRefusal });

export const PTS_DOCS = {
  createPayment: doc('createPayment', 'Authorize a payment', P, {
    description:
      'With a customer token (its default payment instrument unless `paymentInstrument.id` names one), a payment instrument, or a card. `processingInformation.actionList: ["TOKEN_CREATE"]` with `actionTokenTypes` tokenizes the card (and makes a customer and shipping address) in the same call, kept only when approved. A decline is a 201 with `status: DECLINED`.',
    body: S.CreatePaymentRequest,
    response: { 201: { description: 'Authorized, declined or pending authentication', schema: S.Payment } },
  }),
  createCredit: doc('createCredit', 'Credit a card', P, {
    description: 'A stand-alone credit to a customer’s default payment instrument or a named one.',
    body: S.CreateCreditRequest,
    response: { 201: { description: 'The credit (`status: PENDING`)', schema: S.Credit } },
  }),
  getPayment: doc('getPayment', 'Retrieve a payment', P, {
    params: paymentP,
    response: {
      200: { description: 'The payment', schema: S.Payment },
      400: { description: 'The payment id is unknown (`INVALID_PAYMENT_ID`)' },
    },
  }),
  capturePayment: doc('capturePayment', 'Capture an authorization', P, {
    description: 'The whole authorized amount left, or part of it. The capture is a resource of its own, with its own id.',
    params: paymentP,
    body: S.CaptureRequest,
    response: { 201: { description: 'The capture (`status: PENDING`)', schema: S.Capture }, 400: followUpRefusal },
  }),
  authReversal: doc('authReversal', 'Reverse an authorization', P, {
    description:
      'Releases what is left of the authorization (the default, or `reversalInformation.amountDetails.totalAmount` equal to it), or part of it (a partial reversal; also the rest after a partial capture).',
    params: paymentP,
    body: S.ReversalRequest,
    response: { 201: { description: 'The reversal (`status: REVERSED`)', schema: S.Reversal }, 400: followUpRefusal },
  }),
  refundPayment: doc('refundPayment', 'Refund a captured payment', P, {
    description: 'The whole captured amount left, or part of it.',
    params: paymentP,
    body: S.RefundRequest,
    response: refund(),
  }),
  refundCapture: doc('refundCapture', 'Refund a capture', P, {
    description: 'The capture’s id, as its capture answered it.',
    params: { id: 'The capture id' },
    body: S.RefundRequest,
    response: refund(),
  }),
  voidPayment: doc('voidPayment', 'Void a sale', P, {
    description: 'Only a payment authorized and captured together (`capture: true`): its capture is undone.',
    params: paymentP,
    body: S.VoidRequest,
    response: voided(),
  }),
  voidCapture: doc('voidCapture', 'Void a capture', P, { params: { id: 'The capture id' }, body: S.VoidRequest, response: voided() }),
  voidRefund: doc('voidRefund', 'Void a refund', P, { params: { id: 'The refund id' }, body: S.VoidRequest, response: voided() }),
  voidCredit: doc('voidCredit', 'Void a credit', P, { params: { id: 'The credit id' }, body: S.VoidRequest, response: voided() }),
  getCredit: doc('getCredit', 'Retrieve a credit', P, {
    params: { id: 'The credit id' },
    response: { 200: { description: 'The credit', schema: S.Credit }, 400: unknownId },
  }),
  getCapture: doc('getCapture', 'Retrieve a capture', P, read('capture', S.Capture)),
  getRefund: doc('getRefund', 'Retrieve a refund', P, read('refund', S.Refund)),
  getReversal: doc('getReversal', 'Retrieve a reversal', P, read('reversal', S.Reversal)),
  getVoid: doc('getVoid', 'Retrieve a void', P, read('void', S.Void)),
} satisfies Record<string, RouteSchema>;
