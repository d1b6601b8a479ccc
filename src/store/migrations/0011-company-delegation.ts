import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  // The company's grant for a provider is a delegation for every user of its organisation (Google
  // Workspace's domain-wide delegation): tripcal makes each user's connection itself.
  await db.schema.alterTable('organisation_calendar_providers').addColumn('delegated', 'boolean', (c) => c.notNull().defaultTo(false)).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('organisation_calendar_providers').dropColumn('delegated').execute();
}
