/**
 * AlliancePay host-to-host tokens, wire-compatible (docs/alliancepay.md): a virtual-device session whose
 * bodies are JWEs to a per-session server key, answers as JWEs to the merchant's key, card fields as
 * nested JWEs to the payment key the vault holds; token create, list, get and state changes; payments by
 * token (PURCHASE, C2A) with 3-D Secure, and card purchases that may keep a token.
 */
import { createPrivateKey, createPublicKey, type JsonWebKey, type KeyObject, randomBytes, randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CompactEncrypt, compactDecrypt } from 'jose';
import { maskPan, parseExpiryYYMM, parsePan } from '../../../domain/card.ts';
import { MAX_AMOUNT } from '../../../domain/money.ts';
import type { DeclineCode } from '../../../domain/payment.ts';
import type { CardService, CardView } from '../../../vault/cards.ts';
import type { CustomerService } from '../../../vault/customers.ts';
import type { Caller } from '../../../vault/deps.ts';
import type { VaultFailure } from '../../../vault/errors.ts';
import type { MerchantService } from '../../../vault/merchants.ts';
import type { PaymentService, PaymentView } from '../../../vault/payments.ts';
import type { SessionService } from '../../../vault/sessions.ts';
import { type Guard, gatewayErrorHandler } from '../../guard.ts';
import { parseJsonBounded } from '../../json.ts';
import { documentWire } from '../../openapi.ts';
import { CODES, type Code } from './codes.ts';
import { authorizeRouteSchema, PATHS, type SessionPath, sessionRouteSchema } from './schemas.ts';

export interface AlliancePayDeps {
  merchants: MerchantService;
  cards: CardService;
  customers: CustomerService;
  payments: PaymentService;
  sessions: SessionService;
  now: () => Date;
  guard: Guard;
}

/** Refusals that mean the caller could not be authenticated (audited and counted by the guard). */
const AUTH_CODES: ReadonlySet<Code> = new Set<Code>([
  'b_merchant_not_found',
  'b_virtual_device_not_found',
  'b_refresh_token_absent',
  'b_unknown_device',
  'b_used_token',
  'b_expired_token',
  'b_encryptor_failed_decrypt_message',
]);

class Refusal extends Error {
  constructor(
    readonly code: Code,
    readonly causes: string[] = [],
    readonly validation = false,
  ) {
    super(CODES[code][1]);
  }
}

const invalid = (field: string, why: string) => new Refusal('b_invalid_request', [`${field}: ${why}`], true);

const ALG = 'ECDH-ES+A256KW';
const ENC = 'A256GCM';
type Body = Record<string, unknown>;

function str(b: Body, key: string, opts: { max: number; required?: boolean; pattern?: RegExp }): string | undefined {
  const v = b[key];
  if (v === undefined || v === null || v === '') {
    if (opts.required) throw invalid(key, 'is required');
    return undefined;
  }
  if (typeof v !== 'string') throw invalid(key, 'must be a string');
  if (v.length > opts.max) throw invalid(key, `must be at most ${opts.max} characters`);
  if (opts.pattern && !opts.pattern.test(v)) throw invalid(key, 'has an invalid format');
  if (/[\u0000-\u001f]/.test(v)) throw invalid(key, 'contains control characters');
  return v;
}

const DATE = /^[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}:[0-9]{2}/;
const UUIDISH = /^[A-Za-z0-9-]{1,36}$/;

/** `yyyy-MM-dd HH:mm:ss.SSSS +0000`, as AlliancePay writes times. */
const allianceTime = (d: Date) => `${d.toISOString().replace('T', ' ').replace('Z', '')}0 +0000`;

const allianceToken = () => randomBytes(18).toString('base64url');

/** actionCode / responseCode by outcome (ISO 8583 action codes; *chosen*, see README). */
const DECLINES: Record<DeclineCode, [actionCode: string, responseCode: string]> = {
  insufficient_funds: ['116', '51'],
  expired_card: ['101', '54'],
  do_not_honor: ['100', '05'],
  lost_card: ['208', '41'],
  stolen_card: ['209', '43'],
  invalid_cvv: ['111', 'N7'],
  authentication_failed: ['100', '05'],
};

interface Credential {
  credentialId: string;
  merchantId: string;
  allianceMerchantId: string;
  merchantPublic: KeyObject;
  paymentPrivate: KeyObject;
  source: string;
}

export async function registerAlliancePay(app: FastifyInstance, deps: AlliancePayDeps): Promise<void> {
  const { merchants, cards, customers, payments, sessions, guard } = deps;
  const byCredential = new Map<string, Credential>();

  async function credential(credentialId: string, merchantId: string): Promise<Credential | null> {
    const state = await merchants.gatewayCredentialState(credentialId);
    if (!state?.usable) {
      byCredential.delete(credentialId);
      return null;
    }
    const cached = byCredential.get(credentialId);
    const source = `${state.publicData}|${state.secretData}`;
    if (cached && cached.source === source) return cached;
    const pub = JSON.parse(state.publicData) as { merchantId: string; merchantPublicJwk: JsonWebKey };
    const secret = await merchants.gatewaySecret(merchantId, credentialId);
    if (!secret) return null;
    const entry: Credential = {
      credentialId,
      merchantId,
      allianceMerchantId: pub.merchantId,
      merchantPublic: createPublicKey({ key: pub.merchantPublicJwk, format: 'jwk' }),
      paymentPrivate: createPrivateKey({ key: secret.paymentPrivateJwk as JsonWebKey, format: 'jwk' }),
      source,
    };
    byCredential.set(credentialId, entry);
    return entry;
  }

  const seal = (value: unknown, key: KeyObject) =>
    new CompactEncrypt(new TextEncoder().encode(JSON.stringify(value))).setProtectedHeader({ alg: ALG, enc: ENC }).encrypt(key);

  async function open(jwe: string, key: KeyObject): Promise<string> {
    try {
      const { plaintext } = await compactDecrypt(jwe.trim(), key, { keyManagementAlgorithms: [ALG], contentEncryptionAlgorithms: [ENC] });
      return new TextDecoder('utf-8', { fatal: true }).decode(plaintext);
    } catch {
      throw new Refusal('b_encryptor_failed_decrypt_message');
    }
  }

  /** A card field (PAN, expiry, CVV): a JWE to the merchant's payment key. */
  async function field(b: Body, key: string, cred: Credential, required = true): Promise<string | undefined> {
    const v = str(b, key, { max: 4096, required });
    return v === undefined ? undefined : open(v, cred.paymentPrivate);
  }

  // ---------------------------------------------------------------------------------------------
  // Views

  async function customerRef(caller: Caller, card: CardView): Promise<string> {
    if (!card.customerId) return '';
    const c = await customers.get(caller, card.customerId);
    return c.ok ? (c.value.customerId ?? c.value.id) : '';
  }

  const tokenJson = (card: CardView, customerId: string, cred: Credential) => ({
    token: card.token,
    status: card.status,
    maskedPan: maskPan({ bin6: card.bin6, last4: card.last4, length: card.panLength }, '•'),
    customerId,
    merchantId: cred.allianceMerchantId,
  });

  function paymentJson(p: PaymentView, cred: Credential, status: string, extra: Body = {}) {
    const decline = p.declineCode ? DECLINES[p.declineCode] : null;
    const type = p.metadata?.alliancepayType ?? 'PURCHASE';
    return {
      type,
      status,
      operationId: p.id,
      ecomOperationId: p.id,
      merchantRequestId: p.reference,
      merchantId: cred.allianceMerchantId,
      coinAmount: p.amount,
      rrn: BigInt(`0x${p.id.replaceAll('-', '').slice(0, 12)}`)
        .toString()
        .slice(-12)
        .padStart(12, '0'),
      approvalCode: p.authCode,
      transactionType: type,
      transactionCurrency: '980',
      actionCode: decline ? decline[0] : status === 'SUCCESS' ? '000' : null,
      responseCode: decline ? decline[1] : status === 'SUCCESS' ? '00' : null,
      createDateTime: allianceTime(new Date(p.createdAt)),
      modificationDateTime: allianceTime(new Date(p.updatedAt)),
      ...extra,
    };
  }

  const statusOf = (p: PaymentView): string =>
    p.status === 'PENDING_AUTHENTICATION' ? 'REQUIRED_3DS' : p.status === 'DECLINED' || p.status === 'FAILED' ? 'FAIL' : 'SUCCESS';

  function paymentFailure(f: VaultFailure): Refusal {
    switch (f.error) {
      case 'card_not_found':
        return new Refusal('b_token_not_found');
      case 'token_suspended':
      case 'token_deleted':
      case 'token_consumed':
      case 'token_expired':
        return new Refusal('b_token_not_active');
      case 'processor_unavailable':
        return new Refusal('b_server_is_overloaded');
      case 'invalid_amount':
        return invalid('coinAmount', f.detail ?? 'is not a valid amount');
      case 'payment_not_found':
        return new Refusal('payment_operation_not_found');
      default:
        return new Refusal('b_txn_not_allowed', [f.detail ?? f.error]);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Operations

  interface Ctx {
    caller: Caller;
    cred: Credential;
    body: Body;
  }

  /** A card from two encrypted fields, checked before anything is written. */
  async function readCard(ctx: Ctx) {
    const pan = await field(ctx.body, 'encryptedCardNumber', ctx.cred);
    const exp = await field(ctx.body, 'encryptedExpDate', ctx.cred);
    if (!parsePan(pan as string).ok) throw new Refusal('b_invalid_pan_format');
    const expiry = parseExpiryYYMM(exp as string);
    if (!expiry.ok) throw new Refusal('b_validation_card_expiration_date');
    return { pan: pan as string, expiry: expiry.value };
  }

  async function withReference<T>(ctx: Ctx, reference: string, work: () => Promise<T>): Promise<T> {
    if (!(await cards.claimReference(ctx.caller, 'alliancepay', reference)))
      throw new Refusal('b_duplicate_field_value', ['merchantRequestId']);
    try {
      return await work();
    } catch (e) {
      await cards.releaseReference(ctx.caller, 'alliancepay', reference);
      throw e;
    }
  }

  async function create(ctx: Ctx) {
    const b = ctx.body;
    const reference = str(b, 'merchantRequestId', { max: 36, required: true, pattern: UUIDISH }) as string;
    str(b, 'merchantId', { max: 36, required: true });
    const customerId = str(b, 'customerId', { max: 255, required: true }) as string;
    str(b, 'date', { max: 40, required: true, pattern: DATE });
    const { pan, expiry } = await readCard(ctx);
    const check = cards.checkCard({ pan, expiry });
    if (!check.ok)
      throw check.error === 'invalid_card_number' ? new Refusal('b_invalid_pan_format') : new Refusal('b_validation_card_expiration_date');
    return withReference(ctx, reference, async () => {
      const customer = await customers.findOrCreate(ctx.caller, { customerId });
      if (!customer.ok) throw new Refusal('b_invalid_request', [customer.detail ?? customer.error]);
      const r = await cards.tokenize(ctx.caller, {
        pan,
        expiry,
        customerId: customer.value.id,
        attributes: { alliancepayRequestId: reference },
        newToken: allianceToken,
      });
      if (!r.ok)
        throw r.error === 'invalid_card_number' ? new Refusal('b_invalid_pan_format') : new Refusal('b_validation_card_expiration_date');
      const t = tokenJson(r.value.card, customerId, ctx.cred);
      return { customerId: t.customerId, token: t.token, maskedPan: t.maskedPan, merchantId: t.merchantId, status: t.status };
    });
  }

  async function list(ctx: Ctx) {
    const customerId = str(ctx.body, 'customerId', { max: 255, required: true }) as string;
    const found = await customers.list(ctx.caller, { after: null, limit: 1, customerId });
    const customer = found.items[0];
    if (!customer) return { result: [] };
    const all = await cards.allOfCustomer(ctx.caller, customer.id);
    return { result: all.ok ? all.value.map((c) => tokenJson(c, customerId, ctx.cred)) : [] };
  }

  async function cardOf(ctx: Ctx): Promise<CardView> {
    const token = str(ctx.body, 'token', { max: 64, required: true, pattern: /^[A-Za-z0-9_-]+$/ }) as string;
    const r = await cards.get(ctx.caller, token);
    if (!r.ok) throw new Refusal('b_token_not_found');
    return r.value;
  }

  async function get(ctx: Ctx) {
    const card = await cardOf(ctx);
    return { result: [tokenJson(card, await customerRef(ctx.caller, card), ctx.cred)] };
  }

  async function stateUpdate(ctx: Ctx) {
    const state = str(ctx.body, 'state', { max: 20, required: true, pattern: /^(?:ACTIVE|SUSPENDED|DELETED)$/ }) as
      | 'ACTIVE'
      | 'SUSPENDED'
      | 'DELETED';
    const card = await cardOf(ctx);
    const customerId = await customerRef(ctx.caller, card);
    let updated = false;
    if (card.storedStatus !== state && card.storedStatus !== 'DELETED') {
      const r = await cards.setStatus(ctx.caller, card.token, state, null);
      updated = r.ok;
    }
    return { tokenUpdated: updated, customerId, token: card.token };
  }

  function readPayment(ctx: Ctx) {
    const b = ctx.body;
    const reference = str(b, 'merchantRequestId', { max: 36, required: true, pattern: UUIDISH }) as string;
    str(b, 'merchantId', { max: 36, required: true });
    str(b, 'date', { max: 40, required: true, pattern: DATE });
    const amount = b.coinAmount;
    if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount <= 0 || amount > MAX_AMOUNT)
      throw invalid('coinAmount', `must be a whole number of kopiykas from 1 to ${MAX_AMOUNT}`);
    const mode = str(b, 'desiredThreeDSMode', { max: 50, pattern: /^(?:MUST|MUST_NOT|SHOULD)$/ }) ?? 'SHOULD';
    const txnType = str(b, 'txnType', { max: 20, pattern: /^(?:NONCVV|noncvv)$/ });
    const data = b.customerData;
    if (!data || typeof data !== 'object' || Array.isArray(data)) throw invalid('customerData', 'is required');
    str(data as Body, 'senderCustomerId', { max: 255, required: true });
    for (const k of ['resultRedirectUrl', 'notificationUrl']) str(b, k, { max: 1000 });
    for (const k of ['comment', 'purpose', 'merchantComment']) str(b, k, { max: 255 });
    return { reference, amount, mode, nonCvv: txnType !== undefined };
  }

  async function readCvv(ctx: Ctx, nonCvv: boolean): Promise<string | undefined> {
    if (nonCvv) return undefined;
    const cvv = await field(ctx.body, 'cvv', ctx.cred);
    if (!/^[0-9]{3,4}$/.test(cvv as string)) throw invalid('cvv', 'must be 3 or 4 digits');
    return cvv;
  }

  /** Runs an authorization+capture and answers it, applying desiredThreeDSMode. */
  async function pay(
    ctx: Ctx,
    type: 'PURCHASE' | 'C2A',
    token: string,
    p: ReturnType<typeof readPayment>,
    cvv: string | undefined,
    cardPurchase?: 'keep' | 'one-off',
  ) {
    const r = await payments.authorize(ctx.caller, {
      token,
      amount: p.amount,
      currency: 'UAH',
      capture: true,
      reference: p.reference,
      metadata: { alliancepayType: type, ...(cardPurchase ? { alliancepayCardPurchase: cardPurchase } : {}) },
      newId: randomUUID,
      ...(cvv !== undefined ? { cvv } : {}),
    });
    if (!r.ok) throw paymentFailure(r);
    let view = r.value;
    if (view.status === 'PENDING_AUTHENTICATION' && p.mode === 'MUST_NOT') {
      // The cardholder would have to be challenged and the merchant forbade it: nothing is charged.
      const failed = await payments.authenticate(ctx.caller, view.id, false);
      if (failed.ok) view = failed.value;
      return paymentJson(view, ctx.cred, 'DESIRED_THREEDS_MODE_ERROR');
    }
    return paymentJson(view, ctx.cred, statusOf(view));
  }

  const payByToken = (type: 'PURCHASE' | 'C2A') => async (ctx: Ctx) => {
    const p = readPayment(ctx);
    const token = str(ctx.body, 'token', { max: 64, required: true, pattern: /^[A-Za-z0-9_-]+$/ }) as string;
    str(ctx.body, 'typeToken', { max: 30, pattern: /^(?:TOKEN_PER_CUSTOMER|NO_TOKEN)$/ });
    const cvv = await readCvv(ctx, p.nonCvv);
    return withReference(ctx, p.reference, () => pay(ctx, type, token, p, cvv));
  };

  async function purchaseByCard(ctx: Ctx) {
    const p = readPayment(ctx);
    const keep =
      (str(ctx.body, 'typeToken', { max: 30, pattern: /^(?:TOKEN_PER_CUSTOMER|NO_TOKEN)$/ }) ?? 'NO_TOKEN') === 'TOKEN_PER_CUSTOMER';
    const sender = (ctx.body.customerData as Body).senderCustomerId as string;
    const { pan, expiry } = await readCard(ctx);
    const cvv = await readCvv(ctx, p.nonCvv);
    const check = cards.checkCard({ pan, expiry, ...(cvv ? { cvv } : {}) });
    if (!check.ok) {
      throw check.error === 'invalid_card_number'
        ? new Refusal('b_invalid_pan_format')
        : check.error === 'invalid_cvv'
          ? invalid('cvv', 'is not valid for this card')
          : new Refusal('b_validation_card_expiration_date');
    }
    return withReference(ctx, p.reference, async () => {
      const customer = keep ? await customers.findOrCreate(ctx.caller, { customerId: sender }) : null;
      if (customer && !customer.ok) throw new Refusal('b_invalid_request', [customer.detail ?? customer.error]);
      const made = await cards.tokenize(ctx.caller, {
        pan,
        expiry,
        customerId: customer?.ok ? customer.value.id : null,
        usage: keep ? 'MULTIPLE' : 'SINGLE',
        newToken: allianceToken,
      });
      if (!made.ok) throw new Refusal('b_invalid_request', [made.detail ?? made.error]);
      const token = made.value.card.token;
      let answer: ReturnType<typeof paymentJson>;
      try {
        answer = await pay(ctx, 'PURCHASE', token, p, cvv, keep ? 'keep' : 'one-off');
      } catch (e) {
        await cards.setStatus(ctx.caller, token, 'DELETED', null);
        throw e;
      }
      // Until a challenge is completed the card stays (step 2 decides); the token is not shown before then.
      if (answer.status === 'REQUIRED_3DS') return answer;
      return settleCardPurchase(ctx, token, keep, answer);
    });
  }

  /** A token is kept only when asked for and the purchase succeeded; a one-off card is never kept. */
  async function settleCardPurchase(ctx: Ctx, token: string, keep: boolean, answer: ReturnType<typeof paymentJson>) {
    if (keep && answer.status === 'SUCCESS') return { ...answer, token };
    await cards.setStatus(ctx.caller, token, 'DELETED', null);
    return answer;
  }

  async function threeDs(ctx: Ctx) {
    str(ctx.body, 'merchantId', { max: 36, required: true });
    const operationId = str(ctx.body, 'operationId', { max: 64, required: true }) as string;
    const transStatus = str(ctx.body, 'transStatus', { max: 1, required: true, pattern: /^[YN]$/ });
    const r = await payments.authenticate(ctx.caller, operationId, transStatus === 'Y');
    if (!r.ok) throw paymentFailure(r);
    const answer = paymentJson(r.value, ctx.cred, statusOf(r.value));
    const cardPurchase = r.value.metadata?.alliancepayCardPurchase;
    return cardPurchase ? settleCardPurchase(ctx, r.value.token, cardPurchase === 'keep', answer) : answer;
  }

  const operations: Record<SessionPath, (ctx: Ctx) => Promise<unknown>> = {
    [PATHS.create]: create,
    [PATHS.list]: list,
    [PATHS.get]: get,
    [PATHS.state]: stateUpdate,
    [PATHS.tokenPurchase]: payByToken('PURCHASE'),
    [PATHS.tokenPurchase3ds]: threeDs,
    [PATHS.tokenC2a]: payByToken('C2A'),
    [PATHS.tokenC2a3ds]: threeDs,
    [PATHS.purchase]: purchaseByCard,
    [PATHS.purchase3ds]: threeDs,
  };

  // ---------------------------------------------------------------------------------------------
  // Wire

  const header = (request: FastifyRequest, name: string): string | undefined => {
    const v = request.headers[name];
    return typeof v === 'string' && v !== '' ? v : undefined;
  };

  guard.renderer('alliancepay', (reply, status) =>
    sendError(
      reply,
      reply.request,
      new Refusal(status === 429 ? 'b_too_many_requests' : status === 503 ? 'b_server_is_overloaded' : 'b_invalid_request'),
    ),
  );

  function sendError(reply: FastifyReply, request: FastifyRequest, e: Refusal) {
    const [status, text] = CODES[e.code];
    return reply.code(status).send({
      requestId: header(request, 'x-request_id') ?? randomUUID(),
      serviceId: 'api-gateway',
      msgCode: e.code,
      msgType: e.validation ? 'VALIDATION_ERROR' : 'ERROR',
      msgText: text,
      isLocalized: false,
      msgAttrs: {},
      errorCauses: e.causes,
    });
  }

  app.register(async (scope) => {
    // The route schemas document the wire (schemas.ts); the handlers read and refuse fields themselves.
    documentWire(scope);
    // Bodies arrive as text (JWE) or JSON; both are read raw.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
    scope.setErrorHandler(
      gatewayErrorHandler('alliancepay', guard, (reply, p) =>
        sendError(
          reply,
          reply.request,
          new Refusal(p.status === 413 ? 'b_invalid_request' : p.status >= 500 ? 'b_server_is_overloaded' : 'b_error_parse_json'),
        ),
      ),
    );
    /** Answers a refusal; one that failed authentication is audited and counted first. */
    const refuse = async (request: FastifyRequest, reply: FastifyReply, e: Refusal, scheme: string, merchantId: string | null) => {
      // A request id used before in the session is a replayed (captured) request: an authentication failure too.
      const replay = e.code === 'b_duplicate_field_value' && e.causes.includes('x-request_id');
      if (AUTH_CODES.has(e.code) || replay) {
        await guard.authFailed(request, { api: 'alliancepay', scheme, reason: replay ? 'replayed_request_id' : e.code, merchantId });
      }
      return sendError(reply, request, e);
    };

    scope.post('/api-gateway/authorize_virtual_device', { schema: authorizeRouteSchema }, async (request, reply) => {
      try {
        const requestId = header(request, 'x-request_id');
        if (!requestId || requestId.length > 64) throw invalid('x-request_id', 'header is required');
        let body: unknown;
        try {
          body = parseJsonBounded(typeof request.body === 'string' ? request.body : '');
        } catch {
          throw new Refusal('b_error_parse_json');
        }
        if (!body || typeof body !== 'object' || Array.isArray(body)) throw new Refusal('b_error_parse_json');
        const serviceCode = str(body as Body, 'serviceCode', { max: 64, required: true }) as string;
        const found = await merchants.gatewayCredential('alliancepay', { lookupKey: serviceCode });
        const cred = found ? await credential(found.id, found.merchantId) : null;
        if (!cred) throw new Refusal('b_merchant_not_found');
        const session = await sessions.create({
          merchantId: cred.merchantId,
          actor: `alliancepay:${cred.credentialId}`,
          credentialId: cred.credentialId,
        });
        const jwe = await seal(
          {
            authToken: session.authToken,
            refreshToken: session.refreshToken,
            deviceId: session.deviceId,
            serverPublic: session.serverPublicJwk,
            tokenExpirationDateTime: allianceTime(session.expiresAt),
          },
          cred.merchantPublic,
        );
        return reply.send({ jwe });
      } catch (e) {
        if (e instanceof Refusal) return refuse(request, reply, e, 'virtual-device', null);
        throw e;
      }
    });

    for (const [path, operation] of Object.entries(operations) as [SessionPath, (ctx: Ctx) => Promise<unknown>][]) {
      scope.post(path, { schema: sessionRouteSchema(path) }, async (request, reply) => {
        let sessionMerchant: string | null = null;
        try {
          const requestId = header(request, 'x-request_id');
          const deviceId = header(request, 'x-device_id');
          const refresh = header(request, 'x-refresh_token');
          if (!deviceId) throw new Refusal('b_virtual_device_not_found');
          if (!refresh) throw new Refusal('b_refresh_token_absent');
          const opened = await sessions.open(deviceId, refresh);
          if (!opened.ok) sessionMerchant = opened.merchantId ?? null;
          if (!opened.ok)
            throw new Refusal(
              opened.error === 'unknown' ? 'b_unknown_device' : opened.error === 'wrong_refresh' ? 'b_used_token' : 'b_expired_token',
            );
          const session = opened.session;
          sessionMerchant = session.merchantId;
          const cred = await credential(session.credentialId, session.merchantId);
          if (!cred) throw new Refusal('b_unknown_device');
          if (guard.throttled('alliancepay', cred.merchantId, reply)) return reply;
          if (!requestId || requestId.length > 64) throw invalid('x-request_id', 'header is required');
          const caller: Caller = { merchantId: cred.merchantId, actor: `alliancepay:${cred.credentialId}` };
          // A request id is used once per session: a captured request cannot be replayed.
          if (!(await cards.claimReference(caller, `alliancepay-request:${deviceId}`, requestId))) {
            throw new Refusal('b_duplicate_field_value', ['x-request_id']);
          }
          const text = await open(typeof request.body === 'string' ? request.body : '', session.serverKey);
          let body: unknown;
          try {
            body = parseJsonBounded(text);
          } catch {
            throw new Refusal('b_error_parse_json');
          }
          if (!body || typeof body !== 'object' || Array.isArray(body)) throw new Refusal('b_error_parse_json');
          const merchantId = (body as Body).merchantId;
          if (merchantId !== undefined && merchantId !== cred.allianceMerchantId) throw new Refusal('b_user_merchant_request_mismatch');
          const answer = await operation({ caller, cred, body: body as Body });
          return reply.send({ jwe: await seal(answer, cred.merchantPublic) });
        } catch (e) {
          if (e instanceof Refusal) return refuse(request, reply, e, 'session', sessionMerchant);
          throw e;
        }
      });
    }
  });
}
