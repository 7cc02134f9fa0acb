/**
 * `npm run bench`: starts a real tokenvault server in a child process, drives the hot paths with
 * autocannon from this process and reports req/s, p50/p99, p99 at half the max rate (bench/paced.ts) and
 * the ratio to the bare HTTP ceiling measured in the same run (DESIGN §8); `--scale N` then preloads N
 * cards (bench/bulk.ts) and measures retrieve, list and tokenize again. Writes bench/results/ and
 * regenerates the tables in bench/README.md from them.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import {
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  randomInt,
} from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CompactEncrypt, CompactSign, compactDecrypt, compactVerify } from 'jose';
import type { AllianceCredentials } from '../test/gateways/alliancepay/helpers.ts';
import { type AlliancePool, allianceRoundTripsPerSecond, CREATE_PATH, createPool, isEncryptedAnswer, openSession } from './alliancepay.ts';
import { type PanSpec, panAt, preloadCards, progressBar } from './bulk.ts';
import { type PacedRequest, type PacedResult, paced } from './paced.ts';

// ---------------------------------------------------------------------------------------------------
// autocannon ships no type declarations; this is the narrow surface the benchmark uses.

interface AcRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
  setupRequest?: (req: AcRequest, context: Record<string, unknown>) => AcRequest;
}
interface AcOptions extends AcRequest {
  url: string;
  connections: number;
  duration: number;
  timeout?: number;
  requests?: AcRequest[];
  /** A 2xx whose body fails this counts in `mismatches`. */
  verifyBody?: (body: string) => boolean;
}
interface AcHistogram {
  mean: number;
  average: number;
  p50: number;
  p99: number;
  max: number;
  total: number;
}
interface AcResult {
  requests: AcHistogram;
  latency: AcHistogram;
  errors: number;
  timeouts: number;
  non2xx: number;
  mismatches: number;
  statusCodeStats: Record<string, { count: number }>;
  duration: number;
}
type Autocannon = (opts: AcOptions, cb: (err: Error | null, result: AcResult) => void) => unknown;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

function cannon(opts: AcOptions): Promise<AcResult> {
  return new Promise((resolve, reject) => {
    autocannon(opts, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

// ---------------------------------------------------------------------------------------------------
// Options

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BENCH_DIR = path.join(ROOT, 'bench');
const RESULTS_DIR = path.join(BENCH_DIR, 'results');
const README = path.join(BENCH_DIR, 'README.md');
const SCENARIO_NAMES = [
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
type ScenarioName = (typeof SCENARIO_NAMES)[number];
/** JOSE routes: bounded by public-key crypto, so their ratio is to an in-process round trip of the same work. */
const JOSE_SCENARIOS: readonly ScenarioName[] = ['2c2p-add', 'alliancepay-create'];
/** RSA routes get no p99-at-half-rate run (the latency target is for the others). */
const RSA_SCENARIOS: readonly ScenarioName[] = ['2c2p-add'];
/** What `--scale` measures again after the preload. */
const SCALE_SCENARIOS: readonly ScenarioName[] = ['retrieve', 'list', 'tokenize'];
const DEFAULT_PG_URL = 'postgres://postgres@127.0.0.1:5432/test';
const RETRIEVE_CARDS = 1000;
const CUSTOMER_CARDS = 10;
const TWOC2P_BODIES = 200;
const PAN_POOL = 50_000;
const WARMUP_SECONDS = 1;
/** AlliancePay requests ready before the warm-up; the main run's pool is sized from the warm-up's rate. */
const ALLIANCE_WARMUP_POOL = 200;
/** Revealed through the HTTP API after a preload, to prove the server can decrypt bulk-loaded cards. */
const REVEAL_CHECKS = 3;

const USAGE = `usage: npm run bench -- [options]

  --db sqlite|postgres   backend (default sqlite; postgres uses DATABASE_URL or ${DEFAULT_PG_URL})
  --workers N            server processes (serve --workers N; default 1)
  --duration S           seconds per scenario (default 10); the run at half the max rate takes half as long (at least 3 s)
  --connections N        concurrent connections (default 32)
  --quick                3 s per scenario and 2 s at half rate, for smoke runs (results get a -quick suffix and never replace full-run README rows)
  --scenarios a,b        subset of ${SCENARIO_NAMES.join(',')} (bare always runs: it is the ratio's reference)
  --scale N              then preload N cards through the bulk path (bench/bulk.ts) and run ${SCALE_SCENARIOS.join(', ')} again
  --no-half              skip the runs at half the max rate
  --readme               only regenerate the tables of bench/README.md from bench/results, run nothing
  --help`;

interface Options {
  db: 'sqlite' | 'postgres';
  workers: number;
  duration: number;
  halfDuration: number;
  connections: number;
  quick: boolean;
  half: boolean;
  scale: number;
  scenarios: ScenarioName[];
}

function whole(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max)
    throw new UsageError(`--${name} must be a whole number from ${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')}`);
  return Number(raw);
}

class UsageError extends Error {}

function parseOptions(argv: string[]): Options {
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
      'no-half': { type: 'boolean' },
      readme: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (values.readme) {
    updateReadme();
    console.log(`regenerated the tables of ${path.relative(ROOT, README)} from ${path.relative(ROOT, RESULTS_DIR)}/`);
    process.exit(0);
  }
  const db = values.db ?? 'sqlite';
  if (db !== 'sqlite' && db !== 'postgres') throw new UsageError('--db must be sqlite or postgres');
  const quick = values.quick ?? false;
  const scale = whole('scale', values.scale, 0, 1000, 10_000_000);
  let scenarios: ScenarioName[] = [...SCENARIO_NAMES];
  if (values.scenarios !== undefined) {
    const asked = values.scenarios
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const unknown = asked.filter((s) => !(SCENARIO_NAMES as readonly string[]).includes(s));
    if (unknown.length || asked.length === 0)
      throw new UsageError(`--scenarios: choose from ${SCENARIO_NAMES.join(',')} (got ${values.scenarios})`);
    // With --scale, the scenarios it reruns also run first: their small-size figures are the reference.
    scenarios = SCENARIO_NAMES.filter((s) => s === 'bare' || asked.includes(s) || (scale > 0 && SCALE_SCENARIOS.includes(s)));
  }
  const duration = whole('duration', values.duration, quick ? 3 : 10, 1, 3600);
  return {
    db,
    workers: whole('workers', values.workers, 1, 1, 64),
    duration,
    halfDuration: quick ? 2 : Math.max(3, Math.round(duration / 2)),
    connections: whole('connections', values.connections, 32, 1, 10_000),
    quick,
    half: !values['no-half'],
    scale,
    scenarios,
  };
}

// ---------------------------------------------------------------------------------------------------
// Test data

/** Distinct 16-digit Visa numbers: 4 + a per-run 5-digit prefix + a 9-digit counter + check digit. */
function visaPans(prefix: string, count: number): string[] {
  const start = randomInt(0, 1_000_000_000 - count);
  return Array.from({ length: count }, (_, i) => panAt({ prefix, length: 16 }, start + i));
}

// ---------------------------------------------------------------------------------------------------
// The server child process

interface Server {
  child: ChildProcess;
  base: string;
  output: string[];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

function keepTail(stream: NodeJS.ReadableStream | null, lines: string[], label: string): void {
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => {
    for (const line of chunk.split('\n')) if (line) lines.push(`[${label}] ${line}`);
    if (lines.length > 400) lines.splice(0, lines.length - 200);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function startServer(env: NodeJS.ProcessEnv, port: number, workers: number, onSpawn: (server: Server) => void): Promise<Server> {
  // Own process group, so the fallback SIGKILL also reaches cluster workers.
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/tokenvault.mjs'), 'serve', '--workers', String(workers)], {
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

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM to the server (it drains and stops its workers), SIGKILL to its whole group after 5 s. */
async function stopServer(child: ChildProcess): Promise<void> {
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

/** VmRSS of the server and every process below it (cluster workers), in MiB. */
function serverRssMb(rootPid: number): { mb: number; processes: number } | null {
  const parents = new Map<number, number>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(Number(entry), ppid);
    } catch {
      // exited meanwhile
    }
  }
  const tree = new Set([rootPid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, ppid] of parents) {
      if (!tree.has(pid) && tree.has(ppid)) {
        tree.add(pid);
        grew = true;
      }
    }
  }
  let kb = 0;
  let counted = 0;
  for (const pid of tree) {
    try {
      const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) {
        kb += Number(m[1]);
        counted++;
      }
    } catch {
      // exited meanwhile
    }
  }
  return counted ? { mb: kb / 1024, processes: counted } : null;
}

// ---------------------------------------------------------------------------------------------------
// Setup through the HTTP API

async function call<T>(base: string, token: string, method: string, urlPath: string, body: unknown, expect: number): Promise<T> {
  const res = await fetch(base + urlPath, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (res.status !== expect) throw new Error(`setup: ${method} ${urlPath} → ${res.status} (expected ${expect}): ${text.slice(0, 500)}`);
  return JSON.parse(text) as T;
}

async function inBatches<T>(count: number, parallel: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        const i = next++;
        out[i] = await fn(i);
      }
    }),
  );
  return out;
}

interface Fixtures {
  merchantId: string;
  apiKey: string;
  customerId: string;
  tokens: string[];
  /** Ready-made 2C2P add requests (JWS over JWE), built as a 2C2P merchant builds them. */
  twoc2pBodies: string[];
  /** Prepared AlliancePay token creates of one session, topped up before each run. */
  alliancePool: AlliancePool;
  cybersource: { merchantId: string; keyId: string; sharedSecret: string };
  opay: { merchantId: string; secretKey: string };
  appotapay: { partnerCode: string; apiKey: string; secretKey: string };
}

interface Twoc2pKeys {
  merchantId: string;
  vaultPublicKeyPem: string;
  merchantPrivateKeyPem: string;
}

async function twoc2pRequest(keys: { vaultPublic: KeyObject; merchantPrivate: KeyObject }, payload: unknown): Promise<string> {
  const jwe = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'RSA-OAEP', enc: 'A256GCM' })
    .encrypt(keys.vaultPublic);
  return new CompactSign(new TextEncoder().encode(jwe)).setProtectedHeader({ alg: 'PS256' }).sign(keys.merchantPrivate);
}

/**
 * The ceiling of a JOSE route: what the server must do per 2C2P request (verify PS256, decrypt RSA-OAEP,
 * encrypt RSA-OAEP, sign PS256), in this process on one core, with keys of the same size.
 */
async function twoc2pRoundTripsPerSecond(seconds: number): Promise<number> {
  const merchant = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const vault = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const request = await twoc2pRequest(
    { vaultPublic: vault.publicKey, merchantPrivate: merchant.privateKey },
    { merchantID: '123456789012345', accountNo: '4111111111111111', expiry: '2030-01-31', tokenProvider: 'CC' },
  );
  const response = new TextEncoder().encode(
    JSON.stringify({ merchantID: '123456789012345', token: '211126095801122414', responseCode: '0000', responseDesc: 'Success' }),
  );
  const once = async () => {
    const { payload } = await compactVerify(request, merchant.publicKey, { algorithms: ['PS256'] });
    await compactDecrypt(new TextDecoder().decode(payload), vault.privateKey, {
      keyManagementAlgorithms: ['RSA-OAEP'],
      contentEncryptionAlgorithms: ['A256GCM'],
    });
    const jwe = await new CompactEncrypt(response).setProtectedHeader({ alg: 'RSA-OAEP', enc: 'A256GCM' }).encrypt(merchant.publicKey);
    await new CompactSign(new TextEncoder().encode(jwe)).setProtectedHeader({ alg: 'PS256', kid: '1' }).sign(vault.privateKey);
  };
  for (let i = 0; i < 50; i++) await once();
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    await once();
    n++;
  }
  return n / ((performance.now() - start) / 1000);
}

type MerchantCreated = {
  id: string;
  apiKey: string;
  gateways: { twoc2p: Twoc2pKeys; alliancepay: AllianceCredentials } & Pick<Fixtures, 'cybersource' | 'opay' | 'appotapay'>;
};

/**
 * One request at a time: setup is not measured, and with several workers on SQLite concurrent writes
 * can be refused (503); the tokenize scenario is where that shows, loudly.
 */
async function setup(base: string, adminToken: string, pans: () => string, expYear: number): Promise<Fixtures> {
  const merchant = await call<MerchantCreated>(base, adminToken, 'POST', '/v1/admin/merchants', { name: 'bench' }, 201);
  const t = merchant.gateways.twoc2p;
  const twoc2pKeys = { vaultPublic: createPublicKey(t.vaultPublicKeyPem), merchantPrivate: createPrivateKey(t.merchantPrivateKeyPem) };
  const twoc2pBodies = await inBatches(TWOC2P_BODIES, 1, () =>
    twoc2pRequest(twoc2pKeys, {
      merchantID: t.merchantId,
      accountNo: pans(),
      name: 'Bench',
      expiry: `${expYear}-12-31`,
      tokenProvider: 'CC',
    }),
  );
  const key = merchant.apiKey;
  const customer = await call<{ id: string }>(
    base,
    key,
    'POST',
    '/v1/customers',
    { name: 'Bench Customer', email: 'bench@example.com' },
    201,
  );
  await inBatches(CUSTOMER_CARDS, 1, () =>
    call(base, key, 'POST', '/v1/cards', { number: pans(), expMonth: 12, expYear, customer: customer.id }, 201),
  );
  const cards = await inBatches(RETRIEVE_CARDS, 1, () =>
    call<{ token: string }>(base, key, 'POST', '/v1/cards', { number: pans(), expMonth: 12, expYear }, 201),
  );
  const listed = await call<{ data: unknown[] }>(base, key, 'GET', `/v1/customers/${customer.id}/cards`, undefined, 200);
  if (listed.data.length !== CUSTOMER_CARDS)
    throw new Error(`setup: the customer lists ${listed.data.length} cards, expected ${CUSTOMER_CARDS}`);
  const g = merchant.gateways;
  const session = await openSession(base, g.alliancepay);
  return {
    merchantId: merchant.id,
    apiKey: key,
    customerId: customer.id,
    tokens: cards.map((c) => c.token),
    twoc2pBodies,
    alliancePool: createPool(g.alliancepay, session, pans, `${String(expYear % 100).padStart(2, '0')}12`),
    cybersource: g.cybersource,
    opay: g.opay,
    appotapay: g.appotapay,
  };
}

/**
 * Proof that bulk-loaded cards are stored like tokenized ones: a few are revealed through the HTTP API
 * (an API key with the reveal scope, the answer a JWE to a throwaway P-256 key) and compared.
 */
async function revealCheck(
  base: string,
  adminToken: string,
  merchantId: string,
  sample: { token: string; pan: string }[],
): Promise<number> {
  const key = await call<{ apiKey: string }>(
    base,
    adminToken,
    'POST',
    `/v1/admin/merchants/${merchantId}/api-keys`,
    { scopes: ['reveal'], label: 'bench preload check' },
    201,
  );
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = pair.publicKey.export({ format: 'jwk' });
  let checked = 0;
  for (const s of sample.slice(0, REVEAL_CHECKS)) {
    const r = await call<{ jwe: string }>(
      base,
      key.apiKey,
      'POST',
      `/v1/cards/${s.token}/reveal`,
      { purpose: 'benchmark: check a bulk-loaded card', jwk },
      200,
    );
    const { plaintext } = await compactDecrypt(r.jwe, pair.privateKey);
    const shown = JSON.parse(new TextDecoder().decode(plaintext)) as { number?: string };
    if (shown.number !== s.pan) throw new Error(`preload: card ${s.token} reveals a different number than was loaded`);
    checked++;
  }
  return checked;
}

// ---------------------------------------------------------------------------------------------------
// Gateway clients' signing, per request (HMAC: cheap enough to do in autocannon's setupRequest)

/** A Cybersource HTTP Signature over host, date, request-target, digest and v-c-merchant-id. */
function cybersourceHeaders(c: Fixtures['cybersource'], host: string, path: string, body: string): Record<string, string> {
  const date = new Date().toUTCString();
  const digest = `SHA-256=${createHash('sha256').update(body).digest('base64')}`;
  const text = `host: ${host}\ndate: ${date}\nrequest-target: post ${path}\ndigest: ${digest}\nv-c-merchant-id: ${c.merchantId}`;
  const signature = createHmac('sha256', Buffer.from(c.sharedSecret, 'base64')).update(text).digest('base64');
  return {
    host,
    date,
    digest,
    'v-c-merchant-id': c.merchantId,
    'content-type': 'application/json',
    signature: `keyid="${c.keyId}", algorithm="HmacSHA256", headers="host date request-target digest v-c-merchant-id", signature="${signature}"`,
  };
}

/** AppotaPay's HS256 JWT (X-APPOTAPAY-AUTH). */
function appotapayJwt(a: Fixtures['appotapay']): string {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const head = `${b64({ typ: 'JWT', alg: 'HS256', cty: 'appotapay-api;v=1' })}.${b64({ iss: a.partnerCode, api_key: a.apiKey, jti: `${a.apiKey}-${now}`, exp: now + 300 })}`;
  return `${head}.${createHmac('sha256', a.secretKey).update(head).digest('base64url')}`;
}

// ---------------------------------------------------------------------------------------------------
// Scenarios

interface Scenario {
  name: ScenarioName;
  what: string;
  /**
   * Fresh request options for one run (counters live in the closure, shared by all connections). Always
   * a `requests` array: autocannon takes a top-level path from `url` instead. The paced generator
   * (p99 at half rate) draws from the same definitions.
   */
  requests(): Pick<AcOptions, 'requests'>;
  /** A 2xx whose body fails this is a failure (gateways that answer refusals with HTTP 200). */
  verify?: (body: string) => boolean;
  /** Single-use prepared requests: make sure `count` unused ones are ready before a run. */
  prepare?: (count: number) => Promise<void>;
  /** Requests sent after the prepared pool ran dry (each one a used request again); reset per run. */
  poolShortfall?: { read(): number; reset(): void };
}

function scenarios(f: Fixtures, nextPan: () => string, expYear: number): Record<ScenarioName, Scenario> {
  const auth = { authorization: `Bearer ${f.apiKey}` };
  return {
    bare: { name: 'bare', what: 'GET /healthz (the HTTP ceiling)', requests: () => ({ requests: [{ method: 'GET', path: '/healthz' }] }) },
    tokenize: {
      name: 'tokenize',
      what: 'POST /v1/cards, a new Luhn-valid Visa number each time',
      requests: () => ({
        requests: [
          {
            method: 'POST',
            path: '/v1/cards',
            headers: { ...auth, 'content-type': 'application/json' },
            setupRequest: (req) => ({ ...req, body: JSON.stringify({ number: nextPan(), expMonth: 12, expYear }) }),
          },
        ],
      }),
    },
    retrieve: {
      name: 'retrieve',
      what: `GET /v1/cards/:token over ${f.tokens.length.toLocaleString('en-US')} tokens`,
      requests: () => {
        let i = 0;
        return {
          requests: [
            { method: 'GET', headers: auth, setupRequest: (req) => ({ ...req, path: `/v1/cards/${f.tokens[i++ % f.tokens.length]}` }) },
          ],
        };
      },
    },
    list: {
      name: 'list',
      what: `GET /v1/customers/:id/cards (${CUSTOMER_CARDS} cards)`,
      requests: () => ({ requests: [{ method: 'GET', path: `/v1/customers/${f.customerId}/cards`, headers: auth }] }),
    },
    '2c2p-add': {
      name: '2c2p-add',
      what: `POST /customertoken/3.0/CustomerToken/add, JWS(PS256) over JWE(RSA-OAEP), ${f.twoc2pBodies.length} prepared requests (ratio: to the in-process JOSE round trip)`,
      requests: () => {
        let i = 0;
        return {
          requests: [
            {
              method: 'POST',
              path: '/customertoken/3.0/CustomerToken/add',
              headers: { 'content-type': 'text/plain' },
              setupRequest: (req) => ({ ...req, body: f.twoc2pBodies[i++ % f.twoc2pBodies.length] }),
            },
          ],
        };
      },
    },
    'cybersource-create-instrument': {
      name: 'cybersource-create-instrument',
      what: 'POST /tms/v1/instrumentidentifiers, HTTP Signature (HMAC-SHA256, digest), a new card number each time',
      requests: () => ({
        requests: [
          {
            method: 'POST',
            path: '/tms/v1/instrumentidentifiers',
            setupRequest: (req) => {
              const body = JSON.stringify({ card: { number: nextPan() } });
              return { ...req, body, headers: cybersourceHeaders(f.cybersource, 'bench.local', '/tms/v1/instrumentidentifiers', body) };
            },
          },
        ],
      }),
    },
    'alliancepay-create': {
      name: 'alliancepay-create',
      what: `POST ${CREATE_PATH}, JWE(ECDH-ES+A256KW, P-384) with the card number and expiry as nested JWEs, one session, prepared single-use requests (ratio: to the in-process JOSE round trip)`,
      verify: isEncryptedAnswer,
      prepare: async (count) => {
        await f.alliancePool.topUp(count);
      },
      poolShortfall: { read: () => f.alliancePool.exhausted, reset: () => f.alliancePool.resetExhausted() },
      requests: () => ({
        requests: [
          {
            method: 'POST',
            path: CREATE_PATH,
            setupRequest: (req) => {
              const p = f.alliancePool.take();
              return { ...req, headers: p.headers, body: p.body };
            },
          },
        ],
      }),
    },
    'opay-create': {
      name: 'opay-create',
      what: 'POST /api/v1/international/token/create, HMAC-SHA512 signature, a new card and reference each time',
      // Every OPay answer is HTTP 200; success is code "00000".
      verify: (body) => body.includes('"code":"00000"'),
      requests: () => {
        let i = 0;
        const run = randomBytes(4).toString('hex');
        return {
          requests: [
            {
              method: 'POST',
              path: '/api/v1/international/token/create',
              setupRequest: (req) => {
                const body = JSON.stringify({
                  reference: `bench-${run}-${i++}`,
                  cardNumber: nextPan(),
                  expiryMonth: '12',
                  expiryYear: String(expYear % 100),
                });
                const signature = createHmac('sha512', f.opay.secretKey).update(body).digest('hex');
                return {
                  ...req,
                  body,
                  headers: { 'content-type': 'application/json', merchantid: f.opay.merchantId, authorization: `Bearer ${signature}` },
                };
              },
            },
          ],
        };
      },
    },
    'appotapay-create': {
      name: 'appotapay-create',
      what: 'POST /credit-card/token, HS256 JWT, a new card and merchantRefId each time (MULTIPLE)',
      requests: () => {
        let i = 0;
        const run = randomBytes(4).toString('hex');
        return {
          requests: [
            {
              method: 'POST',
              path: '/credit-card/token',
              setupRequest: (req) => ({
                ...req,
                body: JSON.stringify({
                  merchantRefId: `bench-${run}-${i++}`,
                  tokenType: 'MULTIPLE',
                  card: {
                    holderName: 'BENCH',
                    number: nextPan(),
                    expirationMonth: '12',
                    expirationYear: String(expYear % 100),
                    cvv: '123',
                  },
                }),
                headers: { 'content-type': 'application/json', 'x-appotapay-auth': appotapayJwt(f.appotapay) },
              }),
            },
          ],
        };
      },
    },
    authorize: {
      name: 'authorize',
      what: `POST /v1/payments (authorize + capture 10.00 USD, simulator) over ${f.tokens.length.toLocaleString('en-US')} tokens`,
      requests: () => {
        let i = 0;
        return {
          requests: [
            {
              method: 'POST',
              path: '/v1/payments',
              headers: { ...auth, 'content-type': 'application/json' },
              setupRequest: (req) => ({
                ...req,
                body: JSON.stringify({ token: f.tokens[i++ % f.tokens.length], amount: 1000, currency: 'USD' }),
              }),
            },
          ],
        };
      },
    },
  };
}

/** The same request definitions as one stream for the paced generator. */
function requestStream(defs: AcRequest[]): () => PacedRequest {
  let i = 0;
  const context: Record<string, unknown> = {};
  return () => {
    const def = defs[i++ % defs.length] as AcRequest;
    const req = def.setupRequest ? def.setupRequest({ ...def }, context) : def;
    return {
      method: req.method ?? 'GET',
      path: req.path ?? '/',
      ...(req.headers ? { headers: req.headers } : {}),
      ...(req.body !== undefined ? { body: req.body } : {}),
    };
  };
}

// ---------------------------------------------------------------------------------------------------
// Rows

interface HalfRate {
  targetRate: number;
  achievedRate: number;
  durationSeconds: number;
  requests: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** How late the generator sent requests against their schedule (p99, ms). */
  sendLagP99Ms: number;
  /** Connections open at most (32 to start with; more are opened when none is idle). */
  peakConnections: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  mismatches: number;
  statusCodes: Record<string, number>;
}

interface Row {
  scenario: ScenarioName;
  /** 'scale': measured again after the preload (`storedCards`). */
  phase?: 'small' | 'scale';
  what: string;
  reqPerSec: number;
  ratio: number | null;
  /** What `ratio` divides by: the bare row, the in-process JOSE round trip, or the same scenario before the preload. */
  ratioTo?: 'bare' | 'jose' | 'small';
  p50Ms: number;
  p99Ms: number;
  /** p99 of the paced run at half of reqPerSec (bench/paced.ts); null when not run. */
  p99HalfMs?: number | null;
  half?: HalfRate | null;
  meanLatencyMs: number;
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  mismatches?: number;
  statusCodes: Record<string, number>;
  rssMb: number | null;
  rssProcesses: number;
  /** Cards in the database when the scenario ran (scale rows). */
  storedCards?: number;
}
// ---------------------------------------------------------------------------------------------------
// Reporting

interface Machine {
  cpu: string;
  cores: number;
  node: string;
  os: string;
  memoryGb: number;
  /** 1-minute load average at the start: other work on a shared machine skews absolute numbers. */
  loadAverage: number;
}

function machine(): Machine {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    memoryGb: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    loadAverage: Math.round((os.loadavg()[0] ?? 0) * 100) / 100,
  };
}

const shortCpu = (m: Machine) =>
  `${m.cpu
    .replace(/\((R|TM)\)/gi, '')
    .replace(/\s+CPU\b/i, '')
    .replace(/\s+@.*$/, '')
    .replace(/\s+\d+-Core Processor$/i, '')
    .replace(/\s+/g, ' ')
    .trim()} ×${m.cores}`;

const fmt = {
  rps: (n: number) => Math.round(n).toLocaleString('en-US'),
  ratio: (n: number | null | undefined) => (n === null || n === undefined ? '—' : n.toFixed(2)),
  /** autocannon's latencies are whole milliseconds (its histogram's resolution); the paced ones are not. */
  ms: (n: number | null | undefined) =>
    n === null || n === undefined ? '—' : Number.isInteger(n) ? String(n) : n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : n.toFixed(0),
  mb: (n: number | null | undefined) => (n === null || n === undefined ? '?' : n.toFixed(0)),
  count: (n: number) => n.toLocaleString('en-US'),
};

const COLUMNS = ['scenario', 'req/s', 'ratio', 'p50 ms', 'p99 ms', 'p99@½ ms', 'non-2xx', 'errors', 'server RSS MB'];
const cells = (r: Row) => [
  r.phase === 'scale' ? `${r.scenario} @ ${fmt.count(r.storedCards ?? 0)}` : r.scenario,
  fmt.rps(r.reqPerSec),
  fmt.ratio(r.ratio),
  fmt.ms(r.p50Ms),
  fmt.ms(r.p99Ms),
  fmt.ms(r.p99HalfMs),
  String(r.non2xx + (r.half?.non2xx ?? 0)),
  // autocannon's errors include its timeouts; the paced run counts them apart.
  String(r.errors + (r.mismatches ?? 0) + (r.half ? r.half.errors + r.half.timeouts + r.half.mismatches : 0)),
  fmt.mb(r.rssMb),
];

function consoleTable(rows: Row[]): string {
  const body = rows.map(cells);
  const widths = COLUMNS.map((c, i) => Math.max(c.length, ...body.map((b) => (b[i] ?? '').length)));
  const line = (cs: string[]) => cs.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(COLUMNS), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

/** A markdown table padded the way the repository's formatter (biome) prints it, so `npm run lint` stays clean. */
function mdTable(header: string[], rightAligned: (i: number) => boolean, rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(3, h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cs: string[]) =>
    `| ${cs.map((c, i) => (rightAligned(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join(' | ')} |`;
  const rule = `| ${widths.map((w, i) => (rightAligned(i) ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

interface ScaleInfo {
  cards: number;
  preloadSeconds: number;
  cardsPerSecond: number;
  buildWorkers: number;
  writeSeconds: number;
  /** Bulk-loaded cards revealed through the HTTP API and compared with what was loaded. */
  revealChecked: number;
  /** Server RSS after the reruns at scale. */
  rssAfterMb: number | null;
  /** Card numbers this run sent to the server through its APIs (setup and every scenario). */
  cardNumbersSentToServer: number;
}

interface RunInfo {
  date: string;
  startedAt: string;
  machine: Machine;
  config: {
    db: string;
    workers: number;
    durationSeconds: number;
    halfRateSeconds?: number | null;
    connections: number;
    warmupSeconds: number;
    quick: boolean;
    scale?: number;
    autocannon: string;
  };
  rssNote: string;
  /** In-process JOSE round trips per second, one at a time (the JOSE rows' ratio). */
  joseCeilings?: Partial<Record<ScenarioName, number>>;
  scale?: ScaleInfo | null;
  rows: Row[];
  failures: string[];
}

function runMarkdown(run: RunInfo): string {
  const c = run.config;
  const ceilings = Object.entries(run.joseCeilings ?? {}).map(([name, v]) => `${name} ${fmt.rps(v as number)}/s`);
  const s = run.scale;
  return [
    `# tokenvault benchmark, ${run.date} (${c.db}, ${c.workers} worker${c.workers === 1 ? '' : 's'}${c.quick ? ', quick' : ''}${s ? `, scale ${fmt.count(s.cards)}` : ''})`,
    '',
    `- Machine: ${run.machine.cpu}, ${run.machine.cores} cores, ${run.machine.memoryGb} GB, ${run.machine.os}, Node ${run.machine.node}; 1-min load average ${run.machine.loadAverage} at the start`,
    `- Load: autocannon ${c.autocannon}, ${c.connections} connections, ${c.durationSeconds} s per scenario after a ${c.warmupSeconds} s warm-up, 127.0.0.1`,
    c.halfRateSeconds
      ? `- p99@½: bench/paced.ts, open loop at half the scenario's req/s for ${c.halfRateSeconds} s over ${c.connections} keep-alive connections, latency from write to last byte`
      : '- p99@½: not run',
    `- Ratio: × the bare row; JOSE rows × the in-process round trip of the same crypto${ceilings.length ? ` (${ceilings.join(', ')})` : ''}; scale rows × the same scenario before the preload`,
    ...(s
      ? [
          `- Scale: ${fmt.count(s.cards)} cards preloaded through bench/bulk.ts in ${s.preloadSeconds.toFixed(1)} s (${fmt.rps(s.cardsPerSecond)} cards/s, ${s.buildWorkers} build threads), ${s.revealChecked} revealed back through the API; server RSS after the reruns ${fmt.mb(s.rssAfterMb)} MB; ${fmt.count(s.cardNumbersSentToServer)} card numbers went through the server's APIs in this run`,
        ]
      : []),
    `- Started: ${run.startedAt}`,
    `- RSS: ${run.rssNote}`,
    '',
    mdTable(
      ['scenario', 'what', ...COLUMNS.slice(1)],
      (i) => i >= 2,
      run.rows.map((r) => {
        const [name, ...rest] = cells(r);
        return [name ?? r.scenario, r.what, ...rest];
      }),
    ),
    '',
    run.failures.length
      ? `**Failures:**\n\n${run.failures.map((f) => `- ${f}`).join('\n')}\n`
      : 'No non-2xx responses, no errors and no refusals.',
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------------
// bench/README.md: its tables are regenerated from every file in bench/results

const MARKERS = {
  main: ['<!-- bench:start -->', '<!-- bench:end -->'],
  workers: ['<!-- bench:workers:start -->', '<!-- bench:workers:end -->'],
  scale: ['<!-- bench:scale:start -->', '<!-- bench:scale:end -->'],
} as const;

function readRuns(): RunInfo[] {
  if (!fs.existsSync(RESULTS_DIR)) return [];
  const runs: RunInfo[] = [];
  for (const file of fs.readdirSync(RESULTS_DIR).sort()) {
    if (!file.endsWith('.json')) continue;
    try {
      const run = JSON.parse(fs.readFileSync(path.join(RESULTS_DIR, file), 'utf8')) as RunInfo;
      if (Array.isArray(run.rows) && run.config && !(run.failures ?? []).length) runs.push(run);
    } catch {
      console.error(`skipping ${file}: not a results file`);
    }
  }
  return runs;
}

/** Full runs before quick ones, then the latest. */
const preferred = (a: RunInfo, b: RunInfo) =>
  Number(a.config.quick) - Number(b.config.quick) || (b.startedAt ?? '').localeCompare(a.startedAt ?? '');

const dbOrder = (db: string) => (db === 'sqlite' ? 0 : db === 'postgres' ? 1 : 2);
const runLabel = (r: RunInfo) =>
  `${r.date}, ${r.config.durationSeconds} s × ${r.config.connections} conn${r.config.quick ? ', quick' : ''}`;

function pick(runs: RunInfo[], key: (r: RunInfo) => string): RunInfo[] {
  const best = new Map<string, RunInfo>();
  for (const r of [...runs].sort(preferred)) if (!best.has(key(r))) best.set(key(r), r);
  return [...best.values()].sort((a, b) => dbOrder(a.config.db) - dbOrder(b.config.db) || a.config.workers - b.config.workers);
}

function mainTable(runs: RunInfo[]): string {
  const rows: string[][] = [];
  for (const run of pick(runs, (r) => `${r.config.db}/${r.config.workers}`)) {
    for (const r of run.rows.filter((x) => x.phase !== 'scale')) {
      const [, ...rest] = cells(r);
      rows.push([run.config.db, String(run.config.workers), r.scenario, ...rest, runLabel(run), shortCpu(run.machine)]);
    }
  }
  const header = ['db', 'workers', 'scenario', ...COLUMNS.slice(1), 'run', 'machine'];
  return mdTable(header, (i) => i >= 3 && i < header.length - 2, rows);
}

/** workers 2 / workers 1 for each db, from the latest date and machine that have both (full runs preferred). */
function workersTable(runs: RunInfo[]): string {
  const rows: string[][] = [];
  for (const db of [...new Set(runs.map((r) => r.config.db))].sort((a, b) => dbOrder(a) - dbOrder(b))) {
    // Same date and same machine: the factor compares like with like.
    const dayOf = (r: RunInfo) => `${r.date}|${shortCpu(r.machine)}`;
    const days = [...new Set(runs.filter((r) => r.config.db === db).map(dayOf))].sort().reverse();
    for (const day of days) {
      const sameDay = runs.filter((r) => r.config.db === db && dayOf(r) === day);
      const [w1] = sameDay.filter((r) => r.config.workers === 1).sort(preferred);
      const [w2] = sameDay.filter((r) => r.config.workers === 2).sort(preferred);
      if (!w1 || !w2) continue;
      for (const r2 of w2.rows.filter((x) => x.phase !== 'scale')) {
        const r1 = w1.rows.find((x) => x.scenario === r2.scenario && x.phase !== 'scale');
        if (!r1) continue;
        const factor = r2.reqPerSec / r1.reqPerSec;
        const target = JOSE_SCENARIOS.includes(r2.scenario) ? '≥ 1.60' : '';
        rows.push([
          db,
          r2.scenario,
          fmt.rps(r1.reqPerSec),
          fmt.rps(r2.reqPerSec),
          factor.toFixed(2),
          target,
          `${runLabel(w1)} / ${runLabel(w2)}`,
          shortCpu(w1.machine),
        ]);
      }
      break;
    }
  }
  if (rows.length === 0) return '_No date yet has both a 1-worker and a 2-worker run of one database on one machine._';
  const header = ['db', 'scenario', 'w1 req/s', 'w2 req/s', 'w2 / w1', 'target', 'runs (w1 / w2)', 'machine'];
  return mdTable(header, (i) => i >= 2 && i <= 4, rows);
}

function scaleTable(runs: RunInfo[]): string {
  // Per combination: full runs first, then the most cards, then the latest.
  const best = new Map<string, RunInfo>();
  const order = (a: RunInfo, b: RunInfo) =>
    Number(a.config.quick) - Number(b.config.quick) || (b.scale?.cards ?? 0) - (a.scale?.cards ?? 0) || preferred(a, b);
  for (const r of runs.filter((x) => x.scale).sort(order))
    best.set(`${r.config.db}/${r.config.workers}`, best.get(`${r.config.db}/${r.config.workers}`) ?? r);
  const scaled = [...best.values()].sort((a, b) => dbOrder(a.config.db) - dbOrder(b.config.db) || a.config.workers - b.config.workers);
  if (scaled.length === 0) return '_No scale run yet (`npm run bench -- --scale 1000000`)._';
  const rows: string[][] = [];
  const notes: string[] = [];
  for (const run of scaled) {
    const s = run.scale as ScaleInfo;
    for (const r of run.rows.filter((x) => x.phase === 'scale')) {
      const target = r.scenario === 'tokenize' ? '≥ 0.80' : '≥ 0.90';
      rows.push([
        run.config.db,
        String(run.config.workers),
        r.scenario,
        fmt.count(r.storedCards ?? s.cards),
        fmt.rps(r.reqPerSec),
        fmt.ratio(r.ratio),
        target,
        fmt.ms(r.p50Ms),
        fmt.ms(r.p99Ms),
        fmt.ms(r.p99HalfMs),
        fmt.mb(r.rssMb),
        runLabel(run),
      ]);
    }
    notes.push(
      `- ${run.config.db}, ${run.config.workers} worker${run.config.workers === 1 ? '' : 's'}: ${fmt.count(s.cards)} cards preloaded in ${s.preloadSeconds.toFixed(1)} s (${fmt.rps(s.cardsPerSecond)} cards/s), ${s.revealChecked} revealed back through the API; server RSS after the reruns **${fmt.mb(s.rssAfterMb)} MB** (target ≤ 250).`,
    );
  }
  const header = [
    'db',
    'workers',
    'scenario',
    'stored cards',
    'req/s',
    '× small',
    'target',
    'p50 ms',
    'p99 ms',
    'p99@½ ms',
    'server RSS MB',
    'run',
  ];
  return `${mdTable(header, (i) => i >= 3 && i <= 10 && i !== 6, rows)}\n\n${notes.join('\n')}`;
}

function replaceBetween(text: string, [start, end]: readonly [string, string], body: string): string {
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a < 0 || b < a) return `${text.trimEnd()}\n\n${start}\n${body}\n${end}\n`;
  return `${text.slice(0, a + start.length)}\n${body}\n${text.slice(b)}`;
}

/** Regenerates every table in bench/README.md from bench/results (runs with failures are left out). */
function updateReadme(): void {
  const runs = readRuns();
  let text = fs.existsSync(README) ? fs.readFileSync(README, 'utf8') : '# Benchmarks\n';
  text = replaceBetween(text, MARKERS.main, mainTable(runs));
  text = replaceBetween(text, MARKERS.workers, workersTable(runs));
  text = replaceBetween(text, MARKERS.scale, scaleTable(runs));
  fs.writeFileSync(README, text);
}
// ---------------------------------------------------------------------------------------------------
// Main

async function main(): Promise<number> {
  let opts: Options;
  try {
    opts = parseOptions(process.argv.slice(2));
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const m = machine();
  const startedAt = new Date();
  const expYear = startedAt.getFullYear() + 3;
  const runPrefix = randomInt(0, 100_000);
  const pool = visaPans(`4${String(runPrefix).padStart(5, '0')}`, PAN_POOL);
  // The preload's card numbers differ from every number the API scenarios send in this run.
  const preloadPans: PanSpec = { prefix: `4${String((runPrefix + 1) % 100_000).padStart(5, '0')}`, length: 16 };
  let panIndex = 0;
  const nextPan = () => pool[panIndex++ % pool.length] as string;

  // Bounded: setup, warm-ups, scenarios, pools, preload and slack; a hang ends the run instead of stalling a terminal.
  const perScenario = opts.duration + WARMUP_SECONDS + (opts.half ? opts.halfDuration : 0) + 30;
  const budgetMs =
    (180 +
      opts.scenarios.length * perScenario +
      (opts.scenarios.includes('alliancepay-create') ? 240 : 0) +
      (opts.scale ? opts.scale / 1000 + SCALE_SCENARIOS.length * perScenario + 120 : 0)) *
    1000;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenvault-bench-'));
  const adminToken = randomBytes(24).toString('base64url');
  const schema = opts.db === 'postgres' ? `bench_${randomBytes(6).toString('hex')}` : null;
  const databaseUrl = opts.db === 'postgres' ? process.env.DATABASE_URL || DEFAULT_PG_URL : null;
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

  console.log(`machine:  ${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB, Node ${m.node}, ${m.os} (load average ${m.loadAverage})`);
  console.log(
    `backend:  ${opts.db}${databaseUrl ? ` (${databaseUrl.replace(/\/\/[^@/]*@/, '//…@')}, schema ${schema})` : ` (${dataDir})`}`,
  );
  console.log(`workers:  ${opts.workers}`);
  console.log(
    `load:     ${opts.connections} connections, ${opts.duration} s per scenario (+${WARMUP_SECONDS} s warm-up)${opts.half ? `, then ${opts.halfDuration} s paced at half that rate` : ''}${opts.quick ? ', quick' : ''}`,
  );
  if (opts.scale) console.log(`scale:    then ${fmt.count(opts.scale)} cards preloaded, and ${SCALE_SCENARIOS.join(', ')} again`);
  console.log('');

  let child: ChildProcess | null = null;
  let serverOutput: string[] = [];
  const cleanup = async () => {
    if (child) await stopServer(child);
    fs.rmSync(dataDir, { recursive: true, force: true });
    if (schema && databaseUrl) {
      const { default: pg } = await import('pg');
      const client = new pg.Client({ connectionString: databaseUrl });
      try {
        await client.connect();
        await client.query(`drop schema if exists ${schema} cascade`);
      } catch (e) {
        console.error(`could not drop schema ${schema}: ${(e as Error).message}`);
      } finally {
        await client.end().catch(() => {});
      }
    }
  };
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

  const work = async (): Promise<number> => {
    const server = await startServer(env, port, opts.workers, (s) => {
      child = s.child;
      serverOutput = s.output;
    });
    const base = server.base;
    const serverPid = server.child.pid as number;
    process.stdout.write(
      `setup: merchant, customer with ${CUSTOMER_CARDS} cards, ${fmt.count(RETRIEVE_CARDS)} cards to retrieve, an AlliancePay session… `,
    );
    const fixtures = await setup(base, adminToken, nextPan, expYear);
    console.log('done\n');

    const rows: Row[] = [];
    const failures: string[] = [];
    const fail = (msg: string) => {
      failures.push(msg);
      console.error(`\n!!! ${msg}\n`);
    };
    const serverGone = () => server.child.exitCode !== null || server.child.signalCode !== null;
    let bareRps: number | null = null;

    /** Warm-up, the measured run, then (unless RSA) the paced run at half its rate. */
    const measure = async (s: Scenario, label: string): Promise<Row> => {
      process.stdout.write(`${label.padEnd(9)} ${s.what} … `);
      const shared = {
        url: base,
        connections: opts.connections,
        timeout: 10,
        ...(s.verify ? { verifyBody: s.verify } : {}),
      };
      await s.prepare?.(ALLIANCE_WARMUP_POOL);
      s.poolShortfall?.reset();
      const warm = await cannon({ ...shared, duration: WARMUP_SECONDS, ...s.requests() });
      if (s.prepare) {
        // Single-use requests: enough for the measured run at 1.5× the warm-up's rate, plus two per connection.
        // The warm-up's answers plus one in flight per connection: a slow route (≈ 1 s per answer at 32
        // connections) completes few requests in a 1 s warm-up, and too small a pool fails the run.
        let rate = ((warm.statusCodeStats['200']?.count ?? 0) + opts.connections) / Math.max(warm.duration, WARMUP_SECONDS);
        if (s.poolShortfall?.read()) rate *= 2;
        const need = Math.ceil(rate * 1.5 * opts.duration) + 2 * opts.connections;
        process.stdout.write(`(preparing ${fmt.count(need)} requests… `);
        const t = performance.now();
        await s.prepare(need);
        process.stdout.write(`${((performance.now() - t) / 1000).toFixed(1)} s) `);
      }
      s.poolShortfall?.reset();
      const r = await cannon({ ...shared, duration: opts.duration, ...s.requests() });
      const shortfall = s.poolShortfall?.read() ?? 0;
      const rss = serverRssMb(serverPid);
      const statusCodes = Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([code, v]) => [code, v.count]));
      const row: Row = {
        scenario: s.name,
        phase: 'small',
        what: s.what,
        reqPerSec: r.requests.mean,
        ratio: null,
        ratioTo: 'bare',
        p50Ms: r.latency.p50,
        p99Ms: r.latency.p99,
        p99HalfMs: null,
        half: null,
        meanLatencyMs: r.latency.average,
        requests: r.requests.total,
        non2xx: r.non2xx,
        errors: r.errors,
        timeouts: r.timeouts,
        mismatches: r.mismatches ?? 0,
        statusCodes,
        rssMb: rss?.mb ?? null,
        rssProcesses: rss?.processes ?? 0,
      };
      process.stdout.write(`${fmt.rps(row.reqPerSec)} req/s, p50 ${fmt.ms(row.p50Ms)} ms, p99 ${fmt.ms(row.p99Ms)} ms`);
      if (r.non2xx || r.errors || r.timeouts || row.mismatches) {
        fail(
          `${label}: ${r.non2xx} non-2xx (status codes ${JSON.stringify(statusCodes)}), ${r.errors} errors (${r.timeouts} timeouts), ${row.mismatches} refusals in a 2xx`,
        );
      }
      if (shortfall)
        fail(`${label}: the prepared requests ran out (${shortfall} sent again); the server was faster than the warm-up suggested`);
      if (opts.half && !RSA_SCENARIOS.includes(s.name) && !serverGone() && row.reqPerSec > 0) {
        const rate = row.reqPerSec / 2;
        await s.prepare?.(Math.ceil(rate * opts.halfDuration * 1.1) + opts.connections);
        s.poolShortfall?.reset();
        const p: PacedResult = await paced({
          url: base,
          rate,
          durationSeconds: opts.halfDuration,
          connections: opts.connections,
          timeoutMs: 10_000,
          next: requestStream(s.requests().requests ?? []),
          ...(s.verify ? { verify: s.verify } : {}),
        });
        row.half = {
          targetRate: p.targetRate,
          achievedRate: p.achievedRate,
          durationSeconds: opts.halfDuration,
          requests: p.sent,
          p50Ms: p.latencyMs.p50,
          p90Ms: p.latencyMs.p90,
          p99Ms: p.latencyMs.p99,
          maxMs: p.latencyMs.max,
          sendLagP99Ms: p.sendLagMs.p99,
          peakConnections: p.peakConnections,
          non2xx: p.non2xx,
          errors: p.errors,
          timeouts: p.timeouts,
          mismatches: p.mismatches,
          statusCodes: p.statusCodes,
        };
        row.p99HalfMs = p.latencyMs.p99;
        process.stdout.write(`; at ${fmt.rps(rate)}/s p99 ${fmt.ms(p.latencyMs.p99)} ms`);
        if (p.sendLagMs.p99 > 2) process.stdout.write(` (generator ran late: p99 send lag ${fmt.ms(p.sendLagMs.p99)} ms)`);
        if (p.non2xx || p.errors || p.timeouts || p.mismatches || s.poolShortfall?.read()) {
          fail(
            `${label} at half rate: ${p.non2xx} non-2xx (status codes ${JSON.stringify(p.statusCodes)}), ${p.errors} errors, ${p.timeouts} timeouts, ${p.mismatches} refusals in a 2xx${s.poolShortfall?.read() ? ', prepared requests ran out' : ''}`,
          );
        }
      }
      console.log('');
      return row;
    };

    const all = scenarios(fixtures, nextPan, expYear);
    for (const name of opts.scenarios) {
      const row = await measure(all[name], name);
      if (name === 'bare') bareRps = row.reqPerSec;
      row.ratio = bareRps ? row.reqPerSec / bareRps : null;
      rows.push(row);
      if (serverGone()) {
        fail(`server exited during ${name}`);
        console.error(server.output.slice(-40).join('\n'));
        break;
      }
    }

    // JOSE routes are bounded by public-key crypto, not HTTP: their ratio is to the same crypto done in-process.
    const joseCeilings: Partial<Record<ScenarioName, number>> = {};
    const ceilingSeconds = Math.min(opts.duration, 5);
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
      const ceiling = await measureCeiling(ceilingSeconds);
      joseCeilings[name] = ceiling;
      row.ratio = row.reqPerSec / ceiling;
      row.ratioTo = 'jose';
      row.what = `${row.what}; JOSE ceiling ${Math.round(ceiling)}/s`;
      console.log(`${fmt.rps(ceiling)} round trips/s; ${name} at ${row.ratio.toFixed(2)} of it`);
    }

    let scale: ScaleInfo | null = null;
    if (opts.scale && failures.length === 0) {
      console.log(`\npreload: ${fmt.count(opts.scale)} cards through the bulk path (bench/bulk.ts), the server idle meanwhile`);
      const loaded = await preloadCards({
        env,
        merchantId: fixtures.merchantId,
        count: opts.scale,
        pans: preloadPans,
        expMonth: 12,
        expYear,
        sample: RETRIEVE_CARDS,
        onProgress: progressBar('preload'),
      });
      console.log(
        `preload: ${fmt.rps(loaded.cardsPerSecond)} cards/s (${loaded.seconds.toFixed(1)} s, ${loaded.buildWorkers} build threads, ${loaded.writeSeconds.toFixed(1)} s writing)`,
      );
      const revealed = await revealCheck(base, adminToken, fixtures.merchantId, loaded.sample);
      console.log(`preload: ${revealed} bulk-loaded cards revealed through the API match what was loaded\n`);
      const big = scenarios({ ...fixtures, tokens: loaded.sample.map((s) => s.token) }, nextPan, expYear);
      for (const name of SCALE_SCENARIOS) {
        const small = rows.find((r) => r.scenario === name && r.phase === 'small');
        if (!small) continue;
        const row = await measure(big[name], `${name}@N`);
        row.phase = 'scale';
        row.storedCards = opts.scale;
        if (name === 'retrieve') row.what = `${row.what}, preloaded ones spread evenly over all ${fmt.count(opts.scale)}`;
        row.ratio = row.reqPerSec / small.reqPerSec;
        row.ratioTo = 'small';
        rows.push(row);
        if (serverGone()) {
          fail(`server exited during ${name} at scale`);
          break;
        }
      }
      const rss = serverRssMb(serverPid);
      scale = {
        cards: opts.scale,
        preloadSeconds: loaded.seconds,
        cardsPerSecond: loaded.cardsPerSecond,
        buildWorkers: loaded.buildWorkers,
        writeSeconds: loaded.writeSeconds,
        revealChecked: revealed,
        rssAfterMb: rss?.mb ?? null,
        cardNumbersSentToServer: panIndex,
      };
      console.log(`scale: server RSS after the reruns ${fmt.mb(scale.rssAfterMb)} MB`);
    } else if (opts.scale) {
      console.error('scale: skipped, the run already failed');
    }

    if (panIndex > pool.length)
      console.log(`note: ${panIndex} card numbers cycled through ${pool.length} distinct ones (repeats map to existing instruments)`);
    if (failures.length) console.error(`server output (tail):\n${server.output.slice(-20).join('\n') || '(none)'}`);

    const rssProcs = rows[0]?.rssProcesses ?? 0;
    const date = startedAt.toISOString().slice(0, 10);
    const autocannonVersion = (createRequire(import.meta.url)('autocannon/package.json') as { version: string }).version;
    const run: RunInfo = {
      date,
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
        autocannon: autocannonVersion,
      },
      rssNote: `VmRSS summed over the server process and its descendants (${rssProcs} process${rssProcs === 1 ? '' : 'es'}${opts.workers > 1 ? ': the cluster primary and its workers' : ''}), read after each scenario's measured run (before its paced run)`,
      joseCeilings,
      scale,
      rows,
      failures,
    };

    console.log(
      `\n${opts.db}, ${opts.workers} worker${opts.workers === 1 ? '' : 's'}, ${opts.connections} connections, ${opts.duration} s — ${shortCpu(m)}, Node ${m.node}\n`,
    );
    console.log(consoleTable(rows));
    console.log(
      `\nratio: × bare; ${JOSE_SCENARIOS.join(', ')} × the in-process JOSE round trip; "@ N" rows × the same scenario before the preload`,
    );
    console.log(`p99@½: paced (open loop) at half the scenario's req/s for ${opts.halfDuration} s, latency from write to last byte`);
    console.log(`RSS: ${run.rssNote}`);

    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    const stem = path.join(
      RESULTS_DIR,
      `${date}-${opts.db}-w${opts.workers}${opts.scale ? `-scale${opts.scale}` : ''}${opts.quick ? '-quick' : ''}`,
    );
    fs.writeFileSync(`${stem}.json`, `${JSON.stringify(run, null, 2)}\n`);
    fs.writeFileSync(`${stem}.md`, runMarkdown(run));
    console.log(`wrote ${path.relative(ROOT, stem)}.json and .md`);
    if (failures.length) {
      console.error(
        `\nFAILED: ${failures.length} problem(s); this run is left out of bench/README.md:\n${failures.map((f) => `  - ${f}`).join('\n')}`,
      );
      return 1;
    }
    updateReadme();
    console.log(
      `regenerated the tables of ${path.relative(ROOT, README)} from ${path.relative(ROOT, RESULTS_DIR)}/ (full runs before quick ones)`,
    );
    return 0;
  };

  try {
    return await Promise.race([work(), interrupted, overBudget]);
  } catch (e) {
    console.error(`\nbenchmark failed: ${(e as Error).stack ?? String(e)}`);
    if (serverOutput.length) console.error(`server output (tail):\n${serverOutput.slice(-20).join('\n')}`);
    return 1;
  } finally {
    clearTimeout(timer);
    await cleanup();
  }
}

const code = await main();
// autocannon or a race loser may still hold handles; the server is already stopped.
process.exit(code);
