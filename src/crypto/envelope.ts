/**
 * Authenticated encryption of small values (card numbers, wrapped keys, credential secrets).
 * A ciphertext is self-describing text: `tv1.A256GCM.<keyRef>.<nonce>.<ciphertext+tag>` (base64url),
 * so rotation and migration read the key it needs from the value instead of guessing.
 * The AAD binds the value to where it lives (merchant, table, record, field): moved elsewhere, it fails.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { randomPooled } from './random.ts';

const FORMAT = 'tv1';
const ALG = 'A256GCM';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export interface Envelope {
  readonly keyRef: string;
  readonly nonce: Buffer;
  readonly body: Buffer;
}

/** One message for every failure, so a caller can't tell a wrong key from a tampered tag. */
export class DecryptError extends Error {
  override name = 'DecryptError';
  constructor() {
    super('ciphertext could not be decrypted');
  }
}

export function seal(key: Buffer, keyRef: string, plaintext: Buffer | string, aad: string): string {
  if (key.length !== 32) throw new Error('AES-256-GCM needs a 32-byte key');
  if (!/^[a-z0-9_-]+$/i.test(keyRef)) throw new Error('keyRef must be url-safe');
  const nonce = randomPooled(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const data = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
  const body = Buffer.concat([cipher.update(data), cipher.final(), cipher.getAuthTag()]);
  return `${FORMAT}.${ALG}.${keyRef}.${nonce.toString('base64url')}.${body.toString('base64url')}`;
}

export function parseEnvelope(text: string): Envelope {
  const parts = text.split('.');
  if (parts.length !== 5 || parts[0] !== FORMAT || parts[1] !== ALG) throw new DecryptError();
  const nonce = Buffer.from(parts[3] as string, 'base64url');
  const body = Buffer.from(parts[4] as string, 'base64url');
  if (nonce.length !== NONCE_BYTES || body.length < TAG_BYTES) throw new DecryptError();
  return { keyRef: parts[2] as string, nonce, body };
}

export function open(key: Buffer, envelope: Envelope, aad: string): Buffer {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, envelope.nonce);
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(envelope.body.subarray(envelope.body.length - TAG_BYTES));
    return Buffer.concat([decipher.update(envelope.body.subarray(0, envelope.body.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new DecryptError();
  }
}
