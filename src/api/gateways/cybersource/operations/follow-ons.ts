/**
 * PTS follow-on calls as resources of their own: captures, refunds (of a payment, of a capture), reversals
 * (full and partial) and voids (of a sale, a capture, a refund, a credit), each answering its own id — the
 * vault event's, drawn as PTS draws ids — and `_links` that all answer, including a GET for each `self`
 * (present-follow-ons.ts). Every field is read (and refused) before anything moves.
 */
import { decimalAmount } from '../../../../domain/money.ts';
import type { VaultFailure, VaultResult } from '../../../../vault/errors.ts';
import type { PaymentEventView, PaymentView } from '../../../../vault/payments.ts';
import { type CybersourceRefusal, ptsError, ptsFailure } from '../codes.ts';
import { type Answer, type Ctx, type Handler, ID } from '../context.ts';
import { pts } from '../fields.ts';
import { paymentJson } from '../present.ts';
import { type FollowOnKind, followOnJson, kindOfEvent } from '../present-follow-ons.ts';
import { anyCard, paymentId, readMoney } from './pts-common.ts';

const invalidId = (): CybersourceRefusal => ptsFailure({ ok: false, error: 'payment_not_found' });
const opts = { eventId: paymentId };

/** The path id, of the right form. */
function pathId(ctx: Ctx): string {
  const id = ctx.params.id ?? '';
  if (!ID.test(id)) throw invalidId();
  return id;
}

async function paymentOf(ctx: Ctx, kind: PaymentView['kind'] = 'payment'): Promise<PaymentView> {
  const r = await ctx.deps.payments.get(ctx.caller, pathId(ctx));
  if (!r.ok || r.value.kind !== kind) throw invalidId();
  return r.value;
}

/** The follow-on the path names, when it is one of `kind`. */
async function followOnOf(ctx: Ctx, kind: FollowOnKind): Promise<{ payment: PaymentView; event: PaymentEventView }> {
  const r = await ctx.deps.payments.followOn(ctx.caller, pathId(ctx));
  if (!r.ok || kindOfEvent(r.value.payment, r.value.event) !== kind) throw invalidId();
  return r.value;
}

/** An amount over what is left, in major units as PTS writes amounts (the vault's detail is in minor units). */
function amountRefused(f: VaultFailure, left: number, p: PaymentView, field: string): CybersourceRefusal {
  if (f.error !== 'amount_exceeds_authorized' && f.error !== 'amount_exceeds_captured') return ptsFailure(f);
  const what = f.error === 'amount_exceeds_captured' ? 'refunded' : 'captured or reversed';
  const message = `The amount exceeds what can still be ${what}: at most ${decimalAmount(Math.max(0, left), p.currency)} ${p.currency}`;
  return ptsError(400, 'INVALID_AMOUNT', message, [{ field, reason: 'INVALID_AMOUNT' }]);
}

/** The answer of a follow-on that was just written. */
function answered(kind: FollowOnKind, r: VaultResult<PaymentView>, code: string | undefined): Answer {
  if (!r.ok || !r.value.event) throw ptsFailure(r.ok ? { ok: false, error: 'invalid_payment_state' } : r);
  const body = followOnJson(kind, r.value, r.value.event, code);
  if (!body) throw ptsFailure({ ok: false, error: 'invalid_payment_state' });
  return { status: 201, body };
}

const codeOf = (ctx: Ctx) => pts.str(ctx.body, 'clientReferenceInformation.code', { max: 50 });
const AMOUNT = 'orderInformation.amountDetails';

const capture: Handler = async (ctx) => {
  const p = await paymentOf(ctx);
  const money = readMoney(ctx.body, AMOUNT, false, p.currency);
  const code = codeOf(ctx);
  const r = await ctx.deps.payments.capture(ctx.caller, p.id, money?.amount, opts);
  if (!r.ok) throw amountRefused(r, p.authorizedAmount - p.capturedAmount, p, `${AMOUNT}.totalAmount`);
  return answered('captures', r, code);
};

async function refundOf(ctx: Ctx, p: PaymentView): Promise<Answer> {
  const money = readMoney(ctx.body, AMOUNT, false, p.currency);
  const code = codeOf(ctx);
  const r = await ctx.deps.payments.refund(ctx.caller, p.id, money?.amount, opts);
  if (!r.ok) throw amountRefused(r, p.capturedAmount - p.refundedAmount, p, `${AMOUNT}.totalAmount`);
  return answered('refunds', r, code);
}

const refundPayment: Handler = async (ctx) => refundOf(ctx, await paymentOf(ctx));
const refundCapture: Handler = async (ctx) => refundOf(ctx, (await followOnOf(ctx, 'captures')).payment);

/** A full reversal (the amount, when given, is what is left of the authorization) or a partial one. */
const reversal: Handler = async (ctx) => {
  const p = await paymentOf(ctx);
  const money = readMoney(ctx.body, 'reversalInformation.amountDetails', false, p.currency);
  pts.str(ctx.body, 'reversalInformation.reason', { max: 60 });
  const code = codeOf(ctx);
  const left = p.authorizedAmount - p.capturedAmount;
  const r = await ctx.deps.payments.reverse(ctx.caller, p.id, money?.amount ?? left, opts);
  if (!r.ok) throw amountRefused(r, left, p, 'reversalInformation.amountDetails.totalAmount');
  return answered('reversals', r, code);
};

/** Voids the capture or refund the path names (its amount move is undone). */
const voidFollowOn =
  (kind: 'captures' | 'refunds'): Handler =>
  async (ctx) => {
    const { event } = await followOnOf(ctx, kind);
    const code = codeOf(ctx);
    const r = await ctx.deps.payments.voidFollowOn(ctx.caller, event.id, opts);
    if (!r.ok && r.error === 'invalid_payment_state') throw notVoidable(r.detail);
    return answered('voids', r, code);
  };

const notVoidable = (detail?: string) => ptsError(400, 'NOT_VOIDABLE', detail ?? 'The transaction cannot be voided');

/** Voids a sale (authorization and capture together), through the capture its authorization made. */
const voidPayment: Handler = async (ctx) => {
  const p = await paymentOf(ctx);
  const code = codeOf(ctx);
  const sale = p.history?.find((e) => (e.type === 'authorize' || e.type === 'authenticate') && e.statusAfter === 'CAPTURED');
  if (!sale) throw notVoidable('Only a payment authorized and captured together can be voided; reverse an authorization');
  const r = await ctx.deps.payments.voidFollowOn(ctx.caller, sale.id, opts);
  if (!r.ok && r.error === 'invalid_payment_state') throw notVoidable(r.detail);
  return answered('voids', r, code);
};

const voidCredit: Handler = async (ctx) => {
  const p = await paymentOf(ctx, 'credit');
  const code = codeOf(ctx);
  const r = await ctx.deps.payments.voidCredit(ctx.caller, p.id, opts);
  if (!r.ok && r.error === 'invalid_payment_state') throw notVoidable(r.detail);
  return answered('voids', r, code);
};

/** GET of a `self` link: the follow-on as its POST answered it (without the request's own reference). */
const read =
  (kind: FollowOnKind): Handler =>
  async (ctx) => {
    const { payment, event } = await followOnOf(ctx, kind);
    const body = followOnJson(kind, payment, event, undefined);
    if (!body) throw invalidId();
    return { status: 200, body };
  };

const getCredit: Handler = async (ctx) => {
  const p = await paymentOf(ctx, 'credit');
  return { status: 200, body: paymentJson(p, await anyCard(ctx, p.token)) };
};

export const followOns = {
  capture,
  refundPayment,
  refundCapture,
  reversal,
  voidPayment,
  voidCapture: voidFollowOn('captures'),
  voidRefund: voidFollowOn('refunds'),
  voidCredit,
  getCapture: read('captures'),
  getRefund: read('refunds'),
  getReversal: read('reversals'),
  getVoid: read('voids'),
  getCredit,
};
