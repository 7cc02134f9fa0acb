/**
 * Card numbers in one canonical form (issue 16): a number with leading zeros is another spelling of a card,
 * not another card, and a length its brand never issues is no card at all; both are refused before
 * anything is written. A short number is shown with at most half its digits.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Client, client, createMerchant, futureYear, makeTestApp, type TestApp } from '../../helpers/harness.ts';
import { withCheckDigit } from '../../helpers/luhn-oracle.ts';

let t: TestApp;
let c: Client;
beforeAll(async () => {
  t = await makeTestApp();
  c = client(t, (await createMerchant(t)).apiKey);
});
afterAll(() => t.close());

const rows = async () => ({
  cards: (await t.vault.store.db.selectFrom('cards').select('id').execute()).length,
  instruments: (await t.vault.store.db.selectFrom('instrument_identifiers').select('id').execute()).length,
});

it.each([
  ['leading zeros before a Visa', '004111111111111111', 'pan_leading_zero'],
  ['one leading zero', '04111111111111111', 'pan_leading_zero'],
  ['a 16-digit Amex', withCheckDigit('341111111111111'), 'pan_length'],
  ['a 15-digit Visa', withCheckDigit('41111111111111'), 'pan_length'],
  ['a 17-digit Mastercard', withCheckDigit('5555555555555555'), 'pan_length'],
])('POST /v1/cards refuses %s (422) and writes no row', async (_label, number, code) => {
  const before = await rows();
  const res = await c.post('/v1/cards', { number, expMonth: 12, expYear: futureYear() });
  expect(res.statusCode).toBe(422);
  expect(res.json()).toMatchObject({ code: 'invalid_card_number', errors: [{ field: 'number', code }] });
  expect(res.body).not.toContain(number);
  expect(await rows()).toEqual(before);
});

it('stores 4111111111111111 once: 004111111111111111 cannot become a second card for it', async () => {
  const ok = await c.post('/v1/cards', { number: '4111111111111111', expMonth: 12, expYear: futureYear() });
  expect(ok.statusCode).toBe(201);
  expect(ok.json()).toMatchObject({ bin: '411111', brand: 'visa' });
  const before = await rows();
  expect((await c.post('/v1/cards', { number: '004111111111111111', expMonth: 12, expYear: futureYear() })).statusCode).toBe(422);
  expect(await rows()).toEqual(before);
});

it('shows a 12-digit card with 6 of its digits, a 16-digit one with the first 6 and last 4', async () => {
  const maestro12 = withCheckDigit('50180000000');
  const short = await c.post('/v1/cards', { number: maestro12, expMonth: 12, expYear: futureYear() });
  expect(short.statusCode, short.body).toBe(201);
  expect(short.json().maskedNumber).toBe(`50******${maestro12.slice(-4)}`);
  // The separate bin and last4 fields together show no more than the mask does (they showed 10 of 12).
  expect(short.json().bin + short.json().last4).toBe(`50${maestro12.slice(-4)}`);
  const long = await c.post('/v1/cards', { number: '5555555555554444', expMonth: 12, expYear: futureYear() });
  expect(long.json().maskedNumber).toBe('555555******4444');
});
