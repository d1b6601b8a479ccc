// One-use links that set a user's password: the invitation of a new company's admin, and a reset
// asked for by email. The token is only in the link; the table holds its hash. A link works once
// and until it expires; setting a password through it ends the user's other sessions.
import { randomBytes } from 'node:crypto';
import type { Db, Tx } from './database.ts';
import { sha256 } from './oauth-states.ts';
import { hashPassword } from './sessions.ts';

export type PasswordLinkPurpose = 'invitation' | 'reset';

/** An invitation is opened within days; a reset at once. */
export const PASSWORD_LINK_TTL_MS: Record<PasswordLinkPurpose, number> = { invitation: 7 * 86_400_000, reset: 3_600_000 };

export async function issuePasswordLink(db: Db | Tx, userId: string, purpose: PasswordLinkPurpose, now: Date): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await db.insertInto('password_links').values({ token_hash: sha256(token), user_id: userId, purpose, expires_at: new Date(now.getTime() + PASSWORD_LINK_TTL_MS[purpose]), used_at: null }).execute();
  return token;
}

export type PasswordLinkProblem = 'invalid' | 'expired' | 'used';

/** What a link is for, without using it (the page that sets the password shows whose it is). */
export async function peekPasswordLink(db: Db, token: string, now: Date): Promise<{ userId: string; purpose: PasswordLinkPurpose; email: string; locale: 'ja' | 'en' } | { problem: PasswordLinkProblem }> {
  const row = await db.selectFrom('password_links').innerJoin('users', 'users.id', 'password_links.user_id')
    .select(['password_links.user_id', 'password_links.purpose', 'password_links.expires_at', 'password_links.used_at', 'users.email', 'users.locale', 'users.active'])
    .where('token_hash', '=', sha256(token)).executeTakeFirst();
  if (!row || !row.active) return { problem: 'invalid' };
  if (row.used_at) return { problem: 'used' };
  if (new Date(row.expires_at) <= now) return { problem: 'expired' };
  return { userId: row.user_id, purpose: row.purpose, email: row.email, locale: row.locale };
}

/**
 * Sets the password through the link: marks it used (only one of two concurrent uses wins), sets
 * the hash, and ends every session of the user. Returns the user's id, or the problem.
 */
export async function usePasswordLink(db: Db, token: string, password: string, now: Date): Promise<{ userId: string } | { problem: PasswordLinkProblem }> {
  const peek = await peekPasswordLink(db, token, now);
  if ('problem' in peek) return peek;
  const passwordHash = await hashPassword(password);
  return db.transaction().execute(async (tx) => {
    const used = await tx.updateTable('password_links').set({ used_at: now }).where('token_hash', '=', sha256(token)).where('used_at', 'is', null).returning('user_id').executeTakeFirst();
    if (!used) return { problem: 'used' as const };
    await tx.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', used.user_id).execute();
    await tx.deleteFrom('sessions').where('user_id', '=', used.user_id).execute();
    // The user's other links of the same kind go with it.
    await tx.updateTable('password_links').set({ used_at: now }).where('user_id', '=', used.user_id).where('used_at', 'is', null).execute();
    return { userId: used.user_id };
  });
}

/**
 * Accepts an invitation without a password: its user signed in through a provider instead, with
 * the account of the invited address. Marks it (and the user's other invitations) used; only one
 * of two concurrent uses wins. Returns the user's id, or the problem.
 */
export async function acceptInvitation(db: Db, token: string, now: Date): Promise<{ userId: string } | { problem: PasswordLinkProblem }> {
  const peek = await peekPasswordLink(db, token, now);
  if ('problem' in peek) return peek;
  if (peek.purpose !== 'invitation') return { problem: 'invalid' };
  return db.transaction().execute(async (tx) => {
    const used = await tx.updateTable('password_links').set({ used_at: now }).where('token_hash', '=', sha256(token)).where('used_at', 'is', null).returning('user_id').executeTakeFirst();
    if (!used) return { problem: 'used' as const };
    await tx.updateTable('password_links').set({ used_at: now }).where('user_id', '=', used.user_id).where('purpose', '=', 'invitation').where('used_at', 'is', null).execute();
    return { userId: used.user_id };
  });
}
