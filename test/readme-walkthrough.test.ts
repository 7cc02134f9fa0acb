/**
 * The README is true for a new user (issue 17, part 5): its walkthrough, payment, OPay and AppotaPay command
 * blocks are taken from README.md as written and run with bash, in order, against a server started the way
 * the Quick start starts it (zero configuration, SQLite, development key), with the admin token it wrote to data/admin-token.
 * A block that fails (curl -f is not used by the README, so each block's answers are checked too) fails here.
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { freePort } from './crash/proc.ts';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '..');
const BIN = path.join(ROOT, 'bin/tokenvault.mjs');
const START_TIMEOUT_MS = 120_000;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tv-readme-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** The first ```sh block after a heading, as written in the README. */
function block(readme: string, heading: string): string {
  const at = readme.indexOf(`\n${heading}\n`);
  if (at < 0) throw new Error(`README has no heading ${heading}`);
  const start = readme.indexOf('```sh\n', at);
  const end = readme.indexOf('\n```', start + 6);
  return readme.slice(start + 6, end);
}

/** The headings whose first sh block is run, in order. */
const HEADINGS = [
  '## Walkthrough',
  '## Payments',
  '## Card elements (hosted card fields)',
  '## OPay card tokens',
  '## AppotaPay credit-card tokens',
];

it(
  'runs the walkthrough, payment, card elements, OPay and AppotaPay blocks of the README as written',
  async () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const port = await freePort();
    const dataDir = path.join(work, 'data');
    const { DATABASE_URL: _ignored, TOKENVAULT_MASTER_KEY: _key, TOKENVAULT_DATABASE_SCHEMA: _schema, ...base } = process.env;
    const server = spawn(process.execPath, [BIN, 'serve'], {
      env: { ...base, PORT: String(port), TOKENVAULT_DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    server.stdout.on('data', (d) => {
      output += d;
    });
    server.stderr.on('data', (d) => {
      output += d;
    });
    try {
      const deadline = Date.now() + START_TIMEOUT_MS;
      let ready = false;
      while (Date.now() < deadline && server.exitCode === null && !ready) {
        ready = await fetch(`http://127.0.0.1:${port}/readyz`).then(
          (r) => r.ok,
          () => false,
        );
        if (!ready) await new Promise((r) => setTimeout(r, 100));
      }
      expect(ready, output).toBe(true);
      // The token is in the file the Quick start names, never in a log line.
      const token = fs.readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim();
      expect(token).toMatch(/^tv_admin_/);
      expect(output).not.toContain(token);

      const blocks = HEADINGS.map((h) => {
        // Each block's output ends with a marker line, so the answers can be told apart.
        return `${block(readme, h)}\necho; echo "--- end of ${h}"`;
      });
      // The one line a reader fills in: the server's address (the admin token is read from the file as written).
      const script = ['set -euo pipefail', ...blocks].join('\n').replace(/^export TV=.*$/m, `export TV=http://127.0.0.1:${port}`);
      expect(script).not.toContain('…   #');
      const { stdout } = await run('bash', ['-c', script], {
        cwd: work,
        // The AppotaPay example signs with `jose` from the checkout, as a reader in the checkout would.
        env: { ...base, NODE_PATH: path.join(ROOT, 'node_modules') },
        timeout: START_TIMEOUT_MS,
        maxBuffer: 16 * 1024 * 1024,
      });
      const part = (h: string) => {
        const all = stdout.split(/--- end of .*\n?/);
        const i = HEADINGS.indexOf(h);
        return all[i] ?? '';
      };
      // The walkthrough lists the customer's card, retrieves it, suspends it and deletes it.
      expect(part('## Walkthrough')).toContain('"object":"list"');
      expect(part('## Walkthrough')).toContain('"status":"SUSPENDED"');
      expect(part('## Walkthrough')).toContain('"status":"DELETED"');
      expect(part('## Payments')).toContain('"status":"CAPTURED"');
      expect(part('## OPay card tokens')).toContain('"code":"00000"');
      expect(part('## AppotaPay credit-card tokens')).toContain('"tokenId"');
      expect(part('## Card elements (hosted card fields)')).toMatch(/"type":"publishable","key":"tv_pk_/);
      // Started the Quick start's way (development), the server also serves the card elements demo.
      const demo = await fetch(`http://127.0.0.1:${port}/elements/demo`);
      expect(demo.status).toBe(200);
      expect(await demo.text()).toMatch(/data-publishable-key="tv_pk_/);
      // The walkthrough's secrets went where it says: owner-only, in a directory git ignores.
      expect(fs.statSync(path.join(work, '.secrets')).mode & 0o777).toBe(0o700);
      expect(fs.readFileSync(path.join(ROOT, '.gitignore'), 'utf8').split('\n')).toContain('.secrets/');
    } finally {
      const exited = new Promise((r) => server.once('exit', r));
      server.kill('SIGTERM');
      await exited;
    }
  },
  3 * START_TIMEOUT_MS,
);
