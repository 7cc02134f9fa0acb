/**
 * POST /elements/v1/tokens and publishable keys, through app.inject: the key and its origins, the card rules of
 * POST /v1/cards, CORS only to the key's origins, the audit event, and the token as an ordinary native token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config.ts';
import {
  ADMIN_TOKEN,
  client,
  createCustomer,
  createMerchant,
  futureYear,
  makeTestApp,
  type TestApp,
  type TestMerchant,
  VISA,
} from '../../helpers/harness.ts';
import { cardBody, OTHER_SHOP, publishableKey, SHOP, sendCard } from './helpers.ts';

let t: TestApp;
let m: TestMerchant;
let pk: { id: string; key: string; origins: string[] };

beforeAll(async () => {
  t = await makeTestApp();
  m = await createMerchant(t, 'Elements merchant');
  pk = await publishableKey(t, m.id, [SHOP, 'http://127.0.0.1:5173']);
});
afterAll(() => t.close());

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

describe('publishable keys', () => {
  it('are made with their origins and answered as {id, key, type, origins}', () => {
    expect(pk.key).toMatch(/^tv_pk_[A-Za-z0-9_-]{20,}$/);
    expect(pk).toMatchObject({ id: expect.stringMatching(/^key_/), type: 'publishable', origins: [SHOP, 'http://127.0.0.1:5173'] });
  });

  it.each([
    ['a path', 'https://shop.example/checkout'],
    ['a trailing slash', 'https://shop.example/'],
    ['upper case', 'https://Shop.example'],
    ['a default port', 'https://shop.example:443'],
    ['another scheme', 'ftp://shop.example'],
    ['a query', 'https://shop.example?a=b'],
    ['user info', 'https://user@shop.example'],
    ['no scheme', 'shop.example'],
    ['a wildcard', 'https://*.shop.example'],
  ])('refuse an origin with %s', async (_why, origin) => {
    const res = await t.app.inject({
      method: 'POST',
      url: `/v1/admin/merchants/${m.id}/api-keys`,
      headers: admin,
      payload: { type: 'publishable', origins: [origin] },
    });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().code).toMatch(/^(invalid_origin|validation_failed)$/);
    expect(res.body).not.toContain(origin);
  });

  it('refuse scopes, no origins, or a publishable key for an unknown merchant', async () => {
    const post = (id: string, payload: Record<string, unknown>) =>
      t.app.inject({ method: 'POST', url: `/v1/admin/merchants/${id}/api-keys`, headers: admin, payload });
    expect((await post(m.id, { type: 'publishable', origins: [SHOP], scopes: ['read'] })).statusCode).toBe(400);
    expect((await post(m.id, { type: 'publishable', origins: [] })).statusCode).toBe(400);
    expect((await post(m.id, { type: 'publishable' })).statusCode).toBe(400);
    expect((await post('mch_nobody', { type: 'publishable', origins: [SHOP] })).statusCode).toBe(404);
  });

  it('are listed with the merchant (prefix and origins, never the key) and can be revoked', async () => {
    const extra = await publishableKey(t, m.id, [OTHER_SHOP]);
    const shown = await t.app.inject({ method: 'GET', url: `/v1/admin/merchants/${m.id}`, headers: admin });
    const listed = shown.json().apiKeys.find((k: { id: string }) => k.id === extra.id);
    expect(listed).toMatchObject({ type: 'publishable', origins: [OTHER_SHOP], scopes: [] });
    expect(shown.body).not.toContain(extra.key);
    const revoked = await t.app.inject({ method: 'DELETE', url: `/v1/admin/merchants/${m.id}/api-keys/${extra.id}`, headers: admin });
    expect(revoked.statusCode).toBe(200);
    expect((await sendCard(t, extra.key, OTHER_SHOP)).statusCode).toBe(401);
  });
});

describe('POST /elements/v1/tokens', () => {
  it('makes an ordinary native token, with CORS to the key origin, and audits it with the key id and origin', async () => {
    const res = await sendCard(t, pk.key, SHOP, cardBody({ holderName: 'ADA LOVELACE' }));
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json();
    expect(Object.keys(body).sort()).toEqual(['brand', 'expMonth', 'expYear', 'last4', 'token']);
    expect(body).toMatchObject({ brand: 'visa', last4: '1111', expMonth: 12, expYear: futureYear() });
    expect(res.headers['access-control-allow-origin']).toBe(SHOP);
    expect(res.headers.vary).toMatch(/Origin/);
    expect(res.headers['cache-control']).toBe('no-store');

    const c = client(t, m.apiKey);
    const card = await c.get(`/v1/cards/${body.token}`);
    expect(card.statusCode).toBe(200);
    expect(card.json()).toMatchObject({ token: body.token, last4: '1111', holderName: 'ADA LOVELACE', status: 'ACTIVE' });
    const pay = await c.post('/v1/payments', { token: body.token, amount: 1500, currency: 'USD', capture: true });
    expect(pay.statusCode, pay.body).toBe(201);

    const events = (await c.get(`/v1/audit-events?token=${body.token}&action=card.create`)).json().data;
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actor: pk.id, action: 'card.create', target: body.token, detail: { origin: SHOP } });
  });

  it('takes the card from the card iframe (the vault origin) for the page named in ?origin=, without CORS', async () => {
    const self = 'http://localhost:80';
    const res = await sendCard(t, pk.key, self, cardBody(), { origin: 'http://127.0.0.1:5173' });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    const events = (await client(t, m.apiKey).get(`/v1/audit-events?token=${res.json().token}`)).json().data;
    expect(events[0].detail.origin).toBe('http://127.0.0.1:5173');
    // From the vault itself, the page must still be one of the key's.
    expect((await sendCard(t, pk.key, self, cardBody(), { origin: OTHER_SHOP })).statusCode).toBe(403);
    expect((await sendCard(t, pk.key, self, cardBody())).statusCode).toBe(403);
  });

  it('attaches the card to a customer of the merchant', async () => {
    const customer = (await createCustomer(client(t, m.apiKey), { name: 'Grace' })).id as string;
    const res = await sendCard(t, pk.key, SHOP, cardBody({ customer }));
    expect(res.statusCode, res.body).toBe(201);
    const cards = (await client(t, m.apiKey).get(`/v1/customers/${customer}/cards`)).json().data;
    expect(cards.map((x: { token: string }) => x.token)).toEqual([res.json().token]);
  });

  it('holds the security code like a native tokenize holds its cvv', async () => {
    const res = await sendCard(t, pk.key, SHOP, cardBody({ cvc: '739' }));
    const rows = await t.vault.store.db
      .selectFrom('card_secrets')
      .select(['card_id', 'cvv_ct'])
      .where('card_id', '=', res.json().token)
      .execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]?.cvv_ct).not.toContain('739');
  });

  it.each([
    ['a number failing Luhn', { number: '4111111111111112' }, 422, 'invalid_card_number'],
    ['a number with spaces', { number: '4111 1111 1111 1111' }, 422, 'invalid_card_number'],
    ['an expired card', { expMonth: 1, expYear: 2020 }, 422, 'card_expired'],
    ['a month 13', { expMonth: 13 }, 400, 'validation_failed'],
    ['a 4-digit code on a Visa', { cvc: '1234' }, 422, 'invalid_cvv'],
    ['no security code', { cvc: undefined }, 400, 'validation_failed'],
    ['an unknown field', { usage: 'SINGLE' }, 400, 'validation_failed'],
    ['a card number as the name', { holderName: 'X 4111 1111 1111 1111' }, 400, 'validation_failed'],
    ['another merchant’s (or no) customer', { customer: 'cus_00000000000000000000000000' }, 404, 'customer_not_found'],
  ])('refuses %s as POST /v1/cards does, writing nothing', async (_why, over, status, code) => {
    const before = await t.vault.store.db.selectFrom('cards').select(t.vault.store.db.fn.countAll().as('n')).executeTakeFirstOrThrow();
    const res = await sendCard(t, pk.key, SHOP, cardBody(over));
    expect(res.statusCode, res.body).toBe(status);
    expect(res.json().code).toBe(code);
    expect(res.body).not.toMatch(/4111/);
    const after = await t.vault.store.db.selectFrom('cards').select(t.vault.store.db.fn.countAll().as('n')).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });

  it('refuses, without CORS and writing nothing, an origin not on the key, no origin, or a bad key', async () => {
    const before = await t.vault.store.db.selectFrom('cards').select(t.vault.store.db.fn.countAll().as('n')).executeTakeFirstOrThrow();
    for (const [key, origin, status] of [
      [pk.key, OTHER_SHOP, 403],
      [pk.key, 'null', 403],
      [pk.key, null, 403],
      ['tv_pk_unknown0000000000000000', SHOP, 401],
      [m.apiKey, SHOP, 401],
    ] as const) {
      const res = await sendCard(t, key, origin);
      expect(res.statusCode, `${key.slice(0, 6)} from ${origin}`).toBe(status);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
    }
    const noKey = await t.app.inject({ method: 'POST', url: '/elements/v1/tokens', headers: { origin: SHOP }, payload: cardBody() });
    expect(noKey.statusCode).toBe(401);
    const after = await t.vault.store.db.selectFrom('cards').select(t.vault.store.db.fn.countAll().as('n')).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });

  it('answers the CORS preflight for the key origins only', async () => {
    const preflight = (key: string, origin: string) =>
      t.app.inject({
        method: 'OPTIONS',
        url: `/elements/v1/tokens?key=${key}`,
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
    const ok = await preflight(pk.key, SHOP);
    expect(ok.statusCode).toBe(204);
    expect(ok.headers).toMatchObject({ 'access-control-allow-origin': SHOP, 'access-control-allow-methods': 'POST' });
    const refused = await preflight(pk.key, OTHER_SHOP);
    expect(refused.statusCode).toBe(403);
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('a publishable key elsewhere', () => {
  it('cannot read, reveal, pay, list or tokenize through the native API (403), nor use the admin API (401)', async () => {
    const secretToken = (await sendCard(t, pk.key, SHOP)).json().token as string;
    const asPk = client(t, pk.key);
    const refused = [
      await asPk.get(`/v1/cards/${secretToken}`),
      await asPk.get('/v1/cards'),
      await asPk.post(`/v1/cards/${secretToken}/reveal`, { purpose: 'test', jwk: {} }),
      await asPk.post('/v1/payments', { token: secretToken, amount: 100, currency: 'USD' }),
      await asPk.get('/v1/payments'),
      await asPk.get('/v1/customers'),
      await asPk.post('/v1/cards', { number: VISA, expMonth: 12, expYear: futureYear() }),
      await asPk.get('/v1/audit-events'),
    ];
    for (const res of refused) {
      expect(res.statusCode, res.body).toBe(403);
      expect(res.json().code).toBe('forbidden');
    }
    const adminAsPk = await t.app.inject({ method: 'GET', url: '/v1/admin/merchants', headers: { authorization: `Bearer ${pk.key}` } });
    expect(adminAsPk.statusCode).toBe(401);
  });
});

describe('limits and settings', () => {
  it('limits tokens per publishable key and client address (TOKENVAULT_ELEMENTS_RATE_LIMIT_PER_MINUTE), writing nothing past it', async () => {
    const limited = await makeTestApp({ env: { TOKENVAULT_ELEMENTS_RATE_LIMIT_PER_MINUTE: '3' } });
    try {
      const shop = await createMerchant(limited, 'Limited shop');
      const [one, two] = [await publishableKey(limited, shop.id), await publishableKey(limited, shop.id)];
      const from = (key: string, remoteAddress: string) =>
        limited.app.inject({
          method: 'POST',
          url: `/elements/v1/tokens?key=${key}`,
          headers: { origin: SHOP },
          remoteAddress,
          payload: cardBody(),
        });
      for (let i = 0; i < 3; i++) expect((await from(one.key, '203.0.113.7')).statusCode).toBe(201);
      const over = await from(one.key, '203.0.113.7');
      expect(over.statusCode).toBe(429);
      expect(over.json().code).toBe('rate_limited');
      expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
      // Another address with the same key, and the same address with another key, are counted apart.
      expect((await from(one.key, '203.0.113.8')).statusCode).toBe(201);
      expect((await from(two.key, '203.0.113.7')).statusCode).toBe(201);
      const cards = await limited.vault.store.db
        .selectFrom('cards')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(cards.n)).toBe(5);
    } finally {
      await limited.close();
    }
  });

  it('reads its settings once, refusing bad values', () => {
    expect(loadConfig({}).elementsRateLimitPerMinute).toBe(60);
    expect(loadConfig({ TOKENVAULT_ELEMENTS_RATE_LIMIT_PER_MINUTE: '0' }).elementsRateLimitPerMinute).toBe(0);
    expect(() => loadConfig({ TOKENVAULT_ELEMENTS_RATE_LIMIT_PER_MINUTE: 'many' })).toThrow(ConfigError);
    expect(loadConfig({}).elementsDemo).toBeNull();
    expect(loadConfig({ TOKENVAULT_ELEMENTS_DEMO: 'false' }).elementsDemo).toBe(false);
    expect(() => loadConfig({ TOKENVAULT_ELEMENTS_DEMO: 'yes' })).toThrow(ConfigError);
  });

  it('serves the demo only when it is on and set up', async () => {
    // The test apps use a configured master key: not development, so no demo.
    expect((await t.app.inject({ method: 'GET', url: '/elements/demo' })).statusCode).toBe(404);
  });
});
