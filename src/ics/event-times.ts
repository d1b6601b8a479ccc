// When a segment's calendar event starts and ends, as iCalendar values. The span itself (which
// zone each end is in, a stay's dates) is domain/segment-span.ts; this only writes it down.

import { checkSegmentSpan, type SpanProblemCode } from '../domain/segment-span.ts';
import type { Segment, ZonedTime } from '../domain/types.ts';
import { occursTwice, toInstant } from '../domain/zoned-time.ts';
import { IcsError, type IcsErrorCode } from './ics-error.ts';

/**
 * A DATE-TIME in a named zone (RFC 5545 §3.3.5 form 3), a DATE-TIME in UTC (form 2) or a DATE
 * (§3.3.4). UTC is for a time that occurs twice in its zone: RFC 5545 means the first occurrence,
 * but libical and python-icalendar read the second, so only UTC means one instant to every reader.
 */
export type EventTime =
  | { type: 'date-time'; local: string; timeZone: string }
  | { type: 'utc'; instant: Date }
  | { type: 'date'; date: string };

export interface EventTimes {
  start: EventTime;
  end: EventTime;
  /** The instant the segment starts (a stay: midnight of its first day in the hotel's zone). */
  startsAt: Date;
}

// A zone the time-zone database does not know gives no local time either.
const ICS_CODES: Record<SpanProblemCode, IcsErrorCode> = {
  'unknown-time-zone': 'ics.invalid-local-time',
  'invalid-local-time': 'ics.invalid-local-time',
  'invalid-date': 'ics.invalid-local-time',
  'end-before-start': 'ics.end-before-start',
};

/** DTSTART and DTEND of a segment's event: zoned DATE-TIMEs, or DATEs for an all-day stay. */
export function eventTimes(segment: Segment): EventTimes {
  const checked = checkSegmentSpan(segment);
  if (checked.problems) {
    const detail = checked.problems.map((p) => `${p.field}: ${p.message}`).join('; ');
    throw new IcsError(ICS_CODES[checked.problems[0].code], `Segment ${segment.id}: ${detail}`);
  }
  const { span, times } = checked;
  if (span.allDay) return { start: { type: 'date', date: span.startDate }, end: { type: 'date', date: span.endDate }, startsAt: times.startsAt };
  return { start: zonedTime(span.start), end: zonedTime(span.end), startsAt: times.startsAt };
}

function zonedTime(time: ZonedTime): EventTime {
  if (occursTwice(time)) return { type: 'utc', instant: toInstant(time)! };
  return { type: 'date-time', local: time.local, timeZone: time.timeZone };
}

/** "2026-06-01T10:00" → "20260601T100000"; an instant → "20261101T083000Z"; "2026-06-01" → "20260601". */
export function icsValue(time: EventTime): string {
  if (time.type === 'date') return time.date.replaceAll('-', '');
  if (time.type === 'utc') return time.instant.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
  return `${time.local.replace(/[-:]/g, '')}00`;
}
