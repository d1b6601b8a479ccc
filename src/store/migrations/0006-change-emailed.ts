import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  // When the change's itinerary email was handed to the mail server. A mail job run again after
  // that (its completion lost with a database connection) finds it and does not send a second one.
  await db.schema.alterTable('trip_changes').addColumn('emailed_at', 'timestamptz').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('trip_changes').dropColumn('emailed_at').execute();
}
