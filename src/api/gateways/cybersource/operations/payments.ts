/**
 * PTS v2 first calls — authorizations and credits, with customer tokens, a payment instrument, an instrument
 * identifier or a card (optionally creating tokens: TOKEN_CREATE) — and reading a payment. Follow-on calls
 * are operations/follow-ons.ts.
 */
import type { PaymentView } from '../../../../vault/payments.ts';
import { isBankAccount, readAccountType, readBankAccount, readPaymentType } from '../bank-accounts.ts';
import { ptsError, ptsFailure } from '../codes.ts';
import { type Answer, type Ctx, type Handler, ID } from '../context.ts';
import { type Json, pts } from '../fields.ts';
import { paymentJson } from '../present.ts';
import { payWithNewCard } from './new-card.ts';
import { anyCard, checkNeedsBank, type FirstCall, type Kind, paymentInput, paymentRefused, readMoney, sourceField } from './pts-common.ts';

const TOKEN_TYPES = ['customer', 'paymentInstrument', 'shippingAddress', 'instrumentIdentifier'];

/**
 * The `processingInformation.actionList` values served: TOKEN_CREATE (payments), and DECISION_SKIP, which
 * only skips Decision Manager, a service the vault does not run (a no-op: a choice). Every other value asks
 * for a service not offered and is refused, never ignored (docs/cybersource.md).
 */
const ACTIONS: Record<Kind, string[]> = { payment: ['TOKEN_CREATE', 'DECISION_SKIP'], credit: ['DECISION_SKIP'] };

function checkActions(actions: string[], kind: Kind): void {
  const refused = actions.find((a) => !ACTIONS[kind].includes(a));
  if (refused === undefined) return;
  // The value is named only when it reads as an action name (a request value is never echoed otherwise).
  const named = /^[A-Z_]{1,40}$/.test(refused) ? `${refused} is` : 'a value is';
  throw ptsError(
    400,
    'NOT_SUPPORTED',
    `processingInformation.actionList: ${named} not supported here (supported: ${ACTIONS[kind].join(', ')})`,
    [{ field: 'processingInformation.actionList', reason: 'NOT_SUPPORTED' }],
  );
}

function readFirstCall(body: Json | undefined, kind: Kind): FirstCall {
  const code = pts.str(body, 'clientReferenceInformation.code', { max: 50 });
  const money = readMoney(body, 'orderInformation.amountDetails', true);
  if (!money) throw ptsError(400, 'MISSING_FIELD', 'orderInformation.amountDetails.totalAmount is required');
  const capture = kind === 'payment' ? (pts.bool(body, 'processingInformation.capture') ?? false) : true;
  const actions = pts.strList(body, 'processingInformation.actionList', 10) ?? [];
  checkActions(actions, kind);
  const types = pts.strList(body, 'processingInformation.actionTokenTypes', 4) ?? [];
  const customerId = pts.str(body, 'paymentInformation.customer.id', { max: 64, pattern: ID });
  const piId = pts.str(body, 'paymentInformation.paymentInstrument.id', { max: 64, pattern: ID });
  const saId = pts.str(body, 'paymentInformation.shippingAddress.id', { max: 64, pattern: ID });
  const iiId = pts.str(body, 'paymentInformation.instrumentIdentifier.id', { max: 64, pattern: ID });
  const tokenCreate = kind === 'payment' && actions.includes('TOKEN_CREATE');
  const hasCard = pts.obj(body, 'paymentInformation.card')?.number !== undefined;
  const check = readPaymentType(body) === 'check';
  const bank = readBankAccount(pts, body, 'paymentInformation.bank.account', 'paymentInformation.bank.routingNumber');
  readAccountType(pts, body, 'paymentInformation.bank.account.type', false);
  pts.str(body, 'paymentInformation.bank.account.checkNumber', { max: 8 });
  if (bank !== undefined && (hasCard || iiId !== undefined)) {
    throw ptsError(400, 'INVALID_DATA', 'give paymentInformation.bank or a card, not both', [
      { field: 'paymentInformation.bank', reason: 'INVALID_DATA' },
    ]);
  }
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
  if (hasCard && iiId !== undefined) {
    throw ptsError(400, 'INVALID_DATA', 'give paymentInformation.card.number or paymentInformation.instrumentIdentifier.id, not both', [
      { field: 'paymentInformation.instrumentIdentifier.id', reason: 'INVALID_DATA' },
    ]);
  }
  if (!tokenCreate && !hasCard && bank === undefined && customerId === undefined && piId === undefined && iiId === undefined) {
    throw ptsError(
      400,
      'MISSING_FIELD',
      'paymentInformation.customer.id, paymentInstrument.id, instrumentIdentifier.id, card.number or bank is required',
      [{ field: 'paymentInformation.customer.id', reason: 'MISSING_FIELD' }],
    );
  }
  return { kind, code, money, capture, types, customerId, piId, saId, iiId, tokenCreate, hasCard, check, bank };
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

/** `paymentType.name: CHECK` names an electronic check: the token paid with (or the customer's default) must be a bank account's. */
async function checkPaymentType(ctx: Ctx, f: FirstCall, token: string | undefined): Promise<void> {
  if (!f.check) return;
  const customer = token === undefined && f.customerId !== undefined ? await ctx.deps.customers.get(ctx.caller, f.customerId) : null;
  const paid = token ?? (customer?.ok ? customer.value.defaultCardToken : null);
  const card = paid ? await anyCard(ctx, paid) : null;
  if (card && !isBankAccount(card)) throw checkNeedsBank(sourceField(f));
}

/** Authorizes or credits with `token` (or the customer's default). */
async function authorizeOrCredit(ctx: Ctx, f: FirstCall, token: string | undefined): Promise<PaymentView> {
  await checkPaymentType(ctx, f, token);
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
  if ((f.tokenCreate || f.hasCard || f.iiId !== undefined || f.bank !== undefined) && f.piId === undefined) {
    json = await payWithNewCard(ctx, f);
  } else {
    const p = await authorizeOrCredit(ctx, f, f.piId);
    json = paymentJson(p, await anyCard(ctx, p.token));
  }
  if (f.saId !== undefined && json.paymentInformation) (json.paymentInformation as Json).shippingAddress = { id: f.saId };
  return { status: 201, body: json };
}

const getPayment: Handler = async (ctx) => {
  const id = ctx.params.id ?? '';
  if (!ID.test(id)) throw ptsFailure({ ok: false, error: 'payment_not_found' });
  const r = await ctx.deps.payments.get(ctx.caller, id);
  if (!r.ok) throw ptsFailure(r);
  return { status: 200, body: paymentJson(r.value, await anyCard(ctx, r.value.token)) };
};

export const payments = {
  createPayment: ((ctx) => firstCall(ctx, 'payment')) as Handler,
  createCredit: ((ctx) => firstCall(ctx, 'credit')) as Handler,
  getPayment,
};
