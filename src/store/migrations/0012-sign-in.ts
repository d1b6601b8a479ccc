import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  // A sign-in through an identity provider (Sign in with Microsoft) in progress: one-use, bound to
  // the browser that started it (a cookie's hash), with its PKCE verifier and OpenID Connect nonce
  // sealed. Nobody is logged in yet, so it is bound to no user.
  await db.schema
    .createTable('sign_in_states')
    .addColumn('state_hash', 'text', (c) => c.primaryKey())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('browser_hash', 'text', (c) => c.notNull())
    .addColumn('code_verifier', 'text', (c) => c.notNull())
    .addColumn('nonce', 'text', (c) => c.notNull())
    // Sealed: the invitation link the sign-in was started from, if any (it is accepted on success).
    .addColumn('invitation', 'text')
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('used_at', 'timestamptz')
    .execute();
  // A user's account at an identity provider, by the provider's own ids: for Microsoft, the tenant
  // id (tid) and the object id (oid). Linked once; afterwards a sign-in is matched by these alone.
  await db.schema
    .createTable('user_identities')
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('organization', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('user_id', 'uuid', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('linked_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('user_identities_pkey', ['provider', 'organization', 'subject'])
    .addUniqueConstraint('user_identities_user_provider', ['user_id', 'provider'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('user_identities').execute();
  await db.schema.dropTable('sign_in_states').execute();
}
