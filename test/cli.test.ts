/** The `tokenvault` command as an operator runs it: a real process, a real database. */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { CommanderError } from 'commander';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../src/main.ts';
import { backend } from './helpers/harness.ts';

const run = promisify(execFile);
const BIN = path.resolve('bin/tokenvault.mjs');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tv-cli-'));
const schema = backend === 'postgres' ? `cli_${randomBytes(5).toString('hex')}` : null;
const env: Record<string, string | undefined> = {
  ...process.env,
  TOKENVAULT_DATA_DIR: dataDir,
  ...(schema ? { TOKENVAULT_DATABASE_SCHEMA: schema } : {}),
  LOG_LEVEL: 'warn',
};
delete env.TOKENVAULT_ADMIN_TOKEN;
delete env.TOKENVAULT_MASTER_KEY_FILE;
// SQLite: zero configuration, a development key is made in the new data directory. PostgreSQL: a key must be
// given (with DATABASE_URL the CLI refuses to make one up).
if (backend === 'postgres') env.TOKENVAULT_MASTER_KEY = randomBytes(32).toString('base64');
else delete env.TOKENVAULT_MASTER_KEY;

// Generous: a CLI process can take seconds to start on a loaded machine.
// No test here depends on how fast a process starts, only on what it does.
const START_TIMEOUT_MS = 120_000;
const tv = (...args: string[]) => run(process.execPath, [BIN, ...args], { env, timeout: START_TIMEOUT_MS });

/** Polls `probe` until it holds, the child exits, or the generous deadline passes. */
async function until(probe: () => Promise<boolean>, child: ReturnType<typeof spawn>): Promise<boolean> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline && child.exitCode === null) {
    if (await probe()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/** `tokenvault <args>` parsed in this process by the real command tree: what it prints and how it ends. */
async function inProcess(...args: string[]): Promise<{ out: string; err: string; code: string | null }> {
  let out = '';
  let err = '';
  const program = buildProgram({
    exitOverride: true,
    output: {
      writeOut: (s) => {
        out += s;
      },
      writeErr: (s) => {
        err += s;
      },
    },
  });
  try {
    await program.parseAsync(['node', 'tokenvault', ...args]);
    return { out, err, code: null };
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    return { out, err, code: e.code };
  }
}

afterAll(async () => {
  fs.rmSync(dataDir, { recursive: true, force: true });
  if (schema && process.env.DATABASE_URL) {
    const c = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await c.connect();
    await c.query(`drop schema if exists ${schema} cascade`);
    await c.end();
  }
});

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });

describe('tokenvault CLI', () => {
  it('has --help on every command (in-process: the real command tree, no process start-up)', async () => {
    const commands = [
      [],
      ['serve'],
      ['migrate'],
      ['openapi'],
      ['backup'],
      ['merchants'],
      ['merchants', 'create'],
      ['merchants', 'list'],
      ['merchants', 'show'],
      ['merchants', 'twoc2p-keys'],
      ['merchants', 'cybersource-keys'],
      ['merchants', 'keys'],
      ['merchants', 'keys', 'create'],
      ['merchants', 'keys', 'revoke'],
      ['merchants', 'publishable-key'],
      ['admin'],
      ['admin', 'reset-token'],
      ['merchants', 'delete'],
      ['keys'],
      ['keys', 'status'],
      ['keys', 'rotate'],
      ['keys', 'retire'],
      ['audit'],
      ['audit', 'verify'],
      ['audit', 'checkpoint'],
    ];
    // Every command of the tree is in the list: a new command without a help check fails here.
    const all: string[] = [];
    const walk = (c: ReturnType<typeof buildProgram>, prefix: string[]) => {
      for (const sub of c.commands) {
        all.push([...prefix, sub.name()].join(' '));
        walk(sub, [...prefix, sub.name()]);
      }
    };
    walk(buildProgram(), []);
    expect(
      commands
        .filter((c) => c.length > 0)
        .map((c) => c.join(' '))
        .sort(),
    ).toEqual(all.sort());

    for (const command of commands) {
      const r = await inProcess(...command, '--help');
      expect(r.code, command.join(' ')).toBe('commander.helpDisplayed');
      const name = command.length === 0 ? 'tokenvault' : `tokenvault ${command.join(' ')}`;
      expect(r.out, command.join(' ')).toMatch(new RegExp(`^Usage: ${name}( |$)`, 'm'));
    }
    expect((await inProcess('merchants', 'create', '--help')).out).toContain('--twoc2p-public-key');
  });

  it(
    'answers --help from a real process (smoke test of bin/tokenvault.mjs)',
    async () => {
      const out = await tv('--help');
      expect(out.stdout).toMatch(/^Usage: tokenvault/);
      expect(out.stdout).toContain('merchants');
    },
    START_TIMEOUT_MS + 30_000,
  );

  it(
    'migrates, creates a merchant as the provisioning JSON, lists it, issues and revokes keys, issues a publishable key',
    async () => {
      expect((await tv('migrate')).stdout).toMatch(/applied: 0001-init|up to date/);
      const created = JSON.parse((await tv('merchants', 'create', '--name', 'Cli Shop', '--json')).stdout);
      expect(created.id).toMatch(/^mch_/);
      expect(created.apiKey).toMatch(/^tv_sk_/);
      expect(Object.keys(created.gateways).sort()).toEqual(['alliancepay', 'appotapay', 'cybersource', 'opay', 'twoc2p']);
      if (backend === 'sqlite') expect(fs.statSync(path.join(dataDir, 'master.key')).mode & 0o777).toBe(0o600);

      const listed = JSON.parse((await tv('merchants', 'list', '--json')).stdout);
      expect(listed.map((m: { id: string }) => m.id)).toContain(created.id);

      const key = JSON.parse((await tv('merchants', 'keys', 'create', created.id, '--scopes', 'read,tokenize', '--label', 'ci')).stdout);
      expect(key).toMatchObject({ scopes: ['read', 'tokenize'], label: 'ci', revokedAt: null });
      expect((await tv('merchants', 'keys', 'revoke', created.id, key.id)).stdout).toContain(`revoked ${key.id}`);
      const shown = JSON.parse((await tv('merchants', 'show', created.id)).stdout);
      expect(shown.apiKeys.find((k: { id: string }) => k.id === key.id).revokedAt).not.toBeNull();
      expect(JSON.stringify(shown)).not.toContain(created.gateways.opay.secretKey);

      const pk = JSON.parse(
        (
          await tv(
            'merchants',
            'publishable-key',
            created.id,
            '--origin',
            'https://shop.example',
            '--origin',
            'http://127.0.0.1:5173',
            '--json',
          )
        ).stdout,
      );
      expect(pk).toMatchObject({
        id: expect.stringMatching(/^key_/),
        type: 'publishable',
        key: expect.stringMatching(/^tv_pk_/),
        origins: ['https://shop.example', 'http://127.0.0.1:5173'],
      });
      const refused = await tv('merchants', 'publishable-key', created.id, '--origin', 'https://shop.example/checkout').catch(
        (e: { code: number; stderr: string }) => e,
      );
      expect((refused as { code: number }).code).toBe(1);
      expect((refused as { stderr: string }).stderr).toMatch(/bad --origin/);
    },
    10 * START_TIMEOUT_MS,
  );

  it(
    'fails clearly on bad input, with exit code 1 and no stack trace',
    async () => {
      for (const args of [
        ['merchants', 'keys', 'create', 'mch_nope'],
        ['merchants', 'keys', 'create', 'mch_nope', '--scopes', 'root'],
        ['merchants', 'create', '--name', 'x', '--twoc2p-public-key', '/nonexistent.pem'],
        ['serve', '--workers', 'many'],
      ]) {
        const err = await tv(...args).catch((e: { code: number; stderr: string }) => e);
        expect((err as { code: number }).code, args.join(' ')).toBeGreaterThan(0);
        expect((err as { stderr: string }).stderr).not.toMatch(/\n\s+at /);
      }
    },
    6 * START_TIMEOUT_MS,
  );

  it(
    'refuses to start with a master key that does not match the database: exit 1, the setting named, no stack trace',
    async () => {
      await tv('migrate');
      const other = { ...env, TOKENVAULT_MASTER_KEY: randomBytes(32).toString('base64') };
      const err = await run(process.execPath, [BIN, 'merchants', 'list'], { env: other, timeout: START_TIMEOUT_MS }).then(
        (out) => {
          throw new Error(`expected a refusal, got exit 0: ${out.stdout}`);
        },
        (e: { code: number; stdout: string; stderr: string }) => e,
      );
      expect(err.code).toBe(1);
      expect(err.stderr).toMatch(/^tokenvault: the master key from TOKENVAULT_MASTER_KEY does not match this database/);
      expect(err.stderr).toContain('set TOKENVAULT_MASTER_KEY or TOKENVAULT_MASTER_KEY_FILE');
      expect(err.stderr).not.toMatch(/\n\s+at /);
      expect(err.stdout).toBe('');
    },
    3 * START_TIMEOUT_MS,
  );

  it(
    'serves with zero configuration, writes the admin token to an owner-only file (never to the log), writes only JSON lines, and stops gracefully on SIGTERM',
    async () => {
      const port = await freePort();
      const child = spawn(process.execPath, [BIN, 'serve'], {
        env: { ...env, PORT: String(port), LOG_LEVEL: 'info' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => {
        stdout += d;
      });
      child.stderr.on('data', (d) => {
        stderr += d;
      });
      let token = '';
      try {
        const ready = await until(
          () =>
            fetch(`http://127.0.0.1:${port}/readyz`).then(
              (r) => r.ok,
              () => false,
            ),
          child,
        );
        expect(ready, stdout + stderr).toBe(true);
        const tokenFile = path.join(dataDir, 'admin-token');
        token = fs.readFileSync(tokenFile, 'utf8').trim();
        expect(token).toMatch(/^tv_admin_/);
        expect(fs.statSync(tokenFile).mode & 0o777).toBe(0o600);
        const res = await fetch(`http://127.0.0.1:${port}/v1/admin/merchants`, { headers: { authorization: `Bearer ${token}` } });
        expect(res.status).toBe(200);
      } finally {
        const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
        child.kill('SIGTERM');
        expect(await exited).toBe(0);
      }
      // Every line the server wrote is one JSON object; none carries the token.
      expect(stderr).toBe('');
      const lines = stdout.trim().split('\n');
      const parsed = lines.map((l) => JSON.parse(l) as { msg: string; adminTokenFile?: string });
      const msgs = parsed.map((l) => l.msg);
      if (backend === 'sqlite') expect(msgs.some((m) => m.startsWith('DEVELOPMENT MASTER KEY'))).toBe(true);
      expect(parsed.find((l) => l.adminTokenFile)?.adminTokenFile).toBe(path.join(dataDir, 'admin-token'));
      expect(msgs).toContain('tokenvault listening');
      expect(msgs).toContain('draining connections and closing the database');
      expect(msgs.at(-1)).toBe('stopped');
      expect(stdout).not.toContain(token);
    },
    2 * START_TIMEOUT_MS,
  );

  it(
    'writes lines for a person with LOG_FORMAT=pretty',
    async () => {
      const port = await freePort();
      const child = spawn(process.execPath, [BIN, 'serve'], {
        env: {
          ...env,
          PORT: String(port),
          LOG_LEVEL: 'info',
          LOG_FORMAT: 'pretty',
          TOKENVAULT_ADMIN_TOKEN: 'pretty-test-admin-token-0123456789',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      child.stdout.on('data', (d) => {
        stdout += d;
      });
      try {
        const ready = await until(
          () =>
            fetch(`http://127.0.0.1:${port}/healthz`).then(
              (r) => r.ok,
              () => false,
            ),
          child,
        );
        expect(ready, stdout).toBe(true);
      } finally {
        const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
        child.kill('SIGTERM');
        await exited;
      }
      expect(stdout).toContain('tokenvault listening');
      expect(
        stdout
          .trim()
          .split('\n')
          .some((l) => l.startsWith('{')),
      ).toBe(false);
    },
    2 * START_TIMEOUT_MS,
  );

  it(
    'serves with --workers 2 on one port, concurrent writes from both workers all succeeding',
    async () => {
      const port = await freePort();
      const admin = 'workers-test-admin-token-0123456789';
      // Keys are cached for 300 s: a revocation reaches the other worker only through a change notification.
      const child = spawn(process.execPath, [BIN, 'serve', '--workers', '2'], {
        env: { ...env, PORT: String(port), TOKENVAULT_ADMIN_TOKEN: admin, TOKENVAULT_AUTH_CACHE_SECONDS: '300' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d) => {
        stderr += d;
      });
      try {
        let ok = 0;
        const up = await until(async () => {
          const r = await fetch(`http://127.0.0.1:${port}/healthz`).then(
            (x) => x.ok,
            () => false,
          );
          if (r) ok++;
          return ok >= 20;
        }, child);
        expect(up, stderr).toBe(true);
        expect(stderr).toBe('');
        // Both workers write to one SQLite file (or one PostgreSQL): racing transactions must wait, not fail.
        const base = `http://127.0.0.1:${port}`;
        const json = { 'content-type': 'application/json' };
        const merchant = (await (
          await fetch(`${base}/v1/admin/merchants`, {
            method: 'POST',
            headers: { ...json, authorization: `Bearer ${admin}` },
            body: '{"name":"w"}',
          })
        ).json()) as { id: string; apiKey: string };
        const auth = { ...json, authorization: `Bearer ${merchant.apiKey}` };
        const statuses: number[] = [];
        for (let round = 0; round < 3; round++) {
          const customer = (await (await fetch(`${base}/v1/customers`, { method: 'POST', headers: auth, body: '{}' })).json()) as {
            id: string;
          };
          const body = JSON.stringify({
            number: '4111111111111111',
            expMonth: 12,
            expYear: new Date().getUTCFullYear() + 2,
            customer: customer.id,
          });
          const results = await Promise.all(
            Array.from({ length: 8 }, () => fetch(`${base}/v1/cards`, { method: 'POST', headers: auth, body })),
          );
          statuses.push(...results.map((r) => r.status));
        }
        expect(statuses).toEqual(Array(24).fill(201));
        // /metrics sums both workers: every tokenization is counted whichever worker served the scrape.
        for (let i = 0; i < 3; i++) {
          const metrics = await (await fetch(`${base}/metrics`)).text();
          expect(metrics).toMatch(/tokenvault_http_requests_total\{method="POST",route="\/v1\/cards",status="201"\} 24/);
        }
        // A revocation served by one worker reaches the other at once (SQLite: through the primary; PostgreSQL:
        // LISTEN/NOTIFY), though both cached the key for 300 s; 5 s leaves room for a loaded machine (the ≤ 1 s
        // figure is measured by npm run test:cluster). Round-robin sends requests to both.
        const list = () => fetch(`${base}/v1/customers?limit=1`, { headers: auth }).then((r) => r.status);
        expect(await Promise.all(Array.from({ length: 10 }, list))).toEqual(Array(10).fill(200));
        const adminAuth = { authorization: `Bearer ${admin}` };
        const info = (await (await fetch(`${base}/v1/admin/merchants/${merchant.id}`, { headers: adminAuth })).json()) as {
          apiKeys: { id: string }[];
        };
        const revoke = await fetch(`${base}/v1/admin/merchants/${merchant.id}/api-keys/${info.apiKeys[0]?.id}`, {
          method: 'DELETE',
          headers: adminAuth,
        });
        expect(revoke.status).toBe(200);
        const started = performance.now();
        let refusedEverywhere = false;
        while (!refusedEverywhere && performance.now() - started < 5000) {
          refusedEverywhere = (await Promise.all(Array.from({ length: 6 }, list))).every((s) => s === 401);
        }
        expect(refusedEverywhere).toBe(true);
      } finally {
        const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
        child.kill('SIGTERM');
        expect(await exited).toBe(0);
      }
    },
    2 * START_TIMEOUT_MS,
  );
});
