/**
 * AlliancePay replays across instances (SECURITY.md "Replays"), on two apps sharing one database, and with Redis
 * configured: a captured session-call body replayed with a fresh x-request_id (on either instance) gets the
 * first answer and changes nothing — a token the merchant re-activated stays active, a create makes one card;
 * the x-request_id itself is single-use across instances.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { merchantCounts } from '../../helpers/counts.ts';
import { createMerchant, type TestMerchant } from '../../helpers/harness.ts';
import { makeTwinApps, REDIS_ENV, type Twins } from '../../helpers/twins.ts';
import { type AllianceClient, allianceClient, bodies, encryptTo, type Json, PATHS } from './helpers.ts';

const expiry = () => `${String(new Date().getUTCFullYear() + 3).slice(2)}12`;

describe.each([
  ['the database', {}],
  ['Redis', REDIS_ENV],
])('AlliancePay replays across two instances, claims in %s', (_where, env) => {
  let twins: Twins;
  let m: TestMerchant;
  let a: AllianceClient;
  let b: AllianceClient;

  const ok = (r: { status: number; json: Json }) => {
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    return r.json;
  };

  beforeAll(async () => {
    twins = await makeTwinApps({ env });
    m = await createMerchant(twins.a, 'AlliancePay replays');
    a = allianceClient(twins.a, m);
    b = allianceClient(twins.b, m);
    ok(await a.authorize());
    // The session lives in the database: the other instance serves it too.
    b.session = a.session;
  });
  afterAll(() => twins?.close());

  it('a captured suspend replayed with a fresh request id on the other instance answers the first answer; the token stays active', async () => {
    const made = ok(await a.call(PATHS.create, await bodies(a, expiry()).createToken()));
    const suspend = await encryptTo(a.session.serverPublic, JSON.stringify({ token: made.token, state: 'SUSPENDED' }));
    const first = await a.call(PATHS.state, undefined, { raw: suspend });
    expect(ok(first).tokenUpdated).toBe(true);
    expect(ok(await a.call(PATHS.state, { token: made.token, state: 'ACTIVE' })).tokenUpdated).toBe(true);
    const before = await merchantCounts(twins.a, m.id);
    for (const client of [b, a]) {
      const replay = await client.call(PATHS.state, undefined, { raw: suspend, requestId: randomUUID() });
      expect(replay.status).toBe(first.status);
      expect(replay.raw).toBe(first.raw);
    }
    expect(ok(await b.call(PATHS.get, { token: made.token })).result[0].status).toBe('ACTIVE');
    expect(await merchantCounts(twins.b, m.id)).toEqual(before);
  });

  it('a captured suspend respelled (whitespace around it, a second spelling of a segment) is still that request: the first answer, nothing done', async () => {
    const made = ok(await a.call(PATHS.create, await bodies(a, expiry()).createToken()));
    const suspend = await encryptTo(a.session.serverPublic, JSON.stringify({ token: made.token, state: 'SUSPENDED' }));
    const first = await a.call(PATHS.state, undefined, { raw: suspend });
    expect(ok(first).tokenUpdated).toBe(true);
    expect(ok(await a.call(PATHS.state, { token: made.token, state: 'ACTIVE' })).tokenUpdated).toBe(true);
    const parts = suspend.split('.');
    const respellings = [` ${suspend}\n`, `${suspend}\r\n\t`, [...parts.slice(0, 4), `${parts[4]}=`].join('.')];
    for (const raw of respellings) {
      const replay = await b.call(PATHS.state, undefined, { raw, requestId: randomUUID() });
      expect(replay.raw === first.raw || replay.json.msgCode === 'b_encryptor_failed_decrypt_message', JSON.stringify(replay.json)).toBe(
        true,
      );
    }
    expect(ok(await b.call(PATHS.get, { token: made.token })).result[0].status).toBe('ACTIVE');
  });

  it('a captured create replayed on the other instance makes no second card', async () => {
    const before = await merchantCounts(twins.a, m.id);
    const raw = await encryptTo(a.session.serverPublic, JSON.stringify(await bodies(a, expiry()).createToken({ pan: '4111111111111111' })));
    const first = await a.call(PATHS.create, undefined, { raw });
    const made = ok(first);
    const replay = await b.call(PATHS.create, undefined, { raw });
    expect(replay.raw).toBe(first.raw);
    expect(replay.json.token).toBe(made.token);
    const after = await merchantCounts(twins.a, m.id);
    expect(after.cards).toBe((before.cards ?? 0) + 1);
  });

  it('an x-request_id used on one instance is refused on the other (nothing done)', async () => {
    const requestId = randomUUID();
    ok(await a.call(PATHS.create, await bodies(a, expiry()).createToken(), { requestId }));
    const before = await merchantCounts(twins.a, m.id);
    const again = await b.call(PATHS.create, await bodies(a, expiry()).createToken(), { requestId });
    expect(again.status).toBe(400);
    expect(again.json.msgCode).toBe('b_duplicate_field_value');
    const after = await merchantCounts(twins.a, m.id);
    expect(after.cards).toBe(before.cards);
  });

  it('reads are never deduplicated: the same list body twice reads the state of the moment', async () => {
    const made = ok(await a.call(PATHS.create, await bodies(a, expiry()).createToken({ customerId: 'cust-read' })));
    const list = await encryptTo(a.session.serverPublic, JSON.stringify({ customerId: 'cust-read', merchantId: a.merchantId }));
    const one = ok(await a.call(PATHS.list, undefined, { raw: list }));
    ok(await a.call(PATHS.state, { token: made.token, state: 'SUSPENDED' }));
    const two = ok(await b.call(PATHS.list, undefined, { raw: list }));
    expect(JSON.stringify(one)).toContain('ACTIVE');
    expect(JSON.stringify(two)).toContain('SUSPENDED');
  });
});
