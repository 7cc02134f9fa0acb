/** What every AlliancePay session operation works with: the call, its fields, card fields and references. */
import { randomBytes } from 'node:crypto';
import { parseExpiryYYMM, parsePan } from '../../../../domain/card.ts';
import type { Caller } from '../../../../vault/deps.ts';
import type { ReferenceClaim } from '../../../../vault/references.ts';
import { type Body, fieldReader, type StringRule } from '../../kit/fields.ts';
import type { GatewayDeps } from '../../kit/module.ts';
import type { Credential } from '../auth.ts';
import { duplicate, fieldFault, invalid, refusal } from '../codes.ts';
import { open } from '../message-crypto.ts';

/** The vault services the operations use. */
export type OperationDeps = Pick<GatewayDeps, 'cards' | 'customers' | 'payments' | 'cardPayments'>;

/** One decrypted, authenticated call. */
export interface Ctx {
  caller: Caller;
  cred: Credential;
  body: Body;
}

export type Operation = (ctx: Ctx) => Promise<unknown>;

const fields = fieldReader(fieldFault);

/** A string field as AlliancePay reads them: control characters are always refused. */
export const str = (b: Body, key: string, rule: Omit<StringRule, 'noControl'>): string | undefined =>
  fields.str(b, key, { ...rule, noControl: true });
export const need = (b: Body, key: string, rule: Omit<StringRule, 'noControl' | 'required'>): string =>
  fields.need(b, key, { ...rule, noControl: true });
export const object = fields.object;

export const DATE = /^[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}:[0-9]{2}/;
export const UUIDISH = /^[A-Za-z0-9-]{1,36}$/;
export const TOKEN = /^[A-Za-z0-9_-]+$/;
export const TYPE_TOKEN = /^(?:TOKEN_PER_CUSTOMER|NO_TOKEN)$/;

/** A new AlliancePay token: 24 url-safe characters. */
export const allianceToken = (): string => randomBytes(18).toString('base64url');

/** A card field (PAN, expiry, CVV): a JWE to the merchant's payment key. */
export async function cardField(ctx: Ctx, key: string): Promise<string> {
  return open(need(ctx.body, key, { max: 4096 }), ctx.cred.value.paymentPrivate, ctx.caller.merchantId);
}

/** A card from two encrypted fields, checked before anything is written. */
export async function readCard(ctx: Ctx) {
  const pan = await cardField(ctx, 'encryptedCardNumber');
  const exp = await cardField(ctx, 'encryptedExpDate');
  if (!parsePan(pan).ok) throw refusal('b_invalid_pan_format');
  const expiry = parseExpiryYYMM(exp);
  if (!expiry.ok) throw refusal('b_validation_card_expiration_date');
  return { pan, expiry: expiry.value };
}

/** A card the vault refused: its number, else its expiry. */
export const cardRefusal = (error: string) =>
  error === 'invalid_card_number' ? refusal('b_invalid_pan_format') : refusal('b_validation_card_expiration_date');

/** Where a merchant's `merchantRequestId`s are claimed (each used once, whatever the call). */
const REQUEST_REFERENCES = 'alliancepay';

/** A `merchantRequestId` as the vault claims it (a follow-on's FollowOnOptions.reference). */
export const requestReference = (reference: string): ReferenceClaim => ({ namespace: REQUEST_REFERENCES, reference });

/** Runs `work` holding the merchant's `merchantRequestId` (used once); released when the work fails. */
export async function withReference<T>(deps: OperationDeps, ctx: Ctx, reference: string, work: () => Promise<T>): Promise<T> {
  if (!(await deps.cards.claimReference(ctx.caller, REQUEST_REFERENCES, reference))) throw duplicate('merchantRequestId');
  try {
    return await work();
  } catch (e) {
    await deps.cards.releaseReference(ctx.caller, REQUEST_REFERENCES, reference);
    throw e;
  }
}

/** The merchantRequestId every write carries. */
export const reference = (b: Body): string => need(b, 'merchantRequestId', { max: 36, pattern: UUIDISH });

/** Where the callback of an operation goes, and whether it is encrypted: `notificationUrl`, `notificationEncryption`. */
export interface Notify {
  url: string;
  encrypted: boolean;
}

/**
 * The callback a request asks for (null: none; an empty `notificationUrl` asks for none, as the REFUND example
 * sends it). The URL must be absolute http(s); `notificationEncryption` is `"true"`/`"false"` as documented, or a
 * JSON boolean (*chosen*: the answers show it as one).
 */
export function readNotify(b: Body): Notify | null {
  const url = str(b, 'notificationUrl', { max: 1000 });
  const flag = b.notificationEncryption;
  if (flag !== undefined && flag !== null && flag !== 'true' && flag !== 'false' && typeof flag !== 'boolean') {
    throw invalid('notificationEncryption', 'must be true or false');
  }
  if (url === undefined) return null;
  let parsed: URL | null = null;
  try {
    parsed = new URL(url);
  } catch {
    parsed = null;
  }
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || parsed.username || parsed.password) {
    throw invalid('notificationUrl', 'must be an absolute http or https URL');
  }
  return { url, encrypted: flag === true || flag === 'true' };
}

/** The outbox topic of AlliancePay callbacks (callbacks.ts builds them). */
export const CALLBACK_TOPIC = 'alliancepay.callback';

/** The vault's delivery request for a callback. */
export const notifyRequest = (n: Notify, ctx: Ctx) => ({
  topic: CALLBACK_TOPIC,
  url: n.url,
  options: { encrypted: n.encrypted, credentialId: ctx.cred.credentialId },
});
