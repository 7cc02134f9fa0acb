/** Single-use claims shared by every instance (vault/replay.ts) when Redis does not hold them: one row each. */
import type { Executor } from './db.ts';

export const replayStore = {
  /**
   * Claims `key` with `value` until `expiresAt`: true when this call holds it now (a new row, or an expired one
   * taken over in the same statement), false while another live claim holds it.
   */
  claim: async (q: Executor, key: string, value: string, at: string, expiresAt: string): Promise<boolean> => {
    const res = await q
      .insertInto('replay_claims')
      .values({ key, value, expires_at: expiresAt })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value, expires_at: expiresAt }).where('replay_claims.expires_at', '<=', at))
      .executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0n) === 1;
  },

  /** The value of a live claim, or undefined. */
  live: async (q: Executor, key: string, at: string): Promise<string | undefined> =>
    (await q.selectFrom('replay_claims').select('value').where('key', '=', key).where('expires_at', '>', at).executeTakeFirst())?.value,

  deleteExpired: async (q: Executor, at: string): Promise<number> =>
    Number((await q.deleteFrom('replay_claims').where('expires_at', '<=', at).executeTakeFirst()).numDeletedRows),
};
