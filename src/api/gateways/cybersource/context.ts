/**
 * What every Cybersource operation is given and answers, and the request readers the TMS operations share
 * (ids in the path, paging, If-Match, the records a path names).
 */
import type { FastifyRequest } from 'fastify';
import type { CardPaymentService } from '../../../vault/card-payments.ts';
import type { CardService, CardView } from '../../../vault/cards.ts';
import type { AddressView, CustomerService, CustomerView } from '../../../vault/customers.ts';
import type { Caller } from '../../../vault/deps.ts';
import type { MerchantService } from '../../../vault/merchants.ts';
import type { PaymentService } from '../../../vault/payments.ts';
import type { ReplayService } from '../../../vault/replay.ts';
import type { Guard } from '../../guard.ts';
import { liveCard } from '../kit/cards.ts';
import type { Authenticated } from './auth.ts';
import { notFound, tmsError } from './codes.ts';
import { type Json, tms } from './fields.ts';
import { etag, type Presented } from './present.ts';

export interface CybersourceDeps {
  merchants: MerchantService;
  cards: CardService;
  customers: CustomerService;
  payments: PaymentService;
  cardPayments: CardPaymentService;
  now: () => Date;
  skewSeconds: number;
  guard: Guard;
  /** Replay claims and kept first answers, shared by every instance (replay.ts). */
  replays: ReplayService;
}

/** What an operation answers; `unmask` lets an MLE answer carry one instrument's full card number. */
export interface Answer {
  status: number;
  body?: Json;
  etag?: string;
  unmask?: { instrumentId: string; build: (pan: string) => Json };
}

/** One authenticated request, with the vault services an operation uses. */
export interface Ctx {
  deps: CybersourceDeps;
  caller: Caller;
  auth: Authenticated;
  presented: Presented;
  params: Record<string, string>;
  query: Record<string, string | undefined>;
  body: Json | undefined;
  headers: FastifyRequest['headers'];
}

export type Handler = (ctx: Ctx) => Promise<Answer>;

export const ID = /^[A-Za-z0-9_-]{1,64}$/;

/** A path id: an id of the wrong form is a token that does not exist. */
export function param(ctx: Ctx, name: string): string {
  const v = ctx.params[name] ?? '';
  if (!ID.test(v)) throw notFound();
  return v;
}

export function paging(ctx: Ctx): { offset: number; limit: number } {
  const read = (name: string, dflt: number, min: number, max: number) => {
    const v = ctx.query[name];
    if (v === undefined || v === '') return dflt;
    if (!/^[0-9]{1,9}$/.test(v) || Number(v) < min || Number(v) > max) {
      throw tmsError(400, 'invalidFields', `${name} must be a whole number from ${min} to ${max}`, [{ name, location: 'query' }]);
    }
    return Number(v);
  };
  return { offset: read('offset', 0, 0, 1_000_000_000), limit: read('limit', 20, 1, 100) };
}

/** The If-Match header against a record: undefined when absent, else whether it names this version. */
export function ifMatchHolds(value: string | undefined, id: string, version: number): boolean | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const want = etag(id, version);
  return value.split(',').some((v) => {
    const t = v.trim().replace(/^W\//, '');
    return t === want || `"${t}"` === want || t === '*';
  });
}

/** The If-Match header of a PATCH against the record's current version: 412 when stale. */
export function checkIfMatch(ctx: Ctx, id: string, version: number): number | null {
  const h = ctx.headers['if-match'];
  const held = ifMatchHolds(typeof h === 'string' ? h : undefined, id, version);
  if (held === false) throw tmsError(412, 'conflict', 'The token was changed since it was read (if-match does not match)');
  return held === true ? version : null;
}

/** Gateway extras kept on a record: only the named objects that are present. */
export function extras(body: Json | undefined, keys: string[]): Json {
  const out: Json = {};
  for (const k of keys) {
    const v = tms.obj(body, k);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/** The Cybersource extras a record keeps, merged with `kept` (as its attributes). */
export const mergedAttributes = (attributes: Record<string, string>, kept: Json): { cybersource: string } => ({
  cybersource: JSON.stringify({ ...JSON.parse(attributes.cybersource ?? '{}'), ...kept }),
});

/** A payment instrument the caller has (of `customerId`, when given); else 404. */
export async function cardOf(ctx: Ctx, token: string, customerId?: string): Promise<CardView> {
  const card = await liveCard(ctx.deps.cards, ctx.caller, token);
  if (!card || (customerId !== undefined && card.customerId !== customerId)) throw notFound();
  return card;
}

export async function customerOf(ctx: Ctx, id: string): Promise<CustomerView> {
  const r = await ctx.deps.customers.get(ctx.caller, id);
  if (!r.ok) throw notFound();
  return r.value;
}

export async function addressOf(ctx: Ctx, customerId: string, id: string): Promise<AddressView> {
  const r = await ctx.deps.customers.getAddress(ctx.caller, customerId, id);
  if (!r.ok) throw notFound();
  return r.value;
}
