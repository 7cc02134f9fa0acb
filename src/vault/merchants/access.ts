/** API keys (issue, revoke, authenticate, with a short cache) and the admin token. */
import { createHash, timingSafeEqual } from 'node:crypto';
import { appendAudit } from '../../audit/log.ts';
import { newId, newSecret } from '../../domain/ids.ts';
import { inTransaction } from '../../store/db.ts';
import { merchantStore } from '../../store/merchant-store.ts';
import { iso, type VaultDeps } from '../deps.ts';
import { fail, succeed, type VaultResult } from '../errors.ts';
import type { Scope } from '../scopes.ts';
import { type ApiKeyView, keyView, type Principal } from './views.ts';

const hashKey = (key: string): string => createHash('sha256').update(key).digest('hex');
const API_KEY_PREFIX = 'tv_sk_';
const ADMIN_SETTING = 'admin_token_sha256';

export function createAccessControl(deps: VaultDeps, authCacheMs: number) {
  const { db } = deps;
  /**
   * Verified API keys by hash, for authCacheMs of wall time: most requests then authenticate without a read.
   * Revocation and merchant deletion clear it at once, in every process (change notifications); authCacheMs
   * bounds a stale entry should a notification be lost.
   */
  const authCache = new Map<string, { principal: Principal; until: number }>();
  deps.changes.on((change) => {
    if (change.kind === 'api-keys' || change.kind === 'merchant' || change.kind === 'all') authCache.clear();
  });

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

  return {
    newApiKeyRow,
    /** Forgets every cached key: after a revocation or a merchant deletion. */
    clearAuthCache: () => authCache.clear(),

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
      // Again after the commit, here and in every other process: a lookup that ran meanwhile may have cached
      // the key as it was before.
      await deps.changes.publish({ kind: 'api-keys', merchantId });
      const row = await merchantStore.getApiKey(db, merchantId, keyId);
      if (!row) return fail('api_key_not_found');
      return succeed(keyView(row));
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

export type AccessControl = ReturnType<typeof createAccessControl>;
