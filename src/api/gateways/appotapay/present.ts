/** Vault records as AppotaPay answers them: tokens and charges, masked card, Vietnam times. */

import { brandNames, formatExpiry, issuerCountry, maskPan } from '../../../domain/card.ts';
import { isRefused } from '../../../domain/payment.ts';
import type { CardView } from '../../../vault/cards.ts';
import type { PaymentView } from '../../../vault/payments.ts';

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
