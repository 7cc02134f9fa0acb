/** What `npm run bench` measures and how: paths, scenario names, fixture sizes and the command line. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BENCH_DIR = path.join(ROOT, 'bench');
export const RESULTS_DIR = path.join(BENCH_DIR, 'results');
export const README = path.join(BENCH_DIR, 'README.md');
export const SCENARIO_NAMES = [
  'bare',
  'tokenize',
  'retrieve',
  'list',
  'authorize',
  '2c2p-add',
  'cybersource-create-instrument',
  'alliancepay-create',
  'opay-create',
  'appotapay-create',
] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];
/** JOSE routes: bounded by public-key crypto, so their ratio is to an in-process round trip of the same work. */
export const JOSE_SCENARIOS: readonly ScenarioName[] = ['2c2p-add', 'alliancepay-create'];
/** RSA routes get no p99-at-half-rate run (the latency target is for the others). */
export const RSA_SCENARIOS: readonly ScenarioName[] = ['2c2p-add'];
/** What `--scale` measures again after the preload. */
export const SCALE_SCENARIOS: readonly ScenarioName[] = ['retrieve', 'list', 'tokenize'];
export const DEFAULT_PG_URL = 'postgres://postgres@127.0.0.1:5432/test';
export const RETRIEVE_CARDS = 1000;
export const CUSTOMER_CARDS = 10;
export const TWOC2P_BODIES = 200;
export const PAN_POOL = 50_000;
export const WARMUP_SECONDS = 1;
/** AlliancePay requests ready before the warm-up; the main run's pool is sized from the warm-up's rate. */
export const ALLIANCE_WARMUP_POOL = 200;
/** Revealed through the HTTP API after a preload, to prove the server can decrypt bulk-loaded cards. */
export const REVEAL_CHECKS = 3;

export const USAGE = `usage: npm run bench -- [options]

  --db sqlite|postgres   backend (default sqlite; postgres uses DATABASE_URL or ${DEFAULT_PG_URL})
  --workers N            server processes (serve --workers N; default 1)
  --duration S           seconds per scenario (default 10); the run at half the max rate takes half as long (at least 3 s)
  --connections N        concurrent connections (default 32)
  --quick                3 s per scenario and 2 s at half rate, for smoke runs (results get a -quick suffix and never replace full-run README rows)
  --scenarios a,b        subset of ${SCENARIO_NAMES.join(',')} (bare always runs: it is the ratio's reference)
  --scale N              then preload N cards through the bulk path (bench/bulk.ts) and run ${SCALE_SCENARIOS.join(', ')} again
  --no-half              skip the runs at half the max rate
  --through-api N        instead of the scenarios: tokenize N cards through POST /v1/cards (concurrent, progress on stderr)
                         and report cards/s, server CPU µs per card, server RSS after and its peak
  --profile DIR          run the server under V8's CPU profiler (node --cpu-prof), its profiles written to DIR; bare runs
                         1 s so the profile is mostly the scenarios, and no results file is written (use with --scenarios);
                         \`node bin/run-ts.mjs bench/profile.ts DIR --group\` prints where the time went
  --readme               only regenerate the tables of bench/README.md from bench/results, run nothing
  --help`;

export interface Options {
  db: 'sqlite' | 'postgres';
  workers: number;
  duration: number;
  halfDuration: number;
  connections: number;
  quick: boolean;
  half: boolean;
  scale: number;
  scenarios: ScenarioName[];
  /** Cards to tokenize through the HTTP API instead of running the scenarios; 0: the scenarios. */
  throughApi: number;
  /** Where the server writes its CPU profiles (--profile), or null. */
  profile: string | null;
}

export type Command = { kind: 'readme' } | { kind: 'run'; opts: Options };

function whole(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max)
    throw new UsageError(`--${name} must be a whole number from ${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')}`);
  return Number(raw);
}

export class UsageError extends Error {}

/** The scenarios asked for with --scenarios (bare always; with --scale, the ones it reruns too). */
function chosenScenarios(raw: string | undefined, scale: number): ScenarioName[] {
  if (raw === undefined) return [...SCENARIO_NAMES];
  const asked = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = asked.filter((s) => !(SCENARIO_NAMES as readonly string[]).includes(s));
  if (unknown.length || asked.length === 0) throw new UsageError(`--scenarios: choose from ${SCENARIO_NAMES.join(',')} (got ${raw})`);
  // With --scale, the scenarios it reruns also run first: their small-size figures are the reference.
  return SCENARIO_NAMES.filter((s) => s === 'bare' || asked.includes(s) || (scale > 0 && SCALE_SCENARIOS.includes(s)));
}

export function parseOptions(argv: string[]): Command {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      db: { type: 'string' },
      workers: { type: 'string' },
      duration: { type: 'string' },
      connections: { type: 'string' },
      quick: { type: 'boolean' },
      scenarios: { type: 'string' },
      scale: { type: 'string' },
      'through-api': { type: 'string' },
      'no-half': { type: 'boolean' },
      profile: { type: 'string' },
      readme: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (values.readme) return { kind: 'readme' };
  const db = values.db ?? 'sqlite';
  if (db !== 'sqlite' && db !== 'postgres') throw new UsageError('--db must be sqlite or postgres');
  const quick = values.quick ?? false;
  const scale = whole('scale', values.scale, 0, 1000, 10_000_000);
  const throughApi = whole('through-api', values['through-api'], 0, 1000, 10_000_000);
  if (throughApi && (scale || values.scenarios !== undefined))
    throw new UsageError('--through-api is a run of its own: it takes neither --scale nor --scenarios');
  const duration = whole('duration', values.duration, quick ? 3 : 10, 1, 3600);
  const opts: Options = {
    db,
    workers: whole('workers', values.workers, 1, 1, 64),
    duration,
    halfDuration: quick ? 2 : Math.max(3, Math.round(duration / 2)),
    connections: whole('connections', values.connections, 32, 1, 10_000),
    quick,
    half: !values['no-half'],
    scale,
    scenarios: chosenScenarios(values.scenarios, scale),
    throughApi,
    profile: values.profile ?? null,
  };
  return { kind: 'run', opts };
}
