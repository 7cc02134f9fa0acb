import type { Kysely } from 'kysely';

// Fields a gateway API keeps on a customer or an instrument identifier and echoes back (Cybersource:
// clientReferenceInformation, merchantDefinedInformation, issuer, processingInformation). JSON text;
// never card data.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('customers').addColumn('attributes', 'text').execute();
  await db.schema.alterTable('instrument_identifiers').addColumn('attributes', 'text').execute();
}
