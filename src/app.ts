/**
 * The HTTP app on top of the vault (open-vault.ts, the composition root of the services, re-exported here).
 * Nothing here listens (server.ts does), so tests build a whole isolated app in one call.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyRequest, LogController } from 'fastify';
import { loadElementAssets } from './api/elements/assets.ts';
import { elementsRoutes } from './api/elements/routes.ts';
import { GATEWAYS } from './api/gateways/index.ts';
import type { GatewayModule } from './api/gateways/kit/module.ts';
import { apiMatcher, Guard } from './api/guard.ts';
import { MAX_JSON_DEPTH, nestsTooDeep } from './api/json.ts';
import { guardCounters, type KeyedRate } from './api/limits.ts';
import { adminRoutes } from './api/native/admin-routes.ts';
import { auditRoutes } from './api/native/audit-routes.ts';
import { cardRoutes } from './api/native/card-routes.ts';
import { customerRoutes } from './api/native/customer-routes.ts';
import { HttpProblem, registerAuth, registerIdempotency } from './api/native/http.ts';
import { paymentRoutes } from './api/native/payment-routes.ts';
import { documentSet, registerDocs } from './api/openapi.ts';
import { registerOps } from './api/ops-routes.ts';
import { problem, problemFromError, sendProblem } from './api/problem.ts';
import { errorForLog, requestForLog } from './api/redact.ts';
import { clientErrorHandler, REQUEST_ID_HEADER, registerRequestId, requestIdOf } from './api/request-id.ts';
import { type Config, gatewaySettings } from './config.ts';
import type { LogStream } from './log.ts';
import type { Vault } from './open-vault.ts';
import { deploymentId } from './vault/deployment.ts';

export { openVault, type Vault } from './open-vault.ts';

function hasUnstorableString(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.includes('\0') || !value.isWellFormed();
  if (depth > 64 || value === null || typeof value !== 'object') return false;
  for (const [k, v] of Object.entries(value)) if (hasUnstorableString(k, depth + 1) || hasUnstorableString(v, depth + 1)) return true;
  return false;
}

export interface BuildOptions {
  /** Where the request log goes (src/log.ts); tests pass one that keeps the lines. Defaults to stdout. */
  logStream?: LogStream;
  logger?: boolean;
  /** Under --workers: metrics summed over every worker (asked of the cluster primary). */
  clusterMetrics?: () => Promise<{ contentType: string; text: string }>;
  /** The gateways to serve: GATEWAYS unless a test builds the app with others. */
  gateways?: readonly GatewayModule[];
}

/** Where a credential or signature may be in a request: never logged. */
const redactedPaths = (gateways: readonly GatewayModule[]): string[] => [
  ...new Set(['authorization', ...gateways.flatMap((g) => g.redactHeaders)].map((h) => `req.headers[${JSON.stringify(h)}]`)),
  '*.number',
  '*.cvv',
  '*.secretKey',
  '*.sharedSecret',
  '*.apiKey',
];

/** The request logger: JSON lines, credentials and card fields redacted, requests by route template. */
function loggerOptions(config: Config, opts: BuildOptions, gateways: readonly GatewayModule[]) {
  if (opts.logger === false) return false;
  return {
    level: config.logLevel,
    ...(opts.logStream ? { stream: opts.logStream } : {}),
    redact: { paths: redactedPaths(gateways), censor: '[redacted]' },
    serializers: {
      // The route template and redacted parameters, never the URL as sent (api/redact.ts).
      req: (req: FastifyRequest) => requestForLog(req),
      err: (err: Error) => errorForLog(err),
    },
  };
}

/**
 * Draining: requests that still arrive while closing (pipelined, or on a kept-alive connection) get 503 and
 * Connection: close in their API's shape, so the client or load balancer retries on another instance.
 */
function registerDrain(app: FastifyInstance, guard: Guard): void {
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onRequest', (request, reply, done) => {
    if (!closing) return done();
    reply.header('connection', 'close');
    const api = guard.apiOf(request.url);
    if (api !== null && api !== 'native') return void guard.refuse(api, reply, 503, 1);
    reply.header('retry-after', '1');
    sendProblem(reply, problem('service_unavailable', 'the server is shutting down; retry on another instance'));
  });
}

/**
 * JSON only on the native API (gateways that take other types keep their raw body, api/gateways/kit/body.ts):
 * Fastify's JSON parser (prototype-poisoning safe), plus a refusal of strings no database stores faithfully:
 * NUL (PostgreSQL rejects it) and lone surrogates (stored as U+FFFD, so what is read back would differ).
 */
function registerJsonParser(app: FastifyInstance): void {
  app.removeContentTypeParser('text/plain');
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
}

/** Whether the card elements demo is served: as configured, else while the master key is the development one. */
export const demoOn = (config: Config, vault: Pick<Vault, 'masterKey'>): boolean =>
  config.elementsDemo ?? (vault.masterKey.source === 'generated' || vault.masterKey.source === 'dev-file');

/** The native API: its authentication and idempotency hooks, then its routes, card elements among them. */
async function registerNative(
  app: FastifyInstance,
  vault: Vault,
  adminCheck: (token: string) => boolean,
  guard: Guard,
  elements: { config: Config; rate: KeyedRate },
): Promise<void> {
  registerAuth(app, { merchants: vault.merchants, checkAdmin: adminCheck, guard });
  registerIdempotency(app, vault.idempotency, () => new Date());
  await app.register(adminRoutes, { merchants: vault.merchants });
  await app.register(customerRoutes, { customers: vault.customers, cards: vault.cards });
  await app.register(cardRoutes, { cards: vault.cards, reveal: vault.reveal });
  await app.register(auditRoutes, { audit: vault.audit });
  await app.register(paymentRoutes, { payments: vault.payments });
  await app.register(elementsRoutes, {
    merchants: vault.merchants,
    cards: vault.cards,
    guard,
    rate: elements.rate,
    assets: await loadElementAssets(),
    demo: demoOn(elements.config, vault) ? vault.elementsDemo : null,
  });
}

export async function buildApp(
  config: Config,
  vault: Vault,
  adminCheck: (token: string) => boolean,
  opts: BuildOptions = {},
): Promise<FastifyInstance> {
  const gateways = opts.gateways ?? GATEWAYS;
  // Limits shared through Redis when configured, under this database's deployment id; else per process.
  const counters = await guardCounters(
    config,
    vault.redis,
    () => deploymentId(vault.store.db),
    (m) => process.emitWarning(m, 'TokenvaultRedis'),
  );
  const guard = new Guard(config, vault.audit, Date.now, apiMatcher(gateways), counters.failures, counters.rate);
  const app = Fastify({
    logger: loggerOptions(config, opts, gateways),
    bodyLimit: config.bodyLimit,
    // A request must be wholly received within this (slow-loris bodies and heads are cut off) ...
    requestTimeout: config.requestTimeoutMs,
    connectionTimeout: config.requestTimeoutMs * 2,
    // ... and its head stay under this (431 from Node's parser otherwise).
    http: { maxHeaderSize: config.maxHeaderBytes },
    // Strict input (CONVENTIONS 4): nothing dropped, nothing coerced.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: true } },
    // Behind a load balancer the client's address comes from X-Forwarded-For, only as far as configured.
    trustProxy: typeof config.trustProxy === 'boolean' ? config.trustProxy : [...config.trustProxy],
    // The client's X-Request-Id only when it is safe to echo and log (api/request-id.ts), else a random one.
    requestIdHeader: false,
    genReqId: requestIdOf,
    // One access-log line per request (below) instead of Fastify's two: half the logging on every hot path.
    logController: new LogController({ disableRequestLogging: true }),
    // While closing, requests are refused in their API's shape with their request id (registerDrain), not Fastify's.
    return503OnClosing: false,
    clientErrorHandler,
    // Requests the router refuses (bad percent-encoding, a path segment over maxParamLength): 400 in the
    // shape of the API the path belongs to.
    frameworkErrors: (_err, request, reply) => {
      // Answered before any hook runs.
      reply.header(REQUEST_ID_HEADER, request.id);
      const api = guard.apiOf(request.url);
      if (api !== null) return guard.refuse(api, reply, 400, 0);
      return sendProblem(reply, problem('invalid_request', 'the request URL is malformed'));
    },
    forceCloseConnections: 'idle',
  }).withTypeProvider<TypeBoxTypeProvider>();

  registerRequestId(app);
  registerDrain(app, guard);
  // The access log: method, route template, status and duration; the request's logger adds reqId and, once
  // authenticated, merchant.
  app.addHook('onResponse', (request, reply, done) => {
    request.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
    done();
  });
  registerJsonParser(app);
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err instanceof HttpProblem) return sendProblem(reply, err.problem);
    return sendProblem(reply, problemFromError(err, request));
  });
  app.setNotFoundHandler((_request, reply) => sendProblem(reply, problem('not_found', 'no such route')));

  const servers = await Promise.all(gateways.map(async (g) => ({ module: g, server: await g.server() })));
  await registerDocs(app, documentSet(Object.fromEntries(servers.map((s) => [s.module.id, s.server.document])), guard.apiOf));

  registerOps(app, {
    ping: () => vault.store.ping(),
    keys: () => vault.keyCheck.status(),
    metrics: vault.metrics,
    clusterMetrics: opts.clusterMetrics,
  });
  await registerNative(app, vault, adminCheck, guard, { config, rate: counters.elements });
  const services = {
    guard,
    merchants: vault.merchants,
    cards: vault.cards,
    customers: vault.customers,
    payments: vault.payments,
    cardPayments: vault.cardPayments,
    customerCards: vault.customerCards,
    sessions: vault.sessions,
    replays: vault.replays,
    outbox: vault.outbox,
    now: vault.now,
    config,
  };
  for (const { module, server } of servers) {
    await server.register(app, { ...services, settings: config.gateways[module.id] ?? gatewaySettings(module.settings) });
  }
  await app.ready();
  return app;
}
