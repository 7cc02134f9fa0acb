/**
 * Cybersource Token Management Service (TMS) and payments (PTS), wire-compatible with the official SDKs
 * (docs/cybersource.md): customers, their payment instruments and shipping addresses, instrument
 * identifiers, standalone payment instruments, unmasked retrieval by message-level encryption, and
 * payments with customer tokens.
 */

import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CompactEncrypt } from 'jose';
import { binInfo, parsePan } from '../../../domain/card.ts';
import type { CardView } from '../../../vault/cards.ts';
import type { AddressView, CustomerView } from '../../../vault/customers.ts';
import { parseJsonBounded } from '../../json.ts';
import { documentWire } from '../../openapi.ts';
import { problemFromError } from '../../problem.ts';
import { type Authenticated, AuthFailure, createCybersourceAuth } from './auth.ts';
import { doc, GONE, NOT_FOUND, ok, type RouteSchema, STALE } from './doc.ts';
import type { Answer, Ctx, CybersourceDeps, Handler } from './handler.ts';
import { registerPts } from './pts.ts';
import * as S from './schemas.ts';
import {
  AUTH_FAILED,
  brandOfType,
  customerJson,
  customerPath,
  ifMatchHolds,
  instrumentJson,
  type Json,
  listJson,
  PtsError,
  paymentInstrumentJson,
  readAddress,
  readExpiry,
  shippingAddressJson,
  TmsError,
  tms,
  tmsFailure,
  tmsId,
  etag as versionTag,
} from './wire.ts';

const ID = /^[A-Za-z0-9_-]{1,64}$/;
const JSON_TYPE = /^application\/(?:[a-z.+-]*\+)?json\b/i;

const notFound = () => new TmsError(404, 'notFound', 'Token not found');

function param(ctx: Ctx, name: string): string {
  const v = ctx.params[name] ?? '';
  if (!ID.test(v)) throw notFound();
  return v;
}

function paging(ctx: Ctx): { offset: number; limit: number } {
  const read = (name: string, dflt: number, min: number, max: number) => {
    const v = ctx.query[name];
    if (v === undefined || v === '') return dflt;
    if (!/^[0-9]{1,9}$/.test(v) || Number(v) < min || Number(v) > max) {
      throw new TmsError(400, 'invalidFields', `${name} must be a whole number from ${min} to ${max}`, [{ name, location: 'query' }]);
    }
    return Number(v);
  };
  return { offset: read('offset', 0, 0, 1_000_000_000), limit: read('limit', 20, 1, 100) };
}

/** The If-Match header of a PATCH against the record's current version: 412 when stale. */
function checkIfMatch(ctx: Ctx, id: string, version: number): number | null {
  const h = ctx.headers['if-match'];
  const held = ifMatchHolds(typeof h === 'string' ? h : undefined, id, version);
  if (held === false) throw new TmsError(412, 'conflict', 'The token was changed since it was read (if-match does not match)');
  return held === true ? version : null;
}

/** Gateway extras kept on a record: only the named objects that are present. */
function extras(body: Json | undefined, keys: string[]): Json {
  const out: Json = {};
  for (const k of keys) {
    const v = tms.obj(body, k);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

const MDI_NAMES = /^(?:data[1-4]|sensitive[1-4])$/;

function readMerchantDefined(body: Json | undefined): Json[] | undefined {
  const v = body?.merchantDefinedInformation;
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.length > 8) {
    throw new TmsError(400, 'invalidFields', 'merchantDefinedInformation must be a list of at most 8 {name, value}', [
      { name: 'merchantDefinedInformation', location: 'body' },
    ]);
  }
  return v.map((item, i) => {
    const path = `merchantDefinedInformation[${i}]`;
    if (!item || typeof item !== 'object' || Array.isArray(item)) {
      throw new TmsError(400, 'invalidFields', `${path} must be an object`, [{ name: path, location: 'body' }]);
    }
    // Keyed by its path, so a refusal names the field as sent (`merchantDefinedInformation[0].name`).
    const at = { [path]: item } as Json;
    const name = tms.str(at, `${path}.name`, { max: 60, required: true, pattern: MDI_NAMES }) as string;
    const value = tms.str(at, `${path}.value`, { max: 100, required: true }) as string;
    return { name, value };
  });
}

export async function registerCybersource(app: FastifyInstance, deps: CybersourceDeps): Promise<void> {
  const { cards, customers } = deps;
  const auth = createCybersourceAuth(deps);

  // ---------------------------------------------------------------------------------------------
  // Reading what the vault holds

  async function liveCard(ctx: Ctx, token: string, customerId?: string): Promise<CardView> {
    const r = await cards.get(ctx.caller, token);
    if (!r.ok || r.value.storedStatus === 'DELETED') throw notFound();
    if (customerId !== undefined && r.value.customerId !== customerId) throw notFound();
    return r.value;
  }

  async function customerOf(ctx: Ctx, id: string): Promise<CustomerView> {
    const r = await customers.get(ctx.caller, id);
    if (!r.ok) throw notFound();
    return r.value;
  }

  async function addressOf(ctx: Ctx, customerId: string, id: string): Promise<AddressView> {
    const r = await customers.getAddress(ctx.caller, customerId, id);
    if (!r.ok) throw notFound();
    return r.value;
  }

  async function customerAnswer(ctx: Ctx, c: CustomerView, status = 200): Promise<Answer> {
    const card = c.defaultCardToken ? await cards.get(ctx.caller, c.defaultCardToken) : null;
    const address = c.defaultAddressId ? await customers.getAddress(ctx.caller, c.id, c.defaultAddressId) : null;
    const embedded = {
      card: card?.ok && card.value.storedStatus !== 'DELETED' ? card.value : null,
      address: address?.ok ? address.value : null,
    };
    const answer: Answer = { status, body: customerJson(c, ctx.presented, embedded), etag: versionTag(c.id, c.version) };
    const pi = embedded.card;
    if (pi) {
      answer.unmask = {
        instrumentId: pi.instrumentId,
        build: (pan) => customerJson(c, { ...ctx.presented, pans: new Map([[pi.instrumentId, pan]]) }, embedded),
      };
    }
    return answer;
  }

  function cardAnswer(ctx: Ctx, c: CardView, style: 'customer' | 'standalone', status = 200): Answer {
    return {
      status,
      body: paymentInstrumentJson(c, ctx.presented, style),
      etag: versionTag(c.token, c.version),
      unmask: {
        instrumentId: c.instrumentId,
        build: (pan) => paymentInstrumentJson(c, { ...ctx.presented, pans: new Map([[c.instrumentId, pan]]) }, style),
      },
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Customers

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
    return { merchantCustomerID, email, kept };
  }

  const createCustomer: Handler = async (ctx) => {
    const { merchantCustomerID, email, kept } = customerInput(ctx.body);
    const r = await customers.create(
      ctx.caller,
      {
        ...(merchantCustomerID !== undefined ? { customerId: merchantCustomerID } : {}),
        ...(email !== undefined ? { email } : {}),
        attributes: { cybersource: JSON.stringify(kept) },
      },
      { id: tmsId },
    );
    if (!r.ok) throw tmsFailure(r);
    return customerAnswer(ctx, r.value, 201);
  };

  const getCustomer: Handler = async (ctx) => customerAnswer(ctx, await customerOf(ctx, param(ctx, 'customerId')));

  const patchCustomer: Handler = async (ctx) => {
    const id = param(ctx, 'customerId');
    const current = await customerOf(ctx, id);
    const ifMatch = checkIfMatch(ctx, id, current.version);
    const { merchantCustomerID, email, kept } = customerInput(ctx.body);
    tms.obj(ctx.body, 'defaultPaymentInstrument');
    tms.obj(ctx.body, 'defaultShippingAddress');
    const defaultPi = tms.str(ctx.body, 'defaultPaymentInstrument.id', { max: 64, pattern: ID });
    const defaultSa = tms.str(ctx.body, 'defaultShippingAddress.id', { max: 64, pattern: ID });
    // References first, so a PATCH naming a missing token changes nothing.
    if (defaultPi !== undefined) {
      const card = await cards.get(ctx.caller, defaultPi);
      if (!card.ok || card.value.storedStatus === 'DELETED' || card.value.customerId !== id) {
        throw new TmsError(424, 'notFound', 'The payment instrument to make default was not found', [
          { name: 'defaultPaymentInstrument.id', location: 'body' },
        ]);
      }
    }
    if (defaultSa !== undefined && !(await customers.getAddress(ctx.caller, id, defaultSa)).ok) {
      throw new TmsError(424, 'notFound', 'The shipping address to make default was not found', [
        { name: 'defaultShippingAddress.id', location: 'body' },
      ]);
    }
    const merged = { ...JSON.parse(current.attributes.cybersource ?? '{}'), ...kept };
    const r = await customers.update(
      ctx.caller,
      id,
      {
        ...(merchantCustomerID !== undefined ? { customerId: merchantCustomerID } : {}),
        ...(email !== undefined ? { email } : {}),
        attributes: { cybersource: JSON.stringify(merged) },
      },
      ifMatch,
    );
    if (!r.ok) throw tmsFailure(r);
    if (defaultPi !== undefined) {
      const d = await cards.update(ctx.caller, defaultPi, { makeDefault: true }, null);
      if (!d.ok) throw tmsFailure(d);
    }
    if (defaultSa !== undefined) {
      const d = await customers.updateAddress(ctx.caller, id, defaultSa, { makeDefault: true }, null);
      if (!d.ok) throw tmsFailure(d);
    }
    return customerAnswer(ctx, await customerOf(ctx, id));
  };

  const deleteCustomer: Handler = async (ctx) => {
    const r = await customers.delete(ctx.caller, param(ctx, 'customerId'), null);
    if (!r.ok) throw tmsFailure(r);
    return { status: 204 };
  };

  // ---------------------------------------------------------------------------------------------
  // Payment instruments

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
      throw new TmsError(400, 'invalidFields', 'card.type does not match the card number', [{ name: 'card.type', location: 'body' }]);
    }
  }

  async function createPaymentInstrument(ctx: Ctx, customerId: string | null): Promise<Answer> {
    const body = ctx.body;
    if (customerId !== null) await customerOf(ctx, customerId);
    const expiry = readExpiry(tms, body, 'card', true);
    const iiId = tms.str(body, 'instrumentIdentifier.id', { max: 64, pattern: ID });
    const number = tms.str(body, 'instrumentIdentifier.card.number', { max: 19, min: 1 });
    if ((iiId === undefined) === (number === undefined)) {
      throw new TmsError(400, 'missingFields', 'give instrumentIdentifier.id or instrumentIdentifier.card.number', [
        { name: 'instrumentIdentifier', location: 'body' },
      ]);
    }
    let brand: string | null = null;
    if (number !== undefined) {
      const pan = parsePan(number);
      if (!pan.ok) {
        throw new TmsError(400, 'invalidFields', 'instrumentIdentifier.card.number is not a valid card number', [
          { name: 'instrumentIdentifier.card.number', location: 'body' },
        ]);
      }
      brand = binInfo(pan.value).brand;
    } else {
      const ii = await cards.getInstrument(ctx.caller, iiId as string);
      if (!ii.ok)
        throw new TmsError(424, 'notFound', 'The instrument identifier was not found', [
          { name: 'instrumentIdentifier.id', location: 'body' },
        ]);
      brand = ii.value.brand;
    }
    checkType(body, brand);
    const billTo = readAddress(tms, body, 'billTo');
    const makeDefault = tms.bool(body, 'default');
    const r = await cards.tokenize(ctx.caller, {
      ...(number !== undefined ? { pan: number } : { instrumentId: iiId as string }),
      expiry: expiry as NonNullable<typeof expiry>,
      customerId,
      ...(billTo ? { billingAddress: billTo } : {}),
      ...(billTo?.firstName || billTo?.lastName ? { holderName: [billTo.firstName, billTo.lastName].filter(Boolean).join(' ') } : {}),
      makeDefault: makeDefault === true,
      attributes: { cybersource: JSON.stringify(piExtras(body, {})) },
      newToken: tmsId,
    });
    if (!r.ok) {
      if (r.error === 'instrument_not_found' || r.error === 'instrument_gone') {
        throw new TmsError(424, 'notFound', 'The instrument identifier was not found', [
          { name: 'instrumentIdentifier.id', location: 'body' },
        ]);
      }
      throw tmsFailure(r, { number: 'instrumentIdentifier.card.number', expiry: 'card.expirationYear', cvv: 'card.securityCode' });
    }
    return cardAnswer(ctx, r.value.card, customerId === null ? 'standalone' : 'customer', 201);
  }

  async function patchPaymentInstrument(ctx: Ctx, token: string, customerId?: string): Promise<Answer> {
    const current = await liveCard(ctx, token, customerId);
    const ifMatch = checkIfMatch(ctx, token, current.version);
    const body = ctx.body;
    const expiry = readExpiry(tms, body, 'card', false);
    checkType(body, current.brand);
    const billTo = readAddress(tms, body, 'billTo');
    const makeDefault = tms.bool(body, 'default');
    if (makeDefault !== undefined && current.customerId === null) {
      throw new TmsError(400, 'invalidFields', 'a payment instrument without a customer cannot be a default', [
        { name: 'default', location: 'body' },
      ]);
    }
    const kept = piExtras(body, JSON.parse(current.attributes.cybersource ?? '{}') as Json);
    const r = await cards.update(
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
    await liveCard(ctx, token, customerId);
    const r = await cards.setStatus(ctx.caller, token, 'DELETED', null, { keepDefault: true });
    if (!r.ok) throw tmsFailure(r);
    return { status: 204 };
  }

  const listCustomerPis: Handler = async (ctx) => {
    const id = param(ctx, 'customerId');
    const { offset, limit } = paging(ctx);
    const r = await cards.listAt(ctx.caller, { customerId: id }, offset, limit);
    if (!r.ok) throw tmsFailure(r);
    const items = r.value.items.map((c) => paymentInstrumentJson(c, ctx.presented, 'customer'));
    return {
      status: 200,
      body: listJson(`${customerPath(id)}/payment-instruments`, 'paymentInstruments', items, offset, limit, r.value.total),
    };
  };

  // ---------------------------------------------------------------------------------------------
  // Shipping addresses

  const createAddress: Handler = async (ctx) => {
    const id = param(ctx, 'customerId');
    await customerOf(ctx, id);
    const shipTo = readAddress(tms, ctx.body, 'shipTo');
    if (!shipTo || Object.keys(shipTo).length === 0) {
      throw new TmsError(400, 'missingFields', 'shipTo is required', [{ name: 'shipTo', location: 'body' }]);
    }
    const r = await customers.createAddress(ctx.caller, id, shipTo, tms.bool(ctx.body, 'default') === true, { id: tmsId });
    if (!r.ok) throw tmsFailure(r);
    return { status: 201, body: shippingAddressJson(r.value, ctx.presented), etag: versionTag(r.value.id, r.value.version) };
  };

  const getAddress: Handler = async (ctx) => {
    const a = await addressOf(ctx, param(ctx, 'customerId'), param(ctx, 'addressId'));
    return { status: 200, body: shippingAddressJson(a, ctx.presented), etag: versionTag(a.id, a.version) };
  };

  const listAddresses: Handler = async (ctx) => {
    const id = param(ctx, 'customerId');
    const { offset, limit } = paging(ctx);
    const r = await customers.listAddressesAt(ctx.caller, id, offset, limit);
    if (!r.ok) throw tmsFailure(r);
    const items = r.value.items.map((a) => shippingAddressJson(a, ctx.presented));
    return {
      status: 200,
      body: listJson(`${customerPath(id)}/shipping-addresses`, 'shippingAddresses', items, offset, limit, r.value.total),
    };
  };

  const patchAddress: Handler = async (ctx) => {
    const customerId = param(ctx, 'customerId');
    const id = param(ctx, 'addressId');
    const current = await addressOf(ctx, customerId, id);
    const ifMatch = checkIfMatch(ctx, id, current.version);
    const shipTo = readAddress(tms, ctx.body, 'shipTo');
    const makeDefault = tms.bool(ctx.body, 'default');
    const r = await customers.updateAddress(
      ctx.caller,
      customerId,
      id,
      { ...(shipTo ? { address: { ...current.address, ...shipTo } } : {}), ...(makeDefault !== undefined ? { makeDefault } : {}) },
      ifMatch,
    );
    if (!r.ok) throw tmsFailure(r);
    return { status: 200, body: shippingAddressJson(r.value, ctx.presented), etag: versionTag(r.value.id, r.value.version) };
  };

  const deleteAddress: Handler = async (ctx) => {
    const r = await customers.deleteAddress(ctx.caller, param(ctx, 'customerId'), param(ctx, 'addressId'), { keepDefault: true });
    if (!r.ok) throw tmsFailure(r);
    return { status: 204 };
  };

  // ---------------------------------------------------------------------------------------------
  // Instrument identifiers

  const II_EXTRAS = ['issuer', 'processingInformation', 'billTo'];

  async function availableInstrument(ctx: Ctx, id: string) {
    const r = await cards.getInstrument(ctx.caller, id);
    if (!r.ok) throw notFound();
    if (!r.value.available) throw tmsFailure({ ok: false, error: 'instrument_gone' });
    return r.value;
  }

  const createInstrument: Handler = async (ctx) => {
    const number = tms.str(ctx.body, 'card.number', { max: 19, min: 1, required: true }) as string;
    readExpiry(tms, ctx.body, 'card', false);
    const kept = extras(ctx.body, II_EXTRAS);
    const r = await cards.createInstrument(ctx.caller, number);
    if (!r.ok) throw tmsFailure(r, { number: 'card.number' });
    let ii = r.value.instrument;
    if (Object.keys(kept).length > 0) {
      const merged = { ...JSON.parse(ii.attributes.cybersource ?? '{}'), ...kept };
      const u = await cards.updateInstrument(ctx.caller, ii.id, { cybersource: JSON.stringify(merged) });
      if (!u.ok) throw tmsFailure(u);
      ii = u.value;
    }
    return instrumentAnswer(ctx, ii, r.value.created ? 201 : 200);
  };

  function instrumentAnswer(ctx: Ctx, ii: Awaited<ReturnType<typeof availableInstrument>>, status = 200): Answer {
    return {
      status,
      body: instrumentJson(ii, ctx.presented),
      etag: versionTag(ii.id, 1),
      unmask: { instrumentId: ii.id, build: (pan) => instrumentJson(ii, { ...ctx.presented, pans: new Map([[ii.id, pan]]) }) },
    };
  }

  const getInstrument: Handler = async (ctx) => instrumentAnswer(ctx, await availableInstrument(ctx, param(ctx, 'instrumentId')));

  const patchInstrument: Handler = async (ctx) => {
    const id = param(ctx, 'instrumentId');
    const current = await availableInstrument(ctx, id);
    const kept = extras(ctx.body, II_EXTRAS);
    const merged = { ...JSON.parse(current.attributes.cybersource ?? '{}'), ...kept };
    const r = await cards.updateInstrument(ctx.caller, id, { cybersource: JSON.stringify(merged) });
    if (!r.ok) throw tmsFailure(r);
    return instrumentAnswer(ctx, r.value);
  };

  const deleteInstrument: Handler = async (ctx) => {
    const r = await cards.deleteInstrument(ctx.caller, param(ctx, 'instrumentId'));
    if (!r.ok) throw tmsFailure(r);
    return { status: 204 };
  };

  const listInstrumentPis: Handler = async (ctx) => {
    const id = param(ctx, 'instrumentId');
    await availableInstrument(ctx, id);
    const { offset, limit } = paging(ctx);
    const r = await cards.listAt(ctx.caller, { instrumentId: id }, offset, limit);
    if (!r.ok) throw tmsFailure(r);
    const items = r.value.items.map((c) => paymentInstrumentJson(c, ctx.presented, 'standalone'));
    return {
      status: 200,
      body: listJson(`/tms/v1/instrumentidentifiers/${id}/paymentinstruments`, 'paymentInstruments', items, offset, limit, r.value.total),
    };
  };

  // ---------------------------------------------------------------------------------------------
  // Wiring

  const c = '/tms/v2/customers/:customerId';
  const C = 'customers';
  const CPI = 'customer payment instruments';
  const CSA = 'customer shipping addresses';
  const II = 'instrument identifiers';
  const PI = 'payment instruments';
  const customerP = { customerId: 'The customer id' };
  const routes: [method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, handler: Handler, schema: RouteSchema][] = [
    [
      'POST',
      '/tms/v2/customers',
      createCustomer,
      doc('postCustomer', 'Create a customer', C, {
        body: S.CreateCustomerRequest,
        response: {
          201: ok('The customer', S.CustomerAnswer),
          409: { description: 'A customer with this merchantCustomerID already exists' },
        },
      }),
    ],
    [
      'GET',
      c,
      getCustomer,
      doc('getCustomer', 'Retrieve a customer', C, {
        description:
          'With its default payment instrument and shipping address embedded. With MLE (`Accept: application/jose` or `v-c-response-mle-kid`) the embedded card number is unmasked.',
        params: customerP,
        response: { 200: ok('The customer', S.CustomerAnswer), 404: NOT_FOUND },
      }),
    ],
    [
      'PATCH',
      c,
      patchCustomer,
      doc('patchCustomer', 'Update a customer', C, {
        description:
          'Changes the fields given; `defaultPaymentInstrument.id` / `defaultShippingAddress.id` change its defaults (checked first: an unknown one changes nothing).',
        params: customerP,
        body: S.PatchCustomerRequest,
        response: {
          200: ok('The customer', S.CustomerAnswer),
          404: NOT_FOUND,
          409: { description: 'Another customer has this merchantCustomerID' },
          412: STALE,
          424: { description: 'The payment instrument or shipping address to make default was not found' },
        },
      }),
    ],
    [
      'DELETE',
      c,
      deleteCustomer,
      doc('deleteCustomer', 'Delete a customer', C, {
        description: 'With its payment instruments and shipping addresses.',
        params: customerP,
        response: { 204: { description: 'Deleted' }, 404: NOT_FOUND },
      }),
    ],
    [
      'POST',
      `${c}/payment-instruments`,
      (ctx) => createPaymentInstrument(ctx, param(ctx, 'customerId')),
      doc('postCustomerPaymentInstrument', 'Create a customer payment instrument', CPI, {
        description:
          'From an existing instrument identifier (`instrumentIdentifier.id`) or a card number (`instrumentIdentifier.card.number`, tokenized). The customer’s first payment instrument becomes its default.',
        params: customerP,
        body: S.CreateCustomerPaymentInstrumentRequest,
        response: {
          201: ok('The payment instrument', S.PaymentInstrumentAnswer),
          404: { description: 'No such customer' },
          424: { description: 'The instrument identifier was not found' },
        },
      }),
    ],
    [
      'GET',
      `${c}/payment-instruments`,
      listCustomerPis,
      doc('getCustomerPaymentInstrumentsList', 'List a customer’s payment instruments', CPI, {
        params: customerP,
        querystring: S.pagingQuery,
        response: {
          200: ok('One page of payment instruments', S.PaymentInstrumentListAnswer, false),
          404: { description: 'No such customer' },
        },
      }),
    ],
    [
      'GET',
      `${c}/payment-instruments/:piId`,
      async (ctx) => cardAnswer(ctx, await liveCard(ctx, param(ctx, 'piId'), param(ctx, 'customerId')), 'customer'),
      doc('getCustomerPaymentInstrument', 'Retrieve a customer payment instrument', CPI, {
        description: 'With MLE the embedded instrument identifier’s card number is unmasked.',
        params: { ...customerP, piId: 'The payment instrument id' },
        response: { 200: ok('The payment instrument', S.PaymentInstrumentAnswer), 404: NOT_FOUND },
      }),
    ],
    [
      'PATCH',
      `${c}/payment-instruments/:piId`,
      (ctx) => patchPaymentInstrument(ctx, param(ctx, 'piId'), param(ctx, 'customerId')),
      doc('patchCustomersPaymentInstrument', 'Update a customer payment instrument', CPI, {
        params: { ...customerP, piId: 'The payment instrument id' },
        body: S.PatchPaymentInstrumentRequest,
        response: { 200: ok('The payment instrument', S.PaymentInstrumentAnswer), 404: NOT_FOUND, 412: STALE },
      }),
    ],
    [
      'DELETE',
      `${c}/payment-instruments/:piId`,
      (ctx) => deletePaymentInstrument(ctx, param(ctx, 'piId'), param(ctx, 'customerId')),
      doc('deleteCustomerPaymentInstrument', 'Delete a customer payment instrument', CPI, {
        params: { ...customerP, piId: 'The payment instrument id' },
        response: {
          204: { description: 'Deleted' },
          404: NOT_FOUND,
          409: { description: 'It is the default while the customer has others: make another the default first' },
        },
      }),
    ],
    [
      'POST',
      `${c}/shipping-addresses`,
      createAddress,
      doc('postCustomerShippingAddress', 'Create a customer shipping address', CSA, {
        description: 'The customer’s first shipping address becomes its default.',
        params: customerP,
        body: S.CreateShippingAddressRequest,
        response: { 201: ok('The shipping address', S.ShippingAddressAnswer), 404: { description: 'No such customer' } },
      }),
    ],
    [
      'GET',
      `${c}/shipping-addresses`,
      listAddresses,
      doc('getCustomerShippingAddressesList', 'List a customer’s shipping addresses', CSA, {
        params: customerP,
        querystring: S.pagingQuery,
        response: {
          200: ok('One page of shipping addresses', S.ShippingAddressListAnswer, false),
          404: { description: 'No such customer' },
        },
      }),
    ],
    [
      'GET',
      `${c}/shipping-addresses/:addressId`,
      getAddress,
      doc('getCustomerShippingAddress', 'Retrieve a customer shipping address', CSA, {
        params: { ...customerP, addressId: 'The shipping address id' },
        response: { 200: ok('The shipping address', S.ShippingAddressAnswer), 404: NOT_FOUND },
      }),
    ],
    [
      'PATCH',
      `${c}/shipping-addresses/:addressId`,
      patchAddress,
      doc('patchCustomersShippingAddress', 'Update a customer shipping address', CSA, {
        params: { ...customerP, addressId: 'The shipping address id' },
        body: S.PatchShippingAddressRequest,
        response: { 200: ok('The shipping address', S.ShippingAddressAnswer), 404: NOT_FOUND, 412: STALE },
      }),
    ],
    [
      'DELETE',
      `${c}/shipping-addresses/:addressId`,
      deleteAddress,
      doc('deleteCustomerShippingAddress', 'Delete a customer shipping address', CSA, {
        params: { ...customerP, addressId: 'The shipping address id' },
        response: {
          204: { description: 'Deleted' },
          404: NOT_FOUND,
          409: { description: 'It is the default while the customer has others: make another the default first' },
        },
      }),
    ],
    [
      'POST',
      '/tms/v1/instrumentidentifiers',
      createInstrument,
      doc('postInstrumentIdentifier', 'Create an instrument identifier', II, {
        description: 'Tokenizes a card number. The same card number always gives the same instrument identifier while it exists.',
        body: S.CreateInstrumentIdentifierRequest,
        response: {
          200: ok('The card number already had this instrument identifier', S.InstrumentIdentifierAnswer),
          201: ok('A new instrument identifier', S.InstrumentIdentifierAnswer),
        },
      }),
    ],
    [
      'GET',
      '/tms/v1/instrumentidentifiers/:instrumentId',
      getInstrument,
      doc('getInstrumentIdentifier', 'Retrieve an instrument identifier', II, {
        description: 'The card number is masked, except inside an MLE answer.',
        params: { instrumentId: 'The instrument identifier id' },
        response: { 200: ok('The instrument identifier', S.InstrumentIdentifierAnswer), 404: NOT_FOUND, 410: GONE },
      }),
    ],
    [
      'PATCH',
      '/tms/v1/instrumentidentifiers/:instrumentId',
      patchInstrument,
      doc('patchInstrumentIdentifier', 'Update an instrument identifier', II, {
        params: { instrumentId: 'The instrument identifier id' },
        body: S.PatchInstrumentIdentifierRequest,
        response: { 200: ok('The instrument identifier', S.InstrumentIdentifierAnswer), 404: NOT_FOUND, 410: GONE },
      }),
    ],
    [
      'DELETE',
      '/tms/v1/instrumentidentifiers/:instrumentId',
      deleteInstrument,
      doc('deleteInstrumentIdentifier', 'Delete an instrument identifier', II, {
        description: 'Destroys its card number. Refused while payment instruments use it.',
        params: { instrumentId: 'The instrument identifier id' },
        response: {
          204: { description: 'Deleted' },
          404: NOT_FOUND,
          409: { description: 'Payment instruments still use it (`instrumentIdentifierDeletionError`)' },
          410: GONE,
        },
      }),
    ],
    [
      'GET',
      '/tms/v1/instrumentidentifiers/:instrumentId/paymentinstruments',
      listInstrumentPis,
      doc('getInstrumentIdentifierPaymentInstrumentsList', 'List the payment instruments of an instrument identifier', II, {
        params: { instrumentId: 'The instrument identifier id' },
        querystring: S.pagingQuery,
        response: { 200: ok('One page of payment instruments', S.InstrumentPaymentInstrumentListAnswer, false), 404: NOT_FOUND, 410: GONE },
      }),
    ],
    [
      'POST',
      '/tms/v1/paymentinstruments',
      (ctx) => createPaymentInstrument(ctx, null),
      doc('postPaymentInstrument', 'Create a payment instrument', PI, {
        description: 'Without a customer; from an existing instrument identifier or a card number.',
        body: S.CreatePaymentInstrumentRequest,
        response: {
          201: ok('The payment instrument', S.StandalonePaymentInstrumentAnswer),
          424: { description: 'The instrument identifier was not found' },
        },
      }),
    ],
    [
      'GET',
      '/tms/v1/paymentinstruments/:piId',
      async (ctx) => cardAnswer(ctx, await liveCard(ctx, param(ctx, 'piId')), 'standalone'),
      doc('getPaymentInstrument', 'Retrieve a payment instrument', PI, {
        description: 'Any of the merchant’s payment instruments, with or without a customer. With MLE the card number is unmasked.',
        params: { piId: 'The payment instrument id' },
        response: { 200: ok('The payment instrument', S.StandalonePaymentInstrumentAnswer), 404: NOT_FOUND },
      }),
    ],
    [
      'PATCH',
      '/tms/v1/paymentinstruments/:piId',
      (ctx) => patchPaymentInstrument(ctx, param(ctx, 'piId')),
      doc('patchPaymentInstrument', 'Update a payment instrument', PI, {
        params: { piId: 'The payment instrument id' },
        body: S.PatchPaymentInstrumentRequest,
        response: { 200: ok('The payment instrument', S.StandalonePaymentInstrumentAnswer), 404: NOT_FOUND, 412: STALE },
      }),
    ],
    [
      'DELETE',
      '/tms/v1/paymentinstruments/:piId',
      (ctx) => deletePaymentInstrument(ctx, param(ctx, 'piId')),
      doc('deletePaymentInstrument', 'Delete a payment instrument', PI, {
        params: { piId: 'The payment instrument id' },
        response: {
          204: { description: 'Deleted' },
          404: NOT_FOUND,
          409: { description: 'It is its customer’s default while the customer has others' },
        },
      }),
    ],
  ];

  deps.guard.renderer('cybersource', (reply, status) => {
    const pts = reply.request.url.startsWith('/pts/');
    if (status === 400) {
      const message = 'The request URL is malformed';
      if (pts) return reply.code(400).send(new PtsError(400, 'INVALID_DATA', message).body(deps.now()));
      return reply.code(400).send(new TmsError(400, 'invalidRequest', message).body());
    }
    const limited = status === 429;
    const message = limited ? 'Too many requests; retry later' : 'The service is unavailable; retry later';
    if (pts) {
      const e = new PtsError(status, limited ? 'TOO_MANY_REQUESTS' : 'SYSTEM_ERROR', message, [], 'SERVER_ERROR');
      return reply.code(status).send(e.body(deps.now()));
    }
    return reply.code(status).send(new TmsError(status, limited ? 'tooManyRequests' : 'serviceUnavailable', message).body());
  });

  app.register(async (scope) => {
    // Bodies stay raw bytes: the digest is checked over exactly what was sent.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    scope.setErrorHandler((err: FastifyError, request, reply) => {
      const p = problemFromError(err, request);
      if (p.code === 'service_unavailable') return deps.guard.refuse('cybersource', reply, 503, 1);
      if (request.url.startsWith('/pts/')) {
        const status = p.status >= 500 ? 502 : p.status;
        const e = new PtsError(
          status,
          p.status >= 500 ? 'SYSTEM_ERROR' : 'INVALID_DATA',
          p.detail ?? p.title,
          [],
          p.status >= 500 ? 'SERVER_ERROR' : 'INVALID_REQUEST',
        );
        return reply.code(status).send(e.body(deps.now()));
      }
      const type = p.status >= 500 ? 'internalError' : p.status === 413 ? 'invalidFields' : 'invalidHeaders';
      return reply.code(p.status).send(new TmsError(p.status, type, p.detail ?? p.title).body());
    });

    const respond = (kind: 'tms' | 'pts', handler: Handler) => async (request: FastifyRequest, reply: FastifyReply) => {
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      try {
        let authenticated: Authenticated;
        try {
          authenticated = await auth.authenticate({ method: request.method, url: request.url, headers: request.headers, body: raw });
        } catch (e) {
          if (!(e instanceof AuthFailure)) throw e;
          request.log.info({ reason: e.message }, 'cybersource authentication refused');
          const scheme =
            request.headers.signature !== undefined ? 'http-signature' : request.headers.authorization !== undefined ? 'jwt' : 'none';
          await deps.guard.authFailed(request, { api: 'cybersource', scheme, reason: e.code, merchantId: e.merchantId });
          return reply.code(401).send(AUTH_FAILED(e.message));
        }
        const { credential } = authenticated;
        if (deps.guard.throttled('cybersource', credential.merchantId, reply)) return reply;
        const ctx: Ctx = {
          caller: { merchantId: credential.merchantId, actor: `cybersource:${credential.credentialId}` },
          auth: authenticated,
          presented: { creator: credential.cybsMerchantId },
          params: request.params as Record<string, string>,
          query: request.query as Record<string, string | undefined>,
          body: parseBody(request, raw, kind),
          headers: request.headers,
        };
        const answer = await handler(ctx);
        return await send(request, reply, ctx, answer, kind);
      } catch (e) {
        if (e instanceof TmsError) return reply.code(e.status).send(e.body());
        if (e instanceof PtsError) return reply.code(e.status).send(e.body(deps.now()));
        throw e;
      }
    };

    documentWire(scope);
    for (const [method, path, handler, schema] of routes) scope.route({ method, url: path, schema, handler: respond('tms', handler) });
    registerPts(scope, deps, (handler) => respond('pts', handler));
  });

  function parseBody(request: FastifyRequest, raw: Buffer, kind: 'tms' | 'pts'): Json | undefined {
    if (request.method === 'GET' || request.method === 'DELETE') return undefined;
    const refuse = (message: string) =>
      kind === 'tms' ? new TmsError(400, 'invalidFields', message) : new PtsError(400, 'INVALID_DATA', message);
    const type = request.headers['content-type'];
    if (raw.length > 0 && (typeof type !== 'string' || !JSON_TYPE.test(type))) {
      throw kind === 'tms'
        ? new TmsError(400, 'invalidHeaders', 'Content-Type must be application/json')
        : refuse('Content-Type must be application/json');
    }
    let parsed: unknown;
    try {
      parsed = raw.length === 0 ? {} : parseJsonBounded(raw.toString('utf8'));
    } catch {
      throw refuse('the body is not valid JSON');
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw refuse('the body must be a JSON object');
    return parsed as Json;
  }

  /**
   * Sends an answer. With `Accept: application/jose`, or the SDK's response-MLE claim, a successful body
   * goes out encrypted to the merchant's MLE key — the only way a full card number leaves here.
   */
  async function send(request: FastifyRequest, reply: FastifyReply, ctx: Ctx, answer: Answer, kind: 'tms' | 'pts') {
    if (answer.etag) reply.header('etag', answer.etag);
    const accept = request.headers.accept ?? '';
    const jose = /application\/jose/i.test(accept);
    const sdkMle = ctx.auth.responseMleKid !== null;
    if ((jose || sdkMle) && answer.body !== undefined && answer.status < 300) {
      const mle = ctx.auth.credential.mle;
      if (!mle) {
        const e = new TmsError(403, 'forbidden', 'Message-level encryption needs an MLE key registered for this merchant');
        return kind === 'tms'
          ? reply.code(403).send(e.body())
          : reply.code(403).send(new PtsError(403, 'INVALID_MERCHANT_CONFIGURATION', e.message).body(deps.now()));
      }
      if (sdkMle && ctx.auth.responseMleKid !== mle.keyId) {
        return reply
          .code(400)
          .send(new TmsError(400, 'invalidHeaders', "v-c-response-mle-kid does not name this merchant's MLE key").body());
      }
      const seal = async (json: Json) =>
        new CompactEncrypt(new TextEncoder().encode(JSON.stringify(json)))
          .setProtectedHeader({
            alg: 'RSA-OAEP-256',
            enc: 'A256GCM',
            cty: 'json',
            typ: 'JWT',
            kid: mle.keyId,
            iat: Math.floor(deps.now().getTime() / 1000),
          })
          .encrypt(mle.publicKey);
      let jwe: string;
      if (answer.unmask && request.method === 'GET') {
        const { instrumentId, build } = answer.unmask;
        const r = await cards.sealPan(ctx.caller, instrumentId, 'cybersource unmasked retrieval', (pan) => seal(build(pan)));
        jwe = r.ok ? r.value : await seal(answer.body);
      } else {
        jwe = await seal(answer.body);
      }
      if (jose && !sdkMle) return reply.code(answer.status).type('application/jose').send(jwe);
      return reply.code(answer.status).type('application/json;charset=utf-8').send({ encryptedResponse: jwe });
    }
    if (answer.body === undefined) return reply.code(answer.status).send();
    return reply.code(answer.status).type('application/json;charset=utf-8').send(answer.body);
  }
}
