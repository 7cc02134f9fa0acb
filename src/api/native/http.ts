/** Small request helpers shared by the native routes: auth and scopes, If-Match, pagination, idempotency. */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type Cursor, decodeCursor } from '../../store/page.ts';
import type { Caller } from '../../vault/deps.ts';
import type { IdempotencyService } from '../../vault/idempotency.ts';
import type { MerchantService, Principal, Scope } from '../../vault/merchants.ts';
import type { Guard } from '../guard.ts';
import { HttpProblem, isDatabaseUnavailable, problem, sendProblem } from '../problem.ts';
import { bindMerchant } from '../request-id.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
    idempotency: { merchantId: string; key: string } | null;
  }
  interface FastifyContextConfig {
    /** The API-key scope a native route needs; 'admin' means the admin token. */
    scope?: Scope | 'admin';
    /**
     * The answer carries a card number (a reveal): it is never kept for replay, so an Idempotency-Key is
     * accepted but each request is evaluated, and audited, again.
     */
    neverStored?: boolean;
    /** The route honours If-Match (optimistic concurrency); ifMatchOf refuses to read it elsewhere. */
    ifMatch?: boolean;
  }
}

export { HttpProblem };

export function callerOf(request: FastifyRequest): Caller {
  if (!request.principal) throw new Error('route has no scope configured');
  return { merchantId: request.principal.merchantId, actor: request.principal.keyId };
}

/** `If-Match: "3"` (or W/"3") → 3; absent → null; anything else is a client error. */
export function ifMatchOf(request: FastifyRequest): number | null {
  // The route's config is what the OpenAPI document shows: a route that reads If-Match must declare it.
  if (request.routeOptions.config.ifMatch !== true) throw new Error(`${request.routeOptions.url} reads If-Match without declaring ifMatch`);
  const raw = request.headers['if-match'];
  if (raw === undefined) return null;
  const m = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/.exec(String(raw));
  if (!m) throw new HttpProblem(problem('invalid_if_match', 'If-Match must be an ETag this API returned, e.g. "3"'));
  return Number(m[1]);
}

export const etag = (version: number): string => `"${version}"`;

export function pageParams(query: { limit?: string; cursor?: string }): { limit: number; after: Cursor | null } {
  const limit = query.limit ? Number(query.limit) : 20;
  if (query.cursor === undefined) return { limit, after: null };
  const after = decodeCursor(query.cursor);
  if (!after) throw new HttpProblem(problem('invalid_cursor', 'use the nextCursor value of a previous page'));
  return { limit, after };
}

const bearer = (request: FastifyRequest): string | null => {
  const h = request.headers.authorization;
  if (!h) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m ? (m[1] as string) : null;
};

/** Authentication and authorization for every route that declares a scope. */
export function registerAuth(
  app: FastifyInstance,
  deps: { merchants: MerchantService; checkAdmin: (token: string) => boolean; guard: Guard },
): void {
  const { guard } = deps;
  app.decorateRequest('principal', null);
  app.decorateRequest('idempotency', null);
  guard.renderer('native', (reply, status) =>
    sendProblem(
      reply,
      status === 429
        ? problem('rate_limited', 'too many requests; retry after the Retry-After seconds')
        : status === 503
          ? problem('service_unavailable', 'the database is unavailable; retry later')
          : problem('invalid_request', 'the request URL is malformed'),
    ),
  );
  app.addHook('onRequest', async (request, reply) => {
    const scope = request.routeOptions.config?.scope;
    if (!scope) return;
    const token = bearer(request);
    // The credential a request names is the key it presents (the guard keeps only a hash); the admin token is one.
    const claimed = token === null ? null : scope === 'admin' ? 'admin-token' : token;
    if (await guard.locked('native', request, reply, claimed)) return reply;
    if (scope === 'admin') {
      if (!token || !deps.checkAdmin(token)) {
        await guard.authFailed(request, { api: 'native', scheme: 'admin-token', reason: token ? 'wrong_token' : 'missing', claimed });
        return sendProblem(reply, problem('unauthorized', 'send the admin token as Authorization: Bearer …'));
      }
      return;
    }
    const principal = token ? await deps.merchants.authenticate(token) : null;
    if (!principal) {
      await guard.authFailed(request, { api: 'native', scheme: 'api-key', reason: token ? 'unknown_or_revoked_key' : 'missing', claimed });
      return sendProblem(reply, problem('unauthorized', 'send a valid API key as Authorization: Bearer tv_sk_…'));
    }
    bindMerchant(request, principal.merchantId);
    if (principal.type === 'publishable') {
      return sendProblem(reply, problem('forbidden', 'a publishable key (tv_pk_…) only creates card tokens, through /elements/v1/tokens'));
    }
    if (!principal.scopes.has(scope)) return sendProblem(reply, problem('forbidden', `this API key lacks the "${scope}" scope`));
    const wait = await guard.overLimit(principal.merchantId);
    if (wait > 0) return guard.refuse('native', reply, 429, wait);
    request.principal = principal;
  });
}

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/**
 * Idempotency-Key on POST: the first request with a key claims it; its response (status < 500) is kept
 * and replayed for the same key and body; a different body with the same key is refused.
 */
export function registerIdempotency(app: FastifyInstance, idempotency: IdempotencyService, now: () => Date): void {
  // Callback-style fast paths: most requests carry no key, and should not pay for two promises each.
  app.addHook('preHandler', (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => {
    if (request.method !== 'POST' || !request.principal || request.headers['idempotency-key'] === undefined) return done();
    if (request.routeOptions.config.neverStored) return done();
    claimOrReplay(request, reply).then(
      (answered) => {
        if (!answered) done();
      },
      (err: Error) => done(err),
    );
  });

  /** True when it answered (a replay or a refusal); false when the request goes on with its claim. */
  async function claimOrReplay(request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
    const raw = request.headers['idempotency-key'] as string | string[];
    const key = String(raw);
    if (!KEY_PATTERN.test(key)) {
      sendProblem(reply, problem('invalid_request', 'Idempotency-Key must be 1–255 visible ASCII characters'));
      return true;
    }
    const merchantId = (request.principal as Principal).merchantId;
    const hash = createHash('sha256')
      .update(`${request.method} ${request.url}\n`)
      .update(JSON.stringify(request.body ?? null))
      .digest('hex');
    if (await idempotency.claim(merchantId, key, hash, now())) {
      request.idempotency = { merchantId, key };
      return false;
    }
    const prior = await idempotency.get(merchantId, key);
    if (!prior) {
      sendProblem(reply, problem('idempotency_in_progress', 'retry in a moment'));
      return true;
    }
    if (prior.request_hash !== hash) {
      sendProblem(reply, problem('idempotency_key_reused'));
      return true;
    }
    if (prior.state !== 'done') {
      sendProblem(reply, problem('idempotency_in_progress', 'retry in a moment'));
      return true;
    }
    const stored = JSON.parse(prior.response as string) as { type: string; etag?: string; body: string };
    reply.header('idempotent-replayed', 'true');
    if (stored.etag) reply.header('etag', stored.etag);
    reply
      .code(prior.status_code as number)
      .type(stored.type)
      .send(stored.body);
    return true;
  }

  app.addHook('onSend', (request, reply, payload, done) => {
    if (!request.idempotency) return done(null, payload);
    // The answer stands even if its record cannot be written (database gone after the change committed):
    // failing here would turn a committed 201 into an error. The key stays pending; a restart releases it.
    storeOutcome(request, reply, payload).then(
      (p) => done(null, p),
      (err: Error) => {
        request.log.warn({ err: { message: err.message } }, 'idempotency outcome not stored');
        done(null, payload);
      },
    );
  });

  /**
   * Outcomes (a stored answer, or the release after a 5xx) that could not be written because the database
   * was unavailable: retried in order every second until they are, so a key is not left pending by an
   * outage the server lived through. (A crash meanwhile: the next start releases pending keys.)
   */
  const backlog: (() => Promise<unknown>)[] = [];
  let draining = false;
  const timer = setInterval(() => {
    if (draining || backlog.length === 0) return;
    draining = true;
    (async () => {
      while (backlog.length > 0) {
        await (backlog[0] as () => Promise<unknown>)();
        backlog.shift();
      }
    })()
      .catch(() => {})
      .finally(() => {
        draining = false;
      });
  }, 1000);
  timer.unref();
  app.addHook('onClose', (_app, done) => {
    clearInterval(timer);
    done();
  });

  async function storeOutcome(request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
    const claim = request.idempotency as { merchantId: string; key: string };
    request.idempotency = null;
    let write: () => Promise<unknown>;
    if (reply.statusCode >= 500) {
      write = () => idempotency.release(claim.merchantId, claim.key);
    } else {
      const etagHeader = reply.getHeader('etag');
      const stored = JSON.stringify({
        type: String(reply.getHeader('content-type') ?? 'application/json'),
        ...(etagHeader ? { etag: String(etagHeader) } : {}),
        body: typeof payload === 'string' ? payload : String(payload ?? ''),
      });
      const status = reply.statusCode;
      write = () => idempotency.complete(claim.merchantId, claim.key, status, stored);
    }
    try {
      await write();
    } catch (e) {
      if (!isDatabaseUnavailable(e)) throw e;
      if (backlog.length < 100_000) backlog.push(write);
      request.log.warn({ err: { message: (e as Error).message } }, 'idempotency outcome queued until the database is back');
    }
    return payload;
  }
}
