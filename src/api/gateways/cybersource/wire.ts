/**
 * Cybersource wire shapes: TMS and PTS error bodies, body field readers that refuse with the right
 * error, and the TMS JSON of customers, payment instruments, shipping addresses and instrument
 * identifiers (docs/cybersource.md).
 */
import { createHash, randomBytes } from 'node:crypto';
import { type Brand, brandNames, type Expiry, formatExpiry, maskPan, parseExpiryParts } from '../../../domain/card.ts';
import type { Address, CardView, InstrumentView } from '../../../vault/cards.ts';
import type { AddressView, CustomerView } from '../../../vault/customers.ts';
import type { VaultFailure } from '../../../vault/errors.ts';

/** Ids TMS issues: 32 upper-case hex. */
export const tmsId = (): string => randomBytes(16).toString('hex').toUpperCase();

// ---------------------------------------------------------------------------------------------------
// Errors

export interface TmsDetail {
  name: string;
  location: 'body' | 'path' | 'query' | 'header';
}

/** A TMS refusal: `{errors:[{type, message, details}]}` with its HTTP status. */
export class TmsError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly details: TmsDetail[] = [],
  ) {
    super(message);
  }
  body() {
    return { errors: [{ type: this.type, message: this.message, ...(this.details.length ? { details: this.details } : {}) }] };
  }
}

/** A PTS refusal: `{submitTimeUtc, status, reason, message, details:[{field, reason}]}`. */
export class PtsError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly details: { field: string; reason: string }[] = [],
    readonly statusText = 'INVALID_REQUEST',
  ) {
    super(message);
  }
  body(now: Date) {
    return {
      submitTimeUtc: submitTime(now),
      status: this.statusText,
      reason: this.reason,
      message: this.message,
      ...(this.details.length ? { details: this.details } : {}),
    };
  }
}

export const submitTime = (d: Date): string => `${d.toISOString().slice(0, 19)}Z`;

export const AUTH_FAILED = (why: string) => ({
  errors: [{ type: 'authenticationFailed', message: `Authentication Failed: ${why}` }],
  response: { rmsg: 'Authentication Failed' },
});

/** A vault failure in TMS terms; `fieldNames` maps vault field names to the request's JSON paths. */
export function tmsFailure(f: VaultFailure, fieldNames: Record<string, string> = {}): TmsError {
  const details = (f.fields ?? []).map((x): TmsDetail => ({ name: fieldNames[x.field] ?? x.field, location: 'body' }));
  switch (f.error) {
    case 'customer_not_found':
    case 'card_not_found':
    case 'address_not_found':
    case 'card_deleted':
    case 'instrument_not_found':
      return new TmsError(404, 'notFound', 'Token not found');
    case 'instrument_gone':
      return new TmsError(410, 'notAvailable', 'The instrument identifier is no longer available: it was deleted');
    case 'instrument_in_use':
      return new TmsError(
        409,
        'instrumentIdentifierDeletionError',
        'Action cannot be performed as the InstrumentIdentifier is associated with one or more PaymentInstruments',
      );
    case 'default_in_use':
      return new TmsError(409, 'conflict', f.detail ?? 'The default cannot be deleted while others exist');
    case 'duplicate_customer_id':
      return new TmsError(409, 'conflict', 'A customer with this merchantCustomerID already exists', [
        { name: 'buyerInformation.merchantCustomerID', location: 'body' },
      ]);
    case 'version_mismatch':
      return new TmsError(412, 'conflict', 'The token was changed since it was read (if-match does not match)');
    default:
      return new TmsError(400, 'invalidFields', f.detail ?? 'One or more fields contain invalid data', details);
  }
}

// ---------------------------------------------------------------------------------------------------
// Reading request bodies

export type Json = Record<string, unknown>;

/** Field readers bound to one error style (TMS or PTS). */
export function reader(refuse: (kind: 'missing' | 'invalid', path: string, why: string) => Error) {
  // A value on the path that is present but not an object ("buyerInformation": "ada") is refused, not skipped.
  const at = (o: Json | undefined, path: string): unknown => {
    let v: unknown = o;
    const keys = path.split('.');
    for (let i = 0; i < keys.length; i++) {
      if (v === undefined || v === null) return undefined;
      if (typeof v !== 'object' || Array.isArray(v)) throw refuse('invalid', keys.slice(0, i).join('.'), 'must be an object');
      v = (v as Json)[keys[i] as string];
    }
    return v;
  };
  const api = {
    at,
    obj(o: Json | undefined, path: string): Json | undefined {
      const v = at(o, path);
      if (v === undefined || v === null) return undefined;
      if (typeof v !== 'object' || Array.isArray(v)) throw refuse('invalid', path, 'must be an object');
      return v as Json;
    },
    str(o: Json | undefined, path: string, opts: { max: number; required?: boolean; pattern?: RegExp; min?: number }): string | undefined {
      const v = at(o, path);
      if (v === undefined || v === null) {
        if (opts.required) throw refuse('missing', path, 'is required');
        return undefined;
      }
      if (typeof v !== 'string') throw refuse('invalid', path, 'must be a string');
      if (v.length > opts.max || v.length < (opts.min ?? 0))
        throw refuse('invalid', path, `must be ${opts.min ?? 0} to ${opts.max} characters`);
      if (opts.pattern && !opts.pattern.test(v)) throw refuse('invalid', path, 'has an invalid format');
      // Control characters (NUL included) never belong in these fields.
      if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(v)) throw refuse('invalid', path, 'contains control characters');
      return v;
    },
    bool(o: Json | undefined, path: string): boolean | undefined {
      const v = at(o, path);
      if (v === undefined || v === null) return undefined;
      if (typeof v === 'boolean') return v;
      if (v === 'true' || v === 'false') return v === 'true';
      throw refuse('invalid', path, 'must be true or false');
    },
    strList(o: Json | undefined, path: string, max: number): string[] | undefined {
      const v = at(o, path);
      if (v === undefined || v === null) return undefined;
      if (!Array.isArray(v) || v.length > max || v.some((x) => typeof x !== 'string' || x.length > 64)) {
        throw refuse('invalid', path, 'must be a list of strings');
      }
      return v as string[];
    },
  };
  return api;
}

export const tms = reader(
  (kind, path, why) =>
    new TmsError(400, kind === 'missing' ? 'missingFields' : 'invalidFields', `${path} ${why}`, [{ name: path, location: 'body' }]),
);
export const pts = reader(
  (kind, path, why) =>
    new PtsError(400, kind === 'missing' ? 'MISSING_FIELD' : 'INVALID_DATA', `${path} ${why}`, [
      { field: path, reason: kind === 'missing' ? 'MISSING_FIELD' : 'INVALID_DATA' },
    ]),
);
export type Reader = typeof tms;

// ---------------------------------------------------------------------------------------------------
// Cards

const BRANDS: Brand[] = ['VISA', 'MASTERCARD', 'AMEX', 'DISCOVER', 'DINERS', 'JCB', 'MAESTRO', 'UNIONPAY'];

/** `card.type` spellings: each brand's 3-digit code and lowercase name (domain/card.ts), plus older aliases. */
const TYPE_CODES: Record<string, Brand> = {
  ...Object.fromEntries(BRANDS.flatMap((b) => [[brandNames(b).cybersourceType, b] as const, [brandNames(b).lower, b] as const])),
  '024': 'MAESTRO',
  amex: 'AMEX',
  'china unionpay': 'UNIONPAY',
};

/** Every `card.type` spelling accepted (compared case-insensitively), for the OpenAPI document. */
export const TYPE_NAMES: string[] = Object.keys(TYPE_CODES).sort();

/** The brand a request's `card.type` names (3-digit code or name), or undefined when it names none we know. */
export const brandOfType = (type: string): Brand | undefined => TYPE_CODES[type.toLowerCase()];

/** Expiry from `expirationMonth` "MM" and `expirationYear` "YYYY" (read with `r` at `path`). */
export function readExpiry(r: Reader, o: Json | undefined, path: string, required: boolean): Expiry | undefined {
  const month = r.str(o, `${path}.expirationMonth`, { max: 2, required, pattern: /^[0-9]{1,2}$/ });
  const year = r.str(o, `${path}.expirationYear`, { max: 4, required, pattern: /^[0-9]{4}$/ });
  if (month === undefined && year === undefined) return undefined;
  if (month === undefined || year === undefined) {
    throw r === tms
      ? new TmsError(400, 'missingFields', 'expirationMonth and expirationYear go together', [
          { name: `${path}.expirationMonth`, location: 'body' },
        ])
      : new PtsError(400, 'MISSING_FIELD', 'expirationMonth and expirationYear go together', [
          { field: `${path}.expirationMonth`, reason: 'MISSING_FIELD' },
        ]);
  }
  const e = parseExpiryParts(month.padStart(2, '0'), year);
  if (!e.ok) {
    throw r === tms
      ? new TmsError(400, 'invalidFields', 'the expiration date is not valid', [{ name: `${path}.expirationMonth`, location: 'body' }])
      : new PtsError(400, 'INVALID_DATA', 'the expiration date is not valid', [
          { field: `${path}.expirationMonth`, reason: 'INVALID_DATA' },
        ]);
  }
  return e.value;
}

const ADDRESS_FIELDS: [wire: string, vault: keyof Address, max: number][] = [
  ['firstName', 'firstName', 60],
  ['lastName', 'lastName', 60],
  ['company', 'company', 60],
  ['address1', 'line1', 60],
  ['address2', 'line2', 60],
  ['locality', 'city', 50],
  ['administrativeArea', 'state', 20],
  ['postalCode', 'postalCode', 10],
  ['country', 'country', 2],
  ['email', 'email', 255],
  ['phoneNumber', 'phone', 15],
];

/** A billTo / shipTo object as a vault address (undefined when absent). */
export function readAddress(r: Reader, o: Json | undefined, path: string): Address | undefined {
  const src = r.obj(o, path);
  if (!src) return undefined;
  const out: Address = {};
  for (const [wire, vault, max] of ADDRESS_FIELDS) {
    // Read by its whole path, so a refusal names the field as sent (`billTo.firstName`).
    const v = r.str(o, `${path}.${wire}`, { max, ...(wire === 'country' ? { pattern: /^[A-Za-z]{2}$/ } : {}) });
    if (v !== undefined) out[vault] = wire === 'country' ? v.toUpperCase() : v;
  }
  return out;
}

export function addressJson(a: Address | null): Json | undefined {
  if (!a) return undefined;
  const out: Json = {};
  for (const [wire, vault] of ADDRESS_FIELDS) if (a[vault] !== undefined) out[wire] = a[vault];
  return out;
}

/** The opaque ETag of a record version. */
export const etag = (id: string, version: number): string =>
  `"${createHash('sha256').update(`${id}:${version}`).digest('hex').slice(0, 32)}"`;

/** The If-Match header against a record: undefined when absent, else whether it names this version. */
export function ifMatchHolds(value: string | undefined, id: string, version: number): boolean | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const want = etag(id, version);
  return value.split(',').some((v) => {
    const t = v.trim().replace(/^W\//, '');
    return t === want || `"${t}"` === want || t === '*';
  });
}

// ---------------------------------------------------------------------------------------------------
// Presenters

const href = (path: string) => ({ href: path });
export const customerPath = (id: string) => `/tms/v2/customers/${id}`;

export interface Presented {
  /** Full card numbers by instrument id, only when the caller is entitled to see them (MLE). */
  pans?: Map<string, string>;
  creator: string;
}

const attrs = (a: Record<string, string>, key: string): Json => {
  const text = a[key];
  if (!text) return {};
  try {
    return JSON.parse(text) as Json;
  } catch {
    return {};
  }
};

export function instrumentJson(ii: InstrumentView, p: Presented): Json {
  const base = `/tms/v1/instrumentidentifiers/${ii.id}`;
  const extra = attrs(ii.attributes, 'cybersource');
  const pan = p.pans?.get(ii.id);
  return {
    _links: { self: href(base), paymentInstruments: href(`${base}/paymentinstruments`) },
    id: ii.id,
    object: 'instrumentIdentifier',
    state: 'ACTIVE',
    type: 'enrollable card',
    card: { number: pan ?? maskPan({ bin6: ii.bin6, last4: ii.last4, length: ii.panLength }, 'X') },
    ...(extra.issuer ? { issuer: extra.issuer } : {}),
    ...(extra.processingInformation ? { processingInformation: extra.processingInformation } : {}),
    ...(extra.billTo ? { billTo: extra.billTo } : {}),
    metadata: { creator: p.creator },
  };
}

/** The instrument view a card carries (cards hold the instrument's display fields). */
export const instrumentOfCard = (c: CardView): InstrumentView => ({
  id: c.instrumentId,
  bin6: c.bin6,
  bin8: c.bin8,
  last4: c.last4,
  panLength: c.panLength,
  brand: c.brand,
  funding: c.funding,
  available: true,
  attributes: {},
  createdAt: c.createdAt,
});

export function paymentInstrumentJson(c: CardView, p: Presented, style: 'customer' | 'standalone'): Json {
  const self =
    style === 'customer' && c.customerId
      ? `${customerPath(c.customerId)}/payment-instruments/${c.token}`
      : `/tms/v1/paymentinstruments/${c.token}`;
  const extra = attrs(c.attributes, 'cybersource');
  const card = (extra.card as Json | undefined) ?? {};
  return {
    _links: { self: href(self), ...(c.customerId ? { customer: href(customerPath(c.customerId)) } : {}) },
    id: c.token,
    object: 'paymentInstrument',
    default: c.isDefault,
    state: c.status === 'ACTIVE' || c.status === 'EXPIRED' ? 'ACTIVE' : 'CLOSED',
    type: 'cardHash',
    card: {
      expirationMonth: formatExpiry(c.expiry, 'MM'),
      expirationYear: formatExpiry(c.expiry, 'YYYY'),
      type: brandNames(c.brand).lower,
      ...card,
    },
    ...(extra.buyerInformation ? { buyerInformation: extra.buyerInformation } : {}),
    ...(c.billingAddress ? { billTo: addressJson(c.billingAddress) } : {}),
    ...(extra.processingInformation ? { processingInformation: extra.processingInformation } : {}),
    ...(extra.merchantInformation ? { merchantInformation: extra.merchantInformation } : {}),
    instrumentIdentifier: { id: c.instrumentId },
    metadata: { creator: p.creator },
    _embedded: { instrumentIdentifier: instrumentJson(instrumentOfCard(c), p) },
  };
}

export function shippingAddressJson(a: AddressView, p: Presented): Json {
  return {
    _links: { self: href(`${customerPath(a.customerId)}/shipping-addresses/${a.id}`), customer: href(customerPath(a.customerId)) },
    id: a.id,
    default: a.isDefault,
    shipTo: addressJson(a.address) ?? {},
    metadata: { creator: p.creator },
  };
}

export function customerJson(c: CustomerView, p: Presented, embedded: { card: CardView | null; address: AddressView | null }): Json {
  const extra = attrs(c.attributes, 'cybersource');
  const buyer: Json = {};
  if (c.customerId !== null) buyer.merchantCustomerID = c.customerId;
  if (c.email !== null) buyer.email = c.email;
  const embeddedJson: Json = {};
  if (embedded.card) embeddedJson.defaultPaymentInstrument = paymentInstrumentJson(embedded.card, p, 'customer');
  if (embedded.address) embeddedJson.defaultShippingAddress = shippingAddressJson(embedded.address, p);
  return {
    _links: {
      self: href(customerPath(c.id)),
      paymentInstruments: href(`${customerPath(c.id)}/payment-instruments`),
      shippingAddress: href(`${customerPath(c.id)}/shipping-addresses`),
    },
    id: c.id,
    ...(extra.objectInformation ? { objectInformation: extra.objectInformation } : {}),
    buyerInformation: buyer,
    ...(extra.clientReferenceInformation ? { clientReferenceInformation: extra.clientReferenceInformation } : {}),
    ...(extra.merchantDefinedInformation ? { merchantDefinedInformation: extra.merchantDefinedInformation } : {}),
    ...(embedded.card ? { defaultPaymentInstrument: { id: embedded.card.token } } : {}),
    ...(embedded.address ? { defaultShippingAddress: { id: embedded.address.id } } : {}),
    metadata: { creator: p.creator },
    ...(Object.keys(embeddedJson).length ? { _embedded: embeddedJson } : {}),
  };
}

/** The TMS list envelope over one page. */
export function listJson(path: string, key: string, items: Json[], offset: number, limit: number, total: number): Json {
  const link = (o: number) => href(`${path}?offset=${o}&limit=${limit}`);
  const lastOffset = total === 0 ? 0 : Math.floor((total - 1) / limit) * limit;
  return {
    _links: {
      self: link(offset),
      first: link(0),
      ...(offset > 0 ? { prev: link(Math.max(0, offset - limit)) } : {}),
      ...(offset + limit < total ? { next: link(offset + limit) } : {}),
      last: link(lastOffset),
    },
    offset,
    limit,
    count: items.length,
    total,
    _embedded: { [key]: items },
  };
}
