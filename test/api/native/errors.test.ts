/**
 * Error behaviour of the native API: every bad request gets the right 4xx and a stable problem code,
 * never a 5xx, never a partial write, and never an echo of the card number.
 */
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AMEX,
  type Client,
  client,
  createCustomer,
  createMerchant,
  futureYear,
  MASTERCARD,
  makeTestApp,
  type TestApp,
  tokenize,
  VISA,
} from '../../helpers/harness.ts';

let t: TestApp;
let apiKey: string;
let c: Client;

/** Every response body this file received, for the card-number leak scan at the end. */
const seen: string[] = [];
const record = (res: LightMyRequestResponse): LightMyRequestResponse => {
  seen.push(res.body);
  return res;
};

beforeAll(async () => {
  t = await makeTestApp();
  apiKey = (await createMerchant(t)).apiKey;
  const base = client(t, apiKey);
  // The same client, recording every body it gets back.
  c = {
    get: async (url, headers) => record(await base.get(url, headers)),
    post: async (url, payload, headers) => record(await base.post(url, payload, headers)),
    patch: async (url, payload, headers) => record(await base.patch(url, payload, headers)),
    delete: async (url, headers) => record(await base.delete(url, headers)),
  };
});
afterAll(() => t.close());

/** A raw body with a chosen content type, for what the JSON client cannot send. */
const raw = async (method: 'POST' | 'PATCH', url: string, payload: string | Buffer, contentType?: string) =>
  record(
    await t.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${apiKey}`, ...(contentType ? { 'content-type': contentType } : {}) },
      payload,
    }),
  );

interface Counts {
  cards: number;
  instrument_identifiers: number;
  customers: number;
  addresses: number;
}

async function counts(): Promise<Counts> {
  const db = t.vault.store.db;
  const n = (r: { n: string | number | bigint } | undefined) => Number(r?.n ?? -1);
  return {
    cards: n(
      await db
        .selectFrom('cards')
        .select((e) => e.fn.countAll().as('n'))
        .executeTakeFirst(),
    ),
    instrument_identifiers: n(
      await db
        .selectFrom('instrument_identifiers')
        .select((e) => e.fn.countAll().as('n'))
        .executeTakeFirst(),
    ),
    customers: n(
      await db
        .selectFrom('customers')
        .select((e) => e.fn.countAll().as('n'))
        .executeTakeFirst(),
    ),
    addresses: n(
      await db
        .selectFrom('addresses')
        .select((e) => e.fn.countAll().as('n'))
        .executeTakeFirst(),
    ),
  };
}

function expectProblem(res: LightMyRequestResponse, status: number, code: string) {
  expect(res.statusCode, `${res.statusCode} ${res.body}`).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = res.json();
  expect(body).toMatchObject({ type: `urn:tokenvault:error:${code}`, status, code, title: expect.any(String) });
  return body as { code: string; detail?: string; errors?: Array<{ field: string; code: string; message: string }> };
}

/** Runs a request that must fail and asserts that no row was written by it. */
async function refusedWithoutWrites(req: () => Promise<LightMyRequestResponse>, status: number, code: string) {
  const before = await counts();
  const res = await req();
  const body = expectProblem(res, status, code);
  expect(await counts()).toEqual(before);
  return body;
}

const card = (over: Record<string, unknown> = {}) => ({ number: VISA, expMonth: 12, expYear: futureYear(), ...over });
const without = (key: string) => {
  const b: Record<string, unknown> = card();
  delete b[key];
  return b;
};
const thisYear = new Date().getUTCFullYear();

// Card numbers that look like card numbers and must never be echoed back or logged.
const PANS = [
  VISA,
  MASTERCARD,
  AMEX,
  '4111111111111112',
  '41111111111',
  '41111111111111111110',
  '4111 1111 1111 1111',
  '4111-1111-1111-1111',
];

describe('native API errors: card input', () => {
  const panCases: Array<[string, string, string]> = [
    ['a number failing the Luhn check', '4111111111111112', 'pan_luhn'],
    ['an 11-digit number', '41111111111', 'pan_length'],
    ['a 20-digit number', '41111111111111111110', 'pan_length'],
    ['letters', '4111abcd11111111', 'pan_not_digits'],
    ['spaces inside the number', '4111 1111 1111 1111', 'pan_not_digits'],
    ['dashes inside the number', '4111-1111-1111-1111', 'pan_not_digits'],
    ['a leading space', ` ${VISA}`, 'pan_not_digits'],
    ['non-ASCII digits', '４１１１１１１１１１１１１１１１', 'pan_not_digits'],
  ];
  for (const [label, number, issue] of panCases) {
    it(`refuses ${label} with 422 invalid_card_number (${issue})`, async () => {
      const body = await refusedWithoutWrites(() => c.post('/v1/cards', card({ number })), 422, 'invalid_card_number');
      expect(body.errors?.[0]).toMatchObject({ field: 'number', code: issue });
    });
  }

  it('refuses an empty card number as a validation failure on "number"', async () => {
    const body = await refusedWithoutWrites(() => c.post('/v1/cards', card({ number: '' })), 400, 'validation_failed');
    expect(body.errors?.[0]?.field).toBe('number');
  });

  it('refuses an expired card with 422 card_expired', async () => {
    await refusedWithoutWrites(() => c.post('/v1/cards', card({ expMonth: 12, expYear: thisYear - 1 })), 422, 'card_expired');
  });

  it('refuses an expiry more than 20 years ahead with 422 invalid_expiry', async () => {
    await refusedWithoutWrites(() => c.post('/v1/cards', card({ expMonth: 1, expYear: 2099 })), 422, 'invalid_expiry');
  });

  const fieldCases: Array<[string, Record<string, unknown>, string, string]> = [
    ['expMonth 13', card({ expMonth: 13 }), 'expMonth', 'maximum'],
    ['expMonth 0', card({ expMonth: 0 }), 'expMonth', 'minimum'],
    ['a two-digit expYear', card({ expYear: 99 }), 'expYear', 'minimum'],
    ['expMonth as the string "12"', card({ expMonth: '12' }), 'expMonth', 'wrong_type'],
    ['expYear as a string', card({ expYear: String(futureYear()) }), 'expYear', 'wrong_type'],
    ['a fractional expMonth', card({ expMonth: 6.5 }), 'expMonth', 'wrong_type'],
    ['the card number as a JSON number', card({ number: Number(VISA) }), 'number', 'wrong_type'],
    ['an unknown top-level field (pin)', card({ pin: '1234' }), 'pin', 'unknown_field'],
    [
      'an unknown nested field in billingAddress',
      card({ billingAddress: { line1: '1 Main St', planet: 'Mars' } }),
      'billingAddress.planet',
      'unknown_field',
    ],
    ['a lower-case country', card({ billingAddress: { country: 'gb' } }), 'billingAddress.country', 'pattern'],
    [
      'metadata with 21 keys',
      card({ metadata: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, 'v'])) }),
      'metadata',
      'maxProperties',
    ],
    ['a metadata value that is not a string', card({ metadata: { order: 1 } }), 'metadata.order', 'wrong_type'],
    ['usage FOREVER', card({ usage: 'FOREVER' }), 'usage', ''],
    ['default as a string', card({ default: 'true' }), 'default', 'wrong_type'],
    ['a missing number', without('number'), 'number', 'required'],
    ['a missing expMonth', without('expMonth'), 'expMonth', 'required'],
    ['a missing expYear', without('expYear'), 'expYear', 'required'],
  ];
  for (const [label, payload, field, code] of fieldCases) {
    it(`refuses ${label} with 400 validation_failed naming "${field}"`, async () => {
      const body = await refusedWithoutWrites(() => c.post('/v1/cards', payload), 400, 'validation_failed');
      const issue = body.errors?.find((e) => e.field === field);
      expect(issue, JSON.stringify(body.errors)).toBeDefined();
      if (code) expect(issue?.code).toBe(code);
      expect(issue?.message).toEqual(expect.any(String));
    });
  }

  it('reports every missing required field at once', async () => {
    const body = await refusedWithoutWrites(() => c.post('/v1/cards', {}), 400, 'validation_failed');
    expect(
      body.errors
        ?.filter((e) => e.code === 'required')
        .map((e) => e.field)
        .sort(),
    ).toEqual(['expMonth', 'expYear', 'number']);
  });

  it('refuses invalid customer bodies without creating a customer', async () => {
    for (const [payload, field, code] of [
      [{ customerId: '' }, 'customerId', 'minLength'],
      [{ email: 'not-an-email' }, 'email', 'pattern'],
      [{ name: 7 }, 'name', 'wrong_type'],
      [{ id: 'cus_mine' }, 'id', 'unknown_field'],
      [{ metadata: { 'bad key!': 'v' } }, 'metadata', ''],
    ] as Array<[Record<string, unknown>, string, string]>) {
      const body = await refusedWithoutWrites(() => c.post('/v1/customers', payload), 400, 'validation_failed');
      const issue = body.errors?.find((e) => e.field.startsWith(field));
      expect(issue, `${JSON.stringify(payload)} → ${JSON.stringify(body.errors)}`).toBeDefined();
      if (code) expect(issue?.code).toBe(code);
    }
  });
});

describe('native API errors: bodies and media types', () => {
  for (const url of ['/v1/cards', '/v1/customers']) {
    it(`${url}: malformed JSON is 400 invalid_json`, async () => {
      await refusedWithoutWrites(() => raw('POST', url, `{"number":"${VISA}",`, 'application/json'), 400, 'invalid_json');
      await refusedWithoutWrites(() => raw('POST', url, "{'single':'quotes'}", 'application/json'), 400, 'invalid_json');
    });

    it(`${url}: an empty body sent as JSON is 400 invalid_json`, async () => {
      await refusedWithoutWrites(() => raw('POST', url, '', 'application/json'), 400, 'invalid_json');
    });

    it(`${url}: a body over the limit (~2 MB) is 413 body_too_large`, async () => {
      const big = JSON.stringify({ ...card(), holderName: 'x'.repeat(2 * 1024 * 1024) });
      await refusedWithoutWrites(() => raw('POST', url, big, 'application/json'), 413, 'body_too_large');
    });

    it(`${url}: text/plain and form bodies are 415 unsupported_media_type`, async () => {
      await refusedWithoutWrites(() => raw('POST', url, JSON.stringify(card()), 'text/plain'), 415, 'unsupported_media_type');
      await refusedWithoutWrites(
        () => raw('POST', url, `number=${VISA}&expMonth=12&expYear=${futureYear()}`, 'application/x-www-form-urlencoded'),
        415,
        'unsupported_media_type',
      );
      await refusedWithoutWrites(
        () => raw('POST', url, `<card><number>${VISA}</number></card>`, 'application/xml'),
        415,
        'unsupported_media_type',
      );
      await refusedWithoutWrites(() => raw('POST', url, JSON.stringify(card()), 'application/octet-stream'), 415, 'unsupported_media_type');
      await refusedWithoutWrites(
        () =>
          raw(
            'POST',
            url,
            `--x\r\nContent-Disposition: form-data; name="number"\r\n\r\n${VISA}\r\n--x--\r\n`,
            'multipart/form-data; boundary=x',
          ),
        415,
        'unsupported_media_type',
      );
    });

    it(`${url}: JSON that is not an object (array, null, string, number) is 400 validation_failed`, async () => {
      for (const payload of [JSON.stringify([card()]), 'null', JSON.stringify(VISA), '42', 'true']) {
        const body = await refusedWithoutWrites(() => raw('POST', url, payload, 'application/json'), 400, 'validation_failed');
        expect(body.errors?.[0]).toMatchObject({ field: 'body', code: 'wrong_type' });
      }
    });
  }

  it('a prototype-pollution body is refused and pollutes nothing', async () => {
    const payload = `{"number":"${VISA}","expMonth":12,"expYear":${futureYear()},"__proto__":{"polluted":true}}`;
    await refusedWithoutWrites(() => raw('POST', '/v1/cards', payload, 'application/json'), 400, 'invalid_json');
    const viaConstructor = `{"name":"x","constructor":{"prototype":{"polluted":true}}}`;
    await refusedWithoutWrites(() => raw('POST', '/v1/customers', viaConstructor, 'application/json'), 400, 'invalid_json');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('native API errors: pagination and query strings', () => {
  const lists = ['/v1/cards', '/v1/customers'];

  it('refuses limit=0, limit=101, limit=abc, limit=-1, limit=1.5 and an empty limit with validation_failed on "limit"', async () => {
    for (const url of lists) {
      for (const limit of ['0', '101', 'abc', '-1', '1.5', '', '007']) {
        const body = expectProblem(await c.get(`${url}?limit=${limit}`), 400, 'validation_failed');
        expect(body.errors?.[0]?.field, `${url}?limit=${limit}`).toBe('limit');
      }
      // The bounds themselves are fine.
      expect((await c.get(`${url}?limit=1`)).statusCode).toBe(200);
      expect((await c.get(`${url}?limit=100`)).statusCode).toBe(200);
    }
  });

  it('refuses a cursor the server did not make with 400 invalid_cursor', async () => {
    const cus = await createCustomer(c);
    const forged = Buffer.from('not-a-date|cus_x').toString('base64url');
    for (const url of [...lists, `/v1/customers/${cus.id}/cards`, `/v1/customers/${cus.id}/addresses`]) {
      for (const cursor of ['garbage', '!!!', forged, 'x'.repeat(150)]) {
        expectProblem(await c.get(`${url}?cursor=${encodeURIComponent(cursor)}`), 400, 'invalid_cursor');
      }
    }
  });

  it('refuses unknown query parameters with unknown_field', async () => {
    for (const url of [...lists, '/v1/customers?customerId=x']) {
      const sep = url.includes('?') ? '&' : '?';
      const body = expectProblem(await c.get(`${url}${sep}offset=10`), 400, 'validation_failed');
      expect(body.errors?.[0]).toMatchObject({ field: 'offset', code: 'unknown_field' });
    }
  });
});

describe('native API errors: If-Match', () => {
  it('PATCH card: malformed If-Match is 400 invalid_if_match, stale is 412 version_mismatch; the card is unchanged', async () => {
    const made = await tokenize(c, { holderName: 'Original' });
    const url = `/v1/cards/${made.token}`;
    const before = (await c.get(url)).json();
    for (const bad of ['abc', '"abc"', '*', '"1", "2"', '"-1"', '"1234567890"']) {
      expectProblem(await c.patch(url, { holderName: 'Changed' }, { 'if-match': bad }), 400, 'invalid_if_match');
    }
    for (const stale of ['"0"', '"2"', 'W/"7"']) {
      expectProblem(await c.patch(url, { holderName: 'Changed' }, { 'if-match': stale }), 412, 'version_mismatch');
    }
    // The same guard on status changes and deletes.
    expectProblem(await c.post(`${url}/status`, { status: 'SUSPENDED' }, { 'if-match': '"9"' }), 412, 'version_mismatch');
    expectProblem(await c.delete(url, { 'if-match': '"9"' }), 412, 'version_mismatch');
    expectProblem(await c.delete(url, { 'if-match': 'nope' }), 400, 'invalid_if_match');
    const after = await c.get(url);
    expect(after.json()).toEqual(before);
    expect(after.json()).toMatchObject({ holderName: 'Original', status: 'ACTIVE', version: 1 });
    expect(after.headers.etag).toBe('"1"');
    // Control: the current ETag is accepted.
    expect((await c.patch(url, { holderName: 'Changed' }, { 'if-match': '"1"' })).statusCode).toBe(200);
  });

  it('PATCH customer: malformed If-Match is 400 invalid_if_match, stale is 412 version_mismatch; the customer is unchanged', async () => {
    const cus = await createCustomer(c, { name: 'Original', customerId: 'if-match-owner' });
    const url = `/v1/customers/${cus.id}`;
    const before = (await c.get(url)).json();
    for (const bad of ['abc', '"v1"', '*']) {
      expectProblem(await c.patch(url, { name: 'Changed' }, { 'if-match': bad }), 400, 'invalid_if_match');
    }
    for (const stale of ['"0"', '"2"']) {
      expectProblem(await c.patch(url, { name: 'Changed' }, { 'if-match': stale }), 412, 'version_mismatch');
    }
    expectProblem(await c.delete(url, { 'if-match': '"5"' }), 412, 'version_mismatch');
    expect((await c.get(url)).json()).toEqual(before);
    expect(before).toMatchObject({ name: 'Original', version: 1 });
    expect((await c.patch(url, { name: 'Changed' }, { 'if-match': '"1"' })).json()).toMatchObject({ name: 'Changed', version: 2 });
  });
});

describe('native API errors: conflicts', () => {
  it('refuses a duplicate customerId with 409 duplicate_customer_id, and frees it once the holder is deleted', async () => {
    const first = await createCustomer(c, { customerId: 'dup-1', name: 'First' });
    const body = await refusedWithoutWrites(
      () => c.post('/v1/customers', { customerId: 'dup-1', name: 'Second' }),
      409,
      'duplicate_customer_id',
    );
    expect(body.errors?.[0]).toMatchObject({ field: 'customerId' });

    // Renaming another customer onto a taken id is refused too, and leaves it as it was.
    const other = await createCustomer(c, { customerId: 'dup-2' });
    await refusedWithoutWrites(() => c.patch(`/v1/customers/${other.id}`, { customerId: 'dup-1' }), 409, 'duplicate_customer_id');
    expect((await c.get(`/v1/customers/${other.id}`)).json()).toMatchObject({ customerId: 'dup-2', version: 1 });

    expect((await c.delete(`/v1/customers/${first.id}`)).statusCode).toBe(200);
    const again = await c.post('/v1/customers', { customerId: 'dup-1', name: 'Again' });
    expect(again.statusCode).toBe(201);
    expect(again.json().id).not.toBe(first.id);
    expect((await c.get('/v1/customers?customerId=dup-1')).json().data.map((x: { id: string }) => x.id)).toEqual([again.json().id]);
  });

  it('keeps a deleted card deleted: PATCH and status changes are 409 card_deleted', async () => {
    const made = await tokenize(c, { number: MASTERCARD });
    const url = `/v1/cards/${made.token}`;
    expect((await c.delete(url)).json().status).toBe('DELETED');
    const before = (await c.get(url)).json();
    await refusedWithoutWrites(() => c.patch(url, { holderName: 'Zombie' }), 409, 'card_deleted');
    await refusedWithoutWrites(() => c.patch(url, { expMonth: 1, expYear: futureYear() }), 409, 'card_deleted');
    await refusedWithoutWrites(() => c.post(`${url}/status`, { status: 'ACTIVE' }), 409, 'card_deleted');
    await refusedWithoutWrites(() => c.post(`${url}/status`, { status: 'SUSPENDED' }), 409, 'card_deleted');
    expect((await c.get(url)).json()).toEqual(before);
    expect(before).toMatchObject({ status: 'DELETED', holderName: null });
  });

  it('refuses an Idempotency-Key reused with a different body with 409 idempotency_key_reused', async () => {
    const key = 'errors-idem-1';
    const first = await c.post('/v1/cards', card(), { 'idempotency-key': key });
    expect(first.statusCode).toBe(201);
    await refusedWithoutWrites(
      () => c.post('/v1/cards', card({ number: MASTERCARD }), { 'idempotency-key': key }),
      409,
      'idempotency_key_reused',
    );
    // The same body replays the first result rather than making a second card.
    const before = await counts();
    const replay = await c.post('/v1/cards', card(), { 'idempotency-key': key });
    expect(replay.json().token).toBe(first.json().token);
    expect(await counts()).toEqual(before);
  });

  it('refuses statuses a client cannot set (EXPIRED, CONSUMED) with validation_failed', async () => {
    const made = await tokenize(c);
    await refusedWithoutWrites(() => c.post(`/v1/cards/${made.token}/status`, { status: 'EXPIRED' }), 400, 'validation_failed');
    await refusedWithoutWrites(() => c.post(`/v1/cards/${made.token}/status`, { status: 'CONSUMED' }), 400, 'validation_failed');
    expect((await c.get(`/v1/cards/${made.token}`)).json()).toMatchObject({ status: 'ACTIVE', version: 1 });
  });
});

describe('native API errors: text the databases must store', () => {
  // PostgreSQL text cannot hold U+0000; a client sending one must get a 4xx or have it stored, never a 500.
  it('answers a NUL character in customer, address and card text fields with a 2xx or a 4xx, never a 5xx', async () => {
    const cus = await createCustomer(c);
    const made = await tokenize(c);
    const cases: Array<['POST' | 'PATCH', string, Record<string, unknown>]> = [
      ['POST', '/v1/customers', { customerId: 'nul\u0000id' }],
      ['POST', '/v1/customers', { name: 'Ada\u0000Lovelace' }],
      ['PATCH', `/v1/customers/${cus.id}`, { name: 'Ada\u0000Lovelace' }],
      ['POST', `/v1/customers/${cus.id}/addresses`, { address: { city: 'Lon\u0000don' } }],
      ['POST', '/v1/cards', card({ holderName: 'Ada\u0000Lovelace' })],
      ['POST', '/v1/cards', card({ billingAddress: { city: 'Lon\u0000don' } })],
      ['PATCH', `/v1/cards/${made.token}`, { holderName: 'Ada\u0000Lovelace' }],
    ];
    const failures: string[] = [];
    for (const [method, url, payload] of cases) {
      const before = await counts();
      const res = method === 'POST' ? await c.post(url, payload) : await c.patch(url, payload);
      const where = `${method} ${url.replace(/[a-z]+_[A-Za-z0-9_-]+/g, ':id')} ${JSON.stringify(payload)} → ${res.statusCode} ${res.json().code ?? ''}`;
      if (res.statusCode >= 500) failures.push(where);
      else if (res.statusCode >= 400) {
        expect(res.headers['content-type'], where).toMatch(/^application\/problem\+json/);
        expect(await counts(), where).toEqual(before);
      }
    }
    expect(failures).toEqual([]);
  });

  // JSON may carry a lone UTF-16 surrogate ("\ud800"), which no UTF-8 database column can hold. The API must
  // refuse it or store it faithfully; answering 201 with one value and storing another is silent corruption.
  it('stores exactly the text the create response reports, even for a lone surrogate', async () => {
    const mismatches: string[] = [];
    const check = async (
      url: string,
      payload: Record<string, unknown>,
      read: (id: string) => string,
      field: (b: Record<string, unknown>) => unknown,
    ) => {
      const res = await raw('POST', url, JSON.stringify(payload), 'application/json');
      expect(res.statusCode, res.body).toBeLessThan(500);
      if (res.statusCode !== 201) return;
      const created = res.json();
      const again = (await c.get(read(created.id ?? created.token))).json();
      if (JSON.stringify(field(again)) !== JSON.stringify(field(created))) {
        mismatches.push(`${url}: 201 said ${JSON.stringify(field(created))}, a later read says ${JSON.stringify(field(again))}`);
      }
    };
    await check(
      '/v1/customers',
      { name: 'Ada \ud800 Lovelace' },
      (id) => `/v1/customers/${id}`,
      (b) => b.name,
    );
    await check(
      '/v1/cards',
      card({ holderName: 'Ada \udfff Lovelace' }),
      (tok) => `/v1/cards/${tok}`,
      (b) => b.holderName,
    );
    const owner = await createCustomer(c);
    await check(
      `/v1/customers/${owner.id}/addresses`,
      { address: { city: 'Lon\ud800don' } },
      (id) => `/v1/customers/${owner.id}/addresses/${id}`,
      (b) => (b.address as Record<string, unknown>).city,
    );
    expect(mismatches).toEqual([]);
  });
});

describe('native API errors: random bodies (property)', () => {
  // Mostly valid bodies with a few fields replaced by anything, so the handler and the store are reached,
  // plus bodies that are any JSON value, any object, or not JSON at all.
  const text = fc.oneof(
    fc.string({ minLength: 1, maxLength: 40 }),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
  );
  const metaKey = fc.string({ unit: fc.constantFrom(...'abcXYZ019_.-'), minLength: 1, maxLength: 8 });
  const metadata = fc.dictionary(metaKey, fc.oneof(text, fc.constant('')), { maxKeys: 4 });
  const address = fc.record({ line1: text, city: text, country: fc.constantFrom('GB', 'US', 'FR') }, { requiredKeys: [] });
  const validCard = fc.record(
    {
      number: fc.constantFrom(VISA, MASTERCARD, AMEX, '5105105105105100', '4000056655665556', '4111111111111112', '411111111111'),
      expMonth: fc.integer({ min: 1, max: 12 }),
      expYear: fc.integer({ min: thisYear - 1, max: thisYear + 22 }),
      holderName: text,
      billingAddress: address,
      usage: fc.constantFrom('SINGLE', 'MULTIPLE'),
      default: fc.boolean(),
      metadata,
    },
    { requiredKeys: ['number', 'expMonth', 'expYear'] },
  );
  const validCustomer = fc.record(
    { customerId: text, name: text, email: fc.emailAddress(), phone: fc.constantFrom('+44 20 7946 0000', '(555) 010-9999'), metadata },
    { requiredKeys: [] },
  );
  const mutated = (valid: fc.Arbitrary<Record<string, unknown>>, fields: string[]) =>
    fc
      .tuple(valid, fc.dictionary(fc.constantFrom(...fields, 'extra', '__proto__', 'constructor'), fc.anything(), { maxKeys: 2 }))
      .map(([v, m]) => ({ ...v, ...m }));
  const bodies = (valid: fc.Arbitrary<Record<string, unknown>>, fields: string[]) =>
    fc.oneof(
      { weight: 3, arbitrary: valid.map((v) => JSON.stringify(v)) },
      { weight: 3, arbitrary: mutated(valid, fields).map((v) => JSON.stringify(v)) },
      { weight: 1, arbitrary: fc.anything().map((v) => JSON.stringify(v) ?? '') },
      { weight: 1, arbitrary: fc.object().map((v) => JSON.stringify(v)) },
      { weight: 1, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary' }) },
    );

  // Inputs that once broke a backend run first, every time, so a regression is not left to chance.
  const cases: Array<[string, fc.Arbitrary<string>, string[]]> = [
    [
      '/v1/cards',
      bodies(validCard, ['number', 'expMonth', 'expYear', 'holderName', 'billingAddress', 'customer', 'usage', 'default', 'metadata']),
      [JSON.stringify(card({ holderName: '\u0000' }))],
    ],
    ['/v1/customers', bodies(validCustomer, ['customerId', 'name', 'email', 'phone', 'metadata']), [JSON.stringify({ name: '\u0000' })]],
  ];
  for (const [url, arbitrary, known] of cases) {
    it(`${url}: 200 random bodies never yield a 5xx; always a 201 or a problem+json`, async () => {
      const statuses = new Map<number, number>();
      await fc.assert(
        fc.asyncProperty(arbitrary, async (payload) => {
          const res = await raw('POST', url, payload, 'application/json');
          statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
          if (res.statusCode >= 500) throw new Error(`${res.statusCode} ${res.body}`);
          if (res.statusCode === 201) {
            expect(res.headers['content-type']).toMatch(/^application\/json/);
          } else {
            expect(res.statusCode).toBeGreaterThanOrEqual(400);
            expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
            const p = res.json();
            expect(p.status).toBe(res.statusCode);
            expect(p.code).toMatch(/^[a-z_]+$/);
          }
        }),
        { numRuns: 200, examples: known.map((k) => [k] as [string]) },
      );
      // The bodies reached both the validator and the vault: some were refused, some stored.
      expect(statuses.get(201) ?? 0).toBeGreaterThan(10);
      expect(statuses.get(400) ?? 0).toBeGreaterThan(10);
    });
  }
});

describe('native API errors: card numbers never leak', () => {
  it('a card number in the URL is not written to the log', async () => {
    expectProblem(await c.get(`/v1/cards/${VISA}`), 404, 'card_not_found');
    expectProblem(await c.get(`/v1/cards?customer=${MASTERCARD}`), 404, 'customer_not_found');
  });

  it('no response body and no log line of this file contains a card number', () => {
    expect(seen.length).toBeGreaterThan(100);
    const logs = t.logs.join('\n');
    expect(logs.length).toBeGreaterThan(0);
    for (const pan of PANS) {
      const leaks = seen.filter((b) => b.includes(pan));
      expect(leaks, `response bodies containing ${pan}`).toEqual([]);
      expect(logs.includes(pan), `logs contain ${pan}`).toBe(false);
    }
  });
});
