// A company's bearer credentials: booking-API keys (the booking engine) and SCIM tokens (the
// identity provider). Each is shown once when issued; only its SHA-256 is stored. A company may
// hold several of each (a new one is issued before the old one is revoked: rotation without
// downtime); each records when it was last used, and a revoked one is refused at once.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from './database.ts';

export type CredentialKind = 'booking' | 'scim';

const PREFIX: Record<CredentialKind, string> = { booking: 'tc_', scim: 'tcs_' };

export function hashCredential(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** A new credential; `key` may be given (the demo's documented key). Returns its id and the key, shown once. */
export async function issueCredential(db: Db, organisationId: string, kind: CredentialKind, options: { name?: string; key?: string } = {}): Promise<{ id: string; key: string }> {
  const key = options.key ?? `${PREFIX[kind]}${randomBytes(24).toString('base64url')}`;
  const id = randomUUID();
  await db.insertInto('api_keys').values({ id, organisation_id: organisationId, kind, name: options.name ?? null, key_hash: hashCredential(key), prefix: key.slice(0, 7), revoked_at: null }).execute();
  return { id, key };
}

/** Revokes one; false when the company holds no such credential of this kind. Revoking twice is fine. */
export async function revokeCredential(db: Db, organisationId: string, kind: CredentialKind, id: string, now: Date): Promise<boolean> {
  const row = await db.selectFrom('api_keys').select(['id', 'revoked_at']).where('id', '=', id).where('organisation_id', '=', organisationId).where('kind', '=', kind).executeTakeFirst();
  if (!row) return false;
  if (!row.revoked_at) await db.updateTable('api_keys').set({ revoked_at: now }).where('id', '=', id).execute();
  return true;
}

/**
 * The company a live credential of this kind belongs to, or undefined. Records the use, at most
 * once a minute per credential, so a busy booking engine does not write on every request.
 */
export async function organisationForCredential(db: Db, key: string, kind: CredentialKind): Promise<string | undefined> {
  const row = await db.selectFrom('api_keys').select(['id', 'organisation_id']).where('key_hash', '=', hashCredential(key)).where('kind', '=', kind).where('revoked_at', 'is', null).executeTakeFirst();
  if (!row) return undefined;
  await db.updateTable('api_keys').set({ last_used_at: sql`now()` }).where('id', '=', row.id)
    .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', sql<Date>`now() - interval '1 minute'`)]))
    .execute();
  return row.organisation_id;
}

export interface CredentialListing {
  id: string;
  kind: CredentialKind;
  name: string | null;
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export async function listCredentials(db: Db, organisationId: string): Promise<CredentialListing[]> {
  const rows = await db.selectFrom('api_keys').select(['id', 'kind', 'name', 'prefix', 'created_at', 'last_used_at', 'revoked_at']).where('organisation_id', '=', organisationId).orderBy('created_at').execute();
  return rows.map((r) => ({ id: r.id, kind: r.kind, name: r.name, prefix: r.prefix, createdAt: new Date(r.created_at), lastUsedAt: r.last_used_at && new Date(r.last_used_at), revokedAt: r.revoked_at && new Date(r.revoked_at) }));
}
