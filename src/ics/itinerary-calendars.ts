// Which calendar objects a booking change sends to the traveler (email attachments, the CLI).

import type { Segment, Trip } from '../domain/types.ts';
import { IcsError } from './ics-error.ts';
import { renderItineraryIcs, type IcsMethod, type IcsOptions } from './render-itinerary.ts';

export interface ItineraryChange {
  trip: Trip;
  /** Segments added or altered by the change. */
  changedSegmentIds: readonly string[];
  /** Segments cancelled (or removed) by the change; the snapshot keeps them, cancelled. */
  cancelledSegmentIds: readonly string[];
}

export interface CalendarObject {
  method: IcsMethod;
  filename: string;
  content: string;
}

export type CalendarOptions = Omit<IcsOptions, 'method'>;

/** A booking reference made safe for a file name ("AB/12 3" → "AB-12-3"). */
export function filenamePart(value: string): string {
  const safe = value.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|-+$/g, '');
  return safe === '' ? 'trip' : safe;
}

function confirmedSegments(trip: Trip): Segment[] {
  return trip.status === 'cancelled' ? [] : trip.segments.filter((s) => s.status === 'confirmed');
}

/**
 * The calendar objects for one booking change. One iCalendar object carries one METHOD
 * (RFC 5546 §1.4), so a change that alters one segment and cancels another yields two:
 *  - REQUEST with ALL the trip's confirmed segments whenever something was added or altered
 *    (re-sending the unchanged ones with their same SEQUENCE is harmless, and it lets a client
 *    that missed an earlier email catch up);
 *  - CANCEL with the segments this change cancelled (their SEQUENCE already bumped).
 */
export function itineraryCalendars(change: ItineraryChange, options: CalendarOptions): CalendarObject[] {
  const { trip } = change;
  const ref = filenamePart(trip.bookingRef);
  const objects: CalendarObject[] = [];

  const confirmed = confirmedSegments(trip);
  if (change.changedSegmentIds.length > 0 && confirmed.length > 0) {
    objects.push({
      method: 'REQUEST',
      filename: `itinerary-${ref}.ics`,
      content: renderItineraryIcs(trip, confirmed, { ...options, method: 'REQUEST' }),
    });
  }

  if (change.cancelledSegmentIds.length > 0) {
    const byId = new Map(trip.segments.map((s) => [s.id, s]));
    const cancelled = change.cancelledSegmentIds.map((id) => {
      const segment = byId.get(id);
      if (!segment) {
        // Without the segment we know neither its SEQUENCE nor what to show: the store must keep
        // cancelled and removed segments in the snapshot.
        throw new IcsError('ics.unknown-segment', `Cancelled segment ${id} is not in trip ${trip.bookingRef}`);
      }
      return segment;
    });
    objects.push({
      method: 'CANCEL',
      filename: `cancellation-${ref}.ics`,
      content: renderItineraryIcs(trip, cancelled, { ...options, method: 'CANCEL' }),
    });
  }
  return objects;
}

/**
 * The traveler's download (and `tripcal ics`): METHOD:PUBLISH with the trip's confirmed
 * segments, no ATTENDEE (RFC 5546 §3.2.1).
 */
export function itineraryDownload(
  trip: Trip,
  options: Omit<CalendarOptions, 'attendee'>,
): CalendarObject {
  return {
    method: 'PUBLISH',
    filename: `itinerary-${filenamePart(trip.bookingRef)}.ics`,
    content: renderItineraryIcs(trip, confirmedSegments(trip), { ...options, method: 'PUBLISH' }),
  };
}
