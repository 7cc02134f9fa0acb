/**
 * Cybersource refusals: the TMS error types and PTS reasons, each a GatewayRefusal (kit/refusal.ts) with its
 * HTTP status, rendered in its family's shape — TMS `{errors:[{type, message, details}]}`, PTS
 * `{submitTimeUtc, status, reason, message, details}` — plus the 401 body every route answers alike.
 */
import type { FastifyReply } from 'fastify';
import type { VaultFailure } from '../../../vault/errors.ts';
import type { Guard } from '../../guard.ts';
import type { Problem } from '../../problem.ts';
import { GatewayRefusal } from '../kit/refusal.ts';

/** TMS error types. */
export type TmsCode =
  | 'invalidFields'
  | 'missingFields'
  | 'invalidHeaders'
  | 'invalidRequest'
  | 'notFound'
  | 'notAvailable'
  | 'instrumentIdentifierDeletionError'
  | 'conflict'
  | 'forbidden'
  | 'tooManyRequests'
  | 'serviceUnavailable'
  | 'internalError'
  /** A refused authentication: its own body, on TMS and PTS routes alike. */
  | 'authenticationFailed';

/** PTS reasons, each with the `status` its body carries. */
const PTS_STATUS = {
  MISSING_FIELD: 'INVALID_REQUEST',
  INVALID_DATA: 'INVALID_REQUEST',
  INVALID_AMOUNT: 'INVALID_REQUEST',
  INVALID_CARD: 'INVALID_REQUEST',
  INVALID_PAYMENT_ID: 'INVALID_REQUEST',
  INVALID_MERCHANT_CONFIGURATION: 'INVALID_REQUEST',
  DUPLICATE_REQUEST: 'INVALID_REQUEST',
  NOT_VOIDABLE: 'INVALID_REQUEST',
  NOT_SUPPORTED: 'INVALID_REQUEST',
  SERVER_TIMEOUT: 'SERVER_ERROR',
  SYSTEM_ERROR: 'SERVER_ERROR',
  TOO_MANY_REQUESTS: 'SERVER_ERROR',
} as const;
export type PtsCode = keyof typeof PTS_STATUS;

export type CybersourceCode = TmsCode | PtsCode;
export type CybersourceRefusal = GatewayRefusal<CybersourceCode>;

const isPts = (code: string | number): code is PtsCode => Object.hasOwn(PTS_STATUS, code);

export interface TmsDetail {
  name: string;
  location: 'body' | 'path' | 'query' | 'header';
}

/** A TMS refusal. */
export const tmsError = (status: number, type: TmsCode, message: string, details: TmsDetail[] = []): CybersourceRefusal =>
  new GatewayRefusal<CybersourceCode>(type, {
    status,
    detail: message,
    fields: details.map((d) => ({ field: d.name, reason: type, location: d.location })),
  });

/** A PTS refusal. */
export const ptsError = (status: number, reason: PtsCode, message: string, details: { field: string; reason: string }[] = []) =>
  new GatewayRefusal<CybersourceCode>(reason, { status, detail: message, fields: details });

/** A refused authentication (the auth fault is what the guard audits). */
export const authError = (message: string, auth?: GatewayRefusal['auth']): CybersourceRefusal =>
  new GatewayRefusal<CybersourceCode>('authenticationFailed', { status: 401, detail: message, ...(auth ? { auth } : {}) });

export const submitTime = (d: Date): string => `${d.toISOString().slice(0, 19)}Z`;

/** The body of a refusal, in its family's shape. */
export function refusalBody(r: GatewayRefusal, now: Date): Record<string, unknown> {
  if (r.code === 'authenticationFailed') {
    return {
      errors: [{ type: 'authenticationFailed', message: `Authentication Failed: ${r.message}` }],
      response: { rmsg: 'Authentication Failed' },
    };
  }
  if (isPts(r.code)) {
    const details = r.fields.map((f) => ({ field: f.field, reason: f.reason }));
    return {
      submitTimeUtc: submitTime(now),
      status: PTS_STATUS[r.code],
      reason: r.code,
      message: r.message,
      ...(details.length ? { details } : {}),
    };
  }
  const details = r.fields.map((f) => ({ name: f.field, location: f.location ?? 'body' }));
  return { errors: [{ type: r.code, message: r.message, ...(details.length ? { details } : {}) }] };
}

export const render = (reply: FastifyReply, r: GatewayRefusal, now: Date): FastifyReply =>
  reply.code(r.status ?? 400).send(refusalBody(r, now));

const isPtsUrl = (url: string) => url.startsWith('/pts/');

/** The guard's 400/429/503 in the shape of the route's family. */
export function guardRenderer(now: () => Date): Parameters<Guard['renderer']>[1] {
  return (reply, status) => {
    const pts = isPtsUrl(reply.request.url);
    if (status === 400) {
      const message = 'The request URL is malformed';
      return render(reply, pts ? ptsError(400, 'INVALID_DATA', message) : tmsError(400, 'invalidRequest', message), now());
    }
    const limited = status === 429;
    const message = limited ? 'Too many requests; retry later' : 'The service is unavailable; retry later';
    const e = pts
      ? ptsError(status, limited ? 'TOO_MANY_REQUESTS' : 'SYSTEM_ERROR', message)
      : tmsError(status, limited ? 'tooManyRequests' : 'serviceUnavailable', message);
    return render(reply, e, now());
  };
}

/** A framework or unexpected error (as a Problem) in the shape of the route's family. */
export function problemRenderer(now: () => Date) {
  return (reply: FastifyReply, p: Problem): FastifyReply => {
    if (isPtsUrl(reply.request.url)) {
      const status = p.status >= 500 ? 502 : p.status;
      return render(reply, ptsError(status, p.status >= 500 ? 'SYSTEM_ERROR' : 'INVALID_DATA', p.detail ?? p.title), now());
    }
    const type = p.status >= 500 ? 'internalError' : p.status === 413 ? 'invalidFields' : 'invalidHeaders';
    return render(reply, tmsError(p.status, type, p.detail ?? p.title), now());
  };
}

export const notFound = (): CybersourceRefusal => tmsError(404, 'notFound', 'Token not found');

/** A vault failure in TMS terms; `fieldNames` maps vault field names to the request's JSON paths. */
export function tmsFailure(f: VaultFailure, fieldNames: Record<string, string> = {}): CybersourceRefusal {
  const details = (f.fields ?? []).map((x): TmsDetail => ({ name: fieldNames[x.field] ?? x.field, location: 'body' }));
  switch (f.error) {
    case 'customer_not_found':
    case 'card_not_found':
    case 'address_not_found':
    case 'card_deleted':
    case 'instrument_not_found':
      return notFound();
    case 'instrument_gone':
      return tmsError(410, 'notAvailable', 'The instrument identifier is no longer available: it was deleted');
    case 'instrument_in_use':
      return tmsError(
        409,
        'instrumentIdentifierDeletionError',
        'Action cannot be performed as the InstrumentIdentifier is associated with one or more PaymentInstruments',
      );
    case 'default_in_use':
      return tmsError(409, 'conflict', f.detail ?? 'The default cannot be deleted while others exist');
    case 'version_mismatch':
      return tmsError(412, 'conflict', 'The token was changed since it was read (if-match does not match)');
    default:
      return tmsError(400, 'invalidFields', f.detail ?? 'One or more fields contain invalid data', details);
  }
}

const AMOUNT_FIELD = 'orderInformation.amountDetails.totalAmount';
const CARD_FIELD = 'paymentInformation.card';

/** PTS refusals of vault failures that name a field of their own: [reason, message when the failure has none, field]. */
const PTS_FAILURES: Record<string, [PtsCode, string, string]> = {
  invalid_amount: ['INVALID_AMOUNT', 'The amount is not valid', AMOUNT_FIELD],
  amount_exceeds_authorized: ['INVALID_AMOUNT', 'The amount exceeds what is left', AMOUNT_FIELD],
  amount_exceeds_captured: ['INVALID_AMOUNT', 'The amount exceeds what is left', AMOUNT_FIELD],
  invalid_payment_state: ['INVALID_DATA', 'Not allowed in the payment state', 'id'],
  card_expired: ['INVALID_CARD', 'The expiration date is not valid', `${CARD_FIELD}.expirationYear`],
  invalid_expiry: ['INVALID_CARD', 'The expiration date is not valid', `${CARD_FIELD}.expirationYear`],
};

/** A payments-engine refusal in PTS terms; `field` names the request field it concerns. */
export function ptsFailure(f: VaultFailure, field = 'paymentInformation.customer.id'): CybersourceRefusal {
  const own = PTS_FAILURES[f.error];
  if (own) {
    const [reason, message, at] = own;
    return ptsError(400, reason, f.detail ?? message, [{ field: at, reason: reason === 'INVALID_AMOUNT' ? reason : 'INVALID_DATA' }]);
  }
  const detail = (at = field) => [{ field: at, reason: 'INVALID_DATA' }];
  switch (f.error) {
    case 'payment_not_found':
      return ptsError(400, 'INVALID_PAYMENT_ID', 'The payment id is not valid', detail('id'));
    case 'processor_unavailable':
      return ptsError(502, 'SERVER_TIMEOUT', 'The processor did not answer in time; nothing was charged. Retry later.');
    case 'token_expired':
      return ptsError(400, 'INVALID_CARD', 'The card has expired', detail());
    case 'invalid_card_number':
      return ptsError(400, 'INVALID_CARD', 'The card number is not valid', detail(`${CARD_FIELD}.number`));
    case 'invalid_cvv':
      return ptsError(400, 'INVALID_DATA', 'The security code is not valid', detail(`${CARD_FIELD}.securityCode`));
    case 'invalid_bank_account': {
      const bad =
        f.fields?.[0]?.field === 'routingNumber' ? 'paymentInformation.bank.routingNumber' : 'paymentInformation.bank.account.number';
      return ptsError(400, 'INVALID_DATA', f.fields?.[0]?.message ?? 'The bank account is not valid', detail(bad));
    }
    default:
      // Unknown, another merchant's, deleted, suspended or used-up tokens: indistinguishable on purpose.
      return ptsError(400, 'INVALID_DATA', 'The token is not valid for this payment', detail());
  }
}
