/**
 * Cybersource over raw HTTP, part two: unmasked retrieval by message-level encryption (a JWE to the
 * merchant's MLE key, either as `application/jose` or as the SDK's `{encryptedResponse}`; each one a
 * card.reveal audit event), and payments through /pts/v2 (authorize, capture, refund, reverse, credit,
 * decline codes, 3-D Secure, processor timeout, tokens created with an authorization), including a card
 * that came in through the native API.
 */
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { compactDecrypt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Client,
  client,
  createCustomer,
  createMerchant,
  futureYear,
  MASTERCARD,
  makeTestApp,
  type TestApp,
  type TestMerchant,
  tokenize,
  VISA,
} from '../../helpers/harness.ts';
import {
  auditCount,
  type CybsClient,
  type CybsCredentials,
  type CybsResponse,
  customerBody,
  customerWithCard,
  cybs,
  cybsCreds,
  EXP_YEAR,
  expectPtsError,
  expectTmsError,
  HEX32,
  II_ID,
  PAYMENT_ID,
  piBody,
  putCybsKeys,
  rowCounts,
} from './helpers.ts';

let t: TestApp;
let m: TestMerchant;
let creds: CybsCredentials;
let mlePrivate: KeyObject;
let c: CybsClient;
let hs: CybsClient;
let native: Client;
/** A TMS customer whose default PI is VISA. */
let cus: { customerId: string; piId: string; iiId: string };

const MASKED_VISA = '411111XXXXXX1111';
const JOSE = { headers: { accept: 'application/jose' } };
const mleClaim = (kid: string) => ({ claims: { 'v-c-response-mle-kid': kid } });
const amount = (totalAmount: string, currency = 'USD') => ({ orderInformation: { amountDetails: { totalAmount, currency } } });
const authorize = (paymentInformation: Record<string, unknown>, over: Record<string, unknown> = {}) =>
  c.post('/pts/v2/payments', {
    clientReferenceInformation: { code: 'order-1' },
    paymentInformation,
    ...amount('10.00'),
    ...over,
  });

/** card.reveal events on the merchant's chain, as the merchant reads them through the native audit API. */
async function reveals(): Promise<number> {
  let n = 0;
  let cursor = '';
  for (;;) {
    const r = await native.get(`/v1/audit-events?action=card.reveal&limit=100${cursor}`);
    expect(r.statusCode, r.body).toBe(200);
    const page = r.json();
    n += page.data.length;
    if (!page.nextCursor) return n;
    cursor = `&cursor=${page.nextCursor}`;
  }
}

/** The merchant's live customers, cards (not DELETED), addresses, and stored card numbers. */
async function liveCounts(): Promise<Record<string, number>> {
  const db = t.vault.store.db;
  const n = (r: { n: unknown }) => Number(r.n);
  return {
    customers: n(
      await db
        .selectFrom('customers')
        .select((e) => e.fn.countAll().as('n'))
        .where('merchant_id', '=', m.id)
        .where('deleted_at', 'is', null)
        .executeTakeFirstOrThrow(),
    ),
    cards: n(
      await db
        .selectFrom('cards')
        .select((e) => e.fn.countAll().as('n'))
        .where('merchant_id', '=', m.id)
        .where('status', '!=', 'DELETED')
        .executeTakeFirstOrThrow(),
    ),
    addresses: n(
      await db
        .selectFrom('addresses')
        .select((e) => e.fn.countAll().as('n'))
        .where('merchant_id', '=', m.id)
        .executeTakeFirstOrThrow(),
    ),
    storedNumbers: n(
      await db
        .selectFrom('instrument_identifiers')
        .select((e) => e.fn.countAll().as('n'))
        .where('merchant_id', '=', m.id)
        .where('pan_ct', 'is not', null)
        .executeTakeFirstOrThrow(),
    ),
  };
}

/** A compact JWE as the contract describes it, decrypted with `key`. */
async function openJwe(jwe: string, kid: string, key: KeyObject = mlePrivate): Promise<unknown> {
  expect(jwe.split('.')).toHaveLength(5);
  // The contract's header; an iat (as Cybersource's own MLE headers carry) is the only extra member allowed.
  const { iat, ...header } = decodeProtectedHeader(jwe);
  expect(header).toEqual({ alg: 'RSA-OAEP-256', enc: 'A256GCM', cty: 'json', typ: 'JWT', kid });
  if (iat !== undefined) expect(Math.abs(Number(iat) - Date.now() / 1000)).toBeLessThan(300);
  const { plaintext } = await compactDecrypt(jwe, key);
  return JSON.parse(new TextDecoder().decode(plaintext));
}

/** An `application/jose` answer: 200, the content type, the JWE body decrypted. */
async function openJose(res: CybsResponse, kid = creds.mleKeyId, key: KeyObject = mlePrivate): Promise<unknown> {
  expect(res.status, res.body).toBe(200);
  expect(String(res.headers['content-type'])).toMatch(/^application\/jose\b/);
  return openJwe(res.body.trim(), kid, key);
}

/** A `{encryptedResponse}` answer: exactly that one key, decrypted. */
async function openEncryptedResponse(res: CybsResponse, kid = creds.mleKeyId): Promise<unknown> {
  expect(Object.keys(res.json ?? {}), res.body).toEqual(['encryptedResponse']);
  return openJwe(res.json.encryptedResponse, kid);
}

/** The unmasked answer, with the full number masked again, equals the ordinary answer. */
function expectSameButUnmasked(plain: unknown, masked: unknown, number = VISA): void {
  const head = number.length >= 15 ? 6 : Math.floor(number.length / 2) - 4;
  const maskedNumber = `${number.slice(0, head)}${'X'.repeat(number.length - head - 4)}${number.slice(-4)}`;
  const text = JSON.stringify(plain);
  expect(JSON.parse(text.split(number).join(maskedNumber))).toEqual(masked);
  if (JSON.stringify(masked).includes(maskedNumber)) expect(text).toContain(number);
}

beforeAll(async () => {
  t = await makeTestApp({ env: { TOKENVAULT_PROCESSOR_TIMEOUT_MS: '300' } });
  m = await createMerchant(t, 'Cybersource MLE and payments');
  creds = cybsCreds(m);
  mlePrivate = createPrivateKey(creds.mlePrivateKeyPem);
  c = cybs(t, m);
  hs = cybs(t, m, { kind: 'jwt-hs256' });
  native = client(t, m.apiKey);
  cus = await customerWithCard(c, VISA);
});
afterAll(() => t?.close());

describe('unmasked retrieval with Accept: application/jose', () => {
  it('instrument identifier: the full card number, one card.reveal event', async () => {
    const url = `/tms/v1/instrumentidentifiers/${cus.iiId}`;
    const masked = await c.get(url);
    expect(masked.status, masked.body).toBe(200);
    expect(masked.json.card.number).toBe(MASKED_VISA);
    expect(masked.body).not.toContain(VISA);
    const before = await reveals();
    const dbBefore = await auditCount(t, m.id, 'card.reveal');
    const res = await c.get(url, JOSE);
    expect(res.body).not.toContain(VISA);
    const plain = (await openJose(res)) as { id: string; card: { number: string } };
    expect(plain.id).toBe(cus.iiId);
    expect(plain.card.number).toBe(VISA);
    expectSameButUnmasked(plain, masked.json);
    expect(await reveals()).toBe(before + 1);
    expect(await auditCount(t, m.id, 'card.reveal')).toBe(dbBefore + 1);
    // Another key cannot read it.
    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    await expect(compactDecrypt(res.body.trim(), stranger)).rejects.toThrow();
  });

  it('customer payment instrument', async () => {
    const url = `/tms/v2/customers/${cus.customerId}/payment-instruments/${cus.piId}`;
    const masked = await c.get(url);
    expect(masked.json._embedded.instrumentIdentifier.card.number).toBe(MASKED_VISA);
    const before = await reveals();
    const plain = (await openJose(await c.get(url, JOSE))) as { _embedded: { instrumentIdentifier: { card: { number: string } } } };
    expect(plain._embedded.instrumentIdentifier.card.number).toBe(VISA);
    expectSameButUnmasked(plain, masked.json);
    expect(await reveals()).toBe(before + 1);
  });

  it('standalone payment instrument', async () => {
    const url = `/tms/v1/paymentinstruments/${cus.piId}`;
    const masked = await c.get(url);
    expect(masked.status, masked.body).toBe(200);
    const before = await reveals();
    const plain = (await openJose(await c.get(url, JOSE))) as {
      id: string;
      _embedded: { instrumentIdentifier: { card: { number: string } } };
    };
    expect(plain.id).toBe(cus.piId);
    expect(plain._embedded.instrumentIdentifier.card.number).toBe(VISA);
    expectSameButUnmasked(plain, masked.json);
    expect(await reveals()).toBe(before + 1);
  });

  it('customer', async () => {
    const url = `/tms/v2/customers/${cus.customerId}`;
    const masked = await c.get(url);
    expect(masked.status, masked.body).toBe(200);
    const before = await reveals();
    const plain = (await openJose(await c.get(url, JOSE))) as { id: string };
    expect(plain.id).toBe(cus.customerId);
    expectSameButUnmasked(plain, masked.json);
    expect(await reveals()).toBeGreaterThanOrEqual(before + (JSON.stringify(masked.json).includes(MASKED_VISA) ? 1 : 0));
  });

  it('with JWT authentication too', async () => {
    const plain = (await openJose(await hs.get(`/tms/v1/instrumentidentifiers/${cus.iiId}`, JOSE))) as { card: { number: string } };
    expect(plain.card.number).toBe(VISA);
  });
});

describe("the SDK's response MLE (JWT claim v-c-response-mle-kid)", () => {
  it('a GET answers {encryptedResponse} with the full number, and is a card.reveal event', async () => {
    const before = await reveals();
    const res = await hs.get(`/tms/v1/instrumentidentifiers/${cus.iiId}`, mleClaim(creds.mleKeyId));
    expect(res.status, res.body).toBe(200);
    expect(res.body).not.toContain(VISA);
    const plain = (await openEncryptedResponse(res)) as { id: string; card: { number: string } };
    expect(plain.id).toBe(cus.iiId);
    expect(plain.card.number).toBe(VISA);
    expect(await reveals()).toBe(before + 1);

    const pi = await hs.get(`/tms/v2/customers/${cus.customerId}/payment-instruments/${cus.piId}`, mleClaim(creds.mleKeyId));
    expect(pi.status, pi.body).toBe(200);
    const piPlain = (await openEncryptedResponse(pi)) as { _embedded: { instrumentIdentifier: { card: { number: string } } } };
    expect(piPlain._embedded.instrumentIdentifier.card.number).toBe(VISA);

    const spi = await hs.get(`/tms/v1/paymentinstruments/${cus.piId}`, mleClaim(creds.mleKeyId));
    const spiPlain = (await openEncryptedResponse(spi)) as { _embedded: { instrumentIdentifier: { card: { number: string } } } };
    expect(spiPlain._embedded.instrumentIdentifier.card.number).toBe(VISA);
  });

  it('every answer is encrypted, a create too', async () => {
    const res = await hs.post('/tms/v2/customers', customerBody(), mleClaim(creds.mleKeyId));
    expect(res.status, res.body).toBe(201);
    const plain = (await openEncryptedResponse(res)) as { id: string };
    expect(plain.id).toMatch(HEX32);
    expect((await c.get(`/tms/v2/customers/${plain.id}`)).status).toBe(200);
  });

  it('a customer GET with the claim', async () => {
    const res = await hs.get(`/tms/v2/customers/${cus.customerId}`, mleClaim(creds.mleKeyId));
    expect(res.status, res.body).toBe(200);
    expect(((await openEncryptedResponse(res)) as { id: string }).id).toBe(cus.customerId);
  });

  it('a kid that is not the merchant’s → 400 invalidHeaders, nothing revealed', async () => {
    const other = cybsCreds(await createMerchant(t, 'Other MLE merchant'));
    const before = await reveals();
    for (const kid of ['not-my-kid', other.mleKeyId]) {
      const res = await hs.get(`/tms/v1/instrumentidentifiers/${cus.iiId}`, mleClaim(kid));
      expectTmsError(res, 400, 'invalidHeaders');
      expect(res.body).not.toContain(VISA);
    }
    expect(await reveals()).toBe(before);
  });
});

describe('a merchant without an MLE key', () => {
  let noMle: TestMerchant;
  let nc: CybsClient;
  let nh: CybsClient;
  let ncus: { customerId: string; piId: string; iiId: string };

  beforeAll(async () => {
    noMle = await createMerchant(t, 'No MLE merchant');
    nc = cybs(t, noMle);
    nh = cybs(t, noMle, { kind: 'jwt-hs256' });
    ncus = await customerWithCard(nc, MASTERCARD);
    const removed = await putCybsKeys(t, noMle.id, { removeMleKey: true });
    expect(removed.status, removed.body).toBe(200);
    expect(removed.json.merchantId).toBe(cybsCreds(noMle).merchantId);
    expect(removed.json.mleKeyId ?? null).toBeNull();
  });

  it('Accept: application/jose → 403 forbidden, nothing revealed', async () => {
    const before = await auditCount(t, noMle.id, 'card.reveal');
    for (const url of [
      `/tms/v1/instrumentidentifiers/${ncus.iiId}`,
      `/tms/v2/customers/${ncus.customerId}`,
      `/tms/v2/customers/${ncus.customerId}/payment-instruments/${ncus.piId}`,
      `/tms/v1/paymentinstruments/${ncus.piId}`,
    ]) {
      const res = await nc.get(url, JOSE);
      expectTmsError(res, 403, 'forbidden');
      expect(res.body).not.toContain(MASTERCARD);
    }
    expect(await auditCount(t, noMle.id, 'card.reveal')).toBe(before);
  });

  it('the response MLE claim with the old kid → 403 forbidden', async () => {
    const res = await nh.get(`/tms/v1/instrumentidentifiers/${ncus.iiId}`, mleClaim(cybsCreds(noMle).mleKeyId));
    expectTmsError(res, 403, 'forbidden');
    expect(res.body).not.toContain(MASTERCARD);
  });

  it('a PTS answer asked for as application/jose → 403 in the PTS shape (INVALID_MERCHANT_CONFIGURATION)', async () => {
    const paid = await nc.post('/pts/v2/payments', { paymentInformation: { customer: { id: ncus.customerId } }, ...amount('5.00') });
    expect(paid.status, paid.body).toBe(201);
    const res = await nc.get(`/pts/v2/payments/${paid.json.id}`, JOSE);
    expect(res.status, res.body).toBe(403);
    expect(res.json).toMatchObject({ status: 'INVALID_REQUEST', reason: 'INVALID_MERCHANT_CONFIGURATION' });
    expect(res.body).not.toContain(MASTERCARD);
  });

  it('ordinary masked reads still work', async () => {
    const res = await nc.get(`/tms/v1/instrumentidentifiers/${ncus.iiId}`);
    expect(res.status, res.body).toBe(200);
    expect(res.json.card.number).toBe('555555XXXXXX4444');
  });

  it('registering its own MLE public key enables unmasked retrieval under that kid', async () => {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const put = await putCybsKeys(t, noMle.id, {
      mlePublicKeyPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      mleKeyId: 'merchant-mle-1',
    });
    expect(put.status, put.body).toBe(200);
    expect(put.json.mleKeyId).toBe('merchant-mle-1');
    const plain = (await openJose(await nc.get(`/tms/v1/instrumentidentifiers/${ncus.iiId}`, JOSE), 'merchant-mle-1', pair.privateKey)) as {
      card: { number: string };
    };
    expect(plain.card.number).toBe(MASTERCARD);
    const old = await nh.get(`/tms/v1/instrumentidentifiers/${ncus.iiId}`, mleClaim(cybsCreds(noMle).mleKeyId));
    expectTmsError(old, 400, 'invalidHeaders');
  });
});

describe('payments over raw HTTP', () => {
  it('authorize with the customer’s default PI', async () => {
    const res = await authorize({ customer: { id: cus.customerId } });
    expect(res.status, res.body).toBe(201);
    const p = res.json;
    expect(p.id).toMatch(PAYMENT_ID);
    expect(p.status).toBe('AUTHORIZED');
    expect(p.submitTimeUtc).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(typeof p.reconciliationId).toBe('string');
    expect(p.clientReferenceInformation).toMatchObject({ code: 'order-1' });
    expect(p.orderInformation.amountDetails).toMatchObject({ authorizedAmount: '10.00', currency: 'USD' });
    expect(p.paymentAccountInformation.card.type).toBe('001');
    expect(p.processorInformation).toMatchObject({
      approvalCode: expect.any(String),
      transactionId: expect.any(String),
      networkTransactionId: expect.any(String),
      responseCode: expect.any(String),
    });
    expect(res.body).not.toContain(VISA);
    const got = await c.get(`/pts/v2/payments/${p.id}`);
    expect(got.status, got.body).toBe(200);
    expect(got.json.id).toBe(p.id);
  });

  it('authorize with a paymentInstrument id (not the default)', async () => {
    const second = await c.post(`/tms/v2/customers/${cus.customerId}/payment-instruments`, piBody(MASTERCARD));
    expect(second.status, second.body).toBe(201);
    const res = await authorize({ paymentInstrument: { id: second.json.id } });
    expect(res.status, res.body).toBe(201);
    expect(res.json.status).toBe('AUTHORIZED');
    expect(res.json.paymentAccountInformation.card.type).toBe('002');
    const both = await authorize({ customer: { id: cus.customerId }, paymentInstrument: { id: second.json.id } });
    expect(both.status, both.body).toBe(201);
    expect(both.json.paymentAccountInformation.card.type).toBe('002');
  });

  it('authorize with capture, then refund; a capture after that is refused', async () => {
    const res = await authorize({ customer: { id: cus.customerId } }, { processingInformation: { capture: true } });
    expect(res.status, res.body).toBe(201);
    expect(res.json.status).toBe('AUTHORIZED');
    const refund = await c.post(`/pts/v2/payments/${res.json.id}/refunds`, amount('10.00'));
    expect(refund.status, refund.body).toBe(201);
    expect(refund.json.status).toBe('PENDING');
    expectPtsError(await c.post(`/pts/v2/payments/${res.json.id}/captures`, amount('10.00')), ['INVALID_AMOUNT', 'INVALID_DATA']);
  });

  it('capture then refund, in parts, up to the captured amount', async () => {
    const auth = await authorize({ customer: { id: cus.customerId } });
    const id = auth.json.id as string;
    const cap = await c.post(`/pts/v2/payments/${id}/captures`, amount('6.00'));
    expect(cap.status, cap.body).toBe(201);
    expect(cap.json.status).toBe('PENDING');
    expect(cap.json.orderInformation?.amountDetails?.totalAmount).toBe('6.00');
    const r1 = await c.post(`/pts/v2/payments/${id}/refunds`, amount('2.50'));
    expect(r1.status, r1.body).toBe(201);
    expect(r1.json.status).toBe('PENDING');
    expect(r1.json.refundAmountDetails?.refundAmount).toBe('2.50');
    const r2 = await c.post(`/pts/v2/captures/${cap.json.id}/refunds`, amount('3.50'));
    expect(r2.status, r2.body).toBe(201);
    expect(r2.json.refundAmountDetails?.refundAmount).toBe('3.50');
    expectPtsError(await c.post(`/pts/v2/payments/${id}/refunds`, amount('0.01')), ['INVALID_AMOUNT', 'INVALID_DATA']);
  });

  it('a reversal → REVERSED; nothing can be captured after it', async () => {
    const auth = await authorize({ customer: { id: cus.customerId } });
    const rev = await c.post(`/pts/v2/payments/${auth.json.id}/reversals`, {
      clientReferenceInformation: { code: 'order-1' },
      reversalInformation: { amountDetails: { totalAmount: '10.00' }, reason: 'customer cancelled' },
    });
    expect(rev.status, rev.body).toBe(201);
    expect(rev.json.status).toBe('REVERSED');
    expectPtsError(await c.post(`/pts/v2/payments/${auth.json.id}/captures`, amount('10.00')), ['INVALID_AMOUNT', 'INVALID_DATA']);
    const again = await c.post(`/pts/v2/payments/${auth.json.id}/reversals`, {
      reversalInformation: { amountDetails: { totalAmount: '10.00' }, reason: 'again' },
    });
    expect(again.status).toBe(400);
  });

  it('a credit → PENDING with creditAmountDetails', async () => {
    const res = await c.post('/pts/v2/credits', {
      clientReferenceInformation: { code: 'credit-1' },
      paymentInformation: { customer: { id: cus.customerId } },
      ...amount('5.00'),
    });
    expect(res.status, res.body).toBe(201);
    expect(res.json.id).toMatch(PAYMENT_ID);
    expect(res.json.status).toBe('PENDING');
    expect(res.json.creditAmountDetails).toMatchObject({ creditAmount: '5.00', currency: 'USD' });
  });

  it.each([
    { card: '4000000000009995', reason: 'INSUFFICIENT_FUND' },
    { card: '4000000000000069', reason: 'EXPIRED_CARD' },
    { card: '4000000000000002', reason: 'PROCESSOR_DECLINED' },
    { card: '4000000000009987', reason: 'STOLEN_LOST_CARD' },
    { card: '4000000000000127', reason: 'CVN_NOT_MATCH' },
  ])('card $card declines with $reason', async ({ card, reason }) => {
    const k = await customerWithCard(c, card);
    const res = await authorize({ customer: { id: k.customerId } });
    expect(res.status, res.body).toBe(201);
    expect(res.json.status).toBe('DECLINED');
    expect(res.json.errorInformation?.reason).toBe(reason);
    expect(res.json.id).toMatch(PAYMENT_ID);
    expect(res.body).not.toContain(card);
  });

  it('an amount ending in .51 declines with INSUFFICIENT_FUND', async () => {
    const res = await authorize({ customer: { id: cus.customerId } }, amount('10.51'));
    expect(res.status, res.body).toBe(201);
    expect(res.json.status).toBe('DECLINED');
    expect(res.json.errorInformation?.reason).toBe('INSUFFICIENT_FUND');
  });

  it('the 3-D Secure challenge card → PENDING_AUTHENTICATION', async () => {
    const k = await customerWithCard(c, '4000000000003220');
    const res = await authorize({ customer: { id: k.customerId } });
    expect(res.status, res.body).toBe(201);
    expect(res.json.status).toBe('PENDING_AUTHENTICATION');
  });

  it('the timeout card → 502 SERVER_ERROR / SERVER_TIMEOUT, no payment written', async () => {
    const k = await customerWithCard(c, '4000000000000119');
    const rows = await rowCounts(t, m.id);
    const res = await authorize({ customer: { id: k.customerId } });
    expectPtsError(res, 'SERVER_TIMEOUT', 502);
    expect(await rowCounts(t, m.id)).toEqual(rows);
    // The token is still usable (not left reserved).
    expect((await c.get(`/tms/v1/paymentinstruments/${k.piId}`)).json.state).toBe('ACTIVE');
  });

  it('a suspended card is refused (INVALID_DATA) and shows CLOSED; reactivated, it pays', async () => {
    const ncus = await createCustomer(native, { name: 'Suspended' });
    const card = await tokenize(native, { customer: ncus.id, number: MASTERCARD });
    const s = await native.post(`/v1/cards/${card.token}/status`, { status: 'SUSPENDED' });
    expect(s.statusCode, s.body).toBe(200);
    expect((await c.get(`/tms/v1/paymentinstruments/${card.token}`)).json.state).toBe('CLOSED');
    const rows = await rowCounts(t, m.id);
    expectPtsError(await authorize({ paymentInstrument: { id: card.token } }), 'INVALID_DATA');
    expectPtsError(await authorize({ customer: { id: ncus.id } }), 'INVALID_DATA');
    expect(await rowCounts(t, m.id)).toEqual(rows);
    expect((await native.post(`/v1/cards/${card.token}/status`, { status: 'ACTIVE' })).statusCode).toBe(200);
    const ok = await authorize({ paymentInstrument: { id: card.token } });
    expect(ok.status, ok.body).toBe(201);
    expect(ok.json.status).toBe('AUTHORIZED');
  });

  it('TOKEN_CREATE with an approved authorization keeps every token', async () => {
    const res = await c.post('/pts/v2/payments', {
      clientReferenceInformation: { code: 'tc-approved' },
      processingInformation: {
        capture: false,
        actionList: ['TOKEN_CREATE'],
        actionTokenTypes: ['customer', 'paymentInstrument', 'shippingAddress', 'instrumentIdentifier'],
      },
      paymentInformation: { card: { number: '6011111111111117', expirationMonth: '12', expirationYear: EXP_YEAR, securityCode: '123' } },
      orderInformation: {
        amountDetails: { totalAmount: '12.00', currency: 'USD' },
        billTo: {
          firstName: 'Ada',
          lastName: 'Lovelace',
          address1: '1 Main St',
          locality: 'London',
          postalCode: 'N1 1AA',
          country: 'GB',
          email: 'ada@example.com',
        },
        shipTo: { firstName: 'Ada', lastName: 'Lovelace', address1: '2 Side St', locality: 'London', postalCode: 'N1 1AB', country: 'GB' },
      },
    });
    expect(res.status, res.body).toBe(201);
    expect(res.json.status).toBe('AUTHORIZED');
    expect(res.body).not.toContain('6011111111111117');
    const ti = res.json.tokenInformation;
    expect(ti.customer.id).toMatch(HEX32);
    expect(ti.paymentInstrument.id).toMatch(HEX32);
    expect(ti.shippingAddress.id).toMatch(HEX32);
    expect(ti.instrumentIdentifier.id).toMatch(II_ID);
    const customer = await c.get(`/tms/v2/customers/${ti.customer.id}`);
    expect(customer.status, customer.body).toBe(200);
    expect(customer.json.defaultPaymentInstrument?.id).toBe(ti.paymentInstrument.id);
    const pi = await c.get(`/tms/v2/customers/${ti.customer.id}/payment-instruments/${ti.paymentInstrument.id}`);
    expect(pi.status, pi.body).toBe(200);
    expect(pi.json.instrumentIdentifier.id).toBe(ti.instrumentIdentifier.id);
    expect(pi.json.card).toMatchObject({ expirationMonth: '12', expirationYear: EXP_YEAR });
    const sa = await c.get(`/tms/v2/customers/${ti.customer.id}/shipping-addresses/${ti.shippingAddress.id}`);
    expect(sa.status, sa.body).toBe(200);
    expect(sa.json.shipTo.address1).toBe('2 Side St');
    const ii = await c.get(`/tms/v1/instrumentidentifiers/${ti.instrumentIdentifier.id}`);
    expect(ii.status, ii.body).toBe(200);
    expect(ii.json.card.number).toBe('601111XXXXXX1117');
    // The new customer pays by its id.
    const again = await authorize({ customer: { id: ti.customer.id } });
    expect(again.json.status).toBe('AUTHORIZED');
  });

  it('TOKEN_CREATE with a declined authorization leaves no token behind', async () => {
    const card = '4000000000009979';
    const live = await liveCounts();
    const res = await c.post('/pts/v2/payments', {
      clientReferenceInformation: { code: 'tc-declined' },
      processingInformation: {
        actionList: ['TOKEN_CREATE'],
        actionTokenTypes: ['customer', 'paymentInstrument', 'shippingAddress', 'instrumentIdentifier'],
      },
      paymentInformation: { card: { number: card, expirationMonth: '12', expirationYear: EXP_YEAR, securityCode: '123' } },
      orderInformation: {
        amountDetails: { totalAmount: '12.00', currency: 'USD' },
        billTo: {
          firstName: 'Ada',
          lastName: 'Lovelace',
          address1: '1 Main St',
          locality: 'London',
          postalCode: 'N1 1AA',
          country: 'GB',
          email: 'ada@example.com',
        },
        shipTo: { firstName: 'Ada', lastName: 'Lovelace', address1: '2 Side St', locality: 'London', postalCode: 'N1 1AB', country: 'GB' },
      },
    });
    expect(res.status, res.body).toBe(201);
    expect(res.json.status).toBe('DECLINED');
    expect(res.json.errorInformation?.reason).toBe('STOLEN_LOST_CARD');
    const ti = res.json.tokenInformation;
    if (ti) {
      if (ti.customer?.id) expect((await c.get(`/tms/v2/customers/${ti.customer.id}`)).status).toBe(404);
      if (ti.paymentInstrument?.id) expect((await c.get(`/tms/v1/paymentinstruments/${ti.paymentInstrument.id}`)).status).toBe(404);
      if (ti.instrumentIdentifier?.id)
        expect((await c.get(`/tms/v1/instrumentidentifiers/${ti.instrumentIdentifier.id}`)).status).toBeGreaterThanOrEqual(404);
    }
    // Rows may stay behind as tombstones of the declined payment, but nothing live.
    expect(await liveCounts()).toEqual(live);
    // The card has no instrument identifier: asking for one makes a new one (201, not 200 "already had one"),
    // and not one of the ids the declined answer named.
    const ii = await c.post('/tms/v1/instrumentidentifiers', { card: { number: card } });
    expect(ii.status, ii.body).toBe(201);
    expect(ii.json.id).not.toBe(res.json.paymentInformation?.instrumentIdentifier?.id);
  });
});

describe('a card from the native API, through TMS and PTS', () => {
  it('is a TMS payment instrument under its own token, and pays by that id and by its customer', async () => {
    const ncus = await createCustomer(native, { customerId: 'native-1', email: 'native@example.com' });
    const card = await tokenize(native, { customer: ncus.id });
    const pi = await c.get(`/tms/v1/paymentinstruments/${card.token}`);
    expect(pi.status, pi.body).toBe(200);
    expect(pi.json).toMatchObject({
      id: card.token,
      object: 'paymentInstrument',
      state: 'ACTIVE',
      card: { expirationMonth: '12', expirationYear: String(futureYear()) },
    });
    expect(pi.json._embedded.instrumentIdentifier.card.number).toBe(MASKED_VISA);
    expect(pi.json.instrumentIdentifier.id).toBe(card.instrumentIdentifier.id);
    const under = await c.get(`/tms/v2/customers/${ncus.id}/payment-instruments/${card.token}`);
    expect(under.status, under.body).toBe(200);
    expect(under.json.default).toBe(true);
    const customer = await c.get(`/tms/v2/customers/${ncus.id}`);
    expect(customer.status, customer.body).toBe(200);
    expect(customer.json.buyerInformation.merchantCustomerID).toBe('native-1');
    const list = await c.get(`/tms/v2/customers/${ncus.id}/payment-instruments`);
    expect(list.json.total).toBe(1);
    const byPi = await authorize({ paymentInstrument: { id: card.token } });
    expect(byPi.status, byPi.body).toBe(201);
    expect(byPi.json.status).toBe('AUTHORIZED');
    const byCustomer = await authorize({ customer: { id: ncus.id } });
    expect(byCustomer.status, byCustomer.body).toBe(201);
    expect(byCustomer.json.status).toBe('AUTHORIZED');
    // And unmasked through MLE, like any other.
    const plain = (await openJose(await c.get(`/tms/v1/paymentinstruments/${card.token}`, JOSE))) as {
      _embedded: { instrumentIdentifier: { card: { number: string } } };
    };
    expect(plain._embedded.instrumentIdentifier.card.number).toBe(VISA);
  });
});
