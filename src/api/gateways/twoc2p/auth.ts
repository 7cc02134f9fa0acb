/**
 * Authenticates a 2C2P request: the compact JWS its body carries (raw, or JSON `{"payload": "<jws>"}`),
 * verified against the merchant keys and decrypted with that merchant's vault key (message-crypto.ts).
 * A refusal is audited as a failed JWS authentication and answered with the one plain 400.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Guard } from '../../guard.ts';
import { isPlainObject } from '../kit/fields.ts';
import { isTwoc2pRefusal, plain, untrusted } from './codes.ts';
import type { OpenedMessage, Twoc2pCrypto } from './message-crypto.ts';

/** The JWS a body carries; surrounding whitespace is ignored. */
function jwsOf(body: unknown): string {
  const jws = typeof body === 'string' ? body.trim() : isPlainObject(body) && typeof body.payload === 'string' ? body.payload.trim() : '';
  if (!jws) throw untrusted('missing');
  return jws;
}

/** The verified, decrypted message; null when refused (the plain 400 is sent). */
export async function authenticate(
  deps: { crypto: Twoc2pCrypto; guard: Guard },
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<OpenedMessage | null> {
  try {
    return await deps.crypto.open(jwsOf(request.body));
  } catch (e) {
    if (!isTwoc2pRefusal(e) || !e.auth) throw e;
    const { scheme = 'jws', reason, merchantId } = e.auth;
    await deps.guard.authFailed(request, { api: 'twoc2p', scheme, reason, merchantId });
    plain(reply, 400);
    return null;
  }
}
