import type { Kysely } from 'kysely';

// Replays across instances (issue 19): claims on single-use request ids (a JWT's jti, a v1 JWT's binding to its
// first request) shared by every instance when Redis is not configured, and an expiry on idempotency rows, so
// a gateway's kept first answer (a deduplicated request without a nonce) is forgotten after its window and the
// sweep deletes it. Rows with no expiry (Idempotency-Keys, single-use references) keep their old life.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('replay_claims')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('replay_claims_expiry').on('replay_claims').column('expires_at').execute();
  await db.schema.alterTable('idempotency_keys').addColumn('expires_at', 'text').execute();
  await db.schema.createIndex('idempotency_keys_expiry').on('idempotency_keys').column('expires_at').execute();
}
