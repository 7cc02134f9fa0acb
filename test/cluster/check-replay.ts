/**
 * Check 2: a request already used on one instance is refused on the other. A Cybersource v2 JWT (HS256, with a
 * jti) creating a customer, sent to instance a and then, byte for byte, to instance b; and an AlliancePay
 * x-request_id used on a and reused on b with a fresh body. Signing and encryption are the gateway test helpers'.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { allianceClient, bodies, PATHS } from '../gateways/alliancepay/helpers.ts';
import { buildAuth, cybsCreds, HOST } from '../gateways/cybersource/helpers.ts';
import { futureYear } from '../helpers/harness.ts';
import type { Check, Ctx } from './cluster.ts';
import { jsonOf, overHttp, request } from './net.ts';

const EXP = `${String(futureYear() % 100).padStart(2, '0')}12`;

async function cybersourceJwt(ctx: Ctx, c: Check): Promise<void> {
  const cl = ctx.client('127.0.0.21');
  const m = await ctx.createMerchant(cl, 'cluster replay cybersource');
  // No merchantCustomerID: a second customer from the same body is not a conflict, so only the replay check can refuse it.
  const text = JSON.stringify({
    buyerInformation: { email: 'ada@example.com' },
    clientReferenceInformation: { code: `cluster-${randomBytes(4).toString('hex')}` },
  });
  const headers = await buildAuth(cybsCreds(m), { kind: 'jwt-hs256' }, 'POST', '/tms/v2/customers', text, { host: HOST });
  const first = await request(cl.a, 'POST', '/tms/v2/customers', headers, text);
  if (!c.expect(first.status === 201, `the JWT's first use on a: ${first.status} ${first.text.slice(0, 200)}`)) return;
  const firstId = (jsonOf(first) as { id?: string }).id;
  const onB = await request(cl.b, 'POST', '/tms/v2/customers', headers, text);
  const againOnA = await request(cl.a, 'POST', '/tms/v2/customers', headers, text);
  const [{ n }] = (await ctx.db.all<{ n: number }>('select count(*)::int as n from customers where merchant_id = ?', [m.id])) as [
    { n: number },
  ];
  const replayedAnswer = onB.status === 201 && (jsonOf(onB) as { id?: string }).id === firstId;
  c.note(
    `Cybersource JWT: first use on a ${first.status}; the same request on b ${onB.status}${replayedAnswer ? ' (the first answer)' : ''}, ` +
      `again on a ${againOnA.status}; customers created ${n}`,
  );
  // Refused as used (401), or, where a replay is answered with the first outcome, that answer and nothing done.
  c.expect(onB.status === 401 || replayedAnswer, `the JWT used on a was not refused on b (${onB.status} ${onB.text.slice(0, 160)})`);
  c.expect(againOnA.status === 401, `the used JWT on a again: ${againOnA.status}, expected 401`);
  c.expect(n === 1, `one JWT created ${n} customers`);
}

async function alliancepayRequestId(ctx: Ctx, c: Check): Promise<void> {
  const cl = ctx.client('127.0.0.22');
  const m = await ctx.createMerchant(cl, 'cluster replay alliancepay');
  const viaBalancer = allianceClient(overHttp(cl.lb), m);
  const opened = await viaBalancer.authorize();
  if (!c.expect(opened.encrypted, `AlliancePay authorize: ${JSON.stringify(opened.json).slice(0, 200)}`)) return;
  const onA = allianceClient(overHttp(cl.a), m);
  const onB = allianceClient(overHttp(cl.b), m);
  onA.session = viaBalancer.session;
  onB.session = viaBalancer.session;
  const customerId = `cluster-${randomBytes(4).toString('hex')}`;
  const requestId = randomUUID();
  const first = await onA.call(PATHS.create, await bodies(onA, EXP).createToken({ customerId, pan: ctx.nextPan() }), { requestId });
  if (!c.expect(first.encrypted, `AlliancePay create on a: ${JSON.stringify(first.json).slice(0, 200)}`)) return;
  const reused = await onB.call(PATHS.create, await bodies(onB, EXP).createToken({ customerId, pan: ctx.nextPan() }), { requestId });
  const listed = await onA.call(PATHS.list, { customerId });
  const tokens = listed.encrypted ? (listed.json.result as unknown[]).length : -1;
  c.note(
    `AlliancePay x-request_id: used on a, reused on b with a fresh body → ${reused.status} ${reused.encrypted ? 'accepted' : String(reused.json.msgCode)}; ` +
      `tokens for the customer ${tokens}`,
  );
  c.expect(
    !reused.encrypted && reused.json.msgCode === 'b_duplicate_field_value',
    `the reused x-request_id was not refused on b: ${reused.status} ${reused.encrypted ? 'accepted' : JSON.stringify(reused.json).slice(0, 200)}`,
  );
  c.expect(tokens === 1, `the customer has ${tokens} tokens, expected 1`);
}

export async function checkReplay(ctx: Ctx, c: Check): Promise<void> {
  await cybersourceJwt(ctx, c);
  await alliancepayRequestId(ctx, c);
}
