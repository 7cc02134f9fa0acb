import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnvelope } from '../../../src/crypto/envelope.ts';
import { type Client, client, createMerchant, makeTestApp, type TestApp } from '../../helpers/harness.ts';
import {
  type AppotaClient,
  type AppotaResponse,
  appotaClient,
  chargeBody,
  createToken,
  LOWER_ULID,
  RFC3339_VN,
  refId,
  seedExample,
  tokenBody,
  UPPER_ULID,
} from './helpers.ts';

let t: TestApp;
let appota: AppotaClient;
let native: Client;

beforeAll(async () => {
  t = await makeTestApp();
  const m = await createMerchant(t, 'AppotaPay merchant');
  appota = appotaClient(t, m);
  native = client(t, m.apiKey);
});
afterAll(() => t.close());

const charge = (body: Record<string, unknown>, opts = {}) => appota.call('POST', '/credit-card/charge', body, opts);

/** Within `slackMs` of the real clock. */
function expectRecent(iso: string, slackMs = 60_000): void {
  expect(iso).toMatch(RFC3339_VN);
  expect(Math.abs(Date.parse(iso) - Date.now())).toBeLessThan(slackMs);
}

function expectOk(r: AppotaResponse): void {
  expect(r.status, r.body).toBe(200);
}

describe('AppotaPay token create', () => {
  it("answers the seed's example request field for field (brand from the BIN: VISA)", async () => {
    const body = seedExample();
    const r = await appota.call('POST', '/credit-card/token', body);
    expectOk(r);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    const j = r.json;
    expect(j.tokenId).toMatch(LOWER_ULID);
    expect(j).toEqual({
      tokenId: j.tokenId,
      merchantRefId: 'PdWghqjDT',
      // The seed's example says MASTERCARD for this 4… number: a known doc error; the BIN says VISA.
      card: { number: '400000XXXXXX0010', type: 'CREDIT', brand: 'VISA', country: 'US' },
      billing: body.billing,
      createdAt: j.createdAt,
      updatedAt: j.updatedAt,
    });
    expectRecent(j.createdAt);
    expectRecent(j.updatedAt);
    expect(Date.parse(j.updatedAt)).toBeGreaterThanOrEqual(Date.parse(j.createdAt));
    expect(r.body).not.toContain('4000000000000010');
    expect(r.body).not.toContain('"123"');
  });

  it('creates a MULTIPLE token without customer or billing; billing answered as null or absent', async () => {
    const r = await appota.call('POST', '/credit-card/token', tokenBody());
    expectOk(r);
    expect(r.json.tokenId).toMatch(LOWER_ULID);
    expect(r.json.card).toMatchObject({ number: '400000XXXXXX0010', brand: 'VISA' });
    expect(r.json.billing ?? null).toBeNull();
  });

  it('reports Mastercard, JCB and Amex brands, and a 4-digit Amex CVV', async () => {
    const mc = await createToken(appota, {}, { number: '5555555555554444' });
    expect(mc.card).toMatchObject({ number: '555555XXXXXX4444', brand: 'MASTERCARD', type: 'CREDIT', country: 'US' });
    const jcb = await createToken(appota, {}, { number: '3530111333300000' });
    expect(jcb.card).toMatchObject({ number: '353011XXXXXX0000', brand: 'JCB', country: 'JP' });
    const amex = await createToken(appota, {}, { number: '378282246310005', cvv: '1234' });
    expect(amex.card).toMatchObject({ number: '378282XXXXX0005', brand: 'AMEX' });
  });

  it('tokenizes a 13-digit Visa and a Discover card (brand by the vault name)', async () => {
    const short = await createToken(appota, {}, { number: '4222222222222' });
    expect(short.card).toMatchObject({ number: '42XXXXXXX2222', brand: 'VISA' });
    const disc = await createToken(appota, {}, { number: '6011111111111117' });
    expect(disc.card).toMatchObject({ number: '601111XXXXXX1117', brand: 'DISCOVER', country: 'US' });
  });

  it('answers country null for a BIN not in the table', async () => {
    // 4929 0000 0000 0000: a valid Visa number whose BIN is not a public test BIN.
    const made = await createToken(appota, {}, { number: '4929000000000000' });
    expect(made.card).toMatchObject({ brand: 'VISA', country: null });
  });

  it('gives every create a fresh token, even for the same card', async () => {
    const a = await createToken(appota);
    const b = await createToken(appota);
    expect(a.tokenId).not.toBe(b.tokenId);
  });
});

describe('AppotaPay headers', () => {
  it('accepts the JWT with a "Bearer " prefix', async () => {
    const r = await appota.call('POST', '/credit-card/token', tokenBody(), { bearer: true });
    expectOk(r);
    expect(r.json.tokenId).toMatch(LOWER_ULID);
  });

  it('accepts a JWT without cty', async () => {
    const r = await appota.call('POST', '/credit-card/token', tokenBody(), { jwt: { omitHeader: ['cty'] } });
    expectOk(r);
  });

  it('echoes X-Request-ID in the answer, on success and on error', async () => {
    const id = randomUUID();
    const r = await appota.call('POST', '/credit-card/token', tokenBody(), { headers: { 'x-request-id': id } });
    expectOk(r);
    expect(r.headers['x-request-id']).toBe(id);
    const id2 = randomUUID();
    const e = await charge(chargeBody('01hqhr4qqnk66d7tg3pk5md08c'), { headers: { 'x-request-id': id2 } });
    expect(e.status).toBe(404);
    expect(e.headers['x-request-id']).toBe(id2);
  });

  it('works without X-Request-ID at all', async () => {
    const r = await appota.call('POST', '/credit-card/token', tokenBody(), { omit: ['x-request-id'] });
    expectOk(r);
  });

  it('accepts Language vi and en and an X-Account-Ref-ID UUID', async () => {
    for (const lang of ['vi', 'en']) {
      const r = await appota.call('POST', '/credit-card/token', tokenBody(), {
        headers: { language: lang, 'x-account-ref-id': '9723f73b-9295-4acb-884b-ab6310c2e653' },
      });
      expectOk(r);
    }
  });

  it('answers the same error in English or Vietnamese by Language (vi by default)', async () => {
    const unknown = chargeBody('01hqhr4qqnk66d7tg3pk5md08c');
    const en = await charge(unknown, { headers: { language: 'en' } });
    const vi = await charge(unknown, { headers: { language: 'vi' } });
    const dflt = await charge(unknown);
    for (const r of [en, vi, dflt]) {
      expect(r.status).toBe(404);
      expect(r.json.errorCode).toBe(43);
      expect(typeof r.json.message).toBe('string');
      expect(r.json.message.length).toBeGreaterThan(0);
    }
    expect(en.json.message).not.toBe(vi.json.message);
    expect(dflt.json.message).toBe(vi.json.message);

    const bad = tokenBody({}, { number: '4000000000000011' });
    const enV = await appota.call('POST', '/credit-card/token', bad, { headers: { language: 'en' } });
    const viV = await appota.call('POST', '/credit-card/token', { ...bad, merchantRefId: refId() }, { headers: { language: 'vi' } });
    expect(enV.json.errorCode).toBe(61);
    expect(viV.json.errorCode).toBe(61);
    expect(enV.json.message).not.toBe(viV.json.message);
  });
});

describe('AppotaPay charge', () => {
  it('charges a MULTIPLE token twice with capture: CAPTURED, BY_MULTIPLE_TOKEN, field for field', async () => {
    const tok = await createToken(appota, { tokenType: 'MULTIPLE' });
    for (const amount of [150000, 2000000]) {
      const body = chargeBody(tok.tokenId, { amount, capture: true });
      const r = await charge(body);
      expectOk(r);
      const j = r.json;
      expect(j).toMatchObject({
        merchantRefId: body.merchantRefId,
        status: 'CAPTURED',
        authorizedAmount: amount,
        capturedAmount: amount,
        currency: 'VND',
        tokenId: tok.tokenId,
        card: {
          number: '400000XXXXXX0010',
          expirationMonth: '12',
          expirationYear: '29',
          cardBrand: 'VISA',
          cardType: 'CREDIT',
          countryCode: 'US',
        },
        chargeType: 'BY_MULTIPLE_TOKEN',
      });
      expect(j.id).toMatch(UPPER_ULID);
      for (const k of ['authenticationId', 'approvalCode', 'eci', 'reconciliationId', 'bankReconciliationId']) expect(j).toHaveProperty(k);
      expect(j.approvalCode).toEqual(expect.any(String));
      expectRecent(j.createdAt);
      expectRecent(j.updatedAt);
      expect(r.body).not.toContain('4000000000000010');
    }
  });

  it('charges a SINGLE token once (BY_SINGLE_TOKEN); a second charge is refused with 92', async () => {
    const tok = await createToken(appota, { tokenType: 'SINGLE' });
    const first = await charge(chargeBody(tok.tokenId));
    expectOk(first);
    expect(first.json).toMatchObject({ status: 'CAPTURED', chargeType: 'BY_SINGLE_TOKEN', tokenId: tok.tokenId });
    const second = await charge(chargeBody(tok.tokenId));
    expect(second.status).toBe(400);
    expect(second.json.errorCode).toBe(92);
    expect(second.json.message).toEqual(expect.any(String));
  });

  it('lets exactly one of two concurrent charges of a fresh SINGLE token through', async () => {
    let ok = 0;
    let used = 0;
    for (let i = 0; i < 5; i++) {
      const tok = await createToken(appota, { tokenType: 'SINGLE' });
      const results = await Promise.all([charge(chargeBody(tok.tokenId)), charge(chargeBody(tok.tokenId))]);
      const statuses = results.map((r) => r.status).sort();
      expect(statuses, results.map((r) => r.body).join(' | ')).toEqual([200, 400]);
      const refused = results.find((r) => r.status === 400);
      expect(refused?.json.errorCode).toBe(92);
      ok += results.filter((r) => r.status === 200).length;
      used += results.filter((r) => r.json?.errorCode === 92).length;
    }
    expect(ok).toBe(5);
    expect(used).toBe(5);
  });

  it('authorizes only by default (capture omitted) and with capture false; then captures', async () => {
    const tok = await createToken(appota);
    const dflt = await charge(chargeBody(tok.tokenId, { capture: undefined, amount: 300000 }));
    expectOk(dflt);
    expect(dflt.json).toMatchObject({ status: 'AUTHORIZED', authorizedAmount: 300000, capturedAmount: 0 });

    const auth = await charge(chargeBody(tok.tokenId, { capture: false, amount: 500000 }));
    expectOk(auth);
    expect(auth.json).toMatchObject({ status: 'AUTHORIZED', authorizedAmount: 500000, capturedAmount: 0, currency: 'VND' });
    const id = auth.json.id as string;

    const cap = await appota.call('POST', `/credit-card/${id}/capture`, { amount: 500000, currency: 'VND' });
    expectOk(cap);
    expect(cap.json).toMatchObject({
      id,
      merchantRefId: auth.json.merchantRefId,
      status: 'CAPTURED',
      authorizedAmount: 500000,
      capturedAmount: 500000,
      tokenId: tok.tokenId,
    });
    const got = await appota.call('GET', `/credit-card/charge/${id}`);
    expectOk(got);
    expect(got.json).toMatchObject({ id, status: 'CAPTURED', capturedAmount: 500000 });

    // Fully captured: capturing again is refused, as "more than authorized" (1) or "not capturable" (9).
    const again = await appota.call('POST', `/credit-card/${id}/capture`, { amount: 500000, currency: 'VND' });
    expect(again.status).toBe(400);
    expect([1, 9]).toContain(again.json.errorCode);
    expect((await appota.call('GET', `/credit-card/charge/${id}`)).json.capturedAmount).toBe(500000);
  });

  it('captures part of an authorization', async () => {
    const tok = await createToken(appota);
    const auth = await charge(chargeBody(tok.tokenId, { capture: false, amount: 900000 }));
    expectOk(auth);
    const cap = await appota.call('POST', `/credit-card/${auth.json.id}/capture`, { amount: 400000, currency: 'VND' });
    expectOk(cap);
    expect(cap.json).toMatchObject({ status: 'CAPTURED', authorizedAmount: 900000, capturedAmount: 400000 });
  });

  it('echoes authenticationId and accepts customer and billing on a charge', async () => {
    const tok = await createToken(appota);
    const r = await charge(
      chargeBody(tok.tokenId, {
        authenticationId: 'AUTH-01HQHR4QQNK66D7TG3PK5MD08C',
        customer: seedExample().customer,
        billing: seedExample().billing,
      }),
    );
    expectOk(r);
    expect(r.json.authenticationId).toBe('AUTH-01HQHR4QQNK66D7TG3PK5MD08C');
    const plain = await charge(chargeBody(tok.tokenId));
    expectOk(plain);
    expect(plain.json.authenticationId ?? null).toBeNull();
  });

  it('reads a charge by its id and by merchantRefId', async () => {
    const tok = await createToken(appota);
    const body = chargeBody(tok.tokenId, { amount: 777000 });
    const made = await charge(body);
    expectOk(made);
    const byId = await appota.call('GET', `/credit-card/charge/${made.json.id}`);
    expectOk(byId);
    expect(byId.json).toEqual(made.json);
    const byIdExplicit = await appota.call('GET', `/credit-card/charge/${made.json.id}?referenceType=APPOTAPAY_REFERENCE_ID`);
    expectOk(byIdExplicit);
    expect(byIdExplicit.json).toEqual(made.json);
    const byRef = await appota.call(
      'GET',
      `/credit-card/charge/${encodeURIComponent(body.merchantRefId as string)}?referenceType=MERCHANT_REFERENCE_ID`,
    );
    expectOk(byRef);
    expect(byRef.json).toEqual(made.json);
  });

  it('keeps a declined charge (insufficient funds → 64) readable by merchantRefId', async () => {
    const tok = await createToken(appota, {}, { number: '4000000000009995' });
    const body = chargeBody(tok.tokenId, { amount: 120000 });
    const r = await charge(body);
    expect(r.status).toBe(400);
    expect(r.json.errorCode).toBe(64);
    expect(r.json.message).toEqual(expect.any(String));
    const got = await appota.call('GET', `/credit-card/charge/${body.merchantRefId}?referenceType=MERCHANT_REFERENCE_ID`);
    expectOk(got);
    expect(got.json).toMatchObject({ merchantRefId: body.merchantRefId, tokenId: tok.tokenId, currency: 'VND' });
    expect(got.json.id).toMatch(UPPER_ULID);
    expect(['AUTHORIZED', 'CAPTURED']).not.toContain(got.json.status);
    expect(got.json.capturedAmount ?? 0).toBe(0);
  });

  it('maps the other declines to their codes (60, 65, 70)', async () => {
    for (const [pan, code] of [
      ['4000000000000002', 60],
      ['4000000000009987', 65],
      ['4000000000000127', 70],
    ] as const) {
      const tok = await createToken(appota, {}, { number: pan });
      const r = await charge(chargeBody(tok.tokenId));
      expect(r.status, `${pan}: ${r.body}`).toBe(400);
      expect(r.json.errorCode, pan).toBe(code);
    }
  });

  it('holds the CVV encrypted until the first charge, then wipes it', async () => {
    const tok = await createToken(appota, {}, { cvv: '987' });
    const secretOf = () => t.vault.store.db.selectFrom('card_secrets').selectAll().where('card_id', '=', tok.tokenId).executeTakeFirst();
    const before = await secretOf();
    expect(before?.cvv_ct).toMatch(/^tv1\./);
    // Sealed, not stored: 3 bytes of ciphertext and the 16-byte tag (a substring test on ciphertext text could hit "987" by chance).
    expect(parseEnvelope(before?.cvv_ct as string).body.length).toBe('987'.length + 16);
    expectOk(await charge(chargeBody(tok.tokenId)));
    expect(await secretOf()).toBeUndefined();
    // The token keeps charging without the CVV.
    expectOk(await charge(chargeBody(tok.tokenId)));
  });
});

describe('AppotaPay token delete', () => {
  it('deletes a token; charging it afterwards is refused with 109, as is deleting again', async () => {
    const tok = await createToken(appota);
    const r = await appota.call('DELETE', `/credit-card/token/${tok.tokenId}?merchantRefId=${encodeURIComponent(tok.merchantRefId)}`);
    expectOk(r);
    expect(r.json).toEqual({ tokenId: tok.tokenId, merchantRefId: tok.merchantRefId, isDeleted: true });
    const c = await charge(chargeBody(tok.tokenId));
    expect(c.status).toBe(400);
    expect(c.json.errorCode).toBe(109);
    const again = await appota.call('DELETE', `/credit-card/token/${tok.tokenId}?merchantRefId=${encodeURIComponent(tok.merchantRefId)}`);
    expect(again.status).toBe(400);
    expect(again.json.errorCode).toBe(109);
    // The native API sees the same deletion.
    const n = await native.get(`/v1/cards/${tok.tokenId}`);
    expect(n.statusCode).toBe(200);
    expect(n.json().status).toBe('DELETED');
  });
});

describe('AppotaPay tokens are vault records', () => {
  it('is visible through the native API, masked', async () => {
    const tok = await createToken(appota, { tokenType: 'SINGLE' }, { holderName: 'NGUYEN VAN A', expirationMonth: '03' });
    const res = await native.get(`/v1/cards/${tok.tokenId}`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      token: tok.tokenId,
      brand: 'visa',
      bin: '400000',
      last4: '0010',
      status: 'ACTIVE',
      usage: 'SINGLE',
      expMonth: 3,
      expYear: 2029,
      holderName: 'NGUYEN VAN A',
    });
    expect(res.body).not.toContain('4000000000000010');
  });

  it('reads an AppotaPay charge by merchantRefId even when a native payment carries the same reference', async () => {
    const tok = await createToken(appota);
    const body = chargeBody(tok.tokenId, { amount: 150000 });
    const made = await charge(body);
    expectOk(made);
    // The merchant's order number, used again as the reference of a native payment.
    const np = await native.post('/v1/payments', { token: tok.tokenId, amount: 5000, currency: 'VND', reference: body.merchantRefId });
    expect(np.statusCode, np.body).toBe(201);
    const byRef = await appota.call('GET', `/credit-card/charge/${body.merchantRefId}?referenceType=MERCHANT_REFERENCE_ID`);
    expectOk(byRef);
    expect(byRef.json).toEqual(made.json);
  });

  it('keeps the PAN encrypted at rest', async () => {
    const tok = await createToken(appota);
    const row = await t.vault.store.db
      .selectFrom('cards')
      .innerJoin('instrument_identifiers', 'instrument_identifiers.id', 'cards.instrument_id')
      .select(['instrument_identifiers.pan_ct'])
      .where('cards.id', '=', tok.tokenId)
      .executeTakeFirstOrThrow();
    expect(row.pan_ct).toMatch(/^tv1\./);
    expect(row.pan_ct).not.toContain('4000000000000010');
  });
});
