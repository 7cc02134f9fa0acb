/**
 * Cybersource errors over raw HTTP (HTTP Signature): TMS answers `{errors:[{type, message, details?}]}`
 * with the contract's status and type, PTS answers `{submitTimeUtc, status: INVALID_REQUEST, reason,
 * message, details?}`; never a 5xx, and a refused request writes nothing (no customer PI, no instrument
 * identifier, no payment).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMerchant, MASTERCARD, makeTestApp, type TestApp, type TestMerchant, VISA } from '../../helpers/harness.ts';
import {
  type CybsClient,
  type CybsResponse,
  customerBody,
  customerWithCard,
  cybs,
  EXP_YEAR,
  expectPtsError,
  expectTmsError,
  II_ID,
  PAYMENT_ID,
  piBody,
  rowCounts,
  unknownHex32,
  unknownIiId,
  unknownPaymentId,
} from './helpers.ts';

let t: TestApp;
let m: TestMerchant;
let c: CybsClient;
/** A customer with one PI (VISA), the target of most refused writes. */
let base: { customerId: string; piId: string; iiId: string };

const DISCOVER = '6011111111111117';
const LUHN_BAD = '4111111111111112';
const shipTo = (over: Record<string, unknown> = {}) => ({
  shipTo: {
    firstName: 'Ada',
    lastName: 'Lovelace',
    address1: '1 Main St',
    locality: 'London',
    postalCode: 'N1 1AA',
    country: 'GB',
    ...over,
  },
});
const amount = (totalAmount: string, currency = 'USD') => ({ orderInformation: { amountDetails: { totalAmount, currency } } });

/** The customer's PIs as listed, and whether the card has an instrument identifier yet. */
async function piTotal(customerId: string): Promise<number> {
  const r = await c.get(`/tms/v2/customers/${customerId}/payment-instruments`);
  expect(r.status, r.body).toBe(200);
  return r.json.total;
}

/** Sends, checks the refusal with `check`, and proves nothing was written. */
async function refused(send: () => Promise<CybsResponse>, check: (r: CybsResponse) => void): Promise<CybsResponse> {
  const rows = await rowCounts(t, m.id);
  const pis = await piTotal(base.customerId);
  const res = await send();
  check(res);
  expect(res.status).toBeLessThan(500);
  expect(await rowCounts(t, m.id)).toEqual(rows);
  expect(await piTotal(base.customerId)).toBe(pis);
  return res;
}

const tms = (status: number, type?: string | string[]) => (r: CybsResponse) => expectTmsError(r, status, type);
const pts = (reason: string | string[]) => (r: CybsResponse) => expectPtsError(r, reason);

beforeAll(async () => {
  t = await makeTestApp();
  m = await createMerchant(t, 'Cybersource errors');
  c = cybs(t, m);
  base = await customerWithCard(c, VISA);
});
afterAll(() => t?.close());

describe('TMS: malformed bodies → 400', () => {
  it('invalid JSON', async () => {
    await refused(() => c.post('/tms/v2/customers', '{"buyerInformation":'), tms(400));
    await refused(() => c.post(`/tms/v2/customers/${base.customerId}/payment-instruments`, '{card:'), tms(400));
    await refused(() => c.patch(`/tms/v2/customers/${base.customerId}`, '{"buyerInformation":{"email":"a@b.c"}'), tms(400));
  });

  it('a body that is not an object', async () => {
    for (const body of ['[]', '"text"', '42', 'null', 'true']) {
      await refused(() => c.post('/tms/v2/customers', body), tms(400));
      await refused(() => c.post(`/tms/v2/customers/${base.customerId}/payment-instruments`, body), tms(400));
      await refused(() => c.post('/tms/v1/instrumentidentifiers', body), tms(400));
    }
  });

  const wrongTypes: { name: string; url: () => string; body: () => unknown }[] = [
    { name: 'customer buyerInformation: "ada"', url: () => '/tms/v2/customers', body: () => ({ buyerInformation: 'ada' }) },
    { name: 'customer defaultPaymentInstrument: "x"', url: () => '/tms/v2/customers', body: () => ({ defaultPaymentInstrument: 'x' }) },
    { name: 'customer clientReferenceInformation: "x"', url: () => '/tms/v2/customers', body: () => ({ clientReferenceInformation: 'x' }) },
    { name: 'customer buyerInformation.email: 5', url: () => '/tms/v2/customers', body: () => ({ buyerInformation: { email: 5 } }) },
    {
      name: 'customer buyerInformation.merchantCustomerID: ["x"]',
      url: () => '/tms/v2/customers',
      body: () => ({ buyerInformation: { merchantCustomerID: ['x'] } }),
    },
    {
      name: 'customer PI default: "yes"',
      url: () => `/tms/v2/customers/${base.customerId}/payment-instruments`,
      body: () => piBody(MASTERCARD, { default: 'yes' }),
    },
    {
      name: 'customer PI card: "visa"',
      url: () => `/tms/v2/customers/${base.customerId}/payment-instruments`,
      body: () => piBody(MASTERCARD, { card: 'visa' }),
    },
    {
      name: 'instrument identifier card.number as a JSON number',
      url: () => '/tms/v1/instrumentidentifiers',
      body: () => ({ card: { number: 4111111111111111 } }),
    },
  ];
  it.each(wrongTypes)('a field of the wrong type: $name', async ({ url, body }) => {
    // A wrong type is an invalid field (a card that is not an object may also be reported as its fields missing).
    await refused(() => c.post(url(), body()), tms(400, ['invalidFields', 'missingFields']));
  });

  const wrongPatchTypes: { name: string; body: unknown }[] = [
    { name: 'defaultPaymentInstrument: "x"', body: { defaultPaymentInstrument: 'x' } },
    { name: 'defaultShippingAddress: 5', body: { defaultShippingAddress: 5 } },
    { name: 'buyerInformation: "x"', body: { buyerInformation: 'x' } },
    { name: 'clientReferenceInformation: "x"', body: { clientReferenceInformation: 'x' } },
  ];
  it.each(wrongPatchTypes)('a field of the wrong type in a customer PATCH: $name', async ({ body }) => {
    const before = (await c.get(`/tms/v2/customers/${base.customerId}`)).json;
    await refused(() => c.patch(`/tms/v2/customers/${base.customerId}`, body), tms(400, 'invalidFields'));
    expect((await c.get(`/tms/v2/customers/${base.customerId}`)).json).toEqual(before);
  });

  it('a missing card number', async () => {
    const r = await refused(() => c.post('/tms/v1/instrumentidentifiers', { card: {} }), tms(400, 'missingFields'));
    expect(JSON.stringify(r.json.errors[0].details ?? [])).toMatch(/number/);
    await refused(() => c.post('/tms/v1/instrumentidentifiers', {}), tms(400, 'missingFields'));
    await refused(
      () => c.post(`/tms/v2/customers/${base.customerId}/payment-instruments`, piBody(MASTERCARD, { instrumentIdentifier: {} })),
      tms(400, 'missingFields'),
    );
    await refused(
      () =>
        c.post(`/tms/v2/customers/${base.customerId}/payment-instruments`, {
          card: { expirationMonth: '12', expirationYear: EXP_YEAR, type: '001' },
        }),
      tms(400, 'missingFields'),
    );
    await refused(
      () => c.post('/tms/v1/paymentinstruments', { card: { expirationMonth: '12', expirationYear: EXP_YEAR } }),
      tms(400, 'missingFields'),
    );
  });

  it('a card number that fails the Luhn check', async () => {
    await refused(() => c.post('/tms/v1/instrumentidentifiers', { card: { number: LUHN_BAD } }), tms(400, 'invalidFields'));
    await refused(() => c.post(`/tms/v2/customers/${base.customerId}/payment-instruments`, piBody(LUHN_BAD)), tms(400, 'invalidFields'));
    await refused(() => c.post('/tms/v1/paymentinstruments', piBody(LUHN_BAD)), tms(400, 'invalidFields'));
    await refused(() => c.post('/tms/v1/instrumentidentifiers', { card: { number: '4111' } }), tms(400, 'invalidFields'));
    await refused(() => c.post('/tms/v1/instrumentidentifiers', { card: { number: '4111-1111-1111-1111x' } }), tms(400, 'invalidFields'));
  });

  it('expirationMonth "13", "00" or an unparseable year', async () => {
    const url = `/tms/v2/customers/${base.customerId}/payment-instruments`;
    for (const card of [
      { expirationMonth: '13', expirationYear: EXP_YEAR, type: '002' },
      { expirationMonth: '00', expirationYear: EXP_YEAR, type: '002' },
      { expirationMonth: '12', expirationYear: 'soon', type: '002' },
    ]) {
      await refused(() => c.post(url, piBody(MASTERCARD, { card })), tms(400, 'invalidFields'));
    }
  });

  it('an expired card', async () => {
    await refused(
      () =>
        c.post(
          `/tms/v2/customers/${base.customerId}/payment-instruments`,
          piBody(MASTERCARD, { card: { expirationMonth: '01', expirationYear: '2020', type: '002' } }),
        ),
      tms(400, 'invalidFields'),
    );
  });

  it('a card type that contradicts the number', async () => {
    await refused(
      () =>
        c.post(
          `/tms/v2/customers/${base.customerId}/payment-instruments`,
          piBody(MASTERCARD, { card: { expirationMonth: '12', expirationYear: EXP_YEAR, type: '001' } }),
        ),
      tms(400),
    );
  });
});

describe('TMS: unknown ids → 404 notFound', () => {
  it('customer, customer PI, shipping address, standalone PI, instrument identifier (GET, PATCH, DELETE)', async () => {
    const cid = base.customerId;
    const gets = [
      `/tms/v2/customers/${unknownHex32()}`,
      `/tms/v2/customers/${unknownHex32()}/payment-instruments`,
      `/tms/v2/customers/${unknownHex32()}/shipping-addresses`,
      `/tms/v2/customers/${cid}/payment-instruments/${unknownHex32()}`,
      `/tms/v2/customers/${cid}/shipping-addresses/${unknownHex32()}`,
      `/tms/v1/paymentinstruments/${unknownHex32()}`,
      `/tms/v1/instrumentidentifiers/${unknownIiId()}`,
      `/tms/v1/instrumentidentifiers/${unknownIiId()}/paymentinstruments`,
      // Another customer's PI under this customer's path.
      `/tms/v2/customers/${unknownHex32()}/payment-instruments/${base.piId}`,
    ];
    for (const url of gets) await refused(() => c.get(url), tms(404, 'notFound'));
    const patches: [string, unknown][] = [
      [`/tms/v2/customers/${unknownHex32()}`, { buyerInformation: { email: 'x@example.com' } }],
      [`/tms/v2/customers/${cid}/payment-instruments/${unknownHex32()}`, { card: { expirationMonth: '11' } }],
      [`/tms/v2/customers/${cid}/shipping-addresses/${unknownHex32()}`, shipTo()],
      [`/tms/v1/paymentinstruments/${unknownHex32()}`, { card: { expirationMonth: '11' } }],
      [`/tms/v1/instrumentidentifiers/${unknownIiId()}`, { processingInformation: {} }],
    ];
    for (const [url, body] of patches) await refused(() => c.patch(url, body), tms(404, 'notFound'));
    const deletes = [
      `/tms/v2/customers/${unknownHex32()}`,
      `/tms/v2/customers/${cid}/payment-instruments/${unknownHex32()}`,
      `/tms/v2/customers/${cid}/shipping-addresses/${unknownHex32()}`,
      `/tms/v1/paymentinstruments/${unknownHex32()}`,
      `/tms/v1/instrumentidentifiers/${unknownIiId()}`,
    ];
    for (const url of deletes) await refused(() => c.delete(url), tms(404, 'notFound'));
    await refused(() => c.post(`/tms/v2/customers/${unknownHex32()}/payment-instruments`, piBody(MASTERCARD)), tms(404, 'notFound'));
    await refused(() => c.post(`/tms/v2/customers/${unknownHex32()}/shipping-addresses`, shipTo()), tms(404, 'notFound'));
  });

  it('odd ids are a 4xx, never a 5xx', async () => {
    for (const id of ['x', 'x'.repeat(300), '%00', '..%2F..%2Fadmin', "1' OR '1'='1", '7000000000000000000']) {
      for (const url of [`/tms/v2/customers/${id}`, `/tms/v1/paymentinstruments/${id}`, `/tms/v1/instrumentidentifiers/${id}`]) {
        const r = await c.get(url);
        expect(r.status, `${url}: ${r.body}`).toBeGreaterThanOrEqual(400);
        expect(r.status, `${url}: ${r.body}`).toBeLessThan(500);
      }
    }
  });
});

describe('TMS: dependencies, conflicts and preconditions', () => {
  it('a PI naming an unknown instrumentIdentifier.id → 424 notFound, nothing written', async () => {
    const body = { card: { expirationMonth: '12', expirationYear: EXP_YEAR, type: '001' }, instrumentIdentifier: { id: unknownIiId() } };
    await refused(() => c.post(`/tms/v2/customers/${base.customerId}/payment-instruments`, body), tms(424, 'notFound'));
    await refused(() => c.post('/tms/v1/paymentinstruments', body), tms(424, 'notFound'));
  });

  it('a customer PATCH naming an unknown default PI or shipping address → 424 notFound, customer unchanged', async () => {
    const before = (await c.get(`/tms/v2/customers/${base.customerId}`)).json;
    await refused(
      () => c.patch(`/tms/v2/customers/${base.customerId}`, { defaultPaymentInstrument: { id: unknownHex32() } }),
      tms(424, 'notFound'),
    );
    await refused(
      () => c.patch(`/tms/v2/customers/${base.customerId}`, { defaultShippingAddress: { id: unknownHex32() } }),
      tms(424, 'notFound'),
    );
    // Together with a valid change: the valid change is not applied either.
    await refused(
      () =>
        c.patch(`/tms/v2/customers/${base.customerId}`, {
          buyerInformation: { email: 'changed@example.com' },
          defaultPaymentInstrument: { id: unknownHex32() },
        }),
      tms(424, 'notFound'),
    );
    expect((await c.get(`/tms/v2/customers/${base.customerId}`)).json).toEqual(before);
  });

  it('If-Match that does not match the ETag → 412 conflict, nothing changed', async () => {
    const got = await c.get(`/tms/v2/customers/${base.customerId}`);
    const etag = got.headers.etag as string;
    expect(etag).toBeTruthy();
    await refused(
      () =>
        c.patch(
          `/tms/v2/customers/${base.customerId}`,
          { buyerInformation: { email: 'x@example.com' } },
          { headers: { 'if-match': '"stale"' } },
        ),
      tms(412, 'conflict'),
    );
    expect((await c.get(`/tms/v2/customers/${base.customerId}`)).json).toEqual(got.json);
    const ok = await c.patch(
      `/tms/v2/customers/${base.customerId}`,
      { buyerInformation: { email: 'etag@example.com' } },
      { headers: { 'if-match': etag } },
    );
    expect(ok.status, ok.body).toBe(200);
    // The old ETag is stale now.
    await refused(
      () =>
        c.patch(
          `/tms/v2/customers/${base.customerId}`,
          { buyerInformation: { email: 'late@example.com' } },
          { headers: { 'if-match': etag } },
        ),
      tms(412, 'conflict'),
    );
    expect((await c.get(`/tms/v2/customers/${base.customerId}`)).json.buyerInformation.email).toBe('etag@example.com');
    // Payment instruments honour it too.
    const pi = await c.get(`/tms/v2/customers/${base.customerId}/payment-instruments/${base.piId}`);
    expect(pi.headers.etag).toBeTruthy();
    await refused(
      () =>
        c.patch(
          `/tms/v2/customers/${base.customerId}/payment-instruments/${base.piId}`,
          { card: { expirationMonth: '11' } },
          { headers: { 'if-match': '"nope"' } },
        ),
      tms(412, 'conflict'),
    );
    expect((await c.get(`/tms/v2/customers/${base.customerId}/payment-instruments/${base.piId}`)).json).toEqual(pi.json);
  });

  it('merchantCustomerID is not a key: several customers may share it (create and PATCH)', async () => {
    const first = await c.post('/tms/v2/customers', customerBody({ buyerInformation: { merchantCustomerID: 'dup-1' } }));
    expect(first.status, first.body).toBe(201);
    const again = await c.post('/tms/v2/customers', customerBody({ buyerInformation: { merchantCustomerID: 'dup-1' } }));
    expect(again.status, again.body).toBe(201);
    expect(again.json.id).not.toBe(first.json.id);
    const second = await c.post('/tms/v2/customers', customerBody({ buyerInformation: { merchantCustomerID: 'dup-2' } }));
    expect(second.status).toBe(201);
    const patched = await c.patch(`/tms/v2/customers/${second.json.id}`, { buyerInformation: { merchantCustomerID: 'dup-1' } });
    expect(patched.status, patched.body).toBe(200);
    for (const id of [first.json.id, again.json.id, second.json.id]) {
      expect((await c.get(`/tms/v2/customers/${id}`)).json.buyerInformation.merchantCustomerID).toBe('dup-1');
    }
  });

  it('the default PI cannot be deleted while the customer has others → 409 conflict', async () => {
    const cus = await customerWithCard(c, DISCOVER);
    const url = `/tms/v2/customers/${cus.customerId}/payment-instruments`;
    const second = await c.post(url, piBody(MASTERCARD));
    expect(second.status, second.body).toBe(201);
    expect(second.json.default).toBe(false);
    await refused(() => c.delete(`${url}/${cus.piId}`), tms(409, 'conflict'));
    expect((await c.get(`${url}/${cus.piId}`)).json.default).toBe(true);
    // Another one made default: the old default goes.
    const moved = await c.patch(`/tms/v2/customers/${cus.customerId}`, { defaultPaymentInstrument: { id: second.json.id } });
    expect(moved.status, moved.body).toBe(200);
    expect((await c.delete(`${url}/${cus.piId}`)).status).toBe(204);
    // The last one (the default) may go.
    expect((await c.delete(`${url}/${second.json.id}`)).status).toBe(204);
  });

  it('the default shipping address cannot be deleted while the customer has others → 409 conflict', async () => {
    const url = `/tms/v2/customers/${base.customerId}/shipping-addresses`;
    const a1 = await c.post(url, shipTo());
    expect(a1.status, a1.body).toBe(201);
    const a2 = await c.post(url, shipTo({ address1: '2 Main St' }));
    expect(a2.status, a2.body).toBe(201);
    expect(a1.json.default).toBe(true);
    const rows = await rowCounts(t, m.id);
    const r = await c.delete(`${url}/${a1.json.id}`);
    expectTmsError(r, 409, 'conflict');
    expect(await rowCounts(t, m.id)).toEqual(rows);
    expect((await c.delete(`${url}/${a2.json.id}`)).status).toBe(204);
    expect((await c.delete(`${url}/${a1.json.id}`)).status).toBe(204);
  });

  it('an instrument identifier in use cannot be deleted → 409 instrumentIdentifierDeletionError', async () => {
    const cus = await customerWithCard(c, '3530111333300000');
    expect(cus.iiId).toMatch(II_ID);
    await refused(() => c.delete(`/tms/v1/instrumentidentifiers/${cus.iiId}`), tms(409, 'instrumentIdentifierDeletionError'));
    expect((await c.get(`/tms/v1/instrumentidentifiers/${cus.iiId}`)).status).toBe(200);
    expect((await c.get(`/tms/v2/customers/${cus.customerId}/payment-instruments/${cus.piId}`)).status).toBe(200);
  });

  it('a deleted instrument identifier is gone → 410 notAvailable (GET, DELETE, and as a new PI’s identifier)', async () => {
    const made = await c.post('/tms/v1/instrumentidentifiers', { card: { number: '36227206271667' } });
    expect(made.status, made.body).toBe(201);
    const id = made.json.id as string;
    const del = await c.delete(`/tms/v1/instrumentidentifiers/${id}`);
    expect(del.status, del.body).toBe(204);
    expectTmsError(await c.get(`/tms/v1/instrumentidentifiers/${id}`), 410, 'notAvailable');
    expectTmsError(await c.delete(`/tms/v1/instrumentidentifiers/${id}`), 410, 'notAvailable');
    const pi = await c.post(`/tms/v2/customers/${base.customerId}/payment-instruments`, {
      card: { expirationMonth: '12', expirationYear: EXP_YEAR },
      instrumentIdentifier: { id },
    });
    expect(pi.status, pi.body).toBeGreaterThanOrEqual(400);
    expect(pi.status, pi.body).toBeLessThan(500);
  });

  it('tokenizing a card again after its instrument identifier was deleted makes a new one (201); the old id stays 410', async () => {
    const card = '30569309025904';
    const made = await c.post('/tms/v1/instrumentidentifiers', { card: { number: card } });
    expect(made.status, made.body).toBe(201);
    expect((await c.delete(`/tms/v1/instrumentidentifiers/${made.json.id}`)).status).toBe(204);
    const again = await c.post('/tms/v1/instrumentidentifiers', { card: { number: card } });
    expect(again.status, again.body).toBe(201);
    expect(again.json.id).not.toBe(made.json.id);
    expectTmsError(await c.get(`/tms/v1/instrumentidentifiers/${made.json.id}`), 410, 'notAvailable');
  });

  it('deleting the last PI of an instrument identifier leaves the instrument identifier usable', async () => {
    // In TMS an instrument identifier is a token of its own (it exists before any PI, §4.2); only deleting
    // a customer removes its unreferenced identifiers.
    const ii = await c.post('/tms/v1/instrumentidentifiers', { card: { number: '6011000990139424' } });
    expect(ii.status, ii.body).toBe(201);
    const cus = await c.post('/tms/v2/customers', customerBody());
    const url = `/tms/v2/customers/${cus.json.id}/payment-instruments`;
    const piOn = (id: string) => ({ card: { expirationMonth: '12', expirationYear: EXP_YEAR }, instrumentIdentifier: { id } });
    const pi = await c.post(url, piOn(ii.json.id));
    expect(pi.status, pi.body).toBe(201);
    expect((await c.delete(`${url}/${pi.json.id}`)).status).toBe(204);
    const after = await c.get(`/tms/v1/instrumentidentifiers/${ii.json.id}`);
    expect(after.status, after.body).toBe(200);
    const again = await c.post(url, piOn(ii.json.id));
    expect(again.status, again.body).toBe(201);
  });

  it('list paging: limit=0, limit=101, offset=-1, limit=abc → 400', async () => {
    const lists = [
      `/tms/v2/customers/${base.customerId}/payment-instruments`,
      `/tms/v2/customers/${base.customerId}/shipping-addresses`,
      `/tms/v1/instrumentidentifiers/${base.iiId}/paymentinstruments`,
    ];
    for (const url of lists) {
      for (const q of ['limit=0', 'limit=101', 'offset=-1', 'limit=abc', 'offset=x']) {
        expectTmsError(await c.get(`${url}?${q}`), 400, ['invalidFields', 'invalidHeaders', 'missingFields']);
      }
      const ok = await c.get(`${url}?offset=0&limit=100`);
      expect(ok.status, ok.body).toBe(200);
      expect(ok.json).toMatchObject({ offset: 0, limit: 100 });
    }
  });
});

describe('TMS: a refused create writes nothing', () => {
  it('a refused PI create leaves no customer PI and no instrument identifier', async () => {
    const card = '2223003122003222';
    const url = `/tms/v2/customers/${base.customerId}/payment-instruments`;
    await refused(
      () => c.post(url, piBody(card, { card: { expirationMonth: '13', expirationYear: EXP_YEAR } })),
      tms(400, 'invalidFields'),
    );
    await refused(() => c.post(url, piBody(card, { default: 'no' })), tms(400, 'invalidFields'));
    await refused(() => c.post(url, piBody(card, { card: { expirationMonth: '01', expirationYear: '2020' } })), tms(400, 'invalidFields'));
    // The card has no instrument identifier: creating one now makes a new one.
    const ii = await c.post('/tms/v1/instrumentidentifiers', { card: { number: card } });
    expect(ii.status, ii.body).toBe(201);
    const again = await c.post('/tms/v1/instrumentidentifiers', { card: { number: card } });
    expect(again.status, again.body).toBe(200);
    expect(again.json.id).toBe(ii.json.id);
  });

  it('never a 5xx for odd but well-formed JSON', async () => {
    const bodies: unknown[] = [
      {},
      { card: null },
      { instrumentIdentifier: { id: 123 } },
      { instrumentIdentifier: { card: { number: null } } },
      { buyerInformation: { merchantCustomerID: 'x'.repeat(1000) } },
      { buyerInformation: { email: 'e'.repeat(5000) } },
      { merchantDefinedInformation: 'x' },
      { merchantDefinedInformation: [{ name: 'data9', value: 1 }] },
      { defaultPaymentInstrument: { id: null } },
      { a: { b: { c: { d: { e: { f: { g: { h: {} } } } } } } } },
      JSON.parse('{"__proto__":{"polluted":true}}'),
    ];
    const urls = [
      '/tms/v2/customers',
      `/tms/v2/customers/${base.customerId}/payment-instruments`,
      `/tms/v2/customers/${base.customerId}/shipping-addresses`,
      '/tms/v1/paymentinstruments',
      '/tms/v1/instrumentidentifiers',
      '/pts/v2/payments',
      '/pts/v2/credits',
    ];
    for (const url of urls) {
      for (const body of bodies) {
        const r = await c.post(url, body);
        expect(r.status, `${url} ${JSON.stringify(body).slice(0, 80)}: ${r.body}`).toBeLessThan(500);
      }
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('PTS errors → 400 INVALID_REQUEST', () => {
  const pay = (over: Record<string, unknown> = {}) => ({
    clientReferenceInformation: { code: 'err-test' },
    paymentInformation: { customer: { id: base.customerId } },
    ...amount('10.00'),
    ...over,
  });

  it('a missing amount is MISSING_FIELD', async () => {
    const r = await refused(
      () => c.post('/pts/v2/payments', pay({ orderInformation: { amountDetails: { currency: 'USD' } } })),
      pts('MISSING_FIELD'),
    );
    expect(JSON.stringify(r.json.details ?? [])).toContain('totalAmount');
    await refused(() => c.post('/pts/v2/payments', pay({ orderInformation: undefined })), pts('MISSING_FIELD'));
    await refused(() => c.post('/pts/v2/credits', pay({ orderInformation: {} })), pts('MISSING_FIELD'));
  });

  it('no payment information at all', async () => {
    await refused(() => c.post('/pts/v2/payments', pay({ paymentInformation: undefined })), pts(['MISSING_FIELD', 'INVALID_DATA']));
  });

  it('a bad amount is INVALID_AMOUNT', async () => {
    for (const bad of ['abc', '-5.00', '1e3', '']) {
      await refused(
        () => c.post('/pts/v2/payments', pay(amount(bad))),
        pts(bad === '' ? ['INVALID_AMOUNT', 'MISSING_FIELD'] : 'INVALID_AMOUNT'),
      );
    }
    await refused(() => c.post('/pts/v2/credits', pay(amount('abc'))), pts('INVALID_AMOUNT'));
  });

  it('invalid JSON', async () => {
    await refused(() => c.post('/pts/v2/payments', '{"paymentInformation":'), pts(['INVALID_DATA', 'MISSING_FIELD']));
  });

  it('an unknown customer or PI is INVALID_DATA', async () => {
    await refused(() => c.post('/pts/v2/payments', pay({ paymentInformation: { customer: { id: unknownHex32() } } })), pts('INVALID_DATA'));
    await refused(
      () => c.post('/pts/v2/payments', pay({ paymentInformation: { paymentInstrument: { id: unknownHex32() } } })),
      pts('INVALID_DATA'),
    );
    await refused(() => c.post('/pts/v2/credits', pay({ paymentInformation: { customer: { id: unknownHex32() } } })), pts('INVALID_DATA'));
  });

  it('a customer with no payment instrument is INVALID_DATA', async () => {
    const bare = await c.post('/tms/v2/customers', customerBody());
    expect(bare.status).toBe(201);
    await refused(() => c.post('/pts/v2/payments', pay({ paymentInformation: { customer: { id: bare.json.id } } })), pts('INVALID_DATA'));
  });

  it('capture, refund or reversal of an unknown payment id is INVALID_PAYMENT_ID', async () => {
    const id = unknownPaymentId();
    await refused(() => c.post(`/pts/v2/payments/${id}/captures`, amount('1.00')), pts('INVALID_PAYMENT_ID'));
    await refused(() => c.post(`/pts/v2/payments/${id}/refunds`, amount('1.00')), pts('INVALID_PAYMENT_ID'));
    await refused(() => c.post(`/pts/v2/captures/${id}/refunds`, amount('1.00')), pts('INVALID_PAYMENT_ID'));
    await refused(
      () => c.post(`/pts/v2/payments/${id}/reversals`, { reversalInformation: { amountDetails: { totalAmount: '1.00' }, reason: 'test' } }),
      pts('INVALID_PAYMENT_ID'),
    );
    await refused(() => c.post('/pts/v2/payments/not-a-payment/captures', amount('1.00')), pts('INVALID_PAYMENT_ID'));
  });

  it('over-capture and over-refund are refused, and the amounts stay as they were', async () => {
    const auth = await c.post('/pts/v2/payments', pay());
    expect(auth.status, auth.body).toBe(201);
    expect(auth.json.status).toBe('AUTHORIZED');
    expect(auth.json.id).toMatch(PAYMENT_ID);
    const id = auth.json.id as string;
    const rows = await rowCounts(t, m.id);
    // A refund before any capture: nothing to refund.
    const early = await c.post(`/pts/v2/payments/${id}/refunds`, amount('1.00'));
    expectPtsError(early, ['INVALID_AMOUNT', 'INVALID_DATA', 'INVALID_PAYMENT_ID']);
    const over = await c.post(`/pts/v2/payments/${id}/captures`, amount('10.01'));
    expectPtsError(over, ['INVALID_AMOUNT', 'INVALID_DATA']);
    expect(await rowCounts(t, m.id)).toEqual(rows);
    const cap = await c.post(`/pts/v2/payments/${id}/captures`, amount('10.00'));
    expect(cap.status, cap.body).toBe(201);
    expect(cap.json.status).toBe('PENDING');
    const overRefund = await c.post(`/pts/v2/payments/${id}/refunds`, amount('10.01'));
    expectPtsError(overRefund, ['INVALID_AMOUNT', 'INVALID_DATA']);
    const part = await c.post(`/pts/v2/captures/${cap.json.id}/refunds`, amount('6.00'));
    expect(part.status, part.body).toBe(201);
    expect(part.json.status).toBe('PENDING');
    const rest = await c.post(`/pts/v2/payments/${id}/refunds`, amount('4.00'));
    expect(rest.status, rest.body).toBe(201);
    const more = await c.post(`/pts/v2/payments/${id}/refunds`, amount('0.01'));
    expectPtsError(more, ['INVALID_AMOUNT', 'INVALID_DATA']);
    // A second capture of a fully captured payment.
    const again = await c.post(`/pts/v2/payments/${id}/captures`, amount('0.01'));
    expectPtsError(again, ['INVALID_AMOUNT', 'INVALID_DATA']);
  });
});
