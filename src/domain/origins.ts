/**
 * Web origins, as a publishable key lists them and as browsers send them (the Origin header, CSP
 * frame-ancestors): scheme, host and port, nothing else. Pure; `URL` is only a parser here.
 */
import { err, ok, type Result } from './result.ts';

export type OriginError = 'origin_format';

/** How many origins one publishable key may list. */
export const MAX_ORIGINS = 20;
const MAX_ORIGIN_LENGTH = 200;

/**
 * Accepts an origin only in the one spelling a browser sends: `https://shop.example`, `http://127.0.0.1:5173`
 * (lower-case host, no default port, no path, query, fragment, user or trailing slash). Anything else is
 * refused rather than rewritten, so what is stored is byte for byte what the Origin header will carry.
 */
export function parseOrigin(input: string): Result<string, OriginError> {
  if (input.length > MAX_ORIGIN_LENGTH) return err('origin_format', `at most ${MAX_ORIGIN_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return err('origin_format', 'not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return err('origin_format', 'the scheme must be https or http');
  // A host name or an IP address: nothing a Content-Security-Policy would read as a pattern (`*.shop.example`).
  if (!/^(?:[a-z0-9-]+\.)*[a-z0-9-]+$|^\[[0-9a-f:.]+\]$/.test(url.hostname))
    return err('origin_format', 'the host must be a name or an address');
  if (url.origin !== input)
    return err('origin_format', 'write it as a browser sends it: scheme://host[:port], lower case, no path or trailing slash');
  return ok(url.origin);
}

/** The origins of a list, each checked, without repeats; the first refusal otherwise. */
export function parseOrigins(inputs: readonly string[]): Result<string[], OriginError> {
  if (inputs.length === 0 || inputs.length > MAX_ORIGINS) return err('origin_format', `list 1 to ${MAX_ORIGINS} origins`);
  const out: string[] = [];
  for (const [i, input] of inputs.entries()) {
    const o = parseOrigin(input);
    // The input is not echoed: what a client sent is never repeated in a refusal.
    if (!o.ok) return err('origin_format', `origins[${i}]: ${o.detail}`);
    if (!out.includes(o.value)) out.push(o.value);
  }
  return ok(out);
}
