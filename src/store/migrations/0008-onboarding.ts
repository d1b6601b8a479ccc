import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  // A company's provisioning choices: travelers created from the bookings that name them, and
  // whether a deprovisioned traveler's calendar events are removed or left as they are.
  await db.schema
    .alterTable('organisations')
    .addColumn('travelers_from_bookings', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('remove_events_on_deprovision', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();

  // A deprovisioned user (SCIM active=false, or deleted) keeps their trips but cannot log in and
  // gets no emails or calendar writes. `external_id` is the identity provider's key (SCIM
  // externalId); `sign_in_*` is the account a user signs in with through a calendar provider
  // (its organisation and its immutable id there), never matched by email.
  await db.schema
    .alterTable('users')
    .addColumn('active', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('deleted_at', 'timestamptz')
    .addColumn('external_id', 'text')
    .addColumn('sign_in_provider', 'text')
    .addColumn('sign_in_organization', 'text')
    .addColumn('sign_in_subject', 'text')
    .execute();
  await sql`create unique index users_sign_in_key on users (sign_in_provider, sign_in_organization, sign_in_subject) where sign_in_subject is not null`.execute(db);

  // One table for the company's bearer credentials: booking-API keys and SCIM tokens.
  await db.schema
    .alterTable('api_keys')
    .addColumn('kind', 'text', (c) => c.notNull().defaultTo('booking').check(sql`kind in ('booking', 'scim')`))
    .addColumn('name', 'text')
    .addColumn('last_used_at', 'timestamptz')
    .execute();

  // One-use links that set a password: an invitation, or a reset asked for by email.
  await db.schema
    .createTable('password_links')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'uuid', (c) => c.notNull().references('users.id'))
    .addColumn('purpose', 'text', (c) => c.notNull().check(sql`purpose in ('invitation', 'reset')`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('used_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('password_links_user_idx').on('password_links').column('user_id').execute();

  // Request counters of the rate limits (log-in), shared by every API process.
  await db.schema
    .createTable('rate_limits')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('hits', 'integer', (c) => c.notNull())
    .addColumn('window_ends_at', 'timestamptz', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('rate_limits').execute();
  await db.schema.dropTable('password_links').execute();
  await db.schema.alterTable('api_keys').dropColumn('kind').dropColumn('name').dropColumn('last_used_at').execute();
  await sql`drop index users_sign_in_key`.execute(db);
  await db.schema.alterTable('users').dropColumn('active').dropColumn('deleted_at').dropColumn('external_id').dropColumn('sign_in_provider').dropColumn('sign_in_organization').dropColumn('sign_in_subject').execute();
  await db.schema.alterTable('organisations').dropColumn('travelers_from_bookings').dropColumn('remove_events_on_deprovision').execute();
}
