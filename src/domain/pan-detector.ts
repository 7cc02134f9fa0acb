/**
 * The one card-number detector (DESIGN §2, "one home per rule"): refusals of free text, redaction of
 * client text in refusals, URL logging, the audit writer and the test suite's log scan all call this.
 *
 * What counts as a card number, in any text:
 * - Digits are ASCII digits or their percent-encodings (%30–%39), also encoded more than once (%2534).
 * - A chunk is a run of adjacent digits. Chunks separated by at most MAX_SEPARATORS separator characters
 *   (whitespace, - . _ / +, Unicode dashes, or their percent-encodings such as %20 %2D %2E %2F %5F %2B, %252D)
 *   form one group, so `4000 0566 5566 5556`, `4000-0566_5566.5556` and `4000%200566%205566%205556` are
 *   one group of 16 digits. Anything else (letters, quotes, colons, commas) ends a group, so a number is
 *   found inside longer text (`abc4000056655665556xyz`, a JSON string, a URL path).
 * - Identifiers are not read: digits inside a UUID, or inside a run of 24 or more hex characters holding a
 *   letter (the vault's own hex ids, hashes, key ids), are never part of a card number. Such a run is never
 *   a number someone wrote, and reading it would redact random ids by chance (a 32-hex id holds a Luhn-valid
 *   run of 12+ digits about one time in 400), which no log, audit event or test could rely on. A number
 *   written by a person is at most 21 hex characters long (19 digits after a %XX escape), so none is skipped.
 * - A card number is one or more consecutive whole chunks of a group holding 12 to 19 digits together
 *   (PAN lengths, parsePan's range) that pass the Luhn check. Leading zeros count as digits, so
 *   `004111111111111111` is found too.
 *
 * Whole chunks, not every window of digits: a window test flags nearly every long numeric id (an 18-digit
 * id has ~40 windows, one of which passes Luhn almost surely), which would mask the vault's own ids in
 * logs and the audit chain. Digits glued to a card number with no separator (`94111111111111111`) make a
 * different number and are not found; nothing could tell them apart from an ordinary long number.
 *
 * Redaction uses the same rule: each card number found is replaced, whole chunks and the separators
 * between them, by REDACTED_CARD_NUMBER, which holds no digit or separator, so redacted text holds no
 * card number by this rule.
 */
import { luhnValid } from './card.ts';

export const CARD_NUMBER_MIN_DIGITS = 12;
export const CARD_NUMBER_MAX_DIGITS = 19;
/** Separator characters tolerated between two chunks of one card number (`4000 - 0566` is three). */
export const MAX_SEPARATORS = 3;
/** What a redacted card number reads as. */
export const REDACTED_CARD_NUMBER = '[card number]';

export interface CardNumberMatch {
  /** Offsets in the text: text.slice(start, end) is the number as written, separators included. */
  start: number;
  end: number;
  /** The digits alone. */
  digits: string;
}

const SEPARATOR = /^[\s\-._/+\u2010-\u2015\u2212]$/u;
/** %XX, also encoded again any number of times (%25XX, %2525XX: a URL decoded once still holds %XX). */
const ESCAPE = /^%(?:25)*([0-9A-Fa-f]{2})/;

interface Chunk {
  start: number;
  end: number;
  digits: string;
}

type Unit = { kind: 'digit'; digit: string; length: number } | { kind: 'separator' | 'other'; length: number };

function unitAt(text: string, i: number, decodePercent: boolean): Unit {
  const c = text.charCodeAt(i);
  if (c >= 48 && c <= 57) return { kind: 'digit', digit: text[i] as string, length: 1 };
  if (decodePercent && c === 37 /* % */) {
    const encoded = ESCAPE.exec(text.slice(i, i + 64));
    if (encoded) {
      const ch = String.fromCharCode(Number.parseInt(encoded[1] as string, 16));
      if (ch >= '0' && ch <= '9') return { kind: 'digit', digit: ch, length: encoded[0].length };
      return { kind: SEPARATOR.test(ch) ? 'separator' : 'other', length: encoded[0].length };
    }
  }
  // A code point, so a surrogate pair is one unit.
  const ch = String.fromCodePoint(text.codePointAt(i) as number);
  return { kind: SEPARATOR.test(ch) ? 'separator' : 'other', length: ch.length };
}

const IDENTIFIER = /[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}|[0-9A-Fa-f]{24,}/g;
const HEX_LETTER = /[A-Fa-f]/;

/** Where UUIDs and long hex identifiers sit, as [start, end) ranges in text order. */
function identifierRanges(text: string): [start: number, end: number][] {
  const ranges: [number, number][] = [];
  for (const m of text.matchAll(IDENTIFIER)) {
    if (m[0].includes('-') || HEX_LETTER.test(m[0])) ranges.push([m.index, m.index + m[0].length]);
  }
  return ranges;
}

/** Groups of chunks, in text order, reading %XX as the character it encodes or as three plain characters. */
function groups(text: string, decodePercent: boolean, identifiers: [number, number][]): Chunk[][] {
  const out: Chunk[][] = [];
  let group: Chunk[] = [];
  let chunk: Chunk | null = null;
  let separators = 0;
  const endGroup = () => {
    if (group.length > 0) out.push(group);
    group = [];
  };
  let next = 0;
  for (let i = 0; i < text.length; ) {
    while (next < identifiers.length && (identifiers[next] as [number, number])[1] <= i) next++;
    const identifier = identifiers[next];
    if (identifier && identifier[0] <= i) {
      // An identifier reads as one character that is no digit and no separator.
      chunk = null;
      endGroup();
      separators = 0;
      i = identifier[1];
      continue;
    }
    const u = unitAt(text, i, decodePercent);
    if (u.kind === 'digit') {
      if (chunk === null) {
        if (separators > MAX_SEPARATORS) endGroup();
        chunk = { start: i, end: i + u.length, digits: u.digit };
        group.push(chunk);
      } else {
        chunk.digits += u.digit;
        chunk.end = i + u.length;
      }
      separators = 0;
    } else {
      chunk = null;
      if (u.kind === 'separator') separators++;
      else {
        endGroup();
        separators = 0;
      }
    }
    i += u.length;
  }
  endGroup();
  return out;
}

/**
 * Every card number in the text, in text order; matches may overlap where chunks can be read two ways.
 * The text is read twice, with %XX decoded and as written, because a literal % before a number
 * (`100%4111…`) would otherwise swallow its first digit as an escape.
 */
export function findCardNumbers(text: string): CardNumberMatch[] {
  const found = new Map<string, CardNumberMatch>();
  const identifiers = identifierRanges(text);
  for (const decodePercent of text.includes('%') ? [true, false] : [false]) {
    for (const group of groups(text, decodePercent, identifiers)) {
      for (let i = 0; i < group.length; i++) {
        let digits = '';
        for (let j = i; j < group.length; j++) {
          digits += (group[j] as Chunk).digits;
          if (digits.length > CARD_NUMBER_MAX_DIGITS) break;
          if (digits.length >= CARD_NUMBER_MIN_DIGITS && luhnValid(digits)) {
            const m = { start: (group[i] as Chunk).start, end: (group[j] as Chunk).end, digits };
            found.set(`${m.start}:${m.end}`, m);
          }
        }
      }
    }
  }
  return [...found.values()].sort((a, b) => a.start - b.start || a.end - b.end);
}

/** Whether the text holds a card number in any spelling the detector knows. */
export const containsCardNumber = (text: string): boolean => findCardNumbers(text).length > 0;

/** The text with every card number replaced by REDACTED_CARD_NUMBER; text without one comes back unchanged. */
export function redactCardNumbers(text: string): string {
  const found = findCardNumbers(text);
  if (found.length === 0) return text;
  let out = '';
  let at = 0;
  let spanStart = -1;
  let spanEnd = -1;
  for (const m of found) {
    if (spanStart >= 0 && m.start <= spanEnd) {
      spanEnd = Math.max(spanEnd, m.end);
      continue;
    }
    if (spanStart >= 0) {
      out += text.slice(at, spanStart) + REDACTED_CARD_NUMBER;
      at = spanEnd;
    }
    spanStart = m.start;
    spanEnd = m.end;
  }
  out += text.slice(at, spanStart) + REDACTED_CARD_NUMBER + text.slice(spanEnd);
  return out;
}

/**
 * For numbers the vault makes up (instrument and payment ids, 2C2P tokens, gateway merchant ids): true when
 * neither this detector nor a stricter scanner would take any part of them for a card number, i.e. no
 * window of 13 to 19 digits passes Luhn (a DLP tool looking at windows finds nothing) and the whole is not a
 * card number. Callers draw again until it holds (about one draw in twenty for 19 digits).
 */
export function isFreeOfCardNumbers(digits: string): boolean {
  for (let size = 13; size <= Math.min(CARD_NUMBER_MAX_DIGITS, digits.length); size++) {
    for (let start = 0; start + size <= digits.length; start++) if (luhnValid(digits.slice(start, start + size))) return false;
  }
  return !containsCardNumber(digits);
}
