import type { Kysely } from 'kysely';

// Gateway sessions (AlliancePay's virtual devices): the server's per-session private key, encrypted under
// the merchant's data key, and hashes of the session's tokens. In the database so every worker and a
// restarted server know a session.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('gateway_sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull().references('merchants.id'))
    .addColumn('credential_id', 'text', (c) => c.notNull())
    .addColumn('refresh_hash', 'text', (c) => c.notNull())
    .addColumn('auth_hash', 'text', (c) => c.notNull())
    .addColumn('server_key_ct', 'text', (c) => c.notNull())
    .addColumn('key_version', 'integer', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('gateway_sessions_expiry').on('gateway_sessions').column('expires_at').execute();
}
