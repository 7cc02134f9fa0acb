/**
 * Payment operations: pay by token (PURCHASE, C2A), 3-D Secure step 2, and the card purchase that may keep
 * a token (one vault call: vault/card-payments.ts).
 */
import { randomUUID } from 'node:crypto';
import { MAX_AMOUNT } from '../../../../domain/money.ts';
import type { PaymentView } from '../../../../vault/payments.ts';
import { invalid, paymentRefusal, refusal } from '../codes.ts';
import { NOTIFY_ENCRYPTED, NOTIFY_URL } from '../operation-json.ts';
import { type PaymentAnswer, paymentJson, statusOf } from '../present.ts';
import {
  allianceToken,
  type Ctx,
  cardField,
  DATE,
  need,
  notifyRequest,
  type OperationDeps,
  object,
  readCard,
  readNotify,
  reference,
  str,
  TOKEN,
  TYPE_TOKEN,
  withReference,
} from './context.ts';

type PaymentType = 'PURCHASE' | 'C2A';

/** The fields every payment step 1 carries. */
function readPayment(ctx: Ctx) {
  const b = ctx.body;
  const ref = reference(b);
  need(b, 'merchantId', { max: 36 });
  need(b, 'date', { max: 40, pattern: DATE });
  const amount = b.coinAmount;
  if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount <= 0 || amount > MAX_AMOUNT)
    throw invalid('coinAmount', `must be a whole number of kopiykas from 1 to ${MAX_AMOUNT}`);
  const mode = str(b, 'desiredThreeDSMode', { max: 50, pattern: /^(?:MUST|MUST_NOT|SHOULD)$/ }) ?? 'SHOULD';
  const txnType = str(b, 'txnType', { max: 20, pattern: /^(?:NONCVV|noncvv)$/ });
  const data = object(b, 'customerData', true) as Record<string, unknown>;
  need(data, 'senderCustomerId', { max: 255 });
  str(b, 'resultRedirectUrl', { max: 1000 });
  const notify = readNotify(b);
  for (const k of ['comment', 'purpose', 'merchantComment']) str(b, k, { max: 255 });
  return { reference: ref, amount, mode, nonCvv: txnType !== undefined, sender: data.senderCustomerId as string, notify };
}
type PaymentFields = ReturnType<typeof readPayment>;

async function readCvv(ctx: Ctx, nonCvv: boolean): Promise<string | undefined> {
  if (nonCvv) return undefined;
  const cvv = await cardField(ctx, 'cvv');
  if (!/^[0-9]{3,4}$/.test(cvv)) throw invalid('cvv', 'must be 3 or 4 digits');
  return cvv;
}

/**
 * What AlliancePay sends to the vault for a payment: captured at once, in hryvnias, its own id format; its
 * callback, if asked for, written with the outcome (and kept in the metadata for step 2 of 3-D Secure).
 */
const paymentInput = (ctx: Ctx, type: PaymentType, p: PaymentFields, cvv: string | undefined) => ({
  amount: p.amount,
  currency: 'UAH',
  capture: true,
  reference: p.reference,
  metadata: {
    alliancepayType: type,
    ...(p.notify ? { [NOTIFY_URL]: p.notify.url, [NOTIFY_ENCRYPTED]: String(p.notify.encrypted) } : {}),
  },
  newId: randomUUID,
  ...(cvv !== undefined ? { cvv } : {}),
  ...(p.notify ? { notify: notifyRequest(p.notify, ctx) } : {}),
});

export function paymentOperations(deps: OperationDeps) {
  const { payments, cards, cardPayments } = deps;

  /**
   * Answers a payment as its first step left it, applying desiredThreeDSMode: a challenge the merchant forbade
   * (MUST_NOT) is failed at once, nothing charged.
   */
  async function answer(ctx: Ctx, view: PaymentView, p: PaymentFields): Promise<{ view: PaymentView; answer: PaymentAnswer }> {
    if (view.status === 'PENDING_AUTHENTICATION' && p.mode === 'MUST_NOT') {
      const failed = await payments.authenticate(ctx.caller, view.id, false);
      const final = failed.ok ? failed.value : view;
      return { view: final, answer: paymentJson(final, ctx.cred, 'DESIRED_THREEDS_MODE_ERROR') };
    }
    return { view, answer: paymentJson(view, ctx.cred, statusOf(view)) };
  }

  const payByToken = (type: PaymentType) => async (ctx: Ctx) => {
    const p = readPayment(ctx);
    const token = need(ctx.body, 'token', { max: 64, pattern: TOKEN });
    str(ctx.body, 'typeToken', { max: 30, pattern: TYPE_TOKEN });
    const cvv = await readCvv(ctx, p.nonCvv);
    return withReference(deps, ctx, p.reference, async () => {
      const r = await payments.authorize(ctx.caller, { token, ...paymentInput(ctx, type, p, cvv) });
      if (!r.ok) throw paymentRefusal(r);
      return (await answer(ctx, r.value, p)).answer;
    });
  };

  /**
   * Pays with a card in one vault call (vault/card-payments.ts): a token is kept for the customer only when
   * one is asked for (TOKEN_PER_CUSTOMER) and the purchase succeeds; until a challenge is completed nothing is
   * decided and the token is not shown (step 2 settles).
   */
  async function purchaseByCard(ctx: Ctx) {
    const p = readPayment(ctx);
    const keep = (str(ctx.body, 'typeToken', { max: 30, pattern: TYPE_TOKEN }) ?? 'NO_TOKEN') === 'TOKEN_PER_CUSTOMER';
    const { pan, expiry } = await readCard(ctx);
    const cvv = await readCvv(ctx, p.nonCvv);
    const check = cards.checkCard({ pan, expiry, ...(cvv ? { cvv } : {}) });
    if (!check.ok) {
      throw check.error === 'invalid_card_number'
        ? refusal('b_invalid_pan_format')
        : check.error === 'invalid_cvv'
          ? invalid('cvv', 'is not valid for this card')
          : refusal('b_validation_card_expiration_date');
    }
    return withReference(deps, ctx, p.reference, async () => {
      const r = await cardPayments.payWithCard(ctx.caller, {
        kind: 'payment',
        card: { pan, expiry, newToken: allianceToken },
        keep,
        ...(keep ? { customer: { findOrCreate: { customerId: p.sender } } } : {}),
        payment: paymentInput(ctx, 'PURCHASE', p, cvv),
        settleAfterChallenge: true,
      });
      if (!r.ok) throw r.step === 'payment' ? paymentRefusal(r) : refusal('b_invalid_request', { detail: r.detail ?? r.error });
      const done = await answer(ctx, r.value.payment, p);
      if (done.answer.status === 'REQUIRED_3DS') return done.answer;
      const kept = done.view === r.value.payment ? r.value.made.kept : (await cardPayments.settle(ctx.caller, done.view))?.kept;
      return kept ? { ...done.answer, token: r.value.made.card.token } : done.answer;
    });
  }

  async function threeDs(ctx: Ctx) {
    need(ctx.body, 'merchantId', { max: 36 });
    const operationId = need(ctx.body, 'operationId', { max: 64 });
    const transStatus = need(ctx.body, 'transStatus', { max: 1, pattern: /^[YN]$/ });
    // The callback step 1 asked for is sent when the challenge ends the payment.
    const pending = await payments.get(ctx.caller, operationId);
    if (!pending.ok) throw paymentRefusal(pending);
    const url = pending.value.metadata?.[NOTIFY_URL];
    const notify = url ? { notify: notifyRequest({ url, encrypted: pending.value.metadata?.[NOTIFY_ENCRYPTED] === 'true' }, ctx) } : {};
    const r = await payments.authenticate(ctx.caller, operationId, transStatus === 'Y', notify);
    if (!r.ok) throw paymentRefusal(r);
    const json = paymentJson(r.value, ctx.cred, statusOf(r.value));
    const settled = await cardPayments.settle(ctx.caller, r.value);
    return settled?.kept ? { ...json, token: r.value.token } : json;
  }

  return { purchaseByToken: payByToken('PURCHASE'), c2aByToken: payByToken('C2A'), purchaseByCard, threeDs };
}
