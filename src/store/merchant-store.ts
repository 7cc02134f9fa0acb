/** Merchants, their API keys, data keys, gateway credentials, and server settings. */
import type { Executor } from './db.ts';
import { prepareOne } from './prepared.ts';
import type { ApiKeyRow, DataKeyRow, GatewayCredentialRow, MerchantRow } from './schema.ts';

const findApiKey = prepareOne<
  { keyHash: string },
  Pick<ApiKeyRow, 'id' | 'merchant_id' | 'scopes' | 'revoked_at' | 'kind' | 'origins'> & { merchant_status: MerchantRow['status'] }
>((q, arg) =>
  q
    .selectFrom('api_keys')
    .innerJoin('merchants', 'merchants.id', 'api_keys.merchant_id')
    .select([
      'api_keys.id',
      'api_keys.merchant_id',
      'api_keys.scopes',
      'api_keys.revoked_at',
      'api_keys.kind',
      'api_keys.origins',
      'merchants.status as merchant_status',
    ])
    .where('api_keys.key_hash', '=', arg('keyHash')),
);

export const merchantStore = {
  insertMerchant: (q: Executor, row: MerchantRow) => q.insertInto('merchants').values(row).execute(),

  getMerchant: (q: Executor, id: string) => q.selectFrom('merchants').selectAll().where('id', '=', id).executeTakeFirst(),

  listMerchants: (q: Executor, opts: { after: string | null; limit: number }) => {
    let query = q.selectFrom('merchants').selectAll().orderBy('id').limit(opts.limit);
    if (opts.after) query = query.where('id', '>', opts.after);
    return query.execute();
  },

  insertApiKey: (q: Executor, row: ApiKeyRow) => q.insertInto('api_keys').values(row).execute(),

  /** The hot lookup of every native request: one indexed read joining the merchant's status. */
  findApiKeyByHash: (q: Executor, keyHash: string) => findApiKey(q, { keyHash }),

  listApiKeys: (q: Executor, merchantId: string) =>
    q
      .selectFrom('api_keys')
      .select(['id', 'merchant_id', 'prefix', 'scopes', 'label', 'created_at', 'revoked_at', 'kind', 'origins'])
      .where('merchant_id', '=', merchantId)
      .orderBy('id')
      .execute(),

  revokeApiKey: async (q: Executor, merchantId: string, keyId: string, at: string): Promise<boolean> => {
    const res = await q
      .updateTable('api_keys')
      .set({ revoked_at: at })
      .where('id', '=', keyId)
      .where('merchant_id', '=', merchantId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  },

  getApiKey: (q: Executor, merchantId: string, keyId: string) =>
    q
      .selectFrom('api_keys')
      .select(['id', 'merchant_id', 'prefix', 'scopes', 'label', 'created_at', 'revoked_at', 'kind', 'origins'])
      .where('id', '=', keyId)
      .where('merchant_id', '=', merchantId)
      .executeTakeFirst(),

  insertDataKeys: (q: Executor, rows: DataKeyRow[]) => q.insertInto('data_keys').values(rows).execute(),

  loadDataKeys: (q: Executor, merchantId: string) =>
    q.selectFrom('data_keys').select(['purpose', 'version', 'wrapped']).where('merchant_id', '=', merchantId).execute(),

  insertCredentials: (q: Executor, rows: GatewayCredentialRow[]) => q.insertInto('gateway_credentials').values(rows).execute(),

  /**
   * Credentials a gateway may authenticate with (not revoked, of an active merchant): all of one gateway, or
   * one by the identifier its clients send (merchantId, apiKey, serviceCode…) or by merchant, indexed.
   */
  activeCredentials: (q: Executor, gateway: string, by?: { lookupKey: string } | { merchantId: string }) => {
    let query = q
      .selectFrom('gateway_credentials')
      .innerJoin('merchants', 'merchants.id', 'gateway_credentials.merchant_id')
      .select([
        'gateway_credentials.id',
        'gateway_credentials.merchant_id',
        'gateway_credentials.lookup_key',
        'gateway_credentials.public_data',
      ])
      .where('gateway_credentials.gateway', '=', gateway)
      .where('gateway_credentials.revoked_at', 'is', null)
      .where('merchants.status', '=', 'active');
    if (by && 'lookupKey' in by) query = query.where('gateway_credentials.lookup_key', '=', by.lookupKey);
    else if (by) query = query.where('gateway_credentials.merchant_id', '=', by.merchantId);
    return query.execute();
  },

  activeIds: (q: Executor) => q.selectFrom('merchants').select('id').where('status', '=', 'active').execute(),

  getSetting: async (q: Executor, name: string): Promise<string | undefined> =>
    (await q.selectFrom('settings').select('value').where('name', '=', name).executeTakeFirst())?.value,

  /** Inserts only if absent; returns the value in force (ours or the one already stored). */
  putSettingIfAbsent: async (q: Executor, name: string, value: string): Promise<string> => {
    await q
      .insertInto('settings')
      .values({ name, value })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    return (await merchantStore.getSetting(q, name)) as string;
  },

  setSetting: (q: Executor, name: string, value: string) =>
    q
      .insertInto('settings')
      .values({ name, value })
      .onConflict((oc) => oc.column('name').doUpdateSet({ value }))
      .execute(),

  deleteSetting: (q: Executor, name: string) => q.deleteFrom('settings').where('name', '=', name).execute(),

  markDeleted: (q: Executor, merchantId: string) =>
    q.updateTable('merchants').set({ status: 'deleted' }).where('id', '=', merchantId).execute(),

  revokeAllApiKeys: (q: Executor, merchantId: string, at: string) =>
    q.updateTable('api_keys').set({ revoked_at: at }).where('merchant_id', '=', merchantId).where('revoked_at', 'is', null).execute(),

  revokeAllCredentials: (q: Executor, merchantId: string, at: string) =>
    q
      .updateTable('gateway_credentials')
      .set({ revoked_at: at })
      .where('merchant_id', '=', merchantId)
      .where('revoked_at', 'is', null)
      .execute(),

  /** Writes a credential's public half and, when given, its new secret half (ciphertext) with its key version. */
  updateCredential: (q: Executor, id: string, publicData: string, secret?: { data: string; keyVersion: number }) =>
    q
      .updateTable('gateway_credentials')
      .set({ public_data: publicData, ...(secret ? { secret_data: secret.data, key_version: secret.keyVersion } : {}) })
      .where('id', '=', id)
      .execute(),

  /** Public halves of a merchant's unrevoked credentials of one gateway. */
  credentialPublicData: async (q: Executor, merchantId: string, gateway: string): Promise<string[]> =>
    (
      await q
        .selectFrom('gateway_credentials')
        .select(['public_data'])
        .where('merchant_id', '=', merchantId)
        .where('gateway', '=', gateway)
        .where('revoked_at', 'is', null)
        .execute()
    ).map((r) => r.public_data),

  /** A credential with its merchant's status, revoked or not. */
  credentialState: (q: Executor, credentialId: string) =>
    q
      .selectFrom('gateway_credentials')
      .innerJoin('merchants', 'merchants.id', 'gateway_credentials.merchant_id')
      .select(['gateway_credentials.public_data', 'gateway_credentials.secret_data', 'gateway_credentials.revoked_at', 'merchants.status'])
      .where('gateway_credentials.id', '=', credentialId)
      .executeTakeFirst(),

  /** The secret half (ciphertext) of a merchant's unrevoked credential. */
  credentialSecret: async (q: Executor, merchantId: string, credentialId: string): Promise<string | null> =>
    (
      await q
        .selectFrom('gateway_credentials')
        .select(['secret_data'])
        .where('id', '=', credentialId)
        .where('merchant_id', '=', merchantId)
        .where('revoked_at', 'is', null)
        .executeTakeFirst()
    )?.secret_data ?? null,
};
