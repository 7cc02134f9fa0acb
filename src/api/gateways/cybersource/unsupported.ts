/**
 * What `/tms` and `/pts` answer outside the route table, always in Cybersource's shape (never the native
 * problem body): the SDK operations tokenvault does not serve are refused by name — PTS 400 `NOT_SUPPORTED`
 * (a reason of every PTS 400 model), TMS 403 `forbidden` (what TMS answers for a service not enabled; it has no
 * "not supported" type) — and any other path is a 404 (TMS `notFound`, PTS `NOT_SUPPORTED`). Choices, as
 * Cybersource's own answers to these were not found (docs/cybersource.md "Not served").
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type CybersourceRefusal, ptsError, render, tmsError } from './codes.ts';

type Unsupported = [method: string, path: RegExp, operation: string];

const SEG = '[^/?]+';
const at = (path: string) => new RegExp(`^${path.replaceAll('{id}', SEG)}/?(?:\\?.*)?$`);

/** The SDK (cybersource-rest-client 0.0.83, src/api/*.js) operations of the issue's APIs that are not served. */
export const UNSUPPORTED: Unsupported[] = [
  ['PATCH', at('/pts/v2/payments/{id}'), 'PaymentsApi.incrementAuth'],
  ['POST', at('/pts/v2/refresh-payment-status/{id}'), 'PaymentsApi.refreshPaymentStatus'],
  ['POST', at('/pts/v2/payment-references'), 'PaymentsApi.createSessionRequest'],
  ['PATCH', at('/pts/v2/payment-references/{id}'), 'PaymentsApi.updateSessionRequest'],
  ['POST', at('/pts/v2/payment-references/{id}/intents'), 'PaymentsApi.createOrderRequest'],
  ['POST', at('/pts/v2/reversals'), 'ReversalApi.mitReversal'],
  ['POST', at('/pts/v2/voids'), 'VoidApi.mitVoid'],
  ['POST', at('/tms/v1/instrumentidentifiers/{id}/enrollment'), 'InstrumentIdentifierApi.postInstrumentIdentifierEnrollment'],
  ['POST', at('/tms/v2/tokenize'), 'TokenizeApi.tokenize'],
  ['GET', at('/tms/v2/tokens/{id}/{id}/assets/{id}'), 'NetworkTokensApi (card art assets)'],
  ['GET', at('/tms/v2/tokenized-cards/{id}'), 'NetworkTokensApi.getTokenizedCard'],
  ['POST', at('/tms/v2/tokenized-cards'), 'NetworkTokensApi.postTokenizedCard'],
  ['POST', at('/tms/v2/tokenized-cards/{id}/delete'), 'NetworkTokensApi.deleteTokenizedCard'],
  ['POST', at('/tms/v2/tokenized-cards/{id}/issuer-life-cycle-event-simulations'), 'NetworkTokensApi (life-cycle simulation)'],
  ['POST', at('/tms/v2/tokens/{id}/payment-credentials'), 'NetworkTokensApi (payment credentials)'],
  ['POST', at('/tms/v3/tokens/{id}/payment-credentials'), 'NetworkTokensApi (payment credentials)'],
];

/** The refusal of a request no route takes. */
export function unrouted(method: string, url: string): CybersourceRefusal {
  const pts = url.startsWith('/pts/');
  const known = UNSUPPORTED.find(([m, path]) => m === method && path.test(url));
  if (known) {
    const message = `${known[2]} is not supported by this vault`;
    return pts ? ptsError(400, 'NOT_SUPPORTED', message) : tmsError(403, 'forbidden', message);
  }
  const message = `No such resource: ${method} ${url.split('?')[0]}`;
  return pts ? ptsError(404, 'NOT_SUPPORTED', message) : tmsError(404, 'notFound', message);
}

/** Answers requests no `/tms` or `/pts` route takes, in the family's shape. */
export function registerUnrouted(app: FastifyInstance, now: () => Date): void {
  const handler = (request: FastifyRequest, reply: FastifyReply) => render(reply, unrouted(request.method, request.url), now());
  for (const prefix of ['/tms', '/pts']) {
    app.register(
      async (scope) => {
        scope.setNotFoundHandler(handler);
      },
      { prefix },
    );
  }
}
