/** What a merchant owns and its audit chain's length: a replay that "changes nothing" leaves both as they were. */
import type { TestApp } from './harness.ts';

export async function merchantCounts(t: TestApp, merchantId: string): Promise<Record<string, number>> {
  const db = t.vault.store.db;
  const count = async (table: 'customers' | 'cards' | 'payments' | 'audit_events') => {
    const q = db.selectFrom(table).select((e) => e.fn.countAll().as('n'));
    const row = await (table === 'audit_events'
      ? q.where('chain', '=', merchantId)
      : q.where('merchant_id', '=', merchantId)
    ).executeTakeFirstOrThrow();
    return Number(row.n);
  };
  return {
    customers: await count('customers'),
    cards: await count('cards'),
    payments: await count('payments'),
    auditEvents: await count('audit_events'),
  };
}
