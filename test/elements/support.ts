/**
 * Real-browser tests of card elements: a real tokenvault server (listening on a 127.0.0.1 port, SQLite or, with
 * DATABASE_URL, PostgreSQL in a fresh schema), merchant pages served from other 127.0.0.1 ports (other origins),
 * and headless Chromium from Debian's packages driven by playwright-core (never a downloaded browser). Chromium
 * is installed when missing (as root, non-interactively; a lock keeps two test files from installing at once).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { type Browser, chromium } from 'playwright-core';
import { loadConfig } from '../../src/config.ts';
import { type Started, startServer } from '../../src/server.ts';
import { ADMIN_TOKEN, backend, dropTestStorage, keepLogLine, rememberSecret, type TestApp } from '../helpers/harness.ts';

export const CHROMIUM = '/usr/bin/chromium';
/** Where the tests write what a person may want to look at (screenshots); gitignored. */
export const OUTPUT_DIR = path.resolve(import.meta.dirname, '../../test-output');

/** Installs Debian's chromium when it is missing (CI runs as root); returns its version line. */
export function ensureChromium(): string {
  if (!fs.existsSync(CHROMIUM)) {
    execFileSync(
      'flock',
      ['/tmp/tokenvault-chromium-install.lock', 'sh', '-c', `test -x ${CHROMIUM} || (apt-get update -q && apt-get install -y -q chromium)`],
      { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeout: 600_000 },
    );
  }
  return execFileSync(CHROMIUM, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
}

/** One headless Chromium per test file, without the background traffic this machine's closed network refuses. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

export interface Vault {
  started: Started;
  /** http://127.0.0.1:PORT */
  url: string;
  /** The app as the inject-based test helpers take it (gateway clients). */
  t: TestApp;
  close(): Promise<void>;
}

/** A real server with the demo on, on a free 127.0.0.1 port, on this run's backend. */
export async function startVault(env: Record<string, string> = {}): Promise<Vault> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tv-elements-'));
  const schema = backend === 'postgres' ? `t_${randomBytes(6).toString('hex')}` : null;
  const config = loadConfig({
    TOKENVAULT_DATA_DIR: dataDir,
    TOKENVAULT_MASTER_KEY: randomBytes(32).toString('base64'),
    TOKENVAULT_ADMIN_TOKEN: ADMIN_TOKEN,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    TOKENVAULT_RATE_LIMIT_PER_SECOND: '0',
    TOKENVAULT_AUTH_FAILURE_LIMIT: '1000000',
    TOKENVAULT_ELEMENTS_DEMO: 'true',
    ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
    ...(schema ? { TOKENVAULT_DATABASE_SCHEMA: schema } : {}),
    ...env,
  });
  rememberSecret(ADMIN_TOKEN);
  const logs: string[] = [];
  const logStream = new Writable({
    write(chunk, _enc, cb) {
      logs.push(chunk.toString());
      keepLogLine(chunk.toString());
      cb();
    },
  });
  const started = await startServer(config, { primary: true, quiet: true, logStream });
  const t: TestApp = { app: started.app, vault: started.vault, config, logs, close: async () => {} };
  return {
    started,
    url: started.url,
    t,
    async close() {
      await started.stop();
      await dropTestStorage(dataDir, schema);
    },
  };
}

export interface PageServer {
  origin: string;
  close(): Promise<void>;
}

/** A merchant's web server on its own 127.0.0.1 port: `pages` by path, as HTML. */
export async function servePages(pages: Record<string, string>): Promise<PageServer> {
  const server = http.createServer((req, res) => {
    const page = pages[(req.url ?? '/').split('?')[0] as string];
    if (page === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(page);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A merchant's checkout page: the script, a card element and a Pay button, recording for the test every event the
 * element gives and every message the page receives (window.__seen), and the last tokenize outcome (window.__outcome).
 */
export function checkoutPage(vaultUrl: string, publishableKey: string, opts: { customer?: string } = {}): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Shop checkout</title></head>
<body>
<h1>Shop</h1>
<button id="before" type="button">Before the card</button>
<div id="card"></div>
<button id="pay" type="button">Pay</button>
<p id="out"></p>
<script>
window.__seen = { changes: [], messages: [], ready: false };
window.addEventListener('message', (e) => window.__seen.messages.push(JSON.stringify(e.data)));
</script>
<script src="${vaultUrl}/elements/v1/tokenvault.js"></script>
<script>
const card = TokenVault(${JSON.stringify(publishableKey)}).card({ container: '#card' });
card.on('ready', () => { window.__seen.ready = true; });
card.on('change', (e) => window.__seen.changes.push(e));
document.getElementById('pay').addEventListener('click', () => {
  window.__outcome = null;
  card.tokenize(${JSON.stringify(opts.customer ? { customer: opts.customer } : {})}).then(
    (r) => { window.__outcome = { ok: true, result: r }; document.getElementById('out').textContent = 'Saved ' + r.brand + ' ' + r.last4; },
    (e) => { window.__outcome = { ok: false, error: e }; document.getElementById('out').textContent = e.message; },
  );
});
</script>
</body></html>`;
}
