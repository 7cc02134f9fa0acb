/**
 * A Cybersource merchant's side of the wire, over `t.app.inject` and nothing else (no SDK): HTTP Signature
 * (HmacSHA256 over host/date/request-target/digest/v-c-merchant-id) or JWT (v2 HS256 / RS256, v1 with x5c),
 * each with knobs to tamper with one thing at a time. Also certificates for RS256 JWT and their
 * registration through the admin API.
 */
import { execFileSync } from 'node:child_process';
import {
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  randomBytes,
  randomUUID,
  X509Certificate,
} from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CompactSign } from 'jose';
import { expect } from 'vitest';
import { ADMIN_TOKEN, futureYear, type TestApp, type TestMerchant } from '../../helpers/harness.ts';

/** The Host a client configured with `runEnvironment: 'apitest.cybersource.com'` sends. */
export const HOST = 'apitest.cybersource.com';

export const HEX32 = /^[0-9A-F]{32}$/;
export const II_ID = /^70[0-9]{17}$/;
export const PAYMENT_ID = /^[0-9]{22}$/;
export const EXP_YEAR = String(futureYear());

export interface CybsCredentials {
  merchantId: string;
  keyId: string;
  sharedSecret: string;
  mleKeyId: string;
  mlePrivateKeyPem: string;
}

export const cybsCreds = (m: TestMerchant): CybsCredentials =>
  (m.credentials.gateways as Record<string, unknown>).cybersource as CybsCredentials;

export type CybsMode =
  | { kind: 'sig' }
  | { kind: 'jwt-hs256' }
  | { kind: 'jwt-rs256'; privateKey: KeyObject; kid: string }
  | { kind: 'jwt-v1'; privateKey: KeyObject; certDer: Buffer };

/** One knob per thing a test may want to get wrong. Unset knobs give a correct request. */
export interface Knobs {
  /** The Host header sent (default HOST). */
  host?: string;
  /** Extra headers, or replacements for the computed ones (lowercase names). */
  headers?: Record<string, string>;
  /** Header names removed from what is sent, after everything else. */
  omit?: string[];
  /** The bytes actually sent, when they differ from those signed / digested. */
  bodyAfterSigning?: string;

  // HTTP Signature
  /** The `date` header, also used in the signing string unless signedDate is set. */
  date?: string;
  signedDate?: string;
  /** The `digest` header sent; the signing string uses signedDigest, else this, else the true digest. */
  digest?: string;
  signedDigest?: string;
  /** The host in the signing string / the JWT request-host claim (default: the Host header sent). */
  signedHost?: string;
  /** The path in the signing string / JWT request-resource-path (default: the path sent). */
  signedPath?: string;
  /** The method in the signing string / JWT request-method (default: the method sent, lowercase). */
  signedMethod?: string;
  /** Base64 shared secret for HMAC / HS256 (default: the merchant's). */
  secret?: string;
  /** keyid="…" of the signature header; kid of an HS256 JWT. */
  keyId?: string;
  /** The v-c-merchant-id header (signature) or claim and iss (JWT). */
  merchantId?: string;
  /** The merchant id in the signing string (default: the header's). */
  signedMerchantId?: string;
  /** headers="…" and the lines of the signing string, in order. */
  headerList?: string[];
  /** The request-target header name in the default list. */
  requestTarget?: 'request-target' | '(request-target)';
  /** algorithm="…" (default HmacSHA256). */
  algorithm?: string;
  /** The whole `signature` header value, verbatim. */
  signature?: string;

  // JWT
  /** iat: seconds (v2) or an RFC 1123 string (v1). */
  iat?: number | string;
  /** exp in seconds; null leaves it out. */
  exp?: number | null;
  /** JOSE alg (e.g. 'none', or 'HS256' with signingKey for algorithm confusion). */
  alg?: string;
  /** Merged over the default claims; an undefined value removes the claim. */
  claims?: Record<string, unknown>;
  /** Merged over the default JOSE header; an undefined value removes the member. */
  header?: Record<string, unknown>;
  /** The key to sign with instead of the mode's. */
  signingKey?: KeyObject | Uint8Array;
  /** The whole bearer token, verbatim. */
  token?: string;
}

export interface CybsResponse {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are read loosely in assertions
  json: any;
  body: string;
}

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export const sha256b64 = (bytes: string | Buffer): string => createHash('sha256').update(bytes).digest('base64');
export const digestOf = (body: string): string => `SHA-256=${sha256b64(body)}`;
export const rfc1123 = (d: Date): string => d.toUTCString();
const b64url = (v: unknown): string => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

function merge(base: Record<string, unknown>, over?: Record<string, unknown>): Record<string, unknown> {
  const out = { ...base, ...over };
  for (const [k, v] of Object.entries(out)) if (v === undefined) delete out[k];
  return out;
}

export function parseBody(body: string): unknown {
  if (body === '') return undefined;
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

/** Signs a JWS with the given header, leaving jose only the signing (any alg and payload allowed). */
export async function signJws(header: Record<string, unknown>, payload: unknown, key: KeyObject | Uint8Array | null): Promise<string> {
  if (header.alg === 'none' || key === null) return `${b64url(header)}.${b64url(payload)}.`;
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader(header as { alg: string }).sign(key);
}

export interface CybsClient {
  creds: CybsCredentials;
  mode: CybsMode;
  request(method: Method, url: string, body?: unknown, knobs?: Knobs): Promise<CybsResponse>;
  get(url: string, knobs?: Knobs): Promise<CybsResponse>;
  post(url: string, body: unknown, knobs?: Knobs): Promise<CybsResponse>;
  patch(url: string, body: unknown, knobs?: Knobs): Promise<CybsResponse>;
  put(url: string, body: unknown, knobs?: Knobs): Promise<CybsResponse>;
  delete(url: string, knobs?: Knobs): Promise<CybsResponse>;
}

/** Requests whose signature would be byte-identical within one second, by what makes them so: the seconds signed at. */
const sentIn = new Map<string, Set<number>>();

/**
 * The second to sign at, when this request would otherwise be byte-identical to one already signed in the same
 * second: the one before the last used (still well inside the clock skew), as a real client's second identical
 * request comes at another second. Within one second the vault takes it for a replay (SECURITY.md "Replays"):
 * an HTTP Signature state-changing request is answered the first answer, a v1 JWT (whose claims name neither
 * method nor path) is bound to its first request. Tests that mean to replay pass their own `date`, `iat` or
 * `token`. Null: sign at the current time.
 */
async function distinctSecond(
  creds: CybsCredentials,
  mode: CybsMode,
  method: Method,
  url: string,
  text: string | undefined,
  k: Knobs,
): Promise<Date | null> {
  let key: string | null = null;
  if (mode.kind === 'sig' && method !== 'GET' && k.date === undefined) key = `sig ${creds.merchantId} ${method} ${url} ${text ?? ''}`;
  if (mode.kind === 'jwt-v1' && k.iat === undefined && k.token === undefined) key = `v1 ${creds.merchantId} ${text ?? ''}`;
  if (key === null) return null;
  let used = sentIn.get(key);
  if (!used) {
    used = new Set();
    sentIn.set(key, used);
  }
  for (;;) {
    const now = Math.floor(Date.now() / 1000);
    // Seconds are remembered as long as the server's replay window (its 300 s skew) could still hold them.
    for (const past of used) if (past < now - 300) used.delete(past);
    let second = now;
    while (used.has(second)) second--;
    // Never further back than 250 s (inside the skew): past that, wait for a new second.
    if (second >= now - 250) {
      used.add(second);
      return second === now ? null : new Date(second * 1000);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 5));
  }
}

/** The headers (and the exact body) of one authenticated request, without sending it. */
export async function buildAuth(
  creds: CybsCredentials,
  mode: CybsMode,
  method: Method,
  url: string,
  text: string | undefined,
  k: Knobs = {},
): Promise<Record<string, string>> {
  const at = await distinctSecond(creds, mode, method, url, text, k);
  const host = k.host ?? HOST;
  const hasBody = method === 'POST' || method === 'PUT' || method === 'PATCH';
  const headers: Record<string, string> = {
    host,
    accept: 'application/json;charset=utf-8',
    'user-agent': 'Mozilla/5.0',
  };
  if (text !== undefined) headers['content-type'] = 'application/json';
  const merchantId = k.merchantId ?? creds.merchantId;
  const secret = Buffer.from(k.secret ?? creds.sharedSecret, 'base64');

  if (mode.kind === 'sig') {
    const date = k.date ?? rfc1123(at ?? new Date());
    headers.date = date;
    headers['v-c-merchant-id'] = merchantId;
    const trueDigest = text !== undefined ? digestOf(text) : undefined;
    const digestHeader = k.digest ?? (hasBody ? trueDigest : undefined);
    if (digestHeader !== undefined) headers.digest = digestHeader;
    const rt = k.requestTarget ?? 'request-target';
    const list = k.headerList ?? (hasBody ? ['host', 'date', rt, 'digest', 'v-c-merchant-id'] : ['host', 'date', rt, 'v-c-merchant-id']);
    const line = (name: string): string => {
      switch (name) {
        case 'host':
          return `host: ${k.signedHost ?? host}`;
        case 'date':
          return `date: ${k.signedDate ?? date}`;
        case 'request-target':
        case '(request-target)':
          return `${name}: ${(k.signedMethod ?? method).toLowerCase()} ${k.signedPath ?? url}`;
        case 'digest':
          return `digest: ${k.signedDigest ?? digestHeader ?? trueDigest ?? ''}`;
        case 'v-c-merchant-id':
          return `v-c-merchant-id: ${k.signedMerchantId ?? merchantId}`;
        default:
          return `${name}: ${k.headers?.[name] ?? ''}`;
      }
    };
    const signingString = list.map(line).join('\n');
    const sig = createHmac('sha256', secret).update(signingString, 'utf8').digest('base64');
    headers.signature =
      k.signature ??
      `keyid="${k.keyId ?? creds.keyId}", algorithm="${k.algorithm ?? 'HmacSHA256'}", headers="${list.join(' ')}", signature="${sig}"`;
  } else {
    let token = k.token;
    if (token === undefined) {
      const now = Math.floor(Date.now() / 1000);
      const bodyClaims: Record<string, unknown> = {};
      if (hasBody && text !== undefined) {
        bodyClaims.digest = sha256b64(text);
        bodyClaims[mode.kind === 'jwt-v1' ? 'digestAlgorithm' : 'digest-algorithm'] = 'SHA-256';
      }
      let header: Record<string, unknown>;
      let claims: Record<string, unknown>;
      let key: KeyObject | Uint8Array;
      if (mode.kind === 'jwt-v1') {
        header = { typ: 'JWT', alg: 'RS256', 'v-c-merchant-id': merchantId, x5c: [mode.certDer.toString('base64')] };
        claims = { iat: k.iat ?? rfc1123(at ?? new Date()), ...bodyClaims };
        key = mode.privateKey;
      } else {
        const iat = typeof k.iat === 'number' ? k.iat : now;
        header =
          mode.kind === 'jwt-hs256'
            ? { typ: 'JWT', alg: 'HS256', kid: k.keyId ?? creds.keyId }
            : { typ: 'JWT', alg: 'RS256', kid: k.keyId ?? mode.kid };
        claims = {
          iat,
          ...(k.exp === null ? {} : { exp: k.exp ?? iat + 120 }),
          'request-host': k.signedHost ?? host,
          'request-resource-path': k.signedPath ?? url,
          'request-method': (k.signedMethod ?? method).toLowerCase(),
          iss: merchantId,
          jti: randomUUID(),
          'v-c-jwt-version': '2',
          'v-c-merchant-id': merchantId,
          ...bodyClaims,
        };
        key = mode.kind === 'jwt-hs256' ? new Uint8Array(secret) : mode.privateKey;
      }
      header = merge(header, k.alg !== undefined ? { ...k.header, alg: k.alg } : k.header);
      claims = merge(claims, k.claims);
      token = await signJws(header, claims, header.alg === 'none' ? null : (k.signingKey ?? key));
    }
    headers.authorization = `Bearer ${token}`;
  }
  Object.assign(headers, k.headers);
  for (const name of k.omit ?? []) delete headers[name.toLowerCase()];
  return headers;
}

export function cybs(t: TestApp, merchant: TestMerchant | CybsCredentials, mode: CybsMode = { kind: 'sig' }): CybsClient {
  const creds = 'merchantId' in merchant ? merchant : cybsCreds(merchant);
  const request = async (method: Method, url: string, body?: unknown, knobs: Knobs = {}): Promise<CybsResponse> => {
    const text = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const headers = await buildAuth(creds, mode, method, url, text, knobs);
    const sent = knobs.bodyAfterSigning ?? text;
    const res = await t.app.inject({ method, url, headers, ...(sent !== undefined ? { payload: sent } : {}) });
    return { status: res.statusCode, headers: res.headers, json: parseBody(res.body), body: res.body };
  };
  return {
    creds,
    mode,
    request,
    get: (url, knobs) => request('GET', url, undefined, knobs),
    post: (url, body, knobs) => request('POST', url, body, knobs),
    patch: (url, body, knobs) => request('PATCH', url, body, knobs),
    put: (url, body, knobs) => request('PUT', url, body, knobs),
    delete: (url, knobs) => request('DELETE', url, undefined, knobs),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Certificates for RS256 JWT

export interface TestCert {
  /** What the server should take as the kid: the subject serialNumber attribute. */
  kid: string;
  privateKey: KeyObject;
  publicKeyPem: string;
  certPem: string;
  certDer: Buffer;
}

/** An RSA key and a self-signed certificate whose subject carries `serialNumber=<kid>`, made by openssl. */
export function makeCert(opts: { serialNumber?: string; bits?: number; cn?: string } = {}): TestCert {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tv-cybs-cert-'));
  try {
    const kid = opts.serialNumber ?? randomBytes(8).toString('hex');
    const keyFile = path.join(dir, 'key.pem');
    const certFile = path.join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        `rsa:${opts.bits ?? 2048}`,
        '-nodes',
        '-keyout',
        keyFile,
        '-out',
        certFile,
        '-days',
        '30',
        '-subj',
        `/CN=${opts.cn ?? 'tokenvault-test'}/serialNumber=${kid}`,
      ],
      { stdio: 'pipe' },
    );
    const certPem = fs.readFileSync(certFile, 'utf8');
    const privateKey = createPrivateKey(fs.readFileSync(keyFile, 'utf8'));
    const x509 = new X509Certificate(certPem);
    return {
      kid,
      privateKey,
      publicKeyPem: createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString(),
      certPem,
      certDer: Buffer.from(x509.raw),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** PUT /v1/admin/merchants/{id}/gateways/cybersource/keys with the admin token; the raw answer. */
export async function putCybsKeys(t: TestApp, merchantId: string, body: Record<string, unknown>): Promise<CybsResponse> {
  const res = await t.app.inject({
    method: 'PUT',
    url: `/v1/admin/merchants/${merchantId}/gateways/cybersource/keys`,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    payload: body,
  });
  return { status: res.statusCode, headers: res.headers, json: parseBody(res.body), body: res.body };
}

/** Registers a certificate for RS256 JWT, expecting it to be listed under its kid. */
export async function registerCert(t: TestApp, merchant: TestMerchant, cert: TestCert): Promise<void> {
  const res = await putCybsKeys(t, merchant.id, { certificatePem: cert.certPem });
  if (res.status !== 200) throw new Error(`certificate registration failed: ${res.status} ${res.body}`);
  expect(res.json.certificates.map((c: { kid: string }) => c.kid)).toContain(cert.kid);
}

// ---------------------------------------------------------------------------------------------------------
// Assertions and fixtures

/** The one 401 body of the contract. */
export function expectAuthFailed(res: CybsResponse): void {
  expect(res.status, res.body).toBe(401);
  expect(Object.keys(res.json ?? {}).sort()).toEqual(['errors', 'response']);
  expect(res.json.errors).toHaveLength(1);
  expect(res.json.errors[0].type).toBe('authenticationFailed');
  expect(res.json.errors[0].message).toMatch(/^Authentication Failed: \S/);
  expect(res.json.response).toEqual({ rmsg: 'Authentication Failed' });
}

/** A TMS error: `{errors:[{type, message, details?}]}`. */
export function expectTmsError(res: CybsResponse, status: number, type?: string | string[]): void {
  expect(res.status, res.body).toBe(status);
  expect(Array.isArray(res.json?.errors), res.body).toBe(true);
  expect(res.json.errors.length).toBeGreaterThan(0);
  const e = res.json.errors[0];
  expect(typeof e.type).toBe('string');
  expect(typeof e.message).toBe('string');
  if (typeof type === 'string') expect(e.type).toBe(type);
  else if (type) expect(type).toContain(e.type);
  if (e.details !== undefined) {
    expect(Array.isArray(e.details)).toBe(true);
    for (const d of e.details) expect(typeof d.name).toBe('string');
  }
}

/** A PTS 400: `{submitTimeUtc, status: INVALID_REQUEST, reason, message, details?}`. */
export function expectPtsError(res: CybsResponse, reason: string | string[], status = 400): void {
  expect(res.status, res.body).toBe(status);
  expect(res.json?.status, res.body).toBe(status === 400 ? 'INVALID_REQUEST' : 'SERVER_ERROR');
  if (typeof reason === 'string') expect(res.json.reason).toBe(reason);
  else expect(reason).toContain(res.json.reason);
  expect(typeof res.json.message).toBe('string');
  expect(res.json.submitTimeUtc).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  if (res.json.details !== undefined) {
    expect(Array.isArray(res.json.details)).toBe(true);
    for (const d of res.json.details) expect(typeof d.field).toBe('string');
  }
}

/** Row counts of everything a merchant owns: nothing-changed checks compare two of these. */
export async function rowCounts(t: TestApp, merchantId: string): Promise<Record<string, number>> {
  const db = t.vault.store.db;
  const count = async (table: 'customers' | 'cards' | 'instrument_identifiers' | 'addresses' | 'payments') =>
    Number(
      (
        await db
          .selectFrom(table)
          .select((e) => e.fn.countAll().as('n'))
          .where('merchant_id', '=', merchantId)
          .executeTakeFirstOrThrow()
      ).n,
    );
  return {
    customers: await count('customers'),
    cards: await count('cards'),
    instrumentIdentifiers: await count('instrument_identifiers'),
    addresses: await count('addresses'),
    payments: await count('payments'),
  };
}

/** Audit events with this action on a chain ('system' for refusals). */
export async function auditCount(t: TestApp, chain: string, action: string): Promise<number> {
  const db = t.vault.store.db;
  return Number(
    (
      await db
        .selectFrom('audit_events')
        .select((e) => e.fn.countAll().as('n'))
        .where('chain', '=', chain)
        .where('action', '=', action)
        .executeTakeFirstOrThrow()
    ).n,
  );
}

/** Calls fn until done() holds or `ms` pass, returning the last value. */
export async function pollFor<T>(fn: () => Promise<T>, done: (v: T) => boolean, ms = 3_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (done(v) || Date.now() >= end) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const customerBody = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  buyerInformation: { merchantCustomerID: `cust-${randomBytes(6).toString('hex')}`, email: 'ada@example.com' },
  clientReferenceInformation: { code: 'tv-test' },
  ...over,
});

/** The 3-digit Cybersource card type code of a test card number. */
export function cardTypeCode(number: string): string {
  if (number.startsWith('4')) return '001';
  if (/^(5[1-5]|2[2-7])/.test(number)) return '002';
  if (/^3[47]/.test(number)) return '003';
  if (/^(6011|65|64[4-9])/.test(number)) return '004';
  if (/^(30|36|38)/.test(number)) return '005';
  if (/^35/.test(number)) return '007';
  throw new Error(`no card type code for ${number.slice(0, 6)}…`);
}

/** A customer PI body that tokenizes `number` (a new or existing instrument identifier). */
export const piBody = (number: string, over: Record<string, unknown> = {}): Record<string, unknown> => ({
  card: { expirationMonth: '12', expirationYear: EXP_YEAR, type: cardTypeCode(number) },
  billTo: { firstName: 'Ada', lastName: 'Lovelace', address1: '1 Main St', locality: 'London', postalCode: 'N1 1AA', country: 'GB' },
  instrumentIdentifier: { card: { number } },
  ...over,
});

/** A TMS customer with one PI (its default) for `number`. */
export async function customerWithCard(
  c: CybsClient,
  number: string,
): Promise<{ customerId: string; piId: string; iiId: string; customer: CybsResponse['json']; pi: CybsResponse['json'] }> {
  const cus = await c.post('/tms/v2/customers', customerBody());
  if (cus.status !== 201) throw new Error(`customer create failed: ${cus.status} ${cus.body}`);
  const pi = await c.post(`/tms/v2/customers/${cus.json.id}/payment-instruments`, piBody(number));
  if (pi.status !== 201) throw new Error(`payment instrument create failed: ${pi.status} ${pi.body}`);
  return { customerId: cus.json.id, piId: pi.json.id, iiId: pi.json.instrumentIdentifier.id, customer: cus.json, pi: pi.json };
}

/** Replaces every occurrence of each id by a placeholder, to compare two answers about different ids. */
export function withoutIds(value: unknown, ids: string[]): unknown {
  let text = JSON.stringify(value);
  for (const id of ids) text = text.split(id).join('<ID>');
  return JSON.parse(text);
}

/** A 32-hex or 22-digit id nobody has. */
export const unknownHex32 = (): string => randomBytes(16).toString('hex').toUpperCase();
export const unknownPaymentId = (): string => `9${Array.from({ length: 21 }, () => Math.floor(Math.random() * 10)).join('')}`;
export const unknownIiId = (): string => `70${Array.from({ length: 17 }, () => Math.floor(Math.random() * 10)).join('')}`;
