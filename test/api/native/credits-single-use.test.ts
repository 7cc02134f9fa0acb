/**
 * Single-use tokens are spent by credits (payouts) exactly as by payments, through every API that credits:
 * native `POST /v1/credits` and Cybersource `POST /pts/v2/credits`. Threat: a SINGLE token handed to a
 * payout flow paid out any number of times (issue 16, finding 6).
 */
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cybs, expectPtsError } from '../../gateways/cybersource/helpers.ts';
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

const LOST_CARD = '4000000000009987';
const TIMEOUT_CARD = '4000000000000119';

let t: TestApp;
let merchant: TestMerchant;
let c: Client;

beforeAll(async () => {
  t = await makeTestApp();
  merchant = await createMerchant(t, 'Payout shop');
  c = client(t, merchant.apiKey);
});
afterAll(() => t.close());

async function singleUseCard(number = VISA): Promise<string> {
  const res = await c.post('/v1/cards', { number, expMonth: 12, expYear: futureYear(), usage: 'SINGLE' });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().token;
}

const credit = (token: string) => c.post('/v1/credits', { token, amount: 3000, currency: 'EUR' });
const pay = (token: string) => c.post('/v1/payments', { token, amount: 1000, currency: 'USD' });
const statusOf = async (token: string) => (await c.get(`/v1/cards/${token}`)).json().status;

async function creditRows(token: string): Promise<number> {
  const rows = await t.vault.store.db.selectFrom('payments').select('id').where('card_id', '=', token).execute();
  return rows.length;
}

function expectConsumed(res: LightMyRequestResponse): void {
  expect(res.statusCode, res.body).toBe(422);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.json()).toMatchObject({ status: 422, code: 'token_consumed' });
}

describe('native credits with a SINGLE token', () => {
  it('credits once, then refuses a second credit and a payment with 422 token_consumed', async () => {
    const token = await singleUseCard();
    const first = await credit(token);
    expect(first.statusCode, first.body).toBe(201);
    expect(first.json()).toMatchObject({ object: 'credit', status: 'CREDITED' });
    expect(await statusOf(token)).toBe('CONSUMED');

    expectConsumed(await credit(token));
    expectConsumed(await pay(token));
    // Only the first credit reached the processor and was recorded.
    expect(await creditRows(token)).toBe(1);
  });

  it('a payment spends the token for credits too', async () => {
    const token = await singleUseCard();
    expect((await pay(token)).statusCode).toBe(201);
    expectConsumed(await credit(token));
  });

  it('gives the token back when the credit is declined', async () => {
    const token = await singleUseCard(LOST_CARD);
    const declined = await credit(token);
    expect(declined.statusCode, declined.body).toBe(201);
    expect(declined.json()).toMatchObject({ status: 'DECLINED', declineCode: 'lost_card' });
    expect(await statusOf(token)).toBe('ACTIVE');
  });

  it('gives the token back when the processor does not answer', async () => {
    // An app of its own with a short processor timeout: the timeout card never answers, so nothing here races.
    const slow = await makeTestApp({ env: { TOKENVAULT_PROCESSOR_TIMEOUT_MS: '200' } });
    try {
      const s = client(slow, (await createMerchant(slow, 'Timeout shop')).apiKey);
      const made = await s.post('/v1/cards', { number: TIMEOUT_CARD, expMonth: 12, expYear: futureYear(), usage: 'SINGLE' });
      const token = made.json().token;
      const res = await s.post('/v1/credits', { token, amount: 3000, currency: 'EUR' });
      expect(res.statusCode).toBe(503);
      expect(res.json().code).toBe('processor_unavailable');
      expect((await s.get(`/v1/cards/${token}`)).json().status).toBe('ACTIVE');
    } finally {
      await slow.close();
    }
  });

  it('lets exactly one of several concurrent credits through', async () => {
    const token = await singleUseCard();
    const results = await Promise.all([credit(token), credit(token), credit(token)]);
    const statuses = results.map((r) => r.statusCode).sort();
    expect(statuses).toEqual([201, 422, 422]);
    expect(await creditRows(token)).toBe(1);
  });
});

describe('Cybersource PTS credits with a SINGLE token', () => {
  const ptsCredit = (token: string) =>
    cybs(t, merchant).post('/pts/v2/credits', {
      clientReferenceInformation: { code: 'payout' },
      paymentInformation: { paymentInstrument: { id: token } },
      orderInformation: { amountDetails: { totalAmount: '30.00', currency: 'EUR' } },
    });
  const ptsPay = (token: string) =>
    cybs(t, merchant).post('/pts/v2/payments', {
      clientReferenceInformation: { code: 'pay' },
      paymentInformation: { paymentInstrument: { id: token } },
      orderInformation: { amountDetails: { totalAmount: '10.00', currency: 'USD' } },
    });

  it('credits once, then refuses a second credit and a payment with 400 INVALID_DATA', async () => {
    const token = await singleUseCard();
    const first = await ptsCredit(token);
    expect(first.status, first.body).toBe(201);
    expect(await statusOf(token)).toBe('CONSUMED');

    expectPtsError(await ptsCredit(token), 'INVALID_DATA');
    expectPtsError(await ptsPay(token), 'INVALID_DATA');
    // And the native API agrees.
    expectConsumed(await credit(token));
    expect(await creditRows(token)).toBe(1);
  });
});
