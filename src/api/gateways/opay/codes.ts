/**
 * OPay's code table and how a refusal is worded on its wire: the envelope {code, message, data}, for the
 * operations' refusals, the guard's 400/429/503 and the error handler's problems alike.
 */
import type { FastifyReply } from 'fastify';
import type { Refusal as GuardStatus } from '../../guard.ts';
import type { Problem } from '../../problem.ts';
import { type FieldIssue, fieldReader } from '../kit/fields.ts';
import { GatewayRefusal } from '../kit/refusal.ts';

/** The code table (README): OPay's published codes where one fits, the rest documented here. */
export const OPAY_CODES = {
  success: ['00000', 'SUCCESSFUL'],
  auth: ['10001', 'Authentication failed: unknown MerchantId or the signature does not match'],
  header: ['98', 'Invalid request header: MerchantId and Authorization: Bearer <signature> are required'],
  params: ['99', 'Request parameters are not valid'],
  duplicate: ['20000', 'Duplicate merchant order number'],
  tokenNotFound: ['20001', 'Card token not found'],
  customerNotFound: ['20002', 'Customer not found'],
  expired: ['54', 'Expired card'],
  system: ['90', 'System failure'],
  limited: ['10002', 'Too many requests, retry later'],
} as const;

export type CodeName = keyof typeof OPAY_CODES;

/** OPay's envelope; a refusal's message is the code's text, then what the detail adds. */
export const envelope = (name: CodeName, data: unknown = null, detail?: string) => ({
  code: OPAY_CODES[name][0],
  message: detail ? `${OPAY_CODES[name][1]}: ${detail}` : OPAY_CODES[name][1],
  data,
});

export const refuse = (name: CodeName, detail?: string): GatewayRefusal<CodeName> =>
  new GatewayRefusal(name, detail === undefined ? {} : { detail });

/** A refusal in OPay's envelope: HTTP 200, data null. */
export const render = (reply: FastifyReply, refusal: GatewayRefusal): FastifyReply =>
  reply.send(envelope(refusal.code as CodeName, null, refusal.detail));

/** The guard's refusals (a malformed URL, over the rate, the database down) in OPay's envelope. */
export const renderGuard = (reply: FastifyReply, status: GuardStatus): FastifyReply =>
  reply
    .code(status)
    .send(status === 400 ? envelope('params', null, 'the request URL is malformed') : envelope(status === 429 ? 'limited' : 'system'));

/** A problem the error handler caught (too large, wrong content type, a bug) in OPay's envelope. */
export const renderProblem = (reply: FastifyReply, p: Problem): FastifyReply =>
  reply.code(p.status).send(envelope(p.status >= 500 ? 'system' : 'params', null, p.detail ?? p.title));

/** How OPay words a field's fault (after the `99` text). */
function fieldFault(field: string, issue: FieldIssue): string {
  switch (issue.kind) {
    case 'missing':
      return `${field} is required`;
    case 'notString':
      return `${field} must be a string`;
    case 'notObject':
      return `${field} must be an object`;
    case 'tooLong':
      return `${field} is longer than ${issue.max}`;
    case 'unknown':
      return `unknown field ${field}`;
    default:
      return `${field} is not valid`;
  }
}

/** OPay's fields, each fault a `99` naming the field. */
export const fields = fieldReader((field, issue) => refuse('params', fieldFault(field, issue)));

/** Vault card refusals in OPay's terms. */
export function cardRefusal(error: string, detail?: string): GatewayRefusal<CodeName> {
  if (error === 'card_expired') return refuse('expired', 'the card expiry is in the past');
  if (error === 'invalid_card_number') return refuse('params', 'cardNumber is not a valid card number');
  if (error === 'invalid_cvv') return refuse('params', 'cvv is not valid for this card');
  return refuse('params', detail);
}
