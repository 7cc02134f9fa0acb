/** Cybersource's side of the gateway contract (../contract.ts): standalone TMS payment instruments over HTTP Signature. */
import { randomBytes } from 'node:crypto';
import type { GatewayDriver } from '../contract.ts';
import { buildAuth, cybs, cybsCreds, piBody } from './helpers.ts';

const PIS = '/tms/v1/paymentinstruments';

export const driver: GatewayDriver = {
  authStatus: 401,
  authScheme: 'http-signature',
  async tokenize(t, m, pan) {
    const r = await cybs(t, m).post(PIS, piBody(pan));
    if (r.status !== 201) throw new Error(`Cybersource create: ${r.status} ${r.body}`);
    // A payment instrument's id is its vault card token.
    return { handle: r.json.id as string, cardToken: r.json.id as string };
  },
  async read(t, m, handle) {
    const r = await cybs(t, m).get(`${PIS}/${handle}`);
    if (r.status === 200) return 'live';
    if (r.status === 404 && r.json?.errors?.[0]?.type === 'notFound') return 'gone';
    throw new Error(`Cybersource read: ${r.status} ${r.body}`);
  },
  async wrongCredential(t, m) {
    const secret = randomBytes(32).toString('base64');
    const headers = await buildAuth(cybsCreds(m), { kind: 'sig' }, 'GET', `${PIS}/${'A'.repeat(32)}`, undefined, { secret });
    return t.app.inject({ method: 'GET', url: `${PIS}/${'A'.repeat(32)}`, headers });
  },
  async badInput(t, m) {
    const text = JSON.stringify({ card: { expirationMonth: '12', expirationYear: '2031' } });
    const headers = await buildAuth(cybsCreds(m), { kind: 'sig' }, 'POST', PIS, text);
    return t.app.inject({ method: 'POST', url: PIS, headers, payload: text });
  },
  isErrorShape(res) {
    const b = res.json() as { errors?: { type?: unknown; message?: unknown }[] };
    return Array.isArray(b.errors) && typeof b.errors[0]?.type === 'string' && typeof b.errors[0]?.message === 'string';
  },
};
