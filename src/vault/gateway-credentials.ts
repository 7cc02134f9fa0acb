/** Key checks the merchant service's key changes use (until they move into the gateways' key hooks). */
import { createPublicKey, generateKeyPair, type KeyObject, X509Certificate } from 'node:crypto';
import { promisify } from 'node:util';
import { numericId } from '../domain/ids.ts';

const generate = promisify(generateKeyPair);

/** A registered Cybersource key: the JWT signing certificate, or the MLE (response encryption) key. */
export interface CybersourceCertificate {
  kid: string;
  sha256: string;
  pem: string;
}

/**
 * Reads a certificate the merchant registers for Cybersource RS256 JWTs. Its kid is the subject's
 * serialNumber attribute (what the official SDK sends as the JWT kid), else the certificate serial.
 */
export function cybersourceCertificate(pem: string): CybersourceCertificate {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch {
    throw new CredentialInputError('the certificate must be a PEM X.509 certificate');
  }
  rsaAtLeast2048(cert.publicKey, 'the certificate');
  return {
    kid: subjectSerialNumber(cert) ?? cert.serialNumber,
    sha256: cert.fingerprint256.replaceAll(':', '').toLowerCase(),
    pem: cert.toString(),
  };
}

/** The serialNumber attribute of a certificate's subject, if it has one. */
function subjectSerialNumber(cert: X509Certificate): string | null {
  for (const line of cert.subject.split('\n')) {
    const m = /^serialNumber=(.+)$/.exec(line.trim());
    if (m) return m[1] as string;
  }
  return null;
}

function rsaAtLeast2048(key: KeyObject, what: string): void {
  if (key.asymmetricKeyType !== 'rsa' || (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) {
    throw new CredentialInputError(`${what} must hold an RSA key of 2048 bits or more`);
  }
}

/** The merchant's MLE public key (PEM key or certificate) and the kid it goes by. */
export function cybersourceMleKey(pem: string, kid?: string): { keyId: string; publicKeyPem: string } {
  let key: KeyObject;
  let certKid: string | null = null;
  try {
    if (pem.includes('BEGIN CERTIFICATE')) {
      const cert = new X509Certificate(pem);
      key = cert.publicKey;
      certKid = subjectSerialNumber(cert) ?? cert.serialNumber;
    } else {
      key = createPublicKey(pem);
    }
  } catch {
    throw new CredentialInputError('the MLE key must be a PEM public key or X.509 certificate');
  }
  rsaAtLeast2048(key, 'the MLE key');
  if (kid !== undefined && !/^[\x21-\x7e]{1,64}$/.test(kid))
    throw new CredentialInputError('the MLE key id must be 1-64 printable characters');
  return { keyId: kid ?? certKid ?? numericId(20), publicKeyPem: key.export({ type: 'spki', format: 'pem' }).toString() };
}

export class CredentialInputError extends Error {
  override name = 'CredentialInputError';
}

export async function rsaPair(bits = 2048): Promise<{ publicPem: string; privatePem: string }> {
  const { publicKey, privateKey } = await generate('rsa', { modulusLength: bits });
  return {
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

export function importPublicPem(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    throw new CredentialInputError('the 2C2P public key must be a PEM public key or X.509 certificate');
  }
  if (key.asymmetricKeyType !== 'rsa' || (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) {
    throw new CredentialInputError('the 2C2P public key must be RSA, 2048 bits or more');
  }
  return key;
}
