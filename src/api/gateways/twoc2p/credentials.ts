/**
 * 2C2P credentials: the merchant's RSA key (it signs requests and receives encrypted answers) and the
 * vault's own RSA pair (the merchant encrypts to it; the vault signs with it).
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { CredentialInputError, nonZeroDigits, rsaPair } from '../kit/keys.ts';
import type { GatewayCredentials } from '../kit/provisioning.ts';

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
      const merchantPublicKeyPem = merchantPublic
        ? merchantPublic.export({ type: 'spki', format: 'pem' }).toString()
        : (merchant as { publicPem: string }).publicPem;
      return {
        lookupKey: merchantId,
        publicData: { merchantId, vaultPublicKeyPem: vault.publicPem, merchantPublicKeyPem },
        secretData: { vaultPrivateKeyPem: vault.privatePem },
        shown: { merchantId, vaultPublicKeyPem: vault.publicPem, ...(merchant ? { merchantPrivateKeyPem: merchant.privatePem } : {}) },
      };
    };
  },
};
