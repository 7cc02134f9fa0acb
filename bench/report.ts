/** Printing a run: the console table, the results .md, and the markdown table shape the README shares. */
import type { Row, RunInfo } from './run-info.ts';

export const fmt = {
  rps: (n: number) => Math.round(n).toLocaleString('en-US'),
  ratio: (n: number | null | undefined) => (n === null || n === undefined ? '—' : n.toFixed(2)),
  /** autocannon's latencies are whole milliseconds (its histogram's resolution); the paced ones are not. */
  ms: (n: number | null | undefined) =>
    n === null || n === undefined ? '—' : Number.isInteger(n) ? String(n) : n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : n.toFixed(0),
  mb: (n: number | null | undefined) => (n === null || n === undefined ? '?' : n.toFixed(0)),
  count: (n: number) => n.toLocaleString('en-US'),
  /** Server CPU per request: whole microseconds, a tenth below 10. */
  us: (n: number | null | undefined) =>
    n === null || n === undefined ? '—' : n < 10 ? n.toFixed(1) : Math.round(n).toLocaleString('en-US'),
};

export const COLUMNS = [
  'scenario',
  'req/s',
  'ratio',
  'cpu µs/req',
  'cpu × bare',
  'p50 ms',
  'p99 ms',
  'p99@½ ms',
  'non-2xx',
  'errors',
  'server RSS MB',
];
export const cells = (r: Row) => [
  r.phase === 'scale' ? `${r.scenario} @ ${fmt.count(r.storedCards ?? 0)}` : r.scenario,
  fmt.rps(r.reqPerSec),
  fmt.ratio(r.ratio),
  fmt.us(r.cpuUsPerReq),
  fmt.ratio(r.cpuRatio),
  fmt.ms(r.p50Ms),
  fmt.ms(r.p99Ms),
  fmt.ms(r.p99HalfMs),
  String(r.non2xx + (r.half?.non2xx ?? 0)),
  // autocannon's errors include its timeouts; the paced run counts them apart.
  String(r.errors + (r.mismatches ?? 0) + (r.half ? r.half.errors + r.half.timeouts + r.half.mismatches : 0)),
  fmt.mb(r.rssMb),
];

export function consoleTable(rows: Row[]): string {
  const body = rows.map(cells);
  const widths = COLUMNS.map((c, i) => Math.max(c.length, ...body.map((b) => (b[i] ?? '').length)));
  const line = (cs: string[]) => cs.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(COLUMNS), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

/** A markdown table padded the way the repository's formatter (biome) prints it, so `npm run lint` stays clean. */
export function mdTable(header: string[], rightAligned: (i: number) => boolean, rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(3, h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cs: string[]) =>
    `| ${cs.map((c, i) => (rightAligned(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join(' | ')} |`;
  const rule = `| ${widths.map((w, i) => (rightAligned(i) ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/** How `cpu µs/req` is measured: printed under the console table and in every results .md. */
export const CPU_NOTE =
  "server CPU time (utime + stime, /proc/<pid>/stat) of the server's process tree, read right before and right after each measured run, ÷ the requests answered in it; `cpu × bare` ÷ the bare row's figure of the same run (JOSE and scale rows too); PostgreSQL's own processes are not in it";

/** The clock tick and the worst rounding it causes over the rows (ticks are 10 ms at USER_HZ 100). */
function cpuResolution(rows: Row[]): string {
  const measured = rows.map((r) => r.cpu).filter((c) => c !== null && c !== undefined);
  const first = measured[0];
  if (!first) return '';
  const worst = Math.max(...measured.map((c) => c.resolutionUs));
  return ` (clock tick ${fmt.ms(1000 / first.clockTicksPerSecond)} ms; from the tick counting alone each figure is within ±${fmt.us(worst)} µs or better)`;
}

export function runMarkdown(run: RunInfo): string {
  const c = run.config;
  const ceilings = Object.entries(run.joseCeilings ?? {}).map(([name, v]) => `${name} ${fmt.rps(v as number)}/s`);
  const s = run.scale;
  return [
    `# tokenvault benchmark, ${run.date} (${c.db}, ${c.workers} worker${c.workers === 1 ? '' : 's'}${c.quick ? ', quick' : ''}${s ? `, scale ${fmt.count(s.cards)}` : ''})`,
    '',
    `- Machine: ${run.machine.cpu}, ${run.machine.cores} cores, ${run.machine.memoryGb} GB, ${run.machine.os}, Node ${run.machine.node}; 1-min load average ${run.machine.loadAverage} at the start`,
    `- Load: autocannon ${c.autocannon}, ${c.connections} connections, ${c.durationSeconds} s per scenario after a ${c.warmupSeconds} s warm-up, 127.0.0.1`,
    c.halfRateSeconds
      ? `- p99@½: bench/paced.ts, open loop at half the scenario's req/s for ${c.halfRateSeconds} s over ${c.connections} keep-alive connections, latency from write to last byte`
      : '- p99@½: not run',
    `- Ratio: × the bare row; JOSE rows × the in-process round trip of the same crypto${ceilings.length ? ` (${ceilings.join(', ')})` : ''}; scale rows × the same scenario before the preload`,
    ...(s
      ? [
          `- Scale: ${fmt.count(s.cards)} cards preloaded through bench/bulk.ts in ${s.preloadSeconds.toFixed(1)} s (${fmt.rps(s.cardsPerSecond)} cards/s, ${s.buildWorkers} build threads), ${s.revealChecked} revealed back through the API; server RSS after the reruns ${fmt.mb(s.rssAfterMb)} MB; ${fmt.count(s.cardNumbersSentToServer)} card numbers went through the server's APIs in this run`,
        ]
      : []),
    `- Started: ${run.startedAt}`,
    `- CPU: ${CPU_NOTE}${cpuResolution(run.rows)}`,
    `- RSS: ${run.rssNote}`,
    '',
    mdTable(
      ['scenario', 'what', ...COLUMNS.slice(1)],
      (i) => i >= 2,
      run.rows.map((r) => {
        const [name, ...rest] = cells(r);
        return [name ?? r.scenario, r.what, ...rest];
      }),
    ),
    '',
    run.failures.length
      ? `**Failures:**\n\n${run.failures.map((f) => `- ${f}`).join('\n')}\n`
      : 'No non-2xx responses, no errors and no refusals.',
    '',
  ].join('\n');
}
