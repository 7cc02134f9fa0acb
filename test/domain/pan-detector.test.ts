/**
 * The one card-number detector (src/domain/pan-detector.ts): every spelling of a card number is found,
 * redaction leaves none, ordinary numbers are left alone, and no second "contains a card number" rule
 * appears anywhere in src/ or the suite's log scan.
 */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { instrumentIdentifierId, numericId } from '../../src/domain/ids.ts';
import {
  containsCardNumber,
  findCardNumbers,
  isFreeOfCardNumbers,
  REDACTED_CARD_NUMBER,
  redactCardNumbers,
} from '../../src/domain/pan-detector.ts';
import { luhnCheckDigit } from '../helpers/luhn-oracle.ts';

/** Every Luhn-valid number of 12 to 19 digits (leading zeros included: they are found too). */
const luhnNumber = fc
  .integer({ min: 11, max: 18 })
  .chain((n) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n }))
  .map((ds) => {
    const body = ds.join('');
    return body + luhnCheckDigit(body);
  });

const hex = (c: string) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
const LITERAL_SEPARATORS = [' ', '-', '.', '/', '_', '+', '\t', '\u00a0', '\u2013'];
const separatorUnit = fc.oneof(
  fc.constantFrom(...LITERAL_SEPARATORS),
  fc.constantFrom(' ', '-', '.', '/', '_', '+').chain((c) => fc.constantFrom(hex(c), hex(c).toUpperCase(), `%25${hex(c).slice(1)}`)),
);
const digitSpelling = (d: string) => fc.constantFrom(d, hex(d), `%25${hex(d).slice(1)}`);

/** The number written with separator runs (1 to 3 units) between random chunks, digits optionally %XX. */
const spelled = luhnNumber.chain((digits) =>
  fc
    .tuple(
      fc.tuple(...[...digits].map(digitSpelling)),
      fc.array(fc.boolean(), { minLength: digits.length - 1, maxLength: digits.length - 1 }),
      fc.array(fc.array(separatorUnit, { minLength: 1, maxLength: 3 }), { minLength: digits.length - 1, maxLength: digits.length - 1 }),
    )
    .map(([units, cuts, seps]) => ({
      digits,
      text: units.map((u, i) => (i > 0 && cuts[i - 1] ? (seps[i - 1] as string[]).join('') : '') + u).join(''),
    })),
);

// A character that is no digit, no separator, no hex digit and no '%', so it ends a group for sure: the
// random text around the number can neither extend it nor swallow its first digit into a %XX escape.
const boundary = fc.constantFrom('x', 'z', 'Q', '"', ':', '{', '}', '=', ',', '#', 'é', '€', '\n', '[');
const embedded = fc
  .tuple(fc.string({ maxLength: 30 }), boundary, spelled, boundary, fc.string({ maxLength: 30 }))
  .map(([before, b1, s, b2, after]) => ({
    ...s,
    spelledText: s.text,
    start: before.length + b1.length,
    text: before + b1 + s.text + b2 + after,
  }));

describe('findCardNumbers', () => {
  it('finds every Luhn-valid 12–19 digit number, in any spelling, inside any text', () => {
    fc.assert(
      fc.property(embedded, ({ digits, spelledText, start, text }) => {
        const found = findCardNumbers(text);
        expect(found).toContainEqual({ start, end: start + spelledText.length, digits });
        expect(containsCardNumber(text)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it.each([
    ['digits only', '4000056655665556'],
    ['spaces', 'card 4000 0566 5566 5556 please'],
    ['dashes', '4000-0566-5566-5556'],
    ['dots, slashes and underscores mixed', '4000.0566/5566_5556'],
    ['a spaced dash', '4000 - 0566 - 5566 - 5556'],
    ['percent-encoded spaces', '/v1/cards/4000%200566%205566%205556'],
    ['percent-encoded dashes', '/v1/cards/4000%2D0566%2d5566%2D5556'],
    ['percent-encoded digits', '%34%30%30%30%30%35%36%36%35%35%36%36%35%35%35%36'],
    ['twice-encoded dashes', '/v1/cards/4000%252D0566%252D5566%252D5556'],
    ['thrice-encoded spaces', '4000%25252d0566%25252d5566%25252d5556'],
    ['glued to letters', 'abc4000056655665556xyz'],
    ['in a JSON string', '{"note":"4000 0566 5566 5556"}'],
    ['in a URL path', '/tms/v1/instrumentidentifiers/4000-0566-5566-5556/paymentinstruments'],
    ['after a literal percent sign', 'fee 100%4000056655665556'],
    ['with leading zeros', '004111111111111111'],
    ['after a date', 'on 12/27 4111111111111111'],
    ['a 12-digit Maestro', '501800000009'],
    ['a 19-digit UnionPay', '6271136264806203568'],
  ])('finds a card number written with %s', (_label, text) => {
    expect(containsCardNumber(text)).toBe(true);
  });

  it.each([
    ['an 11-digit number', 'order 12345678901'],
    ['a Luhn-invalid 16-digit number', '4111111111111112'],
    ['a Luhn-invalid 13-digit number in a name', 'Unit 1234567890123'],
    ['a date and a ticket', 'ticket 4711 of 2026-11-21'],
    ['spread digits under 12', '1 2 3 4 5 6 7 8 9 0 1'],
    ['a 20-digit Luhn-valid number', '41111111111111111113'],
    ['digits split by letters', '4111a1111b1111c1111'],
    ['digits split by more than three separators', '400005665 - - 5665556'],
    ['an ISO timestamp', '2026-12-06T18:56:30.123Z'],
    // Identifiers are never read: a hex id or UUID holding a Luhn-valid run of digits is still an id.
    ['a 32-hex id holding a Luhn-valid run', 'OPAY_TOKEN_ab4000056655665556cdef0123456789ab'],
    ['an upper-case hex id', `/tms/v2/customers/${'F4000056655665556'.padEnd(32, 'A')}`],
    ['a UUID whose digits pass Luhn', '12345678-abcd-4566-8566-400005665551'],
    ['a SHA-256 hex digest', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ['empty text', ''],
  ])('finds no card number in %s', (_label, text) => {
    expect(findCardNumbers(text)).toEqual([]);
    expect(redactCardNumbers(text)).toBe(text);
  });
});

it('would find those runs outside an identifier (the identifier examples above are not vacuous)', () => {
  expect(containsCardNumber('ab 4000056655665556 cd')).toBe(true);
  expect(containsCardNumber('x 400005665551 x')).toBe(true);
});

describe('redactCardNumbers', () => {
  it('leaves no detectable card number in text holding one', () => {
    fc.assert(
      fc.property(embedded, ({ text }) => {
        const redacted = redactCardNumbers(text);
        expect(containsCardNumber(redacted)).toBe(false);
        expect(redacted).toContain(REDACTED_CARD_NUMBER);
      }),
      { numRuns: 500 },
    );
  });

  it('leaves no detectable card number in any text at all', () => {
    const digitHeavy = fc.string({ unit: fc.constantFrom(...'0123456789 -./_+%2DFa'), maxLength: 80 });
    const hexHeavy = fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF-%2 '), maxLength: 120 });
    fc.assert(
      fc.property(fc.oneof(digitHeavy, hexHeavy, fc.string({ maxLength: 80 })), (text) => {
        expect(containsCardNumber(redactCardNumbers(text))).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('replaces the number, separators included, and keeps the text around it', () => {
    expect(redactCardNumbers('GET /v1/cards/4000-0566-5566-5556?x=1')).toBe(`GET /v1/cards/${REDACTED_CARD_NUMBER}?x=1`);
    expect(redactCardNumbers('a 4111 1111 1111 1111 b 5555555555554444 c')).toBe(`a ${REDACTED_CARD_NUMBER} b ${REDACTED_CARD_NUMBER} c`);
  });
});

describe('numbers the vault makes up hold no card number, by any scanner', () => {
  it('isFreeOfCardNumbers refuses a Luhn-valid window anywhere, not only the whole run', () => {
    expect(isFreeOfCardNumbers('9411111111111111117')).toBe(false); // 4111111111111111 inside
    expect(isFreeOfCardNumbers('4111111111111111')).toBe(false);
    expect(isFreeOfCardNumbers('7020278683873806956')).toBe(true);
  });

  it('ids, instrument identifiers and 2C2P-length numbers drawn by numericId pass it', () => {
    for (let i = 0; i < 200; i++) {
      expect(isFreeOfCardNumbers(instrumentIdentifierId())).toBe(true);
      expect(isFreeOfCardNumbers(numericId(15, '9'))).toBe(true);
    }
  });
});

describe('one home for the card-number rule (DESIGN §2)', () => {
  const root = path.resolve(import.meta.dirname, '../..');
  const HOME = new Set(['src/domain/pan-detector.ts', 'src/domain/card.ts']);
  // An unanchored digit-run quantifier of 11+ (a "contains a number" scan; an anchored ^[0-9]{13,19}$ is
  // a field's shape, not a scan), or a Luhn check outside the detector and the PAN parser.
  const SECOND_HOME = /(?<!\^)(?:\\d|\[0-9\]|\[\\d\]|\))\{1[1-9]|luhnValid\(/;

  const sources = (dir: string): string[] =>
    fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) => {
      const rel = `${dir}/${e.name}`;
      if (e.isDirectory()) return sources(rel);
      return e.name.endsWith('.ts') ? [rel] : [];
    });

  it('recognises a second home when one is written', () => {
    expect(SECOND_HOME.test('text.match(/\\d{13,19}/g)')).toBe(true);
    expect(SECOND_HOME.test('/[0-9]{12,}/.test(x)')).toBe(true);
    expect(SECOND_HOME.test('/[0-9](?:[ .-]?[0-9]){11,}/')).toBe(true);
    expect(SECOND_HOME.test('if (luhnValid(run))')).toBe(true);
    expect(SECOND_HOME.test('pattern: /^[0-9]{13,19}$/')).toBe(false);
  });

  it('has no card-number scan or Luhn check in src/ or the log scan outside the detector and the PAN parser', () => {
    const files = [...sources('src'), 'test/global-log-scan.ts'];
    expect(files.length).toBeGreaterThan(20);
    const found = files
      .filter((f) => !HOME.has(f))
      .flatMap((f) =>
        fs
          .readFileSync(path.join(root, f), 'utf8')
          .split('\n')
          .flatMap((line, i) => (SECOND_HOME.test(line) ? [`${f}:${i + 1}: ${line.trim()}`] : [])),
      );
    expect(found, `a second "contains a card number" rule; use src/domain/pan-detector.ts:\n${found.join('\n')}`).toEqual([]);
  });
});
