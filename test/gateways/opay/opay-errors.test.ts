import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Client,
  client,
  createMerchant,
  futureYear,
  makeTestApp,
  type TestApp,
  type TestMerchant,
  VISA,
} from '../../helpers/harness.ts';
import { hmacHex, type OpayClient, opayClient, sortedJson } from './helpers.ts';

let t: TestApp;
let merchant: TestMerchant;
let opay: OpayClient;
let other: OpayClient;
let native: Client;

const YY = String(futureYear() % 100).padStart(2, '0');
let refSeq = 0;
const ref = () => `ERR-${Date.now()}-${++refSeq}`;

const createBody = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  reference: ref(),
  cardNumber: VISA,
  expiryYear: YY,
  expiryMonth: '02',
  cvv: '123',
  cardHolderName: 'Ada Lovelace',
  ...over,
});

const countCards = async () =>
  Number(
    (
      await t.vault.store.db
        .selectFrom('cards')
        .select((e) => e.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );
const countCustomers = async () =>
  Number(
    (
      await t.vault.store.db
        .selectFrom('customers')
        .select((e) => e.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

type Res = Awaited<ReturnType<OpayClient['call']>>;

/** The OPay error envelope: HTTP 200, the code, data null. */
function expectRefused(r: Res, code: string, messageContains?: string): void {
  expect(r.status).toBe(200);
  expect(r.json.code).toBe(code);
  expect(r.json.data).toBeNull();
  expect(typeof r.json.message).toBe('string');
  if (messageContains) expect(r.json.message).toContain(messageContains);
}

/** A create that must be refused with `code` and write no card. */
async function refusedCreate(body: Record<string, unknown>, code: string, messageContains?: string, opts = {}): Promise<Res> {
  const before = await countCards();
  const r = await opay.call('create', body, opts);
  expectRefused(r, code, messageContains);
  expect(await countCards()).toBe(before);
  return r;
}

beforeAll(async () => {
  t = await makeTestApp();
  merchant = await createMerchant(t, 'OPay merchant');
  opay = opayClient(t, merchant);
  other = opayClient(t, await createMerchant(t, 'Other merchant'));
  native = client(t, merchant.apiKey);
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

describe('OPay create validation', () => {
  it('refuses a card number failing Luhn (99)', async () => {
    await refusedCreate(createBody({ cardNumber: '4111111111111112' }), '99', 'cardNumber');
  });

  it('refuses a past expiry (54)', async () => {
    await refusedCreate(createBody({ expiryYear: '20', expiryMonth: '01' }), '54');
  });

  it("refuses expiryMonth '13' (99)", async () => {
    await refusedCreate(createBody({ expiryMonth: '13' }), '99');
  });

  it("refuses expiryYear 'abc' (99 naming expiryYear)", async () => {
    await refusedCreate(createBody({ expiryYear: 'abc' }), '99', 'expiryYear');
  });

  it('refuses a missing reference or cardNumber (99 naming the field)', async () => {
    await refusedCreate(createBody({ reference: undefined }), '99', 'reference');
    await refusedCreate(createBody({ cardNumber: undefined }), '99', 'cardNumber');
  });

  it('refuses a card number sent as a JSON number (99)', async () => {
    await refusedCreate(createBody({ cardNumber: Number(VISA) }), '99', 'cardNumber');
  });

  it("refuses cvv '12' (99 naming cvv)", async () => {
    await refusedCreate(createBody({ cvv: '12' }), '99', 'cvv');
  });

  it('refuses an unknown field, top-level or in customerInfo (99 naming it)', async () => {
    await refusedCreate(createBody({ amount: '100' }), '99', 'amount');
    await refusedCreate(createBody({ customerInfo: { customerId: 'c1', nickname: 'x' } }), '99', 'nickname');
  });

  it('refuses malformed JSON even with a valid signature over its raw bytes (99)', async () => {
    const raw = '{"reference":"R-1","cardNumber":"4111111111111111",';
    await refusedCreate({}, '99', 'JSON', { raw, signature: hmacHex(opay.secretKey, raw) });
  });

  it('refuses a JSON array body (99)', async () => {
    const raw = JSON.stringify([createBody()]);
    await refusedCreate({}, '99', undefined, { raw, signature: hmacHex(opay.secretKey, raw) });
  });

  // A refused create must leave the by-user query as it was (20002), not answer a customer with no cards.
  it('writes no customer when the card is refused', async () => {
    const customersBefore = await countCustomers();
    await refusedCreate(createBody({ cardNumber: '4111111111111112', customerInfo: { customerId: 'never-made' } }), '99', 'cardNumber');
    expect(await countCustomers()).toBe(customersBefore);
    expectRefused(await opay.call('query', { customerId: 'never-made' }), '20002');
  });
});

describe('OPay references', () => {
  it('refuses a duplicate reference (20000) and writes no second card', async () => {
    const reference = ref();
    const first = await opay.call('create', createBody({ reference }));
    expect(first.json.code).toBe('00000');
    await refusedCreate(createBody({ reference, cardNumber: '5555555555554444' }), '20000');
  });

  it('keeps references per merchant: another merchant may use the same one', async () => {
    const reference = ref();
    expect((await opay.call('create', createBody({ reference }))).json.code).toBe('00000');
    expect((await other.call('create', createBody({ reference }))).json.code).toBe('00000');
  });

  it('allows a reference reused after a FAILED create', async () => {
    const reference = ref();
    await refusedCreate(createBody({ reference, cardNumber: '4111111111111112' }), '99');
    await refusedCreate(createBody({ reference, expiryYear: '20', expiryMonth: '01' }), '54');
    const ok = await opay.call('create', createBody({ reference }));
    expect(ok.json.code, ok.json.message).toBe('00000');
    await refusedCreate(createBody({ reference }), '20000');
  });
});

describe('OPay query and delete validation', () => {
  it('refuses both opayToken and customerId, or neither (99)', async () => {
    const made = await opay.call('create', createBody({ customerInfo: { customerId: 'both-q' } }));
    const token = (made.json.data as { opayToken: string }).opayToken;
    expectRefused(await opay.call('query', { opayToken: token, customerId: 'both-q' }), '99');
    expectRefused(await opay.call('query', {}), '99');
  });

  it('refuses an unknown customerId (20002) and an unknown token (20001)', async () => {
    expectRefused(await opay.call('query', { customerId: 'nobody-here' }), '20002');
    expectRefused(await opay.call('query', { opayToken: `OPAY_TOKEN_${'0'.repeat(32)}` }), '20001');
    expectRefused(await opay.call('delete', { opayToken: `OPAY_TOKEN_${'0'.repeat(32)}` }), '20001');
  });

  it('refuses delete without opayToken or with an unknown field (99), deleting nothing', async () => {
    const made = await opay.call('create', createBody());
    const token = (made.json.data as { opayToken: string }).opayToken;
    expectRefused(await opay.call('delete', {}), '99', 'opayToken');
    expectRefused(await opay.call('delete', { opayToken: token, customerId: 'x' }), '99', 'customerId');
    expect((await opay.call('query', { opayToken: token })).json.code).toBe('00000');
  });
});
