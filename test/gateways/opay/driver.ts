/** OPay's side of the gateway contract (../contract.ts). */
import { OPAY_CODES } from '../../../src/api/gateways/opay/codes.ts';
import type { GatewayDriver } from '../contract.ts';
import { hmacHex, opayClient, sortedJson } from './helpers.ts';

const CARD = { expiryYear: '30', expiryMonth: '12', cvv: '123' };
let n = 0;

export const driver: GatewayDriver = {
  authStatus: 200,
  authScheme: 'hmac-sha512',
  async tokenize(t, m, pan) {
    const r = await opayClient(t, m).call('create', { reference: `contract-${++n}`, cardNumber: pan, ...CARD });
    if (r.json.code !== '00000') throw new Error(`OPay create: ${JSON.stringify(r.json)}`);
    const token = (r.json.data as { opayToken: string }).opayToken;
    return { handle: token, cardToken: token };
  },
  async read(t, m, handle) {
    const r = await opayClient(t, m).call('query', { opayToken: handle });
    if (r.json.code === '00000') return 'live';
    if (r.json.code === opayCode('tokenNotFound')) return 'gone';
    throw new Error(`OPay query: ${JSON.stringify(r.json)}`);
  },
  async wrongCredential(t, m) {
    const c = opayClient(t, m);
    const text = sortedJson({ opayToken: 'OPAY_TOKEN_x' });
    return t.app.inject({
      method: 'POST',
      url: '/api/v1/international/token/query',
      headers: { 'content-type': 'application/json', merchantid: c.merchantId, authorization: `Bearer ${hmacHex('not the secret', text)}` },
      payload: text,
    });
  },
  async badInput(t, m) {
    const c = opayClient(t, m);
    const text = sortedJson({ reference: 'contract-bad', expiryYear: '30', expiryMonth: '12' });
    return t.app.inject({
      method: 'POST',
      url: '/api/v1/international/token/create',
      headers: { 'content-type': 'application/json', merchantid: c.merchantId, authorization: `Bearer ${hmacHex(c.secretKey, text)}` },
      payload: text,
    });
  },
  isErrorShape(res) {
    const b = res.json() as Record<string, unknown>;
    return typeof b.code === 'string' && b.code !== '00000' && typeof b.message === 'string' && 'data' in b;
  },
};

const opayCode = (name: keyof typeof OPAY_CODES): string => OPAY_CODES[name][0];
