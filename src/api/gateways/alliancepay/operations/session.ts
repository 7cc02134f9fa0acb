/** authorize_virtual_device: a service code opens a session, answered (sealed by the route) to the merchant's key. */
import type { FastifyRequest } from 'fastify';
import type { Caller } from '../../../../vault/deps.ts';
import { parseObject, rawText } from '../../kit/body.ts';
import type { GatewayDeps } from '../../kit/module.ts';
import type { Auth, Credential } from '../auth.ts';
import { refusal } from '../codes.ts';
import { allianceTime } from '../present.ts';
import { need } from './context.ts';

/** A device authorized by its service code. */
export interface DeviceCall {
  caller: Caller;
  cred: Credential;
}

/** Who opens a session: the credential the plain JSON body's `serviceCode` names. */
/** The credential a session opening names before it is verified: its service code (the guard's lockouts). */
export function claimedByServiceCode(request: FastifyRequest): string | null {
  const body = parseObject(rawText(request.body));
  const code = body.ok ? body.value.serviceCode : undefined;
  return typeof code === 'string' && code !== '' && code.length <= 64 ? code : null;
}

export function deviceAuthenticator(auth: Auth) {
  return async (request: FastifyRequest): Promise<DeviceCall> => {
    const body = parseObject(rawText(request.body));
    if (!body.ok) throw refusal('b_error_parse_json');
    const cred = await auth.byServiceCode(need(body.value, 'serviceCode', { max: 64 }));
    return { caller: { merchantId: cred.merchantId, actor: `alliancepay:${cred.credentialId}` }, cred };
  };
}

/**
 * Opens the session: its tokens, device id and server key. Past `maxSessions` live sessions the merchant's
 * oldest is ended rather than the new one refused: AlliancePay has no refresh call, so clients open a new
 * session whenever theirs nears its end (docs/alliancepay.md, Session).
 */
export function authorizeDevice({ sessions, settings }: Pick<GatewayDeps, 'sessions' | 'settings'>) {
  const ttlMs = (settings.sessionSeconds as number) * 1000;
  const maxLive = settings.maxSessions as number;
  return async (_input: unknown, { caller, cred }: DeviceCall) => {
    const session = await sessions.create({ ...caller, credentialId: cred.credentialId }, ttlMs, maxLive);
    return {
      authToken: session.authToken,
      refreshToken: session.refreshToken,
      deviceId: session.deviceId,
      serverPublic: session.serverPublicJwk,
      tokenExpirationDateTime: allianceTime(session.expiresAt),
    };
  };
}
