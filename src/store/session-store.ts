/** Gateway sessions (AlliancePay's virtual devices): one row each, with the server key encrypted. */
import type { Executor } from './db.ts';
import type { GatewaySessionRow } from './schema.ts';

export const sessionStore = {
  insert: (q: Executor, row: GatewaySessionRow) => q.insertInto('gateway_sessions').values(row).execute(),

  byId: (q: Executor, id: string) => q.selectFrom('gateway_sessions').selectAll().where('id', '=', id).executeTakeFirst(),

  /** Deletes the sessions that expired by `at`; returns how many. */
  deleteExpired: async (q: Executor, at: string): Promise<number> =>
    Number((await q.deleteFrom('gateway_sessions').where('expires_at', '<=', at).executeTakeFirst()).numDeletedRows),

  /**
   * Ends the merchant's oldest live sessions (by when they were opened) beyond `keep`, never `keepId` (the one
   * just opened): their expiry becomes `at`, so they answer as expired and the sweep deletes them. Returns
   * the ids ended. Reads the merchant's live sessions through gateway_sessions_merchant.
   */
  endOldestBeyond: async (q: Executor, merchantId: string, keep: number, at: string, keepId: string): Promise<string[]> => {
    const live = q.selectFrom('gateway_sessions').where('merchant_id', '=', merchantId).where('expires_at', '>', at);
    const { n } = await live.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
    const excess = Number(n) - keep;
    if (excess <= 0) return [];
    const oldest = await live.select('id').where('id', '!=', keepId).orderBy('created_at').orderBy('id').limit(excess).execute();
    const ids = oldest.map((r) => r.id);
    if (ids.length > 0) await q.updateTable('gateway_sessions').set({ expires_at: at }).where('id', 'in', ids).execute();
    return ids;
  },

  deleteOfMerchant: (q: Executor, merchantId: string) => q.deleteFrom('gateway_sessions').where('merchant_id', '=', merchantId).execute(),
};
