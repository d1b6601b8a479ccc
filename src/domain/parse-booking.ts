// Booking API input (already of the shape booking-schema.ts describes) → domain segment details,
// with every local time resolved to its IANA zone and checked. Errors name the field.
import { findAirport } from './airports.ts';
import type { CarSegmentInput, RailSegmentInput, SegmentInput } from './booking-schema.ts';
import { checkSegmentSpan, type SegmentTimes } from './segment-span.ts';
import { formatOffset, localTimeMeaning } from './zoned-time.ts';
import type { CarDetails, FlightDetails, HotelDetails, RailDetails, SegmentDetails, ZonedTime } from './types.ts';

type PlaceInput = CarSegmentInput['pickUp'] | RailSegmentInput['departure'];

export interface FieldProblem {
  field: string;
  message: string;
}

export class BookingValidationError extends Error {
  readonly problems: FieldProblem[];
  constructor(problems: FieldProblem[]) {
    super(problems.map((p) => `${p.field}: ${p.message}`).join('; '));
    this.name = 'BookingValidationError';
    this.problems = problems;
  }
}

/** A segment as the booking gives it, with the instants it starts and ends (segment-span.ts). */
export interface ParsedSegment extends SegmentTimes {
  ref: string;
  details: SegmentDetails;
}

interface Context {
  /** The traveler's home zone: the default for hotels, cars and trains without one. */
  homeTimeZone: string;
}

/** Drops empty optional strings so "" and absent mean the same and hash the same. */
function clean<T extends object>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined || v === '') continue;
    out[k] = v !== null && typeof v === 'object' && !Array.isArray(v) ? clean(v) : v;
  }
  return out as T;
}

/** "2026-11-01T01:30:00-08:00" → the wall clock "2026-11-01T01:30" and the offset "-08:00" ("Z" is "+00:00"). */
function wallClock(text: string): { local: string; offset?: string } {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})(?::\d{2})?(Z|[+-]\d{2}:\d{2})?$/.exec(text);
  if (!m) return { local: text.slice(0, 16) };
  return m[2] ? { local: m[1], offset: m[2] === 'Z' ? '+00:00' : m[2] } : { local: m[1] };
}

/**
 * A checked time as it is kept: its offset only where it names the second occurrence of a time
 * that occurs twice. Elsewhere it adds nothing, and "01:30" and "01:30-07:00" mean the same.
 */
function settled<T extends ZonedTime>(time: T): T {
  if (!time.offset) return time;
  const meaning = localTimeMeaning(time);
  const { offset, ...rest } = time;
  return meaning.kind === 'twice' && offset === formatOffset(meaning.offsetsMinutes[1]) ? time : (rest as T);
}

function settleTimes(details: SegmentDetails): SegmentDetails {
  switch (details.kind) {
    case 'flight':
    case 'rail':
      return { ...details, departure: settled(details.departure), arrival: settled(details.arrival) } as SegmentDetails;
    case 'car':
      return { ...details, pickUp: settled(details.pickUp), dropOff: settled(details.dropOff) };
    case 'hotel':
      return details;
  }
}

export function parseSegments(segments: SegmentInput[], ctx: Context): ParsedSegment[] {
  const problems: FieldProblem[] = [];
  const parsed: ParsedSegment[] = [];
  const seenRefs = new Map<string, number>();

  segments.forEach((input, i) => {
    const at = `segments[${i}]`;
    const problem = (field: string, message: string) => problems.push({ field: `${at}.${field}`, message });
    const earlier = seenRefs.get(input.ref);
    if (earlier !== undefined) problem('ref', `duplicates segments[${earlier}].ref "${input.ref}"`);
    seenRefs.set(input.ref, i);

    /** Adds the segment when its times make a span (segment-span.ts), else says what is wrong. */
    const accept = (details: SegmentDetails) => {
      const checked = checkSegmentSpan(details);
      if (checked.problems) {
        for (const p of checked.problems) problem(p.field, p.message);
        return;
      }
      // The booking API takes stays of at least one night (a span would cover a day use).
      if (details.kind === 'hotel' && details.checkOut.date === details.checkIn.date) return problem('checkOut.date', 'must be after the check-in date');
      parsed.push({ ref: input.ref, details: settleTimes(details), ...checked.times });
    };

    switch (input.type) {
      case 'flight': {
        // A flight's ends are in its airports' zones, unless the booking names another.
        const endpoint = (name: 'departure' | 'arrival') => {
          const e = input[name];
          const airport = findAirport(e.airport.toUpperCase());
          if (!airport) {
            problem(`${name}.airport`, `unknown airport "${e.airport}"`);
            return undefined;
          }
          return { airport: airport.iata, terminal: e.terminal, ...wallClock(e.local), timeZone: e.timeZone ?? airport.timeZone };
        };
        const departure = endpoint('departure');
        const arrival = endpoint('arrival');
        if (!departure || !arrival) return;
        return accept(clean<FlightDetails>({
          kind: 'flight', carrier: input.carrier, flightNumber: input.flightNumber, operatingCarrier: input.operatingCarrier,
          departure, arrival, seat: input.seat, cabin: input.cabin, recordLocator: input.recordLocator,
        }));
      }
      case 'hotel': {
        return accept(clean<HotelDetails>({
          kind: 'hotel', property: input.property, address: input.address, phone: input.phone,
          checkIn: input.checkIn, checkOut: input.checkOut, timeZone: input.timeZone ?? ctx.homeTimeZone, confirmation: input.confirmation,
        }));
      }
      case 'car':
      case 'rail': {
        // Without a zone of its own, each end is in the traveler's home zone.
        const inZone = <T extends PlaceInput>(end: T) => ({ ...end, ...wallClock(end.local), timeZone: end.timeZone ?? ctx.homeTimeZone });
        return accept(
          input.type === 'car'
            ? clean<CarDetails>({ kind: 'car', vendor: input.vendor, pickUp: inZone(input.pickUp), dropOff: inZone(input.dropOff), carType: input.carType, confirmation: input.confirmation })
            : clean<RailDetails>({ kind: 'rail', operator: input.operator, trainNumber: input.trainNumber, departure: inZone(input.departure), arrival: inZone(input.arrival), car: input.car, seat: input.seat, confirmation: input.confirmation }),
        );
      }
    }
  });

  if (problems.length) throw new BookingValidationError(problems);
  return parsed;
}
