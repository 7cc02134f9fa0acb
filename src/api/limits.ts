/**
 * The guard's counters (api/guard.ts): failed authentications, and each merchant's request rate. With Redis
 * (TOKENVAULT_REDIS_URL) every instance counts there together through rate-limiter-flexible (atomic Lua
 * increments; a key's window starts at its first count and is fixed); without Redis each process counts alone.
 * When Redis cannot answer (down, not yet connected, or slower than REDIS_TIMEOUT_MS), a count is made in this
 * process instead and that is reported once per outage: a limit neither fails a request nor waits on Redis.
 */
import {
  BurstyRateLimiter,
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  RLWrapperTimeouts,
} from 'rate-limiter-flexible';
import type { Config } from '../config.ts';
import type { RedisClient } from '../store/redis.ts';

/** A counter's current fixed window: its failures and when the window ends (epoch ms). */
export interface FailureWindow {
  count: number;
  until: number;
}

/**
 * Where failure counters live: this process (memoryFailureStore) or Redis (redisFailureStore), where every
 * instance counts together. Keys are opaque strings of the guard's own making.
 */
export interface FailureStore {
  /** Each key's window, or null when it has none or it has ended. */
  get(keys: readonly string[], now: number): Promise<(FailureWindow | null)[]>;
  /** Counts one failure under each key (a key's window starts at its first failure) and returns the windows after. */
  add(keys: readonly string[], now: number, windowMs: number): Promise<FailureWindow[]>;
}

/**
 * Counters in this process's memory, on the guard's clock; ended windows are swept when the map is full, then
 * the oldest forgotten. (Not rate-limiter-flexible's memory limiter: that one has no bound on its keys, and a
 * flood of distinct claimed credentials would grow it without end.)
 */
export function memoryFailureStore(maxKeys = 300_000): FailureStore {
  const windows = new Map<string, FailureWindow>();
  const live = (key: string, now: number): FailureWindow | null => {
    const w = windows.get(key);
    if (!w) return null;
    if (w.until > now) return w;
    windows.delete(key);
    return null;
  };
  return {
    async get(keys, now) {
      return keys.map((k) => live(k, now));
    },
    async add(keys, now, windowMs) {
      return keys.map((key) => {
        let w = live(key, now);
        if (!w) {
          if (windows.size >= maxKeys) {
            for (const [k, old] of windows) if (old.until <= now) windows.delete(k);
            // Still full (a flood of distinct claims): forget the oldest windows rather than grow without bound.
            for (const k of windows.keys()) {
              if (windows.size < maxKeys) break;
              windows.delete(k);
            }
          }
          w = { count: 0, until: now + windowMs };
          windows.set(key, w);
        }
        w.count++;
        return { ...w };
      });
    },
  };
}

/** How long Redis may take to answer a count before it is made in this process instead. */
export const REDIS_TIMEOUT_MS = 500;

/** Redis as the guard's counters use it. */
export interface SharedCounters {
  redis: RedisClient;
  /** This deployment's part of every key (vault/deployment.ts): deployments sharing one Redis never count together. */
  namespace: string;
  /** Called each time a count falls back to this process (fallbackNotice reports it once per outage). */
  onFallback: () => void;
}

/** A Redis counter that fails fast: at once while the connection is not ready, after REDIS_TIMEOUT_MS otherwise. */
function redisCounter(shared: SharedCounters, name: string, points: number, duration: number, insurance?: RateLimiterAbstract) {
  return new RLWrapperTimeouts({
    limiter: new RateLimiterRedis({
      storeClient: shared.redis,
      keyPrefix: `${shared.namespace}:${name}`,
      points,
      duration,
      rejectIfRedisNotReady: true,
    }),
    timeoutMs: REDIS_TIMEOUT_MS,
    ...(insurance ? { insuranceLimiter: insurance } : {}),
  });
}

/**
 * Failure counters in Redis: a failure is a penalty point on its key, whose window (the key's time to live)
 * starts at its first failure. While Redis cannot answer, failures are counted and read in `fallback`.
 */
export function redisFailureStore(shared: SharedCounters, fallback: FailureStore = memoryFailureStore()): FailureStore {
  // Only get and penalty are used: `points` (what consume would allow) plays no part.
  const counter = redisCounter(shared, 'auth', 1, 60);
  const windowOf = (res: RateLimiterRes | null, now: number): FailureWindow | null =>
    res && res.msBeforeNext > 0 ? { count: res.consumedPoints, until: now + res.msBeforeNext } : null;
  return {
    async get(keys, now) {
      try {
        return await Promise.all(keys.map(async (k) => windowOf(await counter.get(k), now)));
      } catch {
        shared.onFallback();
        return fallback.get(keys, now);
      }
    },
    async add(keys, now, windowMs) {
      // Redis keeps whole seconds of life (a key with none would never expire).
      const customDuration = Math.max(1, Math.ceil(windowMs / 1000));
      try {
        const counted = await Promise.all(keys.map((k) => counter.penalty(k, 1, { customDuration })));
        return counted.map((res) => windowOf(res, now) ?? { count: res.consumedPoints, until: now + customDuration * 1000 });
      } catch {
        shared.onFallback();
        return fallback.add(keys, now, windowMs);
      }
    },
  };
}

/** A merchant's request rate (TOKENVAULT_RATE_LIMIT_PER_SECOND and _BURST). */
export interface MerchantRate {
  /** Takes one request from the merchant's allowance: 0 when admitted, else seconds until one may be. */
  take(merchantId: string): Promise<number>;
}

type RateLimits = Pick<Config, 'rateLimitPerSecond' | 'rateLimitBurst'>;

/** A fixed-window counter: in Redis when `shared` is given (this process's memory while Redis cannot answer), else here. */
function windowCounter(
  shared: SharedCounters | null,
  name: string,
  points: number,
  duration: number,
): RateLimiterAbstract | RLWrapperTimeouts {
  const opts = { keyPrefix: name, points, duration };
  return shared ? redisCounter(shared, name, points, duration, new FallbackCounter(opts, shared.onFallback)) : new RateLimiterMemory(opts);
}

/** Takes one point: 0 when admitted, else seconds until one may be. */
async function takeFrom(limiter: { consume(key: string): Promise<unknown> }, key: string): Promise<number> {
  try {
    await limiter.consume(key);
    return 0;
  } catch (e) {
    // Over the limit: the wait until the next window. Anything else (no counter could answer) admits the
    // request rather than failing it.
    return e instanceof RateLimiterRes ? Math.max(1, e.msBeforeNext) / 1000 : 0;
  }
}

/** Requests per minute under keys of the caller's making (a publishable key and a client address). */
export interface KeyedRate {
  /** Takes one request from the key's allowance: 0 when admitted, else seconds until one may be. */
  take(key: string): Promise<number>;
}

/** `perMinute` requests a minute under each key, in fixed windows (0 = no limit); shared through Redis when given. */
export function perMinuteRate(name: string, perMinute: number, shared: SharedCounters | null): KeyedRate {
  if (perMinute <= 0) return { take: async () => 0 };
  const limiter = windowCounter(shared, name, perMinute, 60);
  return { take: (key) => takeFrom(limiter, key) };
}

/**
 * The seconds after which the burst allowance above the rate (burst − rate requests) is renewed: long enough
 * that it adds at most a tenth to the long-run rate, where a token bucket would refill it in burst / rate seconds.
 */
export function burstWindowSeconds(rate: number, burst: number): number {
  return Math.max(1, Math.ceil((10 * (burst - rate)) / rate));
}

/** A memory counter that reports when it is used: the stand-in for Redis while Redis cannot answer. */
class FallbackCounter extends RateLimiterMemory {
  constructor(
    opts: { keyPrefix: string; points: number; duration: number },
    private readonly onUse: () => void,
  ) {
    super(opts);
  }

  override consume(key: string | number, points?: number, options?: { [key: string]: unknown }): Promise<RateLimiterRes> {
    this.onUse();
    return super.consume(key, points, options);
  }
}

/**
 * Each merchant's rate as fixed windows (rate-limiter-flexible has no token bucket): `rate` requests per second
 * window, and when one is used up, an allowance of burst − rate more per burstWindowSeconds (BurstyRateLimiter).
 * So an idle merchant may send `burst` at once, then `rate` a second. Counted in Redis when `shared` is given
 * (this process's memory while Redis cannot answer), else in this process.
 */
export function merchantRate(limits: RateLimits, shared: SharedCounters | null): MerchantRate {
  const rate = limits.rateLimitPerSecond;
  if (rate <= 0) return { take: async () => 0 };
  const extra = limits.rateLimitBurst - rate;
  const perSecond = windowCounter(shared, 'rate', rate, 1);
  const limiter =
    extra > 0
      ? new BurstyRateLimiter(perSecond, windowCounter(shared, 'burst', extra, burstWindowSeconds(rate, limits.rateLimitBurst)))
      : perSecond;
  return { take: (merchantId) => takeFrom(limiter, merchantId) };
}

/** Reports the first fallback to this process, and the first again after Redis was ready in between. */
export function fallbackNotice(redis: RedisClient, warn: (message: string) => void): () => void {
  let reported = false;
  redis.on('ready', () => {
    reported = false;
  });
  return () => {
    if (reported) return;
    reported = true;
    warn('Redis did not answer: rate limits and lockout counters are counted in this process until it does');
  };
}

/**
 * What the guard counts with, and the card elements' rate per publishable key and client address: in Redis when
 * there is one (keys under `namespace()`), else in this process.
 */
export async function guardCounters(
  limits: RateLimits & Pick<Config, 'elementsRateLimitPerMinute'>,
  redis: RedisClient | null,
  namespace: () => Promise<string>,
  warn: (message: string) => void,
): Promise<{ failures: FailureStore; rate: MerchantRate; elements: KeyedRate }> {
  if (!redis) {
    return {
      failures: memoryFailureStore(),
      rate: merchantRate(limits, null),
      elements: perMinuteRate('elements', limits.elementsRateLimitPerMinute, null),
    };
  }
  const shared: SharedCounters = { redis, namespace: await namespace(), onFallback: fallbackNotice(redis, warn) };
  return {
    failures: redisFailureStore(shared),
    rate: merchantRate(limits, shared),
    elements: perMinuteRate('elements', limits.elementsRateLimitPerMinute, shared),
  };
}
