/**
 * Check 3: failed authentications never lock out a correct credential, behind the balancer (the instances read
 * the client address from X-Forwarded-For, trusting only the balancer). Check 4: limits are totals over the
 * cluster — the failures before a lockout, and a merchant's requests admitted by its token bucket.
 */
import { randomBytes } from 'node:crypto';
import { eachLimited } from '../crash/clients.ts';
import { type Check, type Ctx, INSTANCES } from './cluster.ts';
import { api, NoReply, type Reply, servedBy } from './net.ts';

const wrongKey = () => `tv_sk_${randomBytes(24).toString('base64url')}`;
const CARDS = '/v1/cards?limit=1';

export interface LockoutSettings {
  /** TOKENVAULT_AUTH_FAILURE_LIMIT and TOKENVAULT_AUTH_FAILURE_ADDRESS_LIMIT of the instances. */
  limit: number;
  addressLimit: number;
}

export async function checkLockout(ctx: Ctx, c: Check, s: LockoutSettings): Promise<void> {
  const attacker = ctx.client('127.0.0.31');
  const m = await ctx.createMerchant(attacker, 'cluster lockout');
  // Twice the address ceiling of distinct wrong keys: both instances see this address flooding.
  const flood = 2 * s.addressLimit;
  const statuses = new Map<number, number>();
  await eachLimited(
    Array.from({ length: flood }, () => wrongKey()),
    4,
    async (key) => {
      const r = await api(attacker.lb, key, 'GET', CARDS);
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    },
  );
  c.note(
    `${flood} distinct wrong keys from ${attacker.from} through the balancer: ${[...statuses].map(([k, n]) => `${n} × ${k}`).join(', ')}`,
  );
  c.expect(![...statuses.keys()].some((k) => k >= 500), 'a wrong key got a 5xx');
  // The correct key from the same address: through the balancer (both instances) and to each directly.
  const viaBalancer = await Promise.all([0, 1, 2, 3].map(() => api(attacker.lb, m.apiKey, 'GET', CARDS)));
  const served = new Set(viaBalancer.map(servedBy));
  c.expect(
    viaBalancer.every((r) => r.status === 200),
    `the correct key through the balancer after the flood: ${viaBalancer.map((r) => `${r.status} by ${servedBy(r)}`).join(', ')}`,
  );
  c.expect(served.size === 2, `the balancer sent the correct key's requests to ${[...served].join(', ')} only`);
  for (const name of INSTANCES) {
    const r = await api(attacker[name], m.apiKey, 'GET', CARDS);
    c.expect(r.status === 200, `the correct key on ${name} after the flood: ${r.status}`);
  }
  c.note(
    `the correct key from the same address after the flood: 200 through the balancer (by ${[...served].join(' and ')}) and on a and b directly`,
  );

  // One wrong key repeated past the limit: that key, from that address, is refused on both instances…
  const repeated = wrongKey();
  for (let i = 0; i < 3 * s.limit; i++) await api(attacker.lb, repeated, 'GET', CARDS);
  const locked = await Promise.all(INSTANCES.map((name) => api(attacker[name], repeated, 'GET', CARDS)));
  c.note(`one wrong key sent ${3 * s.limit} times, then on a and b: ${locked.map((r) => r.status).join(', ')}`);
  c.expect(
    locked.every((r) => r.status === 429),
    `the wrong key over the limit got ${locked.map((r) => r.status).join(', ')} on a, b (expected 429)`,
  );
  // …but the same key from another client behind the balancer is only wrong (the address is the client's, not the balancer's).
  const other = await api(ctx.client('127.0.0.32').lb, repeated, 'GET', CARDS);
  c.note(`the same wrong key from another client through the balancer: ${other.status}`);
  c.expect(other.status === 401, `the same wrong key from another client through the balancer got ${other.status}, expected 401`);
  c.expect((await api(attacker.lb, m.apiKey, 'GET', CARDS)).status === 200, 'the correct key stopped working after the repeated wrong key');
}

export interface LimitFigures {
  lockout?: { limit: number; failuresBeforeFirst429: number | null; perProcessWouldBe: number };
  rateLimit?: {
    perSecond: number;
    burst: number;
    sent: number;
    admitted: number;
    refused429: number;
    other: number;
    elapsedMs: number;
    allowed: number;
    admittedBy: Record<string, number>;
  };
}

/** 4a: sequential failures with one wrong key through the balancer; shared counters refuse after `limit`, per-process ones after ≈ 2 × limit. */
export async function checkSharedLockout(ctx: Ctx, c: Check, s: LockoutSettings, figures: LimitFigures): Promise<void> {
  const cl = ctx.client('127.0.0.33');
  const key = wrongKey();
  let firstRefusal: number | null = null;
  for (let i = 1; i <= 4 * s.limit + 2; i++) {
    const r = await api(cl.lb, key, 'GET', CARDS);
    if (r.status === 429) {
      firstRefusal = i;
      break;
    }
    c.expect(r.status === 401, `wrong key attempt ${i}: ${r.status}`);
  }
  const failures = firstRefusal === null ? null : firstRefusal - 1;
  figures.lockout = { limit: s.limit, failuresBeforeFirst429: failures, perProcessWouldBe: 2 * s.limit };
  c.note(
    `lockout: first 429 after ${failures ?? `more than ${4 * s.limit + 2}`} failures through the balancer (limit ${s.limit}; counted per process it would be ${2 * s.limit})`,
  );
  c.expect(
    failures !== null && failures <= s.limit,
    `the lockout counted ${failures ?? `> ${4 * s.limit + 2}`} failures before refusing (limit ${s.limit})`,
  );
}

/** 4b: `sent` requests at once through the balancer from one merchant: admitted ≤ burst + rate × elapsed + 1. */
export async function checkSharedRate(
  ctx: Ctx,
  c: Check,
  rate: { perSecond: number; burst: number; sent: number },
  figures: LimitFigures,
): Promise<void> {
  const cl = ctx.client('127.0.0.34');
  const m = await ctx.createMerchant(cl, 'cluster rate');
  const started = performance.now();
  const replies = await Promise.all(
    Array.from({ length: rate.sent }, () =>
      api(cl.lb, m.apiKey, 'GET', CARDS).catch((e: unknown) => (e instanceof NoReply ? e : Promise.reject(e))),
    ),
  );
  const elapsedMs = Math.round(performance.now() - started);
  const answered = replies.filter((r): r is Reply => !(r instanceof NoReply));
  const admitted = answered.filter((r) => r.status === 200);
  const refused = answered.filter((r) => r.status === 429).length;
  const other = rate.sent - admitted.length - refused;
  const allowed = Math.floor(rate.burst + (rate.perSecond * elapsedMs) / 1000 + 1);
  const admittedBy: Record<string, number> = {};
  for (const r of admitted) admittedBy[servedBy(r)] = (admittedBy[servedBy(r)] ?? 0) + 1;
  figures.rateLimit = { ...rate, admitted: admitted.length, refused429: refused, other, elapsedMs, allowed, admittedBy };
  c.note(
    `rate limit ${rate.perSecond}/s, burst ${rate.burst}: ${rate.sent} requests at once through the balancer in ${elapsedMs} ms → ` +
      `${admitted.length} admitted (${Object.entries(admittedBy)
        .map(([k, n]) => `${n} by ${k}`)
        .join(', ')}), ${refused} × 429; allowed ≤ ${allowed}`,
  );
  c.expect(other === 0, `${other} requests got neither 200 nor 429`);
  c.expect(
    admitted.length <= allowed,
    `admitted ${admitted.length} > ${allowed} (burst ${rate.burst} + ${rate.perSecond}/s × ${elapsedMs} ms + 1)`,
  );
}
