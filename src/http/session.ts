// Cookie sessions for the web app's JSON API. The cookie holds a random token; the database a hash.
import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { User } from '../domain/types.ts';
import { messages } from '../i18n/messages.ts';
import type { Db } from '../store/database.ts';
import { sha256 } from '../store/oauth-states.ts';
import { sessionUser, SESSION_DAYS } from '../store/sessions.ts';
import { HttpError } from './errors.ts';

export const SESSION_COOKIE = 'tripcal_session';

export function setSessionCookie(reply: FastifyReply, token: string, secure: boolean): void {
  reply.setCookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'lax', secure, path: '/', maxAge: SESSION_DAYS * 86_400 });
}

export function clearSessionCookie(reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, { path: '/' });
}

export function sessionToken(request: FastifyRequest): string | undefined {
  return request.cookies[SESSION_COOKIE] || undefined;
}

/** The session's hash: what an OAuth `state` is bound to. */
export function sessionHash(request: FastifyRequest): string | undefined {
  const token = sessionToken(request);
  return token ? sha256(token) : undefined;
}

/** The preferred language of an anonymous request (Accept-Language), for its error messages. */
export function requestLocale(request: FastifyRequest): 'ja' | 'en' {
  return /^ja\b/i.test(request.headers['accept-language'] ?? '') ? 'ja' : 'en';
}

export async function requireUser(db: Db, request: FastifyRequest, now: Date): Promise<User> {
  const token = sessionToken(request);
  const user = token ? await sessionUser(db, token, now) : undefined;
  if (!user) throw new HttpError(401, 'not_logged_in', messages(requestLocale(request)).session.signedOut);
  return user;
}

export async function requireAdmin(db: Db, request: FastifyRequest, now: Date): Promise<User> {
  const user = await requireUser(db, request, now);
  if (user.role !== 'admin') throw new HttpError(403, 'admin_only', messages(user.locale).session.adminOnly);
  return user;
}
