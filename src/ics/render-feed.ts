// A traveler's private subscription feed (RFC 5545, with RFC 7986's NAME and REFRESH-INTERVAL):
// every trip's live segments as one calendar, each event with the UID and SEQUENCE of the emailed
// .ics, so a client that imported an email and subscribes to the feed sees one event per segment.
import { segmentSpan } from '../domain/segment-span.ts';
import type { Locale, Segment, Trip } from '../domain/types.ts';
import { toInstant } from '../domain/zoned-time.ts';
import { contentLine, escapeText } from './content-line.ts';
import { DEFAULT_PRODUCT_ID, renderEvent, zonesUsed, type IcsPerson } from './render-itinerary.ts';
import { vtimezone, type VTimezone } from './vtimezone.ts';

/** How long ago a segment may have ended and still be in the feed: the trip just taken stays for expenses. */
export const FEED_PAST_DAYS = 90;

/** How often a client is asked to fetch the feed again (most take their own time anyway). */
export const FEED_REFRESH = 'PT1H';

export interface FeedOptions {
  locale: Locale;
  /** The calendar's name in the client. */
  name: string;
  organizer: IcsPerson;
  /** The DTSTAMP of every event: when the traveler's trips last changed, so the same trips give the same bytes. */
  dtstamp: Date;
  /** Segments that ended before this are left out. */
  since: Date;
  /** The company keeps cancelled bookings in calendars: they stay in the feed, titled as cancelled, free. */
  keepCancelled?: boolean;
}

function endsAt(segment: Segment): Date | undefined {
  return toInstant(segmentSpan(segment).end);
}

/**
 * The segments a feed shows: confirmed, of an active trip (with `keepCancelled`, cancelled ones
 * too, those of a cancelled trip marked cancelled), not ended before `since`; by start.
 */
export function feedSegments(trips: Trip[], since: Date, keepCancelled = false): Segment[] {
  const segments: Array<{ segment: Segment; start: number }> = [];
  for (const trip of trips) {
    if (trip.status !== 'active' && !keepCancelled) continue;
    for (const tripSegment of trip.segments) {
      const segment = trip.status === 'active' ? tripSegment : { ...tripSegment, status: 'cancelled' as const };
      if (segment.status !== 'confirmed' && !keepCancelled) continue;
      const end = endsAt(segment);
      if (!end || end < since) continue;
      segments.push({ segment, start: toInstant(segmentSpan(segment).start)?.getTime() ?? 0 });
    }
  }
  return segments.sort((a, b) => a.start - b.start || (a.segment.id < b.segment.id ? -1 : 1)).map((s) => s.segment);
}

/** The feed's text: CRLF lines folded at 75 octets, a VTIMEZONE per zone used. Deterministic for given inputs. */
export function renderFeedIcs(trips: Trip[], options: FeedOptions): string {
  const segments = feedSegments(trips, options.since, options.keepCancelled);
  const blocks = new Map<string, VTimezone>();
  for (const zone of zonesUsed(segments)) blocks.set(zone, vtimezone(zone));
  const tzid = (zone: string) => blocks.get(zone)!.tzid;
  const timezoneLines = [...new Map([...blocks.values()].map((b) => [b.tzid, b])).values()]
    .sort((a, b) => (a.tzid < b.tzid ? -1 : a.tzid > b.tzid ? 1 : 0))
    .flatMap((b) => b.lines);
  const eventOptions = { method: 'PUBLISH' as const, locale: options.locale, organizer: options.organizer, dtstamp: options.dtstamp, keepCancelled: options.keepCancelled };
  const lines = [
    'BEGIN:VCALENDAR',
    contentLine('VERSION', '2.0'),
    contentLine('PRODID', escapeText(DEFAULT_PRODUCT_ID)),
    contentLine('CALSCALE', 'GREGORIAN'),
    contentLine('METHOD', 'PUBLISH'),
    contentLine('NAME', escapeText(options.name)),
    contentLine('X-WR-CALNAME', escapeText(options.name)),
    contentLine('REFRESH-INTERVAL', FEED_REFRESH, [['VALUE', 'DURATION']]),
    contentLine('X-PUBLISHED-TTL', FEED_REFRESH),
    ...timezoneLines,
    ...segments.flatMap((segment) => renderEvent(segment, eventOptions, tzid)),
    'END:VCALENDAR',
  ];
  return lines.join('\r\n') + '\r\n';
}
