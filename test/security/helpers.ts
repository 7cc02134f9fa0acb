/**
 * Shared by the security matrices: every API's client for one merchant, the route list of the running app,
 * a snapshot of everything a merchant owns, look-alike ids that exist nowhere, and a normaliser that makes
 * two answers about different ids comparable.
 */
import { generateKeyPairSync, randomInt } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import type { JWK } from 'jose';
import { type AllianceClient, allianceClient, bodies } from '../gateways/alliancepay/helpers.ts';
import { type AppotaClient, appotaClient } from '../gateways/appotapay/helpers.ts';
import { type CybsClient, cybs } from '../gateways/cybersource/helpers.ts';
import { type OpayClient, opayClient } from '../gateways/opay/helpers.ts';
import { type Twoc2pClient, twoc2pClient } from '../gateways/twoc2p/helpers.ts';
import { type Client, client, createMerchant, futureYear, type TestApp, type TestMerchant } from '../helpers/harness.ts';

/**
 * The matrices send many refused requests from one address and many requests per merchant: the per-client
 * failure limit and the per-merchant rate limit (tested on their own elsewhere) are lifted out of the way.
 */
export const UNTHROTTLED: Record<string, string> = {
  TOKENVAULT_AUTH_FAILURE_LIMIT: '10000000',
  TOKENVAULT_RATE_LIMIT_PER_SECOND: '0',
};

/** One merchant as every API sees it. */
export interface Party {
  m: TestMerchant;
  native: Client;
  c2: Twoc2pClient;
  opay: OpayClient;
  ap: AllianceClient;
  apBodies: ReturnType<typeof bodies>;
  appota: AppotaClient;
  cy: CybsClient;
}

/** AlliancePay's expiry (YYMM) of a card valid for years. */
export const AP_EXPIRY = `${String(futureYear() % 100).padStart(2, '0')}12`;

export async function makeParty(t: TestApp, name: string): Promise<Party> {
  const m = await createMerchant(t, name);
  const ap = allianceClient(t, m);
  const auth = await ap.authorize();
  if (!auth.encrypted) throw new Error(`AlliancePay session failed: ${auth.status} ${auth.raw}`);
  return {
    m,
    native: client(t, m.apiKey),
    c2: twoc2pClient(t, m),
    opay: opayClient(t, m),
    ap,
    apBodies: bodies(ap, AP_EXPIRY),
    appota: appotaClient(t, m),
    cy: cybs(t, m),
  };
}

// -------------------------------------------------------------------------------------------------
// Routes

/** Every METHOD + path the app serves (HEAD, which Fastify adds to each GET, left out), from printRoutes. */
export function servedRoutes(t: TestApp): string[] {
  const tree = t.app.printRoutes({ commonPrefix: false });
  const stack: string[] = [];
  const out: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^([│ ]*)[├└]── (.*)$/.exec(line);
    if (!m) continue;
    const depth = (m[1] as string).length / 4;
    const rest = m[2] as string;
    const mm = /^(.*?) \(([A-Z, ]+)\)$/.exec(rest);
    const segment = mm ? (mm[1] as string) : rest;
    stack.length = depth;
    stack.push(segment);
    if (!mm) continue;
    const path = stack.join('');
    for (const method of (mm[2] as string).split(',').map((s) => s.trim())) if (method !== 'HEAD') out.push(`${method} ${path}`);
  }
  return [...new Set(out)].sort();
}

// -------------------------------------------------------------------------------------------------
// What a merchant owns

type OwnedTable =
  | 'api_keys'
  | 'data_keys'
  | 'gateway_credentials'
  | 'customers'
  | 'instrument_identifiers'
  | 'cards'
  | 'addresses'
  | 'idempotency_keys'
  | 'card_secrets'
  | 'payments'
  | 'gateway_sessions';

const OWNED: OwnedTable[] = [
  'api_keys',
  'data_keys',
  'gateway_credentials',
  'customers',
  'instrument_identifiers',
  'cards',
  'addresses',
  'idempotency_keys',
  'card_secrets',
  'payments',
  'gateway_sessions',
];

const sortRows = (rows: Record<string, unknown>[]) =>
  rows.map((r) => JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))).sort();

/** Every row the merchant owns, its audit chain and its payments' events: two of these must be equal. */
export async function ownedRows(t: TestApp, merchantId: string): Promise<Record<string, string[]>> {
  const db = t.vault.store.db;
  const out: Record<string, string[]> = {};
  for (const table of OWNED) {
    out[table] = sortRows(await db.selectFrom(table).selectAll().where('merchant_id', '=', merchantId).execute());
  }
  out.payment_events = sortRows(
    await db
      .selectFrom('payment_events')
      .selectAll()
      .where('payment_id', 'in', db.selectFrom('payments').select('id').where('merchant_id', '=', merchantId))
      .execute(),
  );
  out.audit_events = sortRows(await db.selectFrom('audit_events').selectAll().where('chain', '=', merchantId).execute());
  out.audit_heads = sortRows(await db.selectFrom('audit_heads').selectAll().where('chain', '=', merchantId).execute());
  return out;
}

// -------------------------------------------------------------------------------------------------
// Ids and answers

const CROCK_UPPER = 'ABCDEFGHJKMNPQRSTVWXYZ';
const CROCK_LOWER = CROCK_UPPER.toLowerCase();
const pick = (chars: string) => chars[randomInt(chars.length)] as string;

/**
 * An id of the same shape (prefix, length, character classes) that exists nowhere: the second half of
 * `id` redrawn character by character, hex staying hex.
 */
export function lookalike(id: string): string {
  const from = Math.max(Math.ceil(id.length / 2), Math.min(4, id.length - 1));
  let out = id.slice(0, from);
  for (const ch of id.slice(from)) {
    if (/[0-9]/.test(ch)) out += pick('0123456789');
    else if (/[a-f]/.test(ch)) out += pick('abcdef');
    else if (/[A-F]/.test(ch)) out += pick('ABCDEF');
    else if (/[a-z]/.test(ch)) out += pick(CROCK_LOWER);
    else if (/[A-Z]/.test(ch)) out += pick(CROCK_UPPER);
    else out += ch;
  }
  return out === id ? lookalike(id) : out;
}

/** What a client saw, ready to compare: status, media type, and the body (decrypted where the API encrypts). */
export interface Seen {
  status: number;
  type: string;
  // biome-ignore lint/suspicious/noExplicitAny: bodies of six APIs are read field by field
  body: any;
}

export function seenOf(res: LightMyRequestResponse): Seen {
  let body: unknown = res.body;
  try {
    body = res.body === '' ? '' : JSON.parse(res.body);
  } catch {
    // Not JSON: kept as text.
  }
  return { status: res.statusCode, type: String(res.headers['content-type'] ?? ''), body };
}

const ISO_TIME = /^\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d/;
const VOLATILE_KEYS = new Set(['requestId', 'submitTimeUtc']);

/** `seen` with every given id replaced by <ID>, times by <TIME> and per-request ids by <REQ>. */
export function normalise(seen: Seen, ids: string[]): Seen {
  const longestFirst = [...ids].filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
  const text = (s: string) => {
    let out = s;
    for (const id of longestFirst) out = out.split(id).join('<ID>');
    return ISO_TIME.test(out) ? '<TIME>' : out;
  };
  const walk = (v: unknown, key?: string): unknown => {
    if (key !== undefined && VOLATILE_KEYS.has(key)) return '<REQ>';
    if (typeof v === 'string') return text(v);
    if (Array.isArray(v)) return v.map((x) => walk(x));
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, k)]));
    return v;
  };
  return { status: seen.status, type: seen.type, body: walk(seen.body) };
}

/** A fresh EC P-256 public JWK (for a reveal request). */
export function publicJwk(): JWK {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return publicKey.export({ format: 'jwk' }) as JWK;
}
