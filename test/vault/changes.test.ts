/**
 * Change notifications between processes (src/vault/changes.ts): a revocation or a merchant deletion made by one
 * process reaches another that cached the key at once, although both cache for 300 s. On PostgreSQL through
 * LISTEN/NOTIFY (the real transport, and its recovery when the listening connection is killed); on SQLite
 * through a relay standing in for the `--workers` primary (the real relay is exercised in test/cli.test.ts).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openVault, type Vault } from '../../src/app.ts';
import { type Config, loadConfig } from '../../src/config.ts';
import { pgChannelName } from '../../src/store/pg-notify.ts';
import { type ChangeTransport, createChangeFeed, parseChange } from '../../src/vault/changes.ts';
import { backend, dropTestStorage } from '../helpers/harness.ts';

/** In-memory stand-in for the cluster primary: what one process sends, every other one receives. */
function hub() {
  const members = new Set<(m: string) => void>();
  return (): ChangeTransport => {
    let mine: ((m: string) => void) | null = null;
    return {
      async send(message) {
        for (const m of members) if (m !== mine) m(message);
      },
      async start(receive, health) {
        mine = receive;
        members.add(receive);
        health(true);
      },
      async stop() {
        if (mine) members.delete(mine);
      },
    };
  };
}

/**
 * How long a change may take to be heard in these tests: far below the 300 s the caches would hold it, with room
 * for a loaded CI machine; the ≤ 1 s figure is measured by `npm run test:cluster` on real servers.
 */
const NOTICE_MS = 5000;

/** Polls `probe` until it holds; the milliseconds it took, or null if it did not within `limitMs`. */
async function within(limitMs: number, probe: () => Promise<boolean>): Promise<number | null> {
  const started = performance.now();
  while (performance.now() - started < limitMs) {
    if (await probe()) return performance.now() - started;
    await new Promise((r) => setTimeout(r, 5));
  }
  return null;
}

describe(`change notifications between processes (${backend})`, () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tv-changes-'));
  const schema = backend === 'postgres' ? `t_${randomBytes(6).toString('hex')}` : null;
  let config: Config;
  let a: Vault;
  let b: Vault;
  /** Caches like the others but hears nothing: shows what the cache would answer without notifications. */
  let deaf: Vault;

  beforeAll(async () => {
    config = loadConfig({
      TOKENVAULT_DATA_DIR: dataDir,
      TOKENVAULT_MASTER_KEY: randomBytes(32).toString('base64'),
      TOKENVAULT_AUTH_CACHE_SECONDS: '300',
      TOKENVAULT_KEY_CACHE_SECONDS: '300',
      ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
      ...(schema ? { TOKENVAULT_DATABASE_SCHEMA: schema } : {}),
    });
    const relay = hub();
    const transport = () => (backend === 'sqlite' ? { changeTransport: relay() } : {});
    a = await openVault(config, transport());
    b = await openVault(config, { migrate: false, ...transport() });
    // A transport that never delivers anything.
    deaf = await openVault(config, {
      migrate: false,
      changeTransport: { send: async () => {}, start: async () => {}, stop: async () => {} },
    });
    await a.changes.listen();
    await b.changes.listen();
  });

  afterAll(async () => {
    for (const v of [a, b, deaf]) await v?.close();
    await dropTestStorage(dataDir, schema);
  });

  it('a revoked API key is refused by the other process at once (not after its 300 s cache)', async () => {
    const m = await a.merchants.create({ name: 'revoked elsewhere' });
    const principal = await b.merchants.authenticate(m.apiKey);
    expect(principal?.merchantId).toBe(m.id);
    expect((await deaf.merchants.authenticate(m.apiKey))?.merchantId).toBe(m.id);
    const revoked = await a.merchants.revokeApiKey(m.id, principal?.keyId as string);
    expect(revoked.ok).toBe(true);
    const ms = await within(NOTICE_MS, async () => (await b.merchants.authenticate(m.apiKey)) === null);
    expect(ms).not.toBeNull();
    // Without the notification the other process would still accept it (its cache holds for 300 s).
    expect((await deaf.merchants.authenticate(m.apiKey))?.merchantId).toBe(m.id);
  });

  it("a deleted merchant's keys and API key stop working in the other process at once (not after its 300 s cache)", async () => {
    const m = await a.merchants.create({ name: 'deleted elsewhere' });
    expect((await b.merchants.authenticate(m.apiKey))?.merchantId).toBe(m.id);
    expect((await deaf.merchants.authenticate(m.apiKey))?.merchantId).toBe(m.id);
    // Data keys unwrapped and cached by both.
    const sealed = await b.keyring.encrypt(m.id, 'aad', 'secret');
    expect((await deaf.keyring.decrypt(m.id, 'aad', sealed)).toString()).toBe('secret');
    expect((await a.merchants.delete(m.id)).ok).toBe(true);
    const ms = await within(NOTICE_MS, async () => {
      if ((await b.merchants.authenticate(m.apiKey)) !== null) return false;
      return b.keyring.decrypt(m.id, 'aad', sealed).then(
        () => false,
        () => true,
      );
    });
    expect(ms).not.toBeNull();
    // The deaf process still holds both: crypto-shredding reached the others only through the notification.
    expect((await deaf.merchants.authenticate(m.apiKey))?.merchantId).toBe(m.id);
    expect((await deaf.keyring.decrypt(m.id, 'aad', sealed)).toString()).toBe('secret');
  });

  // PostgreSQL's transport only (SQLite has no connection to lose): registered on the PostgreSQL run.
  if (backend === 'postgres')
    it('the listening connection comes back after it is killed, and notifications flow again', async () => {
      const m = await a.merchants.create({ name: 'reconnect' });
      const principal = await b.merchants.authenticate(m.apiKey);
      expect(principal).not.toBeNull();
      const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
      await admin.connect();
      try {
        const channel = pgChannelName(schema);
        const killed = await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1', [channel]);
        // a's and b's listeners (the deaf vault has none).
        expect(killed.rowCount).toBe(2);
        // Both reconnect and listen again.
        const back = await within(5000, async () => {
          const r = await admin.query(
            "select count(*)::int as n from pg_stat_activity where application_name = $1 and query ilike 'LISTEN%'",
            [channel],
          );
          return r.rows[0].n === 2;
        });
        expect(back).not.toBeNull();
      } finally {
        await admin.end();
      }
      // Notifications flow again.
      expect((await a.merchants.revokeApiKey(m.id, principal?.keyId as string)).ok).toBe(true);
      expect(await within(NOTICE_MS, async () => (await b.merchants.authenticate(m.apiKey)) === null)).not.toBeNull();
    });
});

describe('the change feed', () => {
  it('reads only well-formed changes off the wire', () => {
    expect(parseChange('{"kind":"merchant","merchantId":"mer_1"}')).toEqual({ kind: 'merchant', merchantId: 'mer_1' });
    expect(parseChange('{"kind":"all","merchantId":"x"}')).toEqual({ kind: 'all', merchantId: null });
    for (const junk of ['', 'null', '[]', '{"kind":"drop tables"}', '{"kind":"keys","merchantId":7}', '{"kind":"keys"}'])
      expect(parseChange(junk)).toBeNull();
  });

  it('drops every cache at once and then every fallbackMs while the transport is unhealthy, and once more when it is back', async () => {
    vi.useFakeTimers();
    try {
      let health: (healthy: boolean) => void = () => {};
      const feed = createChangeFeed({
        fallbackMs: 1000,
        transport: {
          send: async () => {},
          start: async (_receive, h) => {
            health = h;
          },
          stop: async () => {},
        },
      });
      const seen: string[] = [];
      feed.on((c) => seen.push(c.kind));
      await feed.listen();
      health(false);
      expect(seen).toEqual(['all']);
      vi.advanceTimersByTime(3000);
      expect(seen).toEqual(['all', 'all', 'all', 'all']);
      health(true);
      expect(seen).toHaveLength(5);
      vi.advanceTimersByTime(5000);
      expect(seen).toHaveLength(5);
      await feed.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it('applies a change in its own process even when the transport cannot send it', async () => {
    const errors: string[] = [];
    const feed = createChangeFeed({
      transport: {
        send: async () => {
          throw new Error('connection lost');
        },
        start: async () => {},
        stop: async () => {},
      },
      onError: (m) => errors.push(m),
    });
    const seen: unknown[] = [];
    feed.on((c) => seen.push(c));
    await feed.publish({ kind: 'api-keys', merchantId: 'mer_1' });
    expect(seen).toEqual([{ kind: 'api-keys', merchantId: 'mer_1' }]);
    expect(errors).toEqual(['change notification not sent: connection lost']);
  });
});
