import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  // The connection's current Graph access token, sealed like the token cache, so that any worker
  // process can use it until it expires instead of opening the MSAL cache for it.
  await db.schema.alterTable('outlook_connections').addColumn('access_token', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('outlook_connections').dropColumn('access_token').execute();
}
