/**
 * Window keys: short-lived random AES keys for values that must become unrecoverable at a known time (held
 * CVVs). A value that must be gone by time T is sealed under the key of the window that ends at or after T;
 * when that window ends the key is deleted, and with it every value sealed under it, in the live database,
 * its replicas and every backup (crypto-shredding). Keys are wrapped by the master key and shared through the
 * database, so any instance can open a value another sealed.
 */
import { randomBytes } from 'node:crypto';
import { windowKeyWrapAad } from './aad.ts';
import { DecryptError, open, parseEnvelope, seal } from './envelope.ts';
import type { MasterKeyProvider } from './master-key.ts';

/** Where window keys live: the store implements it. */
export interface WindowKeySource {
  find(id: string): Promise<string | undefined>;
  /** Stores a new wrapped key unless one exists for the window; returns the stored one either way. */
  create(id: string, wrapped: string, endsAt: Date): Promise<string>;
}

export interface WindowKeyring {
  /** Seals a value that must be unrecoverable from `mustEndBy` on (plus at most one window). */
  seal(aad: string, plaintext: string, mustEndBy: Date): Promise<string>;
  /** Opens a value; a value whose window has ended fails as a destroyed one would. */
  open(aad: string, ciphertext: string): Promise<Buffer>;
  /** Drops cached keys whose window has ended (the store deletes their rows). */
  forgetEnded(): void;
}

const PREFIX = 'w';

export function createWindowKeyring(deps: {
  master: MasterKeyProvider;
  source: WindowKeySource;
  windowMs: number;
  now: () => Date;
}): WindowKeyring {
  if (!Number.isInteger(deps.windowMs) || deps.windowMs < 1) throw new RangeError('windowMs must be a positive integer');
  const cache = new Map<string, Promise<Buffer>>();

  async function load(id: string, create: boolean): Promise<Buffer> {
    let wrapped = await deps.source.find(id);
    if (wrapped === undefined) {
      if (!create) throw new DecryptError();
      wrapped = await deps.source.create(id, await deps.master.wrap(randomBytes(32), windowKeyWrapAad(id)), new Date(Number(id)));
    }
    return deps.master.unwrap(wrapped, windowKeyWrapAad(id));
  }

  function keyOf(id: string, create: boolean): Promise<Buffer> {
    let key = cache.get(id);
    if (!key) {
      key = load(id, create);
      const pending = key;
      // A failed load (database down, destroyed key) is not cached.
      pending.catch(() => {
        if (cache.get(id) === pending) cache.delete(id);
      });
      cache.set(id, key);
    }
    return key;
  }

  const ended = (id: string) => Number(id) <= deps.now().getTime();

  return {
    async seal(aad, plaintext, mustEndBy) {
      const end = Math.ceil(mustEndBy.getTime() / deps.windowMs) * deps.windowMs;
      const id = String(end);
      if (ended(id)) throw new RangeError('the value would already be past its window');
      return seal(await keyOf(id, true), `${PREFIX}${id}`, plaintext, aad);
    },
    async open(aad, ciphertext) {
      const envelope = parseEnvelope(ciphertext);
      if (!envelope.keyRef.startsWith(PREFIX)) throw new DecryptError();
      const id = envelope.keyRef.slice(PREFIX.length);
      if (!/^[0-9]{1,16}$/.test(id) || ended(id)) throw new DecryptError();
      return open(await keyOf(id, false), envelope, aad);
    },
    forgetEnded() {
      for (const id of cache.keys()) if (ended(id)) cache.delete(id);
    },
  };
}
