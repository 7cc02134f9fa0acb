/**
 * The composition root: builds every service once from the configuration and wires the HTTP app.
 * Nothing here listens (server.ts does), so tests build a whole isolated app in one call.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { registerAlliancePay } from './api/gateways/alliancepay/routes.ts';
import { registerAppotaPay } from './api/gateways/appotapay/routes.ts';
import { registerCybersource } from './api/gateways/cybersource/routes.ts';
import { registerOpay } from './api/gateways/opay/routes.ts';
import { registerTwoc2p } from './api/gateways/twoc2p/routes.ts';
import { apiOf, Guard, registerGuard } from './api/guard.ts';
import { MAX_JSON_DEPTH, nestsTooDeep } from './api/json.ts';
import { adminRoutes } from './api/native/admin-routes.ts';
import { auditRoutes } from './api/native/audit-routes.ts';
import { cardRoutes } from './api/native/card-routes.ts';
import { customerRoutes } from './api/native/customer-routes.ts';
import { HttpProblem, registerAuth, registerIdempotency } from './api/native/http.ts';
import { paymentRoutes } from './api/native/payment-routes.ts';
import { registerOps } from './api/ops-routes.ts';
import { problem, problemFromError, sendProblem } from './api/problem.ts';
import { errorForLog, requestForLog } from './api/redact.ts';
import type { Config } from './config.ts';
import { createKeyring, type Keyring } from './crypto/keyring.ts';
import {
  createLocalMasterKeyProvider,
  describeMasterKeySource,
  type LoadedMasterKey,
  loadMasterKey,
  type MasterKeyProvider,
} from './crypto/master-key.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import type { Processor } from './payments/processor.ts';
import { createSimulatorProcessor } from './payments/simulator.ts';
import { openStore, type StoreHandle } from './store/db.ts';
import { merchantStore } from './store/merchant-store.ts';
import { createScrubber } from './store/scrub.ts';
import { createAuditService } from './vault/audit.ts';
import { createCardService } from './vault/cards.ts';
import { createCustomerService } from './vault/customers.ts';
import type { VaultDeps } from './vault/deps.ts';
import { createKeyService } from './vault/keys.ts';
import { createMasterKeyCheck, type MasterKeyCheck } from './vault/master-key-check.ts';
import { createMerchantService } from './vault/merchants.ts';
import { createPaymentService } from './vault/payments.ts';
import { createRevealService } from './vault/reveal.ts';
import { createSessionService } from './vault/sessions.ts';
import { VERSION } from './version.ts';

export interface Vault {
  readonly store: StoreHandle;
  readonly masterKey: LoadedMasterKey;
  readonly keyring: Keyring;
  readonly merchants: ReturnType<typeof createMerchantService>;
  readonly customers: ReturnType<typeof createCustomerService>;
  readonly cards: ReturnType<typeof createCardService>;
  readonly reveal: ReturnType<typeof createRevealService>;
  readonly audit: ReturnType<typeof createAuditService>;
  readonly keys: ReturnType<typeof createKeyService>;
  readonly payments: ReturnType<typeof createPaymentService>;
  readonly sessions: ReturnType<typeof createSessionService>;
  readonly metrics: Metrics;
  readonly master: MasterKeyProvider;
  /** The database's record of the master key: verified at open, re-verified by /readyz. */
  readonly keyCheck: MasterKeyCheck;
  /** Migrations this open applied. */
  readonly migrated: readonly string[];
  /** The vault's clock (tests may set it). */
  readonly now: () => Date;
  close(): Promise<void>;
}

/** Opens the database, applies migrations (unless told not to) and builds the vault services. */
export async function openVault(config: Config, opts: { migrate?: boolean; now?: () => Date; processor?: Processor } = {}): Promise<Vault> {
  const masterKey = loadMasterKey(config);
  const store = await openStore(config);
  const master = createLocalMasterKeyProvider(masterKey.versions, masterKey.reload ?? undefined);
  const keyring = createKeyring({
    master,
    cacheTtlMs: config.keyCacheSeconds * 1000,
    source: {
      loadKeys: async (merchantId) =>
        (await merchantStore.loadDataKeys(store.db, merchantId)).map((r) => ({ ...r, purpose: r.purpose as 'data' | 'fingerprint' })),
    },
  });
  const keyCheck = createMasterKeyCheck({ db: store.db, master, keyring, source: describeMasterKeySource(masterKey) });
  let migrated: string[] = [];
  try {
    if (opts.migrate !== false) migrated = await store.migrate();
    // Fail closed: a key that does not match the database's record refuses to start (MasterKeyError).
    await keyCheck.verifyAndRecord();
  } catch (e) {
    await store.close();
    throw e;
  }
  const deps: VaultDeps = {
    db: store.db,
    keyring,
    master,
    now: opts.now ?? (() => new Date()),
    cvvTtlMs: config.cvvTtlSeconds * 1000,
    scrubber: createScrubber((tables) => store.scrub(tables)),
  };
  const metrics = createMetrics();
  const cards = createCardService(deps);
  const payments = createPaymentService({
    ...deps,
    processor: opts.processor ?? createSimulatorProcessor(),
    processorTimeoutMs: config.processorTimeoutMs,
    metrics: metrics.payments,
    cards,
  });
  return {
    store,
    masterKey,
    metrics,
    payments,
    keyring,
    merchants: createMerchantService(deps, { authCacheMs: config.authCacheSeconds * 1000 }),
    customers: createCustomerService(deps),
    cards,
    reveal: createRevealService(deps),
    sessions: createSessionService({ ...deps, sessionTtlMs: config.alliancepaySessionSeconds * 1000 }),
    audit: createAuditService(deps),
    keys: createKeyService({ ...deps, keyCacheTtlMs: config.keyCacheSeconds * 1000 }),
    master,
    keyCheck,
    migrated,
    now: deps.now,
    close: () => store.close(),
  };
}

function hasUnstorableString(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.includes('\0') || !value.isWellFormed();
  if (depth > 64 || value === null || typeof value !== 'object') return false;
  for (const [k, v] of Object.entries(value)) if (hasUnstorableString(k, depth + 1) || hasUnstorableString(v, depth + 1)) return true;
  return false;
}

export interface BuildOptions {
  /** A pino destination for tests that read the logs; defaults to stdout. */
  logStream?: NodeJS.WritableStream;
  logger?: boolean;
  /** Under --workers: metrics summed over every worker (asked of the cluster primary). */
  clusterMetrics?: () => Promise<{ contentType: string; text: string }>;
}

export async function buildApp(
  config: Config,
  vault: Vault,
  adminCheck: (token: string) => boolean,
  opts: BuildOptions = {},
): Promise<FastifyInstance> {
  let guardRef: Guard | null = null;
  const app = Fastify({
    logger:
      opts.logger === false
        ? false
        : {
            level: config.logLevel,
            ...(opts.logStream ? { stream: opts.logStream } : {}),
            redact: {
              paths: [
                'req.headers.authorization',
                'req.headers["x-appotapay-auth"]',
                'req.headers["x-refresh_token"]',
                'req.headers.signature',
                '*.number',
                '*.cvv',
                '*.secretKey',
                '*.sharedSecret',
                '*.apiKey',
              ],
              censor: '[redacted]',
            },
            serializers: {
              // The route template and redacted parameters, never the URL as sent (api/redact.ts).
              req: (req) => requestForLog(req),
              err: (err) => errorForLog(err),
            },
          },
    bodyLimit: config.bodyLimit,
    // A request must be wholly received within this (slow-loris bodies and heads are cut off) ...
    requestTimeout: config.requestTimeoutMs,
    connectionTimeout: config.requestTimeoutMs * 2,
    // ... and its head stay under this (431 from Node's parser otherwise).
    http: { maxHeaderSize: config.maxHeaderBytes },
    // Strict input (CONVENTIONS 4): nothing dropped, nothing coerced.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: true } },
    trustProxy: false,
    // One access-log line per request (below) instead of Fastify's two: half the logging on every hot path.
    disableRequestLogging: true,
    return503OnClosing: true,
    // Requests the router refuses (bad percent-encoding, a path segment over maxParamLength): 400 in the
    // shape of the API the path belongs to.
    frameworkErrors: (_err, request, reply) => {
      const api = apiOf(request.url);
      if (api !== null && guardRef !== null) return guardRef.refuse(api, reply, 400, 0);
      return sendProblem(reply, problem('invalid_request', 'the request URL is malformed'));
    },
    forceCloseConnections: 'idle',
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.addHook('onResponse', (request, reply, done) => {
    request.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
    done();
  });

  // JSON only on the native API; gateway plugins that take text/plain (2C2P, AlliancePay) register their own parser.
  app.removeContentTypeParser('text/plain');
  // Fastify's JSON parser (prototype-poisoning safe), plus a refusal of strings no database stores faithfully:
  // NUL (PostgreSQL rejects it) and lone surrogates (stored as U+FFFD, so what is read back would differ).
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (nestsTooDeep(body as string)) {
      return done(new HttpProblem(problem('invalid_json', `the body nests deeper than ${MAX_JSON_DEPTH} levels`)));
    }
    parseJson(request, body as string, (err, value) => {
      if (err) return done(err);
      if ((body as string).includes('\\u') && hasUnstorableString(value)) {
        return done(new HttpProblem(problem('validation_failed', 'strings may not contain NUL or unpaired surrogate characters')));
      }
      done(null, value);
    });
  });
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err instanceof HttpProblem) return sendProblem(reply, err.problem);
    return sendProblem(reply, problemFromError(err, request));
  });
  app.setNotFoundHandler((_request, reply) => sendProblem(reply, problem('not_found', 'no such route')));

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'tokenvault native API', version: VERSION, description: 'Card and customer token vault' },
      components: {
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer', description: 'A merchant API key, tv_sk_…' },
          adminToken: { type: 'http', scheme: 'bearer', description: 'The operator admin token' },
        },
      },
      security: [{ apiKey: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  registerOps(app, {
    ping: () => vault.store.ping(),
    keys: () => vault.keyCheck.status(),
    metrics: vault.metrics,
    clusterMetrics: opts.clusterMetrics,
  });
  const guard = new Guard(config, vault.audit);
  guardRef = guard;
  registerGuard(app, guard);
  registerAuth(app, { merchants: vault.merchants, checkAdmin: adminCheck, guard });
  registerIdempotency(app, vault.store.db, () => new Date());
  await app.register(adminRoutes, { merchants: vault.merchants });
  await app.register(customerRoutes, { customers: vault.customers, cards: vault.cards });
  await app.register(cardRoutes, { cards: vault.cards, reveal: vault.reveal });
  await app.register(auditRoutes, { audit: vault.audit });
  await app.register(paymentRoutes, { payments: vault.payments });
  await registerTwoc2p(app, { merchants: vault.merchants, cards: vault.cards, guard });
  await registerOpay(app, { merchants: vault.merchants, cards: vault.cards, customers: vault.customers, guard });
  await registerAlliancePay(app, {
    guard,
    merchants: vault.merchants,
    cards: vault.cards,
    customers: vault.customers,
    payments: vault.payments,
    sessions: vault.sessions,
    now: vault.now,
  });
  await registerAppotaPay(app, { merchants: vault.merchants, cards: vault.cards, payments: vault.payments, now: vault.now, guard });
  await registerCybersource(app, {
    guard,
    merchants: vault.merchants,
    cards: vault.cards,
    customers: vault.customers,
    payments: vault.payments,
    now: vault.now,
    skewSeconds: config.cybersourceSkewSeconds,
  });
  await app.ready();
  return app;
}
