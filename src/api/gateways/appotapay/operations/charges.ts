/** Charges with a token: create (authorize, or authorize and capture), read, capture. */
import { ulid } from '../../../../domain/ids.ts';
import type { CardService } from '../../../../vault/cards.ts';
import type { Caller } from '../../../../vault/deps.ts';
import type { PaymentService } from '../../../../vault/payments.ts';
import { DECLINES, invalid, paymentFailure, refusal } from '../codes.ts';
import { type Body, readAmount, readBilling, readCustomer, text } from '../fields.ts';
import { chargeJson, isCharge } from '../present.ts';
import { cardFor, ownCard } from './tokens.ts';

export interface ChargeDeps {
  cards: Pick<CardService, 'get' | 'ownerOf' | 'referenceTaken'>;
  payments: Pick<PaymentService, 'authorize' | 'authenticate' | 'get' | 'findByReference' | 'capture'>;
}

/** A charge request's fields, in AppotaPay's order of refusal. */
function readCharge(b: Body) {
  const tokenId = text(b, 'tokenId', { max: 32, required: true }) as string;
  const amount = readAmount(b);
  const reference = text(b, 'merchantRefId', { max: 40, required: true }) as string;
  const capture = b.capture === undefined || b.capture === null ? false : b.capture;
  if (typeof capture !== 'boolean') throw invalid('capture', 'must be true or false');
  const authenticationId = text(b, 'authenticationId', { max: 40 });
  readCustomer(b);
  readBilling(b);
  return { tokenId, amount, reference, capture, authenticationId };
}

export async function charge({ cards, payments }: ChargeDeps, caller: Caller, b: Body) {
  const { tokenId, amount, reference, capture, authenticationId } = readCharge(b);
  const card = await ownCard(cards, caller, tokenId);
  if (card.storedStatus === 'DELETED') throw refusal(109);
  // Claimed in the payment's own transaction; this read refuses a plain duplicate early.
  const claim = { namespace: 'appotapay-charge', reference };
  const duplicate = () => refusal(4, [{ field: 'merchantRefId', reason: 'already used' }]);
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
  const p = r.value;
  if (p.status === 'PENDING_AUTHENTICATION') {
    // 3-D Secure would be needed and the Authentication API is not served: the charge fails, nothing taken.
    await payments.authenticate(caller, p.id, false);
    throw refusal(9, [{ field: 'authenticationId', reason: '3-D Secure authentication is required for this card' }]);
  }
  if (p.status === 'DECLINED') throw refusal(p.declineCode ? DECLINES[p.declineCode] : 60);
  return chargeJson(p, card);
}

export async function getCharge({ cards, payments }: ChargeDeps, caller: Caller, id: string, query: Body) {
  const type = query.referenceType ?? 'APPOTAPAY_REFERENCE_ID';
  if (type !== 'APPOTAPAY_REFERENCE_ID' && type !== 'MERCHANT_REFERENCE_ID')
    throw invalid('referenceType', 'must be APPOTAPAY_REFERENCE_ID or MERCHANT_REFERENCE_ID');
  if (id.length > 64) throw refusal(14);
  // Only charges made through this API are AppotaPay charges (a native payment may share a reference).
  const r = type === 'MERCHANT_REFERENCE_ID' ? await payments.findByReference(caller, id, isCharge) : await payments.get(caller, id);
  if (!r.ok || !isCharge(r.value)) throw refusal(14);
  return chargeJson(r.value, await cardFor(cards, caller, r.value.token));
}

export async function capture({ cards, payments }: ChargeDeps, caller: Caller, id: string, b: Body) {
  const amount = readAmount(b);
  if (id.length > 64) throw refusal(14);
  const existing = await payments.get(caller, id);
  if (!existing.ok || !isCharge(existing.value)) throw refusal(14);
  const r = await payments.capture(caller, id, amount);
  if (!r.ok) throw paymentFailure(r);
  return chargeJson(r.value, await cardFor(cards, caller, r.value.token));
}
