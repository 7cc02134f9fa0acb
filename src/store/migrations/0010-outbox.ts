import type { Kysely } from 'kysely';

// Issue 20. The outbox: deliveries to a merchant's URL (AlliancePay callbacks first), each written in the same
// transaction as the outcome it reports and delivered by a loop on any instance, which claims a row by moving
// `claimed_until` forward (vault/outbox.ts). And a follow-on call's own merchant reference (an AlliancePay
// refund's merchantRequestId), so it can be read back by it.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('outbox')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('topic', 'text', (c) => c.notNull())
    .addColumn('payment_id', 'text')
    .addColumn('event_id', 'text')
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('options', 'text')
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('next_attempt_at', 'text', (c) => c.notNull())
    .addColumn('claimed_until', 'text')
    .addColumn('claim', 'text')
    .addColumn('last_result', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('outbox_due').on('outbox').columns(['state', 'next_attempt_at']).execute();
  await db.schema.createIndex('outbox_merchant').on('outbox').columns(['merchant_id', 'created_at']).execute();
  await db.schema.alterTable('payment_events').addColumn('reference', 'text').execute();
  await db.schema.createIndex('payment_events_reference').on('payment_events').column('reference').execute();
}
