// Calendars, provider-neutral. A company enables calendar providers (each with its own company-wide
// grant, connecting admin and sync switch); a user holds calendar connections, each of one
// provider; what was written to each calendar is recorded per connection. The Outlook tables of
// 0002 are carried over row for row, sealed credentials included: they were sealed with the user id
// and "outlook-token-cache" / "outlook-access-token" as associated data, which is what the
// connection store derives for an Outlook connection, so they open unchanged.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  // The company's rule (days without an OBT log-in before a calendar connection lapses) is the
  // company's, whatever calendar its travelers use.
  await db.schema.alterTable('organisations').addColumn('login_policy_days', 'integer', (c) => c.defaultTo(90)).execute();

  await db.schema
    .createTable('organisation_calendar_providers')
    .addColumn('organisation_id', 'uuid', (c) => c.notNull().references('organisations.id'))
    .addColumn('provider', 'text', (c) => c.notNull())
    // The company-wide grant, where the provider has one (an administrator's consent for the whole
    // organisation): its state, the provider's id of the organisation that granted it, and why not.
    .addColumn('grant_status', 'text', (c) => c.notNull().defaultTo('none').check(sql`grant_status in ('none', 'granted', 'refused', 'revoked')`))
    .addColumn('grant_organization', 'text')
    .addColumn('grant_changed_at', 'timestamptz')
    .addColumn('grant_error', 'text')
    .addColumn('connected_by', 'uuid', (c) => c.references('users.id'))
    .addColumn('connected_at', 'timestamptz')
    .addColumn('sync_enabled', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('sync_changed_at', 'timestamptz')
    .addPrimaryKeyConstraint('organisation_calendar_providers_pkey', ['organisation_id', 'provider'])
    .execute();

  await db.schema
    .createTable('calendar_connections')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('user_id', 'uuid', (c) => c.notNull().references('users.id'))
    .addColumn('organisation_id', 'uuid', (c) => c.notNull().references('organisations.id'))
    .addColumn('provider', 'text', (c) => c.notNull())
    // The account at the provider: a key unique within the provider, the name the user signs in
    // with, the provider's id of the account's organisation (checked against the company's grant),
    // and whatever else the provider needs to reach it (JSON).
    .addColumn('account_key', 'text', (c) => c.notNull())
    .addColumn('account_name', 'text', (c) => c.notNull())
    .addColumn('account_organization', 'text')
    .addColumn('account_details', 'text', (c) => c.notNull().defaultTo('{}'))
    // Sealed (AES-256-GCM): the provider's opaque credential (a token cache) and its current access token.
    .addColumn('credential', 'text')
    .addColumn('access_token', 'text')
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('connected', 'lapsed', 'revoked', 'disconnected')`))
    .addColumn('status_reason', 'text')
    .addColumn('status_changed_at', 'timestamptz', (c) => c.notNull())
    .addColumn('connected_at', 'timestamptz', (c) => c.notNull())
    .addColumn('last_refreshed_at', 'timestamptz')
    .addColumn('last_synced_at', 'timestamptz')
    .addColumn('last_sync_error', 'text')
    .addColumn('reminder_sent_at', 'timestamptz')
    // Set on every (re)connect: the next reconcile looks events up by their key before creating.
    .addColumn('rediscover', 'boolean', (c) => c.notNull().defaultTo(true))
    .execute();
  // One connection per provider per user (one tile each); an account belongs to one user.
  await db.schema.createIndex('calendar_connections_user_provider_key').unique().on('calendar_connections').columns(['user_id', 'provider']).execute();
  await db.schema.createIndex('calendar_connections_account_key').unique().on('calendar_connections').columns(['provider', 'account_key']).execute();
  await db.schema.createIndex('calendar_connections_organisation_idx').on('calendar_connections').column('organisation_id').execute();

  // What was written to each calendar: one row per connection and segment.
  await db.schema
    .createTable('calendar_events')
    .addColumn('connection_id', 'uuid', (c) => c.notNull().references('calendar_connections.id'))
    .addColumn('segment_id', 'uuid', (c) => c.notNull())
    .addColumn('event_id', 'text')
    .addColumn('content_hash', 'text', (c) => c.notNull())
    .addColumn('transaction_id', 'text', (c) => c.notNull())
    // creating: a create was sent and its answer not yet recorded; synced; user_deleted: the traveler
    // deleted it in their calendar (not recreated until the booking changes); failed: refused as invalid.
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('creating', 'synced', 'user_deleted', 'failed')`))
    .addColumn('error', 'text')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('calendar_events_pkey', ['connection_id', 'segment_id'])
    .execute();

  await db.schema.alterTable('oauth_states').addColumn('provider', 'text', (c) => c.notNull().defaultTo('outlook')).execute();
  await sql`alter table oauth_states alter column provider drop default`.execute(db);
  await db.schema.alterTable('users').renameColumn('outlook_prompt_dismissed_at', 'calendar_prompt_dismissed_at').execute();

  // ---- the Outlook rows, carried over ----
  await sql`update organisations o set login_policy_days = x.login_policy_days from organisation_outlook x where x.organisation_id = o.id`.execute(db);
  await sql`
    insert into organisation_calendar_providers
      (organisation_id, provider, grant_status, grant_organization, grant_changed_at, grant_error, connected_by, connected_at, sync_enabled, sync_changed_at)
    select organisation_id, 'outlook', consent_status, tenant_id, consent_changed_at, consent_error, connected_by, connected_at, sync_enabled, sync_changed_at
    from organisation_outlook`.execute(db);
  await sql`
    insert into calendar_connections
      (id, user_id, organisation_id, provider, account_key, account_name, account_organization, account_details, credential, access_token,
       status, status_reason, status_changed_at, connected_at, last_refreshed_at, last_synced_at, last_sync_error, reminder_sent_at, rediscover)
    select gen_random_uuid(), user_id, organisation_id, 'outlook', tenant_id || '/' || object_id, username, tenant_id,
      json_build_object('tenantId', tenant_id, 'objectId', object_id, 'homeAccountId', home_account_id)::text, token_cache, access_token,
      status, status_reason, status_changed_at, connected_at, last_refreshed_at, last_synced_at, last_sync_error, reminder_sent_at, rediscover
    from outlook_connections`.execute(db);
  await sql`
    insert into calendar_events (connection_id, segment_id, event_id, content_hash, transaction_id, state, error, updated_at)
    select c.id, m.segment_id, m.event_id, m.content_hash, m.transaction_id, m.state, m.error, m.updated_at
    from event_mappings m join calendar_connections c on c.user_id = m.user_id and c.provider = 'outlook'`.execute(db);
  // A mapping whose traveler never had a connection row cannot exist (a reconcile needs one), so
  // the join above carries every row; the tables go.
  for (const t of ['event_mappings', 'outlook_connections', 'organisation_outlook']) await db.schema.dropTable(t).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  // Back to the Outlook-only tables of 0002–0004, with the Outlook rows; other providers' rows are lost.
  await db.schema
    .createTable('organisation_outlook')
    .addColumn('organisation_id', 'uuid', (c) => c.primaryKey().references('organisations.id'))
    .addColumn('tenant_id', 'text')
    .addColumn('consent_status', 'text', (c) => c.notNull().defaultTo('none'))
    .addColumn('consent_changed_at', 'timestamptz')
    .addColumn('consent_error', 'text')
    .addColumn('connected_by', 'uuid', (c) => c.references('users.id'))
    .addColumn('connected_at', 'timestamptz')
    .addColumn('sync_enabled', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('sync_changed_at', 'timestamptz')
    .addColumn('login_policy_days', 'integer', (c) => c.defaultTo(90))
    .execute();
  await sql`
    insert into organisation_outlook (organisation_id, tenant_id, consent_status, consent_changed_at, consent_error, connected_by, connected_at, sync_enabled, sync_changed_at, login_policy_days)
    select p.organisation_id, p.grant_organization, p.grant_status, p.grant_changed_at, p.grant_error, p.connected_by, p.connected_at, p.sync_enabled, p.sync_changed_at, o.login_policy_days
    from organisation_calendar_providers p join organisations o on o.id = p.organisation_id where p.provider = 'outlook'`.execute(db);
  await db.schema
    .createTable('outlook_connections')
    .addColumn('user_id', 'uuid', (c) => c.primaryKey().references('users.id'))
    .addColumn('organisation_id', 'uuid', (c) => c.notNull().references('organisations.id'))
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('object_id', 'text', (c) => c.notNull())
    .addColumn('home_account_id', 'text', (c) => c.notNull())
    .addColumn('username', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('status_reason', 'text')
    .addColumn('status_changed_at', 'timestamptz', (c) => c.notNull())
    .addColumn('token_cache', 'text')
    .addColumn('access_token', 'text')
    .addColumn('connected_at', 'timestamptz', (c) => c.notNull())
    .addColumn('last_refreshed_at', 'timestamptz')
    .addColumn('last_synced_at', 'timestamptz')
    .addColumn('last_sync_error', 'text')
    .addColumn('reminder_sent_at', 'timestamptz')
    .addColumn('rediscover', 'boolean', (c) => c.notNull().defaultTo(true))
    .execute();
  await db.schema.createIndex('outlook_connections_account_key').unique().on('outlook_connections').columns(['tenant_id', 'object_id']).execute();
  await sql`
    insert into outlook_connections (user_id, organisation_id, tenant_id, object_id, home_account_id, username, status, status_reason, status_changed_at,
      token_cache, access_token, connected_at, last_refreshed_at, last_synced_at, last_sync_error, reminder_sent_at, rediscover)
    select user_id, organisation_id, (account_details::json)->>'tenantId', (account_details::json)->>'objectId', (account_details::json)->>'homeAccountId',
      account_name, status, status_reason, status_changed_at, credential, access_token, connected_at, last_refreshed_at, last_synced_at, last_sync_error,
      reminder_sent_at, rediscover
    from calendar_connections where provider = 'outlook'`.execute(db);
  await db.schema
    .createTable('event_mappings')
    .addColumn('user_id', 'uuid', (c) => c.notNull().references('users.id'))
    .addColumn('segment_id', 'uuid', (c) => c.notNull())
    .addColumn('event_id', 'text')
    .addColumn('content_hash', 'text', (c) => c.notNull())
    .addColumn('transaction_id', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('event_mappings_pkey', ['user_id', 'segment_id'])
    .execute();
  await sql`
    insert into event_mappings (user_id, segment_id, event_id, content_hash, transaction_id, state, error, updated_at)
    select c.user_id, e.segment_id, e.event_id, e.content_hash, e.transaction_id, e.state, e.error, e.updated_at
    from calendar_events e join calendar_connections c on c.id = e.connection_id where c.provider = 'outlook'`.execute(db);
  await db.schema.alterTable('users').renameColumn('calendar_prompt_dismissed_at', 'outlook_prompt_dismissed_at').execute();
  await db.schema.alterTable('oauth_states').dropColumn('provider').execute();
  for (const t of ['calendar_events', 'calendar_connections', 'organisation_calendar_providers']) await db.schema.dropTable(t).execute();
  await db.schema.alterTable('organisations').dropColumn('login_policy_days').execute();
}
