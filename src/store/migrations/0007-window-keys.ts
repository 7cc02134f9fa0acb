import type { Kysely } from 'kysely';

// Window keys: short-lived random keys, wrapped by the master key, that encrypt held CVVs. A key serves every
// CVV whose TTL ends within its window and is deleted when the window ends, so a CVV is unrecoverable after
// its TTL even to someone holding the master key and a copy of every database file (crypto-shredding).
// `id` is the window's end in epoch milliseconds, as text (it also names the key in each ciphertext).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('window_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('wrapped', 'text', (c) => c.notNull())
    .addColumn('ends_at', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('window_keys_end').on('window_keys').column('ends_at').execute();
}
