/**
 * Reading Cybersource request bodies: fields are named by their dotted path (`billTo.firstName`), as a
 * refusal names them, and each family refuses in its own shape (TMS `missingFields`/`invalidFields`, PTS
 * `MISSING_FIELD`/`INVALID_DATA`). The checks themselves are the kit's (kit/fields.ts); what is
 * Cybersource's own is the wording, the `min` length, that "" is a value (not an absent field), and that tab,
 * CR and LF are allowed.
 */
import { type Expiry, parseExpiryParts } from '../../../domain/card.ts';
import type { Address } from '../../../vault/cards.ts';
import { type Body, type FieldIssue, fieldReader, isPlainObject } from '../kit/fields.ts';
import { type CybersourceRefusal, ptsError, tmsError } from './codes.ts';

export type Json = Body;

type Kind = 'missing' | 'invalid';

/** How one family words a refused field. */
type Refuse = (kind: Kind, path: string, why: string) => CybersourceRefusal;

// Control characters (NUL included) never belong in these fields; tab, LF and CR may.
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/;

interface StrOptions {
  max: number;
  required?: boolean;
  pattern?: RegExp;
  min?: number;
}

/** Field readers bound to one error style (TMS or PTS). */
export function reader(refuse: Refuse) {
  const why = (issue: FieldIssue): [Kind, string] => {
    switch (issue.kind) {
      case 'missing':
        return ['missing', 'is required'];
      case 'notString':
        return ['invalid', 'must be a string'];
      case 'notObject':
        return ['invalid', 'must be an object'];
      case 'tooShort':
      case 'tooLong':
        return ['invalid', `must be ${issue.min} to ${issue.max} characters`];
      default:
        return ['invalid', 'has an invalid format'];
    }
  };
  const kit = fieldReader((field, issue) => refuse(why(issue)[0], field, why(issue)[1]));

  // A value on the path that is present but not an object ("buyerInformation": "ada") is refused, not skipped.
  const at = (o: Json | undefined, path: string): unknown => {
    let v: unknown = o;
    const keys = path.split('.');
    for (let i = 0; i < keys.length; i++) {
      if (v === undefined || v === null) return undefined;
      if (!isPlainObject(v)) throw refuse('invalid', keys.slice(0, i).join('.'), 'must be an object');
      v = v[keys[i] as string];
    }
    return v;
  };
  const str = (o: Json | undefined, path: string, opts: StrOptions): string | undefined => {
    // "" is a value here (a minimum, 0 unless given, makes the kit hold it to the bounds and the pattern).
    const s = kit.str({ [path]: at(o, path) }, path, {
      min: opts.min ?? 0,
      max: opts.max,
      ...(opts.required ? { required: true } : {}),
      ...(opts.pattern ? { pattern: opts.pattern } : {}),
    });
    if (s !== undefined && CONTROL.test(s)) throw refuse('invalid', path, 'contains control characters');
    return s;
  };
  return {
    at,
    str,
    obj: (o: Json | undefined, path: string): Json | undefined => kit.object({ [path]: at(o, path) }, path),
    bool(o: Json | undefined, path: string): boolean | undefined {
      const v = at(o, path);
      if (v === undefined || v === null) return undefined;
      if (typeof v === 'boolean') return v;
      if (v === 'true' || v === 'false') return v === 'true';
      throw refuse('invalid', path, 'must be true or false');
    },
    strList(o: Json | undefined, path: string, limit: number): string[] | undefined {
      const v = at(o, path);
      if (v === undefined || v === null) return undefined;
      if (!Array.isArray(v) || v.length > limit || v.some((x) => typeof x !== 'string' || x.length > 64)) {
        throw refuse('invalid', path, 'must be a list of strings');
      }
      return v as string[];
    },
    /** Refuses with this family's wording. */
    refuse,
  };
}

export const tms = reader((kind, path, why) =>
  tmsError(400, kind === 'missing' ? 'missingFields' : 'invalidFields', `${path} ${why}`, [{ name: path, location: 'body' }]),
);
export const pts = reader((kind, path, why) => {
  const reason = kind === 'missing' ? 'MISSING_FIELD' : 'INVALID_DATA';
  return ptsError(400, reason, `${path} ${why}`, [{ field: path, reason }]);
});
export type Reader = typeof tms;

/** Expiry from `expirationMonth` "MM" and `expirationYear` "YYYY" (read with `r` at `path`). */
export function readExpiry(r: Reader, o: Json | undefined, path: string, required: boolean): Expiry | undefined {
  const month = r.str(o, `${path}.expirationMonth`, { max: 2, required, pattern: /^[0-9]{1,2}$/ });
  const year = r.str(o, `${path}.expirationYear`, { max: 4, required, pattern: /^[0-9]{4}$/ });
  if (month === undefined && year === undefined) return undefined;
  const field = `${path}.expirationMonth`;
  if (month === undefined || year === undefined) {
    throw r === tms
      ? tmsError(400, 'missingFields', 'expirationMonth and expirationYear go together', [{ name: field, location: 'body' }])
      : ptsError(400, 'MISSING_FIELD', 'expirationMonth and expirationYear go together', [{ field, reason: 'MISSING_FIELD' }]);
  }
  const e = parseExpiryParts(month.padStart(2, '0'), year);
  if (!e.ok) {
    throw r === tms
      ? tmsError(400, 'invalidFields', 'the expiration date is not valid', [{ name: field, location: 'body' }])
      : ptsError(400, 'INVALID_DATA', 'the expiration date is not valid', [{ field, reason: 'INVALID_DATA' }]);
  }
  return e.value;
}

export const ADDRESS_FIELDS: [wire: string, vault: keyof Address, max: number][] = [
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

/** The holder name a billTo gives (first and last name), when it gives one. */
export const holderName = (billTo: Address | undefined): { holderName?: string } =>
  billTo?.firstName || billTo?.lastName ? { holderName: [billTo.firstName, billTo.lastName].filter(Boolean).join(' ') } : {};
