/**
 * 2C2P replays across instances (SECURITY.md "Replays"), on two apps sharing one database, and with Redis
 * configured: a 2C2P message has no time or nonce, so a captured add, update or delete — sent raw or wrapped
 * as {"payload": …} — gets the first (sealed) answer on either instance and changes nothing; get is never
 * deduplicated.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { merchantCounts } from '../../helpers/counts.ts';
import { createMerchant, futureYear, type TestMerchant, VISA } from '../../helpers/harness.ts';
import { makeTwinApps, REDIS_ENV, type Twins } from '../../helpers/twins.ts';
import { buildRequest, openResponse, postRaw, type Twoc2pClient, twoc2pClient } from './helpers.ts';

describe.each([
  ['the database', {}],
  ['Redis', REDIS_ENV],
])('2C2P replays across two instances, claims in %s', (_where, env) => {
  let twins: Twins;
  let m: TestMerchant;
  let c: Twoc2pClient;

  const add = (name: string) => ({
    merchantID: c.merchantID,
    accountNo: VISA,
    name,
    email: 'terrance@example.com',
    expiry: `${futureYear()}-02-01`,
    accountIssuer: 'UOB Bank',
    accountIssuerCountry: 'SG',
    accountCurrency: 'SGD',
    tokenProvider: 'CC',
  });
  const update = (token: string, name: string) => {
    const { accountNo: _, ...rest } = add(name);
    return { ...rest, token, accountIssuer: 'HSBC Bank' };
  };
  const captured = (payload: unknown) => buildRequest(payload, c.vaultPublic, c.merchantPrivate);
  const open = async (body: string) => openResponse(body, c.vaultPublic, c.merchantPrivate);

  beforeAll(async () => {
    twins = await makeTwinApps({ env });
    m = await createMerchant(twins.a, '2C2P replays');
    c = twoc2pClient(twins.a, m);
  });
  afterAll(() => twins?.close());

  it('a captured add sent to both instances, raw and wrapped, makes one token and answers the first sealed answer', async () => {
    const before = await merchantCounts(twins.a, m.id);
    const jws = await captured(add('Terrance'));
    const first = await postRaw(twins.a, 'add', jws);
    expect(first.statusCode, first.body).toBe(200);
    expect((await open(first.body)).responseCode).toBe('0000');
    const made = await merchantCounts(twins.a, m.id);
    expect(made.cards).toBe((before.cards ?? 0) + 1);
    for (const replay of [
      await postRaw(twins.b, 'add', jws),
      await postRaw(twins.b, 'add', JSON.stringify({ payload: jws }), 'application/json'),
    ]) {
      expect(replay.statusCode).toBe(200);
      expect(replay.body).toBe(first.body);
    }
    expect(await merchantCounts(twins.b, m.id)).toEqual(made);
  });

  it('a replayed update changes nothing after a later one; get reads the state of the moment; a replayed delete answers the first', async () => {
    const token = (await open((await postRaw(twins.a, 'add', await captured(add('Terrance')))).body)).token as string;
    const firstUpdate = await captured(update(token, 'First'));
    expect((await open((await postRaw(twins.a, 'update', firstUpdate)).body)).responseCode).toBe('0000');
    const second = await postRaw(twins.b, 'update', await captured(update(token, 'Second')));
    expect((await open(second.body)).responseCode).toBe('0000');
    const before = await merchantCounts(twins.a, m.id);
    await postRaw(twins.b, 'update', firstUpdate);
    const get = await captured({ merchantID: c.merchantID, token });
    expect((await open((await postRaw(twins.a, 'get', get)).body)).name).toBe('Second');
    expect(await merchantCounts(twins.a, m.id)).toEqual(before);

    const del = await captured({ merchantID: c.merchantID, token });
    const deleted = await postRaw(twins.a, 'delete', del);
    expect((await open(deleted.body)).responseCode).toBe('0000');
    const afterDelete = await merchantCounts(twins.a, m.id);
    expect((await postRaw(twins.b, 'delete', del)).body).toBe(deleted.body);
    expect(await merchantCounts(twins.a, m.id)).toEqual(afterDelete);
    // The same get message again is read again, not replayed: the token is gone now.
    expect((await open((await postRaw(twins.b, 'get', get)).body)).responseCode).not.toBe('0000');
  });
});
