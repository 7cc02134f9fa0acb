/**
 * Native payments, refusals: malformed amounts and currencies, cards that must never reach the processor
 * (suspended, deleted, consumed, expired), operations the payment state forbids, and isolation — one
 * merchant can never read or move another's payment, and a key without `pay` cannot move money.
 */
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_TOKEN,
  type Client,
  client,
  createCustomer,
  createMerchant,
  futureYear,
  MASTERCARD,
  makeTestApp,
  type TestApp,
  type TestMerchant,
  VISA,
} from '../../helpers/harness.ts';

const CHALLENGE_CARD = '4000000000003220';

let t: TestApp;
let merchantA: TestMerchant;
let a: Client;
let b: Client;
// The app's clock: tests move it past a card's expiry and put it back.
let clockOffsetMs = 0;

beforeAll(async () => {
  t = await makeTestApp({ now: () => new Date(Date.now() + clockOffsetMs) });
  merchantA = await createMerchant(t, 'Shop A');
  a = client(t, merchantA.apiKey);
  b = client(t, (await createMerchant(t, 'Shop B')).apiKey);
});
afterAll(() => t.close());

async function card(c: Client, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await c.post('/v1/cards', { number: VISA, expMonth: 12, expYear: futureYear(), ...extra });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().token;
}

const pay = (c: Client, body: Record<string, unknown>) => c.post('/v1/payments', { amount: 1000, currency: 'USD', ...body });

async function paid(c: Client, body: Record<string, unknown>) {
  const res = await pay(c, body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

function expectProblem(res: LightMyRequestResponse, status: number, code: string) {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.json()).toMatchObject({ status, code });
  return res.json();
}

async function rows(table: 'payments' | 'payment_events'): Promise<number> {
  const r = await t.vault.store.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Asserts that `fn` writes no payment and no payment event. */
async function writesNothing(fn: () => Promise<void>) {
  const before = [await rows('payments'), await rows('payment_events')];
  await fn();
  expect([await rows('payments'), await rows('payment_events')]).toEqual(before);
}

describe('amounts and currencies', () => {
  it.each([
    ['zero', 0],
    ['negative', -100],
    ['fractional', 1.5],
    ['a string', '1000'],
    ['null', null],
    ['above the maximum', 1_000_000_000_001],
  ])('refuses an amount that is %s with 400 and writes nothing', async (_label, amount) => {
    const token = await card(a);
    await writesNothing(async () => {
      const res = await a.post('/v1/payments', { token, amount, currency: 'USD' });
      expectProblem(res, 400, 'validation_failed');
      expect(res.json().errors).toEqual([expect.objectContaining({ field: 'amount' })]);
    });
  });

  it('refuses an unknown ISO-shaped currency with 400 invalid_amount, naming the currency', async () => {
    const token = await card(a);
    await writesNothing(async () => {
      const res = expectProblem(await pay(a, { token, currency: 'XYZ' }), 400, 'invalid_amount');
      expect(res.errors).toEqual([expect.objectContaining({ field: 'currency', code: 'currency_unknown' })]);
      expectProblem(await a.post('/v1/credits', { token, amount: 100, currency: 'XYZ' }), 400, 'invalid_amount');
    });
  });

  it('refuses a malformed currency, a missing amount, or a missing currency', async () => {
    const token = await card(a);
    await writesNothing(async () => {
      for (const currency of ['usd', 'US', 'USDD', 1]) expectProblem(await pay(a, { token, currency }), 400, 'validation_failed');
      expectProblem(await a.post('/v1/payments', { token, currency: 'USD' }), 400, 'validation_failed');
      expectProblem(await a.post('/v1/payments', { token, amount: 100 }), 400, 'validation_failed');
    });
  });

  it('refuses unknown fields, a non-boolean capture, and a request naming neither token nor customer', async () => {
    const token = await card(a);
    await writesNothing(async () => {
      expectProblem(await pay(a, { token, cvv: '123' }), 400, 'validation_failed');
      expectProblem(await pay(a, { token, capture: 'false' }), 400, 'validation_failed');
      expectProblem(await pay(a, {}), 400, 'validation_failed');
    });
  });

  it('refuses bad capture and refund amounts without moving anything', async () => {
    const p = await paid(a, { token: await card(a), capture: false });
    for (const amount of [0, -1, 2.5, '100']) {
      expectProblem(await a.post(`/v1/payments/${p.id}/capture`, { amount }), 400, 'validation_failed');
    }
    await a.post(`/v1/payments/${p.id}/capture`, { amount: 1000 });
    for (const amount of [0, -1, 2.5]) expectProblem(await a.post(`/v1/payments/${p.id}/refund`, { amount }), 400, 'validation_failed');
    expect((await a.get(`/v1/payments/${p.id}`)).json()).toMatchObject({ capturedAmount: 1000, refundedAmount: 0 });
  });
});

describe('cards that may not pay never reach the processor', () => {
  const secretOf = (token: string) =>
    t.vault.store.db.selectFrom('card_secrets').selectAll().where('card_id', '=', token).executeTakeFirst();

  it('refuses a SUSPENDED card with 422 token_suspended, for payments and credits', async () => {
    const token = await card(a, { cvv: '123' });
    await a.post(`/v1/cards/${token}/status`, { status: 'SUSPENDED' });
    await writesNothing(async () => {
      expectProblem(await pay(a, { token }), 422, 'token_suspended');
      expectProblem(await a.post('/v1/credits', { token, amount: 100, currency: 'USD' }), 422, 'token_suspended');
    });
    // The CVV was never taken for the processor.
    expect(await secretOf(token)).toBeDefined();
    await a.post(`/v1/cards/${token}/status`, { status: 'ACTIVE' });
    expect((await paid(a, { token })).status).toBe('CAPTURED');
  });

  it('refuses a DELETED card with 422 token_deleted', async () => {
    const token = await card(a);
    expect((await a.delete(`/v1/cards/${token}`)).statusCode).toBe(200);
    await writesNothing(async () => {
      expectProblem(await pay(a, { token }), 422, 'token_deleted');
      expectProblem(await a.post('/v1/credits', { token, amount: 100, currency: 'USD' }), 422, 'token_deleted');
    });
  });

  it('refuses an EXPIRED card with 422 token_expired once the clock passes its expiry', async () => {
    const now = new Date();
    const token = await card(a, { expMonth: now.getUTCMonth() + 1, expYear: now.getUTCFullYear() });
    expect((await paid(a, { token, amount: 100, capture: false })).status).toBe('AUTHORIZED');
    // Two days into the month after the expiry month.
    clockOffsetMs = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 2) - Date.now();
    try {
      expect((await a.get(`/v1/cards/${token}`)).json().status).toBe('EXPIRED');
      await writesNothing(async () => {
        expectProblem(await pay(a, { token }), 422, 'token_expired');
        expectProblem(await a.post('/v1/credits', { token, amount: 100, currency: 'USD' }), 422, 'token_expired');
      });
    } finally {
      clockOffsetMs = 0;
    }
  });

  it('refuses an unknown token with 404 card_not_found, and an unknown customer with 404', async () => {
    await writesNothing(async () => {
      expectProblem(await pay(a, { token: 'tok_doesnotexist000000000000' }), 404, 'card_not_found');
      expectProblem(await pay(a, { customer: 'cus_doesnotexist' }), 404, 'customer_not_found');
    });
  });

  it('refuses a customer without cards with 422 no_default_card', async () => {
    const cus = await createCustomer(a);
    await writesNothing(async () => {
      expectProblem(await pay(a, { customer: cus.id }), 422, 'no_default_card');
      expectProblem(await a.post('/v1/credits', { customer: cus.id, amount: 100, currency: 'USD' }), 422, 'no_default_card');
    });
  });

  it('refuses a customer whose default card was deleted, rather than paying with another card', async () => {
    const cus = await createCustomer(a);
    const first = await card(a, { customer: cus.id });
    await card(a, { customer: cus.id });
    await a.delete(`/v1/cards/${first}`);
    expectProblem(await pay(a, { customer: cus.id }), 422, 'no_default_card');
  });
});

describe('single-use tokens', () => {
  it('consumes a SINGLE token on its first approved payment and refuses the second with 422 token_consumed', async () => {
    const token = await card(a, { usage: 'SINGLE' });
    const first = await paid(a, { token, capture: false });
    expect(first.status).toBe('AUTHORIZED');
    expect((await a.get(`/v1/cards/${token}`)).json().status).toBe('CONSUMED');
    await writesNothing(async () => {
      expectProblem(await pay(a, { token }), 422, 'token_consumed');
    });
    // The payment it made lives on: it can still be captured and refunded.
    expect((await a.post(`/v1/payments/${first.id}/capture`, {})).json().status).toBe('CAPTURED');
    expect((await a.post(`/v1/payments/${first.id}/refund`, {})).json().status).toBe('REFUNDED');
  });

  it('gives a SINGLE token back when its first payment is declined, so it can pay again', async () => {
    const token = await card(a, { usage: 'SINGLE' });
    expect(await paid(a, { token, amount: 1051 })).toMatchObject({ status: 'DECLINED', declineCode: 'insufficient_funds' });
    expect((await a.get(`/v1/cards/${token}`)).json().status).toBe('ACTIVE');
    expect((await paid(a, { token, amount: 1000 })).status).toBe('CAPTURED');
    expect((await a.get(`/v1/cards/${token}`)).json().status).toBe('CONSUMED');
    expectProblem(await pay(a, { token }), 422, 'token_consumed');
  });

  it('holds a SINGLE token during a 3DS challenge and gives it back when the challenge fails', async () => {
    const token = await card(a, { number: CHALLENGE_CARD, usage: 'SINGLE' });
    const p = await paid(a, { token });
    expect(p.status).toBe('PENDING_AUTHENTICATION');
    expectProblem(await pay(a, { token }), 422, 'token_consumed');
    await a.post(`/v1/payments/${p.id}/authenticate`, { result: 'failure' });
    expect((await a.get(`/v1/cards/${token}`)).json().status).toBe('ACTIVE');
    const retry = await paid(a, { token });
    expect((await a.post(`/v1/payments/${retry.id}/authenticate`, { result: 'success' })).json().status).toBe('CAPTURED');
    expect((await a.get(`/v1/cards/${token}`)).json().status).toBe('CONSUMED');
  });
});

describe('operations the payment state forbids', () => {
  it('refuses to capture, refund or void a declined payment', async () => {
    const p = await paid(a, { token: await card(a), amount: 1052 });
    expect(p.status).toBe('DECLINED');
    await writesNothing(async () => {
      expectProblem(await a.post(`/v1/payments/${p.id}/capture`, { amount: 100 }), 409, 'invalid_payment_state');
      expectProblem(await a.post(`/v1/payments/${p.id}/refund`, { amount: 100 }), 409, 'invalid_payment_state');
      expectProblem(await a.post(`/v1/payments/${p.id}/void`), 409, 'invalid_payment_state');
      expectProblem(await a.post(`/v1/payments/${p.id}/authenticate`, { result: 'success' }), 409, 'invalid_payment_state');
      // Without an amount too: the state is the answer, not "nothing left".
      expectProblem(await a.post(`/v1/payments/${p.id}/capture`, {}), 409, 'invalid_payment_state');
      expectProblem(await a.post(`/v1/payments/${p.id}/refund`, {}), 409, 'invalid_payment_state');
    });
  });

  it('refuses a token together with a customer the card does not belong to', async () => {
    const other = (await a.post('/v1/customers', {})).json();
    await writesNothing(async () => {
      expectProblem(await pay(a, { token: await card(a), customer: other.id }), 400, 'validation_failed');
    });
  });

  it('refuses to refund an authorization that was never captured', async () => {
    const p = await paid(a, { token: await card(a), capture: false });
    expectProblem(await a.post(`/v1/payments/${p.id}/refund`, { amount: 100 }), 409, 'invalid_payment_state');
    expect((await a.get(`/v1/payments/${p.id}`)).json()).toMatchObject({ status: 'AUTHORIZED', refundedAmount: 0 });
  });

  it('refuses to capture more once anything was refunded', async () => {
    const p = await paid(a, { token: await card(a), capture: false });
    await a.post(`/v1/payments/${p.id}/capture`, { amount: 500 });
    await a.post(`/v1/payments/${p.id}/refund`, { amount: 100 });
    expectProblem(await a.post(`/v1/payments/${p.id}/capture`, { amount: 100 }), 409, 'invalid_payment_state');
    expect((await a.get(`/v1/payments/${p.id}`)).json()).toMatchObject({ capturedAmount: 500, refundedAmount: 100 });
  });

  it('refuses a capture or refund with nothing left to move', async () => {
    const p = await paid(a, { token: await card(a) });
    expectProblem(await a.post(`/v1/payments/${p.id}/capture`, {}), 409, 'amount_exceeds_authorized');
    await a.post(`/v1/payments/${p.id}/refund`, {});
    await writesNothing(async () => {
      // Without an amount, the remainder (0) is what gets refused, so only the status is pinned here.
      expect((await a.post(`/v1/payments/${p.id}/refund`, {})).statusCode).toBe(409);
      expectProblem(await a.post(`/v1/payments/${p.id}/refund`, { amount: 1 }), 409, 'invalid_payment_state');
    });
    expect((await a.get(`/v1/payments/${p.id}`)).json()).toMatchObject({ status: 'REFUNDED', capturedAmount: 1000, refundedAmount: 1000 });
  });

  it('refuses to refund, capture or void a credit', async () => {
    const cr = (await a.post('/v1/credits', { token: await card(a), amount: 500, currency: 'USD' })).json();
    expect(cr.status).toBe('CREDITED');
    expectProblem(await a.post(`/v1/payments/${cr.id}/refund`, { amount: 100 }), 409, 'invalid_payment_state');
    expectProblem(await a.post(`/v1/payments/${cr.id}/capture`, { amount: 100 }), 409, 'invalid_payment_state');
    expectProblem(await a.post(`/v1/payments/${cr.id}/void`), 409, 'invalid_payment_state');
  });

  it('refuses to authenticate a payment that was never challenged', async () => {
    const p = await paid(a, { token: await card(a), capture: false });
    expectProblem(await a.post(`/v1/payments/${p.id}/authenticate`, { result: 'success' }), 409, 'invalid_payment_state');
    expectProblem(await a.post(`/v1/payments/${p.id}/authenticate`, { result: 'maybe' }), 400, 'validation_failed');
  });

  it('refuses a malformed list query', async () => {
    expectProblem(await a.get('/v1/payments?limit=0'), 400, 'validation_failed');
    expectProblem(await a.get('/v1/payments?limit=101'), 400, 'validation_failed');
    expectProblem(await a.get('/v1/payments?cursor=not-a-cursor'), 400, 'invalid_cursor');
    expectProblem(await a.get('/v1/payments?status=CAPTURED'), 400, 'validation_failed');
  });

  it('answers 404 payment_not_found for an unknown payment id', async () => {
    const id = 'pay_00000000000000000000000000';
    expectProblem(await a.get(`/v1/payments/${id}`), 404, 'payment_not_found');
    expectProblem(await a.post(`/v1/payments/${id}/capture`, {}), 404, 'payment_not_found');
    expectProblem(await a.post(`/v1/payments/${id}/refund`, {}), 404, 'payment_not_found');
    expectProblem(await a.post(`/v1/payments/${id}/void`), 404, 'payment_not_found');
    expectProblem(await a.post(`/v1/payments/${id}/authenticate`, { result: 'success' }), 404, 'payment_not_found');
  });
});

describe('isolation between merchants', () => {
  it("never lets merchant B read, capture, refund, void or authenticate A's payment", async () => {
    const token = await card(a);
    const authorized = await paid(a, { token, capture: false });
    const captured = await paid(a, { token });
    const challenged = await paid(a, { token: await card(a, { number: CHALLENGE_CARD }) });
    const before = await Promise.all([authorized, captured, challenged].map(async (p) => (await a.get(`/v1/payments/${p.id}`)).body));

    await writesNothing(async () => {
      for (const p of [authorized, captured, challenged]) {
        const got = expectProblem(await b.get(`/v1/payments/${p.id}`), 404, 'payment_not_found');
        expect(JSON.stringify(got)).not.toContain(token);
      }
      expectProblem(await b.post(`/v1/payments/${authorized.id}/capture`, { amount: 100 }), 404, 'payment_not_found');
      expectProblem(await b.post(`/v1/payments/${authorized.id}/void`), 404, 'payment_not_found');
      expectProblem(await b.post(`/v1/payments/${captured.id}/refund`, { amount: 100 }), 404, 'payment_not_found');
      expectProblem(await b.post(`/v1/payments/${challenged.id}/authenticate`, { result: 'success' }), 404, 'payment_not_found');
    });
    const after = await Promise.all([authorized, captured, challenged].map(async (p) => (await a.get(`/v1/payments/${p.id}`)).body));
    expect(after).toEqual(before);
  });

  it("never lets merchant B pay or pay out with A's token or customer", async () => {
    const cus = await createCustomer(a);
    const token = await card(a, { customer: cus.id });
    await writesNothing(async () => {
      expectProblem(await pay(b, { token }), 404, 'card_not_found');
      expectProblem(await b.post('/v1/credits', { token, amount: 100, currency: 'USD' }), 404, 'card_not_found');
      expectProblem(await pay(b, { customer: cus.id }), 404, 'customer_not_found');
    });
  });

  it("lists only the caller's own payments, whatever filter is given", async () => {
    const cus = await createCustomer(a);
    const token = await card(a, { customer: cus.id });
    await paid(a, { token });
    expect((await b.get(`/v1/payments?token=${token}`)).json().data).toEqual([]);
    expect((await b.get(`/v1/payments?customer=${cus.id}`)).json().data).toEqual([]);
    const own = await card(b, { number: MASTERCARD });
    const mine = await paid(b, { token: own });
    const all = (await b.get('/v1/payments?limit=100')).json().data;
    expect(all.map((p: { id: string }) => p.id)).toEqual([mine.id]);
  });
});

describe('scopes', () => {
  async function keyWith(scopes: string[]): Promise<Client> {
    const res = await t.app.inject({
      method: 'POST',
      url: `/v1/admin/merchants/${merchantA.id}/api-keys`,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      payload: { scopes },
    });
    expect(res.statusCode, res.body).toBe(201);
    return client(t, res.json().apiKey);
  }

  it('refuses every payment write to a key without the pay scope, and writes nothing', async () => {
    const noPay = await keyWith(['tokenize', 'read', 'write', 'reveal']);
    const token = await card(a);
    const authorized = await paid(a, { token, capture: false });
    const captured = await paid(a, { token });
    const challenged = await paid(a, { token: await card(a, { number: CHALLENGE_CARD }) });
    await writesNothing(async () => {
      expectProblem(await pay(noPay, { token }), 403, 'forbidden');
      expectProblem(await noPay.post('/v1/credits', { token, amount: 100, currency: 'USD' }), 403, 'forbidden');
      expectProblem(await noPay.post(`/v1/payments/${authorized.id}/capture`, { amount: 100 }), 403, 'forbidden');
      expectProblem(await noPay.post(`/v1/payments/${authorized.id}/void`), 403, 'forbidden');
      expectProblem(await noPay.post(`/v1/payments/${captured.id}/refund`, { amount: 100 }), 403, 'forbidden');
      expectProblem(await noPay.post(`/v1/payments/${challenged.id}/authenticate`, { result: 'success' }), 403, 'forbidden');
    });
    expect((await a.get(`/v1/payments/${authorized.id}`)).json()).toMatchObject({ status: 'AUTHORIZED', capturedAmount: 0 });
    expect((await a.get(`/v1/payments/${challenged.id}`)).json().status).toBe('PENDING_AUTHENTICATION');
  });

  it('lets a read-only key read payments but not pay', async () => {
    const readOnly = await keyWith(['read']);
    const token = await card(a);
    const p = await paid(a, { token });
    const got = await readOnly.get(`/v1/payments/${p.id}`);
    expect(got.statusCode).toBe(200);
    expect(got.json()).toMatchObject({ id: p.id, status: 'CAPTURED' });
    expect((await readOnly.get(`/v1/payments?token=${token}`)).json().data.map((x: { id: string }) => x.id)).toEqual([p.id]);
    expectProblem(await pay(readOnly, { token }), 403, 'forbidden');
  });

  it('lets a pay-only key pay but not read payments back', async () => {
    const payOnly = await keyWith(['pay']);
    const token = await card(a);
    const p = await paid(payOnly, { token });
    expect(p.status).toBe('CAPTURED');
    expectProblem(await payOnly.get(`/v1/payments/${p.id}`), 403, 'forbidden');
    expectProblem(await payOnly.get('/v1/payments'), 403, 'forbidden');
  });

  it('refuses payment calls with no or a wrong API key with 401', async () => {
    const anon = (url: string, authorization?: string) =>
      t.app.inject({ method: 'POST', url, headers: authorization ? { authorization } : {}, payload: { amount: 100, currency: 'USD' } });
    await writesNothing(async () => {
      expectProblem(await anon('/v1/payments'), 401, 'unauthorized');
      expectProblem(await anon('/v1/payments', 'Bearer tv_sk_notarealkey'), 401, 'unauthorized');
      expectProblem(await anon('/v1/credits', `Bearer ${ADMIN_TOKEN}`), 401, 'unauthorized');
    });
  });
});
