/**
 * Two app instances on one database, as two `serve` processes behind a balancer would be: the second opens the
 * same SQLite file (as a `--workers` worker does) or the same PostgreSQL schema, with the same master key and
 * environment (Redis too, when given). Requests sent to either change the one vault.
 */
import { Writable } from 'node:stream';
import { buildApp } from '../../src/app.ts';
import { openVault } from '../../src/open-vault.ts';
import { logLines, makeTestApp, type TestApp } from './harness.ts';

export interface Twins {
  a: TestApp;
  b: TestApp;
  close(): Promise<void>;
}

export async function makeTwinApps(opts: { env?: Record<string, string>; now?: () => Date } = {}): Promise<Twins> {
  const a = await makeTestApp(opts);
  const vault = await openVault(a.config, { migrate: false, ...(opts.now ? { now: opts.now } : {}) });
  const admin = await vault.merchants.ensureAdminToken(a.config.adminToken);
  const logs: string[] = [];
  const logStream = new Writable({
    write(chunk, _enc, cb) {
      logs.push(chunk.toString());
      logLines.push(chunk.toString());
      cb();
    },
  });
  const app = await buildApp(a.config, vault, admin.check, { logStream });
  const b: TestApp = {
    app,
    vault,
    config: a.config,
    logs,
    async close() {
      await app.close();
      await vault.close().catch(() => {});
    },
  };
  return {
    a,
    b,
    async close() {
      await b.close();
      await a.close();
    },
  };
}

/** Redis for the tests that configure it (the machine's own). */
export const REDIS_ENV = { TOKENVAULT_REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379' };
