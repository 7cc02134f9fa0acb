/**
 * Idempotency-Key records of the native API (DESIGN §6), in front of their store: the first request with a
 * key claims it, its answer is kept for replay, a failed one releases it. The HTTP layer decides what is
 * replayed; this service only keeps the records.
 */
import { idempotencyStore } from '../store/idempotency-store.ts';
import type { IdempotencyRow } from '../store/schema.ts';
import type { VaultDeps } from './deps.ts';

export type IdempotencyRecord = IdempotencyRow;

export function createIdempotencyService(deps: Pick<VaultDeps, 'db'>) {
  const { db } = deps;
  return {
    /** Claims the key for a request with this hash; false when the key exists already (pending or done). */
    claim: (merchantId: string, key: string, requestHash: string, at: Date): Promise<boolean> =>
      idempotencyStore.claim(db, merchantId, key, requestHash, at.toISOString()),

    /**
     * Claims a key whose record is forgotten at `expiresAt` (a gateway's kept first answer, vault/replay.ts);
     * an expired record does not hold it.
     */
    claimUntil: (merchantId: string, key: string, requestHash: string, at: Date, expiresAt: Date): Promise<boolean> =>
      idempotencyStore.claimUntil(db, merchantId, key, requestHash, at.toISOString(), expiresAt.toISOString()),

    /** Deletes the records whose expiry has passed by `at` (the server's sweep). */
    purgeExpired: (at: Date): Promise<number> => idempotencyStore.deleteExpired(db, at.toISOString()),

    get: (merchantId: string, key: string): Promise<IdempotencyRecord | undefined> => idempotencyStore.get(db, merchantId, key),

    /** Keeps the answer of the request that holds the claim. */
    complete: async (merchantId: string, key: string, statusCode: number, response: string): Promise<void> => {
      await idempotencyStore.complete(db, merchantId, key, statusCode, response);
    },

    /** Gives a pending claim up (its request failed), so a retry with the key runs again. */
    release: async (merchantId: string, key: string): Promise<void> => {
      await idempotencyStore.release(db, merchantId, key);
    },

    /** Releases Idempotency-Key claims still pending from before `before` (their server died mid-request). */
    releaseAbandoned: (before: Date): Promise<number> => idempotencyStore.releaseAbandoned(db, before.toISOString()),
  };
}

export type IdempotencyService = ReturnType<typeof createIdempotencyService>;
