/**
 * A database holding every kind of record the vault keeps secrets in: live, suspended, deleted and consumed
 * cards, a held CVV, a live AlliancePay session, gateway credentials, an instrument identifier kept as a token
 * of its own, and a merchant already crypto-shredded. Key rotation, retirement and the registry tests run on it.
 */

import { ADMIN_TOKEN, client, createCustomer, createMerchant, futureYear, type TestApp, type TestMerchant } from './harness.ts';
import { withCheckDigit } from './luhn-oracle.ts';

/** A Luhn-valid Visa number, distinct for each `n` (so dedup does not fold the fixture's cards together). */
export const visaNumber = (n: number): string => withCheckDigit(`4${String(n).padStart(14, '0')}`);

export interface EveryRecord {
  merchant: TestMerchant;
  /** A merchant deleted (keys destroyed) before the test goes on. */
  shredded: TestMerchant;
  tokens: { live: string; suspended: string; deleted: string; consumed: string; heldCvv: string };
  cvv: string;
  sessionDevice: string;
}

export async function fillEveryRecord(t: TestApp, seed: number): Promise<EveryRecord> {
  const merchant = await createMerchant(t, `every-record ${seed}`);
  const c = client(t, merchant.apiKey);
  const customer = await createCustomer(c);
  const card = async (n: number, extra: Record<string, unknown> = {}): Promise<string> => {
    const res = await c.post('/v1/cards', { number: visaNumber(seed * 100 + n), expMonth: 9, expYear: futureYear(), ...extra });
    if (res.statusCode !== 201) throw new Error(`tokenize failed: ${res.statusCode} ${res.body}`);
    return res.json().token;
  };
  const ok = (res: { statusCode: number; body: string }, what: string) => {
    if (res.statusCode >= 300) throw new Error(`${what} failed: ${res.statusCode} ${res.body}`);
  };
  const live = await card(1, { customer: customer.id });
  const suspended = await card(2);
  ok(await c.post(`/v1/cards/${suspended}/status`, { status: 'SUSPENDED' }), 'suspend');
  const deleted = await card(3);
  ok(await c.delete(`/v1/cards/${deleted}`), 'delete');
  const consumed = await card(4, { usage: 'SINGLE' });
  ok(await c.post('/v1/payments', { token: consumed, amount: 1000, currency: 'USD' }), 'pay');
  const cvv = '864';
  const heldCvv = await card(5, { cvv });

  // A live AlliancePay session (its server key is encrypted under the merchant's data key).
  const cred = await t.vault.store.db
    .selectFrom('gateway_credentials')
    .select('id')
    .where('merchant_id', '=', merchant.id)
    .where('gateway', '=', 'alliancepay')
    .executeTakeFirstOrThrow();
  const session = await t.vault.sessions.create({ merchantId: merchant.id, actor: cred.id, credentialId: cred.id }, 3_600_000);

  // A merchant with cards of its own, then deleted: its ciphertexts stay, under keys that no longer exist.
  const shredded = await createMerchant(t, `shredded ${seed}`);
  const sc = client(t, shredded.apiKey);
  ok(await sc.post('/v1/cards', { number: visaNumber(seed * 100 + 50), expMonth: 9, expYear: futureYear(), cvv: '135' }), 'tokenize');
  const del = await t.app.inject({
    method: 'DELETE',
    url: `/v1/admin/merchants/${shredded.id}`,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  ok(del, 'merchant delete');

  return { merchant, shredded, tokens: { live, suspended, deleted, consumed, heldCvv }, cvv, sessionDevice: session.deviceId };
}
