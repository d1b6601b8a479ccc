// The Fastify server: the booking API (and, as they come, the OAuth callbacks and the web app's
// JSON API). Built from its parts so tests can start it on port 0.
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance } from 'fastify';
import type { CalendarProviders } from '../calendars/registry.ts';
import type { Bookings } from '../store/bookings.ts';
import type { Store } from '../store/database.ts';
import type { SecretBox } from '../store/secret-box.ts';
import { appRoutes, type AppRoutesOptions } from './app-routes.ts';
import { registerRateLimits, refuseCrossSite, securityHeaders } from './hardening.ts';
import { scimRoutes } from './scim-routes.ts';
import { signInRoutes } from './sign-in-routes.ts';
import { operatorAlarms } from '../store/operator-alarms.ts';
import { operatorRoutes, type OperatorAccess } from './operator-routes.ts';
import { devRoutes, type DevRoutesOptions } from './dev-routes.ts';
import { webAppRoutes, type WebAppOptions } from './web-app.ts';
import { bookingRoutes } from './booking-routes.ts';
import { calendarRoutes } from './calendar-routes.ts';
import { FEED_PATH_PREFIX, feedRoutes } from './feed-routes.ts';
import { installErrorHandler, installTextGuard, RETRY_AFTER_SECONDS } from './errors.ts';

export interface ServerOptions {
  store: Store;
  bookings: Bookings;
  organizer: { name: string; email: string };
  /** Where users reach the server (OAuth redirect URIs are built on it). */
  publicUrl: string;
  /** The calendar providers this deployment runs, and the box that seals their credentials. */
  calendars?: { providers: CalendarProviders; box: SecretBox };
  /** The built web app; absent, only the APIs are served. */
  web?: WebAppOptions;
  /** Development pages (outbox, demo-booking changes); never in production. */
  dev?: DevRoutesOptions;
  /** NODE_ENV=production: the development pages are refused even when asked for. */
  production?: boolean;
  /** The operator API (/api/operator/v1); its token may be undefined (then it answers 404). */
  operator?: OperatorAccess;
  /** Sends password-reset emails. */
  mail?: AppRoutesOptions['mail'];
  /** The log-in limits (app-routes.ts LOGIN_LIMITS by default). */
  loginLimits?: AppRoutesOptions['loginLimits'];
  /**
   * Fastify's trustProxy (TRUST_PROXY): behind a load balancer, the client's address and scheme
   * come from X-Forwarded-For / X-Forwarded-Proto, for the per-address log-in limit and the
   * cross-site check. Off by default: those headers are then ignored.
   */
  trustProxy?: boolean | number | string[];
  logger?: boolean;
  /** Where log lines go (stdout by default). */
  logStream?: NodeJS.WritableStream;
  now?: () => Date;
}

/**
 * "/oauth/<provider>/callback?code=…&state=…" → "/oauth/<provider>/callback?code=[redacted]&state=[redacted]";
 * "/calendar-feed/<token>.ics" → "/calendar-feed/[redacted]" (a feed's URL is its secret).
 */
export function redactQuery(url: string): string {
  if (url.startsWith(FEED_PATH_PREFIX)) return `${FEED_PATH_PREFIX}[redacted]`;
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  return `${url.slice(0, q)}?${[...params.keys()].map((k) => `${k}=[redacted]`).join('&')}`;
}

/** A 10 MB body is refused before it is parsed; a real booking is a few kilobytes. */
export const BODY_LIMIT = 1024 * 1024;

export async function buildServer(opts: ServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    bodyLimit: BODY_LIMIT,
    // A number of hops as Fastify's own integer form means it (trust the first n hops).
    trustProxy: typeof opts.trustProxy === 'number' ? ((_address: string, hop: number) => hop < (opts.trustProxy as number)) : (opts.trustProxy ?? false),
    logger: opts.logger
      ? {
          level: 'info',
          ...(opts.logStream ? { stream: opts.logStream } : {}),
          // Query strings can hold an OAuth code or state (the callbacks), and no header is
          // logged at all (Authorization, cookies): method, path and peer are enough.
          serializers: {
            req: (req: { method: string; url: string; ip?: string }) => ({ method: req.method, path: redactQuery(req.url), remoteAddress: req.ip }),
          },
        }
      : false,
    ajv: {
      // Unknown fields are refused (not silently dropped), types are not coerced, and the segment
      // type decides which schema applies, so errors speak about the right fields.
      customOptions: { removeAdditional: false, coerceTypes: false, discriminator: true, allErrors: false },
    },
  });
  installErrorHandler(app);
  installTextGuard(app);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'tripcal booking API',
        version: '1',
        description: 'What a booking engine calls: trips and their segments. Every change sends the traveler an itinerary email with an .ics, and updates their calendars where connected. The operator API (tag operator) is what the platform running tripcal calls to onboard companies.',
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer', description: "The company's API key" },
          operatorToken: { type: 'http', scheme: 'bearer', description: "The platform operator's token (OPERATOR_TOKEN)" },
          sessionCookie: { type: 'apiKey', in: 'cookie', name: 'tripcal_session', description: "The web app's session (POST /api/session)" },
        },
      },
    },
  });
  await app.register(cookie);
  await securityHeaders(app, { publicUrl: opts.publicUrl });
  refuseCrossSite(app, { publicUrl: opts.publicUrl });
  await registerRateLimits(app, opts.store);

  await app.register(bookingRoutes, { prefix: '/api/v1', store: opts.store, bookings: opts.bookings, organizer: opts.organizer });
  const secureCookies = opts.publicUrl.startsWith('https:');
  await app.register(appRoutes, { store: opts.store, organizer: opts.organizer, secureCookies, publicUrl: opts.publicUrl, ...(opts.mail ? { mail: opts.mail } : {}), ...(opts.loginLimits ? { loginLimits: opts.loginLimits } : {}), now: opts.now });
  if (opts.operator) await app.register(operatorRoutes, { prefix: '/api/operator/v1', store: opts.store, access: opts.operator, publicUrl: opts.publicUrl, now: opts.now });
  if (opts.calendars) {
    await app.register(calendarRoutes, { store: opts.store, providers: opts.calendars.providers, box: opts.calendars.box, publicUrl: opts.publicUrl, now: opts.now });
    await app.register(signInRoutes, { store: opts.store, providers: opts.calendars.providers, box: opts.calendars.box, publicUrl: opts.publicUrl, secureCookies, ...(opts.loginLimits ? { loginLimits: opts.loginLimits } : {}), now: opts.now });
    await app.register(feedRoutes, { store: opts.store, box: opts.calendars.box, publicUrl: opts.publicUrl, organizer: opts.organizer, now: opts.now });
  }

  await app.register(scimRoutes, {
    prefix: '/scim/v2', store: opts.store, publicUrl: opts.publicUrl, now: opts.now,
  });
  const devTools = !!opts.dev && !opts.production;
  if (devTools) await app.register(devRoutes, { ...opts.dev!, store: opts.store, now: opts.now });
  if (opts.web) await app.register(webAppRoutes, { ...opts.web, devTools });
  // (webAppRoutes answers unknown paths itself.) Fastify's own 404 would log the query string.
  else app.setNotFoundHandler((request, reply) => reply.code(404).send({ error: 'not_found', message: `${request.method} ${request.url.split('?')[0]} does not exist` }));

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  // For a load balancer or supervisor: 503 while the database does not answer. The process itself
  // keeps running and recovers by itself once it does (README, "Running it against PostgreSQL").
  // A calendar provider's fault that only the operator can fix (operator_alarms) makes it
  // "degraded", with the reason: the process itself is fine, so it is still a 200.
  app.get('/healthz', { schema: { hide: true } }, async (_request, reply) => {
    if (await opts.store.reachable()) {
      const alarms = await operatorAlarms(opts.store.db);
      if (!alarms.length) return { ok: true, database: 'reachable' };
      return {
        ok: true, status: 'degraded', database: 'reachable',
        calendars: alarms.map((a) => ({ provider: a.provider, reason: a.reason, since: a.since.toISOString(), failures: a.failures, nextTryAt: a.nextProbeAt.toISOString() })),
      };
    }
    return reply.code(503).header('retry-after', String(RETRY_AFTER_SECONDS)).send({ ok: false, database: 'unreachable' });
  });
  return app;
}
