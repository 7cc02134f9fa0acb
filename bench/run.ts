/**
 * `npm run bench`: starts a real tokenvault server in a child process, drives the hot paths with
 * autocannon from this process and reports req/s, p50/p99 and the ratio to the bare HTTP ceiling
 * measured in the same run (DESIGN §8). Writes bench/results/ and the table in bench/README.md.
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
  'opay-create',
  'appotapay-create',
] as const;
type ScenarioName = (typeof SCENARIO_NAMES)[number];
const DEFAULT_PG_URL = 'postgres://postgres@127.0.0.1:5432/test';
const RETRIEVE_CARDS = 200;
const CUSTOMER_CARDS = 10;
const TWOC2P_BODIES = 200;
const PAN_POOL = 50_000;
const WARMUP_SECONDS = 1;

const USAGE = `usage: npm run bench -- [options]

  --db sqlite|postgres   backend (default sqlite; postgres uses DATABASE_URL or ${DEFAULT_PG_URL})
  --workers N            server processes (serve --workers N; default 1)
  --duration S           seconds per scenario (default 10)
  --connections N        concurrent connections (default 32)
  --quick                3 s per scenario, for smoke runs (results get a -quick suffix and never replace full-run README rows)
  --scenarios a,b        subset of ${SCENARIO_NAMES.join(',')} (bare always runs: it is the ratio's reference)
  --help`;

interface Options {
  db: 'sqlite' | 'postgres';
  workers: number;
  duration: number;
  connections: number;
  quick: boolean;
  scenarios: ScenarioName[];
}

function positive(name: string, raw: string | undefined, fallback: number, max: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > max) throw new UsageError(`--${name} must be a whole number from 1 to ${max}`);
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
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const db = values.db ?? 'sqlite';
  if (db !== 'sqlite' && db !== 'postgres') throw new UsageError('--db must be sqlite or postgres');
  const quick = values.quick ?? false;
  let scenarios: ScenarioName[] = [...SCENARIO_NAMES];
  if (values.scenarios !== undefined) {
    const asked = values.scenarios
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const unknown = asked.filter((s) => !(SCENARIO_NAMES as readonly string[]).includes(s));
    if (unknown.length || asked.length === 0)
      throw new UsageError(`--scenarios: choose from ${SCENARIO_NAMES.join(',')} (got ${values.scenarios})`);
    scenarios = SCENARIO_NAMES.filter((s) => s === 'bare' || asked.includes(s));
  }
  return {
    db,
    workers: positive('workers', values.workers, 1, 64),
    duration: positive('duration', values.duration, quick ? 3 : 10, 3600),
    connections: positive('connections', values.connections, 32, 10_000),
    quick,
    scenarios,
  };
}

// ---------------------------------------------------------------------------------------------------
// Test data

/** Appends the Luhn check digit to a payload of digits. */
function withLuhn(payload: string): string {
  let sum = 0;
  // The check digit will sit to the right, so the payload's last digit is the first one doubled.
  for (let i = payload.length - 1, double = true; i >= 0; i--, double = !double) {
    let d = payload.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return payload + String((10 - (sum % 10)) % 10);
}

/** Distinct 16-digit Visa numbers: 4 + a per-run 5-digit prefix + a 9-digit counter + check digit. */
function visaPans(count: number): string[] {
  const prefix = String(randomInt(0, 100_000)).padStart(5, '0');
  const start = randomInt(0, 1_000_000_000 - count);
  return Array.from({ length: count }, (_, i) => withLuhn(`4${prefix}${String(start + i).padStart(9, '0')}`));
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
  apiKey: string;
  customerId: string;
  tokens: string[];
  /** Ready-made 2C2P add requests (JWS over JWE), built as a 2C2P merchant builds them. */
  twoc2pBodies: string[];
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
async function joseRoundTripsPerSecond(seconds: number): Promise<number> {
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

/**
 * One request at a time: setup is not measured, and with several workers on SQLite concurrent writes
 * can be refused (503); the tokenize scenario is where that shows, loudly.
 */
async function setup(base: string, adminToken: string, pans: () => string, expYear: number): Promise<Fixtures> {
  const merchant = await call<{ apiKey: string; gateways: { twoc2p: Twoc2pKeys } & Pick<Fixtures, 'cybersource' | 'opay' | 'appotapay'> }>(
    base,
    adminToken,
    'POST',
    '/v1/admin/merchants',
    { name: 'bench' },
    201,
  );
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
  return {
    apiKey: key,
    customerId: customer.id,
    tokens: cards.map((c) => c.token),
    twoc2pBodies,
    cybersource: g.cybersource,
    opay: g.opay,
    appotapay: g.appotapay,
  };
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
   * Fresh request options for one autocannon run (counters live in the closure, shared by all
   * connections). Always a `requests` array: autocannon takes a top-level path from `url` instead.
   */
  requests(): Pick<AcOptions, 'requests'>;
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
      what: `GET /v1/cards/:token over ${f.tokens.length} tokens`,
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
    'opay-create': {
      name: 'opay-create',
      what: 'POST /api/v1/international/token/create, HMAC-SHA512 signature, a new card and reference each time',
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
      what: `POST /v1/payments (authorize + capture 10.00 USD, simulator) over ${f.tokens.length} tokens`,
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

interface Row {
  scenario: ScenarioName;
  what: string;
  reqPerSec: number;
  ratio: number | null;
  p50Ms: number;
  p99Ms: number;
  meanLatencyMs: number;
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  rssMb: number | null;
  rssProcesses: number;
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
  ratio: (n: number | null) => (n === null ? '—' : n.toFixed(2)),
  ms: (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1)),
  mb: (n: number | null) => (n === null ? '?' : n.toFixed(0)),
};

const COLUMNS = ['scenario', 'req/s', '× bare', 'p50 ms', 'p99 ms', 'non-2xx', 'errors', 'server RSS MB'];
const cells = (r: Row) => [
  r.scenario,
  fmt.rps(r.reqPerSec),
  fmt.ratio(r.ratio),
  fmt.ms(r.p50Ms),
  fmt.ms(r.p99Ms),
  String(r.non2xx),
  String(r.errors + r.timeouts),
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

interface RunInfo {
  date: string;
  startedAt: string;
  machine: Machine;
  config: {
    db: string;
    workers: number;
    durationSeconds: number;
    connections: number;
    warmupSeconds: number;
    quick: boolean;
    autocannon: string;
  };
  rssNote: string;
  rows: Row[];
  failures: string[];
}

function runMarkdown(run: RunInfo): string {
  const c = run.config;
  return [
    `# tokenvault benchmark, ${run.date} (${c.db}, ${c.workers} worker${c.workers === 1 ? '' : 's'}${c.quick ? ', quick' : ''})`,
    '',
    `- Machine: ${run.machine.cpu}, ${run.machine.cores} cores, ${run.machine.memoryGb} GB, ${run.machine.os}, Node ${run.machine.node}; 1-min load average ${run.machine.loadAverage} at the start`,
    `- Load: autocannon ${c.autocannon}, ${c.connections} connections, ${c.durationSeconds} s per scenario after a ${c.warmupSeconds} s warm-up, 127.0.0.1`,
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
    run.failures.length ? `**Failures:**\n\n${run.failures.map((f) => `- ${f}`).join('\n')}\n` : 'No non-2xx responses and no errors.',
    '',
  ].join('\n');
}

const README_START = '<!-- bench:start -->';
const README_END = '<!-- bench:end -->';
const README_COLUMNS = [
  'db',
  'workers',
  'scenario',
  'req/s',
  '× bare',
  'p50 ms',
  'p99 ms',
  'non-2xx',
  'errors',
  'server RSS MB',
  'run',
  'machine',
];

/**
 * Replaces this db/workers combination's rows in the README table, all at once so every ratio in a
 * combination refers to the bare row next to it. Returns false when a quick run met rows of a full run.
 */
function updateReadme(run: RunInfo): boolean {
  const text = fs.existsSync(README) ? fs.readFileSync(README, 'utf8') : `# Benchmarks\n\n${README_START}\n${README_END}\n`;
  const start = text.indexOf(README_START);
  const end = text.indexOf(README_END);
  const [before, inside, after] =
    start >= 0 && end > start
      ? [text.slice(0, start), text.slice(start + README_START.length, end), text.slice(end + README_END.length)]
      : [`${text.trimEnd()}\n\n`, '', '\n'];
  const c = run.config;
  const combination = (cs: string[]) => cs[0] === c.db && cs[1] === String(c.workers);
  let rows: string[][] = [];
  for (const line of inside.split('\n')) {
    if (!line.startsWith('|')) continue;
    const cs = line
      .split('|')
      .slice(1, -1)
      .map((cell) => cell.trim());
    if (cs.length !== README_COLUMNS.length || cs[0] === 'db' || /^:?-+:?$/.test(cs[0] ?? '')) continue;
    rows.push(cs);
  }
  if (c.quick && rows.some((cs) => combination(cs) && !(cs[10] ?? '').includes('quick'))) return false;
  const runLabel = `${run.date}, ${c.durationSeconds} s × ${c.connections} conn${c.quick ? ', quick' : ''}`;
  rows = [
    ...rows.filter((cs) => !combination(cs)),
    ...run.rows.map((r) => [c.db, String(c.workers), ...cells(r), runLabel, shortCpu(run.machine)]),
  ];
  const dbOrder = (db: string) => (db === 'sqlite' ? 0 : db === 'postgres' ? 1 : 2);
  const sorted = rows.sort(
    (a, b) =>
      dbOrder(a[0] ?? '') - dbOrder(b[0] ?? '') ||
      Number(a[1]) - Number(b[1]) ||
      SCENARIO_NAMES.indexOf(a[2] as ScenarioName) - SCENARIO_NAMES.indexOf(b[2] as ScenarioName),
  );
  const table = mdTable(README_COLUMNS, (i) => i >= 3 && i < 10, sorted);
  fs.writeFileSync(README, `${before}${README_START}\n${table}\n${README_END}${after}`);
  return true;
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
  const pool = visaPans(PAN_POOL);
  let panIndex = 0;
  const nextPan = () => pool[panIndex++ % pool.length] as string;

  // Bounded: setup, warm-ups, scenarios and slack; a hang ends the run instead of stalling a terminal.
  const budgetMs = (120 + opts.scenarios.length * (opts.duration + WARMUP_SECONDS + 30)) * 1000;
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
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    ...(schema ? { TOKENVAULT_DATABASE_SCHEMA: schema } : {}),
  });

  console.log(`machine:  ${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB, Node ${m.node}, ${m.os} (load average ${m.loadAverage})`);
  console.log(
    `backend:  ${opts.db}${databaseUrl ? ` (${databaseUrl.replace(/\/\/[^@/]*@/, '//…@')}, schema ${schema})` : ` (${dataDir})`}`,
  );
  console.log(`workers:  ${opts.workers}`);
  console.log(
    `load:     ${opts.connections} connections, ${opts.duration} s per scenario (+${WARMUP_SECONDS} s warm-up)${opts.quick ? ', quick' : ''}\n`,
  );

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
      console.error(`benchmark exceeded its ${budgetMs / 1000} s budget; stopping`);
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
    process.stdout.write('setup: merchant, customer with 10 cards, 200 cards to retrieve… ');
    const fixtures = await setup(base, adminToken, nextPan, expYear);
    console.log('done\n');
    const all = scenarios(fixtures, nextPan, expYear);

    const rows: Row[] = [];
    const failures: string[] = [];
    let bareRps: number | null = null;
    for (const name of opts.scenarios) {
      const s = all[name];
      process.stdout.write(`${name.padEnd(9)} ${s.what} … `);
      const shared = { url: base, connections: opts.connections, timeout: 10 };
      await cannon({ ...shared, duration: WARMUP_SECONDS, ...s.requests() });
      const r = await cannon({ ...shared, duration: opts.duration, ...s.requests() });
      const rss = serverRssMb(serverPid);
      if (name === 'bare') bareRps = r.requests.mean;
      const statusCodes = Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([code, v]) => [code, v.count]));
      const row: Row = {
        scenario: name,
        what: s.what,
        reqPerSec: r.requests.mean,
        ratio: bareRps ? r.requests.mean / bareRps : null,
        p50Ms: r.latency.p50,
        p99Ms: r.latency.p99,
        meanLatencyMs: r.latency.average,
        requests: r.requests.total,
        non2xx: r.non2xx,
        errors: r.errors,
        timeouts: r.timeouts,
        statusCodes,
        rssMb: rss?.mb ?? null,
        rssProcesses: rss?.processes ?? 0,
      };
      rows.push(row);
      console.log(`${fmt.rps(row.reqPerSec)} req/s, p50 ${fmt.ms(row.p50Ms)} ms, p99 ${fmt.ms(row.p99Ms)} ms`);
      if (r.non2xx || r.errors || r.timeouts) {
        const msg = `${name}: ${r.non2xx} non-2xx (status codes ${JSON.stringify(statusCodes)}), ${r.errors} errors (${r.timeouts} timeouts)`;
        failures.push(msg);
        console.error(`\n!!! ${msg}\n`);
      }
      if (server.child.exitCode !== null || server.child.signalCode !== null) {
        failures.push(`server exited during ${name}`);
        console.error(`\n!!! server exited during ${name}\n${server.output.slice(-40).join('\n')}`);
        break;
      }
    }
    const twoc2pRow = rows.find((row) => row.scenario === '2c2p-add');
    if (twoc2pRow) {
      // JOSE routes are bounded by RSA, not HTTP: their ratio is to the same crypto done in-process.
      process.stdout.write('jose      in-process 2C2P round trip (verify + decrypt + encrypt + sign), 1 core … ');
      const jose = await joseRoundTripsPerSecond(Math.min(opts.duration, 5));
      twoc2pRow.ratio = twoc2pRow.reqPerSec / jose;
      twoc2pRow.what = `${twoc2pRow.what}; JOSE ceiling ${Math.round(jose)}/s`;
      console.log(`${fmt.rps(jose)} round trips/s; 2c2p-add at ${twoc2pRow.ratio.toFixed(2)} of it`);
    }
    if (panIndex > pool.length)
      console.log(`note: ${panIndex} tokenizations cycled through ${pool.length} distinct numbers (repeats map to existing instruments)`);
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
        connections: opts.connections,
        warmupSeconds: WARMUP_SECONDS,
        quick: opts.quick,
        autocannon: autocannonVersion,
      },
      rssNote: `VmRSS summed over the server process and its descendants (${rssProcs} process${rssProcs === 1 ? '' : 'es'}${opts.workers > 1 ? ': the cluster primary and its workers' : ''}), read after each scenario`,
      rows,
      failures,
    };

    console.log(
      `\n${opts.db}, ${opts.workers} worker${opts.workers === 1 ? '' : 's'}, ${opts.connections} connections, ${opts.duration} s — ${shortCpu(m)}, Node ${m.node}\n`,
    );
    console.log(consoleTable(rows));
    console.log(`\nRSS: ${run.rssNote}`);

    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    const stem = path.join(RESULTS_DIR, `${date}-${opts.db}-w${opts.workers}${opts.quick ? '-quick' : ''}`);
    fs.writeFileSync(`${stem}.json`, `${JSON.stringify(run, null, 2)}\n`);
    fs.writeFileSync(`${stem}.md`, runMarkdown(run));
    console.log(`wrote ${path.relative(ROOT, stem)}.json and .md`);
    if (failures.length) {
      console.error(
        `\nFAILED: ${failures.length} scenario(s) had non-2xx responses or errors; bench/README.md left unchanged:\n${failures.map((f) => `  - ${f}`).join('\n')}`,
      );
      return 1;
    }
    if (updateReadme(run)) console.log(`updated ${path.relative(ROOT, README)} (${opts.db}, ${opts.workers} worker rows)`);
    else
      console.log(
        `${path.relative(ROOT, README)} keeps the full-run rows for ${opts.db}, ${opts.workers} worker${opts.workers === 1 ? '' : 's'} (quick runs never replace them)`,
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
