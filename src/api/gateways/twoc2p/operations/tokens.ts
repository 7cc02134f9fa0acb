/**
 * Customer Token Maintenance: add, update, get (inquiry) and delete, on a payload that verified and
 * decrypted. Every outcome is an answer inside the envelope: success, or a refusal with its 2C2P code.
 */
import { randomInt } from 'node:crypto';
import { isFreeOfCardNumbers } from '../../../../domain/pan-detector.ts';
import type { CardService, CardView } from '../../../../vault/cards.ts';
import type { Caller } from '../../../../vault/deps.ts';
import { liveCard } from '../../kit/cards.ts';
import type { Body } from '../../kit/fields.ts';
import { failureBody, isTwoc2pRefusal, refusal, type Twoc2pOperation } from '../codes.ts';
import type { Twoc2pMerchant } from '../message-crypto.ts';
import { attributesOf, expiryOf, validate } from '../payload.ts';
import { addedAnswer, cardAnswer, deletedAnswer } from '../present.ts';

export type TokenCards = Pick<CardService, 'get' | 'tokenize' | 'update' | 'setStatus'>;

/** One operation: the vault card service, who calls, the validated payload and the merchantID to answer with. */
type Operation = (cards: TokenCards, caller: Caller, p: Body, twoc2pId: string) => Promise<Body>;

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

/** The caller's card by token; unknown, deleted or another merchant's: 9040. */
async function live(cards: TokenCards, caller: Caller, token: string): Promise<CardView> {
  const card = await liveCard(cards, caller, token);
  if (!card) throw refusal('token', 'Token is invalid');
  return card;
}

const holderName = (p: Body) => (p.name as string | undefined) || null;

const add: Operation = async (cards, caller, p, twoc2pId) => {
  const r = await cards.tokenize(caller, {
    pan: p.accountNo as string,
    expiry: expiryOf(p),
    holderName: holderName(p),
    attributes: attributesOf(p),
    newToken: () => twoc2pToken(),
  });
  if (!r.ok) {
    if (r.error === 'invalid_card_number') throw refusal('invalid', 'accountNo is not a valid card number');
    if (r.error === 'card_expired') throw refusal('invalid', 'expiry is in the past');
    throw refusal('invalid', r.detail ?? 'The value is not valid');
  }
  return addedAnswer(r.value.card, twoc2pId);
};

const update: Operation = async (cards, caller, p, twoc2pId) => {
  const token = p.token as string;
  await live(cards, caller, token);
  const change = { expiry: expiryOf(p), holderName: holderName(p), attributes: attributesOf(p) };
  const r = await cards.update(caller, token, change, null);
  if (!r.ok) {
    if (r.error === 'card_expired') throw refusal('invalid', 'expiry is in the past');
    if (r.error === 'card_not_found' || r.error === 'card_deleted') throw refusal('token', 'Token is invalid');
    throw refusal('invalid', r.detail ?? 'The value is not valid');
  }
  return cardAnswer(r.value, twoc2pId);
};

const get: Operation = async (cards, caller, p, twoc2pId) => cardAnswer(await live(cards, caller, p.token as string), twoc2pId);

const remove: Operation = async (cards, caller, p, twoc2pId) => {
  const token = p.token as string;
  await live(cards, caller, token);
  const r = await cards.setStatus(caller, token, 'DELETED', null);
  if (!r.ok) throw refusal('token', 'Token is invalid');
  return deletedAnswer(twoc2pId, token);
};

const OPERATIONS: Record<Twoc2pOperation, Operation> = { add, update, get, delete: remove };

/** The answer to `op` for the merchant that signed the payload: success, or the refusal in the envelope. */
export async function answer(
  cards: TokenCards,
  op: Twoc2pOperation,
  { caller, merchant }: { caller: Caller; merchant: Twoc2pMerchant },
  p: Body,
): Promise<Body> {
  try {
    validate(op, p);
    const { twoc2pId } = merchant.value;
    if (p.merchantID !== twoc2pId) throw refusal('merchant', 'merchantID does not match the signing merchant');
    return await OPERATIONS[op](cards, caller, p, twoc2pId);
  } catch (e) {
    if (!isTwoc2pRefusal(e)) throw e;
    return failureBody(op, p, e);
  }
}
