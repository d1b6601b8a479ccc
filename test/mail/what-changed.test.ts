// What changed, in words: a change email and the calendar event (Graph's body, the .ics
// DESCRIPTION) show each changed fact as old → new in the traveler's language, and the subject
// says what kind of change it is. The changes go through the booking API's own parsing and
// applying, as a booking engine's request would.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mapEvent } from '../../src/calendars/outlook/map-event.ts';
import { applyBooking } from '../../src/domain/apply-booking.ts';
import type { SegmentInput } from '../../src/domain/booking-schema.ts';
import { parseSegments } from '../../src/domain/parse-booking.ts';
import { projectSegment } from '../../src/domain/project-segment.ts';
import type { Segment, Trip, TripChange, User } from '../../src/domain/types.ts';
import { renderItineraryIcs } from '../../src/ics/render-itinerary.ts';
import { composeItineraryEmail } from '../../src/mail/compose-itinerary-email.ts';
import { parseIcs } from '../ics/ics-checks.ts';
import * as f from '../fixtures/trips.ts';

const flight: SegmentInput = {
  type: 'flight', ref: 'F1', carrier: 'NH', flightNumber: '105',
  departure: { airport: 'LAX', terminal: 'B', local: '2026-12-01T23:55' }, arrival: { airport: 'HND', terminal: '3', local: '2026-12-03T05:25' },
  seat: '11A', recordLocator: 'QX7P2L',
};
const hotel: SegmentInput = {
  type: 'hotel', ref: 'H1', property: 'Hotel <Sunset> & Spa', checkIn: { date: '2026-11-28', time: '15:00' }, checkOut: { date: '2026-12-01', time: '11:00' },
  timeZone: 'America/Los_Angeles',
};
const train: SegmentInput = {
  type: 'rail', ref: 'R1', operator: 'JR東海', trainNumber: 'のぞみ15号',
  departure: { station: '品川', local: '2026-12-03T08:10', timeZone: 'Asia/Tokyo' }, arrival: { station: '新大阪', local: '2026-12-03T10:27', timeZone: 'Asia/Tokyo' }, car: '7', seat: '12A',
};

let version = 0;
/** Applies the booking as it now stands to the trip, as the store does, and returns the change. */
function book(trip: Trip | undefined, inputs: SegmentInput[]): TripChange {
  const applied = applyBooking(trip?.segments ?? [], parseSegments(inputs, { homeTimeZone: 'Asia/Tokyo' }));
  version += 1;
  const next: Trip = { id: 'trip-words', organisationId: 'org-1', travelerId: f.hanako.id, bookingRef: 'BK-WORDS', version, status: 'active', segments: applied.segments };
  return {
    id: `c-words-${version}`, tripId: next.id, version, kind: trip ? 'changed' : 'created', trip: next,
    changedSegmentIds: applied.changedSegmentIds, cancelledSegmentIds: applied.cancelledSegmentIds, occurredAt: new Date('2026-11-20T00:00:00Z'),
  };
}

const text = (change: TripChange, who: User) => String(composeItineraryEmail(change, who, f.mailOptions).text);
const subject = (change: TripChange, who: User) => String(composeItineraryEmail(change, who, f.mailOptions).subject);
const segment = (change: TripChange, ref: string) => change.trip.segments.find((s) => s.ref === ref) as Segment;

describe('what changed, in words', () => {
  const created = book(undefined, [hotel, flight, train]);
  const moved = book(created.trip, [hotel, { ...flight, departure: { ...flight.departure, local: '2026-12-02T01:10', terminal: 'TBIT' }, arrival: { ...flight.arrival, local: '2026-12-03T06:40' }, seat: '12C' }, train]);

  it('a change email shows each changed fact as old → new, in Japanese and in English', () => {
    const ja = text(moved, f.hanako);
    assert.match(ja, /^  変更内容: 出発 2026年12月1日\(火\) 23:55 → 2026年12月2日\(水\) 01:10 \(米国太平洋標準時\)$/m);
    assert.match(ja, /^  変更内容: 到着 05:25 → 06:40 \(日本標準時\)$/m);
    assert.match(ja, /^  変更内容: 出発ターミナル B → TBIT$/m);
    assert.match(ja, /^  変更内容: 座席 11A → 12C$/m);
    const en = text(moved, f.alex);
    assert.match(en, /^  What changed: Departure Tue 1 Dec 2026 23:55 → Wed 2 Dec 2026 01:10 \(Pacific Standard Time\)$/m);
    assert.match(en, /^  What changed: Seat 11A → 12C$/m);
    assert.equal((en.match(/^  What changed:/gm) ?? []).length, 4, 'only the changed flight says what changed');
    assert.match(String(composeItineraryEmail(moved, f.alex, f.mailOptions).html), /<th[^>]*>What changed<\/th>\s*<td[^>]*>Seat 11A → 12C<\/td>/);
  });

  it('the calendar event says the same, in Graph\'s body and in the .ics DESCRIPTION', () => {
    const changed = segment(moved, 'F1');
    const body = mapEvent(projectSegment(changed, moved.trip, 'ja')).body.content;
    assert.match(body, /^変更内容: 座席 11A → 12C$/m);
    assert.match(body, /^変更内容: 出発 2026年12月1日\(火\) 23:55 → 2026年12月2日\(水\) 01:10 \(米国太平洋標準時\)$/m);
    const [event] = parseIcs(renderItineraryIcs(moved.trip, [changed], f.icsOptions('REQUEST', 'en'))).events;
    assert.match(event.description, /^What changed: Seat 11A → 12C$/m);
    assert.match(event.description, /^What changed: Departure terminal B → TBIT$/m);
  });

  it('the subject says the kind of change: times, seats, added, cancelled, or several', () => {
    assert.equal(subject(moved, f.alex), 'Itinerary changed: booking BK-WORDS', 'times and a seat: several kinds');
    const seat = book(moved.trip, [hotel, { ...flight, departure: { ...flight.departure, local: '2026-12-02T01:10', terminal: 'TBIT' }, arrival: { ...flight.arrival, local: '2026-12-03T06:40' }, seat: '14D' }, train]);
    assert.equal(subject(seat, f.hanako), '【座席変更のお知らせ】予約番号 BK-WORDS');
    assert.equal(subject(seat, f.alex), 'Seat changed: booking BK-WORDS');
    assert.doesNotMatch(text(seat, f.alex), /Departure terminal B → TBIT/, 'an earlier change is not told again');
    const later = book(seat.trip, [{ ...hotel, checkOut: { date: '2026-12-02', time: '11:00' } }, segment(seat, 'F1') && { ...flight, departure: { ...flight.departure, local: '2026-12-02T01:10', terminal: 'TBIT' }, arrival: { ...flight.arrival, local: '2026-12-03T06:40' }, seat: '14D' }, { ...train, trainNumber: 'のぞみ17号', departure: { ...train.departure, local: '2026-12-03T08:30' }, arrival: { ...train.arrival, local: '2026-12-03T10:57' } }]);
    assert.equal(subject(later, f.hanako), '【旅程変更のお知らせ】予約番号 BK-WORDS', 'dates and a train number');
    const ja = text(later, f.hanako);
    assert.match(ja, /^  変更内容: チェックアウト 2026年12月1日\(火\) 11:00 → 2026年12月2日\(水\) 11:00$/m);
    assert.match(ja, /^  変更内容: 列車 のぞみ15号 → のぞみ17号$/m);
    assert.match(ja, /^  変更内容: 出発 08:10 → 08:30 \(日本標準時\)$/m);
    const timesOnly = book(later.trip, [{ ...hotel, checkOut: { date: '2026-12-02', time: '11:00' } }, { ...flight, departure: { ...flight.departure, local: '2026-12-02T02:00', terminal: 'TBIT' }, arrival: { ...flight.arrival, local: '2026-12-03T07:30' }, seat: '14D' }, { ...train, trainNumber: 'のぞみ17号', departure: { ...train.departure, local: '2026-12-03T08:30' }, arrival: { ...train.arrival, local: '2026-12-03T10:57' } }]);
    assert.equal(subject(timesOnly, f.hanako), '【時刻変更のお知らせ】予約番号 BK-WORDS');
    const cancelled = book(timesOnly.trip, [{ ...hotel, checkOut: { date: '2026-12-02', time: '11:00' } }, { ...flight, departure: { ...flight.departure, local: '2026-12-02T02:00', terminal: 'TBIT' }, arrival: { ...flight.arrival, local: '2026-12-03T07:30' }, seat: '14D' }]);
    assert.equal(subject(cancelled, f.hanako), '【一部キャンセルのお知らせ】予約番号 BK-WORDS');
    assert.match(text(cancelled, f.hanako), /^\[キャンセル\] JR東海 のぞみ17号 品川 → 新大阪$/m);
    const added = book(cancelled.trip, [{ ...hotel, checkOut: { date: '2026-12-02', time: '11:00' } }, { ...flight, departure: { ...flight.departure, local: '2026-12-02T02:00', terminal: 'TBIT' }, arrival: { ...flight.arrival, local: '2026-12-03T07:30' }, seat: '14D' }, { ...train, ref: 'R2' }]);
    assert.equal(subject(added, f.alex), 'Booking added: booking BK-WORDS');
  });
});
