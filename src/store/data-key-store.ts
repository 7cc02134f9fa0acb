/** Merchants' data keys (wrapped by the master key), by merchant, purpose and version. */
import type { Executor } from './db.ts';

export const dataKeyStore = {
  /** Each merchant's newest data-key version (merchants crypto-shredded have no rows). */
  newestDataVersions: async (q: Executor): Promise<Map<string, number>> => {
    const rows = await q
      .selectFrom('data_keys')
      .select(['merchant_id', (eb) => eb.fn.max('version').as('v')])
      .where('purpose', '=', 'data')
      .groupBy('merchant_id')
      .execute();
    return new Map(rows.map((r) => [r.merchant_id, Number(r.v)]));
  },

  /** Every data-key version that exists for some merchant. */
  dataVersions: async (q: Executor): Promise<number[]> =>
    (await q.selectFrom('data_keys').select('version').where('purpose', '=', 'data').groupBy('version').execute()).map((r) =>
      Number(r.version),
    ),

  allWrapped: (q: Executor) => q.selectFrom('data_keys').select(['merchant_id', 'purpose', 'version', 'wrapped']).execute(),

  /** Any one wrapped key, or undefined on a database that holds none. */
  anyWrapped: (q: Executor) =>
    q.selectFrom('data_keys').select(['merchant_id', 'purpose', 'version', 'wrapped']).limit(1).executeTakeFirst(),

  /** Removes a data-key version of every merchant; returns how many rows. */
  deleteDataVersion: async (q: Executor, version: number): Promise<number> =>
    Number(
      (await q.deleteFrom('data_keys').where('purpose', '=', 'data').where('version', '=', version).executeTakeFirst()).numDeletedRows,
    ),

  /** Crypto-shredding: every key of the merchant; returns how many rows. */
  deleteOfMerchant: async (q: Executor, merchantId: string): Promise<number> =>
    Number((await q.deleteFrom('data_keys').where('merchant_id', '=', merchantId).executeTakeFirst()).numDeletedRows),
};
