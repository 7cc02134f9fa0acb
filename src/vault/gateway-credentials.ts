/**
 * Generates each gateway API's credentials for a new merchant (DESIGN §7). Where the real gateway has
 * the merchant make its own key pair, a supplied public key is used; otherwise a sandbox pair is made
 * here and its private half is returned once, never stored.
 */
import {
  createPublicKey,
  generateKeyPair,
  type JsonWebKey,
  type KeyObject,
  randomBytes,
  randomInt,
  randomUUID,
  X509Certificate,
} from 'node:crypto';
import { promisify } from 'node:util';
import { numericId } from '../domain/ids.ts';

const generate = promisify(generateKeyPair);

export type GatewayName = 'cybersource' | 'twoc2p' | 'alliancepay' | 'opay' | 'appotapay';
export const GATEWAYS: readonly GatewayName[] = ['cybersource', 'twoc2p', 'alliancepay', 'opay', 'appotapay'];

export interface MerchantSuppliedKeys {
  /** PEM (SPKI public key or X.509 certificate) of the merchant's 2C2P signing/encryption key. */
  twoc2pPublicKeyPem?: string;
  /** Size of the vault's own 2C2P RSA key pair: 2048 (default), 3072 or 4096 bits. */
  twoc2pVaultKeyBits?: 2048 | 3072 | 4096;
  /** The merchant's AlliancePay EC P-384 public JWK. */
  alliancepayPublicJwk?: JsonWebKey;
  /** PEM (RSA public key or X.509 certificate) of the merchant's Cybersource MLE key. */
  cybersourceMlePublicKeyPem?: string;
}

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

/** One generated credential: what is stored (public + encrypted secret) and what is shown once. */
export interface GeneratedCredential {
  gateway: GatewayName;
  lookupKey: string;
  publicData: Record<string, unknown>;
  secretData: Record<string, unknown> | null;
  shown: Record<string, unknown>;
}

export class CredentialInputError extends Error {
  override name = 'CredentialInputError';
}

const digits = (n: number): string => Array.from({ length: n }, () => randomInt(10)).join('');
/** A numeric merchant id with no leading zero, of which no part passes for a card number (it may be logged). */
const nonZeroDigits = (n: number): string => numericId(n, String(randomInt(1, 10)));
const alnum = (n: number, alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'): string =>
  Array.from({ length: n }, () => alphabet[randomInt(alphabet.length)]).join('');

export async function rsaPair(bits = 2048): Promise<{ publicPem: string; privatePem: string }> {
  const { publicKey, privateKey } = await generate('rsa', { modulusLength: bits });
  return {
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

async function ecJwkPair(kid: string): Promise<{ publicJwk: JsonWebKey; privateJwk: JsonWebKey }> {
  const { publicKey, privateKey } = await generate('ec', { namedCurve: 'P-384' });
  const meta = { use: 'enc', alg: 'ECDH-ES+A256KW', kid };
  return {
    publicJwk: { ...publicKey.export({ format: 'jwk' }), ...meta },
    privateJwk: { ...privateKey.export({ format: 'jwk' }), ...meta },
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

function importEcJwk(jwk: JsonWebKey): JsonWebKey {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: jwk, format: 'jwk' });
  } catch {
    throw new CredentialInputError('the AlliancePay public key must be an EC public JWK');
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'secp384r1') {
    throw new CredentialInputError('the AlliancePay public key must be on curve P-384');
  }
  return { ...key.export({ format: 'jwk' }), use: 'enc', alg: 'ECDH-ES+A256KW' };
}

export async function generateGatewayCredentials(supplied: MerchantSuppliedKeys = {}): Promise<GeneratedCredential[]> {
  // Validate supplied keys before any slow key generation.
  const twoc2pMerchantPublic = supplied.twoc2pPublicKeyPem ? importPublicPem(supplied.twoc2pPublicKeyPem) : null;
  const allianceMerchantPublic = supplied.alliancepayPublicJwk ? importEcJwk(supplied.alliancepayPublicJwk) : null;
  const cybersourceMlePublic = supplied.cybersourceMlePublicKeyPem ? cybersourceMleKey(supplied.cybersourceMlePublicKeyPem) : null;

  const [vault2c2p, merchant2c2p, allianceMerchant, alliancePayment, cybersourceMle] = await Promise.all([
    rsaPair(supplied.twoc2pVaultKeyBits ?? 2048),
    twoc2pMerchantPublic ? null : rsaPair(),
    allianceMerchantPublic ? null : ecJwkPair(randomUUID()),
    ecJwkPair(randomUUID()),
    cybersourceMlePublic ? null : rsaPair(),
  ]);

  const cybersource = {
    merchantId: `tv${alnum(10, 'abcdefghijkmnpqrstuvwxyz23456789')}`,
    keyId: randomUUID(),
    sharedSecret: randomBytes(32).toString('base64'),
  };
  const mle = cybersourceMlePublic ?? { keyId: numericId(20), publicKeyPem: (cybersourceMle as { publicPem: string }).publicPem };
  const twoc2pId = nonZeroDigits(15);
  const twoc2pPublicPem = twoc2pMerchantPublic
    ? twoc2pMerchantPublic.export({ type: 'spki', format: 'pem' }).toString()
    : (merchant2c2p as { publicPem: string }).publicPem;
  const alliance = { merchantId: randomUUID(), serviceCode: randomUUID() };
  const alliancePublic = allianceMerchantPublic ?? (allianceMerchant as { publicJwk: JsonWebKey }).publicJwk;
  const opay = {
    merchantId: nonZeroDigits(15),
    secretKey: `OPAYPRV${digits(13)}${randomBytes(12).toString('hex')}`,
    publicKey: `OPAYPUB${digits(13)}${randomBytes(12).toString('hex')}`,
  };
  const appota = { partnerCode: `TV${alnum(8)}`, apiKey: alnum(32), secretKey: randomBytes(24).toString('base64url') };

  return [
    {
      gateway: 'cybersource',
      lookupKey: cybersource.merchantId,
      publicData: { merchantId: cybersource.merchantId, keyId: cybersource.keyId, certificates: [], mle },
      secretData: { sharedSecret: cybersource.sharedSecret },
      shown: {
        ...cybersource,
        mleKeyId: mle.keyId,
        ...(cybersourceMle ? { mlePrivateKeyPem: cybersourceMle.privatePem } : {}),
      },
    },
    {
      gateway: 'twoc2p',
      lookupKey: twoc2pId,
      publicData: { merchantId: twoc2pId, vaultPublicKeyPem: vault2c2p.publicPem, merchantPublicKeyPem: twoc2pPublicPem },
      secretData: { vaultPrivateKeyPem: vault2c2p.privatePem },
      shown: {
        merchantId: twoc2pId,
        vaultPublicKeyPem: vault2c2p.publicPem,
        ...(merchant2c2p ? { merchantPrivateKeyPem: merchant2c2p.privatePem } : {}),
      },
    },
    {
      gateway: 'alliancepay',
      lookupKey: alliance.serviceCode,
      publicData: { ...alliance, merchantPublicJwk: alliancePublic, paymentPublicJwk: alliancePayment.publicJwk },
      secretData: { paymentPrivateJwk: alliancePayment.privateJwk },
      shown: {
        ...alliance,
        ...(allianceMerchant ? { merchantPrivateJwk: allianceMerchant.privateJwk } : {}),
        paymentPublicJwk: alliancePayment.publicJwk,
      },
    },
    {
      gateway: 'opay',
      lookupKey: opay.merchantId,
      publicData: { merchantId: opay.merchantId, publicKey: opay.publicKey },
      secretData: { secretKey: opay.secretKey },
      shown: opay,
    },
    {
      gateway: 'appotapay',
      lookupKey: appota.apiKey,
      publicData: { partnerCode: appota.partnerCode, apiKey: appota.apiKey },
      secretData: { secretKey: appota.secretKey },
      shown: appota,
    },
  ];
}
