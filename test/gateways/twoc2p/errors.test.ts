/**
 * 2C2P Customer Token Maintenance, errors: every invalid, missing, too long, foreign-merchant or dead-token
 * request is answered inside the signed, encrypted envelope with its response code — and changes nothing:
 * no row written, no audit event, the existing token reads back exactly as before.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMerchant, futureYear, makeTestApp, type TestApp, VISA } from '../../helpers/harness.ts';
import { buildRawRequest, openResponse, postRaw, snapshotRows, type Twoc2pClient, type Twoc2pOp, twoc2pClient } from './helpers.ts';

const Y = futureYear();
const LAST_YEAR = new Date().getUTCFullYear() - 1;

/** Appends the Luhn check digit, so a number is refused for its length and not its checksum. */
function withLuhn(body: string): string {
  for (let d = 0; d <= 9; d++) {
    const n = `${body}${d}`;
    let sum = 0;
    for (let i = 0; i < n.length; i++) {
      let v = Number(n[n.length - 1 - i]);
      if (i % 2 === 1) v = v * 2 > 9 ? v * 2 - 9 : v * 2;
      sum += v;
    }
    if (sum % 10 === 0) return n;
  }
  throw new Error('unreachable');
}

let t: TestApp;
let a: Twoc2pClient;
let otherMerchantID: string;
/** A live token of merchant A, and how it reads, to prove each refusal left it alone. */
let base: string;
let baseline: Record<string, unknown>;

const omit = (o: Record<string, unknown>, key: string) => Object.fromEntries(Object.entries(o).filter(([k]) => k !== key));

const addPayload = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  merchantID: a.merchantID,
  accountNo: VISA,
  name: 'Grace Hopper',
  email: 'grace@example.com',
  expiry: `${Y}-06-30`,
  accountIssuer: 'UOB Bank',
  accountIssuerCountry: 'SG',
  accountCurrency: 'SGD',
  tokenProvider: 'CC',
  ...over,
});

const updatePayload = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  merchantID: a.merchantID,
  token: base,
  name: 'Grace B. Hopper',
  email: 'grace.hopper@example.com',
  expiry: `${Y}-09-30`,
  accountIssuer: 'HSBC Bank',
  accountIssuerCountry: 'MY',
  accountCurrency: 'MYR',
  tokenProvider: 'CC',
  ...over,
});

const getBase = () => a.call('get', { merchantID: a.merchantID, token: base });

/** Sends the request, expects the code inside a normal response, and proves nothing changed. */
async function expectRefusal(op: Twoc2pOp, payload: unknown, code: string): Promise<Record<string, unknown>> {
  const before = await snapshotRows(t);
  const r = await a.call(op, payload);
  expect(r.status, r.body).toBe(200);
  const json = r.json as Record<string, unknown>;
  expect(json.responseCode, JSON.stringify(json)).toBe(code);
  expect(typeof json.responseDesc).toBe('string');
  expect((json.responseDesc as string).length).toBeGreaterThan(0);
  // A refusal carries no card data.
  for (const k of ['accountNo', 'name', 'email', 'expiry']) expect(json).not.toHaveProperty(k);
  expect(await snapshotRows(t)).toEqual(before);
  expect((await getBase()).json).toEqual(baseline);
  return json;
}

beforeAll(async () => {
  t = await makeTestApp();
  // One at a time: merchants created concurrently can outlast the test app's 1 s key cache and fail.
  const ma = await createMerchant(t, 'Merchant A');
  const mb = await createMerchant(t, 'Merchant B');
  a = twoc2pClient(t, ma);
  otherMerchantID = twoc2pClient(t, mb).merchantID;
  const added = await a.call('add', addPayload());
  expect(added.json?.responseCode, JSON.stringify(added.json)).toBe('0000');
  base = added.json?.token as string;
  baseline = (await getBase()).json as Record<string, unknown>;
  expect(baseline).toMatchObject({ responseCode: '0000', name: 'Grace Hopper', expiry: `${Y}-06-30` });
});
afterAll(() => t.close());

describe('9004: a value that is not valid', () => {
  const cases: [string, Twoc2pOp, () => unknown][] = [
    ['accountNo failing the Luhn check', 'add', () => addPayload({ accountNo: '4111111111111112' })],
    ['a 20-digit accountNo', 'add', () => addPayload({ accountNo: withLuhn('4111111111111111111') })],
    ['an accountNo with letters', 'add', () => addPayload({ accountNo: '4111abcd11111111' })],
    ['an accountNo with spaces', 'add', () => addPayload({ accountNo: '4111 1111 1111 1111' })],
    ['an expired card (add)', 'add', () => addPayload({ expiry: `${LAST_YEAR}-12-31` })],
    ['an expired card (update)', 'update', () => updatePayload({ expiry: `${LAST_YEAR}-12-31` })],
    ['expiry month 13 (2030-13-01)', 'add', () => addPayload({ expiry: '2030-13-01' })],
    ['a day that does not exist (2027-02-29)', 'add', () => addPayload({ expiry: '2027-02-29' })],
    ['expiry as MM/YY (01/30)', 'add', () => addPayload({ expiry: '01/30' })],
    ['expiry month 13 (update)', 'update', () => updatePayload({ expiry: '2030-13-01' })],
    ['an expiry more than 20 years ahead (add)', 'add', () => addPayload({ expiry: `${new Date().getUTCFullYear() + 25}-01-31` })],
    ['an expiry more than 20 years ahead (update)', 'update', () => updatePayload({ expiry: `${new Date().getUTCFullYear() + 25}-01-31` })],
    ['a control character in name', 'add', () => addPayload({ name: 'Grace\nHopper' })],
    ['tokenProvider MA', 'add', () => addPayload({ tokenProvider: 'MA' })],
    ['a lower-case accountIssuerCountry (sg)', 'add', () => addPayload({ accountIssuerCountry: 'sg' })],
    ['an unknown extra field (cvv)', 'add', () => addPayload({ cvv: '123' })],
    ['accountNo on update (the PAN cannot change)', 'update', () => updatePayload({ accountNo: VISA })],
    ['an unknown field on get', 'get', () => ({ merchantID: a.merchantID, token: base, accountNo: VISA })],
    // Named after members every object inherits: unknown all the same (the field reader checks own names).
    ['a field named constructor', 'add', () => addPayload({ constructor: 'x' })],
    ['a field named toString (get)', 'get', () => ({ merchantID: a.merchantID, token: base, toString: 'x' })],
    ['accountNo as a JSON number', 'add', () => addPayload({ accountNo: 4111111111111111 })],
    ['name as a number', 'add', () => addPayload({ name: 42 })],
    ['expiry as an array', 'add', () => addPayload({ expiry: [Y, 6, 30] })],
    ['tokenProvider as a boolean', 'add', () => addPayload({ tokenProvider: true })],
    ['merchantID as a number', 'add', () => addPayload({ merchantID: Number(a.merchantID) })],
    ['token as a number (get)', 'get', () => ({ merchantID: a.merchantID, token: 123456789012 })],
    ['name as an object (update)', 'update', () => updatePayload({ name: { first: 'Grace' } })],
  ];
  it.each(cases)('%s', async (_name, op, payload) => {
    await expectRefusal(op, payload(), '9004');
  });
});

describe('9005: a mandatory field missing', () => {
  const cases: [string, Twoc2pOp, () => unknown][] = [
    ...['merchantID', 'tokenProvider', 'accountNo', 'expiry'].map((k): [string, Twoc2pOp, () => unknown] => [
      `add without ${k}`,
      'add',
      () => omit(addPayload(), k),
    ]),
    ...['token', 'name', 'expiry'].map((k): [string, Twoc2pOp, () => unknown] => [
      `update without ${k}`,
      'update',
      () => omit(updatePayload(), k),
    ]),
    ['add with an empty accountNo', 'add', () => addPayload({ accountNo: '' })],
    ['add with a null expiry', 'add', () => addPayload({ expiry: null })],
    ['get without token', 'get', () => ({ merchantID: a.merchantID })],
    ['delete without token', 'delete', () => ({ merchantID: a.merchantID })],
  ];
  it.each(cases)('%s', async (_name, op, payload) => {
    await expectRefusal(op, payload(), '9005');
  });
});

describe('9006: a field longer than allowed', () => {
  const email51 = `${'a'.repeat(39)}@example.com`;
  const cases: [string, Twoc2pOp, () => unknown][] = [
    ['name of 51 characters (add)', 'add', () => addPayload({ name: 'N'.repeat(51) })],
    ['email of 51 characters (add)', 'add', () => addPayload({ email: email51 })],
    ['accountIssuerCountry sgp (3 of 2)', 'add', () => addPayload({ accountIssuerCountry: 'sgp' })],
    ['accountCurrency of 4', 'add', () => addPayload({ accountCurrency: 'SGDX' })],
    ['accountIssuer of 51', 'add', () => addPayload({ accountIssuer: 'B'.repeat(51) })],
    ['merchantID of 16', 'add', () => addPayload({ merchantID: `${a.merchantID}1` })],
    ['name of 51 characters (update)', 'update', () => updatePayload({ name: 'N'.repeat(51) })],
    ['email of 51 characters (update)', 'update', () => updatePayload({ email: email51 })],
  ];
  it.each(cases)('%s', async (_name, op, payload) => {
    expect(email51).toHaveLength(51);
    await expectRefusal(op, payload(), '9006');
  });

  it('accepts every field at exactly its maximum length', async () => {
    const r = await a.call(
      'add',
      addPayload({ name: 'N'.repeat(50), email: `${'a'.repeat(38)}@example.com`, accountIssuer: 'B'.repeat(50) }),
    );
    expect(r.json).toMatchObject({ responseCode: '0000', name: 'N'.repeat(50), accountIssuer: 'B'.repeat(50) });
    expect(String(r.json?.email)).toHaveLength(50);
  });
});

describe('9007: a merchantID that is not the signer', () => {
  it('refuses an add naming another merchant, inside a request A signed', async () => {
    const json = await expectRefusal('add', addPayload({ merchantID: otherMerchantID }), '9007');
    expect(json).not.toHaveProperty('token');
  });

  it("refuses a get naming another merchant and shows none of A's card", async () => {
    await expectRefusal('get', { merchantID: otherMerchantID, token: base }, '9007');
  });

  it('refuses an update and a delete naming another merchant', async () => {
    await expectRefusal('update', updatePayload({ merchantID: otherMerchantID }), '9007');
    await expectRefusal('delete', { merchantID: otherMerchantID, token: base }, '9007');
  });
});

describe('9040: a token that is not valid', () => {
  const unknown = '999999999999999999';
  it.each(['get', 'delete'] as const)('%s of an unknown token', async (op) => {
    const json = await expectRefusal(op, { merchantID: a.merchantID, token: unknown }, '9040');
    expect(json).toMatchObject({ merchantID: a.merchantID, token: unknown });
  });

  it('update of an unknown token', async () => {
    await expectRefusal('update', updatePayload({ token: unknown }), '9040');
  });

  it('get, update and delete of a deleted token', async () => {
    const added = await a.call('add', addPayload({ name: 'To Delete', accountNo: '5555555555554444' }));
    const dead = added.json?.token as string;
    const del = await a.call('delete', { merchantID: a.merchantID, token: dead });
    expect(del.json).toMatchObject({ responseCode: '0000', token: dead });
    const stored = await t.vault.store.db.selectFrom('cards').selectAll().where('id', '=', dead).executeTakeFirstOrThrow();
    expect(stored.status).toBe('DELETED');

    await expectRefusal('get', { merchantID: a.merchantID, token: dead }, '9040');
    await expectRefusal('update', updatePayload({ token: dead }), '9040');
    await expectRefusal('delete', { merchantID: a.merchantID, token: dead }, '9040');
    // The deleted card was not brought back by any of them.
    expect(await t.vault.store.db.selectFrom('cards').selectAll().where('id', '=', dead).executeTakeFirstOrThrow()).toEqual(stored);
  });
});

describe('a decrypted payload that is not a JSON object', () => {
  it.each([
    ['not JSON at all', 'merchantID=1&token=2'],
    ['a JSON array', '[{"merchantID":"1"}]'],
    ['JSON null', 'null'],
    ['a JSON string', '"hello"'],
  ])('%s: 9004 in a normal signed response, nothing changed', async (_name, plaintext) => {
    const before = await snapshotRows(t);
    const jws = await buildRawRequest(plaintext, a.vaultPublic, a.merchantPrivate);
    const res = await postRaw(t, 'add', jws);
    expect(res.statusCode, res.body).toBe(200);
    const json = await openResponse(res.body, a.vaultPublic, a.merchantPrivate);
    expect(json).toMatchObject({ merchantID: '', responseCode: '9004' });
    expect(await snapshotRows(t)).toEqual(before);
    expect((await getBase()).json).toEqual(baseline);
  });
});
