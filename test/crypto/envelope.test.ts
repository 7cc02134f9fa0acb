import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecryptError, open, parseEnvelope, seal } from '../../src/crypto/envelope.ts';
import { createKeyring, type WrappedKey } from '../../src/crypto/keyring.ts';
import { createLocalMasterKeyProvider, loadMasterKey, MasterKeyError } from '../../src/crypto/master-key.ts';

const key = randomBytes(32);
const decrypt = (k: Buffer, text: string, aad: string) => open(k, parseEnvelope(text), aad);

describe('envelope encryption', () => {
  it('round-trips any bytes and any AAD', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), fc.string(), (data, aad) => {
        const ct = seal(key, 'd1', Buffer.from(data), aad);
        expect(decrypt(key, ct, aad).equals(Buffer.from(data))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('is self-describing: format, algorithm, key reference, nonce', () => {
    const ct = seal(key, 'd7', 'hello', 'aad');
    expect(ct).toMatch(/^tv1\.A256GCM\.d7\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(parseEnvelope(ct).keyRef).toBe('d7');
  });

  it('uses a fresh nonce for every encryption', () => {
    const a = seal(key, 'd1', 'same', 'aad');
    const b = seal(key, 'd1', 'same', 'aad');
    expect(a).not.toBe(b);
    expect(parseEnvelope(a).nonce.equals(parseEnvelope(b).nonce)).toBe(false);
  });

  it('refuses a ciphertext moved to another record (AAD binding)', () => {
    const ct = seal(key, 'd1', '4111111111111111', 'tokenvault:m1:instrument_identifiers:ii_1:pan');
    expect(() => decrypt(key, ct, 'tokenvault:m1:instrument_identifiers:ii_2:pan')).toThrow(DecryptError);
    expect(() => decrypt(key, ct, 'tokenvault:m2:instrument_identifiers:ii_1:pan')).toThrow(DecryptError);
  });

  it('gives one indistinguishable error for wrong key, tampering and truncation', () => {
    const ct = seal(key, 'd1', 'secret value', 'aad');
    const parts = ct.split('.');
    const body = Buffer.from(parts[4] as string, 'base64url');
    body[0] = (body[0] as number) ^ 1;
    const tampered = [...parts.slice(0, 4), body.toString('base64url')].join('.');
    const truncated = ct.slice(0, ct.length - 6);
    const messages = new Set<string>();
    for (const attempt of [
      () => decrypt(randomBytes(32), ct, 'aad'),
      () => decrypt(key, tampered, 'aad'),
      () => decrypt(key, truncated, 'aad'),
      () => decrypt(key, 'tv1.A256GCM.d1', 'aad'),
      () => decrypt(key, ct.replace('A256GCM', 'A128GCM'), 'aad'),
    ]) {
      try {
        attempt();
        throw new Error('decrypted');
      } catch (e) {
        expect(e).toBeInstanceOf(DecryptError);
        messages.add((e as Error).message);
      }
    }
    expect(messages.size).toBe(1);
  });
});

describe('keyring', () => {
  const master = createLocalMasterKeyProvider(new Map([[1, randomBytes(32)]]));

  async function keyringWith(merchants: string[]) {
    const stored = new Map<string, WrappedKey[]>();
    const maker = createKeyring({ master, source: { loadKeys: async () => [] } });
    for (const m of merchants) stored.set(m, await maker.newMerchantKeys(m));
    // A fresh keyring that must unwrap from the stored rows, as after a restart.
    return createKeyring({ master, source: { loadKeys: async (m) => stored.get(m) ?? [] } });
  }

  it('decrypts after a restart from wrapped keys only', async () => {
    const maker = createKeyring({ master, source: { loadKeys: async () => [] } });
    const rows = await maker.newMerchantKeys('m1');
    const ct = await maker.encrypt('m1', 'aad', 'card');
    const restarted = createKeyring({ master, source: { loadKeys: async () => rows } });
    expect((await restarted.decrypt('m1', 'aad', ct)).toString()).toBe('card');
  });

  it("cannot open one merchant's ciphertext with another merchant's keys", async () => {
    const kr = await keyringWith(['m1', 'm2']);
    const ct = await kr.encrypt('m1', 'aad', 'card');
    await expect(kr.decrypt('m2', 'aad', ct)).rejects.toBeInstanceOf(DecryptError);
  });

  it('fingerprints are keyed per merchant: same PAN, different merchants, different values', async () => {
    const kr = await keyringWith(['m1', 'm2']);
    const a = await kr.fingerprint('m1', '4111111111111111');
    const b = await kr.fingerprint('m2', '4111111111111111');
    expect(a.value).not.toBe(b.value);
    expect((await kr.fingerprint('m1', '4111111111111111')).value).toBe(a.value);
    // A keyed MAC, not an unkeyed hash of the PAN (PCI DSS 4.0 3.5.1.1); no substring test: 4 given characters occur in
    // a random 43-character value by chance.
    expect(a.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.value).not.toBe(createHash('sha256').update('4111111111111111').digest('base64url'));
  });

  it('refuses wrapped keys under a different master key', async () => {
    const rows = await createKeyring({ master, source: { loadKeys: async () => [] } }).newMerchantKeys('m1');
    const other = createLocalMasterKeyProvider(new Map([[1, randomBytes(32)]]));
    const kr = createKeyring({ master: other, source: { loadKeys: async () => rows } });
    await expect(kr.encrypt('m1', 'aad', 'x')).rejects.toThrow();
  });
});

describe('master key loading', () => {
  it('generates a development key once, mode 0600, and reuses it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tv-mk-'));
    const first = loadMasterKey({ masterKey: null, masterKeyFile: null, dataDir: dir });
    expect(first.source).toBe('generated');
    expect(fs.statSync(path.join(dir, 'master.key')).mode & 0o777).toBe(0o600);
    const second = loadMasterKey({ masterKey: null, masterKeyFile: null, dataDir: dir });
    expect(second.source).toBe('dev-file');
    expect(second.key.equals(first.key)).toBe(true);
    fs.rmSync(dir, { recursive: true });
  });

  it('takes the key from the environment or a key file, and rejects a malformed one', () => {
    const k = randomBytes(32).toString('base64');
    expect(loadMasterKey({ masterKey: k, masterKeyFile: null, dataDir: '/nonexistent' }).key.toString('base64')).toBe(k);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tv-mk-')), 'k');
    fs.writeFileSync(file, `${k}\n`);
    expect(loadMasterKey({ masterKey: null, masterKeyFile: file, dataDir: '/nonexistent' }).source).toBe('file');
    expect(() => loadMasterKey({ masterKey: randomBytes(16).toString('base64'), masterKeyFile: null, dataDir: '/x' })).toThrow(
      MasterKeyError,
    );
    expect(() => loadMasterKey({ masterKey: 'not base64 at all!!', masterKeyFile: null, dataDir: '/x' })).toThrow(MasterKeyError);
    expect(() => loadMasterKey({ masterKey: null, masterKeyFile: '/nonexistent/key', dataDir: '/x' })).toThrow(MasterKeyError);
  });
});
