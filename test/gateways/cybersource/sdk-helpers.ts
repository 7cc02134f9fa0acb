/**
 * Drives tokenvault's Cybersource TMS/PTS routes through the official `cybersource-rest-client` SDK,
 * unchanged, over real HTTP: config builders for the three auth modes, a promise wrapper around the
 * SDK's callback methods, and P12 material (node-forge) for RS256 JWT.
 */
import { generateKeyPairSync, randomBytes, randomInt } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ADMIN_TOKEN, rememberSecret, type TestApp, type TestMerchant } from '../../helpers/harness.ts';

const require = createRequire(import.meta.url);
/** The SDK module itself (CommonJS, untyped). */
export const cybersource = require('cybersource-rest-client');
const forge = require('node-forge');

// biome-ignore lint/suspicious/noExplicitAny: SDK answers are untyped JSON, checked field by field in the tests
export type Json = any;

export interface CybsCreds {
  merchantId: string;
  keyId: string;
  sharedSecret: string;
  mleKeyId: string;
  mlePrivateKeyPem: string;
}

export function cybsCreds(m: TestMerchant): CybsCreds {
  const g = (m.credentials.gateways as Record<string, CybsCreds>).cybersource as CybsCreds;
  rememberSecret(g.sharedSecret, g.mlePrivateKeyPem?.split('\n')[1]);
  return g;
}

/** Starts the app on a real loopback port (the SDK speaks HTTP, not inject). */
export async function listen(t: TestApp): Promise<number> {
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  return (t.app.server.address() as AddressInfo).port;
}

export type AuthMode = 'http_signature' | 'jwt-hs256' | 'jwt-rs256';

export interface P12Material {
  dir: string;
  merchantID: string;
  keyPass: string;
  /** The subject serialNumber attribute: what the SDK sends as the JWT `kid`. */
  kid: string;
  certificatePem: string;
}

export interface SdkSetup {
  mode: AuthMode;
  port: number;
  merchantID: string;
  keyId?: string;
  secret?: string;
  p12?: P12Material;
  /** Response MLE (JWT modes only). */
  mle?: { kid: string; privateKeyPem: string };
  extra?: Record<string, unknown>;
}

/** The SDK configuration object, exactly as a merchant would write it. */
export function sdkConfig(s: SdkSetup): Record<string, unknown> {
  const host = `127.0.0.1:${s.port}`;
  const base: Record<string, unknown> = {
    runEnvironment: host,
    intermediateHost: `http://${host}`,
    merchantID: s.merchantID,
    logConfiguration: { enableLog: false },
  };
  if (s.mode === 'http_signature') {
    Object.assign(base, { authenticationType: 'http_signature', merchantKeyId: s.keyId, merchantsecretKey: s.secret });
  } else if (s.mode === 'jwt-hs256') {
    Object.assign(base, { authenticationType: 'jwt', jwtKeyType: 'SHARED_SECRET', merchantKeyId: s.keyId, merchantsecretKey: s.secret });
  } else {
    if (!s.p12) throw new Error('jwt-rs256 needs P12 material');
    Object.assign(base, {
      authenticationType: 'jwt',
      keysDirectory: s.p12.dir,
      keyFileName: s.p12.merchantID,
      keyAlias: s.p12.merchantID,
      keyPass: s.p12.keyPass,
    });
  }
  if (s.mle) {
    Object.assign(base, { enableResponseMleGlobally: true, responseMleKID: s.mle.kid, responseMlePrivateKey: s.mle.privateKeyPem });
  }
  return { ...base, ...s.extra };
}

export interface SdkResult {
  /** HTTP status; 0 when the SDK failed without an HTTP answer (e.g. it could not decrypt). */
  status: number;
  /** The answer as JSON (the SDK's `response.text`, after its own MLE decryption). */
  body: Json;
  /** What the SDK deserialized into its model class (null on errors and 204). */
  data: Json;
  headers: Record<string, string>;
  /** The SDK's own error object, when it reported one. */
  error: Json;
  /** For assertion messages. */
  text: string;
}

type SdkFn = (...args: unknown[]) => unknown;
type SdkApi = Record<string, SdkFn>;

function headerMap(h: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (h && typeof h === 'object') {
    for (const [k, v] of Object.entries(h as Record<string, unknown>)) {
      if (v !== undefined && v !== null && typeof v !== 'function') out[k.toLowerCase()] = String(v);
    }
  }
  return out;
}

function parse(text: unknown): Json {
  if (typeof text !== 'string' || text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function toResult(error: Json, data: Json, response: Json): SdkResult {
  if (error) {
    if (typeof error.status === 'number') {
      const text = String(error.response?.text ?? '');
      return { status: error.status, body: parse(text), data: null, headers: headerMap(error.response?.header), error, text };
    }
    const text = String(error?.message ?? error);
    return { status: 0, body: undefined, data: null, headers: {}, error, text };
  }
  const text = String(response?.text ?? '');
  return { status: Number(response?.status), body: parse(text), data, headers: headerMap(response?.header), error: null, text };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const SAFE = /^get/;
/** HTTP Signature calls by merchant, method and arguments, and the second each was last sent in. */
const sentIn = new Map<string, number>();

/**
 * The SDK signs the Date header with one-second resolution, so the same state-changing call made twice within
 * one second is byte-identical, and the vault answers the second with the first's answer (SECURITY.md
 * "Replays"). A client that means a second effect sends it later: this waits for the next second when a call
 * repeats one made in the current second.
 */
async function distinctFromLast(config: Record<string, unknown>, method: string, args: unknown[]): Promise<void> {
  if (config.authenticationType !== 'http_signature' || SAFE.test(method)) return;
  const key = `${String(config.merchantID)} ${method} ${JSON.stringify(args)}`;
  const second = () => Math.floor(Date.now() / 1000);
  if (sentIn.get(key) === second()) await sleep(1000 - (Date.now() % 1000) + 5);
  sentIn.set(key, second());
}

async function invoke(config: Record<string, unknown>, api: SdkApi, method: string, args: unknown[]): Promise<SdkResult> {
  await distinctFromLast(config, method, args);
  return new Promise((resolve, reject) => {
    const fn = api[method];
    if (typeof fn !== 'function') {
      reject(new Error(`the SDK has no method ${method}`));
      return;
    }
    try {
      fn.call(api, ...args, (error: Json, data: Json, response: Json) => resolve(toResult(error, data, response)));
    } catch (e) {
      reject(e);
    }
  });
}

type CustomerMethod = 'postCustomer' | 'getCustomer' | 'patchCustomer' | 'deleteCustomer';
type CustomerPiMethod =
  | 'postCustomerPaymentInstrument'
  | 'getCustomerPaymentInstrument'
  | 'getCustomerPaymentInstrumentsList'
  | 'patchCustomersPaymentInstrument'
  | 'deleteCustomerPaymentInstrument';
type ShippingMethod =
  | 'postCustomerShippingAddress'
  | 'getCustomerShippingAddress'
  | 'getCustomerShippingAddressesList'
  | 'patchCustomersShippingAddress'
  | 'deleteCustomerShippingAddress';
type IiMethod =
  | 'postInstrumentIdentifier'
  | 'getInstrumentIdentifier'
  | 'patchInstrumentIdentifier'
  | 'deleteInstrumentIdentifier'
  | 'getInstrumentIdentifierPaymentInstrumentsList';
type PiMethod = 'postPaymentInstrument' | 'getPaymentInstrument' | 'patchPaymentInstrument' | 'deletePaymentInstrument';

/** One SDK ApiClient (one merchant configuration) with the API classes the suite uses. */
export class Sdk {
  readonly config: Record<string, unknown>;
  private readonly apis: Record<string, SdkApi>;

  constructor(config: Record<string, unknown>) {
    this.config = config;
    const apiClient = new cybersource.ApiClient();
    const make = (name: string): SdkApi => new cybersource[name](config, apiClient);
    this.apis = {
      customer: make('CustomerApi'),
      customerPi: make('CustomerPaymentInstrumentApi'),
      shipping: make('CustomerShippingAddressApi'),
      ii: make('InstrumentIdentifierApi'),
      pi: make('PaymentInstrumentApi'),
      payments: make('PaymentsApi'),
      credit: make('CreditApi'),
      capture: make('CaptureApi'),
      reversal: make('ReversalApi'),
      refund: make('RefundApi'),
      void: make('VoidApi'),
    };
  }

  private api(name: string): SdkApi {
    return this.apis[name] as SdkApi;
  }

  customers(method: CustomerMethod, ...args: unknown[]): Promise<SdkResult> {
    return invoke(this.config, this.api('customer'), method, args);
  }
  customerPis(method: CustomerPiMethod, ...args: unknown[]): Promise<SdkResult> {
    return invoke(this.config, this.api('customerPi'), method, args);
  }
  shipping(method: ShippingMethod, ...args: unknown[]): Promise<SdkResult> {
    return invoke(this.config, this.api('shipping'), method, args);
  }
  instrumentIdentifiers(method: IiMethod, ...args: unknown[]): Promise<SdkResult> {
    return invoke(this.config, this.api('ii'), method, args);
  }
  paymentInstruments(method: PiMethod, ...args: unknown[]): Promise<SdkResult> {
    return invoke(this.config, this.api('pi'), method, args);
  }
  /** PaymentsApi.createPayment(body, cb) */
  createPayment(body: unknown): Promise<SdkResult> {
    return invoke(this.config, this.api('payments'), 'createPayment', [body]);
  }
  /** CreditApi.createCredit(body, cb) */
  createCredit(body: unknown): Promise<SdkResult> {
    return invoke(this.config, this.api('credit'), 'createCredit', [body]);
  }
  /** CaptureApi.capturePayment(body, id, cb) */
  capturePayment(body: unknown, id: string): Promise<SdkResult> {
    return invoke(this.config, this.api('capture'), 'capturePayment', [body, id]);
  }
  /** ReversalApi.authReversal(id, body, cb) */
  authReversal(id: string, body: unknown): Promise<SdkResult> {
    return invoke(this.config, this.api('reversal'), 'authReversal', [id, body]);
  }
  /** RefundApi.refundPayment(body, id, cb) */
  refundPayment(body: unknown, id: string): Promise<SdkResult> {
    return invoke(this.config, this.api('refund'), 'refundPayment', [body, id]);
  }
  /** RefundApi.refundCapture(body, id, cb) */
  refundCapture(body: unknown, id: string): Promise<SdkResult> {
    return invoke(this.config, this.api('refund'), 'refundCapture', [body, id]);
  }
  /** VoidApi.voidPayment / voidCapture / voidRefund / voidCredit (body, id, cb) */
  void(method: 'voidPayment' | 'voidCapture' | 'voidRefund' | 'voidCredit', body: unknown, id: string): Promise<SdkResult> {
    return invoke(this.config, this.api('void'), method, [body, id]);
  }
}

export function sdk(s: SdkSetup): Sdk {
  return new Sdk(sdkConfig(s));
}

/** A base64 shared secret nobody registered. */
export function wrongSecret(): string {
  const s = randomBytes(32).toString('base64');
  rememberSecret(s);
  return s;
}

/**
 * An RSA-2048 key and a self-signed certificate (subject CN=<merchantID>, serialNumber=<20 digits>) in
 * `<dir>/<merchantID>.p12`, the cert bag's friendlyName carrying `cn=<merchantID>` as the SDK looks for it.
 */
export function makeP12(merchantID: string): P12Material {
  const { privateKey: privatePem, publicKey: publicPem } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const key = forge.pki.privateKeyFromPem(privatePem);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicPem);
  cert.serialNumber = `01${randomBytes(9).toString('hex')}`;
  cert.validity.notBefore = new Date(Date.now() - 24 * 3600_000);
  cert.validity.notAfter = new Date(Date.now() + 2 * 365 * 24 * 3600_000);
  let kid = String(randomInt(1, 10));
  while (kid.length < 20) kid += String(randomInt(0, 10));
  const attrs = [
    { name: 'commonName', value: merchantID },
    { name: 'serialNumber', value: kid },
  ];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.sign(key, forge.md.sha256.create());
  const keyPass = randomBytes(12).toString('base64url');
  const p12Asn1 = forge.pkcs12.toPkcs12Asn1(key, [cert], keyPass, {
    algorithm: '3des',
    friendlyName: `serialNumber=${kid},CN=${merchantID}`,
  });
  const der: string = forge.asn1.toDer(p12Asn1).getBytes();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tv-cybs-p12-'));
  fs.writeFileSync(path.join(dir, `${merchantID}.p12`), Buffer.from(der, 'binary'));
  rememberSecret(privatePem.split('\n')[1], privatePem.split('\n')[2], keyPass);
  return { dir, merchantID, keyPass, kid, certificatePem: forge.pki.certificateToPem(cert) };
}

/** PUT /v1/admin/merchants/{id}/gateways/cybersource/keys (admin token). */
export async function putCybersourceKeys(
  t: TestApp,
  m: TestMerchant,
  body: Record<string, unknown>,
): Promise<{ status: number; body: Json }> {
  const res = await t.app.inject({
    method: 'PUT',
    url: `/v1/admin/merchants/${m.id}/gateways/cybersource/keys`,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    payload: body,
  });
  let json: Json;
  try {
    json = res.json();
  } catch {
    json = res.body;
  }
  return { status: res.statusCode, body: json };
}

/** A fresh PEM private key nobody registered (for a wrong response-MLE key). */
export function strayPrivateKeyPem(): string {
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  rememberSecret(privateKey.split('\n')[1]);
  return privateKey;
}

/** A random Luhn-valid card number (default a 16-digit Visa), so no two tests share a card. */
export function cardNumber(prefix = '4242', length = 16): string {
  let body = prefix;
  while (body.length < length - 1) body += String(randomInt(0, 10));
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return body + String((10 - (sum % 10)) % 10);
}

/** First six, X for the middle, last four: `411111XXXXXX1111`; under 15 digits, at most half shown (`42XXXXXXX2222`). */
export function masked(pan: string): string {
  const head = pan.length >= 15 ? 6 : Math.floor(pan.length / 2) - 4;
  return `${pan.slice(0, head)}${'X'.repeat(pan.length - head - 4)}${pan.slice(-4)}`;
}

/** offset/limit of a list link's href. */
export function pageOf(href: string): { offset: number; limit: number } {
  const u = new URL(href, 'http://x');
  return { offset: Number(u.searchParams.get('offset')), limit: Number(u.searchParams.get('limit')) };
}

export function removeDirs(...dirs: (string | undefined)[]): void {
  for (const d of dirs) if (d) fs.rmSync(d, { recursive: true, force: true });
}
