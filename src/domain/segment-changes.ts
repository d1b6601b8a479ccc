// What a booking change did to one segment, fact by fact: the old and the new departure, seat,
// flight number… Computed when the change is applied (apply-booking.ts) and kept on the segment
// (`lastChange`), so the email of that change and the calendar event's description, for every
// provider, say the same thing. Pure; the words are describe-segment.ts's.
import type { FlightDetails, SegmentDetails, ZonedTime } from './types.ts';
import { formatFlightNumber } from './describe-segment.ts';

/** A fact a traveler acts on, and the kind of change it is. */
export type Fact =
  | 'departure' | 'arrival' | 'pickUp' | 'dropOff' | 'checkIn' | 'checkOut'
  | 'flightNumber' | 'trainNumber' | 'departureTerminal' | 'arrivalTerminal' | 'seat';

export type FactValue =
  | { at: ZonedTime }
  | { date: string; time?: string }
  | { text: string };

export interface FactChange {
  fact: Fact;
  /** Absent: the fact was not given before (a seat assigned) or is no longer given. */
  from?: FactValue;
  to?: FactValue;
}

/** Times of day and dates: a change of these alone is a schedule change. */
export const SCHEDULE_FACTS: ReadonlySet<Fact> = new Set(['departure', 'arrival', 'pickUp', 'dropOff', 'checkIn', 'checkOut']);

const text = (value: string | undefined): FactValue | undefined => (value && value.trim() !== '' ? { text: value } : undefined);
const time = (value: ZonedTime): FactValue => ({ at: value.offset ? { local: value.local, timeZone: value.timeZone, offset: value.offset } : { local: value.local, timeZone: value.timeZone } });

function railSeat(car: string | undefined, seat: string | undefined): string | undefined {
  return car || seat ? [car, seat].filter(Boolean).join('/') : undefined;
}

function facts(details: SegmentDetails): Array<[Fact, FactValue | undefined]> {
  switch (details.kind) {
    case 'flight':
      return [
        ['departure', time(details.departure)],
        ['arrival', time(details.arrival)],
        ['flightNumber', text(flightNumber(details))],
        ['departureTerminal', text(details.departure.terminal)],
        ['arrivalTerminal', text(details.arrival.terminal)],
        ['seat', text(details.seat)],
      ];
    case 'rail':
      return [
        ['departure', time(details.departure)],
        ['arrival', time(details.arrival)],
        ['trainNumber', text(details.trainNumber)],
        ['seat', text(railSeat(details.car, details.seat))],
      ];
    case 'car':
      return [['pickUp', time(details.pickUp)], ['dropOff', time(details.dropOff)]];
    case 'hotel':
      return [['checkIn', { ...details.checkIn }], ['checkOut', { ...details.checkOut }]];
  }
}

function flightNumber(details: FlightDetails): string {
  return formatFlightNumber(details.carrier, details.flightNumber);
}

const same = (a: FactValue | undefined, b: FactValue | undefined) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** The facts that differ between a segment's details before and after a change, in a fixed order. */
export function segmentChanges(before: SegmentDetails, after: SegmentDetails): FactChange[] {
  if (before.kind !== after.kind) return [];
  const old = new Map(facts(before));
  return facts(after).flatMap(([fact, to]) => {
    const from = old.get(fact);
    if (same(from, to)) return [];
    return [{ fact, ...(from ? { from } : {}), ...(to ? { to } : {}) }];
  });
}
