/** The vault's Idempotency-Key records: one claim per key and merchant, a kept answer, a release. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOW, openTestVault, type TestVault } from './open-test-vault.ts';

let t: TestVault;
beforeAll(async () => {
  t = await openTestVault();
});
afterAll(() => t.close());

describe('idempotency service', () => {
  it('lets one request claim a key, keeps its answer, and scopes keys by merchant', async () => {
    const { idempotency } = t.vault;
    const m = t.caller.merchantId;
    expect(await idempotency.claim(m, 'k1', 'h1', NOW)).toBe(true);
    expect(await idempotency.claim(m, 'k1', 'h1', NOW)).toBe(false);
    expect(await idempotency.get(m, 'k1')).toMatchObject({ state: 'pending', request_hash: 'h1' });
    expect(await idempotency.claim('mch_other', 'k1', 'h1', NOW)).toBe(true);
    await idempotency.complete(m, 'k1', 201, '{"ok":true}');
    expect(await idempotency.get(m, 'k1')).toMatchObject({ state: 'done', status_code: 201, response: '{"ok":true}' });
    // A completed answer is kept: release gives up pending claims only.
    await idempotency.release(m, 'k1');
    expect(await idempotency.get(m, 'k1')).toMatchObject({ state: 'done' });
  });

  it('releases a failed claim and abandoned ones, so a retry runs again', async () => {
    const { idempotency } = t.vault;
    const m = t.caller.merchantId;
    expect(await idempotency.claim(m, 'k2', 'h', NOW)).toBe(true);
    await idempotency.release(m, 'k2');
    expect(await idempotency.get(m, 'k2')).toBeUndefined();
    expect(await idempotency.claim(m, 'k3', 'h', NOW)).toBe(true);
    expect(await idempotency.releaseAbandoned(NOW)).toBe(0);
    expect(await idempotency.releaseAbandoned(new Date(NOW.getTime() + 1))).toBeGreaterThanOrEqual(1);
    expect(await idempotency.get(m, 'k3')).toBeUndefined();
  });
});
