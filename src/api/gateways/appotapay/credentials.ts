/** AppotaPay credentials: a partner code, an API key (named in each JWT) and the HS256 secret key. */
import { randomBytes } from 'node:crypto';
import { alnum } from '../kit/keys.ts';
import type { GatewayCredentials } from '../kit/provisioning.ts';

export const credentials: GatewayCredentials = {
  supplied: [],
  prepare: () => async () => {
    const appota = { partnerCode: `TV${alnum(8)}`, apiKey: alnum(32), secretKey: randomBytes(24).toString('base64url') };
    return {
      lookupKey: appota.apiKey,
      publicData: { partnerCode: appota.partnerCode, apiKey: appota.apiKey },
      secretData: { secretKey: appota.secretKey },
      shown: appota,
    };
  },
};
