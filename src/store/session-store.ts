/** Gateway sessions (AlliancePay's virtual devices): one row each, with the server key encrypted. */
import type { Executor } from './db.ts';
import type { GatewaySessionRow } from './schema.ts';

export const sessionStore = {
  insert: (q: Executor, row: GatewaySessionRow) => q.insertInto('gateway_sessions').values(row).execute(),

  byId: (q: Executor, id: string) => q.selectFrom('gateway_sessions').selectAll().where('id', '=', id).executeTakeFirst(),

  /** Deletes the sessions that expired by `at`; returns how many. */
  deleteExpired: async (q: Executor, at: string): Promise<number> =>
    Number((await q.deleteFrom('gateway_sessions').where('expires_at', '<=', at).executeTakeFirst()).numDeletedRows),

  deleteOfMerchant: (q: Executor, merchantId: string) => q.deleteFrom('gateway_sessions').where('merchant_id', '=', merchantId).execute(),
};
