/** 2C2P's side of the gateway contract (../contract.ts). */
import { generateKeyPairSync } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { futureYear } from '../../helpers/harness.ts';
import type { GatewayDriver } from '../contract.ts';
import { buildRequest, openResponse, postRaw, twoc2pClient } from './helpers.ts';

/** A key no merchant registered. */
const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
/** The decrypted answers of refusals given inside the envelope (HTTP 200), by response. */
const opened = new WeakMap<LightMyRequestResponse, Record<string, unknown>>();

export const driver: GatewayDriver = {
  authStatus: 400,
  authScheme: 'jws',
  async tokenize(t, m, pan) {
    const c = twoc2pClient(t, m);
    const r = await c.call('add', { merchantID: c.merchantID, tokenProvider: 'CC', accountNo: pan, expiry: `${futureYear()}-12-31` });
    if (r.json?.responseCode !== '0000') throw new Error(`2C2P add: ${r.status} ${JSON.stringify(r.json)}`);
    const token = r.json.token as string;
    return { handle: token, cardToken: token };
  },
  async read(t, m, handle) {
    const c = twoc2pClient(t, m);
    const r = await c.call('get', { merchantID: c.merchantID, token: handle });
    if (r.json?.responseCode === '0000') return 'live';
    if (r.json?.responseCode === '9040') return 'gone';
    throw new Error(`2C2P get: ${r.status} ${JSON.stringify(r.json)}`);
  },
  async wrongCredential(t, m) {
    const c = twoc2pClient(t, m);
    return postRaw(t, 'get', await buildRequest({ merchantID: c.merchantID, token: '1' }, c.vaultPublic, stranger));
  },
  async badInput(t, m) {
    const c = twoc2pClient(t, m);
    const jws = await buildRequest(
      { merchantID: c.merchantID, tokenProvider: 'CC', accountNo: '4111111111111111' },
      c.vaultPublic,
      c.merchantPrivate,
    );
    const res = await postRaw(t, 'add', jws);
    if (res.statusCode === 200) opened.set(res, await openResponse(res.body, c.vaultPublic, c.merchantPrivate));
    return res;
  },
  isErrorShape(res) {
    const inside = opened.get(res);
    if (inside) return typeof inside.responseCode === 'string' && inside.responseCode !== '0000' && typeof inside.responseDesc === 'string';
    return res.statusCode === 400 && /^text\/plain/.test(String(res.headers['content-type'])) && res.body === 'Invalid request';
  },
};
