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

export interface AppotaAuthenticated {
  caller: Caller;
}

export function authenticator(deps: Pick<GatewayDeps, 'merchants' | 'now'>): (request: FastifyRequest) => Promise<AppotaAuthenticated> {
  const keys = credentialResolver(deps.merchants, 'appotapay', ({ publicData, secret }) => ({
    partnerCode: publicData.partnerCode as string,
    secret: new TextEncoder().encode(secret.secretKey as string),
  }));

  return async function authenticate(request) {
    const raw = request.headers['x-appotapay-auth'];
    if (typeof raw !== 'string' || raw.trim() === '') throw authRefusal('missing');
    const token = raw.trim().replace(/^Bearer\s+/i, '');
    const apiKey = unverifiedClaims(token)?.api_key;
    if (typeof apiKey !== 'string' || apiKey.length > 100) throw authRefusal('no_api_key');
    const found = await keys.byLookupKey(apiKey);
    if (!found.ok) throw found.reason === 'unknown' ? authRefusal('unknown_api_key') : authRefusal('revoked_credential', found.merchantId);
    const { credentialId, merchantId, value } = found.credential;
    try {
      const { protectedHeader } = await jwtVerify(token, value.secret, {
        algorithms: ['HS256'],
        issuer: value.partnerCode,
        requiredClaims: ['exp'],
        currentDate: deps.now(),
      });
      if (protectedHeader.cty !== undefined && protectedHeader.cty !== 'appotapay-api;v=1') throw authRefusal('bad_cty', merchantId);
    } catch (e) {
      if (isAppotaRefusal(e)) throw e;
      if (e instanceof joseErrors.JOSEError) throw authRefusal(e.code.toLowerCase(), merchantId);
      throw e;
    }
    return { caller: { merchantId, actor: `appotapay:${credentialId}` } };
  };
}
