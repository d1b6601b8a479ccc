// Organisations, their users and their booking-API keys.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Locale, Organisation, Role, User } from '../domain/types.ts';
import type { Db } from './database.ts';

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export async function createOrganisation(db: Db, name: string, id: string = randomUUID()): Promise<Organisation> {
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

export async function createUser(db: Db, organisationId: string, u: NewUser): Promise<User> {
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

export async function findUser(db: Db, userId: string): Promise<User | undefined> {
  const r = await db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirst();
  return r && { id: r.id, organisationId: r.organisation_id, email: r.email, displayName: r.display_name, role: r.role, locale: r.locale, timeZone: r.time_zone };
}

/**
 * A new API key for the booking API. The key is returned once; only its hash is stored.
 * `key` may be given (the demo seed uses a documented one).
 */
export async function issueApiKey(db: Db, organisationId: string, key: string = `tc_${randomBytes(24).toString('base64url')}`): Promise<string> {
  await db.insertInto('api_keys').values({ id: randomUUID(), organisation_id: organisationId, key_hash: hashApiKey(key), prefix: key.slice(0, 7), revoked_at: null }).execute();
  return key;
}

/** The organisation an API key belongs to, or undefined for an unknown or revoked key. */
export async function organisationForApiKey(db: Db, key: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('api_keys')
    .select('organisation_id')
    .where('key_hash', '=', hashApiKey(key))
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return row?.organisation_id;
}
