/**
 * Cybersource REST authentication as the official SDKs send it (gateways.md §4.7): HTTP Signature
 * (HMAC-SHA256 over host, date, request-target, digest, v-c-merchant-id) and JWT — v2 (HS256 with the
 * shared secret, RS256 with a registered certificate, claims binding the request) and v1 (RS256 with the
 * certificate in x5c, RFC 1123 iat). Every check that fails throws AuthFailure; the routes answer 401.
 */
import { createHash, createHmac, createPublicKey, type KeyObject, timingSafeEqual } from 'node:crypto';
import { compactVerify, decodeProtectedHeader, errors as joseErrors } from 'jose';
import type { MerchantService } from '../../../vault/merchants.ts';
import { parseJsonBounded } from '../../json.ts';
import type { CybersourceCertificate } from './credentials.ts';

/**
 * A refused authentication. Its message is always a fixed string (or one built from the server's own
 * constants): it is logged, audited and echoed, so it never quotes what the client sent.
 */
export class AuthFailure extends Error {
  override name = 'AuthFailure';
  /** The vault merchant whose credential the request named, once that was resolved (for the audit log). */
  merchantId: string | null = null;
  /** A short machine form of the message, for the audit log. */
  get code(): string {
    return this.message
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_+|_+$/g, '')
      .slice(0, 80);
  }
}

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
  credential: CybersourceCredential;
  /** The SDK's response-MLE request: the kid named in the JWT's v-c-response-mle-kid claim. */
  responseMleKid: string | null;
}

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

export function createCybersourceAuth(deps: { merchants: MerchantService; now: () => Date; skewSeconds: number }) {
  const { merchants } = deps;
  // Credentials by Cybersource merchant id, secrets decrypted once; each request re-checks the row.
  const cache = new Map<string, { credential: CybersourceCredential; publicText: string; secretText: string | null }>();
  // JWT ids seen, until their expiry: a captured token cannot be replayed inside its lifetime.
  const seenJti = new Map<string, number>();

  async function credentialFor(cybsMerchantId: string): Promise<CybersourceCredential> {
    if (!/^[\x21-\x7e]{1,64}$/.test(cybsMerchantId)) throw new AuthFailure('unknown merchant');
    let entry = cache.get(cybsMerchantId);
    if (entry) {
      const state = await merchants.gatewayCredentialState(entry.credential.credentialId);
      if (!state?.usable) {
        cache.delete(cybsMerchantId);
        throw new AuthFailure('unknown merchant');
      }
      if (state.publicData === entry.publicText && state.secretData === entry.secretText) return entry.credential;
      cache.delete(cybsMerchantId);
      entry = undefined;
    }
    const cred = await merchants.gatewayCredential('cybersource', { lookupKey: cybsMerchantId });
    if (!cred) throw new AuthFailure('unknown merchant');
    const [secret, state] = await Promise.all([
      merchants.gatewaySecret(cred.merchantId, cred.id),
      merchants.gatewayCredentialState(cred.id),
    ]);
    if (!secret || !state?.usable) throw new AuthFailure('unknown merchant');
    const data = JSON.parse(state.publicData) as {
      keyId: string;
      certificates?: CybersourceCertificate[];
      mle?: { keyId: string; publicKeyPem: string } | null;
    };
    const credential: CybersourceCredential = {
      credentialId: cred.id,
      merchantId: cred.merchantId,
      cybsMerchantId,
      keyId: data.keyId,
      secret: Buffer.from(secret.sharedSecret as string, 'base64'),
      certificates: (data.certificates ?? []).map((c) => ({ ...c, key: createPublicKey(c.pem) })),
      mle: data.mle ? { keyId: data.mle.keyId, publicKey: createPublicKey(data.mle.publicKeyPem) } : null,
    };
    cache.set(cybsMerchantId, { credential, publicText: state.publicData, secretText: state.secretData });
    return credential;
  }

  function checkDate(text: string | undefined, what: string): void {
    const at = text === undefined ? Number.NaN : Date.parse(text);
    if (Number.isNaN(at)) throw new AuthFailure(`${what} is missing or not a date`);
    if (Math.abs(deps.now().getTime() - at) > deps.skewSeconds * 1000) throw new AuthFailure(`${what} is outside the allowed clock skew`);
  }

  function checkDigest(facts: RequestFacts, presented: string | undefined): void {
    if (!BODY_METHODS.has(facts.method.toLowerCase())) return;
    if (presented === undefined || !equalText(presented, sha256b64(facts.body)))
      throw new AuthFailure('the digest does not match the body');
  }

  async function httpSignature(facts: RequestFacts, signatureHeader: string, named: Named): Promise<Authenticated> {
    if (signatureHeader.length > 8192) throw new AuthFailure('the signature header is too long');
    const params = signatureParams(signatureHeader);
    const keyId = params.get('keyid');
    const names = (params.get('headers') ?? '').split(' ').filter(Boolean);
    const signature = params.get('signature');
    if (!keyId || !signature || names.length === 0) throw new AuthFailure('the signature header is incomplete');
    if (params.get('algorithm') !== 'HmacSHA256') throw new AuthFailure('the signature algorithm must be HmacSHA256');
    const method = facts.method.toLowerCase();
    const required = ['host', 'date', 'v-c-merchant-id', ...(BODY_METHODS.has(method) ? ['digest'] : [])];
    for (const name of required) if (!names.includes(name)) throw new AuthFailure(`the signature must cover ${name}`);
    if (!names.includes('request-target') && !names.includes('(request-target)'))
      throw new AuthFailure('the signature must cover request-target');
    const merchantHeader = header(facts, 'v-c-merchant-id');
    if (!merchantHeader) throw new AuthFailure('v-c-merchant-id is missing');
    const credential = await credentialFor(merchantHeader);
    named.merchantId = credential.merchantId;
    if (!equalText(keyId, credential.keyId)) throw new AuthFailure('unknown key');
    checkDate(header(facts, 'date'), 'the date header');
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
      if (value === undefined) throw new AuthFailure('a signed header is missing from the request');
      lines.push(`${name}: ${value}`);
    }
    const expected = createHmac('sha256', credential.secret).update(lines.join('\n'), 'utf8').digest();
    const given = Buffer.from(signature, 'base64');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new AuthFailure('the signature does not match');
    return { credential, responseMleKid: null };
  }

  async function jwt(facts: RequestFacts, token: string, named: Named): Promise<Authenticated> {
    let head: Record<string, unknown>;
    let claims: Record<string, unknown>;
    try {
      head = decodeProtectedHeader(token) as Record<string, unknown>;
      const payloadPart = token.split('.')[1] ?? '';
      claims = parseJsonBounded(Buffer.from(payloadPart, 'base64url').toString('utf8')) as Record<string, unknown>;
      if (!claims || typeof claims !== 'object' || Array.isArray(claims)) throw new Error('claims');
    } catch {
      throw new AuthFailure('the bearer token is not a JWT');
    }
    const v2 = claims['v-c-jwt-version'] === '2';
    const merchantId = (v2 ? claims['v-c-merchant-id'] : head['v-c-merchant-id']) ?? claims['v-c-merchant-id'] ?? claims.iss;
    if (typeof merchantId !== 'string') throw new AuthFailure('the JWT names no merchant');
    const credential = await credentialFor(merchantId);
    named.merchantId = credential.merchantId;
    if (claims.iss !== undefined && claims.iss !== merchantId) throw new AuthFailure('iss is not the merchant');

    let key: KeyObject | Uint8Array;
    let alg: string;
    if (v2 && head.alg === 'HS256') {
      if (typeof head.kid !== 'string' || !equalText(head.kid, credential.keyId)) throw new AuthFailure('unknown key');
      key = credential.secret;
      alg = 'HS256';
    } else if (head.alg === 'RS256') {
      let cert: (typeof credential.certificates)[number] | undefined;
      if (v2) {
        cert = credential.certificates.find((c) => c.kid === head.kid);
      } else {
        const x5c = Array.isArray(head.x5c) && typeof head.x5c[0] === 'string' ? head.x5c[0] : null;
        const sha = x5c ? createHash('sha256').update(Buffer.from(x5c, 'base64')).digest('hex') : null;
        cert = credential.certificates.find((c) => c.sha256 === sha);
      }
      if (!cert) throw new AuthFailure('the signing certificate is not registered');
      key = cert.key;
      alg = 'RS256';
    } else {
      throw new AuthFailure('the JWT algorithm is not accepted');
    }
    try {
      await compactVerify(token, key, { algorithms: [alg] });
    } catch (e) {
      if (e instanceof joseErrors.JOSEError) throw new AuthFailure('the JWT signature does not match');
      throw new AuthFailure('the JWT cannot be verified');
    }

    const method = facts.method.toLowerCase();
    const now = deps.now().getTime();
    if (v2) {
      const iat = claims.iat;
      const exp = claims.exp;
      if (typeof iat !== 'number' || typeof exp !== 'number') throw new AuthFailure('iat and exp are required');
      if (exp * 1000 <= now) throw new AuthFailure('the JWT has expired');
      if (iat * 1000 > now + deps.skewSeconds * 1000) throw new AuthFailure('the JWT is issued in the future');
      if (exp - iat > JWT_LIFETIME_SECONDS + deps.skewSeconds) throw new AuthFailure('the JWT lives too long');
      if (claims['request-host'] !== header(facts, 'host')) throw new AuthFailure('request-host does not match');
      const path = claims['request-resource-path'];
      if (path !== facts.url && path !== facts.url.split('?')[0]) throw new AuthFailure('request-resource-path does not match');
      if (claims['request-method'] !== method) throw new AuthFailure('request-method does not match');
      if (BODY_METHODS.has(method) && claims['digest-algorithm'] !== 'SHA-256') throw new AuthFailure('digest-algorithm must be SHA-256');
      checkDigest(facts, typeof claims.digest === 'string' ? claims.digest : undefined);
      const jti = claims.jti;
      if (typeof jti !== 'string' || jti.length === 0 || jti.length > 128) throw new AuthFailure('jti is required');
      const seenKey = `${credential.credentialId}:${jti}`;
      if (seenJti.has(seenKey)) throw new AuthFailure('the JWT was already used');
      pruneSeen(now);
      seenJti.set(seenKey, exp * 1000);
    } else {
      checkDate(typeof claims.iat === 'string' ? claims.iat : undefined, 'iat');
      if (BODY_METHODS.has(method) && claims.digestAlgorithm !== 'SHA-256') throw new AuthFailure('digestAlgorithm must be SHA-256');
      checkDigest(facts, typeof claims.digest === 'string' ? claims.digest : undefined);
    }
    const mleKid = claims['v-c-response-mle-kid'];
    return { credential, responseMleKid: typeof mleKid === 'string' ? mleKid : null };
  }

  function pruneSeen(now: number): void {
    if (seenJti.size < 1000) return;
    for (const [k, until] of seenJti) if (until <= now) seenJti.delete(k);
  }

  return {
    async authenticate(facts: RequestFacts): Promise<Authenticated> {
      const named: Named = { merchantId: null };
      try {
        const authorization = header(facts, 'authorization');
        if (authorization !== undefined) {
          const m = /^Bearer\s+([A-Za-z0-9_\-.=]+)$/.exec(authorization.trim());
          if (!m) throw new AuthFailure('the authorization header must be Bearer <JWT>');
          return await jwt(facts, m[1] as string, named);
        }
        const signature = header(facts, 'signature');
        if (signature !== undefined) return await httpSignature(facts, signature, named);
        throw new AuthFailure('no signature or bearer token');
      } catch (e) {
        if (e instanceof AuthFailure) e.merchantId = named.merchantId;
        throw e;
      }
    },
  };
}

export type CybersourceAuth = ReturnType<typeof createCybersourceAuth>;
