/**
 * crypto/ecdh-es.ts against jose, the reference it replaced on the AlliancePay hot path: each reads what the
 * other writes on every curve, with and without party info and compression, and everything jose refuses
 * for this algorithm pair (other algorithms, extensions, a stranger's key, tampering) is refused too.
 */
import { createCipheriv, createHash, diffieHellman, generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { CompactEncrypt, compactDecrypt, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { A256GCM, decryptCompact, ECDH_ES_A256KW, encryptCompact, JweError } from '../../src/crypto/ecdh-es.ts';

const CURVES = ['P-256', 'P-384', 'P-521'] as const;
const pair = (namedCurve: string) => generateKeyPairSync('ec', { namedCurve });
const keys = Object.fromEntries(CURVES.map((c) => [c, pair(c)])) as Record<(typeof CURVES)[number], ReturnType<typeof pair>>;
const p384 = keys['P-384'];
const OPTIONS = { keyManagementAlgorithms: [ECDH_ES_A256KW], contentEncryptionAlgorithms: [A256GCM] };

/** A compact JWE made by jose, with whatever protected header and key-management parameters a test gives. */
function joseJwe(
  plaintext: Uint8Array,
  key: KeyObject,
  header: Record<string, unknown> = {},
  parameters: Parameters<CompactEncrypt['setKeyManagementParameters']>[0] = {},
): Promise<string> {
  return new CompactEncrypt(plaintext)
    .setProtectedHeader({ alg: ECDH_ES_A256KW, enc: A256GCM, ...header })
    .setKeyManagementParameters(parameters)
    .encrypt(key);
}

const u32 = (n: number) => Buffer.from([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
const prefixed = (b: Buffer) => Buffer.concat([u32(b.length), b]);

/**
 * A JWE to a P-384 key written step by step from RFC 7518 §4.6 (a third implementation), valid in every way but
 * the header a test gives: `header(epk)` returns the protected header around the real ephemeral public key,
 * so what is refused is refused for that header alone, not because the tag no longer matches.
 */
function crafted(header: (epk: Record<string, unknown>) => Record<string, unknown>, plaintext = Buffer.from('{}')): string {
  const ephemeral = pair('P-384');
  const { kty, crv, x, y } = ephemeral.publicKey.export({ format: 'jwk' });
  const h = header({ kty, crv, x, y });
  const party = (v: unknown) => (typeof v === 'string' ? Buffer.from(v, 'base64url') : Buffer.alloc(0));
  const shared = diffieHellman({ privateKey: ephemeral.privateKey, publicKey: p384.publicKey });
  const otherInfo = Buffer.concat([prefixed(Buffer.from(String(h.alg))), prefixed(party(h.apu)), prefixed(party(h.apv)), u32(256)]);
  const kek = createHash('sha256')
    .update(Buffer.concat([u32(1), shared, otherInfo]))
    .digest();
  const cek = randomBytes(32);
  const wrap = createCipheriv('id-aes256-wrap', kek, Buffer.from('a6a6a6a6a6a6a6a6', 'hex'));
  const encryptedKey = Buffer.concat([wrap.update(cek), wrap.final()]);
  const encoded = Buffer.from(JSON.stringify(h)).toString('base64url');
  const iv = randomBytes(12);
  const gcm = createCipheriv('aes-256-gcm', cek, iv).setAAD(Buffer.from(encoded));
  const ciphertext = Buffer.concat([gcm.update(plaintext), gcm.final()]);
  return [encoded, encryptedKey, iv, ciphertext, gcm.getAuthTag()]
    .map((v) => (typeof v === 'string' ? v : v.toString('base64url')))
    .join('.');
}
const base = (epk: Record<string, unknown>) => ({ alg: ECDH_ES_A256KW, enc: A256GCM, epk });

const refused = (jwe: string, key: KeyObject = p384.privateKey) => expect(() => decryptCompact(jwe, key)).toThrow(JweError);

/** The JWE with one segment replaced (0 header, 1 encrypted key, 2 IV, 3 ciphertext, 4 tag). */
function withSegment(jwe: string, index: number, value: string): string {
  const parts = jwe.split('.');
  parts[index] = value;
  return parts.join('.');
}

/** A base64url value spelled with its unused trailing bits set: the same bytes, not the canonical text. */
function nonCanonical(segment: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const last = alphabet.indexOf(segment.at(-1) as string);
  return segment.slice(0, -1) + alphabet[last | (segment.length % 4 === 2 ? 0b1111 : 0b11)];
}

describe('ECDH-ES+A256KW / A256GCM compact JWEs on node:crypto', () => {
  for (const curve of CURVES) {
    it(`${curve}: jose reads what it writes and it reads what jose writes, for any plaintext`, async () => {
      const { publicKey, privateKey } = keys[curve];
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), async (data) => {
          const ours = await encryptCompact(data, publicKey);
          expect(Buffer.from((await compactDecrypt(ours, privateKey, OPTIONS)).plaintext)).toEqual(Buffer.from(data));
          expect(decryptCompact(await joseJwe(data, publicKey), privateKey)).toEqual(Buffer.from(data));
        }),
        { numRuns: curve === 'P-384' ? 25 : 8 },
      );
    });
  }

  it('writes {alg, enc, epk} with a fresh ephemeral key, content key and IV every time', async () => {
    const a = await encryptCompact(Buffer.from('same'), p384.publicKey);
    const b = await encryptCompact(Buffer.from('same'), p384.publicKey);
    const header = decodeProtectedHeader(a);
    expect(Object.keys(header).sort()).toEqual(['alg', 'enc', 'epk']);
    expect(header).toMatchObject({ alg: ECDH_ES_A256KW, enc: A256GCM, epk: { kty: 'EC', crv: 'P-384' } });
    expect(Object.keys(header.epk as object).sort()).toEqual(['crv', 'kty', 'x', 'y']);
    expect(decodeProtectedHeader(b).epk).not.toEqual(header.epk);
    for (const i of [1, 2, 3, 4]) expect(a.split('.')[i]).not.toBe(b.split('.')[i]);
  });

  it('reads agreement party info (apu, apv) into the key derivation', async () => {
    const jwe = await joseJwe(Buffer.from('with party info'), p384.publicKey, {}, { apu: Buffer.from('Alice'), apv: Buffer.from('Bob') });
    expect(decryptCompact(jwe, p384.privateKey).toString()).toBe('with party info');
    // Party info is bound into the key: the same JWE with apu rewritten no longer opens (a new header, a new AAD, a new KEK).
    const header = JSON.parse(Buffer.from(jwe.split('.')[0] as string, 'base64url').toString());
    refused(
      withSegment(
        jwe,
        0,
        Buffer.from(JSON.stringify({ ...header, apu: Buffer.from('Mallory').toString('base64url') })).toString('base64url'),
      ),
    );
  });

  it('refuses equal apu and apv, as jose does', () => {
    const party = (v: string) => Buffer.from(v).toString('base64url');
    expect(
      decryptCompact(
        crafted((epk) => ({ ...base(epk), apu: party('a'), apv: party('b') })),
        p384.privateKey,
      ).toString(),
    ).toBe('{}');
    refused(crafted((epk) => ({ ...base(epk), apu: party('same'), apv: party('same') })));
  });

  it('inflates a zip "DEF" plaintext, up to 250,000 bytes and no further', async () => {
    const text = 'a'.repeat(10_000);
    expect(decryptCompact(await joseJwe(Buffer.from(text), p384.publicKey, { zip: 'DEF' }), p384.privateKey).toString()).toBe(text);
    refused(await joseJwe(Buffer.alloc(250_001), p384.publicKey, { zip: 'DEF' }));
  });

  it('refuses every other algorithm pair and any extension or unknown compression', async () => {
    const data = Buffer.from('{}');
    const plain = (alg: string, enc: string) => new CompactEncrypt(data).setProtectedHeader({ alg, enc });
    refused(await plain('ECDH-ES', A256GCM).encrypt(p384.publicKey));
    refused(await plain('ECDH-ES+A128KW', A256GCM).encrypt(p384.publicKey));
    refused(await plain(ECDH_ES_A256KW, 'A128GCM').encrypt(p384.publicKey));
    refused(await plain(ECDH_ES_A256KW, 'A256CBC-HS512').encrypt(p384.publicKey));
    refused(await plain('dir', A256GCM).encrypt(new Uint8Array(32)));
    refused(await plain('A256KW', A256GCM).encrypt(new Uint8Array(32)));
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    refused(await plain('RSA-OAEP-256', A256GCM).encrypt(rsa.publicKey));
    const critical = new CompactEncrypt(data).setProtectedHeader({ alg: ECDH_ES_A256KW, enc: A256GCM, crit: ['exp'], exp: 1 });
    refused(await critical.encrypt(p384.publicKey, { crit: { exp: true } }));
    expect(decryptCompact(crafted(base), p384.privateKey).toString()).toBe('{}');
    refused(crafted((epk) => ({ ...base(epk), zip: 'GZ' })));
    refused(crafted((epk) => ({ ...base(epk), crit: ['b64'], b64: false })));
    refused(crafted((epk) => ({ ...base(epk), alg: 'ECDH-ES+A128KW' })));
  });

  it('refuses an ephemeral key that is missing, on another curve, with private parts, or off its curve', async () => {
    const epkWith = (change: (epk: Record<string, unknown>) => unknown) => crafted((epk) => base(change(epk) as Record<string, unknown>));
    refused(epkWith(() => undefined));
    refused(epkWith(() => 'not a key'));
    refused(epkWith((epk) => ({ ...epk, crv: 'P-256' })));
    refused(epkWith((epk) => ({ ...epk, kty: 'OKP' })));
    refused(epkWith((epk) => ({ ...epk, d: p384.privateKey.export({ format: 'jwk' }).d })));
    const y = Buffer.from(p384.publicKey.export({ format: 'jwk' }).y as string, 'base64url');
    y[y.length - 1] = (y[y.length - 1] as number) ^ 1;
    refused(epkWith((epk) => ({ ...epk, y: y.toString('base64url') })));
    refused(epkWith((epk) => ({ ...epk, x: Buffer.alloc(47, 1).toString('base64url') })));
    // A P-256 JWE opens with its P-256 key only.
    const p256 = await joseJwe(Buffer.from('x'), keys['P-256'].publicKey);
    expect(decryptCompact(p256, keys['P-256'].privateKey).toString()).toBe('x');
    refused(p256);
  });

  it('refuses a stranger’s key, and any change to any segment', async () => {
    const jwe = await joseJwe(Buffer.from('{"pan":"4111111111111111"}'), p384.publicKey);
    refused(jwe, pair('P-384').privateKey);
    const parts = jwe.split('.');
    for (let i = 0; i < 5; i++) {
      const bytes = Buffer.from(parts[i] as string, 'base64url');
      bytes[0] = (bytes[0] as number) ^ 1;
      refused(withSegment(jwe, i, bytes.toString('base64url')));
    }
    refused(withSegment(jwe, 1, ''));
    refused(withSegment(jwe, 2, ''));
    refused(withSegment(jwe, 4, ''));
    refused(`${jwe}.x`);
    refused(parts.slice(0, 4).join('.'));
    refused('not a jwe');
  });

  it('reads only canonical unpadded base64url: a second spelling of the same bytes is refused', async () => {
    const jwe = await joseJwe(Buffer.from('x'), p384.publicKey);
    expect(decryptCompact(jwe, p384.privateKey).toString()).toBe('x');
    for (const i of [1, 2, 3, 4]) {
      const segment = jwe.split('.')[i] as string;
      const spelled = nonCanonical(segment);
      if (spelled !== segment) refused(withSegment(jwe, i, spelled));
      refused(withSegment(jwe, i, `${segment}=`));
      refused(withSegment(jwe, i, `${segment.slice(0, 4)} ${segment.slice(4)}`));
      const standard = segment.replaceAll('-', '+').replaceAll('_', '/');
      if (standard !== segment) refused(withSegment(jwe, i, standard));
    }
  });

  it('encrypts only to EC keys on the curves it knows', async () => {
    const ed = generateKeyPairSync('ed25519');
    await expect(encryptCompact(Buffer.from('x'), ed.publicKey)).rejects.toThrow(TypeError);
    const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
    await expect(encryptCompact(Buffer.from('x'), k1.publicKey)).rejects.toThrow(TypeError);
  });
});
