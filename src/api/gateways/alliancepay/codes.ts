/**
 * AlliancePay's error table as tokenvault serves it (docs/alliancepay.md): msgCode → HTTP status, msgText;
 * the refusals built from it and their rendering as AlliancePay's error envelope.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import type { VaultFailure } from '../../../vault/errors.ts';
import type { Problem } from '../../problem.ts';
import type { FieldIssue } from '../kit/fields.ts';
import { type AuthFault, GatewayRefusal, type RefusalOptions } from '../kit/refusal.ts';

export const CODES = {
  b_encryptor_failed_decrypt_message: [200, 'Failed to decrypt message'],
  b_virtual_device_not_found: [200, 'Virtual device not found'],
  b_refresh_token_absent: [200, 'Refresh token is absent'],
  b_merchant_not_found: [200, 'Merchant not found'],
  b_invalid_request: [200, 'Invalid request'],
  b_invalid_pan_format: [200, 'Invalid PAN format'],
  b_validation_card_expiration_date: [200, 'Card expiration date must be 4 digits YYMM and not in the past'],
  b_token_not_found: [200, 'Token not found'],
  b_token_not_active: [200, 'Token is not active'],
  b_duplicate_field_value: [400, 'Duplicate field value'],
  b_error_parse_json: [400, 'Error parsing JSON'],
  b_request_is_not_correct: [400, 'Request is not correct'],
  b_user_merchant_request_mismatch: [400, 'Merchant in the request does not match the session'],
  b_txn_not_allowed: [400, 'Transaction not allowed'],
  b_unknown_device: [401, 'Unknown device'],
  b_used_token: [401, '@Used Token Alert!'],
  b_expired_token: [401, 'Token expired'],
  payment_operation_not_found: [404, 'Payment operation not found'],
  b_server_is_overloaded: [503, 'Server is overloaded, retry later'],
  b_too_many_requests: [429, 'Too many requests, retry later'],
} as const;
export type Code = keyof typeof CODES;

export type Refusal = GatewayRefusal<Code>;

/** Refusals that mean the caller could not be authenticated (audited and counted by the guard). */
const AUTH_CODES: ReadonlySet<Code> = new Set<Code>([
  'b_merchant_not_found',
  'b_virtual_device_not_found',
  'b_refresh_token_absent',
  'b_unknown_device',
  'b_used_token',
  'b_expired_token',
  'b_encryptor_failed_decrypt_message',
]);

/**
 * A refusal with `code`; one of the authentication codes carries its audit reason (the code). The pipeline
 * audits it under the route's scheme unless it names one, and with the merchant only when it names one.
 */
export function refusal(code: Code, opts: RefusalOptions = {}): Refusal {
  return new GatewayRefusal(code, AUTH_CODES.has(code) && !opts.auth ? { ...opts, auth: { reason: code } } : opts);
}

/** A field refused: `b_invalid_request`, a VALIDATION_ERROR naming the field and why. */
export const invalid = (field: string, why: string): Refusal => refusal('b_invalid_request', { fields: [{ field, reason: why }] });

/** A value used before: `merchantRequestId`, or the request id (a replayed request: `auth` says so for the audit). */
export const duplicate = (field: 'merchantRequestId' | 'x-request_id', auth?: AuthFault): Refusal =>
  refusal('b_duplicate_field_value', { fields: [{ field, reason: 'used before' }], ...(auth ? { auth } : {}) });

/** How a field fault reads in `errorCauses` (`<field>: <why>`). */
export function fieldFault(field: string, issue: FieldIssue): Refusal {
  switch (issue.kind) {
    case 'missing':
    case 'notObject':
      return invalid(field, 'is required');
    case 'notString':
      return invalid(field, 'must be a string');
    case 'tooLong':
      return invalid(field, `must be at most ${issue.max} characters`);
    case 'control':
      return invalid(field, 'contains control characters');
    case 'cardNumber':
      return invalid(field, 'contains a card number');
    case 'unknown':
      return invalid(field, 'is not a field of this request');
    default:
      return invalid(field, 'has an invalid format');
  }
}

/** A vault failure of a payment, as AlliancePay words it. */
export function paymentRefusal(f: VaultFailure): Refusal {
  switch (f.error) {
    case 'card_not_found':
      return refusal('b_token_not_found');
    case 'token_suspended':
    case 'token_deleted':
    case 'token_consumed':
    case 'token_expired':
      return refusal('b_token_not_active');
    case 'processor_unavailable':
      return refusal('b_server_is_overloaded');
    case 'invalid_amount':
      return invalid('coinAmount', f.detail ?? 'is not a valid amount');
    case 'payment_not_found':
      return refusal('payment_operation_not_found');
    case 'reference_taken':
      return duplicate('merchantRequestId');
    default:
      return refusal('b_txn_not_allowed', { detail: f.detail ?? f.error });
  }
}

const header = (reply: FastifyReply, name: string): string | undefined => {
  const v = reply.request.headers[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
};

/**
 * AlliancePay's error envelope. `errorCauses`: the detail, else the fields at fault — with why, for a
 * field refused (VALIDATION_ERROR); by name alone for a duplicate.
 */
export function render(reply: FastifyReply, r: Refusal): FastifyReply {
  const [status, text] = CODES[r.code];
  const validation = r.code === 'b_invalid_request' && r.fields.length > 0;
  const causes = r.detail !== undefined ? [r.detail] : r.fields.map((f) => (validation ? `${f.field}: ${f.reason}` : f.field));
  return reply.code(status).send({
    requestId: header(reply, 'x-request_id') ?? randomUUID(),
    serviceId: 'api-gateway',
    msgCode: r.code,
    msgType: validation ? 'VALIDATION_ERROR' : 'ERROR',
    msgText: text,
    isLocalized: false,
    msgAttrs: {},
    errorCauses: causes,
  });
}

/** The guard's refusals (limits, database down, a URL the router refused) in AlliancePay's envelope. */
export const guardRenderer = (reply: FastifyReply, status: 400 | 429 | 503): FastifyReply =>
  render(reply, refusal(status === 429 ? 'b_too_many_requests' : status === 503 ? 'b_server_is_overloaded' : 'b_invalid_request'));

/** What Fastify refused before a handler ran (a body too large, a server fault). */
export const problemRenderer = (reply: FastifyReply, p: Problem): FastifyReply =>
  render(reply, refusal(p.status === 413 ? 'b_invalid_request' : p.status >= 500 ? 'b_server_is_overloaded' : 'b_error_parse_json'));
