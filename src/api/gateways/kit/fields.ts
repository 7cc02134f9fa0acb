/**
 * The one field reader of the gateways. A gateway's wire is read field by field in its own error order
 * (its auth over the raw body first, then fields; Fastify's validator cannot do that), but the checks are the
 * same everywhere: present, a string, not too long, of its format, free of control characters, free of a
 * card number. What differs is only how a fault is worded and coded: the gateway passes `refuse`.
 */
import { containsCardNumber, redactCardNumbers } from '../../../domain/pan-detector.ts';

export type Body = Record<string, unknown>;

/** A JSON object (not null, not an array). */
export const isPlainObject = (v: unknown): v is Body => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Why a field is refused. */
export type FieldIssue =
  | { kind: 'missing' }
  | { kind: 'notString' }
  | { kind: 'notObject' }
  | { kind: 'tooShort'; min: number; max: number }
  | { kind: 'tooLong'; min: number; max: number }
  | { kind: 'format' }
  | { kind: 'control' }
  | { kind: 'cardNumber' }
  /** A field the operation does not have; `field` is the name as sent, with any card number redacted. */
  | { kind: 'unknown' };

export interface StringRule {
  required?: boolean;
  /**
   * The fewest characters (the default: any). Given, even as 0, "" is a value held to it (and to the pattern),
   * not an absent field: some gateways refuse "" where others ignore it.
   */
  min?: number;
  max: number;
  pattern?: RegExp;
  /** Refuse C0 control characters (checked after the pattern). */
  noControl?: boolean;
  /** Refuse text holding a card number: free text is echoed in clear, outside the vault's encryption. */
  noCardNumber?: boolean;
  /** The field's name in a fault (a dotted path such as `billing.email`); the key by default. */
  as?: string;
}

const CONTROL = /[\u0000-\u001f]/;

export interface FieldReader {
  /** A string field: undefined when absent, null or "" (refused if required). */
  str(b: Body, key: string, rule: StringRule): string | undefined;
  /** A required string field. */
  need(b: Body, key: string, rule: Omit<StringRule, 'required'>): string;
  /** A nested object: undefined when absent or null (refused if required); `as` names it in a fault. */
  object(b: Body, key: string, required?: boolean, as?: string): Body | undefined;
  /** Refuses the first key not in `allowed`. */
  only(b: Body, allowed: readonly string[]): void;
}

export function fieldReader(refuse: (field: string, issue: FieldIssue) => Error): FieldReader {
  const str = (b: Body, key: string, rule: StringRule): string | undefined => {
    const v = b[key];
    const name = rule.as ?? key;
    if (v === undefined || v === null || (v === '' && rule.min === undefined)) {
      if (rule.required) throw refuse(name, { kind: 'missing' });
      return undefined;
    }
    if (typeof v !== 'string') throw refuse(name, { kind: 'notString' });
    const min = rule.min ?? 0;
    if (v.length < min) throw refuse(name, { kind: 'tooShort', min, max: rule.max });
    if (v.length > rule.max) throw refuse(name, { kind: 'tooLong', min, max: rule.max });
    if (rule.pattern && !rule.pattern.test(v)) throw refuse(name, { kind: 'format' });
    if (rule.noControl && CONTROL.test(v)) throw refuse(name, { kind: 'control' });
    if (rule.noCardNumber && containsCardNumber(v)) throw refuse(name, { kind: 'cardNumber' });
    return v;
  };
  return {
    str,
    need: (b, key, rule) => str(b, key, { ...rule, required: true }) as string,
    object(b, key, required = false, as = key) {
      const v = b[key];
      if (v === undefined || v === null) {
        if (required) throw refuse(as, { kind: 'missing' });
        return undefined;
      }
      if (!isPlainObject(v)) throw refuse(as, { kind: 'notObject' });
      return v;
    },
    only(b, allowed) {
      for (const k of Object.keys(b)) if (!allowed.includes(k)) throw refuse(redactCardNumbers(k), { kind: 'unknown' });
    },
  };
}
