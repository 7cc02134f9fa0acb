/**
 * Check 1: an API key revoked, or a merchant deleted, through the balancer stops working on both instances
 * within 1 s, although each instance caches verified keys and unwrapped data keys for 300 s (so only a change
 * notification can make it in time). Both instances' caches are warmed with the key first.
 */
import { revealKey } from '../crash/clients.ts';
import { type Check, type Client, type Ctx, INSTANCES, msUntil } from './cluster.ts';
import { api, expectStatus, type Reply, servedBy } from './net.ts';

/** How long to keep polling for the refusal: the limit is 1 s; beyond 3 s the delay is reported as "> 3000". */
export const INVALIDATION_LIMIT_MS = 1000;
const WAIT_MS = 3000;

export interface InvalidationFigures {
  revocationDelayMs: Record<string, number | null>;
  merchantDeletionDelayMs: Record<string, number | null>;
}

const card = (ctx: Ctx) => ({ number: ctx.nextPan(), expMonth: 12, expYear: new Date().getUTCFullYear() + 2 });

/** A refusal is a 4xx; a 5xx is a failure of its own (and also no longer serving). */
function refusedBy(c: Check, what: string, r: Reply, okStatus: number): boolean {
  if (r.status >= 500) c.fail(`${what} answered ${r.status}: ${r.text.slice(0, 200)}`);
  else if (r.status !== okStatus && r.status < 400) c.fail(`${what} answered ${r.status}`);
  return r.status !== okStatus;
}

function judge(c: Check, what: string, delays: Record<string, number | null>): void {
  for (const [name, ms] of Object.entries(delays)) {
    c.note(`${what} reached instance ${name} after ${ms === null ? `more than ${WAIT_MS} ms (still served)` : `${ms} ms`}`);
    c.expect(
      ms !== null && ms <= INVALIDATION_LIMIT_MS,
      `${what} took ${ms ?? `> ${WAIT_MS}`} ms on instance ${name} (limit ${INVALIDATION_LIMIT_MS})`,
    );
  }
}

async function revocation(ctx: Ctx, c: Check, cl: Client): Promise<Record<string, number | null>> {
  const m = await ctx.createMerchant(cl, 'cluster revocation');
  const made = await api(cl.lb, ctx.adminToken, 'POST', `/v1/admin/merchants/${m.id}/api-keys`, { scopes: ['read'], label: 'revoked' });
  const key = expectStatus(made, 201, 'API key create') as { id: string; apiKey: string };
  for (const name of INSTANCES)
    for (let i = 0; i < 3; i++)
      expectStatus(await api(cl[name], key.apiKey, 'GET', '/v1/cards?limit=1'), 200, `the key on ${name} before revocation`);
  const revoked = await api(cl.lb, ctx.adminToken, 'DELETE', `/v1/admin/merchants/${m.id}/api-keys/${key.id}`);
  expectStatus(revoked, 200, 'revoke');
  const at = performance.now();
  c.note(`key revoked through the balancer (served by ${servedBy(revoked)})`);
  const delays = await Promise.all(
    INSTANCES.map((name) =>
      msUntil(at, WAIT_MS, async () =>
        refusedBy(c, `the revoked key on ${name}`, await api(cl[name], key.apiKey, 'GET', '/v1/cards?limit=1'), 200),
      ),
    ),
  );
  // The merchant's other key is untouched.
  for (const name of INSTANCES)
    c.expect(
      (await api(cl[name], m.apiKey, 'GET', '/v1/cards?limit=1')).status === 200,
      `the merchant's other key stopped working on ${name}`,
    );
  return Object.fromEntries(INSTANCES.map((n, i) => [n, delays[i] ?? null]));
}

async function deletion(ctx: Ctx, c: Check, cl: Client): Promise<Record<string, number | null>> {
  const m = await ctx.createMerchant(cl, 'cluster deletion');
  const jwk = (await revealKey()).jwk;
  const tokens: Record<string, string> = {};
  // A card tokenized and revealed on each instance: both hold the verified key and the unwrapped data key.
  for (const name of INSTANCES) {
    const made = expectStatus(await api(cl[name], m.apiKey, 'POST', '/v1/cards', card(ctx)), 201, `tokenize on ${name}`) as {
      token: string;
    };
    tokens[name] = made.token;
    for (const other of INSTANCES)
      expectStatus(
        await api(cl[other], m.apiKey, 'POST', `/v1/cards/${made.token}/reveal`, { purpose: 'cluster test', jwk }),
        200,
        `reveal on ${other} before deletion`,
      );
  }
  const deleted = await api(cl.lb, ctx.adminToken, 'DELETE', `/v1/admin/merchants/${m.id}`);
  expectStatus(deleted, 200, 'merchant delete');
  const at = performance.now();
  c.note(`merchant deleted through the balancer (served by ${servedBy(deleted)})`);
  const stillServed: string[] = [];
  const delays = await Promise.all(
    INSTANCES.map((name) =>
      msUntil(at, WAIT_MS, async () => {
        const [reveal, tokenize] = await Promise.all([
          api(cl[name], m.apiKey, 'POST', `/v1/cards/${tokens[name]}/reveal`, { purpose: 'cluster test', jwk }),
          api(cl[name], m.apiKey, 'POST', '/v1/cards', card(ctx)),
        ]);
        if (reveal.status === 200) stillServed.push(`reveal on ${name}`);
        if (tokenize.status === 201) stillServed.push(`tokenize on ${name}`);
        const a = refusedBy(c, `reveal by the deleted merchant on ${name}`, reveal, 200);
        const b = refusedBy(c, `tokenize by the deleted merchant on ${name}`, tokenize, 201);
        return a && b;
      }),
    ),
  );
  if (stillServed.length) c.note(`served after the deletion: ${summarize(stillServed)}`);
  return Object.fromEntries(INSTANCES.map((n, i) => [n, delays[i] ?? null]));
}

function summarize(items: string[]): string {
  const counts = new Map<string, number>();
  for (const i of items) counts.set(i, (counts.get(i) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${n} × ${k}`).join(', ');
}

export async function checkInvalidation(ctx: Ctx, c: Check, figures: InvalidationFigures): Promise<void> {
  figures.revocationDelayMs = await revocation(ctx, c, ctx.client('127.0.0.11'));
  judge(c, 'the revocation', figures.revocationDelayMs);
  figures.merchantDeletionDelayMs = await deletion(ctx, c, ctx.client('127.0.0.12'));
  judge(c, 'the merchant deletion', figures.merchantDeletionDelayMs);
}
