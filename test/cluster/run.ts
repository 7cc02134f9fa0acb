/**
 * `npm run test:cluster`: many instances, one vault (issue 19). Two real `tokenvault serve` processes on a fresh
 * PostgreSQL database, with the machine's Redis, behind a real haproxy (round robin, X-Forwarded-For, trusted by
 * the instances with TOKENVAULT_TRUST_PROXY). Through the balancer, and straight to each instance where a check
 * must show both behave:
 *   1. an API key revocation and a merchant deletion reach both instances within 1 s (caches set to 300 s);
 *   2. a Cybersource v2 JWT and an AlliancePay x-request_id used on one instance are refused on the other;
 *   3. failed authentications never lock out a correct credential; a wrong key over the limit gets 429;
 *   4. limits are cluster totals: failures before a lockout, and the requests a merchant's bucket admits;
 *   5. a SINGLE-use token raced on both instances pays once; one Idempotency-Key on both makes one object;
 *   6. `tokenvault audit verify` passes after concurrent writes through both;
 *   7. master-key and data-key rotations while both serve: no failed request, every card revealed by both.
 * The instances are restarted between three phases (1–3, 4a, 5, 6's writes; 7; 4b), each with the settings its
 * checks need. Prints the figures and writes them to cluster-report.json in its temp dir.
 *
 * Options: --timeout SECONDS (default 300; the haproxy install, when needed, comes before it).
 * Environment: TOKENVAULT_TEST_PG_URL (a database on the server to create the fresh one on; default
 * postgres://postgres@127.0.0.1:5432/test), TOKENVAULT_TEST_REDIS_URL (default redis://127.0.0.1:6379).
 * Exit status: 0 when every check passed, 1 otherwise (a check failed, the run could not finish, or timed out).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { panSource } from '../crash/clients.ts';
import { freePort, killEverything, onExit, run, tokenvaultCli } from '../crash/proc.ts';
import { checkInvalidation, type InvalidationFigures } from './check-invalidation.ts';
import { checkLockout, checkSharedLockout, checkSharedRate, type LimitFigures, type LockoutSettings } from './check-limits.ts';
import { checkOnce, concurrentWrites } from './check-once.ts';
import { checkReplay } from './check-replay.ts';
import { checkRotation, type RotationFigures } from './check-rotation.ts';
import {
  type Check,
  type Ctx,
  clientAt,
  INSTANCES,
  instanceEnv,
  type Ports,
  runCheck,
  startPair,
  stopPair,
  waitBalanced,
} from './cluster.ts';
import { createDatabase, ensureHaproxy, pingRedis, startHaproxy } from './infra.ts';
import { createMerchant, dropConnections, sent, served } from './net.ts';
import { byNumber, printSummary, type Report } from './report.ts';

const USAGE = 'usage: node bin/run-ts.mjs test/cluster/run.ts [--timeout SECONDS]';
const LOCKOUT: LockoutSettings = { limit: 5, addressLimit: 20 };
const RATE = { perSecond: 1, burst: 20, sent: 100 };

/** Each phase's settings, over the common ones. */
const PHASES = {
  // Caches far longer than the 1 s allowed: only a change notification can invalidate in time.
  shared: {
    TOKENVAULT_AUTH_CACHE_SECONDS: '300',
    TOKENVAULT_KEY_CACHE_SECONDS: '300',
    TOKENVAULT_CACHE_FALLBACK_MS: '300000',
    TOKENVAULT_AUTH_FAILURE_LIMIT: String(LOCKOUT.limit),
    TOKENVAULT_AUTH_FAILURE_ADDRESS_LIMIT: String(LOCKOUT.addressLimit),
  },
  // `keys rotate --data` waits one key-cache lifetime for servers still writing with the old key.
  rotation: { TOKENVAULT_KEY_CACHE_SECONDS: '2' },
  rate: { TOKENVAULT_RATE_LIMIT_PER_SECOND: String(RATE.perSecond), TOKENVAULT_RATE_LIMIT_BURST: String(RATE.burst) },
} as const;

const began = performance.now();
const log = (line: string) => process.stdout.write(`[${((performance.now() - began) / 1000).toFixed(1).padStart(5)} s] ${line}\n`);

interface Setup {
  dir: string;
  ports: Ports;
  common: Record<string, string>;
  adminToken: string;
  db: Ctx['db'];
}

type Figures = InvalidationFigures & LimitFigures & { rotation?: RotationFigures; concurrentWrites?: { sent: number; failed: number } };

/** Starts both instances with the phase's settings, runs `fn`, stops them; an instance that died by itself fails the run. */
async function phase(s: Setup, name: keyof typeof PHASES, problems: string[], fn: (ctx: Ctx) => Promise<void>): Promise<void> {
  log(
    `== phase "${name}": ${Object.entries(PHASES[name])
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
  );
  const env = (n: string) => instanceEnv(s.common, PHASES[name], path.join(s.dir, `data-${n}`));
  const pair = await startPair(env, s.ports);
  try {
    log(`instances up (a ${pair.a.startMs.toFixed(0)} ms, b ${pair.b.startMs.toFixed(0)} ms to ready)`);
    const ctx: Ctx = {
      ports: s.ports,
      client: (from) => clientAt(s.ports, from),
      adminToken: s.adminToken,
      createMerchant: (cl, merchantName) => createMerchant(cl.lb, s.adminToken, merchantName),
      cliRun: (args) => tokenvaultCli(env('cli'), args, 180_000),
      db: s.db,
      nextPan: panSource(),
      log,
    };
    await waitBalanced(ctx.client('127.0.0.2').lb);
    await fn(ctx);
  } finally {
    for (const [n, srv] of [
      ['a', pair.a],
      ['b', pair.b],
    ] as const)
      if (srv.exit !== null)
        problems.push(`instance ${n} died by itself (${srv.exit}) in phase ${name}: ${srv.output.slice(-5).join(' | ')}`);
    if (!(await stopPair(pair))) problems.push(`an instance did not stop within 10 s of SIGTERM after phase ${name}`);
  }
}

async function runPhases(s: Setup, figures: Figures, problems: string[]): Promise<Check[]> {
  const checks: Check[] = [];
  await phase(s, 'shared', problems, async (ctx) => {
    checks.push(
      await runCheck('1', 'revocation and merchant deletion reach both instances within 1 s', log, (c) =>
        checkInvalidation(ctx, c, figures),
      ),
    );
    checks.push(await runCheck('2', 'a request used on one instance is refused on the other', log, (c) => checkReplay(ctx, c)));
    checks.push(
      await runCheck('3', 'failed authentications never lock out a correct credential', log, (c) => checkLockout(ctx, c, LOCKOUT)),
    );
    checks.push(
      await runCheck('4a', 'lockout failures are counted over the cluster', log, (c) => checkSharedLockout(ctx, c, LOCKOUT, figures)),
    );
    checks.push(await runCheck('5', 'single use and idempotency across instances', log, (c) => checkOnce(ctx, c)));
    const writes = await concurrentWrites(ctx);
    figures.concurrentWrites = { sent: writes.sent, failed: writes.failed.length };
    log(
      `concurrent writes through the balancer: ${writes.sent} sent, ${writes.failed.length} failed ${writes.failed.slice(0, 3).join('; ')}`,
    );
    if (writes.failed.length) problems.push(`concurrent writes: ${writes.failed.length} failed (${writes.failed.slice(0, 3).join('; ')})`);
  });
  await phase(s, 'rotation', problems, async (ctx) => {
    checks.push(
      await runCheck('7', 'master-key and data-key rotation while both instances serve', log, (c) => checkRotation(ctx, c, figures)),
    );
  });
  await phase(s, 'rate', problems, async (ctx) => {
    checks.push(await runCheck('4b', "a merchant's rate limit is a cluster total", log, (c) => checkSharedRate(ctx, c, RATE, figures)));
  });
  checks.push(
    await runCheck('6', '`tokenvault audit verify` after concurrent writes through both instances', log, async (c) => {
      const r = await tokenvaultCli(instanceEnv(s.common, {}, path.join(s.dir, 'data-cli')), ['audit', 'verify', '--json'], 120_000);
      const rep = JSON.parse(r.stdout || '{}') as { ok?: boolean; chains?: number; events?: number; firstBreak?: unknown };
      c.note(`audit verify: exit ${r.code}, ${rep.ok ? 'ok' : 'NOT ok'}, ${rep.chains} chains, ${rep.events} events`);
      c.expect(r.code === 0 && rep.ok === true, `audit verify failed: ${JSON.stringify(rep.firstBreak ?? r.stderr.slice(-300))}`);
    }),
  );
  return checks;
}

function parseOptions(): { timeoutS: number } {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    strict: true,
    options: { timeout: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const timeoutS = values.timeout === undefined ? 300 : Number(values.timeout);
  if (!Number.isFinite(timeoutS) || timeoutS < 30) throw new Error('--timeout must be at least 30 seconds');
  return { timeoutS };
}

async function main(): Promise<number> {
  let opts: { timeoutS: number };
  try {
    opts = parseOptions();
  } catch (e) {
    console.error(`${(e as Error).message}\n${USAGE}`);
    return 1;
  }
  const haproxyBin = await ensureHaproxy(log);
  const timer = setTimeout(() => {
    console.error(`\ncluster test exceeded its ${opts.timeoutS} s bound: stopping every process it started`);
    killEverything();
    process.exit(1);
  }, opts.timeoutS * 1000);
  timer.unref();
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.once(sig, () => {
      console.error(`\n${sig}: stopping every process the cluster test started`);
      killEverything();
      process.exit(1);
    });
  const pgAdminUrl = process.env.TOKENVAULT_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/test';
  const redisUrl = process.env.TOKENVAULT_TEST_REDIS_URL || 'redis://127.0.0.1:6379';
  await pingRedis(redisUrl);
  // Shown and reported without any password the URL carries.
  const redisShown = (() => {
    const u = new URL(redisUrl);
    u.password = '';
    u.username = '';
    return u.toString();
  })();
  const haproxyVersion = (await run(haproxyBin, ['-v'])).stdout.split('\n')[0] ?? '';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tv-cluster-'));
  // The master key file and the data directories are secrets: gone on every way out. The report stays.
  const keyFile = path.join(dir, 'master.key');
  const removeSecrets = () => {
    fs.rmSync(keyFile, { force: true });
    for (const n of [...INSTANCES, 'cli']) fs.rmSync(path.join(dir, `data-${n}`), { recursive: true, force: true });
  };
  onExit(removeSecrets);
  fs.writeFileSync(keyFile, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  const fresh = await createDatabase(pgAdminUrl);
  const ports: Ports = { balancer: await freePort(), a: await freePort(), b: await freePort() };
  const layout = { bind: `127.0.0.1:${ports.balancer}`, servers: INSTANCES.map((n) => ({ name: n, address: `127.0.0.1:${ports[n]}` })) };
  const balancer = await startHaproxy(haproxyBin, dir, layout, ports.balancer);
  log(
    `cluster test: ${haproxyVersion}; database ${fresh.name}; Redis ${redisShown}; balancer :${ports.balancer} → a :${ports.a}, b :${ports.b}; bound ${opts.timeoutS} s`,
  );
  const adminToken = randomBytes(24).toString('base64url');
  const common = {
    DATABASE_URL: fresh.url,
    TOKENVAULT_MASTER_KEY_FILE: keyFile,
    TOKENVAULT_ADMIN_TOKEN: adminToken,
    TOKENVAULT_REDIS_URL: redisUrl,
    TOKENVAULT_TRUST_PROXY: '127.0.0.1',
  };
  const figures: Figures = { revocationDelayMs: {}, merchantDeletionDelayMs: {} };
  const problems: string[] = [];
  let checks: Check[] = [];
  try {
    checks = await runPhases({ dir, ports, common, adminToken, db: fresh.db }, figures, problems);
  } catch (e) {
    problems.push(`the run could not finish: ${(e as Error).stack ?? String(e)}`);
  } finally {
    dropConnections();
    await balancer.stop();
    await fresh.drop().catch((e: Error) => problems.push(`dropping ${fresh.name}: ${e.message}`));
    removeSecrets();
  }
  clearTimeout(timer);
  const report: Report = {
    ...figures,
    passed: problems.length === 0 && checks.length === 8 && checks.every((c) => c.passed),
    checks: [...checks].sort(byNumber).map((c) => ({ id: c.id, title: c.title, passed: c.passed, notes: c.notes, failures: c.failures })),
    problems,
    requests: {
      throughBalancer: sent.get('balancer') ?? 0,
      answeredThroughBalancerBy: Object.fromEntries(served),
      directToA: sent.get('a') ?? 0,
      directToB: sent.get('b') ?? 0,
    },
    setup: { haproxy: haproxyVersion, database: fresh.name, redis: redisShown, haproxyConfig: balancer.configFile, phases: PHASES },
    elapsedMs: Math.round(performance.now() - began),
  };
  const file = path.join(dir, 'cluster-report.json');
  fs.writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  printSummary(report, log);
  log(`report: ${file}`);
  return report.passed ? 0 : 1;
}

const code = await main().catch((e: unknown) => {
  console.error(`cluster test could not run: ${(e as Error).stack ?? String(e)}`);
  return 1;
});
killEverything();
process.exit(code);
