/** TMS customer shipping addresses: create, read, update, delete, list. */
import type { AddressView } from '../../../../vault/customers.ts';
import { tmsError, tmsFailure } from '../codes.ts';
import { type Answer, addressOf, type Ctx, checkIfMatch, customerOf, type Handler, paging, param } from '../context.ts';
import { readAddress, tms } from '../fields.ts';
import { customerPath, etag, listJson, shippingAddressJson, tmsId } from '../present.ts';

const addressAnswer = (ctx: Ctx, a: AddressView, status = 200): Answer => ({
  status,
  body: shippingAddressJson(a, ctx.presented),
  etag: etag(a.id, a.version),
});

export const createAddress: Handler = async (ctx) => {
  const id = param(ctx, 'customerId');
  await customerOf(ctx, id);
  const shipTo = readAddress(tms, ctx.body, 'shipTo');
  if (!shipTo || Object.keys(shipTo).length === 0) {
    throw tmsError(400, 'missingFields', 'shipTo is required', [{ name: 'shipTo', location: 'body' }]);
  }
  const r = await ctx.deps.customers.createAddress(ctx.caller, id, shipTo, tms.bool(ctx.body, 'default') === true, { id: tmsId });
  if (!r.ok) throw tmsFailure(r);
  return addressAnswer(ctx, r.value, 201);
};

export const getAddress: Handler = async (ctx) =>
  addressAnswer(ctx, await addressOf(ctx, param(ctx, 'customerId'), param(ctx, 'addressId')));

export const listAddresses: Handler = async (ctx) => {
  const id = param(ctx, 'customerId');
  const { offset, limit } = paging(ctx);
  const r = await ctx.deps.customers.listAddressesAt(ctx.caller, id, offset, limit);
  if (!r.ok) throw tmsFailure(r);
  const items = r.value.items.map((a) => shippingAddressJson(a, ctx.presented));
  return {
    status: 200,
    body: listJson(`${customerPath(id)}/shipping-addresses`, 'shippingAddresses', items, offset, limit, r.value.total),
  };
};

export const patchAddress: Handler = async (ctx) => {
  const customerId = param(ctx, 'customerId');
  const id = param(ctx, 'addressId');
  const current = await addressOf(ctx, customerId, id);
  const ifMatch = checkIfMatch(ctx, id, current.version);
  const shipTo = readAddress(tms, ctx.body, 'shipTo');
  const makeDefault = tms.bool(ctx.body, 'default');
  const r = await ctx.deps.customers.updateAddress(
    ctx.caller,
    customerId,
    id,
    { ...(shipTo ? { address: { ...current.address, ...shipTo } } : {}), ...(makeDefault !== undefined ? { makeDefault } : {}) },
    ifMatch,
  );
  if (!r.ok) throw tmsFailure(r);
  return addressAnswer(ctx, r.value);
};

export const deleteAddress: Handler = async (ctx) => {
  const r = await ctx.deps.customers.deleteAddress(ctx.caller, param(ctx, 'customerId'), param(ctx, 'addressId'), { keepDefault: true });
  if (!r.ok) throw tmsFailure(r);
  return { status: 204 };
};
