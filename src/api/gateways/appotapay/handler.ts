/**
 * What every AppotaPay request goes through before and after its operation: the Language header, the JWT,
 * the merchant's rate limit, X-Request-ID (a UUID v4, claimed once per merchant) and X-Account-Ref-ID; then
 * the operation's answer, or its refusal in AppotaPay's shape.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Caller } from '../../../vault/deps.ts';
import type { GatewayDeps } from '../kit/module.ts';
import type { Authenticate } from './auth.ts';
import { invalid, isAppotaRefusal, refusal, render } from './codes.ts';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type Operation = (caller: Caller, request: FastifyRequest) => Promise<unknown>;
export type Handler = (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>;

/** The headers read after authentication; the request id claimed for the merchant. */
async function checkHeaders(deps: Pick<GatewayDeps, 'cards'>, caller: Caller, request: FastifyRequest): Promise<void> {
  // Echoed as x-request-id by the root hook (api/request-id.ts) when it is safe to: a valid one always is.
  const requestId = request.headers['x-request-id'];
  if (requestId !== undefined && (typeof requestId !== 'string' || requestId.length > 42 || !UUID_V4.test(requestId))) {
    throw invalid('X-Request-ID', 'must be a UUID v4 of at most 42 characters');
  }
  const account = request.headers['x-account-ref-id'];
  if (account !== undefined && (typeof account !== 'string' || !UUID.test(account))) throw refusal(119);
  if (typeof requestId === 'string' && !(await deps.cards.claimReference(caller, 'appotapay-request', requestId.toLowerCase()))) {
    throw refusal(6, [{ field: 'X-Request-ID', reason: 'already used' }]);
  }
}

/** Wraps each operation in the pipeline. */
export function handler(deps: Pick<GatewayDeps, 'cards' | 'guard'>, authenticate: Authenticate): (work: Operation) => Handler {
  return (work) => async (request, reply) => {
    try {
      const lang = request.headers.language;
      if (lang !== undefined && lang !== 'vi' && lang !== 'en') throw invalid('Language', 'must be vi or en');
      const caller = await authenticate(request);
      if (deps.guard.throttled('appotapay', caller.merchantId, reply)) return reply;
      await checkHeaders(deps, caller, request);
      return reply.send(await work(caller, request));
    } catch (e) {
      if (!isAppotaRefusal(e)) throw e;
      return render(reply, e);
    }
  };
}
