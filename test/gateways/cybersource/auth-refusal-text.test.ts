/**
 * A refused Cybersource authentication is logged, audited (in the merchant's hash chain) and answered with a
 * fixed reason: a Signature header whose headers="…" list names a card number, or any header the request
 * does not carry, is refused without quoting the name anywhere.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findCardNumbers } from '../../../src/domain/pan-detector.ts';
import { createMerchant, makeTestApp, type TestApp, type TestMerchant } from '../../helpers/harness.ts';
import { type CybsClient, cybs, expectAuthFailed } from './helpers.ts';

let t: TestApp;
let m: TestMerchant;
let sig: CybsClient;
beforeAll(async () => {
  t = await makeTestApp({ env: { LOG_LEVEL: 'trace' } });
  m = await createMerchant(t);
  sig = cybs(t, m);
});
afterAll(() => t.close());

const auditText = async () =>
  JSON.stringify(
    await t.vault.store.db.selectFrom('audit_events').select(['actor', 'action', 'target', 'detail']).where('chain', '=', m.id).execute(),
  );

describe('Cybersource Signature refusals quote nothing the client sent', () => {
  it.each([
    ['a card number', '4000056655665556'],
    ['a card number with dashes', '4000-0566-5566-5556'],
    ['an unexpected header name', 'x-unexpected-header-name'],
  ])('headers="…" naming %s: 401 with a fixed reason, in no response, log line or audit event', async (_label, name) => {
    const mark = t.logs.length;
    const res = await sig.get(`/tms/v2/customers/${'A'.repeat(32)}`, {
      headerList: ['host', 'date', 'request-target', 'v-c-merchant-id', name],
    });
    expectAuthFailed(res);
    expect(res.json.errors[0].message).toBe('Authentication Failed: a signed header is missing from the request');
    const logs = t.logs.slice(mark).join('\n');
    const audit = await auditText();
    for (const text of [res.body, logs, audit]) expect(text).not.toContain(name);
    expect(logs).toContain('a signed header is missing from the request');
    expect(audit).toContain('a_signed_header_is_missing_from_the_request');
    const scanned = t.logs
      .slice(mark)
      .map((l) => {
        const { time: _t, responseTime: _r, ...rest } = JSON.parse(l) as Record<string, unknown>;
        return JSON.stringify(rest);
      })
      .join('\n');
    expect(findCardNumbers(scanned)).toEqual([]);
  });
});
