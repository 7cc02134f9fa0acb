/**
 * OPay international card tokens, wire-compatible: create, query (by token or by customer), delete.
 * Every answer is HTTP 200 with OPay's envelope {code, message, data}; "00000" is success.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { brandNames, formatExpiry, parseExpiryParts, visibleBin } from '../../../domain/card.ts';
import { redactCardNumbers } from '../../../domain/pan-detector.ts';
import type { CardService, CardView } from '../../../vault/cards.ts';
import { type CustomerService, type CustomerView, customerView } from '../../../vault/customers.ts';
import type { Caller } from '../../../vault/deps.ts';
import type { MerchantService } from '../../../vault/merchants.ts';
import { type Guard, gatewayErrorHandler } from '../../guard.ts';
import { parseJsonBounded } from '../../json.ts';
import { documentWire } from '../../openapi.ts';
import { OPAY_CODES } from './codes.ts';
import { operationSchema } from './schemas.ts';
import { signatureMatches } from './signature.ts';

export { OPAY_CODES };

type CodeName = keyof typeof OPAY_CODES;

class Refusal extends Error {
  constructor(
    readonly codeName: CodeName,
    readonly detail?: string,
    /** For an authentication refusal: the merchant the MerchantId header named, when it is known. */
    readonly merchantId?: string,
  ) {
    super(detail ?? OPAY_CODES[codeName][1]);
  }
}

type Body = Record<string, unknown>;
const envelope = (name: CodeName, data: unknown = null, detail?: string) => ({
  code: OPAY_CODES[name][0],
  message: detail ? `${OPAY_CODES[name][1]}: ${detail}` : OPAY_CODES[name][1],
  data,
});

const str = (b: Body, key: string, opts: { required?: boolean; max: number; pattern?: RegExp }): string | undefined => {
  const v = b[key];
  if (v === undefined || v === null || v === '') {
    if (opts.required) throw new Refusal('params', `${key} is required`);
    return undefined;
  }
  if (typeof v !== 'string') throw new Refusal('params', `${key} must be a string`);
  if (v.length > opts.max) throw new Refusal('params', `${key} is longer than ${opts.max}`);
  if (opts.pattern && !opts.pattern.test(v)) throw new Refusal('params', `${key} is not valid`);
  return v;
};

function onlyKeys(b: Body, allowed: string[]): void {
  for (const k of Object.keys(b)) if (!allowed.includes(k)) throw new Refusal('params', `unknown field ${redactCardNumbers(k)}`);
}

/** Vault card refusals in OPay's terms. */
function refusalFor(error: string, detail?: string): Refusal {
  if (error === 'card_expired') return new Refusal('expired', 'the card expiry is in the past');
  if (error === 'invalid_card_number') return new Refusal('params', 'cardNumber is not a valid card number');
  if (error === 'invalid_cvv') return new Refusal('params', 'cvv is not valid for this card');
  return new Refusal('params', detail);
}

const opayToken = () => `OPAY_TOKEN_${randomBytes(16).toString('hex')}`;
const TEXT = /^[^\u0000-\u001f]*$/;

function cardData(card: CardView) {
  return {
    opayToken: card.token,
    brand: brandNames(card.brand).code,
    expiryYear: formatExpiry(card.expiry, 'YY'),
    expiryMonth: formatExpiry(card.expiry, 'MM'),
    createTimestamp: Math.floor(Date.parse(card.createdAt) / 1000),
    lastFourDigits: card.last4,
    firstSixDigits: visibleBin({ bin6: card.bin6, length: card.panLength }),
  };
}

const customerInfo = (c: CustomerView | null) =>
  c ? { customerId: c.customerId ?? '', customerName: c.name ?? '', customerEmail: c.email ?? '', customerMobile: c.phone ?? '' } : null;

export async function registerOpay(
  app: FastifyInstance,
  deps: { merchants: MerchantService; cards: CardService; customers: CustomerService; guard: Guard },
): Promise<void> {
  const { cards, customers, merchants, guard } = deps;
  guard.renderer('opay', (reply, status) =>
    reply
      .code(status)
      .send(status === 400 ? envelope('params', null, 'the request URL is malformed') : envelope(status === 429 ? 'limited' : 'system')),
  );
  // Secret keys by OPay MerchantId, decrypted once; every request re-checks the credential row.
  const secrets = new Map<string, { credentialId: string; merchantId: string; secret: string; source: string | null }>();

  async function authenticate(request: FastifyRequest, raw: string, parsed: unknown): Promise<Caller> {
    const merchantHeader = request.headers.merchantid;
    const auth = request.headers.authorization;
    if (typeof merchantHeader !== 'string' || typeof auth !== 'string') throw new Refusal('header');
    const m = /^Bearer\s+(\S+)$/i.exec(auth.trim());
    if (!m || !/^[0-9]{1,20}$/.test(merchantHeader)) throw new Refusal('header');
    let entry = secrets.get(merchantHeader);
    if (!entry) {
      const cred = await merchants.gatewayCredential('opay', { lookupKey: merchantHeader });
      if (!cred) throw new Refusal('auth');
      const secret = await merchants.gatewaySecret(cred.merchantId, cred.id);
      if (!secret) throw new Refusal('auth');
      entry = { credentialId: cred.id, merchantId: cred.merchantId, secret: secret.secretKey as string, source: null };
      secrets.set(merchantHeader, entry);
    }
    const state = await merchants.gatewayCredentialState(entry.credentialId);
    if (!state?.usable) {
      secrets.delete(merchantHeader);
      throw new Refusal('auth');
    }
    if (entry.source !== null && entry.source !== state.secretData) {
      // The secret was replaced since it was cached: read it again.
      secrets.delete(merchantHeader);
      return authenticate(request, raw, parsed);
    }
    entry.source = state.secretData;
    if (!signatureMatches(entry.secret, m[1] as string, raw, parsed)) throw new Refusal('auth', undefined, entry.merchantId);
    return { merchantId: entry.merchantId, actor: `opay:${entry.credentialId}` };
  }

  async function findCustomer(caller: Caller, customerId: string): Promise<CustomerView | null> {
    return (await customers.list(caller, { after: null, limit: 1, customerId })).items[0] ?? null;
  }

  async function liveCard(caller: Caller, token: string): Promise<CardView> {
    const r = await cards.get(caller, token);
    if (!r.ok || r.value.storedStatus === 'DELETED') throw new Refusal('tokenNotFound');
    return r.value;
  }

  async function create(caller: Caller, b: Body) {
    onlyKeys(b, ['reference', 'cardNumber', 'expiryYear', 'expiryMonth', 'cvv', 'cardHolderName', 'customerInfo']);
    const reference = str(b, 'reference', { required: true, max: 64, pattern: /^[\x21-\x7e]+$/ }) as string;
    const cardNumber = str(b, 'cardNumber', { required: true, max: 19 }) as string;
    const year = str(b, 'expiryYear', { required: true, max: 2, pattern: /^[0-9]{2}$/ }) as string;
    const month = str(b, 'expiryMonth', { required: true, max: 2, pattern: /^[0-9]{2}$/ }) as string;
    const cvv = str(b, 'cvv', { max: 4, pattern: /^[0-9]{3,4}$/ });
    const holder = str(b, 'cardHolderName', { max: 100, pattern: TEXT });
    let info: Body | undefined;
    if (b.customerInfo !== undefined && b.customerInfo !== null) {
      if (typeof b.customerInfo !== 'object' || Array.isArray(b.customerInfo))
        throw new Refusal('params', 'customerInfo must be an object');
      info = b.customerInfo as Body;
      onlyKeys(info, ['customerId', 'customerName', 'customerEmail', 'customerMobile']);
    }
    const customerId = info ? str(info, 'customerId', { required: true, max: 64, pattern: TEXT }) : undefined;
    const customerName = info ? str(info, 'customerName', { max: 100, pattern: TEXT }) : undefined;
    const customerEmail = info ? str(info, 'customerEmail', { max: 100, pattern: /^[^@\s]+@[^@\s]+$/ }) : undefined;
    const customerMobile = info ? str(info, 'customerMobile', { max: 32, pattern: /^[0-9+() -]+$/ }) : undefined;
    const expiry = parseExpiryParts(month, year);
    if (!expiry.ok) throw new Refusal('params', 'expiryMonth/expiryYear are not a valid expiry');

    // The card is checked before anything is written: a refused card must not leave a customer behind.
    const check = cards.checkCard({ pan: cardNumber, expiry: expiry.value, ...(cvv ? { cvv } : {}) });
    if (!check.ok) throw refusalFor(check.error, check.detail);
    // The reference is claimed in the card's own transaction (a crash cannot strand it); this read refuses
    // a plain duplicate before a customer is made for it.
    const claim = { namespace: 'opay', reference };
    if (await cards.referenceTaken(caller, claim)) throw new Refusal('duplicate');
    {
      // A customer seen for the first time is made with the card, in its transaction.
      const existing = customerId ? await customers.findByCustomerId(caller, customerId) : null;
      const fresh =
        customerId && !existing
          ? customers.draft(caller, {
              customerId,
              ...(customerName ? { name: customerName } : {}),
              ...(customerEmail ? { email: customerEmail } : {}),
              ...(customerMobile ? { phone: customerMobile } : {}),
            })
          : undefined;
      const r = await cards.tokenize(caller, {
        pan: cardNumber,
        expiry: expiry.value,
        holderName: holder ?? null,
        customerId: existing?.id ?? null,
        ...(fresh ? { newCustomer: fresh } : {}),
        attributes: { opayReference: reference },
        newToken: opayToken,
        claim,
        ...(cvv ? { cvv } : {}),
      });
      if (!r.ok) throw r.error === 'reference_taken' ? new Refusal('duplicate') : refusalFor(r.error, r.detail);
      const card = r.value.card;
      let customer: CustomerView | null = existing;
      if (fresh) {
        // Made now, or (a concurrent first sight) found in the transaction: then it is read.
        const other = card.customerId !== fresh.id && card.customerId ? await customers.get(caller, card.customerId) : null;
        customer = other?.ok ? other.value : customerView(fresh);
      }
      return envelope('success', { ...cardData(card), customerInfo: customerInfo(customer) });
    }
  }

  async function query(caller: Caller, b: Body) {
    onlyKeys(b, ['opayToken', 'customerId']);
    // One key, as OPay's token info and by-user examples send: a second key is refused even when null or "".
    if (Object.keys(b).length !== 1) throw new Refusal('params', 'give exactly one of opayToken or customerId');
    const token = str(b, 'opayToken', { max: 64, pattern: /^[A-Za-z0-9_-]+$/ });
    const customerId = str(b, 'customerId', { max: 64, pattern: TEXT });
    if ((token === undefined) === (customerId === undefined)) throw new Refusal('params', 'give exactly one of opayToken or customerId');
    if (token) {
      const card = await liveCard(caller, token);
      const owner = card.customerId ? await customers.get(caller, card.customerId) : null;
      return envelope('success', { ...cardData(card), customerInfo: customerInfo(owner?.ok ? owner.value : null) });
    }
    const customer = await findCustomer(caller, customerId as string);
    if (!customer) throw new Refusal('customerNotFound');
    const all = await cards.allOfCustomer(caller, customer.id);
    if (!all.ok) throw new Refusal('customerNotFound');
    // Active tokens only, as OPay's by-user query answers.
    const tokens = all.value.filter((c) => c.status === 'ACTIVE').map(cardData);
    return envelope('success', { customer: customerInfo(customer), cardTokens: tokens });
  }

  async function remove(caller: Caller, b: Body) {
    onlyKeys(b, ['opayToken']);
    const token = str(b, 'opayToken', { required: true, max: 64, pattern: /^[A-Za-z0-9_-]+$/ }) as string;
    await liveCard(caller, token);
    const r = await cards.setStatus(caller, token, 'DELETED', null);
    if (!r.ok) throw new Refusal('tokenNotFound');
    return envelope('success', null);
  }

  const handlers = { create, query, delete: remove } as const;

  app.register(async (scope) => {
    documentWire(scope);
    scope.setErrorHandler(
      gatewayErrorHandler('opay', guard, (reply, p) =>
        reply.code(p.status).send(envelope(p.status >= 500 ? 'system' : 'params', null, p.detail ?? p.title)),
      ),
    );
    // The raw text is kept: the signature may be over the exact bytes sent.
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));
    for (const [op, handler] of Object.entries(handlers)) {
      scope.post(
        `/api/v1/international/token/${op}`,
        { schema: operationSchema(op as keyof typeof handlers) },
        async (request: FastifyRequest, reply: FastifyReply) => {
          const raw = typeof request.body === 'string' ? request.body : '';
          let parsed: unknown;
          try {
            parsed = parseJsonBounded(raw);
          } catch {
            parsed = undefined;
          }
          try {
            const caller = await authenticate(request, raw, parsed);
            if (guard.throttled('opay', caller.merchantId, reply)) return reply;
            if (parsed === undefined) throw new Refusal('params', 'the body is not valid JSON');
            if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
              throw new Refusal('params', 'the body must be a JSON object');
            return reply.send(await handler(caller, parsed as Body));
          } catch (e) {
            if (!(e instanceof Refusal)) throw e;
            if (e.codeName === 'auth' || e.codeName === 'header') {
              await guard.authFailed(request, {
                api: 'opay',
                scheme: 'hmac-sha512',
                reason: e.codeName === 'header' ? 'missing_or_malformed_header' : e.merchantId ? 'bad_signature' : 'unknown_merchant',
                merchantId: e.merchantId ?? null,
              });
              return reply.send(envelope(e.codeName));
            }
            return reply.send(envelope(e.codeName, null, e.detail));
          }
        },
      );
    }
  });
}
