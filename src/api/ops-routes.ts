/** Liveness, readiness and Prometheus metrics (request counts and latency per route). */
import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../metrics.ts';
import { ProblemSchema } from './native/schemas.ts';
import type { ApiDocument } from './openapi.ts';

export const document: ApiDocument = {
  title: 'tokenvault operations',
  description:
    'Liveness, readiness and Prometheus metrics for load balancers and monitoring, and the OpenAPI documents of every API. No credential: expose them only where your operators can reach them.',
  securitySchemes: {},
  tags: [
    { name: 'health', description: 'Liveness, readiness and metrics' },
    { name: 'documents', description: 'The OpenAPI document of each API' },
  ],
  // What any route can answer before its handler runs: a URL the router refuses, and the drain at shutdown.
  operation: (schema) => {
    const response = { ...((schema.response ?? {}) as Record<string, Record<string, unknown>>) };
    const problemJson = { 'application/problem+json': { schema: ProblemSchema } };
    response[400] = { description: 'The request URL is malformed', content: problemJson };
    const { description: _d, ...own503 } = response[503] ?? {};
    response[503] = {
      description: 'Not ready, or the server is shutting down (retry on another instance)',
      content: { ...(response[503] ? { 'application/json': { schema: own503 } } : {}), ...problemJson },
    };
    return { ...schema, response };
  },
};

const Status = (props: Record<string, unknown>, required: string[]) => ({
  type: 'object',
  required,
  properties: props,
});

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

  const tags = ['health'];
  app.get(
    '/healthz',
    {
      schema: {
        operationId: 'getHealth',
        summary: 'Liveness: the process answers',
        tags,
        security: [],
        response: { 200: { description: 'Alive', ...Status({ status: { type: 'string', enum: ['ok'] } }, ['status']) } },
      },
    },
    async () => ({ status: 'ok' }),
  );
  const notReady = Status(
    {
      status: { type: 'string', enum: ['not ready'] },
      database: { type: 'string', enum: ['up', 'down'] },
      keys: {
        type: 'string',
        enum: ['mismatch', 'unavailable'],
        description: 'The master key does not match the database, or cannot be read',
      },
    },
    ['status', 'database'],
  );
  const readySchema = {
    operationId: 'getReadiness',
    summary: 'Readiness: the database answers and the master key matches it',
    tags,
    security: [],
    response: {
      200: {
        description: 'Ready to serve',
        ...Status({ status: { type: 'string', enum: ['ready'] }, database: { type: 'string', enum: ['up'] } }, ['status', 'database']),
      },
      503: { description: 'Not ready: take this instance out of the load balancer', ...notReady },
    },
  };
  app.get('/readyz', { schema: readySchema }, async (_request, reply) => {
    if (!(await deps.ping())) return reply.code(503).send({ status: 'not ready', database: 'down' });
    // Not ready while a needed key is unavailable: every card operation would fail.
    const keys = await deps.keys().catch(() => 'unavailable' as const);
    if (keys !== 'ok') return reply.code(503).send({ status: 'not ready', database: 'up', keys });
    return reply.code(200).send({ status: 'ready', database: 'up' });
  });
  const metricsSchema = {
    operationId: 'getMetrics',
    summary: 'Prometheus metrics: requests and latency per route, payments, process figures',
    tags,
    security: [],
    produces: ['text/plain'],
    response: {
      200: {
        description: 'Prometheus text exposition format (summed over every worker under --workers)',
        content: { 'text/plain': { schema: { type: 'string' } } },
      },
    },
  };
  app.get('/metrics', { schema: metricsSchema }, async (_request, reply) => {
    // With --workers, a scrape reaches one worker: it asks the primary for the sum over all of them.
    if (deps.clusterMetrics) {
      const all = await deps.clusterMetrics();
      return reply.type(all.contentType).send(all.text);
    }
    return reply.type(registry.contentType).send(await registry.metrics());
  });
}
