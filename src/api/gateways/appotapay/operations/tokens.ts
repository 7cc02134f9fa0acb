/** Token create and delete; and the token a request names, as the charge operations find it too. */
import { parseExpiryParts, parsePan } from '../../../../domain/card.ts';
import { ulid } from '../../../../domain/ids.ts';
import type { CardService, CardView, TokenizeInput } from '../../../../vault/cards.ts';
import type { Caller } from '../../../../vault/deps.ts';
import { invalid, refusal } from '../codes.ts';
import { type Body, need, object, readBilling, readCustomer, text } from '../fields.ts';
import { tokenJson } from '../present.ts';

type Cards = Pick<CardService, 'get' | 'ownerOf' | 'checkCard' | 'referenceTaken' | 'tokenize' | 'setStatus'>;

const TOKEN_ID = /^[0-9a-z]{1,32}$/;

/** The card behind a token, deleted or not; null when the caller has none by that token. */
export async function cardFor(cards: Pick<CardService, 'get'>, caller: Caller, token: string): Promise<CardView | null> {
  const r = await cards.get(caller, token);
  return r.ok ? r.value : null;
}

/** The token a request names: 43 unknown, 86 another merchant's. */
export async function ownCard(cards: Pick<CardService, 'get' | 'ownerOf'>, caller: Caller, tokenId: string): Promise<CardView> {
  const card = TOKEN_ID.test(tokenId) ? await cardFor(cards, caller, tokenId) : null;
  if (card) return card;
  const owner = TOKEN_ID.test(tokenId) ? await cards.ownerOf(tokenId) : null;
  throw refusal(owner !== null && owner !== caller.merchantId ? 86 : 43);
}

/** The card a token create sends, checked as AppotaPay checks it (61 not a card number, 63 expired). */
function readCard(cards: Pick<CardService, 'checkCard'>, b: Body) {
  const card = object(b, 'card', true);
  const number = need(card, 'card.number', { max: 19, pattern: /^[0-9]{13,19}$/ });
  const holderName = need(card, 'card.holderName', { max: 50, pattern: /^[0-9a-zA-Z ]+$/ });
  const month = need(card, 'card.expirationMonth', { min: 2, max: 2, pattern: /^(?:0[1-9]|1[0-2])$/ });
  const year = need(card, 'card.expirationYear', { min: 2, max: 2, pattern: /^[0-9]{2}$/ });
  const cvv = need(card, 'card.cvv', { min: 3, max: 4, pattern: /^[0-9]{3,4}$/ });
  const tokenType = need(b, 'tokenType', { max: 8, pattern: /^(?:SINGLE|MULTIPLE)$/ }) as 'SINGLE' | 'MULTIPLE';
  const reference = need(b, 'merchantRefId', { max: 40 });
  readCustomer(b);
  const billing = readBilling(b);
  if (!parsePan(number).ok) throw refusal(61, [{ field: 'card.number', reason: 'is not a valid card number' }]);
  const expiry = parseExpiryParts(month, year);
  if (!expiry.ok) throw invalid('card.expirationYear', 'is not a valid expiry');
  const check = cards.checkCard({ pan: number, expiry: expiry.value, cvv });
  if (!check.ok) {
    if (check.error === 'card_expired') throw refusal(63, [{ field: 'card.expirationYear', reason: 'the card has expired' }]);
    if (check.error === 'invalid_cvv') throw invalid('card.cvv', check.detail ?? 'is not valid for this card');
    throw invalid('card.expirationYear', check.detail ?? 'is not valid');
  }
  return { pan: number, expiry: expiry.value, holderName, cvv, usage: tokenType, reference, billing };
}

/** AppotaPay's billing as the vault's billing address. */
const billingAddress = (billing: Record<string, string>): NonNullable<TokenizeInput['billingAddress']> => ({
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
});

export async function createToken(cards: Cards, caller: Caller, b: Body) {
  const { reference, billing, ...card } = readCard(cards, b);
  // Claimed in the card's own transaction; this read refuses a plain duplicate early.
  const claim = { namespace: 'appotapay-token', reference };
  const duplicate = () => refusal(84, [{ field: 'merchantRefId', reason: 'already used' }]);
  if (await cards.referenceTaken(caller, claim)) throw duplicate();
  const r = await cards.tokenize(caller, {
    claim,
    ...card,
    ...(billing ? { billingAddress: billingAddress(billing) } : {}),
    attributes: { appotapayRefId: reference, ...(billing ? { appotapayBilling: JSON.stringify(billing) } : {}) },
    newToken: () => ulid().toLowerCase(),
  });
  if (!r.ok) throw r.error === 'reference_taken' ? duplicate() : invalid('card', r.detail ?? r.error);
  return tokenJson(r.value.card, reference, billing);
}

/**
 * `merchantRefId` is the merchant's reference for this delete request (AppotaPay's example deletes a token with
 * a reference other than its creation's): any new one, single-use among deletes (errorCode `4`), claimed in the
 * commit that deletes.
 */
export async function deleteToken(cards: Cards, caller: Caller, tokenId: string, query: Body) {
  const reference = text(query, 'merchantRefId', { max: 40, required: true }) as string;
  const card = await ownCard(cards, caller, tokenId);
  if (card.storedStatus === 'DELETED') throw refusal(109);
  const claim = { namespace: 'appotapay-token-delete', reference };
  const duplicate = () => refusal(4, [{ field: 'merchantRefId', reason: 'already used' }]);
  if (await cards.referenceTaken(caller, claim)) throw duplicate();
  const r = await cards.setStatus(caller, tokenId, 'DELETED', null, { strict: true, claim });
  if (r.ok) return { tokenId, merchantRefId: reference, isDeleted: true };
  if (r.error === 'card_deleted') throw refusal(109);
  throw r.error === 'reference_taken' ? duplicate() : refusal(9, [{ field: 'tokenId', reason: r.detail ?? r.error }]);
}
