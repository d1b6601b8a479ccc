// Every email of a create → change → cancel flow, applied in order to a calendar as an iTIP
// client does (RFC 5546 §3.2.2, §3.2.5: a REQUEST creates or updates its UID when its SEQUENCE is
// not older, a CANCEL removes it), each object read by an independent engine (ical.js; and
// python-icalendar where installed). The calendar ends with exactly the live segments, each with
// its latest times.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Attachment } from 'nodemailer/lib/mailer';
import { applyBooking, cancelSegments } from '../../src/domain/apply-booking.ts';
import type { FlightSegmentInput, SegmentInput } from '../../src/domain/booking-schema.ts';
import { parseSegments } from '../../src/domain/parse-booking.ts';
import { checkSegmentSpan } from '../../src/domain/segment-span.ts';
import type { Segment, Trip, TripChange, User } from '../../src/domain/types.ts';
import { segmentUid } from '../../src/ics/render-itinerary.ts';
import { composeItineraryEmail } from '../../src/mail/compose-itinerary-email.ts';
import * as f from '../fixtures/trips.ts';
import { parseIcs } from './ics-checks.ts';
import { independentReadersMissing, readIndependently } from './independent-readers.ts';

const flight: FlightSegmentInput = { type: 'flight', ref: 'F1', carrier: 'NH', flightNumber: '6', departure: { airport: 'HND', terminal: '3', local: '2026-10-31T22:55' }, arrival: { airport: 'LAX', terminal: 'B', local: '2026-10-31T16:50' }, seat: '23K' };
const hotel: SegmentInput = { type: 'hotel', ref: 'H1', property: 'The Westin Bonaventure', checkIn: { date: '2026-10-31' }, checkOut: { date: '2026-11-03' }, timeZone: 'America/Los_Angeles' };
// Leaves at 01:30 on the night clocks go back: its first occurrence, 08:30Z.
const redEye: FlightSegmentInput = { type: 'flight', ref: 'F2', carrier: 'AS', flightNumber: '301', departure: { airport: 'LAX', local: '2026-11-01T01:30' }, arrival: { airport: 'SEA', local: '2026-11-01T04:10' } };
const car: SegmentInput = { type: 'car', ref: 'C1', vendor: 'Hertz', pickUp: { place: 'SEA', local: '2026-11-01T09:00', timeZone: 'America/Los_Angeles' }, dropOff: { place: 'SEA', local: '2026-11-02T09:00', timeZone: 'America/Los_Angeles' } };

interface Held { sequence: number; start: string; end: string }

function flow(traveler: User): TripChange[] {
  const changes: TripChange[] = [];
  let trip: Trip | undefined;
  const record = (segments: Segment[], changed: string[], cancelled: string[]) => {
    const version = (trip?.version ?? 0) + 1;
    const live = segments.some((s) => s.status === 'confirmed');
    trip = { id: 'trip-flow', organisationId: 'org-1', travelerId: traveler.id, bookingRef: 'BK-FLOW', version, status: live ? 'active' : 'cancelled', segments };
    changes.push({ id: `c-flow-${version}`, tripId: trip.id, version, kind: version === 1 ? 'created' : live ? 'changed' : 'cancelled', trip, changedSegmentIds: changed, cancelledSegmentIds: cancelled, occurredAt: new Date(Date.UTC(2026, 9, version)) });
  };
  const book = (inputs: SegmentInput[]) => {
    const applied = applyBooking(trip?.segments ?? [], parseSegments(inputs, { homeTimeZone: traveler.timeZone }));
    record(applied.segments, applied.changedSegmentIds, applied.cancelledSegmentIds);
  };
  book([flight, hotel, redEye]);
  book([{ ...flight, departure: { ...flight.departure, local: '2026-11-01T10:05' }, arrival: { ...flight.arrival, local: '2026-11-01T04:00' }, seat: '12C' }, hotel, redEye]); // the flight moved a day
  book([{ ...flight, departure: { ...flight.departure, local: '2026-11-01T10:05' }, arrival: { ...flight.arrival, local: '2026-11-01T04:00' }, seat: '12C' }, redEye, car]); // hotel gone, car added
  book([{ ...flight, departure: { ...flight.departure, local: '2026-11-01T10:05' }, arrival: { ...flight.arrival, local: '2026-11-01T04:00' }, seat: '12C' }, { ...redEye, departure: { airport: 'LAX', local: '2026-11-01T01:30-08:00' } }, car]); // the red-eye an hour later
  const carCancelled = cancelSegments(trip!.segments, new Set(['C1']));
  record(carCancelled.segments, [], carCancelled.cancelledSegmentIds);
  return changes;
}

function calendarObjects(change: TripChange, traveler: User): string[] {
  const message = composeItineraryEmail(change, traveler, f.mailOptions);
  return ((message.attachments ?? []) as Attachment[]).map((a) => String(a.content));
}

function apply(calendar: Map<string, Held>, method: string, events: Array<{ uid: string; sequence: number; start: string; end: string }>) {
  assert.equal(events.length, 1, 'one event per invitation');
  const [event] = events;
  const held = calendar.get(event.uid);
  if (held && event.sequence < held.sequence) return;
  if (method === 'CANCEL') calendar.delete(event.uid);
  else calendar.set(event.uid, { sequence: event.sequence, start: event.start, end: event.end });
}

function expected(trip: Trip): Map<string, Held> {
  return new Map(trip.segments.filter((s) => s.status === 'confirmed').map((s) => {
    const { times } = checkSegmentSpan(s);
    return [segmentUid(s), { sequence: s.sequence, start: times!.startsAt.toISOString(), end: times!.endsAt.toISOString() }];
  }));
}

const iso = (start: string) => (/^\d{4}-\d{2}-\d{2}$/.test(start) ? start : new Date(start).toISOString());

for (const traveler of [f.hanako, f.alex]) {
  describe(`every email of a create → change → cancel flow, applied in order (${traveler.locale})`, () => {
    const changes = flow(traveler);
    const last = changes[changes.length - 1].trip;
    const want = expected(last);

    it('with ical.js: exactly the live segments, each with its latest times', () => {
      const calendar = new Map<string, Held>();
      for (const change of changes) {
        for (const ics of calendarObjects(change, traveler)) {
          const parsed = parseIcs(ics);
          apply(calendar, parsed.method, parsed.events.map((e) => ({ ...e, start: iso(e.start), end: iso(e.end) })));
        }
      }
      assert.deepEqual(calendar, want);
      assert.equal(calendar.size, 2, 'the moved flight and the red-eye');
      assert.equal(calendar.get(segmentUid(last.segments.find((s) => s.ref === 'F2')!))?.start, '2026-11-01T09:30:00.000Z');
    });

    it('with python-icalendar, and every object passes libical\'s RFC 5546 restriction check', { skip: independentReadersMissing }, () => {
      const calendar = new Map<string, Held>();
      for (const change of changes) {
        const objects = calendarObjects(change, traveler);
        for (const [i, reading] of readIndependently(objects).entries()) {
          assert.deepEqual(reading.libical, []);
          const method = /^METHOD:(\S+)\r$/m.exec(objects[i])![1];
          apply(calendar, method, reading.icalendar.map((e) => ({ ...e, start: iso(e.start), end: iso(e.end) })));
        }
      }
      assert.deepEqual(calendar, want);
    });

    it('for a company that keeps cancellations: the live segments, and each cancelled one once, titled as cancelled and free', () => {
      const prefix = traveler.locale === 'ja' ? 'キャンセル: ' : 'Canceled: ';
      const calendar = new Map<string, { sequence: number; summary: string; transp: string; start: string; alarms: number }>();
      for (const change of changes) {
        const message = composeItineraryEmail(change, traveler, { ...f.mailOptions, keepCancelled: true });
        for (const attachment of (message.attachments ?? []) as Attachment[]) {
          const parsed = parseIcs(String(attachment.content));
          assert.equal(parsed.method, 'REQUEST', 'no CANCEL: it would remove the event');
          const [event] = parsed.events;
          const held = calendar.get(event.uid);
          if (held && event.sequence < held.sequence) continue;
          calendar.set(event.uid, { sequence: event.sequence, summary: event.summary, transp: event.transp, start: iso(event.start), alarms: event.component.getAllSubcomponents('valarm').length });
        }
      }
      const live = expected(last);
      // The cancellation's email says what its file does: it keeps the booking, marked cancelled.
      const note = composeItineraryEmail(changes[changes.length - 1]!, traveler, { ...f.mailOptions, keepCancelled: true }).text as string;
      assert.match(note, traveler.locale === 'ja' ? /「キャンセル」と表示されてカレンダーに残ります/ : /mark that booking as cancelled in your calendar, where it stays/);
      assert.equal(calendar.size, last.segments.length, 'every segment once: 2 live, the hotel and the car kept');
      for (const segment of last.segments) {
        const held = calendar.get(segmentUid(segment))!;
        assert.equal(held.sequence, segment.sequence);
        if (segment.status === 'confirmed') {
          assert.equal(held.start, live.get(segmentUid(segment))!.start);
          assert.ok(!held.summary.startsWith(prefix), held.summary);
        } else {
          assert.ok(held.summary.startsWith(prefix), held.summary);
          assert.deepEqual([held.transp, held.alarms], ['TRANSPARENT', 0]);
        }
      }
    });

    it('a whole trip cancelled afterwards leaves the calendar empty', () => {
      const calendar = new Map<string, Held>();
      const all = cancelSegments(last.segments);
      const cancelled: TripChange = { ...changes[0], id: 'c-flow-end', version: last.version + 1, kind: 'cancelled', trip: { ...last, status: 'cancelled', segments: all.segments }, changedSegmentIds: [], cancelledSegmentIds: all.cancelledSegmentIds };
      for (const change of [...changes, cancelled]) {
        for (const ics of calendarObjects(change, traveler)) {
          const parsed = parseIcs(ics);
          apply(calendar, parsed.method, parsed.events.map((e) => ({ ...e, start: iso(e.start), end: iso(e.end) })));
        }
      }
      assert.equal(calendar.size, 0);
    });
  });
}
