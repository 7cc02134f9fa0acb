/**
 * OPay replays across instances (SECURITY.md "Replays"), on two apps sharing one database, and with Redis
 * configured: OPay's wire carries no time and no nonce, so a captured create or delete — byte-identical, or
 * re-spaced under the same canonical signature — sent to either instance gets the first answer and changes
 * nothing; a query is never deduplicated.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { merchantCounts } from '../../helpers/counts.ts';
import { createMerchant, type TestMerchant } from '../../helpers/harness.ts';
import { makeTwinApps, REDIS_ENV, type Twins } from '../../helpers/twins.ts';
import { hmacHex, type OpayClient, opayClient, sortedJson } from './helpers.ts';
import { createBody } from './refusals.ts';

describe.each([
  ['the database', {}],
  ['Redis', REDIS_ENV],
])('OPay replays across two instances, claims in %s', (_where, env) => {
  let twins: Twins;
  let m: TestMerchant;
  let a: OpayClient;
  let b: OpayClient;

  beforeAll(async () => {
    twins = await makeTwinApps({ env });
    m = await createMerchant(twins.a, 'OPay replays');
    a = opayClient(twins.a, m);
    b = opayClient(twins.b, m);
  });
  afterAll(() => twins?.close());

  it('a captured create sent to both instances, then re-spaced, makes one card and answers the first answer', async () => {
    const before = await merchantCounts(twins.a, m.id);
    const body = createBody();
    const first = await a.call('create', body);
    expect(first.json.code, first.json.message).toBe('00000');
    const made = await merchantCounts(twins.a, m.id);
    expect(made.cards).toBe((before.cards ?? 0) + 1);
    expect(await b.call('create', body)).toEqual(first);
    // The same JSON re-spaced, its signature over the canonical form (which OPay accepts): still the first answer.
    const spaced = JSON.stringify(JSON.parse(sortedJson(body)), null, 2);
    expect(await b.call('create', body, { raw: spaced, signature: hmacHex(b.secretKey, sortedJson(body)) })).toEqual(first);
    // No card, customer or audit event more.
    expect(await merchantCounts(twins.b, m.id)).toEqual(made);
  });

  it('a replayed delete answers the first answer on the other instance; query reads the state of the moment', async () => {
    const made = await a.call('create', createBody());
    const token = (made.json.data as { opayToken: string }).opayToken;
    const q1 = await b.call('query', { opayToken: token });
    expect(q1.json.code).toBe('00000');
    const del = await a.call('delete', { opayToken: token });
    expect(del.json.code).toBe('00000');
    const before = await merchantCounts(twins.a, m.id);
    expect(await b.call('delete', { opayToken: token })).toEqual(del);
    expect(await merchantCounts(twins.a, m.id)).toEqual(before);
    expect((await b.call('query', { opayToken: token })).json.code).toBe('20001');
  });

  it('the same reference with another request is still refused as a duplicate (20000), on either instance', async () => {
    const body = createBody();
    expect((await a.call('create', body)).json.code).toBe('00000');
    expect((await b.call('create', { ...body, cardHolderName: 'Someone Else' })).json.code).toBe('20000');
  });
});
