/**
 * 2C2P message security: requests are JWS(PS256, merchant key) over JWE(RSA-OAEP + A256GCM, vault key);
 * responses are the mirror. The signer is found by verifying against the registered merchant keys (a
 * public-key operation, cheap), most recently seen first, and only then is the JWE decrypted with that
 * merchant's vault key — authenticate before decrypt, and never a private-key operation for a stranger.
 * Keys come from the kit's credential resolver (one cache, built once per credential row); the index of
 * merchant keys reloads when a signature matches no known key. Every request that verifies is checked
 * against its credential's current row (one indexed read): a replaced or revoked key, a rotated vault key
 * or a deleted merchant takes effect at once, in every process.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { CompactEncrypt, CompactSign, compactDecrypt, compactVerify, decodeProtectedHeader } from 'jose';
import type { MerchantService } from '../../../vault/merchants.ts';
import { type CredentialHalves, type CredentialSource, credentialResolver, type Resolved } from '../kit/credentials.ts';
import { untrusted } from './codes.ts';

interface VaultKeys {
  current: KeyObject;
  previous: KeyObject | null;
}

/** What one 2C2P credential verifies, decrypts and signs with. */
export interface Twoc2pKeys {
  /** The 15-digit merchantID 2C2P clients send. */
  readonly twoc2pId: string;
  /** The registered merchant public key as stored: a different current value means it was replaced. */
  readonly merchantPem: string;
  /** Null when the stored key does not parse: it can verify nothing. */
  readonly merchantPublic: KeyObject | null;
  /** The vault's private keys, imported on the first message the merchant signs. */
  readonly vault: () => VaultKeys;
}

export type Twoc2pMerchant = Resolved<Twoc2pKeys>;

/** A verified and decrypted request, with the credential that answers it. */
export interface OpenedMessage {
  merchant: Twoc2pMerchant;
  plaintext: string;
}

function buildKeys({ publicData, secret }: CredentialHalves): Twoc2pKeys {
  const merchantPem = publicData.merchantPublicKeyPem as string;
  let merchantPublic: KeyObject | null = null;
  try {
    merchantPublic = createPublicKey(merchantPem);
  } catch {
    // Left out of the index below.
  }
  let vault: VaultKeys | undefined;
  return {
    twoc2pId: publicData.merchantId as string,
    merchantPem,
    merchantPublic,
    vault: () => {
      const previous = secret.previousVaultPrivateKeyPem as string | null | undefined;
      vault ??= { current: createPrivateKey(secret.vaultPrivateKeyPem as string), previous: previous ? createPrivateKey(previous) : null };
      return vault;
    },
  };
}

const RELOAD_INTERVAL_MS = 5_000;
const FULL_REFRESH_MS = 60_000;
const decoder = new TextDecoder();
const decryptOptions = { keyManagementAlgorithms: ['RSA-OAEP'], contentEncryptionAlgorithms: ['A256GCM'] };

/** The registered merchant keys, most recently used first; `find` verifies a JWS against them. */
function signerIndex(all: () => Promise<Twoc2pMerchant[]>) {
  let index: Twoc2pMerchant[] = [];
  let loadedAt = 0;
  let loading: Promise<void> | null = null;

  async function load(): Promise<void> {
    const fresh = (await all()).filter((m) => m.value.merchantPublic !== null);
    // Keep the most-recently-used order for merchants already known.
    const order = new Map(index.map((m, i) => [m.credentialId, i]));
    const rank = (m: Twoc2pMerchant) => order.get(m.credentialId) ?? Number.MAX_SAFE_INTEGER;
    index = fresh.sort((a, b) => rank(a) - rank(b));
    loadedAt = Date.now();
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

  async function tryVerify(jws: string): Promise<{ merchant: Twoc2pMerchant; payload: string } | null> {
    for (const m of index) {
      try {
        const { payload } = await compactVerify(jws, m.value.merchantPublic as KeyObject, { algorithms: ['PS256'] });
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

  return {
    /** A merchant or key changed somewhere (a change notification): the next request reloads the index. */
    invalidate() {
      loadedAt = 0;
    },
    /** The merchant whose key verifies `jws` (reloading first when `mode` says the index may be behind). */
    async find(jws: string, mode: 'stale' | 'miss' | 'now') {
      await ensureLoaded(mode);
      return tryVerify(jws);
    },
  };
}

export function createTwoc2pCrypto(merchants: CredentialSource & Partial<Pick<MerchantService, 'onCredentialChange'>>) {
  const resolver = credentialResolver(merchants, 'twoc2p', buildKeys);
  const signers = signerIndex(() => resolver.all());
  // A merchant created or a key registered on another instance is known here at once, not at the next reload.
  merchants.onCredentialChange?.(() => signers.invalidate());

  /** The signer, verified against the merchant keys (a merchant created, or a key registered, since the last load: reload). */
  async function signer(jws: string) {
    const found = (await signers.find(jws, 'stale')) ?? (await signers.find(jws, 'miss'));
    if (!found) throw untrusted('signature');
    return found;
  }

  /** The signer's credential as its row stands now; keys changed since the index loaded: verify again against the current ones. */
  async function current(jws: string, found: { merchant: Twoc2pMerchant; payload: string }) {
    const now = (m: Twoc2pMerchant) => resolver.byId(m.credentialId, m.merchantId);
    let r = await now(found.merchant);
    if (r.ok && r.credential.value.merchantPem !== found.merchant.value.merchantPem) {
      const again = await signers.find(jws, 'now');
      if (!again) throw untrusted('signature');
      found = again;
      r = await now(found.merchant);
    }
    if (!r.ok || r.credential.value.merchantPem !== found.merchant.value.merchantPem) throw untrusted('credential');
    return { merchant: r.credential, payload: found.payload };
  }

  return {
    /** Verifies and decrypts a request; throws an untrusted refusal for anything that does not check out. */
    async open(jws: string): Promise<OpenedMessage> {
      if (typeof jws !== 'string' || jws.length > 200_000 || jws.split('.').length !== 3) throw untrusted('shape');
      let alg: unknown;
      try {
        alg = decodeProtectedHeader(jws).alg;
      } catch {
        throw untrusted('header');
      }
      if (alg !== 'PS256') throw untrusted('header');
      const { merchant, payload } = await current(jws, await signer(jws));
      const keys = merchant.value.vault();
      for (const key of [keys.current, keys.previous]) {
        if (!key) continue;
        try {
          const { plaintext } = await compactDecrypt(payload, key, decryptOptions);
          return { merchant, plaintext: decoder.decode(plaintext) };
        } catch {
          // Try the previous vault key (rotation), then give up.
        }
      }
      throw untrusted('decrypt');
    },

    /** Encrypts a response to the merchant and signs it with the vault key, as 2C2P responds. */
    async seal({ merchant }: { merchant: Twoc2pMerchant }, body: unknown): Promise<string> {
      const jwe = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify(body)))
        .setProtectedHeader({ alg: 'RSA-OAEP', enc: 'A256GCM' })
        .encrypt(merchant.value.merchantPublic as KeyObject);
      return new CompactSign(new TextEncoder().encode(jwe))
        .setProtectedHeader({ alg: 'PS256', kid: '1' })
        .sign(merchant.value.vault().current);
    },
  };
}

export type Twoc2pCrypto = ReturnType<typeof createTwoc2pCrypto>;
