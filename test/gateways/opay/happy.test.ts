import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnvelope } from '../../../src/crypto/envelope.ts';
import { type Client, client, createMerchant, futureYear, MASTERCARD, makeTestApp, type TestApp, VISA } from '../../helpers/harness.ts';
import { hmacHex, type OpayClient, opayClient, sortedJson } from './helpers.ts';

let t: TestApp;
let opay: OpayClient;
let native: Client;

const YY = String(futureYear() % 100).padStart(2, '0');
let refSeq = 0;
const ref = () => `ORD-${Date.now()}-${++refSeq}`;

const createBody = (over: Record<string, unknown> = {}) => ({
  reference: ref(),
  cardNumber: VISA,
  expiryYear: YY,
  expiryMonth: '02',
  cvv: '123',
  cardHolderName: 'Ada Lovelace',
  customerInfo: {
    customerId: 'cust-ada',
    customerName: 'Ada Lovelace',
    customerEmail: 'ada@example.com',
    customerMobile: '20123111111',
  },
  ...over,
});

const TOKEN = /^OPAY_TOKEN_[0-9a-f]{32}$/;

async function createToken(over: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const r = await opay.call('create', createBody(over));
  expect(r.json.code, r.json.message).toBe('00000');
  return r.json.data as Record<string, unknown>;
}

beforeAll(async () => {
  t = await makeTestApp();
  const m = await createMerchant(t, 'OPay merchant');
  opay = opayClient(t, m);
  native = client(t, m.apiKey);
});
afterAll(() => t.close());

describe('OPay token create', () => {
  it('creates a token for a signed Visa request and answers field for field', async () => {
    const before = Math.floor(Date.now() / 1000);
    const r = await opay.call(
      'create',
      createBody({
        customerInfo: { customerId: 'cust-create', customerName: 'Ada', customerEmail: 'a@b.co', customerMobile: '20123111111' },
      }),
    );
    expect(r.status).toBe(200);
    expect(r.json.code).toBe('00000');
    expect(r.json.message).toBe('SUCCESSFUL');
    const data = r.json.data as Record<string, unknown>;
    expect(data.opayToken).toMatch(TOKEN);
    expect(data).toEqual({
      opayToken: data.opayToken,
      brand: 'VISA',
      expiryYear: YY,
      expiryMonth: '02',
      createTimestamp: expect.any(Number),
      lastFourDigits: '1111',
      firstSixDigits: '411111',
      customerInfo: { customerId: 'cust-create', customerName: 'Ada', customerEmail: 'a@b.co', customerMobile: '20123111111' },
    });
    const ts = data.createTimestamp as number;
    expect(Number.isInteger(ts)).toBe(true);
    expect(ts).toBeGreaterThanOrEqual(before - 5);
    expect(ts).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 5);
    expect(JSON.stringify(r.json)).not.toContain(VISA);
    expect(JSON.stringify(r.json)).not.toContain('"123"');
  });

  it('reports a Mastercard as MASTERCARD', async () => {
    const data = await createToken({ cardNumber: MASTERCARD, expiryMonth: '11' });
    expect(data).toMatchObject({ brand: 'MASTERCARD', firstSixDigits: '555555', lastFourDigits: '4444', expiryMonth: '11' });
  });

  it('creates a token without customerInfo, cvv or holder name (customerInfo null)', async () => {
    const data = await createToken({ customerInfo: undefined, cvv: undefined, cardHolderName: undefined });
    expect(data.opayToken).toMatch(TOKEN);
    expect(data.customerInfo).toBeNull();
  });

  it('gives every create a fresh token, even for the same card', async () => {
    const a = await createToken();
    const b = await createToken();
    expect(a.opayToken).not.toBe(b.opayToken);
  });
});

describe('OPay signature forms', () => {
  it('accepts a signature over the raw bytes when the body is sent with keys unsorted', async () => {
    const body = createBody();
    const { reference, ...rest } = body;
    const raw = JSON.stringify({ ...rest, reference }); // reference last: not sorted
    expect(raw).not.toBe(sortedJson(body));
    const r = await opay.call('create', undefined, { raw, signature: hmacHex(opay.secretKey, raw) });
    expect(r.json.code, r.json.message).toBe('00000');
  });

  it("accepts PHP's json_encode body (escaped slashes) signed over the raw bytes", async () => {
    const body = createBody({ cardHolderName: 'A/B Trading', reference: `PHP/${ref()}` });
    const raw = JSON.stringify(body).replaceAll('/', '\\/');
    expect(raw).toContain('\\/');
    const r = await opay.call('create', undefined, { raw, signature: hmacHex(opay.secretKey, raw) });
    expect(r.json.code, r.json.message).toBe('00000');
    // The escaped slash was decoded, not stored literally: the reference is claimed as sent-decoded.
    const dup = await opay.call('create', { ...body, cardNumber: MASTERCARD });
    expect(dup.json.code).toBe('20000');
  });

  it('accepts a signature over the canonical sorted form while the body is sent unsorted and escaped', async () => {
    const body = createBody({ cardHolderName: 'C/O Someone', reference: `CANON/${ref()}` });
    // As PHP's json_encode sends it: the merchant's own key order, slashes escaped.
    const raw = JSON.stringify(body).replaceAll('/', '\\/');
    expect(raw).not.toBe(sortedJson(body));
    const r = await opay.call('create', undefined, { raw, signature: hmacHex(opay.secretKey, sortedJson(body)) });
    expect(r.json.code, r.json.message).toBe('00000');
  });

  it('accepts the signature in uppercase hex', async () => {
    const body = createBody();
    const r = await opay.call('create', body, { signature: hmacHex(opay.secretKey, sortedJson(body)).toUpperCase() });
    expect(r.json.code, r.json.message).toBe('00000');
  });
});

describe('OPay token query and delete', () => {
  it('queries a token by opayToken with the same fields as create', async () => {
    const made = await createToken({
      customerInfo: { customerId: 'cust-q1', customerName: 'Q One', customerEmail: 'q1@example.com', customerMobile: '201' },
    });
    const r = await opay.call('query', { opayToken: made.opayToken });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ code: '00000', message: 'SUCCESSFUL', data: made });
  });

  it('queries by customerId: the customer and only ACTIVE tokens, field for field as the seed shows', async () => {
    const info = { customerId: 'cust-by-user', customerName: 'By User', customerEmail: 'by@user.com', customerMobile: '20123111111' };
    const active1 = await createToken({ customerInfo: info });
    const active2 = await createToken({ customerInfo: info, cardNumber: MASTERCARD, expiryMonth: '07' });
    const deleted = await createToken({ customerInfo: info });
    const suspended = await createToken({ customerInfo: info });
    await createToken({ customerInfo: { customerId: 'someone-else' } });

    const del = await opay.call('delete', { opayToken: deleted.opayToken });
    expect(del.json.code).toBe('00000');
    const sus = await native.post(`/v1/cards/${suspended.opayToken}/status`, { status: 'SUSPENDED' });
    expect(sus.statusCode).toBe(200);
    expect(sus.json().status).toBe('SUSPENDED');

    const r = await opay.call('query', { customerId: 'cust-by-user' });
    expect(r.status).toBe(200);
    expect(r.json.code).toBe('00000');
    expect(r.json.message).toBe('SUCCESSFUL');
    const data = r.json.data as { customer: Record<string, unknown>; cardTokens: Record<string, unknown>[] };
    expect(Object.keys(data).sort()).toEqual(['cardTokens', 'customer']);
    expect(data.customer).toEqual(info);
    expect(Object.keys(data.customer).sort()).toEqual(['customerEmail', 'customerId', 'customerMobile', 'customerName']);
    const strip = (d: Record<string, unknown>) => {
      const { customerInfo: _omit, ...rest } = d;
      return rest;
    };
    expect(data.cardTokens).toHaveLength(2);
    expect(data.cardTokens).toEqual(expect.arrayContaining([strip(active1), strip(active2)]));
    for (const tok of data.cardTokens) {
      expect(Object.keys(tok).sort()).toEqual([
        'brand',
        'createTimestamp',
        'expiryMonth',
        'expiryYear',
        'firstSixDigits',
        'lastFourDigits',
        'opayToken',
      ]);
      expect(tok.opayToken).toMatch(TOKEN);
      expect(typeof tok.createTimestamp).toBe('number');
    }
    const tokens = data.cardTokens.map((x) => x.opayToken);
    expect(tokens).not.toContain(deleted.opayToken);
    expect(tokens).not.toContain(suspended.opayToken);
  });

  it('deletes a token: data null, then the token is not found by query; the same delete again is answered as the first (a replay)', async () => {
    const made = await createToken();
    const del = await opay.call('delete', { opayToken: made.opayToken });
    expect(del.status).toBe(200);
    expect(del.json).toEqual({ code: '00000', message: 'SUCCESSFUL', data: null });
    const q = await opay.call('query', { opayToken: made.opayToken });
    expect(q.json.code).toBe('20001');
    expect(q.json.data).toBeNull();
    // OPay's delete carries nothing but the token: the same delete again is a replay of the first, answered its
    // answer, and changes nothing (SECURITY.md "Replays").
    const again = await opay.call('delete', { opayToken: made.opayToken });
    expect(again.json).toEqual(del.json);
    expect((await opay.call('query', { opayToken: made.opayToken })).json.code).toBe('20001');
    // The native API sees the same deletion, audited as done through OPay.
    const n = await native.get(`/v1/cards/${made.opayToken}`);
    expect(n.statusCode).toBe(200);
    expect(n.json().status).toBe('DELETED');
    const audit = (await native.get(`/v1/audit-events?action=card.delete&token=${made.opayToken}`)).json().data as { actor: string }[];
    expect(audit).toHaveLength(1);
    expect(audit[0]?.actor).toMatch(/^opay:/);
  });
});

describe('OPay tokens are the vault records everywhere else', () => {
  it('is visible through the native API, masked, with its customer attached by external id', async () => {
    const made = await createToken({
      customerInfo: { customerId: 'cust-native', customerName: 'Native Person', customerEmail: 'n@example.com', customerMobile: '+20 123' },
    });
    const res = await native.get(`/v1/cards/${made.opayToken}`);
    expect(res.statusCode).toBe(200);
    const card = res.json();
    expect(card).toMatchObject({
      token: made.opayToken,
      brand: 'visa',
      bin: '411111',
      last4: '1111',
      maskedNumber: '411111******1111',
      status: 'ACTIVE',
      expMonth: 2,
      expYear: futureYear(),
      holderName: 'Ada Lovelace',
    });
    expect(res.body).not.toContain(VISA);
    expect(card.customer).toEqual(expect.any(String));
    const cus = await native.get(`/v1/customers/${card.customer}`);
    expect(cus.statusCode).toBe(200);
    expect(cus.json()).toMatchObject({ customerId: 'cust-native', name: 'Native Person', email: 'n@example.com', phone: '+20 123' });
  });

  it('reuses an existing customer by customerId instead of creating a second one', async () => {
    const a = await createToken({ customerInfo: { customerId: 'cust-reuse', customerName: 'Reuse' } });
    const b = await createToken({ customerInfo: { customerId: 'cust-reuse' } });
    const ca = (await native.get(`/v1/cards/${a.opayToken}`)).json().customer;
    const cb = (await native.get(`/v1/cards/${b.opayToken}`)).json().customer;
    expect(ca).toBe(cb);
    const rows = await t.vault.store.db.selectFrom('customers').select('id').where('external_id', '=', 'cust-reuse').execute();
    expect(rows).toHaveLength(1);
  });

  it('audits the create with an opay: actor', async () => {
    const made = await createToken();
    const res = await native.get(`/v1/audit-events?action=card.create&token=${made.opayToken}`);
    expect(res.statusCode).toBe(200);
    const events = res.json().data as { actor: string; target: string; outcome: string }[];
    expect(events).toHaveLength(1);
    expect(events[0]?.actor).toMatch(/^opay:/);
    expect(events[0]?.target).toBe(made.opayToken);
    expect(JSON.stringify(events)).not.toContain(VISA);
  });

  it('keeps the PAN and the CVV encrypted at rest', async () => {
    const pan = '4000056655665556';
    const made = await createToken({ cardNumber: pan, cvv: '987' });
    const row = await t.vault.store.db
      .selectFrom('cards')
      .innerJoin('instrument_identifiers', 'instrument_identifiers.id', 'cards.instrument_id')
      .select(['instrument_identifiers.pan_ct', 'cards.id'])
      .where('cards.id', '=', made.opayToken as string)
      .executeTakeFirstOrThrow();
    expect(row.pan_ct).toMatch(/^tv1\./);
    expect(row.pan_ct).not.toContain(pan);
    const secret = await t.vault.store.db
      .selectFrom('card_secrets')
      .selectAll()
      .where('card_id', '=', made.opayToken as string)
      .executeTakeFirstOrThrow();
    expect(secret.cvv_ct).toMatch(/^tv1\./);
    // Sealed, not stored: 3 bytes of ciphertext and the 16-byte tag (a substring test on ciphertext text could hit "987" by chance).
    expect(parseEnvelope(secret.cvv_ct).body.length).toBe('987'.length + 16);
  });

  it('holds no CVV when none is given', async () => {
    const made = await createToken({ cvv: undefined });
    const secret = await t.vault.store.db
      .selectFrom('card_secrets')
      .selectAll()
      .where('card_id', '=', made.opayToken as string)
      .executeTakeFirst();
    expect(secret).toBeUndefined();
  });
});
