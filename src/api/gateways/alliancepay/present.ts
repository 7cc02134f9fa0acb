/** Vault records as AlliancePay answers them: tokens, payments and its time format. */

import { maskPan } from '../../../domain/card.ts';
import type { DeclineCode } from '../../../domain/payment.ts';
import { isRefused } from '../../../domain/payment.ts';
import type { CardView } from '../../../vault/cards.ts';
import type { CustomerService } from '../../../vault/customers.ts';
import type { Caller } from '../../../vault/deps.ts';
import type { PaymentView } from '../../../vault/payments.ts';
import type { Credential } from './auth.ts';

/** `yyyy-MM-dd HH:mm:ss.SSSS +0000`, as AlliancePay writes times. */
export const allianceTime = (d: Date): string => `${d.toISOString().replace('T', ' ').replace('Z', '')}0 +0000`;

/** actionCode / responseCode by outcome (ISO 8583 action codes; *chosen*, see README). */
const DECLINES: Record<DeclineCode, [actionCode: string, responseCode: string]> = {
  insufficient_funds: ['116', '51'],
  expired_card: ['101', '54'],
  do_not_honor: ['100', '05'],
  lost_card: ['208', '41'],
  stolen_card: ['209', '43'],
  invalid_cvv: ['111', 'N7'],
  authentication_failed: ['100', '05'],
};

/** The merchant's own id of the card's customer ('' when it has none). */
export async function customerRef(customers: Pick<CustomerService, 'get'>, caller: Caller, card: CardView): Promise<string> {
  if (!card.customerId) return '';
  const c = await customers.get(caller, card.customerId);
  return c.ok ? (c.value.customerId ?? c.value.id) : '';
}

export const tokenJson = (card: CardView, customerId: string, cred: Credential) => ({
  token: card.token,
  status: card.status,
  maskedPan: maskPan({ bin6: card.bin6, last4: card.last4, length: card.panLength }, '•'),
  customerId,
  merchantId: cred.value.allianceMerchantId,
});

/** A payment's AlliancePay status: REQUIRED_3DS while a challenge is pending, FAIL when declined or failed. */
export const statusOf = (p: PaymentView): string =>
  p.status === 'PENDING_AUTHENTICATION' ? 'REQUIRED_3DS' : isRefused(p.status) ? 'FAIL' : 'SUCCESS';

export function paymentJson(p: PaymentView, cred: Credential, status: string) {
  const decline = p.declineCode ? DECLINES[p.declineCode] : null;
  const type = p.metadata?.alliancepayType ?? 'PURCHASE';
  return {
    type,
    status,
    operationId: p.id,
    ecomOperationId: p.id,
    merchantRequestId: p.reference,
    merchantId: cred.value.allianceMerchantId,
    coinAmount: p.amount,
    rrn: BigInt(`0x${p.id.replaceAll('-', '').slice(0, 12)}`)
      .toString()
      .slice(-12)
      .padStart(12, '0'),
    approvalCode: p.authCode,
    transactionType: type,
    transactionCurrency: '980',
    actionCode: decline ? decline[0] : status === 'SUCCESS' ? '000' : null,
    responseCode: decline ? decline[1] : status === 'SUCCESS' ? '00' : null,
    createDateTime: allianceTime(new Date(p.createdAt)),
    modificationDateTime: allianceTime(new Date(p.updatedAt)),
  };
}
export type PaymentAnswer = ReturnType<typeof paymentJson>;
