/** autocannon ships no type declarations; this is the narrow surface the benchmark uses. */
import { createRequire } from 'node:module';

export interface AcRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
  setupRequest?: (req: AcRequest, context: Record<string, unknown>) => AcRequest;
}
export interface AcOptions extends AcRequest {
  url: string;
  connections: number;
  /** Seconds; ignored when `amount` is set. */
  duration?: number;
  /** Stop after this many responses in all (spread over the connections) instead of after `duration`. */
  amount?: number;
  timeout?: number;
  requests?: AcRequest[];
  /** A 2xx whose body fails this counts in `mismatches`. */
  verifyBody?: (body: string) => boolean;
}
export interface AcHistogram {
  mean: number;
  average: number;
  p50: number;
  p99: number;
  max: number;
  total: number;
}
export interface AcResult {
  requests: AcHistogram;
  latency: AcHistogram;
  errors: number;
  timeouts: number;
  non2xx: number;
  mismatches: number;
  statusCodeStats: Record<string, { count: number }>;
  duration: number;
}
interface AcInstance {
  on(event: 'response', listener: (client: unknown, statusCode: number, resBytes: number, responseTime: number) => void): void;
}
type Autocannon = (opts: AcOptions, cb: (err: Error | null, result: AcResult) => void) => AcInstance;
const require = createRequire(import.meta.url);
const autocannon = require('autocannon') as Autocannon;

/** One autocannon run; `onResponse` hears every answer (a progress bar, for instance). */
export function cannon(opts: AcOptions, onResponse?: (statusCode: number) => void): Promise<AcResult> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(opts, (err, result) => (err ? reject(err) : resolve(result)));
    if (onResponse) instance.on('response', (_client, statusCode) => onResponse(statusCode));
  });
}

export const autocannonVersion = (): string => (require('autocannon/package.json') as { version: string }).version;
