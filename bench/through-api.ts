/**
 * `npm run bench -- --through-api N`: N cards tokenized through the server's HTTP API (POST /v1/cards, one
 * merchant, --connections at once), as a merchant loading its cards would, with a progress bar on stderr.
 * Reports cards/s, the server's CPU per card (bench/proc-cpu.ts), its RSS before and after and its peak
 * (VmHWM). Card numbers come from a counter (a per-run prefix, a 9-digit counter, the Luhn digit), so a
 * million of them never sit in memory; autocannon keeps histograms, not requests.
 */
import { randomInt } from 'node:crypto';
import { type AcResult, autocannonVersion, cannon } from './autocannon.ts';
import { panAt } from './bulk.ts';
import type { Options } from './options.ts';
import { cpuPerRequest, treeCpu, treeMemory } from './proc-cpu.ts';
import { progressBar } from './progress.ts';
import { fmt, mdTable } from './report.ts';
import type { Machine, RunInfo, ThroughApiInfo } from './run-info.ts';
import { tokenizeRequest } from './scenarios.ts';
import type { Backend, Server } from './server.ts';
import { call } from './setup.ts';

/** RSS samples over the run: about this many. */
const RSS_SAMPLES = 10;

/** A fresh card number per call: 4, a 5-digit per-run prefix, a counter from a random start, the check digit. */
function panCounter(count: number): () => string {
  const spec = { prefix: `4${String(randomInt(0, 100_000)).padStart(5, '0')}`, length: 16 };
  // Room for twice the count: a request that fails at the connection is sent again with a new number.
  let next = randomInt(0, 1_000_000_000 - 2 * count);
  return () => panAt(spec, next++);
}

interface Progress {
  onResponse: (statusCode: number) => void;
  rssSamples: { cards: number; rssMb: number }[];
  /** performance.now() of the last answer (autocannon reports its end up to a second later). */
  lastAnswerAt: () => number;
}

function tracking(count: number, serverPid: number): Progress {
  const bar = progressBar('tokenize');
  const every = Math.max(1, Math.floor(count / RSS_SAMPLES));
  const rssSamples: { cards: number; rssMb: number }[] = [];
  let done = 0;
  let last = performance.now();
  return {
    rssSamples,
    lastAnswerAt: () => last,
    onResponse: () => {
      done++;
      last = performance.now();
      bar(done, count);
      if (done % every === 0) {
        const m = treeMemory(serverPid);
        if (m) rssSamples.push({ cards: done, rssMb: Math.round(m.rssMb * 10) / 10 });
      }
    },
  };
}

/** Tokenizes `count` cards through the API and measures the server around it. */
async function tokenizeMany(server: Server, apiKey: string, opts: Options, expYear: number): Promise<ThroughApiInfo> {
  const pid = server.child.pid as number;
  const count = opts.throughApi;
  const connections = Math.min(opts.connections, count);
  const before = treeMemory(pid);
  const progress = tracking(count, pid);
  const cpuBefore = treeCpu(pid);
  const started = performance.now();
  const r: AcResult = await cannon(
    { url: server.base, connections, amount: count, timeout: 30, requests: [tokenizeRequest(apiKey, panCounter(count), expYear)] },
    progress.onResponse,
  );
  const cpu = cpuPerRequest(cpuBefore, treeCpu(pid), r.requests.total);
  const seconds = (progress.lastAnswerAt() - started) / 1000;
  const after = treeMemory(pid);
  const created = r.statusCodeStats['201']?.count ?? 0;
  return {
    cards: count,
    created,
    connections,
    seconds,
    cardsPerSecond: created / seconds,
    cpuUsPerCard: cpu?.usPerRequest ?? null,
    cpu,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    rssBeforeMb: before?.rssMb ?? null,
    rssAfterMb: after?.rssMb ?? null,
    peakRssMb: after?.peakMb ?? null,
    processes: after?.processes ?? 0,
    rssSamples: progress.rssSamples,
    non2xx: r.non2xx,
    errors: r.errors,
    statusCodes: Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([code, v]) => [code, v.count])),
  };
}

export function throughApiMarkdown(run: RunInfo): string {
  const t = run.throughApi as ThroughApiInfo;
  const c = run.config;
  const header = ['cards', 'cards/s', 'cpu µs/card', 'p50 ms', 'p99 ms', 'RSS before MB', 'RSS after MB', 'peak RSS MB'];
  const row = [t.cards, t.cardsPerSecond, t.cpuUsPerCard, t.p50Ms, t.p99Ms, t.rssBeforeMb, t.rssAfterMb, t.peakRssMb];
  const cells = row.map((v, i) =>
    i === 0 ? fmt.count(v ?? 0) : i === 1 ? fmt.rps(v ?? 0) : i === 2 ? fmt.us(v) : i < 5 ? fmt.ms(v) : fmt.mb(v),
  );
  return [
    `# tokenvault benchmark, ${run.date} (${c.db}, ${c.workers} worker${c.workers === 1 ? '' : 's'}, ${fmt.count(t.cards)} cards through the API${c.quick ? ', quick' : ''})`,
    '',
    `- Machine: ${run.machine.cpu}, ${run.machine.cores} cores, ${run.machine.memoryGb} GB, ${run.machine.os}, Node ${run.machine.node}; 1-min load average ${run.machine.loadAverage} at the start`,
    `- Load: POST /v1/cards with a new card number each, autocannon ${c.autocannon}, ${t.connections} connections, 127.0.0.1, one merchant, no warm-up`,
    `- CPU: utime + stime of the server's process tree over the whole run ÷ the cards answered (${fmt.count(t.cpu?.ticks ?? 0)} ticks of ${fmt.ms(1000 / (t.cpu?.clockTicksPerSecond ?? 100))} ms)`,
    `- RSS: ${run.rssNote}`,
    `- Started: ${run.startedAt}`,
    '',
    mdTable(header, () => true, [cells]),
    '',
    `RSS as the run went: ${t.rssSamples.map((s) => `${fmt.count(s.cards)} → ${fmt.mb(s.rssMb)} MB`).join(', ') || '—'}.`,
    '',
    run.failures.length
      ? `**Failures:**\n\n${run.failures.map((f) => `- ${f}`).join('\n')}\n`
      : `All ${fmt.count(t.created)} answered 201.`,
    '',
  ].join('\n');
}

/** The --through-api run: a merchant, N tokenizations, the results file. */
export async function throughApiRun(server: Server, backend: Backend, opts: Options, m: Machine, startedAt: Date): Promise<RunInfo> {
  const merchant = await call<{ id: string; apiKey: string }>(
    server.base,
    backend.adminToken,
    'POST',
    '/v1/admin/merchants',
    { name: 'bench' },
    201,
  );
  console.log(
    `tokenizing ${fmt.count(opts.throughApi)} cards through POST /v1/cards, ${Math.min(opts.connections, opts.throughApi)} connections`,
  );
  const t = await tokenizeMany(server, merchant.apiKey, opts, startedAt.getFullYear() + 3);
  const failures: string[] = [];
  if (t.created !== t.cards || t.non2xx || t.errors)
    failures.push(
      `${fmt.count(t.created)} of ${fmt.count(t.cards)} answered 201; ${t.non2xx} non-2xx (${JSON.stringify(t.statusCodes)}), ${t.errors} errors`,
    );
  if (server.child.exitCode !== null || server.child.signalCode !== null) failures.push('the server exited during the run');
  return {
    date: startedAt.toISOString().slice(0, 10),
    startedAt: startedAt.toISOString(),
    machine: m,
    config: {
      db: opts.db,
      workers: opts.workers,
      durationSeconds: Math.round(t.seconds),
      halfRateSeconds: null,
      connections: t.connections,
      warmupSeconds: 0,
      quick: opts.quick,
      throughApi: opts.throughApi,
      autocannon: autocannonVersion(),
    },
    rssNote: `VmRSS summed over the server process and its descendants (${t.processes} process${t.processes === 1 ? '' : 'es'}), read before and right after the run; peak: VmHWM summed the same way${t.processes > 1 ? ' (a sum of each process’s peak: an upper bound of the tree’s)' : ''}`,
    throughApi: t,
    rows: [],
    failures,
  };
}

/** The console summary of a --through-api run. */
export function throughApiSummary(run: RunInfo): string {
  const t = run.throughApi as ThroughApiInfo;
  return [
    `cards:     ${fmt.count(t.created)} of ${fmt.count(t.cards)} created in ${t.seconds.toFixed(1)} s: ${fmt.rps(t.cardsPerSecond)} cards/s, p50 ${fmt.ms(t.p50Ms)} ms, p99 ${fmt.ms(t.p99Ms)} ms`,
    `cpu:       ${fmt.us(t.cpuUsPerCard)} µs of server CPU per card (${(t.cpu?.cpuSeconds ?? 0).toFixed(1)} s in all)`,
    `server:    RSS ${fmt.mb(t.rssBeforeMb)} MB before, ${fmt.mb(t.rssAfterMb)} MB after, peak ${fmt.mb(t.peakRssMb)} MB (VmHWM)`,
  ].join('\n');
}
