/** The cluster test's figures, as written to cluster-report.json, and the summary printed at the end. */
import type { InvalidationFigures } from './check-invalidation.ts';
import { INVALIDATION_LIMIT_MS } from './check-invalidation.ts';
import type { LimitFigures } from './check-limits.ts';
import type { RotationFigures } from './check-rotation.ts';

export interface Report extends InvalidationFigures, LimitFigures {
  passed: boolean;
  checks: { id: string; title: string; passed: boolean; notes: string[]; failures: string[] }[];
  /** Failures outside any check: an instance that died, writes that failed, a run that could not finish. */
  problems: string[];
  requests: { throughBalancer: number; answeredThroughBalancerBy: Record<string, number>; directToA: number; directToB: number };
  rotation?: RotationFigures;
  concurrentWrites?: { sent: number; failed: number };
  setup: Record<string, unknown>;
  elapsedMs: number;
}

/** Checks run in phase order; they are reported by number (4a, 4b after 4). */
export const byNumber = (x: { id: string }, y: { id: string }) => {
  const order = (id: string) => Number.parseFloat(id.replace(/[ab]$/, (s) => (s === 'a' ? '.1' : '.2')));
  return order(x.id) - order(y.id);
};

const ms = (v: number | null | undefined) => (v === null || v === undefined ? 'not within 3000 ms' : `${v} ms`);
const perInstance = (d: Record<string, number | null>) =>
  Object.keys(d).length
    ? Object.entries(d)
        .map(([k, v]) => `${k} ${ms(v)}`)
        .join(', ')
    : 'not measured';

export function printSummary(r: Report, log: (line: string) => void): void {
  log('');
  log('=== cluster test: figures ===');
  log(`revocation delay:          ${perInstance(r.revocationDelayMs)} (limit ${INVALIDATION_LIMIT_MS} ms)`);
  log(`merchant deletion delay:   ${perInstance(r.merchantDeletionDelayMs)} (limit ${INVALIDATION_LIMIT_MS} ms)`);
  const by = Object.entries(r.requests.answeredThroughBalancerBy)
    .map(([k, n]) => `${n} by ${k}`)
    .join(', ');
  log(
    `requests through balancer: ${r.requests.throughBalancer} (${by}); straight to a ${r.requests.directToA}, to b ${r.requests.directToB}`,
  );
  const rl = r.rateLimit;
  log(
    rl
      ? `rate limit:                ${rl.admitted} of ${rl.sent} admitted in ${rl.elapsedMs} ms, allowed ≤ ${rl.allowed} ` +
          `(${rl.perSecond}/s, burst ${rl.burst}; per process it would be ≈ ${2 * rl.burst})`
      : 'rate limit:                not measured',
  );
  const lo = r.lockout;
  log(
    lo
      ? `lockout:                   first 429 after ${lo.failuresBeforeFirst429 ?? 'no'} failures (limit ${lo.limit}; per process ≈ ${lo.perProcessWouldBe})`
      : 'lockout:                   not measured',
  );
  const ro = r.rotation;
  if (ro)
    log(
      `rotation:                  ${ro.requests} requests during it, ${ro.failed} failed; keys rotate ${ro.masterRotateMs} ms, ` +
        `keys rotate --data ${ro.dataRotateMs} ms; ${ro.cardsRevealedAfter} cards revealed by both after`,
    );
  if (r.concurrentWrites) log(`concurrent writes:         ${r.concurrentWrites.sent} sent, ${r.concurrentWrites.failed} failed`);
  log('');
  for (const c of r.checks) log(`${c.passed ? 'passed' : 'FAILED'}  ${c.id}. ${c.title}${c.passed ? '' : ` — ${c.failures[0]}`}`);
  for (const p of r.problems) log(`FAILED  ${p}`);
  const ok = r.checks.filter((c) => c.passed).length;
  log(
    `${r.passed ? 'PASSED' : 'FAILED'}: ${ok} of ${r.checks.length} checks passed${r.problems.length ? `, ${r.problems.length} other problems` : ''} in ${(r.elapsedMs / 1000).toFixed(1)} s`,
  );
}
