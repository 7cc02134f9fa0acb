/**
 * Per-merchant data keys (DEKs) and fingerprint keys, wrapped by the master key and unwrapped into
 * memory on first use. Invariants: a merchant's newest key of each purpose is used for new writes;
 * every older version stays readable until nothing references it (rotation, issue 3).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { merchantKeyWrapAad } from './aad.ts';
import { DecryptError, open, parseEnvelope, seal } from './envelope.ts';
import type { MasterKeyProvider } from './master-key.ts';

export type KeyPurpose = 'data' | 'fingerprint';

export interface WrappedKey {
  readonly purpose: KeyPurpose;
  readonly version: number;
  readonly wrapped: string;
}

/** The narrow store surface the keyring reads. */
export interface KeySource {
  loadKeys(merchantId: string): Promise<WrappedKey[]>;
}

interface MerchantKeys {
  data: Map<number, Buffer>;
  fingerprint: Map<number, Buffer>;
  activeData: number;
  activeFingerprint: number;
}

export interface Fingerprint {
  readonly version: number;
  readonly value: string;
}

export interface Keyring {
  /** Makes a merchant's first keys and caches them; the caller stores the returned rows, then calls forget. */
  newMerchantKeys(merchantId: string): Promise<WrappedKey[]>;
  encrypt(merchantId: string, aad: string, plaintext: string | Buffer): Promise<string>;
  decrypt(merchantId: string, aad: string, ciphertext: string): Promise<Buffer>;
  fingerprint(merchantId: string, value: string): Promise<Fingerprint>;
  /** Drops cached keys (after rotation or merchant deletion). */
  forget(merchantId: string): void;
  /** Drops every merchant's cached keys (a change notification may have been missed). */
  forgetAll(): void;
  /** A new random key of a purpose and version, wrapped under the current master key (rotation). */
  newKey(merchantId: string, purpose: KeyPurpose, version: number): Promise<WrappedKey>;
  /** The same key re-wrapped under the current master key version (master-key rotation). */
  rewrap(merchantId: string, key: WrappedKey): Promise<string>;
}

const wrapAad = merchantKeyWrapAad;

/**
 * Unwrapped keys are cached for `cacheTtlMs`, so a data-key rotation made by another process reaches this
 * one within that time; a ciphertext naming a version not in the cache triggers an immediate reload.
 */
export function createKeyring(deps: { master: MasterKeyProvider; source: KeySource; cacheTtlMs?: number; clock?: () => number }): Keyring {
  const ttl = deps.cacheTtlMs ?? 30_000;
  const clock = deps.clock ?? Date.now;
  // `pinned`: keys made here and not yet committed; they must not expire before their transaction ends.
  const cache = new Map<string, { at: number; keys: Promise<MerchantKeys>; pinned?: boolean }>();

  async function load(merchantId: string): Promise<MerchantKeys> {
    const rows = await deps.source.loadKeys(merchantId);
    const keys: MerchantKeys = { data: new Map(), fingerprint: new Map(), activeData: 0, activeFingerprint: 0 };
    for (const row of rows) {
      const key = await deps.master.unwrap(row.wrapped, wrapAad(merchantId, row.purpose, row.version));
      keys[row.purpose].set(row.version, key);
    }
    keys.activeData = Math.max(0, ...keys.data.keys());
    keys.activeFingerprint = Math.max(0, ...keys.fingerprint.keys());
    if (keys.activeData === 0 || keys.activeFingerprint === 0) throw new Error(`merchant ${merchantId} has no keys`);
    return keys;
  }

  function keysOf(merchantId: string): Promise<MerchantKeys> {
    const entry = cache.get(merchantId);
    if (entry && (entry.pinned || clock() - entry.at < ttl)) return entry.keys;
    const keys = load(merchantId);
    const fresh = { at: clock(), keys };
    // A failed load (database down) must not be cached.
    keys.catch(() => {
      if (cache.get(merchantId) === fresh) cache.delete(merchantId);
    });
    cache.set(merchantId, fresh);
    return keys;
  }

  return {
    async newMerchantKeys(merchantId) {
      const out: WrappedKey[] = [];
      const keys: MerchantKeys = { data: new Map(), fingerprint: new Map(), activeData: 1, activeFingerprint: 1 };
      for (const purpose of ['data', 'fingerprint'] as const) {
        const key = randomBytes(32);
        keys[purpose].set(1, key);
        out.push({ purpose, version: 1, wrapped: await deps.master.wrap(key, wrapAad(merchantId, purpose, 1)) });
      }
      // Primed so the merchant's credentials can be encrypted in the same transaction that stores the keys;
      // the caller forgets them if that transaction fails.
      cache.set(merchantId, { at: clock(), keys: Promise.resolve(keys), pinned: true });
      return out;
    },
    async encrypt(merchantId, aad, plaintext) {
      const keys = await keysOf(merchantId);
      return seal(keys.data.get(keys.activeData) as Buffer, `d${keys.activeData}`, plaintext, aad);
    },
    async decrypt(merchantId, aad, ciphertext) {
      const envelope = parseEnvelope(ciphertext);
      if (!envelope.keyRef.startsWith('d')) throw new DecryptError();
      const version = Number(envelope.keyRef.slice(1));
      let key = (await keysOf(merchantId)).data.get(version);
      if (!key) {
        // Written by a process that saw a newer data key than our cache holds.
        cache.delete(merchantId);
        key = (await keysOf(merchantId)).data.get(version);
      }
      if (!key) throw new DecryptError();
      return open(key, envelope, aad);
    },
    async fingerprint(merchantId, value) {
      const keys = await keysOf(merchantId);
      const key = keys.fingerprint.get(keys.activeFingerprint) as Buffer;
      return { version: keys.activeFingerprint, value: createHmac('sha256', key).update(value).digest('base64url') };
    },
    forget(merchantId) {
      cache.delete(merchantId);
    },
    forgetAll() {
      // Pinned keys belong to a transaction still open in this process: no other process changed them.
      for (const [id, entry] of cache) if (!entry.pinned) cache.delete(id);
    },
    async newKey(merchantId, purpose, version) {
      return { purpose, version, wrapped: await deps.master.wrap(randomBytes(32), wrapAad(merchantId, purpose, version)) };
    },
    async rewrap(merchantId, key) {
      const aad = wrapAad(merchantId, key.purpose, key.version);
      return deps.master.wrap(await deps.master.unwrap(key.wrapped, aad), aad);
    },
  };
}

/** The data-key version a ciphertext was made with, read from its envelope. */
export const dataKeyVersion = (ciphertext: string): number => Number(parseEnvelope(ciphertext).keyRef.slice(1));
