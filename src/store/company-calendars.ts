// A company's calendar providers: for each, its company-wide grant (where the provider has one),
// the admin who connected it, and its sync switch. Also the company's log-in rule, which applies to
// every calendar connection of its travelers.
import type { Selectable } from 'kysely';
import type { Db } from './database.ts';
import type { GrantStatus, OrganisationCalendarProvidersTable } from './schema.ts';

export type CompanyCalendar = Selectable<OrganisationCalendarProvidersTable>;

/** The company's row for the provider, made (grant none, sync off) the first time it is asked for. */
export async function companyCalendar(db: Db, organisationId: string, provider: string): Promise<CompanyCalendar> {
  await db.insertInto('organisation_calendar_providers').values({ organisation_id: organisationId, provider })
    .onConflict((oc) => oc.columns(['organisation_id', 'provider']).doNothing()).execute();
  return db.selectFrom('organisation_calendar_providers').selectAll().where('organisation_id', '=', organisationId).where('provider', '=', provider).executeTakeFirstOrThrow();
}

/** The company's rows for every provider it has touched. */
export async function companyCalendars(db: Db, organisationId: string): Promise<CompanyCalendar[]> {
  return db.selectFrom('organisation_calendar_providers').selectAll().where('organisation_id', '=', organisationId).execute();
}

export type GrantChange =
  | { status: 'granted'; organization: string }
  | { status: Exclude<GrantStatus, 'granted' | 'none'>; error: string; organization?: string };

/** Records the company-wide grant's new state (the administrator's answer, or its loss). */
export async function recordGrant(db: Db, organisationId: string, provider: string, change: GrantChange, at: Date): Promise<void> {
  await companyCalendar(db, organisationId, provider);
  await db
    .updateTable('organisation_calendar_providers')
    .set({
      grant_status: change.status,
      grant_changed_at: at,
      grant_error: change.status === 'granted' ? null : change.error,
      ...(change.organization ? { grant_organization: change.organization } : {}),
    })
    .where('organisation_id', '=', organisationId)
    .where('provider', '=', provider)
    .execute();
}

/**
 * A grant redirect's answer: the organisation it names is a claim. A fresh grant by the organisation
 * already proven renews the grant at once (its time starts the grace while it propagates); any
 * other organisation is kept as the claim alone, which never replaces the proven one: an
 * administrator's own sign-in of that organisation proves it (proveGrant).
 */
export async function recordGrantClaim(db: Db, organisationId: string, provider: string, organization: string, at: Date): Promise<'renewed' | 'claimed'> {
  const company = await companyCalendar(db, organisationId, provider);
  const renewed = company.grant_organization === organization && company.connected_by !== null;
  await db.updateTable('organisation_calendar_providers')
    .set(renewed ? { grant_status: 'granted', grant_changed_at: at, grant_error: null, grant_claim: null } : { grant_claim: organization })
    .where('organisation_id', '=', organisationId).where('provider', '=', provider).execute();
  return renewed ? 'renewed' : 'claimed';
}

/** An administrator of the claimed organisation signed in: the grant is the company's, for that organisation. */
export async function proveGrant(db: Db, organisationId: string, provider: string, organization: string, at: Date): Promise<void> {
  await companyCalendar(db, organisationId, provider);
  await db.updateTable('organisation_calendar_providers')
    .set({ grant_status: 'granted', grant_organization: organization, grant_claim: null, grant_changed_at: at, grant_error: null })
    .where('organisation_id', '=', organisationId).where('provider', '=', provider).execute();
}

/** The company admin connected their own calendar of this provider (the source document's step 3). */
export async function recordAdminConnected(db: Db, organisationId: string, provider: string, userId: string, at: Date): Promise<void> {
  await db.updateTable('organisation_calendar_providers').set({ connected_by: userId, connected_at: at })
    .where('organisation_id', '=', organisationId).where('provider', '=', provider).execute();
}

export async function setSyncEnabled(db: Db, organisationId: string, provider: string, enabled: boolean, at: Date): Promise<void> {
  await companyCalendar(db, organisationId, provider);
  await db.updateTable('organisation_calendar_providers').set({ sync_enabled: enabled, sync_changed_at: at })
    .where('organisation_id', '=', organisationId).where('provider', '=', provider).execute();
}

export async function loginPolicyDays(db: Db, organisationId: string): Promise<number | null> {
  const row = await db.selectFrom('organisations').select('login_policy_days').where('id', '=', organisationId).executeTakeFirstOrThrow();
  return row.login_policy_days;
}

/** The company's rule: days without an OBT log-in before its travelers' connections lapse; null turns it off. */
export async function setLoginPolicyDays(db: Db, organisationId: string, days: number | null): Promise<void> {
  await db.updateTable('organisations').set({ login_policy_days: days }).where('id', '=', organisationId).execute();
}
