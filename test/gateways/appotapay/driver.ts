/**
 * AppotaPay's side of the gateway contract (../contract.ts). AppotaPay has no token read: a card is read by
 * charging its MULTIPLE token (authorize only). A token AppotaPay cannot charge because it is gone answers
 * 43 (unknown), 86 (another merchant's) or 109 (deleted).
 */
import type { TestApp } from '../../helpers/harness.ts';
import type { GatewayDriver } from '../contract.ts';
import { appotaClient, appotaCredentials, appotaJwt, chargeBody, createToken, tokenBody } from './helpers.ts';

const GONE = new Set([43, 86, 109]);

const post = (t: TestApp, jwt: string, body: unknown) =>
  t.app.inject({
    method: 'POST',
    url: '/credit-card/token',
    headers: { 'content-type': 'application/json', 'x-appotapay-auth': jwt },
    payload: JSON.stringify(body),
  });

export const driver: GatewayDriver = {
  authStatus: 401,
  authScheme: 'jwt-hs256',
  async tokenize(t, m, pan) {
    const created = await createToken(appotaClient(t, m), { tokenType: 'MULTIPLE' }, { number: pan });
    return { handle: created.tokenId, cardToken: created.tokenId };
  },
  async read(t, m, handle) {
    const r = await appotaClient(t, m).call('POST', '/credit-card/charge', chargeBody(handle, { amount: 1000, capture: false }));
    if (r.status === 200) return 'live';
    if (GONE.has(r.json?.errorCode)) return 'gone';
    throw new Error(`AppotaPay charge: ${r.status} ${r.body}`);
  },
  wrongCredential: (t, m) => post(t, appotaJwt(appotaCredentials(m), { key: 'not the secret key' }), tokenBody()),
  badInput: (t, m) => post(t, appotaJwt(appotaCredentials(m)), tokenBody({}, { number: undefined })),
  isErrorShape(res) {
    const b = res.json() as Record<string, unknown>;
    return typeof b.errorCode === 'number' && typeof b.message === 'string' && !('type' in b);
  },
};
