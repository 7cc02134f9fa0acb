/** Merchants (tenants), their API keys and gateway credentials; the admin token. */
import { createHash, timingSafeEqual } from 'node:crypto';
import { appendAudit, createChain } from '../audit/log.ts';
import { dataKeyVersion } from '../crypto/keyring.ts';
import { newId, newSecret } from '../domain/ids.ts';
import { inTransaction } from '../store/db.ts';
import { CREDENTIAL_SECRET } from '../store/encrypted-fields.ts';
import { merchantStore } from '../store/merchant-store.ts';
import type { GatewayCredentialRow } from '../store/schema.ts';
import { iso, type VaultDeps } from './deps.ts';
import { fail, succeed, type VaultResult } from './errors.ts';
import type { ProvisionedGateway } from './gateway-hooks.ts';
import { SCOPES, type Scope } from './scopes.ts';

export { SCOPES, type Scope };

export interface Principal {
  readonly merchantId: string;
  readonly keyId: string;
  readonly scopes: ReadonlySet<Scope>;
}

export interface ApiKeyView {
  id: string;
  prefix: string;
  scopes: Scope[];
  label: string | null;
  createdAt: string;
  revokedAt: string | null;
}

export interface MerchantView {
  id: string;
  name: string;
  status: string;
  createdAt: string;
}

/** The provisioning contract of DESIGN §7: secrets appear here once and nowhere else. */
export interface MerchantCredentials {
  id: string;
  name: string;
  apiKey: string;
  gateways: Record<string, Record<string, unknown>>;
}

/** Keys a merchant brings at creation, by field (each gateway's `credentials.supplied`, e.g. twoc2pPublicKeyPem). */
export type MerchantSuppliedKeys = Readonly<Record<string, unknown>>;

const hashKey = (key: string): string => createHash('sha256').update(key).digest('hex');
const API_KEY_PREFIX = 'tv_sk_';
const ADMIN_SETTING = 'admin_token_sha256';

const keyView = (r: {
  id: string;
  prefix: string;
  scopes: string;
  label: string | null;
  created_at: string;
  revoked_at: string | null;
}): ApiKeyView => ({
  id: r.id,
  prefix: r.prefix,
  scopes: r.scopes.split(' ') as Scope[],
  label: r.label,
  createdAt: r.created_at,
  revokedAt: r.revoked_at,
});

export interface GatewayCredentialView {
  id: string;
  merchantId: string;
  lookupKey: string;
  publicData: Record<string, unknown>;
  publicText: string;
}

const credentialView = (r: { id: string; merchant_id: string; lookup_key: string; public_data: string }): GatewayCredentialView => ({
  id: r.id,
  merchantId: r.merchant_id,
  lookupKey: r.lookup_key,
  publicData: JSON.parse(r.public_data),
  publicText: r.public_data,
});

export function createMerchantService(deps: VaultDeps, opts: { authCacheMs?: number; gateways: readonly ProvisionedGateway[] }) {
  const { db } = deps;
  const authCacheMs = opts.authCacheMs ?? 0;
  /**
   * Verified API keys by hash, for authCacheMs of wall time: most requests then authenticate without a read.
   * Revocation and merchant deletion in this process clear it at once; another process's take authCacheMs.
   */
  const authCache = new Map<string, { principal: Principal; until: number }>();

  async function newApiKeyRow(merchantId: string, scopes: readonly Scope[], label: string | null, at: string) {
    const secret = newSecret(API_KEY_PREFIX, 32);
    const row = {
      id: newId('key'),
      merchant_id: merchantId,
      key_hash: hashKey(secret),
      prefix: secret.slice(0, API_KEY_PREFIX.length + 4),
      scopes: [...scopes].join(' '),
      label,
      created_at: at,
      revoked_at: null,
    };
    return { secret, row };
  }

  /** Writes a gateway credential's new public (and optionally secret) half, audited in the same commit. */
  async function saveCredential(
    merchantId: string,
    credentialId: string,
    actor: string,
    publicData: Record<string, unknown>,
    secretUpdate: string | undefined,
    detail: Record<string, string | number | boolean | null>,
  ): Promise<void> {
    const at = iso(deps.now());
    await inTransaction(db, async (tx) => {
      await tx
        .updateTable('gateway_credentials')
        .set({
          public_data: JSON.stringify(publicData),
          ...(secretUpdate ? { secret_data: secretUpdate, key_version: dataKeyVersion(secretUpdate) } : {}),
        })
        .where('id', '=', credentialId)
        .execute();
      await appendAudit(tx, { merchantId, actor, action: 'credential.update', target: credentialId, detail }, at);
    });
  }

  return {
    /** `actor` names the operator channel: 'admin' (admin API) or 'cli'. */
    async create(input: { name: string; keys?: MerchantSuppliedKeys }, actor = 'admin'): Promise<MerchantCredentials> {
      const id = newId('mch');
      const at = iso(deps.now());
      // Every gateway checks what was supplied before any slow work (RSA/EC key generation, wrapping) starts;
      // all of it happens before the transaction opens.
      const generations = opts.gateways.map((g) => ({ gateway: g.id, generate: g.credentials.prepare(input.keys ?? {}) }));
      const [credentials, dataKeys] = await Promise.all([
        Promise.all(generations.map(async (g) => ({ gateway: g.gateway, ...(await g.generate()) }))),
        deps.keyring.newMerchantKeys(id),
      ]);
      const apiKey = await newApiKeyRow(id, SCOPES, 'default', at);
      // Credential secrets are encrypted under the merchant's own data key, made (and cached) just above.
      const rows: GatewayCredentialRow[] = [];
      for (const c of credentials) {
        const credId = newId('cred');
        const secret = c.secretData
          ? await deps.keyring.encrypt(id, CREDENTIAL_SECRET.aad(id, credId), JSON.stringify(c.secretData))
          : null;
        rows.push({
          id: credId,
          merchant_id: id,
          gateway: c.gateway,
          lookup_key: c.lookupKey,
          public_data: JSON.stringify(c.publicData),
          secret_data: secret,
          created_at: at,
          revoked_at: null,
          key_version: secret ? dataKeyVersion(secret) : 1,
        });
      }
      try {
        await inTransaction(db, async (tx) => {
          await merchantStore.insertMerchant(tx, { id, name: input.name, status: 'active', created_at: at });
          await merchantStore.insertDataKeys(
            tx,
            dataKeys.map((k) => ({
              merchant_id: id,
              purpose: k.purpose,
              version: k.version,
              wrapped: k.wrapped,
              status: 'active',
              created_at: at,
            })),
          );
          await merchantStore.insertApiKey(tx, apiKey.row);
          await merchantStore.insertCredentials(tx, rows);
          await createChain(tx, id);
          await appendAudit(tx, { merchantId: id, actor, action: 'merchant.create', target: id, detail: { apiKey: apiKey.row.id } }, at);
        });
      } finally {
        // Committed or not, the pinned keys go: from now on they are read from the database like any others.
        deps.keyring.forget(id);
      }
      return { id, name: input.name, apiKey: apiKey.secret, gateways: Object.fromEntries(credentials.map((c) => [c.gateway, c.shown])) };
    },

    async list(opts: { after: string | null; limit: number }): Promise<MerchantView[]> {
      const rows = await merchantStore.listMerchants(db, opts);
      return rows.map((r) => ({ id: r.id, name: r.name, status: r.status, createdAt: r.created_at }));
    },

    async get(merchantId: string): Promise<VaultResult<MerchantView & { apiKeys: ApiKeyView[]; gateways: Record<string, unknown> }>> {
      const m = await merchantStore.getMerchant(db, merchantId);
      if (!m) return fail('merchant_not_found');
      const keys = await merchantStore.listApiKeys(db, merchantId);
      const gateways: Record<string, unknown> = {};
      for (const { id: g } of opts.gateways) {
        const creds = await db
          .selectFrom('gateway_credentials')
          .select(['public_data'])
          .where('merchant_id', '=', merchantId)
          .where('gateway', '=', g)
          .where('revoked_at', 'is', null)
          .execute();
        // Public halves only: identifiers and public keys, never a secret.
        gateways[g] = creds.map((c) => JSON.parse(c.public_data));
      }
      return succeed({ id: m.id, name: m.name, status: m.status, createdAt: m.created_at, apiKeys: keys.map(keyView), gateways });
    },

    async createApiKey(
      merchantId: string,
      scopes: readonly Scope[],
      label: string | null,
      actor = 'admin',
    ): Promise<VaultResult<ApiKeyView & { apiKey: string }>> {
      const m = await merchantStore.getMerchant(db, merchantId);
      if (m?.status !== 'active') return fail('merchant_not_found');
      const at = iso(deps.now());
      const { secret, row } = await newApiKeyRow(merchantId, scopes, label, at);
      await inTransaction(db, async (tx) => {
        await merchantStore.insertApiKey(tx, row);
        await appendAudit(tx, { merchantId, actor, action: 'apikey.create', target: row.id, detail: { scopes: row.scopes } }, at);
      });
      return succeed({ ...keyView(row), apiKey: secret });
    },

    async revokeApiKey(merchantId: string, keyId: string, actor = 'admin'): Promise<VaultResult<ApiKeyView>> {
      if (!(await merchantStore.getMerchant(db, merchantId))) return fail('merchant_not_found');
      const at = iso(deps.now());
      await inTransaction(db, async (tx) => {
        // Only an actual revocation is an event; revoking twice changes nothing.
        authCache.clear();
        if (await merchantStore.revokeApiKey(tx, merchantId, keyId, at)) {
          await appendAudit(tx, { merchantId, actor, action: 'apikey.revoke', target: keyId }, at);
        }
      });
      // Again after the commit: a lookup that ran meanwhile may have cached the key as it was before.
      authCache.clear();
      const row = await merchantStore.getApiKey(db, merchantId, keyId);
      if (!row) return fail('api_key_not_found');
      return succeed(keyView(row));
    },

    /**
     * Crypto-shredding: the merchant's data keys are destroyed, so every ciphertext of theirs — here, in
     * a replica or in a backup taken before — is unreadable. Keys and credentials stop working at once.
     * The audit chain stays (it holds no card data) and records the deletion.
     */
    async delete(merchantId: string, actor = 'admin'): Promise<VaultResult<MerchantView>> {
      const m = await merchantStore.getMerchant(db, merchantId);
      if (m?.status !== 'active') return fail('merchant_not_found');
      const at = iso(deps.now());
      await inTransaction(db, async (tx) => {
        authCache.clear();
        await tx.updateTable('merchants').set({ status: 'deleted' }).where('id', '=', merchantId).execute();
        await tx
          .updateTable('api_keys')
          .set({ revoked_at: at })
          .where('merchant_id', '=', merchantId)
          .where('revoked_at', 'is', null)
          .execute();
        await tx
          .updateTable('gateway_credentials')
          .set({ revoked_at: at })
          .where('merchant_id', '=', merchantId)
          .where('revoked_at', 'is', null)
          .execute();
        const shredded = await tx.deleteFrom('data_keys').where('merchant_id', '=', merchantId).executeTakeFirst();
        await tx.deleteFrom('card_secrets').where('merchant_id', '=', merchantId).execute();
        await tx.deleteFrom('gateway_sessions').where('merchant_id', '=', merchantId).execute();
        // Kept answers (idempotency replays) and request-id claims die with the merchant.
        await tx.deleteFrom('idempotency_keys').where('merchant_id', '=', merchantId).execute();
        // Holder and customer data is kept in clear for display: it goes with the merchant too.
        await tx
          .updateTable('cards')
          .set({ holder_name: null, billing_address: null, metadata: null, attributes: null })
          .where('merchant_id', '=', merchantId)
          .execute();
        await tx
          .updateTable('customers')
          .set({ name: null, email: null, phone: null, metadata: null, attributes: null, external_id: null, default_address_id: null })
          .where('merchant_id', '=', merchantId)
          .execute();
        await tx.deleteFrom('addresses').where('merchant_id', '=', merchantId).execute();
        await appendAudit(
          tx,
          { merchantId, actor, action: 'merchant.delete', target: merchantId, detail: { keysDestroyed: Number(shredded.numDeletedRows) } },
          at,
        );
      });
      authCache.clear();
      deps.keyring.forget(merchantId);
      // The destroyed keys' old row versions must not stay in the files either (PostgreSQL's dead tuples,
      // SQLite's WAL): scrubbed now, or by the next sweep if a reader holds the WAL.
      deps.scrubber.wiped(['data_keys', 'card_secrets', 'gateway_sessions']);
      await deps.scrubber.scrub();
      return succeed({ id: m.id, name: m.name, status: 'deleted', createdAt: m.created_at });
    },

    /** A gateway's active credentials (public halves), for a gateway that must try each (2C2P: by signature). */
    async gatewayCredentials(gateway: string): Promise<GatewayCredentialView[]> {
      return (await merchantStore.activeCredentials(db, gateway)).map(credentialView);
    },

    /**
     * One active credential, by the key the gateway's request names (OPay MerchantId, AppotaPay API key,
     * AlliancePay service code, Cybersource merchant id) or by its merchant: one indexed read, not a scan.
     */
    async gatewayCredential(gateway: string, by: { lookupKey: string } | { merchantId: string }): Promise<GatewayCredentialView | null> {
      const [row] = await merchantStore.activeCredentials(db, gateway, by);
      return row ? credentialView(row) : null;
    },

    /** A credential's current state, read fresh: the gateway checks it on every request it authenticates. */
    async gatewayCredentialState(credentialId: string): Promise<{ publicData: string; secretData: string | null; usable: boolean } | null> {
      const row = await db
        .selectFrom('gateway_credentials')
        .innerJoin('merchants', 'merchants.id', 'gateway_credentials.merchant_id')
        .select([
          'gateway_credentials.public_data',
          'gateway_credentials.secret_data',
          'gateway_credentials.revoked_at',
          'merchants.status',
        ])
        .where('gateway_credentials.id', '=', credentialId)
        .executeTakeFirst();
      if (!row) return null;
      return { publicData: row.public_data, secretData: row.secret_data, usable: row.revoked_at === null && row.status === 'active' };
    },

    /** The decrypted secret half of one credential, for the gateway that owns it (keys, shared secrets). */
    async gatewaySecret(merchantId: string, credentialId: string): Promise<Record<string, unknown> | null> {
      const row = await db
        .selectFrom('gateway_credentials')
        .select(['secret_data'])
        .where('id', '=', credentialId)
        .where('merchant_id', '=', merchantId)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      if (!row?.secret_data) return null;
      const plain = await deps.keyring.decrypt(merchantId, CREDENTIAL_SECRET.aad(merchantId, credentialId), row.secret_data);
      return JSON.parse(plain.toString()) as Record<string, unknown>;
    },

    /**
     * Changes the keys of a merchant's credential for one gateway as that gateway's key hook says (2C2P: the
     * merchant's public key, a new vault key pair; Cybersource: JWT certificates, the MLE key): the new
     * public half, and secret half if any, are written and audited in one commit.
     */
    async updateGatewayKeys(
      merchantId: string,
      gateway: string,
      change: Readonly<Record<string, unknown>>,
      actor = 'admin',
    ): Promise<VaultResult<Record<string, unknown>>> {
      const keys = opts.gateways.find((g) => g.id === gateway)?.credentials.keys;
      if (!keys) throw new Error(`the ${gateway} gateway has no keys to change`);
      const cred = await this.gatewayCredential(gateway, { merchantId });
      if (!cred) return fail('merchant_not_found');
      const next = await keys.apply({ publicData: cred.publicData, secret: () => this.gatewaySecret(merchantId, cred.id) }, change);
      if ('refused' in next) return fail('invalid_key', next.refused);
      const secretUpdate = next.secretData
        ? await deps.keyring.encrypt(merchantId, CREDENTIAL_SECRET.aad(merchantId, cred.id), JSON.stringify(next.secretData))
        : undefined;
      await saveCredential(merchantId, cred.id, actor, next.publicData, secretUpdate, { gateway, ...next.audit });
      return succeed(next.answer);
    },

    /** Resolves a presented API key to its merchant and scopes, or null (unknown, revoked, merchant gone). */
    async authenticate(presented: string): Promise<Principal | null> {
      if (!presented.startsWith(API_KEY_PREFIX) || presented.length > 200) return null;
      const hash = hashKey(presented);
      const nowMs = Date.now();
      const hit = authCache.get(hash);
      if (hit && hit.until > nowMs) return hit.principal;
      const row = await merchantStore.findApiKeyByHash(db, hash);
      if (!row || row.revoked_at !== null || row.merchant_status !== 'active') {
        authCache.delete(hash);
        return null;
      }
      const principal: Principal = { merchantId: row.merchant_id, keyId: row.id, scopes: new Set(row.scopes.split(' ') as Scope[]) };
      if (authCacheMs > 0) {
        if (authCache.size >= 10_000) authCache.clear();
        authCache.set(hash, { principal, until: nowMs + authCacheMs });
      }
      return principal;
    },

    /** Fixes the admin token: the configured one, the stored one, or a new one returned for printing once. */
    async ensureAdminToken(configured: string | null): Promise<{ token: string | null; check: (presented: string) => boolean }> {
      let expected: string;
      let token: string | null = null;
      if (configured) {
        expected = hashKey(configured);
      } else {
        const candidate = newSecret('tv_admin_', 32);
        expected = await merchantStore.putSettingIfAbsent(db, ADMIN_SETTING, hashKey(candidate));
        if (expected === hashKey(candidate)) token = candidate;
      }
      const expectedBuf = Buffer.from(expected, 'hex');
      return {
        token,
        check: (presented) => timingSafeEqual(Buffer.from(hashKey(presented), 'hex'), expectedBuf),
      };
    },

    /** Replaces the stored admin token (CLI `admin reset-token`); returns the new one to print once. */
    async resetAdminToken(): Promise<string> {
      const token = newSecret('tv_admin_', 32);
      const at = iso(deps.now());
      await inTransaction(db, async (tx) => {
        await merchantStore.setSetting(tx, ADMIN_SETTING, hashKey(token));
        await appendAudit(tx, { merchantId: null, actor: 'cli', action: 'admin.reset_token' }, at);
      });
      return token;
    },
  };
}

export type MerchantService = ReturnType<typeof createMerchantService>;
