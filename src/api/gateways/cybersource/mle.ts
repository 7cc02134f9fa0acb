/**
 * Sending an answer. With `Accept: application/jose`, or the SDK's response-MLE claim, a successful body goes
 * out encrypted (JWE) to the merchant's MLE key — the only way a full card number leaves here.
 */

import type { KeyObject } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CompactEncrypt } from 'jose';
import { ptsError, render, tmsError } from './codes.ts';
import type { Answer, Ctx } from './context.ts';
import type { Json } from './fields.ts';

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

export async function send(request: FastifyRequest, reply: FastifyReply, ctx: Ctx, answer: Answer, kind: 'tms' | 'pts') {
  if (answer.etag) reply.header('etag', answer.etag);
  const jose = /application\/jose/i.test(request.headers.accept ?? '');
  const sdkMle = ctx.auth.responseMleKid !== null;
  if ((jose || sdkMle) && answer.body !== undefined && answer.status < 300) {
    const now = ctx.deps.now;
    const mle = ctx.auth.credential.mle;
    if (!mle) {
      const message = 'Message-level encryption needs an MLE key registered for this merchant';
      return render(
        reply,
        kind === 'tms' ? tmsError(403, 'forbidden', message) : ptsError(403, 'INVALID_MERCHANT_CONFIGURATION', message),
        now(),
      );
    }
    if (sdkMle && ctx.auth.responseMleKid !== mle.keyId) {
      // In the TMS shape on PTS routes too (documented in openapi.ts).
      return render(reply, tmsError(400, 'invalidHeaders', "v-c-response-mle-kid does not name this merchant's MLE key"), now());
    }
    const seal = sealer(mle, now);
    let jwe: string;
    if (answer.unmask && request.method === 'GET') {
      const { instrumentId, build } = answer.unmask;
      const r = await ctx.deps.cards.sealPan(ctx.caller, instrumentId, 'cybersource unmasked retrieval', (pan) => seal(build(pan)));
      jwe = r.ok ? r.value : await seal(answer.body);
    } else {
      jwe = await seal(answer.body);
    }
    if (jose && !sdkMle) return reply.code(answer.status).type('application/jose').send(jwe);
    return reply.code(answer.status).type('application/json;charset=utf-8').send({ encryptedResponse: jwe });
  }
  if (answer.body === undefined) return reply.code(answer.status).send();
  return reply.code(answer.status).type('application/json;charset=utf-8').send(answer.body);
}
