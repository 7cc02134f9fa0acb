/**
 * Builds a whole isolated app for a test: SQLite in a fresh temp dir, or — when DATABASE_URL is set —
 * PostgreSQL in a fresh schema that is dropped afterwards. Same tests, either backend.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import pg from 'pg';
import { buildApp, openVault, type Vault } from '../../src/app.ts';
import { type Config, loadConfig } from '../../src/config.ts';

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';
export const backend: 'sqlite' | 'postgres' = process.env.DATABASE_URL ? 'postgres' : 'sqlite';

/** Every log line every test app wrote, for the leak scan. */
export const logLines: string[] = [];

// The whole-suite scan (test/global-log-scan.ts) reads what every test process appends here.
const scanDir = process.env.TOKENVAULT_TEST_SCAN_DIR;
// Opened on the first line, so a test file that starts no app leaves no empty log file behind.
let scanStream: fs.WriteStream | null = null;
const scanLog = scanDir
  ? {
      write(line: string) {
        scanStream ??= fs.createWriteStream(path.join(scanDir, `logs-${process.pid}.ndjson`), { flags: 'a' });
        scanStream.write(line);
      },
    }
  : null;

/** Keeps one log line a test server wrote, for its test and for the whole-suite scan. */
export function keepLogLine(line: string): void {
  logLines.push(line);
  scanLog?.write(line.endsWith('\n') ? line : `${line}\n`);
}

/** Records a secret the tests created, so the whole-suite scan can look for it in every log line. */
export function rememberSecret(...secrets: (string | undefined)[]): void {
  if (!scanDir) return;
  const text = secrets.filter((s): s is string => typeof s === 'string' && s.length >= 8).join('\n');
  if (text) fs.appendFileSync(path.join(scanDir, `secrets-${process.pid}.txt`), `${text}\n`);
}

/** Removes what a test database used: its PostgreSQL schema (when on PostgreSQL) and its data directory. */
export async function dropTestStorage(dataDir: string, schema: string | null): Promise<void> {
  if (schema && process.env.DATABASE_URL) {
    const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();
    await client.query(`drop schema if exists ${schema} cascade`);
    await client.end();
  }
  fs.rmSync(dataDir, { recursive: true, force: true });
}

export interface TestApp {
  app: FastifyInstance;
  vault: Vault;
  config: Config;
  logs: string[];
  close(): Promise<void>;
}

export async function makeTestApp(opts: { now?: () => Date; env?: Record<string, string> } = {}): Promise<TestApp> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tv-test-'));
  const schema = backend === 'postgres' ? `t_${randomBytes(6).toString('hex')}` : null;
  const config = loadConfig({
    TOKENVAULT_DATA_DIR: dataDir,
    TOKENVAULT_MASTER_KEY: randomBytes(32).toString('base64'),
    TOKENVAULT_ADMIN_TOKEN: ADMIN_TOKEN,
    // Short: rotation tests wait for it, and nothing else depends on it.
    TOKENVAULT_KEY_CACHE_SECONDS: '1',
    LOG_LEVEL: 'info',
    // Suites send far more requests, and far more bad credentials, than the production defaults allow from
    // one address; the abuse-limit tests set their own limits.
    TOKENVAULT_RATE_LIMIT_PER_SECOND: '0',
    TOKENVAULT_AUTH_FAILURE_LIMIT: '1000000',
    // Callback receivers in tests listen on 127.0.0.1; production refuses such addresses (vault/egress.ts).
    TOKENVAULT_CALLBACK_PRIVATE_ADDRESSES: 'allow',
    TOKENVAULT_ELEMENTS_RATE_LIMIT_PER_MINUTE: '0',
    ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
    ...(schema ? { TOKENVAULT_DATABASE_SCHEMA: schema } : {}),
    ...opts.env,
  });
  rememberSecret(ADMIN_TOKEN);
  const vault = await openVault(config, opts.now ? { now: opts.now } : {});
  const admin = await vault.merchants.ensureAdminToken(config.adminToken);
  const logs: string[] = [];
  const logStream = new Writable({
    write(chunk, _enc, cb) {
      const line = chunk.toString();
      logs.push(line);
      keepLogLine(line);
      cb();
    },
  });
  const app = await buildApp(config, vault, admin.check, { logStream });
  return {
    app,
    vault,
    config,
    logs,
    async close() {
      await app.close();
      // A test may have closed the database itself (outage tests): cleanup goes on regardless.
      await vault.close().catch(() => {});
      await dropTestStorage(dataDir, schema);
    },
  };
}

export interface TestMerchant {
  id: string;
  apiKey: string;
  credentials: Record<string, unknown>;
}

export async function createMerchant(t: TestApp, name = 'Test merchant'): Promise<TestMerchant> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/v1/admin/merchants',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    payload: { name },
  });
  if (res.statusCode !== 201) throw new Error(`merchant create failed: ${res.statusCode} ${res.body}`);
  const body = res.json();
  const g = body.gateways;
  rememberSecret(
    body.apiKey,
    g.cybersource.sharedSecret,
    g.opay.secretKey,
    g.appotapay.secretKey,
    g.appotapay.apiKey,
    g.alliancepay.merchantPrivateJwk?.d,
    g.twoc2p.merchantPrivateKeyPem?.split('\n')[1],
    g.cybersource.mlePrivateKeyPem?.split('\n')[1],
  );
  return { id: body.id, apiKey: body.apiKey, credentials: body };
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';

/** A tiny client bound to one API key. */
export function client(t: TestApp, apiKey: string) {
  const call = (method: Method, url: string, payload?: unknown, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> =>
    t.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${apiKey}`, ...headers },
      ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}),
    });
  return {
    get: (url: string, headers?: Record<string, string>) => call('GET', url, undefined, headers),
    post: (url: string, payload?: unknown, headers?: Record<string, string>) => call('POST', url, payload ?? {}, headers),
    patch: (url: string, payload: unknown, headers?: Record<string, string>) => call('PATCH', url, payload, headers),
    delete: (url: string, headers?: Record<string, string>) => call('DELETE', url, undefined, headers),
  };
}

export type Client = ReturnType<typeof client>;

export const VISA = '4111111111111111';
export const MASTERCARD = '5555555555554444';
export const AMEX = '378282246310005';

export const futureYear = (): number => new Date().getUTCFullYear() + 3;

export async function tokenize(c: Client, body: Record<string, unknown> = {}) {
  const res = await c.post('/v1/cards', { number: VISA, expMonth: 12, expYear: futureYear(), ...body });
  if (res.statusCode !== 201) throw new Error(`tokenize failed: ${res.statusCode} ${res.body}`);
  return res.json();
}

export async function createCustomer(c: Client, body: Record<string, unknown> = {}) {
  const res = await c.post('/v1/customers', body);
  if (res.statusCode !== 201) throw new Error(`customer create failed: ${res.statusCode} ${res.body}`);
  return res.json();
}
