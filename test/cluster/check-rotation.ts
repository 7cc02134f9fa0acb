/**
 * Check 7: `tokenvault keys rotate` (a new master-key version in the shared key file, every data key re-wrapped)
 * and `keys rotate --data` (new data keys, every record re-encrypted) while both instances serve tokenize, reveal
 * and read traffic through the balancer: no request fails, and every card tokenized before, during and after is
 * revealed with its own number by both instances.
 */
import { eachLimited, type RevealKey, revealKey } from '../crash/clients.ts';
import { sleep } from '../crash/proc.ts';
import { type Check, type Ctx, INSTANCES } from './cluster.ts';
import { api, jsonOf, NoReply, served, type Via } from './net.ts';

export interface RotationFigures {
  requests: number;
  failed: number;
  masterRotateMs: number;
  dataRotateMs: number;
  cardsRevealedAfter: number;
}

interface Card {
  token: string;
  number: string;
}

const LOOPS = 6;

async function reveal(v: Via, apiKey: string, key: RevealKey, token: string): Promise<string> {
  const r = await api(v, apiKey, 'POST', `/v1/cards/${token}/reveal`, { purpose: 'cluster test', jwk: key.jwk });
  if (r.status !== 200) return `HTTP ${r.status} ${r.text.slice(0, 120)}`;
  const opened = await key.open((jsonOf(r) as { jwe: string }).jwe);
  return opened.token === token ? opened.number : `another token's card (${opened.token})`;
}

/** Tokenize, reveal and read through the balancer until stopped; every failure is kept. */
function traffic(ctx: Ctx, v: Via, apiKey: string, key: RevealKey, cards: Card[]) {
  let on = true;
  let requests = 0;
  const failures: string[] = [];
  const loop = async (n: number) => {
    for (let i = n; on; i++) {
      requests++;
      try {
        if (i % 3 === 0) {
          const number = ctx.nextPan();
          const r = await api(v, apiKey, 'POST', '/v1/cards', { number, expMonth: 12, expYear: new Date().getUTCFullYear() + 2 });
          if (r.status === 201) cards.push({ token: (jsonOf(r) as { token: string }).token, number });
          else failures.push(`tokenize: ${r.status} ${r.text.slice(0, 120)}`);
        } else {
          const card = cards[(i * 7) % cards.length] as Card;
          if (i % 3 === 1) {
            const got = await reveal(v, apiKey, key, card.token);
            if (got !== card.number) failures.push(`reveal: ${/^\d+$/.test(got) ? 'a different number' : got}`);
          } else {
            const r = await api(v, apiKey, 'GET', `/v1/cards/${card.token}`);
            if (r.status !== 200) failures.push(`read: ${r.status}`);
          }
        }
      } catch (e) {
        failures.push(e instanceof NoReply ? `no answer (${e.code})` : (e as Error).message);
      }
      await sleep(5);
    }
  };
  const running = Promise.all(Array.from({ length: LOOPS }, (_, n) => loop(n)));
  return {
    failures,
    requests: () => requests,
    async stop() {
      on = false;
      await running;
    },
  };
}

async function cli(ctx: Ctx, c: Check, args: string[]): Promise<number> {
  const started = performance.now();
  const r = await ctx.cliRun(args);
  const ms = Math.round(performance.now() - started);
  const last = (r.stdout.trim().split('\n').pop() ?? '').slice(0, 200);
  c.note(`tokenvault ${args.join(' ')}: exit ${r.code} in ${ms} ms — ${last || r.stderr.trim().split('\n').pop()}`);
  c.expect(r.code === 0, `tokenvault ${args.join(' ')} exited ${r.code}: ${r.stderr.slice(-300)}`);
  return ms;
}

export async function checkRotation(ctx: Ctx, c: Check, figures: { rotation?: RotationFigures }): Promise<void> {
  const cl = ctx.client('127.0.0.51');
  const m = await ctx.createMerchant(cl, 'cluster rotation');
  const key = await revealKey();
  const cards: Card[] = [];
  for (let i = 0; i < 12; i++) {
    const number = ctx.nextPan();
    const r = await api(cl.lb, m.apiKey, 'POST', '/v1/cards', { number, expMonth: 12, expYear: new Date().getUTCFullYear() + 2 });
    if (r.status !== 201) throw new Error(`tokenize before the rotation: ${r.status} ${r.text.slice(0, 200)}`);
    cards.push({ token: (jsonOf(r) as { token: string }).token, number });
  }
  const before = cards.length;
  const servedBefore = new Map(served);
  const load = traffic(ctx, cl.lb, m.apiKey, key, cards);
  await sleep(500);
  const masterRotateMs = await cli(ctx, c, ['keys', 'rotate']);
  await sleep(300);
  const dataRotateMs = await cli(ctx, c, ['keys', 'rotate', '--data']);
  await sleep(800);
  await load.stop();
  const by = INSTANCES.map((n) => [n, (served.get(n) ?? 0) - (servedBefore.get(n) ?? 0)] as const);
  c.note(
    `${load.requests()} requests through the balancer during the rotations (${LOOPS} at a time; answered ${by.map(([n, k]) => `${k} by ${n}`).join(', ')}); ` +
      `${load.failures.length} failed`,
  );
  for (const [n, k] of by) c.expect(k > 0, `instance ${n} answered none of the requests during the rotations`);
  for (const f of [...new Set(load.failures)].slice(0, 5)) c.fail(`during the rotations: ${f}`);

  const status = await ctx.cliRun(['keys', 'status', '--json']);
  const st = JSON.parse(status.stdout) as { master: { current: number }; data: { version: number; activeFor: number; records: number }[] };
  const newest = Math.max(...st.data.map((d) => d.version));
  c.note(
    `keys status: master version ${st.master.current}; data keys ${st.data.map((d) => `v${d.version} active for ${d.activeFor}, ${d.records} records`).join('; ')}`,
  );
  c.expect(st.master.current === 2, `the master key is at version ${st.master.current}, expected 2`);
  for (const d of st.data) c.expect(d.version === newest || d.records === 0, `data key v${d.version} still protects ${d.records} records`);

  // Every card, tokenized before, during and after the rotations, revealed by each instance.
  const wrong: string[] = [];
  await eachLimited(cards, 8, async (card) => {
    for (const name of INSTANCES) {
      const got = await reveal(cl[name], m.apiKey, key, card.token);
      if (got !== card.number) wrong.push(`${name}: ${/^\d+$/.test(got) ? 'a different number' : got}`);
    }
  });
  c.note(`${cards.length} cards (${before} tokenized before the rotations) revealed by a and by b: ${wrong.length} wrong`);
  for (const w of [...new Set(wrong)].slice(0, 5)) c.fail(`reveal after the rotations on ${w}`);
  figures.rotation = {
    requests: load.requests(),
    failed: load.failures.length,
    masterRotateMs,
    dataRotateMs,
    cardsRevealedAfter: cards.length,
  };
}
