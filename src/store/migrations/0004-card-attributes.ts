import type { Kysely } from 'kysely';

// Fields some gateway APIs keep on a token and echo back (2C2P: email, issuer, issuer country, account
// currency, the expiry date as sent). JSON text; never card data.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('cards').addColumn('attributes', 'text').execute();
}
