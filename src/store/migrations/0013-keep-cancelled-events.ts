import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  // The company's choice for a cancelled booking in its travelers' calendars: removed (false, the
  // default), or kept as "Canceled: …", free, with no reminder (true).
  await db.schema.alterTable('organisations').addColumn('keep_cancelled_events', 'boolean', (c) => c.notNull().defaultTo(false)).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('organisations').dropColumn('keep_cancelled_events').execute();
}
