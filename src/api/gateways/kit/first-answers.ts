/**
 * Deduplication of state-changing requests that carry no nonce of their own (SECURITY.md "Replays"): the
 * pipeline claims the key a gateway derives from the request; the first request runs and the answer it sends
 * is kept (by this scope's onSend hook) until the key's window ends; a byte-identical replay is sent that
 * answer and runs nothing; one arriving while the first is still in flight gets the gateway's own "in
 * progress" refusal. A first request that fails unexpectedly (5xx) gives its claim up, so a retry runs.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { KeptAnswer, ReplayService } from '../../../vault/replay.ts';

/** A deduplicated request's key (already hashed or free of secrets) and how long its first answer is kept. */
export interface DedupeKey {
  key: string;
  ttlMs: number;
}

/** The headers of an answer that describe its body: kept with it. */
const KEPT_HEADERS = ['content-type', 'etag', 'location'];

/** What the pipeline learns from a claim: run the operation, or the request was answered already. */
export type Begun = 'run' | 'answered' | 'in-progress';

export function firstAnswers(answers: ReplayService['firstAnswers']) {
  const held = new WeakMap<FastifyRequest, { merchantId: string; key: string }>();

  async function keep(request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<void> {
    const claim = held.get(request);
    if (!claim) return;
    held.delete(request);
    const body =
      typeof payload === 'string' ? Buffer.from(payload) : Buffer.isBuffer(payload) ? payload : payload == null ? Buffer.alloc(0) : null;
    if (reply.statusCode >= 500 || body === null) {
      await answers.release(claim.merchantId, claim.key);
      return;
    }
    const headers: Record<string, string> = {};
    for (const name of KEPT_HEADERS) {
      const v = reply.getHeader(name);
      if (v !== undefined) headers[name] = String(v);
    }
    await answers.complete(claim.merchantId, claim.key, { status: reply.statusCode, headers, body: body.toString('base64') });
  }

  return {
    /** Keeps the answers of this scope's deduplicated requests as they are sent. */
    install(scope: FastifyInstance): void {
      scope.addHook('onSend', async (request, reply, payload) => {
        try {
          await keep(request, reply, payload);
        } catch (e) {
          // The answer stands even if it cannot be kept (the change has committed): the claim stays pending
          // until its window ends, and replays meanwhile are answered as in progress.
          request.log.warn({ err: { message: (e as Error).message } }, 'first answer not kept');
        }
        return payload;
      });
    },

    /** Claims the key for this request, or answers it with the kept answer of the first. */
    async begin(request: FastifyRequest, reply: FastifyReply, merchantId: string, dedupe: DedupeKey): Promise<Begun> {
      const found = await answers.claim(merchantId, dedupe.key, dedupe.ttlMs);
      if (found.state === 'claimed') {
        held.set(request, { merchantId, key: dedupe.key });
        return 'run';
      }
      if (found.state === 'in-progress') return 'in-progress';
      send(reply, found.answer);
      return 'answered';
    },
  };
}

function send(reply: FastifyReply, kept: KeptAnswer): void {
  reply.code(kept.status);
  for (const [name, value] of Object.entries(kept.headers)) reply.header(name, value);
  reply.send(Buffer.from(kept.body, 'base64'));
}

export type FirstAnswers = ReturnType<typeof firstAnswers>;
