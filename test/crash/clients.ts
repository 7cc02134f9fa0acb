/**
 * What a merchant sends: the native API with its API key, OPay (HMAC-SHA512 over the sorted JSON) and
 * AppotaPay (HS256 JWT in X-APPOTAPAY-AUTH), over real HTTP to the server process. The signing itself
 * comes from the gateway test helpers.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { compactDecrypt, exportJWK, generateKeyPair, type JWK } from 'jose';
import { type AppotaCredentials, appotaJwt } from '../gateways/appotapay/helpers.ts';
import { hmacHex, sortedJson } from '../gateways/opay/helpers.ts';
import { jsonOf, type Reply, send, type Target } from './http.ts';

export interface Merchant {
  id: string;
  apiKey: string;
  opay: { merchantId: string; secretKey: string };
  appota: AppotaCredentials;
}

export const REQUEST_TIMEOUT_MS = 15_000;

export async function createMerchant(target: Target, adminToken: string, name: string): Promise<Merchant> {
  const r = await send(
    target,
    'POST',
    '/v1/admin/merchants',
    { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    JSON.stringify({ name }),
    60_000,
  );
  if (r.status !== 201) throw new Error(`merchant create: ${r.status} ${r.text.slice(0, 300)}`);
  const b = jsonOf(r) as {
    id: string;
    apiKey: string;
    gateways: { opay: { merchantId: string; secretKey: string }; appotapay: AppotaCredentials };
  };
  const a = b.gateways.appotapay;
  return {
    id: b.id,
    apiKey: b.apiKey,
    opay: { merchantId: b.gateways.opay.merchantId, secretKey: b.gateways.opay.secretKey },
    appota: { partnerCode: a.partnerCode, apiKey: a.apiKey, secretKey: a.secretKey },
  };
}

/** Native API call with the merchant's API key. */
export function native(
  target: Target,
  m: Merchant,
  method: string,
  urlPath: string,
  body?: unknown,
  extra: Record<string, string> = {},
  timeoutMs = REQUEST_TIMEOUT_MS,
): Promise<Reply> {
  const headers: Record<string, string> = { authorization: `Bearer ${m.apiKey}`, ...extra };
  if (body !== undefined) headers['content-type'] = 'application/json';
  return send(target, method, urlPath, headers, body === undefined ? undefined : JSON.stringify(body), timeoutMs);
}

/** OPay token API call: the body is signed as OPay's clients sign it (keys sorted, compact). */
export function opay(target: Target, m: Merchant, op: 'create' | 'query' | 'delete', body: unknown, timeoutMs = REQUEST_TIMEOUT_MS) {
  const text = sortedJson(body);
  return send(
    target,
    'POST',
    `/api/v1/international/token/${op}`,
    { 'content-type': 'application/json', merchantid: m.opay.merchantId, authorization: `Bearer ${hmacHex(m.opay.secretKey, text)}` },
    text,
    timeoutMs,
  );
}

/** AppotaPay call; `requestId: null` leaves X-Request-ID out (it is optional; each one is single-use). */
export function appota(
  target: Target,
  m: Merchant,
  method: string,
  urlPath: string,
  body?: unknown,
  requestId: string | null = randomUUID(),
  timeoutMs = REQUEST_TIMEOUT_MS,
) {
  const headers: Record<string, string> = { 'x-appotapay-auth': appotaJwt(m.appota), language: 'en' };
  if (requestId) headers['x-request-id'] = requestId;
  if (body !== undefined) headers['content-type'] = 'application/json';
  return send(target, method, urlPath, headers, body === undefined ? undefined : JSON.stringify(body), timeoutMs);
}

// ---------------------------------------------------------------------------------------------------
// Card numbers

function withLuhn(payload: string): string {
  let sum = 0;
  for (let i = payload.length - 1, double = true; i >= 0; i--, double = !double) {
    let d = payload.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return payload + String((10 - (sum % 10)) % 10);
}

/**
 * Distinct Luhn-valid Visa numbers for one run: 4 + a run prefix (41000–49999, so never one of the
 * simulator's 400000… test cards) + a counter. Every request gets its own number, so what a request
 * left behind can be told apart from what any other request did.
 */
export function panSource(): () => string {
  const prefix = String(randomInt(41_000, 50_000));
  let n = randomInt(0, 1_000_000);
  return () => withLuhn(`4${prefix}${String(n++ % 1_000_000_000).padStart(9, '0')}`);
}

// ---------------------------------------------------------------------------------------------------
// Reveal: the number comes back only as a JWE to our own key

export interface RevealKey {
  jwk: JWK;
  open(jwe: string): Promise<{ token: string; number: string; expMonth: number; expYear: number }>;
}

export async function revealKey(): Promise<RevealKey> {
  const { publicKey, privateKey } = await generateKeyPair('ECDH-ES+A256KW', { crv: 'P-256', extractable: true });
  const jwk = await exportJWK(publicKey);
  return {
    jwk,
    async open(jwe) {
      const { plaintext } = await compactDecrypt(jwe, privateKey, {
        keyManagementAlgorithms: ['ECDH-ES+A256KW'],
        contentEncryptionAlgorithms: ['A256GCM'],
      });
      return JSON.parse(new TextDecoder().decode(plaintext));
    },
  };
}

/** The card number and expiry behind a token, through the native reveal route; null when it cannot be revealed. */
export async function reveal(
  target: Target,
  m: Merchant,
  key: RevealKey,
  token: string,
): Promise<{ status: number; card: { number: string; expMonth: number; expYear: number } | null }> {
  const r = await native(target, m, 'POST', `/v1/cards/${encodeURIComponent(token)}/reveal`, { purpose: 'crash test check', jwk: key.jwk });
  if (r.status !== 200) return { status: r.status, card: null };
  const b = jsonOf(r) as { jwe: string };
  const opened = await key.open(b.jwe);
  return { status: 200, card: opened.token === token ? opened : null };
}

/** Runs `fn` over `items` with at most `parallel` at a time. */
export async function eachLimited<T>(items: T[], parallel: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, items.length) }, async () => {
      while (next < items.length) {
        const item = items[next++] as T;
        await fn(item);
      }
    }),
  );
}
