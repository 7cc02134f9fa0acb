/**
 * The scenario run (`npm run bench` without --through-api): the fixture through the API, every scenario,
 * the in-process JOSE ceilings, and with --scale the preload and the reruns at N cards.
 */
import { randomInt } from 'node:crypto';
import { allianceRoundTripsPerSecond } from './alliancepay.ts';
import { autocannonVersion } from './autocannon.ts';
import { type PanSpec, preloadCards } from './bulk.ts';
import { type MeasureContext, measure } from './measure.ts';
import {
  CUSTOMER_CARDS,
  JOSE_SCENARIOS,
  type Options,
  PAN_POOL,
  RETRIEVE_CARDS,
  SCALE_SCENARIOS,
  type ScenarioName,
  WARMUP_SECONDS,
} from './options.ts';
import { treeMemory } from './proc-cpu.ts';
import { progressBar } from './progress.ts';
import { CPU_NOTE, consoleTable, fmt } from './report.ts';
import { type Machine, type Row, type RunInfo, type ScaleInfo, shortCpu } from './run-info.ts';
import { type Scenario, scenarios } from './scenarios.ts';
import type { Backend, Server } from './server.ts';
import { type Fixtures, revealCheck, setup, visaPans } from './setup.ts';
import { twoc2pRoundTripsPerSecond } from './twoc2p.ts';

/** The card numbers of a run: a pool the API scenarios cycle through, and a disjoint range for the preload. */
interface CardNumbers {
  next: () => string;
  /** How many numbers went to the server so far. */
  sent: () => number;
  poolSize: number;
  preload: PanSpec;
}

function cardNumbers(): CardNumbers {
  const runPrefix = randomInt(0, 100_000);
  const pool = visaPans(`4${String(runPrefix).padStart(5, '0')}`, PAN_POOL);
  let index = 0;
  return {
    next: () => pool[index++ % pool.length] as string,
    sent: () => index,
    poolSize: pool.length,
    // The preload's card numbers differ from every number the API scenarios send in this run.
    preload: { prefix: `4${String((runPrefix + 1) % 100_000).padStart(5, '0')}`, length: 16 },
  };
}

/** Server CPU per request ÷ the bare row's, of the same run. */
const cpuRatio = (row: Row, bare: Row | undefined): number | null =>
  row.cpuUsPerReq != null && bare?.cpuUsPerReq ? row.cpuUsPerReq / bare.cpuUsPerReq : null;

async function runScenarios(ctx: MeasureContext, all: Record<ScenarioName, Scenario>, server: Server): Promise<Row[]> {
  const rows: Row[] = [];
  let bare: Row | undefined;
  for (const name of ctx.opts.scenarios) {
    const row = await measure(ctx, all[name], name);
    if (name === 'bare') bare = row;
    row.ratio = bare ? row.reqPerSec / bare.reqPerSec : null;
    row.cpuRatio = cpuRatio(row, bare);
    rows.push(row);
    if (ctx.serverGone()) {
      ctx.fail(`server exited during ${name}`);
      console.error(server.output.slice(-40).join('\n'));
      break;
    }
  }
  return rows;
}

/** JOSE routes are bounded by public-key crypto, not HTTP: their req/s ratio is to the same crypto done in-process. */
async function joseCeilings(rows: Row[], opts: Options): Promise<Partial<Record<ScenarioName, number>>> {
  const out: Partial<Record<ScenarioName, number>> = {};
  const seconds = Math.min(opts.duration, 5);
  const ceilings: [ScenarioName, string, (s: number) => Promise<number>][] = [
    ['2c2p-add', 'in-process 2C2P round trip (verify + decrypt + encrypt + sign, RSA-2048)', twoc2pRoundTripsPerSecond],
    [
      'alliancepay-create',
      'in-process AlliancePay round trip (decrypt body + card number + expiry, encrypt answer; ECDH-ES P-384)',
      allianceRoundTripsPerSecond,
    ],
  ];
  for (const [name, what, measureCeiling] of ceilings) {
    const row = rows.find((r) => r.scenario === name);
    if (!row) continue;
    process.stdout.write(`jose      ${what}, one at a time … `);
    const ceiling = await measureCeiling(seconds);
    out[name] = ceiling;
    row.ratio = row.reqPerSec / ceiling;
    row.ratioTo = 'jose';
    row.what = `${row.what}; JOSE ceiling ${Math.round(ceiling)}/s`;
    console.log(`${fmt.rps(ceiling)} round trips/s; ${name} at ${row.ratio.toFixed(2)} of it`);
  }
  return out;
}

interface ScaleContext {
  ctx: MeasureContext;
  backend: Backend;
  fixtures: Fixtures;
  pans: CardNumbers;
  expYear: number;
}

/** --scale N: preload N cards, check a few through the API, and measure retrieve, list and tokenize again. */
async function scaleRun({ ctx, backend, fixtures, pans, expYear }: ScaleContext, rows: Row[]): Promise<ScaleInfo> {
  const n = ctx.opts.scale;
  console.log(`\npreload: ${fmt.count(n)} cards through the bulk path (bench/bulk.ts), the server idle meanwhile`);
  const loaded = await preloadCards({
    env: backend.env,
    merchantId: fixtures.merchantId,
    count: n,
    pans: pans.preload,
    expMonth: 12,
    expYear,
    sample: RETRIEVE_CARDS,
    onProgress: progressBar('preload'),
  });
  console.log(
    `preload: ${fmt.rps(loaded.cardsPerSecond)} cards/s (${loaded.seconds.toFixed(1)} s, ${loaded.buildWorkers} build threads, ${loaded.writeSeconds.toFixed(1)} s writing)`,
  );
  const revealed = await revealCheck(ctx.base, backend.adminToken, fixtures.merchantId, loaded.sample);
  console.log(`preload: ${revealed} bulk-loaded cards revealed through the API match what was loaded\n`);
  const big = scenarios({ ...fixtures, tokens: loaded.sample.map((s) => s.token) }, pans.next, expYear);
  const bare = rows.find((r) => r.scenario === 'bare');
  for (const name of SCALE_SCENARIOS) {
    const small = rows.find((r) => r.scenario === name && r.phase === 'small');
    if (!small) continue;
    const row = await measure(ctx, big[name], `${name}@N`);
    row.phase = 'scale';
    row.storedCards = n;
    if (name === 'retrieve') row.what = `${row.what}, preloaded ones spread evenly over all ${fmt.count(n)}`;
    row.ratio = row.reqPerSec / small.reqPerSec;
    row.ratioTo = 'small';
    row.cpuRatio = cpuRatio(row, bare);
    rows.push(row);
    if (ctx.serverGone()) {
      ctx.fail(`server exited during ${name} at scale`);
      break;
    }
  }
  const rss = treeMemory(ctx.serverPid);
  console.log(`scale: server RSS after the reruns ${fmt.mb(rss?.rssMb)} MB`);
  return {
    cards: n,
    preloadSeconds: loaded.seconds,
    cardsPerSecond: loaded.cardsPerSecond,
    buildWorkers: loaded.buildWorkers,
    writeSeconds: loaded.writeSeconds,
    revealChecked: revealed,
    rssAfterMb: rss?.rssMb ?? null,
    cardNumbersSentToServer: pans.sent(),
  };
}

/** The printed table and the notes under it. */
export function printScenarioRun(run: RunInfo): void {
  const c = run.config;
  console.log(
    `\n${c.db}, ${c.workers} worker${c.workers === 1 ? '' : 's'}, ${c.connections} connections, ${c.durationSeconds} s — ${shortCpu(run.machine)}, Node ${run.machine.node}\n`,
  );
  console.log(consoleTable(run.rows));
  console.log(
    `\nratio: × bare; ${JOSE_SCENARIOS.join(', ')} × the in-process JOSE round trip; "@ N" rows × the same scenario before the preload`,
  );
  console.log(`cpu: ${CPU_NOTE}`);
  console.log(
    c.halfRateSeconds
      ? `p99@½: paced (open loop) at half the scenario's req/s for ${c.halfRateSeconds} s, latency from write to last byte`
      : 'p99@½: not run (--no-half)',
  );
  console.log(`RSS: ${run.rssNote}`);
}

export async function scenarioRun(server: Server, backend: Backend, opts: Options, m: Machine, startedAt: Date): Promise<RunInfo> {
  const expYear = startedAt.getFullYear() + 3;
  const pans = cardNumbers();
  process.stdout.write(
    `setup: merchant, customer with ${CUSTOMER_CARDS} cards, ${fmt.count(RETRIEVE_CARDS)} cards to retrieve, an AlliancePay session… `,
  );
  const fixtures = await setup(server.base, backend.adminToken, pans.next, expYear);
  console.log('done\n');
  const failures: string[] = [];
  const ctx: MeasureContext = {
    base: server.base,
    opts,
    serverPid: server.child.pid as number,
    fail: (msg) => {
      failures.push(msg);
      console.error(`\n!!! ${msg}\n`);
    },
    serverGone: () => server.child.exitCode !== null || server.child.signalCode !== null,
  };
  const rows = await runScenarios(ctx, scenarios(fixtures, pans.next, expYear), server);
  const ceilings = await joseCeilings(rows, opts);
  let scale: ScaleInfo | null = null;
  if (opts.scale && failures.length === 0) scale = await scaleRun({ ctx, backend, fixtures, pans, expYear }, rows);
  else if (opts.scale) console.error('scale: skipped, the run already failed');
  if (pans.sent() > pans.poolSize)
    console.log(`note: ${pans.sent()} card numbers cycled through ${pans.poolSize} distinct ones (repeats map to existing instruments)`);
  if (failures.length) console.error(`server output (tail):\n${server.output.slice(-20).join('\n') || '(none)'}`);
  const rssProcs = rows[0]?.rssProcesses ?? 0;
  return {
    date: startedAt.toISOString().slice(0, 10),
    startedAt: startedAt.toISOString(),
    machine: m,
    config: {
      db: opts.db,
      workers: opts.workers,
      durationSeconds: opts.duration,
      halfRateSeconds: opts.half ? opts.halfDuration : null,
      connections: opts.connections,
      warmupSeconds: WARMUP_SECONDS,
      quick: opts.quick,
      scale: opts.scale,
      autocannon: autocannonVersion(),
    },
    rssNote: `VmRSS summed over the server process and its descendants (${rssProcs} process${rssProcs === 1 ? '' : 'es'}${opts.workers > 1 ? ': the cluster primary and its workers' : ''}), read after each scenario's measured run (before its paced run)`,
    joseCeilings: ceilings,
    scale,
    rows,
    failures,
  };
}
