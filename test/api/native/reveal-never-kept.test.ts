/**
 * Issue 16, finding 3: a reveal's answer (the card number, encrypted to the caller's key) was stored in the
 * idempotency table and replayed with 200, unaudited, even after the card or the merchant was deleted. A
 * reveal is now evaluated and audited on every request; nothing of it is kept. Deleting a merchant removes
 * every answer kept for it.
 */
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, backend, client, createMerchant, makeTestApp, type TestApp, tokenize } from '../../helpers/harness.ts';

let t: TestApp;
let jwk: JWK;
beforeAll(async () => {
  t = await makeTestApp();
  jwk = await exportJWK((await generateKeyPair('RSA-OAEP-256', { extractable: true })).publicKey);
});
afterAll(() => t?.close());

const reveals = async (merchantId: string) =>
  Number(
    (
      await t.vault.store.db
        .selectFrom('audit_events')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('merchant_id', '=', merchantId)
        .where('action', '=', 'card.reveal')
        .executeTakeFirstOrThrow()
    ).n,
  );
const keptRows = (merchantId: string) =>
  t.vault.store.db.selectFrom('idempotency_keys').select(['key', 'response']).where('merchant_id', '=', merchantId).execute();

describe(`a reveal is never kept for replay (${backend})`, () => {
  it('a repeated Idempotency-Key reveals again, audits again, and stores nothing', async () => {
    const m = await createMerchant(t, 'reveal twice');
    const c = client(t, m.apiKey);
    const card = await tokenize(c);
    const body = { purpose: 'support call', jwk };
    const first = await c.post(`/v1/cards/${card.token}/reveal`, body, { 'idempotency-key': 'reveal-1' });
    const second = await c.post(`/v1/cards/${card.token}/reveal`, body, { 'idempotency-key': 'reveal-1' });
    expect([first.statusCode, second.statusCode]).toEqual([200, 200]);
    // Two evaluations: two different JWEs (fresh content keys), two audit events, no stored answer.
    expect(second.json().jwe).not.toBe(first.json().jwe);
    expect(await reveals(m.id)).toBe(2);
    expect(await keptRows(m.id)).toEqual([]);
  });

  it('after the card is deleted, the same key gets the deletion, not the number', async () => {
    const m = await createMerchant(t, 'reveal deleted');
    const c = client(t, m.apiKey);
    const card = await tokenize(c);
    const body = { purpose: 'support call', jwk };
    expect((await c.post(`/v1/cards/${card.token}/reveal`, body, { 'idempotency-key': 'reveal-2' })).statusCode).toBe(200);
    expect((await c.delete(`/v1/cards/${card.token}`)).statusCode).toBe(200);
    const again = await c.post(`/v1/cards/${card.token}/reveal`, body, { 'idempotency-key': 'reveal-2' });
    expect(again.statusCode).toBeGreaterThanOrEqual(400);
    expect(again.body).not.toContain('jwe');
  });

  it('deleting a merchant removes every answer kept for it, and its holder and customer data', async () => {
    const m = await createMerchant(t, 'kept answers');
    const c = client(t, m.apiKey);
    const cus = await c.post('/v1/customers', { name: 'Grace Hopper', email: 'grace@example.com' }, { 'idempotency-key': 'cus-1' });
    expect(cus.statusCode).toBe(201);
    const card = await tokenize(c, { holderName: 'Grace Hopper', customer: cus.json().id });
    expect((await keptRows(m.id)).length).toBe(1);
    const del = await t.app.inject({
      method: 'DELETE',
      url: `/v1/admin/merchants/${m.id}`,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(del.statusCode).toBe(200);
    expect(await keptRows(m.id)).toEqual([]);
    const db = t.vault.store.db;
    const texts = JSON.stringify([
      await db.selectFrom('cards').selectAll().where('merchant_id', '=', m.id).execute(),
      await db.selectFrom('customers').selectAll().where('merchant_id', '=', m.id).execute(),
      await db.selectFrom('addresses').selectAll().where('merchant_id', '=', m.id).execute(),
    ]);
    // The rows are there (the scan read them), without the holder's name or email.
    expect(texts).toContain(card.token);
    expect(texts).not.toContain('Grace');
    expect(texts).not.toContain('grace@example.com');
  });
});
