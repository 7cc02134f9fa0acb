import type { Executor } from './db.ts';

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

  get: (q: Executor, merchantId: string, key: string) =>
    q.selectFrom('idempotency_keys').selectAll().where('merchant_id', '=', merchantId).where('key', '=', key).executeTakeFirst(),

  complete: (q: Executor, merchantId: string, key: string, statusCode: number, response: string) =>
    q
      .updateTable('idempotency_keys')
      .set({ state: 'done', status_code: statusCode, response })
      .where('merchant_id', '=', merchantId)
      .where('key', '=', key)
      .execute(),

  release: (q: Executor, merchantId: string, key: string) =>
    q.deleteFrom('idempotency_keys').where('merchant_id', '=', merchantId).where('key', '=', key).where('state', '=', 'pending').execute(),
};
