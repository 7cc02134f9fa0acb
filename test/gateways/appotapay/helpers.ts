/**
 * An AppotaPay merchant's side of the wire: every request carries `X-APPOTAPAY-AUTH`, a JWT signed HS256 with
 * the partner's secret key (header `{typ, alg, cty: 'appotapay-api;v=1'}`, claims `iss`, `api_key`, `jti`, `exp`),
 * as AppotaPay's security page and sample scripts describe. The JWT is assembled by hand so that a test can
 * bend any part of it (drop a claim, change the alg, sign with another key).
 */
import { createHmac, randomUUID } from 'node:crypto';
import type { TestApp, TestMerchant } from '../../helpers/harness.ts';

export interface AppotaCredentials {
  partnerCode: string;
  apiKey: string;
  secretKey: string;
}

export function appotaCredentials(m: TestMerchant): AppotaCredentials {
  const g = (m.credentials.gateways as Record<string, Record<string, string>>).appotapay as Record<string, string>;
  return { partnerCode: g.partnerCode as string, apiKey: g.apiKey as string, secretKey: g.secretKey as string };
}

export interface JwtOptions {
  /** Merged over the default JOSE header; an undefined value removes the member. */
  header?: Record<string, unknown>;
  /** Merged over the default claims; an undefined value removes the claim. */
  claims?: Record<string, unknown>;
  /** Header members or claims to leave out altogether. */
  omitHeader?: string[];
  omitClaims?: string[];
  /** The key bytes to sign with instead of the merchant's secret key. */
  key?: string | Uint8Array;
  /** Signing algorithm (also written into the header unless `header.alg` says otherwise). `none`: no signature. */
  alg?: 'HS256' | 'HS384' | 'HS512' | 'none';
  /** Unix seconds to build `jti` and `exp` from; default the real clock. */
  now?: number;
  /** Replaces the signature part verbatim. */
  signature?: string;
}

const b64url = (v: unknown): string => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

function merge(base: Record<string, unknown>, over: Record<string, unknown> | undefined, omit: string[] | undefined) {
  const out: Record<string, unknown> = { ...base, ...over };
  for (const [k, v] of Object.entries(out)) if (v === undefined) delete out[k];
  for (const k of omit ?? []) delete out[k];
  return out;
}

/** The JWT an AppotaPay merchant sends: HS256 over the UTF-8 bytes of the secret key, 300 seconds to live. */
export function appotaJwt(creds: AppotaCredentials, opts: JwtOptions = {}): string {
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  const alg = opts.alg ?? 'HS256';
  const header = merge({ typ: 'JWT', alg, cty: 'appotapay-api;v=1' }, opts.header, opts.omitHeader);
  const claims = merge(
    { iss: creds.partnerCode, jti: `${creds.apiKey}-${now}`, api_key: creds.apiKey, exp: now + 300 },
    opts.claims,
    opts.omitClaims,
  );
  const input = `${b64url(header)}.${b64url(claims)}`;
  let signature = '';
  if (opts.signature !== undefined) signature = opts.signature;
  else if (alg !== 'none') {
    const hash = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }[alg];
    const key = opts.key === undefined ? Buffer.from(creds.secretKey, 'utf8') : opts.key;
    signature = createHmac(hash, key).update(input).digest('base64url');
  }
  return `${input}.${signature}`;
}

export interface AppotaResponse {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are read loosely in assertions
  json: any;
  body: string;
}

export interface CallOptions {
  /** Extra or replacing headers (lowercase names). */
  headers?: Record<string, string>;
  /** Headers to leave out altogether (e.g. `x-appotapay-auth`, `x-request-id`). */
  omit?: string[];
  /** How to build the JWT, or the whole header value verbatim. */
  jwt?: JwtOptions | string;
  /** Prefix the JWT with `Bearer `, as AppotaPay's older products show. */
  bearer?: boolean;
  /** Send this text as the body instead of JSON.stringify(body). */
  raw?: string;
}

type Method = 'GET' | 'POST' | 'DELETE';

export interface AppotaClient {
  creds: AppotaCredentials;
  call(method: Method, path: string, body?: unknown, opts?: CallOptions): Promise<AppotaResponse>;
}

/** State-changing requests by what they send, and the second (and how many times) their default JWT was minted in. */
const minted = new Map<string, { second: number; n: number }>();

/**
 * The default JWT names only the second it was minted in, so the same state-changing request made twice within
 * one second is byte-identical, and the vault answers the second with the first's answer (SECURITY.md
 * "Replays"). A client that means a second request mints its JWT at another second: a repeat within the
 * current second is signed as if minted a second (or n seconds) earlier, still well within its life.
 */
function jwtFor(creds: AppotaCredentials, method: Method, path: string, payload: string | undefined, jwt: CallOptions['jwt']) {
  if (jwt !== undefined || method === 'GET') return jwt;
  const second = Math.floor(Date.now() / 1000);
  const key = `${creds.apiKey} ${method} ${path} ${payload ?? ''}`;
  const last = minted.get(key);
  const n = last && last.second === second ? last.n + 1 : 0;
  minted.set(key, { second, n });
  return n === 0 ? undefined : { now: second - n };
}

export function appotaClient(t: TestApp, m: TestMerchant): AppotaClient {
  const creds = appotaCredentials(m);
  return {
    creds,
    async call(method, path, body, opts = {}) {
      const payload = opts.raw ?? (body === undefined ? undefined : JSON.stringify(body));
      const jwtOpts = jwtFor(creds, method, path, payload, opts.jwt);
      const jwt = typeof jwtOpts === 'string' ? jwtOpts : appotaJwt(creds, jwtOpts);
      const headers: Record<string, string> = {
        'x-appotapay-auth': opts.bearer ? `Bearer ${jwt}` : jwt,
        'content-type': 'application/json',
        'x-request-id': randomUUID(),
        ...opts.headers,
      };
      for (const name of opts.omit ?? []) delete headers[name.toLowerCase()];
      if (payload === undefined) delete headers['content-type'];
      const res = await t.app.inject({ method, url: path, headers, ...(payload !== undefined ? { payload } : {}) });
      let json: unknown;
      try {
        json = res.body === '' ? undefined : JSON.parse(res.body);
      } catch {
        json = undefined;
      }
      return { status: res.statusCode, headers: res.headers, json, body: res.body };
    },
  };
}

/** The seed's own example request (expiry year 29), with a merchantRefId the caller may replace. */
export const seedExample = () => ({
  merchantRefId: 'PdWghqjDT',
  tokenType: 'SINGLE',
  card: {
    holderName: 'HOANG NHUNG',
    number: '4000000000000010',
    expirationMonth: '12',
    expirationYear: '29',
    cvv: '123',
  },
  customer: {
    browser: {
      clientIp: '192.11.11.11',
      userAgent: 'ui',
      referrer: 'https://appotapay.com/',
      acceptLanguage: 'en-US',
    },
  },
  billing: {
    firstName: 'NHUNG',
    lastName: 'HOANG',
    email: 'nhunghoang@email.com',
    phoneNumber: '02345686432',
    alternatePhoneNumber: '02345686432',
    province: 'VP',
    country: 'MM',
    city: 'VT',
    addressLine1: '81 Lang Ha',
    addressLine2: '17 Mai Anh Tuan',
    postalCode: '10000',
  },
});

let refSeq = 0;
/** A merchantRefId unique within the run, at most 40 characters. */
export const refId = (prefix = 'R'): string =>
  `${prefix}-${Date.now().toString(36)}-${(++refSeq).toString(36)}-${randomUUID().slice(0, 8)}`;

export const LOWER_ULID = /^[0-9a-hjkmnp-tv-z]{26}$/;
export const UPPER_ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
export const RFC3339_VN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?\+07:00$/;

/** A valid token-create body (MULTIPLE, Visa 4000000000000010, 12/29) with overrides; an undefined value drops a field. */
export function tokenBody(over: Record<string, unknown> = {}, card: Record<string, unknown> = {}): Record<string, unknown> {
  const body: Record<string, unknown> = {
    merchantRefId: refId('TOK'),
    tokenType: 'MULTIPLE',
    card: merge(
      { holderName: 'HOANG NHUNG', number: '4000000000000010', expirationMonth: '12', expirationYear: '29', cvv: '123' },
      card,
      [],
    ),
    ...over,
  };
  for (const [k, v] of Object.entries(body)) if (v === undefined) delete body[k];
  return body;
}

export async function createToken(
  c: AppotaClient,
  over: Record<string, unknown> = {},
  card: Record<string, unknown> = {},
): Promise<Record<string, unknown> & { tokenId: string; merchantRefId: string }> {
  const r = await c.call('POST', '/credit-card/token', tokenBody(over, card));
  if (r.status !== 200) throw new Error(`token create failed: ${r.status} ${r.body}`);
  return r.json;
}

export function chargeBody(tokenId: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  const body: Record<string, unknown> = { tokenId, amount: 150000, currency: 'VND', merchantRefId: refId('CHG'), capture: true, ...over };
  for (const [k, v] of Object.entries(body)) if (v === undefined) delete body[k];
  return body;
}
