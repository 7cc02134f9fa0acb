/**
 * AppotaPay's parts of the one gateway pipeline (kit/pipeline.ts): the Language and Content-Type headers checked before the JWT;
 * after the merchant's rate, X-Request-ID (a UUID v4, claimed once per merchant) and X-Account-Ref-ID; a
 * refusal in AppotaPay's shape.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Caller } from '../../../vault/deps.ts';
import type { FirstAnswers } from '../kit/first-answers.ts';
import type { GatewayDeps } from '../kit/module.ts';
import { gatewayPipeline } from '../kit/pipeline.ts';
import type { GatewayRefusal } from '../kit/refusal.ts';
import { type AppotaAuthenticated, authenticator, claimedBy } from './auth.ts';
import { invalid, isAppotaRefusal, refusal, render, SCHEME } from './codes.ts';
import { appotaDedupe, inProgress } from './replay.ts';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `application/json`, with parameters (`; charset=utf-8`) or not, in any case. */
const JSON_TYPE = /^application\/json\s*(?:;.*)?$/i;

/**
 * Checked before authentication: a Language other than vi or en (refused in Vietnamese, the default); a
 * Content-Type other than `application/json`, which every AppotaPay page requires (*chosen*: a request with a body
 * must send it; a GET or DELETE, which has none, may leave it out but not send another). errorCode `1`.
 */
function checkHeaders(request: FastifyRequest): void {
  const lang = request.headers.language;
  if (lang !== undefined && lang !== 'vi' && lang !== 'en') throw invalid('Language', 'must be vi or en');
  const type = request.headers['content-type'];
  const hasBody = request.method !== 'GET' && request.method !== 'HEAD' && request.method !== 'DELETE';
  if (type === undefined ? hasBody : !JSON_TYPE.test(type)) throw invalid('Content-Type', 'must be application/json');
}

/** The headers read after authentication and the rate check; the request id claimed for the merchant. */
/** How long an X-Request-ID stays used: the longest an AppotaPay JWT lives (a replay after it fails to authenticate). */
const REQUEST_ID_WINDOW_MS = 24 * 3600 * 1000;

function headerReader(deps: Pick<GatewayDeps, 'replays'>) {
  return async ({ caller }: AppotaAuthenticated, request: FastifyRequest): Promise<Caller> => {
    // Echoed as x-request-id by the root hook (api/request-id.ts) when it is safe to: a valid one always is.
    const requestId = request.headers['x-request-id'];
    if (requestId !== undefined && (typeof requestId !== 'string' || requestId.length > 42 || !UUID_V4.test(requestId))) {
      throw invalid('X-Request-ID', 'must be a UUID v4 of at most 42 characters');
    }
    const account = request.headers['x-account-ref-id'];
    if (account !== undefined && (typeof account !== 'string' || !UUID.test(account))) throw refusal(119);
    // A replay claim shared by every instance (vault/replay.ts).
    const claim =
      typeof requestId === 'string'
        ? await deps.replays.claim(`appotapay-request:${caller.merchantId}`, requestId.toLowerCase(), '1', REQUEST_ID_WINDOW_MS)
        : null;
    if (claim && !claim.claimed) {
      throw refusal(6, [{ field: 'X-Request-ID', reason: 'already used' }]);
    }
    return caller;
  };
}

/** Only AppotaPay's own codes have a rendering; any other refusal is a bug, left to the error handler. */
function renderRefusal(reply: FastifyReply, e: GatewayRefusal): FastifyReply {
  if (!isAppotaRefusal(e)) throw e;
  return render(reply, e);
}

/** An AppotaPay operation: the authenticated caller and the request in, the answer out. */
export type Operation = (caller: Caller, request: FastifyRequest) => Promise<unknown>;

/** Wraps each operation in the pipeline. */
export function handler(deps: Pick<GatewayDeps, 'merchants' | 'cards' | 'guard' | 'now' | 'replays'>, answers: FirstAnswers) {
  const route = gatewayPipeline({
    api: 'appotapay',
    guard: deps.guard,
    scheme: SCHEME,
    before: checkHeaders,
    claimed: claimedBy,
    authenticate: authenticator(deps),
    render: renderRefusal,
    // A replayed state-changing request gets the first answer (replay.ts).
    dedupe: { answers, key: appotaDedupe(deps.now), inProgress },
  });
  const read = headerReader(deps);
  return (work: Operation) => route(read, (caller, _auth, request) => work(caller, request));
}
