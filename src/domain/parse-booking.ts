// Booking API input (already of the shape booking-schema.ts describes) → domain segment details,
// with every local time resolved to its IANA zone and checked. Errors name the field.
import { findAirport } from './airports.ts';
import type { CarDetails, FlightDetails, HotelDetails, RailDetails, SegmentDetails, ZonedTime } from './types.ts';
import { isValidDate, isValidTimeZone, startOfDay, toInstant } from './zoned-time.ts';

interface FlightEndpointInput { airport: string; terminal?: string; local: string; timeZone?: string }
interface PlaceInput { local: string; timeZone?: string }
export type FlightSegmentInput = { type: 'flight'; ref: string; carrier: string; flightNumber: string; operatingCarrier?: string; departure: FlightEndpointInput; arrival: FlightEndpointInput; seat?: string; cabin?: string; recordLocator?: string };
export type HotelSegmentInput = { type: 'hotel'; ref: string; property: string; address?: string; phone?: string; checkIn: { date: string; time?: string }; checkOut: { date: string; time?: string }; timeZone?: string; confirmation?: string };
export type CarSegmentInput = { type: 'car'; ref: string; vendor: string; pickUp: PlaceInput & { place: string; address?: string }; dropOff: PlaceInput & { place: string; address?: string }; carType?: string; confirmation?: string };
export type RailSegmentInput = { type: 'rail'; ref: string; operator: string; trainNumber: string; departure: PlaceInput & { station: string }; arrival: PlaceInput & { station: string }; car?: string; seat?: string; confirmation?: string };
export type SegmentInput = FlightSegmentInput | HotelSegmentInput | CarSegmentInput | RailSegmentInput;

export interface TripInput {
  bookingRef: string;
  travelerEmail: string;
  title?: string;
  segments: SegmentInput[];
}

export interface TripChangeInput {
  title?: string;
  segments: SegmentInput[];
}

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

export interface ParsedSegment {
  ref: string;
  details: SegmentDetails;
  startsAt: Date;
  endsAt: Date;
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

    const zoneFor = (field: string, zone: string | undefined): string | undefined => {
      const z = zone ?? ctx.homeTimeZone;
      if (!isValidTimeZone(z)) {
        problem(field, `unknown time zone "${z}"`);
        return undefined;
      }
      return z;
    };
    const instant = (field: string, time: ZonedTime): Date | undefined => {
      const d = toInstant(time);
      if (!d) problem(`${field}.local`, `"${time.local}" is not a valid local time in ${time.timeZone}`);
      return d;
    };

    switch (input.type) {
      case 'flight': {
        const endpoint = (name: 'departure' | 'arrival') => {
          const e = input[name];
          const airport = findAirport(e.airport.toUpperCase());
          if (!airport) {
            problem(`${name}.airport`, `unknown airport "${e.airport}"`);
            return undefined;
          }
          const timeZone = e.timeZone !== undefined ? zoneFor(`${name}.timeZone`, e.timeZone) : airport.timeZone;
          if (!timeZone) return undefined;
          return { airport: airport.iata, terminal: e.terminal, local: e.local.slice(0, 16), timeZone };
        };
        const departure = endpoint('departure');
        const arrival = endpoint('arrival');
        if (!departure || !arrival) return;
        const start = instant('departure', departure);
        const end = instant('arrival', arrival);
        if (!start || !end) return;
        if (end <= start) return problem('arrival.local', 'must be after the departure');
        const details: FlightDetails = clean({
          kind: 'flight', carrier: input.carrier, flightNumber: input.flightNumber, operatingCarrier: input.operatingCarrier,
          departure, arrival, seat: input.seat, cabin: input.cabin, recordLocator: input.recordLocator,
        });
        parsed.push({ ref: input.ref, details, startsAt: start, endsAt: end });
        return;
      }
      case 'hotel': {
        const timeZone = zoneFor('timeZone', input.timeZone);
        if (!timeZone) return;
        if (!isValidDate(input.checkIn.date)) return problem('checkIn.date', `"${input.checkIn.date}" is not a valid date`);
        if (!isValidDate(input.checkOut.date)) return problem('checkOut.date', `"${input.checkOut.date}" is not a valid date`);
        if (input.checkOut.date <= input.checkIn.date) return problem('checkOut.date', 'must be after the check-in date');
        const details: HotelDetails = clean({
          kind: 'hotel', property: input.property, address: input.address, phone: input.phone,
          checkIn: input.checkIn, checkOut: input.checkOut, timeZone, confirmation: input.confirmation,
        });
        parsed.push({ ref: input.ref, details, startsAt: startOfDay(input.checkIn.date, timeZone), endsAt: startOfDay(input.checkOut.date, timeZone) });
        return;
      }
      case 'car':
      case 'rail': {
        const [fromKey, toKey] = input.type === 'car' ? (['pickUp', 'dropOff'] as const) : (['departure', 'arrival'] as const);
        const from = (input as Record<string, unknown>)[fromKey] as PlaceInput;
        const to = (input as Record<string, unknown>)[toKey] as PlaceInput;
        const fromZone = zoneFor(`${fromKey}.timeZone`, from.timeZone);
        const toZone = zoneFor(`${toKey}.timeZone`, to.timeZone);
        if (!fromZone || !toZone) return;
        const fromTime = { ...from, local: from.local.slice(0, 16), timeZone: fromZone };
        const toTime = { ...to, local: to.local.slice(0, 16), timeZone: toZone };
        const start = instant(fromKey, fromTime);
        const end = instant(toKey, toTime);
        if (!start || !end) return;
        if (end <= start) return problem(`${toKey}.local`, `must be after the ${input.type === 'car' ? 'pick-up' : 'departure'}`);
        const details: CarDetails | RailDetails =
          input.type === 'car'
            ? clean({ kind: 'car', vendor: input.vendor, pickUp: fromTime as CarDetails['pickUp'], dropOff: toTime as CarDetails['dropOff'], carType: input.carType, confirmation: input.confirmation })
            : clean({ kind: 'rail', operator: input.operator, trainNumber: input.trainNumber, departure: fromTime as RailDetails['departure'], arrival: toTime as RailDetails['arrival'], car: input.car, seat: input.seat, confirmation: input.confirmation });
        parsed.push({ ref: input.ref, details, startsAt: start, endsAt: end });
        return;
      }
    }
  });

  if (problems.length) throw new BookingValidationError(problems);
  return parsed;
}
