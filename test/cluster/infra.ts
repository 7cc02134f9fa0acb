/**
 * What the cluster runs on: haproxy (installed from Debian's packages when missing, run in the foreground as a
 * child of this script), a fresh database on the machine's PostgreSQL (dropped at the end, also on a timeout or a
 * crash of this script), and the machine's Redis. Processes and clean-ups go through test/crash/proc.ts, so a
 * timeout ends exactly what this script started.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { type Db, openPgDb } from '../crash/db.ts';
import { onExit, run, sleep } from '../crash/proc.ts';
import { type HaproxyLayout, haproxyConfig } from './haproxy-config.ts';

type Log = (line: string) => void;

/** The haproxy binary; installs the Debian package first when there is none (root only). */
export async function ensureHaproxy(log: Log): Promise<string> {
  const which = () => run('sh', ['-c', 'command -v haproxy'], { timeoutMs: 10_000 });
  const found = await which();
  if (found.code === 0) return found.stdout.trim();
  if (process.getuid?.() !== 0) throw new Error('haproxy is not installed and this is not root: install it (apt-get install -y haproxy)');
  log('haproxy is not installed: apt-get update && apt-get install -y haproxy …');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', 'haproxy']]) {
    const r = await run('apt-get', args, { env, timeoutMs: 300_000 });
    if (r.code !== 0) throw new Error(`apt-get ${args.join(' ')} failed (exit ${r.code}): ${(r.stderr || r.stdout).slice(-500)}`);
  }
  const after = await which();
  if (after.code !== 0) throw new Error('haproxy is still not on PATH after apt-get install');
  return after.stdout.trim();
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export interface Balancer {
  port: number;
  configFile: string;
  output: string[];
  stop(): Promise<void>;
}

/** Writes the configuration, has haproxy check it, and runs `haproxy -db` (foreground) until stop(). */
export async function startHaproxy(bin: string, dir: string, layout: HaproxyLayout, port: number): Promise<Balancer> {
  const configFile = path.join(dir, 'haproxy.cfg');
  fs.writeFileSync(configFile, haproxyConfig(layout));
  const check = await run(bin, ['-c', '-f', configFile], { timeoutMs: 20_000 });
  if (check.code !== 0) throw new Error(`haproxy -c refused ${configFile}: ${check.stderr || check.stdout}`);
  const child = spawn(bin, ['-db', '-f', configFile], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start haproxy');
  const output: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      output.push(...chunk.split('\n').filter((l) => l.trim()));
      if (output.length > 200) output.splice(0, output.length - 100);
    });
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal);
    } catch {
      // already gone
    }
  };
  const unregister = onExit(() => kill('SIGKILL'));
  const deadline = Date.now() + 10_000;
  while (!(await accepts(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      kill('SIGKILL');
      unregister();
      throw new Error(`haproxy did not start listening on ${port}:\n${output.slice(-20).join('\n')}`);
    }
    await sleep(50);
  }
  return {
    port,
    configFile,
    output,
    async stop() {
      kill('SIGTERM');
      await Promise.race([exited, sleep(5000)]);
      kill('SIGKILL');
      unregister();
    },
  };
}

export interface FreshDatabase {
  name: string;
  url: string;
  db: Db;
  drop(): Promise<void>;
}

/** CREATE DATABASE tv_cluster_<random> on the server `adminUrl` names; dropped by drop() or when this script exits. */
export async function createDatabase(adminUrl: string): Promise<FreshDatabase> {
  const name = `tv_cluster_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 10_000 });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end().catch(() => {});
  }
  const dropSql = `drop database if exists ${name} with (force)`;
  const unregister = onExit(() => {
    execFileSync('psql', [adminUrl, '-q', '-c', dropSql], { stdio: 'ignore', timeout: 30_000 });
  });
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const db = await openPgDb(url.toString());
  return {
    name,
    url: url.toString(),
    db,
    async drop() {
      await db.close();
      const c = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 10_000 });
      await c.connect();
      try {
        await c.query(dropSql);
      } finally {
        await c.end().catch(() => {});
      }
      unregister();
    },
  };
}

/** Fails fast, with the reason, when Redis does not answer PING. */
export async function pingRedis(url: string): Promise<void> {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 3000, retryStrategy: () => null });
  r.on('error', () => {});
  try {
    await r.connect();
    const pong = await r.ping();
    if (pong !== 'PONG') throw new Error(`PING answered ${pong}`);
  } finally {
    r.disconnect();
  }
}
