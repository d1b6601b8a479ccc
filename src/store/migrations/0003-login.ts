import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  // When the traveler closed the home-screen Outlook prompt; it shows again after a lapse.
  await db.schema.alterTable('users').addColumn('outlook_prompt_dismissed_at', 'timestamptz').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').dropColumn('outlook_prompt_dismissed_at').execute();
}
