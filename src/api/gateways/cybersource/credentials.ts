/**
 * Cybersource credentials: an HTTP Signature / HS256 shared secret under a key id, the certificates the
 * merchant registers for RS256 JWTs, and the MLE key unmasked retrievals are encrypted to.
 */
import { createPublicKey, type KeyObject, randomBytes, randomUUID, X509Certificate } from 'node:crypto';
import { numericId } from '../../../domain/ids.ts';
import { alnum, CredentialInputError, rsaAtLeast2048, rsaPair, subjectSerialNumber } from '../kit/keys.ts';
import type { GatewayCredentials } from '../kit/provisioning.ts';

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

export const credentials: GatewayCredentials = {
  supplied: [
    {
      field: 'cybersourceMlePublicKeyPem',
      schema: {
        type: 'string',
        minLength: 1,
        maxLength: 10000,
        description: "Merchant's Cybersource MLE public key or certificate; generated when absent",
      },
      cli: {
        flag: '--cybersource-mle-public-key <file>',
        description: "PEM file with the merchant's Cybersource MLE public key or certificate (else generated)",
        read: 'file-text',
      },
    },
  ],
  prepare(supplied) {
    const pem = supplied.cybersourceMlePublicKeyPem as string | undefined;
    const suppliedMle = pem ? cybersourceMleKey(pem) : null;
    return async () => {
      const generated = suppliedMle ? null : await rsaPair();
      const cybersource = {
        merchantId: `tv${alnum(10, 'abcdefghijkmnpqrstuvwxyz23456789')}`,
        keyId: randomUUID(),
        sharedSecret: randomBytes(32).toString('base64'),
      };
      const mle = suppliedMle ?? { keyId: numericId(20), publicKeyPem: (generated as { publicPem: string }).publicPem };
      return {
        lookupKey: cybersource.merchantId,
        publicData: { merchantId: cybersource.merchantId, keyId: cybersource.keyId, certificates: [], mle },
        secretData: { sharedSecret: cybersource.sharedSecret },
        shown: { ...cybersource, mleKeyId: mle.keyId, ...(generated ? { mlePrivateKeyPem: generated.privatePem } : {}) },
      };
    };
  },
};
