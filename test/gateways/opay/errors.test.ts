/** OPay refusals of what a merchant sends: fields, references, query and delete bodies. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, VISA } from '../../helpers/harness.ts';
import { hmacHex, type OpayClient } from './helpers.ts';
import { countRows, createBody, expectRefused, ref, refusing, twoMerchants } from './refusals.ts';

let t: TestApp;
let opay: OpayClient;
let other: OpayClient;
const refusedCreate = refusing(() => ({ t, opay }));

beforeAll(async () => {
  ({ t, opay, other } = await twoMerchants());
});
afterAll(() => t.close());

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
    const customersBefore = await countRows(t, 'customers');
    await refusedCreate(createBody({ cardNumber: '4111111111111112', customerInfo: { customerId: 'never-made' } }), '99', 'cardNumber');
    expect(await countRows(t, 'customers')).toBe(customersBefore);
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
    // A second, different request under the same reference (a byte-identical one would be a replay, answered
    // the first answer: replay.test.ts).
    await refusedCreate(createBody({ reference, cardHolderName: 'Someone Else' }), '20000');
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
