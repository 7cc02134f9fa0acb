/**
 * Native payments under races: requests fired together must never move more money than the bounds allow
 * (0 ≤ refunded ≤ captured ≤ authorized), never spend a single-use token twice, and never let two
 * conflicting operations both win. Run with DATABASE_URL set to exercise PostgreSQL, where requests
 * really run in parallel on separate connections.
 */
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, client, createMerchant, futureYear, makeTestApp, type TestApp, VISA } from '../../helpers/harness.ts';

const CHALLENGE_CARD = '4000000000003220';

let t: TestApp;
let c: Client;

beforeAll(async () => {
  t = await makeTestApp();
  c = client(t, (await createMerchant(t)).apiKey);
});
afterAll(() => t.close());

async function card(extra: Record<string, unknown> = {}): Promise<string> {
  const res = await c.post('/v1/cards', { number: VISA, expMonth: 12, expYear: futureYear(), ...extra });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().token;
}

async function paid(body: Record<string, unknown>) {
  const res = await c.post('/v1/payments', { amount: 1000, currency: 'USD', ...body });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

const byStatus = (responses: LightMyRequestResponse[]) => {
  const counts: Record<number, number> = {};
  for (const r of responses) counts[r.statusCode] = (counts[r.statusCode] ?? 0) + 1;
  return counts;
};

const paymentRowsOf = async (token: string) =>
  Number(
    (
      await t.vault.store.db
        .selectFrom('payments')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('card_id', '=', token)
        .executeTakeFirstOrThrow()
    ).n,
  );

function expectWithinBounds(p: { authorizedAmount: number; capturedAmount: number; refundedAmount: number }) {
  expect(p.refundedAmount).toBeGreaterThanOrEqual(0);
  expect(p.refundedAmount).toBeLessThanOrEqual(p.capturedAmount);
  expect(p.capturedAmount).toBeLessThanOrEqual(p.authorizedAmount);
}

describe('concurrent refunds', () => {
  it.each([
    [600, 600],
    [700, 400],
  ])('lets exactly one of two refunds (%i and %i) of a 1000 capture through', async (x, y) => {
    const token = await card();
    // Several payments at once, so a lucky interleaving on one of them cannot hide a lost update.
    const payments = await Promise.all(Array.from({ length: 4 }, () => paid({ token })));
    await Promise.all(
      payments.map(async (p) => {
        const [rx, ry] = await Promise.all([
          c.post(`/v1/payments/${p.id}/refund`, { amount: x }),
          c.post(`/v1/payments/${p.id}/refund`, { amount: y }),
        ]);
        expect(byStatus([rx, ry])).toEqual({ 200: 1, 409: 1 });
        const loser = rx.statusCode === 409 ? rx : ry;
        expect(loser.json().code).toBe('amount_exceeds_captured');
        const won = rx.statusCode === 200 ? x : y;
        const final = (await c.get(`/v1/payments/${p.id}`)).json();
        expect(final).toMatchObject({ capturedAmount: 1000, refundedAmount: won, status: 'PARTIALLY_REFUNDED' });
        expectWithinBounds(final);
        expect(final.history.filter((h: { type: string }) => h.type === 'refund')).toHaveLength(1);
      }),
    );
  });

  it('never refunds more than captured when many full and partial refunds race', async () => {
    const p = await paid({ token: await card(), amount: 1000 });
    const amounts = [1000, 300, 300, 300, 300, 100, 100, 1000, 250, 250];
    const results = await Promise.all(amounts.map((amount) => c.post(`/v1/payments/${p.id}/refund`, { amount })));
    const refunded = results.reduce((sum, r, i) => (r.statusCode === 200 ? sum + (amounts[i] as number) : sum), 0);
    for (const r of results) {
      expect([200, 409]).toContain(r.statusCode);
      if (r.statusCode === 200) expectWithinBounds(r.json());
    }
    const final = (await c.get(`/v1/payments/${p.id}`)).json();
    expect(final.refundedAmount).toBe(refunded);
    expectWithinBounds(final);
    expect(final.status).toBe(refunded === 1000 ? 'REFUNDED' : 'PARTIALLY_REFUNDED');
  });
});

describe('concurrent captures', () => {
  it('keeps N concurrent partial captures within the authorization; the successes add up to capturedAmount', async () => {
    const p = await paid({ token: await card(), amount: 1000, capture: false });
    const results = await Promise.all(Array.from({ length: 10 }, () => c.post(`/v1/payments/${p.id}/capture`, { amount: 150 })));
    expect(byStatus(results)).toEqual({ 200: 6, 409: 4 });
    for (const r of results) if (r.statusCode === 409) expect(r.json().code).toBe('amount_exceeds_authorized');
    const final = (await c.get(`/v1/payments/${p.id}`)).json();
    expect(final).toMatchObject({ status: 'CAPTURED', authorizedAmount: 1000, capturedAmount: 900 });
    const captures = final.history.filter((h: { type: string }) => h.type === 'capture');
    expect(captures).toHaveLength(6);
    expect(captures.reduce((s: number, h: { amount: number }) => s + h.amount, 0)).toBe(900);
  });

  it('keeps uneven concurrent captures within the authorization', async () => {
    const p = await paid({ token: await card(), amount: 1000, capture: false });
    const amounts = [400, 350, 300, 250, 200, 150, 100, 999, 1, 50];
    const results = await Promise.all(amounts.map((amount) => c.post(`/v1/payments/${p.id}/capture`, { amount })));
    const captured = results.reduce((sum, r, i) => (r.statusCode === 200 ? sum + (amounts[i] as number) : sum), 0);
    expect(results.every((r) => r.statusCode === 200 || r.statusCode === 409)).toBe(true);
    expect(results.some((r) => r.statusCode === 200)).toBe(true);
    const final = (await c.get(`/v1/payments/${p.id}`)).json();
    expect(final.capturedAmount).toBe(captured);
    expect(captured).toBeLessThanOrEqual(1000);
    expectWithinBounds(final);
  });

  it('never lets captures and refunds racing on one payment break the bounds', async () => {
    const p = await paid({ token: await card(), amount: 1000, capture: false });
    await c.post(`/v1/payments/${p.id}/capture`, { amount: 400 });
    const ops = [
      ...Array.from({ length: 6 }, () => ({ op: 'capture', amount: 150 })),
      ...Array.from({ length: 6 }, () => ({ op: 'refund', amount: 150 })),
    ];
    const results = await Promise.all(ops.map(({ op, amount }) => c.post(`/v1/payments/${p.id}/${op}`, { amount })));
    let captured = 400;
    let refunded = 0;
    results.forEach((r, i) => {
      expect([200, 409]).toContain(r.statusCode);
      if (r.statusCode !== 200) return;
      expectWithinBounds(r.json());
      if (ops[i]?.op === 'capture') captured += 150;
      else refunded += 150;
    });
    const final = (await c.get(`/v1/payments/${p.id}`)).json();
    expect(final).toMatchObject({ capturedAmount: captured, refundedAmount: refunded });
    expectWithinBounds(final);
  });
});

describe('conflicting operations', () => {
  it('lets either the capture or the void of a fresh authorization win, never both', async () => {
    const token = await card();
    for (let i = 0; i < 4; i++) {
      const p = await paid({ token, capture: false });
      const [cap, vo] = await Promise.all([c.post(`/v1/payments/${p.id}/capture`, { amount: 500 }), c.post(`/v1/payments/${p.id}/void`)]);
      expect(byStatus([cap, vo])).toEqual({ 200: 1, 409: 1 });
      const final = (await c.get(`/v1/payments/${p.id}`)).json();
      if (vo.statusCode === 200) expect(final).toMatchObject({ status: 'VOIDED', capturedAmount: 0 });
      else expect(final).toMatchObject({ status: 'CAPTURED', capturedAmount: 500 });
    }
  });

  it('completes a 3DS challenge once when a success and a failure race', async () => {
    const token = await card({ number: CHALLENGE_CARD });
    for (let i = 0; i < 3; i++) {
      const p = await paid({ token });
      const [ok, ko] = await Promise.all([
        c.post(`/v1/payments/${p.id}/authenticate`, { result: 'success' }),
        c.post(`/v1/payments/${p.id}/authenticate`, { result: 'failure' }),
      ]);
      expect(byStatus([ok, ko])).toEqual({ 200: 1, 409: 1 });
      const final = (await c.get(`/v1/payments/${p.id}`)).json();
      expect(final.status).toBe(ok.statusCode === 200 ? 'CAPTURED' : 'FAILED');
      expect(final.history.filter((h: { type: string }) => h.type === 'authenticate')).toHaveLength(1);
    }
  });
});

describe('single-use tokens under concurrency', () => {
  it.each([2, 5])('approves exactly one of %i concurrent payments with a SINGLE token', async (n) => {
    const token = await card({ usage: 'SINGLE' });
    const results = await Promise.all(Array.from({ length: n }, () => c.post('/v1/payments', { token, amount: 1000, currency: 'USD' })));
    expect(byStatus(results)).toEqual({ 201: 1, 422: n - 1 });
    const approved = results.find((r) => r.statusCode === 201)?.json();
    expect(approved).toMatchObject({ status: 'CAPTURED', capturedAmount: 1000 });
    for (const r of results) if (r.statusCode === 422) expect(r.json().code).toBe('token_consumed');
    expect(await paymentRowsOf(token)).toBe(1);
    expect((await c.get(`/v1/cards/${token}`)).json().status).toBe('CONSUMED');
  });

  it('spends a SINGLE token once even when declines and approvals race', async () => {
    const token = await card({ usage: 'SINGLE' });
    // Two declining amounts and three approving ones: at most one approval, and every decline gives the token back.
    const amounts = [1051, 1000, 1052, 2000, 3000];
    const results = await Promise.all(amounts.map((amount) => c.post('/v1/payments', { token, amount, currency: 'USD' })));
    const approved = results.filter((r) => r.statusCode === 201 && r.json().status === 'CAPTURED');
    // A decline holding the token can make every approving request lose, so none is also correct.
    expect(approved.length).toBeLessThanOrEqual(1);
    for (const r of results) {
      if (r.statusCode === 422) expect(r.json().code).toBe('token_consumed');
      else {
        expect(r.statusCode).toBe(201);
        expect(['CAPTURED', 'DECLINED']).toContain(r.json().status);
      }
    }
    expect((await c.get(`/v1/cards/${token}`)).json().status).toBe(approved.length === 1 ? 'CONSUMED' : 'ACTIVE');
    expect(await paymentRowsOf(token)).toBe(results.filter((r) => r.statusCode === 201).length);
  });
});

describe('idempotent retries under concurrency', () => {
  it('creates one payment for the same Idempotency-Key sent several times at once', async () => {
    const token = await card();
    const headers = { 'idempotency-key': `race-${token}` };
    const results = await Promise.all(
      Array.from({ length: 5 }, () => c.post('/v1/payments', { token, amount: 4321, currency: 'USD' }, headers)),
    );
    const created = results.filter((r) => r.statusCode === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(new Set(created.map((r) => r.json().id)).size).toBe(1);
    for (const r of results) if (r.statusCode !== 201) expect(r.json().code).toBe('idempotency_in_progress');
    expect(await paymentRowsOf(token)).toBe(1);
    const replay = await c.post('/v1/payments', { token, amount: 4321, currency: 'USD' }, headers);
    expect(replay.json().id).toBe(created[0]?.json().id);
  });
});
