/**
 * Cybersource's parts of the kit's pipeline (kit/pipeline.ts) every route runs: authenticate over the raw
 * bytes (auth.ts), the merchant's rate, read the JSON body into the operation's Ctx, run the operation, send its
 * answer (encrypted when asked: mle.ts) — and render any refusal in its family's shape.
 */
import type { FastifyRequest } from 'fastify';
import { parseObject, rawText } from '../kit/body.ts';
import type { FirstAnswers } from '../kit/first-answers.ts';
import { gatewayPipeline } from '../kit/pipeline.ts';
import { type Authenticated, claimedBy, cybersourceAuthenticator, NO_SCHEME, rawBody } from './auth.ts';
import { ptsError, render, tmsError } from './codes.ts';
import type { Ctx, CybersourceDeps, Handler } from './context.ts';
import type { Json } from './fields.ts';
import { sender } from './mle.ts';

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

/** A replay of a state-changing request that is still being answered: TMS's conflict, PTS's DUPLICATE_REQUEST. */
const IN_PROGRESS = 'An identical request is still being processed; retry it for its answer';
const inProgress = (kind: Family) =>
  kind === 'tms' ? tmsError(409, 'conflict', IN_PROGRESS) : ptsError(400, 'DUPLICATE_REQUEST', IN_PROGRESS);

/** An operation's Ctx: the authenticated caller, the request's path, query and headers, and its JSON body. */
const reader =
  (deps: CybersourceDeps, kind: Family) =>
  (auth: Authenticated, request: FastifyRequest): Ctx => ({
    deps,
    caller: auth.caller,
    auth,
    presented: { creator: auth.credential.cybsMerchantId },
    params: request.params as Record<string, string>,
    query: request.query as Record<string, string | undefined>,
    body: parseBody(request, rawBody(request), kind),
    headers: request.headers,
  });

/**
 * The route handler of an operation of `kind`'s family. The two families share the authenticator (and so its
 * replay claims); they differ in how a body is refused and how an answer is sent.
 */
export function responder(deps: CybersourceDeps, answers: FirstAnswers) {
  const authenticate = cybersourceAuthenticator(deps);
  const pipelineOf = (kind: Family) =>
    gatewayPipeline<Authenticated>({
      api: 'cybersource',
      guard: deps.guard,
      scheme: NO_SCHEME,
      claimed: claimedBy,
      authenticate,
      render: (reply, refusal) => render(reply, refusal, deps.now()),
      send: sender(deps, kind),
      // A byte-identical replay of a state-changing request without a nonce answers the first answer (replay.ts).
      dedupe: { answers, key: (auth) => auth.dedupe, inProgress: () => inProgress(kind) },
    });
  const pipelines = { tms: pipelineOf('tms'), pts: pipelineOf('pts') };
  return (kind: Family, handler: Handler) => pipelines[kind](reader(deps, kind), handler);
}
