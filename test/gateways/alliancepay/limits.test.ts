/**
 * AlliancePay bounds (issue 19): opening a session is taken from the merchant's rate, a merchant's live
 * sessions are capped (the oldest ended), and list-by-customer answers at most LIST_LIMIT tokens, the newest.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LIST_LIMIT } from '../../../src/api/gateways/alliancepay/schemas/tokens.ts';
import { createMerchant, makeTestApp, type TestApp } from '../../helpers/harness.ts';
import { appWithSteppedClock, cardsFor } from '../../helpers/newest-cards.ts';
import { expectError, ok } from './error-suite.ts';
import { allianceClient, type Json, PATHS } from './helpers.ts';

let t: TestApp | null = null;
afterEach(async () => {
  await t?.close();
  t = null;
});

const sessionsOf = async (app: TestApp, merchantId: string) =>
  app.vault.store.db.selectFrom('gateway_sessions').select(['id', 'expires_at']).where('merchant_id', '=', merchantId).execute();

const audited = async (app: TestApp, merchantId: string, action: string) =>
  app.vault.store.db.selectFrom('audit_events').selectAll().where('merchant_id', '=', merchantId).where('action', '=', action).execute();

describe('AlliancePay session opening and the rate limit', () => {
  it('takes each authorization from the merchant’s bucket: over it, 429 b_too_many_requests and no session', async () => {
    t = await makeTestApp({ env: { TOKENVAULT_RATE_LIMIT_PER_SECOND: '1', TOKENVAULT_RATE_LIMIT_BURST: '2' } });
    const m = await createMerchant(t);
    const c = allianceClient(t, m);
    expect((await c.authorize()).encrypted).toBe(true);
    expect((await c.authorize()).encrypted).toBe(true);
    const third = await c.authorize();
    expectError(third, 429, 'b_too_many_requests');
    expect(await sessionsOf(t, m.id)).toHaveLength(2);
    expect(await audited(t, m.id, 'session.create')).toHaveLength(2);
    // The same bucket as the session's calls, and another merchant's is its own.
    expectError(await c.call(PATHS.list, { customerId: 'x' }), 429, 'b_too_many_requests');
    expect((await allianceClient(t, await createMerchant(t, 'Other')).authorize()).encrypted).toBe(true);
    // The caller authenticated: nothing was counted as a failed authentication.
    expect(await t.vault.store.db.selectFrom('audit_events').select('seq').where('action', '=', 'auth.failed').execute()).toHaveLength(0);
  });
});

describe('AlliancePay live sessions per merchant', () => {
  it('past TOKENVAULT_ALLIANCEPAY_MAX_SESSIONS ends the oldest (401 b_expired_token), audited; the rest and other merchants keep working', async () => {
    t = await makeTestApp({ env: { TOKENVAULT_ALLIANCEPAY_MAX_SESSIONS: '2' } });
    const m = await createMerchant(t);
    const c = allianceClient(t, m);
    const other = allianceClient(t, await createMerchant(t, 'Other'));
    expect((await other.authorize()).encrypted).toBe(true);
    await c.authorize();
    const first = c.session;
    await c.authorize();
    const second = c.session;
    expect(ok(await c.call(PATHS.list, { customerId: 'x' }, { session: first })).result).toEqual([]);
    await c.authorize();
    const third = c.session;

    expectError(await c.call(PATHS.list, { customerId: 'x' }, { session: first }), 401, 'b_expired_token');
    for (const s of [second, third]) expect(ok(await c.call(PATHS.list, { customerId: 'x' }, { session: s })).result).toEqual([]);
    expect(ok(await other.call(PATHS.list, { customerId: 'x' })).result).toEqual([]);

    const now = new Date().toISOString();
    expect(
      (await sessionsOf(t, m.id))
        .filter((s) => s.expires_at > now)
        .map((s) => s.id)
        .sort(),
    ).toEqual([second.deviceId, third.deviceId].sort());
    const ended = await audited(t, m.id, 'session.end');
    expect(ended).toHaveLength(1);
    expect(ended[0]?.target).toBe(first.deviceId);
    expect(JSON.parse(ended[0]?.detail as string)).toMatchObject({ reason: 'session_cap' });
    expect((await t.vault.audit.verify()).ok).toBe(true);

    // The ended session's row and key go with the next sweep; the live ones stay.
    expect(await t.vault.sessions.purgeExpired()).toBe(1);
    expect((await sessionsOf(t, m.id)).map((s) => s.id).sort()).toEqual([second.deviceId, third.deviceId].sort());
    expectError(await c.call(PATHS.list, { customerId: 'x' }, { session: first }), 401, 'b_unknown_device');
  });
});

describe('AlliancePay list by customer is bounded', () => {
  it(`answers the ${LIST_LIMIT} newest tokens that are not deleted, newest first`, async () => {
    const app = await appWithSteppedClock();
    t = app.t;
    const m = await createMerchant(t);
    const customerId = 'many-cards';
    const card = await cardsFor(app, m.id, customerId);
    const made: string[] = [];
    for (let i = 0; i < LIST_LIMIT + 3; i++) made.push(await card());
    const newestFirst = [...made].reverse();
    const c = allianceClient(t, m);
    await c.authorize();
    const list = async () => ok(await c.call(PATHS.list, { customerId })).result.map((x: Json) => x.token);
    expect(await list()).toEqual(newestFirst.slice(0, LIST_LIMIT));

    // A deleted token leaves the list, and the next older one comes in.
    const gone = ok(await c.call(PATHS.state, { token: newestFirst[0], state: 'DELETED' }));
    expect(gone.tokenUpdated).toBe(true);
    expect(await list()).toEqual(newestFirst.slice(1, LIST_LIMIT + 1));
  });
});
