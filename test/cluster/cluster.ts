/**
 * The two `tokenvault serve` instances behind the balancer, what a check is given to reach them, and how a check
 * records what it found.
 */
import type { Db } from '../crash/db.ts';
import { type CmdResult, type Server, serverEnv, sleep, startServer, stopServer } from '../crash/proc.ts';
import type { TestMerchant } from '../helpers/harness.ts';
import { dropConnections, request, servedBy, type Via } from './net.ts';

export const INSTANCES = ['a', 'b'] as const;
export type InstanceName = (typeof INSTANCES)[number];

export interface Ports {
  balancer: number;
  a: number;
  b: number;
}

/** One simulated client: its own 127.0.0.x, through the balancer or straight to either instance. */
export interface Client {
  from: string;
  lb: Via;
  a: Via;
  b: Via;
}

export function clientAt(ports: Ports, from: string): Client {
  return {
    from,
    lb: { label: 'balancer', port: ports.balancer, from },
    a: { label: 'a', port: ports.a, from },
    b: { label: 'b', port: ports.b, from },
  };
}

/** Everything a check needs. Each check takes its own client address, so one check's refusals never count against another's. */
export interface Ctx {
  ports: Ports;
  client(from: string): Client;
  adminToken: string;
  /** A new merchant, made through the balancer, with every credential its creation showed. */
  createMerchant(cl: Client, name: string): Promise<TestMerchant>;
  /** The tokenvault CLI with the instances' environment (their database, master key file and cache settings). */
  cliRun(args: string[]): Promise<CmdResult>;
  /** The cluster's database, for counting rows the APIs cannot be asked about. */
  db: Db;
  nextPan: () => string;
  log(line: string): void;
}

export interface Pair {
  a: Server;
  b: Server;
}

/** Starts instance a (it runs the migrations), then b, each with `env` and its own data directory. */
export async function startPair(env: (name: InstanceName) => NodeJS.ProcessEnv, ports: Ports): Promise<Pair> {
  const a = await startServer(env('a'), ports.a);
  const b = await startServer(env('b'), ports.b);
  return { a, b };
}

/** SIGTERM to both; true when both stopped by themselves. */
export async function stopPair(p: Pair): Promise<boolean> {
  dropConnections();
  const stopped = await Promise.all([stopServer(p.a), stopServer(p.b)]);
  return stopped.every(Boolean);
}

/** Waits until the balancer has sent requests to both instances (its health checks have found them up). */
export async function waitBalanced(v: Via, timeoutMs = 20_000): Promise<void> {
  const seen = new Set<string>();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const r = await request(v, 'GET', '/readyz', {}, undefined, 2000);
      if (r.status === 200) seen.add(servedBy(r));
      if (INSTANCES.every((n) => seen.has(n))) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`the balancer did not reach both instances within ${timeoutMs / 1000} s (saw ${[...seen].join(', ') || 'none'})`);
}

/** The environment of an instance: the common settings, the phase's, and its own data directory. */
export function instanceEnv(common: Record<string, string>, phase: Record<string, string>, dataDir: string): NodeJS.ProcessEnv {
  return serverEnv({ ...common, ...phase, TOKENVAULT_DATA_DIR: dataDir });
}

// ---------------------------------------------------------------------------------------------------
// Checks

export class Check {
  readonly notes: string[] = [];
  readonly failures: string[] = [];
  constructor(
    readonly id: string,
    readonly title: string,
  ) {}
  note(line: string): void {
    this.notes.push(line);
  }
  fail(line: string): void {
    this.failures.push(line);
  }
  expect(ok: boolean, failure: string): boolean {
    if (!ok) this.fail(failure);
    return ok;
  }
  get passed(): boolean {
    return this.failures.length === 0;
  }
}

/** Runs one check; an exception fails it (with its message) and the run goes on to the next. */
export async function runCheck(id: string, title: string, log: (line: string) => void, fn: (c: Check) => Promise<void>): Promise<Check> {
  const c = new Check(id, title);
  log(`-- ${id}. ${title}`);
  const started = performance.now();
  try {
    await fn(c);
  } catch (e) {
    c.fail(`could not finish: ${(e as Error).message}`);
  }
  for (const n of c.notes) log(`     ${n}`);
  for (const f of c.failures) log(`   ✗ ${f}`);
  log(`   ${c.passed ? 'passed' : 'FAILED'} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  return c;
}

/** Polls `refused()` every 20 ms until it says so; ms from `since` to the refusing answer, or null after `waitMs`. */
export async function msUntil(since: number, waitMs: number, refused: () => Promise<boolean>): Promise<number | null> {
  for (;;) {
    if (await refused()) return Math.round(performance.now() - since);
    if (performance.now() - since > waitMs) return null;
    await sleep(20);
  }
}
