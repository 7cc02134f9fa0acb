/** authorize_virtual_device: a service code opens a session, answered as a JWE to the merchant's key. */
import type { FastifyRequest } from 'fastify';
import { parseObject, rawText } from '../../kit/body.ts';
import type { GatewayDeps } from '../../kit/module.ts';
import { type Auth, requestId } from '../auth.ts';
import { refusal } from '../codes.ts';
import { seal } from '../message-crypto.ts';
import { allianceTime } from '../present.ts';
import { need } from './context.ts';

export function authorizeDevice({ sessions }: Pick<GatewayDeps, 'sessions'>, auth: Auth) {
  return async (request: FastifyRequest): Promise<{ jwe: string }> => {
    requestId(request);
    const body = parseObject(rawText(request.body));
    if (!body.ok) throw refusal('b_error_parse_json');
    const cred = await auth.byServiceCode(need(body.value, 'serviceCode', { max: 64 }));
    const session = await sessions.create({
      merchantId: cred.merchantId,
      actor: `alliancepay:${cred.credentialId}`,
      credentialId: cred.credentialId,
    });
    const answer = {
      authToken: session.authToken,
      refreshToken: session.refreshToken,
      deviceId: session.deviceId,
      serverPublic: session.serverPublicJwk,
      tokenExpirationDateTime: allianceTime(session.expiresAt),
    };
    return { jwe: await seal(answer, cred.value.merchantPublic) };
  };
}
