/**
 * 2C2P message security: requests are JWS(PS256, merchant key) over JWE(RSA-OAEP + A256GCM, vault key);
 * responses are the mirror. The signer is found by verifying against the registered merchant keys (a
 * public-key operation, cheap), most recently seen first, and only then is the JWE decrypted with that
 * merchant's vault key — authenticate before decrypt, and never a private-key operation for a stranger.
 * Imported keys are cached; the index reloads when a signature matches no known key. Every request that
 * verifies is checked against its credential's current row (one indexed read): a replaced or revoked key,
 * a rotated vault key or a deleted merchant takes effect at once, in every process.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { CompactEncrypt, CompactSign, compactDecrypt, compactVerify, decodeProtectedHeader } from 'jose';
import type { MerchantService } from '../../../vault/merchants.ts';

export interface Twoc2pMerchant {
  readonly credentialId: string;
  readonly merchantId: string;
  /** The 15-digit merchantID 2C2P clients send. */
  readonly twoc2pId: string;
  readonly merchantPublic: KeyObject;
  /** The credential's public data as loaded: a different current value means the keys changed. */
  readonly publicText: string;
}

interface VaultKeys {
  current: KeyObject;
  previous: KeyObject | null;
  /** The encrypted secret these keys came from: a rotation changes it. */
  source: string | null;
}

/** Raised for every failure before the payload is trusted: the caller answers one plain, uniform error. */
export class UntrustedMessage extends Error {
  override name = 'UntrustedMessage';
}

const RELOAD_INTERVAL_MS = 5_000;
const FULL_REFRESH_MS = 60_000;

export function createTwoc2pCrypto(merchants: MerchantService) {
  let index: Twoc2pMerchant[] = [];
  let loadedAt = 0;
  let loading: Promise<void> | null = null;
  const vaultKeys = new Map<string, Promise<VaultKeys>>();
  const decoder = new TextDecoder();

  async function load(): Promise<void> {
    const creds = await merchants.gatewayCredentials('twoc2p');
    const fresh: Twoc2pMerchant[] = [];
    for (const c of creds) {
      try {
        fresh.push({
          credentialId: c.id,
          merchantId: c.merchantId,
          twoc2pId: c.lookupKey,
          merchantPublic: createPublicKey(c.publicData.merchantPublicKeyPem as string),
          publicText: c.publicText,
        });
      } catch {
        // A key that does not parse can verify nothing; leave it out.
      }
    }
    // Keep the most-recently-used order for merchants already known.
    const order = new Map(index.map((m, i) => [m.credentialId, i]));
    fresh.sort((a, b) => (order.get(a.credentialId) ?? Number.MAX_SAFE_INTEGER) - (order.get(b.credentialId) ?? Number.MAX_SAFE_INTEGER));
    index = fresh;
    loadedAt = Date.now();
    // Vault keys are re-read too, so a rotation made by another process is seen within a refresh.
    vaultKeys.clear();
  }

  async function ensureLoaded(mode: 'stale' | 'miss' | 'now'): Promise<void> {
    const age = Date.now() - loadedAt;
    if (mode === 'stale' && age < FULL_REFRESH_MS && loadedAt > 0) return;
    // Unknown signers reload at most every few seconds, so garbage cannot make every request a reload.
    if (mode === 'miss' && age < RELOAD_INTERVAL_MS) return;
    loading ??= load().finally(() => {
      loading = null;
    });
    await loading;
  }

  async function tryVerify(jws: string, candidates: Twoc2pMerchant[]): Promise<{ merchant: Twoc2pMerchant; payload: string } | null> {
    for (const m of candidates) {
      try {
        const { payload } = await compactVerify(jws, m.merchantPublic, { algorithms: ['PS256'] });
        // Most recently seen first next time.
        const i = index.indexOf(m);
        if (i > 0) index = [m, ...index.slice(0, i), ...index.slice(i + 1)];
        return { merchant: m, payload: decoder.decode(payload) };
      } catch {
        // Not this merchant's signature.
      }
    }
    return null;
  }

  async function keysOf(m: Twoc2pMerchant, source: string | null): Promise<VaultKeys> {
    let entry = vaultKeys.get(m.credentialId);
    if (entry && (await entry.catch(() => null))?.source !== source) entry = undefined;
    if (!entry) {
      entry = merchants.gatewaySecret(m.merchantId, m.credentialId).then((secret) => {
        if (!secret) throw new UntrustedMessage('no vault key');
        const previous = secret.previousVaultPrivateKeyPem as string | null | undefined;
        return {
          current: createPrivateKey(secret.vaultPrivateKeyPem as string),
          previous: previous ? createPrivateKey(previous) : null,
          source,
        };
      });
      entry.catch(() => vaultKeys.delete(m.credentialId));
      vaultKeys.set(m.credentialId, entry);
    }
    return entry;
  }

  const decryptOptions = { keyManagementAlgorithms: ['RSA-OAEP'], contentEncryptionAlgorithms: ['A256GCM'] };

  return {
    /** Verifies and decrypts a request; throws UntrustedMessage for anything that does not check out. */
    async open(jws: string): Promise<{ merchant: Twoc2pMerchant; plaintext: string; keys: VaultKeys }> {
      if (typeof jws !== 'string' || jws.length > 200_000 || jws.split('.').length !== 3) throw new UntrustedMessage('shape');
      try {
        if (decodeProtectedHeader(jws).alg !== 'PS256') throw new UntrustedMessage('alg');
      } catch {
        throw new UntrustedMessage('header');
      }
      await ensureLoaded('stale');
      let found = await tryVerify(jws, index);
      if (!found) {
        // A merchant created, or a key registered, since the last load.
        await ensureLoaded('miss');
        found = await tryVerify(jws, index);
      }
      if (!found) throw new UntrustedMessage('signature');
      let state = await merchants.gatewayCredentialState(found.merchant.credentialId);
      if (state?.usable && state.publicData !== found.merchant.publicText) {
        // Keys changed since this process loaded them: verify again against the current ones.
        await ensureLoaded('now');
        found = await tryVerify(jws, index);
        if (!found) throw new UntrustedMessage('signature');
        state = await merchants.gatewayCredentialState(found.merchant.credentialId);
      }
      if (!state?.usable || state.publicData !== found.merchant.publicText) throw new UntrustedMessage('credential');
      const keys = await keysOf(found.merchant, state.secretData);
      for (const key of [keys.current, keys.previous]) {
        if (!key) continue;
        try {
          const { plaintext } = await compactDecrypt(found.payload, key, decryptOptions);
          return { merchant: found.merchant, plaintext: decoder.decode(plaintext), keys };
        } catch {
          // Try the previous vault key (rotation), then give up.
        }
      }
      throw new UntrustedMessage('decrypt');
    },

    /** Encrypts a response to the merchant and signs it with the vault key, as 2C2P responds. */
    async seal(opened: { merchant: Twoc2pMerchant; keys: VaultKeys }, body: unknown): Promise<string> {
      const { merchant, keys } = opened;
      const jwe = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify(body)))
        .setProtectedHeader({ alg: 'RSA-OAEP', enc: 'A256GCM' })
        .encrypt(merchant.merchantPublic);
      return new CompactSign(new TextEncoder().encode(jwe)).setProtectedHeader({ alg: 'PS256', kid: '1' }).sign(keys.current);
    },
  };
}

export type Twoc2pCrypto = ReturnType<typeof createTwoc2pCrypto>;
