/** The fixture every scenario run starts from, made through the HTTP API as a merchant would. */
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomInt } from 'node:crypto';
import { compactDecrypt } from 'jose';
import type { AllianceCredentials } from '../test/gateways/alliancepay/helpers.ts';
import { type AlliancePool, createPool, openSession } from './alliancepay.ts';
import { panAt } from './bulk.ts';
import { CUSTOMER_CARDS, RETRIEVE_CARDS, REVEAL_CHECKS, TWOC2P_BODIES } from './options.ts';
import { type Twoc2pKeys, twoc2pRequest } from './twoc2p.ts';

/** Distinct 16-digit Visa numbers: 4 + a per-run 5-digit prefix + a 9-digit counter + check digit. */
export function visaPans(prefix: string, count: number): string[] {
  const start = randomInt(0, 1_000_000_000 - count);
  return Array.from({ length: count }, (_, i) => panAt({ prefix, length: 16 }, start + i));
}

/** One call to the API during setup, with the status it must answer. */
export async function call<T>(base: string, token: string, method: string, urlPath: string, body: unknown, expect: number): Promise<T> {
  const res = await fetch(base + urlPath, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (res.status !== expect) throw new Error(`setup: ${method} ${urlPath} → ${res.status} (expected ${expect}): ${text.slice(0, 500)}`);
  return JSON.parse(text) as T;
}

export async function inBatches<T>(count: number, parallel: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        const i = next++;
        out[i] = await fn(i);
      }
    }),
  );
  return out;
}

export interface Fixtures {
  merchantId: string;
  apiKey: string;
  customerId: string;
  tokens: string[];
  /** Ready-made 2C2P add requests (JWS over JWE), built as a 2C2P merchant builds them. */
  twoc2pBodies: string[];
  /** Prepared AlliancePay token creates of one session, topped up before each run. */
  alliancePool: AlliancePool;
  cybersource: { merchantId: string; keyId: string; sharedSecret: string };
  opay: { merchantId: string; secretKey: string };
  appotapay: { partnerCode: string; apiKey: string; secretKey: string };
}

export type MerchantCreated = {
  id: string;
  apiKey: string;
  gateways: { twoc2p: Twoc2pKeys; alliancepay: AllianceCredentials } & Pick<Fixtures, 'cybersource' | 'opay' | 'appotapay'>;
};

/**
 * One request at a time: setup is not measured, and with several workers on SQLite concurrent writes
 * can be refused (503); the tokenize scenario is where that shows, loudly.
 */
export async function setup(base: string, adminToken: string, pans: () => string, expYear: number): Promise<Fixtures> {
  const merchant = await call<MerchantCreated>(base, adminToken, 'POST', '/v1/admin/merchants', { name: 'bench' }, 201);
  const t = merchant.gateways.twoc2p;
  const twoc2pKeys = { vaultPublic: createPublicKey(t.vaultPublicKeyPem), merchantPrivate: createPrivateKey(t.merchantPrivateKeyPem) };
  const twoc2pBodies = await inBatches(TWOC2P_BODIES, 1, () =>
    twoc2pRequest(twoc2pKeys, {
      merchantID: t.merchantId,
      accountNo: pans(),
      name: 'Bench',
      expiry: `${expYear}-12-31`,
      tokenProvider: 'CC',
    }),
  );
  const key = merchant.apiKey;
  const customer = await call<{ id: string }>(
    base,
    key,
    'POST',
    '/v1/customers',
    { name: 'Bench Customer', email: 'bench@example.com' },
    201,
  );
  await inBatches(CUSTOMER_CARDS, 1, () =>
    call(base, key, 'POST', '/v1/cards', { number: pans(), expMonth: 12, expYear, customer: customer.id }, 201),
  );
  const cards = await inBatches(RETRIEVE_CARDS, 1, () =>
    call<{ token: string }>(base, key, 'POST', '/v1/cards', { number: pans(), expMonth: 12, expYear }, 201),
  );
  const listed = await call<{ data: unknown[] }>(base, key, 'GET', `/v1/customers/${customer.id}/cards`, undefined, 200);
  if (listed.data.length !== CUSTOMER_CARDS)
    throw new Error(`setup: the customer lists ${listed.data.length} cards, expected ${CUSTOMER_CARDS}`);
  const g = merchant.gateways;
  const session = await openSession(base, g.alliancepay);
  return {
    merchantId: merchant.id,
    apiKey: key,
    customerId: customer.id,
    tokens: cards.map((c) => c.token),
    twoc2pBodies,
    alliancePool: createPool(g.alliancepay, session, pans, `${String(expYear % 100).padStart(2, '0')}12`),
    cybersource: g.cybersource,
    opay: g.opay,
    appotapay: g.appotapay,
  };
}

/**
 * Proof that bulk-loaded cards are stored like tokenized ones: a few are revealed through the HTTP API
 * (an API key with the reveal scope, the answer a JWE to a throwaway P-256 key) and compared.
 */
export async function revealCheck(
  base: string,
  adminToken: string,
  merchantId: string,
  sample: { token: string; pan: string }[],
): Promise<number> {
  const key = await call<{ apiKey: string }>(
    base,
    adminToken,
    'POST',
    `/v1/admin/merchants/${merchantId}/api-keys`,
    { scopes: ['reveal'], label: 'bench preload check' },
    201,
  );
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = pair.publicKey.export({ format: 'jwk' });
  let checked = 0;
  for (const s of sample.slice(0, REVEAL_CHECKS)) {
    const r = await call<{ jwe: string }>(
      base,
      key.apiKey,
      'POST',
      `/v1/cards/${s.token}/reveal`,
      { purpose: 'benchmark: check a bulk-loaded card', jwk },
      200,
    );
    const { plaintext } = await compactDecrypt(r.jwe, pair.privateKey);
    const shown = JSON.parse(new TextDecoder().decode(plaintext)) as { number?: string };
    if (shown.number !== s.pan) throw new Error(`preload: card ${s.token} reveals a different number than was loaded`);
    checked++;
  }
  return checked;
}
