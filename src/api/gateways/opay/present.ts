/** Vault records as OPay's wire shows them (schemas.ts `cardToken`, `customerAnswer`). */
import { brandNames, formatExpiry, visibleBin } from '../../../domain/card.ts';
import type { CardView } from '../../../vault/cards.ts';
import type { CustomerView } from '../../../vault/customers.ts';

export function cardData(card: CardView) {
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

export const customerInfo = (c: CustomerView | null) =>
  c ? { customerId: c.customerId ?? '', customerName: c.name ?? '', customerEmail: c.email ?? '', customerMobile: c.phone ?? '' } : null;
