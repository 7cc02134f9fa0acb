/** OPay credentials: a merchant id, a public key (an identifier) and the HMAC-SHA512 secret key. */
import { randomBytes } from 'node:crypto';
import { digits, nonZeroDigits } from '../kit/keys.ts';
import type { GatewayCredentials } from '../kit/provisioning.ts';

export const credentials: GatewayCredentials = {
  supplied: [],
  prepare: () => async () => {
    const opay = {
      merchantId: nonZeroDigits(15),
      secretKey: `OPAYPRV${digits(13)}${randomBytes(12).toString('hex')}`,
      publicKey: `OPAYPUB${digits(13)}${randomBytes(12).toString('hex')}`,
    };
    return {
      lookupKey: opay.merchantId,
      publicData: { merchantId: opay.merchantId, publicKey: opay.publicKey },
      secretData: { secretKey: opay.secretKey },
      shown: opay,
    };
  },
};
