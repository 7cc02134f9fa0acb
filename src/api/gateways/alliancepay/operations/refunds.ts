/**
 * REFUND of a payment, and the two "getting data" calls (by OPERATION_ID, by merchantRequestId). A refund is
 * the vault's refund of the payment (vault/payments.ts), answered as an operation of its own: its
 * `operationId` is the id of the refund event, the payment's is `originalOperationId` (docs/alliancepay.md, REFUND).
 */

import { MAX_AMOUNT } from '../../../../domain/money.ts';
import type { CardView } from '../../../../vault/cards.ts';
import type { Caller } from '../../../../vault/deps.ts';
import type { VaultResult } from '../../../../vault/errors.ts';
import type { PaymentEventView, PaymentView } from '../../../../vault/payments.ts';
import { invalid, paymentRefusal, refusal } from '../codes.ts';
import { paymentOperationJson, refundJson } from '../operation-json.ts';
import {
  type Ctx,
  DATE,
  need,
  notifyRequest,
  type OperationDeps,
  readNotify,
  reference,
  requestReference,
  str,
  UUIDISH,
} from './context.ts';

/** `coinAmount`: kopiykas, as the documented string ("2500") or, as the official SDK sends it, a number. */
function coinAmount(v: unknown): number {
  const n = typeof v === 'string' && /^[0-9]{1,15}$/.test(v) ? Number(v) : typeof v === 'number' ? v : Number.NaN;
  if (!Number.isSafeInteger(n) || n <= 0 || n > MAX_AMOUNT)
    throw invalid('coinAmount', `must be a whole number of kopiykas from 1 to ${MAX_AMOUNT}`);
  return n;
}

/** Only AlliancePay's own payments are its operations (a payment made through another API is not found). */
type FollowOn = { payment: PaymentView; event: PaymentEventView };

const isAlliancePayment = (p: PaymentView): boolean => p.metadata?.alliancepayType !== undefined;

export function refundOperations(deps: OperationDeps) {
  const { payments, cards } = deps;

  const cardOf = async (caller: Caller, p: PaymentView): Promise<CardView | null> => {
    const c = await cards.get(caller, p.token);
    return c.ok ? c.value : null;
  };

  async function refund(ctx: Ctx) {
    const b = ctx.body;
    const ref = reference(b);
    need(b, 'merchantId', { max: 36 });
    const operationId = need(b, 'operationId', { max: 64 });
    const amount = coinAmount(b.coinAmount);
    need(b, 'date', { max: 40, pattern: DATE });
    const notify = readNotify(b);
    str(b, 'merchantComment', { max: 255 });
    const payment = await payments.get(ctx.caller, operationId);
    if (!payment.ok || !isAlliancePayment(payment.value)) throw refusal('payment_operation_not_found');
    // The merchantRequestId is claimed with the refund's reservation (taken: b_duplicate_field_value).
    const r = await payments.refund(ctx.caller, operationId, amount, {
      reference: requestReference(ref),
      ...(notify ? { notify: notifyRequest(notify, ctx) } : {}),
    });
    if (!r.ok) throw paymentRefusal(r);
    const event = r.value.event as PaymentEventView;
    const card = await cardOf(ctx.caller, r.value);
    return refundJson(r.value, event, ctx.cred, card, notify ? { url: notify.url, encrypted: notify.encrypted } : null);
  }

  /** The operation as AlliancePay shows it: an AlliancePay payment, or a refund of one. */
  async function operation(ctx: Ctx, payment: VaultResult<PaymentView>, followOn: () => Promise<VaultResult<FollowOn>>) {
    if (payment.ok) {
      if (!isAlliancePayment(payment.value)) throw refusal('payment_operation_not_found');
      return paymentOperationJson(payment.value, ctx.cred, await cardOf(ctx.caller, payment.value));
    }
    const f = await followOn();
    if (!f.ok || f.value.event.type !== 'refund' || !isAlliancePayment(f.value.payment)) throw refusal('payment_operation_not_found');
    return refundJson(f.value.payment, f.value.event, ctx.cred, await cardOf(ctx.caller, f.value.payment));
  }

  async function byOperationId(ctx: Ctx) {
    const id = need(ctx.body, 'id', { max: 64 });
    return operation(ctx, await payments.get(ctx.caller, id), () => payments.followOn(ctx.caller, id));
  }

  async function byMerchantRequestId(ctx: Ctx) {
    const ref = need(ctx.body, 'merchantRequestId', { max: 36, pattern: UUIDISH });
    return operation(ctx, await payments.findByReference(ctx.caller, ref, isAlliancePayment), () =>
      payments.followOnByReference(ctx.caller, requestReference(ref)),
    );
  }

  return { refund, byOperationId, byMerchantRequestId };
}
