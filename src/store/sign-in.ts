// Signing in through an identity provider (Sign in with Microsoft): the one-use state of a sign-in
// in progress, and matching the provider's account to a user.
//
// A user is matched by the provider's ids of the account (Microsoft: tenant id `tid` and object id
// `oid`), never by an email claim alone. The first sign-in links the account once: the account's
// organisation must be the one the user's company has proven (its administrator signed in from it
// when connecting the company's calendar), and the account's sign-in name must be the user's email
// in that company. Afterwards only the ids match.
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from './database.ts';
import { OAuthStateError, sha256 } from './oauth-states.ts';
import type { SecretBox } from './secret-box.ts';

/** A sign-in is finished within minutes. */
export const SIGN_IN_TTL_MS = 10 * 60_000;

export async function issueSignInState(db: Db, box: SecretBox, args: { provider: string; browserHash: string; codeVerifier: string; nonce: string; invitation?: string; next?: string; now: Date }): Promise<string> {
  const state = randomBytes(32).toString('base64url');
  const stateHash = sha256(state);
  await db.insertInto('sign_in_states').values({
    state_hash: stateHash, provider: args.provider, browser_hash: args.browserHash,
    code_verifier: box.seal(args.codeVerifier, `sign-in:${stateHash}`), nonce: box.seal(args.nonce, `sign-in-nonce:${stateHash}`),
    invitation: args.invitation ? box.seal(args.invitation, `sign-in-invitation:${stateHash}`) : null,
    next_path: args.next ?? null,
    expires_at: new Date(args.now.getTime() + SIGN_IN_TTL_MS), used_at: null,
  }).execute();
  // Sign-ins abandoned at the provider are not kept beyond a day.
  await db.deleteFrom('sign_in_states').where('expires_at', '<', new Date(args.now.getTime() - 86_400_000)).execute();
  return state;
}

/** Consumes a sign-in's state: it must exist, be this provider's, unexpired, unused and this browser's. */
export async function consumeSignInState(db: Db, box: SecretBox, state: string, expected: { provider: string; browserHash: string | undefined }, now: Date): Promise<{ codeVerifier: string; nonce: string; invitation?: string; next?: string }> {
  return db.transaction().execute(async (tx) => {
    const row = await tx.selectFrom('sign_in_states').selectAll().where('state_hash', '=', sha256(state)).forUpdate().executeTakeFirst();
    if (!row || row.provider !== expected.provider) throw new OAuthStateError('state_invalid', 'state: unknown');
    if (row.used_at) throw new OAuthStateError('state_used', 'state: already used');
    if (new Date(row.expires_at) <= now) throw new OAuthStateError('state_expired', 'state: expired');
    if (!expected.browserHash || row.browser_hash !== expected.browserHash) throw new OAuthStateError('state_wrong_session', 'state: issued to another browser');
    await tx.updateTable('sign_in_states').set({ used_at: now }).where('state_hash', '=', row.state_hash).execute();
    return {
      codeVerifier: box.open(row.code_verifier, `sign-in:${row.state_hash}`), nonce: box.open(row.nonce, `sign-in-nonce:${row.state_hash}`),
      ...(row.invitation ? { invitation: box.open(row.invitation, `sign-in-invitation:${row.state_hash}`) } : {}),
      ...(row.next_path ? { next: row.next_path } : {}),
    };
  });
}

/** The account the provider proved, as its id token says. */
export interface ProvenAccount {
  provider: string;
  /** Microsoft: the tenant id (tid). */
  organization: string;
  /** Microsoft: the object id (oid) within the tenant. */
  subject: string;
  /** The account's sign-in name (Microsoft's UPN), for the first link only. */
  signInName: string;
}

export type SignInMatch =
  | { userId: string; linked: boolean }
  | { problem: 'organization_not_proven' | 'user_not_found' | 'user_deactivated' | 'other_account_linked' };

/** The companies whose proven organisation at this provider is `organization`. */
function provenCompanies(db: Db, provider: string, organization: string) {
  return db.selectFrom('organisation_calendar_providers').select('organisation_id')
    .where('provider', '=', provider).where('grant_organization', '=', organization).where('connected_by', 'is not', null);
}

export async function matchSignIn(db: Db, account: ProvenAccount, now: Date): Promise<SignInMatch> {
  const linked = await db.selectFrom('user_identities').innerJoin('users', 'users.id', 'user_identities.user_id')
    .select(['users.id', 'users.organisation_id', 'users.active', 'users.deleted_at'])
    .where('user_identities.provider', '=', account.provider).where('user_identities.organization', '=', account.organization).where('user_identities.subject', '=', account.subject)
    .executeTakeFirst();
  if (linked) {
    // The company may since have proven another organisation (or none): the link then no longer holds.
    const stillProven = await provenCompanies(db, account.provider, account.organization).where('organisation_id', '=', linked.organisation_id).executeTakeFirst();
    if (!stillProven) return { problem: 'organization_not_proven' };
    if (!linked.active || linked.deleted_at) return { problem: 'user_deactivated' };
    return { userId: linked.id, linked: false };
  }
  const companies = await provenCompanies(db, account.provider, account.organization).execute();
  if (companies.length === 0) return { problem: 'organization_not_proven' };
  const email = account.signInName.trim().toLowerCase();
  if (!email.includes('@')) return { problem: 'user_not_found' };
  const user = await db.selectFrom('users').select(['id', 'active'])
    .where('organisation_id', 'in', companies.map((c) => c.organisation_id))
    .where((eb) => eb(eb.fn('lower', ['email']), '=', email))
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (!user) return { problem: 'user_not_found' };
  if (!user.active) return { problem: 'user_deactivated' };
  const inserted = await db.insertInto('user_identities')
    .values({ provider: account.provider, organization: account.organization, subject: account.subject, user_id: user.id, linked_at: now })
    .onConflict((oc) => oc.doNothing())
    .returning('user_id')
    .executeTakeFirst();
  if (inserted) return { userId: user.id, linked: true };
  // Either this account was linked a moment ago by a sign-in beside this one, or the user is
  // already linked to another account of the provider: only the ids decide from the first link on.
  const now_ = await db.selectFrom('user_identities').select('user_id')
    .where('provider', '=', account.provider).where('organization', '=', account.organization).where('subject', '=', account.subject)
    .executeTakeFirst();
  if (now_?.user_id === user.id) return { userId: user.id, linked: false };
  return { problem: 'other_account_linked' };
}

/** The accounts linked to a user (for tests and the admin's view). */
export async function userIdentities(db: Db, userId: string): Promise<{ provider: string; organization: string; subject: string }[]> {
  return db.selectFrom('user_identities').select(['provider', 'organization', 'subject']).where('user_id', '=', userId).orderBy(sql`linked_at`).execute();
}
