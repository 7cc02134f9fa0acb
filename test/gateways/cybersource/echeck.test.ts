/**
 * Electronic checks (issue 20): bank-account instrument identifiers and payment instruments through TMS, and
 * eCheck debits, credits, refunds and voids through PTS with the simulator's bank-account table — driven with
 * the request shapes of Cybersource's own samples and eCheck guide (sources in docs/cybersource.md). Also: the
 * account number is masked in every answer and never stored in clear, and no API but Cybersource's sees a
 * bank account's tokens.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, createMerchant, makeTestApp, rememberSecret, type TestApp, type TestMerchant } from '../../helpers/harness.ts';
import { type OpenApiDocument, responseProblems } from '../../helpers/openapi-conformance.ts';
import { type CybsClient, customerBody, cybs, expectPtsError, expectTmsError, HEX32, PAYMENT_ID, rowCounts } from './helpers.ts';

let t: TestApp;
let m: TestMerchant;
let other: TestMerchant;
let c: CybsClient;

const ROUTING = '071923284';
/** Accounts no other test of this file uses, so "new" and "same" are about one test's account. */
const ACCOUNT = { long: '20406080103050709', nine: '100200300', sample: '4100', other: '555566667777' };
const NSF = '9000009995';
const CLOSED = '9000000002';
rememberSecret(...Object.values(ACCOUNT), NSF, CLOSED);

const billTo = {
  firstName: 'John',
  lastName: 'Doe',
  address1: '1 Market St',
  locality: 'San Francisco',
  administrativeArea: 'CA',
  postalCode: '94105',
  country: 'US',
  email: 'test@cybs.com',
  phoneNumber: '4158880000',
};

beforeAll(async () => {
  t = await makeTestApp();
  m = await createMerchant(t, 'cybs-echeck');
  other = await createMerchant(t, 'cybs-echeck-other');
  c = cybs(t, m);
});
afterAll(() => t.close());

async function bankInstrument(number: string): Promise<string> {
  const r = await c.post('/tms/v1/instrumentidentifiers', { bankAccount: { number, routingNumber: ROUTING } });
  expect([200, 201], r.body).toContain(r.status);
  return r.json.id as string;
}

/** A customer whose default payment instrument is a bank account (the customer-PI sample, by identifier id). */
async function customerWithAccount(number: string): Promise<{ customerId: string; piId: string; iiId: string }> {
  const iiId = await bankInstrument(number);
  const cus = await c.post('/tms/v2/customers', customerBody());
  expect(cus.status, cus.body).toBe(201);
  const pi = await c.post(`/tms/v2/customers/${cus.json.id}/payment-instruments`, {
    bankAccount: { type: 'savings' },
    billTo,
    instrumentIdentifier: { id: iiId },
  });
  expect(pi.status, pi.body).toBe(201);
  return { customerId: cus.json.id, piId: pi.json.id, iiId };
}

const checkDebit = (customerId: string, totalAmount: string) => ({
  clientReferenceInformation: { code: 'TC1-060' },
  paymentInformation: { paymentType: { name: 'check' }, customer: { id: customerId } },
  orderInformation: { billTo, amountDetails: { currency: 'USD', totalAmount } },
});

describe('TMS: bank-account instrument identifiers', () => {
  it('creates one from routing and account number (sample create-instrument-identifier-bank-account), masked in the answer', async () => {
    const r = await c.post('/tms/v1/instrumentidentifiers', { bankAccount: { number: ACCOUNT.long, routingNumber: ROUTING } });
    expect(r.status, r.body).toBe(201);
    expect(r.json.id).toMatch(HEX32);
    expect(r.json).toMatchObject({ object: 'instrumentIdentifier', state: 'ACTIVE' });
    expect(r.json.bankAccount).toEqual({ number: 'XXXXXXXXXXXXX0709', routingNumber: ROUTING });
    expect(r.json.card).toBeUndefined();
    expect(r.body).not.toContain(ACCOUNT.long);
    // The same account answers the same identifier (TMS: one per account), and reads back.
    const again = await c.post('/tms/v1/instrumentidentifiers', { bankAccount: { number: ACCOUNT.long, routingNumber: ROUTING } });
    expect(again.status).toBe(200);
    expect(again.json.id).toBe(r.json.id);
    const read = await c.get(`/tms/v1/instrumentidentifiers/${r.json.id}`);
    expect(read.status).toBe(200);
    expect(read.json.bankAccount).toEqual({ number: 'XXXXXXXXXXXXX0709', routingNumber: ROUTING });
    // The same account number at another bank is another account.
    const elsewhere = await c.post('/tms/v1/instrumentidentifiers', { bankAccount: { number: ACCOUNT.long, routingNumber: '021000021' } });
    expect(elsewhere.status).toBe(201);
    expect(elsewhere.json.id).not.toBe(r.json.id);
  });

  it('shows at most half of a short account number (the samples’ 4-digit "4100" shows 2)', async () => {
    const r = await c.post('/tms/v1/instrumentidentifiers', { bankAccount: { number: ACCOUNT.sample, routingNumber: ROUTING } });
    expect([200, 201]).toContain(r.status);
    expect(r.json.bankAccount.number).toBe('XX00');
  });

  it('refuses a malformed account or routing number, or both card and bankAccount, writing nothing', async () => {
    const before = await rowCounts(t, m.id);
    for (const [body, field] of [
      [{ bankAccount: { number: '12ab5678', routingNumber: ROUTING } }, 'bankAccount.number'],
      [{ bankAccount: { number: '12345678', routingNumber: '07192328' } }, 'bankAccount.routingNumber'],
      [{ bankAccount: { number: '12345678' } }, 'bankAccount.routingNumber'],
      [{ bankAccount: { number: '12345678', routingNumber: ROUTING }, card: { number: '4111111111111111' } }, 'bankAccount'],
    ] as const) {
      const r = await c.post('/tms/v1/instrumentidentifiers', body);
      expectTmsError(r, 400);
      expect(JSON.stringify(r.json.errors[0].details ?? []), r.body).toContain(field);
      expect(r.body).not.toContain('12345678');
    }
    expect(await rowCounts(t, m.id)).toEqual(before);
  });
});

describe('TMS: bank-account payment instruments', () => {
  it('creates a standalone one from the account (sample create-payment-instrument-bank-account, verbatim body)', async () => {
    const r = await c.post('/tms/v1/paymentinstruments', {
      bankAccount: { type: 'savings' },
      buyerInformation: {
        companyTaxID: '12345',
        currency: 'USD',
        dateOfBirth: '2000-12-13',
        personalIdentification: [{ id: '57684432111321', type: 'driver license', issuedBy: { administrativeArea: 'CA' } }],
      },
      billTo: {
        firstName: 'John',
        lastName: 'Doe',
        company: 'CyberSource',
        address1: '1 Market St',
        locality: 'San Francisco',
        administrativeArea: 'CA',
        postalCode: '94105',
        country: 'US',
        email: 'test@cybs.com',
        phoneNumber: '4158880000',
      },
      processingInformation: { billPaymentProgramEnabled: true, bankTransferOptions: { SECCode: 'WEB' } },
      merchantInformation: { merchantDescriptor: { alternateName: 'Branch Name' } },
      instrumentIdentifier: { bankAccount: { number: ACCOUNT.nine, routingNumber: ROUTING } },
    });
    expect(r.status, r.body).toBe(201);
    expect(r.json.id).toMatch(HEX32);
    expect(r.json.bankAccount).toEqual({ type: 'savings' });
    expect(r.json.card).toBeUndefined();
    expect(r.json.processingInformation).toEqual({ billPaymentProgramEnabled: true, bankTransferOptions: { SECCode: 'WEB' } });
    expect(r.json.instrumentIdentifier.id).toMatch(HEX32);
    expect(r.json._embedded.instrumentIdentifier.bankAccount).toEqual({ number: 'XXXXX0300', routingNumber: ROUTING });
    expect(r.body).not.toContain(ACCOUNT.nine);
    // Deleting the instrument destroys the account number it brought (it was no token of its own).
    expect((await c.delete(`/tms/v1/paymentinstruments/${r.json.id}`)).status).toBe(204);
    expect((await c.get(`/tms/v1/instrumentidentifiers/${r.json.instrumentIdentifier.id}`)).status).toBe(410);
  });

  it('needs bankAccount.type, refuses card fields on a bank account and bankAccount on a card, writing nothing', async () => {
    const iiId = await bankInstrument(ACCOUNT.other);
    const before = await rowCounts(t, m.id);
    const noType = await c.post('/tms/v1/paymentinstruments', { instrumentIdentifier: { id: iiId } });
    expectTmsError(noType, 400);
    const badType = await c.post('/tms/v1/paymentinstruments', { bankAccount: { type: 'brokerage' }, instrumentIdentifier: { id: iiId } });
    expectTmsError(badType, 400);
    const withCard = await c.post('/tms/v1/paymentinstruments', {
      bankAccount: { type: 'C' },
      card: { expirationMonth: '12', expirationYear: '2031' },
      instrumentIdentifier: { id: iiId },
    });
    expectTmsError(withCard, 400);
    const cardWithBank = await c.post('/tms/v1/paymentinstruments', {
      bankAccount: { type: 'checking' },
      card: { expirationMonth: '12', expirationYear: '2031' },
      instrumentIdentifier: { card: { number: '4111111111111111' } },
    });
    expectTmsError(cardWithBank, 400);
    expect(await rowCounts(t, m.id)).toEqual(before);
  });

  it('a customer’s bank payment instrument lists, patches and is its default', async () => {
    const { customerId, piId } = await customerWithAccount(ACCOUNT.long);
    const list = await c.get(`/tms/v2/customers/${customerId}/payment-instruments`);
    expect(list.status).toBe(200);
    expect(list.json._embedded.paymentInstruments.map((p: { id: string }) => p.id)).toEqual([piId]);
    const cus = await c.get(`/tms/v2/customers/${customerId}`);
    expect(cus.json._embedded.defaultPaymentInstrument.bankAccount).toEqual({ type: 'savings' });
    const patched = await c.patch(`/tms/v2/customers/${customerId}/payment-instruments/${piId}`, { bankAccount: { type: 'checking' } });
    expect(patched.status, patched.body).toBe(200);
    expect(patched.json.bankAccount).toEqual({ type: 'checking' });
    const cardPatch = await c.patch(`/tms/v2/customers/${customerId}/payment-instruments/${piId}`, {
      card: { expirationMonth: '12', expirationYear: '2031' },
    });
    expectTmsError(cardPatch, 400);
  });
});

describe('TMS: a customer with its bank account in one call (the eCheck guide)', () => {
  it('creates the customer and its default bank payment instrument from the guide’s body, verbatim', async () => {
    // https://developer.cybersource.com/docs/cybs/en-us/echeck/user/all/rest/echeck-user-guide/echeck-api-intro/echeck-api-cre-token-standalone.html
    const r = await c.post('/tms/v2/customers', {
      paymentInstrument: {
        bankAccount: { type: 'savings' },
        instrumentIdentifier: { bankAccount: { number: '12345678901234567', routingNumber: '071923284' } },
      },
    });
    expect(r.status, r.body).toBe(201);
    expect(r.json.id).toMatch(HEX32);
    const pi = r.json._embedded.defaultPaymentInstrument;
    expect(pi.bankAccount).toEqual({ type: 'savings' });
    expect(pi._embedded.instrumentIdentifier.bankAccount).toEqual({ number: 'XXXXXXXXXXXXX4567', routingNumber: '071923284' });
    expect(r.json.defaultPaymentInstrument).toEqual({ id: pi.id });
    const debit = await c.post('/pts/v2/payments', checkDebit(r.json.id, '10.20'));
    expect(debit.status, debit.body).toBe(201);
    expect(debit.json.status).toBe('PENDING');
  });

  it('refuses a bad payment instrument before making the customer', async () => {
    const before = await rowCounts(t, m.id);
    const r = await c.post('/tms/v2/customers', {
      buyerInformation: { merchantCustomerID: 'echeck-refused' },
      paymentInstrument: {
        bankAccount: { type: 'brokerage' },
        instrumentIdentifier: { bankAccount: { number: ACCOUNT.other, routingNumber: ROUTING } },
      },
    });
    expectTmsError(r, 400);
    expect(await rowCounts(t, m.id)).toEqual(before);
  });
});

describe('PTS: electronic check payments through the simulator', () => {
  it('debits a customer’s bank account with paymentType check (the eCheck guide’s token example): PENDING', async () => {
    const { customerId, piId, iiId } = await customerWithAccount(ACCOUNT.long);
    const r = await c.post('/pts/v2/payments', checkDebit(customerId, '10.20'));
    expect(r.status, r.body).toBe(201);
    expect(r.json.id).toMatch(PAYMENT_ID);
    expect(r.json.status).toBe('PENDING');
    expect(r.json.clientReferenceInformation).toEqual({ code: 'TC1-060' });
    expect(r.json.orderInformation.amountDetails).toEqual({ totalAmount: '10.20', currency: 'USD' });
    expect(r.json.paymentInformation).toMatchObject({
      paymentType: { name: 'CHECK' },
      paymentInstrument: { id: piId },
      instrumentIdentifier: { id: iiId },
      customer: { id: customerId },
    });
    expect(r.json.paymentInformation.card).toBeUndefined();
    expect(r.json.errorInformation).toBeUndefined();
    // Follow-ons: a partial refund (PENDING), voided; the debit itself read back.
    const refund = await c.post(`/pts/v2/payments/${r.json.id}/refunds`, {
      orderInformation: { amountDetails: { totalAmount: '5.00', currency: 'USD' } },
    });
    expect(refund.status, refund.body).toBe(201);
    expect(refund.json.status).toBe('PENDING');
    const voided = await c.post(`/pts/v2/refunds/${refund.json.id}/voids`, { clientReferenceInformation: { code: 'void-1' } });
    expect(voided.status, voided.body).toBe(201);
    expect(voided.json.status).toBe('VOIDED');
    const read = await c.get(`/pts/v2/payments/${r.json.id}`);
    expect(read.status).toBe(200);
    expect(read.json.status).toBe('PENDING');
  });

  it('debits a bank account sent in full (sample electronic-check-debits) and makes tokens with TOKEN_CREATE', async () => {
    const direct = await c.post('/pts/v2/payments', {
      clientReferenceInformation: { code: 'TC50171_3' },
      processingInformation: { capture: false, commerceIndicator: 'internet' },
      paymentInformation: {
        bank: { account: { type: 'C', number: ACCOUNT.sample }, routingNumber: ROUTING },
        paymentType: { name: 'CHECK' },
      },
      orderInformation: { billTo, amountDetails: { totalAmount: '100', currency: 'USD' } },
    });
    expect(direct.status, direct.body).toBe(201);
    expect(direct.json.status).toBe('PENDING');
    expect(direct.json.paymentInformation.paymentInstrument).toBeUndefined();
    expect(direct.body).not.toContain(`"${ACCOUNT.sample}"`);

    const tokens = await c.post('/pts/v2/payments', {
      processingInformation: { actionList: ['TOKEN_CREATE'], actionTokenTypes: ['customer', 'paymentInstrument'] },
      paymentInformation: {
        bank: { account: { type: 'C', number: ACCOUNT.nine }, routingNumber: ROUTING },
        paymentType: { name: 'check' },
      },
      orderInformation: { billTo, amountDetails: { totalAmount: '10.20', currency: 'USD' } },
    });
    expect(tokens.status, tokens.body).toBe(201);
    expect(tokens.json.status).toBe('PENDING');
    const info = tokens.json.tokenInformation;
    expect(info.instrumentIdentifier.id).toMatch(HEX32);
    expect(info.customer.id).toMatch(HEX32);
    expect(info.paymentInstrument.id).toMatch(HEX32);
    // The customer it made pays again by its default: the bank account.
    const again = await c.post('/pts/v2/payments', checkDebit(info.customer.id, '3.00'));
    expect(again.status, again.body).toBe(201);
    expect(again.json.status).toBe('PENDING');
  });

  it('declines by the bank-account table and the amount rules (README), and writes a declined payment', async () => {
    for (const [account, amount, reason] of [
      [NSF, '10.00', 'INSUFFICIENT_FUND'],
      [CLOSED, '10.00', 'PROCESSOR_DECLINED'],
      [ACCOUNT.other, '10.51', 'INSUFFICIENT_FUND'],
      [ACCOUNT.other, '10.52', 'PROCESSOR_DECLINED'],
    ] as const) {
      const r = await c.post('/pts/v2/payments', {
        paymentInformation: { bank: { account: { type: 'C', number: account }, routingNumber: ROUTING }, paymentType: { name: 'CHECK' } },
        orderInformation: { billTo, amountDetails: { totalAmount: amount, currency: 'USD' } },
      });
      expect(r.status, r.body).toBe(201);
      expect(r.json.status, `${account} ${amount}`).toBe('DECLINED');
      expect(r.json.errorInformation.reason).toBe(reason);
    }
  });

  it('credits a bank account (PENDING) and voids the credit', async () => {
    const { piId } = await customerWithAccount(ACCOUNT.other);
    const credit = await c.post('/pts/v2/credits', {
      paymentInformation: { paymentType: { name: 'CHECK' }, paymentInstrument: { id: piId } },
      orderInformation: { billTo, amountDetails: { totalAmount: '7.00', currency: 'USD' } },
    });
    expect(credit.status, credit.body).toBe(201);
    expect(credit.json.status).toBe('PENDING');
    const voided = await c.post(`/pts/v2/credits/${credit.json.id}/voids`, {});
    expect(voided.status, voided.body).toBe(201);
    expect(voided.json.status).toBe('VOIDED');
  });

  it('refuses paymentType CHECK with a card, another paymentType, and a card beside a bank account', async () => {
    const card = await c.post('/tms/v1/paymentinstruments', {
      card: { expirationMonth: '12', expirationYear: '2031', type: '001' },
      instrumentIdentifier: { card: { number: '4111111111111111' } },
    });
    expect(card.status, card.body).toBe(201);
    const before = await rowCounts(t, m.id);
    const checkWithCard = await c.post('/pts/v2/payments', {
      paymentInformation: { paymentType: { name: 'CHECK' }, paymentInstrument: { id: card.json.id } },
      orderInformation: { amountDetails: { totalAmount: '1.00', currency: 'USD' } },
    });
    expectPtsError(checkWithCard, 'INVALID_DATA');
    const otherType = await c.post('/pts/v2/payments', {
      paymentInformation: { paymentType: { name: 'WIRE' }, paymentInstrument: { id: card.json.id } },
      orderInformation: { amountDetails: { totalAmount: '1.00', currency: 'USD' } },
    });
    expectPtsError(otherType, 'NOT_SUPPORTED');
    const both = await c.post('/pts/v2/payments', {
      paymentInformation: {
        bank: { account: { number: ACCOUNT.other }, routingNumber: ROUTING },
        card: { number: '4111111111111111', expirationMonth: '12', expirationYear: '2031' },
      },
      orderInformation: { amountDetails: { totalAmount: '1.00', currency: 'USD' } },
    });
    expectPtsError(both, 'INVALID_DATA');
    const badRouting = await c.post('/pts/v2/payments', {
      paymentInformation: { bank: { account: { number: ACCOUNT.other }, routingNumber: '1234' }, paymentType: { name: 'CHECK' } },
      orderInformation: { amountDetails: { totalAmount: '1.00', currency: 'USD' } },
    });
    expectPtsError(badRouting, 'INVALID_DATA');
    expect(badRouting.body).not.toContain(ACCOUNT.other);
    expect(await rowCounts(t, m.id)).toEqual(before);
  });
});

describe('bank accounts stay with the API that serves them', () => {
  it('the native API and another merchant see none of them', async () => {
    const { customerId, piId, iiId } = await customerWithAccount(ACCOUNT.nine);
    const native = client(t, m.apiKey);
    expect((await native.get(`/v1/cards/${piId}`)).statusCode).toBe(404);
    const cards = await native.get(`/v1/customers/${customerId}/cards`);
    expect(cards.statusCode).toBe(200);
    expect(cards.json().data).toEqual([]);
    const customer = await native.get(`/v1/customers/${customerId}`);
    expect(customer.statusCode, customer.body).toBe(200);
    expect(customer.body).not.toContain(piId);
    expect(customer.json().defaultCard).toBeNull();
    const byCustomer = await native.post('/v1/payments', { customer: customerId, amount: 100, currency: 'USD' });
    expect(byCustomer.statusCode, byCustomer.body).toBe(422);
    expect(byCustomer.json().type ?? byCustomer.body).toContain('no_default_card');
    const pay = await native.post('/v1/payments', { token: piId, amount: 100, currency: 'USD' });
    expect(pay.statusCode, pay.body).toBe(404);
    expect(pay.body).not.toContain(ACCOUNT.nine);
    const b = cybs(t, other);
    expect((await b.get(`/tms/v1/instrumentidentifiers/${iiId}`)).status).toBe(404);
    expect((await b.get(`/tms/v1/paymentinstruments/${piId}`)).status).toBe(404);
  });

  it('stores the account number only encrypted (no column of any row holds it)', async () => {
    const iiId = await bankInstrument(ACCOUNT.long);
    const db = t.vault.store.db;
    const rows = await db.selectFrom('instrument_identifiers').selectAll().where('id', '=', iiId).execute();
    expect(rows).toHaveLength(1);
    const text = JSON.stringify(rows);
    expect(text).not.toContain(ACCOUNT.long);
    expect(rows[0]?.pan_ct).toMatch(/^tv1\./);
    expect(rows[0]).toMatchObject({ kind: 'bank', routing_number: ROUTING, last4: '0709', pan_length: 17 });
    const audit = JSON.stringify(await db.selectFrom('audit_events').selectAll().execute());
    expect(audit).not.toContain(ACCOUNT.long);
  });
});

describe('bank-account answers match the served OpenAPI document', () => {
  it('instrument identifier, payment instrument and eCheck payment answers conform', async () => {
    const docRes = await t.app.inject({ method: 'GET', url: '/openapi/cybersource.json' });
    const doc = docRes.json() as OpenApiDocument;
    const conform = (method: 'GET' | 'POST', docPath: string, res: { status: number; headers: unknown; body: string }) =>
      expect(
        responseProblems(doc, method, docPath, { statusCode: res.status, headers: res.headers as Record<string, unknown>, body: res.body }),
        `${method} ${docPath}: ${res.body}`,
      ).toEqual([]);
    const ii = await c.post('/tms/v1/instrumentidentifiers', { bankAccount: { number: ACCOUNT.other, routingNumber: ROUTING } });
    conform('POST', '/tms/v1/instrumentidentifiers', ii);
    conform('GET', '/tms/v1/instrumentidentifiers/{instrumentId}', await c.get(`/tms/v1/instrumentidentifiers/${ii.json.id}`));
    const pi = await c.post('/tms/v1/paymentinstruments', { bankAccount: { type: 'checking' }, instrumentIdentifier: { id: ii.json.id } });
    conform('POST', '/tms/v1/paymentinstruments', pi);
    const pay = await c.post('/pts/v2/payments', {
      paymentInformation: { paymentType: { name: 'CHECK' }, paymentInstrument: { id: pi.json.id } },
      orderInformation: { billTo, amountDetails: { totalAmount: '2.00', currency: 'USD' } },
    });
    expect(pay.json.status).toBe('PENDING');
    conform('POST', '/pts/v2/payments', pay);
  });
});
