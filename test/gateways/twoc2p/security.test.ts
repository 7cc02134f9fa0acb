/**
 * 2C2P Customer Token Maintenance, security: a message that is forged, tampered, mis-addressed, made with
 * a disallowed algorithm or malformed gets one plain 400 that is the same whatever went wrong (no oracle)
 * and changes nothing; one merchant cannot reach another's tokens; a deleted merchant's key stops at once;
 * key replacement and vault key rotation take effect, keeping the previous vault key for decryption only.
 */
import { createPublicKey, generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { CompactEncrypt, CompactSign } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createMerchant, futureYear, makeTestApp, type TestApp, type TestMerchant, VISA } from '../../helpers/harness.ts';
import {
  buildRawRequest,
  buildRequest,
  openResponse,
  pollFor,
  postRaw,
  snapshotRows,
  type Twoc2pClient,
  type Twoc2pOp,
  twoc2pClient,
  twoc2pClientWith,
} from './helpers.ts';

const Y = futureYear();
const INVALID = { status: 400, contentType: 'text/plain; charset=utf-8', body: 'Invalid request' };

let t: TestApp;
let ma: TestMerchant;
let mb: TestMerchant;
let a: Twoc2pClient;
let b: Twoc2pClient;
let aToken: string;
let aBaseline: Record<string, unknown>;
/** Merchants for the key tests, made up front so the server's key index knows them from its first load. */
let replaceMerchant: TestMerchant;
let revokeMerchant: TestMerchant;
let goneMerchant: TestMerchant;

// RSA key generation is slow: each key this file needs is made once.
const rsa = (bits: number) => generateKeyPairSync('rsa', { modulusLength: bits });
let spareRsa: { publicKey: KeyObject; privateKey: KeyObject };

const addPayload = (merchantID: string, over: Record<string, unknown> = {}) => ({
  merchantID,
  accountNo: VISA,
  name: 'Alice Merchant-A',
  email: 'alice@example.com',
  expiry: `${Y}-04-30`,
  tokenProvider: 'CC',
  ...over,
});

const b64url = (s: string) => Buffer.from(s).toString('base64url');

/** Replaces one character in the middle of part `part` of a compact serialization. */
function flipInPart(compact: string, part: number): string {
  const parts = compact.split('.');
  const p = parts[part] as string;
  const i = Math.floor(p.length / 2);
  parts[part] = `${p.slice(0, i)}${p[i] === 'A' ? 'B' : 'A'}${p.slice(i + 1)}`;
  return parts.join('.');
}

/** A valid JWE of an add for A (encrypted to A's vault key), not yet signed. */
const jweForA = (
  over: Record<string, unknown> = {},
  header = { alg: 'RSA-OAEP', enc: 'A256GCM' },
  key: KeyObject | Uint8Array = a.vaultPublic,
) => new CompactEncrypt(new TextEncoder().encode(JSON.stringify(addPayload(a.merchantID, over)))).setProtectedHeader(header).encrypt(key);

const seen: LightMyRequestResponse[] = [];

/** Posts, expects the one uniform refusal, and proves nothing changed. */
async function expectInvalid(op: Twoc2pOp, body: string, contentType = 'text/plain'): Promise<void> {
  const before = await snapshotRows(t);
  const res = await postRaw(t, op, body, contentType);
  seen.push(res);
  expect({ status: res.statusCode, contentType: res.headers['content-type'], body: res.body }).toEqual(INVALID);
  expect(await snapshotRows(t)).toEqual(before);
  expect((await a.call('get', { merchantID: a.merchantID, token: aToken })).json).toEqual(aBaseline);
}

beforeAll(async () => {
  t = await makeTestApp();
  spareRsa = rsa(2048);
  // One at a time: merchants created concurrently can outlast the test app's 1 s key cache and fail.
  const made: TestMerchant[] = [];
  for (const name of ['Merchant A', 'Merchant B', 'Key replacement', 'Key revocation', 'Deleted merchant'])
    made.push(await createMerchant(t, name));
  const [m1, m2, m3, m4, m5] = made as [TestMerchant, TestMerchant, TestMerchant, TestMerchant, TestMerchant];
  replaceMerchant = m3;
  revokeMerchant = m4;
  goneMerchant = m5;
  ma = m1;
  mb = m2;
  a = twoc2pClient(t, m1);
  b = twoc2pClient(t, m2);
  const added = await a.call('add', addPayload(a.merchantID));
  expect(added.json?.responseCode, JSON.stringify(added.json)).toBe('0000');
  aToken = added.json?.token as string;
  aBaseline = (await a.call('get', { merchantID: a.merchantID, token: aToken })).json as Record<string, unknown>;
  expect(aBaseline).toMatchObject({ responseCode: '0000', name: 'Alice Merchant-A' });
});
afterAll(() => t.close());

describe('a message that does not verify or decrypt: one plain 400, nothing changed', () => {
  it('the unmodified message is accepted (so each refusal below is for its one change)', async () => {
    const before = await snapshotRows(t);
    const res = await postRaw(
      t,
      'add',
      await buildRequest(addPayload(a.merchantID, { name: 'Control' }), a.vaultPublic, a.merchantPrivate),
    );
    expect(res.statusCode).toBe(200);
    expect(await openResponse(res.body, a.vaultPublic, a.merchantPrivate)).toMatchObject({ responseCode: '0000', name: 'Control' });
    expect((await snapshotRows(t)).cards).toHaveLength(before.cards.length + 1);
  });

  it('a tampered signature', async () => {
    const jws = await buildRequest(addPayload(a.merchantID), a.vaultPublic, a.merchantPrivate);
    await expectInvalid('add', flipInPart(jws, 2));
  });

  it('a tampered payload (the signed JWE changed)', async () => {
    const jws = await buildRequest(addPayload(a.merchantID), a.vaultPublic, a.merchantPrivate);
    await expectInvalid('add', flipInPart(jws, 1));
  });

  it('a tampered protected header', async () => {
    const jws = await buildRequest(addPayload(a.merchantID), a.vaultPublic, a.merchantPrivate);
    const [, payload, sig] = jws.split('.');
    await expectInvalid('add', `${b64url('{"alg":"PS256","kid":"x"}')}.${payload}.${sig}`);
  });

  it("a JWE to A's vault key signed by merchant B", async () => {
    await expectInvalid('add', await buildRequest(addPayload(a.merchantID), a.vaultPublic, b.merchantPrivate));
  });

  it("a JWE to B's vault key signed by merchant A", async () => {
    await expectInvalid('add', await buildRequest(addPayload(a.merchantID), b.vaultPublic, a.merchantPrivate));
  });

  it('a signature by a key no merchant registered', async () => {
    await expectInvalid('add', await buildRequest(addPayload(a.merchantID), a.vaultPublic, spareRsa.privateKey));
  });

  it('a JWE with alg RSA-OAEP-256', async () => {
    const jwe = await jweForA({}, { alg: 'RSA-OAEP-256', enc: 'A256GCM' });
    await expectInvalid(
      'add',
      await new CompactSign(new TextEncoder().encode(jwe)).setProtectedHeader({ alg: 'PS256' }).sign(a.merchantPrivate),
    );
  });

  it('a JWE with alg dir (a key the sender chose)', async () => {
    const jwe = await jweForA({}, { alg: 'dir', enc: 'A256GCM' }, randomBytes(32));
    await expectInvalid(
      'add',
      await new CompactSign(new TextEncoder().encode(jwe)).setProtectedHeader({ alg: 'PS256' }).sign(a.merchantPrivate),
    );
  });

  it('a JWE with enc A128GCM', async () => {
    const jwe = await jweForA({}, { alg: 'RSA-OAEP', enc: 'A128GCM' });
    await expectInvalid(
      'add',
      await new CompactSign(new TextEncoder().encode(jwe)).setProtectedHeader({ alg: 'PS256' }).sign(a.merchantPrivate),
    );
  });

  it('a JWS with alg RS256 (right key, wrong algorithm)', async () => {
    await expectInvalid(
      'add',
      await buildRawRequest(JSON.stringify(addPayload(a.merchantID)), a.vaultPublic, a.merchantPrivate, { jws: { alg: 'RS256' } }),
    );
  });

  it("a JWS with alg HS256 keyed with A's public key (algorithm confusion)", async () => {
    const merchantPublicPem = createPublicKey(a.merchantPrivate).export({ type: 'spki', format: 'pem' }).toString();
    const jwe = await jweForA();
    const forged = await new CompactSign(new TextEncoder().encode(jwe))
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(merchantPublicPem));
    await expectInvalid('add', forged);
  });

  it('a JWS with alg none', async () => {
    const jwe = await jweForA();
    await expectInvalid('add', `${b64url('{"alg":"none"}')}.${b64url(jwe)}.`);
    await expectInvalid('add', `${b64url('{"alg":"none"}')}.${b64url(jwe)}`);
  });

  it('a truncated message', async () => {
    const jws = await buildRequest(addPayload(a.merchantID), a.vaultPublic, a.merchantPrivate);
    await expectInvalid('add', jws.slice(0, jws.length - 20));
    await expectInvalid('add', jws.slice(0, Math.floor(jws.length / 2)));
    await expectInvalid('add', jws.slice(0, jws.lastIndexOf('.')));
  });

  it('an empty body, whitespace, and garbage', async () => {
    await expectInvalid('add', '');
    await expectInvalid('get', '   \n');
    await expectInvalid('add', 'hello world');
    await expectInvalid('update', 'a.b.c');
    await expectInvalid('delete', '....');
    await expectInvalid('add', `${b64url('{"alg":"PS256"}')}.!!!.???`);
  });

  it('a JWE posted without the JWS around it', async () => {
    await expectInvalid('add', await jweForA());
  });

  it('a JSON wrapper without a usable payload', async () => {
    await expectInvalid('add', '{}', 'application/json');
    await expectInvalid('add', '{"payload":123}', 'application/json');
    await expectInvalid('add', '{"payload":""}', 'application/json');
    const jws = await buildRequest(addPayload(a.merchantID), a.vaultPublic, a.merchantPrivate);
    await expectInvalid('add', JSON.stringify({ payload: flipInPart(jws, 2) }), 'application/json');
  });

  it('a large, well-shaped but bogus message under the body limit', async () => {
    await expectInvalid('add', `${b64url('{"alg":"PS256"}')}.${'A'.repeat(500_000)}.${'B'.repeat(342)}`);
  });

  it('a 2 MB body is refused (400 or 413) and changes nothing', async () => {
    const before = await snapshotRows(t);
    const res = await postRaw(t, 'add', 'A'.repeat(2 * 1024 * 1024));
    expect([400, 413]).toContain(res.statusCode);
    if (res.statusCode === 400) expect(res.body).toBe('Invalid request');
    expect(await snapshotRows(t)).toEqual(before);
  });

  it('every refusal above was byte-for-byte the same response (no oracle)', () => {
    expect(seen.length).toBeGreaterThan(25);
    const distinct = new Set(seen.map((r) => JSON.stringify([r.statusCode, r.headers['content-type'], r.body])));
    expect([...distinct]).toEqual([JSON.stringify([400, INVALID.contentType, INVALID.body])]);
  });
});

describe("another merchant's token", () => {
  it.each(['get', 'update', 'delete'] as const)("B cannot %s A's token (9040), and A's card is unchanged", async (op) => {
    const before = await snapshotRows(t);
    const payload =
      op === 'update'
        ? { merchantID: b.merchantID, token: aToken, name: 'Mallory', expiry: `${Y}-12-31` }
        : { merchantID: b.merchantID, token: aToken };
    const r = await b.call(op, payload);
    expect(r.status, r.body).toBe(200);
    expect(r.json).toMatchObject({ merchantID: b.merchantID, responseCode: '9040' });
    expect(r.json).not.toHaveProperty('name');
    expect(await snapshotRows(t)).toEqual(before);
    expect((await a.call('get', { merchantID: a.merchantID, token: aToken })).json).toEqual(aBaseline);
  });

  it("B cannot name A's merchantID in its own signed request (9007)", async () => {
    const before = await snapshotRows(t);
    const r = await b.call('get', { merchantID: a.merchantID, token: aToken });
    expect(r.json).toMatchObject({ responseCode: '9007' });
    expect(r.json).not.toHaveProperty('name');
    const d = await b.call('delete', { merchantID: a.merchantID, token: aToken });
    expect(d.json).toMatchObject({ responseCode: '9007' });
    expect(await snapshotRows(t)).toEqual(before);
    expect((await a.call('get', { merchantID: a.merchantID, token: aToken })).json).toEqual(aBaseline);
  });
});

describe('a deleted merchant', () => {
  it('its 2C2P key stops working at once: nothing read, nothing changed, no 500', async () => {
    const gone = twoc2pClient(t, goneMerchant);
    const added = await gone.call('add', addPayload(gone.merchantID, { name: 'Gone Merchant' }));
    expect(added.json?.responseCode).toBe('0000');
    const token = added.json?.token as string;
    const del = await t.app.inject({
      method: 'DELETE',
      url: `/v1/admin/merchants/${goneMerchant.id}`,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(del.statusCode, del.body).toBe(200);

    // Deleting a merchant revokes its credentials "at once" (merchants.delete): no grace period.
    const before = await snapshotRows(t);
    const attempts: [Twoc2pOp, unknown][] = [
      ['get', { merchantID: gone.merchantID, token }],
      ['update', { merchantID: gone.merchantID, token, name: 'Still Here', expiry: `${Y}-12-31` }],
      ['add', addPayload(gone.merchantID, { accountNo: '5555555555554444' })],
      ['delete', { merchantID: gone.merchantID, token }],
    ];
    for (const [op, payload] of attempts) {
      const r = await gone.call(op, payload);
      expect({ op, status: r.status, body: r.status === 200 ? r.json : r.body }).toEqual({ op, status: 400, body: 'Invalid request' });
    }
    expect(await snapshotRows(t)).toEqual(before);
  });
});

describe('merchant key registration', () => {
  const getWith = (c: Twoc2pClient, token: string) => () => c.call('get', { merchantID: c.merchantID, token });

  it('replacing the merchant public key revokes the old key even before the new one is used', async () => {
    const m = revokeMerchant;
    const old = twoc2pClient(t, m);
    const added = await old.call('add', addPayload(old.merchantID));
    expect(added.json?.responseCode).toBe('0000');
    const token = added.json?.token as string;
    // A compromised key is replaced: from now on its holder must be locked out.
    const replaced = await t.vault.merchants.updateGatewayKeys(m.id, 'twoc2p', {
      merchantPublicKeyPem: rsa(2048).publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    });
    expect(replaced.ok).toBe(true);
    const before = await snapshotRows(t);
    // Allow the server's 5 s reload window, and no more.
    const viaOld = await pollFor(getWith(old, token), (r) => r.status === 400, 5_500);
    expect({ status: viaOld.status, body: viaOld.body }).toEqual({ status: 400, body: 'Invalid request' });
    // Nor may the old key change anything.
    const del = await old.call('delete', { merchantID: old.merchantID, token });
    expect(del.status).toBe(400);
    expect((await snapshotRows(t)).cards).toEqual(before.cards);
  });

  it('replacing the merchant public key: the old key is refused, the new key is accepted', async () => {
    const m = replaceMerchant;
    const old = twoc2pClient(t, m);
    const added = await old.call('add', addPayload(old.merchantID));
    expect(added.json?.responseCode).toBe('0000');
    const token = added.json?.token as string;

    const replaced = await t.vault.merchants.updateGatewayKeys(m.id, 'twoc2p', {
      merchantPublicKeyPem: spareRsa.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    });
    expect(replaced.ok).toBe(true);
    const fresh = twoc2pClientWith(t, old.merchantID, spareRsa.privateKey, old.vaultPublic);

    // The server's key index reloads on a miss at most every 5 s: allow one retry window.
    const viaNew = await pollFor(getWith(fresh, token), (r) => r.status === 200);
    expect(viaNew.status, viaNew.body).toBe(200);
    expect(viaNew.json).toMatchObject({ responseCode: '0000', token });

    const viaOld = await pollFor(getWith(old, token), (r) => r.status === 400);
    expect({ status: viaOld.status, body: viaOld.body }).toEqual({ status: 400, body: 'Invalid request' });
  });

  it.each([
    ['a 1024-bit RSA key', () => rsa(1024).publicKey.export({ type: 'spki', format: 'pem' }).toString()],
    [
      'an EC P-256 key',
      () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    ],
    ['text that is not a key', () => '-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n'],
  ])('refuses to register %s (invalid_key) and keeps the current key working', async (_name, pem) => {
    const before = await snapshotRows(t);
    const r = await t.vault.merchants.updateGatewayKeys(ma.id, 'twoc2p', { merchantPublicKeyPem: pem() });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toBe('invalid_key');
    expect(await snapshotRows(t)).toEqual(before);
    expect((await a.call('get', { merchantID: a.merchantID, token: aToken })).json).toEqual(aBaseline);
  });
});

describe('vault key rotation', () => {
  it('rotates to a 3072-bit key: requests to the new and the previous key succeed, responses are signed by the new key', async () => {
    // Merchant B, in use before the rotation as in production (and nothing after this test needs B).
    const m = mb;
    const before = b;
    const added = await before.call('add', addPayload(before.merchantID, { name: 'Before Rotation' }));
    expect(added.json?.responseCode).toBe('0000');
    const token = added.json?.token as string;

    const rotated = await t.vault.merchants.updateGatewayKeys(m.id, 'twoc2p', { rotateVaultKey: 3072 });
    expect(rotated.ok).toBe(true);
    if (!rotated.ok) return;
    const newVaultPublic = createPublicKey(rotated.value.vaultPublicKeyPem as string);
    expect(newVaultPublic.asymmetricKeyType).toBe('rsa');
    expect(newVaultPublic.asymmetricKeyDetails?.modulusLength).toBe(3072);
    expect(newVaultPublic.equals(before.vaultPublic)).toBe(false);
    // The merchant's own key is untouched by a vault rotation.
    expect(createPublicKey(rotated.value.merchantPublicKeyPem as string).equals(createPublicKey(before.merchantPrivate))).toBe(true);

    const send = (encryptTo: KeyObject) => async () => {
      const jws = await buildRequest({ merchantID: before.merchantID, token }, encryptTo, before.merchantPrivate);
      return postRaw(t, 'get', jws);
    };
    // Allow the server's 5 s reload window, and no more.
    const toNew = await pollFor(send(newVaultPublic), (r) => r.statusCode === 200, 5_500);
    expect(toNew.statusCode, toNew.body).toBe(200);
    expect(await openResponse(toNew.body, newVaultPublic, before.merchantPrivate)).toMatchObject({ responseCode: '0000', token });

    const toOld = await send(before.vaultPublic)();
    expect(toOld.statusCode, toOld.body).toBe(200);
    // Signed with the new vault key, not the old one.
    expect(await openResponse(toOld.body, newVaultPublic, before.merchantPrivate)).toMatchObject({ responseCode: '0000', token });
    await expect(openResponse(toOld.body, before.vaultPublic, before.merchantPrivate)).rejects.toThrow();
  });
});
