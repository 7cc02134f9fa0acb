/**
 * tokenvault's Cybersource TMS and PTS routes, driven end to end by the official `cybersource-rest-client`
 * SDK (0.0.83, unchanged) over real HTTP: HTTP Signature, JWT HS256 and JWT RS256 (P12), response MLE,
 * the customer/payment-instrument/shipping-address/instrument-identifier lifecycles, and payments.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  client,
  createCustomer,
  createMerchant,
  futureYear,
  makeTestApp,
  rememberSecret,
  type TestApp,
  type TestMerchant,
  tokenize,
} from '../../helpers/harness.ts';
import {
  type AuthMode,
  type CybsCreds,
  cardNumber,
  cybersource,
  cybsCreds,
  type Json,
  listen,
  makeP12,
  masked,
  type P12Material,
  pageOf,
  putCybersourceKeys,
  removeDirs,
  type Sdk,
  type SdkResult,
  sdk,
  strayPrivateKeyPem,
  wrongSecret,
} from './sdk-helpers.ts';

const HEX32 = /^[0-9A-F]{32}$/;
const II_ID = /^70\d{17}$/;
const PAY_ID = /^\d{22}$/;
const UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const YEAR = String(futureYear());
const DECLINE_INSUFFICIENT = '4000000000009995';

let t: TestApp;
let port: number;
let mA: TestMerchant;
let mB: TestMerchant;
let A: CybsCreds;
let B: CybsCreds;
/** Merchant A over HTTP Signature: the client most of the suite uses. */
let sig: Sdk;
/** Merchant B over HTTP Signature. */
let sigB: Sdk;
const tempDirs: string[] = [];

let seq = 0;
const uniq = (p: string) => `${p}-${Date.now().toString(36)}-${++seq}`;

const customerBody = (over: Record<string, unknown> = {}) => ({
  buyerInformation: { merchantCustomerID: uniq('cust'), email: 'ada@example.com' },
  clientReferenceInformation: { code: uniq('ref') },
  merchantDefinedInformation: [{ name: 'data1', value: 'Your customer data' }],
  ...over,
});

const billTo = {
  firstName: 'Ada',
  lastName: 'Lovelace',
  company: 'Analytical Engines',
  address1: '1 Market St',
  address2: 'Floor 2',
  locality: 'San Francisco',
  administrativeArea: 'CA',
  postalCode: '94105',
  country: 'US',
  email: 'ada@example.com',
  phoneNumber: '4158880000',
};

const shipTo = {
  firstName: 'Charles',
  lastName: 'Babbage',
  company: 'Difference Ltd',
  address1: '2 Harbour Rd',
  address2: 'Unit 5',
  locality: 'Austin',
  administrativeArea: 'TX',
  postalCode: '78701',
  country: 'US',
  email: 'charles@example.com',
  phoneNumber: '5125550100',
};

const piBody = (number: string, over: Record<string, unknown> = {}) => ({
  card: { expirationMonth: '12', expirationYear: YEAR, type: '001' },
  billTo,
  instrumentIdentifier: { card: { number } },
  ...over,
});

const amount = (totalAmount = '10.00', currency = 'USD') => ({ amountDetails: { totalAmount, currency } });

function ok(r: SdkResult, status: number): Json {
  expect(r.status, `${r.status} ${r.text}`).toBe(status);
  return r.body;
}

function tmsError(r: SdkResult, status: number, type: string): Json {
  expect(r.status, `${r.status} ${r.text}`).toBe(status);
  expect(r.body?.errors?.[0]?.type, r.text).toBe(type);
  expect(typeof r.body.errors[0].message).toBe('string');
  return r.body;
}

function ptsError(r: SdkResult, reason: string): Json {
  expect(r.status, `${r.status} ${r.text}`).toBe(400);
  expect(r.body, r.text).toMatchObject({ status: 'INVALID_REQUEST', reason, message: expect.any(String) });
  expect(r.body.submitTimeUtc).toMatch(UTC);
  return r.body;
}

function authFailed(r: SdkResult): void {
  expect(r.status, `${r.status} ${r.text}`).toBe(401);
  expect(r.body?.errors?.[0]?.type, r.text).toBe('authenticationFailed');
  expect(r.body.errors[0].message).toMatch(/^Authentication Failed/);
  expect(r.body.response).toEqual({ rmsg: 'Authentication Failed' });
}

const endsWith = (suffix: string) => expect.stringMatching(new RegExp(`${suffix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));

async function newCustomer(c: Sdk, over: Record<string, unknown> = {}): Promise<Json> {
  return ok(await c.customers('postCustomer', customerBody(over), {}), 201);
}

async function newPi(c: Sdk, customerId: string, number = cardNumber(), over: Record<string, unknown> = {}): Promise<Json> {
  return ok(await c.customerPis('postCustomerPaymentInstrument', customerId, piBody(number, over), {}), 201);
}

async function newAddress(c: Sdk, customerId: string, over: Record<string, unknown> = {}): Promise<Json> {
  return ok(await c.shipping('postCustomerShippingAddress', customerId, { shipTo, ...over }, {}), 201);
}

function setupFor(mode: AuthMode, creds: CybsCreds, p12?: P12Material, secret?: string) {
  return {
    mode,
    port,
    merchantID: creds.merchantId,
    keyId: creds.keyId,
    secret: secret ?? creds.sharedSecret,
    ...(p12 ? { p12 } : {}),
  };
}

beforeAll(async () => {
  t = await makeTestApp();
  port = await listen(t);
  [mA, mB] = await Promise.all([createMerchant(t, 'Cybersource SDK merchant A'), createMerchant(t, 'Cybersource SDK merchant B')]);
  A = cybsCreds(mA);
  B = cybsCreds(mB);
  sig = sdk(setupFor('http_signature', A));
  sigB = sdk(setupFor('http_signature', B));
});

afterAll(async () => {
  await t?.close();
  removeDirs(...tempDirs);
});

describe('Cybersource SDK: provisioning', () => {
  it('merchant creation hands out Cybersource credentials the SDK can use', () => {
    expect(A.merchantId).toEqual(expect.any(String));
    expect(A.keyId).toEqual(expect.any(String));
    expect(Buffer.from(A.sharedSecret, 'base64').length).toBeGreaterThanOrEqual(32);
    expect(A.mleKeyId).toEqual(expect.any(String));
    expect(A.mlePrivateKeyPem).toMatch(/-----BEGIN (RSA )?PRIVATE KEY-----/);
    expect(A.merchantId).not.toBe(B.merchantId);
    expect(A.keyId).not.toBe(B.keyId);
  });
});

// ---------------------------------------------------------------------------------------------------
describe('Cybersource SDK: customers (HTTP Signature)', () => {
  it('creates, retrieves, patches and deletes a customer', async () => {
    const body = customerBody();
    const created = await sig.customers('postCustomer', body, {});
    const c = ok(created, 201);
    expect(c.id).toMatch(HEX32);
    expect(c).toMatchObject({
      _links: {
        self: { href: endsWith(`/tms/v2/customers/${c.id}`) },
        paymentInstruments: { href: endsWith(`/tms/v2/customers/${c.id}/payment-instruments`) },
        shippingAddress: { href: endsWith(`/tms/v2/customers/${c.id}/shipping-addresses`) },
      },
      buyerInformation: body.buyerInformation,
      clientReferenceInformation: body.clientReferenceInformation,
      merchantDefinedInformation: body.merchantDefinedInformation,
      metadata: { creator: A.merchantId },
    });
    expect(c.defaultPaymentInstrument).toBeUndefined();
    // The SDK deserialized the answer into its own model.
    expect(created.data).toBeInstanceOf(cybersource.PostCustomerRequest);
    expect(created.data.id).toBe(c.id);
    expect(created.headers['content-type']).toMatch(/^application\/json/);

    const got = ok(await sig.customers('getCustomer', c.id, {}), 200);
    expect(got).toMatchObject({
      id: c.id,
      buyerInformation: body.buyerInformation,
      clientReferenceInformation: body.clientReferenceInformation,
      merchantDefinedInformation: body.merchantDefinedInformation,
      metadata: { creator: A.merchantId },
    });

    const patched = ok(
      await sig.customers(
        'patchCustomer',
        c.id,
        { buyerInformation: { merchantCustomerID: body.buyerInformation.merchantCustomerID, email: 'lovelace@example.org' } },
        {},
      ),
      200,
    );
    expect(patched.id).toBe(c.id);
    expect(patched.buyerInformation.email).toBe('lovelace@example.org');
    const again = ok(await sig.customers('getCustomer', c.id, {}), 200);
    expect(again.buyerInformation).toEqual({ merchantCustomerID: body.buyerInformation.merchantCustomerID, email: 'lovelace@example.org' });

    const del = await sig.customers('deleteCustomer', c.id, {});
    expect(del.status, del.text).toBe(204);
    tmsError(await sig.customers('getCustomer', c.id, {}), 404, 'notFound');
  });

  it('creates several customers with one merchantCustomerID, as the official samples do', async () => {
    const body = customerBody();
    const a = ok(await sig.customers('postCustomer', body, {}), 201);
    const b = ok(await sig.customers('postCustomer', { ...body, clientReferenceInformation: { code: 'other' } }, {}), 201);
    expect(b.id).not.toBe(a.id);
    expect(b.buyerInformation.merchantCustomerID).toBe(body.buyerInformation.merchantCustomerID);
    const c = await newCustomer(sig);
    const patched = ok(
      await sig.customers('patchCustomer', c.id, { buyerInformation: { merchantCustomerID: a.buyerInformation.merchantCustomerID } }, {}),
      200,
    );
    expect(patched.buyerInformation.merchantCustomerID).toBe(a.buyerInformation.merchantCustomerID);
  });

  it('accepts the profile-id header the SDK sends from opts.profileId', async () => {
    const profileId = '93B32398-AD51-4CC2-A682-EA3E93614EB1';
    const c = ok(await sig.customers('postCustomer', customerBody(), { profileId }), 201);
    ok(await sig.customers('getCustomer', c.id, { profileId }), 200);
    ok(await sig.customerPis('getCustomerPaymentInstrumentsList', c.id, { profileId, offset: 0, limit: 5 }), 200);
  });

  it('keeps non-ASCII text intact (the digest covers the raw UTF-8 bytes)', async () => {
    const body = customerBody({
      buyerInformation: { merchantCustomerID: uniq('zoë-ünïcødé'), email: 'zoe@example.com' },
      merchantDefinedInformation: [
        { name: 'data1', value: 'Zoë Ångström — 東京 🚀' },
        { name: 'data2', value: 'naïve café' },
      ],
    });
    const c = ok(await sig.customers('postCustomer', body, {}), 201);
    expect(c.merchantDefinedInformation).toEqual(body.merchantDefinedInformation);
    expect(c.buyerInformation.merchantCustomerID).toBe(body.buyerInformation.merchantCustomerID);
    const got = ok(await sig.customers('getCustomer', c.id, {}), 200);
    expect(got.merchantDefinedInformation).toEqual(body.merchantDefinedInformation);
  });

  it('lets two merchants use the same merchantCustomerID (unique per merchant only)', async () => {
    const body = customerBody();
    const a = ok(await sig.customers('postCustomer', body, {}), 201);
    const b = ok(await sigB.customers('postCustomer', body, {}), 201);
    expect(a.id).not.toBe(b.id);
    expect(b.metadata).toEqual({ creator: B.merchantId });
  });

  it("answers 404 notFound for another merchant's customer, and leaves it alone", async () => {
    const theirs = await newCustomer(sigB);
    tmsError(await sig.customers('getCustomer', theirs.id, {}), 404, 'notFound');
    tmsError(await sig.customers('patchCustomer', theirs.id, { buyerInformation: { email: 'x@example.com' } }, {}), 404, 'notFound');
    tmsError(await sig.customers('deleteCustomer', theirs.id, {}), 404, 'notFound');
    tmsError(await sig.customerPis('postCustomerPaymentInstrument', theirs.id, piBody(cardNumber()), {}), 404, 'notFound');
    ok(await sigB.customers('getCustomer', theirs.id, {}), 200);
  });
});

// ---------------------------------------------------------------------------------------------------
describe('Cybersource SDK: customer payment instruments (HTTP Signature)', () => {
  it('creates a PI from a card number, and another from an existing instrument identifier', async () => {
    const cust = await newCustomer(sig);
    const pan = cardNumber();
    const first = await newPi(sig, cust.id, pan);
    expect(first.id).toMatch(HEX32);
    expect(first).toMatchObject({
      _links: {
        self: { href: endsWith(`/tms/v2/customers/${cust.id}/payment-instruments/${first.id}`) },
        customer: { href: endsWith(`/tms/v2/customers/${cust.id}`) },
      },
      object: 'paymentInstrument',
      default: true,
      state: 'ACTIVE',
      card: { expirationMonth: '12', expirationYear: YEAR, type: 'visa' },
      billTo,
      instrumentIdentifier: { id: expect.stringMatching(II_ID) },
      metadata: { creator: A.merchantId },
      _embedded: { instrumentIdentifier: { card: { number: masked(pan) } } },
    });
    expect(first._embedded.instrumentIdentifier.id).toBe(first.instrumentIdentifier.id);
    expect(JSON.stringify(first)).not.toContain(pan);

    // POST /tms/v1/instrumentidentifiers through InstrumentIdentifierApi, then a PI that points at it.
    const pan2 = cardNumber();
    const ii = ok(await sig.instrumentIdentifiers('postInstrumentIdentifier', { card: { number: pan2 } }, {}), 201);
    expect(ii.id).toMatch(II_ID);
    const second = ok(
      await sig.customerPis(
        'postCustomerPaymentInstrument',
        cust.id,
        { card: { expirationMonth: '01', expirationYear: YEAR, type: 'visa' }, billTo, instrumentIdentifier: { id: ii.id } },
        {},
      ),
      201,
    );
    expect(second).toMatchObject({
      default: false,
      card: { expirationMonth: '01', expirationYear: YEAR, type: 'visa' },
      instrumentIdentifier: { id: ii.id },
      _embedded: { instrumentIdentifier: { id: ii.id, card: { number: masked(pan2) } } },
    });
  });

  it('shares one instrument identifier between PIs of the same card, and creates it only once', async () => {
    const cust = await newCustomer(sig);
    const pan = cardNumber();
    const a = await newPi(sig, cust.id, pan);
    const b = await newPi(sig, cust.id, pan, { card: { expirationMonth: '06', expirationYear: YEAR, type: 'visa' } });
    expect(a.id).not.toBe(b.id);
    expect(b.instrumentIdentifier.id).toBe(a.instrumentIdentifier.id);
    // The same card again through the instrument identifier API: 200, the existing one.
    const again = ok(await sig.instrumentIdentifiers('postInstrumentIdentifier', { card: { number: pan } }, {}), 200);
    expect(again.id).toBe(a.instrumentIdentifier.id);
  });

  it('masks the PAN as 411111XXXXXX1111 for the classic test Visa', async () => {
    const cust = await newCustomer(sig);
    const pi = await newPi(sig, cust.id, '4111111111111111');
    expect(pi._embedded.instrumentIdentifier.card.number).toBe('411111XXXXXX1111');
    const got = ok(await sig.customerPis('getCustomerPaymentInstrument', cust.id, pi.id, {}), 200);
    expect(got._embedded.instrumentIdentifier.card.number).toBe('411111XXXXXX1111');
  });

  it('retrieves, patches (expiry, billTo) and deletes a PI', async () => {
    const cust = await newCustomer(sig);
    const pan = cardNumber();
    const pi = await newPi(sig, cust.id, pan);
    const got = ok(await sig.customerPis('getCustomerPaymentInstrument', cust.id, pi.id, {}), 200);
    expect(got).toMatchObject({ id: pi.id, default: true, card: pi.card, billTo, instrumentIdentifier: pi.instrumentIdentifier });
    expect(got._embedded.instrumentIdentifier.card.number).toBe(masked(pan));

    const newBillTo = { ...billTo, address1: '99 New Road', locality: 'Oakland', postalCode: '94607' };
    const patched = ok(
      await sig.customerPis(
        'patchCustomersPaymentInstrument',
        cust.id,
        pi.id,
        { card: { expirationMonth: '03', expirationYear: String(futureYear() + 1) }, billTo: newBillTo },
        {},
      ),
      200,
    );
    expect(patched).toMatchObject({
      id: pi.id,
      card: { expirationMonth: '03', expirationYear: String(futureYear() + 1) },
      billTo: newBillTo,
      instrumentIdentifier: pi.instrumentIdentifier,
    });
    const after = ok(await sig.customerPis('getCustomerPaymentInstrument', cust.id, pi.id, {}), 200);
    expect(after.card).toMatchObject({ expirationMonth: '03', expirationYear: String(futureYear() + 1), type: 'visa' });
    expect(after.billTo).toMatchObject(newBillTo);

    const del = await sig.customerPis('deleteCustomerPaymentInstrument', cust.id, pi.id, {});
    expect(del.status, del.text).toBe(204);
    tmsError(await sig.customerPis('getCustomerPaymentInstrument', cust.id, pi.id, {}), 404, 'notFound');
  });

  it('lists 5 PIs in pages of 2 with the documented envelope', async () => {
    const cust = await newCustomer(sig);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await newPi(sig, cust.id)).id);

    const seen: string[] = [];
    const pages: Json[] = [];
    for (const offset of [0, 2, 4]) {
      const r = await sig.customerPis('getCustomerPaymentInstrumentsList', cust.id, { offset, limit: 2 });
      const page = ok(r, 200);
      pages.push(page);
      expect(page).toMatchObject({ offset, limit: 2, count: offset === 4 ? 1 : 2, total: 5 });
      expect(page._embedded.paymentInstruments).toHaveLength(page.count);
      for (const pi of page._embedded.paymentInstruments) {
        expect(pi).toMatchObject({
          object: 'paymentInstrument',
          _embedded: { instrumentIdentifier: { card: { number: expect.any(String) } } },
        });
        seen.push(pi.id);
      }
      expect(pageOf(page._links.self.href)).toEqual({ offset, limit: 2 });
      expect(pageOf(page._links.first.href)).toEqual({ offset: 0, limit: 2 });
      expect(pageOf(page._links.last.href)).toEqual({ offset: 4, limit: 2 });
      expect(page._links.self.href).toContain(`/tms/v2/customers/${cust.id}/payment-instruments`);
    }
    const [p0, p2, p4] = pages;
    expect(p0._links.prev).toBeUndefined();
    expect(pageOf(p0._links.next.href)).toEqual({ offset: 2, limit: 2 });
    expect(pageOf(p2._links.prev.href)).toEqual({ offset: 0, limit: 2 });
    expect(pageOf(p2._links.next.href)).toEqual({ offset: 4, limit: 2 });
    expect(pageOf(p4._links.prev.href)).toEqual({ offset: 2, limit: 2 });
    expect(p4._links.next).toBeUndefined();
    expect(new Set(seen).size).toBe(5);
    expect([...seen].sort()).toEqual([...ids].sort());

    // The default page (no offset/limit sent): everything, limit 20.
    const all = ok(await sig.customerPis('getCustomerPaymentInstrumentsList', cust.id, {}), 200);
    expect(all).toMatchObject({ offset: 0, limit: 20, count: 5, total: 5 });
  });

  it('refuses a card type that contradicts the number (400) and an unknown instrument identifier (424)', async () => {
    const cust = await newCustomer(sig);
    const r = await sig.customerPis(
      'postCustomerPaymentInstrument',
      cust.id,
      piBody(cardNumber(), { card: { expirationMonth: '12', expirationYear: YEAR, type: '002' } }),
      {},
    );
    expect(r.status, r.text).toBe(400);
    expect(r.body.errors[0].type).toBe('invalidFields');
    tmsError(
      await sig.customerPis(
        'postCustomerPaymentInstrument',
        cust.id,
        { card: { expirationMonth: '12', expirationYear: YEAR, type: '001' }, instrumentIdentifier: { id: '7000000000000000001' } },
        {},
      ),
      424,
      'notFound',
    );
    const list = ok(await sig.customerPis('getCustomerPaymentInstrumentsList', cust.id, {}), 200);
    expect(list.total).toBe(0);
  });

  it('accepts lowercase card type names and refuses a contradicting type on PATCH', async () => {
    const cust = await newCustomer(sig);
    const mc = ok(
      await sig.customerPis(
        'postCustomerPaymentInstrument',
        cust.id,
        piBody(cardNumber('5454'), { card: { expirationMonth: '07', expirationYear: YEAR, type: 'mastercard' } }),
        {},
      ),
      201,
    );
    expect(mc.card.type).toBe('mastercard');
    const r = await sig.customerPis(
      'patchCustomersPaymentInstrument',
      cust.id,
      mc.id,
      { card: { expirationMonth: '07', expirationYear: YEAR, type: 'visa' } },
      {},
    );
    expect(r.status, r.text).toBe(400);
    expect(ok(await sig.customerPis('getCustomerPaymentInstrument', cust.id, mc.id, {}), 200).card.type).toBe('mastercard');
  });

  it('refuses a list limit outside 1–100 with 400', async () => {
    const cust = await newCustomer(sig);
    for (const limit of [0, 101]) {
      const r = await sig.customerPis('getCustomerPaymentInstrumentsList', cust.id, { offset: 0, limit });
      expect(r.status, `limit ${limit}: ${r.text}`).toBe(400);
      expect(r.body.errors[0].type).toBe('invalidFields');
    }
    ok(await sig.customerPis('getCustomerPaymentInstrumentsList', cust.id, { offset: 0, limit: 100 }), 200);
    ok(await sig.shipping('getCustomerShippingAddressesList', cust.id, { offset: 0, limit: 100 }), 200);
    expect((await sig.shipping('getCustomerShippingAddressesList', cust.id, { offset: 0, limit: 101 })).status).toBe(400);
  });

  it("answers 404 for the PI list of another merchant's customer", async () => {
    const theirs = await newCustomer(sigB);
    const pi = await newPi(sigB, theirs.id);
    tmsError(await sig.customerPis('getCustomerPaymentInstrumentsList', theirs.id, {}), 404, 'notFound');
    tmsError(await sig.customerPis('getCustomerPaymentInstrument', theirs.id, pi.id, {}), 404, 'notFound');
    tmsError(await sig.customerPis('deleteCustomerPaymentInstrument', theirs.id, pi.id, {}), 404, 'notFound');
    // My own customer with their PI id: still not found.
    const mine = await newCustomer(sig);
    tmsError(await sig.customerPis('getCustomerPaymentInstrument', mine.id, pi.id, {}), 404, 'notFound');
    ok(await sigB.customerPis('getCustomerPaymentInstrument', theirs.id, pi.id, {}), 200);
  });
});

// ---------------------------------------------------------------------------------------------------
describe('Cybersource SDK: defaults (HTTP Signature)', () => {
  it('keeps one default payment instrument and moves it as documented', async () => {
    const cust = await newCustomer(sig);
    const pi1 = await newPi(sig, cust.id);
    expect(pi1.default).toBe(true);
    let c = ok(await sig.customers('getCustomer', cust.id, {}), 200);
    expect(c.defaultPaymentInstrument).toEqual({ id: pi1.id });
    expect(c._embedded.defaultPaymentInstrument).toMatchObject({ id: pi1.id, default: true, object: 'paymentInstrument' });
    expect(c._embedded.defaultPaymentInstrument._embedded.instrumentIdentifier.card.number).toMatch(/^\d{6}X+\d{4}$/);

    const pi2 = await newPi(sig, cust.id);
    expect(pi2.default).toBe(false);
    // default: true on a new PI moves the default.
    const pi3 = await newPi(sig, cust.id, cardNumber(), { default: true });
    expect(pi3.default).toBe(true);
    expect(ok(await sig.customerPis('getCustomerPaymentInstrument', cust.id, pi1.id, {}), 200).default).toBe(false);
    c = ok(await sig.customers('getCustomer', cust.id, {}), 200);
    expect(c.defaultPaymentInstrument).toEqual({ id: pi3.id });
    expect(c._embedded.defaultPaymentInstrument.id).toBe(pi3.id);

    // PATCH the customer's defaultPaymentInstrument.id.
    const patched = ok(await sig.customers('patchCustomer', cust.id, { defaultPaymentInstrument: { id: pi2.id } }, {}), 200);
    expect(patched.defaultPaymentInstrument).toEqual({ id: pi2.id });
    expect(ok(await sig.customerPis('getCustomerPaymentInstrument', cust.id, pi2.id, {}), 200).default).toBe(true);
    expect(ok(await sig.customerPis('getCustomerPaymentInstrument', cust.id, pi3.id, {}), 200).default).toBe(false);

    // PATCH a PI with default: true.
    ok(await sig.customerPis('patchCustomersPaymentInstrument', cust.id, pi1.id, { default: true }, {}), 200);
    c = ok(await sig.customers('getCustomer', cust.id, {}), 200);
    expect(c.defaultPaymentInstrument).toEqual({ id: pi1.id });
    ok(await sig.customers('patchCustomer', cust.id, { defaultPaymentInstrument: { id: pi2.id } }, {}), 200);

    // An unknown default id: 424 notFound, nothing changed.
    tmsError(await sig.customers('patchCustomer', cust.id, { defaultPaymentInstrument: { id: 'F'.repeat(32) } }, {}), 424, 'notFound');
    expect(ok(await sig.customers('getCustomer', cust.id, {}), 200).defaultPaymentInstrument).toEqual({ id: pi2.id });

    // The default cannot go while others exist.
    tmsError(await sig.customerPis('deleteCustomerPaymentInstrument', cust.id, pi2.id, {}), 409, 'conflict');
    expect((await sig.customerPis('deleteCustomerPaymentInstrument', cust.id, pi1.id, {})).status).toBe(204);
    expect((await sig.customerPis('deleteCustomerPaymentInstrument', cust.id, pi3.id, {})).status).toBe(204);
    const last = await sig.customerPis('deleteCustomerPaymentInstrument', cust.id, pi2.id, {});
    expect(last.status, last.text).toBe(204);
    c = ok(await sig.customers('getCustomer', cust.id, {}), 200);
    expect(c.defaultPaymentInstrument).toBeUndefined();
    expect(c._embedded?.defaultPaymentInstrument).toBeUndefined();
  });

  it('runs the shipping-address lifecycle with the same default rules', async () => {
    const cust = await newCustomer(sig);
    const sa1 = await newAddress(sig, cust.id);
    expect(sa1.id).toMatch(HEX32);
    expect(sa1).toMatchObject({
      _links: {
        self: { href: endsWith(`/tms/v2/customers/${cust.id}/shipping-addresses/${sa1.id}`) },
        customer: { href: endsWith(`/tms/v2/customers/${cust.id}`) },
      },
      default: true,
      shipTo,
      metadata: { creator: A.merchantId },
    });
    const sa2 = await newAddress(sig, cust.id, { shipTo: { ...shipTo, address1: '3 Second St' } });
    expect(sa2.default).toBe(false);
    const sa3 = await newAddress(sig, cust.id, { default: true, shipTo: { ...shipTo, address1: '4 Third St' } });
    expect(sa3.default).toBe(true);

    let c = ok(await sig.customers('getCustomer', cust.id, {}), 200);
    expect(c.defaultShippingAddress).toEqual({ id: sa3.id });
    expect(c._embedded.defaultShippingAddress).toMatchObject({ id: sa3.id, default: true, shipTo: { address1: '4 Third St' } });

    const got = ok(await sig.shipping('getCustomerShippingAddress', cust.id, sa1.id, {}), 200);
    expect(got).toMatchObject({ id: sa1.id, default: false, shipTo });

    const page = ok(await sig.shipping('getCustomerShippingAddressesList', cust.id, { offset: 0, limit: 2 }), 200);
    expect(page).toMatchObject({ offset: 0, limit: 2, count: 2, total: 3 });
    expect(page._embedded.shippingAddresses).toHaveLength(2);
    expect(pageOf(page._links.next.href)).toEqual({ offset: 2, limit: 2 });
    expect(pageOf(page._links.last.href)).toEqual({ offset: 2, limit: 2 });
    expect(page._links.prev).toBeUndefined();
    const rest = ok(await sig.shipping('getCustomerShippingAddressesList', cust.id, { offset: 2, limit: 2 }), 200);
    expect(rest).toMatchObject({ offset: 2, limit: 2, count: 1, total: 3 });
    const listed = [...page._embedded.shippingAddresses, ...rest._embedded.shippingAddresses].map((s: Json) => s.id).sort();
    expect(listed).toEqual([sa1.id, sa2.id, sa3.id].sort());

    const patched = ok(
      await sig.shipping(
        'patchCustomersShippingAddress',
        cust.id,
        sa2.id,
        { shipTo: { ...shipTo, address1: '5 Patched Ave', postalCode: '78702' } },
        {},
      ),
      200,
    );
    expect(patched.shipTo).toMatchObject({ address1: '5 Patched Ave', postalCode: '78702', lastName: 'Babbage' });
    expect(ok(await sig.shipping('getCustomerShippingAddress', cust.id, sa2.id, {}), 200).shipTo.address1).toBe('5 Patched Ave');

    ok(await sig.customers('patchCustomer', cust.id, { defaultShippingAddress: { id: sa2.id } }, {}), 200);
    expect(ok(await sig.shipping('getCustomerShippingAddress', cust.id, sa2.id, {}), 200).default).toBe(true);
    expect(ok(await sig.shipping('getCustomerShippingAddress', cust.id, sa3.id, {}), 200).default).toBe(false);
    tmsError(await sig.customers('patchCustomer', cust.id, { defaultShippingAddress: { id: 'E'.repeat(32) } }, {}), 424, 'notFound');

    tmsError(await sig.shipping('deleteCustomerShippingAddress', cust.id, sa2.id, {}), 409, 'conflict');
    expect((await sig.shipping('deleteCustomerShippingAddress', cust.id, sa1.id, {})).status).toBe(204);
    expect((await sig.shipping('deleteCustomerShippingAddress', cust.id, sa3.id, {})).status).toBe(204);
    expect((await sig.shipping('deleteCustomerShippingAddress', cust.id, sa2.id, {})).status).toBe(204);
    tmsError(await sig.shipping('getCustomerShippingAddress', cust.id, sa2.id, {}), 404, 'notFound');
    c = ok(await sig.customers('getCustomer', cust.id, {}), 200);
    expect(c.defaultShippingAddress).toBeUndefined();
  });

  it('deleting a customer takes its payment instruments and shipping addresses with it', async () => {
    const cust = await newCustomer(sig);
    const pi = await newPi(sig, cust.id);
    const sa = await newAddress(sig, cust.id);
    expect((await sig.customers('deleteCustomer', cust.id, {})).status).toBe(204);
    tmsError(await sig.customerPis('getCustomerPaymentInstrument', cust.id, pi.id, {}), 404, 'notFound');
    tmsError(await sig.shipping('getCustomerShippingAddress', cust.id, sa.id, {}), 404, 'notFound');
  });
});

// ---------------------------------------------------------------------------------------------------
describe('Cybersource SDK: ETag and if-match (HTTP Signature)', () => {
  it('honours if-match on customer PATCH: current ETag → 200, stale → 412', async () => {
    const cust = await newCustomer(sig);
    const got = await sig.customers('getCustomer', cust.id, {});
    const etag = got.headers.etag;
    expect(etag, JSON.stringify(got.headers)).toBeTruthy();
    const r = await sig.customers('patchCustomer', cust.id, { buyerInformation: { email: 'etag1@example.com' } }, { ifMatch: etag });
    expect(ok(r, 200).buyerInformation.email).toBe('etag1@example.com');
    const fresh = (await sig.customers('getCustomer', cust.id, {})).headers.etag;
    expect(fresh).toBeTruthy();
    expect(fresh).not.toBe(etag);
    tmsError(
      await sig.customers('patchCustomer', cust.id, { buyerInformation: { email: 'etag2@example.com' } }, { ifMatch: etag }),
      412,
      'conflict',
    );
    expect(ok(await sig.customers('getCustomer', cust.id, {}), 200).buyerInformation.email).toBe('etag1@example.com');
  });

  it('honours if-match on payment instrument and shipping address PATCH', async () => {
    const cust = await newCustomer(sig);
    const pi = await newPi(sig, cust.id);
    const piTag = (await sig.customerPis('getCustomerPaymentInstrument', cust.id, pi.id, {})).headers.etag;
    expect(piTag).toBeTruthy();
    ok(
      await sig.customerPis(
        'patchCustomersPaymentInstrument',
        cust.id,
        pi.id,
        { card: { expirationMonth: '04', expirationYear: YEAR } },
        { ifMatch: piTag },
      ),
      200,
    );
    tmsError(
      await sig.customerPis(
        'patchCustomersPaymentInstrument',
        cust.id,
        pi.id,
        { card: { expirationMonth: '05', expirationYear: YEAR } },
        { ifMatch: piTag },
      ),
      412,
      'conflict',
    );
    expect(ok(await sig.customerPis('getCustomerPaymentInstrument', cust.id, pi.id, {}), 200).card.expirationMonth).toBe('04');

    const sa = await newAddress(sig, cust.id);
    const saTag = (await sig.shipping('getCustomerShippingAddress', cust.id, sa.id, {})).headers.etag;
    expect(saTag).toBeTruthy();
    ok(
      await sig.shipping('patchCustomersShippingAddress', cust.id, sa.id, { shipTo: { ...shipTo, address1: 'tag 1' } }, { ifMatch: saTag }),
      200,
    );
    tmsError(
      await sig.shipping('patchCustomersShippingAddress', cust.id, sa.id, { shipTo: { ...shipTo, address1: 'tag 2' } }, { ifMatch: saTag }),
      412,
      'conflict',
    );
  });
});

// ---------------------------------------------------------------------------------------------------
describe('Cybersource SDK: standalone payment instruments and instrument identifiers (HTTP Signature)', () => {
  it('creates, retrieves, patches and deletes a /tms/v1 payment instrument', async () => {
    const pan = cardNumber();
    const created = ok(
      await sig.paymentInstruments(
        'postPaymentInstrument',
        { card: { expirationMonth: '09', expirationYear: YEAR, type: 'visa' }, billTo, instrumentIdentifier: { card: { number: pan } } },
        {},
      ),
      201,
    );
    expect(created.id).toMatch(HEX32);
    expect(created).toMatchObject({
      _links: { self: { href: endsWith(`/tms/v1/paymentinstruments/${created.id}`) } },
      object: 'paymentInstrument',
      state: 'ACTIVE',
      card: { expirationMonth: '09', expirationYear: YEAR, type: 'visa' },
      billTo,
      instrumentIdentifier: { id: expect.stringMatching(II_ID) },
      metadata: { creator: A.merchantId },
      _embedded: { instrumentIdentifier: { card: { number: masked(pan) } } },
    });
    expect(JSON.stringify(created)).not.toContain(pan);

    const got = ok(await sig.paymentInstruments('getPaymentInstrument', created.id, {}), 200);
    expect(got).toMatchObject({ id: created.id, card: created.card, instrumentIdentifier: created.instrumentIdentifier });
    ok(await sig.paymentInstruments('getPaymentInstrument', created.id, { retrieveBinDetails: true }), 200);

    const patched = ok(
      await sig.paymentInstruments(
        'patchPaymentInstrument',
        created.id,
        { card: { expirationMonth: '10', expirationYear: YEAR }, billTo: { ...billTo, firstName: 'Augusta' } },
        {},
      ),
      200,
    );
    expect(patched).toMatchObject({ card: { expirationMonth: '10' }, billTo: { firstName: 'Augusta' } });
    const etag = (await sig.paymentInstruments('getPaymentInstrument', created.id, {})).headers.etag;
    expect(etag).toBeTruthy();
    ok(
      await sig.paymentInstruments(
        'patchPaymentInstrument',
        created.id,
        { card: { expirationMonth: '11', expirationYear: YEAR } },
        { ifMatch: etag },
      ),
      200,
    );
    tmsError(
      await sig.paymentInstruments(
        'patchPaymentInstrument',
        created.id,
        { card: { expirationMonth: '08', expirationYear: YEAR } },
        { ifMatch: etag },
      ),
      412,
      'conflict',
    );

    const del = await sig.paymentInstruments('deletePaymentInstrument', created.id, {});
    expect(del.status, del.text).toBe(204);
    tmsError(await sig.paymentInstruments('getPaymentInstrument', created.id, {}), 404, 'notFound');
  });

  it('retrieves an instrument identifier, lists its PIs, refuses deletion while used, and deletes it when unused', async () => {
    const pan = cardNumber();
    const ii = ok(await sig.instrumentIdentifiers('postInstrumentIdentifier', { card: { number: pan } }, {}), 201);
    expect(ii).toMatchObject({
      _links: {
        self: { href: endsWith(`/tms/v1/instrumentidentifiers/${ii.id}`) },
        paymentInstruments: { href: endsWith(`/tms/v1/instrumentidentifiers/${ii.id}/paymentinstruments`) },
      },
      id: expect.stringMatching(II_ID),
      object: 'instrumentIdentifier',
      state: 'ACTIVE',
      type: 'enrollable card',
      card: { number: masked(pan) },
      metadata: { creator: A.merchantId },
    });
    const got = ok(await sig.instrumentIdentifiers('getInstrumentIdentifier', ii.id, {}), 200);
    expect(got).toMatchObject({ id: ii.id, object: 'instrumentIdentifier', state: 'ACTIVE', card: { number: masked(pan) } });
    ok(await sig.instrumentIdentifiers('getInstrumentIdentifier', ii.id, { retrieveBinDetails: true }), 200);
    const mit = { authorizationOptions: { initiator: { merchantInitiatedTransaction: { previousTransactionId: '123456789012345' } } } };
    const patchedIi = ok(await sig.instrumentIdentifiers('patchInstrumentIdentifier', ii.id, { processingInformation: mit }, {}), 200);
    expect(patchedIi).toMatchObject({ id: ii.id, processingInformation: mit, card: { number: masked(pan) } });
    expect(ok(await sig.instrumentIdentifiers('getInstrumentIdentifier', ii.id, {}), 200).processingInformation).toEqual(mit);

    const cust = await newCustomer(sig);
    const customerPi = ok(
      await sig.customerPis(
        'postCustomerPaymentInstrument',
        cust.id,
        { card: { expirationMonth: '12', expirationYear: YEAR, type: '001' }, instrumentIdentifier: { id: ii.id } },
        {},
      ),
      201,
    );
    const standalone = ok(
      await sig.paymentInstruments(
        'postPaymentInstrument',
        { card: { expirationMonth: '12', expirationYear: YEAR, type: '001' }, instrumentIdentifier: { id: ii.id } },
        {},
      ),
      201,
    );
    const list = ok(await sig.instrumentIdentifiers('getInstrumentIdentifierPaymentInstrumentsList', ii.id, { offset: 0, limit: 10 }), 200);
    expect(list).toMatchObject({ offset: 0, limit: 10, count: 2, total: 2 });
    expect(list._embedded.paymentInstruments.map((p: Json) => p.id).sort()).toEqual([customerPi.id, standalone.id].sort());
    for (const p of list._embedded.paymentInstruments) expect(p.instrumentIdentifier.id).toBe(ii.id);

    tmsError(await sig.instrumentIdentifiers('deleteInstrumentIdentifier', ii.id, {}), 409, 'instrumentIdentifierDeletionError');
    ok(await sig.instrumentIdentifiers('getInstrumentIdentifier', ii.id, {}), 200);

    // A never-used identifier: 204, then 410 notAvailable.
    const lone = ok(await sig.instrumentIdentifiers('postInstrumentIdentifier', { card: { number: cardNumber() } }, {}), 201);
    const del = await sig.instrumentIdentifiers('deleteInstrumentIdentifier', lone.id, {});
    expect(del.status, del.text).toBe(204);
    tmsError(await sig.instrumentIdentifiers('getInstrumentIdentifier', lone.id, {}), 410, 'notAvailable');
  });

  it("never hands one merchant another merchant's instrument identifier for the same card", async () => {
    const pan = cardNumber();
    const a = ok(await sig.instrumentIdentifiers('postInstrumentIdentifier', { card: { number: pan } }, {}), 201);
    const b = await sigB.instrumentIdentifiers('postInstrumentIdentifier', { card: { number: pan } }, {});
    expect(b.status, b.text).toBe(201);
    expect(b.body.id).toMatch(II_ID);
    expect(b.body.id).not.toBe(a.id);
    expect(b.body.metadata).toEqual({ creator: B.merchantId });
    // A PI for that card at B uses B's identifier.
    const cust = await newCustomer(sigB);
    expect((await newPi(sigB, cust.id, pan)).instrumentIdentifier.id).toBe(b.body.id);
  });

  it("answers 404 for another merchant's instrument identifier and payment instrument", async () => {
    const theirII = ok(await sigB.instrumentIdentifiers('postInstrumentIdentifier', { card: { number: cardNumber() } }, {}), 201);
    tmsError(await sig.instrumentIdentifiers('getInstrumentIdentifier', theirII.id, {}), 404, 'notFound');
    const theirPi = ok(
      await sigB.paymentInstruments(
        'postPaymentInstrument',
        { card: { expirationMonth: '12', expirationYear: YEAR, type: '001' }, instrumentIdentifier: { id: theirII.id } },
        {},
      ),
      201,
    );
    tmsError(await sig.paymentInstruments('getPaymentInstrument', theirPi.id, {}), 404, 'notFound');
    tmsError(await sig.paymentInstruments('deletePaymentInstrument', theirPi.id, {}), 404, 'notFound');
    ok(await sigB.paymentInstruments('getPaymentInstrument', theirPi.id, {}), 200);
  });
});

// ---------------------------------------------------------------------------------------------------
describe('Cybersource SDK: payments (HTTP Signature)', () => {
  let cust: Json;
  let pi1: Json;
  let pi2: Json;

  beforeAll(async () => {
    cust = await newCustomer(sig);
    pi1 = await newPi(sig, cust.id);
    pi2 = await newPi(sig, cust.id, cardNumber('5454', 16), { card: { expirationMonth: '12', expirationYear: YEAR, type: '002' } });
  });

  function expectAuthorized(p: Json): void {
    expect(p.id).toMatch(PAY_ID);
    expect(p.status).toBe('AUTHORIZED');
    expect(p.submitTimeUtc).toMatch(UTC);
    expect(p.reconciliationId).toEqual(expect.any(String));
    expect(p.orderInformation.amountDetails).toMatchObject({ authorizedAmount: '10.00', currency: 'USD' });
    expect(p.processorInformation).toMatchObject({ approvalCode: expect.any(String), responseCode: '100' });
    expect(p._links.self.href).toMatch(new RegExp(`/pts/v2/payments/${p.id}$`));
  }

  it("authorizes with the customer's default payment instrument", async () => {
    const r = await sig.createPayment({
      clientReferenceInformation: { code: 'order-1' },
      paymentInformation: { customer: { id: cust.id } },
      orderInformation: amount(),
    });
    const p = ok(r, 201);
    expectAuthorized(p);
    expect(p.clientReferenceInformation).toEqual({ code: 'order-1' });
    expect(p.paymentInformation.customer.id).toBe(cust.id);
    expect(r.data).toBeInstanceOf(cybersource.PtsV2PaymentsPost201Response);
    expect(r.data.status).toBe('AUTHORIZED');
  });

  it('authorizes with an explicit payment instrument, and a sale with capture: true', async () => {
    const p = ok(
      await sig.createPayment({
        clientReferenceInformation: { code: 'order-2' },
        paymentInformation: { customer: { id: cust.id }, paymentInstrument: { id: pi2.id } },
        orderInformation: amount(),
      }),
      201,
    );
    expectAuthorized(p);
    expect(p.paymentInformation.paymentInstrument.id).toBe(pi2.id);
    expect(p.paymentAccountInformation.card.type).toBe('002');

    const byPi = ok(
      await sig.createPayment({ paymentInformation: { paymentInstrument: { id: pi1.id } }, orderInformation: amount() }),
      201,
    );
    expectAuthorized(byPi);
    expect(byPi.paymentInformation.paymentInstrument.id).toBe(pi1.id);

    const sale = ok(
      await sig.createPayment({
        clientReferenceInformation: { code: 'order-3' },
        processingInformation: { capture: true },
        paymentInformation: { customer: { id: cust.id } },
        orderInformation: amount(),
      }),
      201,
    );
    expect(sale.id).toMatch(PAY_ID);
    expect(sale.status).toBe('AUTHORIZED');
    // A sale can be refunded straight away.
    const refund = ok(await sig.refundPayment({ orderInformation: amount('4.00') }, sale.id), 201);
    expect(refund.status).toBe('PENDING');
  });

  it('answers DECLINED with INSUFFICIENT_FUND for the decline card', async () => {
    const c = await newCustomer(sig);
    await newPi(sig, c.id, DECLINE_INSUFFICIENT);
    const p = ok(await sig.createPayment({ paymentInformation: { customer: { id: c.id } }, orderInformation: amount() }), 201);
    expect(p.id).toMatch(PAY_ID);
    expect(p.status).toBe('DECLINED');
    expect(p.errorInformation.reason).toBe('INSUFFICIENT_FUND');
    expect(JSON.stringify(p)).not.toContain(DECLINE_INSUFFICIENT);
  });

  it('captures, refunds and reverses through CaptureApi, RefundApi and ReversalApi', async () => {
    const auth = ok(await sig.createPayment({ paymentInformation: { customer: { id: cust.id } }, orderInformation: amount() }), 201);
    const cap = ok(await sig.capturePayment({ clientReferenceInformation: { code: 'cap-1' }, orderInformation: amount() }, auth.id), 201);
    expect(cap.status).toBe('PENDING');
    const refund = ok(await sig.refundPayment({ orderInformation: amount('3.00') }, auth.id), 201);
    expect(refund.status).toBe('PENDING');
    const refund2 = ok(await sig.refundCapture({ orderInformation: amount('2.00') }, cap.id), 201);
    expect(refund2.status).toBe('PENDING');

    const auth2 = ok(await sig.createPayment({ paymentInformation: { customer: { id: cust.id } }, orderInformation: amount() }), 201);
    const rev = ok(
      await sig.authReversal(auth2.id, {
        clientReferenceInformation: { code: 'rev-1' },
        reversalInformation: { amountDetails: { totalAmount: '10.00' }, reason: 'customer cancelled' },
      }),
      201,
    );
    expect(rev.status).toBe('REVERSED');
  });

  it('follow-ons are resources of their own: own ids, voids through VoidApi, partial reversals', async () => {
    const auth = ok(await sig.createPayment({ paymentInformation: { customer: { id: cust.id } }, orderInformation: amount() }), 201);
    const cap = ok(await sig.capturePayment({ orderInformation: amount('6.00') }, auth.id), 201);
    expect(cap.id).toMatch(PAY_ID);
    expect(cap.id).not.toBe(auth.id);
    expect(cap._links).toEqual({
      self: { method: 'GET', href: `/pts/v2/captures/${cap.id}` },
      void: { method: 'POST', href: `/pts/v2/captures/${cap.id}/voids` },
    });
    const r1 = ok(await sig.refundCapture({ orderInformation: amount('2.00') }, cap.id), 201);
    const r2 = ok(await sig.refundPayment({ orderInformation: amount('1.00') }, auth.id), 201);
    expect(new Set([auth.id, cap.id, r1.id, r2.id]).size).toBe(4);
    const v1 = ok(await sig.void('voidRefund', { clientReferenceInformation: { code: 'void-1' } }, r1.id), 201);
    expect(v1).toMatchObject({ status: 'VOIDED', voidAmountDetails: { voidAmount: '2.00', currency: 'USD' } });
    expect(v1._links).toEqual({ self: { method: 'GET', href: `/pts/v2/voids/${v1.id}` } });
    ptsError(await sig.void('voidRefund', {}, r1.id), 'NOT_VOIDABLE');
    ok(await sig.void('voidRefund', {}, r2.id), 201);
    const vc = ok(await sig.void('voidCapture', {}, cap.id), 201);
    expect(vc.voidAmountDetails.voidAmount).toBe('6.00');
    // With its capture voided, the rest of the authorization is released in two partial reversals.
    const rev1 = ok(
      await sig.authReversal(auth.id, { reversalInformation: { amountDetails: { totalAmount: '4.00', currency: 'USD' }, reason: '34' } }),
      201,
    );
    expect(rev1).toMatchObject({ status: 'REVERSED', reversalAmountDetails: { reversedAmount: '4.00', currency: 'USD' } });
    const rev2 = ok(await sig.authReversal(auth.id, { reversalInformation: { amountDetails: { totalAmount: '6.00' } } }), 201);
    expect(rev2.id).not.toBe(rev1.id);
    ptsError(await sig.capturePayment({ orderInformation: amount('0.01') }, auth.id), 'INVALID_DATA');

    const sale = ok(
      await sig.createPayment({
        processingInformation: { capture: true },
        paymentInformation: { customer: { id: cust.id } },
        orderInformation: amount(),
      }),
      201,
    );
    expect(ok(await sig.void('voidPayment', {}, sale.id), 201).status).toBe('VOIDED');
    const credit = ok(await sig.createCredit({ paymentInformation: { customer: { id: cust.id } }, orderInformation: amount('5.00') }), 201);
    expect(ok(await sig.void('voidCredit', {}, credit.id), 201).voidAmountDetails.voidAmount).toBe('5.00');
    ptsError(await sig.void('voidCredit', {}, credit.id), 'NOT_VOIDABLE');
  });

  it('answers INVALID_PAYMENT_ID for an unknown payment id', async () => {
    ptsError(await sig.capturePayment({ orderInformation: amount() }, '9'.repeat(22)), 'INVALID_PAYMENT_ID');
    ptsError(await sig.refundPayment({ orderInformation: amount() }, '9'.repeat(22)), 'INVALID_PAYMENT_ID');
  });

  it('credits a customer through CreditApi: 201 PENDING', async () => {
    const r = await sig.createCredit({
      clientReferenceInformation: { code: 'credit-1' },
      paymentInformation: { customer: { id: cust.id } },
      orderInformation: amount('5.00'),
    });
    const cr = ok(r, 201);
    expect(cr.id).toMatch(PAY_ID);
    expect(cr.status).toBe('PENDING');
    expect(cr.creditAmountDetails).toMatchObject({ creditAmount: '5.00', currency: 'USD' });
    const byPi = ok(
      await sig.createCredit({ paymentInformation: { paymentInstrument: { id: pi2.id } }, orderInformation: amount('1.50', 'EUR') }),
      201,
    );
    expect(byPi.status).toBe('PENDING');
    expect(byPi.creditAmountDetails).toMatchObject({ creditAmount: '1.50', currency: 'EUR' });
  });

  it('creates customer and payment instrument tokens during an authorization (TOKEN_CREATE)', async () => {
    const pan = cardNumber();
    const p = ok(
      await sig.createPayment({
        clientReferenceInformation: { code: 'tc-1' },
        processingInformation: { actionList: ['TOKEN_CREATE'], actionTokenTypes: ['customer', 'paymentInstrument'] },
        paymentInformation: { card: { number: pan, expirationMonth: '12', expirationYear: YEAR, securityCode: '123' } },
        orderInformation: { ...amount(), billTo },
      }),
      201,
    );
    expectAuthorized(p);
    expect(JSON.stringify(p)).not.toContain(pan);
    const customerId = p.tokenInformation?.customer?.id;
    const piId = p.tokenInformation?.paymentInstrument?.id;
    expect(customerId).toMatch(HEX32);
    expect(piId).toMatch(HEX32);

    const c = ok(await sig.customers('getCustomer', customerId, {}), 200);
    expect(c.defaultPaymentInstrument).toEqual({ id: piId });
    const pi = ok(await sig.customerPis('getCustomerPaymentInstrument', customerId, piId, {}), 200);
    expect(pi).toMatchObject({ default: true, card: { expirationMonth: '12', expirationYear: YEAR } });
    expect(pi._embedded.instrumentIdentifier.card.number).toBe(masked(pan));
    // The new tokens pay.
    expectAuthorized(
      ok(await sig.createPayment({ paymentInformation: { customer: { id: customerId } }, orderInformation: amount() }), 201),
    );
  });

  it('keeps no tokens when a TOKEN_CREATE authorization is declined', async () => {
    const p = ok(
      await sig.createPayment({
        processingInformation: { actionList: ['TOKEN_CREATE'], actionTokenTypes: ['customer', 'paymentInstrument'] },
        paymentInformation: { card: { number: DECLINE_INSUFFICIENT, expirationMonth: '12', expirationYear: YEAR, securityCode: '123' } },
        orderInformation: { ...amount(), billTo },
      }),
      201,
    );
    expect(p.status).toBe('DECLINED');
    const customerId = p.tokenInformation?.customer?.id;
    if (customerId) tmsError(await sig.customers('getCustomer', customerId, {}), 404, 'notFound');
  });

  it("refuses another merchant's customer, an unknown customer and a missing amount", async () => {
    const theirs = await newCustomer(sigB);
    await newPi(sigB, theirs.id);
    ptsError(await sig.createPayment({ paymentInformation: { customer: { id: theirs.id } }, orderInformation: amount() }), 'INVALID_DATA');
    ptsError(
      await sig.createPayment({ paymentInformation: { customer: { id: 'A'.repeat(32) } }, orderInformation: amount() }),
      'INVALID_DATA',
    );
    ptsError(await sig.createCredit({ paymentInformation: { customer: { id: theirs.id } }, orderInformation: amount() }), 'INVALID_DATA');
    ptsError(await sig.createPayment({ paymentInformation: { customer: { id: cust.id } }, orderInformation: {} }), 'MISSING_FIELD');
    // B's customer still pays for B.
    expect(
      ok(await sigB.createPayment({ paymentInformation: { customer: { id: theirs.id } }, orderInformation: amount() }), 201).status,
    ).toBe('AUTHORIZED');
  });

  it("refuses another merchant's payment instrument or shipping address, a deleted customer, and a bad amount", async () => {
    const theirs = await newCustomer(sigB);
    const theirPi = await newPi(sigB, theirs.id);
    const theirSa = await newAddress(sigB, theirs.id);
    ptsError(
      await sig.createPayment({ paymentInformation: { paymentInstrument: { id: theirPi.id } }, orderInformation: amount() }),
      'INVALID_DATA',
    );
    ptsError(
      await sig.createPayment({
        paymentInformation: { customer: { id: cust.id }, shippingAddress: { id: theirSa.id } },
        orderInformation: amount(),
      }),
      'INVALID_DATA',
    );
    const gone = await newCustomer(sig);
    await newPi(sig, gone.id);
    expect((await sig.customers('deleteCustomer', gone.id, {})).status).toBe(204);
    ptsError(await sig.createPayment({ paymentInformation: { customer: { id: gone.id } }, orderInformation: amount() }), 'INVALID_DATA');
    ptsError(
      await sig.createPayment({ paymentInformation: { customer: { id: cust.id } }, orderInformation: amount('-5.00') }),
      'INVALID_AMOUNT',
    );
    ptsError(
      await sig.createPayment({ paymentInformation: { customer: { id: cust.id } }, orderInformation: amount('0.00') }),
      'INVALID_AMOUNT',
    );
  });

  it('pays with a shipping address token', async () => {
    const sa = await newAddress(sig, cust.id);
    const p = ok(
      await sig.createPayment({
        paymentInformation: { customer: { id: cust.id }, shippingAddress: { id: sa.id } },
        orderInformation: amount(),
      }),
      201,
    );
    expectAuthorized(p);
    expect(p.paymentInformation.shippingAddress.id).toBe(sa.id);
  });

  it.each([
    ['4000000000000069', '10.00', 'EXPIRED_CARD'],
    ['4000000000000002', '10.00', 'PROCESSOR_DECLINED'],
    ['4000000000009987', '10.00', 'STOLEN_LOST_CARD'],
    ['4000000000009979', '10.00', 'STOLEN_LOST_CARD'],
    [null, '10.51', 'INSUFFICIENT_FUND'],
    [null, '10.52', 'PROCESSOR_DECLINED'],
  ])('declines card %s for %s with %s', async (pan, total, reason) => {
    const c = await newCustomer(sig);
    const pi = await newPi(sig, c.id, pan ?? cardNumber());
    const p = ok(
      await sig.createPayment({ paymentInformation: { paymentInstrument: { id: pi.id } }, orderInformation: amount(total) }),
      201,
    );
    expect(p.status).toBe('DECLINED');
    expect(p.errorInformation.reason).toBe(reason);
    expect(p.id).toMatch(PAY_ID);
  });

  it('answers CVN_NOT_MATCH for a zero security code and PENDING_AUTHENTICATION for the 3-D Secure card', async () => {
    const cvn = ok(
      await sig.createPayment({
        paymentInformation: { card: { number: cardNumber(), expirationMonth: '12', expirationYear: YEAR, securityCode: '000' } },
        processingInformation: { actionList: ['TOKEN_CREATE'], actionTokenTypes: ['customer', 'paymentInstrument'] },
        orderInformation: { ...amount(), billTo },
      }),
      201,
    );
    expect(cvn.status).toBe('DECLINED');
    expect(cvn.errorInformation.reason).toBe('CVN_NOT_MATCH');
    const c = await newCustomer(sig);
    await newPi(sig, c.id, '4000000000003220');
    const p = ok(await sig.createPayment({ paymentInformation: { customer: { id: c.id } }, orderInformation: amount() }), 201);
    expect(p.status).toBe('PENDING_AUTHENTICATION');
  });

  it('TOKEN_CREATE makes shipping-address and instrument-identifier tokens too', async () => {
    const pan = cardNumber();
    const p = ok(
      await sig.createPayment({
        processingInformation: {
          actionList: ['TOKEN_CREATE'],
          actionTokenTypes: ['customer', 'paymentInstrument', 'shippingAddress', 'instrumentIdentifier'],
        },
        paymentInformation: { card: { number: pan, expirationMonth: '11', expirationYear: YEAR, securityCode: '321' } },
        orderInformation: { ...amount(), billTo, shipTo },
      }),
      201,
    );
    expectAuthorized(p);
    const ti = p.tokenInformation;
    expect(ti.customer.id).toMatch(HEX32);
    expect(ti.paymentInstrument.id).toMatch(HEX32);
    expect(ti.shippingAddress.id).toMatch(HEX32);
    expect(ti.instrumentIdentifier.id).toMatch(II_ID);
    const sa = ok(await sig.shipping('getCustomerShippingAddress', ti.customer.id, ti.shippingAddress.id, {}), 200);
    expect(sa.shipTo).toMatchObject({ address1: shipTo.address1, postalCode: shipTo.postalCode });
    const pi = ok(await sig.customerPis('getCustomerPaymentInstrument', ti.customer.id, ti.paymentInstrument.id, {}), 200);
    expect(pi.instrumentIdentifier.id).toBe(ti.instrumentIdentifier.id);
    const ii = ok(await sig.instrumentIdentifiers('getInstrumentIdentifier', ti.instrumentIdentifier.id, {}), 200);
    expect(ii.card.number).toBe(masked(pan));
  });
});

// ---------------------------------------------------------------------------------------------------
describe('Cybersource SDK: tokens made through the native API', () => {
  it('reaches a native customer and card by their own ids, and pays with them', async () => {
    const native = client(t, mA.apiKey);
    const cus = await createCustomer(native, { customerId: uniq('native') });
    const card = await tokenize(native, { customer: cus.id });
    const c = ok(await sig.customers('getCustomer', cus.id, {}), 200);
    expect(c.id).toBe(cus.id);
    expect(c.metadata).toEqual({ creator: A.merchantId });
    expect(c.defaultPaymentInstrument).toEqual({ id: card.token });
    const pi = ok(await sig.customerPis('getCustomerPaymentInstrument', cus.id, card.token, {}), 200);
    expect(pi).toMatchObject({ id: card.token, default: true, object: 'paymentInstrument' });
    expect(pi._embedded.instrumentIdentifier.card.number).toBe('411111XXXXXX1111');
    const list = ok(await sig.customerPis('getCustomerPaymentInstrumentsList', cus.id, {}), 200);
    expect(list._embedded.paymentInstruments.map((p: Json) => p.id)).toEqual([card.token]);
    const p = ok(await sig.createPayment({ paymentInformation: { customer: { id: cus.id } }, orderInformation: amount() }), 201);
    expect(p.status).toBe('AUTHORIZED');
    // Not reachable by the other merchant.
    tmsError(await sigB.customers('getCustomer', cus.id, {}), 404, 'notFound');
  });
});

// ---------------------------------------------------------------------------------------------------
describe('Cybersource SDK: electronic checks (bank accounts)', () => {
  it('tokenizes a bank account, makes its payment instrument and debits it, with the SDK’s own models', async () => {
    // Sample shapes: create-instrument-identifier-bank-account.js, create-payment-instrument-bank-account.js,
    // electronic-check-debits.js (CyberSource/cybersource-rest-samples-node).
    const number = `3${String(Date.now()).slice(-9)}`;
    rememberSecret(number);
    const ii = ok(
      await sig.instrumentIdentifiers('postInstrumentIdentifier', { bankAccount: { number, routingNumber: '071923284' } }, {}),
      201,
    );
    expect(ii.id).toMatch(HEX32);
    expect(ii.bankAccount).toEqual({ number: `XXXXXX${number.slice(-4)}`, routingNumber: '071923284' });
    const pi = ok(
      await sig.paymentInstruments(
        'postPaymentInstrument',
        { bankAccount: { type: 'savings' }, billTo, instrumentIdentifier: { id: ii.id } },
        {},
      ),
      201,
    );
    expect(pi.bankAccount).toEqual({ type: 'savings' });
    expect(pi.card).toBeUndefined();
    const debit = ok(
      await sig.createPayment({
        clientReferenceInformation: { code: 'TC50171_3' },
        paymentInformation: { paymentType: { name: 'CHECK' }, paymentInstrument: { id: pi.id } },
        orderInformation: { billTo, amountDetails: { totalAmount: '100', currency: 'USD' } },
      }),
      201,
    );
    expect(debit.status).toBe('PENDING');
    expect(debit.orderInformation.amountDetails).toEqual({ totalAmount: '100.00', currency: 'USD' });
    const direct = ok(
      await sig.createPayment({
        paymentInformation: { bank: { account: { type: 'C', number }, routingNumber: '071923284' }, paymentType: { name: 'CHECK' } },
        orderInformation: { billTo, amountDetails: { totalAmount: '5', currency: 'USD' } },
      }),
      201,
    );
    expect(direct.status).toBe('PENDING');
    expect(direct.paymentInformation.instrumentIdentifier.id).toBe(ii.id);
  });
});

// ---------------------------------------------------------------------------------------------------
// The same lifecycle through each of the SDK's three authentication modes.
describe.each(['http_signature', 'jwt-hs256', 'jwt-rs256'] as const)('Cybersource SDK lifecycle over %s', (mode) => {
  let c: Sdk;
  let p12: P12Material | undefined;

  beforeAll(async () => {
    if (mode === 'jwt-rs256') {
      p12 = makeP12(A.merchantId);
      tempDirs.push(p12.dir);
      const res = await putCybersourceKeys(t, mA, { certificatePem: p12.certificatePem });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toMatchObject({ merchantId: A.merchantId, keyId: A.keyId });
      expect(res.body.certificates).toEqual(expect.arrayContaining([{ kid: p12.kid, sha256: expect.any(String) }]));
    }
    c = sdk(setupFor(mode, A, p12));
  });

  it('customer: create, get, patch, list PIs with a query string, delete', async () => {
    const cust = await newCustomer(c);
    expect(cust.id).toMatch(HEX32);
    expect(cust.metadata).toEqual({ creator: A.merchantId });
    expect(ok(await c.customers('getCustomer', cust.id, {}), 200).id).toBe(cust.id);
    const mdi = [{ name: 'data2', value: `Ünïcødé ✓ ${mode}` }];
    const patch = {
      buyerInformation: { merchantCustomerID: cust.buyerInformation.merchantCustomerID, email: `${mode}@example.com` },
      merchantDefinedInformation: mdi,
    };
    const patched = ok(await c.customers('patchCustomer', cust.id, patch, {}), 200);
    expect(patched.buyerInformation.email).toBe(`${mode}@example.com`);
    expect(patched.merchantDefinedInformation).toEqual(mdi);
    const etag = (await c.customers('getCustomer', cust.id, {})).headers.etag;
    ok(
      await c.customers(
        'patchCustomer',
        cust.id,
        { buyerInformation: { ...patch.buyerInformation, email: `if-match-${mode}@example.com` } },
        { ifMatch: etag },
      ),
      200,
    );
    tmsError(await c.customers('patchCustomer', cust.id, { buyerInformation: patch.buyerInformation }, { ifMatch: etag }), 412, 'conflict');

    const pan = cardNumber();
    const pi = await newPi(c, cust.id, pan);
    await newPi(c, cust.id);
    await newPi(c, cust.id);
    expect(pi._embedded.instrumentIdentifier.card.number).toBe(masked(pan));
    const page = ok(await c.customerPis('getCustomerPaymentInstrumentsList', cust.id, { offset: 1, limit: 1 }), 200);
    expect(page).toMatchObject({ offset: 1, limit: 1, count: 1, total: 3 });
    ok(
      await c.customerPis('patchCustomersPaymentInstrument', cust.id, pi.id, { card: { expirationMonth: '02', expirationYear: YEAR } }, {}),
      200,
    );

    const sa = await newAddress(c, cust.id);
    expect(ok(await c.shipping('getCustomerShippingAddress', cust.id, sa.id, {}), 200).shipTo).toMatchObject(shipTo);

    const ii = ok(await c.instrumentIdentifiers('getInstrumentIdentifier', pi.instrumentIdentifier.id, {}), 200);
    expect(ii.card.number).toBe(masked(pan));

    expect((await c.customers('deleteCustomer', cust.id, {})).status).toBe(204);
    tmsError(await c.customers('getCustomer', cust.id, {}), 404, 'notFound');
  });

  it('parallel calls from one SDK client all succeed (fresh digest, date and jti per call)', async () => {
    const created = await Promise.all(Array.from({ length: 8 }, () => c.customers('postCustomer', customerBody(), {})));
    for (const r of created) ok(r, 201);
    const ids = created.map((r) => r.body.id);
    expect(new Set(ids).size).toBe(8);
    const got = await Promise.all(ids.map((id) => c.customers('getCustomer', id, {})));
    for (const [i, r] of got.entries()) expect(ok(r, 200).id).toBe(ids[i]);
  });

  it('payments: authorize, capture, refund, credit', async () => {
    const cust = await newCustomer(c);
    await newPi(c, cust.id);
    const p = ok(await c.createPayment({ paymentInformation: { customer: { id: cust.id } }, orderInformation: amount() }), 201);
    expect(p).toMatchObject({ status: 'AUTHORIZED', paymentInformation: { customer: { id: cust.id } } });
    expect(p.id).toMatch(PAY_ID);
    expect(ok(await c.capturePayment({ orderInformation: amount() }, p.id), 201).status).toBe('PENDING');
    expect(ok(await c.refundPayment({ orderInformation: amount('1.00') }, p.id), 201).status).toBe('PENDING');
    expect(
      ok(await c.createCredit({ paymentInformation: { customer: { id: cust.id } }, orderInformation: amount('2.00') }), 201).status,
    ).toBe('PENDING');
  });
});

// ---------------------------------------------------------------------------------------------------
describe('Cybersource SDK: response MLE (the SDK decrypts)', () => {
  let plain: Sdk;
  let mle: Sdk;

  beforeAll(() => {
    plain = sdk(setupFor('jwt-hs256', A));
    mle = sdk({ ...setupFor('jwt-hs256', A), mle: { kid: A.mleKeyId, privateKeyPem: A.mlePrivateKeyPem } });
  });

  it('returns the full card number on GET customer PI, customer, standalone PI and instrument identifier; masked without MLE', async () => {
    const pan = cardNumber();
    // Created through the MLE client: every answer is encrypted and the SDK opens it; a create still masks.
    const cust = await newCustomer(mle);
    expect(cust.id).toMatch(HEX32);
    const pi = await newPi(mle, cust.id, pan);
    expect(pi.id).toMatch(HEX32);

    const full = ok(await mle.customerPis('getCustomerPaymentInstrument', cust.id, pi.id, {}), 200);
    expect(full._embedded.instrumentIdentifier.card.number).toBe(pan);
    expect(full.id).toBe(pi.id);

    const c = ok(await mle.customers('getCustomer', cust.id, {}), 200);
    expect(c.defaultPaymentInstrument).toEqual({ id: pi.id });
    expect(c._embedded.defaultPaymentInstrument._embedded.instrumentIdentifier.card.number).toBe(pan);

    const ii = ok(await mle.instrumentIdentifiers('getInstrumentIdentifier', pi.instrumentIdentifier.id, {}), 200);
    expect(ii.card.number).toBe(pan);

    const standalone = ok(
      await mle.paymentInstruments(
        'postPaymentInstrument',
        { card: { expirationMonth: '12', expirationYear: YEAR, type: '001' }, instrumentIdentifier: { id: pi.instrumentIdentifier.id } },
        {},
      ),
      201,
    );
    const spi = ok(await mle.paymentInstruments('getPaymentInstrument', standalone.id, {}), 200);
    expect(spi._embedded.instrumentIdentifier.card.number).toBe(pan);

    // The same GETs without response MLE stay masked.
    const m1 = ok(await plain.customerPis('getCustomerPaymentInstrument', cust.id, pi.id, {}), 200);
    expect(m1._embedded.instrumentIdentifier.card.number).toBe(masked(pan));
    const m2 = ok(await plain.customers('getCustomer', cust.id, {}), 200);
    expect(m2._embedded.defaultPaymentInstrument._embedded.instrumentIdentifier.card.number).toBe(masked(pan));
    expect(JSON.stringify(m2)).not.toContain(pan);
    expect(ok(await plain.instrumentIdentifiers('getInstrumentIdentifier', pi.instrumentIdentifier.id, {}), 200).card.number).toBe(
      masked(pan),
    );

    // Lists and payments go through the MLE path too.
    const list = ok(await mle.customerPis('getCustomerPaymentInstrumentsList', cust.id, { offset: 0, limit: 5 }), 200);
    expect(list).toMatchObject({ count: 1, total: 1 });
    expect(ok(await mle.createPayment({ paymentInformation: { customer: { id: cust.id } }, orderInformation: amount() }), 201).status).toBe(
      'AUTHORIZED',
    );
  });

  it('error answers go through the MLE path too', async () => {
    tmsError(await mle.customers('getCustomer', 'F'.repeat(32), {}), 404, 'notFound');
    ptsError(
      await mle.createPayment({ paymentInformation: { customer: { id: 'F'.repeat(32) } }, orderInformation: amount() }),
      'INVALID_DATA',
    );
  });

  it('really encrypts: an SDK holding the wrong MLE private key cannot read the answer', async () => {
    const cust = await newCustomer(plain);
    const wrongKey = sdk({ ...setupFor('jwt-hs256', A), mle: { kid: A.mleKeyId, privateKeyPem: strayPrivateKeyPem() } });
    const r = await wrongKey.customers('getCustomer', cust.id, {});
    expect(r.status).toBe(0);
    expect(r.text).toMatch(/decrypt/i);
  });

  it('response MLE over RS256 (P12) works too', async () => {
    const p12 = makeP12(A.merchantId);
    tempDirs.push(p12.dir);
    expect((await putCybersourceKeys(t, mA, { certificatePem: p12.certificatePem })).status).toBe(200);
    const rs = sdk({ ...setupFor('jwt-rs256', A, p12), mle: { kid: A.mleKeyId, privateKeyPem: A.mlePrivateKeyPem } });
    const pan = cardNumber();
    const cust = await newCustomer(rs);
    const pi = await newPi(rs, cust.id, pan);
    expect(
      ok(await rs.customerPis('getCustomerPaymentInstrument', cust.id, pi.id, {}), 200)._embedded.instrumentIdentifier.card.number,
    ).toBe(pan);
  });

  it('answers 400 invalidHeaders for a response-MLE kid that is not the merchant’s', async () => {
    const cust = await newCustomer(plain);
    const badKid = sdk({ ...setupFor('jwt-hs256', A), mle: { kid: `${A.mleKeyId}-not`, privateKeyPem: A.mlePrivateKeyPem } });
    tmsError(await badKid.customers('getCustomer', cust.id, {}), 400, 'invalidHeaders');
  });

  it('answers 403 forbidden when the merchant has no MLE key registered', async () => {
    const mC = await createMerchant(t, 'Cybersource SDK merchant without MLE');
    const C = cybsCreds(mC);
    const plainC = sdk(setupFor('jwt-hs256', C));
    const cust = await newCustomer(plainC);
    await newPi(plainC, cust.id);
    const removed = await putCybersourceKeys(t, mC, { removeMleKey: true });
    expect(removed.status, JSON.stringify(removed.body)).toBe(200);
    expect(removed.body.mleKeyId ?? null).toBeNull();
    const mleC = sdk({ ...setupFor('jwt-hs256', C), mle: { kid: C.mleKeyId, privateKeyPem: C.mlePrivateKeyPem } });
    tmsError(await mleC.customers('getCustomer', cust.id, {}), 403, 'forbidden');
    // Without MLE the merchant still works, masked.
    ok(await plainC.customers('getCustomer', cust.id, {}), 200);
  });
});

// ---------------------------------------------------------------------------------------------------
describe('Cybersource SDK: authentication refusals', () => {
  it('HTTP Signature with a wrong shared secret: 401, nothing created', async () => {
    const bad = sdk(setupFor('http_signature', A, undefined, wrongSecret()));
    const body = customerBody();
    authFailed(await bad.customers('postCustomer', body, {}));
    // Nothing was stored: the same merchantCustomerID is still free.
    ok(await sig.customers('postCustomer', body, {}), 201);

    const cust = await newCustomer(sig);
    authFailed(await bad.customerPis('postCustomerPaymentInstrument', cust.id, piBody(cardNumber()), {}));
    authFailed(await bad.customers('patchCustomer', cust.id, { buyerInformation: { email: 'evil@example.com' } }, {}));
    authFailed(await bad.customers('deleteCustomer', cust.id, {}));
    authFailed(await bad.customers('getCustomer', cust.id, {}));
    authFailed(await bad.createPayment({ paymentInformation: { customer: { id: cust.id } }, orderInformation: amount() }));
    const still = ok(await sig.customers('getCustomer', cust.id, {}), 200);
    expect(still.buyerInformation.email).toBe('ada@example.com');
    expect(ok(await sig.customerPis('getCustomerPaymentInstrumentsList', cust.id, {}), 200).total).toBe(0);
  });

  it('JWT HS256 with a wrong shared secret: 401, nothing created', async () => {
    const bad = sdk(setupFor('jwt-hs256', A, undefined, wrongSecret()));
    const cust = await newCustomer(sig);
    authFailed(await bad.customerPis('postCustomerPaymentInstrument', cust.id, piBody(cardNumber()), {}));
    authFailed(await bad.shipping('postCustomerShippingAddress', cust.id, { shipTo }, {}));
    const body = customerBody();
    authFailed(await bad.customers('postCustomer', body, {}));
    authFailed(await bad.createCredit({ paymentInformation: { customer: { id: cust.id } }, orderInformation: amount() }));
    expect(ok(await sig.customerPis('getCustomerPaymentInstrumentsList', cust.id, {}), 200).total).toBe(0);
    expect(ok(await sig.shipping('getCustomerShippingAddressesList', cust.id, {}), 200).total).toBe(0);
    ok(await sig.customers('postCustomer', body, {}), 201);
  });

  it("another merchant's key: 401 over HTTP Signature and HS256", async () => {
    const cust = await newCustomer(sig);
    // A's merchant id signed with B's key id and secret.
    for (const mode of ['http_signature', 'jwt-hs256'] as const) {
      const borrowed = sdk({ mode, port, merchantID: A.merchantId, keyId: B.keyId, secret: B.sharedSecret });
      authFailed(await borrowed.customers('getCustomer', cust.id, {}));
      authFailed(await borrowed.customerPis('postCustomerPaymentInstrument', cust.id, piBody(cardNumber()), {}));
      // B's merchant id with A's key.
      const reversed = sdk({ mode, port, merchantID: B.merchantId, keyId: A.keyId, secret: A.sharedSecret });
      authFailed(await reversed.customers('postCustomer', customerBody(), {}));
    }
    expect(ok(await sig.customerPis('getCustomerPaymentInstrumentsList', cust.id, {}), 200).total).toBe(0);
  });

  it('RS256 with an unregistered certificate, or one registered to another merchant: 401', async () => {
    const cust = await newCustomer(sig);
    const unregistered = makeP12(A.merchantId);
    tempDirs.push(unregistered.dir);
    authFailed(await sdk(setupFor('jwt-rs256', A, unregistered)).customers('getCustomer', cust.id, {}));

    // A P12 naming A, but whose certificate only B registered.
    const elsewhere = makeP12(A.merchantId);
    tempDirs.push(elsewhere.dir);
    expect((await putCybersourceKeys(t, mB, { certificatePem: elsewhere.certificatePem })).status).toBe(200);
    const asA = sdk(setupFor('jwt-rs256', A, elsewhere));
    authFailed(await asA.customers('getCustomer', cust.id, {}));
    authFailed(await asA.customerPis('postCustomerPaymentInstrument', cust.id, piBody(cardNumber()), {}));
    expect(ok(await sig.customerPis('getCustomerPaymentInstrumentsList', cust.id, {}), 200).total).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------------
// A second app whose clock the test moves: the SDK signs with the real time.
describe('Cybersource SDK: clock skew (server clock moved)', () => {
  let t2: TestApp;
  let offsetMs = 0;
  let C: CybsCreds;
  let clients: Record<'http_signature' | 'jwt-hs256', Sdk>;

  beforeAll(async () => {
    t2 = await makeTestApp({ now: () => new Date(Date.now() + offsetMs) });
    const port2 = await listen(t2);
    C = cybsCreds(await createMerchant(t2, 'Cybersource SDK clock merchant'));
    const base = { port: port2, merchantID: C.merchantId, keyId: C.keyId, secret: C.sharedSecret };
    clients = { http_signature: sdk({ ...base, mode: 'http_signature' }), 'jwt-hs256': sdk({ ...base, mode: 'jwt-hs256' }) };
  });
  afterAll(async () => {
    await t2?.close();
  });

  const attempt = (mode: 'http_signature' | 'jwt-hs256') => clients[mode].customers('postCustomer', customerBody(), {});

  it('accepts both modes within the window', async () => {
    offsetMs = 60_000;
    ok(await attempt('http_signature'), 201);
    ok(await attempt('jwt-hs256'), 201);
    offsetMs = -60_000;
    ok(await attempt('http_signature'), 201);
    ok(await attempt('jwt-hs256'), 201);
  });

  it('refuses a date 10 minutes old or ahead (HTTP Signature) and an expired or future JWT', async () => {
    for (const off of [600_000, -600_000]) {
      offsetMs = off;
      authFailed(await attempt('http_signature'));
      authFailed(await attempt('jwt-hs256'));
    }
  });

  it('refuses a JWT past its exp (iat + 120 s) even while an HTTP signature of the same age still passes', async () => {
    offsetMs = 200_000;
    ok(await attempt('http_signature'), 201);
    authFailed(await attempt('jwt-hs256'));
    offsetMs = 0;
  });
});
