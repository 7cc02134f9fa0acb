/**
 * Generates each gateway API's credentials for a new merchant (DESIGN §7). Where the real gateway has
 * the merchant make its own key pair, a supplied public key is used; otherwise a sandbox pair is made
 * here and its private half is returned once, never stored.
 */
import { createPublicKey, generateKeyPair, type JsonWebKey, type KeyObject, randomBytes, randomInt, randomUUID } from 'node:crypto';
import { promisify } from 'node:util';

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
const nonZeroDigits = (n: number): string => `${randomInt(1, 10)}${digits(n - 1)}`;
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

  const [vault2c2p, merchant2c2p, allianceMerchant, alliancePayment] = await Promise.all([
    rsaPair(supplied.twoc2pVaultKeyBits ?? 2048),
    twoc2pMerchantPublic ? null : rsaPair(),
    allianceMerchantPublic ? null : ecJwkPair(randomUUID()),
    ecJwkPair(randomUUID()),
  ]);

  const cybersource = {
    merchantId: `tv${alnum(10, 'abcdefghijkmnpqrstuvwxyz23456789')}`,
    keyId: randomUUID(),
    sharedSecret: randomBytes(32).toString('base64'),
  };
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
      publicData: { merchantId: cybersource.merchantId, keyId: cybersource.keyId },
      secretData: { sharedSecret: cybersource.sharedSecret },
      shown: cybersource,
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
