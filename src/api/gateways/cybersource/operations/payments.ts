/**
 * PTS v2 payments with customer tokens: authorizations (optionally creating the tokens), credits, captures,
 * reversals and refunds, answered from the payments engine's outcomes. The TOKEN_CREATE flow (customer,
 * tokenize, authorize, undo when declined) is `payWithNewCard`, kept whole until it moves into the vault.
 */
import { numericId } from '../../../../domain/ids.ts';
import { decimalAmount, parseDecimalAmount } from '../../../../domain/money.ts';
import type { CardView } from '../../../../vault/cards.ts';
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

/** Authorizes or credits with `token` (or the customer's default); undoes what `made` created when refused. */
async function authorizeOrCredit(ctx: Ctx, f: FirstCall, token: string | undefined, made: Made | null): Promise<PaymentView> {
  const input = {
    ...(token !== undefined ? { token } : {}),
    ...(f.customerId !== undefined && (made === null || made.keepCard) ? { customerId: f.customerId } : {}),
    amount: f.money.amount,
    currency: f.money.currency,
    capture: f.capture,
    reference: f.code ?? null,
    newId: paymentId,
  };
  const { payments } = ctx.deps;
  const r = f.kind === 'payment' ? await payments.authorize(ctx.caller, input) : await payments.credit(ctx.caller, input);
  if (!r.ok) {
    if (made) await undo(ctx, made);
    throw ptsFailure(r, f.piId !== undefined ? 'paymentInformation.paymentInstrument.id' : 'paymentInformation.customer.id');
  }
  return r.value;
}

async function firstCall(ctx: Ctx, kind: Kind): Promise<Answer> {
  const f = readFirstCall(ctx.body, kind);
  await checkReferences(ctx, f);
  let json: Json;
  if ((f.tokenCreate || f.hasCard) && f.piId === undefined) {
    json = await payWithNewCard(ctx, f);
  } else {
    const p = await authorizeOrCredit(ctx, f, f.piId, null);
    json = paymentJson(p, await anyCard(ctx, p.token));
  }
  if (f.saId !== undefined && json.paymentInformation) (json.paymentInformation as Json).shippingAddress = { id: f.saId };
  return { status: 201, body: json };
}

// ---------------------------------------------------------------------------------------------------
// Paying with a card given in the request (TOKEN_CREATE, or a plain card payment)

/** Tokens a TOKEN_CREATE authorization made, undone if the authorization is not approved. */
interface Made {
  customerId?: string;
  cardToken?: string;
  addressId?: string;
  keepCard: boolean;
  instrumentNew?: boolean;
}

async function undo(ctx: Ctx, made: Made): Promise<void> {
  if (made.customerId) {
    await ctx.deps.customers.delete(ctx.caller, made.customerId, null);
    return;
  }
  if (made.cardToken) await ctx.deps.cards.setStatus(ctx.caller, made.cardToken, 'DELETED', null);
}

async function createCustomerFor(ctx: Ctx, merchantCustomerId: string | undefined, email: string | undefined): Promise<string> {
  const r = await ctx.deps.customers.create(
    ctx.caller,
    { ...(merchantCustomerId ? { customerId: merchantCustomerId } : {}), ...(email ? { email } : {}), attributes: { cybersource: '{}' } },
    { id: tmsId },
  );
  if (!r.ok) {
    throw ptsError(400, 'INVALID_DATA', 'buyerInformation.merchantCustomerId is already used by another customer', [
      { field: 'buyerInformation.merchantCustomerId', reason: 'INVALID_DATA' },
    ]);
  }
  return r.value.id;
}

/** Creates what a TOKEN_CREATE (or a plain card payment) needs before the authorization. */
async function createTokens(ctx: Ctx, body: Json | undefined, customerIdGiven: string | undefined, types: string[]): Promise<Made> {
  const { cards, customers } = ctx.deps;
  const number = pts.str(body, 'paymentInformation.card.number', { max: 19, min: 1, required: true }) as string;
  const expiry = readExpiry(pts, body, 'paymentInformation.card', true) as NonNullable<ReturnType<typeof readExpiry>>;
  const cvv = pts.str(body, 'paymentInformation.card.securityCode', { max: 4, pattern: /^[0-9]{3,4}$/ });
  const billTo = readAddress(pts, body, 'orderInformation.billTo');
  const shipTo = readAddress(pts, body, 'orderInformation.shipTo');
  const merchantCustomerId = pts.str(body, 'buyerInformation.merchantCustomerId', { max: 100 });
  const checked = cards.checkCard({ pan: number, expiry, ...(cvv ? { cvv } : {}) });
  if (!checked.ok) throw ptsFailure(checked);
  if (types.includes('shippingAddress') && !shipTo) {
    throw ptsError(400, 'MISSING_FIELD', 'orderInformation.shipTo is required to create a shipping address', [
      { field: 'orderInformation.shipTo', reason: 'MISSING_FIELD' },
    ]);
  }
  const made: Made = { keepCard: types.includes('paymentInstrument') };
  let customerId = customerIdGiven;
  if (customerId === undefined && types.includes('customer')) {
    customerId = await createCustomerFor(ctx, merchantCustomerId, billTo?.email);
    made.customerId = customerId;
  }
  try {
    const r = await cards.tokenize(ctx.caller, {
      pan: number,
      expiry,
      customerId: made.keepCard ? (customerId ?? null) : null,
      ...(billTo ? { billingAddress: billTo } : {}),
      ...holderName(billTo),
      ...(cvv ? { cvv } : {}),
      usage: made.keepCard ? 'MULTIPLE' : 'SINGLE',
      attributes: { cybersource: '{}' },
      newToken: tmsId,
    });
    if (!r.ok) throw ptsFailure(r);
    made.cardToken = r.value.card.token;
    made.instrumentNew = r.value.instrumentCreated;
    if (types.includes('shippingAddress') && customerId && shipTo) {
      const a = await customers.createAddress(ctx.caller, customerId, shipTo, false, { id: tmsId });
      if (a.ok) made.addressId = a.value.id;
    }
  } catch (e) {
    if (made.customerId) await customers.delete(ctx.caller, made.customerId, null);
    throw e;
  }
  return made;
}

/** What a TOKEN_CREATE answer says it created. */
function tokenInformation(made: Made, card: CardView, customerId: string | undefined): Json {
  const customer = made.customerId ?? customerId;
  return {
    tokenInformation: {
      instrumentidentifierNew: made.instrumentNew ?? false,
      instrumentIdentifier: { id: card.instrumentId, state: 'ACTIVE' },
      ...(customer ? { customer: { id: customer } } : {}),
      ...(made.keepCard ? { paymentInstrument: { id: card.token } } : {}),
      ...(made.addressId ? { shippingAddress: { id: made.addressId } } : {}),
    },
  };
}

/**
 * Pays with the card in the request: creates its tokens (and, with TOKEN_CREATE, a customer and shipping
 * address), authorizes or credits, then keeps the tokens only when not declined — a card not to be kept is
 * deleted either way. Answers the payment JSON.
 */
async function payWithNewCard(ctx: Ctx, f: FirstCall): Promise<Json> {
  const made = await createTokens(ctx, ctx.body, f.customerId, f.tokenCreate ? f.types : []);
  const p = await authorizeOrCredit(ctx, f, made.cardToken, made);
  const card = await anyCard(ctx, p.token);
  // Kept unless declined or failed: a payment pending authentication keeps its tokens.
  const kept = p.status !== 'DECLINED' && p.status !== 'FAILED';
  if (!kept) await undo(ctx, made);
  else if (!made.keepCard && made.cardToken) await ctx.deps.cards.setStatus(ctx.caller, made.cardToken, 'DELETED', null);
  const extra = kept && f.tokenCreate && card ? tokenInformation(made, card, f.customerId) : {};
  const shown = made.keepCard ? card : card ? { ...card, token: '', customerId: null } : null;
  const json = paymentJson(p, shown, extra);
  if (!made.keepCard) {
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
