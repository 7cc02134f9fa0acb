/**
 * AppotaPay's security: who may call (the JWT, a deleted merchant's credentials) and what one merchant may
 * reach of another's (tokens, charges), each refusal changing nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, type Client, client, createMerchant, makeTestApp, type TestApp, type TestMerchant } from '../../helpers/harness.ts';
import { type AppotaClient, appotaClient, appotaJwt, type CallOptions, chargeBody, createToken, tokenBody } from './helpers.ts';
import { expectError, refusalKit } from './refusals.ts';

let t: TestApp;
let merchant: TestMerchant;
let appota: AppotaClient;
let other: AppotaClient;
let native: Client;

const { answered, call, charge, count, refusedCreate, refusedChargeFor } = refusalKit(() => ({ t, appota }));

beforeAll(async () => {
  t = await makeTestApp();
  merchant = await createMerchant(t, 'AppotaPay merchant');
  appota = appotaClient(t, merchant);
  other = appotaClient(t, await createMerchant(t, 'Other merchant'));
  native = client(t, merchant.apiKey);
});
afterAll(() => t.close());

describe('AppotaPay authentication', () => {
  const refused = (opts: CallOptions) => refusedCreate(tokenBody(), 401, undefined, { ...opts, status: 401 });

  it('refuses no X-APPOTAPAY-AUTH header, an empty one, or garbage (401)', async () => {
    await refused({ omit: ['x-appotapay-auth'] });
    await refused({ jwt: '' });
    await refused({ jwt: 'not-a-jwt' });
    await refused({ jwt: 'Bearer ' });
  });

  it('refuses an unknown api_key (401)', async () => {
    await refused({ jwt: { claims: { api_key: 'Z'.repeat(32) } } });
    await refused({ jwt: { omitClaims: ['api_key'] } });
  });

  it("refuses a wrong partner iss, including another merchant's partner code (401)", async () => {
    await refused({ jwt: { claims: { iss: other.creds.partnerCode } } });
    await refused({ jwt: { claims: { iss: 'TVNOBODY00' } } });
    await refused({ jwt: { omitClaims: ['iss'] } });
  });

  it("refuses a bad signature: another merchant's secret, a tampered signature, or the other merchant's api_key with our secret (401)", async () => {
    await refused({ jwt: { key: other.creds.secretKey } });
    const good = appotaJwt(appota.creds);
    const [h, p, s] = good.split('.') as [string, string, string];
    const flipped = (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
    await refused({ jwt: `${h}.${p}.${flipped}` });
    await refused({ jwt: { claims: { api_key: other.creds.apiKey, iss: other.creds.partnerCode } } });
    // The secret decoded from base64url instead of its UTF-8 bytes.
    await refused({ jwt: { key: Buffer.from(appota.creds.secretKey, 'base64url') } });
  });

  it('refuses an expired or missing exp (401)', async () => {
    const now = Math.floor(Date.now() / 1000);
    await refused({ jwt: { claims: { exp: now - 10 } } });
    await refused({ jwt: { now: now - 3600 } });
    await refused({ jwt: { omitClaims: ['exp'] } });
    await refused({ jwt: { claims: { exp: String(now + 300) } } });
  });

  it('refuses alg none and other algs (401)', async () => {
    await refused({ jwt: { alg: 'none' } });
    await refused({ jwt: { alg: 'none', signature: appotaJwt(appota.creds).split('.')[2] } });
    await refused({ jwt: { alg: 'HS512' } });
    // A correct HS256 signature under a header that says something else.
    await refused({ jwt: { header: { alg: 'HS512' } } });
  });

  it("refuses cty 'other' (401)", async () => {
    await refused({ jwt: { header: { cty: 'other' } } });
  });

  it('refuses a bad JWT on every endpoint, changing nothing', async () => {
    const tok = await createToken(appota);
    const auth = await charge(chargeBody(tok.tokenId, { capture: false }));
    expect(auth.status).toBe(200);
    const bad: CallOptions = { jwt: { key: other.creds.secretKey } };
    const before = await count('payments');
    expectError(await call(appota, 'POST', `/credit-card/${auth.json.id}/capture`, { amount: 150000, currency: 'VND' }, bad), 401, 401);
    const get = await call(appota, 'GET', `/credit-card/charge/${auth.json.id}`, undefined, bad);
    expectError(get, 401, 401);
    expect(get.body).not.toContain(tok.tokenId);
    expectError(
      await call(appota, 'DELETE', `/credit-card/token/${tok.tokenId}?merchantRefId=${tok.merchantRefId}`, undefined, bad),
      401,
      401,
    );
    expect(await count('payments')).toBe(before);
    expect((await call(appota, 'GET', `/credit-card/charge/${auth.json.id}`)).json.status).toBe('AUTHORIZED');
    expect((await native.get(`/v1/cards/${tok.tokenId}`)).json().status).toBe('ACTIVE');
  });
});

describe('AppotaPay credentials of a deleted merchant', () => {
  it('stop working (401) even after they were used', async () => {
    const gone = await createMerchant(t, 'Leaving merchant');
    const c = appotaClient(t, gone);
    const tok = await createToken(c);
    const del = await t.app.inject({
      method: 'DELETE',
      url: `/v1/admin/merchants/${gone.id}`,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(del.statusCode, del.body).toBe(200);
    const before = await count('cards');
    expectError(await call(c, 'POST', '/credit-card/token', tokenBody()), 401, 401);
    expectError(await call(c, 'POST', '/credit-card/charge', chargeBody(tok.tokenId)), 401, 401);
    expect(await count('cards')).toBe(before);
  });
});

describe('AppotaPay merchant isolation', () => {
  let multi: string;
  beforeAll(async () => {
    multi = (await createToken(appota)).tokenId;
  });

  const refusedCharge = refusedChargeFor(() => multi);

  it("refuses another merchant's token (403, 86)", async () => {
    const theirs = await createToken(other);
    await refusedCharge(chargeBody(theirs.tokenId), 403, 86);
    // Still theirs to charge.
    const ok = await call(other, 'POST', '/credit-card/charge', chargeBody(theirs.tokenId));
    expect(ok.status, ok.body).toBe(200);
  });

  it('refuses a charge sent without auth, leaving a SINGLE token unused', async () => {
    const tok = await createToken(appota, { tokenType: 'SINGLE' });
    await refusedCharge(chargeBody(tok.tokenId), 401, 401, undefined, { omit: ['x-appotapay-auth'] });
    await refusedCharge(chargeBody(tok.tokenId), 401, 401, undefined, { jwt: { key: other.creds.secretKey } });
    const ok = await charge(chargeBody(tok.tokenId));
    expect(ok.status, ok.body).toBe(200);
  });

  it("refuses a capture or a read of another merchant's charge (404, 14)", async () => {
    const tok = await createToken(appota);
    const body = chargeBody(tok.tokenId, { capture: false });
    const auth = await charge(body);
    expect(auth.status, auth.body).toBe(200);
    expectError(await call(other, 'GET', `/credit-card/charge/${auth.json.id}`), 404, 14);
    expectError(await call(other, 'GET', `/credit-card/charge/${body.merchantRefId}?referenceType=MERCHANT_REFERENCE_ID`), 404, 14);
    expectError(await call(other, 'POST', `/credit-card/${auth.json.id}/capture`, { amount: 150000, currency: 'VND' }), 404, 14);
    const got = await call(appota, 'GET', `/credit-card/charge/${auth.json.id}`);
    expect(got.json.status).toBe('AUTHORIZED');
  });

  it("refuses an unknown token (404, 43) and another merchant's (403, 86)", async () => {
    expectError(await call(appota, 'DELETE', '/credit-card/token/01hqhr4qqnk66d7tg3pk5md08c?merchantRefId=x'), 404, 43);
    const mine = await createToken(appota);
    expectError(await call(other, 'DELETE', `/credit-card/token/${mine.tokenId}?merchantRefId=${mine.merchantRefId}`), 403, 86);
    expect((await native.get(`/v1/cards/${mine.tokenId}`)).json().status).toBe('ACTIVE');
  });
});

describe('no 5xx', () => {
  it('answered every request of this file below 500', () => {
    expect(answered.length).toBeGreaterThan(20);
    expect(answered.filter((a) => a.status >= 500)).toEqual([]);
  });
});
