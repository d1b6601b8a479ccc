// A trip's segments as one iCalendar object (RFC 5545), for iTIP (RFC 5546) REQUEST / CANCEL
// emails and the traveler's PUBLISH download.
//
// Why our own serializer and not ical-generator (evaluated, v11.1): its VEVENT has ONE time zone
// that it writes into both DTSTART and DTEND, so a flight cannot start in Asia/Tokyo and end in
// America/Los_Angeles; it formats DTSTAMP in the calendar's zone when one is set (RFC 5545
// §3.8.7.2 requires UTC); and all-day dates of a zoned event go through the process's local time
// zone (Date#getFullYear), which makes output depend on the machine. iCalendar is a small,
// well-specified text format, so the content lines are written here (content-line.ts) and the
// VTIMEZONE blocks come from a maintained library (vtimezone.ts).

import { describeSegment } from '../domain/describe-segment.ts';
import { cancelledText, REMINDER_MINUTES } from '../domain/project-segment.ts';
import type { Locale, Segment, Trip } from '../domain/types.ts';
import { contentLine, escapeText } from './content-line.ts';
import { eventTimes, icsValue, type EventTime } from './event-times.ts';
import { IcsError } from './ics-error.ts';
import { vtimezone, type VTimezone } from './vtimezone.ts';

export type IcsMethod = 'REQUEST' | 'CANCEL' | 'PUBLISH';

export interface IcsPerson {
  name: string;
  email: string;
}

export interface IcsOptions {
  method: IcsMethod;
  locale: Locale;
  /** The platform's mailbox. */
  organizer: IcsPerson;
  /** The traveler; required for REQUEST and CANCEL (RFC 5546 §3.2.2, §3.2.5), never written for PUBLISH. */
  attendee?: IcsPerson;
  /** When this object is created; written in UTC. Segments that started before it get no reminder. */
  dtstamp: Date;
  /**
   * The company keeps cancelled bookings in calendars: a cancelled segment may then be in a
   * REQUEST, and in a REQUEST or a PUBLISH (the feed) it is written without STATUS, titled and
   * described as cancelled, free, with no reminder, as the synced calendars show it.
   */
  keepCancelled?: boolean;
  productId?: string;
}

export const DEFAULT_PRODUCT_ID = '-//tripcal//tripcal itinerary//EN';

/** The UID of a segment's event: derived from its id only, so it never changes with content. */
export function segmentUid(segment: Pick<Segment, 'id'>): string {
  return `${segment.id}@tripcal`;
}

/** A Date as a UTC DATE-TIME, "20260601T010000Z" (RFC 5545 §3.3.5 form 2). */
export function utcDateTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}

function mailto(email: string): string {
  return `mailto:${email.trim()}`;
}

function timeProperty(name: 'DTSTART' | 'DTEND', time: EventTime, tzid: (zone: string) => string): string {
  if (time.type === 'date') return contentLine(name, icsValue(time), [['VALUE', 'DATE']]);
  if (time.type === 'utc') return contentLine(name, icsValue(time));
  return contentLine(name, icsValue(time), [['TZID', tzid(time.timeZone)]]);
}

/**
 * A cancelled segment is written as one: in a CANCEL, in a PUBLISH of a cancelled trip, and in a
 * REQUEST when the company keeps cancelled bookings in calendars (`keepCancelled`).
 */
function isCancelled(segment: Segment, options: IcsOptions): boolean {
  if (options.method === 'CANCEL' || segment.status !== 'cancelled') return options.method === 'CANCEL';
  if (options.method === 'REQUEST' && !options.keepCancelled) {
    throw new IcsError(
      'ics.cancelled-segment-in-request',
      `Segment ${segment.id} is cancelled and cannot be sent in a REQUEST; send it with METHOD:CANCEL`,
    );
  }
  return true;
}

/**
 * STATUS: what the booking is. RFC 5546 §3.2.2 allows only TENTATIVE or CONFIRMED in a REQUEST,
 * so a cancelled booking kept in the calendar (a REQUEST) has none; its title says it. A kept
 * cancellation in a PUBLISH (the feed) has none either: clients hide or drop a STATUS:CANCELLED
 * event (Google Calendar drops it), and a kept one is meant to stay in sight.
 */
function status(cancelled: boolean, options: IcsOptions): string | undefined {
  if (!cancelled) return 'CONFIRMED';
  return options.method === 'REQUEST' || (options.method === 'PUBLISH' && options.keepCancelled) ? undefined : 'CANCELLED';
}

export function renderEvent(segment: Segment, options: IcsOptions, tzid: (zone: string) => string): string[] {
  const { start, end, startsAt } = eventTimes(segment);
  const described = describeSegment(segment, options.locale);
  const cancelled = isCancelled(segment, options);
  const text = cancelled ? cancelledText(described, options.locale) : described;
  const eventStatus = status(cancelled, options);
  // A stay does not make the traveler busy all day, nor does a cancelled booking; a flight, a
  // train or a rental does.
  const free = cancelled || segment.kind === 'hotel';
  const lines = [
    'BEGIN:VEVENT',
    contentLine('UID', segmentUid(segment)),
    contentLine('SEQUENCE', String(segment.sequence)),
    contentLine('DTSTAMP', utcDateTime(options.dtstamp)),
    timeProperty('DTSTART', start, tzid),
    timeProperty('DTEND', end, tzid),
    contentLine('SUMMARY', escapeText(text.summary)),
    contentLine('LOCATION', escapeText(text.location)),
    contentLine('DESCRIPTION', escapeText(text.description)),
    ...(eventStatus ? [contentLine('STATUS', eventStatus)] : []),
    contentLine('TRANSP', free ? 'TRANSPARENT' : 'OPAQUE'),
    contentLine('ORGANIZER', mailto(options.organizer.email), [['CN', options.organizer.name]]),
  ];
  if (options.method !== 'PUBLISH' && options.attendee) {
    lines.push(
      contentLine('ATTENDEE', mailto(options.attendee.email), [
        ['CN', options.attendee.name],
        ['ROLE', 'REQ-PARTICIPANT'],
        ['PARTSTAT', 'NEEDS-ACTION'],
        ['RSVP', 'FALSE'],
      ]),
    );
  }
  // labels.md: bookings show as tentative in Outlook (a cancelled one kept there as free).
  // INTENDEDSTATUS is what Outlook keeps once the invitation is accepted; without it an accepted
  // REQUEST would turn busy.
  const busy = cancelled ? 'FREE' : 'TENTATIVE';
  lines.push(contentLine('X-MICROSOFT-CDO-BUSYSTATUS', busy));
  lines.push(contentLine('X-MICROSOFT-CDO-INTENDEDSTATUS', busy));
  if (start.type === 'date') lines.push(contentLine('X-MICROSOFT-CDO-ALLDAYEVENT', 'TRUE'));
  // The reminder the calendar events carry (project-segment.ts); none for a segment that has
  // started by the time this object is made, nor for a cancelled one.
  const minutes = REMINDER_MINUTES[segment.kind];
  if (minutes !== null && !cancelled && startsAt > options.dtstamp) {
    lines.push(
      'BEGIN:VALARM',
      contentLine('ACTION', 'DISPLAY'),
      contentLine('DESCRIPTION', escapeText(text.summary)),
      contentLine('TRIGGER', minutes % 60 === 0 ? `-PT${minutes / 60}H` : `-PT${minutes}M`),
      'END:VALARM',
    );
  }
  lines.push('END:VEVENT');
  return lines;
}

export function zonesUsed(segments: Segment[]): string[] {
  const zones = new Set<string>();
  for (const segment of segments) {
    const { start, end } = eventTimes(segment);
    for (const time of [start, end]) if (time.type === 'date-time') zones.add(time.timeZone);
  }
  return [...zones];
}

/**
 * The iCalendar text of these segments of a trip: one VEVENT per segment, the VTIMEZONE of
 * every TZID used, CRLF line endings, lines folded at 75 octets. Deterministic for given inputs.
 */
export function renderItineraryIcs(trip: Trip, segments: Segment[], options: IcsOptions): string {
  if (options.method !== 'PUBLISH' && !options.attendee) {
    throw new IcsError(
      'ics.attendee-required',
      `METHOD:${options.method} needs the traveler as ATTENDEE (RFC 5546 §3.2) for trip ${trip.bookingRef}`,
    );
  }
  const blocks = new Map<string, VTimezone>();
  for (const zone of zonesUsed(segments)) blocks.set(zone, vtimezone(zone));
  const tzid = (zone: string) => blocks.get(zone)!.tzid;
  const timezoneLines = [...new Map([...blocks.values()].map((b) => [b.tzid, b])).values()]
    .sort((a, b) => (a.tzid < b.tzid ? -1 : a.tzid > b.tzid ? 1 : 0))
    .flatMap((b) => b.lines);

  const lines = [
    'BEGIN:VCALENDAR',
    contentLine('VERSION', '2.0'),
    contentLine('PRODID', escapeText(options.productId ?? DEFAULT_PRODUCT_ID)),
    contentLine('CALSCALE', 'GREGORIAN'),
    contentLine('METHOD', options.method),
    ...timezoneLines,
    ...segments.flatMap((segment) => renderEvent(segment, options, tzid)),
    'END:VCALENDAR',
  ];
  return lines.join('\r\n') + '\r\n';
}
