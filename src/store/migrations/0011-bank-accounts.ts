import type { Kysely } from 'kysely';

// Electronic checks (issue 20): an instrument identifier holds a card number or a bank account. `kind` says
// which; a bank account's routing number is kept in clear beside its encrypted account number (pan_ct).
// Existing rows are cards.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('instrument_identifiers')
    .addColumn('kind', 'text', (c) => c.notNull().defaultTo('card'))
    .execute();
  await db.schema.alterTable('instrument_identifiers').addColumn('routing_number', 'text').execute();
}
