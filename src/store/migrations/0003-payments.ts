import type { Kysely } from 'kysely';

// Payments (and credits) with their amounts, and one history row per operation. Amounts are bigint:
// minor units of zero-decimal currencies (VND, JPY) outgrow 32 bits.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('payments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull().references('merchants.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('card_id', 'text', (c) => c.notNull().references('cards.id'))
    .addColumn('customer_id', 'text')
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('amount', 'bigint', (c) => c.notNull())
    .addColumn('authorized_amount', 'bigint', (c) => c.notNull())
    .addColumn('captured_amount', 'bigint', (c) => c.notNull())
    .addColumn('refunded_amount', 'bigint', (c) => c.notNull())
    .addColumn('capture_requested', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('decline_code', 'text')
    .addColumn('processor', 'text', (c) => c.notNull())
    .addColumn('processor_ref', 'text')
    .addColumn('auth_code', 'text')
    .addColumn('reference', 'text')
    .addColumn('metadata', 'text')
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('payments_list').on('payments').columns(['merchant_id', 'created_at', 'id']).execute();
  await db.schema.createIndex('payments_card').on('payments').columns(['card_id', 'created_at', 'id']).execute();
  await db.schema.createIndex('payments_customer').on('payments').columns(['customer_id', 'created_at', 'id']).execute();

  await db.schema
    .createTable('payment_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('payment_id', 'text', (c) => c.notNull().references('payments.id'))
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('amount', 'bigint')
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('status_after', 'text', (c) => c.notNull())
    .addColumn('detail', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('payment_events_payment').on('payment_events').columns(['payment_id', 'created_at', 'id']).execute();
}
