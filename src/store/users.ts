// The company's directory of users as provisioning sees it: travelers created or updated by the
// bookings that name them, and the users an identity provider manages through SCIM. A
// deprovisioned user (inactive, or deleted by the identity provider) keeps their trips; they
// cannot log in, and get no itinerary emails and no calendar writes.
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Locale, Role } from '../domain/types.ts';
import { DELEGATED_USER } from '../domain/calendar-delegation.ts';
import type { Db, Tx } from './database.ts';

export interface DirectoryUser {
  id: string;
  organisationId: string;
  email: string;
  displayName: string;
  role: Role;
  locale: Locale;
  timeZone: string;
  active: boolean;
  externalId: string | null;
  createdAt: Date;
}

export interface DirectoryAttributes {
  email: string;
  displayName: string;
  locale: Locale;
  timeZone: string;
  active?: boolean;
  externalId?: string | null;
}

const columns = ['id', 'organisation_id', 'email', 'display_name', 'role', 'locale', 'time_zone', 'active', 'external_id', 'created_at'] as const;

function toUser(r: { id: string; organisation_id: string; email: string; display_name: string; role: Role; locale: Locale; time_zone: string; active: boolean; external_id: string | null; created_at: Date }): DirectoryUser {
  return {
    id: r.id, organisationId: r.organisation_id, email: r.email, displayName: r.display_name, role: r.role, locale: r.locale,
    timeZone: r.time_zone, active: r.active, externalId: r.external_id, createdAt: new Date(r.created_at),
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** One user of the company (not one deleted by the identity provider); another company's is never found. */
export async function findDirectoryUser(db: Db | Tx, organisationId: string, id: string): Promise<DirectoryUser | undefined> {
  if (!UUID.test(id)) return undefined;
  const r = await db.selectFrom('users').select(columns).where('id', '=', id).where('organisation_id', '=', organisationId).where('deleted_at', 'is', null).executeTakeFirst();
  return r && toUser(r);
}

export type DirectoryFilter = { attribute: 'email' | 'externalId' | 'id'; value: string };

/** The company's users, in creation order, optionally filtered by one attribute's equality; a page of them and the total. */
export async function listDirectoryUsers(db: Db, organisationId: string, options: { filter?: DirectoryFilter; offset: number; limit: number }): Promise<{ total: number; users: DirectoryUser[] }> {
  let q = db.selectFrom('users').where('organisation_id', '=', organisationId).where('deleted_at', 'is', null);
  const f = options.filter;
  if (f?.attribute === 'email') q = q.where((eb) => eb(eb.fn('lower', ['email']), '=', f.value.toLowerCase()));
  if (f?.attribute === 'externalId') q = q.where('external_id', '=', f.value);
  if (f?.attribute === 'id') q = UUID.test(f.value) ? q.where('id', '=', f.value) : q.where(sql<boolean>`false`);
  const { total } = await q.select((eb) => eb.fn.countAll<string>().as('total')).executeTakeFirstOrThrow();
  const rows = options.limit > 0 ? await q.select(columns).orderBy('created_at').orderBy('id').offset(options.offset).limit(options.limit).execute() : [];
  return { total: Number(total), users: rows.map(toUser) };
}

export type CreateOutcome = { user: DirectoryUser } | { problem: 'email_taken' };

/**
 * Creates a traveler in the company. An email deleted earlier in this company comes back as that
 * user (their trips with them); an email in use elsewhere is refused.
 */
export async function createDirectoryUser(db: Db, organisationId: string, attrs: DirectoryAttributes): Promise<CreateOutcome> {
  return db.transaction().execute(async (tx) => {
    const existing = await tx.selectFrom('users').select(['id', 'organisation_id', 'deleted_at']).where((eb) => eb(eb.fn('lower', ['email']), '=', attrs.email.toLowerCase())).forUpdate().executeTakeFirst();
    if (existing && (existing.organisation_id !== organisationId || !existing.deleted_at)) return { problem: 'email_taken' as const };
    if (existing) {
      await tx.updateTable('users').set({ deleted_at: null }).where('id', '=', existing.id).execute();
      const user = await updateDirectoryUser(tx, organisationId, existing.id, { ...attrs, active: attrs.active ?? true });
      return { user: user! };
    }
    const id = randomUUID();
    const inserted = await tx.insertInto('users').values({
      id, organisation_id: organisationId, email: attrs.email, display_name: attrs.displayName, role: 'traveler', locale: attrs.locale,
      time_zone: attrs.timeZone, password_hash: null, last_login_at: null, active: attrs.active ?? true, external_id: attrs.externalId ?? null,
    }).onConflict((oc) => oc.expression(sql`lower(email)`).doNothing()).returning(columns).executeTakeFirst();
    if (!inserted) return { problem: 'email_taken' as const };
    return { user: toUser(inserted) };
  });
}

/** Changes the given attributes (activity apart: see setActive); undefined when the company has no such user. */
export async function updateDirectoryUser(db: Db | Tx, organisationId: string, id: string, attrs: Partial<DirectoryAttributes>): Promise<DirectoryUser | undefined> {
  const set = {
    ...(attrs.email !== undefined ? { email: attrs.email } : {}),
    ...(attrs.displayName !== undefined ? { display_name: attrs.displayName } : {}),
    ...(attrs.locale !== undefined ? { locale: attrs.locale } : {}),
    ...(attrs.timeZone !== undefined ? { time_zone: attrs.timeZone } : {}),
    ...(attrs.externalId !== undefined ? { external_id: attrs.externalId } : {}),
  };
  if (Object.keys(set).length) await db.updateTable('users').set(set).where('id', '=', id).where('organisation_id', '=', organisationId).execute();
  if (attrs.active !== undefined) await setActive(db, organisationId, id, attrs.active);
  return findDirectoryUser(db, organisationId, id);
}

/** Whether another user holds this email (a change of userName to it is refused). */
export async function emailTakenByOther(db: Db | Tx, email: string, userId: string): Promise<boolean> {
  const r = await db.selectFrom('users').select('id').where((eb) => eb(eb.fn('lower', ['email']), '=', email.toLowerCase())).where('id', '!=', userId).executeTakeFirst();
  return !!r;
}

/**
 * Deprovisions (active=false) or reactivates. Deprovisioning ends the user's sessions everywhere
 * and closes their calendar connections (status `disconnected`, reason `deprovisioned`; the
 * credential is dropped), so no calendar is written; itinerary emails check `active` before
 * sending. Reactivation lets the user log in and get emails again, and brings back what
 * deprovisioning closed: a connection tripcal makes itself under the company's delegation (no
 * credential of the user's) is connected again where the delegation still stands (revoked where it
 * does not, so that granting it again restores it), and looks its events up before writing, so the
 * calendar ends complete without duplicates; a connection whose credential was dropped stays closed,
 * and the traveler's home screen asks them to connect again. The caller queues the reconciles of
 * the user's connected calendars (connectedConnectionIds). Returns whether the state changed.
 */
/** The reason of a connection closed because its user was deprovisioned (reactivation looks for it). */
export const DEPROVISIONED = 'deprovisioned';

export async function setActive(db: Db | Tx, organisationId: string, id: string, active: boolean, at: Date = new Date()): Promise<boolean> {
  const changed = await db.updateTable('users').set({ active }).where('id', '=', id).where('organisation_id', '=', organisationId).where('active', '=', !active).returning('id').executeTakeFirst();
  if (!changed) return false;
  if (active) {
    await sql`
      update calendar_connections c
      set status = case when o.delegated and o.grant_status = 'granted' then 'connected' else 'revoked' end,
          status_reason = null, status_changed_at = ${at}, last_sync_error = null, rediscover = true
      from organisation_calendar_providers o
      where o.organisation_id = c.organisation_id and o.provider = c.provider
        and c.user_id = ${id} and c.status = 'disconnected' and c.status_reason = ${DEPROVISIONED}
        and (c.account_details::jsonb ? ${DELEGATED_USER}::text)`.execute(db);
    return true;
  }
  await db.deleteFrom('sessions').where('user_id', '=', id).execute();
  await db.updateTable('calendar_connections')
    .set({ status: 'disconnected', status_reason: DEPROVISIONED, status_changed_at: at, credential: null, access_token: null })
    .where('user_id', '=', id).where('status', '=', 'connected').execute();
  return true;
}

/** The user's connected calendars: what a reactivation queues a reconcile for. */
export async function connectedConnectionIds(db: Db | Tx, userId: string): Promise<string[]> {
  const rows = await db.selectFrom('calendar_connections').select('id').where('user_id', '=', userId).where('status', '=', 'connected').execute();
  return rows.map((r) => r.id);
}

/** The identity provider deleted the user: deprovisioned and gone from SCIM; their trips stay. */
export async function deleteDirectoryUser(db: Db, organisationId: string, id: string, at: Date): Promise<boolean> {
  return db.transaction().execute(async (tx) => {
    const user = await findDirectoryUser(tx, organisationId, id);
    if (!user) return false;
    await setActive(tx, organisationId, id, false, at);
    await tx.updateTable('users').set({ deleted_at: at }).where('id', '=', id).execute();
    return true;
  });
}

/** Whether the user may receive emails and calendar writes (not deprovisioned). */
export async function isActiveUser(db: Db | Tx, id: string): Promise<boolean> {
  const r = await db.selectFrom('users').select('active').where('id', '=', id).executeTakeFirst();
  return !!r?.active;
}

/** An active user by email (log-in and password resets are by email, across companies). */
export async function findActiveUserByEmail(db: Db, email: string): Promise<{ id: string; email: string; displayName: string; locale: Locale } | undefined> {
  const r = await db.selectFrom('users').select(['id', 'email', 'display_name', 'locale'])
    .where((eb) => eb(eb.fn('lower', ['email']), '=', email.trim().toLowerCase())).where('active', '=', true).executeTakeFirst();
  return r && { id: r.id, email: r.email, displayName: r.display_name, locale: r.locale };
}
