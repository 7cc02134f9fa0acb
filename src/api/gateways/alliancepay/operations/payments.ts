/**
 * Payment operations: pay by token (PURCHASE, C2A), 3-D Secure step 2, and the card purchase that may keep
 * a token. The card purchase is a multi-step flow (tokenize, pay, keep or delete) kept apart at the end of
 * this file, to move into the vault as one call.
 */
import { randomUUID } from 'node:crypto';
import { MAX_AMOUNT } from '../../../../domain/money.ts';
import { invalid, paymentRefusal, refusal } from '../codes.ts';
import { type PaymentAnswer, paymentJson, statusOf } from '../present.ts';
import {
  allianceToken,
  type Ctx,
  cardField,
  DATE,
  need,
  type OperationDeps,
  object,
  readCard,
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
  for (const k of ['resultRedirectUrl', 'notificationUrl']) str(b, k, { max: 1000 });
  for (const k of ['comment', 'purpose', 'merchantComment']) str(b, k, { max: 255 });
  return { reference: ref, amount, mode, nonCvv: txnType !== undefined, sender: data.senderCustomerId as string };
}
type PaymentFields = ReturnType<typeof readPayment>;

async function readCvv(ctx: Ctx, nonCvv: boolean): Promise<string | undefined> {
  if (nonCvv) return undefined;
  const cvv = await cardField(ctx, 'cvv');
  if (!/^[0-9]{3,4}$/.test(cvv)) throw invalid('cvv', 'must be 3 or 4 digits');
  return cvv;
}

export function paymentOperations(deps: OperationDeps) {
  const { payments } = deps;

  /** Runs an authorization+capture and answers it, applying desiredThreeDSMode. */
  async function pay(
    ctx: Ctx,
    type: PaymentType,
    token: string,
    p: PaymentFields,
    cvv: string | undefined,
    cardPurchase?: 'keep' | 'one-off',
  ): Promise<PaymentAnswer> {
    const r = await payments.authorize(ctx.caller, {
      token,
      amount: p.amount,
      currency: 'UAH',
      capture: true,
      reference: p.reference,
      metadata: { alliancepayType: type, ...(cardPurchase ? { alliancepayCardPurchase: cardPurchase } : {}) },
      newId: randomUUID,
      ...(cvv !== undefined ? { cvv } : {}),
    });
    if (!r.ok) throw paymentRefusal(r);
    let view = r.value;
    if (view.status === 'PENDING_AUTHENTICATION' && p.mode === 'MUST_NOT') {
      // The cardholder would have to be challenged and the merchant forbade it: nothing is charged.
      const failed = await payments.authenticate(ctx.caller, view.id, false);
      if (failed.ok) view = failed.value;
      return paymentJson(view, ctx.cred, 'DESIRED_THREEDS_MODE_ERROR');
    }
    return paymentJson(view, ctx.cred, statusOf(view));
  }

  const payByToken = (type: PaymentType) => async (ctx: Ctx) => {
    const p = readPayment(ctx);
    const token = need(ctx.body, 'token', { max: 64, pattern: TOKEN });
    str(ctx.body, 'typeToken', { max: 30, pattern: TYPE_TOKEN });
    const cvv = await readCvv(ctx, p.nonCvv);
    return withReference(deps, ctx, p.reference, () => pay(ctx, type, token, p, cvv));
  };

  const cardPurchase = cardPurchaseFlow(deps, pay);

  async function threeDs(ctx: Ctx) {
    need(ctx.body, 'merchantId', { max: 36 });
    const operationId = need(ctx.body, 'operationId', { max: 64 });
    const transStatus = need(ctx.body, 'transStatus', { max: 1, pattern: /^[YN]$/ });
    const r = await payments.authenticate(ctx.caller, operationId, transStatus === 'Y');
    if (!r.ok) throw paymentRefusal(r);
    const answer = paymentJson(r.value, ctx.cred, statusOf(r.value));
    const kind = r.value.metadata?.alliancepayCardPurchase;
    return kind ? cardPurchase.settle(ctx, r.value.token, kind === 'keep', answer) : answer;
  }

  return { purchaseByToken: payByToken('PURCHASE'), c2aByToken: payByToken('C2A'), purchaseByCard: cardPurchase.purchase, threeDs };
}

// ---------------------------------------------------------------------------------------------------
// The card purchase: a multi-step flow (to move into the vault as one call, issue 18).

type Pay = (
  ctx: Ctx,
  type: PaymentType,
  token: string,
  p: PaymentFields,
  cvv: string | undefined,
  cardPurchase: 'keep' | 'one-off',
) => Promise<PaymentAnswer>;

/**
 * Pays with a card: tokenizes it (for the customer when a token is asked for, else single-use), pays with
 * that token, then keeps the token only when asked for and the purchase succeeded (after a challenge, step 2
 * decides through `settle`).
 */
function cardPurchaseFlow(deps: OperationDeps, pay: Pay) {
  const { cards, customers } = deps;
  /** A token is kept only when asked for and the purchase succeeded; a one-off card is never kept. */
  async function settle(ctx: Ctx, token: string, keep: boolean, answer: PaymentAnswer) {
    if (keep && answer.status === 'SUCCESS') return { ...answer, token };
    await cards.setStatus(ctx.caller, token, 'DELETED', null);
    return answer;
  }

  async function purchase(ctx: Ctx) {
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
      const customer = keep ? await customers.findOrCreate(ctx.caller, { customerId: p.sender }) : null;
      if (customer && !customer.ok) throw refusal('b_invalid_request', { detail: customer.detail ?? customer.error });
      const made = await cards.tokenize(ctx.caller, {
        pan,
        expiry,
        customerId: customer?.ok ? customer.value.id : null,
        usage: keep ? 'MULTIPLE' : 'SINGLE',
        newToken: allianceToken,
      });
      if (!made.ok) throw refusal('b_invalid_request', { detail: made.detail ?? made.error });
      const token = made.value.card.token;
      let answer: PaymentAnswer;
      try {
        answer = await pay(ctx, 'PURCHASE', token, p, cvv, keep ? 'keep' : 'one-off');
      } catch (e) {
        await cards.setStatus(ctx.caller, token, 'DELETED', null);
        throw e;
      }
      // Until a challenge is completed the card stays (step 2 decides); the token is not shown before then.
      if (answer.status === 'REQUIRED_3DS') return answer;
      return settle(ctx, token, keep, answer);
    });
  }

  return { purchase, settle };
}
