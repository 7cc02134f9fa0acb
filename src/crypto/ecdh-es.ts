/**
 * Compact JWEs with ECDH-ES+A256KW key agreement and A256GCM content encryption (RFC 7516, RFC 7518 §4.6),
 * on node:crypto KeyObjects, and nothing else: one algorithm pair, checked before any key is touched.
 *
 * Why not `jose` here (docs/architecture.md, "ECDH-ES on node:crypto"): on Node 20 jose does this through
 * WebCrypto, where every message pays a JWK import of its ephemeral key (with OpenSSL's full key check),
 * an ECDH `deriveBits` that costs two to three times `crypto.diffieHellman`, and a dozen thread-pool jobs;
 * on P-384, whose curve arithmetic has no optimised OpenSSL code, that was most of a request's CPU.
 * jose stays the reference: the tests hold this module to it in both directions.
 */

import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createPublicKey,
  diffieHellman,
  generateKeyPair,
  type KeyObject,
  randomBytes,
} from 'node:crypto';
import { promisify } from 'node:util';
import { inflateRawSync } from 'node:zlib';
import { randomPooled } from './random.ts';

export const ECDH_ES_A256KW = 'ECDH-ES+A256KW';
export const A256GCM = 'A256GCM';

/** One error for every refusal: a caller cannot tell a bad header from a wrong key or a tampered tag. */
export class JweError extends Error {
  override name = 'JweError';
  constructor() {
    super('the JWE could not be decrypted');
  }
}

interface Curve {
  jwk: string;
  /** Bytes of a coordinate (and of the shared secret). */
  size: number;
  /** DER of a SubjectPublicKeyInfo up to the uncompressed point (0x04 ‖ x ‖ y) that follows it. */
  spki: Buffer;
}

/** By OpenSSL's curve name, as `asymmetricKeyDetails.namedCurve` gives it. */
const CURVES: Record<string, Curve> = {
  prime256v1: { jwk: 'P-256', size: 32, spki: Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex') },
  secp384r1: { jwk: 'P-384', size: 48, spki: Buffer.from('3076301006072a8648ce3d020106052b81040022036200', 'hex') },
  secp521r1: { jwk: 'P-521', size: 66, spki: Buffer.from('30819b301006072a8648ce3d020106052b8104002303818600', 'hex') },
};

const KEK_BITS = 256;
const CEK_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** RFC 3394's default initial value. */
const KW_IV = Buffer.from('a6a6a6a6a6a6a6a6', 'hex');
/** A `zip: "DEF"` plaintext may inflate to this much and no more (jose's default, kept). */
const MAX_INFLATED = 250_000;
/** Ephemeral key parameters a header must never carry. */
const PRIVATE_JWK = ['d', 'k', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'priv'];

const generate = promisify(generateKeyPair);
const b64u = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');

function curveOf(key: KeyObject): Curve {
  const curve = key.asymmetricKeyType === 'ec' ? CURVES[key.asymmetricKeyDetails?.namedCurve ?? ''] : undefined;
  if (!curve) throw new TypeError('ECDH-ES needs an EC key on P-256, P-384 or P-521');
  return curve;
}

/** Base64url as the compact serialization writes it: unpadded, and only the canonical spelling of each value. */
function decode(text: unknown, bytes?: number): Buffer {
  if (typeof text !== 'string' || !/^[A-Za-z0-9_-]*$/.test(text)) throw new JweError();
  const out = Buffer.from(text, 'base64url');
  if (out.toString('base64url') !== text || (bytes !== undefined && out.length !== bytes)) throw new JweError();
  return out;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

const lengthPrefixed = (data: Buffer) => {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  return [length, data];
};

/** The key-encryption key: Concat KDF over the shared secret with SHA-256 (RFC 7518 §4.6.2; one round for 256 bits). */
function kek(shared: Buffer, apu: Buffer, apv: Buffer): Buffer {
  const suppPubInfo = Buffer.alloc(4);
  suppPubInfo.writeUInt32BE(KEK_BITS);
  const hash = createHash('sha256')
    .update(Buffer.from([0, 0, 0, 1]))
    .update(shared);
  for (const part of [...lengthPrefixed(Buffer.from(ECDH_ES_A256KW)), ...lengthPrefixed(apu), ...lengthPrefixed(apv), suppPubInfo]) {
    hash.update(part);
  }
  shared.fill(0);
  return hash.digest();
}

/** The ephemeral public key of a header, on `curve`: a point the SPKI decoder has checked lies on it. */
function ephemeralKey(epk: unknown, curve: Curve): KeyObject {
  if (!isObject(epk) || epk.kty !== 'EC' || epk.crv !== curve.jwk || PRIVATE_JWK.some((p) => Object.hasOwn(epk, p))) throw new JweError();
  const point = Buffer.concat([Buffer.from([4]), decode(epk.x, curve.size), decode(epk.y, curve.size)]);
  try {
    return createPublicKey({ key: Buffer.concat([curve.spki, point]), format: 'der', type: 'spki' });
  } catch {
    throw new JweError();
  }
}

/** Agreement PartyUInfo / PartyVInfo; like jose, refused when both are present and equal. */
function partyInfo(header: Record<string, unknown>): [Buffer, Buffer] {
  const apu = header.apu === undefined ? Buffer.alloc(0) : decode(header.apu);
  const apv = header.apv === undefined ? Buffer.alloc(0) : decode(header.apv);
  if (header.apu !== undefined && header.apv !== undefined && apu.equals(apv)) throw new JweError();
  return [apu, apv];
}

/** The protected header, refused unless it names exactly this algorithm pair and no extension. */
function readHeader(segment: string): Record<string, unknown> {
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(decode(segment)));
  } catch {
    throw new JweError();
  }
  if (!isObject(header) || header.alg !== ECDH_ES_A256KW || header.enc !== A256GCM) throw new JweError();
  if (header.crit !== undefined || (header.zip !== undefined && header.zip !== 'DEF')) throw new JweError();
  return header;
}

/** The plaintext of a compact JWE to `privateKey`; any failure is one `JweError`. */
export function decryptCompact(jwe: string, privateKey: KeyObject): Buffer {
  const curve = curveOf(privateKey);
  const parts = jwe.split('.');
  if (parts.length !== 5) throw new JweError();
  const [protectedHeader, encryptedKey, iv, ciphertext, tag] = parts as [string, string, string, string, string];
  const header = readHeader(protectedHeader);
  const wrapped = decode(encryptedKey, CEK_BYTES + 8);
  const [apu, apv] = partyInfo(header);
  try {
    const shared = diffieHellman({ privateKey, publicKey: ephemeralKey(header.epk, curve) });
    const unwrap = createDecipheriv('id-aes256-wrap', kek(shared, apu, apv), KW_IV);
    const cek = Buffer.concat([unwrap.update(wrapped), unwrap.final()]);
    const gcm = createDecipheriv('aes-256-gcm', cek, decode(iv, IV_BYTES));
    cek.fill(0);
    gcm.setAAD(Buffer.from(protectedHeader, 'ascii'));
    gcm.setAuthTag(decode(tag, TAG_BYTES));
    const plaintext = Buffer.concat([gcm.update(decode(ciphertext)), gcm.final()]);
    return header.zip === 'DEF' ? inflateRawSync(plaintext, { maxOutputLength: MAX_INFLATED }) : plaintext;
  } catch {
    throw new JweError();
  }
}

/**
 * A compact JWE of `plaintext` to `publicKey`: a fresh ephemeral key on its curve (generated on libuv's thread
 * pool), a fresh content key and IV; the protected header is `{alg, enc, epk}`.
 */
export async function encryptCompact(plaintext: Uint8Array, publicKey: KeyObject): Promise<string> {
  const curve = curveOf(publicKey);
  const ephemeral = await generate('ec', { namedCurve: curve.jwk });
  const { kty, crv, x, y } = ephemeral.publicKey.export({ format: 'jwk' });
  const protectedHeader = b64u(Buffer.from(JSON.stringify({ alg: ECDH_ES_A256KW, enc: A256GCM, epk: { kty, crv, x, y } })));
  const wrappingKey = kek(diffieHellman({ privateKey: ephemeral.privateKey, publicKey }), Buffer.alloc(0), Buffer.alloc(0));
  const cek = randomBytes(CEK_BYTES);
  const wrap = createCipheriv('id-aes256-wrap', wrappingKey, KW_IV);
  const encryptedKey = Buffer.concat([wrap.update(cek), wrap.final()]);
  wrappingKey.fill(0);
  const iv = randomPooled(IV_BYTES);
  const gcm = createCipheriv('aes-256-gcm', cek, iv);
  cek.fill(0);
  gcm.setAAD(Buffer.from(protectedHeader, 'ascii'));
  const ciphertext = Buffer.concat([gcm.update(plaintext), gcm.final()]);
  return [protectedHeader, b64u(encryptedKey), b64u(iv), b64u(ciphertext), b64u(gcm.getAuthTag())].join('.');
}
