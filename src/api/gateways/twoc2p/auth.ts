/**
 * Authenticates a 2C2P request: the compact JWS its body carries (raw, or JSON `{"payload": "<jws>"}`),
 * verified against the merchant keys and decrypted with that merchant's vault key (message-crypto.ts).
 * A message that does not verify or decrypt is thrown as an `untrusted` refusal, which the pipeline audits
 * as a failed JWS authentication and answers with the one plain 400 (routes.ts).
 */
import type { FastifyRequest } from 'fastify';
import type { Caller } from '../../../vault/deps.ts';
import { isPlainObject } from '../kit/fields.ts';
import { untrusted } from './codes.ts';
import type { OpenedMessage, Twoc2pCrypto } from './message-crypto.ts';

/** A verified, decrypted request and who sent it. */
export interface Twoc2pAuthenticated extends OpenedMessage {
  caller: Caller;
}

/** The JWS a body carries; surrounding whitespace is ignored. */
export function jwsOf(body: unknown): string {
  const jws = typeof body === 'string' ? body.trim() : isPlainObject(body) && typeof body.payload === 'string' ? body.payload.trim() : '';
  if (!jws) throw untrusted('missing');
  return jws;
}

export function twoc2pAuthenticator(crypto: Pick<Twoc2pCrypto, 'open'>): (request: FastifyRequest) => Promise<Twoc2pAuthenticated> {
  return async function authenticate(request) {
    const opened = await crypto.open(jwsOf(request.body));
    const { merchantId, credentialId } = opened.merchant;
    return { ...opened, caller: { merchantId, actor: `twoc2p:${credentialId}` } };
  };
}
