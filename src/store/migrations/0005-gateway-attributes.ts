import type { Kysely } from 'kysely';

// Fields a gateway API keeps on a customer or an instrument identifier and echoes back (Cybersource:
// clientReferenceInformation, merchantDefinedInformation, issuer, processingInformation). JSON text;
// never card data. `retained`: an instrument identifier the merchant created as a token of its own
// (Cybersource), whose card number is kept when its last card goes, until it is deleted itself.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('customers').addColumn('attributes', 'text').execute();
  await db.schema.alterTable('instrument_identifiers').addColumn('attributes', 'text').execute();
  await db.schema
    .alterTable('instrument_identifiers')
    .addColumn('retained', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}
