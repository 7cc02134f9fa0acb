/** PTS follow-on calls on a payment: captures, refunds, reversals. */
import { decimalAmount } from '../../../../domain/money.ts';
import type { PaymentView } from '../../../../vault/payments.ts';
import { ptsError, ptsFailure } from '../codes.ts';
import { type Ctx, type Handler, ID } from '../context.ts';
import { pts } from '../fields.ts';
import { followUpJson } from '../present.ts';
import { readMoney } from './pts-common.ts';

async function paymentOf(ctx: Ctx): Promise<{ id: string; p: PaymentView }> {
  const id = ctx.params.id ?? '';
  if (!ID.test(id)) throw ptsFailure({ ok: false, error: 'payment_not_found' });
  const r = await ctx.deps.payments.get(ctx.caller, id);
  if (!r.ok) throw ptsFailure(r);
  return { id, p: r.value };
}

const amountOf = (amount: number, p: PaymentView) => decimalAmount(amount, p.currency);

const capture: Handler = async (ctx) => {
  const { id, p } = await paymentOf(ctx);
  const money = readMoney(ctx.body, 'orderInformation.amountDetails', false, p.currency);
  // Every field is read (and refused) before anything moves.
  const code = pts.str(ctx.body, 'clientReferenceInformation.code', { max: 50 });
  const r = await ctx.deps.payments.capture(ctx.caller, id, money?.amount);
  if (!r.ok) throw ptsFailure(r);
  const amount = amountOf(money?.amount ?? r.value.capturedAmount, p);
  const o = { kind: 'captures' as const, id, now: ctx.deps.now(), status: 'PENDING', code };
  return {
    status: 201,
    body: followUpJson(o, { orderInformation: { amountDetails: { totalAmount: amount, currency: p.currency } } }, false),
  };
};

const refund: Handler = async (ctx) => {
  const { id, p } = await paymentOf(ctx);
  const money = readMoney(ctx.body, 'orderInformation.amountDetails', false, p.currency);
  const before = p.refundedAmount;
  const code = pts.str(ctx.body, 'clientReferenceInformation.code', { max: 50 });
  const r = await ctx.deps.payments.refund(ctx.caller, id, money?.amount);
  if (!r.ok) throw ptsFailure(r);
  const amount = amountOf(money?.amount ?? r.value.refundedAmount - before, p);
  const o = { kind: 'refunds' as const, id, now: ctx.deps.now(), status: 'PENDING', code };
  return { status: 201, body: followUpJson(o, { refundAmountDetails: { refundAmount: amount, currency: p.currency } }, true) };
};

const reversal: Handler = async (ctx) => {
  const { id, p } = await paymentOf(ctx);
  const money = readMoney(ctx.body, 'reversalInformation.amountDetails', false, p.currency);
  if (money && money.amount !== p.authorizedAmount) {
    throw ptsError(400, 'INVALID_AMOUNT', 'only a full reversal of the authorized amount is supported', [
      { field: 'reversalInformation.amountDetails.totalAmount', reason: 'INVALID_AMOUNT' },
    ]);
  }
  pts.str(ctx.body, 'reversalInformation.reason', { max: 60 });
  const code = pts.str(ctx.body, 'clientReferenceInformation.code', { max: 50 });
  const r = await ctx.deps.payments.void(ctx.caller, id);
  if (!r.ok) throw ptsFailure(r);
  const o = { kind: 'reversals' as const, id, now: ctx.deps.now(), status: 'REVERSED', code };
  const amounts = { reversalAmountDetails: { reversedAmount: amountOf(p.authorizedAmount, p), currency: p.currency } };
  return { status: 201, body: followUpJson(o, amounts, true) };
};

export const followOns = { capture, reversal, refund };
