/**
 * Native API errors as application/problem+json (RFC 9457) with a stable `code`, plus the one place
 * that turns framework errors (validation, bad JSON, body too large, wrong media type) into that shape.
 * Stacks go to the log, never to a client.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { redactCardNumbers } from '../domain/pan-detector.ts';
import { classifyDbError, isDatabaseUnavailable } from '../store/errors.ts';
import type { FieldIssue, VaultErrorCode, VaultFailure } from '../vault/errors.ts';

export type ProblemCode =
  | VaultErrorCode
  | 'invalid_json'
  | 'unsupported_media_type'
  | 'body_too_large'
  | 'unauthorized'
  | 'forbidden'
  | 'origin_not_allowed'
  | 'not_found'
  | 'idempotency_key_reused'
  | 'idempotency_in_progress'
  | 'invalid_cursor'
  | 'invalid_if_match'
  | 'service_unavailable'
  | 'rate_limited'
  | 'header_too_large'
  | 'request_timeout'
  | 'internal_error';

const TABLE: Record<ProblemCode, { status: number; title: string }> = {
  customer_not_found: { status: 404, title: 'Customer not found' },
  card_not_found: { status: 404, title: 'Card not found' },
  address_not_found: { status: 404, title: 'Address not found' },
  merchant_not_found: { status: 404, title: 'Merchant not found' },
  api_key_not_found: { status: 404, title: 'API key not found' },
  not_found: { status: 404, title: 'Not found' },
  duplicate_customer_id: { status: 409, title: 'Duplicate customer id' },
  reference_taken: { status: 409, title: 'Reference already used' },
  version_mismatch: { status: 412, title: 'Precondition failed' },
  invalid_transition: { status: 409, title: 'Status change not allowed' },
  card_deleted: { status: 409, title: 'Card is deleted' },
  invalid_card_number: { status: 422, title: 'Invalid card number' },
  invalid_bank_account: { status: 422, title: 'Invalid bank account' },
  invalid_expiry: { status: 422, title: 'Invalid expiry' },
  card_expired: { status: 422, title: 'Card expired' },
  invalid_cvv: { status: 422, title: 'Invalid security code' },
  invalid_amount: { status: 400, title: 'Invalid amount or currency' },
  payment_not_found: { status: 404, title: 'Payment not found' },
  no_default_card: { status: 422, title: 'The customer has no default card' },
  token_suspended: { status: 422, title: 'The card is suspended' },
  token_deleted: { status: 422, title: 'The card is deleted' },
  token_consumed: { status: 422, title: 'The single-use card was already used' },
  token_expired: { status: 422, title: 'The card has expired' },
  processor_unavailable: { status: 503, title: 'Payment processor unavailable' },
  amount_exceeds_authorized: { status: 409, title: 'Amount exceeds what is left to capture' },
  amount_exceeds_captured: { status: 409, title: 'Amount exceeds what is left to refund' },
  invalid_payment_state: { status: 409, title: 'Not allowed in the payment state' },
  default_in_use: { status: 409, title: 'The default cannot be removed while others exist' },
  instrument_not_found: { status: 404, title: 'Instrument identifier not found' },
  instrument_gone: { status: 410, title: 'The instrument identifier was deleted' },
  instrument_in_use: { status: 409, title: 'The instrument identifier is used by cards' },
  invalid_key: { status: 400, title: 'Invalid key' },
  invalid_origin: { status: 400, title: 'Invalid origin' },
  invalid_request: { status: 400, title: 'Invalid request' },
  validation_failed: { status: 400, title: 'Validation failed' },
  invalid_json: { status: 400, title: 'Malformed JSON' },
  invalid_cursor: { status: 400, title: 'Invalid cursor' },
  invalid_if_match: { status: 400, title: 'Invalid If-Match header' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  body_too_large: { status: 413, title: 'Request body too large' },
  unauthorized: { status: 401, title: 'Unauthorized' },
  forbidden: { status: 403, title: 'Forbidden' },
  origin_not_allowed: { status: 403, title: 'Origin not allowed for this publishable key' },
  idempotency_key_reused: { status: 409, title: 'Idempotency key reused with a different request' },
  idempotency_in_progress: { status: 409, title: 'A request with this idempotency key is in progress' },
  service_unavailable: { status: 503, title: 'Service unavailable' },
  rate_limited: { status: 429, title: 'Too many requests' },
  header_too_large: { status: 431, title: 'Request header fields too large' },
  request_timeout: { status: 408, title: 'Request timeout' },
  internal_error: { status: 500, title: 'Internal error' },
};

/** The codes each HTTP status is answered with (for the OpenAPI documents). */
export function problemCodesByStatus(): Map<number, ProblemCode[]> {
  const out = new Map<number, ProblemCode[]>();
  for (const [code, { status }] of Object.entries(TABLE) as [ProblemCode, { status: number }][]) {
    out.set(status, [...(out.get(status) ?? []), code]);
  }
  return out;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: ProblemCode;
  detail?: string;
  errors?: readonly FieldIssue[];
}

export function problem(code: ProblemCode, detail?: string, errors?: readonly FieldIssue[]): Problem {
  const { status, title } = TABLE[code];
  return {
    type: `urn:tokenvault:error:${code}`,
    title,
    status,
    code,
    ...(detail !== undefined ? { detail } : {}),
    ...(errors && errors.length > 0 ? { errors } : {}),
  };
}

/** A problem thrown from a parser or hook, answered as is. */
export class HttpProblem extends Error {
  constructor(readonly problem: Problem) {
    super(problem.title);
  }
}

export function sendProblem(reply: FastifyReply, p: Problem): FastifyReply {
  return reply.code(p.status).type('application/problem+json').send(p);
}

export const sendFailure = (reply: FastifyReply, f: VaultFailure): FastifyReply => sendProblem(reply, problem(f.error, f.detail, f.fields));

/** Field path from Ajv's instancePath (/billingAddress/city → billingAddress.city). */
function fieldOf(v: { instancePath?: string; params?: Record<string, unknown> }, context: string): string {
  const base = (v.instancePath ?? '').replace(/^\//, '').replaceAll('/', '.');
  const extra = (v.params?.additionalProperty ?? v.params?.missingProperty) as string | undefined;
  const path = [base, extra].filter(Boolean).join('.');
  return redactCardNumbers(path || context);
}

function validationProblem(err: FastifyError): Problem {
  const context = (err as { validationContext?: string }).validationContext ?? 'body';
  const issues: FieldIssue[] = (err.validation ?? []).slice(0, 20).map((v) => {
    const keyword = v.keyword;
    const code =
      keyword === 'additionalProperties'
        ? 'unknown_field'
        : keyword === 'required'
          ? 'required'
          : keyword === 'type'
            ? 'wrong_type'
            : keyword;
    const message =
      keyword === 'additionalProperties' ? 'unknown field' : keyword === 'required' ? 'is required' : (v.message ?? 'is invalid');
    return { field: fieldOf(v, context), code, message };
  });
  return problem('validation_failed', `the request ${context} is invalid`, issues);
}

/** Maps anything thrown during a request to a problem. 5xx are logged with their stack; 4xx are the client's. */
export function problemFromError(err: FastifyError, request: FastifyRequest): Problem {
  if (err instanceof HttpProblem) return err.problem;
  if (err.validation) return validationProblem(err);
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return problem('body_too_large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return problem('unsupported_media_type', 'send application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return problem('invalid_json', 'the body is empty');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return problem('invalid_json', 'the body is not valid JSON');
  }
  if (err instanceof SyntaxError || err.name === 'SyntaxError') return problem('invalid_json', 'the body is not valid JSON');
  const dbError = classifyDbError(err);
  if (dbError === 'bad_text') return problem('invalid_request', 'the request contains a character that cannot be stored (NUL)');
  if (dbError === 'unavailable') {
    request.log.warn({ err: { message: err.message, code: err.code } }, 'database unavailable');
    return problem('service_unavailable', 'the database is unavailable; retry later');
  }
  const status = err.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    if (status === 404) return problem('not_found');
    if (status === 413) return problem('body_too_large');
    if (status === 415) return problem('unsupported_media_type');
    return problem('invalid_request', 'the request is malformed');
  }
  request.log.error({ err }, 'unhandled error');
  return problem('internal_error', 'an internal error occurred');
}

/** For callers that must tell an outage from a bug (the idempotency backlog): the store's classification. */
export { isDatabaseUnavailable };
