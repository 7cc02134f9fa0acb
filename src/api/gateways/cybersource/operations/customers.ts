/** TMS customers: create, read (with their defaults embedded), update (fields and defaults), delete. */
import type { CustomerView } from '../../../../vault/customers.ts';
import { liveCard } from '../../kit/cards.ts';
import { isPlainObject } from '../../kit/fields.ts';
import { tmsError, tmsFailure } from '../codes.ts';
import { type Answer, type Ctx, checkIfMatch, customerOf, extras, type Handler, ID, mergedAttributes, param } from '../context.ts';
import { type Json, tms } from '../fields.ts';
import { customerJson, etag, tmsId } from '../present.ts';
import { readPaymentInstrument, writePaymentInstrument } from './payment-instruments.ts';

const MDI_NAMES = /^(?:data[1-4]|sensitive[1-4])$/;

function readMerchantDefined(body: Json | undefined): Json[] | undefined {
  const v = body?.merchantDefinedInformation;
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.length > 8) {
    throw tmsError(400, 'invalidFields', 'merchantDefinedInformation must be a list of at most 8 {name, value}', [
      { name: 'merchantDefinedInformation', location: 'body' },
    ]);
  }
  return v.map((item, i) => {
    const path = `merchantDefinedInformation[${i}]`;
    if (!isPlainObject(item)) throw tmsError(400, 'invalidFields', `${path} must be an object`, [{ name: path, location: 'body' }]);
    // Keyed by its path, so a refusal names the field as sent (`merchantDefinedInformation[0].name`).
    const at = { [path]: item } as Json;
    const name = tms.str(at, `${path}.name`, { max: 60, required: true, pattern: MDI_NAMES }) as string;
    const value = tms.str(at, `${path}.value`, { max: 100, required: true }) as string;
    return { name, value };
  });
}

function customerInput(body: Json | undefined) {
  for (const k of [
    'buyerInformation',
    'clientReferenceInformation',
    'objectInformation',
    'defaultPaymentInstrument',
    'defaultShippingAddress',
  ]) {
    tms.obj(body, k);
  }
  const merchantCustomerID = tms.str(body, 'buyerInformation.merchantCustomerID', { max: 100, min: 1 });
  const email = tms.str(body, 'buyerInformation.email', { max: 255, pattern: /^[^@\s]+@[^@\s]+$/ });
  tms.str(body, 'clientReferenceInformation.code', { max: 50 });
  tms.str(body, 'objectInformation.title', { max: 60 });
  tms.str(body, 'objectInformation.comment', { max: 150 });
  const kept = extras(body, ['objectInformation', 'clientReferenceInformation']);
  const mdi = readMerchantDefined(body);
  if (mdi !== undefined) kept.merchantDefinedInformation = mdi;
  // The merchant's identifier for the customer, not a key: several customers may share it (Cybersource's own
  // samples create many with one value), so it is kept with the Cybersource extras, not as the vault's unique
  // customerId (docs/cybersource.md "merchantCustomerID").
  if (merchantCustomerID !== undefined) kept.merchantCustomerID = merchantCustomerID;
  return {
    kept,
    /** The vault's fields the body sets. */
    fields: email !== undefined ? { email } : {},
  };
}

/** A customer, with its default payment instrument and shipping address embedded (unmasked with MLE). */
export async function customerAnswer(ctx: Ctx, c: CustomerView, status = 200): Promise<Answer> {
  const { cards, customers } = ctx.deps;
  const card = c.defaultCardToken ? await liveCard(cards, ctx.caller, c.defaultCardToken) : null;
  const address = c.defaultAddressId ? await customers.getAddress(ctx.caller, c.id, c.defaultAddressId) : null;
  const embedded = { card, address: address?.ok ? address.value : null };
  const answer: Answer = { status, body: customerJson(c, ctx.presented, embedded), etag: etag(c.id, c.version) };
  const pi = embedded.card;
  if (pi) {
    answer.unmask = {
      instrumentId: pi.instrumentId,
      build: (pan) => customerJson(c, { ...ctx.presented, pans: new Map([[pi.instrumentId, pan]]) }, embedded),
    };
  }
  return answer;
}

/**
 * A customer, and with `paymentInstrument` its first payment instrument in the same call (the eCheck guide
 * creates a customer with a bank account this way; a card works alike). The instrument is read in full
 * first; if it is refused when made, the customer is deleted again, so a refused call leaves nothing.
 */
export const createCustomer: Handler = async (ctx) => {
  const { fields, kept } = customerInput(ctx.body);
  const piBody = tms.obj(ctx.body, 'paymentInstrument');
  const piCtx = piBody ? { ...ctx, body: piBody } : null;
  const plan = piCtx ? await readPaymentInstrument(piCtx) : null;
  const r = await ctx.deps.customers.create(ctx.caller, { ...fields, attributes: { cybersource: JSON.stringify(kept) } }, { id: tmsId });
  if (!r.ok) throw tmsFailure(r);
  if (piCtx && plan) {
    try {
      await writePaymentInstrument(piCtx, plan, r.value.id);
    } catch (e) {
      await ctx.deps.customers.delete(ctx.caller, r.value.id, null);
      throw e;
    }
    const withDefault = await ctx.deps.customers.get(ctx.caller, r.value.id);
    if (withDefault.ok) return customerAnswer(ctx, withDefault.value, 201);
  }
  return customerAnswer(ctx, r.value, 201);
};

export const getCustomer: Handler = async (ctx) => customerAnswer(ctx, await customerOf(ctx, param(ctx, 'customerId')));

/** The defaults a customer PATCH names, checked before anything changes (424 when one is not the customer's). */
async function defaultsNamed(ctx: Ctx, id: string): Promise<{ pi?: string; sa?: string }> {
  const pi = tms.str(ctx.body, 'defaultPaymentInstrument.id', { max: 64, pattern: ID });
  const sa = tms.str(ctx.body, 'defaultShippingAddress.id', { max: 64, pattern: ID });
  if (pi !== undefined && (await liveCard(ctx.deps.cards, ctx.caller, pi))?.customerId !== id) {
    throw tmsError(424, 'notFound', 'The payment instrument to make default was not found', [
      { name: 'defaultPaymentInstrument.id', location: 'body' },
    ]);
  }
  if (sa !== undefined && !(await ctx.deps.customers.getAddress(ctx.caller, id, sa)).ok) {
    throw tmsError(424, 'notFound', 'The shipping address to make default was not found', [
      { name: 'defaultShippingAddress.id', location: 'body' },
    ]);
  }
  return { ...(pi !== undefined ? { pi } : {}), ...(sa !== undefined ? { sa } : {}) };
}

export const patchCustomer: Handler = async (ctx) => {
  const { cards, customers } = ctx.deps;
  const id = param(ctx, 'customerId');
  const current = await customerOf(ctx, id);
  const ifMatch = checkIfMatch(ctx, id, current.version);
  const { fields, kept } = customerInput(ctx.body);
  // References first, so a PATCH naming a missing token changes nothing.
  const defaults = await defaultsNamed(ctx, id);
  const r = await customers.update(ctx.caller, id, { ...fields, attributes: mergedAttributes(current.attributes, kept) }, ifMatch);
  if (!r.ok) throw tmsFailure(r);
  if (defaults.pi !== undefined) {
    const d = await cards.update(ctx.caller, defaults.pi, { makeDefault: true }, null);
    if (!d.ok) throw tmsFailure(d);
  }
  if (defaults.sa !== undefined) {
    const d = await customers.updateAddress(ctx.caller, id, defaults.sa, { makeDefault: true }, null);
    if (!d.ok) throw tmsFailure(d);
  }
  return customerAnswer(ctx, await customerOf(ctx, id));
};

export const deleteCustomer: Handler = async (ctx) => {
  const r = await ctx.deps.customers.delete(ctx.caller, param(ctx, 'customerId'), null);
  if (!r.ok) throw tmsFailure(r);
  return { status: 204 };
};
