/**
 * Sending an answer. With `Accept: application/jose`, or the SDK's response-MLE claim, a successful body goes
 * out encrypted (JWE) to the merchant's MLE key — the only way a full card number leaves here. A refusal on the
 * way (no MLE key, the wrong kid) is thrown for the pipeline to render.
 */

import type { KeyObject } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CompactEncrypt } from 'jose';
import type { Authenticated } from './auth.ts';
import { ptsError, tmsError } from './codes.ts';
import type { Answer, CybersourceDeps } from './context.ts';
import type { Json } from './fields.ts';
import type { Family } from './respond.ts';

/** Encrypts one JSON body to the merchant's MLE key. */
const sealer = (mle: { keyId: string; publicKey: KeyObject }, now: () => Date) => async (json: Json) =>
  new CompactEncrypt(new TextEncoder().encode(JSON.stringify(json)))
    .setProtectedHeader({
      alg: 'RSA-OAEP-256',
      enc: 'A256GCM',
      cty: 'json',
      typ: 'JWT',
      kid: mle.keyId,
      iat: Math.floor(now().getTime() / 1000),
    })
    .encrypt(mle.publicKey);

/** The pipeline's `send` for a route of `kind`'s family (kit/pipeline.ts): an operation's answer, sealed when asked. */
export const sender = (deps: Pick<CybersourceDeps, 'cards' | 'now'>, kind: Family) =>
  async function send(reply: FastifyReply, sent: unknown, auth: Authenticated, request: FastifyRequest): Promise<FastifyReply> {
    const answer = sent as Answer;
    if (answer.etag) reply.header('etag', answer.etag);
    const jose = /application\/jose/i.test(request.headers.accept ?? '');
    const sdkMle = auth.responseMleKid !== null;
    if ((jose || sdkMle) && answer.body !== undefined && answer.status < 300) {
      const mle = auth.credential.mle;
      if (!mle) {
        const message = 'Message-level encryption needs an MLE key registered for this merchant';
        throw kind === 'tms' ? tmsError(403, 'forbidden', message) : ptsError(403, 'INVALID_MERCHANT_CONFIGURATION', message);
      }
      // In the TMS shape on PTS routes too (documented in openapi.ts).
      if (sdkMle && auth.responseMleKid !== mle.keyId)
        throw tmsError(400, 'invalidHeaders', "v-c-response-mle-kid does not name this merchant's MLE key");
      const seal = sealer(mle, deps.now);
      let jwe: string;
      if (answer.unmask && request.method === 'GET') {
        const { instrumentId, build } = answer.unmask;
        const r = await deps.cards.sealPan(auth.caller, instrumentId, 'cybersource unmasked retrieval', (pan) => seal(build(pan)));
        jwe = r.ok ? r.value : await seal(answer.body);
      } else {
        jwe = await seal(answer.body);
      }
      if (jose && !sdkMle) return reply.code(answer.status).type('application/jose').send(jwe);
      return reply.code(answer.status).type('application/json;charset=utf-8').send({ encryptedResponse: jwe });
    }
    if (answer.body === undefined) return reply.code(answer.status).send();
    return reply.code(answer.status).type('application/json;charset=utf-8').send(answer.body);
  };
