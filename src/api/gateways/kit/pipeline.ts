/**
 * The request pipeline every gateway route runs: checks made before authentication → authenticate → the
 * merchant's rate → read the input → (a state-changing request without a nonce) claim its key or answer the
 * first answer → the operation → send the answer. A GatewayRefusal on the way is answered
 * in the gateway's own shape, and one carrying `auth` is first audited as a failed authentication (which also
 * counts toward the lockouts of the credential the request named, guard.ts). A request naming a credential its
 * address is locked out of is refused (429) before anything else, without being verified. A gateway supplies only its parts: how it authenticates, reads its
 * input, renders a refusal and (when its answers are sealed or encrypted) sends an answer.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Caller } from '../../../vault/deps.ts';
import type { Guard } from '../../guard.ts';
import type { DedupeKey, FirstAnswers } from './first-answers.ts';
import { GatewayRefusal } from './refusal.ts';

/** What authentication yields: the caller, and whatever else it read on the way (a parsed or decrypted body). */
export interface Authenticated {
  caller: Caller;
}

export interface PipelineSpec<A extends Authenticated> {
  /** The gateway's id: its guard renderer, rate counters and audit events are under this name. */
  api: string;
  guard: Pick<Guard, 'throttled' | 'authFailed' | 'locked'>;
  /** The audited scheme when a refusal's `auth` names none. */
  scheme: string;
  /**
   * The credential the request names, read from it before anything is verified (a merchant id, an api_key claim, a
   * device id): what failures are counted against and lockouts refuse. Null, or no reader, when the request names
   * none that can be read first (2C2P): its failures count toward the address only. Never throws, does no I/O.
   */
  claimed?(request: FastifyRequest): string | null;
  /** Checks of the request made before authentication (AppotaPay's Language header); throws a GatewayRefusal. */
  before?(request: FastifyRequest): void;
  /** Who sent the request; throws a GatewayRefusal with `auth` when it is refused. */
  authenticate(request: FastifyRequest, reply: FastifyReply): Promise<A>;
  /** Sends a refusal in the gateway's own error body. */
  render(reply: FastifyReply, refusal: GatewayRefusal, request: FastifyRequest): FastifyReply | Promise<FastifyReply>;
  /**
   * Deduplication of state-changing requests without a nonce (kit/first-answers.ts): the key the gateway derives
   * from an authenticated request whose input was read (null: not deduplicated, e.g. a read), and the refusal a
   * replay of a request still in flight gets.
   */
  dedupe?: {
    answers: FirstAnswers;
    key(auth: A, request: FastifyRequest): DedupeKey | null;
    inProgress(request: FastifyRequest): GatewayRefusal;
  };
  /** Sends an operation's answer (default: as JSON); a gateway whose answers are sealed or encrypted seals here. */
  send?(reply: FastifyReply, answer: unknown, auth: A, request: FastifyRequest): FastifyReply | Promise<FastifyReply>;
}

/** One operation: its input and the authenticated caller in, the answer out. */
export type Operation<A extends Authenticated, In> = (input: In, auth: A, request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

/** A route's reader: what authentication yielded → the operation's input (throws a GatewayRefusal it refuses). */
export type Reader<A extends Authenticated, In> = (auth: A, request: FastifyRequest) => In | Promise<In>;

export function gatewayPipeline<A extends Authenticated>(spec: PipelineSpec<A>) {
  const { api, guard } = spec;

  async function refused(request: FastifyRequest, reply: FastifyReply, e: GatewayRefusal, claimed: string | null): Promise<FastifyReply> {
    if (e.auth) {
      await guard.authFailed(request, {
        api,
        scheme: e.auth.scheme ?? spec.scheme,
        reason: e.auth.reason,
        merchantId: e.auth.merchantId ?? null,
        claimed,
      });
    }
    return spec.render(reply, e, request);
  }

  /** A route handler running the pipeline for one operation, with the reader of its input. */
  return function route<In>(read: Reader<A, In>, operation: Operation<A, In>) {
    return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
      const claimed = spec.claimed?.(request) ?? null;
      if (await guard.locked(api, request, reply, claimed)) return reply;
      try {
        spec.before?.(request);
        const auth = await spec.authenticate(request, reply);
        if (await guard.throttled(api, auth.caller.merchantId, reply)) return reply;
        const input = await read(auth, request);
        const dedupe = spec.dedupe?.key(auth, request) ?? null;
        if (dedupe && spec.dedupe) {
          const begun = await spec.dedupe.answers.begin(request, reply, auth.caller.merchantId, dedupe);
          if (begun === 'answered') return reply;
          if (begun === 'in-progress') throw spec.dedupe.inProgress(request);
        }
        const answer = await operation(input, auth, request, reply);
        if (answer === reply) return reply;
        return spec.send ? await spec.send(reply, answer, auth, request) : reply.send(answer);
      } catch (e) {
        if (!(e instanceof GatewayRefusal)) throw e;
        return refused(request, reply, e, claimed);
      }
    };
  };
}
