/** Held security codes (card_secrets): at most one per card, sealed under a window key, deleted on use or expiry. */
import type { Executor } from './db.ts';
import type { CardSecretRow } from './schema.ts';

export const cardSecretStore = {
  insert: (q: Executor, row: CardSecretRow) => q.insertInto('card_secrets').values(row).execute(),

  /** Puts a held code back unless the card holds one again already. */
  restore: (q: Executor, row: CardSecretRow) =>
    q
      .insertInto('card_secrets')
      .values(row)
      .onConflict((oc) => oc.column('card_id').doNothing())
      .execute(),

  get: (q: Executor, merchantId: string, cardId: string) =>
    q.selectFrom('card_secrets').selectAll().where('card_id', '=', cardId).where('merchant_id', '=', merchantId).executeTakeFirst(),

  delete: (q: Executor, cardId: string) => q.deleteFrom('card_secrets').where('card_id', '=', cardId).execute(),

  /** Wipes every code whose TTL ended by `at`; returns how many. */
  deleteExpired: async (q: Executor, at: string): Promise<number> =>
    Number((await q.deleteFrom('card_secrets').where('expires_at', '<=', at).executeTakeFirst()).numDeletedRows),

  deleteOfMerchant: (q: Executor, merchantId: string) => q.deleteFrom('card_secrets').where('merchant_id', '=', merchantId).execute(),
};
