/**
 * 2C2P Customer Token Maintenance (customertoken/3.0), wire-compatible: add, update, get (inquiry), delete.
 * Business and validation failures are answered inside the signed, encrypted envelope with a non-0000
 * responseCode; a message that does not verify or decrypt gets one plain 400 that says nothing more.
 */
import { randomInt } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type Expiry, formatExpiry, maskPan, parseExpiryIsoDate } from '../../../domain/card.ts';
import { containsCardNumber, isFreeOfCardNumbers, redactCardNumbers } from '../../../domain/pan-detector.ts';
import type { CardService, CardView } from '../../../vault/cards.ts';
import type { Caller } from '../../../vault/deps.ts';
import type { MerchantService } from '../../../vault/merchants.ts';
import { type Guard, gatewayErrorHandler } from '../../guard.ts';
import { parseJsonBounded } from '../../json.ts';
import { documentWire } from '../../openapi.ts';
import { CODES, type CodeName } from './codes.ts';
import { createTwoc2pCrypto, type Twoc2pMerchant, UntrustedMessage } from './message-crypto.ts';
import { routeSchema } from './schemas.ts';

type Payload = Record<string, unknown>;
type Operation = 'add' | 'update' | 'get' | 'delete';

interface FieldRule {
  required?: boolean;
  max: number;
  pattern?: RegExp;
}

const TEXT = /^[^\u0000-\u001f]*$/;
const FIELDS: Record<Operation, Record<string, FieldRule>> = {
  add: {
    merchantID: { required: true, max: 15, pattern: /^[A-Za-z0-9]+$/ },
    tokenProvider: { required: true, max: 15, pattern: /^CC$/ },
    accountNo: { required: true, max: 255 },
    name: { max: 50, pattern: TEXT },
    // 2C2P types email as C 50 (any characters); its own examples echo values that are no address.
    email: { max: 50, pattern: TEXT },
    expiry: { required: true, max: 10 },
    accountIssuer: { max: 50, pattern: TEXT },
    accountIssuerCountry: { max: 2, pattern: /^[A-Z]{2}$/ },
    accountCurrency: { max: 3, pattern: /^[A-Z]{3}$/ },
  },
  update: {
    merchantID: { required: true, max: 15, pattern: /^[A-Za-z0-9]+$/ },
    token: { required: true, max: 255, pattern: /^[0-9A-Za-z_-]+$/ },
    tokenProvider: { max: 15, pattern: /^CC$/ },
    name: { required: true, max: 50, pattern: TEXT },
    email: { max: 50, pattern: TEXT },
    expiry: { required: true, max: 10 },
    accountIssuer: { max: 50, pattern: TEXT },
    accountIssuerCountry: { max: 2, pattern: /^[A-Z]{2}$/ },
    accountCurrency: { max: 3, pattern: /^[A-Z]{3}$/ },
  },
  get: {
    merchantID: { required: true, max: 15, pattern: /^[A-Za-z0-9]+$/ },
    token: { required: true, max: 255, pattern: /^[0-9A-Za-z_-]+$/ },
  },
  delete: {
    merchantID: { required: true, max: 15, pattern: /^[A-Za-z0-9]+$/ },
    token: { required: true, max: 255, pattern: /^[0-9A-Za-z_-]+$/ },
  },
};

/** Extra fields a token keeps for this API, echoed back as sent. */
const ATTRIBUTES = ['email', 'accountIssuer', 'accountIssuerCountry', 'accountCurrency'] as const;

class Refusal extends Error {
  constructor(
    readonly codeName: CodeName,
    readonly desc: string,
  ) {
    super(desc);
  }
}

function validate(op: Operation, p: Payload): void {
  const rules = FIELDS[op];
  for (const key of Object.keys(p))
    if (!(key in rules)) throw new Refusal('invalid', `${redactCardNumbers(key)} is not a field of this request`);
  for (const [key, rule] of Object.entries(rules)) {
    const v = p[key];
    if (v === undefined || v === null || v === '') {
      if (rule.required) throw new Refusal('missing', `${key} is required`);
      continue;
    }
    if (typeof v !== 'string') throw new Refusal('invalid', `${key} must be a string`);
    if (v.length > rule.max) throw new Refusal('tooLong', `${key} exceeds ${rule.max} characters`);
    if (rule.pattern && !rule.pattern.test(v)) throw new Refusal('invalid', `${key} is not valid`);
    // Free text is kept and echoed in clear: a card number there would be a PAN outside the vault's encryption.
    if (rule.pattern === TEXT && containsCardNumber(v)) throw new Refusal('invalid', `${key} may not contain a card number`);
  }
}

function expiryOf(p: Payload): Expiry {
  const e = parseExpiryIsoDate(p.expiry as string);
  if (!e.ok) throw new Refusal('invalid', 'expiry must be a date yyyy-MM-dd');
  return e.value;
}

/**
 * 2C2P-style numeric token: ddMMyyHHmmss then six random digits (18 digits, as in the seed), drawn again
 * while any part would pass for a card number, so logs and the audit chain never redact a token.
 */
function twoc2pToken(now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${p(now.getUTCDate())}${p(now.getUTCMonth() + 1)}${p(now.getUTCFullYear() % 100)}${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  for (;;) {
    const token = `${stamp}${String(randomInt(1_000_000)).padStart(6, '0')}`;
    if (isFreeOfCardNumbers(token)) return token;
  }
}

function cardFields(card: CardView, twoc2pId: string) {
  const a = card.attributes;
  return {
    merchantID: twoc2pId,
    token: card.token,
    name: card.holderName ?? '',
    email: a.email ?? '',
    expiry: a.expiryDate ?? formatExpiry(card.expiry, 'yyyy-MM-dd'),
    accountIssuer: a.accountIssuer ?? '',
    accountIssuerCountry: a.accountIssuerCountry ?? '',
    accountCurrency: a.accountCurrency ?? '',
  };
}

const status = (name: CodeName, desc?: string) => ({ responseCode: CODES[name].code, responseDesc: desc ?? CODES[name].desc });

function attributesOf(p: Payload, expiryDate: string): Record<string, string> {
  const out: Record<string, string> = { expiryDate };
  for (const k of ATTRIBUTES) if (typeof p[k] === 'string') out[k] = p[k] as string;
  return out;
}

export async function registerTwoc2p(
  app: FastifyInstance,
  deps: { merchants: MerchantService; cards: CardService; guard: Guard },
): Promise<void> {
  const crypto = createTwoc2pCrypto(deps.merchants);
  const { cards, guard } = deps;
  // Refusals before a message is trusted are plain text: nothing can be signed to an unknown caller.
  guard.renderer('twoc2p', (reply, status) =>
    reply
      .code(status)
      .type('text/plain; charset=utf-8')
      .send(status === 429 ? 'Too many requests' : status === 503 ? 'Service unavailable' : 'Invalid request'),
  );

  async function live(caller: Caller, token: string): Promise<CardView> {
    const r = await cards.get(caller, token);
    if (!r.ok || r.value.storedStatus === 'DELETED') throw new Refusal('token', 'Token is invalid');
    return r.value;
  }

  async function handle(op: Operation, merchant: Twoc2pMerchant, p: Payload): Promise<Payload> {
    validate(op, p);
    if (p.merchantID !== merchant.twoc2pId) throw new Refusal('merchant', 'merchantID does not match the signing merchant');
    const caller: Caller = { merchantId: merchant.merchantId, actor: `twoc2p:${merchant.credentialId}` };
    switch (op) {
      case 'add': {
        const expiry = expiryOf(p);
        const r = await cards.tokenize(caller, {
          pan: p.accountNo as string,
          expiry,
          holderName: (p.name as string | undefined) || null,
          attributes: attributesOf(p, p.expiry as string),
          newToken: () => twoc2pToken(),
        });
        if (!r.ok) {
          if (r.error === 'invalid_card_number') throw new Refusal('invalid', 'accountNo is not a valid card number');
          if (r.error === 'card_expired') throw new Refusal('invalid', 'expiry is in the past');
          throw new Refusal('invalid', r.detail ?? 'The value is not valid');
        }
        const card = r.value.card;
        const { merchantID, token, ...rest } = cardFields(card, merchant.twoc2pId);
        // The seed's field order: merchantID, token, tokenReference, accountNo, then the card fields.
        return {
          merchantID,
          token,
          tokenReference: '',
          accountNo: maskPan({ bin6: card.bin6, last4: card.last4, length: card.panLength }, 'X'),
          ...rest,
          channelCode: '',
          subChannelCode: '',
          ...status('success'),
        };
      }
      case 'update': {
        await live(caller, p.token as string);
        const expiry = expiryOf(p);
        const r = await cards.update(
          caller,
          p.token as string,
          { expiry, holderName: (p.name as string | undefined) || null, attributes: attributesOf(p, p.expiry as string) },
          null,
        );
        if (!r.ok) {
          if (r.error === 'card_expired') throw new Refusal('invalid', 'expiry is in the past');
          if (r.error === 'card_not_found' || r.error === 'card_deleted') throw new Refusal('token', 'Token is invalid');
          throw new Refusal('invalid', r.detail ?? 'The value is not valid');
        }
        return { ...cardFields(r.value, merchant.twoc2pId), channelCode: '', subChannelCode: '', ...status('success') };
      }
      case 'get': {
        const card = await live(caller, p.token as string);
        return { ...cardFields(card, merchant.twoc2pId), channelCode: '', subChannelCode: '', ...status('success') };
      }
      case 'delete': {
        await live(caller, p.token as string);
        const r = await cards.setStatus(caller, p.token as string, 'DELETED', null);
        if (!r.ok) throw new Refusal('token', 'Token is invalid');
        return { merchantID: merchant.twoc2pId, token: p.token, ...status('success') };
      }
    }
  }

  /** The echo fields of a failure response, so a client can match it to its request. */
  const failureBody = (op: Operation, p: Payload, code: CodeName, desc: string) => ({
    merchantID: typeof p.merchantID === 'string' ? p.merchantID : '',
    ...(op !== 'add' && typeof p.token === 'string' ? { token: p.token } : {}),
    ...status(code, desc),
  });

  const plainRefusal = (reply: FastifyReply) => reply.code(400).type('text/plain; charset=utf-8').send('Invalid request');

  app.register(async (scope) => {
    // The schemas document the wire; the handler verifies, decrypts and checks fields itself (schemas.ts).
    documentWire(scope);
    scope.setErrorHandler(
      gatewayErrorHandler('twoc2p', guard, (reply, p) =>
        p.status >= 500 ? reply.code(500).type('text/plain; charset=utf-8').send('Internal error') : plainRefusal(reply),
      ),
    );
    // 2C2P clients post the compact JWS as text/plain; some send JSON {"payload": "<jws>"}.
    scope.addContentTypeParser(['text/plain', 'application/jose', 'application/octet-stream'], { parseAs: 'string' }, (_req, body, done) =>
      done(null, body),
    );
    for (const op of ['add', 'update', 'get', 'delete'] as const) {
      scope.post(
        `/customertoken/3.0/CustomerToken/${op}`,
        { schema: routeSchema(op) },
        async (request: FastifyRequest, reply: FastifyReply) => {
          const body = request.body;
          const jws =
            typeof body === 'string'
              ? body.trim()
              : body && typeof body === 'object' && typeof (body as Payload).payload === 'string'
                ? ((body as Payload).payload as string).trim()
                : null;
          if (!jws) {
            await guard.authFailed(request, { api: 'twoc2p', scheme: 'jws', reason: 'missing' });
            return plainRefusal(reply);
          }
          let opened: Awaited<ReturnType<typeof crypto.open>>;
          try {
            opened = await crypto.open(jws);
          } catch (e) {
            if (!(e instanceof UntrustedMessage)) throw e;
            await guard.authFailed(request, { api: 'twoc2p', scheme: 'jws', reason: e.message });
            return plainRefusal(reply);
          }
          if (guard.throttled('twoc2p', opened.merchant.merchantId, reply)) return reply;
          let payload: Payload;
          try {
            const parsed: unknown = parseJsonBounded(opened.plaintext);
            if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
            payload = parsed as Payload;
          } catch {
            return reply
              .type('text/plain')
              .send(await crypto.seal(opened, { merchantID: '', ...status('invalid', 'The payload is not a JSON object') }));
          }
          let answer: Payload;
          try {
            answer = await handle(op, opened.merchant, payload);
          } catch (e) {
            if (!(e instanceof Refusal)) throw e;
            answer = failureBody(op, payload, e.codeName, e.desc);
          }
          return reply.type('text/plain').send(await crypto.seal(opened, answer));
        },
      );
    }
  });
}
