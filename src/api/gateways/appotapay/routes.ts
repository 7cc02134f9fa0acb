/**
 * AppotaPay merchant-hosted credit-card tokens, wire-compatible (docs/appotapay.md): token create and
 * delete, charges with SINGLE and MULTIPLE tokens, charge lookup and capture, refunds and reversals with their
 * detail calls, with AppotaPay's HS256 JWT
 * (X-APPOTAPAY-AUTH), request-id deduplication and Vietnamese or English messages. This file is the route
 * table: each path, its documented schema and the operation it runs.
 */
import type { FastifyInstance, FastifyRequest, HTTPMethods } from 'fastify';
import type { Caller } from '../../../vault/deps.ts';
import { gatewayErrorHandler } from '../../guard.ts';
import { documentWire } from '../../openapi.ts';
import { keepRawBody } from '../kit/body.ts';
import { firstAnswers } from '../kit/first-answers.ts';
import type { GatewayDeps } from '../kit/module.ts';
import { guardRenderer, renderProblem } from './codes.ts';
import { body } from './fields.ts';
import { handler } from './handler.ts';
import { capture, charge, getCharge } from './operations/charges.ts';
import { createRefund, createReversal, getRefund, getReversal } from './operations/follow-ons.ts';
import { createToken, deleteToken } from './operations/tokens.ts';
import {
  captureBody,
  chargeBody,
  chargeGetQuery,
  chargeIdParams,
  SECURITY,
  TAGS,
  tokenCreateBody,
  tokenDeleteQuery,
  tokenIdParams,
} from './schemas.ts';
import { chargeAnswer, responses, tokenAnswer, tokenDeleteAnswer } from './schemas-answers.ts';
import { followOnParams, followOnQuery, refundAnswer, refundBody, reversalAnswer, reversalBody } from './schemas-follow-ons.ts';

export type AppotaPayDeps = Pick<GatewayDeps, 'merchants' | 'cards' | 'payments' | 'now' | 'guard' | 'replays'>;

interface Route {
  method: HTTPMethods;
  url: string;
  schema: () => Record<string, unknown>;
  run: (deps: AppotaPayDeps, caller: Caller, request: FastifyRequest) => Promise<unknown>;
}

const params = (request: FastifyRequest) => request.params as Record<string, string>;
const query = (request: FastifyRequest) => request.query as Record<string, string | undefined>;
const common = { security: SECURITY, produces: ['application/json'] };

const ROUTES: Route[] = [
  {
    method: 'POST',
    url: '/credit-card/token',
    schema: () => ({
      operationId: 'createToken',
      summary: 'Tokenize a card',
      description:
        'Stores the card and answers a token for the charge API. `SINGLE` tokens pay once, `MULTIPLE` many times. The card number must pass the Luhn check (else errorCode `61`) and the card must not have expired (`63`); `merchantRefId` is unique among your tokens (`84`).',
      tags: [TAGS.tokens],
      ...common,
      consumes: ['application/json'],
      body: tokenCreateBody(),
      response: responses({ description: 'The token', ...tokenAnswer() }, { 400: [1, 61, 63, 84] }),
    }),
    run: (deps, caller, request) => createToken(deps.cards, caller, body(request)),
  },
  {
    method: 'DELETE',
    url: '/credit-card/token/:tokenId',
    schema: () => ({
      operationId: 'deleteToken',
      summary: 'Delete a token',
      description:
        'Deletes the token and the card it holds; it can no longer be charged (errorCode `109`). Its past charges stay readable. `merchantRefId` is your reference for this request, single-use among deletes (errorCode `4`).',
      tags: [TAGS.tokens],
      ...common,
      params: tokenIdParams(),
      querystring: tokenDeleteQuery(),
      response: responses({ description: 'The token is deleted', ...tokenDeleteAnswer() }, { 400: [1, 4, 9, 109], 403: [86], 404: [43] }),
    }),
    run: (deps, caller, request) => deleteToken(deps.cards, caller, params(request).tokenId ?? '', query(request)),
  },
  {
    method: 'POST',
    url: '/credit-card/charge',
    schema: () => ({
      operationId: 'createCharge',
      summary: 'Charge a token',
      description:
        'Authorizes the amount on the token’s card, and captures it too when `capture` is true. A declined charge is refused with the decline’s code (`60` do not honour, `63` expired, `64` insufficient funds, `65` lost or stolen, `67` authentication failed, `70` invalid CVN) and stays readable with status `FAILED`. A card that needs 3-D Secure is refused with `9`, nothing charged.',
      tags: [TAGS.charges],
      ...common,
      consumes: ['application/json'],
      body: chargeBody(),
      response: responses(
        { ...chargeAnswer('The charge: `AUTHORIZED`, or `CAPTURED` when `capture` was true') },
        { 400: [1, 4, 9, 41, 60, 63, 64, 65, 67, 70, 92, 109], 403: [86], 404: [43] },
      ),
    }),
    run: (deps, caller, request) => charge(deps, caller, body(request)),
  },
  {
    method: 'GET',
    url: '/credit-card/charge/:id',
    schema: () => ({
      operationId: 'getCharge',
      summary: 'Read a charge',
      description:
        'By AppotaPay’s charge `id` (default) or by your `merchantRefId` (`referenceType=MERCHANT_REFERENCE_ID`). Only charges made through this API are found.',
      tags: [TAGS.charges],
      ...common,
      params: chargeIdParams('id', 'The charge `id`, or its `merchantRefId` with `referenceType=MERCHANT_REFERENCE_ID`'),
      querystring: chargeGetQuery(),
      response: responses({ ...chargeAnswer('The charge') }, { 404: [14] }),
    }),
    run: (deps, caller, request) => getCharge(deps, caller, params(request).id ?? '', query(request)),
  },
  {
    method: 'POST',
    url: '/credit-card/:authorizationId/capture',
    schema: () => ({
      operationId: 'captureCharge',
      summary: 'Capture an authorized charge',
      description:
        'Captures up to what is left of the authorized amount. More than that is refused with errorCode `1`; a charge that cannot be captured (failed, voided) with `9`.',
      tags: [TAGS.charges],
      ...common,
      consumes: ['application/json'],
      params: chargeIdParams('authorizationId', 'The `id` of the charge that authorized'),
      body: captureBody(),
      response: responses({ ...chargeAnswer('The charge, `CAPTURED`') }, { 400: [1, 9], 404: [14] }),
    }),
    run: (deps, caller, request) => capture(deps, caller, params(request).authorizationId ?? '', body(request)),
  },
  {
    method: 'POST',
    url: '/credit-card/refund',
    schema: () => ({
      operationId: 'createRefund',
      summary: 'Refund a captured charge',
      description:
        'Refunds part or all of a `CAPTURED` charge; several partial refunds may be made while their total is not more than the captured amount (else errorCode `12`). At least 1000 VND (`45`), within 6 months of the charge (`83`). A charge not captured is refused with `11`, one refunded in full with `10`; a processor refusing the refund with `25`.',
      tags: [TAGS.refunds],
      ...common,
      consumes: ['application/json'],
      body: refundBody(),
      response: responses(refundAnswer('The refund, `success`'), { 400: [1, 4, 10, 11, 12, 25, 45, 83], 404: [14] }),
    }),
    run: (deps, caller, request) => createRefund(deps, caller, body(request)),
  },
  {
    method: 'GET',
    url: '/credit-card/refund/:creditCardRefundId',
    schema: () => ({
      operationId: 'getRefund',
      summary: 'Read a refund',
      description:
        'By the `refundId` (default) or by your `merchantRefId` (`referenceType=MERCHANT_REFERENCE_ID`); the same body as the create.',
      tags: [TAGS.refunds],
      ...common,
      params: followOnParams('creditCardRefundId', 'refund'),
      querystring: followOnQuery('refund'),
      response: responses(refundAnswer('The refund'), { 404: [111] }),
    }),
    run: (deps, caller, request) => getRefund(deps, caller, params(request).creditCardRefundId ?? '', query(request)),
  },
  {
    method: 'POST',
    url: '/credit-card/reversal',
    schema: () => ({
      operationId: 'createReversal',
      summary: 'Reverse an authorization',
      description:
        'Releases the whole of an `AUTHORIZED` charge not yet captured, within 7 days of the authorization (`114`). A charge reversed already is refused with `115`, one that is not an open authorization (captured, failed) with `116`; a processor refusing the reversal with `113`.',
      tags: [TAGS.reversals],
      ...common,
      consumes: ['application/json'],
      body: reversalBody(),
      response: responses(reversalAnswer('The reversal, `success`'), { 400: [1, 4, 113, 114, 115, 116], 404: [14] }),
    }),
    run: (deps, caller, request) => createReversal(deps, caller, body(request)),
  },
  {
    method: 'GET',
    url: '/credit-card/reversal/:creditCardReversalId',
    schema: () => ({
      operationId: 'getReversal',
      summary: 'Read a reversal',
      description:
        'By the `reversalId` (default) or by your `merchantRefId` (`referenceType=MERCHANT_REFERENCE_ID`); the same body as the create.',
      tags: [TAGS.reversals],
      ...common,
      params: followOnParams('creditCardReversalId', 'reversal'),
      querystring: followOnQuery('reversal'),
      response: responses(reversalAnswer('The reversal'), { 404: [112] }),
    }),
    run: (deps, caller, request) => getReversal(deps, caller, params(request).creditCardReversalId ?? '', query(request)),
  },
];

export async function registerAppotaPay(app: FastifyInstance, deps: AppotaPayDeps): Promise<void> {
  deps.guard.renderer('appotapay', guardRenderer);
  const answers = firstAnswers(deps.replays.firstAnswers);
  const handle = handler(deps, answers);
  app.register(async (scope) => {
    keepRawBody(scope, 'string');
    answers.install(scope);
    scope.setErrorHandler(gatewayErrorHandler('appotapay', deps.guard, renderProblem));
    documentWire(scope);
    for (const r of ROUTES) {
      scope.route({ method: r.method, url: r.url, schema: r.schema(), handler: handle((caller, request) => r.run(deps, caller, request)) });
    }
  });
}
