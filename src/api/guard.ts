/**
 * Abuse limits shared by every API (native and the five gateways):
 * - a refused authentication is audited (`auth.failed`: which API, which scheme, why; never what was
 *   presented) and counted three ways: per client address, per (address, claimed credential) and per claimed
 *   credential, where the claim is what the request named before it was verified (an API key, a merchant id, a
 *   device id), kept only as a hash;
 * - before a request naming a credential is verified, it is refused (429) when its address has failed
 *   `authFailureLimit` times naming that credential, or has failed on it at all while the credential is under
 *   attack (`authFailureCredentialLimit` failures from every address) or the address is flooding
 *   (`authFailureAddressLimit`). Addresses that never failed on a credential are never refused for it, so a
 *   correct credential is not locked out by other clients' failures; see SECURITY.md "Brute force and lockouts";
 * - a request naming no credential (garbage, or 2C2P, whose signer is known only once verified) is refused once
 *   its address is over `authFailureAddressLimit`, far above a test suite's worth of failures;
 * - each merchant may make `rateLimitPerSecond` requests a second with a burst of `rateLimitBurst` (0 = no
 *   limit; fixed windows, api/limits.ts).
 * Each API answers 429 and 503 in its own error shape through the renderer it registers here.
 * Counters live in a FailureStore and a MerchantRate (api/limits.ts): in Redis, shared by every instance, when
 * TOKENVAULT_REDIS_URL is set; else in this process (with `--workers N` or several instances each counts on its
 * own, N × the limits).
 */
import { createHash } from 'node:crypto';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.ts';
import type { AuditService } from '../vault/audit.ts';
import { GATEWAYS, type GatewayId } from './gateways/index.ts';
import { type FailureStore, type FailureWindow, type MerchantRate, memoryFailureStore, merchantRate } from './limits.ts';
import { type Problem, problemFromError } from './problem.ts';
import { bindMerchant } from './request-id.ts';

export type ApiName = 'native' | GatewayId;

/**
 * Which API a request is for, by its path: the native API's `/v1/` (and its card elements, `/elements/`), else the
 * gateway owning the prefix (each API owns distinct prefixes); null for ops and docs routes.
 */
export function apiMatcher(gateways: readonly { id: string; prefixes: readonly string[] }[]): (url: string) => string | null {
  const owners: [prefix: string, api: string][] = [
    ['/v1/', 'native'],
    ['/elements/', 'native'],
  ];
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
  /**
   * The credential the request named before it was verified (an API key, a merchant or device id); null or absent
   * when it named none. Counted (as a hash), never audited or logged.
   */
  claimed?: string | null;
}

/**
 * Sends a refusal in one API's shape: 429 (limits), 503 (database unavailable), or 400 for a request the
 * router itself refused (malformed percent-encoding, an over-long path segment).
 */
export type Refusal = 400 | 429 | 503;
export type Renderer = (reply: FastifyReply, status: Refusal, retryAfterSeconds: number) => FastifyReply;

type Limits = Pick<
  Config,
  | 'rateLimitPerSecond'
  | 'rateLimitBurst'
  | 'authFailureLimit'
  | 'authFailureWindowSeconds'
  | 'authFailureAddressLimit'
  | 'authFailureCredentialLimit'
>;

/** The counter keys of a request: its address, and with a claim the (address, claim) pair and the claim. */
function keysOf(ip: string, api: string, claimed: string | null): { address: string; pair?: string; credential?: string } {
  const address = `a:${ip}`;
  if (claimed === null) return { address };
  // The claim may be a secret itself (a native API key): only a hash of it is kept, scoped to its API.
  const h = createHash('sha256').update(`${api}\0${claimed}`).digest('base64url').slice(0, 22);
  return { address, pair: `p:${ip}:${h}`, credential: `c:${h}` };
}

export class Guard {
  readonly #renderers = new Map<string, Renderer>();

  constructor(
    private readonly limits: Limits,
    private readonly audit: Pick<AuditService, 'recordDenied'>,
    private readonly clock: () => number = Date.now,
    /** Which API a path is for (the app passes the one derived from its gateways). */
    readonly apiOf: (url: string) => string | null = serverApiOf,
    private readonly failures: FailureStore = memoryFailureStore(),
    private readonly rate: MerchantRate = merchantRate(limits, null),
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

  /**
   * Seconds until a request from `ip` naming `claimed` (null: none) may be verified; 0 when it may now. Decided
   * before verifying, so a locked-out guesser learns nothing from a right guess.
   */
  async blockedFor(ip: string, api: string, claimed: string | null): Promise<number> {
    const now = this.clock();
    const k = keysOf(ip, api, claimed);
    const L = this.limits;
    const wait = (w: FailureWindow) => (w.until - now) / 1000;
    if (k.pair === undefined || k.credential === undefined) {
      const [address] = await this.failures.get([k.address], now);
      return address && address.count >= L.authFailureAddressLimit ? wait(address) : 0;
    }
    // Most requests come from an address that never failed on their credential: one key read decides them (one
    // Redis round trip on every request when the counters are shared, not three).
    const [pair] = await this.failures.get([k.pair], now);
    if (!pair) return 0;
    if (pair.count >= L.authFailureLimit) return wait(pair);
    const [address, credential] = await this.failures.get([k.address, k.credential], now);
    const underAttack = (credential?.count ?? 0) >= L.authFailureCredentialLimit;
    const flooding = (address?.count ?? 0) >= L.authFailureAddressLimit;
    return underAttack || flooding ? wait(pair) : 0;
  }

  /** Answers 429 in the API's shape and returns true when the request may not be verified now (blockedFor). */
  async locked(api: string, request: FastifyRequest, reply: FastifyReply, claimed: string | null): Promise<boolean> {
    const wait = await this.blockedFor(request.ip, api, claimed);
    if (wait <= 0) return false;
    this.refuse(api, reply, 429, wait);
    return true;
  }

  /**
   * Records a refused authentication. It is audited while its (address, claim) pair, or for a request naming no
   * credential its address, is within `authFailureLimit` (and the address within its ceiling); each crossing of a
   * limit is audited once (`auth.locked`), so a flood of bad credentials cannot turn into a flood of writes.
   */
  async authFailed(request: FastifyRequest, f: AuthFailure): Promise<void> {
    const ip = request.ip;
    const L = this.limits;
    const k = keysOf(ip, f.api, f.claimed ?? null);
    const keys = [k.address, ...(k.pair && k.credential ? [k.pair, k.credential] : [])];
    let counted: FailureWindow[];
    try {
      counted = await this.failures.add(keys, this.clock(), L.authFailureWindowSeconds * 1000);
    } catch (e) {
      request.log.warn({ err: { message: (e as Error).message } }, 'auth failure not counted');
      return;
    }
    const [address, pair, credential] = counted.map((w) => w.count) as [number, number?, number?];
    const narrowest = pair ?? address;
    const crossed = [
      ...(pair === L.authFailureLimit ? ['credential_from_address'] : []),
      ...(credential === L.authFailureCredentialLimit ? ['credential'] : []),
      ...(address === L.authFailureAddressLimit ? ['address_flood'] : []),
    ];
    const audited = narrowest <= L.authFailureLimit && address <= L.authFailureAddressLimit;
    if (!audited && crossed.length === 0) return;
    // Reasons are fixed strings (the audit writer redacts card numbers as a backstop); kept printable and short
    // all the same, so a future reason built from client text cannot flood or garble the log.
    const reason = f.reason.replace(/[^\x20-\x7e]/g, '?').slice(0, 100);
    const detail = { api: f.api, scheme: f.scheme, reason, ...(crossed.length ? { lockedSeconds: L.authFailureWindowSeconds } : {}) };
    try {
      if (audited)
        await this.audit.recordDenied({ merchantId: f.merchantId ?? null, actor: `client:${ip}`, action: 'auth.failed', detail });
      if (crossed.length)
        await this.audit.recordDenied({
          merchantId: null,
          actor: `client:${ip}`,
          action: 'auth.locked',
          detail: { ...detail, limits: crossed.join(',') },
        });
    } catch (e) {
      // The refusal stands either way; an unavailable database must not turn a 401 into a 500.
      request.log.warn({ err: { message: (e as Error).message } }, 'auth failure not audited');
    }
  }

  /** Takes one request from the merchant's allowance: 0 when admitted, else seconds until one may be. */
  overLimit(merchantId: string): Promise<number> {
    return this.rate.take(merchantId);
  }

  /**
   * For a gateway after authenticating (every gateway calls it first thing with the merchant it authenticated):
   * names the merchant in the request's later log lines, then sends its 429 and returns true when the merchant
   * is over its rate.
   */
  async throttled(api: string, merchantId: string, reply: FastifyReply): Promise<boolean> {
    bindMerchant(reply.request, merchantId);
    const wait = await this.overLimit(merchantId);
    if (wait <= 0) return false;
    this.refuse(api, reply, 429, wait);
    return true;
  }
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
