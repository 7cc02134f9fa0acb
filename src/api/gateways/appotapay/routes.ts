/**
 * AppotaPay merchant-hosted credit-card tokens, wire-compatible (docs/appotapay.md): token create and
 * delete, charges with SINGLE and MULTIPLE tokens, charge lookup and capture, with AppotaPay's HS256 JWT
 * (X-APPOTAPAY-AUTH), request-id deduplication and Vietnamese or English messages.
 */
import { isIP } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errors as joseErrors, jwtVerify } from 'jose';
import { brandNames, formatExpiry, issuerCountry, maskPan, parseExpiryParts, parsePan } from '../../../domain/card.ts';
import { ulid } from '../../../domain/ids.ts';
import type { DeclineCode } from '../../../domain/payment.ts';
import type { CardService, CardView } from '../../../vault/cards.ts';
import type { Caller } from '../../../vault/deps.ts';
import type { VaultFailure } from '../../../vault/errors.ts';
import type { MerchantService } from '../../../vault/merchants.ts';
import type { PaymentService, PaymentView } from '../../../vault/payments.ts';
import { type Guard, gatewayErrorHandler } from '../../guard.ts';
import { parseJsonBounded } from '../../json.ts';
import { documentWire } from '../../openapi.ts';
import { CODES, type Code } from './codes.ts';
import {
  captureBody,
  chargeAnswer,
  chargeBody,
  chargeGetQuery,
  chargeIdParams,
  responses,
  SECURITY,
  TAGS,
  tokenAnswer,
  tokenCreateBody,
  tokenDeleteAnswer,
  tokenDeleteQuery,
  tokenIdParams,
} from './schemas.ts';

export interface AppotaPayDeps {
  merchants: MerchantService;
  cards: CardService;
  payments: PaymentService;
  now: () => Date;
  guard: Guard;
}

class Refusal extends Error {
  constructor(
    readonly code: Code,
    readonly errors: { field: string; reason: string }[] = [],
    /** For an authentication refusal: why, and the merchant the api_key named when it is known. */
    readonly auth?: { reason: string; merchantId?: string },
  ) {
    super(CODES[code][1]);
  }
}

const authRefusal = (reason: string, merchantId?: string) =>
  new Refusal(401, [], merchantId === undefined ? { reason } : { reason, merchantId });

const invalid = (field: string, reason: string) => new Refusal(1, [{ field, reason }]);

const DECLINES: Record<DeclineCode, Code> = {
  do_not_honor: 60,
  expired_card: 63,
  insufficient_funds: 64,
  lost_card: 65,
  stolen_card: 65,
  invalid_cvv: 70,
  authentication_failed: 67,
};

type Body = Record<string, unknown>;
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TOKEN_ID = /^[0-9a-z]{1,32}$/;

function text(
  b: Body | undefined,
  path: string,
  opts: { min?: number; max: number; required?: boolean; pattern?: RegExp },
): string | undefined {
  const key = path.split('.').pop() as string;
  const v = b?.[key];
  if (v === undefined || v === null) {
    if (opts.required) throw invalid(path, 'is required');
    return undefined;
  }
  if (typeof v !== 'string') throw invalid(path, 'must be a string');
  if (v.length < (opts.min ?? 1) || v.length > opts.max) throw invalid(path, `must be ${opts.min ?? 1} to ${opts.max} characters`);
  if (opts.pattern && !opts.pattern.test(v)) throw invalid(path, 'has an invalid format');
  if (/[\u0000-\u001f]/.test(v)) throw invalid(path, 'contains control characters');
  return v;
}

function object(b: Body | undefined, path: string): Body | undefined {
  const v = b?.[path.split('.').pop() as string];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw invalid(path, 'must be an object');
  return v as Body;
}

/** RFC 3339 in Vietnam's time zone (UTC+7), as AppotaPay writes times. */
function vnTime(iso: string): string {
  const shifted = new Date(Date.parse(iso) + 7 * 3600_000).toISOString();
  return `${shifted.slice(0, 19)}+07:00`;
}

const BILLING: [field: string, min: number, max: number, pattern?: RegExp][] = [
  ['firstName', 1, 50],
  ['lastName', 1, 50],
  ['email', 1, 255, /^[^@\s]+@[^@\s]+$/],
  ['phoneNumber', 8, 20, /^\+?[0-9 ]+$/],
  ['province', 1, 100],
  ['city', 1, 100],
  ['country', 2, 2, /^[A-Za-z]{2}$/],
  ['addressLine1', 1, 100],
  ['addressLine2', 1, 100],
  ['postalCode', 1, 10],
];

/** Billing is all-or-nothing; returns it as echoed (alternatePhoneNumber may be absent). */
function readBilling(b: Body): Record<string, string> | undefined {
  const billing = object(b, 'billing');
  if (!billing) return undefined;
  const out: Record<string, string> = {};
  for (const [field, min, max, pattern] of BILLING) {
    out[field] = text(billing, `billing.${field}`, { min, max, required: true, ...(pattern ? { pattern } : {}) }) as string;
  }
  out.country = (out.country as string).toUpperCase();
  out.alternatePhoneNumber = text(billing, 'billing.alternatePhoneNumber', { min: 0, max: 20, pattern: /^\+?[0-9 ]*$/ }) ?? '';
  return out;
}

/** customer.browser is all-or-nothing too. */
function readCustomer(b: Body): void {
  const customer = object(b, 'customer');
  if (!customer) return;
  const browser = object(customer, 'customer.browser');
  if (!browser) throw invalid('customer.browser', 'is required when customer is sent');
  const ip = text(browser, 'customer.browser.clientIp', { min: 7, max: 45, required: true }) as string;
  if (isIP(ip) === 0) throw invalid('customer.browser.clientIp', 'must be an IPv4 or IPv6 address');
  text(browser, 'customer.browser.userAgent', { max: 500, required: true });
  text(browser, 'customer.browser.referrer', { max: 500, required: true });
  text(browser, 'customer.browser.acceptLanguage', { min: 2, max: 10, required: true });
}

const APPOTA_BRANDS = new Set(['VISA', 'MASTERCARD', 'JCB', 'AMEX']);

const isCharge = (p: PaymentView) => p.metadata?.appotapayCharge === '1';

export async function registerAppotaPay(app: FastifyInstance, deps: AppotaPayDeps): Promise<void> {
  const { merchants, cards, payments, guard } = deps;
  guard.renderer('appotapay', (reply, status) =>
    sendError(reply.request, reply, status === 400 ? invalid('path', 'is malformed') : new Refusal(status === 429 ? 429 : 500)),
  );
  const keys = new Map<string, { credentialId: string; merchantId: string; partnerCode: string; secret: Uint8Array; source: string }>();

  async function authenticate(request: FastifyRequest): Promise<Caller> {
    const raw = request.headers['x-appotapay-auth'];
    if (typeof raw !== 'string' || raw.trim() === '') throw authRefusal('missing');
    const token = raw.trim().replace(/^Bearer\s+/i, '');
    let claims: Record<string, unknown>;
    try {
      claims = parseJsonBounded(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
    } catch {
      throw authRefusal('malformed_jwt');
    }
    const apiKey = claims?.api_key;
    if (typeof apiKey !== 'string' || apiKey.length > 100) throw authRefusal('no_api_key');
    let entry = keys.get(apiKey);
    if (entry) {
      const state = await merchants.gatewayCredentialState(entry.credentialId);
      if (!state?.usable || `${state.publicData}|${state.secretData}` !== entry.source) {
        keys.delete(apiKey);
        entry = undefined;
      }
    }
    if (!entry) {
      const cred = await merchants.gatewayCredential('appotapay', { lookupKey: apiKey });
      if (!cred) throw authRefusal('unknown_api_key');
      const [secret, state] = await Promise.all([
        merchants.gatewaySecret(cred.merchantId, cred.id),
        merchants.gatewayCredentialState(cred.id),
      ]);
      if (!secret || !state?.usable) throw authRefusal('revoked_credential', cred.merchantId);
      entry = {
        credentialId: cred.id,
        merchantId: cred.merchantId,
        partnerCode: cred.publicData.partnerCode as string,
        secret: new TextEncoder().encode(secret.secretKey as string),
        source: `${state.publicData}|${state.secretData}`,
      };
      keys.set(apiKey, entry);
    }
    try {
      const { protectedHeader } = await jwtVerify(token, entry.secret, {
        algorithms: ['HS256'],
        issuer: entry.partnerCode,
        requiredClaims: ['exp'],
        currentDate: deps.now(),
      });
      if (protectedHeader.cty !== undefined && protectedHeader.cty !== 'appotapay-api;v=1') throw authRefusal('bad_cty', entry.merchantId);
    } catch (e) {
      if (e instanceof Refusal) throw e;
      if (e instanceof joseErrors.JOSEError) throw authRefusal(e.code.toLowerCase(), entry.merchantId);
      throw e;
    }
    return { merchantId: entry.merchantId, actor: `appotapay:${entry.credentialId}` };
  }

  // ---------------------------------------------------------------------------------------------
  // Views

  const maskedNumber = (c: CardView) => maskPan({ bin6: c.bin6, last4: c.last4, length: c.panLength }, 'X');
  const brandOf = (c: CardView) => (APPOTA_BRANDS.has(c.brand) ? c.brand : brandNames(c.brand).code);

  function chargeJson(p: PaymentView, card: CardView | null) {
    return {
      id: p.id,
      authenticationId: p.metadata?.authenticationId ?? null,
      merchantRefId: p.reference,
      status: p.status === 'AUTHORIZED' ? 'AUTHORIZED' : p.status === 'DECLINED' || p.status === 'FAILED' ? 'FAILED' : p.status,
      authorizedAmount: p.authorizedAmount,
      capturedAmount: p.capturedAmount,
      currency: p.currency,
      approvalCode: p.authCode,
      eci: p.authCode ? '07' : null,
      reconciliationId: p.id.slice(-12),
      bankReconciliationId: p.id.slice(0, 12),
      tokenId: p.token,
      card: card
        ? {
            number: maskedNumber(card),
            expirationMonth: formatExpiry(card.expiry, 'MM'),
            expirationYear: formatExpiry(card.expiry, 'YY'),
            cardBrand: brandOf(card),
            cardType: card.funding,
            countryCode: issuerCountry(card.bin6),
          }
        : null,
      chargeType: card?.usage === 'SINGLE' ? 'BY_SINGLE_TOKEN' : 'BY_MULTIPLE_TOKEN',
      createdAt: vnTime(p.createdAt),
      updatedAt: vnTime(p.updatedAt),
    };
  }

  async function cardFor(caller: Caller, token: string): Promise<CardView | null> {
    const r = await cards.get(caller, token);
    return r.ok ? r.value : null;
  }

  /** The token a request names: 43 unknown, 86 another merchant's. */
  async function ownCard(caller: Caller, tokenId: string): Promise<CardView> {
    const card = TOKEN_ID.test(tokenId) ? await cardFor(caller, tokenId) : null;
    if (card) return card;
    const owner = TOKEN_ID.test(tokenId) ? await cards.ownerOf(tokenId) : null;
    throw new Refusal(owner !== null && owner !== caller.merchantId ? 86 : 43);
  }

  function paymentFailure(f: VaultFailure): Refusal {
    switch (f.error) {
      case 'card_not_found':
        return new Refusal(43);
      case 'token_deleted':
        return new Refusal(109);
      case 'token_consumed':
        return new Refusal(92);
      case 'token_suspended':
        return new Refusal(41);
      case 'token_expired':
        return new Refusal(63);
      case 'payment_not_found':
        return new Refusal(14);
      case 'amount_exceeds_authorized':
        return invalid('amount', f.detail ?? 'exceeds what is left to capture');
      case 'invalid_amount':
        return invalid('amount', f.detail ?? 'is not valid');
      case 'processor_unavailable':
        return new Refusal(500);
      default:
        return new Refusal(9, [{ field: 'status', reason: f.detail ?? f.error }]);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Operations

  async function createToken(caller: Caller, b: Body) {
    const card = object(b, 'card');
    if (!card) throw invalid('card', 'is required');
    const number = text(card, 'card.number', { max: 19, required: true, pattern: /^[0-9]{13,19}$/ }) as string;
    const holderName = text(card, 'card.holderName', { max: 50, required: true, pattern: /^[0-9a-zA-Z ]+$/ }) as string;
    const month = text(card, 'card.expirationMonth', { min: 2, max: 2, required: true, pattern: /^(?:0[1-9]|1[0-2])$/ }) as string;
    const year = text(card, 'card.expirationYear', { min: 2, max: 2, required: true, pattern: /^[0-9]{2}$/ }) as string;
    const cvv = text(card, 'card.cvv', { min: 3, max: 4, required: true, pattern: /^[0-9]{3,4}$/ }) as string;
    const tokenType = text(b, 'tokenType', { max: 8, required: true, pattern: /^(?:SINGLE|MULTIPLE)$/ }) as 'SINGLE' | 'MULTIPLE';
    const reference = text(b, 'merchantRefId', { max: 40, required: true }) as string;
    readCustomer(b);
    const billing = readBilling(b);
    if (!parsePan(number).ok) throw new Refusal(61, [{ field: 'card.number', reason: 'is not a valid card number' }]);
    const expiry = parseExpiryParts(month, year);
    if (!expiry.ok) throw invalid('card.expirationYear', 'is not a valid expiry');
    const check = cards.checkCard({ pan: number, expiry: expiry.value, cvv });
    if (!check.ok) {
      if (check.error === 'card_expired') throw new Refusal(63, [{ field: 'card.expirationYear', reason: 'the card has expired' }]);
      if (check.error === 'invalid_cvv') throw invalid('card.cvv', check.detail ?? 'is not valid for this card');
      throw invalid('card.expirationYear', check.detail ?? 'is not valid');
    }
    // Claimed in the card's own transaction; this read refuses a plain duplicate early.
    const claim = { namespace: 'appotapay-token', reference };
    const duplicate = () => new Refusal(84, [{ field: 'merchantRefId', reason: 'already used' }]);
    if (await cards.referenceTaken(caller, claim)) throw duplicate();
    {
      const r = await cards.tokenize(caller, {
        claim,
        pan: number,
        expiry: expiry.value,
        holderName,
        cvv,
        usage: tokenType,
        ...(billing
          ? {
              billingAddress: {
                firstName: billing.firstName,
                lastName: billing.lastName,
                email: billing.email,
                phone: billing.phoneNumber,
                state: billing.province,
                city: billing.city,
                country: billing.country,
                line1: billing.addressLine1,
                line2: billing.addressLine2,
                postalCode: billing.postalCode,
              },
            }
          : {}),
        attributes: { appotapayRefId: reference, ...(billing ? { appotapayBilling: JSON.stringify(billing) } : {}) },
        newToken: () => ulid().toLowerCase(),
      });
      if (!r.ok) throw r.error === 'reference_taken' ? duplicate() : invalid('card', r.detail ?? r.error);
      const c = r.value.card;
      return {
        tokenId: c.token,
        merchantRefId: reference,
        card: { number: maskedNumber(c), type: c.funding, brand: brandOf(c), country: issuerCountry(c.bin6) },
        ...(billing ? { billing } : {}),
        createdAt: vnTime(c.createdAt),
        updatedAt: vnTime(c.updatedAt),
      };
    }
  }

  async function deleteToken(caller: Caller, tokenId: string, query: Record<string, string | undefined>) {
    const reference = text(query, 'merchantRefId', { max: 40, required: true }) as string;
    const card = await ownCard(caller, tokenId);
    if (card.attributes.appotapayRefId !== undefined && card.attributes.appotapayRefId !== reference) {
      throw invalid('merchantRefId', 'is not the reference the token was created with');
    }
    if (card.storedStatus === 'DELETED') throw new Refusal(109);
    const r = await cards.setStatus(caller, tokenId, 'DELETED', null, { strict: true });
    if (!r.ok) throw r.error === 'card_deleted' ? new Refusal(109) : new Refusal(9, [{ field: 'tokenId', reason: r.detail ?? r.error }]);
    return { tokenId, merchantRefId: reference, isDeleted: true };
  }

  function readAmount(b: Body): number {
    const amount = b.amount;
    if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount <= 0) {
      throw invalid('amount', 'must be a positive whole number of VND');
    }
    const currency = text(b, 'currency', { max: 3, required: true });
    if (currency !== 'VND') throw invalid('currency', 'must be VND');
    return amount;
  }

  async function charge(caller: Caller, b: Body) {
    const tokenId = text(b, 'tokenId', { max: 32, required: true }) as string;
    const amount = readAmount(b);
    const reference = text(b, 'merchantRefId', { max: 40, required: true }) as string;
    const capture = b.capture === undefined || b.capture === null ? false : b.capture;
    if (typeof capture !== 'boolean') throw invalid('capture', 'must be true or false');
    const authenticationId = text(b, 'authenticationId', { max: 40 });
    readCustomer(b);
    readBilling(b);
    const card = await ownCard(caller, tokenId);
    if (card.storedStatus === 'DELETED') throw new Refusal(109);
    // Claimed in the payment's own transaction; this read refuses a plain duplicate early.
    const claim = { namespace: 'appotapay-charge', reference };
    const duplicate = () => new Refusal(4, [{ field: 'merchantRefId', reason: 'already used' }]);
    if (await cards.referenceTaken(caller, claim)) throw duplicate();
    const r = await payments.authorize(caller, {
      claim,
      token: tokenId,
      amount,
      currency: 'VND',
      capture,
      reference,
      newId: ulid,
      metadata: { appotapayCharge: '1', ...(authenticationId ? { authenticationId } : {}) },
    });
    if (!r.ok) throw r.error === 'reference_taken' ? duplicate() : paymentFailure(r);
    let p = r.value;
    if (p.status === 'PENDING_AUTHENTICATION') {
      // 3-D Secure would be needed and the Authentication API is not served: the charge fails, nothing taken.
      const failed = await payments.authenticate(caller, p.id, false);
      if (failed.ok) p = failed.value;
      throw new Refusal(9, [{ field: 'authenticationId', reason: '3-D Secure authentication is required for this card' }]);
    }
    if (p.status === 'DECLINED') throw new Refusal(p.declineCode ? DECLINES[p.declineCode] : 60);
    return chargeJson(p, card);
  }

  async function getCharge(caller: Caller, id: string, query: Record<string, string | undefined>) {
    const type = query.referenceType ?? 'APPOTAPAY_REFERENCE_ID';
    if (type !== 'APPOTAPAY_REFERENCE_ID' && type !== 'MERCHANT_REFERENCE_ID')
      throw invalid('referenceType', 'must be APPOTAPAY_REFERENCE_ID or MERCHANT_REFERENCE_ID');
    if (id.length > 64) throw new Refusal(14);
    // Only charges made through this API are AppotaPay charges (a native payment may share a reference).
    const r = type === 'MERCHANT_REFERENCE_ID' ? await payments.findByReference(caller, id, isCharge) : await payments.get(caller, id);
    if (!r.ok || !isCharge(r.value)) throw new Refusal(14);
    return chargeJson(r.value, await cardFor(caller, r.value.token));
  }

  async function capture(caller: Caller, id: string, b: Body) {
    const amount = readAmount(b);
    if (id.length > 64) throw new Refusal(14);
    const existing = await payments.get(caller, id);
    if (!existing.ok || !isCharge(existing.value)) throw new Refusal(14);
    const r = await payments.capture(caller, id, amount);
    if (!r.ok) throw paymentFailure(r);
    return chargeJson(r.value, await cardFor(caller, r.value.token));
  }

  // ---------------------------------------------------------------------------------------------
  // Wire

  const language = (request: FastifyRequest): 'vi' | 'en' => (request.headers.language === 'en' ? 'en' : 'vi');

  function sendError(request: FastifyRequest, reply: FastifyReply, e: Refusal) {
    const [status, en, vi] = CODES[e.code];
    return reply
      .code(status)
      .send({ errorCode: e.code, message: language(request) === 'en' ? en : vi, ...(e.errors.length ? { errors: e.errors } : {}) });
  }

  type Handler = (caller: Caller, request: FastifyRequest) => Promise<unknown>;

  const handle = (work: Handler) => async (request: FastifyRequest, reply: FastifyReply) => {
    // Echoed as x-request-id by the root hook (api/request-id.ts) when it is safe to: a valid one always is.
    const requestId = request.headers['x-request-id'];
    try {
      const lang = request.headers.language;
      if (lang !== undefined && lang !== 'vi' && lang !== 'en') throw invalid('Language', 'must be vi or en');
      const caller = await authenticate(request);
      if (guard.throttled('appotapay', caller.merchantId, reply)) return reply;
      if (requestId !== undefined && (typeof requestId !== 'string' || requestId.length > 42 || !UUID_V4.test(requestId))) {
        throw invalid('X-Request-ID', 'must be a UUID v4 of at most 42 characters');
      }
      const account = request.headers['x-account-ref-id'];
      if (account !== undefined && (typeof account !== 'string' || !UUID.test(account))) throw new Refusal(119);
      if (typeof requestId === 'string' && !(await cards.claimReference(caller, 'appotapay-request', requestId.toLowerCase()))) {
        throw new Refusal(6, [{ field: 'X-Request-ID', reason: 'already used' }]);
      }
      return reply.send(await work(caller, request));
    } catch (e) {
      if (!(e instanceof Refusal)) throw e;
      if (e.auth) {
        await guard.authFailed(request, {
          api: 'appotapay',
          scheme: 'jwt-hs256',
          reason: e.auth.reason,
          merchantId: e.auth.merchantId ?? null,
        });
      }
      return sendError(request, reply, e);
    }
  };

  const body = (request: FastifyRequest): Body => {
    const raw = typeof request.body === 'string' ? request.body : '';
    let parsed: unknown;
    try {
      parsed = parseJsonBounded(raw);
    } catch {
      throw invalid('body', 'is not valid JSON');
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw invalid('body', 'must be a JSON object');
    return parsed as Body;
  };
  const params = (request: FastifyRequest) => request.params as Record<string, string>;
  const query = (request: FastifyRequest) => request.query as Record<string, string | undefined>;

  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string' }, (_req, b, done) => done(null, b));
    scope.setErrorHandler(
      gatewayErrorHandler('appotapay', guard, (reply, p) =>
        sendError(
          reply.request,
          reply,
          p.status >= 500 ? new Refusal(500) : invalid('body', p.status === 413 ? 'is too large' : 'is not acceptable'),
        ),
      ),
    );
    documentWire(scope);
    const common = { security: SECURITY, produces: ['application/json'] };
    scope.post(
      '/credit-card/token',
      {
        schema: {
          operationId: 'createToken',
          summary: 'Tokenize a card',
          description:
            'Stores the card and answers a token for the charge API. `SINGLE` tokens pay once, `MULTIPLE` many times. The card number must pass the Luhn check (else errorCode `61`) and the card must not have expired (`63`); `merchantRefId` is unique among your tokens (`84`).',
          tags: [TAGS.tokens],
          ...common,
          consumes: ['application/json'],
          body: tokenCreateBody(),
          response: responses({ description: 'The token', ...tokenAnswer() }, { 400: [1, 61, 63, 84] }),
        },
      },
      handle((caller, request) => createToken(caller, body(request))),
    );
    scope.delete(
      '/credit-card/token/:tokenId',
      {
        schema: {
          operationId: 'deleteToken',
          summary: 'Delete a token',
          description:
            'Deletes the token and the card it holds; it can no longer be charged (errorCode `109`). Its past charges stay readable.',
          tags: [TAGS.tokens],
          ...common,
          params: tokenIdParams(),
          querystring: tokenDeleteQuery(),
          response: responses({ description: 'The token is deleted', ...tokenDeleteAnswer() }, { 400: [1, 9, 109], 403: [86], 404: [43] }),
        },
      },
      handle((caller, request) => deleteToken(caller, params(request).tokenId ?? '', query(request))),
    );
    scope.post(
      '/credit-card/charge',
      {
        schema: {
          operationId: 'createCharge',
          summary: 'Charge a token',
          description:
            'Authorizes the amount on the token’s card, and captures it too when `capture` is true. A declined charge is refused with the decline’s code (`60` do not honour, `63` expired, `64` insufficient funds, `65` lost or stolen, `67` authentication failed, `70` invalid CVN) and stays readable with status `FAILED`. A card that needs 3-D Secure is refused with `9`, nothing charged.',
          tags: [TAGS.charges],
          ...common,
          consumes: ['application/json'],
          body: chargeBody(),
          response: responses(
            { ...chargeAnswer('The charge: `AUTHORIZED`, or `CAPTURED` when `capture` was true') },
            { 400: [1, 4, 9, 41, 60, 63, 64, 65, 67, 70, 92, 109], 403: [86], 404: [43] },
          ),
        },
      },
      handle((caller, request) => charge(caller, body(request))),
    );
    scope.get(
      '/credit-card/charge/:id',
      {
        schema: {
          operationId: 'getCharge',
          summary: 'Read a charge',
          description:
            'By AppotaPay’s charge `id` (default) or by your `merchantRefId` (`referenceType=MERCHANT_REFERENCE_ID`). Only charges made through this API are found.',
          tags: [TAGS.charges],
          ...common,
          params: chargeIdParams('id', 'The charge `id`, or its `merchantRefId` with `referenceType=MERCHANT_REFERENCE_ID`'),
          querystring: chargeGetQuery(),
          response: responses({ ...chargeAnswer('The charge') }, { 404: [14] }),
        },
      },
      handle((caller, request) => getCharge(caller, params(request).id ?? '', query(request))),
    );
    scope.post(
      '/credit-card/:authorizationId/capture',
      {
        schema: {
          operationId: 'captureCharge',
          summary: 'Capture an authorized charge',
          description:
            'Captures up to what is left of the authorized amount. More than that is refused with errorCode `1`; a charge that cannot be captured (failed, voided) with `9`.',
          tags: [TAGS.charges],
          ...common,
          consumes: ['application/json'],
          params: chargeIdParams('authorizationId', 'The `id` of the charge that authorized'),
          body: captureBody(),
          response: responses({ ...chargeAnswer('The charge, `CAPTURED`') }, { 400: [1, 9], 404: [14] }),
        },
      },
      handle((caller, request) => capture(caller, params(request).authorizationId ?? '', body(request))),
    );
  });
}
