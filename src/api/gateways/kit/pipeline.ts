/**
 * The request pipeline every gateway route runs: authenticate → the merchant's rate → read the input → the
 * operation; a GatewayRefusal on the way is answered in the gateway's own shape, and one carrying `auth` is
 * first audited as a failed authentication (which also counts toward the address's lockout). A gateway
 * supplies only its parts: how it authenticates, how it reads its input, how it renders a refusal.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Caller } from '../../../vault/deps.ts';
import type { Guard } from '../../guard.ts';
import { GatewayRefusal } from './refusal.ts';

/** What authentication yields: the caller, and whatever else it read on the way (a parsed or decrypted body). */
export interface Authenticated {
  caller: Caller;
}

export interface PipelineSpec<A extends Authenticated> {
  /** The gateway's id: its guard renderer, rate counters and audit events are under this name. */
  api: string;
  guard: Pick<Guard, 'throttled' | 'authFailed'>;
  /** The audited scheme when a refusal's `auth` names none. */
  scheme: string;
  /** Who sent the request; throws a GatewayRefusal with `auth` when it is refused. */
  authenticate(request: FastifyRequest): Promise<A>;
  /** Sends a refusal in the gateway's own error body. */
  render(reply: FastifyReply, refusal: GatewayRefusal): FastifyReply;
}

/** One operation: the authenticated caller and its input in, the answer out (or the reply, already sent). */
export type Operation<A extends Authenticated, In> = (input: In, auth: A, request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

export function gatewayPipeline<A extends Authenticated>(spec: PipelineSpec<A>) {
  const { api, guard, render } = spec;

  async function refused(request: FastifyRequest, reply: FastifyReply, e: GatewayRefusal): Promise<FastifyReply> {
    if (e.auth) {
      await guard.authFailed(request, {
        api,
        scheme: e.auth.scheme ?? spec.scheme,
        reason: e.auth.reason,
        merchantId: e.auth.merchantId ?? null,
      });
    }
    return render(reply, e);
  }

  /**
   * A route handler running the pipeline: `read` turns what authentication yielded into the operation's
   * input (throwing a GatewayRefusal for input it refuses), after the rate check.
   */
  return function route<In>(read: (auth: A, request: FastifyRequest) => In, operation: Operation<A, In>) {
    return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
      try {
        const auth = await spec.authenticate(request);
        if (guard.throttled(api, auth.caller.merchantId, reply)) return reply;
        const answer = await operation(read(auth, request), auth, request, reply);
        return answer === reply ? reply : reply.send(answer);
      } catch (e) {
        if (!(e instanceof GatewayRefusal)) throw e;
        return refused(request, reply, e);
      }
    };
  };
}
