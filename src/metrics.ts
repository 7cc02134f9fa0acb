/** Prometheus metrics: one registry per process, shared by the HTTP layer and the vault's ports. */
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import type { PaymentMetrics } from './vault/payments.ts';

export interface Metrics {
  readonly registry: Registry;
  readonly requests: Counter<'method' | 'route' | 'status'>;
  readonly latency: Histogram<'method' | 'route'>;
  readonly payments: PaymentMetrics;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'tokenvault_http_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'tokenvault_http_request_duration_seconds',
    help: 'HTTP request latency by route',
    labelNames: ['method', 'route'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const outcomes = new Counter({
    name: 'tokenvault_payment_outcomes_total',
    help: 'Payment operations by outcome (approved, declined, challenge, error) and decline reason',
    labelNames: ['operation', 'outcome', 'reason'] as const,
    registers: [registry],
  });
  return {
    registry,
    requests,
    latency,
    payments: { record: (operation, outcome, reason) => outcomes.inc({ operation, outcome, reason: reason ?? '' }) },
  };
}
