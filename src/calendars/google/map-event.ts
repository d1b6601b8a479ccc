// DesiredEvent → the Calendar API's Events resource we insert or patch. Pure.
import { createHash } from 'node:crypto';
import type { DesiredEvent, EventTime } from '../../domain/project-segment.ts';
import { SEGMENT_KEY_PROPERTY } from './constants.ts';

export interface GoogleEventTime {
  date?: string;
  dateTime?: string;
  timeZone?: string;
}

export interface GoogleEventBody {
  id?: string;
  summary: string;
  description: string;
  location: string;
  start: GoogleEventTime;
  end: GoogleEventTime;
  status: 'tentative' | 'confirmed';
  transparency: 'opaque' | 'transparent';
  reminders: { useDefault: false; overrides: Array<{ method: 'popup'; minutes: number }> };
  extendedProperties?: { private: Record<string, string> };
}

/** A wall-clock time in its zone (the zone per field, as Google takes it), or a date for an all-day event. */
function googleTime(t: EventTime, allDay: boolean): GoogleEventTime {
  return allDay ? { date: t.dateTime.slice(0, 10) } : { dateTime: t.dateTime, timeZone: t.timeZone };
}

/** The event as we want it in Google Calendar; the same body serves PATCH (every field we own, always). */
export function mapEvent(event: DesiredEvent): GoogleEventBody {
  return {
    summary: event.subject,
    description: event.body,
    location: event.location,
    start: googleTime(event.start, event.isAllDay),
    end: googleTime(event.end, event.isAllDay),
    // Tentative, as the booking is the traveler's plan (Outlook: showAs tentative). A cancelled
    // booking the company keeps is an ordinary event titled "Canceled: …": Google's own
    // `cancelled` status means a deleted event, which no one sees.
    status: event.cancelled ? 'confirmed' : 'tentative',
    // A stay is all-day and leaves the traveler free (an .ics's TRANSP:TRANSPARENT); so does a
    // cancelled booking kept in the calendar (Outlook: showAs free).
    transparency: event.isAllDay || event.cancelled ? 'transparent' : 'opaque',
    reminders: { useDefault: false, overrides: event.reminderMinutesBeforeStart === null ? [] : [{ method: 'popup', minutes: event.reminderMinutesBeforeStart }] },
  };
}

const BASE32HEX = '0123456789abcdefghijklmnopqrstuv';

/**
 * The event id a create uses: base32hex (a–v, 0–9) of a hash of the segment's key and the
 * create's idempotency key. The same create sent again names the same id, so Google answers 409
 * instead of adding a second event; a new create of the segment (after its event was deleted)
 * gets a new idempotency key and so a new id, since Google keeps a deleted event's id taken.
 */
export function eventIdFor(key: string, transactionId: string): string {
  const bytes = createHash('sha256').update(`tripcal\n${key}\n${transactionId}`).digest().subarray(0, 20);
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32HEX[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return out;
}

/** The insert body: the event, its deterministic id and our key. */
export function mapCreate(event: DesiredEvent, key: string, transactionId: string): GoogleEventBody {
  return { ...mapEvent(event), id: eventIdFor(key, transactionId), extendedProperties: { private: { [SEGMENT_KEY_PROPERTY]: key } } };
}
