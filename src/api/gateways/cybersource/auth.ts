/**
 * Cybersource REST authentication as the official SDKs send it (gateways.md §4.7): HTTP Signature
 * (HMAC-SHA256 over host, date, request-target, digest, v-c-merchant-id) and JWT — v2 (HS256 with the
 * shared secret, RS256 with a registered certificate, claims binding the request) and v1 (RS256 with the
 * certificate in x5c, RFC 1123 iat). Every check that fails is an `authenticationFailed` refusal (401) carrying
 * what the pipeline audits (kit/pipeline.ts). Credentials come from the kit's resolver (one cache, each request
 * re-reads the row).
 */
import { createHash, createHmac, createPublicKey, type KeyObject, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { compactVerify, decodeProtectedHeader, errors as joseErrors } from 'jose';
import type { Caller } from '../../../vault/deps.ts';
import type { MerchantService } from '../../../vault/merchants.ts';
import { parseJsonBounded } from '../../json.ts';
import { type CredentialResolver, credentialResolver } from '../kit/credentials.ts';
import { isPlainObject } from '../kit/fields.ts';
import type { DedupeKey } from '../kit/first-answers.ts';
import { isRefusal } from '../kit/refusal.ts';
import { authError } from './codes.ts';
import type { CybersourceCertificate } from './credentials.ts';
import { bindV1, claimJti, type ReplayClaims, signatureDedupe } from './replay.ts';

/**
 * A refused authentication. Its message is always a fixed string (or one built from the server's own
 * constants): it is logged, audited and echoed, so it never quotes what the client sent.
 */
const fail = (message: string) => authError(message);

/** A short machine form of a refusal's message, for the audit log. */
const reasonOf = (message: string): string =>
  message
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 80);

/** The audited scheme of a request that presents neither a signature nor a bearer token. */
export const NO_SCHEME = 'none';

/** What an authenticated request knows about its merchant. */
export interface CybersourceCredential {
  credentialId: string;
  /** The vault merchant. */
  merchantId: string;
  /** The Cybersource merchant id (v-c-merchant-id), shown as metadata.creator. */
  cybsMerchantId: string;
  keyId: string;
  secret: Buffer;
  certificates: (CybersourceCertificate & { key: KeyObject })[];
  mle: { keyId: string; publicKey: KeyObject } | null;
}

export interface Authenticated {
  caller: Caller;
  credential: CybersourceCredential;
  /** The SDK's response-MLE request: the kid named in the JWT's v-c-response-mle-kid claim. */
  responseMleKid: string | null;
  /** A state-changing request without a nonce (HTTP Signature, v1 JWT): its dedupe key (replay.ts). */
  dedupe: DedupeKey | null;
}

/** What the checks of a request establish; the caller is named from it. */
type Verified = Omit<Authenticated, 'caller'>;

export interface RequestFacts {
  method: string;
  /** Path with query, exactly as received. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

const BODY_METHODS = new Set(['post', 'put', 'patch']);
const JWT_LIFETIME_SECONDS = 120;

const header = (facts: RequestFacts, name: string): string | undefined => {
  const v = facts.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

const sha256b64 = (body: Buffer) => createHash('sha256').update(body).digest('base64');

function equalText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The name="value" pairs of a Signature header, in one linear pass (a backtracking regex over a long run of
 * letters is quadratic: an unauthenticated request could burn seconds of CPU). Malformed parts are skipped.
 */
function signatureParams(text: string): Map<string, string> {
  const params = new Map<string, string>();
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf('="', i);
    if (eq < 0) break;
    const close = text.indexOf('"', eq + 2);
    if (close < 0) break;
    const name = text.slice(i, eq).replace(/^[\s,]+/, '');
    if (/^[A-Za-z]+$/.test(name)) params.set(name.toLowerCase(), text.slice(eq + 2, close));
    i = close + 1;
  }
  return params;
}

/** Which merchant a request's credential named, filled in as soon as it is resolved. */
interface Named {
  merchantId: string | null;
}

type Key = Omit<CybersourceCredential, 'credentialId' | 'merchantId' | 'cybsMerchantId'>;

/** A credential's stored halves as the keys requests are checked with. */
function keysOf(publicData: Record<string, unknown>, secret: Record<string, unknown>): Key {
  const data = publicData as {
    keyId: string;
    certificates?: CybersourceCertificate[];
    mle?: { keyId: string; publicKeyPem: string } | null;
  };
  return {
    keyId: data.keyId,
    secret: Buffer.from(secret.sharedSecret as string, 'base64'),
    certificates: (data.certificates ?? []).map((c) => ({ ...c, key: createPublicKey(c.pem) })),
    mle: data.mle ? { keyId: data.mle.keyId, publicKey: createPublicKey(data.mle.publicKeyPem) } : null,
  };
}

/** The JOSE header and claims of a bearer token, read before its signature is checked. */
function decodeJwt(token: string): { head: Record<string, unknown>; claims: Record<string, unknown> } {
  try {
    const head = decodeProtectedHeader(token) as Record<string, unknown>;
    const claims = parseJsonBounded(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
    if (!isPlainObject(claims)) throw new Error('claims');
    return { head, claims };
  } catch {
    throw fail('the bearer token is not a JWT');
  }
}

/** The key and algorithm a JWT must verify with, by its header (HS256 for v2 only; RS256 by kid or x5c). */
function jwtKey(
  credential: CybersourceCredential,
  head: Record<string, unknown>,
  v2: boolean,
): { key: KeyObject | Uint8Array; alg: string } {
  if (v2 && head.alg === 'HS256') {
    if (typeof head.kid !== 'string' || !equalText(head.kid, credential.keyId)) throw fail('unknown key');
    return { key: credential.secret, alg: 'HS256' };
  }
  if (head.alg !== 'RS256') throw fail('the JWT algorithm is not accepted');
  let cert: (typeof credential.certificates)[number] | undefined;
  if (v2) {
    cert = credential.certificates.find((c) => c.kid === head.kid);
  } else {
    const x5c = Array.isArray(head.x5c) && typeof head.x5c[0] === 'string' ? head.x5c[0] : null;
    const sha = x5c ? createHash('sha256').update(Buffer.from(x5c, 'base64')).digest('hex') : null;
    cert = credential.certificates.find((c) => c.sha256 === sha);
  }
  if (!cert) throw fail('the signing certificate is not registered');
  return { key: cert.key, alg: 'RS256' };
}

/** What the checks of one server share: its clock and skew, the credential resolver, the replay claims. */
interface AuthContext {
  now: () => Date;
  skewSeconds: number;
  resolver: CredentialResolver<Key>;
  /** JWT ids and v1 bindings, shared by every instance: a captured token cannot be replayed inside its lifetime. */
  claims: ReplayClaims;
}

async function credentialFor(a: AuthContext, cybsMerchantId: string, named: Named): Promise<CybersourceCredential> {
  if (!/^[\x21-\x7e]{1,64}$/.test(cybsMerchantId)) throw fail('unknown merchant');
  const r = await a.resolver.byLookupKey(cybsMerchantId);
  if (!r.ok) throw fail('unknown merchant');
  const { credentialId, merchantId, value } = r.credential;
  named.merchantId = merchantId;
  return { credentialId, merchantId, cybsMerchantId, ...value };
}

function checkDate(a: AuthContext, text: string | undefined, what: string): void {
  const at = text === undefined ? Number.NaN : Date.parse(text);
  if (Number.isNaN(at)) throw fail(`${what} is missing or not a date`);
  if (Math.abs(a.now().getTime() - at) > a.skewSeconds * 1000) throw fail(`${what} is outside the allowed clock skew`);
}

function checkDigest(facts: RequestFacts, presented: string | undefined): void {
  if (!BODY_METHODS.has(facts.method.toLowerCase())) return;
  if (presented === undefined || !equalText(presented, sha256b64(facts.body))) throw fail('the digest does not match the body');
}

/** The header names a Signature covers, refused unless it covers what it must. */
function signedNames(params: Map<string, string>, method: string): string[] {
  const names = (params.get('headers') ?? '').split(' ').filter(Boolean);
  if (!params.get('keyid') || !params.get('signature') || names.length === 0) throw fail('the signature header is incomplete');
  if (params.get('algorithm') !== 'HmacSHA256') throw fail('the signature algorithm must be HmacSHA256');
  const required = ['host', 'date', 'v-c-merchant-id', ...(BODY_METHODS.has(method) ? ['digest'] : [])];
  for (const name of required) if (!names.includes(name)) throw fail(`the signature must cover ${name}`);
  if (!names.includes('request-target') && !names.includes('(request-target)')) throw fail('the signature must cover request-target');
  return names;
}

async function httpSignature(a: AuthContext, facts: RequestFacts, signatureHeader: string, named: Named): Promise<Verified> {
  if (signatureHeader.length > 8192) throw fail('the signature header is too long');
  const params = signatureParams(signatureHeader);
  const method = facts.method.toLowerCase();
  const names = signedNames(params, method);
  const merchantHeader = header(facts, 'v-c-merchant-id');
  if (!merchantHeader) throw fail('v-c-merchant-id is missing');
  const credential = await credentialFor(a, merchantHeader, named);
  if (!equalText(params.get('keyid') as string, credential.keyId)) throw fail('unknown key');
  checkDate(a, header(facts, 'date'), 'the date header');
  const digestHeader = header(facts, 'digest');
  if (BODY_METHODS.has(method)) checkDigest(facts, digestHeader?.startsWith('SHA-256=') ? digestHeader.slice(8) : undefined);
  const lines: string[] = [];
  for (const name of names) {
    if (name === 'request-target' || name === '(request-target)') {
      lines.push(`${name}: ${method} ${facts.url}`);
      continue;
    }
    const value = header(facts, name);
    // A fixed reason: the name is the client's text, and reasons go to the log and the audit chain.
    if (value === undefined) throw fail('a signed header is missing from the request');
    lines.push(`${name}: ${value}`);
  }
  const expected = createHmac('sha256', credential.secret).update(lines.join('\n'), 'utf8').digest();
  const given = Buffer.from(params.get('signature') as string, 'base64');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw fail('the signature does not match');
  const signed = {
    credentialId: credential.credentialId,
    method,
    url: facts.url,
    date: header(facts, 'date') as string,
    digest: digestHeader ?? sha256b64(facts.body),
  };
  return { credential, responseMleKid: null, dedupe: signatureDedupe(signed, a.now().getTime(), a.skewSeconds) };
}

/** A v2 token's claims: lifetime, the request it binds, its digest, and a jti not used before on any instance. */
async function checkV2Claims(
  a: AuthContext,
  facts: RequestFacts,
  claims: Record<string, unknown>,
  credential: CybersourceCredential,
): Promise<void> {
  const method = facts.method.toLowerCase();
  const now = a.now().getTime();
  const { iat, exp } = claims;
  if (typeof iat !== 'number' || typeof exp !== 'number') throw fail('iat and exp are required');
  if (exp * 1000 <= now) throw fail('the JWT has expired');
  if (iat * 1000 > now + a.skewSeconds * 1000) throw fail('the JWT is issued in the future');
  if (exp - iat > JWT_LIFETIME_SECONDS + a.skewSeconds) throw fail('the JWT lives too long');
  if (claims['request-host'] !== header(facts, 'host')) throw fail('request-host does not match');
  const path = claims['request-resource-path'];
  if (path !== facts.url && path !== facts.url.split('?')[0]) throw fail('request-resource-path does not match');
  if (claims['request-method'] !== method) throw fail('request-method does not match');
  if (BODY_METHODS.has(method) && claims['digest-algorithm'] !== 'SHA-256') throw fail('digest-algorithm must be SHA-256');
  checkDigest(facts, typeof claims.digest === 'string' ? claims.digest : undefined);
  const jti = claims.jti;
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > 128) throw fail('jti is required');
  if (!(await claimJti(a.claims, credential.credentialId, jti, exp * 1000, now))) throw fail('the JWT was already used');
}

/** A v1 token: its iat within the skew, its digest over the body, and bound to the first request it was used for. */
async function checkV1Claims(
  a: AuthContext,
  facts: RequestFacts,
  token: string,
  claims: Record<string, unknown>,
  credential: CybersourceCredential,
): Promise<DedupeKey | null> {
  const iat = typeof claims.iat === 'string' ? claims.iat : undefined;
  checkDate(a, iat, 'iat');
  if (BODY_METHODS.has(facts.method.toLowerCase()) && claims.digestAlgorithm !== 'SHA-256') throw fail('digestAlgorithm must be SHA-256');
  checkDigest(facts, typeof claims.digest === 'string' ? claims.digest : undefined);
  const use = { credentialId: credential.credentialId, token, method: facts.method, url: facts.url, iatMs: Date.parse(iat as string) };
  const bound = await bindV1(a.claims, use, a.now().getTime(), a.skewSeconds);
  if (bound === 'refused') throw fail('the JWT was made for another request');
  return bound;
}

/** The merchant a JWT names (v2 in its claims, v1 in its header), unverified. */
const jwtMerchant = (head: Record<string, unknown>, claims: Record<string, unknown>): unknown =>
  (claims['v-c-jwt-version'] === '2' ? claims['v-c-merchant-id'] : head['v-c-merchant-id']) ?? claims['v-c-merchant-id'] ?? claims.iss;

async function jwt(a: AuthContext, facts: RequestFacts, token: string, named: Named): Promise<Verified> {
  const { head, claims } = decodeJwt(token);
  const v2 = claims['v-c-jwt-version'] === '2';
  const merchantId = jwtMerchant(head, claims);
  if (typeof merchantId !== 'string') throw fail('the JWT names no merchant');
  const credential = await credentialFor(a, merchantId, named);
  if (claims.iss !== undefined && claims.iss !== merchantId) throw fail('iss is not the merchant');
  const { key, alg } = jwtKey(credential, head, v2);
  try {
    await compactVerify(token, key, { algorithms: [alg] });
  } catch (e) {
    if (e instanceof joseErrors.JOSEError) throw fail('the JWT signature does not match');
    throw fail('the JWT cannot be verified');
  }
  let dedupe: DedupeKey | null = null;
  if (v2) await checkV2Claims(a, facts, claims, credential);
  else dedupe = await checkV1Claims(a, facts, token, claims, credential);
  const mleKid = claims['v-c-response-mle-kid'];
  return { credential, responseMleKid: typeof mleKid === 'string' ? mleKid : null, dedupe };
}

const BEARER = /^Bearer\s+([A-Za-z0-9_\-.=]+)$/;

/**
 * The credential a request names before it is verified (the guard counts failures against it): the merchant id
 * its JWT names, or a signed request's v-c-merchant-id; null when it names none.
 */
export function claimedBy(request: FastifyRequest): string | null {
  const facts = { method: request.method, url: request.url, headers: request.headers, body: Buffer.alloc(0) };
  try {
    const authorization = header(facts, 'authorization');
    if (authorization !== undefined) {
      const m = BEARER.exec(authorization.trim());
      if (!m) return null;
      const { head, claims } = decodeJwt(m[1] as string);
      const id = jwtMerchant(head, claims);
      return typeof id === 'string' ? id : null;
    }
    return header(facts, 'signature') === undefined ? null : (header(facts, 'v-c-merchant-id') ?? null);
  } catch {
    return null;
  }
}

function verify(a: AuthContext, facts: RequestFacts, named: Named): Promise<Verified> {
  const authorization = header(facts, 'authorization');
  if (authorization !== undefined) {
    const m = BEARER.exec(authorization.trim());
    if (!m) throw fail('the authorization header must be Bearer <JWT>');
    return jwt(a, facts, m[1] as string, named);
  }
  const signature = header(facts, 'signature');
  if (signature !== undefined) return httpSignature(a, facts, signature, named);
  throw fail('no signature or bearer token');
}

/** The request's bytes as received (the scope keeps them raw: routes.ts); empty when it has no body. */
export const rawBody = (request: FastifyRequest): Buffer => (Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0));

/** The scheme a request presented, as the guard audits it. */
const schemeOf = (request: FastifyRequest): string =>
  request.headers.signature !== undefined ? 'http-signature' : request.headers.authorization !== undefined ? 'jwt' : NO_SCHEME;

export function cybersourceAuthenticator(deps: {
  merchants: MerchantService;
  now: () => Date;
  skewSeconds: number;
  replays: ReplayClaims;
}) {
  const a: AuthContext = {
    now: deps.now,
    skewSeconds: deps.skewSeconds,
    resolver: credentialResolver(deps.merchants, 'cybersource', ({ publicData, secret }) => keysOf(publicData, secret)),
    claims: deps.replays,
  };

  /**
   * Authenticates a request over the exact bytes received. A refusal is logged here and thrown with what the
   * pipeline audits: the scheme presented, its reason, and the merchant its credential named once resolved.
   */
  return async function authenticate(request: FastifyRequest): Promise<Authenticated> {
    const named: Named = { merchantId: null };
    try {
      const facts = { method: request.method, url: request.url, headers: request.headers, body: rawBody(request) };
      const verified = await verify(a, facts, named);
      const { credentialId, merchantId } = verified.credential;
      return { caller: { merchantId, actor: `cybersource:${credentialId}`, bankAccounts: true }, ...verified };
    } catch (e) {
      if (!isRefusal(e) || e.code !== 'authenticationFailed') throw e;
      request.log.info({ reason: e.message }, 'cybersource authentication refused');
      throw authError(e.message, { scheme: schemeOf(request), reason: reasonOf(e.message), merchantId: named.merchantId });
    }
  };
}
