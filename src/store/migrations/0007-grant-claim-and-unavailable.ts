import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  // The organisation a grant redirect names is a claim until an administrator of it signs in:
  // kept apart from the proven one (grant_organization), which a claim never replaces.
  await db.schema.alterTable('organisation_calendar_providers').addColumn('grant_claim', 'text').execute();
  // A grant recorded from a redirect alone, never proven by the admin's own connection, becomes
  // the claim it is.
  await sql`
    update organisation_calendar_providers
    set grant_claim = grant_organization, grant_organization = null, grant_status = 'none'
    where grant_status = 'granted' and connected_by is null`.execute(db);
  // Since when the connection's calendar has been unreachable at the provider (a mailbox the
  // provider cannot serve); null while it is reachable. Retries are spaced by how long it has been.
  await db.schema.alterTable('calendar_connections').addColumn('unavailable_since', 'timestamptz').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('calendar_connections').dropColumn('unavailable_since').execute();
  await sql`
    update organisation_calendar_providers set grant_organization = grant_claim, grant_status = 'granted'
    where grant_claim is not null and grant_organization is null and grant_status = 'none'`.execute(db);
  await db.schema.alterTable('organisation_calendar_providers').dropColumn('grant_claim').execute();
}
