/**
 * OPay request signatures: hex HMAC-SHA512 of the JSON body under the merchant's secret key. Clients sign
 * either the bytes they send or the canonical form (keys sorted recursively, compact, `/` unescaped), so
 * both are accepted; comparison is constant-time and case-insensitive.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Keys sorted at every depth, compact, slashes unescaped (JSON.stringify never escapes them). */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value as Record<string, unknown>)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

export const sign = (secret: string, message: string): string => createHmac('sha512', secret).update(message, 'utf8').digest('hex');

function sameHex(presented: string, expected: string): boolean {
  const a = Buffer.from(presented.toLowerCase(), 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

export function signatureMatches(secret: string, presented: string, rawBody: string, parsed: unknown): boolean {
  if (!/^[0-9a-fA-F]{128}$/.test(presented)) return false;
  // Both candidates are always computed, so the time taken says nothing about which one matched.
  const raw = sameHex(presented, sign(secret, rawBody));
  const canonical = parsed === undefined ? false : sameHex(presented, sign(secret, canonicalJson(parsed)));
  return raw || canonical;
}
