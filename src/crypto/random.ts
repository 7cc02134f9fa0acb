/**
 * Random bytes for identifiers and nonces, from the operating system's CSPRNG through a pool refilled 4 KiB
 * at a time. A call of `crypto.randomBytes` costs a few microseconds whatever its size (a crypto job each
 * time), and a tokenize draws several small values (token, identifier, nonce): one pool serves them all.
 * Each value is copied out and its bytes in the pool are zeroed, so no value is ever handed out twice or
 * left behind in the pool. Keys are not drawn from here: they are rare and come from randomBytes itself.
 */
import { randomFillSync } from 'node:crypto';

const POOL = Buffer.alloc(4096);
let at = POOL.length;

/** A new buffer of `n` random bytes (n ≤ 256). */
export function randomPooled(n: number): Buffer<ArrayBuffer> {
  if (!Number.isInteger(n) || n < 0 || n > 256) throw new RangeError(`randomPooled: ${n} bytes`);
  if (at + n > POOL.length) {
    randomFillSync(POOL);
    at = 0;
  }
  const out = Buffer.allocUnsafe(n);
  POOL.copy(out, 0, at, at + n);
  POOL.fill(0, at, at + n);
  at += n;
  return out;
}

/** One random byte, as a number (for digit draws that take a byte at a time). */
export function randomByte(): number {
  if (at === POOL.length) {
    randomFillSync(POOL);
    at = 0;
  }
  const b = POOL[at] as number;
  POOL[at++] = 0;
  return b;
}
