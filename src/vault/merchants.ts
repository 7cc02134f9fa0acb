import { appendAudit, createChain } from '../audit/log.ts';
import { dataKeyVersion } from '../crypto/keyring.ts';
import { newId } from '../domain/ids.ts';
import { inTransaction } from '../store/db.ts';
import { CREDENTIAL_SECRET } from '../store/encrypted-fields.ts';
import { merchantStore } from '../store/merchant-store.ts';
import type { GatewayCredentialRow } from '../store/schema.ts';
import { iso, type VaultDeps } from './deps.ts';
import { fail, succeed, type VaultResult } from './errors.ts';
import {
  CredentialInputError,
  type CybersourceCertificate,
  cybersourceCertificate,
  cybersourceMleKey,
  type GatewayName,
  generateGatewayCredentials,
  importPublicPem,
  type MerchantSuppliedKeys,
  rsaPair,
} from './gateway-credentials.ts';
import { SCOPES, type Scope } from './scopes.ts';

export { SCOPES, type Scope };

import { createAccessControl } from './merchants/access.ts';
import { createMerchantRecords } from './merchants/records.ts';

export type { ApiKeyView, GatewayCredentialView, MerchantView, Principal } from './merchants/views.ts';

/** The provisioning contract of DESIGN §7: secrets appear here once and nowhere else. */
export interface MerchantCredentials {
  id: string;
  name: string;
  apiKey: string;
  gateways: Record<GatewayName, Record<string, unknown>>;
}

export function createMerchantService(deps: VaultDeps, opts: { authCacheMs?: number } = {}) {
  const { db } = deps;
  const access = createAccessControl(deps, opts.authCacheMs ?? 0);
  const { newApiKeyRow } = access;
  const records = createMerchantRecords(deps, access);

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
    revokeApiKey: access.revokeApiKey,
    authenticate: access.authenticate,
    ensureAdminToken: access.ensureAdminToken,
    resetAdminToken: access.resetAdminToken,

    /** `actor` names the operator channel: 'admin' (admin API) or 'cli'. */
    async create(input: { name: string; keys?: MerchantSuppliedKeys }, actor = 'admin'): Promise<MerchantCredentials> {
      const id = newId('mch');
      const at = iso(deps.now());
      // Slow work (RSA/EC key generation, wrapping) happens before the transaction opens.
      const [credentials, dataKeys] = await Promise.all([generateGatewayCredentials(input.keys), deps.keyring.newMerchantKeys(id)]);
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
      const gateways = Object.fromEntries(credentials.map((c) => [c.gateway, c.shown])) as MerchantCredentials['gateways'];
      return { id, name: input.name, apiKey: apiKey.secret, gateways };
    },

    /**
     * Registers (or replaces) the merchant's 2C2P public key, and/or makes the vault a new 2C2P key pair of
     * the given size. The previous vault private key stays usable for decryption until the next rotation,
     * so requests already encrypted to it still succeed.
     */
    async updateTwoc2pKeys(
      merchantId: string,
      change: { merchantPublicKeyPem?: string; newVaultKeyBits?: 2048 | 3072 | 4096 },
      actor = 'admin',
    ): Promise<VaultResult<{ vaultPublicKeyPem: string; merchantPublicKeyPem: string }>> {
      const cred = await this.gatewayCredential('twoc2p', { merchantId });
      if (!cred) return fail('merchant_not_found');
      let merchantPublic = cred.publicData.merchantPublicKeyPem as string;
      if (change.merchantPublicKeyPem !== undefined) {
        try {
          merchantPublic = importPublicPem(change.merchantPublicKeyPem).export({ type: 'spki', format: 'pem' }).toString();
        } catch (e) {
          return fail('invalid_key', e instanceof CredentialInputError ? e.message : 'the key is not usable');
        }
      }
      const publicData: Record<string, unknown> = { ...cred.publicData, merchantPublicKeyPem: merchantPublic };
      let secretUpdate: string | undefined;
      if (change.newVaultKeyBits) {
        const pair = await rsaPair(change.newVaultKeyBits);
        const old = await this.gatewaySecret(merchantId, cred.id);
        publicData.vaultPublicKeyPem = pair.publicPem;
        secretUpdate = await deps.keyring.encrypt(
          merchantId,
          CREDENTIAL_SECRET.aad(merchantId, cred.id),
          JSON.stringify({ vaultPrivateKeyPem: pair.privatePem, previousVaultPrivateKeyPem: old?.vaultPrivateKeyPem ?? null }),
        );
      }
      await saveCredential(merchantId, cred.id, actor, publicData, secretUpdate, {
        gateway: 'twoc2p',
        merchantKey: change.merchantPublicKeyPem !== undefined,
        vaultKeyBits: change.newVaultKeyBits ?? null,
      });
      return succeed({ vaultPublicKeyPem: publicData.vaultPublicKeyPem as string, merchantPublicKeyPem: merchantPublic });
    },

    /**
     * Registers a certificate for Cybersource RS256 JWTs (one with the same kid is replaced) and/or sets or
     * removes the merchant's MLE public key.
     */
    async updateCybersourceKeys(
      merchantId: string,
      change: { certificatePem?: string; mlePublicKeyPem?: string; mleKeyId?: string; removeMleKey?: boolean },
      actor = 'admin',
    ): Promise<
      VaultResult<{ merchantId: string; keyId: string; certificates: { kid: string; sha256: string }[]; mleKeyId: string | null }>
    > {
      const cred = await this.gatewayCredential('cybersource', { merchantId });
      if (!cred) return fail('merchant_not_found');
      const publicData = { ...cred.publicData } as Record<string, unknown>;
      let certificates = (publicData.certificates as CybersourceCertificate[] | undefined) ?? [];
      try {
        if (change.certificatePem !== undefined) {
          const cert = cybersourceCertificate(change.certificatePem);
          certificates = [...certificates.filter((c) => c.kid !== cert.kid), cert];
        }
        if (change.removeMleKey) publicData.mle = null;
        else if (change.mlePublicKeyPem !== undefined) publicData.mle = cybersourceMleKey(change.mlePublicKeyPem, change.mleKeyId);
        else if (change.mleKeyId !== undefined) {
          const current = publicData.mle as { publicKeyPem: string } | null;
          if (!current) return fail('invalid_key', 'there is no MLE key to rename: send mlePublicKeyPem');
          publicData.mle = cybersourceMleKey(current.publicKeyPem, change.mleKeyId);
        }
      } catch (e) {
        return fail('invalid_key', e instanceof CredentialInputError ? e.message : 'the key is not usable');
      }
      publicData.certificates = certificates;
      await saveCredential(merchantId, cred.id, actor, publicData, undefined, {
        gateway: 'cybersource',
        certificate: change.certificatePem !== undefined,
        mleKey: change.removeMleKey
          ? 'removed'
          : change.mlePublicKeyPem !== undefined || change.mleKeyId !== undefined
            ? 'set'
            : 'unchanged',
      });
      const mle = publicData.mle as { keyId: string } | null;
      return succeed({
        merchantId: publicData.merchantId as string,
        keyId: publicData.keyId as string,
        certificates: certificates.map((c) => ({ kid: c.kid, sha256: c.sha256 })),
        mleKeyId: mle?.keyId ?? null,
      });
    },
  };
}

export type MerchantService = ReturnType<typeof createMerchantService>;
