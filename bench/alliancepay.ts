/**
 * AlliancePay H2H for the benchmark: a merchant's session, a pool of prepared token-create requests and
 * the in-process ceiling of the same JOSE work.
 *
 * Every request is a compact JWE (ECDH-ES+A256KW, P-384) to the session's server key with the card number
 * and expiry nested as JWEs to the payment key: too slow for autocannon's synchronous request hook, so
 * requests are built before a run. They are single-use: `x-request_id` is unique per session and
 * `merchantRequestId` per merchant, so a pool is topped up to what a run is expected to send, and a run
 * that outgrows its pool resends a used request, which the server refuses (400), loudly.
 */
import { generateKeyPairSync, type KeyObject, randomUUID } from 'node:crypto';
import type { JWK } from 'jose';
import { decryptCompact, encryptCompact } from '../src/crypto/ecdh-es.ts';
import {
  type AllianceCredentials,
  type AllianceSession,
  apDate,
  decryptWith,
  encryptTo,
  PATHS,
} from '../test/gateways/alliancepay/helpers.ts';

export const CREATE_PATH = PATHS.create;
const CUSTOMERS = 50;

export interface PreparedRequest {
  headers: Record<string, string>;
  body: string;
}

/** POST /api-gateway/authorize_virtual_device; the answer is a JWE to the merchant's public key. */
export async function openSession(base: string, creds: AllianceCredentials): Promise<AllianceSession> {
  const res = await fetch(`${base}/api-gateway/authorize_virtual_device`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api_version': 'V1', 'x-request_id': randomUUID() },
    body: JSON.stringify({ serviceCode: creds.serviceCode }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  const parsed = JSON.parse(text) as { jwe?: string; msgCode?: string };
  if (res.status !== 200 || typeof parsed.jwe !== 'string')
    throw new Error(`setup: authorize_virtual_device → ${res.status} ${parsed.msgCode ?? text.slice(0, 200)}`);
  return JSON.parse(await decryptWith(creds.merchantPrivateJwk, parsed.jwe)) as AllianceSession;
}

/** The session headers and the JWE body of one token create for a card number. */
async function createRequest(
  creds: AllianceCredentials,
  session: AllianceSession,
  pan: string,
  expYYMM: string,
  n: number,
): Promise<PreparedRequest> {
  const [encryptedCardNumber, encryptedExpDate] = await Promise.all([
    encryptTo(creds.paymentPublicJwk, pan),
    encryptTo(creds.paymentPublicJwk, expYYMM),
  ]);
  const body = await encryptTo(
    session.serverPublic,
    JSON.stringify({
      merchantRequestId: randomUUID(),
      merchantId: creds.merchantId,
      customerId: `bench-ap-${n % CUSTOMERS}`,
      encryptedCardNumber,
      encryptedExpDate,
      date: apDate(),
    }),
  );
  return {
    headers: {
      'content-type': 'text/plain',
      'x-api_version': 'V1',
      'x-request_id': randomUUID(),
      'x-device_id': session.deviceId,
      'x-refresh_token': session.refreshToken,
    },
    body,
  };
}

/** A successful answer is `{"jwe": …}`; refusals are plain JSON, many of them with HTTP 200. */
export const isEncryptedAnswer = (body: string): boolean => body.startsWith('{"jwe":"');

/**
 * Prepared token creates, each with a card number of its own, consumed in order. `topUp(n)` makes sure
 * at least n unused ones are ready (building only the missing ones, several at a time: jose's ECDH runs
 * on libuv's threadpool); `take()` hands out the next, or — when the pool ran dry — a used one again.
 */
export function createPool(creds: AllianceCredentials, session: AllianceSession, pans: () => string, expYYMM: string) {
  const pool: PreparedRequest[] = [];
  let next = 0;
  let built = 0;
  let exhausted = 0;
  return {
    get unused() {
      return pool.length - next;
    },
    /** Requests asked for after the pool ran dry (each one sent again, refused as a duplicate). */
    get exhausted() {
      return exhausted;
    },
    async topUp(count: number, parallel = 4): Promise<{ built: number; seconds: number }> {
      const missing = Math.max(0, count - (pool.length - next));
      const started = performance.now();
      let claimed = 0;
      await Promise.all(
        Array.from({ length: Math.min(parallel, missing) }, async () => {
          while (claimed < missing) {
            claimed++;
            pool.push(await createRequest(creds, session, pans(), expYYMM, built++));
          }
        }),
      );
      return { built: missing, seconds: (performance.now() - started) / 1000 };
    },
    take(): PreparedRequest {
      if (next < pool.length) return pool[next++] as PreparedRequest;
      exhausted++;
      return pool[pool.length - 1] as PreparedRequest;
    },
    resetExhausted() {
      exhausted = 0;
    },
  };
}

export type AlliancePool = ReturnType<typeof createPool>;

/**
 * The ceiling of the AlliancePay create route: the server's JOSE work for one request — decrypt the body
 * JWE (session key), decrypt the nested card number and expiry JWEs (payment key), encrypt the answer to
 * the merchant's key — in this process, one request at a time, with the server's own code (crypto/ecdh-es.ts)
 * and P-384 keys as the server holds them (KeyObjects). Not included: the session lookup, the database and HTTP.
 * The requests themselves are made with jose, as a merchant's client would.
 */
export async function allianceRoundTripsPerSecond(seconds: number): Promise<number> {
  const pair = () => generateKeyPairSync('ec', { namedCurve: 'P-384' });
  const server = pair();
  const payment = pair();
  const merchant = pair();
  const jwk = (k: KeyObject) => k.export({ format: 'jwk' }) as JWK;
  const body = await encryptTo(
    jwk(server.publicKey),
    JSON.stringify({
      merchantRequestId: randomUUID(),
      merchantId: 'bench-merchant',
      customerId: 'bench-ap-0',
      encryptedCardNumber: await encryptTo(jwk(payment.publicKey), '4111111111111111'),
      encryptedExpDate: await encryptTo(jwk(payment.publicKey), '3012'),
      date: apDate(),
    }),
  );
  const answer = new TextEncoder().encode(
    JSON.stringify({
      customerId: 'bench-ap-0',
      token: 'AAAAAAAAAAAAAAAAAAAAAAAA',
      maskedPan: '411111••••••1111',
      merchantId: 'bench-merchant',
      status: 'ACTIVE',
    }),
  );
  const once = async () => {
    const fields = JSON.parse(decryptCompact(body, server.privateKey).toString()) as {
      encryptedCardNumber: string;
      encryptedExpDate: string;
    };
    decryptCompact(fields.encryptedCardNumber, payment.privateKey);
    decryptCompact(fields.encryptedExpDate, payment.privateKey);
    await encryptCompact(answer, merchant.publicKey);
  };
  for (let i = 0; i < 20; i++) await once();
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    await once();
    n++;
  }
  return n / ((performance.now() - start) / 1000);
}
