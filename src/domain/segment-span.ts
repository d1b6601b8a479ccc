// When a segment starts and ends: the one rule that the booking API's checks, the stored span,
// the .ics, the calendar projection and the email's travel order all follow. Pure.
//
// A flight, a train and a car rental run from one wall-clock time to another, each end in its own
// zone (a flight leaves in its departure zone and lands in its arrival zone, so it may land "before"
// it left on the clock, or two dates later). A hotel stay is all-day: from the check-in date to the
// check-out date in the hotel's zone, the end exclusive, which is how both iCalendar (a DATE
// DTEND, RFC 5545 §3.6.1) and Graph's all-day events count the nights.
import type { HotelDetails, SegmentDetails, ZonedTime } from './types.ts';
import { addDays, formatOffset, isValidDate, isValidTimeZone, localTimeMeaning, startOfDay, toInstant } from './zoned-time.ts';

export interface TimedSpan {
  allDay: false;
  /** The departure or pick-up, "YYYY-MM-DDTHH:mm" in its zone. */
  start: ZonedTime;
  /** The arrival or drop-off, in its own zone. */
  end: ZonedTime;
}

export interface AllDaySpan {
  allDay: true;
  timeZone: string;
  /** The check-in date, "YYYY-MM-DD". */
  startDate: string;
  /** The day after the last day ("YYYY-MM-DD"): the check-out date, exclusive. */
  endDate: string;
  /** Midnight starting `startDate` and `endDate` in the zone: what a calendar takes for an all-day event. */
  start: ZonedTime;
  end: ZonedTime;
  /** When the traveler arrives: the booked check-in time, else the usual hour. */
  checkIn: ZonedTime;
}

export type SegmentSpan = TimedSpan | AllDaySpan;

/** The span as instants: what the store keeps to sort and filter trips. */
export interface SegmentTimes {
  startsAt: Date;
  endsAt: Date;
}

export type SpanProblemCode = 'unknown-time-zone' | 'invalid-local-time' | 'invalid-date' | 'end-before-start';

export interface SpanProblem {
  code: SpanProblemCode;
  /** The booking API's field, relative to the segment ("arrival.local", "checkOut.date"). */
  field: string;
  message: string;
}

export type CheckedSpan =
  | { span: SegmentSpan; times: SegmentTimes; problems?: undefined }
  | { span?: undefined; times?: undefined; problems: SpanProblem[] };

/** Hotels commonly open their rooms mid-afternoon; a booking without a time arrives then. */
const USUAL_CHECK_IN_TIME = '15:00';

const LOCAL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/;

/** The booking fields that hold each kind's ends, and how an error names the start. */
const ENDS = {
  flight: { start: 'departure', end: 'arrival', startName: 'departure' },
  rail: { start: 'departure', end: 'arrival', startName: 'departure' },
  car: { start: 'pickUp', end: 'dropOff', startName: 'pick-up' },
} as const;

function zoned(time: ZonedTime): ZonedTime {
  return time.offset ? { local: time.local, timeZone: time.timeZone, offset: time.offset } : { local: time.local, timeZone: time.timeZone };
}

/** Where a segment starts and ends, on the wall clock. Never fails; `checkSegmentSpan` checks it. */
export function segmentSpan(segment: SegmentDetails): SegmentSpan {
  return segment.kind === 'hotel' ? staySpan(segment) : timedSpan(segment);
}

type TimedDetails = Exclude<SegmentDetails, HotelDetails>;

function timedSpan(segment: TimedDetails): TimedSpan {
  return segment.kind === 'car'
    ? { allDay: false, start: zoned(segment.pickUp), end: zoned(segment.dropOff) }
    : { allDay: false, start: zoned(segment.departure), end: zoned(segment.arrival) };
}

function staySpan(hotel: HotelDetails): AllDaySpan {
  const { timeZone } = hotel;
  const startDate = hotel.checkIn.date;
  // A day use (out on the day of arrival) still covers that day: an all-day event must end after
  // it starts (RFC 5545 §3.8.2.2).
  const endDate = hotel.checkOut.date === startDate && isValidDate(startDate) ? addDays(startDate, 1) : hotel.checkOut.date;
  return {
    allDay: true,
    timeZone,
    startDate,
    endDate,
    start: { local: `${startDate}T00:00`, timeZone },
    end: { local: `${endDate}T00:00`, timeZone },
    checkIn: { local: `${startDate}T${hotel.checkIn.time ?? USUAL_CHECK_IN_TIME}`, timeZone },
  };
}

/**
 * The span with its instants, or every problem with the segment's times, each naming its field:
 * an unknown zone, a time that does not exist there (31 February, a 25th hour, a time skipped by a
 * daylight-saving jump), or an end that is not after the start (RFC 5545 §3.8.2.2: DTEND must be
 * later than DTSTART). A check-out on the check-in day passes: see `staySpan`.
 */
export function checkSegmentSpan(segment: SegmentDetails): CheckedSpan {
  return segment.kind === 'hotel' ? checkStay(segment) : checkTimed(segment);
}

function problem(code: SpanProblemCode, field: string, message: string): SpanProblem {
  return { code, field, message };
}

function checkStay(hotel: HotelDetails): CheckedSpan {
  if (!isValidTimeZone(hotel.timeZone)) return { problems: [problem('unknown-time-zone', 'timeZone', `unknown time zone "${hotel.timeZone}"`)] };
  const problems = (['checkIn', 'checkOut'] as const)
    .filter((end) => !isValidDate(hotel[end].date))
    .map((end) => problem('invalid-date', `${end}.date`, `"${hotel[end].date}" is not a valid date`));
  if (problems.length) return { problems };
  if (hotel.checkOut.date < hotel.checkIn.date) return { problems: [problem('end-before-start', 'checkOut.date', 'must be after the check-in date')] };
  const span = staySpan(hotel);
  return { span, times: { startsAt: startOfDay(span.startDate, span.timeZone), endsAt: startOfDay(span.endDate, span.timeZone) } };
}

function checkTimed(segment: TimedDetails): CheckedSpan {
  const span = timedSpan(segment);
  const fields = ENDS[segment.kind];
  const ends = [[fields.start, span.start], [fields.end, span.end]] as const;
  const zoneProblems = ends
    .filter(([, time]) => !isValidTimeZone(time.timeZone))
    .map(([field, time]) => problem('unknown-time-zone', `${field}.timeZone`, `unknown time zone "${time.timeZone}"`));
  if (zoneProblems.length) return { problems: zoneProblems };
  const timeProblems = ends.flatMap(([field, time]) => {
    const why = LOCAL_TIME.test(time.local) ? whyNoInstant(time) : `"${time.local}" is not a valid local time in ${time.timeZone}`;
    return why ? [problem('invalid-local-time', `${field}.local`, why)] : [];
  });
  if (timeProblems.length) return { problems: timeProblems };
  const [startsAt, endsAt] = ends.map(([, time]) => toInstant(time)!);
  if (endsAt <= startsAt) return { problems: [problem('end-before-start', `${fields.end}.local`, `must be after the ${fields.startName}`)] };
  return { span, times: { startsAt, endsAt } };
}

/**
 * Why a wall-clock time names no instant in its zone, or undefined when it names one: not a real
 * time, a time the clocks skip ("02:30 does not exist in America/Los_Angeles on 2026-03-08: clocks
 * go forward at 02:00"), or a UTC offset the zone does not have at that time.
 */
function whyNoInstant(time: ZonedTime): string | undefined {
  const meaning = localTimeMeaning(time);
  const clock = time.local.slice(11, 16);
  switch (meaning.kind) {
    case 'invalid':
      return `"${time.local}" is not a valid local time in ${time.timeZone}`;
    case 'skipped':
      return `${clock} does not exist in ${time.timeZone} on ${meaning.date}: clocks go forward at ${meaning.jumpsAt} (to ${meaning.jumpsTo})`;
    case 'one':
      return time.offset && time.offset !== formatOffset(meaning.offsetMinutes)
        ? `${time.local}${time.offset}: ${time.timeZone} is at ${formatOffset(meaning.offsetMinutes)} then, not ${time.offset}`
        : undefined;
    case 'twice': {
      const offsets = meaning.offsetsMinutes.map(formatOffset);
      return time.offset && !offsets.includes(time.offset)
        ? `${time.local}${time.offset}: ${time.local} occurs in ${time.timeZone} at ${offsets.join(' and at ')}, not ${time.offset}`
        : undefined;
    }
  }
}
