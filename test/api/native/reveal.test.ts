/**
 * Reveal (detokenize): the only way a card number leaves the vault, and then only as a JWE to the
 * caller's public key. Threats: a plaintext PAN in the response, a JWE someone else can open, a weak or
 * private or wrong-type key accepted, a reveal without scope or purpose, a PAN in the purpose (and so in
 * the audit log), reaching another merchant's or a deleted card, and a reveal that leaves no audit event.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { compactDecrypt, decodeProtectedHeader, exportJWK, generateKeyPair, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_TOKEN,
  type Client,
  client,
  createCustomer,
  createMerchant,
  futureYear,
  MASTERCARD,
  makeTestApp,
  type TestApp,
  type TestMerchant,
  tokenize,
  VISA,
} from '../../helpers/harness.ts';

const PROBLEM_JSON = /^application\/problem\+json/;
const PURPOSE = 'customer support call #4471';

let t: TestApp;
let a: TestMerchant;
let ca: Client;
let keyIdA: string;
let cb: Client;
let cardA: { token: string };
let cardB: { token: string };
let expYear: number;
let rsaJwk: JWK;
let ecJwk: JWK;

const admin = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: Record<string, unknown>) =>
  t.app.inject({ method, url, headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, ...(payload ? { payload } : {}) });

const reveal = (c: Client, token: string, body: unknown) => c.post(`/v1/cards/${token}/reveal`, body);

async function countEvents(action?: string): Promise<number> {
  let q = t.vault.store.db.selectFrom('audit_events').select((eb) => eb.fn.countAll<number | string>().as('n'));
  if (action) q = q.where('action', '=', action);
  return Number((await q.executeTakeFirstOrThrow()).n);
}

beforeAll(async () => {
  t = await makeTestApp();
  a = await createMerchant(t, 'Reveal A');
  ca = client(t, a.apiKey);
  keyIdA = (await admin('GET', `/v1/admin/merchants/${a.id}`)).json().apiKeys[0].id;
  cb = client(t, (await createMerchant(t, 'Reveal B')).apiKey);
  expYear = futureYear();
  cardA = await tokenize(ca, { number: VISA, expMonth: 12, expYear, holderName: 'Ada Lovelace' });
  cardB = await tokenize(cb, { number: MASTERCARD });
  rsaJwk = await exportJWK((await generateKeyPair('RSA-OAEP-256', { extractable: true })).publicKey);
  ecJwk = await exportJWK((await generateKeyPair('ECDH-ES+A256KW', { crv: 'P-256', extractable: true })).publicKey);
});
afterAll(() => t?.close());

describe('reveal: the number leaves only as a JWE to the caller key', () => {
  const keyTypes = [
    { name: 'RSA-2048', alg: 'RSA-OAEP-256', gen: () => generateKeyPair('RSA-OAEP-256', { extractable: true }) },
    { name: 'EC P-256', alg: 'ECDH-ES+A256KW', gen: () => generateKeyPair('ECDH-ES+A256KW', { crv: 'P-256', extractable: true }) },
    { name: 'EC P-384', alg: 'ECDH-ES+A256KW', gen: () => generateKeyPair('ECDH-ES+A256KW', { crv: 'P-384', extractable: true }) },
    { name: 'EC P-521', alg: 'ECDH-ES+A256KW', gen: () => generateKeyPair('ECDH-ES+A256KW', { crv: 'P-521', extractable: true }) },
  ];

  it.each(keyTypes)('$name: only the holder of the private key reads {token, number, expiry, holderName}', async ({ alg, gen }) => {
    const pair = await gen();
    const jwk = await exportJWK(pair.publicKey);
    expect(jwk.d).toBeUndefined();
    const before = await countEvents('card.reveal');
    const res = await reveal(ca, cardA.token, { purpose: PURPOSE, jwk });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const body = res.json();
    expect(Object.keys(body).sort()).toEqual(['alg', 'enc', 'jwe', 'token']);
    expect(body).toMatchObject({ token: cardA.token, alg, enc: 'A256GCM' });
    // No plaintext card number anywhere in the response, nor the digits masking would hide.
    expect(res.body).not.toContain(VISA);
    expect(res.body).not.toContain(VISA.slice(6));
    expect(JSON.stringify(res.headers)).not.toContain(VISA);

    expect(body.jwe.split('.')).toHaveLength(5);
    expect(decodeProtectedHeader(body.jwe)).toMatchObject({ alg, enc: 'A256GCM' });
    const { plaintext, protectedHeader } = await compactDecrypt(body.jwe, pair.privateKey);
    expect(protectedHeader).toMatchObject({ alg, enc: 'A256GCM' });
    expect(JSON.parse(new TextDecoder().decode(plaintext))).toEqual({
      token: cardA.token,
      number: VISA,
      expMonth: 12,
      expYear,
      holderName: 'Ada Lovelace',
    });

    const stranger = await gen();
    await expect(compactDecrypt(body.jwe, stranger.privateKey)).rejects.toThrow();
    expect(await countEvents('card.reveal')).toBe(before + 1);
  });

  it('writes one card.reveal event with the purpose, the algorithm and the revealing key id', async () => {
    const res = await reveal(ca, cardA.token, { purpose: 'chargeback evidence', jwk: rsaJwk });
    expect(res.statusCode).toBe(200);
    const last = await t.vault.store.db
      .selectFrom('audit_events')
      .selectAll()
      .where('chain', '=', a.id)
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirstOrThrow();
    expect(last).toMatchObject({ action: 'card.reveal', target: cardA.token, actor: keyIdA, outcome: 'success', merchant_id: a.id });
    expect(JSON.parse(last.detail as string)).toEqual({
      purpose: 'chargeback evidence',
      alg: 'RSA-OAEP-256',
      requestId: expect.any(String),
    });
  });

  it('accepts a JWK that declares the matching alg and use "enc", and encrypts afresh each time', async () => {
    const pair = await generateKeyPair('RSA-OAEP-256', { extractable: true });
    const jwk = { ...(await exportJWK(pair.publicKey)), alg: 'RSA-OAEP-256', use: 'enc', kid: 'my-key-1' };
    const one = await reveal(ca, cardA.token, { purpose: PURPOSE, jwk });
    const two = await reveal(ca, cardA.token, { purpose: PURPOSE, jwk });
    expect(one.statusCode, one.body).toBe(200);
    expect(two.statusCode).toBe(200);
    expect(one.json().jwe).not.toBe(two.json().jwe);
    for (const r of [one, two]) {
      const { plaintext } = await compactDecrypt(r.json().jwe, pair.privateKey);
      expect(JSON.parse(new TextDecoder().decode(plaintext)).number).toBe(VISA);
    }
  });

  it('reveals a card that shares its number with a deleted token', async () => {
    const first = await tokenize(ca, { number: '6011111111111117' });
    const second = await tokenize(ca, { number: '6011111111111117' });
    expect((await ca.delete(`/v1/cards/${first.token}`)).statusCode).toBe(200);
    const pair = await generateKeyPair('ECDH-ES+A256KW', { crv: 'P-384', extractable: true });
    const res = await reveal(ca, second.token, { purpose: PURPOSE, jwk: await exportJWK(pair.publicKey) });
    expect(res.statusCode, res.body).toBe(200);
    const { plaintext } = await compactDecrypt(res.json().jwe, pair.privateKey);
    expect(JSON.parse(new TextDecoder().decode(plaintext))).toMatchObject({ token: second.token, number: '6011111111111117' });
  });
});

describe('reveal: refusals write no card.reveal event', () => {
  /** Runs a refused reveal and checks the problem, and that nothing at all was appended to the audit log. */
  async function refused(call: () => Promise<LightMyRequestResponse>, status: number, code?: string) {
    const reveals = await countEvents('card.reveal');
    const all = await countEvents();
    const failedBefore = await countEvents('auth.failed');
    const res = await call();
    // Soft: a wrong status and a stray audit event are both reported.
    expect.soft(res.statusCode, res.body).toBe(status);
    expect.soft(res.headers['content-type']).toMatch(PROBLEM_JSON);
    if (code) expect.soft(res.json().code).toBe(code);
    expect.soft(res.json().jwe, 'a JWE was returned').toBeUndefined();
    expect(res.body).not.toContain(VISA);
    expect.soft(await countEvents('card.reveal'), 'card.reveal events written').toBe(reveals);
    // A refused credential is itself audited (auth.failed, issue 11); nothing else may be appended.
    const authFailures = status === 401 ? 1 : 0;
    expect(await countEvents(), 'audit events written').toBe(all + authFailures);
    expect(await countEvents('auth.failed')).toBe(failedBefore + authFailures);
  }

  it('refuses a key without the reveal scope (403)', async () => {
    const res = await admin('POST', `/v1/admin/merchants/${a.id}/api-keys`, { scopes: ['read', 'tokenize'] });
    expect(res.statusCode).toBe(201);
    const limited = client(t, res.json().apiKey);
    await refused(() => reveal(limited, cardA.token, { purpose: PURPOSE, jwk: rsaJwk }), 403, 'forbidden');
  });

  it('refuses a revoked key (401)', async () => {
    const res = await admin('POST', `/v1/admin/merchants/${a.id}/api-keys`, { scopes: ['reveal'] });
    const key = res.json();
    expect((await admin('DELETE', `/v1/admin/merchants/${a.id}/api-keys/${key.id}`)).statusCode).toBe(200);
    await refused(() => reveal(client(t, key.apiKey), cardA.token, { purpose: PURPOSE, jwk: rsaJwk }), 401, 'unauthorized');
  });

  const purposes: [string, unknown][] = [
    ['missing', undefined],
    ['too short', 'ab'],
    ['too long', 'x'.repeat(201)],
    ['not a string', 42],
    ['with a control character', 'support\ncall'],
    ['holding a card number', `refund for ${VISA}`],
    ['holding a card number as digits only', VISA],
  ];
  it.each(purposes)('refuses a purpose %s (400)', async (_label, purpose) => {
    await refused(() => reveal(ca, cardA.token, { ...(purpose !== undefined ? { purpose } : {}), jwk: rsaJwk }), 400, 'validation_failed');
  });

  // A card number written with separators is still a card number, and the purpose goes into the audit log.
  it.each([
    ['spaces', 'refund for 4111 1111 1111 1111'],
    ['dashes', 'refund for 4111-1111-1111-1111'],
    ['dots', 'card 5555.5555.5555.4444 disputed'],
  ])('refuses a purpose holding a card number split by %s (400)', async (_label, purpose) => {
    await refused(() => reveal(ca, cardA.token, { purpose, jwk: rsaJwk }), 400);
    const dump = JSON.stringify(await t.vault.store.db.selectFrom('audit_events').select('detail').execute());
    expect(dump.replace(/[^0-9]/g, '')).not.toContain(purpose.replace(/[^0-9]/g, ''));
  });

  it('refuses a body without a JWK, with a non-object JWK, or with unknown fields (400)', async () => {
    for (const body of [
      { purpose: PURPOSE },
      { purpose: PURPOSE, jwk: 'not-a-jwk' },
      { purpose: PURPOSE, jwk: [rsaJwk] },
      { purpose: PURPOSE, jwk: null },
      { purpose: PURPOSE, jwk: rsaJwk, number: VISA },
      {},
    ]) {
      await refused(() => reveal(ca, cardA.token, body), 400, 'validation_failed');
    }
  });

  describe('unusable keys (400 invalid_key)', () => {
    const jwks: [string, () => Promise<Record<string, unknown>>][] = [
      ['an RSA private key (d)', async () => exportJWK((await generateKeyPair('RSA-OAEP-256', { extractable: true })).privateKey)],
      [
        'an EC private key (d)',
        async () => exportJWK((await generateKeyPair('ECDH-ES+A256KW', { crv: 'P-256', extractable: true })).privateKey),
      ],
      ['a symmetric oct key', async () => ({ kty: 'oct', k: randomBytes(32).toString('base64url') })],
      ['an oct key without k', async () => ({ kty: 'oct', alg: 'A256KW' })],
      ['RSA-1024', async () => generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' })],
      ['an EC key on secp256k1', async () => generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey.export({ format: 'jwk' })],
      ['an EC key on an unknown curve', async () => ({ ...ecJwk, crv: 'P-999' })],
      ['an X25519 (OKP) key', async () => generateKeyPairSync('x25519').publicKey.export({ format: 'jwk' })],
      ['an RSA key declaring alg RSA1_5', async () => ({ ...rsaJwk, alg: 'RSA1_5' })],
      ['an RSA key declaring alg RSA-OAEP', async () => ({ ...rsaJwk, alg: 'RSA-OAEP' })],
      ['an EC key declaring alg ECDH-ES', async () => ({ ...ecJwk, alg: 'ECDH-ES' })],
      ['a signing key (use sig)', async () => ({ ...rsaJwk, use: 'sig' })],
      ['an empty object', async () => ({})],
      ['an RSA key without n', async () => ({ kty: 'RSA', e: 'AQAB' })],
      ['an RSA key with a numeric n', async () => ({ kty: 'RSA', n: 12345, e: 'AQAB' })],
      ['an RSA key with a short garbage n', async () => ({ kty: 'RSA', n: '!!not base64!!', e: 'AQAB' })],
      ['an EC key with garbage coordinates', async () => ({ kty: 'EC', crv: 'P-256', x: 'abc', y: 'def' })],
      ['an EC point not on the curve', async () => ({ kty: 'EC', crv: 'P-256', x: 'A'.repeat(43), y: 'A'.repeat(43) })],
      [
        'P-384 coordinates labelled P-256',
        async () => ({
          ...(await exportJWK((await generateKeyPair('ECDH-ES+A256KW', { crv: 'P-384', extractable: true })).publicKey)),
          crv: 'P-256',
        }),
      ],
    ];
    it.each(jwks)('refuses %s', async (_label, make) => {
      const jwk = await make();
      await refused(() => reveal(ca, cardA.token, { purpose: PURPOSE, jwk }), 400, 'invalid_key');
    });

    // Keys that pass a byte-length check but are not 2048-bit RSA keys, or whose "encryption" hides nothing.
    it('refuses an all-zero 2048-bit-long RSA modulus', async () => {
      const jwk = { kty: 'RSA', n: Buffer.alloc(256).toString('base64url'), e: 'AQAB' };
      await refused(() => reveal(ca, cardA.token, { purpose: PURPOSE, jwk }), 400, 'invalid_key');
    });

    it('refuses an RSA-1024 modulus padded with leading zero bytes to 2048-bit length', async () => {
      const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' });
      const n = Buffer.concat([Buffer.alloc(128), Buffer.from(small.n as string, 'base64url')]).toString('base64url');
      await refused(() => reveal(ca, cardA.token, { purpose: PURPOSE, jwk: { kty: 'RSA', n, e: small.e } }), 400, 'invalid_key');
    });

    it('refuses an RSA key with public exponent 1 (encryption would be the identity)', async () => {
      await refused(() => reveal(ca, cardA.token, { purpose: PURPOSE, jwk: { kty: 'RSA', n: rsaJwk.n, e: 'AQ' } }), 400, 'invalid_key');
    });
  });

  it('refuses an unknown token (404)', async () => {
    await refused(() => reveal(ca, 'tok_doesnotexist000000000000', { purpose: PURPOSE, jwk: rsaJwk }), 404, 'card_not_found');
  });

  it("refuses another merchant's token as if it did not exist (404)", async () => {
    await refused(() => reveal(ca, cardB.token, { purpose: PURPOSE, jwk: rsaJwk }), 404, 'card_not_found');
    // And B can still reveal its own card.
    expect((await reveal(cb, cardB.token, { purpose: PURPOSE, jwk: rsaJwk })).statusCode).toBe(200);
  });

  it('refuses a deleted card (409 card_deleted), also one deleted with its customer', async () => {
    const card = await tokenize(ca, { number: '3530111333300000' });
    expect((await ca.delete(`/v1/cards/${card.token}`)).statusCode).toBe(200);
    await refused(() => reveal(ca, card.token, { purpose: PURPOSE, jwk: rsaJwk }), 409, 'card_deleted');

    const cus = await createCustomer(ca);
    const held = await tokenize(ca, { number: '378282246310005', customer: cus.id });
    expect((await ca.delete(`/v1/customers/${cus.id}`)).statusCode).toBe(200);
    await refused(() => reveal(ca, held.token, { purpose: PURPOSE, jwk: ecJwk }), 409, 'card_deleted');
  });
});

describe('reveal: no event, no number', () => {
  it('returns no JWE when the audit event cannot be written', async () => {
    const m = await createMerchant(t, 'Unaudited');
    const c = client(t, m.apiKey);
    const card = await tokenize(c);
    const db = t.vault.store.db;
    const head = await db.selectFrom('audit_heads').selectAll().where('chain', '=', m.id).executeTakeFirstOrThrow();
    await db.deleteFrom('audit_heads').where('chain', '=', m.id).execute();
    try {
      const res = await reveal(c, card.token, { purpose: PURPOSE, jwk: rsaJwk });
      expect(res.statusCode).toBe(500);
      expect(res.json().jwe).toBeUndefined();
      expect(res.body).not.toContain(VISA);
    } finally {
      await db.insertInto('audit_heads').values(head).execute();
    }
    expect((await reveal(c, card.token, { purpose: PURPOSE, jwk: rsaJwk })).statusCode).toBe(200);
    expect((await t.vault.audit.verify()).ok).toBe(true);
  });
});
