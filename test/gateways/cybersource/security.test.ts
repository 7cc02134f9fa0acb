/**
 * Cybersource authentication over raw HTTP: every scheme the SDKs use (HTTP Signature with either spelling
 * of request-target, JWT v2 HS256 and RS256, JWT v1 with x5c) is accepted; each forged, tampered, stale,
 * replayed or mis-addressed request is refused with the contract's one 401 body and leaves every row as
 * it was; one merchant's valid credentials never reach
 * another merchant's ids (answered exactly as an unknown id). A refused authentication is logged, audited
 * (in the merchant's hash chain) and answered with a fixed reason: a Signature header whose headers="…" list
 * names a card number, or any header the request does not carry, is refused without quoting the name anywhere.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findCardNumbers } from '../../../src/domain/pan-detector.ts';
import { createMerchant, MASTERCARD, makeTestApp, type TestApp, type TestMerchant, VISA } from '../../helpers/harness.ts';
import {
  buildAuth,
  type CybsClient,
  type CybsResponse,
  customerBody,
  customerWithCard,
  cybs,
  cybsCreds,
  digestOf,
  EXP_YEAR,
  expectAuthFailed,
  expectPtsError,
  expectTmsError,
  HEX32,
  type Knobs,
  makeCert,
  PAYMENT_ID,
  piBody,
  registerCert,
  rfc1123,
  rowCounts,
  sha256b64,
  type TestCert,
  unknownHex32,
  unknownIiId,
  unknownPaymentId,
  withoutIds,
} from './helpers.ts';

let t: TestApp;
let ma: TestMerchant;
let mb: TestMerchant;
let certA: TestCert;
let certB: TestCert;
let stranger: TestCert;
let sigA: CybsClient;
let sigB: CybsClient;
let hsA: CybsClient;
let rsA: CybsClient;
let v1A: CybsClient;
/** A's customer with one PI: every refused request aims at it. */
let base: { customerId: string; piId: string; iiId: string };
let baseCustomer: unknown;

const nowS = () => Math.floor(Date.now() / 1000);
const minutes = (n: number) => n * 60_000;
/** A card number no refused request may leave behind (checked at the end of the refusals). */
const PROBE = MASTERCARD;
/** A card only the replay test tokenizes. */
const REPLAY_CARD = '4012888888881881';
const piUrl = () => `/tms/v2/customers/${base.customerId}/payment-instruments`;

async function piTotal(): Promise<number> {
  const r = await sigA.get(piUrl());
  expect(r.status, r.body).toBe(200);
  return r.json.total;
}

/** Sends, expects the 401 of the contract, and proves nothing changed. */
async function expectRefused(send: () => Promise<CybsResponse>): Promise<CybsResponse> {
  const rowsBefore = await rowCounts(t, ma.id);
  const totalBefore = await piTotal();
  const res = await send();
  expectAuthFailed(res);
  expect(await rowCounts(t, ma.id)).toEqual(rowsBefore);
  expect(await piTotal()).toBe(totalBefore);
  const customer = await sigA.get(`/tms/v2/customers/${base.customerId}`);
  expect(customer.json).toEqual(baseCustomer);
  return res;
}

/** The request most refusals try: a new PI on A's customer. */
const attempt = (c: CybsClient, knobs: Knobs = {}) => c.post(piUrl(), piBody(PROBE), knobs);

beforeAll(async () => {
  t = await makeTestApp();
  ma = await createMerchant(t, 'Cybersource A');
  mb = await createMerchant(t, 'Cybersource B');
  certA = makeCert();
  certB = makeCert();
  stranger = makeCert();
  await registerCert(t, ma, certA);
  await registerCert(t, mb, certB);
  sigA = cybs(t, ma);
  sigB = cybs(t, mb);
  hsA = cybs(t, ma, { kind: 'jwt-hs256' });
  rsA = cybs(t, ma, { kind: 'jwt-rs256', privateKey: certA.privateKey, kid: certA.kid });
  v1A = cybs(t, ma, { kind: 'jwt-v1', privateKey: certA.privateKey, certDer: certA.certDer });
  base = await customerWithCard(sigA, VISA);
  baseCustomer = (await sigA.get(`/tms/v2/customers/${base.customerId}`)).json;
});
afterAll(() => t?.close());

describe('every scheme is accepted', () => {
  async function roundTrip(c: CybsClient): Promise<void> {
    const made = await c.post('/tms/v2/customers', customerBody());
    expect(made.status, made.body).toBe(201);
    expect(made.json.id).toMatch(HEX32);
    const got = await c.get(`/tms/v2/customers/${made.json.id}`);
    expect(got.status, got.body).toBe(200);
    expect(got.json.id).toBe(made.json.id);
    const patched = await c.patch(`/tms/v2/customers/${made.json.id}`, { buyerInformation: { email: 'grace@example.com' } });
    expect(patched.status, patched.body).toBe(200);
    expect(patched.json.buyerInformation.email).toBe('grace@example.com');
    const deleted = await c.delete(`/tms/v2/customers/${made.json.id}`);
    expect(deleted.status, deleted.body).toBe(204);
    expect((await c.get(`/tms/v2/customers/${made.json.id}`)).status).toBe(404);
  }

  it('HTTP Signature with request-target (create, read, update, delete)', async () => {
    await roundTrip(sigA);
  });

  it('HTTP Signature with (request-target)', async () => {
    const made = await sigA.post('/tms/v2/customers', customerBody(), { requestTarget: '(request-target)' });
    expect(made.status, made.body).toBe(201);
    const got = await sigA.get(`/tms/v2/customers/${made.json.id}`, { requestTarget: '(request-target)' });
    expect(got.status, got.body).toBe(200);
    const del = await sigA.delete(`/tms/v2/customers/${made.json.id}`, { requestTarget: '(request-target)' });
    expect(del.status, del.body).toBe(204);
  });

  it('a GET carries no digest, and the signed query string is the one received', async () => {
    const r = await sigA.get(`${piUrl()}?offset=0&limit=10`);
    expect(r.status, r.body).toBe(200);
    expect(r.json).toMatchObject({ offset: 0, limit: 10 });
  });

  it('the signed host is whatever Host was received (127.0.0.1:8080 as the SDK sends with runEnvironment)', async () => {
    const r = await sigA.get(`/tms/v2/customers/${base.customerId}`, { host: '127.0.0.1:8080' });
    expect(r.status, r.body).toBe(200);
  });

  it('a Date four minutes old is still within the window', async () => {
    const r = await sigA.get(`/tms/v2/customers/${base.customerId}`, { date: rfc1123(new Date(Date.now() - minutes(4))) });
    expect(r.status, r.body).toBe(200);
  });

  it('JWT v2 HS256 keyed with the shared secret', async () => {
    await roundTrip(hsA);
  });

  it('JWT v2 HS256: request-resource-path without the query is accepted (SDK 0.0.77–0.0.78)', async () => {
    const r = await hsA.get(`${piUrl()}?offset=0&limit=5`, { signedPath: piUrl() });
    expect(r.status, r.body).toBe(200);
  });

  it('JWT v2 RS256 with a registered certificate', async () => {
    await roundTrip(rsA);
  });

  it('JWT v1 with the registered certificate in x5c and an RFC 1123 iat', async () => {
    await roundTrip(v1A);
  });
});

describe('HTTP Signature refusals: 401, nothing changed', () => {
  it('no signature header', async () => {
    await expectRefused(() => attempt(sigA, { omit: ['signature'] }));
  });

  it('no signature and no Authorization at all, also on a GET', async () => {
    await expectRefused(() => sigA.get(`/tms/v2/customers/${base.customerId}`, { omit: ['signature', 'v-c-merchant-id', 'date'] }));
  });

  it('a malformed signature header', async () => {
    await expectRefused(() => attempt(sigA, { signature: 'garbage' }));
  });

  it('an unknown keyId', async () => {
    await expectRefused(() => attempt(sigA, { keyId: randomUUID() }));
  });

  it("another merchant's keyId with this merchant's secret", async () => {
    await expectRefused(() => attempt(sigA, { keyId: cybsCreds(mb).keyId }));
  });

  it("another merchant's keyId and secret, claiming this merchant", async () => {
    await expectRefused(() => attempt(sigB, { merchantId: cybsCreds(ma).merchantId }));
  });

  it("this merchant's keyId and secret, claiming another merchant", async () => {
    const b = await rowCounts(t, mb.id);
    await expectRefused(() => attempt(sigA, { merchantId: cybsCreds(mb).merchantId }));
    expect(await rowCounts(t, mb.id)).toEqual(b);
  });

  it('an unknown v-c-merchant-id', async () => {
    await expectRefused(() => attempt(sigA, { merchantId: 'tvnosuchmerch' }));
  });

  it('a wrong secret', async () => {
    await expectRefused(() => attempt(sigA, { secret: randomBytes(32).toString('base64') }));
  });

  it('a flipped signature', async () => {
    const h = await buildAuth(cybsCreds(ma), { kind: 'sig' }, 'GET', `/tms/v2/customers/${base.customerId}`, undefined);
    const flipped = (h.signature as string).replace(/signature="(.)/, (_, c: string) => `signature="${c === 'A' ? 'B' : 'A'}`);
    await expectRefused(() => sigA.get(`/tms/v2/customers/${base.customerId}`, { signature: flipped }));
  });

  it('an unsupported algorithm name', async () => {
    await expectRefused(() => attempt(sigA, { algorithm: 'HmacSHA1' }));
  });

  it('the body changed after signing (digest mismatch)', async () => {
    const tampered = JSON.stringify(piBody(PROBE, { default: true }));
    await expectRefused(() => attempt(sigA, { bodyAfterSigning: tampered }));
  });

  it('the digest header recomputed over a tampered body, the signature still over the old digest', async () => {
    const original = JSON.stringify(piBody(PROBE));
    const tampered = JSON.stringify(piBody(PROBE, { default: true }));
    await expectRefused(() =>
      sigA.post(piUrl(), original, { bodyAfterSigning: tampered, digest: digestOf(tampered), signedDigest: digestOf(original) }),
    );
  });

  it('a PATCH whose body changed after signing leaves the customer as it was', async () => {
    await expectRefused(() =>
      sigA.patch(
        `/tms/v2/customers/${base.customerId}`,
        { buyerInformation: { email: 'a@example.com' } },
        { bodyAfterSigning: JSON.stringify({ buyerInformation: { email: 'mallory@example.com' } }) },
      ),
    );
  });

  it('no digest header on a POST', async () => {
    await expectRefused(() => attempt(sigA, { omit: ['digest'] }));
  });

  it('a digest that is not SHA-256', async () => {
    const body = JSON.stringify(piBody(PROBE));
    await expectRefused(() => sigA.post(piUrl(), body, { digest: `SHA-512=${sha256b64(body)}` }));
  });

  it('a signature that does not list digest on a POST', async () => {
    await expectRefused(() => attempt(sigA, { headerList: ['host', 'date', 'request-target', 'v-c-merchant-id'] }));
  });

  it('a signature that does not list host, or request-target', async () => {
    await expectRefused(() => attempt(sigA, { headerList: ['date', 'request-target', 'digest', 'v-c-merchant-id'] }));
    await expectRefused(() => attempt(sigA, { headerList: ['host', 'date', 'digest', 'v-c-merchant-id'] }));
  });

  it('a Date more than five minutes old', async () => {
    await expectRefused(() => attempt(sigA, { date: rfc1123(new Date(Date.now() - minutes(6))) }));
  });

  it('a Date more than five minutes in the future', async () => {
    await expectRefused(() => attempt(sigA, { date: rfc1123(new Date(Date.now() + minutes(6))) }));
  });

  it('no Date, or an unparseable one', async () => {
    await expectRefused(() => attempt(sigA, { omit: ['date'] }));
    await expectRefused(() => attempt(sigA, { date: 'yesterday' }));
  });

  it('the Date header differs from the signed date', async () => {
    await expectRefused(() => attempt(sigA, { signedDate: rfc1123(new Date(Date.now() - 1000)) }));
  });

  it('the signed host differs from the Host header', async () => {
    await expectRefused(() => attempt(sigA, { host: 'apitest.cybersource.com', signedHost: 'api.cybersource.com' }));
  });

  it('the signed path differs from the path requested (query tampered)', async () => {
    await expectRefused(() => sigA.get(`${piUrl()}?offset=0&limit=2`, { signedPath: `${piUrl()}?offset=0&limit=1` }));
    await expectRefused(() => attempt(sigA, { signedPath: '/tms/v2/customers' }));
  });

  it('the signed method differs from the method used', async () => {
    await expectRefused(() => attempt(sigA, { signedMethod: 'patch' }));
  });

  it('a replaced v-c-merchant-id header after signing', async () => {
    await expectRefused(() => attempt(sigA, { signedMerchantId: cybsCreds(ma).merchantId, merchantId: cybsCreds(mb).merchantId }));
  });
});

describe('PTS routes are guarded the same way', () => {
  const pay = (c: CybsClient, knobs: Knobs = {}) =>
    c.post(
      '/pts/v2/payments',
      {
        clientReferenceInformation: { code: 'guarded' },
        paymentInformation: { customer: { id: base.customerId } },
        orderInformation: { amountDetails: { totalAmount: '10.00', currency: 'USD' } },
      },
      knobs,
    );

  it('an unsigned, mis-signed or tampered payment is refused and writes no payment', async () => {
    await expectRefused(() => pay(sigA, { omit: ['signature'] }));
    await expectRefused(() => pay(sigA, { secret: randomBytes(32).toString('base64') }));
    await expectRefused(() =>
      pay(sigA, {
        bodyAfterSigning: JSON.stringify({
          paymentInformation: { customer: { id: base.customerId } },
          orderInformation: { amountDetails: { totalAmount: '9999.00', currency: 'USD' } },
        }),
      }),
    );
    await expectRefused(() => pay(hsA, { alg: 'none' }));
    await expectRefused(() =>
      sigA.post('/pts/v2/credits', { paymentInformation: { customer: { id: base.customerId } } }, { omit: ['signature'] }),
    );
  });

  it('a payment read, capture or reversal without valid authentication is refused', async () => {
    const paid = await pay(sigA);
    expect(paid.status, paid.body).toBe(201);
    const id = paid.json.id as string;
    await expectRefused(() => sigA.get(`/pts/v2/payments/${id}`, { omit: ['signature'] }));
    await expectRefused(() =>
      sigA.post(
        `/pts/v2/payments/${id}/captures`,
        { orderInformation: { amountDetails: { totalAmount: '10.00', currency: 'USD' } } },
        { secret: randomBytes(32).toString('base64') },
      ),
    );
    await expectRefused(() =>
      hsA.post(
        `/pts/v2/payments/${id}/reversals`,
        { reversalInformation: { amountDetails: { totalAmount: '10.00' } } },
        { signedPath: `/pts/v2/payments/${id}/captures` },
      ),
    );
    // Still merely authorized: the refused capture and reversal did nothing.
    const rev = await sigA.post(`/pts/v2/payments/${id}/reversals`, {
      reversalInformation: { amountDetails: { totalAmount: '10.00' }, reason: 'test' },
    });
    expect(rev.status, rev.body).toBe(201);
    expect(rev.json.status).toBe('REVERSED');
  });
});

describe('JWT refusals: 401, nothing changed', () => {
  it('an expired token', async () => {
    const iat = nowS() - 600;
    await expectRefused(() => attempt(hsA, { iat, exp: iat + 120 }));
  });

  it('no exp', async () => {
    await expectRefused(() => attempt(hsA, { exp: null }));
  });

  it('exp too far after iat', async () => {
    const iat = nowS();
    await expectRefused(() => attempt(hsA, { iat, exp: iat + 3600 }));
  });

  it('iat far in the future', async () => {
    const iat = nowS() + 3600;
    await expectRefused(() => attempt(hsA, { iat, exp: iat + 120 }));
  });

  it('a wrong request-resource-path', async () => {
    await expectRefused(() => attempt(hsA, { signedPath: '/tms/v2/customers' }));
    await expectRefused(() => attempt(rsA, { signedPath: `/tms/v2/customers/${unknownHex32()}/payment-instruments` }));
  });

  it('a wrong request-method', async () => {
    await expectRefused(() => attempt(hsA, { signedMethod: 'get' }));
  });

  it('a wrong request-host', async () => {
    await expectRefused(() => attempt(hsA, { signedHost: 'api.cybersource.com' }));
  });

  it('a body that does not match the digest claim', async () => {
    await expectRefused(() => attempt(hsA, { bodyAfterSigning: JSON.stringify(piBody(PROBE, { default: true })) }));
    await expectRefused(() => attempt(rsA, { claims: { digest: sha256b64('{}') } }));
  });

  it('no digest claim on a POST', async () => {
    await expectRefused(() => attempt(hsA, { claims: { digest: undefined, 'digest-algorithm': undefined } }));
  });

  it('v-c-merchant-id and iss of another merchant', async () => {
    const other = cybsCreds(mb).merchantId;
    await expectRefused(() => attempt(hsA, { merchantId: other }));
  });

  it('iss that differs from v-c-merchant-id', async () => {
    await expectRefused(() => attempt(hsA, { claims: { iss: cybsCreds(mb).merchantId } }));
  });

  it("RS256 with this merchant's certificate, claiming another merchant", async () => {
    const b = await rowCounts(t, mb.id);
    await expectRefused(() => attempt(rsA, { merchantId: cybsCreds(mb).merchantId }));
    expect(await rowCounts(t, mb.id)).toEqual(b);
  });

  it('alg none (HS256 kid and RS256 kid)', async () => {
    await expectRefused(() => attempt(hsA, { alg: 'none' }));
    await expectRefused(() => attempt(rsA, { alg: 'none' }));
  });

  it('HS256 keyed with the RSA public key PEM (algorithm confusion)', async () => {
    const enc = new TextEncoder();
    await expectRefused(() => attempt(rsA, { alg: 'HS256', signingKey: enc.encode(certA.publicKeyPem) }));
    await expectRefused(() => attempt(rsA, { alg: 'HS256', signingKey: enc.encode(certA.certPem) }));
  });

  it('HS256 with a wrong secret, and with an unknown kid', async () => {
    await expectRefused(() => attempt(hsA, { secret: randomBytes(32).toString('base64') }));
    await expectRefused(() => attempt(hsA, { keyId: randomUUID() }));
  });

  it("HS256 with another merchant's keyId and secret, claiming this merchant", async () => {
    const b = cybsCreds(mb);
    await expectRefused(() => attempt(hsA, { keyId: b.keyId, secret: b.sharedSecret }));
  });

  it('RS256 with an unregistered certificate and kid', async () => {
    const c = cybs(t, ma, { kind: 'jwt-rs256', privateKey: stranger.privateKey, kid: stranger.kid });
    await expectRefused(() => attempt(c));
  });

  it('RS256 with the registered kid, signed by another key', async () => {
    await expectRefused(() => attempt(rsA, { signingKey: stranger.privateKey }));
  });

  it("RS256 with another merchant's certificate, claiming this merchant", async () => {
    const c = cybs(t, ma, { kind: 'jwt-rs256', privateKey: certB.privateKey, kid: certB.kid });
    await expectRefused(() => attempt(c));
  });

  it('a replayed jti is refused the second time', async () => {
    const body = JSON.stringify(piBody(REPLAY_CARD));
    const headers = await buildAuth(cybsCreds(ma), { kind: 'jwt-hs256' }, 'POST', piUrl(), body);
    const token = (headers.authorization as string).slice('Bearer '.length);
    const first = await hsA.post(piUrl(), body, { token });
    expect(first.status, first.body).toBe(201);
    baseCustomer = (await sigA.get(`/tms/v2/customers/${base.customerId}`)).json;
    await expectRefused(() => hsA.post(piUrl(), body, { token }));
    // Put A back as it was: one PI (the default), so later refusals check the same state.
    expect((await sigA.delete(`${piUrl()}/${first.json.id}`)).status).toBe(204);
    baseCustomer = (await sigA.get(`/tms/v2/customers/${base.customerId}`)).json;
  });

  it('a replayed GET token is refused too', async () => {
    const url = `/tms/v2/customers/${base.customerId}`;
    const headers = await buildAuth(
      cybsCreds(ma),
      { kind: 'jwt-rs256', privateKey: certA.privateKey, kid: certA.kid },
      'GET',
      url,
      undefined,
    );
    const token = (headers.authorization as string).slice('Bearer '.length);
    expect((await rsA.get(url, { token })).status).toBe(200);
    await expectRefused(() => rsA.get(url, { token }));
  });

  it('a truncated or garbled bearer token', async () => {
    await expectRefused(() => attempt(hsA, { token: 'not.a.jwt' }));
    await expectRefused(() => attempt(hsA, { token: '' }));
  });

  it('v1 with an x5c certificate that is not registered', async () => {
    const c = cybs(t, ma, { kind: 'jwt-v1', privateKey: stranger.privateKey, certDer: stranger.certDer });
    await expectRefused(() => attempt(c));
  });

  it('v1 with the registered x5c certificate, signed by another key', async () => {
    await expectRefused(() => attempt(v1A, { signingKey: stranger.privateKey }));
  });

  it("v1 with another merchant's certificate, claiming this merchant", async () => {
    const c = cybs(t, ma, { kind: 'jwt-v1', privateKey: certB.privateKey, certDer: certB.certDer });
    await expectRefused(() => attempt(c));
  });

  it("v1 with this merchant's certificate, claiming another merchant in its header", async () => {
    await expectRefused(() => attempt(v1A, { merchantId: cybsCreds(mb).merchantId }));
  });

  it('v1 with a stale iat (old, and in the future)', async () => {
    await expectRefused(() => attempt(v1A, { iat: rfc1123(new Date(Date.now() - minutes(10))) }));
    await expectRefused(() => attempt(v1A, { iat: rfc1123(new Date(Date.now() + minutes(10))) }));
  });

  it('v1 with a body that does not match its digest', async () => {
    await expectRefused(() => attempt(v1A, { bodyAfterSigning: JSON.stringify(piBody(PROBE, { default: true })) }));
  });

  it('no refused request left the probe card behind', async () => {
    const r = await sigA.post('/tms/v1/instrumentidentifiers', { card: { number: PROBE } });
    expect(r.status, r.body).toBe(201);
    expect((await sigA.delete(`/tms/v1/instrumentidentifiers/${r.json.id}`)).status).toBe(204);
  });
});

describe("another merchant's ids, with a valid signature: the same answer as an unknown id", () => {
  async function sameAsUnknown(send: (id: string) => Promise<CybsResponse>, realId: string, unknownId: string): Promise<CybsResponse> {
    const real = await send(realId);
    const unknown = await send(unknownId);
    expect(real.status, real.body).toBe(unknown.status);
    const strip = (r: CybsResponse, id: string) => {
      const j = withoutIds(r.json, [id]) as Record<string, unknown>;
      delete j.submitTimeUtc;
      return j;
    };
    expect(strip(real, realId)).toEqual(strip(unknown, unknownId));
    return real;
  }

  it('TMS customer, customer PI, standalone PI, instrument identifier: 404 notFound', async () => {
    const before = await rowCounts(t, ma.id);
    expectTmsError(await sameAsUnknown((id) => sigB.get(`/tms/v2/customers/${id}`), base.customerId, unknownHex32()), 404, 'notFound');
    expectTmsError(
      await sameAsUnknown((id) => sigB.get(`/tms/v2/customers/${id}/payment-instruments`), base.customerId, unknownHex32()),
      404,
      'notFound',
    );
    expectTmsError(
      await sameAsUnknown((id) => sigB.get(`/tms/v2/customers/${id}/payment-instruments/${base.piId}`), base.customerId, unknownHex32()),
      404,
      'notFound',
    );
    expectTmsError(await sameAsUnknown((id) => sigB.get(`/tms/v1/paymentinstruments/${id}`), base.piId, unknownHex32()), 404, 'notFound');
    expectTmsError(await sameAsUnknown((id) => sigB.get(`/tms/v1/instrumentidentifiers/${id}`), base.iiId, unknownIiId()), 404, 'notFound');
    expectTmsError(
      await sameAsUnknown(
        (id) => sigB.patch(`/tms/v2/customers/${id}`, { buyerInformation: { email: 'x@example.com' } }),
        base.customerId,
        unknownHex32(),
      ),
      404,
      'notFound',
    );
    expectTmsError(
      await sameAsUnknown(
        (id) => sigB.patch(`/tms/v1/paymentinstruments/${id}`, { card: { expirationMonth: '01' } }),
        base.piId,
        unknownHex32(),
      ),
      404,
      'notFound',
    );
    expectTmsError(
      await sameAsUnknown((id) => sigB.post(`/tms/v2/customers/${id}/payment-instruments`, piBody(VISA)), base.customerId, unknownHex32()),
      404,
      'notFound',
    );
    expectTmsError(
      await sameAsUnknown((id) => sigB.delete(`/tms/v1/paymentinstruments/${id}`), base.piId, unknownHex32()),
      404,
      'notFound',
    );
    expectTmsError(
      await sameAsUnknown((id) => sigB.delete(`/tms/v1/instrumentidentifiers/${id}`), base.iiId, unknownIiId()),
      404,
      'notFound',
    );
    expectTmsError(await sameAsUnknown((id) => sigB.delete(`/tms/v2/customers/${id}`), base.customerId, unknownHex32()), 404, 'notFound');
    // A is untouched.
    expect(await rowCounts(t, ma.id)).toEqual(before);
    const still = await sigA.get(`/tms/v2/customers/${base.customerId}`);
    expect(still.json).toEqual(baseCustomer);
    expect((await sigA.get(`/tms/v1/paymentinstruments/${base.piId}`)).status).toBe(200);
  });

  it('a PI created by B naming A’s instrument identifier id: 424, as for an unknown one', async () => {
    const made = await sigB.post('/tms/v2/customers', customerBody());
    expect(made.status).toBe(201);
    const body = (id: string) => ({ card: { expirationMonth: '12', expirationYear: EXP_YEAR, type: '001' }, instrumentIdentifier: { id } });
    expectTmsError(
      await sameAsUnknown((id) => sigB.post(`/tms/v2/customers/${made.json.id}/payment-instruments`, body(id)), base.iiId, unknownIiId()),
      424,
      'notFound',
    );
  });

  it('PTS: paying with A’s customer or PI is 400 INVALID_DATA, as for an unknown one', async () => {
    const before = await rowCounts(t, mb.id);
    const pay = (info: Record<string, unknown>) =>
      sigB.post('/pts/v2/payments', {
        clientReferenceInformation: { code: 'x-merchant' },
        paymentInformation: info,
        orderInformation: { amountDetails: { totalAmount: '10.00', currency: 'USD' } },
      });
    expectPtsError(await sameAsUnknown((id) => pay({ customer: { id } }), base.customerId, unknownHex32()), 'INVALID_DATA');
    expectPtsError(await sameAsUnknown((id) => pay({ paymentInstrument: { id } }), base.piId, unknownHex32()), 'INVALID_DATA');
    expect(await rowCounts(t, mb.id)).toEqual(before);
  });

  it('PTS: capturing, refunding or reading A’s payment is the same as an unknown payment id', async () => {
    const paid = await sigA.post('/pts/v2/payments', {
      clientReferenceInformation: { code: 'a-pay' },
      paymentInformation: { customer: { id: base.customerId } },
      orderInformation: { amountDetails: { totalAmount: '10.00', currency: 'USD' } },
    });
    expect(paid.status, paid.body).toBe(201);
    expect(paid.json.id).toMatch(PAYMENT_ID);
    const amount = { orderInformation: { amountDetails: { totalAmount: '10.00', currency: 'USD' } } };
    expectPtsError(
      await sameAsUnknown((id) => sigB.post(`/pts/v2/payments/${id}/captures`, amount), paid.json.id, unknownPaymentId()),
      'INVALID_PAYMENT_ID',
    );
    expectPtsError(
      await sameAsUnknown(
        (id) => sigB.post(`/pts/v2/payments/${id}/reversals`, { reversalInformation: { amountDetails: { totalAmount: '10.00' } } }),
        paid.json.id,
        unknownPaymentId(),
      ),
      'INVALID_PAYMENT_ID',
    );
    await sameAsUnknown((id) => sigB.get(`/pts/v2/payments/${id}`), paid.json.id, unknownPaymentId());
    expect((await sigB.get(`/pts/v2/payments/${paid.json.id}`)).status).not.toBe(200);
    // Still A's, still authorized and capturable.
    const cap = await sigA.post(`/pts/v2/payments/${paid.json.id}/captures`, amount);
    expect(cap.status, cap.body).toBe(201);
  });
});

describe('Cybersource Signature refusals quote nothing the client sent', () => {
  // Its own app, logging everything: the refused name must be in no log line.
  let t: TestApp;
  let m: TestMerchant;
  let sig: CybsClient;
  beforeAll(async () => {
    t = await makeTestApp({ env: { LOG_LEVEL: 'trace' } });
    m = await createMerchant(t);
    sig = cybs(t, m);
  });
  afterAll(() => t.close());

  const auditText = async () =>
    JSON.stringify(
      await t.vault.store.db.selectFrom('audit_events').select(['actor', 'action', 'target', 'detail']).where('chain', '=', m.id).execute(),
    );

  it.each([
    ['a card number', '4000056655665556'],
    ['a card number with dashes', '4000-0566-5566-5556'],
    ['an unexpected header name', 'x-unexpected-header-name'],
  ])('headers="…" naming %s: 401 with a fixed reason, in no response, log line or audit event', async (_label, name) => {
    const mark = t.logs.length;
    const res = await sig.get(`/tms/v2/customers/${'A'.repeat(32)}`, {
      headerList: ['host', 'date', 'request-target', 'v-c-merchant-id', name],
    });
    expectAuthFailed(res);
    expect(res.json.errors[0].message).toBe('Authentication Failed: a signed header is missing from the request');
    const logs = t.logs.slice(mark).join('\n');
    const audit = await auditText();
    for (const text of [res.body, logs, audit]) expect(text).not.toContain(name);
    expect(logs).toContain('a signed header is missing from the request');
    expect(audit).toContain('a_signed_header_is_missing_from_the_request');
    const scanned = t.logs
      .slice(mark)
      .map((l) => {
        const { time: _t, responseTime: _r, ...rest } = JSON.parse(l) as Record<string, unknown>;
        return JSON.stringify(rest);
      })
      .join('\n');
    expect(findCardNumbers(scanned)).toEqual([]);
  });
});
