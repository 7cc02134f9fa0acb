/**
 * Abuse limits shared by every API (native and the five gateways):
 * - a refused authentication is audited (`auth.failed`: which API, which scheme, why; never what was
 *   presented) and counted per client address; past `authFailureLimit` failures in a window the address
 *   is refused with 429 on every API until the window ends (one `auth.locked` event, then no more audit
 *   writes for it, so a flood of bad credentials cannot turn into a flood of writes);
 * - each merchant has a token bucket of `rateLimitPerSecond` requests per second (0 = no limit).
 * Each API answers 429 and 503 in its own error shape through the renderer it registers here.
 * Counters live in this process: with `--workers N` each worker counts on its own (N × the limits).
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.ts';
import type { AuditService } from '../vault/audit.ts';
import { GATEWAYS, type GatewayId } from './gateways/index.ts';
import { type Problem, problemFromError } from './problem.ts';
import { bindMerchant } from './request-id.ts';

export type ApiName = 'native' | GatewayId;

/**
 * Which API a request is for, by its path: the native API's `/v1/`, else the gateway owning the prefix (each
 * API owns distinct prefixes); null for ops and docs routes.
 */
export function apiMatcher(gateways: readonly { id: string; prefixes: readonly string[] }[]): (url: string) => string | null {
  const owners: [prefix: string, api: string][] = [['/v1/', 'native']];
  for (const g of gateways) for (const prefix of g.prefixes) owners.push([prefix, g.id]);
  for (const [i, [prefix]] of owners.entries())
    for (const [other] of owners.slice(i + 1))
      if (prefix.startsWith(other) || other.startsWith(prefix)) throw new Error(`API path prefixes overlap: ${prefix} and ${other}`);
  return (url) => {
    for (const [prefix, api] of owners) if (url.startsWith(prefix)) return api;
    return null;
  };
}

/** Which API of this server's (the native one and GATEWAYS) a request path is for. */
export const apiOf = apiMatcher(GATEWAYS) as (url: string) => ApiName | null;
const serverApiOf = apiOf;

export interface AuthFailure {
  /** The API name (ApiName, or a module's id when the app is built with other gateways). */
  api: string;
  /** The scheme refused, e.g. api-key, http-signature, jwt, hmac-sha512, jws, session. */
  scheme: string;
  /** A short machine reason (never the credential, signature or token presented). */
  reason: string;
  /** The merchant the credential named, when the server could tell. */
  merchantId?: string | null;
}

/**
 * Sends a refusal in one API's shape: 429 (limits), 503 (database unavailable), or 400 for a request the
 * router itself refused (malformed percent-encoding, an over-long path segment).
 */
export type Refusal = 400 | 429 | 503;
export type Renderer = (reply: FastifyReply, status: Refusal, retryAfterSeconds: number) => FastifyReply;

interface Window {
  count: number;
  until: number;
}

export class Guard {
  readonly #renderers = new Map<string, Renderer>();
  readonly #failures = new Map<string, Window>();
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly limits: Pick<Config, 'rateLimitPerSecond' | 'rateLimitBurst' | 'authFailureLimit' | 'authFailureWindowSeconds'>,
    private readonly audit: Pick<AuditService, 'recordDenied'>,
    private readonly clock: () => number = Date.now,
    /** Which API a path is for (the app passes the one derived from its gateways). */
    readonly apiOf: (url: string) => string | null = serverApiOf,
  ) {}

  /** Each API registers how it answers 429/503. */
  renderer(api: string, render: Renderer): void {
    this.#renderers.set(api, render);
  }

  refuse(api: string, reply: FastifyReply, status: Refusal, retryAfterSeconds: number): FastifyReply {
    if (status !== 400) reply.header('retry-after', String(Math.max(1, Math.ceil(retryAfterSeconds))));
    const render = this.#renderers.get(api);
    if (render) return render(reply, status, retryAfterSeconds);
    return reply
      .code(status)
      .send({ error: status === 429 ? 'too many requests' : status === 503 ? 'service unavailable' : 'bad request' });
  }

  /** Seconds until a client locked out for failed authentications may try again; 0 when it may now. */
  blockedFor(ip: string): number {
    const w = this.#failures.get(ip);
    if (!w) return 0;
    const now = this.clock();
    if (w.until <= now) {
      this.#failures.delete(ip);
      return 0;
    }
    return w.count >= this.limits.authFailureLimit ? (w.until - now) / 1000 : 0;
  }

  /** Records a refused authentication: audited while the client is under its limit; the crossing is audited once. */
  async authFailed(request: FastifyRequest, f: AuthFailure): Promise<void> {
    const ip = request.ip;
    const now = this.clock();
    let w = this.#failures.get(ip);
    if (!w || w.until <= now) {
      if (this.#failures.size >= 100_000) this.#sweep(now);
      w = { count: 0, until: now + this.limits.authFailureWindowSeconds * 1000 };
      this.#failures.set(ip, w);
    }
    w.count++;
    if (w.count > this.limits.authFailureLimit) return;
    const locked = w.count === this.limits.authFailureLimit;
    // Reasons are fixed strings (the audit writer redacts card numbers as a backstop); kept printable and short
    // all the same, so a future reason built from client text cannot flood or garble the log.
    const reason = f.reason.replace(/[^\x20-\x7e]/g, '?').slice(0, 100);
    const detail = { api: f.api, scheme: f.scheme, reason, ...(locked ? { lockedSeconds: this.limits.authFailureWindowSeconds } : {}) };
    try {
      await this.audit.recordDenied({ merchantId: f.merchantId ?? null, actor: `client:${ip}`, action: 'auth.failed', detail });
      if (locked) await this.audit.recordDenied({ merchantId: null, actor: `client:${ip}`, action: 'auth.locked', detail });
    } catch (e) {
      // The refusal stands either way; an unavailable database must not turn a 401 into a 500.
      request.log.warn({ err: { message: (e as Error).message } }, 'auth failure not audited');
    }
  }

  /** Takes one request from the merchant's bucket: 0 when admitted, else seconds until one is available. */
  overLimit(merchantId: string): number {
    const rate = this.limits.rateLimitPerSecond;
    if (rate <= 0) return 0;
    const now = this.clock();
    const burst = this.limits.rateLimitBurst;
    let b = this.#buckets.get(merchantId);
    if (!b) {
      b = { tokens: burst, at: now };
      this.#buckets.set(merchantId, b);
    }
    b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * rate);
    b.at = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return (1 - b.tokens) / rate;
  }

  /**
   * For a gateway after authenticating (every gateway calls it first thing with the merchant it authenticated):
   * names the merchant in the request's later log lines, then sends its 429 and returns true when the merchant
   * is over its rate.
   */
  throttled(api: string, merchantId: string, reply: FastifyReply): boolean {
    bindMerchant(reply.request, merchantId);
    const wait = this.overLimit(merchantId);
    if (wait <= 0) return false;
    this.refuse(api, reply, 429, wait);
    return true;
  }

  #sweep(now: number): void {
    for (const [ip, w] of this.#failures) if (w.until <= now) this.#failures.delete(ip);
  }
}

/** Refuses locked-out clients before any API work, in the API's own shape. */
export function registerGuard(app: FastifyInstance, guard: Guard): void {
  // Callback style: no promise per request on the hot path. Answering here without done() ends the request.
  app.addHook('onRequest', (request, reply, done) => {
    const api = guard.apiOf(request.url);
    const wait = api === null ? 0 : guard.blockedFor(request.ip);
    if (wait > 0 && api !== null) guard.refuse(api, reply, 429, wait);
    else done();
  });
}

/**
 * A gateway scope's error handler: framework and unexpected errors become a Problem (5xx logged with the
 * stack, never sent); the database being unavailable is a 503 in the gateway's shape (its renderer), and
 * everything else is answered by `render` in the gateway's own error format.
 */
export function gatewayErrorHandler(api: string, guard: Guard, render: (reply: FastifyReply, p: Problem) => FastifyReply) {
  return (err: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const p = problemFromError(err, request);
    if (p.code === 'service_unavailable') return guard.refuse(api, reply, 503, 1);
    return render(reply, p);
  };
}
