/**
 * The audit writer is the last line before the hash chain, where a card number could never be removed
 * without breaking it: whatever a caller passes, card numbers in the event's text (target, actor, action,
 * detail keys and values) are redacted by the one detector before the event is hashed, so the chain still
 * verifies; ids the vault issues are kept as they are.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { appendAudit } from '../../src/audit/log.ts';
import { instrumentIdentifierId } from '../../src/domain/ids.ts';
import { findCardNumbers, REDACTED_CARD_NUMBER } from '../../src/domain/pan-detector.ts';
import { inTransaction } from '../../src/store/db.ts';
import { createMerchant, makeTestApp, type TestApp } from '../helpers/harness.ts';

let t: TestApp;
let merchantId: string;
beforeAll(async () => {
  t = await makeTestApp();
  merchantId = (await createMerchant(t)).id;
});
afterAll(() => t.close());

const append = (event: Parameters<typeof appendAudit>[1]) =>
  inTransaction(t.vault.store.db, (tx) => appendAudit(tx, event, new Date().toISOString()));

it('redacts a card number in any text field, in any spelling, before hashing; the chain still verifies', async () => {
  const row = await append({
    merchantId,
    actor: 'client:4000 0566 5566 5556',
    action: 'auth.failed',
    target: '4000-0566-5566-5556',
    outcome: 'denied',
    detail: {
      reason: 'the signed header 4000056655665556 is missing',
      encoded: '4000%2D0566%2D5566%2D5556',
      number: 4000056655665556,
      '4111111111111111': 'as a key',
      count: 3,
      flag: true,
      none: null,
    },
  });
  expect(row.target).toBe(REDACTED_CARD_NUMBER);
  expect(row.actor).toBe(`client:${REDACTED_CARD_NUMBER}`);
  expect(JSON.parse(row.detail as string)).toEqual({
    reason: `the signed header ${REDACTED_CARD_NUMBER} is missing`,
    encoded: REDACTED_CARD_NUMBER,
    number: REDACTED_CARD_NUMBER,
    [REDACTED_CARD_NUMBER]: 'as a key',
    count: 3,
    flag: true,
    none: null,
  });
  const stored = await t.vault.store.db.selectFrom('audit_events').selectAll().where('chain', '=', merchantId).execute();
  const text = JSON.stringify(stored.map(({ hash: _h, prev_hash: _p, ...rest }) => rest));
  expect(findCardNumbers(text)).toEqual([]);
  expect(text).not.toContain('4000056655665556');
  expect((await t.vault.audit.verify()).ok).toBe(true);
});

it('keeps tokens and the numeric ids the vault issues as they are', async () => {
  const ii = instrumentIdentifierId();
  const row = await append({ merchantId, actor: 'admin', action: 'card.create', target: ii, detail: { token: 'tok_abc', amount: 150000 } });
  expect(row.target).toBe(ii);
  expect(JSON.parse(row.detail as string)).toEqual({ token: 'tok_abc', amount: 150000 });
});
