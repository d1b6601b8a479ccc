// When a segment's calendar event starts and ends, as iCalendar values.

import { DateTime } from 'luxon';
import type { Segment, ZonedTime } from '../domain/types.ts';
import { IcsError } from './ics-error.ts';

/** A DATE-TIME in a named zone (RFC 5545 §3.3.5 form 3) or a DATE (§3.3.4). */
export type EventTime =
  | { type: 'date-time'; local: string; timeZone: string; instant: DateTime }
  | { type: 'date'; date: string };

export interface EventTimes {
  start: EventTime;
  end: EventTime;
}

const LOCAL_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/;
const LOCAL_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function zoned(time: ZonedTime, field: string): EventTime {
  const instant = DateTime.fromISO(time.local, { zone: time.timeZone });
  if (!LOCAL_TIME.test(time.local) || !instant.isValid) {
    throw new IcsError(
      'ics.invalid-local-time',
      `${field}: "${time.local}" in "${time.timeZone}" is not a valid local time (${instant.invalidExplanation ?? 'expected YYYY-MM-DDTHH:mm'})`,
    );
  }
  return { type: 'date-time', local: time.local, timeZone: time.timeZone, instant };
}

function date(value: string, field: string): string {
  if (!LOCAL_DATE.test(value) || !DateTime.fromISO(value, { zone: 'UTC' }).isValid) {
    throw new IcsError('ics.invalid-local-time', `${field}: "${value}" is not a valid date (YYYY-MM-DD)`);
  }
  return value;
}

function timed(segment: Segment, start: EventTime, end: EventTime): EventTimes {
  if (start.type === 'date-time' && end.type === 'date-time' && end.instant < start.instant) {
    throw new IcsError('ics.end-before-start', `Segment ${segment.id} ends before it starts`);
  }
  return { start, end };
}

/**
 * A flight starts in its departure zone and ends in its arrival zone; a hotel stay is all-day
 * from the check-in date to the check-out date, which as an exclusive DTEND (RFC 5545 §3.6.1)
 * shows the nights; a car rental and a train run from pick-up/departure to drop-off/arrival.
 */
export function eventTimes(segment: Segment): EventTimes {
  switch (segment.kind) {
    case 'flight':
      return timed(
        segment,
        zoned(segment.departure, 'departure'),
        zoned(segment.arrival, 'arrival'),
      );
    case 'rail':
      return timed(
        segment,
        zoned(segment.departure, 'departure'),
        zoned(segment.arrival, 'arrival'),
      );
    case 'car':
      return timed(segment, zoned(segment.pickUp, 'pickUp'), zoned(segment.dropOff, 'dropOff'));
    case 'hotel': {
      const checkIn = date(segment.checkIn.date, 'checkIn.date');
      let checkOut = date(segment.checkOut.date, 'checkOut.date');
      if (checkOut < checkIn) {
        throw new IcsError('ics.end-before-start', `Segment ${segment.id} checks out before it checks in`);
      }
      if (checkOut === checkIn) {
        // A day use: DTEND must be later than DTSTART, so the event covers that one day.
        checkOut = DateTime.fromISO(checkIn, { zone: 'UTC' }).plus({ days: 1 }).toISODate()!;
      }
      return { start: { type: 'date', date: checkIn }, end: { type: 'date', date: checkOut } };
    }
  }
}

/** "2026-06-01T10:00" → "20260601T100000"; "2026-06-01" → "20260601". */
export function icsValue(time: EventTime): string {
  if (time.type === 'date') return time.date.replaceAll('-', '');
  const m = LOCAL_TIME.exec(time.local)!;
  return `${m[1]}${m[2]}${m[3]}T${m[4]}${m[5]}00`;
}
