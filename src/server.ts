/**
 * The only module that listens. One process by default; `--workers N` forks N processes that share the
 * port (node:cluster) and one database. The primary applies migrations and fixes the admin token first.
 */
import cluster from 'node:cluster';
import type { FastifyInstance } from 'fastify';
import { AggregatorRegistry } from 'prom-client';
import { buildApp, openVault, type Vault } from './app.ts';
import type { Config } from './config.ts';
import { idempotencyStore } from './store/idempotency-store.ts';

export interface Started {
  app: FastifyInstance;
  vault: Vault;
  url: string;
  stop(): Promise<void>;
}

function banner(vault: Vault, config: Config, adminToken: string | null): void {
  const lines: string[] = [];
  if (vault.masterKey.source === 'generated' || vault.masterKey.source === 'dev-file') {
    lines.push(
      '',
      '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!',
      `!! DEVELOPMENT MASTER KEY in ${vault.masterKey.path}`,
      '!! It sits next to the data it protects: fine for a laptop, never for production.',
      '!! Set TOKENVAULT_MASTER_KEY (base64, 32 bytes) or TOKENVAULT_MASTER_KEY_FILE.',
      '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!',
    );
  }
  if (adminToken) {
    lines.push('', `Admin token (shown once; store it now): ${adminToken}`, '');
  } else if (!config.adminToken) {
    lines.push('Admin token: set at first start (reset with `tokenvault admin reset-token`).');
  }
  lines.push(`Database: ${vault.store.kind} (${vault.store.location})`);
  // Files and the data directory were readable by others (made before, or under a loose umask): now owner-only.
  for (const t of vault.store.tightened ?? []) lines.push(`WARNING: made owner-only: ${t}`);
  process.stderr.write(`${lines.join('\n')}\n`);
}

/**
 * Idempotency keys left "pending" by a server that died mid-request would refuse every retry with 409.
 * At start, before any request: with SQLite the file belongs to this host's server alone, so every pending
 * native key is abandoned; with PostgreSQL other hosts' servers may be mid-request, so only keys older than
 * twice the request timeout are. (Merchant references and request ids are not touched: they are claimed in
 * the transaction of what they guard, or are single-use by design.)
 */
async function releaseAbandonedClaims(vault: Vault, config: Config): Promise<void> {
  const before = vault.store.kind === 'sqlite' ? vault.now() : new Date(vault.now().getTime() - 2 * config.requestTimeoutMs);
  const n = await idempotencyStore.releaseAbandoned(vault.store.db, before.toISOString());
  if (n > 0) process.stderr.write(`Released ${n} idempotency key(s) left pending by a previous run\n`);
}

/** Opens the vault, builds the app and listens; used by `serve` in each worker and by tests. */
export async function startServer(
  config: Config,
  opts: { primary: boolean; quiet?: boolean; clusterMetrics?: () => Promise<{ contentType: string; text: string }> },
): Promise<Started> {
  const vault = await openVault(config, { migrate: opts.primary });
  if (opts.primary && !opts.clusterMetrics) await releaseAbandonedClaims(vault, config);
  const admin = await vault.merchants.ensureAdminToken(config.adminToken);
  if (opts.primary && !opts.quiet) banner(vault, config, admin.token);
  if (opts.clusterMetrics) {
    // Constructing one installs prom-client's worker listener; setRegistries says what this worker reports.
    new AggregatorRegistry();
    AggregatorRegistry.setRegistries([vault.metrics.registry]);
  }
  const app = await buildApp(config, vault, admin.check, opts.clusterMetrics ? { clusterMetrics: opts.clusterMetrics } : {});
  const url = await app.listen({ port: config.port, host: config.host });
  // CVVs past their TTL are wiped even if no payment ever comes for them.
  const sweeper = setInterval(
    () => {
      vault.cards.purgeExpiredCvvs().catch((e: Error) => app.log.warn({ err: { message: e.message } }, 'CVV sweep failed'));
      vault.sessions.purgeExpired().catch((e: Error) => app.log.warn({ err: { message: e.message } }, 'session sweep failed'));
    },
    Math.min(config.cvvTtlSeconds * 1000, 60_000),
  );
  sweeper.unref();
  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      clearInterval(sweeper);
      await app.close();
      await vault.close();
    })();
    return stopping;
  };
  return { app, vault, url, stop };
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
function onSignals(stop: () => Promise<void>, config: Config): void {
  const handler = (signal: string) => {
    process.stderr.write(`${signal}: draining connections and closing the database\n`);
    const force = setTimeout(() => process.exit(1), config.shutdownSeconds * 1000);
    force.unref();
    stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', handler);
  process.once('SIGINT', handler);
}

export async function serve(config: Config): Promise<void> {
  if (config.workers <= 1) {
    const started = await startServer(config, { primary: true });
    started.app.log.info({ url: started.url }, 'tokenvault listening');
    onSignals(started.stop, config);
    return;
  }
  if (cluster.isPrimary) {
    // Migrations, the development key and the admin token are settled once, before any worker starts.
    const vault = await openVault(config, { migrate: true });
    await releaseAbandonedClaims(vault, config);
    const admin = await vault.merchants.ensureAdminToken(config.adminToken);
    banner(vault, config, admin.token);
    await vault.close();
    let shuttingDown = false;
    // Workers ask here for metrics summed over all of them; the aggregator collects each one's registry.
    const aggregator = new AggregatorRegistry();
    cluster.on('message', (worker, message: { type?: string; id?: number }) => {
      if (message?.type !== METRICS_REQUEST) return;
      aggregator.clusterMetrics().then(
        (text) => worker.send({ type: METRICS_RESPONSE, id: message.id, text, contentType: aggregator.contentType }),
        (e: Error) => worker.send({ type: METRICS_RESPONSE, id: message.id, error: e.message }),
      );
    });
    for (let i = 0; i < config.workers; i++) cluster.fork();
    cluster.on('exit', (worker, code) => {
      if (shuttingDown) return;
      process.stderr.write(`worker ${worker.process.pid} exited (${code}); starting another\n`);
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
    onSignals(stopAll, config);
    return;
  }
  const started = await startServer(config, { primary: false, clusterMetrics: askPrimaryForMetrics });
  started.app.log.info({ url: started.url, pid: process.pid }, 'worker listening');
  onSignals(started.stop, config);
}
