import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  // Where the user was going when they were sent to the log-in page (a path of the web app, e.g.
  // the trip an itinerary email links to): a sign-in through a provider ends there.
  await db.schema.alterTable('sign_in_states').addColumn('next_path', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('sign_in_states').dropColumn('next_path').execute();
}
