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
