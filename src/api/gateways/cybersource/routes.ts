/**
 * Cybersource Token Management Service (TMS) and payments (PTS), wire-compatible with the official SDKs
 * (docs/cybersource.md): the route table. Each path maps to an operation (operations/*.ts) and its OpenAPI
 * side (tms-docs.ts, pts-docs.ts); every route runs the kit's one pipeline with Cybersource's parts (respond.ts).
 */
import type { FastifyInstance } from 'fastify';
import { gatewayErrorHandler } from '../../guard.ts';
import { documentWire } from '../../openapi.ts';
import { keepRawBody } from '../kit/body.ts';
import { firstAnswers } from '../kit/first-answers.ts';
import { guardRenderer, problemRenderer } from './codes.ts';
import type { CybersourceDeps, Handler } from './context.ts';
import * as customers from './operations/customers.ts';
import { followOns } from './operations/follow-ons.ts';
import * as instruments from './operations/instrument-identifiers.ts';
import * as pis from './operations/payment-instruments.ts';
import { payments } from './operations/payments.ts';
import * as addresses from './operations/shipping-addresses.ts';
import { PTS_DOCS } from './pts-docs.ts';
import { type Family, responder } from './respond.ts';
import { TMS_DOCS } from './tms-docs.ts';
import { registerUnrouted } from './unsupported.ts';

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
type Route = [method: Method, path: string, handler: Handler, doc: keyof typeof TMS_DOCS | keyof typeof PTS_DOCS];

const c = '/tms/v2/customers/:customerId';
const ii = '/tms/v1/instrumentidentifiers/:instrumentId';
const pi = '/tms/v1/paymentinstruments';

const TMS: Route[] = [
  ['POST', '/tms/v2/customers', customers.createCustomer, 'postCustomer'],
  ['GET', c, customers.getCustomer, 'getCustomer'],
  ['PATCH', c, customers.patchCustomer, 'patchCustomer'],
  ['DELETE', c, customers.deleteCustomer, 'deleteCustomer'],
  ['POST', `${c}/payment-instruments`, pis.createCustomerPaymentInstrument, 'postCustomerPaymentInstrument'],
  ['GET', `${c}/payment-instruments`, pis.listCustomerPaymentInstruments, 'getCustomerPaymentInstrumentsList'],
  ['GET', `${c}/payment-instruments/:piId`, pis.getCustomerPaymentInstrument, 'getCustomerPaymentInstrument'],
  ['PATCH', `${c}/payment-instruments/:piId`, pis.patchCustomerPaymentInstrument, 'patchCustomersPaymentInstrument'],
  ['DELETE', `${c}/payment-instruments/:piId`, pis.deleteCustomerPaymentInstrument, 'deleteCustomerPaymentInstrument'],
  ['POST', `${c}/shipping-addresses`, addresses.createAddress, 'postCustomerShippingAddress'],
  ['GET', `${c}/shipping-addresses`, addresses.listAddresses, 'getCustomerShippingAddressesList'],
  ['GET', `${c}/shipping-addresses/:addressId`, addresses.getAddress, 'getCustomerShippingAddress'],
  ['PATCH', `${c}/shipping-addresses/:addressId`, addresses.patchAddress, 'patchCustomersShippingAddress'],
  ['DELETE', `${c}/shipping-addresses/:addressId`, addresses.deleteAddress, 'deleteCustomerShippingAddress'],
  ['POST', '/tms/v1/instrumentidentifiers', instruments.createInstrument, 'postInstrumentIdentifier'],
  ['GET', ii, instruments.getInstrument, 'getInstrumentIdentifier'],
  ['PATCH', ii, instruments.patchInstrument, 'patchInstrumentIdentifier'],
  ['DELETE', ii, instruments.deleteInstrument, 'deleteInstrumentIdentifier'],
  ['GET', `${ii}/paymentinstruments`, instruments.listInstrumentPaymentInstruments, 'getInstrumentIdentifierPaymentInstrumentsList'],
  ['POST', pi, pis.createStandalonePaymentInstrument, 'postPaymentInstrument'],
  ['GET', `${pi}/:piId`, pis.getPaymentInstrument, 'getPaymentInstrument'],
  ['PATCH', `${pi}/:piId`, pis.patchPaymentInstrumentById, 'patchPaymentInstrument'],
  ['DELETE', `${pi}/:piId`, pis.deletePaymentInstrumentById, 'deletePaymentInstrument'],
];

const PTS: Route[] = [
  ['POST', '/pts/v2/payments', payments.createPayment, 'createPayment'],
  ['POST', '/pts/v2/credits', payments.createCredit, 'createCredit'],
  ['GET', '/pts/v2/payments/:id', payments.getPayment, 'getPayment'],
  ['GET', '/pts/v2/credits/:id', followOns.getCredit, 'getCredit'],
  ['POST', '/pts/v2/payments/:id/captures', followOns.capture, 'capturePayment'],
  ['POST', '/pts/v2/payments/:id/reversals', followOns.reversal, 'authReversal'],
  ['POST', '/pts/v2/payments/:id/refunds', followOns.refundPayment, 'refundPayment'],
  ['POST', '/pts/v2/captures/:id/refunds', followOns.refundCapture, 'refundCapture'],
  ['POST', '/pts/v2/payments/:id/voids', followOns.voidPayment, 'voidPayment'],
  ['POST', '/pts/v2/captures/:id/voids', followOns.voidCapture, 'voidCapture'],
  ['POST', '/pts/v2/refunds/:id/voids', followOns.voidRefund, 'voidRefund'],
  ['POST', '/pts/v2/credits/:id/voids', followOns.voidCredit, 'voidCredit'],
  ['GET', '/pts/v2/captures/:id', followOns.getCapture, 'getCapture'],
  ['GET', '/pts/v2/refunds/:id', followOns.getRefund, 'getRefund'],
  ['GET', '/pts/v2/reversals/:id', followOns.getReversal, 'getReversal'],
  ['GET', '/pts/v2/voids/:id', followOns.getVoid, 'getVoid'],
];

const DOCS = { ...TMS_DOCS, ...PTS_DOCS };

export async function registerCybersource(app: FastifyInstance, deps: CybersourceDeps): Promise<void> {
  const answers = firstAnswers(deps.replays.firstAnswers);
  const respond = responder(deps, answers);
  deps.guard.renderer('cybersource', guardRenderer(deps.now));
  registerUnrouted(app, deps.now);
  app.register(async (scope) => {
    // Bodies stay raw bytes: the digest is checked over exactly what was sent.
    keepRawBody(scope, 'buffer');
    answers.install(scope);
    scope.setErrorHandler(gatewayErrorHandler('cybersource', deps.guard, problemRenderer(deps.now)));
    documentWire(scope);
    const table: [Family, Route[]][] = [
      ['tms', TMS],
      ['pts', PTS],
    ];
    for (const [family, routes] of table) {
      for (const [method, url, handler, doc] of routes) scope.route({ method, url, schema: DOCS[doc], handler: respond(family, handler) });
    }
  });
}
