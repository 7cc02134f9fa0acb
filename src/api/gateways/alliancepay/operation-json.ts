/**
 * Operations as AlliancePay's "getting data" calls, REFUND and callbacks show them (docs/alliancepay.md,
 * "Operations as objects"): a payment or a refund, with `transactionResponseInfo`, the card's mask and, for a
 * refund, its original payment.
 */
import { createHash } from 'node:crypto';
import { maskPan } from '../../../domain/card.ts';
import type { CardView } from '../../../vault/cards.ts';
import type { PaymentEventView, PaymentView } from '../../../vault/payments.ts';
import type { Credential } from './auth.ts';
import { allianceTime, paymentJson, statusOf } from './present.ts';

/** Where a payment asked its callback to go (kept in its metadata for step 2 of 3-D Secure). */
export const NOTIFY_URL = 'alliancepayNotificationUrl';
export const NOTIFY_ENCRYPTED = 'alliancepayNotificationEncryption';

/** AlliancePay's `transactionType` codes: PURCHASE 35 and REFUND 76 (the getting-data examples). */
const TRANSACTION_TYPE: Record<string, number> = { PURCHASE: 35, REFUND: 76 };

/** A 12-digit retrieval reference number derived from an id (stable: the same operation always shows the same). */
export const rrnOf = (id: string): string =>
  (BigInt(`0x${createHash('sha256').update(id).digest('hex').slice(0, 15)}`) % 10n ** 12n).toString().padStart(12, '0');

export const cardMask = (card: CardView | null): string | null =>
  card ? maskPan({ bin6: card.bin6, last4: card.last4, length: card.panLength }, '•') : null;

const notification = (p: PaymentView) => ({
  notificationUrl: p.metadata?.[NOTIFY_URL] ?? null,
  notificationEncryption: p.metadata?.[NOTIFY_ENCRYPTED] === 'true',
});

/** A payment as the getting-data calls and its callback show it; `status` as it stood (a callback's event). */
export function paymentOperationJson(p: PaymentView, cred: Credential, card: CardView | null, status = statusOf(p)) {
  const base = paymentJson(p, cred, status);
  return {
    ...base,
    purpose: null,
    comment: null,
    merchantName: null,
    transactionType: TRANSACTION_TYPE[base.type] ?? base.transactionType,
    merchantCommission: null,
    creationDateTime: base.createDateTime,
    transactionResponseInfo: { actionCode: base.actionCode, responseCode: base.responseCode, description: describe(status) },
    productType: 'PURCHASE',
    paymentServiceType: 'CARD',
    creatorSystem: 'H2H',
    cardNumberMask: cardMask(card),
    ...notification(p),
  };
}

const describe = (status: string): string | null => (status === 'SUCCESS' ? 'approved' : status === 'FAIL' ? 'declined' : null);

/** A refund: its own operation (the vault's follow-on event), with the payment it returns money from. */
export function refundJson(
  p: PaymentView,
  e: PaymentEventView,
  cred: Credential,
  card: CardView | null,
  notify: { url: string | null; encrypted: boolean } | null = null,
) {
  const approved = e.outcome === 'approved';
  const at = allianceTime(new Date(e.at));
  const status = approved ? 'SUCCESS' : 'FAIL';
  return {
    type: 'REFUND',
    rrn: rrnOf(e.id),
    purpose: null,
    comment: null,
    coinAmount: e.amount ?? 0,
    merchantId: cred.value.allianceMerchantId,
    operationId: e.id,
    ecomOperationId: e.id,
    merchantName: null,
    approvalCode: approved ? p.authCode : null,
    status,
    transactionType: TRANSACTION_TYPE.REFUND,
    merchantRequestId: e.reference ?? null,
    transactionCurrency: '980',
    merchantCommission: null,
    createDateTime: at,
    creationDateTime: at,
    modificationDateTime: at,
    transactionResponseInfo: { actionCode: approved ? '0' : null, responseCode: approved ? '00' : null, description: describe(status) },
    productType: 'PURCHASE',
    paymentServiceType: 'CARD',
    creatorSystem: 'H2H',
    notificationUrl: notify?.url ?? null,
    notificationEncryption: notify?.encrypted ?? false,
    cardNumberMask: cardMask(card),
    originalOperationId: p.id,
    originalCoinAmount: p.amount,
    originalEcomOperationId: p.id,
    rrnOriginal: paymentJson(p, cred, statusOf(p)).rrn,
  };
}
