import { appendAudit } from '../../audit/log.ts';
import { addressStore } from '../../store/address-store.ts';
import { cardSecretStore } from '../../store/card-secret-store.ts';
import { cardStore } from '../../store/card-store.ts';
import { customerStore } from '../../store/customer-store.ts';
import { dataKeyStore } from '../../store/data-key-store.ts';
import { inTransaction } from '../../store/db.ts';
import { CREDENTIAL_SECRET } from '../../store/encrypted-fields.ts';
import { idempotencyStore } from '../../store/idempotency-store.ts';
import { merchantStore } from '../../store/merchant-store.ts';
import { outboxStore } from '../../store/outbox-store.ts';
import { sessionStore } from '../../store/session-store.ts';
import { iso, type VaultDeps } from '../deps.ts';
import { fail, succeed, type VaultResult } from '../errors.ts';
import type { AccessControl } from './access.ts';
import { type ApiKeyView, credentialView, type GatewayCredentialView, keyView, type MerchantView } from './views.ts';

export function createMerchantRecords(deps: VaultDeps, access: AccessControl, provisioned: readonly { id: string }[]) {
  const { db } = deps;
  const authCache = { clear: access.clearAuthCache };
  return {
    async list(opts: { after: string | null; limit: number }): Promise<MerchantView[]> {
      const rows = await merchantStore.listMerchants(db, opts);
      return rows.map((r) => ({ id: r.id, name: r.name, status: r.status, createdAt: r.created_at }));
    },

    async get(merchantId: string): Promise<VaultResult<MerchantView & { apiKeys: ApiKeyView[]; gateways: Record<string, unknown> }>> {
      const m = await merchantStore.getMerchant(db, merchantId);
      if (!m) return fail('merchant_not_found');
      const keys = await merchantStore.listApiKeys(db, merchantId);
      const gateways: Record<string, unknown> = {};
      for (const { id: g } of provisioned) {
        // Public halves only: identifiers and public keys, never a secret.
        gateways[g] = (await merchantStore.credentialPublicData(db, merchantId, g)).map((p) => JSON.parse(p));
      }
      return succeed({ id: m.id, name: m.name, status: m.status, createdAt: m.created_at, apiKeys: keys.map(keyView), gateways });
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
        await merchantStore.markDeleted(tx, merchantId);
        await merchantStore.revokeAllApiKeys(tx, merchantId, at);
        await merchantStore.revokeAllCredentials(tx, merchantId, at);
        const keysDestroyed = await dataKeyStore.deleteOfMerchant(tx, merchantId);
        await cardSecretStore.deleteOfMerchant(tx, merchantId);
        await sessionStore.deleteOfMerchant(tx, merchantId);
        // Kept answers (idempotency replays) and request-id claims die with the merchant.
        await idempotencyStore.deleteOfMerchant(tx, merchantId);
        // Holder and customer data is kept in clear for display: it goes with the merchant too.
        await cardStore.clearHolderDataOfMerchant(tx, merchantId);
        await customerStore.clearPersonalDataOfMerchant(tx, merchantId);
        await addressStore.deleteOfMerchant(tx, merchantId);
        // Callbacks not yet delivered are not sent for a merchant that no longer exists.
        await outboxStore.deletePendingOfMerchant(tx, merchantId);
        await appendAudit(tx, { merchantId, actor, action: 'merchant.delete', target: merchantId, detail: { keysDestroyed } }, at);
      });
      // Every process drops the merchant's API keys and unwrapped data keys: crypto-shredding takes effect there.
      await deps.changes.publish({ kind: 'merchant', merchantId });
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
      const row = await merchantStore.credentialState(db, credentialId);
      if (!row) return null;
      return { publicData: row.public_data, secretData: row.secret_data, usable: row.revoked_at === null && row.status === 'active' };
    },

    /** The decrypted secret half of one credential, for the gateway that owns it (keys, shared secrets). */
    async gatewaySecret(merchantId: string, credentialId: string): Promise<Record<string, unknown> | null> {
      const secret = await merchantStore.credentialSecret(db, merchantId, credentialId);
      if (!secret) return null;
      const plain = await deps.keyring.decrypt(merchantId, CREDENTIAL_SECRET.aad(merchantId, credentialId), secret);
      return JSON.parse(plain.toString()) as Record<string, unknown>;
    },
  };
}
