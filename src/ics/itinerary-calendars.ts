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
  /** The one segment an iTIP object (REQUEST, CANCEL) is about; absent for a PUBLISH of the trip. */
  segmentId?: string;
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
 * The calendar objects for one booking change, each an iTIP message (RFC 5546) about ONE event
 * (one UID). One object carries one METHOD (RFC 5546 §1.4), and clients apply an invitation per
 * event: Outlook keeps only the first UID of an invitation that holds several, and Gmail, Apple
 * Calendar and Thunderbird take such an object for a plain import. So:
 *  - a REQUEST for each segment this change added or altered (its SEQUENCE already bumped);
 *  - a CANCEL for each segment this change cancelled (its SEQUENCE already bumped); where the
 *    company keeps cancelled bookings in calendars (`keepCancelled`), a REQUEST instead, which
 *    changes the event into 「キャンセル: …」 / "Canceled: …", free, with no reminder, as the
 *    synced calendars show it (a CANCEL would remove it from every client that applies it).
 * In the trip's order, REQUESTs first. Unchanged segments are not sent again: the whole trip is the
 * PUBLISH download (`itineraryDownload`).
 */
export function itineraryCalendars(change: ItineraryChange, options: CalendarOptions): CalendarObject[] {
  const { trip } = change;
  const ref = filenamePart(trip.bookingRef);
  const byId = new Map(trip.segments.map((s) => [s.id, s]));
  const segmentOf = (id: string): Segment => {
    const segment = byId.get(id);
    // Without the segment we know neither its SEQUENCE nor what to show: the store must keep
    // cancelled and removed segments in the snapshot.
    if (!segment) throw new IcsError('ics.unknown-segment', `Segment ${id} is not in trip ${trip.bookingRef}`);
    return segment;
  };
  const inTripOrder = (ids: readonly string[]) => {
    const wanted = new Set(ids);
    for (const id of wanted) segmentOf(id);
    return trip.segments.filter((s) => wanted.has(s.id));
  };

  const live = new Set(confirmedSegments(trip).map((s) => s.id));
  const requests = inTripOrder(change.changedSegmentIds).filter((s) => live.has(s.id));
  const cancels = inTripOrder(change.cancelledSegmentIds);
  return [
    ...requests.map((segment) => ({
      method: 'REQUEST' as const,
      filename: `itinerary-${ref}-${filenamePart(segment.ref)}.ics`,
      content: renderItineraryIcs(trip, [segment], { ...options, method: 'REQUEST' }),
      segmentId: segment.id,
    })),
    ...cancels.map((segment) => {
      const method = options.keepCancelled ? ('REQUEST' as const) : ('CANCEL' as const);
      return {
        method,
        filename: `cancellation-${ref}-${filenamePart(segment.ref)}.ics`,
        content: renderItineraryIcs(trip, [{ ...segment, status: 'cancelled' as const }], { ...options, method }),
        segmentId: segment.id,
      };
    }),
  ];
}

/**
 * The traveler's download (and `tripcal ics`): METHOD:PUBLISH with the trip's confirmed
 * segments, no ATTENDEE (RFC 5546 §3.2.1). A trip with none left (cancelled) still gives a
 * calendar (RFC 5545 §3.6 requires at least one component): its segments, each STATUS:CANCELLED.
 */
export function itineraryDownload(
  trip: Trip,
  options: Omit<CalendarOptions, 'attendee'>,
): CalendarObject {
  const confirmed = confirmedSegments(trip);
  const segments = confirmed.length > 0 ? confirmed : trip.segments.map((s) => ({ ...s, status: 'cancelled' as const }));
  return {
    method: 'PUBLISH',
    filename: `itinerary-${filenamePart(trip.bookingRef)}.ics`,
    content: renderItineraryIcs(trip, segments, { ...options, method: 'PUBLISH' }),
  };
}
