/**
 * One scenario's measurement: a warm-up that is not recorded, the measured autocannon run with the server's
 * CPU time and RSS read from /proc right before and right after it, then (unless RSA) the paced run at half
 * its rate (bench/paced.ts).
 */
import { type AcOptions, type AcResult, cannon } from './autocannon.ts';
import { ALLIANCE_WARMUP_POOL, type Options, RSA_SCENARIOS, WARMUP_SECONDS } from './options.ts';
import { paced } from './paced.ts';
import { type CpuPerRequest, cpuPerRequest, treeCpu, treeMemory } from './proc-cpu.ts';
import { fmt } from './report.ts';
import type { HalfRate, Row } from './run-info.ts';
import { requestStream, type Scenario } from './scenarios.ts';

export interface MeasureContext {
  base: string;
  opts: Options;
  /** The `tokenvault serve` process: its tree is what CPU and RSS are read from. */
  serverPid: number;
  fail: (msg: string) => void;
  serverGone: () => boolean;
}

type Shared = Pick<AcOptions, 'url' | 'connections' | 'timeout' | 'verifyBody'>;

/** The warm-up; for single-use prepared requests, then enough of them for the measured run. */
async function warmUp(ctx: MeasureContext, s: Scenario, shared: Shared): Promise<void> {
  await s.prepare?.(ALLIANCE_WARMUP_POOL);
  s.poolShortfall?.reset();
  const warm = await cannon({ ...shared, duration: WARMUP_SECONDS, ...s.requests() });
  if (!s.prepare) return;
  // Single-use requests: enough for the measured run at 1.5× the warm-up's rate, plus two per connection.
  // The warm-up's answers plus one in flight per connection: a slow route (≈ 1 s per answer at 32
  // connections) completes few requests in a 1 s warm-up, and too small a pool fails the run.
  const { connections, duration } = ctx.opts;
  let rate = ((warm.statusCodeStats['200']?.count ?? 0) + connections) / Math.max(warm.duration, WARMUP_SECONDS);
  if (s.poolShortfall?.read()) rate *= 2;
  const need = Math.ceil(rate * 1.5 * duration) + 2 * connections;
  process.stdout.write(`(preparing ${fmt.count(need)} requests… `);
  const t = performance.now();
  await s.prepare(need);
  process.stdout.write(`${((performance.now() - t) / 1000).toFixed(1)} s) `);
}

function rowOf(s: Scenario, r: AcResult, cpu: CpuPerRequest | null, serverPid: number): Row {
  const rss = treeMemory(serverPid);
  return {
    scenario: s.name,
    phase: 'small',
    what: s.what,
    reqPerSec: r.requests.mean,
    ratio: null,
    ratioTo: 'bare',
    cpuUsPerReq: cpu?.usPerRequest ?? null,
    cpuRatio: null,
    cpu,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    p99HalfMs: null,
    half: null,
    meanLatencyMs: r.latency.average,
    requests: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    mismatches: r.mismatches ?? 0,
    statusCodes: Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([code, v]) => [code, v.count])),
    rssMb: rss?.rssMb ?? null,
    rssProcesses: rss?.processes ?? 0,
  };
}

/** The same requests, open loop at half the measured rate: latency when the server is not saturated. */
async function halfRateRun(ctx: MeasureContext, s: Scenario, label: string, measuredRate: number): Promise<HalfRate> {
  const { opts, base } = ctx;
  const rate = measuredRate / 2;
  await s.prepare?.(Math.ceil(rate * opts.halfDuration * 1.1) + opts.connections);
  s.poolShortfall?.reset();
  const before = treeCpu(ctx.serverPid);
  const p = await paced({
    url: base,
    rate,
    durationSeconds: opts.halfDuration,
    connections: opts.connections,
    timeoutMs: 10_000,
    next: requestStream(s.requests().requests ?? []),
    ...(s.verify ? { verify: s.verify } : {}),
  });
  const cpu = cpuPerRequest(before, treeCpu(ctx.serverPid), p.completed);
  process.stdout.write(`; at ${fmt.rps(rate)}/s p99 ${fmt.ms(p.latencyMs.p99)} ms`);
  if (p.sendLagMs.p99 > 2) process.stdout.write(` (generator ran late: p99 send lag ${fmt.ms(p.sendLagMs.p99)} ms)`);
  if (p.non2xx || p.errors || p.timeouts || p.mismatches || s.poolShortfall?.read()) {
    ctx.fail(
      `${label} at half rate: ${p.non2xx} non-2xx (status codes ${JSON.stringify(p.statusCodes)}), ${p.errors} errors, ${p.timeouts} timeouts, ${p.mismatches} refusals in a 2xx${s.poolShortfall?.read() ? ', prepared requests ran out' : ''}`,
    );
  }
  return {
    targetRate: p.targetRate,
    achievedRate: p.achievedRate,
    durationSeconds: opts.halfDuration,
    requests: p.sent,
    p50Ms: p.latencyMs.p50,
    p90Ms: p.latencyMs.p90,
    p99Ms: p.latencyMs.p99,
    maxMs: p.latencyMs.max,
    sendLagP99Ms: p.sendLagMs.p99,
    peakConnections: p.peakConnections,
    non2xx: p.non2xx,
    errors: p.errors,
    timeouts: p.timeouts,
    mismatches: p.mismatches,
    statusCodes: p.statusCodes,
    cpuUsPerReq: cpu?.usPerRequest ?? null,
  };
}

/** Warm-up, the measured run (CPU and RSS of the server around it), then (unless RSA) the paced run at half its rate. */
export async function measure(ctx: MeasureContext, s: Scenario, label: string): Promise<Row> {
  const { opts } = ctx;
  process.stdout.write(`${label.padEnd(9)} ${s.what} … `);
  const shared: Shared = { url: ctx.base, connections: opts.connections, timeout: 10, ...(s.verify ? { verifyBody: s.verify } : {}) };
  await warmUp(ctx, s, shared);
  s.poolShortfall?.reset();
  const before = treeCpu(ctx.serverPid);
  // Profiling (--profile): bare runs 1 s, so the profile is mostly the scenarios asked for.
  const duration = opts.profile !== null && s.name === 'bare' ? 1 : opts.duration;
  const r = await cannon({ ...shared, duration, ...s.requests() });
  const cpu = cpuPerRequest(before, treeCpu(ctx.serverPid), r.requests.total);
  const shortfall = s.poolShortfall?.read() ?? 0;
  const row = rowOf(s, r, cpu, ctx.serverPid);
  process.stdout.write(
    `${fmt.rps(row.reqPerSec)} req/s, cpu ${fmt.us(row.cpuUsPerReq)} µs/req, p50 ${fmt.ms(row.p50Ms)} ms, p99 ${fmt.ms(row.p99Ms)} ms`,
  );
  if (r.non2xx || r.errors || r.timeouts || row.mismatches) {
    ctx.fail(
      `${label}: ${r.non2xx} non-2xx (status codes ${JSON.stringify(row.statusCodes)}), ${r.errors} errors (${r.timeouts} timeouts), ${row.mismatches} refusals in a 2xx`,
    );
  }
  if (shortfall)
    ctx.fail(`${label}: the prepared requests ran out (${shortfall} sent again); the server was faster than the warm-up suggested`);
  if (opts.half && !RSA_SCENARIOS.includes(s.name) && !ctx.serverGone() && row.reqPerSec > 0) {
    row.half = await halfRateRun(ctx, s, label, row.reqPerSec);
    row.p99HalfMs = row.half.p99Ms;
  }
  console.log('');
  return row;
}
