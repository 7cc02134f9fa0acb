/** PCI DSS 3.3.1.2: a CVV collected before the first payment is held encrypted, briefly, and then gone. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AMEX,
  type Client,
  client,
  createCustomer,
  createMerchant,
  futureYear,
  makeTestApp,
  type TestApp,
  type TestMerchant,
  VISA,
} from '../../helpers/harness.ts';

let t: TestApp;
let m: TestMerchant;
let c: Client;
let clock = Date.now();

beforeAll(async () => {
  t = await makeTestApp({ now: () => new Date(clock), env: { TOKENVAULT_CVV_TTL_SECONDS: '3600' } });
  m = await createMerchant(t);
  c = client(t, m.apiKey);
});
afterAll(() => t.close());

const secretOf = (token: string) => t.vault.store.db.selectFrom('card_secrets').selectAll().where('card_id', '=', token).executeTakeFirst();
const caller = () => ({ merchantId: m.id, actor: 'test' });

describe('CVV held for the first payment', () => {
  it('holds the CVV only as a ciphertext bound to its card, with an expiry one TTL ahead', async () => {
    const res = await c.post('/v1/cards', { number: VISA, expMonth: 1, expYear: futureYear(), cvv: '737' });
    expect(res.statusCode).toBe(201);
    // Not a substring check: the 19-digit instrument id may hold "737" by chance (a 2% flake before).
    expect(res.json()).not.toHaveProperty('cvv');
    expect(res.body).not.toMatch(/"737"/);
    const row = await secretOf(res.json().token);
    // Sealed under a window key (w<window end>), never under the merchant's long-lived data key.
    const window = /^tv1\.A256GCM\.w(\d+)\./.exec(row?.cvv_ct as string);
    expect(window).not.toBeNull();
    expect(Date.parse(row?.expires_at as string) - clock).toBe(3600_000);
    // The key's window ends at or after the CVV's expiry, and at most one window (60 s here) later.
    const end = Number(window?.[1]);
    expect(end).toBeGreaterThanOrEqual(Date.parse(row?.expires_at as string));
    expect(end - Date.parse(row?.expires_at as string)).toBeLessThan(60_000);
    expect((await t.vault.cards.takeCvv(caller(), res.json().token))?.cvv).toBe('737');
  });

  it('gives the CVV to its one use and wipes it in the same step', async () => {
    const card = (await c.post('/v1/cards', { number: VISA, expMonth: 2, expYear: futureYear(), cvv: '123' })).json();
    expect((await t.vault.cards.takeCvv(caller(), card.token))?.cvv).toBe('123');
    expect(await secretOf(card.token)).toBeUndefined();
    expect(await t.vault.cards.takeCvv(caller(), card.token)).toBeNull();
  });

  it("never hands one merchant's CVV to another", async () => {
    const card = (await c.post('/v1/cards', { number: VISA, expMonth: 3, expYear: futureYear(), cvv: '456' })).json();
    expect(await t.vault.cards.takeCvv({ merchantId: 'mch_other', actor: 'x' }, card.token)).toBeNull();
    expect(await secretOf(card.token)).toBeDefined();
  });

  it('wipes CVVs past their TTL, and an expired one is never handed out', async () => {
    const a = (await c.post('/v1/cards', { number: VISA, expMonth: 4, expYear: futureYear(), cvv: '111' })).json();
    const b = (await c.post('/v1/cards', { number: VISA, expMonth: 5, expYear: futureYear(), cvv: '222' })).json();
    clock += 3600_000 + 1;
    expect(await t.vault.cards.takeCvv(caller(), a.token)).toBeNull();
    expect(await secretOf(a.token)).toBeUndefined();
    expect(await t.vault.cards.purgeExpiredCvvs()).toBeGreaterThanOrEqual(1);
    expect(await secretOf(b.token)).toBeUndefined();
    const left = await t.vault.store.db
      .selectFrom('card_secrets')
      .select('card_id')
      .where('expires_at', '<=', new Date(clock).toISOString())
      .execute();
    expect(left).toEqual([]);
  });

  it('wipes the CVV when the card or its customer is deleted', async () => {
    const lone = (await c.post('/v1/cards', { number: VISA, expMonth: 6, expYear: futureYear(), cvv: '333' })).json();
    await c.delete(`/v1/cards/${lone.token}`);
    expect(await secretOf(lone.token)).toBeUndefined();
    const cus = await createCustomer(c);
    const owned = (await c.post('/v1/cards', { number: VISA, expMonth: 7, expYear: futureYear(), cvv: '444', customer: cus.id })).json();
    await c.delete(`/v1/customers/${cus.id}`);
    expect(await secretOf(owned.token)).toBeUndefined();
  });

  it('checks the CVV length against the brand and writes nothing when it is wrong', async () => {
    const count = async () =>
      Number(
        (
          await t.vault.store.db
            .selectFrom('cards')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const before = await count();
    const amex3 = await c.post('/v1/cards', { number: AMEX, expMonth: 1, expYear: futureYear(), cvv: '123' });
    expect(amex3.statusCode).toBe(422);
    expect(amex3.json()).toMatchObject({ code: 'invalid_cvv', errors: [{ field: 'cvv' }] });
    const visa4 = await c.post('/v1/cards', { number: VISA, expMonth: 1, expYear: futureYear(), cvv: '1234' });
    expect(visa4.json().code).toBe('invalid_cvv');
    expect((await c.post('/v1/cards', { number: VISA, expMonth: 1, expYear: futureYear(), cvv: '12a' })).statusCode).toBe(400);
    expect(await count()).toBe(before);
    expect((await c.post('/v1/cards', { number: AMEX, expMonth: 1, expYear: futureYear(), cvv: '1234' })).statusCode).toBe(201);
  });
});

describe('CVV and a processor that does not answer', () => {
  it('puts the CVV back when the payment timed out, so the retry still has it', async () => {
    const x = await makeTestApp({ env: { TOKENVAULT_PROCESSOR_TIMEOUT_MS: '100' } });
    try {
      const mm = await createMerchant(x);
      const cc = client(x, mm.apiKey);
      const card = (await cc.post('/v1/cards', { number: '4000000000000119', expMonth: 1, expYear: futureYear(), cvv: '123' })).json();
      const pay = await cc.post('/v1/payments', { token: card.token, amount: 1000, currency: 'USD' });
      expect(pay.statusCode).toBe(503);
      const held = await x.vault.store.db.selectFrom('card_secrets').selectAll().where('card_id', '=', card.token).executeTakeFirst();
      expect(held).toBeDefined();
      expect((await x.vault.cards.takeCvv({ merchantId: mm.id, actor: 't' }, card.token))?.cvv).toBe('123');
    } finally {
      await x.close();
    }
  });

  it('does not give the CVV back after a decline: it was used', async () => {
    const card = (await c.post('/v1/cards', { number: '4000000000009995', expMonth: 1, expYear: futureYear(), cvv: '321' })).json();
    const pay = await c.post('/v1/payments', { token: card.token, amount: 1000, currency: 'USD' });
    expect(pay.json().status).toBe('DECLINED');
    expect(await secretOf(card.token)).toBeUndefined();
  });
});
