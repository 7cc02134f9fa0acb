/**
 * Child processes of the crash test and the soak script: the real tokenvault server (`bin/tokenvault.mjs
 * serve`), the CLI, and a throwaway PostgreSQL instance. Every child is started in a process group of its
 * own and remembered, so a timeout or a failure can end exactly the processes this script started.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Children still running, by pid (each is the leader of its own process group). */
const children = new Map<number, ChildProcess>();
/** Synchronous clean-ups (throwaway PostgreSQL, temp dirs) run on every way out. */
const exitCleanups: (() => void)[] = [];

export function onExit(fn: () => void): () => void {
  exitCleanups.push(fn);
  return () => {
    const i = exitCleanups.indexOf(fn);
    if (i >= 0) exitCleanups.splice(i, 1);
  };
}

/** SIGKILL to every process group this script started and still running; then the registered clean-ups. */
export function killEverything(): void {
  for (const pid of children.keys()) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Not a group leader (a short command run with execFile): the process itself.
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  children.clear();
  for (const fn of exitCleanups.splice(0).reverse()) {
    try {
      fn();
    } catch (e) {
      process.stderr.write(`clean-up failed: ${(e as Error).message}\n`);
    }
  }
}
process.once('exit', killEverything);

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

function keepTail(stream: NodeJS.ReadableStream | null, lines: string[]): void {
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => {
    for (const line of chunk.split('\n')) if (line.trim()) lines.push(line);
    if (lines.length > 400) lines.splice(0, lines.length - 200);
  });
}

/** The environment of a tokenvault process: ours minus any TOKENVAULT_/DATABASE_ settings, plus `extra`. */
export function serverEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(TOKENVAULT_|DATABASE_URL$|PORT$|HOST$|LOG_LEVEL$)/.test(k)) env[k] = v;
  }
  return { ...env, HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...extra };
}

export interface Server {
  child: ChildProcess;
  pid: number;
  port: number;
  /** Keep-alive connections to this server process only; destroyed when it stops. */
  agent: http.Agent;
  output: string[];
  exited: Promise<void>;
  startMs: number;
  /** Set when this script ends the process; an exit without it is the server dying by itself. */
  ending: boolean;
  /** How it exited (code or signal), once it has. */
  exit: string | null;
}

function probe(port: number, urlPath: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

/** Starts `tokenvault serve` and waits until GET /readyz answers 200. */
export async function startServer(env: NodeJS.ProcessEnv, port: number, readyTimeoutMs = 60_000): Promise<Server> {
  const started = performance.now();
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/tokenvault.mjs'), 'serve'], {
    cwd: ROOT,
    env: { ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start the server');
  children.set(pid, child);
  const output: string[] = [];
  keepTail(child.stdout, output);
  keepTail(child.stderr, output);
  let exit: string | null = null;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      children.delete(pid);
      exit = signal ?? `exit code ${code}`;
      resolve();
    });
  });
  const deadline = Date.now() + readyTimeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the server exited before it was ready (${child.exitCode ?? child.signalCode}):\n${output.slice(-30).join('\n')}`);
    }
    if ((await probe(port, '/readyz', 2000)) === 200) {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
      const server: Server = { child, pid, port, agent, output, exited, startMs: performance.now() - started, ending: false, exit: null };
      void exited.then(() => {
        server.exit = exit;
      });
      return server;
    }
    await sleep(40);
  }
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // gone
  }
  throw new Error(`the server was not ready within ${readyTimeoutMs / 1000} s:\n${output.slice(-30).join('\n')}`);
}

/** SIGKILL: no drain, no close — the crash being tested. Resolves once the process is gone. */
export async function killServer(s: Server): Promise<void> {
  s.ending = true;
  try {
    process.kill(-s.pid, 'SIGKILL');
  } catch {
    // already gone
  }
  await s.exited;
  s.agent.destroy();
}

/** SIGTERM (the server drains and closes its database); SIGKILL after `graceMs`. True if it stopped by itself. */
export async function stopServer(s: Server, graceMs = 10_000): Promise<boolean> {
  let clean = true;
  s.ending = true;
  if (s.child.exitCode === null && s.child.signalCode === null) {
    s.child.kill('SIGTERM');
    const timer = sleep(graceMs).then(() => 'late' as const);
    if ((await Promise.race([s.exited.then(() => 'done' as const), timer])) === 'late') {
      clean = false;
      try {
        process.kill(-s.pid, 'SIGKILL');
      } catch {
        // gone
      }
      await s.exited;
    }
  }
  s.agent.destroy();
  return clean;
}

export interface CmdResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (bounded), never through a shell. */
export function run(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {},
): Promise<CmdResult> {
  return new Promise((resolve) => {
    const child = execFile(
      cmd,
      args,
      {
        env: opts.env ?? process.env,
        cwd: opts.cwd ?? ROOT,
        timeout: opts.timeoutMs ?? 60_000,
        maxBuffer: 32 * 1024 * 1024,
        killSignal: 'SIGKILL',
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : null) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    if (child.pid !== undefined) {
      const pid = child.pid;
      children.set(pid, child);
      child.once('exit', () => children.delete(pid));
    }
  });
}

/** The tokenvault CLI with the server's environment (e.g. `audit verify --json`). */
export const tokenvaultCli = (env: NodeJS.ProcessEnv, args: string[], timeoutMs = 60_000) =>
  run(process.execPath, [path.join(ROOT, 'bin/tokenvault.mjs'), ...args], { env, timeoutMs });

// ---------------------------------------------------------------------------------------------------
// A throwaway PostgreSQL instance (never the shared cluster on 5432)

export interface PgInstance {
  port: number;
  url: string;
  bin: string;
  dir: string;
  start(): Promise<void>;
  stop(mode: 'fast' | 'immediate'): Promise<void>;
  destroy(): Promise<void>;
}

/** The newest /usr/lib/postgresql/<v>/bin that has initdb, or null. */
export function postgresBin(): string | null {
  const base = '/usr/lib/postgresql';
  if (!fs.existsSync(base)) return null;
  const versions = fs
    .readdirSync(base)
    .filter((v) => fs.existsSync(path.join(base, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? path.join(base, versions[0], 'bin') : null;
}

/** initdb refuses root: the instance belongs to the postgres user, in a temp dir of its own. */
export async function createPostgres(): Promise<PgInstance> {
  const bin = postgresBin();
  if (!bin) throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql');
  const asPostgres = process.getuid?.() === 0;
  const exec = (tool: string, args: string[], timeoutMs = 60_000) =>
    asPostgres
      ? run('runuser', ['-u', 'postgres', '--', path.join(bin, tool), ...args], { timeoutMs })
      : run(path.join(bin, tool), args, { timeoutMs });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tv-crash-pg-'));
  if (asPostgres) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    fs.chownSync(dir, uid, gid);
  }
  const data = path.join(dir, 'data');
  const port = await freePort();
  let running = false;
  const removeDir = () => fs.rmSync(dir, { recursive: true, force: true });
  const unregister = onExit(() => {
    if (running) {
      try {
        const args = ['-D', data, '-m', 'immediate', '-w', '-t', '20', 'stop'];
        if (asPostgres)
          execFileSync('runuser', ['-u', 'postgres', '--', path.join(bin, 'pg_ctl'), ...args], { stdio: 'ignore', timeout: 30_000 });
        else execFileSync(path.join(bin, 'pg_ctl'), args, { stdio: 'ignore', timeout: 30_000 });
      } catch {
        // best effort
      }
    }
    removeDir();
  });
  const init = await exec('initdb', ['-D', data, '--auth=trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C'], 120_000);
  if (init.code !== 0) {
    unregister();
    removeDir();
    throw new Error(`initdb failed: ${init.stderr || init.stdout}`);
  }
  const pg: PgInstance = {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    bin,
    dir,
    async start() {
      const r = await exec('pg_ctl', [
        '-D',
        data,
        '-l',
        path.join(dir, 'postgres.log'),
        '-o',
        `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=60`,
        '-w',
        '-t',
        '60',
        'start',
      ]);
      if (r.code !== 0) throw new Error(`pg_ctl start failed: ${r.stderr || r.stdout}\n${readTail(path.join(dir, 'postgres.log'))}`);
      running = true;
    },
    async stop(mode) {
      const r = await exec('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '60', 'stop']);
      if (r.code !== 0) throw new Error(`pg_ctl stop failed: ${r.stderr || r.stdout}`);
      running = false;
    },
    async destroy() {
      if (running) await pg.stop('immediate').catch(() => {});
      unregister();
      removeDir();
    },
  };
  return pg;
}

function readTail(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-20).join('\n');
  } catch {
    return '';
  }
}
