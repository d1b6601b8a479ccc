// A local time that occurs twice (clocks going back) or not at all (clocks going forward): one
// meaning in the store, the .ics (as every independent reader takes it), the email, the calendar
// write and the booking API's documentation. 1 November 2026: Los Angeles goes back from 02:00 PDT
// to 01:00 PST, so 01:30 is 08:30Z and again 09:30Z.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mapEvent } from '../../src/calendars/outlook/map-event.ts';
import { tripInputSchema, type SegmentInput } from '../../src/domain/booking-schema.ts';
import { parseSegments } from '../../src/domain/parse-booking.ts';
import { projectSegment } from '../../src/domain/project-segment.ts';
import type { Segment, Trip, TripChange } from '../../src/domain/types.ts';
import { renderItineraryIcs } from '../../src/ics/render-itinerary.ts';
import { composeItineraryEmail } from '../../src/mail/compose-itinerary-email.ts';
import * as f from '../fixtures/trips.ts';
import { parseIcs, unfold } from './ics-checks.ts';
import { independentReadersMissing, readIndependently } from './independent-readers.ts';

const first: SegmentInput = {
  type: 'flight', ref: 'F1', carrier: 'AS', flightNumber: '301',
  departure: { airport: 'LAX', local: '2026-11-01T01:30' }, arrival: { airport: 'SEA', local: '2026-11-01T04:10' },
};
/** The same wall clock an hour later, named by its offset. */
const second: SegmentInput = {
  type: 'flight', ref: 'F2', carrier: 'AS', flightNumber: '303',
  departure: { airport: 'LAX', local: '2026-11-01T01:30-08:00' }, arrival: { airport: 'SEA', local: '2026-11-01T04:30' },
};

const parsed = parseSegments([first, second], { homeTimeZone: 'America/Los_Angeles' });
const segments = parsed.map((p, i): Segment => ({ id: `00000000-0000-4000-8000-00000000000${i + 1}`, ref: p.ref, status: 'confirmed', sequence: 0, ...p.details }) as Segment);
const trip: Trip = { id: 'trip-fallback', organisationId: 'org-1', travelerId: f.alex.id, bookingRef: 'OBT-FALL', version: 1, status: 'active', segments };
const MEANT = ['2026-11-01T08:30:00.000Z', '2026-11-01T09:30:00.000Z'];
const ARRIVALS = ['2026-11-01T12:10:00.000Z', '2026-11-01T12:30:00.000Z'];

describe('a local time that occurs twice means one instant everywhere', () => {
  it('in the store: the first occurrence, or the one the offset names', () => {
    assert.deepEqual(parsed.map((p) => p.startsAt.toISOString()), MEANT);
  });

  it('in the .ics: written in UTC, read so by ical.js', () => {
    const ics = renderItineraryIcs(trip, segments, f.icsOptions('REQUEST', 'en'));
    assert.ok(unfold(ics).includes('DTSTART:20261101T083000Z'));
    assert.ok(unfold(ics).includes('DTSTART:20261101T093000Z'));
    assert.ok(unfold(ics).includes('DTEND;TZID=America/Los_Angeles:20261101T041000'), 'a time that occurs once keeps its zone');
    assert.deepEqual(parseIcs(ics).events.map((e) => [e.start, e.end]), MEANT.map((m, i) => [m, ARRIVALS[i]]));
  });

  it('in the .ics as libical, python-icalendar and vobject read it', { skip: independentReadersMissing }, () => {
    const ics = renderItineraryIcs(trip, segments, f.icsOptions('REQUEST', 'en'));
    const [reading] = readIndependently([ics]);
    assert.deepEqual(reading.libical, []);
    const iso = (s: string) => s.replace('.000Z', 'Z');
    for (const engine of ['icalendar', 'vobject'] as const) {
      assert.deepEqual(reading[engine].map((e) => [e.start, e.end]), MEANT.map((m, i) => [iso(m), iso(ARRIVALS[i])]), engine);
    }
  });

  it('in the email: named as daylight or standard time accordingly', () => {
    const change: TripChange = { id: 'c-fall', tripId: trip.id, version: 1, kind: 'created', changedSegmentIds: segments.map((s) => s.id), cancelledSegmentIds: [], trip, occurredAt: new Date('2026-10-20T00:00:00Z') };
    const text = String(composeItineraryEmail(change, f.alex, f.mailOptions).text);
    assert.match(text, /AS 301 [^\n]*\n  Departure: Sun 1 Nov 2026 01:30 \(Pacific Daylight Time\)/);
    assert.match(text, /AS 303 [^\n]*\n  Departure: Sun 1 Nov 2026 01:30 \(Pacific Standard Time\)/);
    assert.ok(text.indexOf('AS 301') < text.indexOf('AS 303'), 'in travel order');
  });

  it("in the calendar write: Graph's body carries the instant in UTC", () => {
    const bodies = segments.map((s) => mapEvent(projectSegment(s, trip, 'en')));
    assert.deepEqual(bodies.map((b) => b.start), [
      { dateTime: '2026-11-01T08:30:00', timeZone: 'UTC' },
      { dateTime: '2026-11-01T09:30:00', timeZone: 'UTC' },
    ]);
    assert.equal(bodies[0].end.dateTime, '2026-11-01T04:10:00', 'a time that occurs once keeps its zone');
  });

  it("in the booking API's documentation", () => {
    const local = tripInputSchema.properties.segments.items.oneOf[0].properties.departure.properties.local;
    assert.match(local.description, /occurs twice .* means its first occurrence; add the UTC offset to name the other \("2026-11-01T01:30-08:00"\)/);
    assert.match(local.description, /skip is refused \(422\)/);
  });
});
