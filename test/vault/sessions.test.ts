/** Gateway sessions called directly: the per-merchant cap on live sessions, and the sweep of expired ones. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOW, openTestVault, type TestVault } from './open-test-vault.ts';

let t: TestVault;
let clock = NOW.getTime();
beforeAll(async () => {
  t = await openTestVault({ now: () => new Date(clock) });
});
afterAll(() => t.close());

const HOUR = 3_600_000;
const open = (s: { deviceId: string; refreshToken: string }) => t.vault.sessions.open(s.deviceId, s.refreshToken);
const rows = () => t.vault.store.db.selectFrom('gateway_sessions').select('id').where('merchant_id', '=', t.caller.merchantId).execute();

describe('live sessions per merchant', () => {
  it('ends the oldest beyond maxLive in the opening transaction, audited, and never the one just opened', async () => {
    const caller = { ...t.caller, credentialId: 'cred_a' };
    const made = [];
    for (let i = 0; i < 3; i++) {
      clock += 1000;
      made.push(await t.vault.sessions.create(caller, HOUR, 2));
    }
    const [a, b, c] = made as [(typeof made)[0], (typeof made)[0], (typeof made)[0]];
    expect(await open(a)).toMatchObject({ ok: false, error: 'expired' });
    expect((await open(b)).ok).toBe(true);
    expect((await open(c)).ok).toBe(true);
    const ended = await t.vault.store.db
      .selectFrom('audit_events')
      .select(['target', 'detail'])
      .where('merchant_id', '=', t.caller.merchantId)
      .where('action', '=', 'session.end')
      .execute();
    expect(ended).toEqual([{ target: a.deviceId, detail: JSON.stringify({ reason: 'session_cap' }) }]);

    // A cap of one keeps only the new session, even opened in the same millisecond as the others.
    const d = await t.vault.sessions.create(caller, HOUR, 1);
    expect((await open(d)).ok).toBe(true);
    for (const s of [b, c]) expect(await open(s)).toMatchObject({ ok: false, error: 'expired' });
    // Without a cap (a caller that sets none), nothing is ended.
    const e = await t.vault.sessions.create(caller, HOUR);
    expect((await open(d)).ok).toBe(true);
    expect((await open(e)).ok).toBe(true);
    expect((await t.vault.audit.verify()).ok).toBe(true);
  });
});

describe('the session sweep', () => {
  it('deletes ended and expired sessions with their keys, and keeps live ones', async () => {
    const caller = { ...t.caller, credentialId: 'cred_b' };
    await t.vault.sessions.purgeExpired();
    const before = (await rows()).length;
    const short = await t.vault.sessions.create(caller, 60_000);
    const long = await t.vault.sessions.create(caller, HOUR);
    expect(await t.vault.sessions.purgeExpired()).toBe(0);
    clock += 61_000;
    expect(await t.vault.sessions.purgeExpired()).toBe(1);
    const left = (await rows()).map((r) => r.id);
    expect(left).not.toContain(short.deviceId);
    expect(left).toContain(long.deviceId);
    expect(left).toHaveLength(before + 1);
    expect(await open(short)).toMatchObject({ ok: false, error: 'unknown' });
    expect((await open(long)).ok).toBe(true);
  });
});
