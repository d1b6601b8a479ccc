// Connections made by tripcal itself, under a company's delegation (the grant covers every user of
// the organisation, none of whom signs in): one per user of the company, its account the user's
// own sign-in name. Provider-neutral: the provider reads the name from the details.
import { sql } from 'kysely';
import { DELEGATED_USER } from '../domain/calendar-delegation.ts';
import type { Db, Tx } from './database.ts';

type Scope = { organisationId: string; provider: string } | { userId: string };

/**
 * Adds the connections the company's delegations call for and that do not exist yet (granted,
 * sync on): for the whole company and one provider, or for one user and every such provider.
 * Returns the new connections' ids. An existing connection of the user is left as it is.
 */
export async function addDelegatedConnections(db: Db | Tx, scope: Scope, at: Date): Promise<string[]> {
  let source = db
    .selectFrom('users as u')
    .innerJoin('organisation_calendar_providers as ocp', 'ocp.organisation_id', 'u.organisation_id')
    .where('ocp.delegated', '=', true)
    .where('ocp.grant_status', '=', 'granted')
    .where('ocp.sync_enabled', '=', true);
  source = 'userId' in scope ? source.where('u.id', '=', scope.userId) : source.where('u.organisation_id', '=', scope.organisationId).where('ocp.provider', '=', scope.provider);
  const rows = await db
    .insertInto('calendar_connections')
    .columns(['id', 'user_id', 'organisation_id', 'provider', 'account_key', 'account_name', 'account_organization', 'account_details', 'status', 'status_changed_at', 'connected_at', 'last_refreshed_at', 'rediscover'])
    .expression(source.select([
      sql<string>`gen_random_uuid()`.as('id'), 'u.id as user_id', 'u.organisation_id', 'ocp.provider', sql<string>`lower(u.email)`.as('account_key'), 'u.email as account_name',
      'ocp.grant_organization as account_organization', sql<string>`json_build_object(${DELEGATED_USER}::text, u.email)::text`.as('account_details'),
      sql<string>`'connected'`.as('status'), sql<Date>`${at}::timestamptz`.as('status_changed_at'), sql<Date>`${at}::timestamptz`.as('connected_at'),
      sql<Date>`${at}::timestamptz`.as('last_refreshed_at'),
      // A new calendar holds none of our events: nothing to look up before the first writes.
      sql<boolean>`false`.as('rediscover'),
    ]))
    // Whatever conflicts (the user's own connection of this provider) is left as it is.
    .onConflict((oc) => oc.doNothing())
    .returning('id')
    .execute();
  return rows.map((r) => r.id);
}

/**
 * The delegation granted again: the company's delegated connections that its loss revoked (or that
 * a refusal of the user lapsed) are connected again, and look their events up by key before
 * writing. Returns their ids.
 */
export async function restoreDelegatedConnections(db: Db | Tx, organisationId: string, provider: string, at: Date): Promise<string[]> {
  const rows = await db
    .updateTable('calendar_connections')
    .set({ status: 'connected', status_reason: null, status_changed_at: at, connected_at: at, last_sync_error: null, rediscover: true })
    .where('organisation_id', '=', organisationId)
    .where('provider', '=', provider)
    .where('status', 'in', ['revoked', 'lapsed'])
    .where(sql<boolean>`(account_details::jsonb ? ${DELEGATED_USER}::text)`)
    .returning('id')
    .execute();
  return rows.map((r) => r.id);
}

/** Records the company's delegation as granted, proven by the administrator's own calendar. */
export async function recordDelegation(db: Db | Tx, organisationId: string, provider: string, organization: string, adminId: string, at: Date): Promise<void> {
  await db.insertInto('organisation_calendar_providers').values({ organisation_id: organisationId, provider })
    .onConflict((oc) => oc.columns(['organisation_id', 'provider']).doNothing()).execute();
  await db.updateTable('organisation_calendar_providers')
    .set({ delegated: true, grant_status: 'granted', grant_organization: organization, grant_changed_at: at, grant_error: null, connected_by: adminId, connected_at: at })
    .where('organisation_id', '=', organisationId).where('provider', '=', provider).execute();
}
