import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, openVault } from '../../../src/app.ts';
import {
  ADMIN_TOKEN,
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
import { type AllianceClient, allianceClient, apDate, bodies, type Json, PATHS, statusLog, strangerKeys } from './helpers.ts';

let t: TestApp;
let ap: AllianceClient;
let native: Client;
let b: ReturnType<typeof bodies>;
let merchantId: string;
let merchant: TestMerchant;

const YY = String(futureYear() % 100).padStart(2, '0');
const EXP = `${YY}12`;
const TOKEN = /^[A-Za-z0-9_-]{24}$/;
const MC_MASK = '555555••••••4444';
const VISA_MASK = '411111••••••1111';
const CHALLENGE = '4000000000003220';
const INSUFFICIENT = '4000000000009995';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PAYMENT_FIELDS = [
  'type',
  'status',
  'operationId',
  'ecomOperationId',
  'merchantRequestId',
  'merchantId',
  'coinAmount',
  'rrn',
  'approvalCode',
  'transactionType',
  'transactionCurrency',
  'actionCode',
  'responseCode',
  'createDateTime',
  'modificationDateTime',
];

/** The merchant's cards not deleted, straight from the database. */
const liveCards = async () =>
  Number(
    (
      await t.vault.store.db
        .selectFrom('cards')
        .where('merchant_id', '=', merchantId)
        .where('status', '<>', 'DELETED')
        .select((e) => e.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

let custSeq = 0;
const newCustomer = () => `ap-cust-${Date.now()}-${++custSeq}`;

/** A successful (encrypted, HTTP 200) answer. */
function ok(r: { status: number; json: Json; encrypted: boolean }): Json {
  expect(r.status, JSON.stringify(r.json)).toBe(200);
  expect(r.encrypted, JSON.stringify(r.json)).toBe(true);
  return r.json;
}

async function createToken(over: Record<string, unknown> = {}): Promise<Json> {
  return ok(await ap.call(PATHS.create, await b.createToken(over)));
}
const list = async (customerId: string): Promise<Json[]> => ok(await ap.call(PATHS.list, { customerId })).result;
const get = async (token: string): Promise<Json> => ok(await ap.call(PATHS.get, { token }));
const setState = async (token: string, state: string): Promise<Json> => ok(await ap.call(PATHS.state, { token, state }));

function expectPayment(p: Json, body: Record<string, unknown>, type: string, status: string): void {
  for (const f of PAYMENT_FIELDS) expect(p, `payment field ${f}`).toHaveProperty(f);
  expect(p).toMatchObject({
    type,
    status,
    merchantRequestId: body.merchantRequestId,
    merchantId: ap.merchantId,
    coinAmount: body.coinAmount,
    transactionCurrency: '980',
  });
  expect(typeof p.operationId).toBe('string');
  expect(p.operationId.length).toBeGreaterThan(0);
}

beforeAll(async () => {
  t = await makeTestApp();
  const m = await createMerchant(t, 'AlliancePay merchant');
  merchantId = m.id;
  merchant = m;
  ap = allianceClient(t, m);
  native = client(t, m.apiKey);
  b = bodies(ap, EXP);
  const r = await ap.authorize();
  expect(r.status, JSON.stringify(r.json)).toBe(200);
  expect(r.encrypted).toBe(true);
});
afterAll(() => t.close());

describe('AlliancePay session', () => {
  it('authorizes a virtual device: a JWE to the merchant key with every session field', async () => {
    const r = await ap.authorize();
    expect(r.status).toBe(200);
    expect(r.encrypted).toBe(true);
    expect(Object.keys(JSON.parse(r.raw))).toEqual(['jwe']);
    expect(JSON.parse(r.raw).jwe.split('.')).toHaveLength(5);
    const header = decodeProtectedHeader(JSON.parse(r.raw).jwe);
    expect(header).toMatchObject({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', epk: { kty: 'EC', crv: 'P-384' } });
    const s = r.json;
    expect(Object.keys(s).sort()).toEqual(['authToken', 'deviceId', 'refreshToken', 'serverPublic', 'tokenExpirationDateTime']);
    expect(s.authToken).toMatch(UUID);
    expect(s.refreshToken).toMatch(UUID);
    expect(s.deviceId).toMatch(UUID);
    expect(s.tokenExpirationDateTime).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d+ \+0000$/);
    // About an hour from now.
    const [date, time] = s.tokenExpirationDateTime.split(' ');
    const expires = Date.parse(`${date}T${time.split('.')[0]}Z`);
    expect(expires).toBeGreaterThan(Date.now() + 3500_000);
    expect(expires).toBeLessThan(Date.now() + 3700_000);
    // A P-384 public JWK, no private part.
    expect(s.serverPublic).toMatchObject({ kty: 'EC', crv: 'P-384' });
    expect(typeof s.serverPublic.x).toBe('string');
    expect(typeof s.serverPublic.y).toBe('string');
    expect(s.serverPublic).not.toHaveProperty('d');
  });

  it('answers every call as a JWE to the merchant key (ECDH-ES+A256KW, A256GCM, P-384)', async () => {
    const r = await ap.call(PATHS.list, { customerId: newCustomer() });
    expect(r.encrypted).toBe(true);
    const wire = JSON.parse(r.raw);
    expect(Object.keys(wire)).toEqual(['jwe']);
    expect(decodeProtectedHeader(wire.jwe)).toMatchObject({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', epk: { crv: 'P-384' } });
  });

  it('serves a merchant that registered its own public JWK (no private JWK shown)', async () => {
    const own = strangerKeys();
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/admin/merchants',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      payload: { name: 'Own-key merchant', alliancepayPublicJwk: { ...own.publicJwk, use: 'enc', alg: 'ECDH-ES+A256KW' } },
    });
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json();
    expect(body.gateways.alliancepay.merchantPrivateJwk).toBeUndefined();
    const mine = allianceClient(t, { id: body.id, apiKey: body.apiKey, credentials: body }, { privateJwk: own.privateJwk });
    const s = await mine.authorize();
    expect(s.status).toBe(200);
    expect(s.encrypted).toBe(true);
    const customerId = newCustomer();
    const made = ok(await mine.call(PATHS.create, await bodies(mine, EXP).createToken({ customerId })));
    expect(made).toMatchObject({ customerId, maskedPan: MC_MASK, merchantId: mine.merchantId, status: 'ACTIVE' });
  });

  it('keeps sessions in the database: a second server over the same store serves an open session', async () => {
    const customerId = newCustomer();
    const made = await createToken({ customerId });
    const vault2 = await openVault(t.config);
    const admin = await vault2.merchants.ensureAdminToken(t.config.adminToken);
    const quiet = new Writable({ write: (_c, _e, cb) => cb() });
    const app2 = await buildApp(t.config, vault2, admin.check, { logStream: quiet });
    try {
      const ap2 = allianceClient({ ...t, app: app2 }, merchant);
      ap2.session = ap.session;
      const r = await ap2.call(PATHS.list, { customerId });
      expect(ok(r).result.map((x: Json) => x.token)).toEqual([made.token]);
    } finally {
      await app2.close();
      await vault2.close();
    }
  });

  it("accepts x-api_version '1' as the docs show it", async () => {
    const r = await ap.authorize({ headers: { 'x-api_version': '1' } });
    expect(r.status).toBe(200);
    expect(r.encrypted).toBe(true);
  });

  it('gives each session its own device, tokens and server key, and keeps the earlier one working', async () => {
    const first = ap.session;
    const r = await ap.authorize();
    const second = ap.session;
    expect(r.encrypted).toBe(true);
    expect(second.deviceId).not.toBe(first.deviceId);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(second.authToken).not.toBe(first.authToken);
    expect(second.serverPublic.x).not.toBe(first.serverPublic.x);
    const customerId = newCustomer();
    const viaFirst = await ap.call(PATHS.list, { customerId }, { session: first });
    expect(ok(viaFirst)).toEqual({ result: [] });
    expect(ok(await ap.call(PATHS.list, { customerId }))).toEqual({ result: [] });
  });
});

describe('AlliancePay token create, list and get', () => {
  it('creates a token for a Mastercard: 24 url-safe characters, masked PAN, ACTIVE', async () => {
    const customerId = newCustomer();
    const r = await ap.call(PATHS.create, await b.createToken({ customerId }));
    const made = ok(r);
    expect(made).toEqual({ customerId, token: made.token, maskedPan: MC_MASK, merchantId: ap.merchantId, status: 'ACTIVE' });
    expect(made.token).toMatch(TOKEN);
    // Nothing of the card in the clear, even encrypted to the merchant.
    expect(JSON.stringify(made)).not.toContain(MASTERCARD);
    expect(r.raw).not.toContain(MASTERCARD);
  });

  it('creates a Visa token and gives each create a fresh token, even for the same card', async () => {
    const customerId = newCustomer();
    const a = await createToken({ customerId, pan: VISA });
    const c = await createToken({ customerId, pan: VISA });
    expect(a.maskedPan).toBe(VISA_MASK);
    expect(a.token).toMatch(TOKEN);
    expect(c.token).not.toBe(a.token);
  });

  it('lists the tokens of a customer id, and only that customer’s', async () => {
    const customerId = newCustomer();
    const mc = await createToken({ customerId });
    const visa = await createToken({ customerId, pan: VISA });
    await createToken({ customerId: newCustomer() });
    const result = await list(customerId);
    expect(result).toHaveLength(2);
    const item = (x: Json) => ({ token: x.token, status: 'ACTIVE', maskedPan: x.maskedPan, customerId, merchantId: ap.merchantId });
    expect(result).toEqual(expect.arrayContaining([item(mc), item(visa)]));
    for (const x of result) expect(Object.keys(x).sort()).toEqual(['customerId', 'maskedPan', 'merchantId', 'status', 'token']);
  });

  it('accepts the documented date form, a 255-character customerId and a non-ASCII one', async () => {
    const long = `L${'x'.repeat(254)}`;
    const made = await createToken({ customerId: long, date: '2025-02-20 16:42:05.00+00:00' });
    expect(made.customerId).toBe(long);
    expect((await list(long)).map((x: Json) => x.token)).toEqual([made.token]);
    const uk = `Клієнт №${newCustomer()}`;
    const made2 = await createToken({ customerId: uk });
    expect(made2.customerId).toBe(uk);
    expect((await get(made2.token)).result[0].customerId).toBe(uk);
  });

  it('lists nothing for a customer id never seen', async () => {
    expect(await list(newCustomer())).toEqual([]);
  });

  it('gets one token as a one-element result array', async () => {
    const customerId = newCustomer();
    const made = await createToken({ customerId });
    expect(await get(made.token)).toEqual({
      result: [{ token: made.token, status: 'ACTIVE', maskedPan: MC_MASK, customerId, merchantId: ap.merchantId }],
    });
  });
});

describe('AlliancePay token state', () => {
  it('moves ACTIVE → SUSPENDED → ACTIVE → DELETED, and DELETED is final', async () => {
    const customerId = newCustomer();
    const made = await createToken({ customerId });
    const keep = await createToken({ customerId, pan: VISA });

    expect(await setState(made.token, 'SUSPENDED')).toEqual({ tokenUpdated: true, customerId, token: made.token });
    expect((await get(made.token)).result[0].status).toBe('SUSPENDED');
    const suspendedList = await list(customerId);
    expect(suspendedList.find((x: Json) => x.token === made.token)?.status).toBe('SUSPENDED');
    expect((await native.get(`/v1/cards/${made.token}`)).json().status).toBe('SUSPENDED');

    expect(await setState(made.token, 'ACTIVE')).toEqual({ tokenUpdated: true, customerId, token: made.token });
    expect((await get(made.token)).result[0].status).toBe('ACTIVE');

    expect(await setState(made.token, 'DELETED')).toEqual({ tokenUpdated: true, customerId, token: made.token });
    const again = await setState(made.token, 'ACTIVE');
    expect(again).toEqual({ tokenUpdated: false, customerId, token: made.token });
    const g = await get(made.token);
    expect(g.result).toHaveLength(1);
    expect(g.result[0].status).toBe('DELETED');
    // Deleted tokens drop out of the list; the other stays.
    expect((await list(customerId)).map((x: Json) => x.token)).toEqual([keep.token]);
  });

  it('deletes a SUSPENDED token', async () => {
    const customerId = newCustomer();
    const made = await createToken({ customerId });
    expect((await setState(made.token, 'SUSPENDED')).tokenUpdated).toBe(true);
    expect((await setState(made.token, 'DELETED')).tokenUpdated).toBe(true);
    expect((await get(made.token)).result[0].status).toBe('DELETED');
    expect(await list(customerId)).toEqual([]);
  });

  it('answers tokenUpdated false for a move to the state the token is already in', async () => {
    const customerId = newCustomer();
    const made = await createToken({ customerId });
    expect(await setState(made.token, 'ACTIVE')).toEqual({ tokenUpdated: false, customerId, token: made.token });
    expect((await get(made.token)).result[0].status).toBe('ACTIVE');
  });
});

describe('AlliancePay pay by token', () => {
  it('PURCHASE with cvv: SUCCESS with an operation id and the amount', async () => {
    const made = await createToken({ customerId: newCustomer() });
    const body = await b.tokenPurchase(made.token);
    const r = await ap.call(PATHS.tokenPurchase, body);
    const p = ok(r);
    expectPayment(p, body, 'PURCHASE', 'SUCCESS');
    expect(p.coinAmount).toBe(10000);
    expect(r.raw).not.toContain(MASTERCARD);
  });

  it('PURCHASE without cvv when txnType is NONCVV: SUCCESS', async () => {
    const made = await createToken({ customerId: newCustomer(), pan: VISA });
    const { cvv: _cvv, ...body } = await b.tokenPurchase(made.token, { txnType: 'NONCVV', coinAmount: 2500 });
    const p = ok(await ap.call(PATHS.tokenPurchase, body));
    expectPayment(p, body, 'PURCHASE', 'SUCCESS');
  });

  it('PURCHASE with the optional fields (urls, comments) is accepted', async () => {
    const made = await createToken({ customerId: newCustomer() });
    const body = await b.tokenPurchase(made.token, {
      resultRedirectUrl: 'https://shop.example/return',
      notificationUrl: 'https://shop.example/notify',
      comment: 'order 42',
      purpose: 'goods',
      merchantComment: 'first order',
    });
    expectPayment(ok(await ap.call(PATHS.tokenPurchase, body)), body, 'PURCHASE', 'SUCCESS');
  });

  it('3-D Secure challenge card: REQUIRED_3DS, then step 2 Y → SUCCESS', async () => {
    const made = await createToken({ customerId: newCustomer(), pan: CHALLENGE });
    const body = await b.tokenPurchase(made.token);
    const step1 = ok(await ap.call(PATHS.tokenPurchase, body));
    expectPayment(step1, body, 'PURCHASE', 'REQUIRED_3DS');
    // The sandbox has no challenge page to send the cardholder to: step 2 carries the result.
    expect(step1.threeDSUrl).toBeUndefined();
    const step2 = ok(
      await ap.call(PATHS.tokenPurchase3ds, { merchantId: ap.merchantId, operationId: step1.operationId, transStatus: 'Y' }),
    );
    expectPayment(step2, body, 'PURCHASE', 'SUCCESS');
    expect(step2.operationId).toBe(step1.operationId);
  });

  it('3-D Secure challenge failed (transStatus N) → FAIL', async () => {
    const made = await createToken({ customerId: newCustomer(), pan: CHALLENGE });
    const body = await b.tokenPurchase(made.token, { desiredThreeDSMode: 'MUST' });
    const step1 = ok(await ap.call(PATHS.tokenPurchase, body));
    expect(step1.status).toBe('REQUIRED_3DS');
    const step2 = ok(
      await ap.call(PATHS.tokenPurchase3ds, { merchantId: ap.merchantId, operationId: step1.operationId, transStatus: 'N' }),
    );
    expectPayment(step2, body, 'PURCHASE', 'FAIL');
    expect(step2.operationId).toBe(step1.operationId);
  });

  it('MUST_NOT with the challenge card → DESIRED_THREEDS_MODE_ERROR', async () => {
    const made = await createToken({ customerId: newCustomer(), pan: CHALLENGE });
    const body = await b.tokenPurchase(made.token, { desiredThreeDSMode: 'MUST_NOT' });
    const p = ok(await ap.call(PATHS.tokenPurchase, body));
    expect(p.status).toBe('DESIRED_THREEDS_MODE_ERROR');
    expect(p.merchantRequestId).toBe(body.merchantRequestId);
  });

  it('a declining card (insufficient funds) → FAIL naming 116', async () => {
    const made = await createToken({ customerId: newCustomer(), pan: INSUFFICIENT });
    const body = await b.tokenPurchase(made.token);
    const p = ok(await ap.call(PATHS.tokenPurchase, body));
    expectPayment(p, body, 'PURCHASE', 'FAIL');
    expect([String(p.actionCode), String(p.responseCode)]).toContain('116');
  });

  it('an amount ending in 51 declines for insufficient funds → FAIL naming 116', async () => {
    const made = await createToken({ customerId: newCustomer() });
    const body = await b.tokenPurchase(made.token, { coinAmount: 10051 });
    const p = ok(await ap.call(PATHS.tokenPurchase, body));
    expectPayment(p, body, 'PURCHASE', 'FAIL');
    expect([String(p.actionCode), String(p.responseCode)]).toContain('116');
  });

  it("accepts txnType 'noncvv' in lower case", async () => {
    const made = await createToken({ customerId: newCustomer() });
    const { cvv: _cvv, ...body } = await b.tokenPurchase(made.token, { txnType: 'noncvv' });
    expect(ok(await ap.call(PATHS.tokenPurchase, body)).status).toBe('SUCCESS');
  });

  it('a SUCCESS is a captured native payment of the amount in UAH; MUST_NOT captured nothing', async () => {
    const made = await createToken({ customerId: newCustomer() });
    const p = ok(await ap.call(PATHS.tokenPurchase, await b.tokenPurchase(made.token, { coinAmount: 12345 })));
    const n = await native.get(`/v1/payments/${p.operationId}`);
    expect(n.statusCode).toBe(200);
    expect(n.json()).toMatchObject({ token: made.token, amount: 12345, currency: 'UAH', status: 'CAPTURED', capturedAmount: 12345 });

    const ch = await createToken({ customerId: newCustomer(), pan: CHALLENGE });
    const refused = ok(await ap.call(PATHS.tokenPurchase, await b.tokenPurchase(ch.token, { desiredThreeDSMode: 'MUST_NOT' })));
    expect(refused.status).toBe('DESIRED_THREEDS_MODE_ERROR');
    const listed = (await native.get(`/v1/payments?token=${ch.token}`)).json().data;
    for (const x of listed) expect(x.capturedAmount ?? 0).toBe(0);
  });

  it('a completed 3-D Secure operation cannot be completed again the other way', async () => {
    const made = await createToken({ customerId: newCustomer(), pan: CHALLENGE });
    const body = await b.tokenPurchase(made.token);
    const step1 = ok(await ap.call(PATHS.tokenPurchase, body));
    const yes = { merchantId: ap.merchantId, operationId: step1.operationId, transStatus: 'Y' };
    expect(ok(await ap.call(PATHS.tokenPurchase3ds, yes)).status).toBe('SUCCESS');
    const again = await ap.call(PATHS.tokenPurchase3ds, { ...yes, transStatus: 'N' });
    expect(again.status).toBeLessThan(500);
    if (again.encrypted) expect(again.json.status).toBe('SUCCESS');
    const n = (await native.get(`/v1/payments/${step1.operationId}`)).json();
    expect(n).toMatchObject({ status: 'CAPTURED', capturedAmount: 10000 });
  });

  it('C2A by token → SUCCESS with type C2A', async () => {
    const made = await createToken({ customerId: newCustomer() });
    const body = await b.tokenPurchase(made.token, { coinAmount: 777 });
    const p = ok(await ap.call(PATHS.tokenC2a, body));
    expectPayment(p, body, 'C2A', 'SUCCESS');
  });

  it('C2A with the challenge card → REQUIRED_3DS, then c2a/3ds Y → SUCCESS', async () => {
    const made = await createToken({ customerId: newCustomer(), pan: CHALLENGE });
    const body = await b.tokenPurchase(made.token);
    const step1 = ok(await ap.call(PATHS.tokenC2a, body));
    expectPayment(step1, body, 'C2A', 'REQUIRED_3DS');
    const step2 = ok(await ap.call(PATHS.tokenC2a3ds, { merchantId: ap.merchantId, operationId: step1.operationId, transStatus: 'Y' }));
    expectPayment(step2, body, 'C2A', 'SUCCESS');
  });

  it('the same token pays more than once', async () => {
    const made = await createToken({ customerId: newCustomer() });
    const first = await b.tokenPurchase(made.token);
    const second = await b.tokenPurchase(made.token, { coinAmount: 300 });
    expect(ok(await ap.call(PATHS.tokenPurchase, first)).status).toBe('SUCCESS');
    const p = ok(await ap.call(PATHS.tokenPurchase, second));
    expect(p.status).toBe('SUCCESS');
    expect(p.coinAmount).toBe(300);
  });
});

describe('AlliancePay card purchase', () => {
  it('PURCHASE by card with TOKEN_PER_CUSTOMER: SUCCESS and a token listed for the customer', async () => {
    const customerId = newCustomer();
    const body = {
      merchantRequestId: randomUUID(),
      merchantId: ap.merchantId,
      coinAmount: 4200,
      encryptedCardNumber: await ap.encField(MASTERCARD),
      encryptedExpDate: await ap.encField(EXP),
      cvv: await ap.encField('321'),
      typeToken: 'TOKEN_PER_CUSTOMER',
      desiredThreeDSMode: 'SHOULD',
      date: apDate(),
      customerData: { senderCustomerId: customerId },
    };
    const r = await ap.call(PATHS.purchase, body);
    const p = ok(r);
    expectPayment(p, body, 'PURCHASE', 'SUCCESS');
    expect(p.token).toMatch(TOKEN);
    expect(r.raw).not.toContain(MASTERCARD);
    expect(await list(customerId)).toEqual([
      { token: p.token, status: 'ACTIVE', maskedPan: MC_MASK, customerId, merchantId: ap.merchantId },
    ]);
    // And the new token pays on its own.
    const again = await b.tokenPurchase(p.token, { customerData: { senderCustomerId: customerId } });
    expect(ok(await ap.call(PATHS.tokenPurchase, again)).status).toBe('SUCCESS');
  });

  const cardBody = async (pan: string, customerId: string, over: Record<string, unknown> = {}) => ({
    merchantRequestId: randomUUID(),
    merchantId: ap.merchantId,
    coinAmount: 5000,
    encryptedCardNumber: await ap.encField(pan),
    encryptedExpDate: await ap.encField(EXP),
    cvv: await ap.encField('321'),
    typeToken: 'TOKEN_PER_CUSTOMER',
    date: apDate(),
    customerData: { senderCustomerId: customerId },
    ...over,
  });

  it('PURCHASE by card with the challenge card and TOKEN_PER_CUSTOMER: REQUIRED_3DS, then purchase/3ds Y → SUCCESS with the token', async () => {
    const customerId = newCustomer();
    const body = await cardBody(CHALLENGE, customerId);
    const step1 = ok(await ap.call(PATHS.purchase, body));
    expectPayment(step1, body, 'PURCHASE', 'REQUIRED_3DS');
    const step2 = ok(await ap.call(PATHS.purchase3ds, { merchantId: ap.merchantId, operationId: step1.operationId, transStatus: 'Y' }));
    expectPayment(step2, body, 'PURCHASE', 'SUCCESS');
    const listed = await list(customerId);
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ status: 'ACTIVE', maskedPan: '400000••••••3220' });
    expect(step2.token).toBe(listed[0].token);
  });

  it('PURCHASE by card declined with TOKEN_PER_CUSTOMER: FAIL and no token kept', async () => {
    const customerId = newCustomer();
    const body = await cardBody(INSUFFICIENT, customerId);
    const p = ok(await ap.call(PATHS.purchase, body));
    expectPayment(p, body, 'PURCHASE', 'FAIL');
    expect(p.token ?? null).toBeNull();
    expect(await list(customerId)).toEqual([]);
  });

  it('PURCHASE by card failing 3-D Secure (N) with TOKEN_PER_CUSTOMER keeps no token either', async () => {
    const customerId = newCustomer();
    const body = await cardBody(CHALLENGE, customerId);
    const step1 = ok(await ap.call(PATHS.purchase, body));
    expect(step1.status).toBe('REQUIRED_3DS');
    const step2 = ok(await ap.call(PATHS.purchase3ds, { merchantId: ap.merchantId, operationId: step1.operationId, transStatus: 'N' }));
    expectPayment(step2, body, 'PURCHASE', 'FAIL');
    expect(step2.token ?? null).toBeNull();
    expect(await list(customerId)).toEqual([]);
  });

  it.each(['Y', 'N'])('PURCHASE by card without typeToken through 3-D Secure (%s) keeps no card', async (transStatus) => {
    const customerId = newCustomer();
    const before = await liveCards();
    const { typeToken: _t, ...body } = await cardBody(CHALLENGE, customerId);
    const step1 = ok(await ap.call(PATHS.purchase, body));
    expect(step1.status).toBe('REQUIRED_3DS');
    expect(step1.token ?? null).toBeNull();
    const step2 = ok(await ap.call(PATHS.purchase3ds, { merchantId: ap.merchantId, operationId: step1.operationId, transStatus }));
    expect(step2.status).toBe(transStatus === 'Y' ? 'SUCCESS' : 'FAIL');
    expect(step2.token ?? null).toBeNull();
    expect(await liveCards()).toBe(before);
  });

  it('PURCHASE by card without typeToken makes no token', async () => {
    const customerId = newCustomer();
    const before = await liveCards();
    const body = {
      merchantRequestId: randomUUID(),
      merchantId: ap.merchantId,
      coinAmount: 1000,
      encryptedCardNumber: await ap.encField(VISA),
      encryptedExpDate: await ap.encField(EXP),
      cvv: await ap.encField('321'),
      date: apDate(),
      customerData: { senderCustomerId: customerId },
    };
    const p = ok(await ap.call(PATHS.purchase, body));
    expectPayment(p, body, 'PURCHASE', 'SUCCESS');
    expect(p.token ?? null).toBeNull();
    expect(await list(customerId)).toEqual([]);
    expect(await liveCards()).toBe(before);
  });
});

describe('AlliancePay and the native API share tokens and customers', () => {
  it('a token created through AlliancePay is a native card of the customer with that customerId', async () => {
    const customerId = newCustomer();
    const made = await createToken({ customerId });
    const res = await native.get(`/v1/cards/${made.token}`);
    expect(res.statusCode).toBe(200);
    const card = res.json();
    expect(card).toMatchObject({ token: made.token, status: 'ACTIVE', bin: '555555', last4: '4444', expMonth: 12 });
    expect(card.expYear % 100).toBe(Number(YY));
    const cus = (await native.get(`/v1/customers?customerId=${encodeURIComponent(customerId)}`)).json().data;
    expect(cus).toHaveLength(1);
    expect(card.customer).toBe(cus[0].id);
  });

  it('a card tokenized natively for a customer appears in the AlliancePay list for its customerId', async () => {
    const customerId = newCustomer();
    const cus = await createCustomer(native, { customerId });
    const card = await tokenize(native, { customer: cus.id });
    const result = await list(customerId);
    expect(result).toEqual([{ token: card.token, status: 'ACTIVE', maskedPan: VISA_MASK, customerId, merchantId: ap.merchantId }]);
    expect(await get(card.token)).toEqual({ result: result });
    // And it pays through AlliancePay.
    const body = await b.tokenPurchase(card.token, { customerData: { senderCustomerId: customerId } });
    expect(ok(await ap.call(PATHS.tokenPurchase, body)).status).toBe('SUCCESS');
  });

  it('a single-use native card pays once through AlliancePay, then shows CONSUMED', async () => {
    const customerId = newCustomer();
    const cus = await createCustomer(native, { customerId });
    const card = await tokenize(native, { customer: cus.id, usage: 'SINGLE' });
    const body = await b.tokenPurchase(card.token, { customerData: { senderCustomerId: customerId } });
    expect(ok(await ap.call(PATHS.tokenPurchase, body)).status).toBe('SUCCESS');
    expect((await get(card.token)).result[0].status).toBe('CONSUMED');
    expect((await list(customerId)).map((x: Json) => x.status)).toEqual(['CONSUMED']);
  });

  it('a native suspension shows through AlliancePay get and list', async () => {
    const customerId = newCustomer();
    const made = await createToken({ customerId });
    const sus = await native.post(`/v1/cards/${made.token}/status`, { status: 'SUSPENDED' });
    expect(sus.statusCode).toBe(200);
    expect((await get(made.token)).result[0].status).toBe('SUSPENDED');
    expect((await list(customerId))[0].status).toBe('SUSPENDED');
  });

  it('two AlliancePay creates for one customerId share one native customer', async () => {
    const customerId = newCustomer();
    const a = await createToken({ customerId });
    const c = await createToken({ customerId, pan: VISA });
    const ca = (await native.get(`/v1/cards/${a.token}`)).json();
    const cc = (await native.get(`/v1/cards/${c.token}`)).json();
    expect(ca.customer).toBeTruthy();
    expect(cc.customer).toBe(ca.customer);
  });
});

describe('AlliancePay never fails with a server error', () => {
  it('logged no card number and no session token', () => {
    const logs = t.logs.join('\n');
    expect(logs.length).toBeGreaterThan(0);
    for (const pan of [MASTERCARD, VISA, CHALLENGE, INSUFFICIENT]) expect(logs).not.toContain(pan);
    expect(logs).not.toContain(ap.session.refreshToken);
    expect(logs).not.toContain(ap.session.authToken);
  });

  it('answered every request of this file below 500', () => {
    expect(statusLog.length).toBeGreaterThan(30);
    expect(statusLog.filter((s) => s >= 500)).toEqual([]);
  });
});
