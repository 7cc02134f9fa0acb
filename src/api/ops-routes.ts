/** Liveness, readiness and Prometheus metrics (request counts and latency per route). */
import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../metrics.ts';

export function registerOps(
  app: FastifyInstance,
  deps: {
    ping: () => Promise<boolean>;
    /** Whether the loaded master key still matches the database's record (cached by the caller). */
    keys: () => Promise<'ok' | 'mismatch'>;
    metrics: Metrics;
    clusterMetrics?: (() => Promise<{ contentType: string; text: string }>) | undefined;
  },
): void {
  const { registry, requests, latency } = deps.metrics;

  app.addHook('onResponse', async (request, reply) => {
    // The route pattern, never the raw URL: tokens and ids would explode the label set.
    const route = request.routeOptions.url ?? 'unmatched';
    requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    latency.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });

  const hide = { schema: { hide: true } };
  app.get('/healthz', hide, async () => ({ status: 'ok' }));
  app.get('/readyz', hide, async (_request, reply) => {
    if (!(await deps.ping())) return reply.code(503).send({ status: 'not ready', database: 'down' });
    // Not ready while a needed key is unavailable: every card operation would fail.
    const keys = await deps.keys().catch(() => 'unavailable' as const);
    if (keys !== 'ok') return reply.code(503).send({ status: 'not ready', database: 'up', keys });
    return reply.code(200).send({ status: 'ready', database: 'up' });
  });
  app.get('/metrics', hide, async (_request, reply) => {
    // With --workers, a scrape reaches one worker: it asks the primary for the sum over all of them.
    if (deps.clusterMetrics) {
      const all = await deps.clusterMetrics();
      return reply.type(all.contentType).send(all.text);
    }
    return reply.type(registry.contentType).send(await registry.metrics());
  });
}
