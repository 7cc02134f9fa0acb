import type { Kysely } from 'kysely';

// Issue 22. Publishable keys (tv_pk_…) live beside the secret ones in api_keys, so revocation, listing and a
// merchant's deletion treat both alike: `kind` is null for a secret key (every key made before) or
// 'publishable', and `origins` the JSON array of web origins a publishable key is used from.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('api_keys').addColumn('kind', 'text').execute();
  await db.schema.alterTable('api_keys').addColumn('origins', 'text').execute();
}
