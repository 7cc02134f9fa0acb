/**
 * The pipeline every Cybersource route runs: authenticate over the raw bytes, throttle the merchant, read
 * the JSON body, run the operation, send its answer (encrypted when asked) — and render any refusal in its
 * family's shape.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { parseObject, rawText } from '../kit/body.ts';
import { isRefusal } from '../kit/refusal.ts';
import type { CybersourceAuth } from './auth.ts';
import { ptsError, render, tmsError } from './codes.ts';
import type { Ctx, CybersourceDeps, Handler } from './context.ts';
import type { Json } from './fields.ts';
import { send } from './mle.ts';

export type Family = 'tms' | 'pts';

const JSON_TYPE = /^application\/(?:[a-z.+-]*\+)?json\b/i;

function parseBody(request: FastifyRequest, raw: Buffer, kind: Family): Json | undefined {
  if (request.method === 'GET' || request.method === 'DELETE') return undefined;
  const refuse = (message: string) => (kind === 'tms' ? tmsError(400, 'invalidFields', message) : ptsError(400, 'INVALID_DATA', message));
  const type = request.headers['content-type'];
  if (raw.length > 0 && (typeof type !== 'string' || !JSON_TYPE.test(type))) {
    const message = 'Content-Type must be application/json';
    throw kind === 'tms' ? tmsError(400, 'invalidHeaders', message) : refuse(message);
  }
  if (raw.length === 0) return {};
  const parsed = parseObject(rawText(raw));
  if (!parsed.ok) throw refuse(parsed.why === 'json' ? 'the body is not valid JSON' : 'the body must be a JSON object');
  return parsed.value;
}

/** Wraps an operation of `kind`'s family as a route handler. */
export const responder = (deps: CybersourceDeps, auth: CybersourceAuth) => (kind: Family, handler: Handler) =>
  async function respond(request: FastifyRequest, reply: FastifyReply) {
    const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    try {
      const authenticated = await auth.authenticate(request, raw);
      const { credential } = authenticated;
      if (deps.guard.throttled('cybersource', credential.merchantId, reply)) return reply;
      const ctx: Ctx = {
        deps,
        caller: { merchantId: credential.merchantId, actor: `cybersource:${credential.credentialId}` },
        auth: authenticated,
        presented: { creator: credential.cybsMerchantId },
        params: request.params as Record<string, string>,
        query: request.query as Record<string, string | undefined>,
        body: parseBody(request, raw, kind),
        headers: request.headers,
      };
      const answer = await handler(ctx);
      return await send(request, reply, ctx, answer, kind);
    } catch (e) {
      if (isRefusal(e)) return render(reply, e, deps.now());
      throw e;
    }
  };
