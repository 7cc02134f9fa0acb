/**
 * AppotaPay's authentication: `X-APPOTAPAY-AUTH`, a JWT (optionally `Bearer `) signed HS256 with the UTF-8
 * bytes of the partner's secret key, naming its `api_key`, issued by its partner code, with an `exp`. A
 * refusal is thrown with what the pipeline audits for the guard (failed-authentication lockout).
 */
import type { FastifyRequest } from 'fastify';
import { errors as joseErrors, jwtVerify } from 'jose';
import type { Caller } from '../../../vault/deps.ts';
import { parseJsonBounded } from '../../json.ts';
import { credentialResolver } from '../kit/credentials.ts';
import type { GatewayDeps } from '../kit/module.ts';
import { authRefusal, isAppotaRefusal } from './codes.ts';

/** The claims of a JWT before its signature is checked: only to learn which api_key signed it. */
function unverifiedClaims(token: string): Record<string, unknown> {
  try {
    return parseJsonBounded(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    throw authRefusal('malformed_jwt');
  }
}

/** The JWT of an X-APPOTAPAY-AUTH header (optionally `Bearer `); null when there is none. */
function tokenOf(request: FastifyRequest): string | null {
  const raw = request.headers['x-appotapay-auth'];
  if (typeof raw !== 'string' || raw.trim() === '') return null;
  return raw.trim().replace(/^Bearer\s+/i, '');
}

/** The api_key a JWT names, unverified; null when it names none usable. */
function apiKeyOf(token: string): string | null {
  const apiKey = unverifiedClaims(token)?.api_key;
  return typeof apiKey === 'string' && apiKey.length <= 100 ? apiKey : null;
}

/** The credential a request names before it is verified (the guard counts failures against it): its api_key. */
export function claimedBy(request: FastifyRequest): string | null {
  const token = tokenOf(request);
  try {
    return token === null ? null : apiKeyOf(token);
  } catch {
    return null;
  }
}

export interface AppotaAuthenticated {
  caller: Caller;
  /** The JWT as presented and when it expires (ms): a state-changing request's replay key and window (replay.ts). */
  jwt: { token: string; expMs: number };
}

export function authenticator(deps: Pick<GatewayDeps, 'merchants' | 'now'>): (request: FastifyRequest) => Promise<AppotaAuthenticated> {
  const keys = credentialResolver(deps.merchants, 'appotapay', ({ publicData, secret }) => ({
    partnerCode: publicData.partnerCode as string,
    secret: new TextEncoder().encode(secret.secretKey as string),
  }));

  return async function authenticate(request) {
    const token = tokenOf(request);
    if (token === null) throw authRefusal('missing');
    const apiKey = apiKeyOf(token);
    if (apiKey === null) throw authRefusal('no_api_key');
    const found = await keys.byLookupKey(apiKey);
    if (!found.ok) throw found.reason === 'unknown' ? authRefusal('unknown_api_key') : authRefusal('revoked_credential', found.merchantId);
    const { credentialId, merchantId, value } = found.credential;
    let expMs: number;
    try {
      const { protectedHeader, payload } = await jwtVerify(token, value.secret, {
        algorithms: ['HS256'],
        issuer: value.partnerCode,
        requiredClaims: ['exp'],
        currentDate: deps.now(),
      });
      if (protectedHeader.cty !== undefined && protectedHeader.cty !== 'appotapay-api;v=1') throw authRefusal('bad_cty', merchantId);
      expMs = (payload.exp as number) * 1000;
    } catch (e) {
      if (isAppotaRefusal(e)) throw e;
      if (e instanceof joseErrors.JOSEError) throw authRefusal(e.code.toLowerCase(), merchantId);
      throw e;
    }
    return { caller: { merchantId, actor: `appotapay:${credentialId}` }, jwt: { token, expMs } };
  };
}
