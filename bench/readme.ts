/** bench/README.md: its tables are regenerated from every file in bench/results (`npm run bench -- --readme`). */
import fs from 'node:fs';
import path from 'node:path';
import { JOSE_SCENARIOS, README, RESULTS_DIR, type ScenarioName } from './options.ts';
import { COLUMNS, cells, fmt, mdTable } from './report.ts';
import { type RunInfo, type ScaleInfo, shortCpu, type ThroughApiInfo } from './run-info.ts';

const MARKERS = {
  main: ['<!-- bench:start -->', '<!-- bench:end -->'],
  workers: ['<!-- bench:workers:start -->', '<!-- bench:workers:end -->'],
  scale: ['<!-- bench:scale:start -->', '<!-- bench:scale:end -->'],
  api: ['<!-- bench:api:start -->', '<!-- bench:api:end -->'],
} as const;

/** The target of issue 21 for the server's RSS after tokenizing 1,000,000 cards through the API. */
const API_RSS_TARGET_MB = 250;

function readRuns(): RunInfo[] {
  if (!fs.existsSync(RESULTS_DIR)) return [];
  const runs: RunInfo[] = [];
  for (const file of fs.readdirSync(RESULTS_DIR).sort()) {
    if (!file.endsWith('.json')) continue;
    try {
      const run = JSON.parse(fs.readFileSync(path.join(RESULTS_DIR, file), 'utf8')) as RunInfo;
      if (Array.isArray(run.rows) && run.config && !(run.failures ?? []).length) runs.push(run);
    } catch {
      console.error(`skipping ${file}: not a results file`);
    }
  }
  return runs;
}

/** Full runs before quick ones, then the latest. */
const preferred = (a: RunInfo, b: RunInfo) =>
  Number(a.config.quick) - Number(b.config.quick) || (b.startedAt ?? '').localeCompare(a.startedAt ?? '');

const dbOrder = (db: string) => (db === 'sqlite' ? 0 : db === 'postgres' ? 1 : 2);
const runLabel = (r: RunInfo) =>
  `${r.date}, ${r.config.durationSeconds} s × ${r.config.connections} conn${r.config.quick ? ', quick' : ''}`;

function pick(runs: RunInfo[], key: (r: RunInfo) => string): RunInfo[] {
  const best = new Map<string, RunInfo>();
  for (const r of [...runs].sort(preferred)) if (!best.has(key(r))) best.set(key(r), r);
  return [...best.values()].sort((a, b) => dbOrder(a.config.db) - dbOrder(b.config.db) || a.config.workers - b.config.workers);
}

/** Issue 21's targets for `cpu × bare`, set for SQLite with one worker. */
const CPU_TARGETS: Partial<Record<ScenarioName, string>> = {
  tokenize: '≤ 4',
  retrieve: '≤ 2',
  list: '≤ 3',
  'cybersource-create-instrument': '≤ 5',
  'opay-create': '≤ 5',
  'appotapay-create': '≤ 5',
};

function mainTable(runs: RunInfo[]): string {
  const rows: string[][] = [];
  for (const run of pick(runs, (r) => `${r.config.db}/${r.config.workers}`)) {
    const targeted = run.config.db === 'sqlite' && run.config.workers === 1;
    for (const r of run.rows.filter((x) => x.phase !== 'scale')) {
      const [, req, ratio, cpu, cpuRatio, ...rest] = cells(r);
      const target = (targeted && CPU_TARGETS[r.scenario]) || '';
      rows.push(
        [
          run.config.db,
          String(run.config.workers),
          r.scenario,
          req,
          ratio,
          cpu,
          cpuRatio,
          target,
          ...rest,
          runLabel(run),
          shortCpu(run.machine),
        ].map((c) => c ?? ''),
      );
    }
  }
  const header = ['db', 'workers', 'scenario', ...COLUMNS.slice(1, 5), 'cpu target', ...COLUMNS.slice(5), 'run', 'machine'];
  return mdTable(header, (i) => i >= 3 && i < header.length - 2 && i !== 7, rows);
}

/** workers 2 / workers 1 for each db, from the latest date and machine that have both (full runs preferred). */
function workersTable(runs: RunInfo[]): string {
  const rows: string[][] = [];
  for (const db of [...new Set(runs.map((r) => r.config.db))].sort((a, b) => dbOrder(a) - dbOrder(b))) {
    // Same date and same machine: the factor compares like with like.
    const dayOf = (r: RunInfo) => `${r.date}|${shortCpu(r.machine)}`;
    const days = [...new Set(runs.filter((r) => r.config.db === db).map(dayOf))].sort().reverse();
    for (const day of days) {
      const sameDay = runs.filter((r) => r.config.db === db && dayOf(r) === day);
      const [w1] = sameDay.filter((r) => r.config.workers === 1).sort(preferred);
      const [w2] = sameDay.filter((r) => r.config.workers === 2).sort(preferred);
      if (!w1 || !w2) continue;
      for (const r2 of w2.rows.filter((x) => x.phase !== 'scale')) {
        const r1 = w1.rows.find((x) => x.scenario === r2.scenario && x.phase !== 'scale');
        if (!r1) continue;
        const factor = r2.reqPerSec / r1.reqPerSec;
        const target = JOSE_SCENARIOS.includes(r2.scenario) ? '≥ 1.60' : '';
        rows.push([
          db,
          r2.scenario,
          fmt.rps(r1.reqPerSec),
          fmt.rps(r2.reqPerSec),
          factor.toFixed(2),
          target,
          fmt.us(r1.cpuUsPerReq),
          fmt.us(r2.cpuUsPerReq),
          `${runLabel(w1)} / ${runLabel(w2)}`,
          shortCpu(w1.machine),
        ]);
      }
      break;
    }
  }
  if (rows.length === 0) return '_No date yet has both a 1-worker and a 2-worker run of one database on one machine._';
  const header = [
    'db',
    'scenario',
    'w1 req/s',
    'w2 req/s',
    'w2 / w1',
    'target',
    'w1 cpu µs/req',
    'w2 cpu µs/req',
    'runs (w1 / w2)',
    'machine',
  ];
  return mdTable(header, (i) => (i >= 2 && i <= 4) || i === 6 || i === 7, rows);
}

function scaleTable(runs: RunInfo[]): string {
  // Per combination: full runs first, then the most cards, then the latest.
  const best = new Map<string, RunInfo>();
  const order = (a: RunInfo, b: RunInfo) =>
    Number(a.config.quick) - Number(b.config.quick) || (b.scale?.cards ?? 0) - (a.scale?.cards ?? 0) || preferred(a, b);
  for (const r of runs.filter((x) => x.scale).sort(order))
    best.set(`${r.config.db}/${r.config.workers}`, best.get(`${r.config.db}/${r.config.workers}`) ?? r);
  const scaled = [...best.values()].sort((a, b) => dbOrder(a.config.db) - dbOrder(b.config.db) || a.config.workers - b.config.workers);
  if (scaled.length === 0) return '_No scale run yet (`npm run bench -- --scale 1000000`)._';
  const rows: string[][] = [];
  const notes: string[] = [];
  for (const run of scaled) {
    const s = run.scale as ScaleInfo;
    for (const r of run.rows.filter((x) => x.phase === 'scale')) {
      const target = r.scenario === 'tokenize' ? '≥ 0.80' : '≥ 0.90';
      rows.push([
        run.config.db,
        String(run.config.workers),
        r.scenario,
        fmt.count(r.storedCards ?? s.cards),
        fmt.rps(r.reqPerSec),
        fmt.ratio(r.ratio),
        target,
        fmt.us(r.cpuUsPerReq),
        fmt.ratio(r.cpuRatio),
        fmt.ms(r.p50Ms),
        fmt.ms(r.p99Ms),
        fmt.ms(r.p99HalfMs),
        fmt.mb(r.rssMb),
        runLabel(run),
      ]);
    }
    notes.push(
      `- ${run.config.db}, ${run.config.workers} worker${run.config.workers === 1 ? '' : 's'}: ${fmt.count(s.cards)} cards preloaded in ${s.preloadSeconds.toFixed(1)} s (${fmt.rps(s.cardsPerSecond)} cards/s), ${s.revealChecked} revealed back through the API; server RSS after the reruns **${fmt.mb(s.rssAfterMb)} MB** (target ≤ 250).`,
    );
  }
  const header = [
    'db',
    'workers',
    'scenario',
    'stored cards',
    'req/s',
    '× small',
    'target',
    'cpu µs/req',
    'cpu × bare',
    'p50 ms',
    'p99 ms',
    'p99@½ ms',
    'server RSS MB',
    'run',
  ];
  return `${mdTable(header, (i) => i >= 3 && i <= 12 && i !== 6, rows)}\n\n${notes.join('\n')}`;
}

function replaceBetween(text: string, [start, end]: readonly [string, string], body: string): string {
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a < 0 || b < a) return `${text.trimEnd()}\n\n${start}\n${body}\n${end}\n`;
  return `${text.slice(0, a + start.length)}\n${body}\n${text.slice(b)}`;
}

/** Per db/workers: full runs first, then the most cards, then the latest. */
function apiTable(runs: RunInfo[]): string {
  const best = new Map<string, RunInfo>();
  const cards = (r: RunInfo) => r.throughApi?.cards ?? 0;
  const order = (a: RunInfo, b: RunInfo) => Number(a.config.quick) - Number(b.config.quick) || cards(b) - cards(a) || preferred(a, b);
  for (const r of runs.sort(order)) best.set(`${r.config.db}/${r.config.workers}`, best.get(`${r.config.db}/${r.config.workers}`) ?? r);
  const chosen = [...best.values()].sort((a, b) => dbOrder(a.config.db) - dbOrder(b.config.db) || a.config.workers - b.config.workers);
  if (chosen.length === 0) return '_No --through-api run yet (`npm run bench -- --through-api 1000000`)._';
  const rows = chosen.map((run) => {
    const t = run.throughApi as ThroughApiInfo;
    return [
      run.config.db,
      String(run.config.workers),
      fmt.count(t.cards),
      fmt.rps(t.cardsPerSecond),
      fmt.us(t.cpuUsPerCard),
      fmt.ms(t.p50Ms),
      fmt.ms(t.p99Ms),
      fmt.mb(t.rssBeforeMb),
      fmt.mb(t.rssAfterMb),
      fmt.mb(t.peakRssMb),
      t.cards >= 1_000_000 ? `≤ ${API_RSS_TARGET_MB}` : '',
      `${run.date}, ${t.connections} conn${run.config.quick ? ', quick' : ''}`,
      shortCpu(run.machine),
    ];
  });
  const header = [
    'db',
    'workers',
    'cards',
    'cards/s',
    'cpu µs/card',
    'p50 ms',
    'p99 ms',
    'RSS before MB',
    'RSS after MB',
    'peak RSS MB',
    'target',
    'run',
    'machine',
  ];
  return mdTable(header, (i) => i >= 2 && i <= 9, rows);
}

/** Regenerates every table in bench/README.md from bench/results (runs with failures are left out). */
export function updateReadme(): void {
  const all = readRuns();
  const runs = all.filter((r) => !r.throughApi);
  let text = fs.existsSync(README) ? fs.readFileSync(README, 'utf8') : '# Benchmarks\n';
  text = replaceBetween(text, MARKERS.main, mainTable(runs));
  text = replaceBetween(text, MARKERS.workers, workersTable(runs));
  text = replaceBetween(text, MARKERS.scale, scaleTable(runs));
  text = replaceBetween(text, MARKERS.api, apiTable(all.filter((r) => r.throughApi)));
  fs.writeFileSync(README, text);
}

/** Writes bench/results/<date>-<db>-w<workers>[-scale<N>|-api<N>][-quick].json and .md; returns the stem. */
export function saveRun(run: RunInfo, markdown: string): string {
  const c = run.config;
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const size = c.scale ? `-scale${c.scale}` : c.throughApi ? `-api${c.throughApi}` : '';
  const stem = path.join(RESULTS_DIR, `${run.date}-${c.db}-w${c.workers}${size}${c.quick ? '-quick' : ''}`);
  fs.writeFileSync(`${stem}.json`, `${JSON.stringify(run, null, 2)}\n`);
  fs.writeFileSync(`${stem}.md`, markdown);
  return stem;
}
