/** TMS payment instruments, of a customer or standalone: create (from a card number or an instrument identifier), read, update, delete, list. */
import { NEVER_EXPIRES } from '../../../../domain/bank-account.ts';
import { binInfo, parsePan } from '../../../../domain/card.ts';
import type { CardView } from '../../../../vault/cards.ts';
import { bankFieldNames, isBankAccount, readAccountType, readBankAccount } from '../bank-accounts.ts';
import { brandOfType } from '../card-types.ts';
import { tmsError, tmsFailure } from '../codes.ts';
import { type Answer, type Ctx, cardOf, checkIfMatch, customerOf, extras, type Handler, ID, paging, param } from '../context.ts';
import { holderName, type Json, readAddress, readExpiry, tms } from '../fields.ts';
import { customerPath, etag, listJson, paymentInstrumentJson, tmsId } from '../present.ts';

type Style = 'customer' | 'standalone';

const CARD_EXTRAS = ['issueNumber', 'startMonth', 'startYear', 'useAs'];
const PI_EXTRAS = ['buyerInformation', 'processingInformation', 'merchantInformation', 'bankAccount'];

function piExtras(body: Json | undefined, current: Json): Json {
  const card: Json = { ...((current.card as Json | undefined) ?? {}) };
  for (const k of CARD_EXTRAS) {
    const v = tms.str(body, `card.${k}`, { max: 20 });
    if (v !== undefined) card[k] = v;
  }
  return { ...current, ...extras(body, PI_EXTRAS), ...(Object.keys(card).length ? { card } : {}) };
}

/** Refuses a card.type that names no brand, or another brand than the card's. */
function checkType(body: Json | undefined, brand: string | null): void {
  const type = tms.str(body, 'card.type', { max: 20 });
  if (type === undefined) return;
  const named = brandOfType(type);
  if (!named || (brand !== null && brand !== 'UNKNOWN' && named !== brand)) {
    throw tmsError(400, 'invalidFields', 'card.type does not match the card number', [{ name: 'card.type', location: 'body' }]);
  }
}

export function cardAnswer(ctx: Ctx, c: CardView, style: Style, status = 200): Answer {
  return {
    status,
    body: paymentInstrumentJson(c, ctx.presented, style),
    etag: etag(c.token, c.version),
    unmask: {
      instrumentId: c.instrumentId,
      build: (pan) => paymentInstrumentJson(c, { ...ctx.presented, pans: new Map([[c.instrumentId, pan]]) }, style),
    },
  };
}

const identifierNotFound = () =>
  tmsError(424, 'notFound', 'The instrument identifier was not found', [{ name: 'instrumentIdentifier.id', location: 'body' }]);

interface Source {
  source: { pan: string } | { instrumentId: string };
  brand: string | null;
  /** A bank account (an electronic check) rather than a card. */
  bank: boolean;
  /** The bank account's instrument identifier this call made (deleted again if the instrument is refused). */
  madeId?: string;
}

/**
 * What the new payment instrument is made from — a card number, a bank account, or an instrument identifier
 * id — and its card's brand. Read only: a bank account's identifier is made by `bankIdentifier`.
 */
async function instrumentSource(ctx: Ctx): Promise<Source | { bankAccount: { number: string; routingNumber: string } }> {
  const iiId = tms.str(ctx.body, 'instrumentIdentifier.id', { max: 64, pattern: ID });
  const number = tms.str(ctx.body, 'instrumentIdentifier.card.number', { max: 19, min: 1 });
  const bankAccount = readBankAccount(tms, ctx.body, 'instrumentIdentifier.bankAccount');
  if ([iiId, number, bankAccount].filter((x) => x !== undefined).length !== 1) {
    throw tmsError(400, 'missingFields', 'give one of instrumentIdentifier.id, .card.number and .bankAccount', [
      { name: 'instrumentIdentifier', location: 'body' },
    ]);
  }
  if (bankAccount !== undefined) return { bankAccount };
  if (number !== undefined) {
    const pan = parsePan(number);
    if (!pan.ok) {
      throw tmsError(400, 'invalidFields', 'instrumentIdentifier.card.number is not a valid card number', [
        { name: 'instrumentIdentifier.card.number', location: 'body' },
      ]);
    }
    return { source: { pan: number }, brand: binInfo(pan.value).brand, bank: false };
  }
  const ii = await ctx.deps.cards.getInstrument(ctx.caller, iiId as string);
  if (!ii.ok) throw identifierNotFound();
  return { source: { instrumentId: iiId as string }, brand: ii.value.brand, bank: ii.value.kind === 'bank' };
}

/** A bank payment instrument has `bankAccount.type` and no `card`; a card's has `card` and no `bankAccount`. */
function checkKindFields(body: Json | undefined, bank: boolean, creating: boolean): void {
  if (bank) {
    if (tms.at(body, 'card') !== undefined) {
      throw tmsError(400, 'invalidFields', 'card is not a field of a bank account payment instrument', [
        { name: 'card', location: 'body' },
      ]);
    }
    readAccountType(tms, body, 'bankAccount.type', creating);
    return;
  }
  if (tms.at(body, 'bankAccount') !== undefined) {
    throw tmsError(400, 'invalidFields', 'bankAccount is only for a bank account payment instrument', [
      { name: 'bankAccount', location: 'body' },
    ]);
  }
}

/** A payment instrument request, read and checked in full: nothing is written yet. */
export interface PaymentInstrumentPlan {
  read: Awaited<ReturnType<typeof instrumentSource>>;
  expiry: NonNullable<ReturnType<typeof readExpiry>>;
  billTo: ReturnType<typeof readAddress>;
  makeDefault: boolean;
  attributes: { cybersource: string };
}

/** Reads a payment instrument request (`ctx.body`): every refusal happens here, before anything is written. */
export async function readPaymentInstrument(ctx: Ctx): Promise<PaymentInstrumentPlan> {
  const body = ctx.body;
  const read = await instrumentSource(ctx);
  const bank = 'bankAccount' in read || read.bank;
  checkKindFields(body, bank, true);
  const expiry = bank ? NEVER_EXPIRES : readExpiry(tms, body, 'card', true);
  if (!('bankAccount' in read)) checkType(body, read.brand);
  const billTo = readAddress(tms, body, 'billTo');
  const makeDefault = tms.bool(body, 'default') === true;
  const attributes = { cybersource: JSON.stringify(piExtras(body, {})) };
  return { read, expiry: expiry as NonNullable<typeof expiry>, billTo, makeDefault, attributes };
}

/** Makes the payment instrument a plan describes (a bank account sent in full gets its identifier first). */
export async function writePaymentInstrument(ctx: Ctx, plan: PaymentInstrumentPlan, customerId: string | null): Promise<CardView> {
  const { read, billTo } = plan;
  let made: string | undefined;
  let source: Source['source'];
  if ('bankAccount' in read) {
    const ii = await ctx.deps.cards.createBankInstrument(ctx.caller, read.bankAccount, { retain: false });
    if (!ii.ok) throw tmsFailure(ii, bankFieldNames('instrumentIdentifier.bankAccount'));
    if (ii.value.created) made = ii.value.instrument.id;
    source = { instrumentId: ii.value.instrument.id };
  } else source = read.source;
  const r = await ctx.deps.cards.tokenize(ctx.caller, {
    ...source,
    expiry: plan.expiry,
    customerId,
    ...(billTo ? { billingAddress: billTo } : {}),
    ...holderName(billTo),
    makeDefault: plan.makeDefault,
    attributes: plan.attributes,
    newToken: tmsId,
  });
  // A refused instrument leaves nothing behind: not the identifier this call made for it either.
  if (!r.ok && made !== undefined) await ctx.deps.cards.deleteInstrument(ctx.caller, made);
  if (!r.ok) {
    if (r.error === 'instrument_not_found' || r.error === 'instrument_gone') throw identifierNotFound();
    throw tmsFailure(r, { number: 'instrumentIdentifier.card.number', expiry: 'card.expirationYear', cvv: 'card.securityCode' });
  }
  return r.value.card;
}

async function createPaymentInstrument(ctx: Ctx, customerId: string | null): Promise<Answer> {
  if (customerId !== null) await customerOf(ctx, customerId);
  const card = await writePaymentInstrument(ctx, await readPaymentInstrument(ctx), customerId);
  return cardAnswer(ctx, card, customerId === null ? 'standalone' : 'customer', 201);
}

async function patchPaymentInstrument(ctx: Ctx, token: string, customerId?: string): Promise<Answer> {
  const current = await cardOf(ctx, token, customerId);
  const ifMatch = checkIfMatch(ctx, token, current.version);
  const body = ctx.body;
  checkKindFields(body, isBankAccount(current), false);
  const expiry = readExpiry(tms, body, 'card', false);
  if (!isBankAccount(current)) checkType(body, current.brand);
  const billTo = readAddress(tms, body, 'billTo');
  const makeDefault = tms.bool(body, 'default');
  if (makeDefault !== undefined && current.customerId === null) {
    throw tmsError(400, 'invalidFields', 'a payment instrument without a customer cannot be a default', [
      { name: 'default', location: 'body' },
    ]);
  }
  const kept = piExtras(body, JSON.parse(current.attributes.cybersource ?? '{}') as Json);
  const r = await ctx.deps.cards.update(
    ctx.caller,
    token,
    {
      ...(expiry ? { expiry } : {}),
      ...(billTo ? { billingAddress: { ...(current.billingAddress ?? {}), ...billTo } } : {}),
      ...(makeDefault !== undefined ? { makeDefault } : {}),
      attributes: { cybersource: JSON.stringify(kept) },
    },
    ifMatch,
  );
  if (!r.ok) throw tmsFailure(r, { expiry: 'card.expirationYear' });
  return cardAnswer(ctx, r.value, customerId === undefined ? 'standalone' : 'customer');
}

async function deletePaymentInstrument(ctx: Ctx, token: string, customerId?: string): Promise<Answer> {
  await cardOf(ctx, token, customerId);
  const r = await ctx.deps.cards.setStatus(ctx.caller, token, 'DELETED', null, { keepDefault: true });
  if (!r.ok) throw tmsFailure(r);
  return { status: 204 };
}

/** One page of the payment instruments a filter selects, under `path`. */
export async function listPaymentInstruments(
  ctx: Ctx,
  filter: { customerId: string } | { instrumentId: string },
  path: string,
  style: Style,
): Promise<Answer> {
  const { offset, limit } = paging(ctx);
  const r = await ctx.deps.cards.listAt(ctx.caller, filter, offset, limit);
  if (!r.ok) throw tmsFailure(r);
  const items = r.value.items.map((c) => paymentInstrumentJson(c, ctx.presented, style));
  return { status: 200, body: listJson(path, 'paymentInstruments', items, offset, limit, r.value.total) };
}

const customerId = (ctx: Ctx) => param(ctx, 'customerId');
const piId = (ctx: Ctx) => param(ctx, 'piId');

export const createCustomerPaymentInstrument: Handler = (ctx) => createPaymentInstrument(ctx, customerId(ctx));
export const getCustomerPaymentInstrument: Handler = async (ctx) =>
  cardAnswer(ctx, await cardOf(ctx, piId(ctx), customerId(ctx)), 'customer');
export const patchCustomerPaymentInstrument: Handler = (ctx) => patchPaymentInstrument(ctx, piId(ctx), customerId(ctx));
export const deleteCustomerPaymentInstrument: Handler = (ctx) => deletePaymentInstrument(ctx, piId(ctx), customerId(ctx));
export const listCustomerPaymentInstruments: Handler = (ctx) => {
  const id = customerId(ctx);
  return listPaymentInstruments(ctx, { customerId: id }, `${customerPath(id)}/payment-instruments`, 'customer');
};

export const createStandalonePaymentInstrument: Handler = (ctx) => createPaymentInstrument(ctx, null);
export const getPaymentInstrument: Handler = async (ctx) => cardAnswer(ctx, await cardOf(ctx, piId(ctx)), 'standalone');
export const patchPaymentInstrumentById: Handler = (ctx) => patchPaymentInstrument(ctx, piId(ctx));
export const deletePaymentInstrumentById: Handler = (ctx) => deletePaymentInstrument(ctx, piId(ctx));
