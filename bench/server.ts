/** The tokenvault server the benchmark measures: a child process of its own, with a fresh database. */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_PG_URL, type Options, ROOT } from './options.ts';

export interface Server {
  child: ChildProcess;
  base: string;
  output: string[];
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export function keepTail(stream: NodeJS.ReadableStream | null, lines: string[], label: string): void {
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => {
    for (const line of chunk.split('\n')) if (line) lines.push(`[${label}] ${line}`);
    if (lines.length > 400) lines.splice(0, lines.length - 200);
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startServer(
  env: NodeJS.ProcessEnv,
  port: number,
  workers: number,
  onSpawn: (server: Server) => void,
  nodeArgs: string[] = [],
): Promise<Server> {
  // Own process group, so the fallback SIGKILL also reaches cluster workers.
  const child = spawn(process.execPath, [...nodeArgs, path.join(ROOT, 'bin/tokenvault.mjs'), 'serve', '--workers', String(workers)], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const output: string[] = [];
  keepTail(child.stdout, output, 'server');
  keepTail(child.stderr, output, 'server');
  const base = `http://127.0.0.1:${port}`;
  const server = { child, base, output };
  onSpawn(server);
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`server exited before it was ready (${child.exitCode ?? child.signalCode})\n${output.slice(-40).join('\n')}`);
    }
    try {
      const res = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status === 200) return server;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`server not ready within 60 s\n${output.slice(-40).join('\n')}`);
}

export function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM to the server (it drains and stops its workers), SIGKILL to its whole group after 5 s. */
export async function stopServer(child: ChildProcess): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(5000)]);
  }
  if (groupAlive(pid)) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

export interface Backend {
  env: NodeJS.ProcessEnv;
  port: number;
  adminToken: string;
  dataDir: string;
  /** PostgreSQL: the fresh schema of this run (dropped by `dropBackend`) and the database it lives in. */
  schema: string | null;
  databaseUrl: string | null;
  /** Extra arguments for the server's node (`--profile`: `--cpu-prof`). */
  nodeArgs: string[];
}

/**
 * The server's environment: a free port of 127.0.0.1, a fresh data directory (or PostgreSQL schema), a random
 * master key and admin token, warnings only, and no per-merchant request limit (the benchmark measures capacity).
 */
export async function freshBackend(db: Options['db'], profileDir: string | null = null): Promise<Backend> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenvault-bench-'));
  const adminToken = randomBytes(24).toString('base64url');
  const schema = db === 'postgres' ? `bench_${randomBytes(6).toString('hex')}` : null;
  const databaseUrl = db === 'postgres' ? process.env.DATABASE_URL || DEFAULT_PG_URL : null;
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(TOKENVAULT_|DATABASE_URL$|PORT$|HOST$|LOG_LEVEL$)/.test(k)) env[k] = v;
  }
  Object.assign(env, {
    PORT: String(port),
    HOST: '127.0.0.1',
    TOKENVAULT_DATA_DIR: dataDir,
    TOKENVAULT_MASTER_KEY: randomBytes(32).toString('base64'),
    TOKENVAULT_ADMIN_TOKEN: adminToken,
    LOG_LEVEL: 'warn',
    // The per-merchant request limit (default 1,000/s) would cap what is measured here: capacity.
    TOKENVAULT_RATE_LIMIT_PER_SECOND: '0',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    ...(schema ? { TOKENVAULT_DATABASE_SCHEMA: schema } : {}),
  });
  // V8's sampling profiler, one .cpuprofile per server process, written when it exits (bench/profile.ts reads them).
  const nodeArgs = profileDir === null ? [] : ['--cpu-prof', `--cpu-prof-dir=${path.resolve(profileDir)}`];
  return { env, port, adminToken, dataDir, schema, databaseUrl, nodeArgs };
}

/** Removes the data directory and drops the PostgreSQL schema (the server must be stopped first). */
export async function dropBackend(b: Backend): Promise<void> {
  fs.rmSync(b.dataDir, { recursive: true, force: true });
  if (!b.schema || !b.databaseUrl) return;
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: b.databaseUrl });
  try {
    await client.connect();
    await client.query(`drop schema if exists ${b.schema} cascade`);
  } catch (e) {
    console.error(`could not drop schema ${b.schema}: ${(e as Error).message}`);
  } finally {
    await client.end().catch(() => {});
  }
}

export const describeBackend = (b: Backend, db: Options['db']): string =>
  `${db}${b.databaseUrl ? ` (${b.databaseUrl.replace(/\/\/[^@/]*@/, '//…@')}, schema ${b.schema})` : ` (${b.dataDir})`}`;

/**
 * Starts the server and runs `work` against it, bounded: SIGINT/SIGTERM or the time budget end the run with
 * 130 or 3, a throw is printed with the tail of the server's output, and in every case the server is stopped
 * (its whole process group, if need be) and the data directory or schema removed.
 */
export async function withServer(
  b: Backend,
  workers: number,
  budgetMs: number,
  work: (server: Server) => Promise<number>,
): Promise<number> {
  let child: ChildProcess | null = null;
  let output: string[] = [];
  // Last resort when the process dies some other way: no server left behind.
  process.once('exit', () => {
    if (child?.pid !== undefined && groupAlive(child.pid)) process.kill(-child.pid, 'SIGKILL');
  });
  const interrupted = new Promise<number>((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      console.error(`\n${signal}: stopping the server`);
      resolve(130);
    };
    process.once('SIGINT', on);
    process.once('SIGTERM', on);
  });
  let timer: NodeJS.Timeout | undefined;
  const overBudget = new Promise<number>((resolve) => {
    timer = setTimeout(() => {
      console.error(`benchmark exceeded its ${Math.round(budgetMs / 1000)} s budget; stopping`);
      resolve(3);
    }, budgetMs);
    timer.unref();
  });
  const started = async () => {
    const server = await startServer(
      b.env,
      b.port,
      workers,
      (s) => {
        child = s.child;
        output = s.output;
      },
      b.nodeArgs,
    );
    return work(server);
  };
  try {
    return await Promise.race([started(), interrupted, overBudget]);
  } catch (e) {
    console.error(`\nbenchmark failed: ${(e as Error).stack ?? String(e)}`);
    if (output.length) console.error(`server output (tail):\n${output.slice(-20).join('\n')}`);
    return 1;
  } finally {
    clearTimeout(timer);
    if (child) await stopServer(child);
    await dropBackend(b);
  }
}
