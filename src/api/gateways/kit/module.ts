/**
 * What a gateway is to the rest of the server. Each gateway folder's index.ts exports one GatewayModule and
 * src/api/gateways/index.ts lists them in GATEWAYS; app wiring, the guard's API names and paths, the log's
 * redacted headers, provisioning, the admin API and CLI options, configuration and the OpenAPI documents all
 * derive from that list, so a new gateway is one folder and one line.
 *
 * The module itself is light (no web framework, no JOSE): the CLI reads it to provision credentials. What
 * serves HTTP is loaded on demand by `server()`.
 */
import type { FastifyInstance } from 'fastify';
import type { Config } from '../../../config.ts';
import type { CardPaymentService } from '../../../vault/card-payments.ts';
import type { CardService } from '../../../vault/cards.ts';
import type { CustomerCardService } from '../../../vault/customer-cards.ts';
import type { CustomerService } from '../../../vault/customers.ts';
import type { MerchantService } from '../../../vault/merchants.ts';
import type { OutboxService } from '../../../vault/outbox.ts';
import type { PaymentService } from '../../../vault/payments.ts';
import type { ReplayService } from '../../../vault/replay.ts';
import type { SessionService } from '../../../vault/sessions.ts';
import type { ApiDocument } from '../../document.ts';
import type { Guard } from '../../guard.ts';
import type { GatewayCredentials } from './provisioning.ts';

/** A number the operator may set for one gateway, read from the environment (config.ts). */
export interface GatewaySetting {
  /** The name the gateway reads it by, e.g. skewSeconds. */
  key: string;
  /** The environment variable, e.g. TOKENVAULT_CYBERSOURCE_SKEW_SECONDS. */
  env: string;
  default: number;
  min: number;
  max: number;
  description: string;
}

/** The vault services and shared HTTP pieces a gateway's routes use. */
export interface GatewayDeps {
  guard: Guard;
  merchants: MerchantService;
  cards: CardService;
  customers: CustomerService;
  payments: PaymentService;
  cardPayments: CardPaymentService;
  customerCards: CustomerCardService;
  sessions: SessionService;
  /** Replay claims and kept first answers, shared by every instance. */
  replays: ReplayService;
  /** Where a gateway registers the handler that builds its callbacks (vault/outbox.ts). */
  outbox: Pick<OutboxService, 'register'>;
  now: () => Date;
  config: Config;
  /** This gateway's own settings, by key, as configured. */
  settings: Readonly<Record<string, number>>;
}

/** The HTTP side of a gateway, loaded when a server is built. */
export interface GatewayServer {
  /** Its OpenAPI document's own parts (title, security schemes, what every operation shares). */
  document: ApiDocument;
  /**
   * Registers its routes (in their own scope, under its prefixes), its error renderer with the guard
   * (`guard.renderer(id, …)` for 400/429/503) and its body parsing.
   */
  register(app: FastifyInstance, deps: GatewayDeps): Promise<void>;
}

export interface GatewayModule<Id extends string = string> {
  /** The API name: in logs, audit events (`detail.api`), metrics, document URLs (/openapi/<id>.json). */
  readonly id: Id;
  /** The gateway's name as people write it, e.g. "2C2P". */
  readonly title: string;
  /** The URL path prefixes the gateway owns (each API owns distinct prefixes). */
  readonly prefixes: readonly string[];
  /** Request headers that carry a credential or signature: redacted from every log line. */
  readonly redactHeaders: readonly string[];
  readonly settings: readonly GatewaySetting[];
  /** What it provisions for a new merchant, and the keys a merchant or operator may change later. */
  readonly credentials: GatewayCredentials;
  server(): Promise<GatewayServer>;
}
