/**
 * The only module that listens. One process by default; `--workers N` forks N processes that share the
 * port (node:cluster) and one database. The primary applies migrations and fixes the admin token first.
 */
import cluster from 'node:cluster';
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { AggregatorRegistry } from 'prom-client';
import { buildApp, demoOn, openVault, type Vault } from './app.ts';
import type { Config } from './config.ts';
import { type Logger, type LogStream, logDestination, processLogger } from './log.ts';
import type { ChangeTransport } from './vault/changes.ts';

export interface Started {
  app: FastifyInstance;
  vault: Vault;
  url: string;
  stop(): Promise<void>;
}

/**
 * What an operator must know at start, as log lines. A generated admin token is a secret, so it never goes
 * into a log line: it is written to an owner-only file in the data directory, whose path is logged.
 */
function announce(log: Logger, vault: Vault, config: Config, adminToken: string | null): void {
  if (vault.masterKey.source === 'generated' || vault.masterKey.source === 'dev-file') {
    log.warn(
      { masterKeyFile: vault.masterKey.path },
      'DEVELOPMENT MASTER KEY: it sits next to the data it protects, fine for a laptop, never for production; set TOKENVAULT_MASTER_KEY (base64, 32 bytes) or TOKENVAULT_MASTER_KEY_FILE',
    );
  }
  if (adminToken) {
    const file = path.join(config.dataDir, ADMIN_TOKEN_FILE);
    fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(file, `${adminToken}\n`, { mode: 0o600 });
    fs.chmodSync(file, 0o600);
    log.warn(
      { adminTokenFile: file },
      'admin token generated and written to adminTokenFile (owner-only): store it elsewhere, then delete the file',
    );
  } else if (!config.adminToken) {
    log.info('admin token set at first start (reset with `tokenvault admin reset-token`)');
  }
  log.info({ database: vault.store.kind, location: vault.store.location }, 'database opened');
  // Files and the data directory were readable by others (made before, or under a loose umask): now owner-only.
  for (const t of vault.store.tightened ?? []) log.warn({ path: t }, 'made owner-only');
}

/** The origins a browser reaches a server listening at `url` from (a wildcard or loopback address: both loopback names). */
export function browserOrigins(url: string): string[] {
  const u = new URL(url);
  const port = u.port ? `:${u.port}` : '';
  const local = ['0.0.0.0', '[::]', '127.0.0.1', '[::1]', 'localhost'].includes(u.hostname);
  return (local ? ['127.0.0.1', 'localhost'] : [u.hostname]).map((h) => `${u.protocol}//${h}${port}`);
}

/**
 * The card elements demo (development only): its merchant and publishable key for this server's origins, made
 * once and kept; its URL and key are printed (a publishable key is public by design, made to sit in web pages).
 */
async function setUpDemo(log: Logger | null, vault: Vault, url: string): Promise<void> {
  const origins = browserOrigins(url);
  const demo = await vault.elementsDemo.ensure(origins);
  log?.info(
    { demoUrl: `${origins[0]}/elements/demo`, publishableKey: demo.key, merchant: demo.merchantId },
    'card elements demo (development only): open demoUrl in a browser',
  );
}

/** The address a server with a fixed port will listen at (null for port 0: known only once bound). */
const configuredUrl = (config: Config): string | null =>
  config.port === 0 ? null : `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`;

/**
 * Listens, running `before` with the server's address first: before binding when the port is known, so a signal
 * never finds the server listening without its handlers (serve() installs them once startServer returns); only a
 * test's port 0 runs it once bound.
 */
async function listen(app: FastifyInstance, config: Config, before: ((url: string) => Promise<void>) | null): Promise<string> {
  const known = configuredUrl(config);
  if (before && known) await before(known);
  const url = await app.listen({ port: config.port, host: config.host });
  if (before && !known) await before(url);
  return url;
}

/** The file a generated admin token is written to, in the data directory. */
export const ADMIN_TOKEN_FILE = 'admin-token';

/**
 * Idempotency keys left "pending" by a server that died mid-request would refuse every retry with 409.
 * At start, before any request: with SQLite the file belongs to this host's server alone, so every pending
 * native key is abandoned; with PostgreSQL other hosts' servers may be mid-request, so only keys older than
 * twice the request timeout are. (Merchant references and request ids are not touched: they are claimed in
 * the transaction of what they guard, or are single-use by design.)
 */
async function releaseAbandonedClaims(log: Logger, vault: Vault, config: Config): Promise<void> {
  const before = vault.store.kind === 'sqlite' ? vault.now() : new Date(vault.now().getTime() - 2 * config.requestTimeoutMs);
  const n = await vault.idempotency.releaseAbandoned(before);
  if (n > 0) log.warn({ released: n }, 'idempotency keys left pending by a previous run released');
}

/** Opens the vault, builds the app and listens; used by `serve` in each worker and by tests. */
export async function startServer(
  config: Config,
  opts: {
    primary: boolean;
    quiet?: boolean;
    clusterMetrics?: () => Promise<{ contentType: string; text: string }>;
    logStream?: LogStream;
  },
): Promise<Started> {
  const stream = opts.logStream ?? logDestination(config);
  const log = processLogger(config, stream);
  // SQLite workers hear each other's changes through the primary; PostgreSQL has LISTEN/NOTIFY for everyone.
  const viaPrimary = opts.clusterMetrics && !config.databaseUrl ? { changeTransport: workerChangeRelay() } : {};
  const vault = await openVault(config, { migrate: opts.primary, ...viaPrimary });
  await vault.changes.listen();
  if (opts.primary && !opts.clusterMetrics) await releaseAbandonedClaims(log, vault, config);
  const admin = await vault.merchants.ensureAdminToken(config.adminToken);
  if (opts.primary && !opts.quiet) announce(log, vault, config, admin.token);
  if (opts.clusterMetrics) {
    // Constructing one installs prom-client's worker listener; setRegistries says what this worker reports.
    new AggregatorRegistry();
    AggregatorRegistry.setRegistries([vault.metrics.registry]);
  }
  const app = await buildApp(config, vault, admin.check, {
    logStream: stream,
    ...(opts.clusterMetrics ? { clusterMetrics: opts.clusterMetrics } : {}),
  });
  const url = await listen(
    app,
    config,
    opts.primary && demoOn(config, vault) ? (at) => setUpDemo(opts.quiet ? null : log, vault, at) : null,
  );
  // CVVs past their TTL are wiped even if no payment ever comes for them.
  const sweeper = setInterval(
    () => {
      vault.cards.purgeExpiredCvvs().catch((e: Error) => app.log.warn({ err: { message: e.message } }, 'CVV sweep failed'));
      vault.sessions.purgeExpired().catch((e: Error) => app.log.warn({ err: { message: e.message } }, 'session sweep failed'));
      vault.replays.purgeExpired().catch((e: Error) => app.log.warn({ err: { message: e.message } }, 'replay sweep failed'));
    },
    Math.min(config.cvvTtlSeconds * 1000, 60_000),
  );
  sweeper.unref();
  const delivery = startDeliveryLoop(log, vault);
  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      clearInterval(sweeper);
      await delivery.stop();
      await app.close();
      await vault.close();
    })();
    return stopping;
  };
  return { app, vault, url, stop };
}

/** How often every instance looks for due callbacks (vault/outbox.ts), and how long one POST may take. */
const DELIVERY_EVERY_MS = 1000;
const DELIVERY_TIMEOUT_MS = 10_000;

/**
 * The outbox's delivery loop: every instance claims due deliveries (the claim keeps two from sending the same
 * attempt), one step at a time. A failed attempt is logged by delivery id and result only, never its body or URL.
 */
function startDeliveryLoop(log: Logger, vault: Vault): { stop(): Promise<void> } {
  let running: Promise<void> | null = null;
  const step = async () => {
    try {
      for (const r of await vault.outbox.deliverDue({ timeoutMs: DELIVERY_TIMEOUT_MS })) {
        if (r.outcome !== 'delivered')
          log.warn({ delivery: r.id, topic: r.topic, attempt: r.attempt, result: r.result, outcome: r.outcome }, 'callback not delivered');
      }
    } catch (e) {
      log.warn({ err: { message: (e as Error).message } }, 'callback delivery step failed');
    }
  };
  const timer = setInterval(() => {
    running ??= step().finally(() => {
      running = null;
    });
  }, DELIVERY_EVERY_MS);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

const CHANGE = 'tokenvault:change';

/** In a worker on SQLite: change notifications go to the primary, which hands them to every other worker. */
function workerChangeRelay(): ChangeTransport {
  let onMessage: ((m: { type?: string; message?: string }) => void) | null = null;
  return {
    async send(message) {
      process.send?.({ type: CHANGE, message });
    },
    async start(receive, health) {
      onMessage = (m) => {
        if (m?.type === CHANGE && typeof m.message === 'string') receive(m.message);
      };
      process.on('message', onMessage);
      health(true);
    },
    async stop() {
      if (onMessage) process.off('message', onMessage);
    },
  };
}

const METRICS_REQUEST = 'tokenvault:metrics-request';
const METRICS_RESPONSE = 'tokenvault:metrics-response';
let metricsRequestId = 0;

/** In a worker: the cluster-wide metrics, from the primary (which gathers every worker's registry). */
function askPrimaryForMetrics(): Promise<{ contentType: string; text: string }> {
  const id = ++metricsRequestId;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      process.off('message', onMessage);
      reject(new Error('the cluster primary did not answer the metrics request'));
    }, 5000);
    const onMessage = (m: { type?: string; id?: number; text?: string; contentType?: string; error?: string }) => {
      if (m?.type !== METRICS_RESPONSE || m.id !== id) return;
      clearTimeout(timer);
      process.off('message', onMessage);
      if (m.error) reject(new Error(m.error));
      else resolve({ contentType: m.contentType ?? 'text/plain', text: m.text ?? '' });
    };
    process.on('message', onMessage);
    process.send?.({ type: METRICS_REQUEST, id });
  });
}

/** On SIGTERM/SIGINT: stop gracefully, or exit 1 when that takes longer than the shutdown deadline. */
function onSignals(log: Logger, stop: () => Promise<void>, config: Config): void {
  const handler = (signal: string) => {
    log.info({ signal, deadlineSeconds: config.shutdownSeconds }, 'draining connections and closing the database');
    const force = setTimeout(() => process.exit(1), config.shutdownSeconds * 1000);
    force.unref();
    stop().then(
      () => {
        log.info('stopped');
        process.exit(0);
      },
      (e: Error) => {
        log.error({ err: { message: e.message } }, 'stopping failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', handler);
  process.once('SIGINT', handler);
}

export async function serve(config: Config): Promise<void> {
  if (config.workers <= 1) {
    const started = await startServer(config, { primary: true });
    started.app.log.info({ url: started.url }, 'tokenvault listening');
    onSignals(started.app.log as Logger, started.stop, config);
    return;
  }
  if (cluster.isPrimary) {
    const log = processLogger(config, logDestination(config));
    // Migrations, the development key and the admin token are settled once, before any worker starts.
    const vault = await openVault(config, { migrate: true });
    await releaseAbandonedClaims(log, vault, config);
    const admin = await vault.merchants.ensureAdminToken(config.adminToken);
    announce(log, vault, config, admin.token);
    const demoUrl = configuredUrl(config);
    if (demoOn(config, vault) && demoUrl) await setUpDemo(log, vault, demoUrl);
    await vault.close();
    let shuttingDown = false;
    // Workers ask here for metrics summed over all of them; the aggregator collects each one's registry.
    const aggregator = new AggregatorRegistry();
    cluster.on('message', (worker, message: { type?: string; id?: number; message?: string }) => {
      if (message?.type === CHANGE) {
        for (const other of Object.values(cluster.workers ?? {})) if (other && other !== worker && other.isConnected()) other.send(message);
        return;
      }
      if (message?.type !== METRICS_REQUEST) return;
      aggregator.clusterMetrics().then(
        (text) => worker.send({ type: METRICS_RESPONSE, id: message.id, text, contentType: aggregator.contentType }),
        (e: Error) => worker.send({ type: METRICS_RESPONSE, id: message.id, error: e.message }),
      );
    });
    for (let i = 0; i < config.workers; i++) cluster.fork();
    cluster.on('exit', (worker, code) => {
      if (shuttingDown) return;
      log.error({ workerPid: worker.process.pid, code }, 'worker exited; starting another');
      cluster.fork();
    });
    const stopAll = async () => {
      shuttingDown = true;
      await Promise.all(
        Object.values(cluster.workers ?? {}).map(
          (w) =>
            new Promise<void>((resolve) => {
              if (!w || w.isDead()) return resolve();
              w.once('exit', () => resolve());
              w.process.kill('SIGTERM');
            }),
        ),
      );
    };
    onSignals(log, stopAll, config);
    return;
  }
  const started = await startServer(config, { primary: false, clusterMetrics: askPrimaryForMetrics });
  started.app.log.info({ url: started.url, pid: process.pid }, 'worker listening');
  onSignals(started.app.log as Logger, started.stop, config);
}
