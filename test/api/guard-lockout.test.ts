/**
 * The guard's brute-force rules on a clock of the test's own (issue 19): failures are counted per address, per
 * (address, claimed credential) and per claimed credential, and a request is refused before it is verified only
 * for a credential its own address has failed on, or when it names none and its address is flooding.
 */
import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { type AuthFailure, Guard } from '../../src/api/guard.ts';
import { memoryFailureStore } from '../../src/api/limits.ts';

const LIMITS = {
  rateLimitPerSecond: 0,
  rateLimitBurst: 1,
  authFailureLimit: 3,
  authFailureWindowSeconds: 60,
  authFailureAddressLimit: 12,
  authFailureCredentialLimit: 6,
};

function setup(limits = LIMITS) {
  let now = 1_000_000;
  const audited: { action: string; actor: string; merchantId: string | null; detail: unknown }[] = [];
  const audit = { recordDenied: async (e: (typeof audited)[number]) => void audited.push(e) };
  const guard = new Guard(limits, audit as never, () => now, undefined, memoryFailureStore());
  const from = (ip: string) => ({ ip, log: { warn: () => {} } }) as unknown as FastifyRequest;
  const fail = (ip: string, claimed: string | null, f: Partial<AuthFailure> = {}) =>
    guard.authFailed(from(ip), { api: 'opay', scheme: 'hmac-sha512', reason: 'bad_signature', claimed, ...f });
  const blocked = (ip: string, claimed: string | null, api = 'opay') => guard.blockedFor(ip, api, claimed);
  const advance = (ms: number) => {
    now += ms;
  };
  return { guard, audited, fail, blocked, advance };
}

describe('per (address, claimed credential)', () => {
  it('refuses only the failing pair once it reaches the limit, until its window ends', async () => {
    const g = setup();
    for (let i = 0; i < 2; i++) await g.fail('10.0.0.1', 'merchant-x');
    expect(await g.blocked('10.0.0.1', 'merchant-x')).toBe(0);
    await g.fail('10.0.0.1', 'merchant-x');
    expect(await g.blocked('10.0.0.1', 'merchant-x')).toBe(60);
    // The same address naming another credential, and another address naming this one, are not refused.
    expect(await g.blocked('10.0.0.1', 'merchant-y')).toBe(0);
    expect(await g.blocked('10.0.0.2', 'merchant-x')).toBe(0);
    // The same id under another API is another credential.
    expect(await g.blocked('10.0.0.1', 'merchant-x', 'appotapay')).toBe(0);
    g.advance(59_000);
    expect(await g.blocked('10.0.0.1', 'merchant-x')).toBe(1);
    g.advance(1_000);
    expect(await g.blocked('10.0.0.1', 'merchant-x')).toBe(0);
  });

  it('audits each failure up to the limit and the lockout once; never the credential itself', async () => {
    const g = setup();
    for (let i = 0; i < 5; i++) await g.fail('10.0.0.1', 'tv_sk_secret-key-presented', { merchantId: 'mch_1' });
    expect(g.audited.filter((e) => e.action === 'auth.failed')).toHaveLength(3);
    const locked = g.audited.filter((e) => e.action === 'auth.locked');
    expect(locked).toHaveLength(1);
    expect(locked[0]?.detail).toMatchObject({ api: 'opay', lockedSeconds: 60, limits: 'credential_from_address' });
    expect(JSON.stringify(g.audited)).not.toContain('secret-key-presented');
    expect(g.audited[0]).toMatchObject({ actor: 'client:10.0.0.1', merchantId: 'mch_1' });
  });
});

describe('per claimed credential, from every address', () => {
  it('past its ceiling refuses every address that failed on it, and none that did not (the merchant’s own servers)', async () => {
    const g = setup();
    for (let i = 1; i <= 6; i++) await g.fail(`10.0.1.${i}`, 'merchant-x');
    for (let i = 1; i <= 6; i++) expect(await g.blocked(`10.0.1.${i}`, 'merchant-x')).toBe(60);
    expect(await g.blocked('10.0.9.9', 'merchant-x')).toBe(0);
    expect(await g.blocked('10.0.1.1', 'merchant-y')).toBe(0);
    expect(g.audited.filter((e) => e.action === 'auth.locked').map((e) => (e.detail as { limits: string }).limits)).toEqual(['credential']);
  });
});

describe('per address', () => {
  it('refuses requests naming no credential once the address is over its flood ceiling, not before', async () => {
    const g = setup();
    for (let i = 0; i < 11; i++) await g.fail('10.0.0.1', null);
    expect(await g.blocked('10.0.0.1', null)).toBe(0);
    await g.fail('10.0.0.1', null);
    expect(await g.blocked('10.0.0.1', null)).toBe(60);
    expect(await g.blocked('10.0.0.2', null)).toBe(0);
    // A credential the address never failed on is still verified: a correct one is not locked out by the flood.
    expect(await g.blocked('10.0.0.1', 'merchant-x')).toBe(0);
    // Audited up to the per-credential limit, then only the flood's crossing.
    expect(g.audited.filter((e) => e.action === 'auth.failed')).toHaveLength(3);
    expect(g.audited.filter((e) => e.action === 'auth.locked').map((e) => (e.detail as { limits: string }).limits)).toEqual([
      'address_flood',
    ]);
  });

  it('while flooding, a credential the address has failed on at all is refused', async () => {
    const g = setup();
    await g.fail('10.0.0.1', 'merchant-x');
    for (let i = 0; i < 11; i++) await g.fail('10.0.0.1', `guess-${i}`);
    expect(await g.blocked('10.0.0.1', 'merchant-x')).toBe(60);
    expect(await g.blocked('10.0.0.1', 'merchant-z')).toBe(0);
  });

  it('counts failures naming credentials toward the flood ceiling too', async () => {
    const g = setup();
    for (let i = 0; i < 12; i++) await g.fail('10.0.0.1', `guess-${i}`);
    expect(await g.blocked('10.0.0.1', null)).toBe(60);
  });
});

describe('the in-memory store', () => {
  it('stays within its size under a flood of distinct claims, forgetting the oldest windows first', async () => {
    const store = memoryFailureStore(100);
    for (let i = 0; i < 1000; i++) await store.add([`k${i}`], 0, 60_000);
    const [oldest, newest] = await store.get(['k0', 'k999'], 1);
    expect(oldest).toBeNull();
    expect(newest).toEqual({ count: 1, until: 60_000 });
    const live = await store.get(
      Array.from({ length: 1000 }, (_, i) => `k${i}`),
      1,
    );
    expect(live.filter((w) => w !== null).length).toBeLessThanOrEqual(100);
  });
});
