/**
 * Deleting a merchant is crypto-shredding: its data keys are destroyed, so its card numbers and gateway
 * secrets are unreadable — by this vault, by a new vault on the same database and master key, and from a
 * backup of the card tables — while other merchants and the audit chain are untouched.
 */
import { compactDecrypt, exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openVault } from '../../../src/app.ts';
import { createKeyring, type WrappedKey } from '../../../src/crypto/keyring.ts';
import { CREDENTIAL_SECRET, PAN } from '../../../src/store/encrypted-fields.ts';
import type { DataKeyRow, GatewayCredentialRow, InstrumentRow } from '../../../src/store/schema.ts';
import {
  ADMIN_TOKEN,
  AMEX,
  type Client,
  client,
  createCustomer,
  createMerchant,
  MASTERCARD,
  makeTestApp,
  type TestApp,
  type TestMerchant,
  tokenize,
  VISA,
} from '../../helpers/harness.ts';

let t: TestApp;
let a: TestMerchant;
let b: TestMerchant;
let ca: Client;
let cb: Client;
let aSecondKey: string;
const aPans = [VISA, MASTERCARD, AMEX];
const aTokens: string[] = [];
const bTokens: string[] = [];
/** What a backup taken just before the deletion holds. */
let backupInstruments: InstrumentRow[];
let backupDataKeys: DataKeyRow[];
let backupCredentials: GatewayCredentialRow[];

const admin = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: Record<string, unknown>, token = ADMIN_TOKEN) =>
  t.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });

const panAad = (merchantId: string, instrumentId: string) => PAN.aad(merchantId, instrumentId);
const secretAad = (merchantId: string, credId: string) => CREDENTIAL_SECRET.aad(merchantId, credId);

const rowsOf = {
  instruments: (merchantId: string) =>
    t.vault.store.db.selectFrom('instrument_identifiers').selectAll().where('merchant_id', '=', merchantId).orderBy('id').execute(),
  dataKeys: (merchantId: string) =>
    t.vault.store.db.selectFrom('data_keys').selectAll().where('merchant_id', '=', merchantId).orderBy('purpose').execute(),
  credentials: (merchantId: string) =>
    t.vault.store.db
      .selectFrom('gateway_credentials')
      .selectAll()
      .where('merchant_id', '=', merchantId)
      .where('secret_data', 'is not', null)
      .execute(),
};

/** A keyring over the vault's master key whose only key source is the rows given: a restored backup. */
const keyringFrom = (rows: readonly DataKeyRow[]) =>
  createKeyring({
    master: t.vault.master,
    source: {
      loadKeys: async (merchantId): Promise<WrappedKey[]> =>
        rows
          .filter((r) => r.merchant_id === merchantId)
          .map((r) => ({ purpose: r.purpose as WrappedKey['purpose'], version: Number(r.version), wrapped: r.wrapped })),
    },
  });

async function revealWith(c: Client, token: string) {
  const pair = await generateKeyPair('ECDH-ES+A256KW', { crv: 'P-256', extractable: true });
  const res = await c.post(`/v1/cards/${token}/reveal`, { purpose: 'shredding check', jwk: await exportJWK(pair.publicKey) });
  return { res, open: async () => JSON.parse(new TextDecoder().decode((await compactDecrypt(res.json().jwe, pair.privateKey)).plaintext)) };
}

beforeAll(async () => {
  t = await makeTestApp();
  a = await createMerchant(t, 'Shred A');
  b = await createMerchant(t, 'Keep B');
  ca = client(t, a.apiKey);
  cb = client(t, b.apiKey);
  const key = await admin('POST', `/v1/admin/merchants/${a.id}/api-keys`, { scopes: ['read', 'reveal'] });
  aSecondKey = key.json().apiKey;
  const cus = await createCustomer(ca);
  for (const number of aPans) aTokens.push((await tokenize(ca, { number, customer: cus.id })).token);
  for (const number of [VISA, '6011111111111117']) bTokens.push((await tokenize(cb, { number })).token);

  backupInstruments = await rowsOf.instruments(a.id);
  backupDataKeys = await rowsOf.dataKeys(a.id);
  backupCredentials = await rowsOf.credentials(a.id);
});
afterAll(() => t?.close());

describe('merchant deletion (crypto-shredding)', () => {
  it("has A's numbers and secrets readable before the deletion", async () => {
    expect(backupInstruments).toHaveLength(3);
    expect(backupDataKeys.map((k) => k.purpose).sort()).toEqual(['data', 'fingerprint']);
    expect(backupCredentials.length).toBeGreaterThan(0);
    const pans = await Promise.all(
      backupInstruments.map(async (r) => (await t.vault.keyring.decrypt(a.id, panAad(a.id, r.id), r.pan_ct as string)).toString()),
    );
    expect(pans.sort()).toEqual([...aPans].sort());
    const { res, open } = await revealWith(ca, aTokens[0] as string);
    expect(res.statusCode).toBe(200);
    expect((await open()).number).toBe(VISA);
  });

  it('refuses the deletion to a merchant API key and to no token', async () => {
    expect((await admin('DELETE', `/v1/admin/merchants/${a.id}`, undefined, a.apiKey)).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'DELETE', url: `/v1/admin/merchants/${a.id}` })).statusCode).toBe(401);
    expect((await ca.get(`/v1/cards/${aTokens[0]}`)).statusCode).toBe(200);
  });

  it('deletes the merchant: 200 with status deleted', async () => {
    const res = await admin('DELETE', `/v1/admin/merchants/${a.id}`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ id: a.id, name: 'Shred A', status: 'deleted', createdAt: expect.any(String) });
    const shown = await admin('GET', `/v1/admin/merchants/${a.id}`);
    expect(shown.json().status).toBe('deleted');
    expect(shown.json().apiKeys.every((k: { revokedAt: string | null }) => k.revokedAt !== null)).toBe(true);
  });

  it('stops every API key of A at once (401), including for reveal and tokenize', async () => {
    for (const key of [a.apiKey, aSecondKey]) {
      const c = client(t, key);
      expect((await c.get(`/v1/cards/${aTokens[0]}`)).statusCode).toBe(401);
      expect((await c.get('/v1/audit-events')).statusCode).toBe(401);
      expect((await revealWith(c, aTokens[0] as string)).res.statusCode).toBe(401);
    }
    expect((await ca.post('/v1/cards', { number: VISA, expMonth: 12, expYear: new Date().getUTCFullYear() + 2 })).statusCode).toBe(401);
    expect((await admin('POST', `/v1/admin/merchants/${a.id}/api-keys`, { scopes: ['read'] })).statusCode).toBe(404);
    const creds = await t.vault.store.db.selectFrom('gateway_credentials').select('revoked_at').where('merchant_id', '=', a.id).execute();
    expect(creds.length).toBeGreaterThan(0);
    expect(creds.every((r) => r.revoked_at !== null)).toBe(true);
  });

  it("destroys A's data keys, so not even a new vault with the same master key can decrypt A's numbers", async () => {
    expect(await rowsOf.dataKeys(a.id)).toEqual([]);
    for (const r of backupInstruments) {
      await expect(t.vault.keyring.decrypt(a.id, panAad(a.id, r.id), r.pan_ct as string)).rejects.toThrow();
    }
    const fresh = await openVault(t.config);
    try {
      for (const r of backupInstruments) {
        await expect(fresh.keyring.decrypt(a.id, panAad(a.id, r.id), r.pan_ct as string)).rejects.toThrow();
      }
      for (const r of backupCredentials) {
        await expect(fresh.keyring.decrypt(a.id, secretAad(a.id, r.id), r.secret_data as string)).rejects.toThrow();
      }
      // The same new vault still reads B: the failure is A's missing keys, not the vault.
      const bRow = (await rowsOf.instruments(b.id))[0] as InstrumentRow;
      expect((await fresh.keyring.decrypt(b.id, panAad(b.id, bRow.id), bRow.pan_ct as string)).toString()).toMatch(/^\d{16}$/);
    } finally {
      await fresh.close();
    }
  });

  it('leaves B untouched: its keys, its cards, its reveal', async () => {
    expect(await rowsOf.dataKeys(b.id)).toHaveLength(2);
    for (const token of bTokens) {
      const res = await cb.get(`/v1/cards/${token}`);
      expect(res.statusCode).toBe(200);
      expect(res.json().status).toBe('ACTIVE');
    }
    const { res, open } = await revealWith(cb, bTokens[0] as string);
    expect(res.statusCode, res.body).toBe(200);
    expect(await open()).toMatchObject({ token: bTokens[0], number: VISA });
    expect((await admin('GET', `/v1/admin/merchants/${b.id}`)).json().status).toBe('active');
    // A's tokens stay invisible to B.
    expect((await cb.get(`/v1/cards/${aTokens[0]}`)).statusCode).toBe(404);
  });

  it("records merchant.delete at the end of A's chain, and the whole log still verifies", async () => {
    const rows = await t.vault.store.db.selectFrom('audit_events').selectAll().where('chain', '=', a.id).orderBy('seq').execute();
    const last = rows.at(-1);
    expect(last).toMatchObject({ action: 'merchant.delete', actor: 'admin', target: a.id, merchant_id: a.id, outcome: 'success' });
    expect(JSON.parse(last?.detail as string)).toEqual({ keysDestroyed: 2, requestId: expect.any(String) });
    expect(Number(last?.seq)).toBe(rows.length);
    expect(rows.filter((r) => r.action === 'merchant.delete')).toHaveLength(1);
    const report = await t.vault.audit.verify();
    expect(report).toMatchObject({ ok: true, firstBreak: null });
  });

  it('answers 404 to a second deletion and to an unknown merchant, appending nothing', async () => {
    const count = async () =>
      Number(
        (
          await t.vault.store.db
            .selectFrom('audit_events')
            .select((eb) => eb.fn.countAll<number | string>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const before = await count();
    const again = await admin('DELETE', `/v1/admin/merchants/${a.id}`);
    expect(again.statusCode).toBe(404);
    expect(again.json().code).toBe('merchant_not_found');
    expect((await admin('DELETE', '/v1/admin/merchants/mch_00000000000000000000000000')).statusCode).toBe(404);
    expect(await count()).toBe(before);
  });
});

describe('merchant deletion: a backup taken before it', () => {
  it('keeps only ciphertext in the instrument table, which no longer decrypts without the destroyed key rows', async () => {
    // After the deletion the instrument rows are still there, exactly as backed up; the key rows are not.
    const after = await rowsOf.instruments(a.id);
    expect(after.map((r) => [r.id, r.pan_ct])).toEqual(backupInstruments.map((r) => [r.id, r.pan_ct]));
    expect(after.every((r) => typeof r.pan_ct === 'string' && r.pan_ct.startsWith('tv1.'))).toBe(true);
    expect(await rowsOf.dataKeys(a.id)).toEqual([]);

    // A restore of the instrument table alone (with today's key rows, or none) decrypts nothing.
    for (const keyring of [keyringFrom([]), keyringFrom(await rowsOf.dataKeys(a.id))]) {
      for (const r of backupInstruments) {
        await expect(keyring.decrypt(a.id, panAad(a.id, r.id), r.pan_ct as string)).rejects.toThrow();
      }
    }
    // Other merchants' key rows do not open A's ciphertext either.
    const bKeys = (await rowsOf.dataKeys(b.id)).map((r) => ({ ...r, merchant_id: a.id }));
    for (const r of backupInstruments) {
      await expect(keyringFrom(bKeys).decrypt(a.id, panAad(a.id, r.id), r.pan_ct as string)).rejects.toThrow();
    }
  });

  it('shows the wrapped key rows were what made decryption possible', async () => {
    const withSavedKeys = keyringFrom(backupDataKeys);
    const pans = await Promise.all(
      backupInstruments.map(async (r) => (await withSavedKeys.decrypt(a.id, panAad(a.id, r.id), r.pan_ct as string)).toString()),
    );
    expect(pans.sort()).toEqual([...aPans].sort());
    for (const r of backupCredentials) {
      const secret = JSON.parse((await withSavedKeys.decrypt(a.id, secretAad(a.id, r.id), r.secret_data as string)).toString());
      expect(typeof secret).toBe('object');
    }
  });
});
