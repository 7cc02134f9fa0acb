/**
 * PTS payments and credits from an instrument identifier (`paymentInformation.instrumentIdentifier.id` with
 * the card's expiry), and the instrument identifier a card payment answers: live (not 410), and one per card
 * (the same card paid with twice answers the same identifier), as TMS keeps them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMerchant, makeTestApp, type TestApp, type TestMerchant } from '../../helpers/harness.ts';
import { type CybsClient, cybs, EXP_YEAR, expectPtsError, II_ID, PAYMENT_ID, unknownIiId } from './helpers.ts';

let t: TestApp;
let m: TestMerchant;
let c: CybsClient;

/** A card no other test of this file uses, so "new" and "same" are about this test's card only. */
const cards = ['4242424242424242', '5555555555554444', '4012888888881881', '5105105105105100'];
const amount = (totalAmount: string, currency = 'USD') => ({ orderInformation: { amountDetails: { totalAmount, currency } } });

beforeAll(async () => {
  t = await makeTestApp();
  m = await createMerchant(t, 'cybs-sources');
  c = cybs(t, m);
});
afterAll(() => t.close());

async function newInstrument(number: string): Promise<string> {
  const r = await c.post('/tms/v1/instrumentidentifiers', { card: { number } });
  expect([200, 201], r.body).toContain(r.status);
  return r.json.id as string;
}

describe('paying with an instrument identifier', () => {
  it('authorizes with instrumentIdentifier.id and the card expiry (the PHP sample AuthorizationWithInstrumentIdentifierTokenId)', async () => {
    const ii = await newInstrument(cards[0] as string);
    const res = await c.post('/pts/v2/payments', {
      clientReferenceInformation: { code: 'TC50171_3' },
      processingInformation: { capture: false, commerceIndicator: 'internet' },
      paymentInformation: { card: { expirationMonth: '03', expirationYear: EXP_YEAR, type: '001' }, instrumentIdentifier: { id: ii } },
      orderInformation: {
        amountDetails: { totalAmount: '200', currency: 'usd' },
        billTo: { firstName: 'John', lastName: 'Deo', address1: '900 Metro Center Blvd', locality: 'Foster City', country: 'US' },
      },
    });
    expect(res.status, res.body).toBe(201);
    expect(res.json.id).toMatch(PAYMENT_ID);
    expect(res.json.status).toBe('AUTHORIZED');
    expect(res.json.orderInformation.amountDetails).toEqual({ authorizedAmount: '200.00', currency: 'USD' });
    expect(res.json.paymentInformation.instrumentIdentifier).toEqual({ id: ii, state: 'ACTIVE' });
    expect(res.json.paymentInformation.paymentInstrument).toBeUndefined();
    // The identifier is untouched by the one-off token the payment used.
    expect((await c.get(`/tms/v1/instrumentidentifiers/${ii}`)).status).toBe(200);
    const cap = await c.post(`/pts/v2/payments/${res.json.id}/captures`, amount('200.00'));
    expect(cap.status, cap.body).toBe(201);
  });

  it('credits with instrumentIdentifier.id (the Node sample credit-with-instrument-identifier-token-id)', async () => {
    const ii = await newInstrument(cards[0] as string);
    const res = await c.post('/pts/v2/credits', {
      paymentInformation: { card: { expirationMonth: '03', expirationYear: EXP_YEAR, type: '001' }, instrumentIdentifier: { id: ii } },
      ...amount('200', 'usd'),
    });
    expect(res.status, res.body).toBe(201);
    expect(res.json.status).toBe('PENDING');
    expect(res.json.creditAmountDetails).toEqual({ creditAmount: '200.00', currency: 'USD' });
    expect(res.json.paymentInformation.instrumentIdentifier.id).toBe(ii);
  });

  it('refuses an unknown or deleted instrument identifier, a missing expiry, and a card number with an identifier — nothing written', async () => {
    const ii = await newInstrument(cards[1] as string);
    const before = await t.vault.store.db
      .selectFrom('payments')
      .select((e) => e.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    const pay = (paymentInformation: Record<string, unknown>) => c.post('/pts/v2/payments', { paymentInformation, ...amount('5.00') });
    const expiry = { expirationMonth: '03', expirationYear: EXP_YEAR };
    const unknown = await pay({ card: expiry, instrumentIdentifier: { id: unknownIiId() } });
    expectPtsError(unknown, 'INVALID_DATA');
    expect(unknown.json.details).toEqual([{ field: 'paymentInformation.instrumentIdentifier.id', reason: 'INVALID_DATA' }]);
    expectPtsError(await pay({ instrumentIdentifier: { id: ii } }), 'MISSING_FIELD');
    expectPtsError(await pay({ card: { ...expiry, number: cards[1] }, instrumentIdentifier: { id: ii } }), 'INVALID_DATA');
    expect((await c.delete(`/tms/v1/instrumentidentifiers/${ii}`)).status).toBe(204);
    expectPtsError(await pay({ card: expiry, instrumentIdentifier: { id: ii } }), 'INVALID_DATA');
    const after = await t.vault.store.db
      .selectFrom('payments')
      .select((e) => e.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });

  it("refuses another merchant's instrument identifier", async () => {
    const other = cybs(t, await createMerchant(t, 'cybs-sources-other'));
    const theirs = (await other.post('/tms/v1/instrumentidentifiers', { card: { number: cards[2] } })).json.id as string;
    const res = await c.post('/pts/v2/payments', {
      paymentInformation: { card: { expirationMonth: '03', expirationYear: EXP_YEAR }, instrumentIdentifier: { id: theirs } },
      ...amount('5.00'),
    });
    expectPtsError(res, 'INVALID_DATA');
  });
});

describe('the instrument identifier a card payment answers', () => {
  const payWithCard = (number: string, total = '10.00') =>
    c.post('/pts/v2/payments', {
      paymentInformation: { card: { number, expirationMonth: '12', expirationYear: EXP_YEAR, securityCode: '123' } },
      ...amount(total),
    });

  it('reads as live, and the same card authorized twice answers the same identifier', async () => {
    const first = await payWithCard(cards[3] as string);
    expect(first.status, first.body).toBe(201);
    expect(first.json.status).toBe('AUTHORIZED');
    const ii = first.json.paymentInformation.instrumentIdentifier.id as string;
    expect(ii).toMatch(II_ID);
    const read = await c.get(`/tms/v1/instrumentidentifiers/${ii}`);
    expect(read.status, read.body).toBe(200);
    expect(read.json.state).toBe('ACTIVE');
    const second = await payWithCard(cards[3] as string);
    expect(second.status, second.body).toBe(201);
    expect(second.json.paymentInformation.instrumentIdentifier.id).toBe(ii);
    // And the explicit create finds it too (200, not a new one).
    const again = await c.post('/tms/v1/instrumentidentifiers', { card: { number: cards[3] } });
    expect(again.status, again.body).toBe(200);
    expect(again.json.id).toBe(ii);
  });

  it('a declined payment with a new card leaves no instrument identifier behind', async () => {
    const declined = await payWithCard('4000000000009995');
    expect(declined.status, declined.body).toBe(201);
    expect(declined.json.status).toBe('DECLINED');
    expect(declined.json.paymentInformation?.instrumentIdentifier).toBeUndefined();
    const made = await c.post('/tms/v1/instrumentidentifiers', { card: { number: '4000000000009995' } });
    expect(made.status, made.body).toBe(201);
  });
});
