/**
 * 2C2P Customer Token Maintenance, happy path: a 2C2P merchant adds, updates, reads and deletes a customer
 * token with the seed's own payloads and gets the seed's responses back, signed and encrypted as 2C2P does;
 * the token is the same card the native API sees.
 */
import { compactVerify, decodeProtectedHeader } from 'jose';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Client,
  client,
  createMerchant,
  futureYear,
  makeTestApp,
  type TestApp,
  type TestMerchant,
  VISA,
} from '../../helpers/harness.ts';
import { buildRequest, openResponse, postRaw, setTwoc2pMerchantId, type Twoc2pClient } from './helpers.ts';

// The seed's payloads exactly as printed (seeds/000_685943a669af653a.txt).
const SEED_MERCHANT_ID = '458458000000000';
const SEED_TOKEN = '261020155003189559';
const SEED_ADD = {
  merchantID: '458458000000000',
  accountNo: '4111111111111111',
  name: 'Terrance',
  email: '[email protected]',
  expiry: '2024-02-01',
  accountIssuer: 'UOB Bank',
  accountIssuerCountry: 'SG',
  accountCurrency: 'SGD',
  tokenProvider: 'CC',
};
const SEED_UPDATE = {
  merchantID: '458458000000000',
  token: '261020155003189559',
  name: 'Terrance',
  email: '[email protected]',
  expiry: '2024-09-30',
  accountIssuer: 'HSBC Bank',
  accountIssuerCountry: 'MY',
  accountCurrency: 'MYR',
  tokenProvider: 'CC',
};
const SEED_GET = { merchantID: '458458000000000', token: '261020155003189559' };
const SEED_DELETE = { merchantID: '458458000000000', token: '261020155003189559' };

// The seed's response key sets.
const ADD_KEYS = [
  'merchantID',
  'token',
  'tokenReference',
  'accountNo',
  'name',
  'email',
  'expiry',
  'accountIssuer',
  'accountIssuerCountry',
  'accountCurrency',
  'channelCode',
  'subChannelCode',
  'responseCode',
  'responseDesc',
];
const UPDATE_KEYS = [
  'merchantID',
  'token',
  'name',
  'email',
  'expiry',
  'accountIssuer',
  'accountIssuerCountry',
  'accountCurrency',
  'channelCode',
  'subChannelCode',
  'responseCode',
  'responseDesc',
];
const GET_KEYS = UPDATE_KEYS;
const DELETE_KEYS = ['merchantID', 'token', 'responseCode', 'responseDesc'];

const sorted = (keys: string[]) => [...keys].sort();
const Y = futureYear();
/** The seed's date with the (now past) year moved to a future one. */
const future = (date: string) => `${Y}${date.slice(4)}`;

let t: TestApp;
let m: TestMerchant;
let c2: Twoc2pClient;
let native: Client;

const countRows = async (table: 'cards' | 'instrument_identifiers') =>
  Number((await t.vault.store.db.selectFrom(table).select(t.vault.store.db.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

/** A valid add for the extra scenarios (ordinary e-mail address, future expiry). */
const addPayload = (over: Record<string, unknown> = {}) => ({
  merchantID: SEED_MERCHANT_ID,
  accountNo: VISA,
  name: 'Terrance',
  email: 'terrance@example.com',
  expiry: `${Y}-02-01`,
  accountIssuer: 'UOB Bank',
  accountIssuerCountry: 'SG',
  accountCurrency: 'SGD',
  tokenProvider: 'CC',
  ...over,
});

async function addOk(over: Record<string, unknown> = {}): Promise<string> {
  const r = await c2.call('add', addPayload(over));
  expect(r.status, r.body).toBe(200);
  expect(r.json?.responseCode, JSON.stringify(r.json)).toBe('0000');
  return r.json?.token as string;
}

beforeAll(async () => {
  t = await makeTestApp();
  m = await createMerchant(t, '2C2P seed merchant');
  // The seed's merchantID, so its payloads go out byte for byte as printed.
  c2 = await setTwoc2pMerchantId(t, m, SEED_MERCHANT_ID);
  native = client(t, m.apiKey);
});
afterAll(() => t.close());

describe('2C2P customer token maintenance: the seed flow', () => {
  let token: string | undefined;

  it('answers the seed add as printed with 9004 (its expiry 2024-02-01 is past) and stores nothing', async () => {
    const r = await c2.call('add', SEED_ADD);
    expect(r.status, r.body).toBe(200);
    expect(r.json).toMatchObject({ merchantID: SEED_MERCHANT_ID, responseCode: '9004' });
    // Refused for its expiry, not for anything else in the printed payload.
    expect(r.json?.responseDesc).toMatch(/expir/i);
    expect(r.json).not.toHaveProperty('token');
    expect(await countRows('cards')).toBe(0);
    expect(await countRows('instrument_identifiers')).toBe(0);
  });

  it('adds the seed card with the year moved to the future: 0000 and exactly the seed response fields', async () => {
    const payload = { ...SEED_ADD, expiry: future(SEED_ADD.expiry) };
    const r = await c2.call('add', payload);
    expect(r.status, r.body).toBe(200);
    const json = r.json as Record<string, unknown>;
    expect(sorted(Object.keys(json)), JSON.stringify(json)).toEqual(sorted(ADD_KEYS));
    expect(json.token).toMatch(/^[0-9]{18}$/);
    expect(json).toEqual({
      merchantID: SEED_MERCHANT_ID,
      token: json.token,
      tokenReference: '',
      accountNo: '411111XXXXXX1111',
      name: 'Terrance',
      email: SEED_ADD.email,
      expiry: payload.expiry,
      accountIssuer: 'UOB Bank',
      accountIssuerCountry: 'SG',
      accountCurrency: 'SGD',
      channelCode: '',
      subChannelCode: '',
      responseCode: '0000',
      responseDesc: 'Success',
    });
    token = json.token as string;
    expect(await countRows('cards')).toBe(1);
  });

  it('updates the token with the seed update payload: 0000 and the seed update fields (no accountNo, no tokenReference)', async () => {
    expect(token, 'the seed add must have succeeded').toBeDefined();
    const payload = { ...SEED_UPDATE, token, expiry: future(SEED_UPDATE.expiry) };
    const r = await c2.call('update', payload);
    expect(r.status, r.body).toBe(200);
    const json = r.json as Record<string, unknown>;
    expect(sorted(Object.keys(json)), JSON.stringify(json)).toEqual(sorted(UPDATE_KEYS));
    expect(json).toEqual({
      merchantID: SEED_MERCHANT_ID,
      token,
      name: 'Terrance',
      email: SEED_UPDATE.email,
      expiry: payload.expiry,
      accountIssuer: 'HSBC Bank',
      accountIssuerCountry: 'MY',
      accountCurrency: 'MYR',
      channelCode: '',
      subChannelCode: '',
      responseCode: '0000',
      responseDesc: 'Success',
    });
  });

  it('reads the token with the seed inquiry payload: the updated fields, the seed get key set', async () => {
    expect(token, 'the seed add must have succeeded').toBeDefined();
    const r = await c2.call('get', { ...SEED_GET, token });
    expect(r.status, r.body).toBe(200);
    const json = r.json as Record<string, unknown>;
    expect(sorted(Object.keys(json))).toEqual(sorted(GET_KEYS));
    expect(json).toEqual({
      merchantID: SEED_MERCHANT_ID,
      token,
      name: 'Terrance',
      email: SEED_UPDATE.email,
      expiry: future(SEED_UPDATE.expiry),
      accountIssuer: 'HSBC Bank',
      accountIssuerCountry: 'MY',
      accountCurrency: 'MYR',
      channelCode: '',
      subChannelCode: '',
      responseCode: '0000',
      responseDesc: 'Success',
    });
  });

  it('deletes the token with the seed delete payload: exactly {merchantID, token, responseCode, responseDesc}', async () => {
    expect(token, 'the seed add must have succeeded').toBeDefined();
    const r = await c2.call('delete', { ...SEED_DELETE, token });
    expect(r.status, r.body).toBe(200);
    expect(sorted(Object.keys(r.json ?? {}))).toEqual(sorted(DELETE_KEYS));
    expect(r.json).toEqual({ merchantID: SEED_MERCHANT_ID, token, responseCode: '0000', responseDesc: 'Success' });
    // Gone for 2C2P, and for the native API the card is deleted too.
    const again = await c2.call('get', { ...SEED_GET, token });
    expect(again.json).toMatchObject({ merchantID: SEED_MERCHANT_ID, token, responseCode: '9040' });
    const n = await native.get(`/v1/cards/${token}`);
    expect(n.statusCode, n.body).toBe(200);
    expect(n.json().status).toBe('DELETED');
  });

  it('audits the create, update and delete with a twoc2p actor', async () => {
    expect(token, 'the seed add must have succeeded').toBeDefined();
    const events = await t.vault.store.db
      .selectFrom('audit_events')
      .select(['action', 'actor', 'merchant_id'])
      .where('target', '=', token as string)
      .orderBy('seq')
      .execute();
    expect(events.map((e) => e.action)).toEqual(['card.create', 'card.update', 'card.delete']);
    for (const e of events) {
      expect(e.actor).toMatch(/^twoc2p:/);
      expect(e.merchant_id).toBe(m.id);
    }
  });

  it('does not know the seed example token (tokens are made by this vault)', async () => {
    const r = await c2.call('get', SEED_GET);
    expect(r.json).toMatchObject({ merchantID: SEED_MERCHANT_ID, token: SEED_TOKEN, responseCode: '9040' });
  });
});

describe('2C2P wire format', () => {
  it('signs responses PS256 with kid "1" over a JWE RSA-OAEP/A256GCM, sent as text/plain', async () => {
    const jws = await buildRequest(addPayload(), c2.vaultPublic, c2.merchantPrivate);
    const res = await postRaw(t, 'add', jws);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body.split('.')).toHaveLength(3);
    expect(decodeProtectedHeader(res.body)).toEqual({ alg: 'PS256', kid: '1' });
    const { payload } = await compactVerify(res.body, c2.vaultPublic, { algorithms: ['PS256'] });
    const jwe = new TextDecoder().decode(payload);
    expect(jwe.split('.')).toHaveLength(5);
    expect(decodeProtectedHeader(jwe)).toEqual({ alg: 'RSA-OAEP', enc: 'A256GCM' });
    expect(await openResponse(res.body, c2.vaultPublic, c2.merchantPrivate)).toMatchObject({ responseCode: '0000' });
  });

  it('accepts the JSON wrapper {"payload": "<jws>"} for every operation', async () => {
    const add = await c2.call('add', addPayload({ name: 'Json Wrapper' }), { json: true });
    expect(add.status, add.body).toBe(200);
    expect(add.json).toMatchObject({ responseCode: '0000', name: 'Json Wrapper' });
    const token = add.json?.token as string;
    const upd = await c2.call(
      'update',
      { merchantID: SEED_MERCHANT_ID, token, name: 'Json Renamed', expiry: `${Y}-05-31` },
      { json: true },
    );
    expect(upd.json).toMatchObject({ responseCode: '0000', name: 'Json Renamed', expiry: `${Y}-05-31` });
    const get = await c2.call('get', { merchantID: SEED_MERCHANT_ID, token }, { json: true });
    expect(get.json).toMatchObject({ responseCode: '0000', name: 'Json Renamed', expiry: `${Y}-05-31` });
    const del = await c2.call('delete', { merchantID: SEED_MERCHANT_ID, token }, { json: true });
    expect(del.json).toEqual({ merchantID: SEED_MERCHANT_ID, token, responseCode: '0000', responseDesc: 'Success' });
  });

  it('ignores extra protected-header members (typ "JWT", cty, kid) on the request JWS', async () => {
    const jws = await buildRequest(addPayload({ name: 'Header Extras' }), c2.vaultPublic, c2.merchantPrivate, {
      typ: 'JWT',
      cty: 'JWT',
      kid: 'merchant-key-1',
    });
    const res = await postRaw(t, 'add', jws);
    expect(res.statusCode, res.body).toBe(200);
    expect(await openResponse(res.body, c2.vaultPublic, c2.merchantPrivate)).toMatchObject({ responseCode: '0000', name: 'Header Extras' });
  });
});

describe('one vault behind both APIs', () => {
  it('shows a 2C2P token through the native API, masked and branded', async () => {
    const token = await addOk({ name: 'Native Reader', expiry: `${Y}-07-15` });
    const res = await native.get(`/v1/cards/${token}`);
    expect(res.statusCode, res.body).toBe(200);
    const card = res.json();
    expect(card).toMatchObject({
      token,
      brand: 'visa',
      bin: '411111',
      last4: '1111',
      maskedNumber: '411111******1111',
      expMonth: 7,
      expYear: Y,
      holderName: 'Native Reader',
      status: 'ACTIVE',
    });
    expect(res.body).not.toContain(VISA);
  });

  it('reads a natively tokenized card through 2C2P get', async () => {
    const res = await native.post('/v1/cards', { number: '5555555555554444', expMonth: 12, expYear: Y, holderName: 'Ada Lovelace' });
    expect(res.statusCode, res.body).toBe(201);
    const token = res.json().token as string;
    const r = await c2.call('get', { merchantID: SEED_MERCHANT_ID, token });
    expect(r.status, r.body).toBe(200);
    expect(sorted(Object.keys(r.json ?? {}))).toEqual(sorted(GET_KEYS));
    expect(r.json).toEqual({
      merchantID: SEED_MERCHANT_ID,
      token,
      name: 'Ada Lovelace',
      email: '',
      // A card without a 2C2P date is shown on the last day of its expiry month.
      expiry: `${Y}-12-31`,
      accountIssuer: '',
      accountIssuerCountry: '',
      accountCurrency: '',
      channelCode: '',
      subChannelCode: '',
      responseCode: '0000',
      responseDesc: 'Success',
    });
  });

  it('maps the same PAN added twice (and tokenized natively) to one instrument identifier', async () => {
    const pan = '4000056655665556';
    const first = await addOk({ accountNo: pan, name: 'Twice One' });
    const second = await addOk({ accountNo: pan, name: 'Twice Two' });
    expect(second).not.toBe(first);
    const a = (await native.get(`/v1/cards/${first}`)).json();
    const b = (await native.get(`/v1/cards/${second}`)).json();
    expect(a.instrumentIdentifier.id).toMatch(/^70[0-9]{17}$/);
    expect(b.instrumentIdentifier.id).toBe(a.instrumentIdentifier.id);
    const n = await native.post('/v1/cards', { number: pan, expMonth: 3, expYear: Y });
    expect(n.statusCode, n.body).toBe(201);
    expect(n.json().instrumentIdentifier).toEqual({ id: a.instrumentIdentifier.id, new: false });
    const rows = await t.vault.store.db.selectFrom('instrument_identifiers').select('id').where('last4', '=', '5556').execute();
    expect(rows).toHaveLength(1);
  });

  it('keeps no plaintext PAN in the database: the PAN is a tv1.A256GCM envelope', async () => {
    const token = await addOk({ name: 'At Rest' });
    const card = await t.vault.store.db.selectFrom('cards').select('instrument_id').where('id', '=', token).executeTakeFirstOrThrow();
    const ii = await t.vault.store.db
      .selectFrom('instrument_identifiers')
      .select(['pan_ct', 'last4'])
      .where('id', '=', card.instrument_id)
      .executeTakeFirstOrThrow();
    expect(ii.pan_ct).toMatch(/^tv1\.A256GCM\./);
    expect(ii.last4).toBe('1111');
    const tables = (await t.vault.store.db.introspection.getTables())
      .filter((tb) => t.config.databaseSchema === null || tb.schema === t.config.databaseSchema)
      .map((tb) => tb.name)
      .filter((n) => !n.startsWith('kysely_'));
    expect(tables).toEqual(expect.arrayContaining(['cards', 'instrument_identifiers', 'audit_events']));
    for (const table of tables) {
      const rows = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(t.vault.store.db);
      const dump = JSON.stringify(rows.rows);
      for (const pan of [VISA, '4000056655665556', '5555555555554444']) expect(dump, `${table} holds a PAN`).not.toContain(pan);
    }
  });
});
