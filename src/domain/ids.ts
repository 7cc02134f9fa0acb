/** Identifiers: prefixed, time-ordered (ULID body) so lists sort by creation without a second key. */
import { randomBytes } from 'node:crypto';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
let lastTime = 0;
let lastRandom = Buffer.alloc(10);

function encode(bytes: Buffer, chars: number): string {
  let bits = 0n;
  for (const b of bytes) bits = (bits << 8n) | BigInt(b);
  let out = '';
  for (let i = 0; i < chars; i++) {
    out = CROCKFORD[Number(bits & 31n)] + out;
    bits >>= 5n;
  }
  return out;
}

/** A 26-character ULID; monotonic within one millisecond of one process. */
export function ulid(now = Date.now()): string {
  if (now === lastTime) {
    // Increment the random part so ids made in the same millisecond still sort in creation order.
    const next = Buffer.from(lastRandom);
    for (let i = next.length - 1; i >= 0; i--) {
      next[i] = ((next[i] as number) + 1) & 0xff;
      if (next[i] !== 0) break;
    }
    lastRandom = next;
  } else {
    lastTime = now;
    lastRandom = randomBytes(10);
  }
  const time = Buffer.alloc(6);
  time.writeUIntBE(now, 0, 6);
  return encode(time, 10) + encode(lastRandom, 16);
}

export const newId = (prefix: string): string => `${prefix}_${ulid()}`;

/** An unguessable secret with a recognisable prefix, e.g. tv_sk_… */
export const newSecret = (prefix: string, bytes = 24): string => `${prefix}${randomBytes(bytes).toString('base64url')}`;
