/**
 * How AppotaPay reads a request's fields: the kit's field reader, each fault worded as AppotaPay answers it
 * (errorCode 1 naming the field by its path, e.g. `billing.email`), plus the parts several operations share
 * (the body, customer, billing, amount).
 */
import { isIP } from 'node:net';
import type { FastifyRequest } from 'fastify';
import { parseObject, rawText } from '../kit/body.ts';
import { type Body, type FieldIssue, fieldReader } from '../kit/fields.ts';
import { invalid } from './codes.ts';

export type { Body };

function reason(issue: FieldIssue): string {
  switch (issue.kind) {
    case 'missing':
      return 'is required';
    case 'notString':
      return 'must be a string';
    case 'notObject':
      return 'must be an object';
    case 'tooShort':
    case 'tooLong':
      return `must be ${issue.min} to ${issue.max} characters`;
    case 'format':
      return 'has an invalid format';
    case 'control':
      return 'contains control characters';
    default:
      return 'is not valid';
  }
}

const keyOf = (path: string): string => path.split('.').pop() as string;

/** The kit's reader, each fault naming the field by its path (errorCode 1). */
const fields = fieldReader((path, issue) => invalid(path, reason(issue)));

/**
 * A string field at `path` (its last segment is the key in `b`): undefined when absent or null (refused if
 * required); `min` to `max` characters, of `pattern`, no control characters.
 */
export function text(
  b: Body | undefined,
  path: string,
  opts: { min?: number; max: number; required?: boolean; pattern?: RegExp },
): string | undefined {
  // A minimum (1 unless given) makes "" a value AppotaPay refuses as too short, not an absent field.
  return fields.str(b ?? {}, keyOf(path), {
    as: path,
    min: opts.min ?? 1,
    max: opts.max,
    required: opts.required === true,
    noControl: true,
    ...(opts.pattern ? { pattern: opts.pattern } : {}),
  });
}

/** A required string field. */
export const need = (b: Body | undefined, path: string, opts: { min?: number; max: number; pattern?: RegExp }): string =>
  text(b, path, { ...opts, required: true }) as string;

/** A nested object at `path`: undefined when absent or null (refused if required). */
export const object = (b: Body | undefined, path: string, required = false): Body | undefined =>
  fields.object(b ?? {}, keyOf(path), required, path);

/** The request's JSON object body. */
export function body(request: FastifyRequest): Body {
  const parsed = parseObject(rawText(request.body));
  if (!parsed.ok) throw invalid('body', parsed.why === 'json' ? 'is not valid JSON' : 'must be a JSON object');
  return parsed.value;
}

const BILLING: [field: string, min: number, max: number, pattern?: RegExp][] = [
  ['firstName', 1, 50],
  ['lastName', 1, 50],
  ['email', 1, 255, /^[^@\s]+@[^@\s]+$/],
  ['phoneNumber', 8, 20, /^\+?[0-9 ]+$/],
  ['province', 1, 100],
  ['city', 1, 100],
  ['country', 2, 2, /^[A-Za-z]{2}$/],
  ['addressLine1', 1, 100],
  ['addressLine2', 1, 100],
  ['postalCode', 1, 10],
];

/** Billing is all-or-nothing; returns it as echoed (alternatePhoneNumber may be absent). */
export function readBilling(b: Body): Record<string, string> | undefined {
  const billing = object(b, 'billing');
  if (!billing) return undefined;
  const out: Record<string, string> = {};
  for (const [field, min, max, pattern] of BILLING) {
    out[field] = need(billing, `billing.${field}`, { min, max, ...(pattern ? { pattern } : {}) });
  }
  out.country = (out.country as string).toUpperCase();
  out.alternatePhoneNumber = text(billing, 'billing.alternatePhoneNumber', { min: 0, max: 20, pattern: /^\+?[0-9 ]*$/ }) ?? '';
  return out;
}

/** customer.browser is all-or-nothing too. */
export function readCustomer(b: Body): void {
  const customer = object(b, 'customer');
  if (!customer) return;
  const browser = object(customer, 'customer.browser');
  if (!browser) throw invalid('customer.browser', 'is required when customer is sent');
  const ip = need(browser, 'customer.browser.clientIp', { min: 7, max: 45 });
  if (isIP(ip) === 0) throw invalid('customer.browser.clientIp', 'must be an IPv4 or IPv6 address');
  need(browser, 'customer.browser.userAgent', { max: 500 });
  need(browser, 'customer.browser.referrer', { max: 500 });
  need(browser, 'customer.browser.acceptLanguage', { min: 2, max: 10 });
}

/** A positive whole amount of VND. */
export function readAmount(b: Body): number {
  const amount = b.amount;
  if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount <= 0) {
    throw invalid('amount', 'must be a positive whole number of VND');
  }
  const currency = text(b, 'currency', { max: 3, required: true });
  if (currency !== 'VND') throw invalid('currency', 'must be VND');
  return amount;
}
