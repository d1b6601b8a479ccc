import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  // Web sessions: the OAuth `state` is bound to one of these. Only a hash of the cookie is stored.
  await db.schema
    .createTable('sessions')
    .addColumn('id_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'uuid', (c) => c.notNull().references('users.id'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .execute();

  // The company's Outlook integration: admin consent, who connected, the sync switch, the policy.
  await db.schema
    .createTable('organisation_outlook')
    .addColumn('organisation_id', 'uuid', (c) => c.primaryKey().references('organisations.id'))
    .addColumn('tenant_id', 'text')
    .addColumn('consent_status', 'text', (c) => c.notNull().defaultTo('none').check(sql`consent_status in ('none', 'granted', 'refused', 'revoked')`))
    .addColumn('consent_changed_at', 'timestamptz')
    .addColumn('consent_error', 'text')
    .addColumn('connected_by', 'uuid', (c) => c.references('users.id'))
    .addColumn('connected_at', 'timestamptz')
    .addColumn('sync_enabled', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('sync_changed_at', 'timestamptz')
    // Days without an OBT log-in after which a traveler's connection lapses; null: no such rule.
    .addColumn('login_policy_days', 'integer', (c) => c.defaultTo(90))
    .execute();

  // One use, short-lived, bound to the session and to what it was issued for.
  await db.schema
    .createTable('oauth_states')
    .addColumn('state_hash', 'text', (c) => c.primaryKey())
    .addColumn('purpose', 'text', (c) => c.notNull().check(sql`purpose in ('admin_consent', 'connect')`))
    .addColumn('organisation_id', 'uuid', (c) => c.notNull().references('organisations.id'))
    .addColumn('user_id', 'uuid', (c) => c.notNull().references('users.id'))
    .addColumn('session_hash', 'text', (c) => c.notNull())
    .addColumn('code_verifier', 'text')
    .addColumn('return_to', 'text')
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('used_at', 'timestamptz')
    .execute();

  // A user's Outlook connection. The MSAL token cache is encrypted (AES-256-GCM) at rest.
  await db.schema
    .createTable('outlook_connections')
    .addColumn('user_id', 'uuid', (c) => c.primaryKey().references('users.id'))
    .addColumn('organisation_id', 'uuid', (c) => c.notNull().references('organisations.id'))
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('object_id', 'text', (c) => c.notNull())
    .addColumn('home_account_id', 'text', (c) => c.notNull())
    .addColumn('username', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('connected', 'lapsed', 'revoked', 'disconnected')`))
    .addColumn('status_reason', 'text')
    .addColumn('status_changed_at', 'timestamptz', (c) => c.notNull())
    .addColumn('token_cache', 'text')
    .addColumn('connected_at', 'timestamptz', (c) => c.notNull())
    .addColumn('last_refreshed_at', 'timestamptz')
    .addColumn('last_synced_at', 'timestamptz')
    .addColumn('last_sync_error', 'text')
    .addColumn('reminder_sent_at', 'timestamptz')
    // Set on every (re)connect: the next reconcile looks events up by their key before creating.
    .addColumn('rediscover', 'boolean', (c) => c.notNull().defaultTo(true))
    .execute();
  await db.schema.createIndex('outlook_connections_account_key').unique().on('outlook_connections').columns(['tenant_id', 'object_id']).execute();

  // What we wrote to each traveler's calendar: one row per segment.
  await db.schema
    .createTable('event_mappings')
    .addColumn('user_id', 'uuid', (c) => c.notNull().references('users.id'))
    .addColumn('segment_id', 'uuid', (c) => c.notNull())
    .addColumn('event_id', 'text')
    .addColumn('content_hash', 'text', (c) => c.notNull())
    .addColumn('transaction_id', 'text', (c) => c.notNull())
    // creating: a create was sent and its answer not yet recorded; synced; user_deleted: the traveler
    // deleted it in Outlook (not recreated until the booking changes); failed: refused as invalid.
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('creating', 'synced', 'user_deleted', 'failed')`))
    .addColumn('error', 'text')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('event_mappings_pkey', ['user_id', 'segment_id'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['event_mappings', 'outlook_connections', 'oauth_states', 'organisation_outlook', 'sessions']) {
    await db.schema.dropTable(t).execute();
  }
}
