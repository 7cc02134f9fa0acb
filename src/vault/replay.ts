/**
 * Replays across instances (issue 19, SECURITY.md "Replays"). Two things every instance must share:
 *
 * - **Claims**: a single-use id (a JWT's jti) or a binding (a v1 JWT to the request it was first used for),
 *   held until its window ends. In Redis when it is configured (SET NX PX), else in the database
 *   (replay_claims, an expired row counting as free).
 * - **First answers**: a state-changing request that carries no nonce of its own is deduplicated by a key the
 *   gateway derives from it; the first runs and its answer is kept until the window ends, a byte-identical
 *   replay gets that answer and changes nothing. These are the native API's Idempotency-Key records
 *   (vault/idempotency.ts) under a `replay:` key, with an expiry; in the database even with Redis, because a kept
 *   answer belongs with the change it answers for, and merchant deletion deletes it with the merchant's rows.
 */
import { createHash } from 'node:crypto';
import type { RedisClient } from '../store/redis.ts';
import { replayStore } from '../store/replay-store.ts';
import type { VaultDeps } from './deps.ts';
import type { IdempotencyService } from './idempotency.ts';

/** What a claim found: held now by this call, or already held with this value. */
export type ClaimOutcome = { claimed: true } | { claimed: false; value: string };

/** Where claims live: Redis or the database. */
interface ClaimBackend {
  claim(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** The value of a live claim; null when none holds the key (it expired meanwhile). */
  held(key: string): Promise<string | null>;
  purgeExpired(): Promise<number>;
}

function redisBackend(redis: RedisClient): ClaimBackend {
  return {
    claim: async (key, value, ttlMs) => (await redis.set(`replay:${key}`, value, 'PX', ttlMs, 'NX')) === 'OK',
    held: (key) => redis.get(`replay:${key}`),
    // Redis expires its keys itself.
    purgeExpired: async () => 0,
  };
}

/**
 * Redis while it answers; the database (shared by every instance too) while it cannot — at once when the
 * connection is not ready, else when a command fails. Single use then still holds across instances, except for
 * an id first claimed in Redis just before the outage. Reported once per outage.
 */
function redisOrDatabase(redis: RedisClient, database: ClaimBackend, warn: (message: string) => void): ClaimBackend {
  const primary = redisBackend(redis);
  let reported = false;
  redis.on('ready', () => {
    reported = false;
  });
  const run = async <T>(op: (b: ClaimBackend) => Promise<T>): Promise<T> => {
    if (redis.status === 'ready') {
      try {
        return await op(primary);
      } catch {
        // Fall through to the database.
      }
    }
    if (!reported) {
      reported = true;
      warn('Redis did not answer: replay claims are held in the database until it does');
    }
    return op(database);
  };
  return {
    claim: (key, value, ttlMs) => run((b) => b.claim(key, value, ttlMs)),
    held: (key) => run((b) => b.held(key)),
    // Claims made in the database during an outage expire there.
    purgeExpired: () => database.purgeExpired(),
  };
}

function databaseBackend({ db, now }: Pick<VaultDeps, 'db' | 'now'>): ClaimBackend {
  return {
    claim: async (key, value, ttlMs) => {
      const at = now();
      const until = new Date(at.getTime() + ttlMs).toISOString();
      return replayStore.claim(db, key, value, at.toISOString(), until);
    },
    held: async (key) => (await replayStore.live(db, key, now().toISOString())) ?? null,
    purgeExpired: () => replayStore.deleteExpired(db, now().toISOString()),
  };
}

/** A kept answer: what a replay is sent back. */
export interface KeptAnswer {
  status: number;
  /** The headers that describe the body (content type, ETag). */
  headers: Record<string, string>;
  /** The body as sent, base64. */
  body: string;
}

/** What claiming a first answer's key found. */
export type FirstAnswerClaim = { state: 'claimed' } | { state: 'in-progress' } | { state: 'kept'; answer: KeptAnswer };

const FIRST_ANSWER = 'replay';
const MIN_TTL_MS = 1000;

export function createReplayService(
  deps: Pick<VaultDeps, 'db' | 'now'> & { redis: RedisClient | null; idempotency: IdempotencyService; warn?: (message: string) => void },
) {
  const warn = deps.warn ?? ((message: string) => process.emitWarning(message, 'TokenvaultRedis'));
  const backend = deps.redis ? redisOrDatabase(deps.redis, databaseBackend(deps), warn) : databaseBackend(deps);
  const { idempotency, now } = deps;
  const hashed = (namespace: string, id: string) => createHash('sha256').update(namespace).update('\0').update(id).digest('base64url');
  const answerKey = (key: string) => `${FIRST_ANSWER}:${key}`;

  return {
    /** Where claims are held, for the startup line and the docs: 'redis' or 'database'. */
    claimsIn: deps.redis ? ('redis' as const) : ('database' as const),

    /**
     * Claims `id` in `namespace` with `value` for `ttlMs`, across instances. A value lets a later use be judged
     * (a v1 JWT's method and path); single-use ids pass any constant.
     */
    async claim(namespace: string, id: string, value: string, ttlMs: number): Promise<ClaimOutcome> {
      const key = hashed(namespace, id);
      const ttl = Math.max(MIN_TTL_MS, Math.ceil(ttlMs));
      for (let attempt = 0; attempt < 3; attempt++) {
        if (await backend.claim(key, value, ttl)) return { claimed: true };
        const held = await backend.held(key);
        if (held !== null) return { claimed: false, value: held };
        // It expired between the two calls: claim again.
      }
      return { claimed: false, value: '' };
    },

    /** First answers of deduplicated requests, by the merchant and the gateway's key. */
    firstAnswers: {
      async claim(merchantId: string, key: string, ttlMs: number): Promise<FirstAnswerClaim> {
        const at = now();
        const until = new Date(at.getTime() + Math.max(MIN_TTL_MS, Math.ceil(ttlMs)));
        if (await idempotency.claimUntil(merchantId, answerKey(key), FIRST_ANSWER, at, until)) return { state: 'claimed' };
        const row = await idempotency.get(merchantId, answerKey(key));
        // Pending, or gone between the two reads (a failed first released it): answered as in progress, and the
        // client's retry claims it.
        if (row?.state !== 'done' || row.response === null || row.status_code === null) return { state: 'in-progress' };
        if (row.expires_at !== null && row.expires_at <= at.toISOString()) return { state: 'in-progress' };
        return { state: 'kept', answer: JSON.parse(row.response) as KeptAnswer };
      },
      complete: (merchantId: string, key: string, answer: KeptAnswer): Promise<void> =>
        idempotency.complete(merchantId, answerKey(key), answer.status, JSON.stringify(answer)),
      /** Gives the claim up: the first request failed unexpectedly, so a retry runs. */
      release: (merchantId: string, key: string): Promise<void> => idempotency.release(merchantId, answerKey(key)),
    },

    /** Deletes expired claims and kept answers (the server's sweep). */
    async purgeExpired(): Promise<number> {
      return (await backend.purgeExpired()) + (await idempotency.purgeExpired(now()));
    },
  };
}

export type ReplayService = ReturnType<typeof createReplayService>;
