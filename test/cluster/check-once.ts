/**
 * Check 5: what must happen once happens once across instances. A SINGLE-use token paid with on both instances
 * at once authorizes once; one Idempotency-Key sent to both at once makes one card (and one payment) and every
 * request gets the same answer. Also the concurrent writes that check 6's `audit verify` then reads.
 */
import { randomBytes } from 'node:crypto';
import { eachLimited } from '../crash/clients.ts';
import { sleep } from '../crash/proc.ts';
import { type Check, type Client, type Ctx, INSTANCES } from './cluster.ts';
import { api, expectStatus, jsonOf, type Reply, type Via } from './net.ts';

const year = () => new Date().getUTCFullYear() + 2;
const racers = (cl: Client, n: number): Via[] => Array.from({ length: n }, (_, i) => cl[INSTANCES[i % 2] as 'a' | 'b']);

async function singleUse(ctx: Ctx, c: Check, cl: Client, apiKey: string): Promise<void> {
  const made = await api(cl.lb, apiKey, 'POST', '/v1/cards', { number: ctx.nextPan(), expMonth: 12, expYear: year(), usage: 'SINGLE' });
  const token = (expectStatus(made, 201, 'SINGLE tokenize') as { token: string }).token;
  const results = await Promise.all(
    racers(cl, 6).map((v) => api(v, apiKey, 'POST', '/v1/payments', { token, amount: 1000, currency: 'USD' })),
  );
  const approved = results.filter((r) => r.status === 201);
  const consumed = results.filter((r) => r.status === 422 && (jsonOf(r) as { code?: string }).code === 'token_consumed');
  c.note(`a SINGLE token paid with 6 times at once (3 on a, 3 on b): ${approved.length} × 201, ${consumed.length} × 422 token_consumed`);
  c.expect(approved.length === 1, `${approved.length} payments approved with one SINGLE token`);
  c.expect(approved.length + consumed.length === results.length, `other answers: ${results.map((r) => r.status).join(', ')}`);
  const listed = jsonOf(await api(cl.lb, apiKey, 'GET', `/v1/payments?token=${token}`)) as { data: unknown[] };
  c.expect(listed.data.length === 1, `${listed.data.length} payments recorded for the SINGLE token`);
  for (const name of INSTANCES) {
    const status = (jsonOf(await api(cl[name], apiKey, 'GET', `/v1/cards/${token}`)) as { status?: string }).status;
    c.expect(status === 'CONSUMED', `the SINGLE token reads as ${status} on ${name}`);
  }
}

/** Sends the same POST with one Idempotency-Key to a and b at once; 409 idempotency_in_progress is retried. */
async function sameKey(v: Via[], apiKey: string, path: string, body: unknown, key: string): Promise<Reply[]> {
  return Promise.all(
    v.map(async (to) => {
      for (let attempt = 0; ; attempt++) {
        const r = await api(to, apiKey, 'POST', path, body, { 'idempotency-key': key });
        if (r.status !== 409 || (jsonOf(r) as { code?: string }).code !== 'idempotency_in_progress' || attempt >= 100) return r;
        await sleep(50);
      }
    }),
  );
}

async function idempotency(ctx: Ctx, c: Check, cl: Client, apiKey: string): Promise<void> {
  const key = `cluster-${randomBytes(6).toString('hex')}`;
  const cards = await sameKey(racers(cl, 4), apiKey, '/v1/cards', { number: ctx.nextPan(), expMonth: 12, expYear: year() }, key);
  const tokens = new Set(cards.map((r) => (jsonOf(r) as { token?: string }).token));
  const replayed = cards.filter((r) => r.headers['idempotent-replayed'] === 'true').length;
  c.note(
    `one Idempotency-Key, POST /v1/cards 4 times at once (2 on a, 2 on b): ${cards.map((r) => r.status).join(', ')}; ${tokens.size} token(s), ${replayed} replayed`,
  );
  c.expect(
    cards.every((r) => r.status === 201),
    `the card answers were ${cards.map((r) => r.status).join(', ')}`,
  );
  c.expect(tokens.size === 1, `one Idempotency-Key made ${tokens.size} different answers`);
  const all = jsonOf(await api(cl.lb, apiKey, 'GET', '/v1/cards?limit=100')) as { data: unknown[] };
  // The merchant's cards: the SINGLE one from the single-use check and this one.
  c.expect(all.data.length === 2, `the merchant has ${all.data.length} cards, expected 2`);

  const token = [...tokens][0] as string;
  const payKey = `${key}-pay`;
  const pays = await sameKey(racers(cl, 4), apiKey, '/v1/payments', { token, amount: 4321, currency: 'USD' }, payKey);
  const ids = new Set(pays.map((r) => (jsonOf(r) as { id?: string }).id));
  c.note(`one Idempotency-Key, POST /v1/payments 4 times at once: ${pays.map((r) => r.status).join(', ')}; ${ids.size} payment id(s)`);
  c.expect(
    pays.every((r) => r.status === 201) && ids.size === 1,
    `one Idempotency-Key gave payments ${[...ids].join(', ')} (${pays.map((r) => r.status).join(', ')})`,
  );
  const listed = jsonOf(await api(cl.lb, apiKey, 'GET', `/v1/payments?token=${token}`)) as { data: unknown[] };
  c.expect(listed.data.length === 1, `${listed.data.length} payments recorded for one Idempotency-Key`);
}

export async function checkOnce(ctx: Ctx, c: Check): Promise<void> {
  const cl = ctx.client('127.0.0.41');
  const m = await ctx.createMerchant(cl, 'cluster single use');
  await singleUse(ctx, c, cl, m.apiKey);
  await idempotency(ctx, c, cl, m.apiKey);
}

/** Tokenize, update and pay for three merchants at once through the balancer: audit events appended by both instances. */
export async function concurrentWrites(ctx: Ctx): Promise<{ sent: number; failed: string[] }> {
  const cl = ctx.client('127.0.0.42');
  const merchants = await Promise.all([1, 2, 3].map((i) => ctx.createMerchant(cl, `cluster writes ${i}`)));
  const failed: string[] = [];
  let sent = 0;
  const jobs = merchants.flatMap((m) => Array.from({ length: 20 }, () => m));
  await eachLimited(jobs, 12, async (m) => {
    const made = await api(cl.lb, m.apiKey, 'POST', '/v1/cards', { number: ctx.nextPan(), expMonth: 12, expYear: year() });
    const token = (jsonOf(made) as { token?: string }).token;
    const patched = token ? await api(cl.lb, m.apiKey, 'PATCH', `/v1/cards/${token}`, { metadata: { seq: '1' } }) : null;
    const paid = token ? await api(cl.lb, m.apiKey, 'POST', '/v1/payments', { token, amount: 700, currency: 'USD' }) : null;
    sent += 3;
    for (const [what, r, ok] of [
      ['tokenize', made, 201],
      ['update', patched, 200],
      ['pay', paid, 201],
    ] as const)
      if (r?.status !== ok) failed.push(`${what}: ${r?.status ?? 'not sent'}`);
  });
  return { sent, failed };
}
