/**
 * AlliancePay credentials: the merchant's EC P-384 key (it signs and receives encrypted answers; supplied or
 * generated) and the vault's payment key the merchant encrypts card data to.
 */
import { createPublicKey, type JsonWebKey, type KeyObject, randomUUID } from 'node:crypto';
import { CredentialInputError, ecJwkPair } from '../kit/keys.ts';
import type { GatewayCredentials } from '../kit/provisioning.ts';

const pair = (kid: string) => ecJwkPair('P-384', { use: 'enc', alg: 'ECDH-ES+A256KW', kid });

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

export const credentials: GatewayCredentials = {
  supplied: [
    {
      field: 'alliancepayPublicJwk',
      schema: {
        type: 'object',
        additionalProperties: true,
        description: "Merchant's AlliancePay EC P-384 public JWK; generated when absent",
      },
      cli: {
        flag: '--alliancepay-public-jwk <file>',
        description: "JSON file with the merchant's AlliancePay P-384 public JWK (else generated)",
        read: 'file-json',
      },
    },
  ],
  prepare(supplied) {
    const jwk = supplied.alliancepayPublicJwk as JsonWebKey | undefined;
    const merchantPublic = jwk ? importEcJwk(jwk) : null;
    return async () => {
      const [merchant, payment] = await Promise.all([merchantPublic ? null : pair(randomUUID()), pair(randomUUID())]);
      const ids = { merchantId: randomUUID(), serviceCode: randomUUID() };
      const merchantPublicJwk = merchantPublic ?? (merchant as { publicJwk: JsonWebKey }).publicJwk;
      return {
        lookupKey: ids.serviceCode,
        publicData: { ...ids, merchantPublicJwk, paymentPublicJwk: payment.publicJwk },
        secretData: { paymentPrivateJwk: payment.privateJwk },
        shown: { ...ids, ...(merchant ? { merchantPrivateJwk: merchant.privateJwk } : {}), paymentPublicJwk: payment.publicJwk },
      };
    };
  },
};
