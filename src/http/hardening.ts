// What every response and every cookie-authenticated request goes through: the security headers
// (@fastify/helmet), the refusal of cross-site state-changing requests, and the throttling of
// log-in and password links (@fastify/rate-limit, its counters in the database so the limits hold
// across every API process).
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { messages } from '../i18n/messages.ts';
import type { Store } from '../store/database.ts';
import { rateLimitStore } from '../store/rate-limits.ts';
import { HttpError } from './errors.ts';
import { requestLocale } from './session.ts';

/** Paths authenticated by a bearer credential, never by the session cookie: a cross-site request there carries no authority. */
const BEARER_PATHS = /^\/(api\/v1|api\/operator|scim)(\/|$)/;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export async function securityHeaders(app: FastifyInstance, opts: { publicUrl: string }): Promise<void> {
  const https = opts.publicUrl.startsWith('https:');
  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        // The web app is its own scripts and styles (vite's build); nothing inline runs.
        'default-src': ["'self'"],
        'script-src': ["'self'"],
        'style-src': ["'self'", "'unsafe-inline'"],
        'img-src': ["'self'", 'data:'],
        'connect-src': ["'self'"],
        'frame-ancestors': ["'none'"],
        'form-action': ["'self'"],
        'object-src': ["'none'"],
        'base-uri': ["'self'"],
        // Over plain http (a local set-up) there is nothing to upgrade to.
        'upgrade-insecure-requests': https ? [] : null,
      },
    },
    frameguard: { action: 'deny' },
    strictTransportSecurity: https ? { maxAge: 31_536_000, includeSubDomains: true } : false,
  });
}

/**
 * Refuses (403) a state-changing request that a browser sent from another site: its `Origin`,
 * when present, must be this server's; otherwise `Sec-Fetch-Site` must say same-origin (or none:
 * typed by the user). A request with neither comes from no browser, and carries no cookie a
 * browser was tricked into sending. Bearer-authenticated APIs are not concerned.
 */
export function refuseCrossSite(app: FastifyInstance, opts: { publicUrl: string }): void {
  const publicOrigin = new URL(opts.publicUrl).origin;
  app.addHook('onRequest', async (request: FastifyRequest) => {
    if (SAFE_METHODS.has(request.method) || BEARER_PATHS.test(request.url)) return;
    const origin = request.headers.origin;
    const fetchSite = request.headers['sec-fetch-site'];
    let allowed = true;
    if (origin !== undefined) allowed = origin === publicOrigin || origin === `${request.protocol}://${request.host}`;
    else if (typeof fetchSite === 'string') allowed = fetchSite === 'same-origin' || fetchSite === 'none';
    if (!allowed) throw new HttpError(403, 'cross_site_request', messages(requestLocale(request)).access.crossSite);
  });
}

export interface Throttle {
  /** Counts the request against each of the limits; a limit exceeded answers 429 with Retry-After. */
  (request: FastifyRequest, reply: FastifyReply): Promise<void>;
}

export interface ThrottleLimit {
  /** Names the counter; the key of a request is `${name}:${key(request)}`. */
  name: string;
  max: number;
  windowMs: number;
  key: (request: FastifyRequest) => string;
}

/** Registers @fastify/rate-limit (no global limit) on the database's counters. */
export async function registerRateLimits(app: FastifyInstance, store: Store): Promise<void> {
  await app.register(rateLimit, { global: false, store: rateLimitStore(store.db) as never });
}

/** A preHandler counting each request against every limit given; the first exceeded answers 429. */
export function throttle(app: FastifyInstance, limits: ThrottleLimit[]): Throttle {
  const checks = limits.map((l) => app.createRateLimit({ max: l.max, timeWindow: l.windowMs, keyGenerator: (request) => `${l.name}:${l.key(request)}` }));
  return async (request, reply) => {
    for (const check of checks) {
      const r = await check(request);
      if (!r.isAllowed && r.isExceeded) {
        const seconds = Math.max(1, r.ttlInSeconds);
        reply.header('retry-after', String(seconds));
        throw new HttpError(429, 'too_many_attempts', messages(requestLocale(request)).access.throttled(seconds));
      }
    }
  };
}
