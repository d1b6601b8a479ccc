// Log-in and sessions. Passwords: scrypt (memory-hard, in Node's crypto, no native addon), with a
// per-user salt. Sessions: a random token in an HttpOnly cookie; only its hash is stored.
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { User } from '../domain/types.ts';
import type { Db } from './database.ts';
import { findUser } from './organisations.ts';
import { sha256 } from './oauth-states.ts';

const SCRYPT = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;

function scrypt(password: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scryptCb(password, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key))));
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, 32, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64url');
  const actual = await scrypt(password, Buffer.from(salt, 'base64url'), expected.length, { N: Number(n), r: Number(r), p: Number(p), maxmem: SCRYPT.maxmem });
  return timingSafeEqual(actual, expected);
}

// Compared against when the email is unknown, so both paths take the same time.
const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

export const SESSION_DAYS = 14;

/**
 * Checks the password; on success opens a session (see startSession). A deprovisioned user is
 * refused like a wrong password. `previousToken` is the browser's session before this log-in.
 */
export async function logIn(db: Db, email: string, password: string, now: Date, previousToken?: string): Promise<{ user: User; token: string } | undefined> {
  const row = await db
    .selectFrom('users')
    .select(['id', 'password_hash', 'active'])
    .where((eb) => eb(eb.fn('lower', ['email']), '=', email.trim().toLowerCase()))
    .executeTakeFirst();
  const ok = await verifyPassword(password, row?.password_hash ?? DUMMY_HASH);
  if (!row || !row.password_hash || !ok || !row.active) return undefined;
  return startSession(db, row.id, now, previousToken);
}

/**
 * A new session for a user who has just proved who they are (password, a password link, a
 * sign-in through a provider): always a new random id, and the browser's previous session, if
 * any, ends, so an id planted before the log-in is worth nothing after it. Records the log-in
 * time (the company's 90-day rule counts from it).
 */
export async function startSession(db: Db, userId: string, now: Date, previousToken?: string): Promise<{ user: User; token: string }> {
  if (previousToken) await logOut(db, previousToken);
  const token = randomBytes(32).toString('base64url');
  await db.insertInto('sessions').values({ id_hash: sha256(token), user_id: userId, expires_at: new Date(now.getTime() + SESSION_DAYS * 86_400_000) }).execute();
  await db.updateTable('users').set({ last_login_at: now }).where('id', '=', userId).execute();
  return { user: (await findUser(db, userId))!, token };
}

export async function sessionUser(db: Db, token: string, now: Date): Promise<User | undefined> {
  const row = await db.selectFrom('sessions').innerJoin('users', 'users.id', 'sessions.user_id').select(['sessions.user_id', 'sessions.expires_at', 'users.active']).where('id_hash', '=', sha256(token)).executeTakeFirst();
  if (!row || !row.active || new Date(row.expires_at) <= now) return undefined;
  return findUser(db, row.user_id);
}

export async function logOut(db: Db, token: string): Promise<void> {
  await db.deleteFrom('sessions').where('id_hash', '=', sha256(token)).execute();
}
