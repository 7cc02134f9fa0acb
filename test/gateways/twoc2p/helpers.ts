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
