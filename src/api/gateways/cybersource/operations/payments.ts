/**
 * PTS v2 payments with customer tokens: authorizations (optionally creating the tokens), credits, captures,
 * reversals and refunds, answered from the payments engine's outcomes. Paying with a card in the request
 * (TOKEN_CREATE, or a plain card payment) is one vault call, vault/card-payments.ts.
 */
import { numericId } from '../../../../domain/ids.ts';
import { decimalAmount, parseDecimalAmount } from '../../../../domain/money.ts';
import { isRefused } from '../../../../domain/payment.ts';
import type { Made, PayWithCardFailure, PayWithCardInput } from '../../../../vault/card-payments.ts';
import type { CardView } from '../../../../vault/cards.ts';
import type { VaultFailure } from '../../../../vault/errors.ts';
import type { PaymentView } from '../../../../vault/payments.ts';
import { ptsError, ptsFailure } from '../codes.ts';
import { type Answer, type Ctx, type Handler, ID } from '../context.ts';
import { holderName, type Json, pts, readAddress, readExpiry } from '../fields.ts';
import { followUpJson, paymentJson, tmsId } from '../present.ts';

const paymentId = () => numericId(22);
const TOKEN_TYPES = ['customer', 'paymentInstrument', 'shippingAddress', 'instrumentIdentifier'];

function readMoney(body: Json | undefined, path: string, required: boolean, currencyDefault?: string) {
  const total = pts.str(body, `${path}.totalAmount`, { max: 19, required });
  const currencyText = pts.str(body, `${path}.currency`, { max: 3, required: required && !currencyDefault, pattern: /^[A-Za-z]{3}$/ });
  if (total === undefined) return undefined;
  const currency = (currencyText ?? currencyDefault ?? '').toUpperCase();
  if (currencyDefault && currency !== currencyDefault) {
    throw ptsError(400, 'INVALID_DATA', `the currency must be the payment's (${currencyDefault})`, [
      { field: `${path}.currency`, reason: 'INVALID_DATA' },
    ]);
  }
  const m = parseDecimalAmount(total, currency);
  if (!m.ok) {
    const [field, reason] =
      m.error === 'currency_unknown' ? [`${path}.currency`, 'INVALID_DATA' as const] : [`${path}.totalAmount`, 'INVALID_AMOUNT' as const];
    throw ptsError(400, reason, m.detail ?? 'The amount is not valid', [{ field, reason }]);
  }
  return m.value;
}

type Kind = 'payment' | 'credit';

/** What an authorization or credit asks for, read (and refused) before anything moves. */
interface FirstCall {
  kind: Kind;
  code: string | undefined;
  money: { amount: number; currency: string };
  capture: boolean;
  types: string[];
  customerId: string | undefined;
  piId: string | undefined;
  saId: string | undefined;
  tokenCreate: boolean;
  hasCard: boolean;
}

function readFirstCall(body: Json | undefined, kind: Kind): FirstCall {
  const code = pts.str(body, 'clientReferenceInformation.code', { max: 50 });
  const money = readMoney(body, 'orderInformation.amountDetails', true);
  if (!money) throw ptsError(400, 'MISSING_FIELD', 'orderInformation.amountDetails.totalAmount is required');
  const capture = kind === 'payment' ? (pts.bool(body, 'processingInformation.capture') ?? false) : true;
  const actions = pts.strList(body, 'processingInformation.actionList', 10) ?? [];
  const types = pts.strList(body, 'processingInformation.actionTokenTypes', 4) ?? [];
  const customerId = pts.str(body, 'paymentInformation.customer.id', { max: 64, pattern: ID });
  const piId = pts.str(body, 'paymentInformation.paymentInstrument.id', { max: 64, pattern: ID });
  const saId = pts.str(body, 'paymentInformation.shippingAddress.id', { max: 64, pattern: ID });
  const tokenCreate = kind === 'payment' && actions.includes('TOKEN_CREATE');
  const hasCard = pts.obj(body, 'paymentInformation.card')?.number !== undefined;
  if (tokenCreate && types.length === 0) {
    throw ptsError(400, 'MISSING_FIELD', 'processingInformation.actionTokenTypes is required with TOKEN_CREATE', [
      { field: 'processingInformation.actionTokenTypes', reason: 'MISSING_FIELD' },
    ]);
  }
  if (types.some((t) => !TOKEN_TYPES.includes(t))) {
    throw ptsError(400, 'INVALID_DATA', 'actionTokenTypes may hold customer, paymentInstrument, shippingAddress, instrumentIdentifier', [
      { field: 'processingInformation.actionTokenTypes', reason: 'INVALID_DATA' },
    ]);
  }
  if (!tokenCreate && !hasCard && customerId === undefined && piId === undefined) {
    throw ptsError(400, 'MISSING_FIELD', 'paymentInformation.customer.id or paymentInstrument.id is required', [
      { field: 'paymentInformation.customer.id', reason: 'MISSING_FIELD' },
    ]);
  }
  return { kind, code, money, capture, types, customerId, piId, saId, tokenCreate, hasCard };
}

/** The customer and shipping address a first call names must be the merchant's. */
async function checkReferences(ctx: Ctx, f: FirstCall): Promise<void> {
  const { customers } = ctx.deps;
  if (f.customerId !== undefined && !(await customers.get(ctx.caller, f.customerId)).ok)
    throw ptsFailure({ ok: false, error: 'customer_not_found' });
  if (f.saId === undefined) return;
  if (f.customerId === undefined || !(await customers.getAddress(ctx.caller, f.customerId, f.saId)).ok) {
    throw ptsFailure({ ok: false, error: 'address_not_found' }, 'paymentInformation.shippingAddress.id');
  }
}

/** Any card of the caller's, deleted ones included (a payment's card is shown as it was). */
async function anyCard(ctx: Ctx, token: string): Promise<CardView | null> {
  const r = await ctx.deps.cards.get(ctx.caller, token);
  return r.ok ? r.value : null;
}

/** What every first call sends to the vault about the money. */
const paymentInput = (f: FirstCall) => ({
  amount: f.money.amount,
  currency: f.money.currency,
  capture: f.capture,
  reference: f.code ?? null,
  newId: paymentId,
});

/** A refused first call, naming the field that chose the card. */
const paymentRefused = (f: FirstCall, r: VaultFailure) =>
  ptsFailure(r, f.piId !== undefined ? 'paymentInformation.paymentInstrument.id' : 'paymentInformation.customer.id');

/** Authorizes or credits with `token` (or the customer's default). */
async function authorizeOrCredit(ctx: Ctx, f: FirstCall, token: string | undefined): Promise<PaymentView> {
  const input = {
    ...(token !== undefined ? { token } : {}),
    ...(f.customerId !== undefined ? { customerId: f.customerId } : {}),
    ...paymentInput(f),
  };
  const { payments } = ctx.deps;
  const r = f.kind === 'payment' ? await payments.authorize(ctx.caller, input) : await payments.credit(ctx.caller, input);
  if (!r.ok) throw paymentRefused(f, r);
  return r.value;
}

async function firstCall(ctx: Ctx, kind: Kind): Promise<Answer> {
  const f = readFirstCall(ctx.body, kind);
  await checkReferences(ctx, f);
  let json: Json;
  if ((f.tokenCreate || f.hasCard) && f.piId === undefined) {
    json = await payWithNewCard(ctx, f);
  } else {
    const p = await authorizeOrCredit(ctx, f, f.piId);
    json = paymentJson(p, await anyCard(ctx, p.token));
  }
  if (f.saId !== undefined && json.paymentInformation) (json.paymentInformation as Json).shippingAddress = { id: f.saId };
  return { status: 201, body: json };
}

// ---------------------------------------------------------------------------------------------------
// Paying with a card given in the request (TOKEN_CREATE, or a plain card payment)

/** The card in the request, and what TOKEN_CREATE asks to make with it, read and checked before anything is made. */
function readNewCard(ctx: Ctx, f: FirstCall): PayWithCardInput {
  const body = ctx.body;
  const types = f.tokenCreate ? f.types : [];
  const number = pts.str(body, 'paymentInformation.card.number', { max: 19, min: 1, required: true }) as string;
  const expiry = readExpiry(pts, body, 'paymentInformation.card', true) as NonNullable<ReturnType<typeof readExpiry>>;
  const cvv = pts.str(body, 'paymentInformation.card.securityCode', { max: 4, pattern: /^[0-9]{3,4}$/ });
  const billTo = readAddress(pts, body, 'orderInformation.billTo');
  const shipTo = readAddress(pts, body, 'orderInformation.shipTo');
  const merchantCustomerId = pts.str(body, 'buyerInformation.merchantCustomerId', { max: 100 });
  const checked = ctx.deps.cards.checkCard({ pan: number, expiry, ...(cvv ? { cvv } : {}) });
  if (!checked.ok) throw ptsFailure(checked);
  if (types.includes('shippingAddress') && !shipTo) {
    throw ptsError(400, 'MISSING_FIELD', 'orderInformation.shipTo is required to create a shipping address', [
      { field: 'orderInformation.shipTo', reason: 'MISSING_FIELD' },
    ]);
  }
  const newCustomer = f.customerId === undefined && types.includes('customer');
  return {
    kind: f.kind,
    card: {
      pan: number,
      expiry,
      ...(billTo ? { billingAddress: billTo } : {}),
      ...holderName(billTo),
      ...(cvv ? { cvv } : {}),
      attributes: { cybersource: '{}' },
      newToken: tmsId,
    },
    keep: types.includes('paymentInstrument'),
    ...(f.customerId !== undefined ? { customer: { id: f.customerId } } : {}),
    ...(newCustomer
      ? {
          customer: {
            create: {
              ...(billTo?.email ? { email: billTo.email } : {}),
              // Not unique: kept with the extras, as a TMS customer keeps it (operations/customers.ts).
              attributes: { cybersource: JSON.stringify(merchantCustomerId ? { merchantCustomerID: merchantCustomerId } : {}) },
            },
            newId: tmsId,
          },
        }
      : {}),
    ...(types.includes('shippingAddress') && shipTo ? { shippingAddress: { address: shipTo, newId: tmsId } } : {}),
    payment: paymentInput(f),
  };
}

/** A refused payment with a new card, in PTS's terms: where it failed decides the answer. */
function newCardRefused(f: FirstCall, r: PayWithCardFailure) {
  return r.step === 'card' || r.step === 'customer' ? ptsFailure(r) : paymentRefused(f, r);
}

/** What a TOKEN_CREATE answer says it created. */
function tokenInformation(made: Made, customerId: string | undefined): Json {
  const customer = made.customerId ?? customerId;
  return {
    tokenInformation: {
      instrumentidentifierNew: made.instrumentCreated,
      instrumentIdentifier: { id: made.card.instrumentId, state: 'ACTIVE' },
      ...(customer ? { customer: { id: customer } } : {}),
      ...(made.kept ? { paymentInstrument: { id: made.card.token } } : {}),
      ...(made.addressId ? { shippingAddress: { id: made.addressId } } : {}),
    },
  };
}

/**
 * Pays with the card in the request in one vault call (vault/card-payments.ts): its tokens (and, with
 * TOKEN_CREATE, a customer and shipping address) are made, the payment taken, and the tokens kept only as
 * asked and when the processor did not refuse. Answers the payment JSON.
 */
async function payWithNewCard(ctx: Ctx, f: FirstCall): Promise<Json> {
  const input = readNewCard(ctx, f);
  const r = await ctx.deps.cardPayments.payWithCard(ctx.caller, input);
  if (!r.ok) throw newCardRefused(f, r);
  const { payment: p, made } = r.value;
  const refused = isRefused(p.status);
  const extra = !refused && f.tokenCreate ? tokenInformation(made, f.customerId) : {};
  const shown = input.keep ? made.card : { ...made.card, token: '', customerId: null };
  const json = paymentJson(p, shown, extra);
  if (!input.keep) {
    const info = json.paymentInformation as Json | undefined;
    if (info) delete info.paymentInstrument;
  }
  return json;
}

// ---------------------------------------------------------------------------------------------------
// Follow-ups

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

const getPayment: Handler = async (ctx) => {
  const { p } = await paymentOf(ctx);
  return { status: 200, body: paymentJson(p, await anyCard(ctx, p.token)) };
};

export const payments = {
  createPayment: ((ctx) => firstCall(ctx, 'payment')) as Handler,
  createCredit: ((ctx) => firstCall(ctx, 'credit')) as Handler,
  getPayment,
  capture,
  reversal,
  refund,
};
