/** What the TMS and PTS handlers share: their dependencies, their context and what they answer. */
import type { FastifyRequest } from 'fastify';
import type { CardService } from '../../../vault/cards.ts';
import type { CustomerService } from '../../../vault/customers.ts';
import type { Caller } from '../../../vault/deps.ts';
import type { MerchantService } from '../../../vault/merchants.ts';
import type { PaymentService } from '../../../vault/payments.ts';
import type { Guard } from '../../guard.ts';
import type { Authenticated } from './auth.ts';
import type { Json, Presented } from './wire.ts';

export interface CybersourceDeps {
  merchants: MerchantService;
  cards: CardService;
  customers: CustomerService;
  payments: PaymentService;
  now: () => Date;
  skewSeconds: number;
  guard: Guard;
}

/** What a handler answers; `unmask` lets an MLE answer carry one instrument's full card number. */
export interface Answer {
  status: number;
  body?: Json;
  etag?: string;
  unmask?: { instrumentId: string; build: (pan: string) => Json };
}

export interface Ctx {
  caller: Caller;
  auth: Authenticated;
  presented: Presented;
  params: Record<string, string>;
  query: Record<string, string | undefined>;
  body: Json | undefined;
  headers: FastifyRequest['headers'];
}

export type Handler = (ctx: Ctx) => Promise<Answer>;
