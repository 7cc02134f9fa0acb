/** A 2C2P merchant's side of the wire: JWE(RSA-OAEP, A256GCM) to the vault key, inside a JWS(PS256). */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { CompactEncrypt, CompactSign, compactDecrypt, compactVerify } from 'jose';
import type { TestApp, TestMerchant } from '../../helpers/harness.ts';

export interface Twoc2pClient {
  merchantID: string;
  merchantPrivate: KeyObject;
  vaultPublic: KeyObject;
  call(
    op: 'add' | 'update' | 'get' | 'delete',
    payload: unknown,
    opts?: { json?: boolean },
  ): Promise<{ status: number; body: string; json: Record<string, unknown> | null }>;
}

export async function buildRequest(
  payload: unknown,
  vaultPublic: KeyObject,
  merchantPrivate: KeyObject,
  header: Record<string, unknown> = {},
): Promise<string> {
  const jwe = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'RSA-OAEP', enc: 'A256GCM' })
    .encrypt(vaultPublic);
  return new CompactSign(new TextEncoder().encode(jwe)).setProtectedHeader({ alg: 'PS256', ...header }).sign(merchantPrivate);
}

export async function openResponse(jws: string, vaultPublic: KeyObject, merchantPrivate: KeyObject): Promise<Record<string, unknown>> {
  const { payload, protectedHeader } = await compactVerify(jws, vaultPublic, { algorithms: ['PS256'] });
  if (protectedHeader.alg !== 'PS256') throw new Error('unexpected alg');
  const { plaintext } = await compactDecrypt(new TextDecoder().decode(payload), merchantPrivate, {
    keyManagementAlgorithms: ['RSA-OAEP'],
    contentEncryptionAlgorithms: ['A256GCM'],
  });
  return JSON.parse(new TextDecoder().decode(plaintext));
}

export function twoc2pClient(t: TestApp, m: TestMerchant): Twoc2pClient {
  const g = (m.credentials.gateways as Record<string, Record<string, string>>).twoc2p as Record<string, string>;
  const merchantPrivate = createPrivateKey(g.merchantPrivateKeyPem as string);
  const vaultPublic = createPublicKey(g.vaultPublicKeyPem as string);
  return {
    merchantID: g.merchantId as string,
    merchantPrivate,
    vaultPublic,
    async call(op, payload, opts = {}) {
      const jws = await buildRequest(payload, vaultPublic, merchantPrivate);
      const res = await t.app.inject({
        method: 'POST',
        url: `/customertoken/3.0/CustomerToken/${op}`,
        headers: { 'content-type': opts.json ? 'application/json' : 'text/plain' },
        payload: opts.json ? JSON.stringify({ payload: jws }) : jws,
      });
      let json: Record<string, unknown> | null = null;
      if (res.statusCode === 200) json = await openResponse(res.body, vaultPublic, merchantPrivate);
      return { status: res.statusCode, body: res.body, json };
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Small helpers for the happy, error and security files.

export type Twoc2pOp = 'add' | 'update' | 'get' | 'delete';

/** A client for explicit keys: after a merchant key replacement or a vault key rotation. */
export function twoc2pClientWith(t: TestApp, merchantID: string, merchantPrivate: KeyObject, vaultPublic: KeyObject): Twoc2pClient {
  return {
    merchantID,
    merchantPrivate,
    vaultPublic,
    async call(op, payload, opts = {}) {
      const jws = await buildRequest(payload, vaultPublic, merchantPrivate);
      const res = await postRaw(t, op, opts.json ? JSON.stringify({ payload: jws }) : jws, opts.json ? 'application/json' : 'text/plain');
      let json: Record<string, unknown> | null = null;
      if (res.statusCode === 200) json = await openResponse(res.body, vaultPublic, merchantPrivate);
      return { status: res.statusCode, body: res.body, json };
    },
  };
}

/** Posts a body exactly as given, as a client that builds (or forges) its own message would. */
export function postRaw(t: TestApp, op: Twoc2pOp, body: string, contentType = 'text/plain') {
  return t.app.inject({
    method: 'POST',
    url: `/customertoken/3.0/CustomerToken/${op}`,
    headers: { 'content-type': contentType },
    payload: body,
  });
}

/** A request over any plaintext (not necessarily JSON), with chosen JWE/JWS headers and keys. */
export async function buildRawRequest(
  plaintext: string,
  encryptTo: KeyObject | Uint8Array,
  signWith: KeyObject | Uint8Array,
  opts: { jwe?: { alg: string; enc: string }; jws?: Record<string, unknown> & { alg: string } } = {},
): Promise<string> {
  const jwe = await new CompactEncrypt(new TextEncoder().encode(plaintext))
    .setProtectedHeader(opts.jwe ?? { alg: 'RSA-OAEP', enc: 'A256GCM' })
    .encrypt(encryptTo);
  return new CompactSign(new TextEncoder().encode(jwe)).setProtectedHeader(opts.jws ?? { alg: 'PS256' }).sign(signWith);
}

/**
 * Gives a test merchant a chosen 2C2P merchantID (e.g. the seed's 458458000000000), so the seed's payloads
 * can be sent exactly as printed. Call it before the app sees any 2C2P request for this merchant.
 */
export async function setTwoc2pMerchantId(t: TestApp, m: TestMerchant, merchantID: string): Promise<Twoc2pClient> {
  const db = t.vault.store.db;
  const row = await db
    .selectFrom('gateway_credentials')
    .select(['id', 'public_data'])
    .where('merchant_id', '=', m.id)
    .where('gateway', '=', 'twoc2p')
    .executeTakeFirstOrThrow();
  const publicData = { ...JSON.parse(row.public_data), merchantId: merchantID };
  await db
    .updateTable('gateway_credentials')
    .set({ lookup_key: merchantID, public_data: JSON.stringify(publicData) })
    .where('id', '=', row.id)
    .execute();
  const c = twoc2pClient(t, m);
  return twoc2pClientWith(t, merchantID, c.merchantPrivate, c.vaultPublic);
}

/** Every row a 2C2P request could write, to prove that a refused one wrote nothing. */
export async function snapshotRows(t: TestApp) {
  const db = t.vault.store.db;
  return {
    cards: await db.selectFrom('cards').selectAll().orderBy('id').execute(),
    instruments: await db.selectFrom('instrument_identifiers').selectAll().orderBy('id').execute(),
    credentials: await db.selectFrom('gateway_credentials').selectAll().orderBy('id').execute(),
    // Refused authentications are audited (auth.failed); anything else a refused request appended would count.
    auditEvents: Number(
      (
        await db
          .selectFrom('audit_events')
          .select(db.fn.countAll().as('n'))
          .where('action', 'not in', ['auth.failed', 'auth.locked'])
          .executeTakeFirstOrThrow()
      ).n,
    ),
  };
}

/** Calls fn until done() holds or `ms` pass (a cache that reloads on its own clock), returning the last value. */
export async function pollFor<T>(fn: () => Promise<T>, done: (v: T) => boolean, ms = 6_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (done(v) || Date.now() >= end) return v;
    await new Promise((r) => setTimeout(r, 250));
  }
}
