/**
 * AlliancePay's documented request examples, sent verbatim, and the documented answers checked field by field.
 * Only the ids of objects (operationId, merchantId, serviceCode: made through tokenvault) and the card data are
 * replaced; everything else is as the pages give it. Sources:
 * - session: https://docs.merchant.alb.ua/en/authentication (`/work/shared/reference/gateways.md` §2.5);
 * - REFUND: `ecomalb/ecom-docs` platizhni-metodi-h2h/refund.md (Ukrainian H2H page; research file §10a);
 * - getting data: `ecomalb/ecom-docs` platizhni-metodi-h2h/otrimannya-danikh/po-operation_id.md and
 *   po-merchantrequestid.md (research §10b, §10c);
 * - error body: https://docs.merchant.alb.ua/en/dictionary/error-codes (gateways.md §2.7).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMerchant, futureYear, makeTestApp, type TestApp } from '../../helpers/harness.ts';
import { type AllianceClient, allianceClient, bodies, decryptWith, type Json, PATHS } from './helpers.ts';

let t: TestApp;
let ap: AllianceClient;
let b: ReturnType<typeof bodies>;
const EXP = `${String(futureYear() % 100).padStart(2, '0')}12`;

function ok(r: { status: number; json: Json; encrypted: boolean }): Json {
  expect(r.status, JSON.stringify(r.json)).toBe(200);
  expect(r.encrypted, JSON.stringify(r.json)).toBe(true);
  return r.json;
}

/** A purchase by token made through tokenvault, with the merchant's own `merchantRequestId`. */
async function purchase(merchantRequestId = randomUUID()): Promise<Json> {
  const token = ok(await ap.call(PATHS.create, await b.createToken({ customerId: 'documented' }))).token;
  const paid = ok(await ap.call(PATHS.tokenPurchase, await b.tokenPurchase(token, { merchantRequestId })));
  expect(paid.status).toBe('SUCCESS');
  return paid;
}

const ERROR_KEYS = ['requestId', 'serviceId', 'msgCode', 'msgType', 'msgText', 'isLocalized', 'msgAttrs', 'errorCauses'];

beforeAll(async () => {
  t = await makeTestApp();
  ap = allianceClient(t, await createMerchant(t, 'AlliancePay documented examples'));
  b = bodies(ap, EXP);
});
afterAll(() => t.close());

describe('AlliancePay documented examples', () => {
  it('session: POST authorize_virtual_device, Content-Type application/json, {"serviceCode"} → {"jwe"} with the session fields', async () => {
    // Documented: headers `x-api_version: 1` (docs) and `x-request_id`, body {"serviceCode":"<uuid>"}.
    const res = await t.app.inject({
      method: 'POST',
      url: '/api-gateway/authorize_virtual_device',
      headers: { 'Content-Type': 'application/json', 'x-api_version': '1', 'x-request_id': randomUUID() },
      payload: `{"serviceCode":"${ap.creds.serviceCode}"}`,
    });
    expect(res.statusCode).toBe(200);
    const envelope = res.json();
    expect(Object.keys(envelope)).toEqual(['jwe']);
    const s = JSON.parse(await decryptWith(ap.creds.merchantPrivateJwk, envelope.jwe));
    expect(Object.keys(s).sort()).toEqual(['authToken', 'deviceId', 'refreshToken', 'serverPublic', 'tokenExpirationDateTime']);
    // Documented format: `2023-03-18 12:34:52.0998 +0000`.
    expect(s.tokenExpirationDateTime).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{4} \+0000$/);
    expect(s.serverPublic).toMatchObject({ kty: 'EC', crv: 'P-384' });
    ap.session = s;
  });

  it('REFUND: the documented request, verbatim but for the payment and merchant ids, answers the documented fields', async () => {
    // The page's example (only operationId and merchantId replaced; merchantRequestId is the merchant's own id, kept):
    // {"merchantRequestId":"137d9304-0368-11ed-b939-0242ac120002","operationId":"137d9304-…","merchantId":"137d9304-…",
    //  "coinAmount":"2500","notificationUrl":"","date":"2022-11-11 11:58:41.56+00:00"}
    const paid = await purchase();
    const request = `{"merchantRequestId":"137d9304-0368-11ed-b939-0242ac120002","operationId":"${paid.operationId}","merchantId":"${ap.merchantId}","coinAmount":"2500","notificationUrl":"","date":"2022-11-11 11:58:41.56+00:00"}`;
    const r = ok(await ap.call(PATHS.refund, null, { plaintext: request }));
    // Every key of the documented answer is there.
    for (const key of [
      'type',
      'rrn',
      'purpose',
      'comment',
      'coinAmount',
      'merchantId',
      'operationId',
      'ecomOperationId',
      'merchantName',
      'approvalCode',
      'status',
      'transactionType',
      'merchantRequestId',
      'transactionCurrency',
      'merchantCommission',
      'createDateTime',
      'modificationDateTime',
      'transactionResponseInfo',
      'productType',
      'notificationUrl',
      'paymentServiceType',
      'notificationEncryption',
      'rrnOriginal',
      'originalOperationId',
      'originalCoinAmount',
      'cardNumberMask',
      'originalEcomOperationId',
    ]) {
      expect(r, key).toHaveProperty(key);
    }
    expect(r.type).toBe('REFUND');
    expect(r.rrn).toMatch(/^[0-9]{12}$/);
    expect(r.purpose).toBeNull();
    expect(r.comment).toBeNull();
    expect(r.coinAmount).toBe(2500); // documented as an integer in the answer
    expect(r.merchantId).toBe(ap.merchantId);
    expect(typeof r.operationId).toBe('string');
    expect(r.operationId).not.toBe(paid.operationId); // chosen: a refund is an operation of its own
    expect(typeof r.ecomOperationId).toBe('string');
    expect(r.merchantName).toBeNull();
    expect(['SUCCESS', 'FAIL', 'PENDING', 'REQUIRED_3DS', 'DESIRED_THREEDS_MODE_ERROR']).toContain(r.status);
    expect(r.status).toBe('SUCCESS');
    expect(r.transactionType).toBe(76);
    expect(r.merchantRequestId).toBe('137d9304-0368-11ed-b939-0242ac120002');
    expect(r.transactionCurrency).toBe('980');
    expect(r.merchantCommission).toBeNull();
    // Documented: `2024.09.19 15:29:25.675`; tokenvault writes its usual `yyyy-MM-dd HH:mm:ss.SSSS +0000` (chosen).
    expect(r.createDateTime).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{4} \+0000$/);
    expect(r.modificationDateTime).toBe(r.createDateTime);
    expect(Object.keys(r.transactionResponseInfo).sort()).toEqual(['actionCode', 'description', 'responseCode']);
    expect(r.productType).toBe('PURCHASE');
    expect(r.notificationUrl).toBeNull(); // "" asks for no callback
    expect(r.paymentServiceType).toBe('CARD');
    expect(r.notificationEncryption).toBe(false);
    expect(r.rrnOriginal).toBe(paid.rrn);
    expect(r.originalOperationId).toBe(paid.operationId);
    expect(r.originalCoinAmount).toBe(10000);
    expect(r.originalEcomOperationId).toBe(paid.ecomOperationId);
    expect(r.cardNumberMask).toBe('555555••••••4444');
  });

  it('getting data by OPERATION_ID: {"id": …} of a refund answers the documented REFUND example’s fields', async () => {
    const paid = await purchase();
    const refund = ok(
      await ap.call(PATHS.refund, null, {
        plaintext: `{"merchantRequestId":"${randomUUID()}","operationId":"${paid.operationId}","merchantId":"${ap.merchantId}","coinAmount":"100","notificationUrl":"","date":"2022-11-11 11:58:41.56+00:00"}`,
      }),
    );
    // Documented request: {"id": "16849296265235MUp5dm2pxD"} (the id replaced by the refund's).
    const r = ok(await ap.call(PATHS.operation, null, { plaintext: `{"id": "${refund.operationId}"}` }));
    // The documented REFUND answer: {"type":"REFUND","rrn":null,"coinAmount":100,"merchantId":…,"operationId":…,
    // "status":"SUCCESS","transactionType":76,"merchantRequestId":…,"transactionCurrency":"980","createDateTime":…,
    // "modificationDateTime":…,"transactionResponseInfo":{…},"rrnOriginal":…,"originalOperationId":…,
    // "originalCoinAmount":…,"cardNumberMask":"516874••••••4924", purpose, comment, merchantName, approvalCode, merchantCommission}
    expect(r).toMatchObject({
      type: 'REFUND',
      coinAmount: 100,
      merchantId: ap.merchantId,
      operationId: refund.operationId,
      status: 'SUCCESS',
      transactionType: 76,
      merchantRequestId: refund.merchantRequestId,
      transactionCurrency: '980',
      rrnOriginal: paid.rrn,
      originalOperationId: paid.operationId,
      originalCoinAmount: 10000,
      cardNumberMask: '555555••••••4444',
      purpose: null,
      comment: null,
      merchantName: null,
      merchantCommission: null,
    });
    for (const key of ['rrn', 'createDateTime', 'modificationDateTime', 'transactionResponseInfo', 'approvalCode'])
      expect(r).toHaveProperty(key);
    // And of the payment: the PURCHASE example's fields (transactionType 35, transactionResponseInfo approved).
    const p = ok(await ap.call(PATHS.operation, null, { plaintext: `{"id": "${paid.operationId}"}` }));
    expect(p).toMatchObject({
      type: 'PURCHASE',
      status: 'SUCCESS',
      transactionType: 35,
      transactionResponseInfo: { responseCode: '00', description: 'approved' },
      paymentServiceType: 'CARD',
      cardNumberMask: '555555••••••4444',
      coinAmount: 10000,
    });
    for (const key of ['creationDateTime', 'modificationDateTime', 'rrn', 'approvalCode', 'ecomOperationId']) expect(p).toHaveProperty(key);
  });

  it('getting data by merchantRequestId: the documented request verbatim (the merchant’s own id) answers its operation', async () => {
    const paid = await purchase('72837906-f526-4aef-8d11-58d80b44cb75');
    const r = ok(await ap.call(PATHS.byReference, null, { plaintext: '{"merchantRequestId": "72837906-f526-4aef-8d11-58d80b44cb75"}' }));
    expect(r).toMatchObject({ type: 'PURCHASE', operationId: paid.operationId, merchantRequestId: '72837906-f526-4aef-8d11-58d80b44cb75' });
  });

  it('an unknown operation: the documented error body, 404 payment_operation_not_found', async () => {
    const requestId = randomUUID();
    const r = await ap.call(PATHS.operation, null, { plaintext: '{"id": "16849296265235MUp5dm2pxD"}', requestId });
    expect(r.status).toBe(404);
    expect(Object.keys(r.json)).toEqual(ERROR_KEYS);
    expect(r.json).toEqual({
      requestId,
      serviceId: 'api-gateway',
      msgCode: 'payment_operation_not_found',
      msgType: 'ERROR',
      msgText: 'Payment operation not found',
      isLocalized: false,
      msgAttrs: {},
      errorCauses: [],
    });
  });
});
