/**
 * The replay service (vault/replay.ts) on each place claims live: the database (SQLite or PostgreSQL, as the
 * suite runs) and Redis. A claim is held by one caller across two vaults on the same storage, its value is
 * readable by the others, and it is free again once its window ends; kept first answers expire the same way
 * and the sweep deletes them.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTwinApps, REDIS_ENV, type Twins } from '../helpers/twins.ts';

let clock = new Date('2030-01-01T00:00:00Z').getTime();
const now = () => new Date(clock);

describe.each([
  ['the database', {}],
  ['Redis', REDIS_ENV],
])('replay claims in %s', (_where, env) => {
  let twins: Twins;
  afterEach(() => twins?.close());

  it('a claim is held once across two instances, with its value readable', async () => {
    twins = await makeTwinApps({ env, now });
    const id = randomUUID();
    const first = await twins.a.vault.replays.claim('test', id, 'GET /x', 60_000);
    const second = await twins.b.vault.replays.claim('test', id, 'DELETE /y', 60_000);
    expect(first).toEqual({ claimed: true });
    expect(second).toEqual({ claimed: false, value: 'GET /x' });
    // One request through each app, so the suite's log scan has lines to scan.
    for (const t of [twins.a, twins.b]) expect((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect(twins.a.vault.replays.claimsIn).toBe(Object.keys(env).length > 0 ? 'redis' : 'database');
  });

  it('kept first answers: one claim, the kept answer for the other instance, free after the window', async () => {
    clock = new Date('2030-01-01T00:00:00Z').getTime();
    twins = await makeTwinApps({ env, now });
    const { a, b } = twins;
    const merchant = (await a.vault.merchants.create({ name: 'm' })).id;
    const key = randomUUID();
    expect(await a.vault.replays.firstAnswers.claim(merchant, key, 10_000)).toEqual({ state: 'claimed' });
    expect(await b.vault.replays.firstAnswers.claim(merchant, key, 10_000)).toEqual({ state: 'in-progress' });
    const answer = { status: 201, headers: { 'content-type': 'application/json' }, body: Buffer.from('{"id":1}').toString('base64') };
    await a.vault.replays.firstAnswers.complete(merchant, key, answer);
    expect(await b.vault.replays.firstAnswers.claim(merchant, key, 10_000)).toEqual({ state: 'kept', answer });
    clock += 10_001;
    expect(await b.vault.replays.firstAnswers.claim(merchant, key, 10_000)).toEqual({ state: 'claimed' });
    clock += 10_001;
    expect(await a.vault.replays.purgeExpired()).toBeGreaterThanOrEqual(1);
    expect(await a.vault.idempotency.get(merchant, `replay:${key}`)).toBeUndefined();
  });

  it('a released first answer lets the retry run', async () => {
    twins = await makeTwinApps({ env, now });
    const merchant = (await twins.a.vault.merchants.create({ name: 'm' })).id;
    const key = randomUUID();
    await twins.a.vault.replays.firstAnswers.claim(merchant, key, 10_000);
    await twins.a.vault.replays.firstAnswers.release(merchant, key);
    expect(await twins.b.vault.replays.firstAnswers.claim(merchant, key, 10_000)).toEqual({ state: 'claimed' });
  });
});

describe('database claims expire', () => {
  let twins: Twins;
  afterEach(() => twins?.close());

  it('an expired claim is free again and swept', async () => {
    clock = new Date('2030-01-01T00:00:00Z').getTime();
    twins = await makeTwinApps({ now });
    const id = randomUUID();
    expect(await twins.a.vault.replays.claim('test', id, 'v1', 5_000)).toEqual({ claimed: true });
    clock += 5_000;
    expect(await twins.b.vault.replays.claim('test', id, 'v2', 5_000)).toEqual({ claimed: true });
    expect(await twins.a.vault.replays.claim('test', id, 'v3', 5_000)).toEqual({ claimed: false, value: 'v2' });
    clock += 5_000;
    expect(await twins.a.vault.replays.purgeExpired()).toBe(1);
  });
});

describe('Redis unreachable', () => {
  let twins: Twins;
  afterEach(() => twins?.close());

  it('claims fall back to the database, still single-use across instances', async () => {
    // Nothing listens on port 1: the connection is never ready.
    twins = await makeTwinApps({ env: { TOKENVAULT_REDIS_URL: 'redis://127.0.0.1:1' }, now });
    const id = randomUUID();
    const outcomes = [
      await twins.a.vault.replays.claim('test', id, 'first', 60_000),
      await twins.b.vault.replays.claim('test', id, 'second', 60_000),
      await twins.a.vault.replays.claim('test', id, 'third', 60_000),
    ];
    expect(outcomes).toEqual([{ claimed: true }, { claimed: false, value: 'first' }, { claimed: false, value: 'first' }]);
  });
});
