/** API keys (issue, revoke, authenticate, with a short cache) and the admin token. */
import { createHash, timingSafeEqual } from 'node:crypto';
import { appendAudit } from '../../audit/log.ts';
import { newId, newSecret } from '../../domain/ids.ts';
import { parseOrigins } from '../../domain/origins.ts';
import { inTransaction } from '../../store/db.ts';
import { merchantStore } from '../../store/merchant-store.ts';
import { iso, type VaultDeps } from '../deps.ts';
import { fail, succeed, type VaultResult } from '../errors.ts';
import type { Scope } from '../scopes.ts';
import { type ApiKeyView, keyAccess, keyView, type Principal } from './views.ts';

const hashKey = (key: string): string => createHash('sha256').update(key).digest('hex');
const API_KEY_PREFIX = 'tv_sk_';
/** Publishable keys: public by design (they sit in shoppers' browsers), yet stored hashed like the secret ones. */
export const PUBLISHABLE_KEY_PREFIX = 'tv_pk_';
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

  /** A new key: secret with `scopes`, or publishable (no scopes) when `origins` are given. */
  async function newApiKeyRow(merchantId: string, scopes: readonly Scope[], label: string | null, at: string, origins?: readonly string[]) {
    const prefix = origins ? PUBLISHABLE_KEY_PREFIX : API_KEY_PREFIX;
    const secret = newSecret(prefix, 32);
    const row = {
      id: newId('key'),
      merchant_id: merchantId,
      key_hash: hashKey(secret),
      prefix: secret.slice(0, prefix.length + 4),
      scopes: origins ? '' : [...scopes].join(' '),
      label,
      created_at: at,
      revoked_at: null,
      kind: origins ? ('publishable' as const) : null,
      origins: origins ? JSON.stringify(origins) : null,
    };
    return { secret, row };
  }

  async function insertKey(merchantId: string, actor: string, key: Awaited<ReturnType<typeof newApiKeyRow>>, at: string) {
    const { row } = key;
    const detail: Record<string, string | null> =
      row.kind === 'publishable' ? { type: 'publishable', origins: row.origins } : { scopes: row.scopes };
    await inTransaction(db, async (tx) => {
      await merchantStore.insertApiKey(tx, row);
      await appendAudit(tx, { merchantId, actor, action: 'apikey.create', target: row.id, detail }, at);
    });
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
      const key = await newApiKeyRow(merchantId, scopes, label, at);
      await insertKey(merchantId, actor, key, at);
      return succeed({ ...keyView(key.row), apiKey: key.secret });
    },

    /**
     * Issues a publishable key (`tv_pk_…`) for card elements, used only from the web origins listed (each in the
     * exact form a browser's Origin header carries).
     */
    async createPublishableKey(
      merchantId: string,
      origins: readonly string[],
      label: string | null,
      actor = 'admin',
    ): Promise<VaultResult<ApiKeyView & { key: string; origins: string[] }>> {
      const parsed = parseOrigins(origins);
      if (!parsed.ok) return fail('invalid_origin', parsed.detail);
      const m = await merchantStore.getMerchant(db, merchantId);
      if (m?.status !== 'active') return fail('merchant_not_found');
      const at = iso(deps.now());
      const key = await newApiKeyRow(merchantId, [], label, at, parsed.value);
      await insertKey(merchantId, actor, key, at);
      return succeed({ ...keyView(key.row), key: key.secret, origins: parsed.value });
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

    /**
     * Resolves a presented API key, secret or publishable, to its merchant, scopes and origins, or null (unknown,
     * revoked, merchant gone). A publishable key resolves with no scope: every scoped route refuses it.
     */
    async authenticate(presented: string): Promise<Principal | null> {
      if (!(presented.startsWith(API_KEY_PREFIX) || presented.startsWith(PUBLISHABLE_KEY_PREFIX)) || presented.length > 200) return null;
      const hash = hashKey(presented);
      const nowMs = Date.now();
      const hit = authCache.get(hash);
      if (hit && hit.until > nowMs) return hit.principal;
      const row = await merchantStore.findApiKeyByHash(db, hash);
      if (!row || row.revoked_at !== null || row.merchant_status !== 'active') {
        authCache.delete(hash);
        return null;
      }
      const access = keyAccess(row);
      const principal: Principal = {
        merchantId: row.merchant_id,
        keyId: row.id,
        type: access.type,
        scopes: new Set(access.scopes),
        origins: Object.freeze(access.origins),
      };
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
