import type { Executor } from './db.ts';

/** The request hash of a single-use reference claim (not an Idempotency-Key): never released as abandoned. */
export const REFERENCE_CLAIM = 'reference';

export const idempotencyStore = {
  /** Claims the key; returns false if it already exists. */
  claim: async (q: Executor, merchantId: string, key: string, requestHash: string, at: string): Promise<boolean> => {
    const res = await q
      .insertInto('idempotency_keys')
      .values({
        merchant_id: merchantId,
        key,
        request_hash: requestHash,
        state: 'pending',
        status_code: null,
        response: null,
        created_at: at,
      })
      .onConflict((oc) => oc.columns(['merchant_id', 'key']).doNothing())
      .executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0n) === 1;
  },

  /**
   * Claims a key that lives until `expiresAt` (a gateway's kept first answer): returns false while a live row
   * holds it; an expired row is taken over in the same statement, as if the sweep had deleted it already.
   */
  claimUntil: async (
    q: Executor,
    merchantId: string,
    key: string,
    requestHash: string,
    at: string,
    expiresAt: string,
  ): Promise<boolean> => {
    const fresh = { request_hash: requestHash, state: 'pending', status_code: null, response: null, created_at: at, expires_at: expiresAt };
    const res = await q
      .insertInto('idempotency_keys')
      .values({ merchant_id: merchantId, key, ...fresh })
      .onConflict((oc) => oc.columns(['merchant_id', 'key']).doUpdateSet(fresh).where('idempotency_keys.expires_at', '<=', at))
      .executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0n) === 1;
  },

  /** Deletes the kept answers whose window ended by `at` (rows without an expiry are never touched). */
  deleteExpired: async (q: Executor, at: string): Promise<number> =>
    Number((await q.deleteFrom('idempotency_keys').where('expires_at', '<=', at).executeTakeFirst()).numDeletedRows),

  get: (q: Executor, merchantId: string, key: string) =>
    q.selectFrom('idempotency_keys').selectAll().where('merchant_id', '=', merchantId).where('key', '=', key).executeTakeFirst(),

  complete: (q: Executor, merchantId: string, key: string, statusCode: number, response: string) =>
    q
      .updateTable('idempotency_keys')
      .set({ state: 'done', status_code: statusCode, response })
      .where('merchant_id', '=', merchantId)
      .where('key', '=', key)
      .execute(),

  /** Idempotency-Key claims still pending that were made before `before` (their server died mid-request). */
  releaseAbandoned: async (q: Executor, before: string): Promise<number> => {
    const res = await q
      .deleteFrom('idempotency_keys')
      .where('state', '=', 'pending')
      .where('request_hash', '!=', REFERENCE_CLAIM)
      .where('created_at', '<', before)
      .executeTakeFirst();
    return Number(res.numDeletedRows);
  },

  release: (q: Executor, merchantId: string, key: string) =>
    q.deleteFrom('idempotency_keys').where('merchant_id', '=', merchantId).where('key', '=', key).where('state', '=', 'pending').execute(),

  /** Kept answers and request-id claims of a merchant (deleted with it). */
  deleteOfMerchant: (q: Executor, merchantId: string) => q.deleteFrom('idempotency_keys').where('merchant_id', '=', merchantId).execute(),
};
