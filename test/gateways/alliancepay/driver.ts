/** AlliancePay's side of the gateway contract (../contract.ts): a session per merchant, then JWE calls. */
import { randomUUID } from 'node:crypto';
import { futureYear, type TestApp, type TestMerchant } from '../../helpers/harness.ts';
import type { GatewayDriver } from '../contract.ts';
import { type AllianceClient, allianceClient, bodies, encryptTo, PATHS } from './helpers.ts';

const EXP = `${String(futureYear() % 100).padStart(2, '0')}12`;

/** One authorized client per merchant (each contract run makes its own merchants). */
const clients = new WeakMap<TestMerchant, Promise<AllianceClient>>();
function session(t: TestApp, m: TestMerchant): Promise<AllianceClient> {
  let c = clients.get(m);
  if (!c) {
    c = (async () => {
      const ap = allianceClient(t, m);
      const r = await ap.authorize();
      if (!r.encrypted) throw new Error(`AlliancePay authorize: ${JSON.stringify(r.json)}`);
      return ap;
    })();
    clients.set(m, c);
  }
  return c;
}

/** A session call as sent on the wire, answered raw (with the session's refresh token unless another is given). */
async function inject(t: TestApp, ap: AllianceClient, url: string, body: unknown, refreshToken = ap.session.refreshToken) {
  return t.app.inject({
    method: 'POST',
    url,
    headers: {
      'content-type': 'text/plain',
      'x-request_id': randomUUID(),
      'x-device_id': ap.session.deviceId,
      'x-refresh_token': refreshToken,
    },
    payload: await encryptTo(ap.session.serverPublic, JSON.stringify(body)),
  });
}

export const driver: GatewayDriver = {
  authStatus: 401,
  authScheme: 'session',
  async tokenize(t, m, pan) {
    const ap = await session(t, m);
    const r = await ap.call(PATHS.create, await bodies(ap, EXP).createToken({ pan, customerId: 'contract-customer' }));
    if (!r.encrypted) throw new Error(`AlliancePay create: ${JSON.stringify(r.json)}`);
    return { handle: r.json.token, cardToken: r.json.token };
  },
  async read(t, m, handle) {
    const r = await (await session(t, m)).call(PATHS.get, { token: handle });
    // AlliancePay still answers a deleted token by its state (as AlliancePay does): that reads as gone.
    if (r.encrypted) return r.json.result[0].status === 'DELETED' ? 'gone' : 'live';
    if (r.json.msgCode === 'b_token_not_found') return 'gone';
    throw new Error(`AlliancePay get: ${JSON.stringify(r.json)}`);
  },
  async wrongCredential(t, m) {
    const ap = await session(t, m);
    return inject(t, ap, PATHS.get, { token: 'unknown' }, 'not-the-refresh-token');
  },
  async badInput(t, m) {
    const ap = await session(t, m);
    const { encryptedCardNumber: _missing, ...body } = await bodies(ap, EXP).createToken({ customerId: 'contract-bad' });
    return inject(t, ap, PATHS.create, body);
  },
  isErrorShape(res) {
    const b = res.json() as Record<string, unknown>;
    return b.serviceId === 'api-gateway' && typeof b.msgCode === 'string' && Array.isArray(b.errorCauses) && !('jwe' in b);
  },
};
