/**
 * The AlliancePay wire as tokenvault serves it (docs/alliancepay.md), for the OpenAPI document: every
 * route's request (headers, the JWE body and, under `x-payload-schema`, the JSON inside it) and every
 * answer it can give. The handler in routes.ts reads and refuses fields itself (documentWire), so these
 * schemas describe it; test/gateways/alliancepay/openapi.test.ts holds the two together.
 *
 * Errors are AlliancePay's envelope (`msgCode`, `msgType`, …) and many of them come with HTTP 200, as the
 * gateway's own error table has them: a 200 answer is either `{jwe}` (success) or an error envelope.
 */
import { errorResponse, type OperationDoc, OVERLOADED, ok, SESSION_200, SESSION_400, TOO_MANY } from './schemas/answers.ts';
import { API_VERSION, JWE_PATTERN, REQUEST_ID, type Schema } from './schemas/fields.ts';
import { paymentDocs } from './schemas/payments.ts';
import { refundDocs } from './schemas/refunds.ts';
import { tokenDocs } from './schemas/tokens.ts';

export { authorizeRouteSchema } from './schemas/session.ts';

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
  refund: '/ecom/execute_request/payments/v3/refund',
  operation: '/ecom/execute_request/payments/v1/operations',
  byReference: '/ecom/execute_request/payments/v1/operation/by_merchant_request_id',
} as const;
export type SessionPath = (typeof PATHS)[keyof typeof PATHS];

const SESSION_SECURITY = [{ [DEVICE_SCHEME]: [], [REFRESH_SCHEME]: [] }];

const DOCS: Record<keyof typeof PATHS, OperationDoc> = { ...tokenDocs, ...paymentDocs, ...refundDocs };
const OPS = Object.fromEntries(Object.entries(PATHS).map(([name, path]) => [path, DOCS[name as keyof typeof PATHS]])) as Record<
  SessionPath,
  OperationDoc
>;

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
      'x-payload-schema': op.payload,
      examples: [op.requestJwe],
    },
    response: {
      200: ok(op.answer, codes200, op.ok),
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
