import { appendAudit, createChain } from '../audit/log.ts';
import { dataKeyVersion } from '../crypto/keyring.ts';
import { newId } from '../domain/ids.ts';
import { inTransaction } from '../store/db.ts';
import { CREDENTIAL_SECRET } from '../store/encrypted-fields.ts';
import { merchantStore } from '../store/merchant-store.ts';
import type { GatewayCredentialRow } from '../store/schema.ts';
import { iso, type VaultDeps } from './deps.ts';
import { fail, succeed, type VaultResult } from './errors.ts';
import type { ProvisionedGateway } from './gateway-hooks.ts';
import { SCOPES, type Scope } from './scopes.ts';

export { SCOPES, type Scope };

import { createAccessControl } from './merchants/access.ts';
import { createMerchantRecords } from './merchants/records.ts';

export type { ApiKeyType, ApiKeyView, GatewayCredentialView, MerchantView, Principal } from './merchants/views.ts';

/** The provisioning contract of DESIGN §7: secrets appear here once and nowhere else. */
export interface MerchantCredentials {
  id: string;
  name: string;
  apiKey: string;
  gateways: Record<string, Record<string, unknown>>;
}

/** Keys a merchant brings at creation, by field (each gateway's `credentials.supplied`, e.g. twoc2pPublicKeyPem). */
export type MerchantSuppliedKeys = Readonly<Record<string, unknown>>;

export function createMerchantService(deps: VaultDeps, opts: { authCacheMs?: number; gateways: readonly ProvisionedGateway[] }) {
  const { db } = deps;
  const access = createAccessControl(deps, opts.authCacheMs ?? 0);
  const { newApiKeyRow } = access;
  const records = createMerchantRecords(deps, access, opts.gateways);

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
      const secret = secretUpdate ? { data: secretUpdate, keyVersion: dataKeyVersion(secretUpdate) } : undefined;
      await merchantStore.updateCredential(tx, credentialId, JSON.stringify(publicData), secret);
      await appendAudit(tx, { merchantId, actor, action: 'credential.update', target: credentialId, detail }, at);
    });
  }

  return {
    ...records,
    createApiKey: access.createApiKey,
    createPublishableKey: access.createPublishableKey,
    revokeApiKey: access.revokeApiKey,
    authenticate: access.authenticate,
    ensureAdminToken: access.ensureAdminToken,
    resetAdminToken: access.resetAdminToken,

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
      // A new signer for the gateways that index their merchants' keys (2C2P).
      await deps.changes.publish({ kind: 'merchant', merchantId: id });
      return { id, name: input.name, apiKey: apiKey.secret, gateways: Object.fromEntries(credentials.map((c) => [c.gateway, c.shown])) };
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
      await deps.changes.publish({ kind: 'credentials', merchantId });
      return succeed(next.answer);
    },

    /** Calls `listener` when another process (or this one) changed merchants or their credentials; returns the unsubscribe. */
    onCredentialChange(listener: () => void): () => void {
      return deps.changes.on((c) => {
        if (c.kind === 'credentials' || c.kind === 'merchant' || c.kind === 'all') listener();
      });
    },
  };
}

export type MerchantService = ReturnType<typeof createMerchantService>;
