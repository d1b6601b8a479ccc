// The web app's JSON API for log-in, the user and their trips. Types: api-types.ts.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { SendMailOptions } from 'nodemailer';
import { providerDescriptor, providerDescriptors } from '../calendars/registry.ts';
import type { Trip, User } from '../domain/types.ts';
import { messages } from '../i18n/messages.ts';
import { userConnections } from '../store/calendar-connections.ts';
import { eventStates } from '../store/calendar-events.ts';
import { companyCalendars } from '../store/company-calendars.ts';
import type { Store } from '../store/database.ts';
import { issuePasswordLink, PASSWORD_LINK_TTL_MS, peekPasswordLink, usePasswordLink, type PasswordLinkProblem } from '../store/password-links.ts';
import { logIn, logOut, sessionUser, startSession } from '../store/sessions.ts';
import { findActiveUserByEmail } from '../store/users.ts';
import { composePasswordReset } from '../mail/password-reset-email.ts';
import { throttle } from './hardening.ts';
import { findTripById, listTravelerTrips } from '../store/trips.ts';
import { findOrganisation, setUserLocale } from '../store/organisations.ts';
import type { CalendarEventState, Me, PasswordLinkInfo, TripDetail, TripListItem } from './api-types.ts';
import { sendIcs } from './booking-routes.ts';
import { HttpError } from './errors.ts';
import { clearSessionCookie, requestLocale, requireUser, sessionToken, setSessionCookie } from './session.ts';

export interface AppRoutesOptions {
  store: Store;
  organizer: { name: string; email: string };
  secureCookies: boolean;
  publicUrl: string;
  /** Sends the password-reset emails; without it, no reset can be asked for (404). */
  mail?: { send(message: SendMailOptions): Promise<unknown>; from: { name: string; address: string } };
  /** The log-in limits (LOGIN_LIMITS by default). */
  loginLimits?: typeof LOGIN_LIMITS;
  now?: () => Date;
}

/**
 * Log-in attempts: per account (a password guessed at) and per client address (many accounts
 * tried). The address's limit leaves room for a whole office behind one NAT address logging in.
 */
export const LOGIN_LIMITS = { perAccount: { max: 10, windowMs: 15 * 60_000 }, perAddress: { max: 300, windowMs: 15 * 60_000 } };

/** The shortest password a link may set. */
export const MIN_PASSWORD_LENGTH = 10;

async function me(store: Store, user: User): Promise<Me> {
  const org = await findOrganisation(store.db, user.organisationId);
  return { id: user.id, email: user.email, displayName: user.displayName, role: user.role, locale: user.locale, timeZone: user.timeZone, organisation: org };
}

export async function appRoutes(app: FastifyInstance, opts: AppRoutesOptions): Promise<void> {
  const { store } = opts;
  const now = opts.now ?? (() => new Date());

  const accountKey = (request: FastifyRequest) => String((request.body as { email?: unknown } | undefined)?.email ?? '').trim().toLowerCase();
  const limits = opts.loginLimits ?? LOGIN_LIMITS;
  const loginThrottle = throttle(app, [
    { name: 'login-account', ...limits.perAccount, key: accountKey },
    { name: 'login-address', ...limits.perAddress, key: (request) => request.ip },
  ]);

  app.post<{ Body: { email: string; password: string } }>('/api/session', {
    schema: {
      hide: true,
      body: { type: 'object', required: ['email', 'password'], additionalProperties: false, properties: { email: { type: 'string', minLength: 1, maxLength: 254 }, password: { type: 'string', minLength: 1, maxLength: 200 } } },
    },
    preHandler: loginThrottle,
  }, async (request, reply) => {
    const session = await logIn(store.db, request.body.email, request.body.password, now(), sessionToken(request));
    if (!session) throw new HttpError(401, 'invalid_credentials', messages(requestLocale(request)).session.loginFailed, 'password');
    setSessionCookie(reply, session.token, opts.secureCookies);
    return { user: await me(store, session.user) };
  });

  app.delete('/api/session', { schema: { hide: true } }, async (request, reply) => {
    const token = sessionToken(request);
    if (token) await logOut(store.db, token);
    clearSessionCookie(reply);
    return reply.code(204).send();
  });

  // ---- one-use links that set a password (an invitation, a reset) ----

  const linkThrottle = throttle(app, [{ name: 'password-link-address', ...limits.perAddress, key: (request) => request.ip }]);
  const linkProblem = (request: FastifyRequest, problem: PasswordLinkProblem) => {
    const t = messages(requestLocale(request)).access;
    const text = { invalid: t.linkInvalid, expired: t.linkExpired, used: t.linkUsed }[problem];
    return new HttpError(problem === 'invalid' ? 404 : 410, `link_${problem}`, text, 'token');
  };

  // The token travels in the query (redacted from logs) or the body, never in a logged path.
  app.get<{ Querystring: { token: string } }>('/api/password-links', {
    schema: { hide: true, querystring: { type: 'object', required: ['token'], properties: { token: { type: 'string', minLength: 1, maxLength: 200 } } } },
    preHandler: linkThrottle,
  }, async (request): Promise<PasswordLinkInfo> => {
    const link = await peekPasswordLink(store.db, request.query.token, now());
    if ('problem' in link) throw linkProblem(request, link.problem);
    return { purpose: link.purpose, email: link.email, locale: link.locale };
  });

  app.post<{ Body: { token: string; password: string } }>('/api/password-links', {
    schema: {
      hide: true,
      body: { type: 'object', required: ['token', 'password'], additionalProperties: false, properties: { token: { type: 'string', minLength: 1, maxLength: 200 }, password: { type: 'string', maxLength: 200 } } },
    },
    preHandler: linkThrottle,
  }, async (request, reply) => {
    if (request.body.password.length < MIN_PASSWORD_LENGTH) {
      throw new HttpError(400, 'password_too_short', messages(requestLocale(request)).access.passwordTooShort(MIN_PASSWORD_LENGTH), 'password');
    }
    const used = await usePasswordLink(store.db, request.body.token, request.body.password, now());
    if ('problem' in used) throw linkProblem(request, used.problem);
    // The person who opened the link is logged in, with a new session.
    const session = await startSession(store.db, used.userId, now(), sessionToken(request));
    setSessionCookie(reply, session.token, opts.secureCookies);
    return { user: await me(store, session.user) };
  });

  // Always 202, known email or not, so the answer tells nobody who has an account.
  app.post<{ Body: { email: string } }>('/api/password-reset', {
    schema: { hide: true, body: { type: 'object', required: ['email'], additionalProperties: false, properties: { email: { type: 'string', minLength: 1, maxLength: 254 } } } },
    preHandler: throttle(app, [
      { name: 'reset-account', max: 3, windowMs: 60 * 60_000, key: accountKey },
      { name: 'reset-address', ...limits.perAddress, key: (request) => request.ip },
    ]),
  }, async (request, reply) => {
    const mail = opts.mail;
    if (!mail) throw new HttpError(404, 'not_found', 'password reset is not available');
    const user = await findActiveUserByEmail(store.db, request.body.email);
    if (user) {
      const token = await issuePasswordLink(store.db, user.id, 'reset', now());
      const url = `${opts.publicUrl}/reset-password?token=${encodeURIComponent(token)}`;
      // Sent after the answer: the time it takes does not tell whether the email is known.
      void mail.send(composePasswordReset(user, { url, validMinutes: PASSWORD_LINK_TTL_MS.reset / 60_000, from: mail.from }))
        .catch((error: Error) => request.log.warn({ err: { name: error.name, message: error.message } }, 'password reset email not sent'));
    }
    return reply.code(202).send({ ok: true });
  });

  app.get('/api/me', { schema: { hide: true } }, async (request) => ({ user: await me(store, await requireUser(store.db, request, now())) }));

  // The web app's first question, "who is signed in?": 200 with null when nobody is, so a first
  // visit is not a failed request (a 401 shows as an error in the browser's console).
  app.get('/api/session', { schema: { hide: true } }, async (request) => {
    const token = sessionToken(request);
    const user = token ? await sessionUser(store.db, token, now()) : undefined;
    return { user: user ? await me(store, user) : null };
  });

  app.put<{ Body: { locale: 'ja' | 'en' } }>('/api/me', {
    schema: { hide: true, body: { type: 'object', required: ['locale'], additionalProperties: false, properties: { locale: { enum: ['ja', 'en'] } } } },
  }, async (request) => {
    const user = await requireUser(store.db, request, now());
    await setUserLocale(store.db, user.id, request.body.locale);
    return { user: await me(store, { ...user, locale: request.body.locale }) };
  });

  app.get('/api/trips', { schema: { hide: true } }, async (request) => {
    const user = await requireUser(store.db, request, now());
    const at = now().getTime();
    const trips: TripListItem[] = (await listTravelerTrips(store.db, user.organisationId, user.id)).map((t) => ({
      id: t.id, bookingRef: t.bookingRef, title: t.title, status: t.status,
      startsAt: t.startsAt?.toISOString() ?? null, endsAt: t.endsAt?.toISOString() ?? null,
      timing: t.endsAt && t.endsAt.getTime() < at ? 'past' : t.startsAt && t.startsAt.getTime() <= at ? 'current' : 'upcoming',
    }));
    return { trips };
  });

  // A traveler sees their own trips; a company admin also those of their company's travelers.
  async function visibleTrip(user: User, tripId: string) {
    const trip = /^[0-9a-f-]{36}$/i.test(tripId) ? await findTripById(store.db, user.organisationId, tripId) : undefined;
    if (!trip || (trip.travelerId !== user.id && user.role !== 'admin')) {
      throw new HttpError(404, 'trip_not_found', messages(user.locale).trips.notFound);
    }
    return trip;
  }

  app.get<{ Params: { id: string } }>('/api/trips/:id', { schema: { hide: true } }, async (request): Promise<TripDetail> => {
    const user = await requireUser(store.db, request, now());
    const trip = await visibleTrip(user, request.params.id);
    return { trip, calendars: await tripCalendars(store, trip) };
  });

  app.get<{ Params: { id: string } }>('/api/trips/:id/itinerary.ics', { schema: { hide: true } }, async (request, reply) => {
    const user = await requireUser(store.db, request, now());
    const trip = await visibleTrip(user, request.params.id);
    const traveler = trip.travelerId === user.id ? user : undefined;
    return sendIcs(reply, trip, traveler?.locale ?? user.locale, opts.organizer);
  });
}

/**
 * Each segment's state in each calendar of the traveler: one entry per connection (a lapsed one
 * too: what it holds stays as it was). With none, one per provider the company syncs, or else per
 * provider offered, every segment not synced.
 */
async function tripCalendars(store: Store, trip: Trip): Promise<TripDetail['calendars']> {
  const connections = await userConnections(store.db, trip.travelerId);
  if (!connections.length) {
    const syncing = (await companyCalendars(store.db, trip.organisationId)).filter((c) => c.sync_enabled).map((c) => c.provider);
    const providers = providerDescriptors().filter((d) => !syncing.length || syncing.includes(d.id));
    return providers.map((provider) => ({ provider, segments: Object.fromEntries(trip.segments.map((s) => [s.id, { state: 'not_synced' as const }])) }));
  }
  const records = await eventStates(store.db, trip.travelerId, trip.segments.map((s) => s.id));
  return connections.flatMap((c) => {
    const provider = providerDescriptor(c.provider);
    if (!provider) return [];
    const byId = new Map(records.filter((r) => r.connectionId === c.id).map((r) => [r.segmentId, r]));
    const segments: Record<string, { state: CalendarEventState; error?: string }> = {};
    for (const s of trip.segments) {
      const m = byId.get(s.id);
      if (s.status === 'cancelled') segments[s.id] = { state: m ? 'pending' : 'not_synced' };
      else if (!m) segments[s.id] = { state: c.status === 'connected' ? 'pending' : 'not_synced' };
      else if (m.state === 'synced') segments[s.id] = { state: 'synced' };
      else if (m.state === 'user_deleted') segments[s.id] = { state: 'deleted_in_calendar' };
      else if (m.state === 'failed') segments[s.id] = { state: 'failed', ...(m.error ? { error: m.error } : {}) };
      else segments[s.id] = { state: 'pending' };
    }
    return [{ provider, segments }];
  });
}
