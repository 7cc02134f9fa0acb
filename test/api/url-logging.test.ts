/**
 * URLs reach the logs as the route template plus redacted parameters (an unmatched one as its redacted
 * path): a card number in a URL, in any spelling, on the native API or any gateway path, appears in no log
 * line. The logs of the real app are scanned with the one card-number detector.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findCardNumbers } from '../../src/domain/pan-detector.ts';
import { createMerchant, makeTestApp, type TestApp } from '../helpers/harness.ts';

let t: TestApp;
let apiKey: string;
beforeAll(async () => {
  t = await makeTestApp({ env: { LOG_LEVEL: 'trace' } });
  apiKey = (await createMerchant(t)).apiKey;
});
afterAll(() => t.close());

const SPELLINGS = [
  '4000056655665556',
  '4000-0566-5566-5556',
  '4000%2D0566%2D5566%2D5556',
  '4000%2d0566%2d5566%2d5556',
  '4000%200566%205566%205556',
  '4000.0566.5566.5556',
  '%34%30%30%30%30%35%36%36%35%35%36%36%35%35%35%36',
  '4000%252D0566%252D5566%252D5556',
];

const PATHS = (n: string): string[] => [
  `/v1/cards/${n}`,
  `/v1/cards/${n}/reveal`,
  `/v1/customers/${n}`,
  `/v1/cards?customer=${n}`,
  `/tms/v1/instrumentidentifiers/${n}`,
  `/tms/v2/customers/${n}/payment-instruments`,
  `/pts/v2/payments/${n}`,
  `/customertoken/3.0/CustomerToken/${n}`,
  `/api/v1/international/token/${n}`,
  `/credit-card/token/${n}`,
  `/ecom/${n}`,
  `/no/such/route/${n}`,
  `/abc${n}xyz`,
];

/** Log lines as objects without the fields that carry clock values (the only long numbers a line may hold). */
function loggedSince(mark: number): { lines: Record<string, unknown>[]; text: string } {
  const lines = t.logs.slice(mark).map((l) => JSON.parse(l) as Record<string, unknown>);
  const text = lines.map(({ time: _t, responseTime: _r, ...rest }) => JSON.stringify(rest)).join('\n');
  return { lines, text };
}

describe('URL logging', () => {
  it.each(SPELLINGS)('logs no card number for %s in any path, method or API', async (spelled) => {
    const mark = t.logs.length;
    for (const url of PATHS(spelled)) {
      for (const method of ['GET', 'POST', 'DELETE'] as const) {
        await t.app.inject({ method, url, headers: { authorization: `Bearer ${apiKey}` } });
      }
    }
    const { lines, text } = loggedSince(mark);
    expect(lines.length).toBeGreaterThanOrEqual(PATHS(spelled).length * 3);
    expect(findCardNumbers(text)).toEqual([]);
    for (const s of [...new Set([spelled, '4000056655665556', '4000-0566-5566-5556', decodeURIComponent(spelled)])]) {
      expect(text).not.toContain(s);
    }
  });

  it('logs a matched route as its template and its parameters redacted', async () => {
    const mark = t.logs.length;
    await t.app.inject({ method: 'GET', url: '/v1/cards/4000-0566-5566-5556', headers: { authorization: `Bearer ${apiKey}` } });
    await t.app.inject({ method: 'GET', url: '/v1/cards/tok_notacard', headers: { authorization: `Bearer ${apiKey}` } });
    const reqs = loggedSince(mark).lines.map((l) => l.req);
    expect(reqs).toContainEqual(expect.objectContaining({ method: 'GET', url: '/v1/cards/:token', params: { token: '[card number]' } }));
    // Parameters that are no card number are logged as they are, so the line still says what was asked.
    expect(reqs).toContainEqual(expect.objectContaining({ url: '/v1/cards/:token', params: { token: 'tok_notacard' } }));
  });

  it('logs an unmatched URL as its redacted path, without the query', async () => {
    const mark = t.logs.length;
    await t.app.inject({ method: 'GET', url: '/nowhere/4000%200566%205566%205556/x?q=4111111111111111' });
    const reqs = loggedSince(mark).lines.map((l) => l.req);
    expect(reqs).toContainEqual(expect.objectContaining({ method: 'GET', url: '/nowhere/[card number]/x' }));
  });
});
