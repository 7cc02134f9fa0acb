import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, client, createMerchant, makeTestApp, type TestApp, type TestMerchant } from '../../helpers/harness.ts';
import { type AppotaClient, appotaClient, chargeBody, createToken, refId, tokenBody } from './helpers.ts';
import { expectError, refusalKit } from './refusals.ts';

let t: TestApp;
let merchant: TestMerchant;
let appota: AppotaClient;
let other: AppotaClient;
let native: Client;

const { answered, call, create, charge, count, refusedCreate, refusedChargeFor } = refusalKit(() => ({ t, appota }));

const goodCustomer = () => ({
  browser: { clientIp: '192.11.11.11', userAgent: 'ui', referrer: 'https://appotapay.com/', acceptLanguage: 'en-US' },
});
const goodBilling = (): Record<string, unknown> => ({
  firstName: 'NHUNG',
  lastName: 'HOANG',
  email: 'nhunghoang@email.com',
  phoneNumber: '02345686432',
  province: 'VP',
  country: 'VN',
  city: 'VT',
  addressLine1: '81 Lang Ha',
  addressLine2: '17 Mai Anh Tuan',
  postalCode: '10000',
});

beforeAll(async () => {
  t = await makeTestApp();
  merchant = await createMerchant(t, 'AppotaPay merchant');
  appota = appotaClient(t, merchant);
  other = appotaClient(t, await createMerchant(t, 'Other merchant'));
  native = client(t, merchant.apiKey);
});
afterAll(() => t.close());

describe('AppotaPay token create validation', () => {
  it('accepts the good bodies these cases bend (customer and billing in full)', async () => {
    const r = await create(tokenBody({ customer: goodCustomer(), billing: goodBilling() }));
    expect(r.status, r.body).toBe(200);
  });

  it('refuses a missing card.number or card (1)', async () => {
    await refusedCreate(tokenBody({}, { number: undefined }), 1, 'card.number');
    await refusedCreate(tokenBody({ card: undefined }), 1, 'card');
  });

  it('refuses a card.number with non-digits or of a bad length (1)', async () => {
    await refusedCreate(tokenBody({}, { number: '4000abcd00000010' }), 1, 'card.number');
    await refusedCreate(tokenBody({}, { number: '4000 0000 0000 0010' }), 1, 'card.number');
    await refusedCreate(tokenBody({}, { number: '400000000010' }), 1, 'card.number');
    await refusedCreate(tokenBody({}, { number: 4000000000000010 }), 1, 'card.number');
  });

  it('refuses a number failing Luhn (61)', async () => {
    await refusedCreate(tokenBody({}, { number: '4000000000000011' }), 61);
  });

  it('refuses a bad holderName: empty, 51 characters, or with "-" (1)', async () => {
    await refusedCreate(tokenBody({}, { holderName: '' }), 1, 'card.holderName');
    await refusedCreate(tokenBody({}, { holderName: 'A'.repeat(51) }), 1, 'card.holderName');
    await refusedCreate(tokenBody({}, { holderName: 'HOANG-NHUNG' }), 1, 'card.holderName');
    await refusedCreate(tokenBody({}, { holderName: undefined }), 1, 'card.holderName');
    // 50 is the limit, and digits and spaces are allowed.
    expect((await create(tokenBody({}, { holderName: 'A'.repeat(50) }))).status).toBe(200);
    expect((await create(tokenBody({}, { holderName: 'Nguyen Van 2' }))).status).toBe(200);
  });

  it("refuses expirationMonth '13' and '1' (1)", async () => {
    await refusedCreate(tokenBody({}, { expirationMonth: '13' }), 1, 'card.expirationMonth');
    await refusedCreate(tokenBody({}, { expirationMonth: '1' }), 1, 'card.expirationMonth');
    await refusedCreate(tokenBody({}, { expirationMonth: '00' }), 1, 'card.expirationMonth');
  });

  it("refuses expirationYear '2029' (1)", async () => {
    await refusedCreate(tokenBody({}, { expirationYear: '2029' }), 1, 'card.expirationYear');
    await refusedCreate(tokenBody({}, { expirationYear: 29 }), 1, 'card.expirationYear');
  });

  it('refuses an expired card (63)', async () => {
    await refusedCreate(tokenBody({}, { expirationMonth: '01', expirationYear: '20' }), 63);
    // Today is past October 2026.
    await refusedCreate(tokenBody({}, { expirationMonth: '10', expirationYear: '26' }), 63);
  });

  it("refuses cvv '12' and '12345' (1)", async () => {
    await refusedCreate(tokenBody({}, { cvv: '12' }), 1, 'card.cvv');
    await refusedCreate(tokenBody({}, { cvv: '12345' }), 1, 'card.cvv');
    await refusedCreate(tokenBody({}, { cvv: 'abc' }), 1, 'card.cvv');
  });

  it("refuses tokenType 'ONCE' or missing (1)", async () => {
    await refusedCreate(tokenBody({ tokenType: 'ONCE' }), 1, 'tokenType');
    await refusedCreate(tokenBody({ tokenType: undefined }), 1, 'tokenType');
  });

  it('refuses merchantRefId empty, 41 characters or missing (1)', async () => {
    await refusedCreate(tokenBody({ merchantRefId: '' }), 1, 'merchantRefId');
    await refusedCreate(tokenBody({ merchantRefId: 'M'.repeat(41) }), 1, 'merchantRefId');
    await refusedCreate(tokenBody({ merchantRefId: undefined }), 1, 'merchantRefId');
    expect((await create(tokenBody({ merchantRefId: `${'M'.repeat(30)}${randomUUID().slice(0, 10)}` }))).status).toBe(200);
  });

  it('refuses a duplicate merchantRefId (84), another merchant may use it', async () => {
    const ref = refId('DUP');
    expect((await create(tokenBody({ merchantRefId: ref }))).status).toBe(200);
    const before = await count('cards');
    expectError(await create(tokenBody({ merchantRefId: ref }, { number: '5555555555554444' })), 400, 84);
    expect(await count('cards')).toBe(before);
    const theirs = await call(other, 'POST', '/credit-card/token', tokenBody({ merchantRefId: ref }));
    expect(theirs.status, theirs.body).toBe(200);
  });

  it('refuses a customer without browser, or a browser missing a field (1)', async () => {
    await refusedCreate(tokenBody({ customer: {} }), 1, 'customer.browser');
    for (const missing of ['clientIp', 'userAgent', 'referrer', 'acceptLanguage']) {
      const browser: Record<string, unknown> = { ...goodCustomer().browser };
      delete browser[missing];
      await refusedCreate(tokenBody({ customer: { browser } }), 1, `customer.browser.${missing}`);
    }
  });

  it('refuses a clientIp too short, and an acceptLanguage too long (1)', async () => {
    await refusedCreate(
      tokenBody({ customer: { browser: { ...goodCustomer().browser, clientIp: '1.1.1' } } }),
      1,
      'customer.browser.clientIp',
    );
    await refusedCreate(
      tokenBody({ customer: { browser: { ...goodCustomer().browser, acceptLanguage: 'en-US,vi-VN' } } }),
      1,
      'customer.browser.acceptLanguage',
    );
  });

  it('refuses billing given in part (1)', async () => {
    await refusedCreate(tokenBody({ billing: { firstName: 'NHUNG', lastName: 'HOANG' } }), 1, 'billing.email');
    for (const missing of ['email', 'phoneNumber', 'country', 'postalCode', 'addressLine2']) {
      const billing = goodBilling();
      delete billing[missing];
      await refusedCreate(tokenBody({ billing }), 1, `billing.${missing}`);
    }
  });

  it('refuses a clientIp that is no IPv4 or IPv6 address (1)', async () => {
    for (const clientIp of ['999.999.999.999', 'deadbeefcafe', ':::::::']) {
      await refusedCreate(tokenBody({ customer: { browser: { ...goodCustomer().browser, clientIp } } }), 1, 'customer.browser.clientIp');
    }
    // IPv6 is fine.
    const v6 = await create(tokenBody({ customer: { browser: { ...goodCustomer().browser, clientIp: '2001:db8::1' } } }));
    expect(v6.status, v6.body).toBe(200);
  });

  it("refuses billing.country 'VNM' and a 7-character phoneNumber (1)", async () => {
    await refusedCreate(tokenBody({ billing: { ...goodBilling(), country: 'VNM' } }), 1, 'billing.country');
    await refusedCreate(tokenBody({ billing: { ...goodBilling(), phoneNumber: '0234568' } }), 1, 'billing.phoneNumber');
  });

  it('refuses a body that is not a JSON object (1), never a 5xx', async () => {
    const before = await count('cards');
    for (const raw of ['{"merchantRefId":"X",', '[]', '"text"', 'null']) {
      const r = await create(undefined, { raw });
      expect(r.status, `${raw}: ${r.body}`).toBe(400);
      expect(r.json?.errorCode, `${raw}: ${r.body}`).toBe(1);
    }
    expect(await count('cards')).toBe(before);
  });
});

describe('AppotaPay charge refusals', () => {
  let multi: string;
  beforeAll(async () => {
    multi = (await createToken(appota)).tokenId;
  });

  const refusedCharge = refusedChargeFor(() => multi);

  it('refuses amount 10.5, 0, -1 or "1000" (1)', async () => {
    for (const amount of [10.5, 0, -1, '1000']) await refusedCharge(chargeBody(multi, { amount }), 400, 1, 'amount');
    await refusedCharge(chargeBody(multi, { amount: undefined }), 400, 1, 'amount');
  });

  it('refuses currency USD (1)', async () => {
    await refusedCharge(chargeBody(multi, { currency: 'USD' }), 400, 1, 'currency');
  });

  it('refuses a missing tokenId (1) or a bad merchantRefId (1)', async () => {
    await refusedCharge(chargeBody(multi, { tokenId: undefined }), 400, 1, 'tokenId');
    await refusedCharge(chargeBody(multi, { merchantRefId: 'M'.repeat(41) }), 400, 1, 'merchantRefId');
    await refusedCharge(chargeBody(multi, { merchantRefId: '' }), 400, 1, 'merchantRefId');
  });

  it('refuses an unknown token (404, 43)', async () => {
    await refusedCharge(chargeBody('01hqhr4qqnk66d7tg3pk5md08c'), 404, 43);
  });

  it('refuses a second charge of a SINGLE token (92), the token staying deletable', async () => {
    const tok = await createToken(appota, { tokenType: 'SINGLE' });
    expect((await charge(chargeBody(tok.tokenId))).status).toBe(200);
    await refusedCharge(chargeBody(tok.tokenId), 400, 92);
    const del = await call(appota, 'DELETE', `/credit-card/token/${tok.tokenId}?merchantRefId=${tok.merchantRefId}`);
    expect(del.status, del.body).toBe(200);
    await refusedCharge(chargeBody(tok.tokenId), 400, 109);
  });

  it('refuses a duplicate charge merchantRefId (4), leaving the first charge as it was', async () => {
    const body = chargeBody(multi, { amount: 200000 });
    const first = await charge(body);
    expect(first.status, first.body).toBe(200);
    await refusedCharge({ ...body, amount: 300000 }, 400, 4);
    const got = await call(appota, 'GET', `/credit-card/charge/${body.merchantRefId}?referenceType=MERCHANT_REFERENCE_ID`);
    expect(got.json).toMatchObject({ id: first.json.id, authorizedAmount: 200000 });
  });

  it('refuses a suspended token (41)', async () => {
    const tok = await createToken(appota);
    const sus = await native.post(`/v1/cards/${tok.tokenId}/status`, { status: 'SUSPENDED' });
    expect(sus.statusCode, sus.body).toBe(200);
    await refusedCharge(chargeBody(tok.tokenId), 400, 41);
  });

  it('refuses a card that needs 3-D Secure (9), charging nothing', async () => {
    const tok = await createToken(appota, {}, { number: '4000000000003220' });
    const body = chargeBody(tok.tokenId);
    expectError(await charge(body), 400, 9);
    const got = await call(appota, 'GET', `/credit-card/charge/${body.merchantRefId}?referenceType=MERCHANT_REFERENCE_ID`);
    if (got.status === 200) {
      expect(['AUTHORIZED', 'CAPTURED']).not.toContain(got.json.status);
      expect(got.json.capturedAmount ?? 0).toBe(0);
    } else expectError(got, 404, 14);
  });
});

describe('AppotaPay capture and charge get refusals', () => {
  it('refuses a capture of an unknown id (404, 14)', async () => {
    expectError(await call(appota, 'POST', '/credit-card/01HQHR4QQNK66D7TG3PK5MD08C/capture', { amount: 1000, currency: 'VND' }), 404, 14);
  });

  it('refuses a capture of more than authorized (1), leaving the authorization as it was', async () => {
    const tok = await createToken(appota);
    const auth = await charge(chargeBody(tok.tokenId, { capture: false, amount: 400000 }));
    expect(auth.status, auth.body).toBe(200);
    const id = auth.json.id as string;
    expectError(await call(appota, 'POST', `/credit-card/${id}/capture`, { amount: 400001, currency: 'VND' }), 400, 1);
    const got = await call(appota, 'GET', `/credit-card/charge/${id}`);
    expect(got.json).toMatchObject({ status: 'AUTHORIZED', authorizedAmount: 400000, capturedAmount: 0 });
    // Still capturable in full.
    const cap = await call(appota, 'POST', `/credit-card/${id}/capture`, { amount: 400000, currency: 'VND' });
    expect(cap.status, cap.body).toBe(200);
    expect(cap.json.status).toBe('CAPTURED');
  });

  it('refuses a capture of a declined charge (9)', async () => {
    const tok = await createToken(appota, {}, { number: '4000000000009995' });
    const body = chargeBody(tok.tokenId, { capture: false });
    expectError(await charge(body), 400, 64);
    const got = await call(appota, 'GET', `/credit-card/charge/${body.merchantRefId}?referenceType=MERCHANT_REFERENCE_ID`);
    expect(got.status, got.body).toBe(200);
    expectError(await call(appota, 'POST', `/credit-card/${got.json.id}/capture`, { amount: 150000, currency: 'VND' }), 400, 9);
  });

  it('refuses a capture with a bad amount or currency (1)', async () => {
    const tok = await createToken(appota);
    const auth = await charge(chargeBody(tok.tokenId, { capture: false }));
    expect(auth.status, auth.body).toBe(200);
    const path = `/credit-card/${auth.json.id}/capture`;
    expectError(await call(appota, 'POST', path, { amount: 0, currency: 'VND' }), 400, 1, 'amount');
    expectError(await call(appota, 'POST', path, { amount: 1000.5, currency: 'VND' }), 400, 1, 'amount');
    expectError(await call(appota, 'POST', path, { amount: 1000, currency: 'USD' }), 400, 1, 'currency');
    expect((await call(appota, 'GET', `/credit-card/charge/${auth.json.id}`)).json).toMatchObject({
      status: 'AUTHORIZED',
      capturedAmount: 0,
    });
  });

  it('refuses an unknown referenceType (1)', async () => {
    expectError(
      await call(appota, 'GET', '/credit-card/charge/01HQHR4QQNK66D7TG3PK5MD08C?referenceType=SOMETHING'),
      400,
      1,
      'referenceType',
    );
  });

  it('answers 404 14 for an unknown charge id or merchantRefId', async () => {
    expectError(await call(appota, 'GET', '/credit-card/charge/01HQHR4QQNK66D7TG3PK5MD08C'), 404, 14);
    expectError(await call(appota, 'GET', '/credit-card/charge/no-such-ref?referenceType=MERCHANT_REFERENCE_ID'), 404, 14);
  });
});

describe('AppotaPay token delete refusals', () => {
  it('refuses a missing or over-long merchantRefId (1), deleting nothing', async () => {
    const tok = await createToken(appota);
    expectError(await call(appota, 'DELETE', `/credit-card/token/${tok.tokenId}`), 400, 1);
    expectError(await call(appota, 'DELETE', `/credit-card/token/${tok.tokenId}?merchantRefId=${'r'.repeat(41)}`), 400, 1);
    expectError(await call(appota, 'DELETE', `/credit-card/token/${tok.tokenId}?merchantRefId=`), 400, 1);
    expect((await native.get(`/v1/cards/${tok.tokenId}`)).json().status).toBe('ACTIVE');
  });

  it('refuses a delete reference used by an earlier delete (4), deleting nothing', async () => {
    const [first, second] = [await createToken(appota), await createToken(appota)];
    const ref = refId('del');
    expect((await call(appota, 'DELETE', `/credit-card/token/${first.tokenId}?merchantRefId=${ref}`)).status).toBe(200);
    expectError(await call(appota, 'DELETE', `/credit-card/token/${second.tokenId}?merchantRefId=${ref}`), 400, 4);
    expect((await native.get(`/v1/cards/${second.tokenId}`)).json().status).toBe('ACTIVE');
    // A refused delete leaves its reference free: the same reference then deletes the token.
    const fresh = refId('del');
    expectError(await call(appota, 'DELETE', `/credit-card/token/${first.tokenId}?merchantRefId=${fresh}`), 400, 109);
    expect((await call(appota, 'DELETE', `/credit-card/token/${second.tokenId}?merchantRefId=${fresh}`)).status).toBe(200);
  });
});

describe('AppotaPay headers', () => {
  it('refuses a reused X-Request-ID (6), creating nothing the second time', async () => {
    const id = randomUUID();
    const first = await create(tokenBody(), { headers: { 'x-request-id': id } });
    expect(first.status, first.body).toBe(200);
    await refusedCreate(tokenBody(), 6, undefined, { headers: { 'x-request-id': id } });
    // UUIDs compare without regard to case, and the id is spent for every endpoint.
    await refusedCreate(tokenBody(), 6, undefined, { headers: { 'x-request-id': id.toUpperCase() } });
    expectError(
      await call(appota, 'GET', `/credit-card/charge/${first.json.tokenId}`, undefined, { headers: { 'x-request-id': id } }),
      400,
      6,
    );
    // Per merchant: another merchant may send the same id.
    const theirs = await call(other, 'POST', '/credit-card/token', tokenBody(), { headers: { 'x-request-id': id } });
    expect(theirs.status, theirs.body).toBe(200);
  });

  it('refuses an X-Request-ID that is not a UUID (1)', async () => {
    await refusedCreate(tokenBody(), 1, undefined, { headers: { 'x-request-id': 'not-a-uuid' } });
    await refusedCreate(tokenBody(), 1, undefined, { headers: { 'x-request-id': `${randomUUID()}-${'x'.repeat(10)}` } });
  });

  it("refuses Language 'fr' (1)", async () => {
    await refusedCreate(tokenBody(), 1, undefined, { headers: { language: 'fr' } });
  });

  it("refuses X-Account-Ref-ID 'abc' (119)", async () => {
    await refusedCreate(tokenBody(), 119, undefined, { headers: { 'x-account-ref-id': 'abc' } });
  });
});

describe('AppotaPay races', () => {
  it('lets one of two concurrent creates with the same merchantRefId through (84)', async () => {
    const before = await count('cards');
    const ref = refId('RACE');
    const rs = await Promise.all([create(tokenBody({ merchantRefId: ref })), create(tokenBody({ merchantRefId: ref }))]);
    expect(rs.map((r) => r.status).sort(), rs.map((r) => r.body).join(' | ')).toEqual([200, 400]);
    expect(rs.find((r) => r.status === 400)?.json.errorCode).toBe(84);
    expect(await count('cards')).toBe(before + 1);
  });

  it('lets one of two concurrent charges with the same merchantRefId through (4)', async () => {
    const tok = await createToken(appota);
    const before = await count('payments');
    const body = chargeBody(tok.tokenId);
    const rs = await Promise.all([charge(body), charge(body)]);
    expect(rs.map((r) => r.status).sort(), rs.map((r) => r.body).join(' | ')).toEqual([200, 400]);
    expect(rs.find((r) => r.status === 400)?.json.errorCode).toBe(4);
    expect(await count('payments')).toBe(before + 1);
  });

  it('lets one of two concurrent deletes of a token through (109)', async () => {
    const tok = await createToken(appota);
    const path = `/credit-card/token/${tok.tokenId}?merchantRefId=${tok.merchantRefId}`;
    const rs = await Promise.all([call(appota, 'DELETE', path), call(appota, 'DELETE', path)]);
    expect(rs.map((r) => r.status).sort(), rs.map((r) => r.body).join(' | ')).toEqual([200, 400]);
    expect(rs.find((r) => r.status === 400)?.json.errorCode).toBe(109);
  });

  it('lets one of two concurrent full captures through, capturing once', async () => {
    const tok = await createToken(appota);
    const auth = await charge(chargeBody(tok.tokenId, { capture: false, amount: 100000 }));
    expect(auth.status).toBe(200);
    const path = `/credit-card/${auth.json.id}/capture`;
    const rs = await Promise.all([1, 2].map(() => call(appota, 'POST', path, { amount: 100000, currency: 'VND' })));
    expect(rs.map((r) => r.status).sort(), rs.map((r) => r.body).join(' | ')).toEqual([200, 400]);
    expect([1, 9]).toContain(rs.find((r) => r.status === 400)?.json.errorCode);
    expect((await call(appota, 'GET', `/credit-card/charge/${auth.json.id}`)).json).toMatchObject({ capturedAmount: 100000 });
  });

  it('lets one of two concurrent requests with the same X-Request-ID through (6)', async () => {
    const before = await count('cards');
    const id = randomUUID();
    const opts = { headers: { 'x-request-id': id } };
    const rs = await Promise.all([create(tokenBody(), opts), create(tokenBody(), opts)]);
    expect(rs.map((r) => r.status).sort(), rs.map((r) => r.body).join(' | ')).toEqual([200, 400]);
    expect(rs.find((r) => r.status === 400)?.json.errorCode).toBe(6);
    expect(await count('cards')).toBe(before + 1);
  });
});

describe('AppotaPay processor outage', () => {
  it('answers 503 errorCode 500 when the processor does not answer', async () => {
    const slow = await makeTestApp({ env: { TOKENVAULT_PROCESSOR_TIMEOUT_MS: '200' } });
    try {
      const c = appotaClient(slow, await createMerchant(slow, 'Outage merchant'));
      const tok = await createToken(c, {}, { number: '4000000000000119' });
      const r = await c.call('POST', '/credit-card/charge', chargeBody(tok.tokenId));
      expectError(r, 503, 500);
    } finally {
      await slow.close();
    }
  });
});

describe('no 5xx', () => {
  it('answered every request of this file below 500', () => {
    expect(answered.length).toBeGreaterThan(50);
    expect(answered.filter((a) => a.status >= 500)).toEqual([]);
  });
});
