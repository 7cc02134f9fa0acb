import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TYPE_CODE } from '../../src/api/gateways/cybersource/card-types.ts';
import {
  type Brand,
  binInfo,
  brandNames,
  detectBrand,
  type Expiry,
  type ExpiryFormat,
  formatExpiry,
  isExpired,
  isTooFarInFuture,
  luhnValid,
  type MaskChar,
  makeExpiry,
  maskPan,
  parseExpiryIsoDate,
  parseExpiryParts,
  parseExpirySlash,
  parseExpiryYYMM,
  parsePan,
} from '../../src/domain/card.ts';
import { withCheckDigit } from '../helpers/luhn-oracle.ts';

const digitString = (min: number, max: number) =>
  fc.array(fc.integer({ min: 0, max: 9 }), { minLength: min, maxLength: max }).map((ds) => ds.join(''));

/**
 * Any canonical PAN: a brand prefix (or 9, which no brand uses) and a length that brand issues, random
 * digits, then the check digit. Written from the published brand rules, independently of the module.
 */
const PREFIX_LENGTHS: readonly [prefix: string, lengths: readonly number[]][] = [
  ['9', [12, 13, 14, 15, 16, 17, 18, 19]],
  ['4', [13, 16, 19]],
  ['51', [16]],
  ['2221', [16]],
  ['34', [15]],
  ['37', [15]],
  ['6011', [16, 17, 18, 19]],
  ['3528', [16, 17, 18, 19]],
  ['36', [14, 15, 16, 17, 18, 19]],
  ['62', [16, 17, 18, 19]],
  ['67', [12, 13, 14, 15, 16, 17, 18, 19]],
];
const validPan = fc
  .constantFrom(...PREFIX_LENGTHS)
  .chain(([prefix, lengths]) =>
    fc
      .constantFrom(...lengths)
      .chain((length) => digitString(length - 1 - prefix.length, length - 1 - prefix.length).map((d) => prefix + d)),
  )
  .map(withCheckDigit);

describe('parsePan accepts the published test numbers of every brand', () => {
  const cases: [pan: string, brand: Brand][] = [
    ['4111111111111111', 'VISA'],
    ['4012888888881881', 'VISA'],
    ['4000000000000010', 'VISA'],
    ['4222222222222', 'VISA'],
    ['5555555555554444', 'MASTERCARD'],
    ['5105105105105100', 'MASTERCARD'],
    ['2223003122003222', 'MASTERCARD'],
    ['378282246310005', 'AMEX'],
    ['371449635398431', 'AMEX'],
    ['6011111111111117', 'DISCOVER'],
    ['6011000990139424', 'DISCOVER'],
    ['3530111333300000', 'JCB'],
    ['3566002020360505', 'JCB'],
    ['30569309025904', 'DINERS'],
    ['38520000023237', 'DINERS'],
    ['36227206271667', 'DINERS'],
    ['6200000000000005', 'UNIONPAY'],
    ['6271136264806203568', 'UNIONPAY'],
    ['6759649826438453', 'MAESTRO'],
    ['6304000000000000', 'MAESTRO'],
    ['5018000000000009', 'MAESTRO'],
  ];
  it.each(cases)('%s is a valid %s', (pan, brand) => {
    expect(parsePan(pan)).toEqual({ ok: true, value: pan });
    expect(luhnValid(pan)).toBe(true);
    expect(detectBrand(pan)).toBe(brand);
    expect(binInfo(pan).brand).toBe(brand);
  });
});

describe('parsePan rejects', () => {
  it.each([
    ['4111111111111112', 'pan_luhn'],
    ['5555555555554445', 'pan_luhn'],
    ['378282246310006', 'pan_luhn'],
    ['41111111111', 'pan_length'], // 11 digits
    ['41111111111111111113', 'pan_length'], // 20 digits, Luhn-valid, so only length can reject it
    ['', 'pan_not_digits'],
    ['4111 1111 1111 1111', 'pan_not_digits'],
    ['4111-1111-1111-1111', 'pan_not_digits'],
    [' 4111111111111111', 'pan_not_digits'],
    ['4111111111111111\n', 'pan_not_digits'],
    ['411111111111111a', 'pan_not_digits'],
    ['abcdefghijklmnop', 'pan_not_digits'],
    ['４１１１１１１１１１１１１１１１', 'pan_not_digits'], // full-width digits
    ['٤١١١١١١١١١١١١١١١', 'pan_not_digits'], // Arabic-Indic digits
    ['-411111111111111', 'pan_not_digits'],
    // One canonical form: leading zeros would spell the same card a second way (dedup bypassed, wrong BIN).
    ['004111111111111111', 'pan_leading_zero'],
    ['04111111111111111', 'pan_leading_zero'],
    ['0000000000000000', 'pan_leading_zero'],
    // Lengths by brand: Visa issues 13, 16 and 19 digits; Amex 15; Mastercard 16.
    [withCheckDigit('41111111111111'), 'pan_length'],
    [withCheckDigit('41111111111111111'), 'pan_length'],
    [withCheckDigit('341111111111111'), 'pan_length'],
    [withCheckDigit('55555555555555'), 'pan_length'],
  ])('%j with %s', (input, error) => {
    expect(parsePan(input)).toMatchObject({ ok: false, error });
  });

  it('checks digits before length, so short junk is not reported as a length problem', () => {
    expect(parsePan('12a')).toMatchObject({ error: 'pan_not_digits' });
  });

  it('checks length before Luhn, so an 11-digit Luhn-valid string is a length problem', () => {
    expect(luhnValid('79927398713')).toBe(true);
    expect(parsePan('79927398713')).toMatchObject({ error: 'pan_length' });
  });
});

describe('luhnValid', () => {
  it('computes the checksum', () => {
    expect(luhnValid('79927398713')).toBe(true);
    expect(luhnValid('79927398710')).toBe(false);
    expect(luhnValid('0')).toBe(true);
    expect(luhnValid('18')).toBe(true);
    expect(luhnValid('19')).toBe(false);
  });
  it('refuses empty and non-digit input rather than treating it as a zero sum', () => {
    expect(luhnValid('')).toBe(false);
    expect(luhnValid('0 0')).toBe(false);
    expect(luhnValid('00a')).toBe(false);
  });
});

describe('parsePan properties', () => {
  it('appending the Luhn check digit to a brand prefix and length makes a valid PAN; any single-digit change breaks it', () => {
    fc.assert(
      fc.property(validPan, fc.nat(), fc.integer({ min: 1, max: 9 }), (pan, posSeed, delta) => {
        expect(parsePan(pan)).toEqual({ ok: true, value: pan });
        const pos = posSeed % pan.length;
        const changed = String((Number(pan[pos]) + delta) % 10);
        const typo = pan.slice(0, pos) + changed + pan.slice(pos + 1);
        // A change in the first six digits may also change the brand (and so the lengths it allows) or
        // make a leading zero; past them only the check digit can catch it.
        expect(parsePan(typo)).toMatchObject(pos >= 6 ? { ok: false, error: 'pan_luhn' } : { ok: false });
      }),
    );
  });

  it('never accepts a string containing a non-digit', () => {
    fc.assert(
      fc.property(
        validPan,
        fc.nat(),
        fc.string({ minLength: 1, maxLength: 1 }).filter((c) => !/[0-9]/.test(c)),
        (pan, at, c) => {
          const i = at % (pan.length + 1);
          expect(parsePan(pan.slice(0, i) + c + pan.slice(i))).toMatchObject({ ok: false, error: 'pan_not_digits' });
        },
      ),
    );
  });
});

describe('detectBrand', () => {
  it.each<[string, Brand]>([
    ['4', 'VISA'],
    ['51', 'MASTERCARD'],
    ['55', 'MASTERCARD'],
    ['2221', 'MASTERCARD'],
    ['2720', 'MASTERCARD'],
    ['2220', 'UNKNOWN'],
    ['2721', 'UNKNOWN'],
    ['34', 'AMEX'],
    ['37', 'AMEX'],
    ['35', 'UNKNOWN'],
    ['6011', 'DISCOVER'],
    ['6012', 'UNKNOWN'],
    ['644', 'DISCOVER'],
    ['649', 'DISCOVER'],
    ['643', 'UNKNOWN'],
    ['65', 'DISCOVER'],
    ['3528', 'JCB'],
    ['3589', 'JCB'],
    ['3527', 'UNKNOWN'],
    ['3590', 'UNKNOWN'],
    ['300', 'DINERS'],
    ['305', 'DINERS'],
    ['306', 'UNKNOWN'],
    ['3095', 'DINERS'],
    ['36', 'DINERS'],
    ['38', 'DINERS'],
    ['39', 'DINERS'],
    ['81', 'UNIONPAY'],
    ['5018', 'MAESTRO'],
    ['5020', 'MAESTRO'],
    ['5038', 'MAESTRO'],
    ['501234', 'MAESTRO'],
    ['56', 'MAESTRO'],
    ['58', 'MAESTRO'],
    ['5893', 'MAESTRO'],
    ['6304', 'MAESTRO'],
    ['639', 'MAESTRO'],
    ['67', 'MAESTRO'],
    ['6759', 'MAESTRO'],
    ['6761', 'MAESTRO'],
    ['6763', 'MAESTRO'],
    ['1', 'UNKNOWN'],
    ['9', 'UNKNOWN'],
    ['', 'UNKNOWN'],
  ])('prefix %s is %s', (prefix, brand) => {
    expect(detectBrand(prefix.padEnd(16, '0'))).toBe(brand);
  });

  it('treats 622126-622925 as Discover (co-branded) and the rest of 62 as UnionPay, at both edges', () => {
    expect(detectBrand('62212500')).toBe('UNIONPAY');
    expect(detectBrand('62212600')).toBe('DISCOVER');
    expect(detectBrand('62292599')).toBe('DISCOVER');
    expect(detectBrand('62292600')).toBe('UNIONPAY');
    expect(detectBrand('620000')).toBe('UNIONPAY');
  });

  it('works on a bare 6- or 8-digit BIN', () => {
    expect(detectBrand('411111')).toBe('VISA');
    expect(detectBrand('37828224')).toBe('AMEX');
    expect(detectBrand('622126')).toBe('DISCOVER');
  });

  it('does not guess a narrow range from a prefix too short to decide it', () => {
    // Four digits cannot say whether 6221xx lies inside 622126-622925, so only the wide 62 range applies.
    expect(detectBrand('6221')).toBe('UNIONPAY');
  });
});

describe('binInfo', () => {
  it('keeps bin8 only for PANs of 16 digits or more', () => {
    expect(binInfo('4111111111111111')).toEqual({
      bin6: '411111',
      bin8: '41111111',
      last4: '1111',
      length: 16,
      brand: 'VISA',
      funding: 'CREDIT',
    });
    expect(binInfo('378282246310005')).toEqual({
      bin6: '378282',
      bin8: null,
      last4: '0005',
      length: 15,
      brand: 'AMEX',
      funding: 'CREDIT',
    });
    expect(binInfo('4222222222222').bin8).toBeNull();
    expect(binInfo('6271136264806203568')).toMatchObject({ bin8: '62711362', last4: '3568', length: 19 });
  });

  it('reports UNKNOWN when the length is one the brand never issues', () => {
    // Amex prefix, 16 digits, Luhn-valid: not a real Amex, and must not be sent to a gateway as 003
    // (parsePan refuses it; binInfo still never names a brand for a length it does not issue).
    const pan = withCheckDigit('341111111111111');
    expect(parsePan(pan)).toMatchObject({ ok: false, error: 'pan_length' });
    expect(detectBrand(pan)).toBe('AMEX');
    expect(binInfo(pan).brand).toBe('UNKNOWN');
    // Visa issues 13, 16 and 19 digits only.
    const visa15 = withCheckDigit('41111111111111');
    expect(binInfo(visa15).brand).toBe('UNKNOWN');
    expect(binInfo('4000000000000000006').brand).toBe('VISA');
  });

  it('accepts a Luhn-valid PAN outside every range as UNKNOWN', () => {
    const pan = withCheckDigit('999999999999999');
    expect(parsePan(pan).ok).toBe(true);
    expect(binInfo(pan)).toMatchObject({ brand: 'UNKNOWN', funding: 'UNKNOWN' });
  });

  it.each([
    ['4026000000000002', 'DEBIT'],
    ['4175000000000001', 'DEBIT'],
    ['4405000000000008', 'DEBIT'],
    ['4508000000000005', 'DEBIT'],
    ['4844000000000000', 'DEBIT'],
    ['4913000000000008', 'DEBIT'],
    ['4917000000000003', 'DEBIT'],
    ['4175010000000000', 'UNKNOWN'], // only 417500 is Electron, not all of 4175
    ['6759649826438453', 'DEBIT'], // Maestro is debit by brand
    ['4111111111111111', 'CREDIT'],
    ['4000000000000010', 'CREDIT'],
    ['5555555555554444', 'CREDIT'],
    ['378282246310005', 'CREDIT'],
    ['4012888888881881', 'UNKNOWN'],
    ['5105105105105100', 'UNKNOWN'],
  ])('funding of %s is %s', (pan, funding) => {
    const fixed = withCheckDigit(pan.slice(0, -1));
    expect(binInfo(fixed).funding).toBe(funding);
  });
});

describe('brandNames', () => {
  it.each<[Brand, string, string, string]>([
    ['VISA', 'Visa', 'visa', '001'],
    ['MASTERCARD', 'Mastercard', 'mastercard', '002'],
    ['AMEX', 'American Express', 'american express', '003'],
    ['DISCOVER', 'Discover', 'discover', '004'],
    ['DINERS', 'Diners Club', 'diners club', '005'],
    ['JCB', 'JCB', 'jcb', '007'],
    ['MAESTRO', 'Maestro', 'maestro', '042'],
    ['UNIONPAY', 'UnionPay', 'unionpay', '062'],
    ['UNKNOWN', 'Unknown', 'unknown', ''],
  ])('%s', (code, display, lower, cybersourceType) => {
    // The Cybersource code moved to the gateway (issue 18): the same facts, each from its one home.
    expect({ ...brandNames(code), cybersourceType: TYPE_CODE[code] }).toEqual({ code, display, lower, cybersourceType });
  });
});

describe('maskPan', () => {
  const visa = { bin6: '411111', last4: '1111', length: 16 };
  it.each<[{ bin6: string; last4: string; length: number }, MaskChar, string]>([
    [visa, 'X', '411111XXXXXX1111'],
    [{ bin6: '516874', last4: '7753', length: 16 }, '*', '516874******7753'],
    [{ bin6: '523244', last4: '0177', length: 16 }, '•', '523244••••••0177'],
    [{ bin6: '378282', last4: '0005', length: 15 }, 'X', '378282XXXXX0005'],
    [{ bin6: '378282', last4: '0005', length: 15 }, '*', '378282*****0005'],
    [{ bin6: '378282', last4: '0005', length: 15 }, '•', '378282•••••0005'],
    [{ bin6: '627113', last4: '3568', length: 19 }, 'X', '627113XXXXXXXXX3568'],
    [{ bin6: '627113', last4: '3568', length: 19 }, '•', '627113•••••••••3568'],
    // Shorter numbers show at most half their digits: the last 4 and the first floor(length / 2) - 4.
    [{ bin6: '305693', last4: '5904', length: 14 }, 'X', '305XXXXXXX5904'],
    [{ bin6: '422222', last4: '2222', length: 13 }, '*', '42*******2222'],
    [{ bin6: '501800', last4: '7750', length: 12 }, '*', '50******7750'],
    [{ bin6: '500000', last4: '0009', length: 12 }, 'X', '50XXXXXX0009'],
  ])('%o with %s', (parts, char, expected) => {
    expect(maskPan(parts, char)).toBe(expected);
  });

  it('throws on corrupt stored parts instead of producing a misleading mask', () => {
    expect(() => maskPan({ ...visa, length: 11 }, 'X')).toThrow(RangeError);
    expect(() => maskPan({ ...visa, length: 20 }, 'X')).toThrow(RangeError);
    expect(() => maskPan({ ...visa, bin6: '41111' }, 'X')).toThrow(RangeError);
    expect(() => maskPan({ ...visa, last4: '11111' }, 'X')).toThrow(RangeError);
  });

  it('has the PAN length and reveals at most the first 6 and last 4 digits, and at most half of them, for any PAN and mask', () => {
    fc.assert(
      fc.property(validPan, fc.constantFrom<MaskChar>('X', '*', '•'), (pan, char) => {
        const masked = maskPan(binInfo(pan), char);
        const head = pan.length >= 15 ? 6 : Math.floor(pan.length / 2) - 4;
        expect(masked).toHaveLength(pan.length);
        expect(masked.slice(0, head)).toBe(pan.slice(0, head));
        expect(masked.slice(-4)).toBe(pan.slice(-4));
        expect(masked.slice(head, -4)).toBe(char.repeat(pan.length - head - 4));
        const shown = masked.replace(/[^0-9]/g, '').length;
        expect(shown).toBeLessThanOrEqual(10);
        if (pan.length < 15) expect(shown).toBeLessThanOrEqual(Math.floor(pan.length / 2));
      }),
    );
  });
});

describe('expiry parsing', () => {
  const okExp = (month: number, year: number) => ({ ok: true, value: { month, year } });

  describe('parseExpirySlash', () => {
    it.each([
      ['12/27', 12, 2027],
      ['01/00', 1, 2000],
      ['09/99', 9, 2099],
      ['12/2027', 12, 2027],
      ['06/2099', 6, 2099],
    ])('%s', (input, month, year) => {
      expect(parseExpirySlash(input)).toEqual(okExp(month, year));
    });
    it.each([
      ['00/27', 'expiry_month'],
      ['13/27', 'expiry_month'],
      ['13/2027', 'expiry_month'],
      ['12/1999', 'expiry_year'],
      ['12/2100', 'expiry_year'],
      ['1/26', 'expiry_format'],
      ['01/6', 'expiry_format'],
      ['01/026', 'expiry_format'],
      ['0126', 'expiry_format'],
      ['01-26', 'expiry_format'],
      ['01 / 26', 'expiry_format'],
      ['01/26 ', 'expiry_format'],
      ['01/26\n', 'expiry_format'],
      ['', 'expiry_format'],
      ['ab/cd', 'expiry_format'],
    ])('%j -> %s', (input, error) => {
      expect(parseExpirySlash(input)).toMatchObject({ ok: false, error });
    });
  });

  describe('parseExpiryParts', () => {
    it.each([
      ['12', '27', 12, 2027],
      ['01', '2030', 1, 2030],
      ['07', '00', 7, 2000],
    ])('%s + %s', (m, y, month, year) => {
      expect(parseExpiryParts(m, y)).toEqual(okExp(month, year));
    });
    it.each([
      ['00', '27', 'expiry_month'],
      ['13', '27', 'expiry_month'],
      ['12', '1999', 'expiry_year'],
      ['12', '2100', 'expiry_year'],
      ['1', '27', 'expiry_format'],
      ['001', '27', 'expiry_format'],
      ['12', '7', 'expiry_format'],
      ['12', '207', 'expiry_format'],
      ['12', '20270', 'expiry_format'],
      ['', '', 'expiry_format'],
      [' 1', '27', 'expiry_format'],
      ['12', '+27', 'expiry_format'],
    ])('%j + %j -> %s', (m, y, error) => {
      expect(parseExpiryParts(m, y)).toMatchObject({ ok: false, error });
    });
  });

  describe('parseExpiryYYMM', () => {
    it('reads the year first', () => {
      expect(parseExpiryYYMM('2712')).toEqual(okExp(12, 2027));
      expect(parseExpiryYYMM('3001')).toEqual(okExp(1, 2030));
      expect(parseExpiryYYMM('0006')).toEqual(okExp(6, 2000));
    });
    it.each([
      ['2700', 'expiry_month'],
      ['2713', 'expiry_month'],
      ['1227x', 'expiry_format'],
      ['271', 'expiry_format'],
      ['27120', 'expiry_format'],
      ['27/12', 'expiry_format'],
      ['', 'expiry_format'],
    ])('%j -> %s', (input, error) => {
      expect(parseExpiryYYMM(input)).toMatchObject({ ok: false, error });
    });
  });

  describe('parseExpiryIsoDate', () => {
    it.each([
      ['2027-12-31', 12, 2027],
      ['2027-12-01', 12, 2027],
      ['2028-02-29', 2, 2028],
      ['2000-02-29', 2, 2000], // divisible by 400: leap
      ['2030-04-30', 4, 2030],
    ])('%s', (input, month, year) => {
      expect(parseExpiryIsoDate(input)).toEqual(okExp(month, year));
    });
    it.each([
      ['2027-02-29', 'expiry_format'],
      ['2028-02-30', 'expiry_format'],
      ['2030-04-31', 'expiry_format'],
      ['2027-12-32', 'expiry_format'],
      ['2027-12-00', 'expiry_format'],
      ['2027-00-10', 'expiry_month'],
      ['2027-13-10', 'expiry_month'],
      ['1999-12-31', 'expiry_year'],
      ['2100-01-01', 'expiry_year'],
      ['2027-1-01', 'expiry_format'],
      ['27-12-31', 'expiry_format'],
      ['2027/12/31', 'expiry_format'],
      ['2027-12-31T00:00:00Z', 'expiry_format'],
      ['', 'expiry_format'],
    ])('%j -> %s', (input, error) => {
      expect(parseExpiryIsoDate(input)).toMatchObject({ ok: false, error });
    });
  });

  describe('makeExpiry', () => {
    it('accepts whole numbers in range', () => {
      expect(makeExpiry(1, 2000)).toEqual(okExp(1, 2000));
      expect(makeExpiry(12, 2099)).toEqual(okExp(12, 2099));
    });
    it.each([
      [0, 2027, 'expiry_month'],
      [13, 2027, 'expiry_month'],
      [1.5, 2027, 'expiry_month'],
      [Number.NaN, 2027, 'expiry_month'],
      [12, 27, 'expiry_year'], // two-digit years must be expanded by the caller, not guessed here
      [12, 1999, 'expiry_year'],
      [12, 2100, 'expiry_year'],
      [12, 2027.5, 'expiry_year'],
      [12, Number.POSITIVE_INFINITY, 'expiry_year'],
    ])('%s/%s -> %s', (month, year, error) => {
      expect(makeExpiry(month, year)).toMatchObject({ ok: false, error });
    });
  });
});

describe('isExpired', () => {
  const exp: Expiry = { month: 12, year: 2027 };
  it('is still valid in the last millisecond of the expiry month (UTC)', () => {
    expect(isExpired(exp, new Date('2027-12-31T23:59:59.999Z'))).toBe(false);
    expect(isExpired(exp, new Date('2027-12-01T00:00:00.000Z'))).toBe(false);
    expect(isExpired(exp, new Date('2020-01-01T00:00:00.000Z'))).toBe(false);
  });
  it('has expired from the first instant of the next month, across a year end', () => {
    expect(isExpired(exp, new Date('2028-01-01T00:00:00.000Z'))).toBe(true);
    expect(isExpired(exp, new Date('2030-06-15T12:00:00.000Z'))).toBe(true);
  });
  it('handles February in a leap year', () => {
    const feb = { month: 2, year: 2028 };
    expect(isExpired(feb, new Date('2028-02-29T23:59:59.999Z'))).toBe(false);
    expect(isExpired(feb, new Date('2028-03-01T00:00:00.000Z'))).toBe(true);
  });
  it('uses UTC, not the local time of the offset in the timestamp', () => {
    // 23:30 on 31 Dec in New York is already January in UTC.
    expect(isExpired(exp, new Date('2027-12-31T23:30:00-05:00'))).toBe(true);
  });
});

describe('isTooFarInFuture', () => {
  const now = new Date('2025-06-15T10:00:00Z');
  it('allows exactly 20 years ahead and refuses one month more', () => {
    expect(isTooFarInFuture({ month: 6, year: 2045 }, now)).toBe(false);
    expect(isTooFarInFuture({ month: 7, year: 2045 }, now)).toBe(true);
    expect(isTooFarInFuture({ month: 1, year: 2046 }, now)).toBe(true);
  });
  it('does not flag ordinary or past expiries', () => {
    expect(isTooFarInFuture({ month: 12, year: 2030 }, now)).toBe(false);
    expect(isTooFarInFuture({ month: 1, year: 2000 }, now)).toBe(false);
  });
});

describe('formatExpiry', () => {
  it.each<[Expiry, ExpiryFormat, string]>([
    [{ month: 3, year: 2027 }, 'MM/YY', '03/27'],
    [{ month: 3, year: 2027 }, 'MMYY', '0327'],
    [{ month: 3, year: 2027 }, 'YYMM', '2703'],
    [{ month: 3, year: 2027 }, 'MM', '03'],
    [{ month: 3, year: 2027 }, 'YY', '27'],
    [{ month: 3, year: 2027 }, 'YYYY', '2027'],
    [{ month: 3, year: 2027 }, 'yyyy-MM-dd', '2027-03-31'],
    [{ month: 4, year: 2027 }, 'yyyy-MM-dd', '2027-04-30'],
    [{ month: 2, year: 2027 }, 'yyyy-MM-dd', '2027-02-28'],
    [{ month: 2, year: 2028 }, 'yyyy-MM-dd', '2028-02-29'],
    [{ month: 12, year: 2005 }, 'MM/YY', '12/05'],
    [{ month: 1, year: 2000 }, 'YYMM', '0001'],
  ])('%o as %s is %s', (exp, format, expected) => {
    expect(formatExpiry(exp, format)).toBe(expected);
  });

  const anyExpiry = fc.record({ month: fc.integer({ min: 1, max: 12 }), year: fc.integer({ min: 2000, max: 2099 }) });
  it.each<[ExpiryFormat, (s: string) => unknown]>([
    ['MM/YY', parseExpirySlash],
    ['YYMM', parseExpiryYYMM],
    ['yyyy-MM-dd', parseExpiryIsoDate],
  ])('%s round trips through its parser', (format, parse) => {
    fc.assert(
      fc.property(anyExpiry, (exp) => {
        expect(parse(formatExpiry(exp, format))).toEqual({ ok: true, value: exp });
      }),
    );
  });

  it('MM and YY round trip through parseExpiryParts', () => {
    fc.assert(
      fc.property(anyExpiry, (exp) => {
        expect(parseExpiryParts(formatExpiry(exp, 'MM'), formatExpiry(exp, 'YY'))).toEqual({ ok: true, value: exp });
        expect(parseExpiryParts(formatExpiry(exp, 'MM'), formatExpiry(exp, 'YYYY'))).toEqual({ ok: true, value: exp });
      }),
    );
  });
});

describe('cvvValid', () => {
  it('wants four CVV digits on Amex and three on every other brand', async () => {
    const { cvvValid } = await import('../../src/domain/card.ts');
    expect(cvvValid('AMEX', '1234')).toBe(true);
    expect(cvvValid('AMEX', '123')).toBe(false);
    expect(cvvValid('VISA', '123')).toBe(true);
    expect(cvvValid('VISA', '1234')).toBe(false);
    expect(cvvValid('MASTERCARD', '12a')).toBe(false);
  });
});
