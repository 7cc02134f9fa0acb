/**
 * Log hygiene: what of a request reaches a log line. A matched request is logged as its route template
 * (`/v1/cards/:token`) and its parameters; an unmatched one as its path without the query. Whatever the
 * client wrote is passed through the card-number detector first, so a card number in a URL, in any
 * spelling the detector knows, never reaches a log.
 */
import { redactCardNumbers } from '../domain/pan-detector.ts';

interface LoggableRequest {
  method: string;
  url: string;
  ip?: string;
  routeOptions?: { url?: string };
  params?: unknown;
}

export function requestForLog(req: LoggableRequest): {
  method: string;
  url: string;
  params?: Record<string, string>;
  remoteAddress?: string;
} {
  const template = req.routeOptions?.url;
  if (template === undefined) {
    return { method: req.method, url: redactCardNumbers(req.url.split('?')[0] ?? ''), remoteAddress: req.ip };
  }
  const params: Record<string, string> = {};
  if (req.params && typeof req.params === 'object') {
    for (const [k, v] of Object.entries(req.params as Record<string, unknown>)) params[k] = redactCardNumbers(String(v));
  }
  return {
    method: req.method,
    url: template,
    ...(Object.keys(params).length > 0 ? { params } : {}),
    remoteAddress: req.ip,
  };
}

/**
 * An error as it may be logged: its message and stack can hold what a client sent (a database error quotes
 * the value it refused), so both pass through the card-number detector.
 */
export function errorForLog(err: { name?: unknown; message?: unknown; stack?: unknown; code?: unknown }): {
  type: string;
  message: string;
  stack: string;
  code?: string;
} {
  const text = (v: unknown) => (typeof v === 'string' ? redactCardNumbers(v) : '');
  return {
    type: typeof err.name === 'string' ? err.name : 'Error',
    message: text(err.message),
    stack: text(err.stack),
    ...(typeof err.code === 'string' || typeof err.code === 'number' ? { code: String(err.code) } : {}),
  };
}
