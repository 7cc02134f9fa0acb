/**
 * An AlliancePay H2H merchant's side of the wire: a session from `authorize_virtual_device` (answered as a
 * JWE to the merchant's public JWK), then every call's JSON body sent as a compact JWE to the session's
 * `serverPublic` (Content-Type text/plain), card fields nested as JWEs to the payment public JWK, and each
 * `{jwe}` answer decrypted with the merchant's private JWK. Errors come back as plain JSON.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { CompactEncrypt, compactDecrypt, importJWK, type JWK } from 'jose';
import { rememberSecret, type TestApp, type TestMerchant } from '../../helpers/harness.ts';

export const ALG = 'ECDH-ES+A256KW';
export const ENC = 'A256GCM';

export interface AllianceCredentials {
  merchantId: string;
  serviceCode: string;
  merchantPrivateJwk: JWK;
  paymentPublicJwk: JWK;
}

export interface AllianceSession {
  authToken: string;
  refreshToken: string;
  deviceId: string;
  serverPublic: JWK;
  tokenExpirationDateTime: string;
}

// biome-ignore lint/suspicious/noExplicitAny: decrypted answers are read field by field in the tests
export type Json = any;

export interface ApResponse {
  status: number;
  /** The decrypted answer when the server sent `{jwe}`, else the plain JSON body (an error). */
  json: Json;
  /** The body as sent on the wire. */
  raw: string;
  /** Whether the answer was a `{jwe}` envelope. */
  encrypted: boolean;
}

export interface CallOptions {
  /** The body exactly as sent (no encryption). */
  raw?: string;
  /** The plaintext to encrypt instead of JSON.stringify(body). */
  plaintext?: string;
  /** Encrypt the body to this key instead of the session's serverPublic. */
  encryptTo?: JWK;
  /** Headers to set or override. */
  headers?: Record<string, string>;
  /** Headers to leave out altogether. */
  omit?: string[];
  /** The x-request_id to send (default: a fresh UUID). */
  requestId?: string;
  /** Another session's device id / refresh token (default: the client's current session). */
  session?: AllianceSession;
  contentType?: string;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A compact JWE (ECDH-ES+A256KW / A256GCM) of `text` to a public EC JWK. */
export async function encryptTo(jwk: JWK, text: string): Promise<string> {
  const key = await importJWK({ ...jwk, alg: ALG }, ALG);
  return new CompactEncrypt(enc.encode(text)).setProtectedHeader({ alg: ALG, enc: ENC }).encrypt(key);
}

/** The plaintext of a compact JWE, decrypted with a private EC JWK. */
export async function decryptWith(jwk: JWK, jwe: string): Promise<string> {
  const key = await importJWK({ ...jwk, alg: ALG }, ALG);
  const { plaintext } = await compactDecrypt(jwe, key);
  return dec.decode(plaintext);
}

/** A fresh P-384 pair nobody registered: for "encrypted to the wrong key". */
export function strangerKeys(): { publicJwk: JWK; privateJwk: JWK } {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  return { publicJwk: publicKey.export({ format: 'jwk' }) as JWK, privateJwk: privateKey.export({ format: 'jwk' }) as JWK };
}

/** AlliancePay's `date`: `yyyy-MM-dd HH:mm:ss.SS+00:00`. */
export function apDate(d = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return (
    `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ` +
    `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(Math.floor(d.getUTCMilliseconds() / 10))}+00:00`
  );
}

/** Flips one character in the middle of a compact JWE's ciphertext part. */
export function tamper(jwe: string): string {
  const parts = jwe.split('.');
  const ct = parts[3] as string;
  const i = Math.floor(ct.length / 2);
  parts[3] = ct.slice(0, i) + (ct[i] === 'A' ? 'B' : 'A') + ct.slice(i + 1);
  return parts.join('.');
}

export function allianceCredentials(m: TestMerchant): AllianceCredentials {
  return (m.credentials.gateways as Record<string, AllianceCredentials>).alliancepay as AllianceCredentials;
}

/** Every HTTP status this process's AlliancePay clients got: the suites check none was a 5xx. */
export const statusLog: number[] = [];

async function parse(res: { statusCode: number; body: string }, privateJwk: JWK): Promise<ApResponse> {
  statusLog.push(res.statusCode);
  let body: Json;
  try {
    body = JSON.parse(res.body);
  } catch {
    throw new Error(`not JSON (HTTP ${res.statusCode}): ${res.body.slice(0, 300)}`);
  }
  if (body && typeof body === 'object' && typeof body.jwe === 'string') {
    return { status: res.statusCode, json: JSON.parse(await decryptWith(privateJwk, body.jwe)), raw: res.body, encrypted: true };
  }
  return { status: res.statusCode, json: body, raw: res.body, encrypted: false };
}

export interface AllianceClient {
  creds: AllianceCredentials;
  merchantId: string;
  /** The session of the last successful authorize(). */
  session: AllianceSession;
  /** POST /api-gateway/authorize_virtual_device; on success the session becomes the client's. */
  authorize(opts?: { serviceCode?: string; headers?: Record<string, string>; omit?: string[]; body?: unknown }): Promise<ApResponse>;
  /** A JWE of a card field to the payment public JWK (or another key). */
  encField(text: string, jwk?: JWK): Promise<string>;
  call(path: string, body: unknown, opts?: CallOptions): Promise<ApResponse>;
}

export const PATHS = {
  create: '/ecom/execute_request/token/v1/create',
  list: '/ecom/execute_request/token/v1/list/by-customer-id',
  get: '/ecom/execute_request/token/v1/get',
  state: '/ecom/execute_request/token/v1/state/update',
  tokenPurchase: '/ecom/execute_request/payments/v1/token/purchase',
  tokenPurchase3ds: '/ecom/execute_request/payments/v1/token/purchase/3ds',
  tokenC2a: '/ecom/execute_request/payments/v1/token/c2a',
  tokenC2a3ds: '/ecom/execute_request/payments/v1/token/c2a/3ds',
  purchase: '/ecom/execute_request/payments/v1/purchase',
  purchase3ds: '/ecom/execute_request/payments/v1/purchase/3ds',
  refund: '/ecom/execute_request/payments/v3/refund',
  operation: '/ecom/execute_request/payments/v1/operations',
  byReference: '/ecom/execute_request/payments/v1/operation/by_merchant_request_id',
} as const;

/** `privateJwk`: the merchant's own private key, when it registered its own public JWK. */
export function allianceClient(t: TestApp, m: TestMerchant, opts: { privateJwk?: JWK } = {}): AllianceClient {
  const shown = allianceCredentials(m);
  const creds = { ...shown, merchantPrivateJwk: opts.privateJwk ?? shown.merchantPrivateJwk };
  let current: AllianceSession | null = null;
  const client: AllianceClient = {
    creds,
    merchantId: creds.merchantId,
    get session(): AllianceSession {
      if (!current) throw new Error('no session: call authorize() first');
      return current;
    },
    set session(s: AllianceSession) {
      current = s;
    },
    async authorize(opts = {}) {
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'x-api_version': 'V1',
        'x-request_id': randomUUID(),
        ...opts.headers,
      };
      for (const name of opts.omit ?? []) delete headers[name.toLowerCase()];
      const res = await t.app.inject({
        method: 'POST',
        url: '/api-gateway/authorize_virtual_device',
        headers,
        payload: JSON.stringify(opts.body ?? { serviceCode: opts.serviceCode ?? creds.serviceCode }),
      });
      const r = await parse(res, creds.merchantPrivateJwk);
      if (r.encrypted) {
        current = r.json as AllianceSession;
        rememberSecret(current.refreshToken, current.authToken);
      }
      return r;
    },
    encField(text, jwk = creds.paymentPublicJwk) {
      return encryptTo(jwk, text);
    },
    async call(path, body, opts = {}) {
      const s = opts.session ?? client.session;
      const payload = opts.raw ?? (await encryptTo(opts.encryptTo ?? s.serverPublic, opts.plaintext ?? JSON.stringify(body)));
      const headers: Record<string, string> = {
        'content-type': opts.contentType ?? 'text/plain',
        'x-api_version': 'V1',
        'x-request_id': opts.requestId ?? randomUUID(),
        'x-device_id': s.deviceId,
        'x-refresh_token': s.refreshToken,
        ...opts.headers,
      };
      for (const name of opts.omit ?? []) delete headers[name.toLowerCase()];
      const res = await t.app.inject({ method: 'POST', url: path, headers, payload });
      return parse(res, creds.merchantPrivateJwk);
    },
  };
  return client;
}

/** Test-data builders shared by both suites. */
export function bodies(ap: AllianceClient, expiry: string) {
  return {
    async createToken(over: { pan?: string; exp?: string; customerId?: string } & Record<string, unknown> = {}) {
      const { pan, exp, ...rest } = over;
      return {
        merchantRequestId: randomUUID(),
        merchantId: ap.merchantId,
        customerId: 'cust-default',
        encryptedCardNumber: await ap.encField(pan ?? '5555555555554444'),
        encryptedExpDate: await ap.encField(exp ?? expiry),
        date: apDate(),
        ...rest,
      };
    },
    async tokenPurchase(token: string, over: Record<string, unknown> = {}) {
      return {
        merchantRequestId: randomUUID(),
        merchantId: ap.merchantId,
        token,
        coinAmount: 10000,
        cvv: await ap.encField('123'),
        desiredThreeDSMode: 'SHOULD',
        date: apDate(),
        customerData: { senderCustomerId: 'cust-default' },
        ...over,
      };
    },
  };
}
