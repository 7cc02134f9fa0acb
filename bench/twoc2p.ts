/** 2C2P's JOSE from the merchant's side (a request as a 2C2P merchant builds it) and the in-process ceiling of its route. */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { CompactEncrypt, CompactSign, compactDecrypt, compactVerify } from 'jose';

export interface Twoc2pKeys {
  merchantId: string;
  vaultPublicKeyPem: string;
  merchantPrivateKeyPem: string;
}

export async function twoc2pRequest(keys: { vaultPublic: KeyObject; merchantPrivate: KeyObject }, payload: unknown): Promise<string> {
  const jwe = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'RSA-OAEP', enc: 'A256GCM' })
    .encrypt(keys.vaultPublic);
  return new CompactSign(new TextEncoder().encode(jwe)).setProtectedHeader({ alg: 'PS256' }).sign(keys.merchantPrivate);
}

/**
 * The ceiling of a JOSE route: what the server must do per 2C2P request (verify PS256, decrypt RSA-OAEP,
 * encrypt RSA-OAEP, sign PS256), in this process on one core, with keys of the same size.
 */
export async function twoc2pRoundTripsPerSecond(seconds: number): Promise<number> {
  const merchant = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const vault = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const request = await twoc2pRequest(
    { vaultPublic: vault.publicKey, merchantPrivate: merchant.privateKey },
    { merchantID: '123456789012345', accountNo: '4111111111111111', expiry: '2030-01-31', tokenProvider: 'CC' },
  );
  const response = new TextEncoder().encode(
    JSON.stringify({ merchantID: '123456789012345', token: '211126095801122414', responseCode: '0000', responseDesc: 'Success' }),
  );
  const once = async () => {
    const { payload } = await compactVerify(request, merchant.publicKey, { algorithms: ['PS256'] });
    await compactDecrypt(new TextDecoder().decode(payload), vault.privateKey, {
      keyManagementAlgorithms: ['RSA-OAEP'],
      contentEncryptionAlgorithms: ['A256GCM'],
    });
    const jwe = await new CompactEncrypt(response).setProtectedHeader({ alg: 'RSA-OAEP', enc: 'A256GCM' }).encrypt(merchant.publicKey);
    await new CompactSign(new TextEncoder().encode(jwe)).setProtectedHeader({ alg: 'PS256', kid: '1' }).sign(vault.privateKey);
  };
  for (let i = 0; i < 50; i++) await once();
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    await once();
    n++;
  }
  return n / ((performance.now() - start) / 1000);
}
