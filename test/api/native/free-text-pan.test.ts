/** A card number typed into a holder name would be stored and echoed in clear: it is refused, and nothing is written. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { twoc2pClient } from '../../gateways/twoc2p/helpers.ts';
import { type Client, client, createMerchant, futureYear, makeTestApp, type TestApp, tokenize, VISA } from '../../helpers/harness.ts';

let t: TestApp;
let c: Client;
let merchant: Awaited<ReturnType<typeof createMerchant>>;
beforeAll(async () => {
  t = await makeTestApp();
  merchant = await createMerchant(t);
  c = client(t, merchant.apiKey);
});
afterAll(() => t.close());

const cardCount = async () => (await t.vault.store.db.selectFrom('cards').select('id').execute()).length;

it('native tokenize and update refuse a holder name holding a card number (400, field named), write nothing', async () => {
  const before = await cardCount();
  const res = await c.post('/v1/cards', { number: VISA, expMonth: 12, expYear: futureYear(), holderName: 'Ada 5555555555554444' });
  expect(res.statusCode).toBe(400);
  expect(res.json()).toMatchObject({ code: 'validation_failed', errors: [{ field: 'holderName', code: 'contains_card_number' }] });
  expect(res.body).not.toContain('5555555555554444');
  expect(await cardCount()).toBe(before);

  const card = await tokenize(c, { holderName: 'Ada Lovelace' });
  const upd = await c.patch(`/v1/cards/${card.token}`, { holderName: '4111 1111 1111 1111 is not split: 4111111111111111' });
  expect(upd.statusCode).toBe(400);
  expect((await c.get(`/v1/cards/${card.token}`)).json().holderName).toBe('Ada Lovelace');
  // A name with digits that are no card number is fine.
  expect((await c.patch(`/v1/cards/${card.token}`, { holderName: 'Unit 1234567890123' })).statusCode).toBe(200);
});

it('2C2P refuses a card number in its free-text fields with 9004', async () => {
  const tw = twoc2pClient(t, merchant);
  const res = await tw.call('add', {
    merchantID: tw.merchantID,
    tokenProvider: 'CC',
    accountNo: VISA,
    name: VISA,
    expiry: `${futureYear()}-12-31`,
  });
  expect(res.json?.responseCode).toBe('9004');
  expect(JSON.stringify(res.json)).not.toContain(VISA);
  expect(await cardCount()).toBe(1);
});

it('a refusal never echoes a card number the client used as a field name', async () => {
  const res = await c.post('/v1/cards', { number: VISA, expMonth: 12, expYear: futureYear(), [VISA]: 'x' });
  expect(res.statusCode).toBe(400);
  expect(res.json().errors[0]).toMatchObject({ code: 'unknown_field', field: '[card number]' });
  expect(res.body).not.toContain(VISA);
});
