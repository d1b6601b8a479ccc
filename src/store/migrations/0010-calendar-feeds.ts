import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  // A traveler's private subscription feed: one per user. The token itself is never stored in the
  // clear: its SHA-256 finds the feed (a unique index, the one read a feed request makes), and the
  // token sealed with the user as associated data lets the owner see their URL again.
  await db.schema
    .createTable('calendar_feeds')
    .addColumn('user_id', 'uuid', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('organisation_id', 'uuid', (c) => c.notNull().references('organisations.id'))
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('token', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .execute();
  // A feed request's ETag is the newest change of the traveler's trips: one probe of this index.
  await sql`create index trips_traveler_updated_idx on trips (traveler_id, updated_at) include (version)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists trips_traveler_updated_idx`.execute(db);
  await db.schema.dropTable('calendar_feeds').execute();
}
