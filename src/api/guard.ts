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
import { type Problem, problemFromError } from './problem.ts';
import { bindMerchant } from './request-id.ts';

export type ApiName = 'native' | 'twoc2p' | 'opay' | 'alliancepay' | 'appotapay' | 'cybersource';

/** Which API a request is for, by its path (each API owns distinct prefixes); null for ops and docs routes. */
export function apiOf(url: string): ApiName | null {
  if (url.startsWith('/v1/')) return 'native';
  if (url.startsWith('/tms/') || url.startsWith('/pts/')) return 'cybersource';
  if (url.startsWith('/customertoken/')) return 'twoc2p';
  if (url.startsWith('/api/v1/international/')) return 'opay';
  if (url.startsWith('/api-gateway/') || url.startsWith('/ecom/')) return 'alliancepay';
  if (url.startsWith('/credit-card/')) return 'appotapay';
  return null;
}

export interface AuthFailure {
  api: ApiName;
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
  readonly #renderers = new Map<ApiName, Renderer>();
  readonly #failures = new Map<string, Window>();
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly limits: Pick<Config, 'rateLimitPerSecond' | 'rateLimitBurst' | 'authFailureLimit' | 'authFailureWindowSeconds'>,
    private readonly audit: Pick<AuditService, 'recordDenied'>,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Each API registers how it answers 429/503. */
  renderer(api: ApiName, render: Renderer): void {
    this.#renderers.set(api, render);
  }

  refuse(api: ApiName, reply: FastifyReply, status: Refusal, retryAfterSeconds: number): FastifyReply {
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
  throttled(api: ApiName, merchantId: string, reply: FastifyReply): boolean {
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
    const api = apiOf(request.url);
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
export function gatewayErrorHandler(api: ApiName, guard: Guard, render: (reply: FastifyReply, p: Problem) => FastifyReply) {
  return (err: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const p = problemFromError(err, request);
    if (p.code === 'service_unavailable') return guard.refuse(api, reply, 503, 1);
    return render(reply, p);
  };
}
