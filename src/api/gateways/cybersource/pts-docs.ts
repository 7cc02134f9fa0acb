/** The OpenAPI side of each PTS operation (routes.ts maps paths to operations; doc.ts expands these). */
import { doc, type RouteSchema } from './doc.ts';
import * as S from './schemas/index.ts';

const P = 'payments';
const paymentP = { id: 'The payment id' };
const followUpRefusal = {
  description:
    'A field is invalid, the payment id is unknown (`INVALID_PAYMENT_ID`), the amount is more than is left (`INVALID_AMOUNT`), or the payment’s state does not allow it',
};
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
    description: 'The whole authorized amount, or part of it.',
    params: paymentP,
    body: S.CaptureRequest,
    response: { 201: { description: 'The capture (`status: PENDING`)', schema: S.Capture }, 400: followUpRefusal },
  }),
  authReversal: doc('authReversal', 'Reverse an authorization', P, {
    description: 'A full reversal of an authorization not yet captured.',
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
    description: 'A capture’s id is its payment’s; the same as refunding the payment.',
    params: { id: 'The capture id (its payment’s id)' },
    body: S.RefundRequest,
    response: refund(),
  }),
} satisfies Record<string, RouteSchema>;
