/**
 * JOSE through `jose`, with algorithm allow-lists: nothing here accepts an algorithm it was not told to.
 * `jose` is loaded on first use, so CLI commands that open the vault do not pay for it.
 */
import { createPublicKey, type JsonWebKey } from 'node:crypto';
import type { importJWK, JWK } from 'jose';

export type RevealAlg = 'RSA-OAEP-256' | 'ECDH-ES+A256KW';

export class JwkError extends Error {
  override name = 'JwkError';
}

const EC_CURVES = new Set(['P-256', 'P-384', 'P-521']);

/** Checks a caller's public JWK and picks the key-management algorithm for it. */
export function revealAlgFor(jwk: Record<string, unknown>): RevealAlg {
  if ('d' in jwk || 'p' in jwk || 'q' in jwk || 'k' in jwk) throw new JwkError('send a public key: the JWK holds private material');
  if (jwk.use !== undefined && jwk.use !== 'enc') throw new JwkError('the JWK "use" must be "enc"');
  let alg: RevealAlg;
  if (jwk.kty === 'RSA') {
    if (typeof jwk.n !== 'string' || typeof jwk.e !== 'string') throw new JwkError('an RSA JWK needs n and e');
    if (Buffer.from(jwk.n, 'base64url').length < 256) throw new JwkError('RSA keys must be 2048 bits or more');
    alg = 'RSA-OAEP-256';
  } else if (jwk.kty === 'EC') {
    if (typeof jwk.crv !== 'string' || !EC_CURVES.has(jwk.crv)) throw new JwkError('EC keys must be on P-256, P-384 or P-521');
    if (typeof jwk.x !== 'string' || typeof jwk.y !== 'string') throw new JwkError('an EC JWK needs x and y');
    alg = 'ECDH-ES+A256KW';
  } else {
    throw new JwkError('the JWK must be an RSA or EC public key');
  }
  if (jwk.alg !== undefined && jwk.alg !== alg) throw new JwkError(`this key can only be used with ${alg}`);
  // The real key, not its encoding: leading zero bytes do not make a modulus longer, a point must lie on
  // its curve, and a public exponent below 65537 (e = 1 is no encryption at all) is refused.
  let details: ReturnType<typeof createPublicKey>['asymmetricKeyDetails'];
  try {
    details = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' }).asymmetricKeyDetails;
  } catch {
    throw new JwkError('the JWK is not a valid public key');
  }
  if (alg === 'RSA-OAEP-256') {
    if ((details?.modulusLength ?? 0) < 2048) throw new JwkError('RSA keys must be 2048 bits or more');
    const e = details?.publicExponent ?? 0n;
    if (e < 65537n || e % 2n === 0n) throw new JwkError('the RSA public exponent must be odd and at least 65537');
  }
  return alg;
}

/** Imports the key now, so a malformed one is refused before any card data is read. */
export async function importRecipient(
  jwk: Record<string, unknown>,
): Promise<{ alg: RevealAlg; key: Awaited<ReturnType<typeof importJWK>> }> {
  const alg = revealAlgFor(jwk);
  try {
    const { importJWK } = await import('jose');
    return { alg, key: await importJWK(jwk as JWK, alg) };
  } catch {
    throw new JwkError('the JWK could not be imported');
  }
}

/** A compact JWE (alg as chosen, enc A256GCM) of a JSON payload, readable only with the recipient's private key. */
export async function encryptJson(payload: unknown, recipient: Awaited<ReturnType<typeof importRecipient>>, kid?: string): Promise<string> {
  const { CompactEncrypt } = await import('jose');
  return new CompactEncrypt(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: recipient.alg, enc: 'A256GCM', cty: 'application/json', ...(kid ? { kid } : {}) })
    .encrypt(recipient.key);
}
