import type { Kysely } from 'kysely';

// A merchant's live gateway sessions, for the cap on them (vault/sessions.ts): counted and the oldest found
// through this index, so opening a session reads that merchant's sessions only, not every merchant's.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('gateway_sessions_merchant').on('gateway_sessions').columns(['merchant_id', 'expires_at']).execute();
}
