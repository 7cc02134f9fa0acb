/**
 * Native payments, happy paths: every row of the simulator's test-card table through the API, credits,
 * partial capture and refund with history, currencies, paying by customer, idempotent retries, and the
 * audit events and metrics an operator watches. No response ever carries a card number.
 */
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPROVING_CARDS, TEST_CARDS } from '../../../src/payments/simulator.ts';
import {
  AMEX,
  type Client,
  client,
  createCustomer,
  createMerchant,
  futureYear,
  MASTERCARD,
  makeTestApp,
  type TestApp,
  VISA,
} from '../../helpers/harness.ts';

const CHALLENGE_CARD = '4000000000003220';
const TIMEOUT_CARD = '4000000000000119';
const DECLINE_CARDS = Object.entries(TEST_CARDS).flatMap(([pan, b]) => (b.kind === 'decline' ? [[pan, b.code] as const] : []));
const ALL_PANS = [...APPROVING_CARDS, ...Object.keys(TEST_CARDS), VISA, MASTERCARD, AMEX];

let t: TestApp;
let c: Client;
/** Every response body this file saw, for the no-PAN check at the end. */
const bodies: string[] = [];

beforeAll(async () => {
  // A short processor bound, so the timeout card answers 503 quickly.
  t = await makeTestApp({ env: { TOKENVAULT_PROCESSOR_TIMEOUT_MS: '200' } });
  const raw = client(t, (await createMerchant(t)).apiKey);
  const seen =
    <A extends unknown[]>(f: (...args: A) => Promise<LightMyRequestResponse>) =>
    async (...args: A) => {
      const res = await f(...args);
      bodies.push(res.body);
      return res;
    };
  c = { get: seen(raw.get), post: seen(raw.post), patch: seen(raw.patch), delete: seen(raw.delete) };
});
afterAll(() => t.close());

async function card(number: string, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await c.post('/v1/cards', { number, expMonth: 12, expYear: futureYear(), ...extra });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().token;
}

async function pay(body: Record<string, unknown>, headers?: Record<string, string>) {
  return c.post('/v1/payments', { amount: 1000, currency: 'USD', ...body }, headers);
}

async function paid(body: Record<string, unknown>) {
  const res = await pay(body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

const paymentRows = async (where: { card?: string } = {}) => {
  let q = t.vault.store.db.selectFrom('payments').select((eb) => eb.fn.countAll().as('n'));
  if (where.card) q = q.where('card_id', '=', where.card);
  return Number((await q.executeTakeFirstOrThrow()).n);
};

/** The value of one payment-outcome counter, 0 when it has not been created yet. */
async function outcomeCount(operation: string, outcome: string, reason = ''): Promise<number> {
  const text = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`tokenvault_payment_outcomes_total{operation="${operation}",outcome="${outcome}",reason="${reason}"}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('test-card table through the API', () => {
  it.each(APPROVING_CARDS)('%s is authorized and captured by default', async (pan) => {
    const token = await card(pan);
    const p = await paid({ token, amount: 2500, reference: 'order-1', metadata: { cart: 'c1' } });
    expect(p).toMatchObject({
      object: 'payment',
      token,
      amount: 2500,
      currency: 'USD',
      status: 'CAPTURED',
      authorizedAmount: 2500,
      capturedAmount: 2500,
      refundedAmount: 0,
      declineCode: null,
      processor: 'simulator',
      reference: 'order-1',
      metadata: { cart: 'c1' },
      nextAction: null,
    });
    expect(p.id).toMatch(/^pay_/);
    expect(p.authCode).toMatch(/^\d{6}$/);
  });

  it.each(APPROVING_CARDS)('%s is only authorized with capture:false', async (pan) => {
    const p = await paid({ token: await card(pan), amount: 2500, capture: false });
    expect(p).toMatchObject({ status: 'AUTHORIZED', authorizedAmount: 2500, capturedAmount: 0, refundedAmount: 0, declineCode: null });
    expect(p.authCode).toMatch(/^\d{6}$/);
  });

  it.each(DECLINE_CARDS)('%s is declined (201) with %s and no amounts', async (pan, code) => {
    const token = await card(pan);
    const res = await pay({ token, amount: 2500 });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      status: 'DECLINED',
      declineCode: code,
      amount: 2500,
      authorizedAmount: 0,
      capturedAmount: 0,
      refundedAmount: 0,
      authCode: null,
    });
    // A declined payment is recorded and can be read back.
    const back = await c.get(`/v1/payments/${res.json().id}`);
    expect(back.json()).toMatchObject({ status: 'DECLINED', declineCode: code });
  });

  it('declines amounts ending in 51 and 52 on an approving card, and approves its neighbours', async () => {
    const token = await card(MASTERCARD);
    expect(await paid({ token, amount: 1051 })).toMatchObject({
      status: 'DECLINED',
      declineCode: 'insufficient_funds',
      authorizedAmount: 0,
    });
    expect(await paid({ token, amount: 1052, capture: false })).toMatchObject({
      status: 'DECLINED',
      declineCode: 'do_not_honor',
      authorizedAmount: 0,
    });
    expect(await paid({ token, amount: 1053 })).toMatchObject({ status: 'CAPTURED', capturedAmount: 1053 });
    expect(await paid({ token, amount: 1050 })).toMatchObject({ status: 'CAPTURED', capturedAmount: 1050 });
  });

  it('declines a CVV of 000 given at tokenize as invalid_cvv and wipes the CVV once used', async () => {
    const token = await card(VISA, { cvv: '000' });
    const secret = () => t.vault.store.db.selectFrom('card_secrets').selectAll().where('card_id', '=', token).executeTakeFirst();
    expect(await secret()).toBeDefined();
    expect(await paid({ token })).toMatchObject({ status: 'DECLINED', declineCode: 'invalid_cvv', capturedAmount: 0 });
    expect(await secret()).toBeUndefined();
    // Without a CVV the next payment is approved: the zero CVV was not kept.
    expect(await paid({ token })).toMatchObject({ status: 'CAPTURED' });
  });

  it('approves with a real CVV and wipes it too', async () => {
    const token = await card(AMEX, { cvv: '1234' });
    expect(await paid({ token })).toMatchObject({ status: 'CAPTURED' });
    expect(await t.vault.store.db.selectFrom('card_secrets').selectAll().where('card_id', '=', token).executeTakeFirst()).toBeUndefined();
  });

  it('challenges the 3DS card, and a successful challenge captures', async () => {
    const token = await card(CHALLENGE_CARD);
    const p = await paid({ token, amount: 4200 });
    expect(p).toMatchObject({
      status: 'PENDING_AUTHENTICATION',
      nextAction: { type: '3ds_challenge', completeWith: `/v1/payments/${p.id}/authenticate` },
      authorizedAmount: 0,
      capturedAmount: 0,
      authCode: null,
      declineCode: null,
    });
    const done = await c.post(`/v1/payments/${p.id}/authenticate`, { result: 'success' });
    expect(done.statusCode, done.body).toBe(200);
    expect(done.json()).toMatchObject({ status: 'CAPTURED', authorizedAmount: 4200, capturedAmount: 4200, nextAction: null });
    expect(done.json().authCode).toMatch(/^\d{6}$/);
    const again = await c.post(`/v1/payments/${p.id}/authenticate`, { result: 'success' });
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('invalid_payment_state');
    const history = (await c.get(`/v1/payments/${p.id}`)).json().history;
    expect(history.map((h: { type: string; statusAfter: string }) => [h.type, h.statusAfter])).toEqual([
      ['authorize', 'PENDING_AUTHENTICATION'],
      ['authenticate', 'CAPTURED'],
    ]);
  });

  it('leaves a 3DS payment with capture:false AUTHORIZED after the challenge, ready to capture', async () => {
    const p = await paid({ token: await card(CHALLENGE_CARD), amount: 4200, capture: false });
    expect(p.status).toBe('PENDING_AUTHENTICATION');
    const done = (await c.post(`/v1/payments/${p.id}/authenticate`, { result: 'success' })).json();
    expect(done).toMatchObject({ status: 'AUTHORIZED', authorizedAmount: 4200, capturedAmount: 0 });
    expect((await c.post(`/v1/payments/${p.id}/capture`, {})).json()).toMatchObject({ status: 'CAPTURED', capturedAmount: 4200 });
  });

  it('fails a 3DS payment whose challenge fails, and refuses a second completion', async () => {
    const p = await paid({ token: await card(CHALLENGE_CARD) });
    const failed = await c.post(`/v1/payments/${p.id}/authenticate`, { result: 'failure' });
    expect(failed.statusCode).toBe(200);
    expect(failed.json()).toMatchObject({
      status: 'FAILED',
      declineCode: 'authentication_failed',
      authorizedAmount: 0,
      capturedAmount: 0,
      authCode: null,
      nextAction: null,
    });
    for (const result of ['success', 'failure']) {
      const again = await c.post(`/v1/payments/${p.id}/authenticate`, { result });
      expect(again.statusCode).toBe(409);
      expect(again.json().code).toBe('invalid_payment_state');
    }
    expect((await c.get(`/v1/payments/${p.id}`)).json()).toMatchObject({ status: 'FAILED', declineCode: 'authentication_failed' });
    const capture = await c.post(`/v1/payments/${p.id}/capture`, {});
    expect(capture.statusCode).toBe(409);
  });

  it('answers the timeout card with 503 processor_unavailable and writes no payment', async () => {
    const token = await card(TIMEOUT_CARD);
    const before = await paymentRows();
    const res = await pay({ token });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ code: 'processor_unavailable', status: 503 });
    expect(await paymentRows()).toBe(before);
    expect((await c.get(`/v1/payments?token=${token}`)).json().data).toEqual([]);
  });

  it('gives a SINGLE timeout card back: it stays ACTIVE after the 503', async () => {
    const token = await card(TIMEOUT_CARD, { usage: 'SINGLE' });
    expect((await pay({ token })).statusCode).toBe(503);
    expect((await c.get(`/v1/cards/${token}`)).json()).toMatchObject({ status: 'ACTIVE', usage: 'SINGLE' });
    // …and a retry meets the processor again rather than token_consumed.
    expect((await pay({ token })).json().code).toBe('processor_unavailable');
    expect(await paymentRows({ card: token })).toBe(0);
  });
});

describe('credits (payouts)', () => {
  it('credits an approving card', async () => {
    const token = await card(VISA);
    const res = await c.post('/v1/credits', { token, amount: 3000, currency: 'EUR', reference: 'payout-1' });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({
      object: 'credit',
      status: 'CREDITED',
      amount: 3000,
      currency: 'EUR',
      reference: 'payout-1',
      declineCode: null,
    });
    expect(res.json().id).toMatch(/^crd_/);
    const back = await c.get(`/v1/payments/${res.json().id}`);
    expect(back.json()).toMatchObject({ object: 'credit', status: 'CREDITED' });
  });

  it.each([
    ['4000000000009987', 'lost_card'],
    ['4000000000009979', 'stolen_card'],
    ['4000000000000069', 'expired_card'],
  ])('declines a payout to %s with %s', async (pan, code) => {
    const res = await c.post('/v1/credits', { token: await card(pan), amount: 3000, currency: 'EUR' });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ object: 'credit', status: 'DECLINED', declineCode: code, capturedAmount: 0, authorizedAmount: 0 });
  });

  it('answers a payout to the timeout card with 503 and records nothing', async () => {
    const token = await card(TIMEOUT_CARD);
    const before = await paymentRows();
    const res = await c.post('/v1/credits', { token, amount: 3000, currency: 'EUR' });
    expect(res.statusCode).toBe(503);
    expect(res.json().code).toBe('processor_unavailable');
    expect(await paymentRows()).toBe(before);
  });

  it('pays out to a customer’s default card', async () => {
    const cus = await createCustomer(c);
    const token = await card(MASTERCARD, { customer: cus.id });
    const res = await c.post('/v1/credits', { customer: cus.id, amount: 700, currency: 'GBP' });
    expect(res.json()).toMatchObject({ status: 'CREDITED', token, customer: cus.id });
  });
});

describe('partial capture and refund', () => {
  it('moves amounts within their bounds and records every step in order', async () => {
    const token = await card(VISA);
    const p = await paid({ token, amount: 1000, capture: false });
    expect(p.status).toBe('AUTHORIZED');
    const id = p.id;

    const cap1 = await c.post(`/v1/payments/${id}/capture`, { amount: 600 });
    expect(cap1.statusCode, cap1.body).toBe(200);
    expect(cap1.json()).toMatchObject({ status: 'CAPTURED', authorizedAmount: 1000, capturedAmount: 600, refundedAmount: 0 });

    const over = await c.post(`/v1/payments/${id}/capture`, { amount: 500 });
    expect(over.statusCode).toBe(409);
    expect(over.json().code).toBe('amount_exceeds_authorized');

    const cap2 = await c.post(`/v1/payments/${id}/capture`, { amount: 400 });
    expect(cap2.json()).toMatchObject({ status: 'CAPTURED', capturedAmount: 1000 });

    const ref1 = await c.post(`/v1/payments/${id}/refund`, { amount: 700 });
    expect(ref1.statusCode, ref1.body).toBe(200);
    expect(ref1.json()).toMatchObject({ status: 'PARTIALLY_REFUNDED', capturedAmount: 1000, refundedAmount: 700 });

    const refOver = await c.post(`/v1/payments/${id}/refund`, { amount: 400 });
    expect(refOver.statusCode).toBe(409);
    expect(refOver.json().code).toBe('amount_exceeds_captured');

    const ref2 = await c.post(`/v1/payments/${id}/refund`, { amount: 300 });
    expect(ref2.json()).toMatchObject({ status: 'REFUNDED', capturedAmount: 1000, refundedAmount: 1000 });

    const voided = await c.post(`/v1/payments/${id}/void`);
    expect(voided.statusCode).toBe(409);
    expect(voided.json().code).toBe('invalid_payment_state');

    const got = (await c.get(`/v1/payments/${id}`)).json();
    expect(got).toMatchObject({ status: 'REFUNDED', authorizedAmount: 1000, capturedAmount: 1000, refundedAmount: 1000 });
    // Refused requests leave no trace in the history; each accepted one does, in order.
    expect(
      got.history.map((h: { type: string; amount: number; outcome: string; statusAfter: string }) => [
        h.type,
        h.amount,
        h.outcome,
        h.statusAfter,
      ]),
    ).toEqual([
      ['authorize', 1000, 'approved', 'AUTHORIZED'],
      ['capture', 600, 'approved', 'CAPTURED'],
      ['capture', 400, 'approved', 'CAPTURED'],
      ['refund', 700, 'approved', 'PARTIALLY_REFUNDED'],
      ['refund', 300, 'approved', 'REFUNDED'],
    ]);
    expect(got.version).toBeGreaterThan(p.version);
  });

  it('voids a fresh authorization, after which it cannot be captured', async () => {
    const p = await paid({ token: await card(VISA), amount: 1000, capture: false });
    const v = await c.post(`/v1/payments/${p.id}/void`);
    expect(v.statusCode, v.body).toBe(200);
    expect(v.json()).toMatchObject({ status: 'VOIDED', capturedAmount: 0 });
    const cap = await c.post(`/v1/payments/${p.id}/capture`, { amount: 100 });
    expect(cap.statusCode).toBe(409);
    expect(cap.json().code).toBe('invalid_payment_state');
    const again = await c.post(`/v1/payments/${p.id}/void`);
    expect(again.statusCode).toBe(409);
    expect((await c.get(`/v1/payments/${p.id}`)).json().history.map((h: { type: string }) => h.type)).toEqual(['authorize', 'void']);
  });

  it('captures and refunds the whole remainder when no amount is given', async () => {
    const p = await paid({ token: await card(VISA), amount: 1000, capture: false });
    await c.post(`/v1/payments/${p.id}/capture`, { amount: 250 });
    expect((await c.post(`/v1/payments/${p.id}/capture`, {})).json()).toMatchObject({ capturedAmount: 1000 });
    await c.post(`/v1/payments/${p.id}/refund`, { amount: 100 });
    expect((await c.post(`/v1/payments/${p.id}/refund`, {})).json()).toMatchObject({ status: 'REFUNDED', refundedAmount: 1000 });
  });

  it('refunds a payment captured at authorization', async () => {
    const p = await paid({ token: await card(VISA), amount: 1999 });
    expect((await c.post(`/v1/payments/${p.id}/refund`, { amount: 999 })).json()).toMatchObject({
      status: 'PARTIALLY_REFUNDED',
      capturedAmount: 1999,
      refundedAmount: 999,
    });
  });
});

describe('currencies', () => {
  it.each([
    ['JPY', 1000],
    ['JPY', 1],
    ['VND', 250_000_000],
    ['KWD', 1500],
    ['BHD', 1],
    ['EUR', 1234],
  ])('takes %s %i as a whole number of minor units and returns it unchanged', async (currency, amount) => {
    const p = await paid({ token: await card(VISA), amount, currency });
    expect(p).toMatchObject({ status: 'CAPTURED', amount, currency, capturedAmount: amount });
    expect((await c.get(`/v1/payments/${p.id}`)).json()).toMatchObject({ amount, currency });
  });

  it('keeps zero-decimal amounts beyond 32 bits exact (VND)', async () => {
    const amount = 90_000_000_000;
    const p = await paid({ token: await card(VISA), amount, currency: 'VND', capture: false });
    const cap = (await c.post(`/v1/payments/${p.id}/capture`, { amount: amount - 1 })).json();
    expect(cap).toMatchObject({ authorizedAmount: amount, capturedAmount: amount - 1 });
  });
});

describe('paying by customer, and listing', () => {
  it("pays with the customer's default card", async () => {
    const cus = await createCustomer(c);
    const first = await card(VISA, { customer: cus.id });
    const second = await card(MASTERCARD, { customer: cus.id });
    expect((await paid({ customer: cus.id })).token).toBe(first);
    const res = await c.patch(`/v1/cards/${second}`, { default: true });
    expect(res.statusCode, res.body).toBe(200);
    const p = await paid({ customer: cus.id, amount: 777 });
    expect(p).toMatchObject({ token: second, customer: cus.id, status: 'CAPTURED', amount: 777 });
  });

  it('lists payments by token and by customer, oldest first, with a cursor', async () => {
    const cus = await createCustomer(c);
    const token = await card(VISA, { customer: cus.id });
    const other = await card(VISA);
    const made: string[] = [];
    for (let i = 0; i < 5; i++) made.push((await paid({ token, amount: 100 + i })).id);
    await paid({ token: other });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await c.get(`/v1/payments?token=${token}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().data.length).toBeLessThanOrEqual(2);
      seen.push(...res.json().data.map((p: { id: string }) => p.id));
      cursor = res.json().nextCursor;
    } while (cursor);
    expect(seen).toEqual(made);
    const byCustomer = (await c.get(`/v1/payments?customer=${cus.id}&limit=100`)).json();
    expect(byCustomer.data.map((p: { id: string }) => p.id)).toEqual(made);
    // The list shows amounts and status, but history only on the single-payment read.
    expect(byCustomer.data[0].history).toBeUndefined();
  });
});

describe('Idempotency-Key on POST /v1/payments', () => {
  it('replays the same payment for the same key and body, and writes one row', async () => {
    const token = await card(VISA);
    const key = { 'idempotency-key': `pay-${token}` };
    const first = await pay({ token, amount: 1234 }, key);
    expect(first.statusCode).toBe(201);
    const second = await pay({ token, amount: 1234 }, key);
    expect(second.statusCode).toBe(201);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.json().id).toBe(first.json().id);
    expect(await paymentRows({ card: token })).toBe(1);

    const different = await pay({ token, amount: 1235 }, key);
    expect(different.statusCode).toBe(409);
    expect(different.json().code).toBe('idempotency_key_reused');
    expect(await paymentRows({ card: token })).toBe(1);
  });

  it('replays a decline as a decline, without asking the processor again', async () => {
    const token = await card(VISA);
    const key = { 'idempotency-key': `decl-${token}` };
    const first = await pay({ token, amount: 1051 }, key);
    const second = await pay({ token, amount: 1051 }, key);
    expect(second.json()).toMatchObject({ id: first.json().id, status: 'DECLINED', declineCode: 'insufficient_funds' });
    expect(await paymentRows({ card: token })).toBe(1);
  });

  it('does not keep a 503: a retry with the same key reaches the processor again', async () => {
    const token = await card(TIMEOUT_CARD);
    const key = { 'idempotency-key': `timeout-${token}` };
    expect((await pay({ token }, key)).statusCode).toBe(503);
    const retry = await pay({ token }, key);
    expect(retry.statusCode).toBe(503);
    expect(retry.json().code).toBe('processor_unavailable');
  });
});

describe('audit events and metrics', () => {
  const auditOf = async (action: string, target: string) =>
    (await c.get(`/v1/audit-events?action=${action}&token=${target}`)).json().data as {
      action: string;
      outcome: string;
      target: string;
      detail: Record<string, unknown>;
    }[];

  it('audits authorize, capture and refund with their outcome', async () => {
    const token = await card(VISA);
    const p = await paid({ token, amount: 2000, capture: false, currency: 'EUR' });
    await c.post(`/v1/payments/${p.id}/capture`, { amount: 1500 });
    await c.post(`/v1/payments/${p.id}/refund`, { amount: 500 });
    await c.post(`/v1/payments/${p.id}/refund`, { amount: 5000 });

    expect(await auditOf('payment.authorize', p.id)).toEqual([
      expect.objectContaining({
        outcome: 'success',
        detail: expect.objectContaining({ token, amount: 2000, currency: 'EUR', result: 'approved' }),
      }),
    ]);
    expect(await auditOf('payment.capture', p.id)).toEqual([
      expect.objectContaining({ outcome: 'success', detail: expect.objectContaining({ amount: 1500 }) }),
    ]);
    expect(await auditOf('payment.refund', p.id)).toEqual([
      expect.objectContaining({ outcome: 'success', detail: expect.objectContaining({ amount: 500 }) }),
    ]);

    const declined = await paid({ token, amount: 2051 });
    expect(await auditOf('payment.authorize', declined.id)).toEqual([
      expect.objectContaining({
        outcome: 'failure',
        detail: expect.objectContaining({ result: 'declined', decline: 'insufficient_funds' }),
      }),
    ]);
  });

  it('audits a processor timeout as a failed authorization of the card, with the reason', async () => {
    const token = await card(TIMEOUT_CARD);
    await pay({ token });
    expect(await auditOf('payment.authorize', token)).toEqual([
      expect.objectContaining({ outcome: 'failure', detail: expect.objectContaining({ reason: 'processor_unavailable' }) }),
    ]);
  });

  it('counts outcomes by operation, outcome and reason', async () => {
    const token = await card(VISA);
    const before = {
      approved: await outcomeCount('authorize', 'approved'),
      funds: await outcomeCount('authorize', 'declined', 'insufficient_funds'),
      honor: await outcomeCount('authorize', 'declined', 'do_not_honor'),
      challenge: await outcomeCount('authorize', 'challenge'),
      timeout: await outcomeCount('authorize', 'error', 'processor_unavailable'),
      capture: await outcomeCount('capture', 'approved'),
      refund: await outcomeCount('refund', 'approved'),
      credit: await outcomeCount('credit', 'approved'),
      auth: await outcomeCount('authenticate', 'declined', 'authentication_failed'),
    };
    const p = await paid({ token, capture: false });
    await paid({ token, amount: 1051 });
    await paid({ token, amount: 3051 });
    await paid({ token, amount: 1052 });
    await c.post(`/v1/payments/${p.id}/capture`, { amount: 500 });
    await c.post(`/v1/payments/${p.id}/refund`, { amount: 100 });
    await c.post('/v1/credits', { token, amount: 100, currency: 'USD' });
    const challenged = await paid({ token: await card(CHALLENGE_CARD) });
    await c.post(`/v1/payments/${challenged.id}/authenticate`, { result: 'failure' });
    await pay({ token: await card(TIMEOUT_CARD) });

    expect(await outcomeCount('authorize', 'approved')).toBe(before.approved + 1);
    expect(await outcomeCount('authorize', 'declined', 'insufficient_funds')).toBe(before.funds + 2);
    expect(await outcomeCount('authorize', 'declined', 'do_not_honor')).toBe(before.honor + 1);
    expect(await outcomeCount('authorize', 'challenge')).toBe(before.challenge + 1);
    expect(await outcomeCount('authorize', 'error', 'processor_unavailable')).toBe(before.timeout + 1);
    expect(await outcomeCount('capture', 'approved')).toBe(before.capture + 1);
    expect(await outcomeCount('refund', 'approved')).toBe(before.refund + 1);
    expect(await outcomeCount('credit', 'approved')).toBe(before.credit + 1);
    expect(await outcomeCount('authenticate', 'declined', 'authentication_failed')).toBe(before.auth + 1);
  });
});

describe('card data', () => {
  it('never returned a card number in any response of this file', async () => {
    // Runs last: every body the tests above received, plus a list of everything this merchant paid.
    bodies.push((await c.get('/v1/payments?limit=100')).body);
    expect(bodies.length).toBeGreaterThan(100);
    for (const body of bodies) for (const pan of ALL_PANS) expect(body).not.toContain(pan);
  });
});
