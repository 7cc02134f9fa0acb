/**
 * The Luhn check digit, written independently of src/ (domain/card.ts, domain/pan-detector.ts), so tests that
 * make card numbers have their own oracle instead of trusting the code under test.
 */
export function luhnCheckDigit(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    // The check digit will sit to the right, so the rightmost body digit is the one doubled.
    let d = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return String((10 - (sum % 10)) % 10);
}

/** `body` followed by its check digit: a Luhn-valid number. */
export const withCheckDigit = (body: string): string => body + luhnCheckDigit(body);
