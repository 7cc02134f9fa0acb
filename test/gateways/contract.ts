/**
 * The contract every gateway keeps, run against each one (test/gateways/contract.test.ts): a refused
 * credential is answered in the gateway's own shape and audited for its API; bad input is answered in its
 * own shape and writes nothing; a card tokenized through it is the native API's card; a card deleted through
 * the native API reads as gone through it; another merchant cannot see it. Each gateway's driver.ts speaks
 * its wire.
 */
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, createMerchant, makeTestApp, type TestApp, type TestMerchant, VISA } from '../helpers/harness.ts';

export interface GatewayDriver {
  /** HTTP status the gateway answers a refused credential with. */
  authStatus: number;
  /** The auth scheme the guard audits for the request `wrongCredential` sends (AuthFailure.scheme). */
  authScheme: string;
  /**
   * Tokenizes a card through the gateway for merchant `m`: `handle` is what the gateway's own read takes
   * (its token, instrument id…), `cardToken` the vault card token the native API reads it by.
   */
  tokenize(t: TestApp, m: TestMerchant, pan: string): Promise<{ handle: string; cardToken: string }>;
  /** Reads through the gateway as merchant `m`: 'live' when the card is answered, 'gone' when refused as not found. */
  read(t: TestApp, m: TestMerchant, handle: string): Promise<'live' | 'gone'>;
  /** One of the gateway's requests for merchant `m`, signed or authenticated with a wrong credential. */
  wrongCredential(t: TestApp, m: TestMerchant): Promise<LightMyRequestResponse>;
  /** One of the gateway's write requests, correctly authenticated, with a required field missing. */
  badInput(t: TestApp, m: TestMerchant): Promise<LightMyRequestResponse>;
  /** True when `res` carries the gateway's own error body (never tokenvault's problem+json). */
  isErrorShape(res: LightMyRequestResponse): boolean;
}

const count = async (t: TestApp, table: 'cards' | 'customers' | 'audit_events') =>
  Number(
    (
      await t.vault.store.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

export function gatewayContract(api: string, load: () => Promise<GatewayDriver>): void {
  describe(`${api}: the gateway contract`, () => {
    let t: TestApp;
    let m: TestMerchant;
    let other: TestMerchant;
    let d: GatewayDriver;
    beforeAll(async () => {
      d = await load();
      t = await makeTestApp();
      m = await createMerchant(t, `${api} contract merchant`);
      other = await createMerchant(t, `${api} contract other merchant`);
    });
    afterAll(() => t.close());

    it('refuses a wrong credential in its own shape, audited as auth.failed of this API', async () => {
      const res = await d.wrongCredential(t, m);
      expect(res.statusCode).toBe(d.authStatus);
      expect(d.isErrorShape(res), res.body).toBe(true);
      expect(res.headers['content-type']).not.toMatch(/problem\+json/);
      const events = await t.vault.store.db.selectFrom('audit_events').select(['detail']).where('action', '=', 'auth.failed').execute();
      const apis = events.map((e) => JSON.parse(e.detail ?? '{}') as { api?: string; scheme?: string });
      expect(apis).toContainEqual(expect.objectContaining({ api, scheme: d.authScheme }));
    });

    it('refuses bad input in its own shape and writes nothing', async () => {
      const before = await Promise.all([count(t, 'cards'), count(t, 'customers')]);
      const res = await d.badInput(t, m);
      expect(res.statusCode, res.body).not.toBe(500);
      expect(d.isErrorShape(res), res.body).toBe(true);
      expect(await Promise.all([count(t, 'cards'), count(t, 'customers')])).toEqual(before);
    });

    it('a card tokenized through it is the native API’s card, and a native delete reads as gone through it', async () => {
      const { handle, cardToken } = await d.tokenize(t, m, VISA);
      expect(await d.read(t, m, handle)).toBe('live');
      const native = client(t, m.apiKey);
      const got = await native.get(`/v1/cards/${cardToken}`);
      expect(got.statusCode, got.body).toBe(200);
      expect(got.json().last4).toBe(VISA.slice(-4));
      const del = await native.delete(`/v1/cards/${cardToken}`);
      expect(del.statusCode, del.body).toBeLessThan(300);
      expect(await d.read(t, m, handle)).toBe('gone');
    });

    it('another merchant cannot read it', async () => {
      const { handle } = await d.tokenize(t, m, VISA);
      expect(await d.read(t, m, handle)).toBe('live');
      expect(await d.read(t, other, handle)).toBe('gone');
    });
  });
}
