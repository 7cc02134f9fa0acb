/** Vault records as AppotaPay answers them: tokens and charges, masked card, Vietnam times. */

import { brandNames, formatExpiry, issuerCountry, maskPan } from '../../../domain/card.ts';
import { isRefused } from '../../../domain/payment.ts';
import type { CardView } from '../../../vault/cards.ts';
import type { PaymentEventView, PaymentView } from '../../../vault/payments.ts';

/** RFC 3339 in Vietnam's time zone (UTC+7), as AppotaPay writes times. */
export function vnTime(iso: string): string {
  const shifted = new Date(Date.parse(iso) + 7 * 3600_000).toISOString();
  return `${shifted.slice(0, 19)}+07:00`;
}

const APPOTA_BRANDS = new Set(['VISA', 'MASTERCARD', 'JCB', 'AMEX']);

const maskedNumber = (c: CardView) => maskPan({ bin6: c.bin6, last4: c.last4, length: c.panLength }, 'X');
const brandOf = (c: CardView) => (APPOTA_BRANDS.has(c.brand) ? c.brand : brandNames(c.brand).code);

/** A payment made through this API (a native payment may share a reference). */
export const isCharge = (p: PaymentView) => p.metadata?.appotapayCharge === '1';

/** A token create's answer. */
export function tokenJson(c: CardView, reference: string, billing: Record<string, string> | undefined) {
  return {
    tokenId: c.token,
    merchantRefId: reference,
    card: { number: maskedNumber(c), type: c.funding, brand: brandOf(c), country: issuerCountry(c.bin6) },
    ...(billing ? { billing } : {}),
    createdAt: vnTime(c.createdAt),
    updatedAt: vnTime(c.updatedAt),
  };
}

/** A charge, with the card it charged (null if the vault no longer holds it). */
export function chargeJson(p: PaymentView, card: CardView | null) {
  return {
    id: p.id,
    authenticationId: p.metadata?.authenticationId ?? null,
    merchantRefId: p.reference,
    status: p.status === 'AUTHORIZED' ? 'AUTHORIZED' : isRefused(p.status) ? 'FAILED' : p.status,
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

/**
 * A refund's or reversal's id: its vault event's id (`pev_<ULID>`) without the prefix, an upper-case 26-character
 * ULID like AppotaPay's own (*chosen*); and back.
 */
export const followOnId = (event: PaymentEventView): string => event.id.replace(/^pev_/, '');
export const eventIdOf = (id: string): string | null => (/^[0-9A-Za-z]{26}$/.test(id) ? `pev_${id.toUpperCase()}` : null);

/** The fields a refund and a reversal share: reference, amount, status (with why it failed), times. */
function followOnFields(event: PaymentEventView, payment: PaymentView, failed: { errorCode: number; message: string }) {
  const ok = event.outcome === 'approved';
  return {
    merchantRefId: typeof event.detail?.reference === 'string' ? event.detail.reference : null,
    amount: event.amount ?? 0,
    currency: payment.currency,
    status: ok ? 'success' : 'error',
    ...(ok ? {} : { errorInformation: failed }),
    createdAt: vnTime(event.at),
    updatedAt: vnTime(event.at),
  };
}

/** A refund as AppotaPay answers it (create and detail alike). */
export function refundJson(event: PaymentEventView, payment: PaymentView) {
  const { merchantRefId, ...rest } = followOnFields(event, payment, { errorCode: 25, message: 'The refund failed' });
  return { refundId: followOnId(event), transactionId: payment.id, merchantRefId, ...rest };
}

/** A reversal of an authorization as AppotaPay answers it (create and detail alike). */
export function reversalJson(event: PaymentEventView, payment: PaymentView) {
  const { merchantRefId, ...rest } = followOnFields(event, payment, { errorCode: 113, message: 'The reversal failed' });
  return { reversalId: followOnId(event), authorizationId: payment.id, merchantRefId, ...rest, reversedAt: vnTime(event.at) };
}
