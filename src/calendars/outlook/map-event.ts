// DesiredEvent → the Graph event JSON we POST (create) or PATCH (update). Pure.
// Only properties of microsoft.graph.event (Graph v1.0 CSDL) appear; the sandbox checks that strictly.
import { findWindows } from 'windows-iana';
import { boundedMemo } from '../../domain/bounded-memo.ts';
import type { DesiredEvent, EventTime } from '../../domain/project-segment.ts';
import { toInstant } from '../../domain/zoned-time.ts';
import { CONTENT_HASH_PROPERTY_ID, LIST_PAGE_SIZE, SEGMENT_KEY_PROPERTY_ID } from './constants.ts';

export interface GraphDateTimeTimeZone {
  dateTime: string;
  timeZone: string;
}

export interface GraphEventBody {
  subject: string;
  body: { contentType: 'text'; content: string };
  start: GraphDateTimeTimeZone;
  end: GraphDateTimeTimeZone;
  isAllDay: boolean;
  showAs: 'tentative' | 'free';
  categories?: string[];
  isReminderOn?: boolean;
  reminderMinutesBeforeStart?: number;
  location: { displayName: string };
  transactionId?: string;
  singleValueExtendedProperties?: Array<{ id: string; value: string }>;
}

/**
 * The Graph name for an IANA zone. Graph's dateTimeTimeZone takes "any time zone currently
 * supported by Windows" plus a documented list of IANA names, and warns that create/update "might
 * not support all" of them; Windows names are the safe set, so we convert through CLDR's
 * windowsZones mapping (windows-iana). A zone CLDR does not map (a newer alias such as
 * Europe/Kyiv) is sent as its IANA name, which Graph accepts for the documented ones.
 */
export function graphTimeZone(iana: string): string {
  return graphZoneNames(iana);
}

/**
 * Zones already converted: windows-iana scans CLDR's whole table on every call (4% of the CPU of a
 * 50-traveler backfill's first second, `npm run bench`). Bounded: the names come from bookings.
 */
const graphZoneNames = boundedMemo(lookUpGraphTimeZone, 2000);

function lookUpGraphTimeZone(iana: string): string {
  const direct = findWindows(iana)[0];
  if (direct) return direct;
  let canonical: string | undefined;
  try {
    canonical = new Intl.DateTimeFormat('en', { timeZone: iana }).resolvedOptions().timeZone;
  } catch {
    canonical = undefined;
  }
  return (canonical && canonical !== iana ? findWindows(canonical)[0] : undefined) ?? iana;
}

function graphTime(t: EventTime): GraphDateTimeTimeZone {
  return { dateTime: t.dateTime, timeZone: graphTimeZone(t.timeZone) };
}

/** Subject: Exchange refuses more than 255 characters (ErrorPropertyValidationFailure). */
const MAX_SUBJECT = 255;

function clip(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

/**
 * Whether the event ended before `now`. Outlook pops up the reminder of an event written after its
 * time as overdue, so a past event is written without one.
 */
export function hasEnded(event: DesiredEvent, now: number): boolean {
  const end = toInstant({ local: event.end.dateTime.slice(0, 16), timeZone: event.end.timeZone });
  return end !== undefined && end.getTime() <= now;
}

/** What the booking owns in the event: times, subject, location, body, and showAs as we set it. */
function owned(event: DesiredEvent): GraphEventBody {
  return {
    subject: clip(event.subject, MAX_SUBJECT),
    body: { contentType: 'text', content: event.body },
    start: graphTime(event.start),
    end: graphTime(event.end),
    isAllDay: event.isAllDay,
    showAs: event.showAs,
    location: { displayName: event.location },
  };
}

/**
 * The event as it is created: what the booking owns, our category, and the reminder the segment
 * calls for (none when `now` is given and the event has already ended).
 */
export function mapEvent(event: DesiredEvent, now?: number): GraphEventBody {
  const remind = event.reminderMinutesBeforeStart !== null && !(now !== undefined && hasEnded(event, now));
  const body: GraphEventBody = { ...owned(event), categories: [...event.categories], isReminderOn: remind };
  if (remind) body.reminderMinutesBeforeStart = event.reminderMinutesBeforeStart!;
  return body;
}

/**
 * The PATCH of a booking change: only what the booking owns, so a reminder or category the traveler
 * set stays; the reminder is turned off only when the booking is cancelled (kept as cancelled) or
 * the event has already ended (it would pop up as overdue). The content hash goes with it.
 * transactionId and the key are create-only.
 */
export function mapUpdate(event: DesiredEvent, contentHash?: string, now?: number): GraphEventBody {
  const body: GraphEventBody = owned(event);
  // A cancelled booking kept in the calendar, or an event already over: a reminder would only pop up.
  if (event.cancelled || (now !== undefined && hasEnded(event, now))) body.isReminderOn = false;
  if (contentHash) body.singleValueExtendedProperties = [{ id: CONTENT_HASH_PROPERTY_ID, value: contentHash }];
  return body;
}

/** The create body: the event, its transactionId (a retried POST returns the first event), our key and the content hash. */
export function mapCreate(event: DesiredEvent, key: string, transactionId: string, contentHash?: string, now?: number): GraphEventBody {
  return {
    ...mapEvent(event, now),
    transactionId,
    singleValueExtendedProperties: [{ id: SEGMENT_KEY_PROPERTY_ID, value: key }, ...(contentHash ? [{ id: CONTENT_HASH_PROPERTY_ID, value: contentHash }] : [])],
  };
}

/** OData string literal: single quotes doubled (OData ABNF, SQUOTE-in-string). */
export function odataString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** The relative Graph URL listing the mailbox's calendars (ids, which is the default, whose each is). */
export const CALENDARS_URL = '/me/calendars?$select=id,isDefaultCalendar,owner&$top=100';

/**
 * The relative Graph URL of one page of our events in a calendar: those carrying our key property
 * (a filter on the single-value extended property, "Get singleValueLegacyExtendedProperty"), with
 * the key and the content hash expanded, ids only, LIST_PAGE_SIZE at a time (@odata.nextLink pages on).
 */
export function ourEventsUrl(calendarId: string | 'default'): string {
  const filter = `singleValueExtendedProperties/Any(ep: ep/id eq ${odataString(SEGMENT_KEY_PROPERTY_ID)} and ep/value ne null)`;
  const expand = `singleValueExtendedProperties($filter=id eq ${odataString(SEGMENT_KEY_PROPERTY_ID)} or id eq ${odataString(CONTENT_HASH_PROPERTY_ID)})`;
  const calendar = calendarId === 'default' ? '/me/calendar' : `/me/calendars/${encodeURIComponent(calendarId)}`;
  return `${calendar}/events?$filter=${encodeURIComponent(filter)}&$select=id&$expand=${encodeURIComponent(expand)}&$top=${LIST_PAGE_SIZE}`;
}
