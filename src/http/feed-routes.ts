// The traveler's private subscription feed: turned on, replaced and off from Connected apps
// (/api/me/calendar-feed), and served to calendar clients at /calendar-feed/<token>.ics with no
// session. A client polls it: a request whose If-None-Match holds the current ETag is answered 304
// after one statement (store/calendar-feeds.ts feedStamp), with nothing rendered.
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { FEED_PAST_DAYS, FEED_REFRESH, renderFeedIcs } from '../ics/render-feed.ts';
import { messages } from '../i18n/messages.ts';
import { FEED_TOKEN_PATTERN, feedStamp, feedTrips, findMyFeed, replaceFeedToken, revokeFeed, type FeedStamp, type MyFeed } from '../store/calendar-feeds.ts';
import type { Store } from '../store/database.ts';
import type { SecretBox } from '../store/secret-box.ts';
import type { CalendarFeedStatus } from './api-types.ts';
import { requestLocale, requireUser } from './session.ts';

export interface FeedRoutesOptions {
  store: Store;
  box: SecretBox;
  publicUrl: string;
  organizer: { name: string; email: string };
  now?: () => Date;
}

/** The feed's path; the token in it is a secret, and the server's log writes it redacted (server.ts). */
export const FEED_PATH_PREFIX = '/calendar-feed/';

/** Changes whenever the rendering changes, so clients holding an older ETag get the new text. */
const FEED_FORMAT = 'feed-1';

const DAY_MS = 86_400_000;

/**
 * The feed's ETag: its text is a function of these alone (the trips' stamp, the language, the
 * company's choice for cancelled bookings, and the UTC day, which moves the window of past
 * segments), so the text is rendered only when it changes.
 */
export function feedEtag(stamp: FeedStamp, at: Date): string {
  const day = Math.floor(at.getTime() / DAY_MS);
  const basis = [FEED_FORMAT, stamp.userId, stamp.locale, stamp.tripsChangedAt?.toISOString() ?? '-', stamp.versions, stamp.trips, stamp.keepCancelled ? 'keep-cancelled' : 'remove-cancelled', day].join('|');
  return `"${createHash('sha256').update(basis).digest('base64url').slice(0, 27)}"`;
}

/** Whether an If-None-Match header names this ETag (weak or strong, in a list, or "*"). */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((tag) => {
    const t = tag.trim().replace(/^W\//, '');
    return t === '*' || t === etag;
  });
}

export async function feedRoutes(app: FastifyInstance, opts: FeedRoutesOptions): Promise<void> {
  const { store, box } = opts;
  const db = store.db;
  const now = opts.now ?? (() => new Date());

  function status(feed: MyFeed | undefined): CalendarFeedStatus {
    if (!feed) return { enabled: false, refreshInterval: FEED_REFRESH };
    const httpsUrl = `${opts.publicUrl}${FEED_PATH_PREFIX}${feed.token}.ics`;
    return { enabled: true, refreshInterval: FEED_REFRESH, httpsUrl, webcalUrl: httpsUrl.replace(/^https?:\/\//, 'webcal://'), createdAt: feed.createdAt.toISOString() };
  }

  app.get('/api/me/calendar-feed', { schema: { hide: true } }, async (request) => {
    const user = await requireUser(db, request, now());
    return status(await findMyFeed(db, box, user.id));
  });

  // Turns the feed on, or gives it a new URL (the old one answers 404 from then on).
  app.post('/api/me/calendar-feed', { schema: { hide: true } }, async (request) => {
    const user = await requireUser(db, request, now());
    return status(await replaceFeedToken(db, box, user, now()));
  });

  app.delete('/api/me/calendar-feed', { schema: { hide: true } }, async (request) => {
    const user = await requireUser(db, request, now());
    await revokeFeed(db, user.id);
    return status(undefined);
  });

  app.get<{ Params: { file: string } }>(`${FEED_PATH_PREFIX}:file`, { schema: { hide: true } }, async (request, reply) => {
    // Nothing is said of why a feed is not there: an unknown, replaced or revoked token look the same.
    const notFound = () => reply.code(404).type('text/plain; charset=utf-8').header('cache-control', 'no-store').send(messages(requestLocale(request)).calendarFeed.notFound);
    const token = /^(.+)\.ics$/.exec(request.params.file)?.[1];
    if (!token || !FEED_TOKEN_PATTERN.test(token)) return notFound();
    const at = now();
    const stamp = await feedStamp(db, token);
    if (!stamp) return notFound();
    const etag = feedEtag(stamp, at);
    // The URL is the secret: kept out of other sites' Referer and out of search engines.
    reply.header('etag', etag).header('cache-control', 'private, no-cache').header('referrer-policy', 'no-referrer').header('x-robots-tag', 'noindex');
    if (etagMatches(request.headers['if-none-match'], etag)) return reply.code(304).send();
    const trips = await feedTrips(db, stamp.userId);
    const words = messages(stamp.locale);
    const text = renderFeedIcs(trips, {
      locale: stamp.locale, name: words.calendarFeed.name, organizer: opts.organizer,
      dtstamp: stamp.tripsChangedAt ?? new Date(0),
      // Whole UTC days, as the ETag counts them.
      since: new Date((Math.floor(at.getTime() / DAY_MS) - FEED_PAST_DAYS) * DAY_MS),
      keepCancelled: stamp.keepCancelled,
    });
    return reply.type('text/calendar; charset=utf-8').header('content-disposition', 'inline; filename="tripcal.ics"').send(text);
  });
}
