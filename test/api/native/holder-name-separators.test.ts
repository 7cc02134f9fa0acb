/**
 * A holder name is stored and echoed in clear, so a card number typed into it is refused by every API that
 * takes one — also when written with separators (`4000 0566 5566 5556`, dashes, dots) or percent-encoded:
 * the vault's holder-name check uses the one card-number detector. AlliancePay takes no holder name.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appotaClient, tokenBody } from '../../gateways/appotapay/helpers.ts';
import { customerBody, cybs, piBody } from '../../gateways/cybersource/helpers.ts';
import { opayClient } from '../../gateways/opay/helpers.ts';
import { twoc2pClient } from '../../gateways/twoc2p/helpers.ts';
import {
  type Client,
  client,
  createMerchant,
  futureYear,
  makeTestApp,
  type TestApp,
  type TestMerchant,
  VISA,
} from '../../helpers/harness.ts';

let t: TestApp;
let merchant: TestMerchant;
let c: Client;
beforeAll(async () => {
  t = await makeTestApp();
  merchant = await createMerchant(t);
  c = client(t, merchant.apiKey);
});
afterAll(() => t.close());

const cardCount = async () => (await t.vault.store.db.selectFrom('cards').select('id').execute()).length;
/** The card number, as digits and in every spelling the tests send: no response may echo any of them. */
const DIGITS = '4000056655665556';
const SPELLED = ['4000 0566 5566 5556', '4000-0566-5566-5556', '4000.0566.5566.5556', '4000 - 0566_5566/5556', '4000%200566%205566%205556'];
const expectNoEcho = (text: string) => {
  for (const s of [DIGITS, ...SPELLED]) expect(text).not.toContain(s);
};

const SPELLINGS: [label: string, name: string][] = [
  ['spaces', 'Ada 4000 0566 5566 5556'],
  ['dashes', '4000-0566-5566-5556 Lovelace'],
  ['dots', 'Ada 4000.0566.5566.5556'],
  ['mixed separators', 'Ada 4000 - 0566_5566/5556'],
  ['percent-encoded spaces', 'Ada 4000%200566%205566%205556'],
];

describe('native API', () => {
  it.each(SPELLINGS)('refuses a holder name holding a card number written with %s (400), writing nothing', async (_label, name) => {
    const before = await cardCount();
    const res = await c.post('/v1/cards', { number: VISA, expMonth: 12, expYear: futureYear(), holderName: name });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'validation_failed', errors: [{ field: 'holderName', code: 'contains_card_number' }] });
    expectNoEcho(res.body);
    expect(await cardCount()).toBe(before);
  });

  it('refuses such a holder name on update too, keeping the old one', async () => {
    const card = (await c.post('/v1/cards', { number: VISA, expMonth: 12, expYear: futureYear(), holderName: 'Ada Lovelace' })).json();
    for (const [, name] of SPELLINGS) {
      expect((await c.patch(`/v1/cards/${card.token}`, { holderName: name })).statusCode).toBe(400);
    }
    expect((await c.get(`/v1/cards/${card.token}`)).json().holderName).toBe('Ada Lovelace');
  });
});

describe('2C2P', () => {
  it.each(SPELLINGS)('refuses a name holding a card number written with %s, writing nothing', async (_label, name) => {
    const tw = twoc2pClient(t, merchant);
    const before = await cardCount();
    const res = await tw.call('add', {
      merchantID: tw.merchantID,
      tokenProvider: 'CC',
      accountNo: VISA,
      name,
      expiry: `${futureYear()}-12-31`,
    });
    expect(res.json?.responseCode).not.toBe('0000');
    expectNoEcho(JSON.stringify(res.json));
    expect(await cardCount()).toBe(before);
  });
});

describe('OPay', () => {
  let seq = 0;
  const body = (cardHolderName: string) => ({
    reference: `HOLDER-${Date.now()}-${++seq}`,
    cardNumber: VISA,
    expiryYear: String(futureYear() % 100).padStart(2, '0'),
    expiryMonth: '02',
    cvv: '123',
    cardHolderName,
  });

  it('accepts an ordinary holder name (the control)', async () => {
    expect((await opayClient(t, merchant).call('create', body('Ada Lovelace'))).json.code).toBe('00000');
  });

  it.each(SPELLINGS)('refuses a cardHolderName holding a card number written with %s, writing nothing', async (_label, name) => {
    const before = await cardCount();
    const res = await opayClient(t, merchant).call('create', body(name));
    expect(res.json.code).not.toBe('00000');
    expectNoEcho(JSON.stringify(res.json));
    expect(await cardCount()).toBe(before);
  });
});

describe('AppotaPay', () => {
  // Its holderName pattern allows letters, digits and spaces only, so spaces are the separator that reaches the vault.
  it.each([
    ['spaces', 'ADA 4000 0566 5566 5556'],
    ['no separator', 'ADA 4000056655665556'],
  ])('refuses a holderName holding a card number written with %s, writing nothing', async (_label, holderName) => {
    const before = await cardCount();
    const res = await appotaClient(t, merchant).call('POST', '/credit-card/token', tokenBody({}, { holderName }));
    expect(res.status).not.toBe(200);
    expectNoEcho(res.body);
    expect(await cardCount()).toBe(before);
  });
});

describe('Cybersource', () => {
  it.each([
    ['spaces, across first and last name', { firstName: 'Ada 4000 0566', lastName: '5566 5556' }],
    ['dashes', { firstName: 'Ada', lastName: '4000-0566-5566-5556' }],
  ])('refuses a billTo name holding a card number written with %s, writing no card', async (_label, names) => {
    const cs = cybs(t, merchant);
    const cus = await cs.post('/tms/v2/customers', customerBody());
    expect(cus.status, cus.body).toBe(201);
    const before = await cardCount();
    const base = piBody(VISA);
    const res = await cs.post(`/tms/v2/customers/${cus.json.id}/payment-instruments`, {
      ...base,
      billTo: { ...(base.billTo as Record<string, unknown>), ...names },
    });
    expect(res.status, res.body).toBe(400);
    expectNoEcho(res.body);
    expect(await cardCount()).toBe(before);
  });
});
