// DesiredEvent → the Graph event JSON we POST (create) or PATCH (update). Pure.
// Only properties of microsoft.graph.event (Graph v1.0 CSDL) appear; the sandbox checks that strictly.
import { findWindows } from 'windows-iana';
import { boundedMemo } from '../../domain/bounded-memo.ts';
import type { DesiredEvent, EventTime } from '../../domain/project-segment.ts';
import { SEGMENT_KEY_PROPERTY_ID } from './constants.ts';

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
  categories: string[];
  isReminderOn: boolean;
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

/** The event as we want it in Outlook; the same body serves PATCH (every property we own, always). */
export function mapEvent(event: DesiredEvent): GraphEventBody {
  const body: GraphEventBody = {
    subject: clip(event.subject, MAX_SUBJECT),
    body: { contentType: 'text', content: event.body },
    start: graphTime(event.start),
    end: graphTime(event.end),
    isAllDay: event.isAllDay,
    showAs: event.showAs,
    categories: [...event.categories],
    isReminderOn: event.reminderMinutesBeforeStart !== null,
    location: { displayName: event.location },
  };
  if (event.reminderMinutesBeforeStart !== null) body.reminderMinutesBeforeStart = event.reminderMinutesBeforeStart;
  return body;
}

/** The create body: the event, its transactionId (a retried POST returns the first event) and our key. */
export function mapCreate(event: DesiredEvent, key: string, transactionId: string): GraphEventBody {
  return {
    ...mapEvent(event),
    transactionId,
    singleValueExtendedProperties: [{ id: SEGMENT_KEY_PROPERTY_ID, value: key }],
  };
}

/** OData string literal: single quotes doubled (OData ABNF, SQUOTE-in-string). */
export function odataString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** The relative Graph URL that finds our event(s) carrying `key`. */
export function findByKeyUrl(key: string): string {
  const filter = `singleValueExtendedProperties/Any(ep: ep/id eq ${odataString(SEGMENT_KEY_PROPERTY_ID)} and ep/value eq ${odataString(key)})`;
  return `/me/events?$filter=${encodeURIComponent(filter)}&$select=id&$top=2`;
}
