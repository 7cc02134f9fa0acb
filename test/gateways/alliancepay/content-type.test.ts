/**
 * Content types as AlliancePay documents them: `authorize_virtual_device` takes `application/json` (the
 * authentication page), every other call a JWE sent as `text/plain` (the official Node SDK's request builder);
 * anything else is refused in AlliancePay's error envelope before the body is read, and nothing is written.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMerchant, makeTestApp, type TestApp } from '../../helpers/harness.ts';
import { type AllianceClient, allianceClient, apDate, encryptTo, PATHS, statusLog } from './helpers.ts';

let t: TestApp;
let ap: AllianceClient;

beforeAll(async () => {
  t = await makeTestApp();
  ap = allianceClient(t, await createMerchant(t, 'AlliancePay content types'));
  expect((await ap.authorize()).status).toBe(200);
});
afterAll(() => t.close());

const authorize = (contentType: string | null) =>
  t.app.inject({
    method: 'POST',
    url: '/api-gateway/authorize_virtual_device',
    headers: { ...(contentType ? { 'content-type': contentType } : {}), 'x-api_version': 'V1', 'x-request_id': randomUUID() },
    payload: JSON.stringify({ serviceCode: ap.creds.serviceCode }),
  });

const sessions = async () =>
  Number(
    (
      await t.vault.store.db
        .selectFrom('gateway_sessions')
        .select((e) => e.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

describe('AlliancePay content types', () => {
  it('opens a session with application/json, with or without a charset', async () => {
    expect((await authorize('application/json')).statusCode).toBe(200);
    expect((await authorize('application/json; charset=utf-8')).statusCode).toBe(200);
    expect((await authorize('Application/JSON')).statusCode).toBe(200);
  });

  it.each(['text/plain', 'application/x-www-form-urlencoded', 'application/jose', null])(
    'refuses to open a session sent as %s, in the error envelope, opening nothing',
    async (type) => {
      const before = await sessions();
      const res = await authorize(type);
      expect(res.statusCode).toBe(400);
      const body = res.json();
      expect(body).toMatchObject({
        serviceId: 'api-gateway',
        msgCode: 'b_request_is_not_correct',
        msgType: 'ERROR',
        isLocalized: false,
        errorCauses: ['Content-Type must be application/json'],
      });
      expect(await sessions()).toBe(before);
    },
  );

  it('takes a session call as text/plain (with a charset too)', async () => {
    for (const contentType of ['text/plain', 'text/plain; charset=UTF-8']) {
      const r = await ap.call(PATHS.list, { customerId: 'nobody' }, { contentType });
      expect(r.status).toBe(200);
      expect(r.json).toEqual({ result: [] });
    }
  });

  it.each(['application/json', 'application/jose', 'application/octet-stream'])(
    'refuses a session call sent as %s, writing nothing',
    async (contentType) => {
      const body = {
        merchantRequestId: randomUUID(),
        merchantId: ap.merchantId,
        customerId: 'ct-cust',
        encryptedCardNumber: await ap.encField('5555555555554444'),
        encryptedExpDate: await ap.encField('3012'),
        date: apDate(),
      };
      const r = await ap.call(PATHS.create, body, { contentType });
      expect(r.status).toBe(400);
      expect(r.json).toMatchObject({ msgCode: 'b_request_is_not_correct', errorCauses: ['Content-Type must be text/plain'] });
      const cards = await t.vault.store.db.selectFrom('cards').select('id').execute();
      expect(cards).toEqual([]);
    },
  );

  it('refuses a session call with no Content-Type', async () => {
    const payload = await encryptTo(ap.session.serverPublic, JSON.stringify({ customerId: 'x' }));
    const res = await t.app.inject({
      method: 'POST',
      url: PATHS.list,
      headers: {
        'x-api_version': 'V1',
        'x-request_id': randomUUID(),
        'x-device_id': ap.session.deviceId,
        'x-refresh_token': ap.session.refreshToken,
      },
      payload,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().msgCode).toBe('b_request_is_not_correct');
  });

  it('never answers 5xx', () => {
    expect(statusLog.filter((s) => s >= 500)).toEqual([]);
  });
});
