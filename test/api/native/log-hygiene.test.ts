/** DESIGN §6: no card number, key or secret in any log line — checked on the logs of real traffic. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findCardNumbers } from '../../../src/domain/pan-detector.ts';
import { AMEX, client, createMerchant, futureYear, MASTERCARD, makeTestApp, type TestApp, VISA } from '../../helpers/harness.ts';

let t: TestApp;

beforeAll(async () => {
  t = await makeTestApp({ env: { LOG_LEVEL: 'trace' } });
});
afterAll(() => t.close());

describe('log hygiene', () => {
  it('writes no card number, API key or gateway secret to the logs, whatever the request does', async () => {
    const m = await createMerchant(t);
    const c = client(t, m.apiKey);
    await c.post('/v1/cards', { number: VISA, expMonth: 12, expYear: futureYear() });
    await c.post('/v1/cards', { number: MASTERCARD, expMonth: 12, expYear: 2001 });
    await c.post('/v1/cards', { number: AMEX, expMonth: 13, expYear: futureYear() });
    await c.post('/v1/cards', { number: VISA, expMonth: 12, expYear: futureYear(), cvv: '1234' });
    await c.get(`/v1/cards/${VISA}`);
    await c.get(`/v1/cards?customer=${MASTERCARD}`);
    await t.app.inject({
      method: 'POST',
      url: '/v1/cards',
      headers: { authorization: `Bearer ${m.apiKey}`, 'content-type': 'application/json' },
      payload: `{"number":"${VISA}",`,
    });

    const logs = t.logs.join('\n');
    expect(logs.length).toBeGreaterThan(0);
    // Timestamps and durations are the only long numbers a log line may carry; scan everything else.
    const scanned = t.logs
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .map(({ time, responseTime, ...rest }) => JSON.stringify(rest))
      .join('\n');
    expect(findCardNumbers(scanned)).toEqual([]);
    const g = m.credentials.gateways as Record<string, Record<string, unknown>>;
    for (const secret of [m.apiKey, g.cybersource?.sharedSecret, g.opay?.secretKey, g.appotapay?.secretKey]) {
      expect(logs).not.toContain(secret as string);
    }
  });
});
