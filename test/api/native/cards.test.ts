import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
  tokenize,
  VISA,
} from '../../helpers/harness.ts';

let t: TestApp;
let c: Client;

beforeAll(async () => {
  t = await makeTestApp();
  c = client(t, (await createMerchant(t)).apiKey);
});
afterAll(() => t.close());

describe('native cards: happy path', () => {
  it('tokenizes a card and returns only masked data with brand, bin and last4', async () => {
    const res = await c.post('/v1/cards', { number: VISA, expMonth: 12, expYear: futureYear(), holderName: 'Ada Lovelace' });
    expect(res.statusCode).toBe(201);
    const card = res.json();
    expect(card.token).toMatch(/^tok_[A-Za-z0-9_-]{24}$/);
    expect(card).toMatchObject({
      brand: 'visa',
      bin: '411111',
      last4: '1111',
      maskedNumber: '411111******1111',
      status: 'ACTIVE',
      usage: 'MULTIPLE',
    });
    expect(card.instrumentIdentifier.new).toBe(true);
    expect(res.body).not.toContain(VISA);
    expect(res.headers.etag).toBe('"1"');
  });

  it('maps the same card number to one instrument identifier and says it was not new', async () => {
    const a = await tokenize(c, { number: MASTERCARD });
    const b = await tokenize(c, { number: MASTERCARD, expMonth: 1 });
    expect(a.instrumentIdentifier.new).toBe(true);
    expect(b.instrumentIdentifier).toEqual({ id: a.instrumentIdentifier.id, new: false });
    expect(b.token).not.toBe(a.token);
  });

  it('detects brands from BIN ranges', async () => {
    expect((await tokenize(c, { number: AMEX })).brand).toBe('american express');
    expect((await tokenize(c, { number: '2223003122003222' })).brand).toBe('mastercard');
    expect((await tokenize(c, { number: '3530111333300000' })).brand).toBe('jcb');
  });

  it('retrieves a card masked with its ETag', async () => {
    const card = await tokenize(c);
    const res = await c.get(`/v1/cards/${card.token}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ token: card.token, last4: '1111', maskedNumber: '411111******1111' });
    expect(res.json().instrumentIdentifier.new).toBeUndefined();
    expect(res.headers.etag).toBe('"1"');
  });

  it("lists a customer's cards, first card becoming the default, with cursor pagination", async () => {
    const cus = await createCustomer(c, { customerId: 'list-owner' });
    const made = [];
    for (let i = 0; i < 5; i++) made.push((await tokenize(c, { customer: cus.id })).token);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await c.get(`/v1/customers/${cus.id}/cards?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.data.length).toBeLessThanOrEqual(2);
      seen.push(...body.data.map((x: { token: string }) => x.token));
      cursor = body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(made);
    const first = await c.get(`/v1/cards/${made[0]}`);
    expect(first.json().isDefault).toBe(true);
    expect((await c.get(`/v1/customers/${cus.id}`)).json().defaultCard).toBe(made[0]);
    const viaQuery = await c.get(`/v1/cards?customer=${cus.id}&limit=100`);
    expect(viaQuery.json().data.map((x: { token: string }) => x.token)).toEqual(made);
  });

  it('updates expiry, holder name, billing address and default with If-Match', async () => {
    const cus = await createCustomer(c);
    const first = await tokenize(c, { customer: cus.id });
    const second = await tokenize(c, { customer: cus.id });
    const res = await c.patch(
      `/v1/cards/${second.token}`,
      {
        expMonth: 6,
        expYear: futureYear() + 1,
        holderName: 'A L',
        billingAddress: { line1: '1 Main St', city: 'London', country: 'GB' },
        default: true,
      },
      { 'if-match': '"1"' },
    );
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ expMonth: 6, expYear: futureYear() + 1, holderName: 'A L', isDefault: true, version: 2 });
    expect(res.json().billingAddress).toEqual({ line1: '1 Main St', city: 'London', country: 'GB' });
    expect((await c.get(`/v1/cards/${first.token}`)).json().isDefault).toBe(false);
    const stale = await c.patch(`/v1/cards/${second.token}`, { holderName: 'X' }, { 'if-match': '"1"' });
    expect(stale.statusCode).toBe(412);
    expect(stale.json().code).toBe('version_mismatch');
    expect((await c.get(`/v1/cards/${second.token}`)).json().holderName).toBe('A L');
  });

  it('suspends, reactivates and deletes; deleted is final and leaves the list', async () => {
    const cus = await createCustomer(c);
    const card = await tokenize(c, { customer: cus.id });
    const s = await c.post(`/v1/cards/${card.token}/status`, { status: 'SUSPENDED' });
    expect(s.json().status).toBe('SUSPENDED');
    expect((await c.post(`/v1/cards/${card.token}/status`, { status: 'ACTIVE' })).json().status).toBe('ACTIVE');
    const d = await c.delete(`/v1/cards/${card.token}`);
    expect(d.statusCode).toBe(200);
    expect(d.json().status).toBe('DELETED');
    const back = await c.post(`/v1/cards/${card.token}/status`, { status: 'ACTIVE' });
    expect(back.statusCode).toBe(409);
    expect(back.json().code).toBe('card_deleted');
    expect((await c.patch(`/v1/cards/${card.token}`, { holderName: 'x' })).statusCode).toBe(409);
    expect((await c.get(`/v1/customers/${cus.id}/cards`)).json().data).toEqual([]);
    expect((await c.get(`/v1/customers/${cus.id}`)).json().defaultCard).toBeNull();
  });

  it('makes exactly one of several concurrently tokenized first cards the default', async () => {
    const cus = await createCustomer(c);
    const cards = await Promise.all(Array.from({ length: 6 }, () => tokenize(c, { customer: cus.id })));
    const claimed = cards.filter((x) => x.isDefault);
    expect(claimed).toHaveLength(1);
    expect((await c.get(`/v1/customers/${cus.id}`)).json().defaultCard).toBe(claimed[0].token);
  });

  it('draws a new token string when a short token format repeats one already issued', async () => {
    const existing = await tokenize(c);
    const merchantId = (
      await t.vault.store.db.selectFrom('cards').select('merchant_id').where('id', '=', existing.token).executeTakeFirstOrThrow()
    ).merchant_id;
    const drawn = [existing.token, `tok_retry_${Date.now()}`];
    const r = await t.vault.cards.tokenize(
      { merchantId, actor: 'test' },
      { pan: VISA, expiry: { month: 12, year: futureYear() }, newToken: () => drawn.shift() as string },
    );
    expect(r.ok).toBe(true);
    expect(r.ok && r.value.card.token).toMatch(/^tok_retry_/);
    expect(drawn).toEqual([]);
  });

  it('keeps SINGLE usage and metadata', async () => {
    const card = await tokenize(c, { usage: 'SINGLE', metadata: { order: 'A-1' } });
    expect(card.usage).toBe('SINGLE');
    expect(card.metadata).toEqual({ order: 'A-1' });
  });
});
