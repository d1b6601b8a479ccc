// Organisations, their users and their booking-API keys; onboarding a company with its first admin.
import { randomUUID } from 'node:crypto';
import type { Locale, Organisation, Role, User } from '../domain/types.ts';
import { issueCredential, organisationForCredential } from './company-credentials.ts';
import type { Db, Tx } from './database.ts';
import { issuePasswordLink } from './password-links.ts';

export async function createOrganisation(db: Db | Tx, name: string, id: string = randomUUID()): Promise<Organisation> {
  await db.insertInto('organisations').values({ id, name }).execute();
  return { id, name };
}

export interface NewUser {
  id?: string;
  email: string;
  displayName: string;
  role: Role;
  locale: Locale;
  timeZone: string;
  passwordHash?: string;
}

export async function createUser(db: Db | Tx, organisationId: string, u: NewUser): Promise<User> {
  const id = u.id ?? randomUUID();
  await db
    .insertInto('users')
    .values({
      id, organisation_id: organisationId, email: u.email, display_name: u.displayName, role: u.role,
      locale: u.locale, time_zone: u.timeZone, password_hash: u.passwordHash ?? null, last_login_at: null,
    })
    .execute();
  return { id, organisationId, email: u.email, displayName: u.displayName, role: u.role, locale: u.locale, timeZone: u.timeZone };
}

export async function findOrganisation(db: Db, organisationId: string): Promise<Organisation> {
  return db.selectFrom('organisations').select(['id', 'name']).where('id', '=', organisationId).executeTakeFirstOrThrow();
}

/** The company's users, by email (the company's calendar status lists every one). */
export async function listUsers(db: Db, organisationId: string): Promise<Array<{ id: string; displayName: string; email: string; lastLoginAt: Date | null }>> {
  const rows = await db.selectFrom('users').select(['id', 'display_name', 'email', 'last_login_at']).where('organisation_id', '=', organisationId).orderBy('email').execute();
  return rows.map((r) => ({ id: r.id, displayName: r.display_name, email: r.email, lastLoginAt: r.last_login_at ? new Date(r.last_login_at) : null }));
}

export async function setUserLocale(db: Db, userId: string, locale: Locale): Promise<void> {
  await db.updateTable('users').set({ locale }).where('id', '=', userId).execute();
}

export async function findUser(db: Db | Tx, userId: string): Promise<User | undefined> {
  const r = await db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirst();
  return r && { id: r.id, organisationId: r.organisation_id, email: r.email, displayName: r.display_name, role: r.role, locale: r.locale, timeZone: r.time_zone };
}

/**
 * A new API key for the booking API. The key is returned once; only its hash is stored.
 * `key` may be given (the demo seed uses a documented one).
 */
export async function issueApiKey(db: Db, organisationId: string, key?: string): Promise<string> {
  return (await issueCredential(db, organisationId, 'booking', { ...(key ? { key } : {}) })).key;
}

/** The organisation an API key belongs to, or undefined for an unknown or revoked key. */
export async function organisationForApiKey(db: Db, key: string): Promise<string | undefined> {
  return organisationForCredential(db, key, 'booking');
}

export interface NewCompany {
  name: string;
  admin: { email: string; name: string; locale: Locale; timeZone: string };
}

/**
 * A new company with its first admin, who has no password yet: the returned invitation token (a
 * one-use link, password-links.ts) lets them set one. One transaction: an email already in use
 * leaves nothing behind.
 */
export async function onboardCompany(db: Db, company: NewCompany, now: Date): Promise<{ id: string; adminId: string; inviteToken: string } | { problem: 'email_taken' }> {
  return db.transaction().execute(async (tx) => {
    const taken = await tx.selectFrom('users').select('id').where((eb) => eb(eb.fn('lower', ['email']), '=', company.admin.email.toLowerCase())).executeTakeFirst();
    if (taken) return { problem: 'email_taken' as const };
    const org = await createOrganisation(tx, company.name);
    const admin = await createUser(tx, org.id, { email: company.admin.email, displayName: company.admin.name, role: 'admin', locale: company.admin.locale, timeZone: company.admin.timeZone });
    const inviteToken = await issuePasswordLink(tx, admin.id, 'invitation', now);
    return { id: org.id, adminId: admin.id, inviteToken };
  });
}

export interface CompanySettings {
  /** A booking naming an unknown traveler creates them. */
  travelersFromBookings: boolean;
  /** A deprovisioned traveler's calendar events are removed. */
  removeEventsOnDeprovision: boolean;
  /** A cancelled booking stays in calendars as "Canceled: …", free, with no reminder (false: it is removed). */
  keepCancelledEvents: boolean;
}

export async function companySettings(db: Db | Tx, organisationId: string): Promise<CompanySettings | undefined> {
  const r = await db.selectFrom('organisations').select(['travelers_from_bookings', 'remove_events_on_deprovision', 'keep_cancelled_events']).where('id', '=', organisationId).executeTakeFirst();
  return r && { travelersFromBookings: r.travelers_from_bookings, removeEventsOnDeprovision: r.remove_events_on_deprovision, keepCancelledEvents: r.keep_cancelled_events };
}

export async function updateCompanySettings(db: Db | Tx, organisationId: string, settings: Partial<CompanySettings>): Promise<CompanySettings | undefined> {
  const set = {
    ...(settings.travelersFromBookings !== undefined ? { travelers_from_bookings: settings.travelersFromBookings } : {}),
    ...(settings.removeEventsOnDeprovision !== undefined ? { remove_events_on_deprovision: settings.removeEventsOnDeprovision } : {}),
    ...(settings.keepCancelledEvents !== undefined ? { keep_cancelled_events: settings.keepCancelledEvents } : {}),
  };
  if (Object.keys(set).length) await db.updateTable('organisations').set(set).where('id', '=', organisationId).execute();
  return companySettings(db, organisationId);
}
