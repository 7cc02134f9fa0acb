/**
 * 2C2P credentials: the merchant's RSA key (it signs requests and receives encrypted answers) and the
 * vault's own RSA pair (the merchant encrypts to it; the vault signs with it).
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { CredentialInputError, keyRefusal, nonZeroDigits, rsaPair } from '../kit/keys.ts';
import type { GatewayCredentials, KeyRotation } from '../kit/provisioning.ts';

export type Twoc2pKeyBits = 2048 | 3072 | 4096;

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

const spkiPem = (key: KeyObject): string => key.export({ type: 'spki', format: 'pem' }).toString();

/**
 * Registers (or replaces) the merchant's 2C2P public key, and/or makes the vault a new 2C2P key pair of the
 * given size. The previous vault private key stays usable for decryption until the next rotation, so
 * requests already encrypted to it still succeed.
 */
const keys: KeyRotation = {
  async apply(current, change) {
    const c = change as { merchantPublicKeyPem?: string; rotateVaultKey?: Twoc2pKeyBits };
    let merchantPublicKeyPem = current.publicData.merchantPublicKeyPem as string;
    if (c.merchantPublicKeyPem !== undefined) {
      try {
        merchantPublicKeyPem = spkiPem(importPublicPem(c.merchantPublicKeyPem));
      } catch (e) {
        return keyRefusal(e);
      }
    }
    const publicData: Record<string, unknown> = { ...current.publicData, merchantPublicKeyPem };
    let secretData: Record<string, unknown> | undefined;
    if (c.rotateVaultKey) {
      const [pair, old] = await Promise.all([rsaPair(c.rotateVaultKey), current.secret()]);
      publicData.vaultPublicKeyPem = pair.publicPem;
      secretData = { vaultPrivateKeyPem: pair.privatePem, previousVaultPrivateKeyPem: old?.vaultPrivateKeyPem ?? null };
    }
    return {
      publicData,
      ...(secretData ? { secretData } : {}),
      audit: { merchantKey: c.merchantPublicKeyPem !== undefined, vaultKeyBits: c.rotateVaultKey ?? null },
      answer: { vaultPublicKeyPem: publicData.vaultPublicKeyPem, merchantPublicKeyPem },
    };
  },
  admin: {
    operationId: 'updateTwoc2pKeys',
    summary: "Register the merchant's 2C2P public key and/or rotate the vault's 2C2P key pair",
    description: 'The previous vault key keeps decrypting requests already encrypted to it until the next rotation.',
    body: {
      type: 'object',
      properties: {
        merchantPublicKeyPem: { type: 'string', minLength: 1, maxLength: 10000 },
        rotateVaultKey: { anyOf: [2048, 3072, 4096].map((bits) => ({ type: 'number', const: bits })) },
      },
      additionalProperties: false,
      minProperties: 1,
    },
    response: {
      type: 'object',
      required: ['vaultPublicKeyPem', 'merchantPublicKeyPem'],
      properties: { vaultPublicKeyPem: { type: 'string' }, merchantPublicKeyPem: { type: 'string' } },
    },
  },
  cli: {
    description: "Register the merchant's 2C2P public key and/or rotate the vault's 2C2P key pair; prints both public keys.",
    options: [
      {
        field: 'merchantPublicKeyPem',
        cli: { flag: '--public-key <file>', description: "PEM file with the merchant's new 2C2P public key", read: 'file-text' },
      },
      {
        field: 'rotateVaultKey',
        cli: {
          flag: '--rotate-vault-key <bits>',
          description: 'make a new vault key pair of this size',
          read: 'number',
          choices: ['2048', '3072', '4096'],
        },
      },
    ],
    missing: 'give --public-key FILE and/or --rotate-vault-key BITS',
  },
  reads: [
    {
      path: 'vault-public-key',
      operationId: 'getTwoc2pVaultPublicKey',
      summary: "The vault's 2C2P public key (PEM) for the merchant to encrypt to",
      response: {
        description: 'The PEM of the public key',
        contentType: 'application/x-pem-file',
        schema: { type: 'string', pattern: '^-----BEGIN PUBLIC KEY-----' },
      },
      read: (publicData) => publicData.vaultPublicKeyPem as string,
    },
  ],
};

export const credentials: GatewayCredentials = {
  supplied: [
    {
      field: 'twoc2pPublicKeyPem',
      schema: { type: 'string', minLength: 1, maxLength: 10000, description: "Merchant's 2C2P public key; generated when absent" },
      cli: {
        flag: '--twoc2p-public-key <file>',
        description: "PEM file with the merchant's 2C2P public key (else a sandbox pair is generated)",
        read: 'file-text',
      },
    },
    {
      field: 'twoc2pVaultKeyBits',
      cli: {
        flag: '--twoc2p-key-size <bits>',
        description: "size of the vault's 2C2P RSA key pair",
        read: 'number',
        choices: ['2048', '3072', '4096'],
        default: '2048',
      },
    },
  ],
  prepare(supplied) {
    const pem = supplied.twoc2pPublicKeyPem as string | undefined;
    const merchantPublic = pem ? importPublicPem(pem) : null;
    const bits = (supplied.twoc2pVaultKeyBits as Twoc2pKeyBits | undefined) ?? 2048;
    return async () => {
      const [vault, merchant] = await Promise.all([rsaPair(bits), merchantPublic ? null : rsaPair()]);
      const merchantId = nonZeroDigits(15);
      const merchantPublicKeyPem = merchantPublic ? spkiPem(merchantPublic) : (merchant as { publicPem: string }).publicPem;
      return {
        lookupKey: merchantId,
        publicData: { merchantId, vaultPublicKeyPem: vault.publicPem, merchantPublicKeyPem },
        secretData: { vaultPrivateKeyPem: vault.privatePem },
        shown: { merchantId, vaultPublicKeyPem: vault.publicPem, ...(merchant ? { merchantPrivateKeyPem: merchant.privatePem } : {}) },
      };
    };
  },
  keys,
};
