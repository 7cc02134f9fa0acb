/**
 * Operator API behind the admin token: provisioning per DESIGN §7 (real, matching key material; secrets shown
 * once), supplied merchant keys, merchant listing, API key issue, scopes and revocation.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type JsonWebKey, sign, verify } from 'node:crypto';
import { CompactEncrypt, compactDecrypt, importJWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, client, futureYear, makeTestApp, type TestApp, VISA } from '../../helpers/harness.ts';

let t: TestApp;
/** The credentials of one merchant made with everything generated, shared by the read-only checks. */
// biome-ignore lint/suspicious/noExplicitAny: the provisioning JSON is checked field by field below
let creds: any;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PROBLEM_JSON = /^application\/problem\+json/;

const admin = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: Record<string, unknown>, token = ADMIN_TOKEN) =>
  t.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });

async function provision(body: Record<string, unknown>) {
  const res = await admin('POST', '/v1/admin/merchants', body);
  if (res.statusCode !== 201) throw new Error(`merchant create failed: ${res.statusCode} ${res.body}`);
  return res.json();
}

/** Every merchant id, walking the list with `after`. */
async function allMerchantIds(limit = 100): Promise<string[]> {
  const ids: string[] = [];
  let after: string | null = null;
  for (let pages = 0; pages < 100; pages++) {
    const res = await admin('GET', `/v1/admin/merchants?limit=${limit}${after ? `&after=${after}` : ''}`);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    ids.push(...body.data.map((m: { id: string }) => m.id));
    after = body.nextCursor;
    if (!after) return ids;
  }
  throw new Error('merchant pagination did not end');
}

beforeAll(async () => {
  t = await makeTestApp();
  creds = await provision({ name: 'Acme Books' });
});
afterAll(() => t?.close());

describe('admin: provisioning contract (DESIGN §7)', () => {
  it('returns exactly the documented credentials object', () => {
    expect(Object.keys(creds).sort()).toEqual(['apiKey', 'gateways', 'id', 'name']);
    expect(creds.id).toMatch(/^mch_[0-9A-Z]{26}$/);
    expect(creds.name).toBe('Acme Books');
    expect(creds.apiKey).toMatch(/^tv_sk_[A-Za-z0-9_-]{40,}$/);
    const g = creds.gateways;
    expect(Object.keys(g).sort()).toEqual(['alliancepay', 'appotapay', 'cybersource', 'opay', 'twoc2p']);
    expect(Object.keys(g.cybersource).sort()).toEqual(['keyId', 'merchantId', 'mleKeyId', 'mlePrivateKeyPem', 'sharedSecret']);
    // The sandbox MLE pair (DESIGN §7: generated when the merchant brings none), private half shown once.
    expect(g.cybersource.mlePrivateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(g.cybersource.mleKeyId).toMatch(/^[0-9]{20}$/);
    expect(Object.keys(g.twoc2p).sort()).toEqual(['merchantId', 'merchantPrivateKeyPem', 'vaultPublicKeyPem']);
    expect(Object.keys(g.alliancepay).sort()).toEqual(['merchantId', 'merchantPrivateJwk', 'paymentPublicJwk', 'serviceCode']);
    expect(Object.keys(g.opay).sort()).toEqual(['merchantId', 'publicKey', 'secretKey']);
    expect(Object.keys(g.appotapay).sort()).toEqual(['apiKey', 'partnerCode', 'secretKey']);

    expect(g.cybersource.merchantId).toMatch(/^\S{4,}$/);
    expect(g.cybersource.keyId).toMatch(UUID);
    const secret = Buffer.from(g.cybersource.sharedSecret, 'base64');
    expect(secret).toHaveLength(32);
    expect(secret.toString('base64')).toBe(g.cybersource.sharedSecret);

    expect(g.twoc2p.merchantId).toMatch(/^\d{15}$/);
    expect(g.alliancepay.merchantId).toMatch(UUID);
    expect(g.alliancepay.serviceCode).toMatch(UUID);
    expect(g.alliancepay.serviceCode).not.toBe(g.alliancepay.merchantId);
    expect(g.opay.merchantId).toMatch(/^\d{15}$/);
    expect(g.opay.secretKey).toMatch(/^OPAYPRV[0-9A-Za-z]{10,}$/);
    expect(g.opay.publicKey).toMatch(/^OPAYPUB[0-9A-Za-z]{10,}$/);
    for (const v of [g.appotapay.partnerCode, g.appotapay.apiKey, g.appotapay.secretKey]) expect(v).toMatch(/^[A-Za-z0-9_-]{6,}$/);
    expect(g.appotapay.secretKey).not.toBe(g.appotapay.apiKey);
  });

  it('marks the credentials response as not cacheable', async () => {
    const res = await admin('POST', '/v1/admin/merchants', { name: 'Cache check' });
    expect(res.statusCode).toBe(201);
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('gives a 2C2P key pair that is real: RSA-2048 vault key, and a merchant private key whose public half the vault stored', async () => {
    const vaultPub = createPublicKey(creds.gateways.twoc2p.vaultPublicKeyPem);
    expect(vaultPub.asymmetricKeyType).toBe('rsa');
    expect(vaultPub.asymmetricKeyDetails?.modulusLength).toBe(2048);

    const merchantPriv = createPrivateKey(creds.gateways.twoc2p.merchantPrivateKeyPem);
    expect(merchantPriv.asymmetricKeyType).toBe('rsa');
    expect(merchantPriv.asymmetricKeyDetails?.modulusLength).toBeGreaterThanOrEqual(2048);

    const stored = (await admin('GET', `/v1/admin/merchants/${creds.id}`)).json().gateways.twoc2p;
    expect(stored).toHaveLength(1);
    expect(stored[0].merchantId).toBe(creds.gateways.twoc2p.merchantId);
    expect(stored[0].vaultPublicKeyPem).toBe(creds.gateways.twoc2p.vaultPublicKeyPem);

    const payload = Buffer.from(JSON.stringify({ merchantID: creds.gateways.twoc2p.merchantId, amount: '100.00' }));
    const signature = sign('sha256', payload, merchantPriv);
    expect(verify('sha256', payload, createPublicKey(stored[0].merchantPublicKeyPem), signature)).toBe(true);
    // The merchant's pair and the vault's pair are different keys.
    expect(verify('sha256', payload, vaultPub, signature)).toBe(false);
    expect(verify('sha256', Buffer.from('tampered'), createPublicKey(stored[0].merchantPublicKeyPem), signature)).toBe(false);
  });

  it('gives AlliancePay EC P-384 keys: a JWE can be encrypted to the payment key, and the merchant private key matches the stored public one', async () => {
    const ap = creds.gateways.alliancepay;
    expect(ap.paymentPublicJwk).toMatchObject({ kty: 'EC', crv: 'P-384' });
    expect(ap.paymentPublicJwk.d).toBeUndefined();
    expect(ap.merchantPrivateJwk).toMatchObject({ kty: 'EC', crv: 'P-384' });
    expect(typeof ap.merchantPrivateJwk.d).toBe('string');

    const paymentKey = await importJWK(ap.paymentPublicJwk, 'ECDH-ES+A256KW');
    const jwe = await new CompactEncrypt(new TextEncoder().encode('{"pan":"tokenize me"}'))
      .setProtectedHeader({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM' })
      .encrypt(paymentKey);
    expect(jwe.split('.')).toHaveLength(5);

    const stored = (await admin('GET', `/v1/admin/merchants/${creds.id}`)).json().gateways.alliancepay;
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ merchantId: ap.merchantId, serviceCode: ap.serviceCode });
    expect(stored[0].paymentPublicJwk).toMatchObject({ x: ap.paymentPublicJwk.x, y: ap.paymentPublicJwk.y, crv: 'P-384' });
    const merchantPublic = stored[0].merchantPublicJwk;
    expect(merchantPublic).toMatchObject({ kty: 'EC', crv: 'P-384', x: ap.merchantPrivateJwk.x, y: ap.merchantPrivateJwk.y });
    expect(merchantPublic.d).toBeUndefined();

    // What the vault would send to the merchant's public key, the merchant's private key opens.
    const toMerchant = await new CompactEncrypt(new TextEncoder().encode('hello merchant'))
      .setProtectedHeader({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM' })
      .encrypt(await importJWK(merchantPublic, 'ECDH-ES+A256KW'));
    const opened = await compactDecrypt(toMerchant, await importJWK(ap.merchantPrivateJwk, 'ECDH-ES+A256KW'));
    expect(new TextDecoder().decode(opened.plaintext)).toBe('hello merchant');
  });

  it('shows secrets only at creation: GET merchant returns public identifiers and keys, never a secret', async () => {
    const res = await admin('GET', `/v1/admin/merchants/${creds.id}`);
    expect(res.statusCode).toBe(200);
    const m = res.json();
    expect(m).toMatchObject({ id: creds.id, name: 'Acme Books', status: 'active' });
    expect(m.gateways.cybersource[0]).toMatchObject({
      merchantId: creds.gateways.cybersource.merchantId,
      keyId: creds.gateways.cybersource.keyId,
      certificates: [],
      mle: { keyId: creds.gateways.cybersource.mleKeyId, publicKeyPem: expect.stringMatching(/^-----BEGIN PUBLIC KEY-----/) },
    });
    expect(m.gateways.opay[0]).toMatchObject({ merchantId: creds.gateways.opay.merchantId, publicKey: creds.gateways.opay.publicKey });
    expect(m.gateways.appotapay[0]).toMatchObject({ partnerCode: creds.gateways.appotapay.partnerCode });

    const body = res.body;
    const g = creds.gateways;
    for (const secret of [
      creds.apiKey,
      g.cybersource.sharedSecret,
      g.opay.secretKey,
      g.appotapay.secretKey,
      g.twoc2p.merchantPrivateKeyPem,
      g.alliancepay.merchantPrivateJwk.d,
      g.cybersource.mlePrivateKeyPem,
    ]) {
      expect(body).not.toContain(secret);
    }
    expect(body).not.toMatch(/PRIVATE KEY/);
    expect(body).not.toMatch(/"d"\s*:/);
    expect(body).not.toMatch(/"(sharedSecret|secretKey|merchantPrivateKeyPem|merchantPrivateJwk|paymentPrivateJwk|vaultPrivateKeyPem)"/);

    // API keys appear by prefix only.
    expect(m.apiKeys).toEqual([
      {
        id: expect.stringMatching(/^key_/),
        prefix: creds.apiKey.slice(0, 10),
        scopes: ['tokenize', 'read', 'write', 'reveal', 'pay'],
        label: 'default',
        createdAt: expect.any(String),
        revokedAt: null,
      },
    ]);
  });

  it('writes no secret of the new merchant to the logs', async () => {
    const fresh = await provision({ name: 'Log scan' });
    const logs = t.logs.join('');
    const g = fresh.gateways;
    for (const secret of [
      fresh.apiKey,
      g.cybersource.sharedSecret,
      g.opay.secretKey,
      g.appotapay.secretKey,
      g.alliancepay.merchantPrivateJwk.d,
      ADMIN_TOKEN,
    ]) {
      expect(logs).not.toContain(secret);
    }
    expect(logs).not.toMatch(/PRIVATE KEY/);
  });

  it('gives two merchants distinct identifiers and secrets everywhere', async () => {
    const other = await provision({ name: 'Acme Books' });
    const pick = (x: typeof creds) => {
      const g = x.gateways;
      return {
        id: x.id,
        apiKey: x.apiKey,
        csMerchantId: g.cybersource.merchantId,
        csKeyId: g.cybersource.keyId,
        csSecret: g.cybersource.sharedSecret,
        twoc2pId: g.twoc2p.merchantId,
        twoc2pVault: g.twoc2p.vaultPublicKeyPem,
        twoc2pPriv: g.twoc2p.merchantPrivateKeyPem,
        apMerchantId: g.alliancepay.merchantId,
        apServiceCode: g.alliancepay.serviceCode,
        apMerchantX: g.alliancepay.merchantPrivateJwk.x,
        apPaymentX: g.alliancepay.paymentPublicJwk.x,
        opayId: g.opay.merchantId,
        opaySecret: g.opay.secretKey,
        opayPublic: g.opay.publicKey,
        appotaPartner: g.appotapay.partnerCode,
        appotaKey: g.appotapay.apiKey,
        appotaSecret: g.appotapay.secretKey,
      };
    };
    const a = pick(creds);
    const b = pick(other);
    for (const field of Object.keys(a) as Array<keyof typeof a>) expect(b[field], field).not.toBe(a[field]);
    // Same name is allowed: names are labels, not identifiers.
    expect(other.name).toBe(creds.name);
  });

  it('issues an API key that works at once', async () => {
    const fresh = await provision({ name: 'Instant' });
    const c = client(t, fresh.apiKey);
    const list = await c.get('/v1/cards');
    expect(list.statusCode).toBe(200);
    expect(list.json()).toEqual({ object: 'list', data: [], nextCursor: null });
    const card = await c.post('/v1/cards', { number: VISA, expMonth: 12, expYear: futureYear() });
    expect(card.statusCode).toBe(201);
    // Each merchant sees only its own cards.
    expect((await client(t, creds.apiKey).get(`/v1/cards/${card.json().token}`)).statusCode).toBe(404);
  });
});

describe('admin: merchant-supplied keys', () => {
  it('uses a supplied 2C2P public key: no private key is returned and the stored key is the supplied one', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const made = await provision({ name: 'Own 2C2P key', twoc2pPublicKeyPem: pem });
    expect(Object.keys(made.gateways.twoc2p).sort()).toEqual(['merchantId', 'vaultPublicKeyPem']);
    expect(made.gateways.twoc2p.merchantPrivateKeyPem).toBeUndefined();
    // The other gateways are still generated.
    expect(made.gateways.alliancepay.merchantPrivateJwk.d).toEqual(expect.any(String));

    const stored = (await admin('GET', `/v1/admin/merchants/${made.id}`)).json().gateways.twoc2p[0];
    expect(stored.merchantPublicKeyPem).toBe(pem);
    const payload = Buffer.from('signed by the merchant');
    expect(verify('sha256', payload, createPublicKey(stored.merchantPublicKeyPem), sign('sha256', payload, privateKey))).toBe(true);
  });

  it('uses a supplied AlliancePay P-384 public JWK: no private JWK is returned and the stored key is the supplied one', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const jwk = publicKey.export({ format: 'jwk' }) as JsonWebKey;
    const made = await provision({ name: 'Own AlliancePay key', alliancepayPublicJwk: jwk });
    expect(Object.keys(made.gateways.alliancepay).sort()).toEqual(['merchantId', 'paymentPublicJwk', 'serviceCode']);
    expect(made.gateways.twoc2p.merchantPrivateKeyPem).toEqual(expect.stringContaining('PRIVATE KEY'));

    const stored = (await admin('GET', `/v1/admin/merchants/${made.id}`)).json().gateways.alliancepay[0];
    expect(stored.merchantPublicJwk).toMatchObject({ kty: 'EC', crv: 'P-384', x: jwk.x, y: jwk.y });
    expect(stored.merchantPublicJwk.d).toBeUndefined();
    const jwe = await new CompactEncrypt(new TextEncoder().encode('for the merchant'))
      .setProtectedHeader({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM' })
      .encrypt(await importJWK(stored.merchantPublicJwk, 'ECDH-ES+A256KW'));
    const opened = await compactDecrypt(jwe, privateKey);
    expect(new TextDecoder().decode(opened.plaintext)).toBe('for the merchant');
  });

  const ecPem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const rsa1024Pem = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const p256Jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
  const rsaJwk = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' });
  const goodRsaPem = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();

  it.each([
    ['garbage instead of a 2C2P PEM', { twoc2pPublicKeyPem: 'not a pem at all' }],
    [
      'a truncated 2C2P PEM',
      { twoc2pPublicKeyPem: '-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOC\n-----END PUBLIC KEY-----\n' },
    ],
    ['an EC key as the 2C2P key', { twoc2pPublicKeyPem: ecPem }],
    ['an RSA-1024 key as the 2C2P key', { twoc2pPublicKeyPem: rsa1024Pem }],
    ['a P-256 key as the AlliancePay key', { alliancepayPublicJwk: p256Jwk }],
    ['an RSA JWK as the AlliancePay key', { alliancepayPublicJwk: rsaJwk }],
    ['an incomplete AlliancePay JWK', { alliancepayPublicJwk: { kty: 'EC', crv: 'P-384' } }],
    ['a bad AlliancePay key next to a good 2C2P key', { alliancepayPublicJwk: p256Jwk, twoc2pPublicKeyPem: goodRsaPem }],
  ])('refuses %s with 400 invalid_key and creates no merchant', async (_label, keys) => {
    const before = await allMerchantIds();
    const res = await admin('POST', '/v1/admin/merchants', { name: 'Bad key', ...keys });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(PROBLEM_JSON);
    expect(res.json()).toMatchObject({ status: 400, code: 'invalid_key' });
    expect(await allMerchantIds()).toEqual(before);
  });

  it.each([
    ['a missing name', {}],
    ['an empty name', { name: '' }],
    ['an unknown field', { name: 'x', plan: 'gold' }],
    ['a string as the AlliancePay JWK', { name: 'x', alliancepayPublicJwk: 'eyJrdHkiOiJFQyJ9' }],
  ])('refuses %s with 400 validation_failed and creates no merchant', async (_label, body) => {
    const before = await allMerchantIds();
    const res = await admin('POST', '/v1/admin/merchants', body);
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('validation_failed');
    expect(await allMerchantIds()).toEqual(before);
  });
});

describe('admin: merchant listing', () => {
  it('lists every merchant once, in id order, across pages linked by `after`', async () => {
    const all = await allMerchantIds();
    expect(all.length).toBeGreaterThanOrEqual(5);
    expect(all).toContain(creds.id);
    expect(new Set(all).size).toBe(all.length);
    expect([...all].sort()).toEqual(all);
    expect(await allMerchantIds(2)).toEqual(all);

    const first = (await admin('GET', '/v1/admin/merchants?limit=2')).json();
    expect(first.object).toBe('list');
    expect(first.data).toHaveLength(2);
    expect(first.nextCursor).toBe(first.data[1].id);
    for (const m of first.data) expect(Object.keys(m).sort()).toEqual(['createdAt', 'id', 'name', 'status']);

    const exact = (await admin('GET', `/v1/admin/merchants?limit=${all.length}`)).json();
    expect(exact.data).toHaveLength(all.length);
    expect(exact.nextCursor).toBeNull();
  });

  it('rejects bad list parameters', async () => {
    for (const q of ['limit=0', 'limit=500', 'page=2']) expect((await admin('GET', `/v1/admin/merchants?${q}`)).statusCode, q).toBe(400);
  });
});

describe('admin: API keys', () => {
  it('issues a read-only key that can list cards but not create cards or customers', async () => {
    const res = await admin('POST', `/v1/admin/merchants/${creds.id}/api-keys`, { scopes: ['read'], label: 'reporting' });
    expect(res.statusCode).toBe(201);
    expect(res.headers['cache-control']).toBe('no-store');
    const key = res.json();
    expect(key).toEqual({
      id: expect.stringMatching(/^key_/),
      prefix: key.apiKey.slice(0, 10),
      scopes: ['read'],
      label: 'reporting',
      createdAt: expect.any(String),
      revokedAt: null,
      apiKey: expect.stringMatching(/^tv_sk_/),
    });
    const ro = client(t, key.apiKey);
    expect((await ro.get('/v1/cards')).statusCode).toBe(200);
    expect((await ro.get('/v1/customers')).statusCode).toBe(200);
    const tokenize = await ro.post('/v1/cards', { number: VISA, expMonth: 12, expYear: futureYear() });
    expect(tokenize.statusCode).toBe(403);
    expect(tokenize.headers['content-type']).toMatch(PROBLEM_JSON);
    expect(tokenize.json()).toMatchObject({ status: 403, code: 'forbidden' });
    expect((await ro.post('/v1/customers', { name: 'x' })).statusCode).toBe(403);

    // It is listed on the merchant by prefix, without its secret.
    const m = await admin('GET', `/v1/admin/merchants/${creds.id}`);
    expect(m.json().apiKeys).toContainEqual({
      id: key.id,
      prefix: key.prefix,
      scopes: ['read'],
      label: 'reporting',
      createdAt: key.createdAt,
      revokedAt: null,
    });
    expect(m.body).not.toContain(key.apiKey);
  });

  it('enforces each scope: tokenize-only and write-only keys', async () => {
    const issue = async (scopes: string[]) => (await admin('POST', `/v1/admin/merchants/${creds.id}/api-keys`, { scopes })).json();
    const tok = client(t, (await issue(['tokenize'])).apiKey);
    const wr = client(t, (await issue(['write'])).apiKey);

    const card = await tok.post('/v1/cards', { number: VISA, expMonth: 12, expYear: futureYear() });
    expect(card.statusCode).toBe(201);
    expect((await tok.get('/v1/cards')).statusCode).toBe(403);
    expect((await tok.get(`/v1/cards/${card.json().token}`)).statusCode).toBe(403);
    expect((await tok.post('/v1/customers', {})).statusCode).toBe(403);

    const cus = await wr.post('/v1/customers', { name: 'by writer' });
    expect(cus.statusCode).toBe(201);
    expect((await wr.get(`/v1/customers/${cus.json().id}`)).statusCode).toBe(403);
    expect((await wr.post('/v1/cards', { number: VISA, expMonth: 12, expYear: futureYear() })).statusCode).toBe(403);
    expect((await wr.post(`/v1/cards/${card.json().token}/status`, { status: 'SUSPENDED' })).statusCode).toBe(200);
  });

  it('revokes a key at once: its next use is 401, the merchant shows revokedAt, other keys keep working', async () => {
    const key = (await admin('POST', `/v1/admin/merchants/${creds.id}/api-keys`, { scopes: ['read', 'tokenize'] })).json();
    const k = client(t, key.apiKey);
    expect((await k.get('/v1/cards')).statusCode).toBe(200);

    const res = await admin('DELETE', `/v1/admin/merchants/${creds.id}/api-keys/${key.id}`);
    expect(res.statusCode).toBe(200);
    const revoked = res.json();
    expect(revoked).toMatchObject({ id: key.id, prefix: key.prefix, scopes: ['read', 'tokenize'] });
    expect(new Date(revoked.revokedAt).toISOString()).toBe(revoked.revokedAt);
    expect(revoked.apiKey).toBeUndefined();

    const after = await k.get('/v1/cards');
    expect(after.statusCode).toBe(401);
    expect(after.json().code).toBe('unauthorized');
    expect((await k.post('/v1/cards', { number: VISA, expMonth: 12, expYear: futureYear() })).statusCode).toBe(401);

    const listed = (await admin('GET', `/v1/admin/merchants/${creds.id}`)).json().apiKeys;
    expect(listed.find((x: { id: string }) => x.id === key.id).revokedAt).toBe(revoked.revokedAt);
    expect(listed.find((x: { label: string | null }) => x.label === 'default').revokedAt).toBeNull();
    expect((await client(t, creds.apiKey).get('/v1/cards')).statusCode).toBe(200);

    // Revoking again is harmless and keeps the first revocation time.
    const again = await admin('DELETE', `/v1/admin/merchants/${creds.id}/api-keys/${key.id}`);
    expect(again.statusCode).toBe(200);
    expect(again.json().revokedAt).toBe(revoked.revokedAt);
  });

  it("cannot revoke one merchant's key through another merchant", async () => {
    const otherMerchant = (await allMerchantIds()).find((id) => id !== creds.id) as string;
    const key = (await admin('POST', `/v1/admin/merchants/${creds.id}/api-keys`, { scopes: ['read'] })).json();
    const res = await admin('DELETE', `/v1/admin/merchants/${otherMerchant}/api-keys/${key.id}`);
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('api_key_not_found');
    expect((await client(t, key.apiKey).get('/v1/cards')).statusCode).toBe(200);
  });

  it.each([
    ['an unknown scope', { scopes: ['admin'] }],
    ['no scopes', { scopes: [] }],
    ['a repeated scope', { scopes: ['read', 'read'] }],
    ['a missing scopes field', { label: 'x' }],
    ['an unknown field', { scopes: ['read'], expires: '2030-01-01' }],
  ])('refuses %s with 400 and issues no key', async (_label, body) => {
    const before = (await admin('GET', `/v1/admin/merchants/${creds.id}`)).json().apiKeys.length;
    const res = await admin('POST', `/v1/admin/merchants/${creds.id}/api-keys`, body);
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('validation_failed');
    expect((await admin('GET', `/v1/admin/merchants/${creds.id}`)).json().apiKeys).toHaveLength(before);
  });

  it('answers 404 for an unknown API key', async () => {
    const res = await admin('DELETE', `/v1/admin/merchants/${creds.id}/api-keys/key_00000000000000000000000000`);
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('api_key_not_found');
  });
});

describe('admin: unknown merchant', () => {
  const unknown = 'mch_00000000000000000000000000';
  it('answers 404 merchant_not_found on GET merchant', async () => {
    const res = await admin('GET', `/v1/admin/merchants/${unknown}`);
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(PROBLEM_JSON);
    expect(res.json()).toMatchObject({ status: 404, code: 'merchant_not_found' });
  });

  it('answers 404 merchant_not_found when issuing a key, and issues none', async () => {
    const res = await admin('POST', `/v1/admin/merchants/${unknown}/api-keys`, { scopes: ['read'] });
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('merchant_not_found');
    const rows = await t.vault.store.db.selectFrom('api_keys').select('id').where('merchant_id', '=', unknown).execute();
    expect(rows).toEqual([]);
  });

  it('answers 404 merchant_not_found when revoking a key of an unknown merchant', async () => {
    const res = await admin('DELETE', `/v1/admin/merchants/${unknown}/api-keys/key_00000000000000000000000000`);
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('merchant_not_found');
  });
});

describe('admin: security', () => {
  it('refuses every admin route without the admin token, and creates nothing', async () => {
    const before = await allMerchantIds();
    const routes: Array<['GET' | 'POST' | 'DELETE', string, Record<string, unknown>?]> = [
      ['GET', '/v1/admin/merchants'],
      ['POST', '/v1/admin/merchants', { name: 'Intruder' }],
      ['GET', `/v1/admin/merchants/${creds.id}`],
      ['POST', `/v1/admin/merchants/${creds.id}/api-keys`, { scopes: ['reveal'] }],
      ['DELETE', `/v1/admin/merchants/${creds.id}/api-keys/key_00000000000000000000000000`],
    ];
    for (const [method, url, payload] of routes) {
      const none = await t.app.inject({ method, url, ...(payload ? { payload } : {}) });
      expect(none.statusCode, `${method} ${url} without token`).toBe(401);
      expect(none.headers['content-type']).toMatch(PROBLEM_JSON);
      expect(none.json().code).toBe('unauthorized');
      for (const token of [`${ADMIN_TOKEN}x`, creds.apiKey]) {
        expect((await admin(method, url, payload, token)).statusCode, `${method} ${url} with ${token.slice(0, 6)}`).toBe(401);
      }
    }
    expect(await allMerchantIds()).toEqual(before);
    const keys = (await admin('GET', `/v1/admin/merchants/${creds.id}`)).json().apiKeys;
    expect(keys.some((k: { scopes: string[] }) => k.scopes.length === 1 && k.scopes[0] === 'reveal')).toBe(false);
  });

  it('does not accept the admin token as a merchant API key', async () => {
    const res = await client(t, ADMIN_TOKEN).get('/v1/cards');
    expect(res.statusCode).toBe(401);
  });
});
