/**
 * The tamper-evident audit log: every mutation leaves exactly one event (and a failed or read-only
 * request none), events never hold card data or secrets, chains are contiguous hash chains per merchant,
 * and editing, deleting or truncating events — or forging a checkpoint — is caught by verification,
 * through the vault and through the `tokenvault audit` CLI.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import SQLite from 'better-sqlite3';
import type { LightMyRequestResponse } from 'fastify';
import { exportJWK, generateKeyPair } from 'jose';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventHash, GENESIS } from '../../src/audit/log.ts';
import type { AuditEventRow } from '../../src/store/schema.ts';
import {
  ADMIN_TOKEN,
  AMEX,
  backend,
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
} from '../helpers/harness.ts';

const PROBLEM_JSON = /^application\/problem\+json/;
/** What an event written by an HTTP request adds to its detail: that request's id (generated here: none is sent). */
const BY_REQUEST = { requestId: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/) };

// ---------- helpers ----------

function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** Every 13–19 digit window of every digit run that passes the Luhn check: what a PAN scanner would flag. */
function luhnRuns(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/\d{13,}/g)) {
    const run = m[0];
    for (let len = 13; len <= 19; len++) {
      for (let i = 0; i + len <= run.length; i++) {
        const w = run.slice(i, i + len);
        if (luhnValid(w)) found.push(w);
      }
    }
  }
  return found;
}

/** Every field name and leaf value of a JSON-like value, at any depth (array items are named by their parent). */
function leaves(value: unknown, key = ''): { key: string; value: unknown }[] {
  if (Array.isArray(value)) return value.flatMap((v) => leaves(v, key));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => [{ key: k, value: undefined }, ...leaves(v, k)]);
  }
  return [{ key, value }];
}

/** A random Luhn-valid card number with the given prefix. */
function makePan(prefix: string, length = 16): string {
  let body = prefix;
  while (body.length < length - 1) body += String((randomBytes(1)[0] as number) % 10);
  for (let d = 0; d < 10; d++) if (luhnValid(body + d)) return body + d;
  throw new Error('unreachable');
}

const adminOf = (t: TestApp) => (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: Record<string, unknown>) =>
  t.app.inject({ method, url, headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, ...(payload ? { payload } : {}) });

const chainRows = (t: TestApp, chain: string) =>
  t.vault.store.db.selectFrom('audit_events').selectAll().where('chain', '=', chain).orderBy('seq').execute();

async function totalEvents(t: TestApp): Promise<number> {
  const r = await t.vault.store.db
    .selectFrom('audit_events')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

async function lastSeq(t: TestApp, chain: string): Promise<number> {
  const head = await t.vault.store.db.selectFrom('audit_heads').select('seq').where('chain', '=', chain).executeTakeFirstOrThrow();
  return Number(head.seq);
}

interface Ev {
  seq: number;
  action: string;
  target: string | null;
  actor: string;
  outcome: string;
  detail: Record<string, unknown> | null;
}
const ev = (r: AuditEventRow): Ev => ({
  seq: Number(r.seq),
  action: r.action,
  target: r.target,
  actor: r.actor,
  outcome: r.outcome,
  detail: r.detail ? (JSON.parse(r.detail) as Record<string, unknown>) : null,
});

/** The events `fn` appended to `chain`, read from the database. */
async function appended(t: TestApp, chain: string, fn: () => Promise<unknown>): Promise<Ev[]> {
  const before = await lastSeq(t, chain);
  await fn();
  const rows = await t.vault.store.db
    .selectFrom('audit_events')
    .selectAll()
    .where('chain', '=', chain)
    .where('seq', '>', before)
    .orderBy('seq')
    .execute();
  return rows.map(ev);
}

const ok = (res: LightMyRequestResponse, status = 200) => {
  expect(res.statusCode, res.body).toBe(status);
  return res.json();
};

// biome-ignore lint/suspicious/noExplicitAny: API events are checked field by field
async function listAll(c: Client, query = '', limit = 100): Promise<any[]> {
  // biome-ignore lint/suspicious/noExplicitAny: as above
  const out: any[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 1000; page++) {
    const res = await c.get(`/v1/audit-events?limit=${limit}${query ? `&${query}` : ''}${cursor ? `&cursor=${cursor}` : ''}`);
    const body = ok(res);
    expect(body.data.length).toBeLessThanOrEqual(limit);
    out.push(...body.data);
    cursor = body.nextCursor;
    if (!cursor) return out;
  }
  throw new Error('audit pagination did not end');
}

// ---------- one app shared by the mutation, failure, leak and chain checks ----------

let t: TestApp;
let m: TestMerchant;
let c: Client;
let keyId: string;
let admin: ReturnType<typeof adminOf>;

beforeAll(async () => {
  t = await makeTestApp();
  admin = adminOf(t);
  m = await createMerchant(t, 'Audit A');
  c = client(t, m.apiKey);
  keyId = ok(await admin('GET', `/v1/admin/merchants/${m.id}`)).apiKeys[0].id;
});
afterAll(() => t?.close());

describe('audit log: one event per mutation, in the merchant chain', () => {
  it('starts the chain with merchant.create by admin, naming the default API key (not its secret)', async () => {
    const rows = await chainRows(t, m.id);
    expect(rows[0]).toMatchObject({
      seq: 1,
      merchant_id: m.id,
      action: 'merchant.create',
      actor: 'admin',
      target: m.id,
      prev_hash: GENESIS,
    });
    expect(ev(rows[0] as AuditEventRow).detail).toEqual({ apiKey: keyId, ...BY_REQUEST });
    expect(keyId).toMatch(/^key_/);
    const [first] = ok(await c.get('/v1/audit-events?limit=1')).data;
    expect(first).toMatchObject({ seq: 1, merchant: m.id, action: 'merchant.create', actor: 'admin', target: m.id, outcome: 'success' });
  });

  it('records apikey.create and apikey.revoke by admin, and a second revoke appends nothing', async () => {
    let key = { id: '', apiKey: '' };
    const created = await appended(t, m.id, async () => {
      key = ok(await admin('POST', `/v1/admin/merchants/${m.id}/api-keys`, { scopes: ['read'], label: 'audit' }), 201);
    });
    expect(created).toEqual([
      expect.objectContaining({
        action: 'apikey.create',
        target: key.id,
        actor: 'admin',
        outcome: 'success',
        detail: { scopes: 'read', ...BY_REQUEST },
      }),
    ]);
    const revoked = await appended(t, m.id, async () => ok(await admin('DELETE', `/v1/admin/merchants/${m.id}/api-keys/${key.id}`)));
    expect(revoked).toEqual([expect.objectContaining({ action: 'apikey.revoke', target: key.id, actor: 'admin' })]);
    expect(await appended(t, m.id, async () => ok(await admin('DELETE', `/v1/admin/merchants/${m.id}/api-keys/${key.id}`)))).toEqual([]);
    const listed = ok(await c.get(`/v1/audit-events?token=${key.id}`)).data;
    expect(listed.map((e: Ev) => e.action)).toEqual(['apikey.create', 'apikey.revoke']);
  });

  it('records customer.create, customer.update and customer.delete with the API key id as actor', async () => {
    let cus = { id: '' };
    const created = await appended(t, m.id, async () => {
      cus = await createCustomer(c, { customerId: 'audit-cus', name: 'Ada' });
    });
    expect(created).toEqual([expect.objectContaining({ action: 'customer.create', target: cus.id, actor: keyId })]);
    const updated = await appended(t, m.id, async () => ok(await c.patch(`/v1/customers/${cus.id}`, { name: 'Ada L', email: 'a@b.c' })));
    expect(updated).toEqual([
      expect.objectContaining({ action: 'customer.update', target: cus.id, actor: keyId, detail: { fields: 'name,email', ...BY_REQUEST } }),
    ]);
    const deleted = await appended(t, m.id, async () => ok(await c.delete(`/v1/customers/${cus.id}`)));
    expect(deleted).toEqual([expect.objectContaining({ action: 'customer.delete', target: cus.id, actor: keyId })]);
    const viaApi = ok(await c.get(`/v1/audit-events?token=${cus.id}`)).data;
    expect(viaApi.map((e: Ev) => [e.action, e.actor])).toEqual([
      ['customer.create', keyId],
      ['customer.update', keyId],
      ['customer.delete', keyId],
    ]);
  });

  it('records card.create, card.update, card.status and card.delete (by DELETE and by status change)', async () => {
    let card = { token: '' };
    const created = await appended(t, m.id, async () => {
      card = await tokenize(c, { holderName: 'Ada Lovelace' });
    });
    expect(created).toEqual([expect.objectContaining({ action: 'card.create', target: card.token, actor: keyId, outcome: 'success' })]);
    const updated = await appended(t, m.id, async () =>
      ok(await c.patch(`/v1/cards/${card.token}`, { holderName: 'A L' }, { 'if-match': '"1"' })),
    );
    expect(updated).toEqual([expect.objectContaining({ action: 'card.update', target: card.token, actor: keyId })]);
    const suspended = await appended(t, m.id, async () => ok(await c.post(`/v1/cards/${card.token}/status`, { status: 'SUSPENDED' })));
    expect(suspended).toEqual([
      expect.objectContaining({ action: 'card.status', target: card.token, detail: { from: 'ACTIVE', to: 'SUSPENDED', ...BY_REQUEST } }),
    ]);
    const deleted = await appended(t, m.id, async () => ok(await c.delete(`/v1/cards/${card.token}`)));
    expect(deleted).toEqual([
      expect.objectContaining({
        action: 'card.delete',
        target: card.token,
        actor: keyId,
        detail: { from: 'SUSPENDED', to: 'DELETED', ...BY_REQUEST },
      }),
    ]);
    const other = await tokenize(c, { number: MASTERCARD });
    const viaStatus = await appended(t, m.id, async () => ok(await c.post(`/v1/cards/${other.token}/status`, { status: 'DELETED' })));
    expect(viaStatus).toEqual([expect.objectContaining({ action: 'card.delete', target: other.token })]);

    const viaApi = ok(await c.get(`/v1/audit-events?token=${card.token}`)).data;
    expect(viaApi.map((e: Ev) => e.action)).toEqual(['card.create', 'card.update', 'card.status', 'card.delete']);
    expect(viaApi.every((e: Ev) => e.actor === keyId && e.target === card.token)).toBe(true);
  });

  it('records a card.delete for every live card deleted with its customer, then customer.delete', async () => {
    const cus = await createCustomer(c);
    const live1 = await tokenize(c, { customer: cus.id });
    const live2 = await tokenize(c, { customer: cus.id, number: AMEX });
    const gone = await tokenize(c, { customer: cus.id, number: MASTERCARD });
    ok(await c.delete(`/v1/cards/${gone.token}`));
    const events = await appended(t, m.id, async () => ok(await c.delete(`/v1/customers/${cus.id}`)));
    expect(events).toHaveLength(3);
    const cardDeletes = events.filter((e) => e.action === 'card.delete');
    expect(cardDeletes.map((e) => e.target).sort()).toEqual([live1.token, live2.token].sort());
    expect(cardDeletes.every((e) => e.actor === keyId)).toBe(true);
    expect(events.at(-1)).toMatchObject({ action: 'customer.delete', target: cus.id, actor: keyId, detail: { cardsDeleted: 2 } });
  });

  it('records address.create, address.update and address.delete', async () => {
    const cus = await createCustomer(c);
    let adr = { id: '' };
    const created = await appended(t, m.id, async () => {
      adr = ok(await c.post(`/v1/customers/${cus.id}/addresses`, { address: { line1: '1 Main St', city: 'London', country: 'GB' } }), 201);
    });
    expect(created).toEqual([
      expect.objectContaining({ action: 'address.create', target: adr.id, actor: keyId, detail: { customer: cus.id, ...BY_REQUEST } }),
    ]);
    const updated = await appended(t, m.id, async () =>
      ok(await c.patch(`/v1/customers/${cus.id}/addresses/${adr.id}`, { address: { line1: '2 Main St', country: 'GB' } })),
    );
    expect(updated).toEqual([expect.objectContaining({ action: 'address.update', target: adr.id, actor: keyId })]);
    const deleted = await appended(t, m.id, async () => ok(await c.delete(`/v1/customers/${cus.id}/addresses/${adr.id}`)));
    expect(deleted).toEqual([expect.objectContaining({ action: 'address.delete', target: adr.id, actor: keyId })]);
  });

  it('records card.reveal with its purpose, and the actor is the key that revealed', async () => {
    const card = await tokenize(c);
    const reveal = ok(await admin('POST', `/v1/admin/merchants/${m.id}/api-keys`, { scopes: ['reveal'], label: 'revealer' }), 201) as {
      id: string;
      apiKey: string;
    };
    const { publicKey } = await generateKeyPair('ECDH-ES+A256KW', { crv: 'P-256', extractable: true });
    const jwk = await exportJWK(publicKey);
    const events = await appended(t, m.id, async () =>
      ok(await client(t, reveal.apiKey).post(`/v1/cards/${card.token}/reveal`, { purpose: 'chargeback evidence', jwk })),
    );
    expect(events).toEqual([
      expect.objectContaining({
        action: 'card.reveal',
        target: card.token,
        actor: reveal.id,
        outcome: 'success',
        detail: { purpose: 'chargeback evidence', alg: 'ECDH-ES+A256KW', ...BY_REQUEST },
      }),
    ]);
    const viaApi = ok(await c.get(`/v1/audit-events?action=card.reveal&token=${card.token}`)).data;
    expect(viaApi).toHaveLength(1);
    expect(viaApi[0]).toMatchObject({ actor: reveal.id, detail: { purpose: 'chargeback evidence' } });
  });
});

describe('audit log: failures and reads append nothing', () => {
  it('appends no event for a refused or failed request anywhere in the log', async () => {
    const card = await tokenize(c);
    const deleted = await tokenize(c, { number: AMEX });
    ok(await c.delete(`/v1/cards/${deleted.token}`));
    const cus = await createCustomer(c, { customerId: 'dup-me' });
    const readOnly = ok(await admin('POST', `/v1/admin/merchants/${m.id}/api-keys`, { scopes: ['read'] }), 201) as { apiKey: string };
    const r = client(t, readOnly.apiKey);
    const jwk = await exportJWK((await generateKeyPair('ECDH-ES+A256KW', { crv: 'P-256', extractable: true })).publicKey);
    const cases: [string, () => Promise<LightMyRequestResponse>, number][] = [
      ['unknown field (400)', () => c.post('/v1/cards', { number: VISA, expMonth: 12, expYear: futureYear(), pin: '1234' }), 400],
      ['not Luhn (422)', () => c.post('/v1/cards', { number: '4111111111111112', expMonth: 12, expYear: futureYear() }), 422],
      ['expired (422)', () => c.post('/v1/cards', { number: VISA, expMonth: 1, expYear: 2001 }), 422],
      ['unknown customer on tokenize (404)', () => tokenizeRaw(c, { customer: 'cus_nope' }), 404],
      ['card update 404', () => c.patch('/v1/cards/tok_nope', { holderName: 'x' }), 404],
      ['card update stale If-Match (412)', () => c.patch(`/v1/cards/${card.token}`, { holderName: 'x' }, { 'if-match': '"7"' }), 412],
      ['status of a deleted card (409)', () => c.post(`/v1/cards/${deleted.token}/status`, { status: 'ACTIVE' }), 409],
      ['customer update 404', () => c.patch('/v1/customers/cus_nope', { name: 'x' }), 404],
      ['customer update stale (412)', () => c.patch(`/v1/customers/${cus.id}`, { name: 'x' }, { 'if-match': '"9"' }), 412],
      ['customer delete stale (412)', () => c.delete(`/v1/customers/${cus.id}`, { 'if-match': '"9"' }), 412],
      ['duplicate customerId (409)', () => c.post('/v1/customers', { customerId: 'dup-me' }), 409],
      ['address on unknown customer (404)', () => c.post('/v1/customers/cus_nope/addresses', { address: { city: 'X' } }), 404],
      ['address delete 404', () => c.delete(`/v1/customers/${cus.id}/addresses/adr_nope`), 404],
      ['missing scope (403)', () => r.post('/v1/customers', {}), 403],
      [
        'reveal with an unusable JWK (400)',
        () => c.post(`/v1/cards/${card.token}/reveal`, { purpose: 'support call', jwk: { kty: 'oct' } }),
        400,
      ],
      ['reveal without a purpose (400)', () => c.post(`/v1/cards/${card.token}/reveal`, { jwk }), 400],
      ['reveal of an unknown card (404)', () => c.post('/v1/cards/tok_nope/reveal', { purpose: 'support call', jwk }), 404],
      ['reveal of a deleted card (409)', () => c.post(`/v1/cards/${deleted.token}/reveal`, { purpose: 'support call', jwk }), 409],
      ['reveal without the reveal scope (403)', () => r.post(`/v1/cards/${card.token}/reveal`, { purpose: 'support call', jwk }), 403],
      ['api key for unknown merchant (404)', () => admin('POST', '/v1/admin/merchants/mch_nope/api-keys', { scopes: ['read'] }), 404],
      ['revoke unknown key (404)', () => admin('DELETE', `/v1/admin/merchants/${m.id}/api-keys/key_nope`), 404],
      ['delete unknown merchant (404)', () => admin('DELETE', '/v1/admin/merchants/mch_nope'), 404],
      ['merchant create, bad body (400)', () => admin('POST', '/v1/admin/merchants', { name: '' }), 400],
    ];
    for (const [label, call, status] of cases) {
      const before = await totalEvents(t);
      const res = await call();
      expect(res.statusCode, `${label}: ${res.body}`).toBe(status);
      expect(res.headers['content-type'], label).toMatch(PROBLEM_JSON);
      expect(await totalEvents(t), label).toBe(before);
    }
  });

  it('appends exactly one denied auth.failed event for a refused API key, naming neither the key nor the card', async () => {
    const before = await totalEvents(t);
    const res = await client(t, 'tv_sk_nope-nope-nope').post('/v1/customers', {});
    expect(res.statusCode).toBe(401);
    expect(await totalEvents(t)).toBe(before + 1);
    const [event] = await t.vault.store.db.selectFrom('audit_events').selectAll().where('action', '=', 'auth.failed').execute();
    expect(event).toMatchObject({ outcome: 'denied', merchant_id: null, chain: 'system', actor: 'client:127.0.0.1' });
    expect(JSON.parse(event?.detail as string)).toEqual({
      api: 'native',
      scheme: 'api-key',
      reason: 'unknown_or_revoked_key',
      ...BY_REQUEST,
    });
    expect(event?.detail).not.toContain('nope');
    expect((await t.vault.audit.verify()).ok).toBe(true);
  });

  it('appends nothing for reads', async () => {
    const cus = await createCustomer(c);
    const card = await tokenize(c, { customer: cus.id });
    const adr = ok(await c.post(`/v1/customers/${cus.id}/addresses`, { address: { city: 'Paris' } }), 201);
    const before = await totalEvents(t);
    for (const url of [
      '/v1/cards',
      `/v1/cards/${card.token}`,
      `/v1/cards?customer=${cus.id}`,
      '/v1/customers',
      `/v1/customers/${cus.id}`,
      `/v1/customers/${cus.id}/cards`,
      `/v1/customers/${cus.id}/addresses`,
      `/v1/customers/${cus.id}/addresses/${adr.id}`,
      '/v1/audit-events',
      `/v1/audit-events?token=${card.token}`,
    ]) {
      expect((await c.get(url)).statusCode, url).toBe(200);
    }
    ok(await admin('GET', '/v1/admin/merchants'));
    ok(await admin('GET', `/v1/admin/merchants/${m.id}`));
    expect(await totalEvents(t)).toBe(before);
  });
});

async function tokenizeRaw(cl: Client, body: Record<string, unknown>) {
  return cl.post('/v1/cards', { number: VISA, expMonth: 12, expYear: futureYear(), ...body });
}

describe('audit log: no card data or secrets in any event', () => {
  it('holds no PAN (no Luhn-valid digit run), no CVV, no API key and no gateway secret after tokenizing and revealing', async () => {
    // Security codes by brand: 4 digits for American Express, 3 for the others.
    const cvvOf = (number: string) => (/^3[47]/.test(number) ? '7391' : '739');
    const other = await createMerchant(t, 'Leak check');
    const oc = client(t, other.apiKey);
    const pans = [VISA, MASTERCARD, AMEX, '6011111111111117', '3530111333300000', makePan('4', 19), makePan('5', 16)];
    const cus = await createCustomer(oc, { customerId: 'leak', name: 'Ada', email: 'ada@example.com' });
    const tokens: string[] = [];
    for (const [i, number] of pans.entries()) {
      tokens.push(
        (
          await tokenize(oc, {
            number,
            ...(i % 2 === 0 || number === AMEX ? { cvv: cvvOf(number) } : {}),
            customer: cus.id,
            holderName: 'Ada Lovelace',
            billingAddress: { line1: '1 Main St', city: 'London', country: 'GB' },
            metadata: { order: 'A-1' },
          })
        ).token,
      );
    }
    ok(await oc.patch(`/v1/cards/${tokens[0]}`, { expMonth: 6, expYear: futureYear() + 1 }));
    const { publicKey } = await generateKeyPair('RSA-OAEP-256', { extractable: true });
    const jwk = await exportJWK(publicKey);
    for (const token of tokens.slice(0, 3)) ok(await oc.post(`/v1/cards/${token}/reveal`, { purpose: 'support ticket T-77', jwk }));
    ok(await oc.delete(`/v1/cards/${tokens[1]}`));

    const rows = await t.vault.store.db.selectFrom('audit_events').selectAll().orderBy('chain').orderBy('seq').execute();
    expect(rows.filter((r) => r.action === 'card.reveal' && r.chain === other.id)).toHaveLength(3);
    const dump = JSON.stringify(rows);
    for (const pan of pans) {
      expect(dump).not.toContain(pan);
      expect(dump).not.toContain(pan.slice(6));
    }
    // Hashes are hex and may hold digit runs by chance; they are checked for shape, everything else for PANs.
    // So may the vault's own random ids (Cybersource's numeric instrument ids, 2C2P's numeric tokens): a value
    // that is exactly an id the vault issued is an id, not a leak, and is left out of the scan.
    const db = t.vault.store.db;
    const issued = new Set<string>(
      (
        await Promise.all([
          db.selectFrom('instrument_identifiers').select('id').execute(),
          db.selectFrom('cards').select('id').execute(),
          db.selectFrom('customers').select('id').execute(),
          db.selectFrom('payments').select('id').execute(),
        ])
      ).flatMap((ids) => ids.map((x) => x.id)),
    );
    for (const r of rows) {
      expect(r.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(r.prev_hash).toMatch(/^[0-9a-f]{64}$/);
      const { hash: _h, prev_hash: _p, detail, ...rest } = r;
      for (const leaf of leaves({ ...rest, detail: detail === null ? null : JSON.parse(detail) })) {
        if (!issued.has(leaf.key)) expect(luhnRuns(leaf.key), `a field name of ${r.chain}#${r.seq}`).toEqual([]);
        if (typeof leaf.value !== 'string' && typeof leaf.value !== 'number') continue;
        if (issued.has(String(leaf.value))) continue;
        expect(luhnRuns(String(leaf.value)), `${leaf.key} of ${r.chain}#${r.seq}`).toEqual([]);
      }
    }
    const g = other.credentials.gateways as Record<string, Record<string, unknown>>;
    const secrets = [
      other.apiKey,
      m.apiKey,
      ADMIN_TOKEN,
      t.config.masterKey,
      g.cybersource?.sharedSecret,
      g.opay?.secretKey,
      g.appotapay?.secretKey,
      g.appotapay?.apiKey,
      (g.alliancepay?.merchantPrivateJwk as { d: string } | undefined)?.d,
      String(g.twoc2p?.merchantPrivateKeyPem).split('\n')[1],
    ];
    for (const secret of secrets) {
      expect(typeof secret).toBe('string');
      expect(dump).not.toContain(secret as string);
    }
    // A CVV leak would be a value equal to a code this test sent, or a field named for one, anywhere in an
    // event (its detail parsed). Exact comparisons only: a substring or pattern test would also hit random
    // ids and hashes by chance (a token holding "cVCE", or "739" inside a hash).
    const sentCvvs = new Set<string>(pans.map(cvvOf));
    const CVV_FIELDS = new Set(['cvv', 'cvc', 'cvv2', 'cvc2', 'securitycode', 'security_code', 'cardsecuritycode']);
    for (const r of rows) {
      const { hash: _h, prev_hash: _p, detail, ...rest } = r;
      for (const leaf of leaves({ ...rest, detail: detail === null ? null : JSON.parse(detail) })) {
        expect(CVV_FIELDS.has(leaf.key.toLowerCase()), `field ${leaf.key} of ${r.chain}#${r.seq}`).toBe(false);
        expect(sentCvvs.has(String(leaf.value)), `${leaf.key} of ${r.chain}#${r.seq}`).toBe(false);
      }
    }
    expect(dump).not.toContain('Ada Lovelace');
    expect(dump).not.toContain('ada@example.com');
  });
});

describe('audit log: chain shape and isolation', () => {
  it('keeps every chain contiguous from 1, each prev_hash the hash before it, starting at 64 zeros', async () => {
    const heads = await t.vault.store.db.selectFrom('audit_heads').selectAll().execute();
    expect(heads.map((h) => h.chain)).toContain(m.id);
    expect(heads.map((h) => h.chain)).toContain('system');
    let checked = 0;
    for (const head of heads) {
      const rows = await chainRows(t, head.chain);
      let prev = GENESIS;
      rows.forEach((row, i) => {
        expect(Number(row.seq)).toBe(i + 1);
        expect(row.prev_hash).toBe(prev);
        const { hash, ...rest } = row;
        expect(eventHash({ ...rest, seq: Number(rest.seq) })).toBe(hash);
        if (head.chain !== 'system') expect(row.merchant_id).toBe(head.chain);
        prev = hash;
        checked++;
      });
      expect(Number(head.seq)).toBe(rows.length);
      expect(head.hash).toBe(prev);
    }
    expect(checked).toBeGreaterThan(20);
    const report = await t.vault.audit.verify();
    expect(report).toMatchObject({ ok: true, firstBreak: null, events: checked, chains: heads.length });
  });

  it('shows the same chain through the API, and each event links to the one before', async () => {
    const api = await listAll(c, '', 7);
    const rows = await chainRows(t, m.id);
    expect(api.map((e) => e.seq)).toEqual(rows.map((r) => Number(r.seq)));
    expect(api.map((e) => e.hash)).toEqual(rows.map((r) => r.hash));
    expect(api[0].prevHash).toBe(GENESIS);
    for (let i = 1; i < api.length; i++) expect(api[i].prevHash).toBe(api[i - 1].hash);
    expect(api.every((e) => e.merchant === m.id)).toBe(true);
  });

  it("never shows one merchant's events to another", async () => {
    const b = await createMerchant(t, 'Audit B');
    const cb = client(t, b.apiKey);
    const aCard = await tokenize(c);
    await tokenize(cb);
    const bEvents = await listAll(cb);
    expect(bEvents.map((e) => e.action)).toEqual(['merchant.create', 'card.create']);
    expect(bEvents.map((e) => e.seq)).toEqual([1, 2]);
    expect(bEvents.every((e) => e.merchant === b.id)).toBe(true);
    expect(ok(await cb.get(`/v1/audit-events?token=${aCard.token}`)).data).toEqual([]);
    expect(ok(await cb.get(`/v1/audit-events?token=${m.id}`)).data).toEqual([]);
    // A's own view still has it.
    expect(ok(await c.get(`/v1/audit-events?token=${aCard.token}`)).data).toHaveLength(1);
  });

  it('appends 20 concurrent tokenizations as 20 contiguous events and still verifies', async () => {
    const x = await createMerchant(t, 'Concurrent');
    const cx = client(t, x.apiKey);
    const numbers = Array.from({ length: 20 }, (_, i) => (i % 4 === 0 ? VISA : makePan('4')));
    const cards = await Promise.all(numbers.map((number) => tokenize(cx, { number })));
    const rows = await chainRows(t, x.id);
    expect(rows.map((r) => Number(r.seq))).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
    const creates = rows.filter((r) => r.action === 'card.create');
    expect(creates).toHaveLength(20);
    expect(creates.map((r) => r.target).sort()).toEqual(cards.map((card) => card.token).sort());
    for (let i = 1; i < rows.length; i++) expect(rows[i]?.prev_hash).toBe(rows[i - 1]?.hash);
    expect(await lastSeq(t, x.id)).toBe(21);
    const report = await t.vault.audit.verify();
    expect(report.firstBreak).toBeNull();
    expect(report.ok).toBe(true);
  });
});

describe('audit events API: filters and pagination', () => {
  let tc: TestApp;
  let cc: Client;
  let mc: TestMerchant;
  let clock: Date;
  const base = new Date(Math.floor(Date.now() / 60_000) * 60_000 + 3_600_000);
  const at = (minutes: number) => new Date(base.getTime() + minutes * 60_000);
  let card1: string;
  let card2: string;

  beforeAll(async () => {
    clock = at(0);
    tc = await makeTestApp({ now: () => clock });
    mc = await createMerchant(tc, 'Filters');
    cc = client(tc, mc.apiKey);
    clock = at(1);
    card1 = (await tokenize(cc)).token;
    clock = at(2);
    card2 = (await tokenize(cc, { number: MASTERCARD })).token;
    clock = at(3);
    ok(await cc.patch(`/v1/cards/${card1}`, { holderName: 'Z' }));
    clock = at(4);
    ok(await cc.delete(`/v1/cards/${card1}`));
    clock = at(5);
    await createCustomer(cc);
  });
  afterAll(() => tc?.close());

  const actions = (data: Ev[]) => data.map((e) => [e.action, e.target]);

  it('stamps each event with the time of its change', async () => {
    const all = ok(await cc.get('/v1/audit-events')).data;
    expect(all.map((e: { at: string }) => e.at)).toEqual([0, 1, 2, 3, 4, 5].map((n) => at(n).toISOString()));
  });

  it('filters by token and by action', async () => {
    expect(actions(ok(await cc.get(`/v1/audit-events?token=${card1}`)).data)).toEqual([
      ['card.create', card1],
      ['card.update', card1],
      ['card.delete', card1],
    ]);
    expect(actions(ok(await cc.get('/v1/audit-events?action=card.create')).data)).toEqual([
      ['card.create', card1],
      ['card.create', card2],
    ]);
    expect(actions(ok(await cc.get(`/v1/audit-events?action=card.delete&token=${card2}`)).data)).toEqual([]);
  });

  it('filters by time: from is inclusive, to is exclusive', async () => {
    const q = (s: string) => cc.get(`/v1/audit-events?${s}`);
    expect(actions(ok(await q(`from=${at(2).toISOString()}&to=${at(4).toISOString()}`)).data)).toEqual([
      ['card.create', card2],
      ['card.update', card1],
    ]);
    expect(ok(await q(`from=${at(4).toISOString()}`)).data.map((e: Ev) => e.action)).toEqual(['card.delete', 'customer.create']);
    expect(ok(await q(`to=${at(1).toISOString()}`)).data.map((e: Ev) => e.action)).toEqual(['merchant.create']);
    expect(ok(await q(`from=${at(1).toISOString()}&to=${at(5).toISOString()}&action=card.create`)).data).toHaveLength(2);
    const backwards = await q(`from=${at(4).toISOString()}&to=${at(2).toISOString()}`);
    expect(backwards.statusCode).toBe(400);
    expect(backwards.json().code).toBe('validation_failed');
  });

  it('pages with nextCursor, also under a filter, and ends with a null cursor', async () => {
    const all = ok(await cc.get('/v1/audit-events')).data;
    expect(all).toHaveLength(6);
    const first = ok(await cc.get('/v1/audit-events?limit=4'));
    expect(first.data).toHaveLength(4);
    expect(first.nextCursor).not.toBeNull();
    const second = ok(await cc.get(`/v1/audit-events?limit=4&cursor=${first.nextCursor}`));
    expect(second.data).toHaveLength(2);
    expect(second.nextCursor).toBeNull();
    expect([...first.data, ...second.data]).toEqual(all);
    const exact = ok(await cc.get('/v1/audit-events?limit=6'));
    expect(exact.nextCursor).toBeNull();
    const paged = await listAll(cc, 'action=card.create', 1);
    expect(actions(paged)).toEqual([
      ['card.create', card1],
      ['card.create', card2],
    ]);
  });

  it('refuses malformed queries', async () => {
    for (const q of ['limit=0', 'limit=101', 'cursor=abc', 'from=yesterday', 'action=DROP', 'merchant=mch_x']) {
      const res = await cc.get(`/v1/audit-events?${q}`);
      expect(res.statusCode, q).toBe(400);
      expect(res.headers['content-type']).toMatch(PROBLEM_JSON);
    }
  });
});

describe('audit log: written in the transaction of the change', () => {
  it('rolls the change back when its event cannot be appended', async () => {
    const x = await makeTestApp();
    try {
      const mx = await createMerchant(x, 'No head');
      const cx = client(x, mx.apiKey);
      const head = await x.vault.store.db.selectFrom('audit_heads').selectAll().where('chain', '=', mx.id).executeTakeFirstOrThrow();
      await x.vault.store.db.deleteFrom('audit_heads').where('chain', '=', mx.id).execute();
      const count = async (table: 'customers' | 'cards') =>
        Number(
          (
            await x.vault.store.db
              .selectFrom(table)
              .select((eb) => eb.fn.countAll<number | string>().as('n'))
              .where('merchant_id', '=', mx.id)
              .executeTakeFirstOrThrow()
          ).n,
        );
      expect((await cx.post('/v1/customers', { customerId: 'ghost' })).statusCode).toBe(500);
      expect((await cx.post('/v1/cards', { number: VISA, expMonth: 12, expYear: futureYear() })).statusCode).toBe(500);
      expect(await count('customers')).toBe(0);
      expect(await count('cards')).toBe(0);
      await x.vault.store.db.insertInto('audit_heads').values(head).execute();
      await createCustomer(cx, { customerId: 'ghost' });
      expect(await count('customers')).toBe(1);
      expect((await x.vault.audit.verify()).ok).toBe(true);
    } finally {
      await x.close();
    }
  });
});

describe('audit verification: tampering is detected', () => {
  /** A fresh vault with one merchant whose chain has events 1..6. */
  async function freshChain() {
    const x = await makeTestApp();
    const mx = await createMerchant(x, 'Tamper');
    const cx = client(x, mx.apiKey);
    const cus = await createCustomer(cx);
    await tokenize(cx, { customer: cus.id });
    await tokenize(cx, { number: MASTERCARD });
    await tokenize(cx, { number: AMEX });
    ok(await cx.patch(`/v1/customers/${cus.id}`, { name: 'N' }));
    const rows = await chainRows(x, mx.id);
    expect(rows.map((r) => Number(r.seq))).toEqual([1, 2, 3, 4, 5, 6]);
    const clean = await x.vault.audit.verify();
    expect(clean).toMatchObject({ ok: true, firstBreak: null, checkpoint: null });
    return { x, chain: mx.id, rows, db: x.vault.store.db };
  }

  it('names the chain and seq of an event whose action was edited', async () => {
    const { x, chain, db } = await freshChain();
    try {
      await db.updateTable('audit_events').set({ action: 'card.update' }).where('chain', '=', chain).where('seq', '=', 3).execute();
      const report = await x.vault.audit.verify();
      expect(report.ok).toBe(false);
      expect(report.firstBreak).toMatchObject({ chain, seq: 3 });
    } finally {
      await x.close();
    }
  });

  it('names the chain and seq of an event whose detail or actor was edited', async () => {
    const { x, chain, db } = await freshChain();
    try {
      await db
        .updateTable('audit_events')
        .set({ detail: JSON.stringify({ instrument: 'ii_x', instrumentNew: false }) })
        .where('chain', '=', chain)
        .where('seq', '=', 3)
        .execute();
      expect((await x.vault.audit.verify()).firstBreak).toMatchObject({ chain, seq: 3 });
      await db.updateTable('audit_events').set({ actor: 'admin' }).where('chain', '=', chain).where('seq', '=', 2).execute();
      const report = await x.vault.audit.verify();
      expect(report.ok).toBe(false);
      expect(report.firstBreak).toMatchObject({ chain, seq: 2 });
    } finally {
      await x.close();
    }
  });

  it('names the missing seq when a middle event is deleted', async () => {
    const { x, chain, db } = await freshChain();
    try {
      await db.deleteFrom('audit_events').where('chain', '=', chain).where('seq', '=', 4).execute();
      const report = await x.vault.audit.verify();
      expect(report.ok).toBe(false);
      expect(report.firstBreak).toMatchObject({ chain, seq: 4 });
      expect(report.firstBreak?.reason).toMatch(/missing/);
    } finally {
      await x.close();
    }
  });

  it('catches deleting the stored checkpoints along with the newest events, given a checkpoint kept outside', async () => {
    const { x, chain, rows, db } = await freshChain();
    try {
      const cp = await x.vault.audit.checkpoint();
      const kept = { id: cp.id, at: cp.at, payload: cp.payload, signature: cp.signature };
      await db.deleteFrom('audit_events').where('chain', '=', chain).where('seq', '>', 4).execute();
      await db
        .updateTable('audit_heads')
        .set({ seq: 4, hash: rows[3]?.hash as string })
        .where('chain', '=', chain)
        .execute();
      await db.deleteFrom('audit_checkpoints').execute();
      // With the stored checkpoints gone, the database alone looks consistent...
      expect((await x.vault.audit.verify()).ok).toBe(true);
      // ...but not against the checkpoint the operator kept.
      const report = await x.vault.audit.verify(kept);
      expect(report.ok).toBe(false);
      expect(report.checkpoint).toMatchObject({ id: cp.id, ok: false });
      const forged = await x.vault.audit.verify({ ...kept, payload: kept.payload.replace('"seq":6', '"seq":4') });
      expect(forged.checkpoint?.reason).toMatch(/signature/);
    } finally {
      await x.close();
    }
  });

  it('catches deleting the newest events and rewinding the head only through the signed checkpoint', async () => {
    const { x, chain, rows, db } = await freshChain();
    try {
      const cp = await x.vault.audit.checkpoint();
      expect(cp.heads[chain]).toEqual({ seq: 6, hash: rows[5]?.hash });
      const before = await x.vault.audit.verify();
      expect(before).toMatchObject({ ok: true, firstBreak: null, checkpoint: { id: cp.id, ok: true } });

      await db.deleteFrom('audit_events').where('chain', '=', chain).where('seq', '>', 4).execute();
      await db
        .updateTable('audit_heads')
        .set({ seq: 4, hash: rows[3]?.hash as string })
        .where('chain', '=', chain)
        .execute();
      const report = await x.vault.audit.verify();
      expect(report.firstBreak).toBeNull();
      expect(report.ok).toBe(false);
      expect(report.checkpoint).toMatchObject({ id: cp.id, ok: false });
      expect(report.checkpoint?.reason).toContain(chain);
    } finally {
      await x.close();
    }
  });

  it('catches a chain rewritten with recomputed hashes through the signed checkpoint', async () => {
    const { x, chain, rows, db } = await freshChain();
    try {
      await x.vault.audit.checkpoint();
      // An attacker who knows the (public) hash function re-chains everything from event 3 on.
      let prev = rows[1]?.hash as string;
      for (const row of rows.slice(2)) {
        const { hash: _old, ...rest } = row;
        const forged = { ...rest, seq: Number(rest.seq), actor: row.seq === 3 ? 'admin' : row.actor, prev_hash: prev };
        const hash = eventHash(forged);
        await db
          .updateTable('audit_events')
          .set({ actor: forged.actor, prev_hash: prev, hash })
          .where('chain', '=', chain)
          .where('seq', '=', row.seq)
          .execute();
        prev = hash;
      }
      await db.updateTable('audit_heads').set({ hash: prev }).where('chain', '=', chain).execute();
      const report = await x.vault.audit.verify();
      expect(report.firstBreak).toBeNull();
      expect(report.ok).toBe(false);
      expect(report.checkpoint?.ok).toBe(false);
      expect(report.checkpoint?.reason).toMatch(/differs/);
    } finally {
      await x.close();
    }
  });

  it('refuses a checkpoint whose payload was forged', async () => {
    const { x, chain, rows, db } = await freshChain();
    try {
      const cp = await x.vault.audit.checkpoint();
      await db.deleteFrom('audit_events').where('chain', '=', chain).where('seq', '>', 4).execute();
      await db
        .updateTable('audit_heads')
        .set({ seq: 4, hash: rows[3]?.hash as string })
        .where('chain', '=', chain)
        .execute();
      // The attacker also rewrites the checkpoint to match the truncated chain.
      const row = await db.selectFrom('audit_checkpoints').selectAll().where('id', '=', cp.id).executeTakeFirstOrThrow();
      const payload = JSON.parse(row.payload);
      payload.heads[chain] = { seq: 4, hash: rows[3]?.hash };
      await db
        .updateTable('audit_checkpoints')
        .set({ payload: JSON.stringify(payload) })
        .where('id', '=', cp.id)
        .execute();
      const report = await x.vault.audit.verify();
      expect(report.firstBreak).toBeNull();
      expect(report.ok).toBe(false);
      expect(report.checkpoint).toMatchObject({ id: cp.id, ok: false });
      expect(report.checkpoint?.reason).toMatch(/signature/);
    } finally {
      await x.close();
    }
  });

  it('still finds an edited event when the chain head row is deleted too', async () => {
    const { x, chain, db } = await freshChain();
    try {
      await x.vault.audit.checkpoint();
      await db.updateTable('audit_events').set({ action: 'card.update' }).where('chain', '=', chain).where('seq', '=', 3).execute();
      // Without its head row the chain must still be verified: its events are in the table, and in the checkpoint.
      await db.deleteFrom('audit_heads').where('chain', '=', chain).execute();
      const report = await x.vault.audit.verify();
      expect(report.ok).toBe(false);
      expect(report.firstBreak).toMatchObject({ chain, seq: 3 });
    } finally {
      await x.close();
    }
  });
});

/** The `tokenvault` command against its own data directory (and PostgreSQL schema), as an operator runs it. */
function makeCli() {
  const run = promisify(execFile);
  const BIN = path.resolve('bin/tokenvault.mjs');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tv-audit-cli-'));
  const schema = backend === 'postgres' ? `audit_cli_${randomBytes(5).toString('hex')}` : null;
  const env: Record<string, string | undefined> = {
    ...process.env,
    TOKENVAULT_DATA_DIR: dataDir,
    ...(schema ? { TOKENVAULT_DATABASE_SCHEMA: schema } : {}),
    LOG_LEVEL: 'warn',
  };
  delete env.TOKENVAULT_ADMIN_TOKEN;
  // A key of its own: with DATABASE_URL set the CLI refuses to make up a development key.
  env.TOKENVAULT_MASTER_KEY = randomBytes(32).toString('base64');
  delete env.TOKENVAULT_MASTER_KEY_FILE;
  // Generous: each CLI process starts tsx and compiles the sources, seconds on a loaded machine. Nothing here
  // depends on how fast a process starts.
  const tv = (...args: string[]) => run(process.execPath, [BIN, ...args], { env, timeout: 120_000 });
  type Failed = { code: number; stdout: string; stderr: string };
  const tvFails = (...args: string[]) =>
    tv(...args).then(
      (out): Failed => {
        throw new Error(`expected failure, got exit 0: ${out.stdout}`);
      },
      (e: Failed) => e,
    );

  /** Runs one statement against the CLI's own database, as an attacker with database access would. */
  async function tamper(statement: string, params: unknown[]): Promise<void> {
    if (schema && process.env.DATABASE_URL) {
      const pgClient = new pg.Client({ connectionString: process.env.DATABASE_URL });
      await pgClient.connect();
      try {
        await pgClient.query(`set search_path to ${schema}`);
        await pgClient.query(statement, params);
      } finally {
        await pgClient.end();
      }
    } else {
      const db = new SQLite(path.join(dataDir, 'tokenvault.db'));
      try {
        db.prepare(statement.replace(/\$\d+/g, '?')).run(...params);
      } finally {
        db.close();
      }
    }
  }

  async function cleanup(): Promise<void> {
    fs.rmSync(dataDir, { recursive: true, force: true });
    if (schema && process.env.DATABASE_URL) {
      const pgClient = new pg.Client({ connectionString: process.env.DATABASE_URL });
      await pgClient.connect();
      await pgClient.query(`drop schema if exists ${schema} cascade`);
      await pgClient.end();
    }
  }

  /** A merchant made by the CLI, with an API key issued and revoked: events 1..3 of its chain. */
  async function merchantWithThreeEvents(name: string): Promise<string> {
    const created = JSON.parse((await tv('merchants', 'create', '--name', name, '--json')).stdout);
    const key = JSON.parse((await tv('merchants', 'keys', 'create', created.id, '--scopes', 'read')).stdout);
    await tv('merchants', 'keys', 'revoke', created.id, key.id);
    return created.id;
  }

  return { tv, tvFails, tamper, cleanup, merchantWithThreeEvents };
}

describe('tokenvault audit CLI', () => {
  it('checkpoints and verifies (exit 0), then exits 1 naming the edited event', { timeout: 900_000 }, async () => {
    const cli = makeCli();
    try {
      const id = await cli.merchantWithThreeEvents('Audit Cli');
      const cp = await cli.tv('audit', 'checkpoint');
      expect(cp.stdout).toMatch(/^checkpoint [0-9a-f-]{36} at \S+: 2 chains signed/);

      const report = JSON.parse((await cli.tv('audit', 'verify', '--json')).stdout);
      expect(report).toMatchObject({ ok: true, chains: 2, events: 3, firstBreak: null, checkpoint: { ok: true } });
      expect((await cli.tv('audit', 'verify')).stdout).toContain('audit log OK');

      await cli.tamper('update audit_events set detail = $1 where chain = $2 and seq = $3', [
        JSON.stringify({ scopes: 'read write reveal' }),
        id,
        2,
      ]);
      const bad = await cli.tvFails('audit', 'verify', '--json');
      expect(bad.code).toBe(1);
      const broken = JSON.parse(bad.stdout);
      expect(broken.ok).toBe(false);
      expect(broken.firstBreak).toMatchObject({ chain: id, seq: 2 });

      const text = await cli.tvFails('audit', 'verify');
      expect(text.code).toBe(1);
      expect(text.stdout).toContain(`BROKEN: chain ${id}, event 2`);
      expect(text.stdout).toContain('FAILED verification');
      expect(text.stderr).not.toMatch(/\n\s+at /);
    } finally {
      await cli.cleanup();
    }
  });

  it('exits 1 when the newest events are cut off and the head rewound after a checkpoint', { timeout: 900_000 }, async () => {
    const cli = makeCli();
    try {
      const id = await cli.merchantWithThreeEvents('Audit Cli 2');
      await cli.tv('audit', 'checkpoint');
      await cli.tamper('delete from audit_events where chain = $1 and seq = $2', [id, 3]);
      await cli.tamper(
        'update audit_heads set seq = 2, hash = (select hash from audit_events where chain = $1 and seq = 2) where chain = $2',
        [id, id],
      );
      const bad = await cli.tvFails('audit', 'verify', '--json');
      expect(bad.code).toBe(1);
      const report = JSON.parse(bad.stdout);
      expect(report.firstBreak).toBeNull();
      expect(report.checkpoint).toMatchObject({ ok: false });
      expect(report.checkpoint.reason).toContain(id);
      const text = await cli.tvFails('audit', 'verify');
      expect(text.stdout).toMatch(/checkpoint \S+ \(\S+\): FAILED/);
    } finally {
      await cli.cleanup();
    }
  });
});
