/**
 * Vault records as Cybersource JSON: TMS customers, payment instruments, shipping addresses, instrument
 * identifiers and pages; PTS payments, credits and their follow-ups.
 */

import { createHash } from 'node:crypto';
import { maskAccountNumber } from '../../../domain/bank-account.ts';
import { brandNames, formatExpiry, maskPan } from '../../../domain/card.ts';
import { hexId32 } from '../../../domain/ids.ts';
import { decimalAmount } from '../../../domain/money.ts';
import type { DeclineCode, PaymentStatus } from '../../../domain/payment.ts';
import { isApproved } from '../../../domain/payment.ts';
import type { Address, CardView, InstrumentView } from '../../../vault/cards.ts';
import type { AddressView, CustomerView } from '../../../vault/customers.ts';
import type { PaymentView } from '../../../vault/payments.ts';
import { isBankAccount } from './bank-accounts.ts';
import { TYPE_CODE } from './card-types.ts';
import { submitTime } from './codes.ts';
import { ADDRESS_FIELDS, type Json } from './fields.ts';

/** Ids TMS issues: 32 upper-case hex. */
export const tmsId = hexId32;

export function addressJson(a: Address | null): Json | undefined {
  if (!a) return undefined;
  const out: Json = {};
  for (const [wire, vault] of ADDRESS_FIELDS) if (a[vault] !== undefined) out[wire] = a[vault];
  return out;
}

/** The opaque ETag of a record version. */
export const etag = (id: string, version: number): string =>
  `"${createHash('sha256').update(`${id}:${version}`).digest('hex').slice(0, 32)}"`;

const href = (path: string) => ({ href: path });
export const customerPath = (id: string) => `/tms/v2/customers/${id}`;

export interface Presented {
  /** Full card numbers by instrument id, only when the caller is entitled to see them (MLE). */
  pans?: Map<string, string>;
  creator: string;
}

const attrs = (a: Record<string, string>, key: string): Json => {
  const text = a[key];
  if (!text) return {};
  try {
    return JSON.parse(text) as Json;
  } catch {
    return {};
  }
};

export function instrumentJson(ii: InstrumentView, p: Presented): Json {
  const base = `/tms/v1/instrumentidentifiers/${ii.id}`;
  const extra = attrs(ii.attributes, 'cybersource');
  const pan = p.pans?.get(ii.id);
  return {
    _links: { self: href(base), paymentInstruments: href(`${base}/paymentinstruments`) },
    id: ii.id,
    object: 'instrumentIdentifier',
    state: 'ACTIVE',
    ...(ii.kind === 'bank'
      ? {
          // The account number masked as card numbers are (a choice: no published TMS answer shows one); the
          // routing number names the bank and is kept as sent.
          bankAccount: {
            number: pan ?? maskAccountNumber({ suffix: ii.last4, length: ii.panLength }),
            routingNumber: ii.routingNumber ?? '',
          },
        }
      : { type: 'enrollable card', card: { number: pan ?? maskPan({ bin6: ii.bin6, last4: ii.last4, length: ii.panLength }, 'X') } }),
    ...(extra.issuer ? { issuer: extra.issuer } : {}),
    ...(extra.processingInformation ? { processingInformation: extra.processingInformation } : {}),
    ...(extra.billTo ? { billTo: extra.billTo } : {}),
    metadata: { creator: p.creator },
  };
}

/** The instrument view a card carries (cards hold the instrument's display fields). */
export const instrumentOfCard = (c: CardView): InstrumentView => ({
  id: c.instrumentId,
  bin6: c.bin6,
  bin8: c.bin8,
  last4: c.last4,
  panLength: c.panLength,
  brand: c.brand,
  funding: c.funding,
  kind: c.kind,
  routingNumber: c.routingNumber,
  available: true,
  attributes: {},
  createdAt: c.createdAt,
});

export function paymentInstrumentJson(c: CardView, p: Presented, style: 'customer' | 'standalone'): Json {
  const self =
    style === 'customer' && c.customerId
      ? `${customerPath(c.customerId)}/payment-instruments/${c.token}`
      : `/tms/v1/paymentinstruments/${c.token}`;
  const extra = attrs(c.attributes, 'cybersource');
  const card = (extra.card as Json | undefined) ?? {};
  return {
    _links: { self: href(self), ...(c.customerId ? { customer: href(customerPath(c.customerId)) } : {}) },
    id: c.token,
    object: 'paymentInstrument',
    default: c.isDefault,
    state: c.status === 'ACTIVE' || c.status === 'EXPIRED' ? 'ACTIVE' : 'CLOSED',
    ...(c.kind === 'bank'
      ? { bankAccount: (extra.bankAccount as Json | undefined) ?? {} }
      : {
          type: 'cardHash',
          card: {
            expirationMonth: formatExpiry(c.expiry, 'MM'),
            expirationYear: formatExpiry(c.expiry, 'YYYY'),
            type: brandNames(c.brand).lower,
            ...card,
          },
        }),
    ...(extra.buyerInformation ? { buyerInformation: extra.buyerInformation } : {}),
    ...(c.billingAddress ? { billTo: addressJson(c.billingAddress) } : {}),
    ...(extra.processingInformation ? { processingInformation: extra.processingInformation } : {}),
    ...(extra.merchantInformation ? { merchantInformation: extra.merchantInformation } : {}),
    instrumentIdentifier: { id: c.instrumentId },
    metadata: { creator: p.creator },
    _embedded: { instrumentIdentifier: instrumentJson(instrumentOfCard(c), p) },
  };
}

export function shippingAddressJson(a: AddressView, p: Presented): Json {
  return {
    _links: { self: href(`${customerPath(a.customerId)}/shipping-addresses/${a.id}`), customer: href(customerPath(a.customerId)) },
    id: a.id,
    default: a.isDefault,
    shipTo: addressJson(a.address) ?? {},
    metadata: { creator: p.creator },
  };
}

export function customerJson(c: CustomerView, p: Presented, embedded: { card: CardView | null; address: AddressView | null }): Json {
  const extra = attrs(c.attributes, 'cybersource');
  const buyer: Json = {};
  // Kept with the extras (not unique); a customer made through another API shows its own customerId.
  const merchantCustomerID = (extra.merchantCustomerID as string | undefined) ?? c.customerId;
  if (merchantCustomerID !== null) buyer.merchantCustomerID = merchantCustomerID;
  if (c.email !== null) buyer.email = c.email;
  const embeddedJson: Json = {};
  if (embedded.card) embeddedJson.defaultPaymentInstrument = paymentInstrumentJson(embedded.card, p, 'customer');
  if (embedded.address) embeddedJson.defaultShippingAddress = shippingAddressJson(embedded.address, p);
  return {
    _links: {
      self: href(customerPath(c.id)),
      paymentInstruments: href(`${customerPath(c.id)}/payment-instruments`),
      shippingAddress: href(`${customerPath(c.id)}/shipping-addresses`),
    },
    id: c.id,
    ...(extra.objectInformation ? { objectInformation: extra.objectInformation } : {}),
    buyerInformation: buyer,
    ...(extra.clientReferenceInformation ? { clientReferenceInformation: extra.clientReferenceInformation } : {}),
    ...(extra.merchantDefinedInformation ? { merchantDefinedInformation: extra.merchantDefinedInformation } : {}),
    ...(embedded.card ? { defaultPaymentInstrument: { id: embedded.card.token } } : {}),
    ...(embedded.address ? { defaultShippingAddress: { id: embedded.address.id } } : {}),
    metadata: { creator: p.creator },
    ...(Object.keys(embeddedJson).length ? { _embedded: embeddedJson } : {}),
  };
}

/** The TMS list envelope over one page. */
export function listJson(path: string, key: string, items: Json[], offset: number, limit: number, total: number): Json {
  const link = (o: number) => href(`${path}?offset=${o}&limit=${limit}`);
  const lastOffset = total === 0 ? 0 : Math.floor((total - 1) / limit) * limit;
  return {
    _links: {
      self: link(offset),
      first: link(0),
      ...(offset > 0 ? { prev: link(Math.max(0, offset - limit)) } : {}),
      ...(offset + limit < total ? { next: link(offset + limit) } : {}),
      last: link(lastOffset),
    },
    offset,
    limit,
    count: items.length,
    total,
    _embedded: { [key]: items },
  };
}

// ---------------------------------------------------------------------------------------------------
// PTS

const DECLINE_REASONS: Record<DeclineCode, [reason: string, responseCode: string, message: string]> = {
  insufficient_funds: ['INSUFFICIENT_FUND', '51', 'Decline - Insufficient funds in the account.'],
  expired_card: ['EXPIRED_CARD', '54', 'Decline - Expired card.'],
  do_not_honor: ['PROCESSOR_DECLINED', '05', 'Decline - General decline of the card.'],
  lost_card: ['STOLEN_LOST_CARD', '41', 'Decline - The card was reported lost or stolen.'],
  stolen_card: ['STOLEN_LOST_CARD', '43', 'Decline - The card was reported lost or stolen.'],
  invalid_cvv: ['CVN_NOT_MATCH', 'N7', 'Decline - The card verification number (CVN) did not match.'],
  authentication_failed: ['CONSUMER_AUTHENTICATION_FAILED', '05', 'Decline - The payer could not be authenticated.'],
};

const WIRE_STATUS: Record<PaymentStatus, string> = {
  PENDING_AUTHENTICATION: 'PENDING_AUTHENTICATION',
  AUTHORIZED: 'AUTHORIZED',
  CAPTURED: 'AUTHORIZED',
  PARTIALLY_REFUNDED: 'AUTHORIZED',
  REFUNDED: 'AUTHORIZED',
  VOIDED: 'REVERSED',
  DECLINED: 'DECLINED',
  FAILED: 'DECLINED',
  CREDITED: 'PENDING',
};

function paymentLinks(p: PaymentView, base: string, approved: boolean): Json {
  if (p.kind === 'credit') {
    const voidable = approved && p.status !== 'VOIDED';
    return { self: { method: 'GET', href: base }, ...(voidable ? { void: { method: 'POST', href: `${base}/voids` } } : {}) };
  }
  return {
    self: { method: 'GET', href: base },
    ...(p.status === 'AUTHORIZED'
      ? { authReversal: { method: 'POST', href: `${base}/reversals` }, capture: { method: 'POST', href: `${base}/captures` } }
      : {}),
  };
}

function paymentAmounts(p: PaymentView, approved: boolean, check: boolean): Json {
  const amount = decimalAmount(p.amount, p.currency);
  if (p.kind === 'credit') return { creditAmountDetails: { creditAmount: amount, currency: p.currency } };
  // An electronic check is not authorized: its answer gives the amount debited (the eCheck guide's example).
  const key = approved && !check ? 'authorizedAmount' : 'totalAmount';
  return { orderInformation: { amountDetails: { [key]: amount, currency: p.currency } } };
}

const cardOfPayment = (card: CardView, type: string | undefined): Json => ({
  paymentInformation: {
    ...(isBankAccount(card) ? { paymentType: { name: 'CHECK' } } : { tokenizedCard: { type }, card: { type } }),
    instrumentIdentifier: { id: card.instrumentId, state: 'ACTIVE' },
    paymentInstrument: { id: card.token },
    ...(card.customerId ? { customer: { id: card.customerId } } : {}),
  },
});

/** A payment or credit, with the card it used (when it is still readable). */
export function paymentJson(p: PaymentView, card: CardView | null, extra: Json = {}): Json {
  const base = `/pts/v2/${p.kind === 'credit' ? 'credits' : 'payments'}/${p.id}`;
  const approved = isApproved(p.status);
  const decline = p.declineCode ? DECLINE_REASONS[p.declineCode] : null;
  const check = card !== null && isBankAccount(card);
  const type = card && !check ? TYPE_CODE[card.brand] : undefined;
  return {
    _links: paymentLinks(p, base, approved),
    id: p.id,
    submitTimeUtc: submitTime(new Date(p.createdAt)),
    // A voided credit reads VOIDED (a choice: the credit model lists no status for it).
    // An accepted electronic check debit is PENDING until it settles (the eCheck guide's example), as a credit is.
    status: (p.kind === 'credit' || check) && approved ? (p.status === 'VOIDED' ? 'VOIDED' : 'PENDING') : WIRE_STATUS[p.status],
    reconciliationId: p.id.slice(-16),
    ...(p.reference ? { clientReferenceInformation: { code: p.reference } } : {}),
    ...paymentAmounts(p, approved, check),
    ...(type ? { paymentAccountInformation: { card: { type } } } : {}),
    ...(card ? cardOfPayment(card, type) : {}),
    processorInformation: {
      ...(p.authCode ? { approvalCode: p.authCode } : {}),
      transactionId: p.id.slice(-15),
      networkTransactionId: p.id.slice(-15),
      responseCode: decline ? decline[1] : '100',
    },
    ...(decline ? { errorInformation: { reason: decline[0], message: decline[2] } } : {}),
    ...(p.status === 'PENDING_AUTHENTICATION'
      ? {
          errorInformation: {
            reason: 'CONSUMER_AUTHENTICATION_REQUIRED',
            message: 'The cardholder must complete 3-D Secure authentication.',
          },
        }
      : {}),
    ...extra,
  };
}
