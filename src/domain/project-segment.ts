// The projection: a segment → the calendar event the traveler should have. Pure; a content hash of
// the result decides whether a calendar write is needed at all.
import { createHash } from 'node:crypto';
import { messages } from '../i18n/messages.ts';
import { canonicalJson } from './apply-booking.ts';
import { describeSegment } from './describe-segment.ts';
import { segmentSpan } from './segment-span.ts';
import type { Locale, Segment, Trip, ZonedTime } from './types.ts';
import { occursTwice, toInstant } from './zoned-time.ts';

/** A wall-clock time in an IANA zone, as calendars take it ("2026-12-01T17:05:00"). */
export interface EventTime {
  dateTime: string;
  timeZone: string;
}

export interface DesiredEvent {
  /** The segment id: the event's key in the calendar (a single-value extended property). */
  key: string;
  subject: string;
  body: string;
  location: string;
  start: EventTime;
  end: EventTime;
  isAllDay: boolean;
  /**
   * Tentative (仮の予定): the booking is the traveler's plan, not a meeting. Free for a cancelled
   * booking the company keeps in calendars.
   */
  showAs: 'tentative' | 'free';
  categories: string[];
  /** Minutes before start, or null for no reminder. */
  reminderMinutesBeforeStart: number | null;
  /**
   * A cancelled booking kept in the calendar (the company's `keepCancelledEvents`): titled
   * 「キャンセル: …」 / "Canceled: …", its body saying so, free (transparent), no reminder.
   * Absent on a live booking's event (so its content hash does not depend on this property).
   */
  cancelled?: true;
}

export interface ProjectionOptions {
  /** The company keeps cancelled bookings in calendars instead of removing them. */
  keepCancelled?: boolean;
}

// Reminders a traveler would choose: time to get to the airport, to the station, to the counter.
// A hotel stay is all-day and transparent: a reminder at midnight helps no one.
// The .ics writes the same reminders as VALARMs (src/ics/render-itinerary.ts).
export const REMINDER_MINUTES: Record<Segment['kind'], number | null> = { flight: 180, rail: 60, car: 60, hotel: null };

const seconds = (local: string) => (local.length === 16 ? `${local}:00` : local);

/**
 * A time that occurs twice in its zone (clocks going back) is given as its instant in UTC: a
 * calendar given the wall clock picks one of the two by its own rule, which need not be ours.
 */
function calendarTime(time: ZonedTime): EventTime {
  if (occursTwice(time)) return { dateTime: toInstant(time)!.toISOString().slice(0, 19), timeZone: 'UTC' };
  return { dateTime: seconds(time.local), timeZone: time.timeZone };
}

/** Whether a segment is cancelled, on its own or with its whole trip. */
export function isCancelledSegment(segment: Segment, trip: Trip): boolean {
  return trip.status === 'cancelled' || segment.status === 'cancelled';
}

/** A cancelled booking's title and description, as every calendar and the .ics show it when kept. */
export function cancelledText<T extends { summary: string; description: string }>(text: T, locale: Locale): T {
  const words = messages(locale).itineraryChanges;
  return { ...text, summary: words.cancelledTitle(text.summary), description: `${words.cancelledNote}\n\n${text.description}` };
}

export function projectSegment(segment: Segment, trip: Trip, locale: Locale): DesiredEvent {
  const described = describeSegment(segment, locale);
  const cancelled = isCancelledSegment(segment, trip);
  const text = cancelled ? cancelledText(described, locale) : described;
  const words = messages(locale);
  // A stay is all-day, midnight to midnight in the hotel's zone, the end exclusive (as in the .ics).
  const span = segmentSpan(segment);
  const event: DesiredEvent = {
    key: segment.id,
    subject: text.summary,
    body: `${text.description}\n\n${words.common.bookingReference}: ${trip.bookingRef}`,
    location: text.location,
    start: calendarTime(span.start),
    end: calendarTime(span.end),
    isAllDay: span.allDay,
    showAs: cancelled ? 'free' : 'tentative',
    categories: [words.calendarEvent.category],
    reminderMinutesBeforeStart: cancelled ? null : REMINDER_MINUTES[segment.kind],
  };
  if (cancelled) event.cancelled = true;
  return event;
}

/**
 * The events a traveler should have for a trip: one per confirmed segment; with `keepCancelled`,
 * one per cancelled segment too (of a cancelled trip, every segment), kept as cancelled.
 */
export function projectTrip(trip: Trip, locale: Locale, options: ProjectionOptions = {}): DesiredEvent[] {
  const shown = options.keepCancelled ? trip.segments : trip.segments.filter((s) => !isCancelledSegment(s, trip));
  return shown.map((s) => projectSegment(s, trip, locale));
}

/** Equal events hash equal; any visible difference changes the hash. */
export function eventHash(event: DesiredEvent): string {
  return createHash('sha256').update(canonicalJson(event)).digest('base64url').slice(0, 32);
}
