/** TMS instrument identifiers (a card number's token): create, read, update, delete, and their payment instruments. */
import type { InstrumentView } from '../../../../vault/cards.ts';
import { bankFieldNames, readBankAccount } from '../bank-accounts.ts';
import { notFound, tmsError, tmsFailure } from '../codes.ts';
import { type Answer, type Ctx, extras, type Handler, mergedAttributes, param } from '../context.ts';
import { readExpiry, tms } from '../fields.ts';
import { etag, instrumentJson } from '../present.ts';
import { listPaymentInstruments } from './payment-instruments.ts';

const II_EXTRAS = ['issuer', 'processingInformation', 'billTo'];

async function availableInstrument(ctx: Ctx, id: string): Promise<InstrumentView> {
  const r = await ctx.deps.cards.getInstrument(ctx.caller, id);
  if (!r.ok) throw notFound();
  if (!r.value.available) throw tmsFailure({ ok: false, error: 'instrument_gone' });
  return r.value;
}

function instrumentAnswer(ctx: Ctx, ii: InstrumentView, status = 200): Answer {
  return {
    status,
    body: instrumentJson(ii, ctx.presented),
    etag: etag(ii.id, 1),
    unmask: { instrumentId: ii.id, build: (pan) => instrumentJson(ii, { ...ctx.presented, pans: new Map([[ii.id, pan]]) }) },
  };
}

/** A card number (`card.number`) or a bank account (`bankAccount{number, routingNumber}`): exactly one. */
async function createIdentifier(ctx: Ctx) {
  const { cards } = ctx.deps;
  const bank = readBankAccount(tms, ctx.body, 'bankAccount');
  if (bank !== undefined) {
    if (tms.at(ctx.body, 'card') !== undefined) {
      throw tmsError(400, 'invalidFields', 'give card or bankAccount, not both', [{ name: 'bankAccount', location: 'body' }]);
    }
    const r = await cards.createBankInstrument(ctx.caller, bank);
    if (!r.ok) throw tmsFailure(r, bankFieldNames('bankAccount'));
    return r.value;
  }
  const number = tms.str(ctx.body, 'card.number', { max: 19, min: 1, required: true }) as string;
  readExpiry(tms, ctx.body, 'card', false);
  const r = await cards.createInstrument(ctx.caller, number);
  if (!r.ok) throw tmsFailure(r, { number: 'card.number' });
  return r.value;
}

export const createInstrument: Handler = async (ctx) => {
  const { cards } = ctx.deps;
  const kept = extras(ctx.body, II_EXTRAS);
  const made = await createIdentifier(ctx);
  let ii = made.instrument;
  if (Object.keys(kept).length > 0) {
    const u = await cards.updateInstrument(ctx.caller, ii.id, mergedAttributes(ii.attributes, kept));
    if (!u.ok) throw tmsFailure(u);
    ii = u.value;
  }
  return instrumentAnswer(ctx, ii, made.created ? 201 : 200);
};

export const getInstrument: Handler = async (ctx) => instrumentAnswer(ctx, await availableInstrument(ctx, param(ctx, 'instrumentId')));

export const patchInstrument: Handler = async (ctx) => {
  const id = param(ctx, 'instrumentId');
  const current = await availableInstrument(ctx, id);
  const kept = extras(ctx.body, II_EXTRAS);
  const r = await ctx.deps.cards.updateInstrument(ctx.caller, id, mergedAttributes(current.attributes, kept));
  if (!r.ok) throw tmsFailure(r);
  return instrumentAnswer(ctx, r.value);
};

export const deleteInstrument: Handler = async (ctx) => {
  const r = await ctx.deps.cards.deleteInstrument(ctx.caller, param(ctx, 'instrumentId'));
  if (!r.ok) throw tmsFailure(r);
  return { status: 204 };
};

export const listInstrumentPaymentInstruments: Handler = async (ctx) => {
  const id = param(ctx, 'instrumentId');
  await availableInstrument(ctx, id);
  return listPaymentInstruments(ctx, { instrumentId: id }, `/tms/v1/instrumentidentifiers/${id}/paymentinstruments`, 'standalone');
};
