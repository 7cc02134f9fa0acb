import { type Kysely, sql } from 'kysely';

// Audit chains (one per merchant plus 'system'), signed checkpoints, the data-key version of every
// encrypted column (so rotation can count and find what an old key still protects), and short-lived CVVs.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('audit_heads')
    .addColumn('chain', 'text', (c) => c.primaryKey())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('audit_events')
    .addColumn('chain', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('merchant_id', 'text')
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target', 'text')
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('detail', 'text')
    .addColumn('prev_hash', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('audit_events_pk', ['chain', 'seq'])
    .execute();
  await db.schema.createIndex('audit_events_target').on('audit_events').columns(['chain', 'target', 'seq']).execute();
  await db.schema.createIndex('audit_events_action').on('audit_events').columns(['chain', 'action', 'seq']).execute();

  await db.schema
    .createTable('audit_checkpoints')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('signature', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .alterTable('instrument_identifiers')
    .addColumn('key_version', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();
  await db.schema
    .alterTable('gateway_credentials')
    .addColumn('key_version', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();
  await db.schema.createIndex('instrument_identifiers_key').on('instrument_identifiers').columns(['merchant_id', 'key_version']).execute();

  await db.schema
    .createTable('card_secrets')
    .addColumn('card_id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('cvv_ct', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('card_secrets_expiry').on('card_secrets').columns(['expires_at']).execute();

  // The system chain (operator actions) exists from the start; merchant chains are made with the merchant.
  await sql`insert into audit_heads (chain, seq, hash) values ('system', 0, ${'0'.repeat(64)})`.execute(db);
  // Merchants created before this migration get their chain head now.
  await sql`insert into audit_heads (chain, seq, hash) select id, 0, ${'0'.repeat(64)} from merchants`.execute(db);
}
