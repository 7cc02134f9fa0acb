/**
 * Limits shared through Redis (issue 19): with TOKENVAULT_REDIS_URL set, two instances on one database count
 * failed authentications and each merchant's requests together (N instances are not N × the limits); without
 * Redis each counts alone, as documented; with Redis unreachable no request fails or waits on it, and every
 * instance still enforces its limits on its own. A correct credential is never refused for others' failures.
 *
 * The instances are two apps built on one vault (one database): each has its own guard, so Redis is the only
 * way their counts can meet. Real Redis at 127.0.0.1:6379; redis://127.0.0.1:1 is a closed port.
 */
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { deploymentId } from '../../src/vault/deployment.ts';
import { opayClient } from '../gateways/opay/helpers.ts';
import { client, createMerchant, makeTestApp, type TestApp } from '../helpers/harness.ts';

const REDIS = 'redis://127.0.0.1:6379';
const CLOSED = 'redis://127.0.0.1:1';

let opened: { t: TestApp; other: FastifyInstance }[] = [];
afterEach(async () => {
  for (const { t, other } of opened) {
    await other.close();
    await t.close();
  }
  opened = [];
});

/** Two instances on one database: `a` (the harness's app) and `b` (a second app with its own guard). */
async function twoInstances(env: Record<string, string>): Promise<{ t: TestApp; a: TestApp; b: TestApp }> {
  const t = await makeTestApp({ env });
  const admin = await t.vault.merchants.ensureAdminToken(t.config.adminToken);
  const other = await buildApp(t.config, t.vault, admin.check, { logger: false });
  opened.push({ t, other });
  // Counts made before the connection is up would be this process's (as while Redis is away): wait for it.
  if (env.TOKENVAULT_REDIS_URL === REDIS) await t.vault.redis?.ping();
  return { t, a: t, b: { ...t, app: other } };
}

const WRONG_KEY = 'tv_sk_not-a-real-key-0000000000000000';
const LOCKOUT = { TOKENVAULT_AUTH_FAILURE_LIMIT: '4', TOKENVAULT_AUTH_FAILURE_WINDOW_SECONDS: '60' };

/** Two wrong-key failures on each instance: four in all, the limit. */
async function failTwiceOnEach(a: TestApp, b: TestApp): Promise<void> {
  for (const inst of [a, b, a, b]) expect((await client(inst, WRONG_KEY).get('/v1/cards')).statusCode).toBe(401);
}

describe('lockout counters', () => {
  it('with Redis: failures spread over two instances reach the lockout on both; the right key is served on both', async () => {
    const { a, b } = await twoInstances({ ...LOCKOUT, TOKENVAULT_REDIS_URL: REDIS });
    const m = await createMerchant(a);
    await failTwiceOnEach(a, b);
    for (const inst of [a, b]) {
      const refused = await client(inst, WRONG_KEY).get('/v1/cards');
      expect(refused.statusCode).toBe(429);
      expect(refused.json().code).toBe('rate_limited');
      expect((await client(inst, m.apiKey).get('/v1/cards')).statusCode).toBe(200);
    }
  });

  it('without Redis: each instance counts alone (two failures each is under the limit of four on both)', async () => {
    const { a, b } = await twoInstances(LOCKOUT);
    await failTwiceOnEach(a, b);
    for (const inst of [a, b]) expect((await client(inst, WRONG_KEY).get('/v1/cards')).statusCode).toBe(401);
  });

  it('another deployment on the same Redis (another database) counts apart', async () => {
    const { a, b } = await twoInstances({ ...LOCKOUT, TOKENVAULT_REDIS_URL: REDIS });
    const { a: elsewhere } = await twoInstances({ ...LOCKOUT, TOKENVAULT_REDIS_URL: REDIS });
    expect(await deploymentId(elsewhere.vault.store.db)).not.toBe(await deploymentId(a.vault.store.db));
    await failTwiceOnEach(a, b);
    expect((await client(a, WRONG_KEY).get('/v1/cards')).statusCode).toBe(429);
    expect((await client(elsewhere, WRONG_KEY).get('/v1/cards')).statusCode).toBe(401);
  });

  it('keeps every key it writes in Redis under the deployment’s namespace, none without a time to live', async () => {
    const { t, a, b } = await twoInstances({ ...LOCKOUT, TOKENVAULT_REDIS_URL: REDIS, TOKENVAULT_RATE_LIMIT_PER_SECOND: '1' });
    const m = await createMerchant(a);
    await failTwiceOnEach(a, b);
    // Past the rate: the merchant's second window (its burst) is written too.
    for (let i = 0; i < 2; i++) await client(b, m.apiKey).get('/v1/cards');
    const redis = t.vault.redis;
    if (!redis) throw new Error('no Redis client');
    // KEYS takes the pattern as given (ioredis prefixes keys, not patterns).
    const keys = await redis.keys(`tokenvault:${await deploymentId(t.vault.store.db)}:*`);
    // The address, the (address, key) pair and the key: three failure counters, the claim only as a hash.
    expect(keys.filter((k) => k.includes(':auth:'))).toHaveLength(3);
    expect(keys.some((k) => k.includes(`:burst:${m.id}`))).toBe(true);
    expect(keys.join('\n')).not.toContain('not-a-real-key');
    // -1 would be a key that never expires (-2: expired since, as a one-second window may have).
    for (const k of keys) expect(await redis.pttl(k.slice('tokenvault:'.length))).not.toBe(-1);
  });
});

/** Fires `n` requests at once, alternating between the instances and between the native API and OPay. */
async function burst(a: TestApp, b: TestApp, merchant: Awaited<ReturnType<typeof createMerchant>>, n: number) {
  const started = Date.now();
  const statuses = await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const inst = i % 2 === 0 ? a : b;
      if (i % 4 < 2) return (await client(inst, merchant.apiKey).get('/v1/cards')).statusCode;
      return (await opayClient(inst, merchant).call('query', { opayToken: 'x' })).status;
    }),
  );
  const elapsedSeconds = (Date.now() - started) / 1000;
  expect(statuses.filter((s) => s >= 500)).toEqual([]);
  return { admitted: statuses.filter((s) => s !== 429).length, elapsedSeconds };
}

describe('the merchant rate', () => {
  const RATE = { TOKENVAULT_RATE_LIMIT_PER_SECOND: '1', TOKENVAULT_RATE_LIMIT_BURST: '10' };

  it('with Redis: 40 requests at once over two instances admit the one burst, not two', async () => {
    const { a, b } = await twoInstances({ ...RATE, TOKENVAULT_REDIS_URL: REDIS });
    const m = await createMerchant(a);
    const { admitted, elapsedSeconds } = await burst(a, b, m, 40);
    // The burst (10), plus one per second window that began while they ran (the first is in the 10).
    expect(admitted).toBeGreaterThanOrEqual(10);
    expect(admitted).toBeLessThanOrEqual(10 + Math.floor(elapsedSeconds));
  });

  it('without Redis: each instance admits its own burst', async () => {
    const { a, b } = await twoInstances(RATE);
    const m = await createMerchant(a);
    const { admitted, elapsedSeconds } = await burst(a, b, m, 40);
    expect(admitted).toBeGreaterThanOrEqual(20);
    expect(admitted).toBeLessThanOrEqual(20 + 2 * Math.floor(elapsedSeconds));
  });
});

describe('Redis unreachable', () => {
  it('answers without 500, enforcing both limits per instance, and reports it once per instance', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => {
      if (w.name === 'TokenvaultRedis' && w.message.includes('counted in this process')) warnings.push(w.message);
    };
    process.on('warning', onWarning);
    try {
      const { a, b } = await twoInstances({
        ...LOCKOUT,
        TOKENVAULT_RATE_LIMIT_PER_SECOND: '1',
        TOKENVAULT_RATE_LIMIT_BURST: '3',
        TOKENVAULT_REDIS_URL: CLOSED,
      });
      const m = await createMerchant(a);
      // The rate: three each (this process's burst on each instance), then 429.
      for (const inst of [a, b]) {
        for (let i = 0; i < 3; i++) expect((await client(inst, m.apiKey).get('/v1/cards')).statusCode).toBe(200);
        expect((await client(inst, m.apiKey).get('/v1/cards')).statusCode).toBe(429);
      }
      // The lockout: four failures on `a` lock the key there; `b` has seen none.
      for (let i = 0; i < 4; i++) expect((await client(a, WRONG_KEY).get('/v1/cards')).statusCode).toBe(401);
      expect((await client(a, WRONG_KEY).get('/v1/cards')).statusCode).toBe(429);
      expect((await client(b, WRONG_KEY).get('/v1/cards')).statusCode).toBe(401);
      await new Promise((r) => setImmediate(r));
      expect(warnings).toHaveLength(2);
      expect(warnings.join('\n')).not.toContain('127.0.0.1');
    } finally {
      process.off('warning', onWarning);
    }
  });
});
