/**
 * Cybersource credentials: an HTTP Signature / HS256 shared secret under a key id, the certificates the
 * merchant registers for RS256 JWTs, and the MLE key unmasked retrievals are encrypted to.
 */
import { createPublicKey, type KeyObject, randomBytes, randomUUID, X509Certificate } from 'node:crypto';
import { numericId } from '../../../domain/ids.ts';
import { alnum, CredentialInputError, keyRefusal, rsaAtLeast2048, rsaPair, subjectSerialNumber } from '../kit/keys.ts';
import type { GatewayCredentials, KeyRotation } from '../kit/provisioning.ts';

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

interface CybersourceKeyChange {
  certificatePem?: string;
  mlePublicKeyPem?: string;
  mleKeyId?: string;
  removeMleKey?: boolean;
}

/** The MLE key after a change: removed, replaced, renamed, or as it was. */
function changedMle(current: unknown, c: CybersourceKeyChange): unknown {
  if (c.removeMleKey) return null;
  if (c.mlePublicKeyPem !== undefined) return cybersourceMleKey(c.mlePublicKeyPem, c.mleKeyId);
  if (c.mleKeyId === undefined) return current;
  if (!current) throw new CredentialInputError('there is no MLE key to rename: send mlePublicKeyPem');
  return cybersourceMleKey((current as { publicKeyPem: string }).publicKeyPem, c.mleKeyId);
}

const pemString = (maxLength: number) => ({ type: 'string', minLength: 1, maxLength });

/**
 * Registers a certificate for Cybersource RS256 JWTs (one with the same kid is replaced) and/or sets or
 * removes the merchant's MLE public key.
 */
const keys: KeyRotation = {
  async apply(current, change) {
    const c = change as CybersourceKeyChange;
    const publicData: Record<string, unknown> = { ...current.publicData };
    let certificates = (publicData.certificates as CybersourceCertificate[] | undefined) ?? [];
    try {
      if (c.certificatePem !== undefined) {
        const cert = cybersourceCertificate(c.certificatePem);
        certificates = [...certificates.filter((k) => k.kid !== cert.kid), cert];
      }
      publicData.mle = changedMle(publicData.mle, c);
    } catch (e) {
      return keyRefusal(e);
    }
    publicData.certificates = certificates;
    const mleChanged = c.mlePublicKeyPem !== undefined || c.mleKeyId !== undefined;
    const mle = publicData.mle as { keyId: string } | null;
    return {
      publicData,
      audit: { certificate: c.certificatePem !== undefined, mleKey: c.removeMleKey ? 'removed' : mleChanged ? 'set' : 'unchanged' },
      answer: {
        merchantId: publicData.merchantId,
        keyId: publicData.keyId,
        certificates: certificates.map((k) => ({ kid: k.kid, sha256: k.sha256 })),
        mleKeyId: mle?.keyId ?? null,
      },
    };
  },
  admin: {
    operationId: 'updateCybersourceKeys',
    summary: "Register a certificate for Cybersource RS256 JWTs, and/or set or remove the merchant's MLE key",
    description:
      "A certificate's kid is its subject serialNumber (what the official SDK sends), else its serial. The MLE key encrypts unmasked retrievals.",
    body: {
      type: 'object',
      properties: {
        certificatePem: pemString(20000),
        mlePublicKeyPem: pemString(20000),
        mleKeyId: { type: 'string', minLength: 1, maxLength: 64 },
        removeMleKey: { type: 'boolean', const: true },
      },
      additionalProperties: false,
      minProperties: 1,
    },
    response: {
      type: 'object',
      required: ['merchantId', 'keyId', 'certificates', 'mleKeyId'],
      properties: {
        merchantId: { type: 'string' },
        keyId: { type: 'string' },
        certificates: {
          type: 'array',
          items: { type: 'object', required: ['kid', 'sha256'], properties: { kid: { type: 'string' }, sha256: { type: 'string' } } },
        },
        mleKeyId: { anyOf: [{ type: 'string' }, { type: 'null' }] },
      },
    },
  },
  cli: {
    description: "Register a certificate for Cybersource RS256 JWTs, and/or set or remove the merchant's Cybersource MLE key.",
    options: [
      {
        field: 'certificatePem',
        cli: {
          flag: '--certificate <file>',
          description: "PEM X.509 certificate whose key signs the merchant's JWTs (kid = its subject serialNumber)",
          read: 'file-text',
        },
      },
      {
        field: 'mlePublicKeyPem',
        cli: {
          flag: '--mle-public-key <file>',
          description: 'PEM public key or certificate that unmasked retrievals are encrypted to',
          read: 'file-text',
        },
      },
      {
        field: 'mleKeyId',
        cli: {
          flag: '--mle-key-id <id>',
          description: 'the kid of the MLE key (default: the certificate subject serialNumber, else generated)',
          read: 'text',
        },
      },
      {
        field: 'removeMleKey',
        cli: { flag: '--remove-mle-key', description: 'remove the MLE key (unmasked retrieval is then refused)', read: 'flag' },
      },
    ],
    missing: 'give --certificate FILE, --mle-public-key FILE, --mle-key-id ID or --remove-mle-key',
  },
};

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
  keys,
};
