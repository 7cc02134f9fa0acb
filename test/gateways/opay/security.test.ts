/** OPay security: who may call (the signature, the headers), and what one merchant may see of another's. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client, TestApp, TestMerchant } from '../../helpers/harness.ts';
import { hmacHex, type OpayClient, sortedJson } from './helpers.ts';
import { createBody, expectRefused, refusing, twoMerchants } from './refusals.ts';

let t: TestApp;
let merchant: TestMerchant;
let opay: OpayClient;
let other: OpayClient;
let native: Client;
const refusedCreate = refusing(() => ({ t, opay }));

beforeAll(async () => {
  ({ t, merchant, opay, other, native } = await twoMerchants());
});
afterAll(() => t.close());

describe('OPay authentication', () => {
  it('refuses a wrong signature (10001) and writes nothing', async () => {
    const body = createBody();
    const sig = hmacHex(opay.secretKey, sortedJson(body));
    const flipped = (sig[0] === 'a' ? 'b' : 'a') + sig.slice(1);
    await refusedCreate(body, '10001', undefined, { signature: flipped });
  });

  it('refuses a signature made with another merchant’s secret key (10001)', async () => {
    const body = createBody();
    await refusedCreate(body, '10001', undefined, { signature: hmacHex(other.secretKey, sortedJson(body)) });
  });

  it('refuses a signature over a different body than the one sent (10001)', async () => {
    const body = createBody();
    await refusedCreate(body, '10001', undefined, {
      signature: hmacHex(opay.secretKey, sortedJson({ ...body, cardNumber: '4000056655665556' })),
    });
  });

  it('refuses a missing Authorization header (98)', async () => {
    await refusedCreate(createBody(), '98', undefined, { omit: ['authorization'] });
  });

  it('refuses an Authorization header without Bearer (98)', async () => {
    const body = createBody();
    await refusedCreate(body, '98', undefined, { headers: { authorization: hmacHex(opay.secretKey, sortedJson(body)) } });
  });

  it('refuses a missing MerchantId header (98)', async () => {
    await refusedCreate(createBody(), '98', undefined, { omit: ['merchantid'] });
  });

  it('refuses an unknown MerchantId even with a correctly signed body (10001)', async () => {
    const unknown = opay.merchantId === '256699999999999' ? '256699999999998' : '256699999999999';
    await refusedCreate(createBody(), '10001', undefined, { merchantId: unknown });
  });

  it('refuses another merchant’s MerchantId with this merchant’s signature (10001)', async () => {
    await refusedCreate(createBody(), '10001', undefined, { merchantId: other.merchantId });
  });

  it('refuses the public key (OPAYPUB…) as the Bearer value (10001)', async () => {
    const g = (merchant.credentials.gateways as Record<string, Record<string, string>>).opay as Record<string, string>;
    expect(g.publicKey).toMatch(/^OPAYPUB/);
    await refusedCreate(createBody(), '10001', undefined, { signature: g.publicKey });
  });

  it('refuses a bad signature on query and delete too, revealing nothing', async () => {
    const made = await opay.call('create', createBody());
    const token = (made.json.data as { opayToken: string }).opayToken;
    const q = await opay.call('query', { opayToken: token }, { signature: 'ab'.repeat(64) });
    expectRefused(q, '10001');
    expect(JSON.stringify(q.json)).not.toContain(token);
    const d = await opay.call('delete', { opayToken: token }, { signature: hmacHex(other.secretKey, sortedJson({ opayToken: token })) });
    expectRefused(d, '10001');
    expect((await native.get(`/v1/cards/${token}`)).json().status).toBe('ACTIVE');
  });
});

describe("another merchant's token", () => {
  it('is not found by query or delete (20001), and the card is untouched', async () => {
    const made = await opay.call('create', createBody());
    const token = (made.json.data as { opayToken: string }).opayToken;
    const q = await other.call('query', { opayToken: token });
    expectRefused(q, '20001');
    const d = await other.call('delete', { opayToken: token });
    expectRefused(d, '20001');
    const still = await opay.call('query', { opayToken: token });
    expect(still.json.code).toBe('00000');
    expect((await native.get(`/v1/cards/${token}`)).json().status).toBe('ACTIVE');
  });

  it("does not list another merchant's customer (20002)", async () => {
    const made = await opay.call('create', createBody({ customerInfo: { customerId: 'private-cust' } }));
    expect(made.json.code).toBe('00000');
    expectRefused(await other.call('query', { customerId: 'private-cust' }), '20002');
  });
});

describe('OPay refused authentications are audited', () => {
  const failures = async () =>
    (
      await t.vault.store.db
        .selectFrom('audit_events')
        .select(['chain', 'seq', 'merchant_id', 'detail'])
        .where('action', '=', 'auth.failed')
        .execute()
    ).map((e) => ({ key: `${e.chain}/${e.seq}`, merchantId: e.merchant_id, detail: JSON.parse(e.detail ?? '{}') }));

  it('as auth.failed of opay with its reason, naming the merchant only when its MerchantId was signed wrongly', async () => {
    const seen = new Set((await failures()).map((f) => f.key));
    const unknown = opay.merchantId === '256699999999999' ? '256699999999998' : '256699999999999';
    expectRefused(await opay.call('query', { opayToken: 'OPAY_TOKEN_x' }, { omit: ['merchantid'] }), '98');
    expectRefused(await opay.call('query', { opayToken: 'OPAY_TOKEN_x' }, { merchantId: unknown }), '10001');
    expectRefused(await opay.call('query', { opayToken: 'OPAY_TOKEN_x' }, { signature: 'ab'.repeat(64) }), '10001');
    const added = (await failures()).filter((f) => !seen.has(f.key)).map(({ merchantId, detail }) => ({ merchantId, detail }));
    const event = (reason: string, merchantId: string | null) => ({
      merchantId,
      detail: expect.objectContaining({ api: 'opay', scheme: 'hmac-sha512', reason }),
    });
    expect(added).toHaveLength(3);
    expect(added).toEqual(
      expect.arrayContaining([
        event('missing_or_malformed_header', null),
        event('unknown_merchant', null),
        event('bad_signature', merchant.id),
      ]),
    );
  });

  it('does not audit a signed request refused for its body', async () => {
    const before = (await failures()).length;
    expectRefused(await opay.call('create', createBody({ cvv: '12' })), '99', 'cvv');
    expect((await failures()).length).toBe(before);
  });
});
