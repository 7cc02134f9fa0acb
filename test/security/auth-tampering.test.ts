/**
 * Authentication tampering, one table for every scheme (issue 11, item 4): each scheme × {missing, wrong
 * key, tampered body, replayed beyond the skew window, expired, algorithm swapped to none, HS keyed with the
 * public key} is refused — never a 5xx, never a change to the merchant's data — and audited as one
 * `auth.failed` event (outcome denied, actor client:<ip>, detail {api, scheme, reason} without the
 * presented credential, merchant the credential named when the server could tell). Where an attack does
 * not apply to a scheme the cell says why and runs nothing. The audit chain verifies at the end, and the
 * matrix is printed.
 *
 * Each "correct request" control shows the same request, unbent, is accepted: a refusal below is the
 * attack's doing, not a broken request.
 */

import { createHmac, createPublicKey, randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiName } from '../../src/api/guard.ts';
import type { AuditEventRow } from '../../src/store/schema.ts';
import { encryptTo, PATHS, tamper } from '../gateways/alliancepay/helpers.ts';
import { appotaCredentials, appotaJwt, tokenBody } from '../gateways/appotapay/helpers.ts';
import {
  buildAuth,
  type CybsMode,
  customerBody,
  cybsCreds,
  type Knobs,
  makeCert,
  registerCert,
  rfc1123,
  type TestCert,
} from '../gateways/cybersource/helpers.ts';
import { hmacHex, sortedJson } from '../gateways/opay/helpers.ts';
import { buildRawRequest, buildRequest, postRaw } from '../gateways/twoc2p/helpers.ts';
import { ADMIN_TOKEN, futureYear, makeTestApp, rememberSecret, type TestApp, VISA } from '../helpers/harness.ts';
import { makeParty, ownedRows, type Party, type Seen, seenOf, UNTHROTTLED } from './helpers.ts';

const ATTACKS = ['missing', 'wrong-key', 'tampered-body', 'replay-after-skew', 'expired', 'alg-none', 'hs-with-public-key'] as const;
type Attack = (typeof ATTACKS)[number];

/** One request an attacker sends, and every credential string it presented (none may reach the audit detail). */
interface Sent {
  seen: Seen;
  presented: string[];
}

interface Attempt {
  label: string;
  /** The merchant the refusal's audit event must name: A when the request named A's known credential. */
  merchant: 'A' | null | 'A-or-null';
  /** What the refusal must say it was for, where the API says (Cybersource's "Authentication Failed: <why>"). */
  why?: RegExp;
  /** Runs before the data snapshot (e.g. the original of a replayed request). */
  prepare?: () => Promise<void>;
  send: () => Promise<Sent>;
}

type Cell = { notApplicable: string } | { attempts: Attempt[] };

interface Scheme {
  api: ApiName;
  scheme: string;
  /** The correct request, accepted. */
  control: () => Promise<Seen>;
  accepted: (s: Seen) => void;
  refused: (s: Seen) => void;
  cells: Record<Attack, Cell>;
}

let t: TestApp;
let A: Party;
let certA: TestCert;
let stranger: TestCert;
let offsetMs = 0;
/** Moves the server's clock (the vault's `now`); reset after every attempt. */
const shift = (ms: number) => {
  offsetMs = ms;
};
const MINUTES = 60_000;

beforeAll(async () => {
  t = await makeTestApp({ now: () => new Date(Date.now() + offsetMs), env: UNTHROTTLED });
  A = await makeParty(t, 'Auth matrix merchant A');
  // A second merchant, so a credential that names nobody is not trivially "the only merchant".
  await makeParty(t, 'Auth matrix merchant B');
  certA = makeCert();
  stranger = makeCert();
  await registerCert(t, A.m, certA);
});
afterAll(() => t?.close());

const enc = new TextEncoder();
const b64url = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const randomSecret = (bytes = 32) => {
  const s = randomBytes(bytes).toString('base64');
  rememberSecret(s);
  return s;
};

// -------------------------------------------------------------------------------------------------
// Requests, built in full before the clock moves

async function native(authorization: string | null): Promise<Sent> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/v1/customers',
    headers: authorization === null ? {} : { authorization },
    payload: { name: 'Auth matrix' },
  });
  return { seen: seenOf(res), presented: authorization ? [authorization.replace(/^Bearer /, '')] : [] };
}

async function admin(authorization: string | null): Promise<Sent> {
  const res = await t.app.inject({ method: 'GET', url: '/v1/admin/merchants', headers: authorization === null ? {} : { authorization } });
  return { seen: seenOf(res), presented: authorization ? [authorization.replace(/^Bearer /, '')] : [] };
}

const CY_URL = '/tms/v2/customers';
const cyModes = (): Record<string, CybsMode> => ({
  sig: { kind: 'sig' },
  hs256: { kind: 'jwt-hs256' },
  rs256: { kind: 'jwt-rs256', privateKey: certA.privateKey, kid: certA.kid },
  v1: { kind: 'jwt-v1', privateKey: certA.privateKey, certDer: certA.certDer },
});

/** A customer create over Cybersource: signed now, then (optionally) the clock moved, the body swapped. */
async function cybs(mode: CybsMode, knobs: Knobs = {}, opts: { shiftMs?: number; tamper?: boolean; bare?: boolean } = {}): Promise<Sent> {
  const text = JSON.stringify(customerBody());
  const creds = cybsCreds(A.m);
  let headers = await buildAuth(creds, mode, 'POST', CY_URL, text, knobs);
  if (opts.bare) {
    headers = { host: headers.host as string, 'content-type': 'application/json', date: rfc1123(new Date()) };
  }
  if (opts.shiftMs) shift(opts.shiftMs);
  const sent = opts.tamper ? JSON.stringify(customerBody({ buyerInformation: { email: 'mallory@example.com' } })) : text;
  const res = await t.app.inject({ method: 'POST', url: CY_URL, headers, payload: sent });
  const presented = [headers.signature, headers.authorization?.replace(/^Bearer /, '')].filter((x): x is string => !!x);
  const sig = /signature="([^"]+)"/.exec(headers.signature ?? '')?.[1];
  if (sig) presented.push(sig);
  const token = headers.authorization?.replace(/^Bearer /, '');
  if (token) presented.push(token.split('.')[2] ?? '');
  return { seen: seenOf(res), presented };
}

const opayBody = () => ({
  reference: `auth-${randomUUID()}`,
  cardNumber: VISA,
  expiryYear: String(futureYear() % 100).padStart(2, '0'),
  expiryMonth: '12',
});

async function opay(opts: { signature?: string; secret?: string; raw?: string; omit?: string[]; hash?: 'sha256' }): Promise<Sent> {
  const body = sortedJson(opayBody());
  const secret = opts.secret ?? A.opay.secretKey;
  const signature = opts.signature ?? (opts.hash ? createHmac(opts.hash, secret).update(body).digest('hex') : hmacHex(secret, body));
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    authorization: `Bearer ${signature}`,
    merchantid: A.opay.merchantId,
  };
  for (const h of opts.omit ?? []) delete headers[h];
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/international/token/create', headers, payload: opts.raw ?? body });
  return { seen: seenOf(res), presented: signature.length >= 8 ? [signature] : [] };
}

async function appota(jwt: string | null, shiftMs = 0): Promise<Sent> {
  if (shiftMs) shift(shiftMs);
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-request-id': randomUUID() };
  if (jwt !== null) headers['x-appotapay-auth'] = jwt;
  const res = await t.app.inject({ method: 'POST', url: '/credit-card/token', headers, payload: JSON.stringify(tokenBody()) });
  return { seen: seenOf(res), presented: jwt ? [jwt, jwt.split('.')[2] ?? ''] : [] };
}

const twoc2pAdd = () => ({
  merchantID: A.c2.merchantID,
  tokenProvider: 'CC',
  accountNo: VISA,
  name: 'Auth matrix',
  expiry: `${futureYear()}-12-31`,
});

async function twoc2p(body: string): Promise<Sent> {
  const res = await postRaw(t, 'add', body);
  return { seen: seenOf(res), presented: body.length >= 8 ? [body, body.split('.')[2] ?? ''] : [] };
}

/** Flips one character in the middle of a compact JWS's payload. */
function flipPayload(jws: string): string {
  const parts = jws.split('.');
  const p = parts[1] as string;
  const i = Math.floor(p.length / 2);
  parts[1] = p.slice(0, i) + (p[i] === 'A' ? 'B' : 'A') + p.slice(i + 1);
  return parts.join('.');
}

async function alliance(opts: { raw?: string; requestId?: string; headers?: Record<string, string>; omit?: string[] } = {}): Promise<Sent> {
  const r = await A.ap.call(PATHS.create, await A.apBodies.createToken(), opts);
  const s = A.ap.session;
  return {
    seen: { status: r.status, type: r.encrypted ? 'jwe' : 'json', body: r.json },
    presented: [opts.headers?.['x-refresh_token'] ?? s.refreshToken, ...(opts.raw ? [opts.raw] : [])],
  };
}

// -------------------------------------------------------------------------------------------------
// Answers

const problem401 = (s: Seen) => {
  expect(s.status, JSON.stringify(s.body)).toBe(401);
  expect(s.body.code).toBe('unauthorized');
};
const cyRefused = (s: Seen) => {
  expect(s.status, JSON.stringify(s.body)).toBe(401);
  expect(s.body.errors?.[0]?.type).toBe('authenticationFailed');
};
const opayRefused = (s: Seen) => {
  expect(s.status).toBe(200);
  expect(['98', '10001'], JSON.stringify(s.body)).toContain(s.body.code);
  expect(s.body.data).toBeNull();
};
const appotaRefused = (s: Seen) => {
  expect(s.status, JSON.stringify(s.body)).toBe(401);
  expect(s.body.errorCode).toBe(401);
};
const twoc2pRefused = (s: Seen) => {
  expect(s.status).toBe(400);
  expect(s.body).toBe('Invalid request');
};
const allianceRefused = (s: Seen) => {
  expect(s.type, JSON.stringify(s.body)).toBe('json');
  expect(s.body.msgType).toBe('ERROR');
  expect([
    'b_virtual_device_not_found',
    'b_refresh_token_absent',
    'b_unknown_device',
    'b_used_token',
    'b_expired_token',
    'b_encryptor_failed_decrypt_message',
    'b_duplicate_field_value',
  ]).toContain(s.body.msgCode);
};

// -------------------------------------------------------------------------------------------------
// The matrix

const NO_TIME_KEY = 'a static key carries no time: valid until revoked (revocation: admin.test.ts)';
const NO_ALG_KEY = 'an opaque key compared by its hash: no algorithm to swap';

function cybersourceScheme(name: 'sig' | 'hs256' | 'rs256' | 'v1'): Scheme {
  const mode = () => cyModes()[name] as CybsMode;
  const label = { sig: 'HTTP Signature (HmacSHA256)', hs256: 'JWT v2 HS256', rs256: 'JWT v2 RS256', v1: 'JWT v1 RS256 (x5c)' }[name];
  const wrongKey = (): Knobs => (name === 'sig' || name === 'hs256' ? { secret: randomSecret() } : { signingKey: stranger.privateKey });
  return {
    api: 'cybersource',
    scheme: `cybersource ${label}`,
    control: async () => (await cybs(mode())).seen,
    accepted: (s) => expect(s.status, JSON.stringify(s.body)).toBe(201),
    refused: cyRefused,
    cells: {
      missing: {
        attempts: [
          {
            label: 'no signature, no bearer, no merchant id',
            merchant: null,
            why: /no signature or bearer/,
            send: () => cybs(mode(), {}, { bare: true }),
          },
        ],
      },
      'wrong-key': {
        attempts: [
          {
            label: 'signed with a key that is not the merchant’s',
            merchant: 'A',
            why: /does not match/,
            send: () => cybs(mode(), wrongKey()),
          },
        ],
      },
      'tampered-body': {
        attempts: [{ label: 'body changed after signing', merchant: 'A', why: /digest/, send: () => cybs(mode(), {}, { tamper: true }) }],
      },
      'replay-after-skew': {
        attempts: [
          {
            label: 'signed now, sent 10 minutes later (server clock moved)',
            merchant: 'A',
            why: name === 'sig' || name === 'v1' ? /skew/ : /expired/,
            send: () => cybs(mode(), {}, { shiftMs: 10 * MINUTES }),
          },
          ...(name === 'v1'
            ? [
                {
                  label: 'iat 10 minutes old',
                  merchant: 'A' as const,
                  why: /skew/,
                  send: () => cybs(mode(), { iat: rfc1123(new Date(Date.now() - 10 * MINUTES)) }),
                },
              ]
            : []),
          ...(name === 'sig'
            ? [
                {
                  label: 'date header 10 minutes old',
                  merchant: 'A' as const,
                  why: /skew/,
                  send: () => cybs(mode(), { date: rfc1123(new Date(Date.now() - 10 * MINUTES)) }),
                },
              ]
            : []),
        ],
      },
      expired:
        name === 'sig'
          ? { notApplicable: 'HTTP Signature carries no expiry: its date is held to the skew window (replay row)' }
          : name === 'v1'
            ? { notApplicable: 'JWT v1 carries no exp: its iat is held to the skew window (replay row)' }
            : {
                attempts: [
                  {
                    label: 'exp in the past',
                    merchant: 'A',
                    why: /expired/,
                    send: () => cybs(mode(), { iat: Math.floor(Date.now() / 1000) - 300, exp: Math.floor(Date.now() / 1000) - 180 }),
                  },
                ],
              },
      'alg-none':
        name === 'sig'
          ? {
              attempts: [
                {
                  label: 'algorithm="none"',
                  merchant: 'A-or-null',
                  why: /algorithm/,
                  send: () => cybs(mode(), { algorithm: 'none' }),
                },
              ],
            }
          : {
              attempts: [
                {
                  label: 'JOSE alg none, no signature',
                  merchant: 'A-or-null',
                  why: /algorithm/,
                  send: () => cybs(mode(), { alg: 'none' }),
                },
              ],
            },
      'hs-with-public-key':
        name === 'rs256' || name === 'v1'
          ? {
              attempts: [
                {
                  label: 'HS256 keyed with the certificate’s public key',
                  merchant: 'A-or-null',
                  why: /unknown key|algorithm/,
                  send: () => cybs(mode(), { alg: 'HS256', signingKey: enc.encode(certA.publicKeyPem) }),
                },
              ],
            }
          : {
              notApplicable:
                name === 'sig'
                  ? 'symmetric HMAC only: no public key exists to confuse'
                  : 'already HS256 with the shared secret: no public key exists',
            },
    },
  };
}

const SCHEMES: Scheme[] = [
  {
    api: 'native',
    scheme: 'native API key (Bearer tv_sk_…)',
    control: async () => (await native(`Bearer ${A.m.apiKey}`)).seen,
    accepted: (s) => expect(s.status, JSON.stringify(s.body)).toBe(201),
    refused: problem401,
    cells: {
      missing: { attempts: [{ label: 'no Authorization', merchant: null, send: () => native(null) }] },
      'wrong-key': {
        attempts: [
          {
            label: 'a key that was never issued',
            merchant: null,
            send: () => {
              const key = `tv_sk_${randomBytes(24).toString('base64url')}`;
              rememberSecret(key);
              return native(`Bearer ${key}`);
            },
          },
        ],
      },
      'tampered-body': { notApplicable: 'a bearer key binds no body' },
      'replay-after-skew': { notApplicable: NO_TIME_KEY },
      expired: { notApplicable: NO_TIME_KEY },
      'alg-none': { notApplicable: NO_ALG_KEY },
      'hs-with-public-key': { notApplicable: NO_ALG_KEY },
    },
  },
  {
    api: 'native',
    scheme: 'operator admin token',
    control: async () => (await admin(`Bearer ${ADMIN_TOKEN}`)).seen,
    accepted: (s) => expect(s.status, JSON.stringify(s.body)).toBe(200),
    refused: problem401,
    cells: {
      missing: { attempts: [{ label: 'no Authorization', merchant: null, send: () => admin(null) }] },
      'wrong-key': {
        attempts: [
          { label: 'a wrong admin token', merchant: null, send: () => admin(`Bearer ${randomSecret()}`) },
          { label: "a merchant's API key as the admin token", merchant: 'A-or-null', send: () => admin(`Bearer ${A.m.apiKey}`) },
        ],
      },
      'tampered-body': { notApplicable: 'a bearer token binds no body' },
      'replay-after-skew': { notApplicable: 'the admin token is static: valid until the operator changes it' },
      expired: { notApplicable: 'the admin token is static: valid until the operator changes it' },
      'alg-none': { notApplicable: NO_ALG_KEY },
      'hs-with-public-key': { notApplicable: NO_ALG_KEY },
    },
  },
  cybersourceScheme('sig'),
  cybersourceScheme('hs256'),
  cybersourceScheme('rs256'),
  cybersourceScheme('v1'),
  {
    api: 'opay',
    scheme: 'OPay HMAC-SHA512 of the body',
    control: async () => (await opay({})).seen,
    accepted: (s) => expect(s.body.code, JSON.stringify(s.body)).toBe('00000'),
    refused: opayRefused,
    cells: {
      missing: {
        attempts: [
          { label: 'no Authorization, no MerchantId', merchant: null, send: () => opay({ omit: ['authorization', 'merchantid'] }) },
        ],
      },
      'wrong-key': { attempts: [{ label: 'signed with another secret', merchant: 'A', send: () => opay({ secret: randomSecret() }) }] },
      'tampered-body': {
        attempts: [
          {
            label: 'body changed after signing',
            merchant: 'A',
            send: () => {
              const other = sortedJson(opayBody());
              return opay({ raw: other, signature: hmacHex(A.opay.secretKey, sortedJson(opayBody())) });
            },
          },
        ],
      },
      'replay-after-skew': {
        notApplicable: "OPay's signature covers the body alone (no time, no nonce): there is no window to replay past",
      },
      expired: { notApplicable: "OPay's signature carries no time" },
      'alg-none': {
        attempts: [
          { label: 'an empty signature', merchant: 'A-or-null', send: () => opay({ signature: '' }) },
          { label: 'downgraded to HMAC-SHA256 with the right secret', merchant: 'A', send: () => opay({ hash: 'sha256' }) },
        ],
      },
      'hs-with-public-key': { notApplicable: 'symmetric HMAC only: no public key exists to confuse' },
    },
  },
  {
    api: 'appotapay',
    scheme: 'AppotaPay JWT HS256 (X-APPOTAPAY-AUTH)',
    control: async () => (await appota(appotaJwt(appotaCreds()))).seen,
    accepted: (s) => expect(s.status, JSON.stringify(s.body)).toBe(200),
    refused: appotaRefused,
    cells: {
      missing: { attempts: [{ label: 'no X-APPOTAPAY-AUTH', merchant: null, send: () => appota(null) }] },
      'wrong-key': {
        attempts: [
          { label: 'signed with another secret', merchant: 'A', send: () => appota(appotaJwt(appotaCreds(), { key: randomSecret() })) },
        ],
      },
      'tampered-body': { notApplicable: "AppotaPay's JWT carries no body digest (iss, api_key, jti, exp only): nothing binds the body" },
      'replay-after-skew': {
        attempts: [
          {
            label: 'made now, sent 10 minutes later (server clock moved)',
            merchant: 'A',
            send: () => appota(appotaJwt(appotaCreds()), 10 * MINUTES),
          },
        ],
      },
      expired: {
        attempts: [
          {
            label: 'exp 5 minutes ago',
            merchant: 'A',
            send: () => appota(appotaJwt(appotaCreds(), { now: Math.floor(Date.now() / 1000) - 600 })),
          },
        ],
      },
      'alg-none': {
        attempts: [
          { label: 'alg none, no signature', merchant: 'A-or-null', send: () => appota(appotaJwt(appotaCreds(), { alg: 'none' })) },
        ],
      },
      'hs-with-public-key': { notApplicable: 'symmetric HS256 only: no public key exists to confuse' },
    },
  },
  {
    api: 'twoc2p',
    scheme: '2C2P JWS PS256 over JWE',
    control: async () => (await twoc2p(await buildRequest(twoc2pAdd(), A.c2.vaultPublic, A.c2.merchantPrivate))).seen,
    accepted: (s) => expect(s.status, String(s.body)).toBe(200),
    refused: twoc2pRefused,
    cells: {
      missing: { attempts: [{ label: 'an empty body', merchant: null, send: () => twoc2p('') }] },
      'wrong-key': {
        attempts: [
          {
            label: 'signed by a key no merchant registered',
            merchant: null,
            send: async () => twoc2p(await buildRequest(twoc2pAdd(), A.c2.vaultPublic, stranger.privateKey)),
          },
        ],
      },
      'tampered-body': {
        attempts: [
          {
            label: 'one character of the signed payload flipped',
            merchant: null,
            send: async () => twoc2p(flipPayload(await buildRequest(twoc2pAdd(), A.c2.vaultPublic, A.c2.merchantPrivate))),
          },
        ],
      },
      'replay-after-skew': { notApplicable: '2C2P messages carry no time and no nonce (2C2P’s format): there is no window to replay past' },
      expired: { notApplicable: '2C2P messages carry no time' },
      'alg-none': {
        attempts: [
          {
            label: 'JWS alg none around a valid JWE',
            merchant: null,
            send: async () => {
              const jws = await buildRequest(twoc2pAdd(), A.c2.vaultPublic, A.c2.merchantPrivate);
              return twoc2p(`${b64url({ alg: 'none' })}.${jws.split('.')[1]}.`);
            },
          },
        ],
      },
      'hs-with-public-key': {
        attempts: [
          {
            label: "JWS HS256 keyed with the merchant's public key",
            merchant: null,
            send: async () => {
              const pem = createPublicKey(A.c2.merchantPrivate).export({ type: 'spki', format: 'pem' }).toString();
              return twoc2p(
                await buildRawRequest(JSON.stringify(twoc2pAdd()), A.c2.vaultPublic, enc.encode(pem), { jws: { alg: 'HS256' } }),
              );
            },
          },
        ],
      },
    },
  },
  {
    api: 'alliancepay',
    scheme: 'AlliancePay session (device id, refresh token, JWE to the session key)',
    control: async () => (await alliance()).seen,
    accepted: (s) => expect(s.type, JSON.stringify(s.body)).toBe('jwe'),
    refused: allianceRefused,
    cells: {
      missing: {
        attempts: [
          {
            label: 'no x-device_id, no x-refresh_token',
            merchant: null,
            send: () => alliance({ omit: ['x-device_id', 'x-refresh_token'] }),
          },
        ],
      },
      'wrong-key': {
        attempts: [
          {
            label: "A's device id with a refresh token that is not its own",
            merchant: 'A',
            send: () => alliance({ headers: { 'x-refresh_token': randomSecret(24) } }),
          },
        ],
      },
      'tampered-body': {
        attempts: [
          {
            label: 'one ciphertext character of the body JWE flipped',
            merchant: 'A',
            send: async () => {
              const jwe = await encryptTo(A.ap.session.serverPublic, JSON.stringify(await A.apBodies.createToken()));
              return alliance({ raw: tamper(jwe) });
            },
          },
        ],
      },
      'replay-after-skew': (() => {
        let raw = '';
        let requestId = '';
        return {
          attempts: [
            {
              label: 'a captured request sent again 10 minutes later (server clock moved)',
              merchant: 'A',
              prepare: async () => {
                raw = await encryptTo(A.ap.session.serverPublic, JSON.stringify(await A.apBodies.createToken()));
                requestId = randomUUID();
                const first = await alliance({ raw, requestId });
                expect(first.seen.type, JSON.stringify(first.seen.body)).toBe('jwe');
              },
              send: () => {
                shift(10 * MINUTES);
                return alliance({ raw, requestId });
              },
            },
          ],
        };
      })(),
      expired: {
        attempts: [
          {
            label: 'the session used after its lifetime (server clock moved 2 hours)',
            merchant: 'A',
            send: () => {
              shift(2 * 60 * MINUTES);
              return alliance();
            },
          },
        ],
      },
      'alg-none': {
        attempts: [
          {
            label: 'an unsecured JOSE body (alg none) instead of a JWE',
            merchant: 'A',
            send: async () => alliance({ raw: `${b64url({ alg: 'none' })}.${b64url(await A.apBodies.createToken())}.` }),
          },
        ],
      },
      'hs-with-public-key': {
        notApplicable:
          'bodies are ECDH-ES key-agreement JWEs: no signature algorithm to swap (alg-none and tampered rows cover the envelope)',
      },
    },
  },
];

const appotaCreds = () => appotaCredentials(A.m);

// -------------------------------------------------------------------------------------------------
// Running the matrix

/** Per cell: how far its attempts got (the weakest attempt counts). */
type Outcome = 'refused+audited' | 'refused,no-audit' | 'FAILED';
const results = new Map<string, Outcome>();
const RANK: Outcome[] = ['FAILED', 'refused,no-audit', 'refused+audited'];
const record = (key: string, o: Outcome) => {
  const prev = results.get(key);
  if (prev === undefined || RANK.indexOf(o) < RANK.indexOf(prev)) results.set(key, o);
};

async function authFailures(): Promise<AuditEventRow[]> {
  return t.vault.store.db.selectFrom('audit_events').selectAll().where('action', '=', 'auth.failed').execute();
}

/**
 * Everything A owns except its audit chain (which a refusal naming A legitimately extends). Request ids spent by
 * presenting them are replay claims, which belong to no merchant's rows.
 */
async function dataOf(): Promise<Record<string, string[]>> {
  const { audit_events: _e, audit_heads: _h, ...rest } = await ownedRows(t, A.m.id);
  return rest;
}

const MACHINE = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;

async function runAttempt(s: Scheme, attempt: Attempt, key: string): Promise<void> {
  let got: Outcome = 'FAILED';
  try {
    await attempt.prepare?.();
    const auditBefore = await authFailures();
    const before = await dataOf();
    const { seen, presented } = await attempt.send();
    shift(0);
    expect(seen.status, `${attempt.label}: never a 5xx`).toBeLessThan(500);
    s.refused(seen);
    if (attempt.why) expect(JSON.stringify(seen.body), `${attempt.label}: refused for that reason`).toMatch(attempt.why);
    expect(await dataOf(), `${attempt.label}: A's data changed`).toEqual(before);
    got = 'refused,no-audit';

    const seenKeys = new Set(auditBefore.map((r) => `${r.chain}:${r.seq}`));
    const fresh = (await authFailures()).filter((r) => !seenKeys.has(`${r.chain}:${r.seq}`));
    expect(fresh.length, `${attempt.label}: one auth.failed audit event`).toBe(1);
    const event = fresh[0] as AuditEventRow;
    expect(event.outcome).toBe('denied');
    expect(event.actor).toBe('client:127.0.0.1');
    if (attempt.merchant === 'A') expect(event.merchant_id, 'the merchant the credential named').toBe(A.m.id);
    else if (attempt.merchant === null) expect(event.merchant_id, 'no merchant could be told').toBeNull();
    else expect([A.m.id, null]).toContain(event.merchant_id);
    const detail = JSON.parse(event.detail ?? 'null') as Record<string, unknown> | null;
    expect(detail).not.toBeNull();
    expect(detail?.api).toBe(s.api);
    expect(String(detail?.scheme)).toMatch(MACHINE);
    expect(String(detail?.reason)).toMatch(MACHINE);
    for (const secret of presented.filter((p) => p.length >= 8))
      expect(event.detail ?? '', 'the presented credential is never audited').not.toContain(secret);
    got = 'refused+audited';
  } finally {
    shift(0);
    record(key, got);
  }
}

describe('authentication tampering matrix', () => {
  for (const s of SCHEMES) {
    describe(s.scheme, () => {
      it('control: the correct request is accepted', async () => {
        s.accepted(await s.control());
      });
      for (const attack of ATTACKS) {
        const cell = s.cells[attack];
        if ('notApplicable' in cell) continue;
        it(`${attack}: ${cell.attempts.map((a) => a.label).join('; ')}`, async () => {
          for (const attempt of cell.attempts) await runAttempt(s, attempt, `${s.scheme}|${attack}`);
        });
      }
    });
  }

  it('leaves the audit chain intact after every refusal', async () => {
    const report = await t.vault.audit.verify();
    expect(report.firstBreak).toBeNull();
    expect(report.ok).toBe(true);
    expect(report.events).toBeGreaterThan(0);
  });
});

afterAll(() => {
  const w = 20;
  const head = `${'scheme'.padEnd(44)}${ATTACKS.map((a) => a.padEnd(w)).join('')}`;
  const lines = SCHEMES.map(
    (s) =>
      s.scheme.slice(0, 43).padEnd(44) +
      ATTACKS.map((a) => {
        const cell = s.cells[a];
        return ('notApplicable' in cell ? 'n/a' : (results.get(`${s.scheme}|${a}`) ?? 'not run')).padEnd(w);
      }).join(''),
  );
  const reasons = SCHEMES.flatMap((s) =>
    ATTACKS.flatMap((a) => {
      const cell = s.cells[a];
      return 'notApplicable' in cell ? [`  ${s.scheme} × ${a}: ${cell.notApplicable}`] : [];
    }),
  );
  console.log(`authentication tampering matrix\n${head}\n${lines.join('\n')}\nnot applicable:\n${reasons.join('\n')}`);
});
