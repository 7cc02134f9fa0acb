/**
 * `npm run bench`: starts a real tokenvault server in a child process, drives the hot paths with
 * autocannon from this process and reports req/s, the server's CPU per request (bench/proc-cpu.ts),
 * p50/p99, p99 at half the max rate (bench/paced.ts) and the ratio to the bare HTTP ceiling measured in the
 * same run (DESIGN §8); `--scale N` then preloads N cards (bench/bulk.ts) and measures retrieve, list and
 * tokenize again; `--through-api N` instead tokenizes N cards through the HTTP API (bench/through-api.ts).
 * Writes bench/results/ and regenerates the tables in bench/README.md from them.
 *
 *   run.ts           this: the command line, the server's lifetime, the results files
 *   scenario-run.ts  the scenarios, JOSE ceilings and --scale;  measure.ts  one scenario's runs
 *   scenarios*.ts    what each scenario sends;  setup.ts  the fixture;  server.ts  the child process
 *   report.ts        tables and .md;  readme.ts  the README tables;  run-info.ts  the results file's shape
 */
import path from 'node:path';
import { type Command, type Options, parseOptions, README, RESULTS_DIR, ROOT, SCALE_SCENARIOS, USAGE, WARMUP_SECONDS } from './options.ts';
import { saveRun, updateReadme } from './readme.ts';
import { fmt, runMarkdown } from './report.ts';
import { type Machine, machine, type RunInfo } from './run-info.ts';
import { printScenarioRun, scenarioRun } from './scenario-run.ts';
import { describeBackend, freshBackend, withServer } from './server.ts';
import { throughApiMarkdown, throughApiRun, throughApiSummary } from './through-api.ts';

/** Bounded: setup, warm-ups, scenarios, pools, preload and slack; a hang ends the run instead of stalling a terminal. */
function budgetMs(opts: Options): number {
  if (opts.throughApi) return (300 + opts.throughApi / 100) * 1000;
  const perScenario = opts.duration + WARMUP_SECONDS + (opts.half ? opts.halfDuration : 0) + 30;
  return (
    (180 +
      opts.scenarios.length * perScenario +
      (opts.scenarios.includes('alliancepay-create') ? 240 : 0) +
      (opts.scale ? opts.scale / 1000 + SCALE_SCENARIOS.length * perScenario + 120 : 0)) *
    1000
  );
}

function printPlan(opts: Options, m: Machine, backend: string): void {
  console.log(`machine:  ${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB, Node ${m.node}, ${m.os} (load average ${m.loadAverage})`);
  console.log(`backend:  ${backend}`);
  console.log(`workers:  ${opts.workers}`);
  if (opts.throughApi) {
    console.log(
      `load:     ${fmt.count(opts.throughApi)} cards through POST /v1/cards, ${opts.connections} connections${opts.quick ? ', quick' : ''}`,
    );
  } else {
    console.log(
      `load:     ${opts.connections} connections, ${opts.duration} s per scenario (+${WARMUP_SECONDS} s warm-up)${opts.half ? `, then ${opts.halfDuration} s paced at half that rate` : ''}${opts.quick ? ', quick' : ''}`,
    );
  }
  if (opts.scale) console.log(`scale:    then ${fmt.count(opts.scale)} cards preloaded, and ${SCALE_SCENARIOS.join(', ')} again`);
  console.log('');
}

/**
 * Writes the results files; a run without failures also regenerates the README tables. A profiled run
 * (--profile) writes neither: bare ran 1 s and the profiler's overhead is in every figure.
 */
function finish(run: RunInfo, profile: string | null): number {
  if (profile !== null) {
    console.log(`profiled run: no results file, README unchanged; the profiles are in ${profile} (bench/profile.ts reads them)`);
    return run.failures.length ? 1 : 0;
  }
  const stem = saveRun(run, run.throughApi ? throughApiMarkdown(run) : runMarkdown(run));
  console.log(`wrote ${path.relative(ROOT, stem)}.json and .md`);
  if (run.failures.length) {
    console.error(
      `\nFAILED: ${run.failures.length} problem(s); this run is left out of bench/README.md:\n${run.failures.map((f) => `  - ${f}`).join('\n')}`,
    );
    return 1;
  }
  updateReadme();
  console.log(
    `regenerated the tables of ${path.relative(ROOT, README)} from ${path.relative(ROOT, RESULTS_DIR)}/ (full runs before quick ones)`,
  );
  return 0;
}

async function main(): Promise<number> {
  let command: Command;
  try {
    command = parseOptions(process.argv.slice(2));
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (command.kind === 'readme') {
    updateReadme();
    console.log(`regenerated the tables of ${path.relative(ROOT, README)} from ${path.relative(ROOT, RESULTS_DIR)}/`);
    return 0;
  }
  const { opts } = command;
  const startedAt = new Date();
  const m = machine();
  const backend = await freshBackend(opts.db, opts.profile);
  printPlan(opts, m, describeBackend(backend, opts.db));
  return withServer(backend, opts.workers, budgetMs(opts), async (server) => {
    if (opts.throughApi) {
      const run = await throughApiRun(server, backend, opts, m, startedAt);
      console.log(`\n${throughApiSummary(run)}`);
      return finish(run, opts.profile);
    }
    const run = await scenarioRun(server, backend, opts, m, startedAt);
    printScenarioRun(run);
    return finish(run, opts.profile);
  });
}

const code = await main();
// autocannon or a race loser may still hold handles; the server is already stopped.
process.exit(code);
