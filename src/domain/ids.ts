/** Identifiers: prefixed, time-ordered (ULID body) so lists sort by creation without a second key. */
import { randomBytes } from 'node:crypto';
import { randomByte, randomPooled } from '../crypto/random.ts';
import { isFreeOfCardNumbers } from './pan-detector.ts';

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
    lastRandom = randomPooled(10);
  }
  const time = Buffer.alloc(6);
  time.writeUIntBE(now, 0, 6);
  return encode(time, 10) + encode(lastRandom, 16);
}

export const newId = (prefix: string): string => `${prefix}_${ulid()}`;

/** An unguessable secret with a recognisable prefix, e.g. tv_sk_… */
export const newSecret = (prefix: string, bytes = 24): string => `${prefix}${randomBytes(bytes).toString('base64url')}`;

/**
 * A numeric id (Cybersource's 19-digit instrument identifiers, 22-digit payment ids, gateway merchant ids) in
 * which no part can be taken for a card number, by our detector or by a PAN scanner looking at every window
 * (isFreeOfCardNumbers), so logs and the audit chain keep it as it is. Drawn again until that holds.
 */
export function numericId(length: number, prefix = ''): string {
  for (;;) {
    const id = prefix + randomDigits(length - prefix.length);
    if (isFreeOfCardNumbers(id)) return id;
  }
}

/**
 * n uniformly random decimal digits: one random byte per digit, bytes >= 250 skipped (no modulo bias). The
 * bytes come from the shared pool (crypto/random.ts): an id takes ~20 draws.
 */
function randomDigits(n: number): string {
  let out = '';
  while (out.length < n) {
    const b = randomByte();
    if (b < 250) out += String.fromCharCode(48 + (b % 10));
  }
  return out;
}

/** Instrument identifiers: 19 digits starting 70, as Cybersource's TMS issues them. */
export const instrumentIdentifierId = (): string => numericId(19, '70');

/**
 * 32 upper-case hex digits, as TMS issues customer, payment instrument and shipping address ids and (in its
 * published example) a bank account's instrument identifier; drawn again until no digit run in it can be
 * taken for a card number.
 */
export function hexId32(): string {
  for (;;) {
    const id = randomPooled(16).toString('hex').toUpperCase();
    if (isFreeOfCardNumbers(id)) return id;
  }
}

/** A bank account's instrument identifier (TMS example: `A7A91A2CA872B272E05340588D0A0699`). */
export const bankInstrumentIdentifierId = hexId32;
