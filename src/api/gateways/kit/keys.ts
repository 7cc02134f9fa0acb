/**
 * Key material the gateways generate and check when provisioning (light: node:crypto only).
 */
import { generateKeyPair, type JsonWebKey, type KeyObject, randomInt, type X509Certificate } from 'node:crypto';
import { promisify } from 'node:util';
import { numericId } from '../../../domain/ids.ts';
import type { KeyRefusal } from '../../../vault/gateway-hooks.ts';

const generate = promisify(generateKeyPair);

/** A key the merchant supplied that cannot be used; its message is shown to the operator. */
export class CredentialInputError extends Error {
  override name = 'CredentialInputError';
}

/** A key change's refusal: the message of a CredentialInputError, else one that says nothing more. */
export const keyRefusal = (e: unknown): KeyRefusal => ({
  refused: e instanceof CredentialInputError ? e.message : 'the key is not usable',
});

export const digits = (n: number): string => Array.from({ length: n }, () => randomInt(10)).join('');
/** A numeric merchant id with no leading zero, of which no part passes for a card number (it may be logged). */
export const nonZeroDigits = (n: number): string => numericId(n, String(randomInt(1, 10)));
export const alnum = (n: number, alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'): string =>
  Array.from({ length: n }, () => alphabet[randomInt(alphabet.length)]).join('');

export async function rsaPair(bits = 2048): Promise<{ publicPem: string; privatePem: string }> {
  const { publicKey, privateKey } = await generate('rsa', { modulusLength: bits });
  return {
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

export async function ecJwkPair(
  namedCurve: string,
  meta: Record<string, string>,
): Promise<{ publicJwk: JsonWebKey; privateJwk: JsonWebKey }> {
  const { publicKey, privateKey } = await generate('ec', { namedCurve });
  return {
    publicJwk: { ...publicKey.export({ format: 'jwk' }), ...meta },
    privateJwk: { ...privateKey.export({ format: 'jwk' }), ...meta },
  };
}

export function rsaAtLeast2048(key: KeyObject, what: string): void {
  if (key.asymmetricKeyType !== 'rsa' || (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) {
    throw new CredentialInputError(`${what} must hold an RSA key of 2048 bits or more`);
  }
}

/** The serialNumber attribute of a certificate's subject, if it has one. */
export function subjectSerialNumber(cert: X509Certificate): string | null {
  for (const line of cert.subject.split('\n')) {
    const m = /^serialNumber=(.+)$/.exec(line.trim());
    if (m) return m[1] as string;
  }
  return null;
}
