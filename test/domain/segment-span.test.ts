import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SegmentInput } from '../../src/domain/booking-schema.ts';
import { parseSegments } from '../../src/domain/parse-booking.ts';
import { checkSegmentSpan, segmentSpan } from '../../src/domain/segment-span.ts';
import type { FlightSegment } from '../../src/domain/types.ts';
import * as f from '../fixtures/trips.ts';

function times(segment: Parameters<typeof checkSegmentSpan>[0]) {
  const checked = checkSegmentSpan(segment);
  assert.equal(checked.problems, undefined, JSON.stringify(checked.problems));
  return { startsAt: checked.times!.startsAt.toISOString(), endsAt: checked.times!.endsAt.toISOString() };
}

describe('a hotel stay', () => {
  it('is all-day from the check-in date to the check-out date, the end exclusive, in the hotel zone', () => {
    // Three nights in New York: 2, 3 and 4 June; out on the 5th.
    assert.deepEqual(segmentSpan(f.nycHotel), {
      allDay: true,
      timeZone: 'America/New_York',
      startDate: '2026-06-02',
      endDate: '2026-06-05',
      start: { local: '2026-06-02T00:00', timeZone: 'America/New_York' },
      end: { local: '2026-06-05T00:00', timeZone: 'America/New_York' },
      checkIn: { local: '2026-06-02T15:00', timeZone: 'America/New_York' },
    });
    // Midnight in New York (EDT, UTC-4), not in the machine's zone or UTC.
    assert.deepEqual(times(f.nycHotel), { startsAt: '2026-06-02T04:00:00.000Z', endsAt: '2026-06-05T04:00:00.000Z' });
  });

  it('arrives at the booked check-in time, or mid-afternoon when the booking gives none', () => {
    const span = segmentSpan(f.osakaHotel);
    assert.ok(span.allDay);
    assert.deepEqual(span.checkIn, { local: '2026-07-06T14:00', timeZone: 'Asia/Tokyo' });
    const noTime = segmentSpan({ ...f.osakaHotel, checkIn: { date: '2026-07-06' } });
    assert.ok(noTime.allDay);
    assert.equal(noTime.checkIn.local, '2026-07-06T15:00');
  });

  it('out on the day of arrival still covers that one day', () => {
    const span = segmentSpan({ ...f.nycHotel, checkOut: { date: '2026-06-02', time: '18:00' } });
    assert.ok(span.allDay);
    assert.deepEqual([span.startDate, span.endDate], ['2026-06-02', '2026-06-03']);
  });

  it('refuses a check-out before the check-in and a date that does not exist, naming the field', () => {
    assert.deepEqual(checkSegmentSpan({ ...f.nycHotel, checkOut: { date: '2026-06-01' } }).problems, [
      { code: 'end-before-start', field: 'checkOut.date', message: 'must be after the check-in date' },
    ]);
    assert.deepEqual(checkSegmentSpan({ ...f.nycHotel, checkIn: { date: '2026-02-30' } }).problems?.map((p) => p.field), ['checkIn.date']);
  });
});

describe('a flight', () => {
  it('starts in its departure zone and ends in its arrival zone', () => {
    // NH 6 leaves Haneda at 22:55 and lands in Los Angeles at 17:05 the same date: earlier on the
    // clock, ten hours later in fact.
    assert.deepEqual(segmentSpan(f.hndLax), {
      allDay: false,
      start: { local: '2026-06-01T22:55', timeZone: 'Asia/Tokyo' },
      end: { local: '2026-06-01T17:05', timeZone: 'America/Los_Angeles' },
    });
    assert.deepEqual(times(f.hndLax), { startsAt: '2026-06-01T13:55:00.000Z', endsAt: '2026-06-02T00:05:00.000Z' });
  });

  it('across the date line: westbound it lands two dates later, eastbound the day before it left', () => {
    const westbound: FlightSegment = {
      ...f.hndLax,
      departure: { airport: 'LAX', local: '2026-06-10T23:30', timeZone: 'America/Los_Angeles' },
      arrival: { airport: 'HND', local: '2026-06-12T05:00', timeZone: 'Asia/Tokyo' },
    };
    assert.deepEqual(times(westbound), { startsAt: '2026-06-11T06:30:00.000Z', endsAt: '2026-06-11T20:00:00.000Z' });
    const eastbound: FlightSegment = {
      ...f.hndLax,
      departure: { airport: 'AKL', local: '2026-06-11T07:00', timeZone: 'Pacific/Auckland' },
      arrival: { airport: 'HNL', local: '2026-06-10T17:30', timeZone: 'Pacific/Honolulu' },
    };
    assert.deepEqual(times(eastbound), { startsAt: '2026-06-10T19:00:00.000Z', endsAt: '2026-06-11T03:30:00.000Z' });
  });

  it('refuses an arrival that is not after the departure, and a time skipped by a daylight-saving jump', () => {
    const backwards = { ...f.hndLax, arrival: { ...f.hndLax.arrival, local: '2026-06-01T06:55' } };
    assert.deepEqual(checkSegmentSpan(backwards).problems, [
      { code: 'end-before-start', field: 'arrival.local', message: 'must be after the departure' },
    ]);
    // 02:30 on 8 March 2026 does not happen in New York: clocks go from 02:00 to 03:00.
    const skipped = { ...f.laxJfk, arrival: { ...f.laxJfk.arrival, local: '2026-03-08T02:30' }, departure: { ...f.laxJfk.departure, local: '2026-03-07T21:30' } };
    assert.deepEqual(checkSegmentSpan(skipped).problems?.map((p) => [p.code, p.field, p.message]), [
      ['invalid-local-time', 'arrival.local', '02:30 does not exist in America/New_York on 2026-03-08: clocks go forward at 02:00 (to 03:00)'],
    ]);
  });
});

// 1 November 2026: clocks in Los Angeles go back from 02:00 PDT to 01:00 PST, so 01:30 happens at
// 08:30Z and again at 09:30Z. 8 March 2026: they go forward from 02:00 to 03:00.
describe('a local time that occurs twice, or not at all', () => {
  const redEye = (local: string): SegmentInput => ({
    type: 'flight', ref: 'F1', carrier: 'AS', flightNumber: '301',
    departure: { airport: 'LAX', local }, arrival: { airport: 'SEA', local: '2026-11-01T04:10' },
  });

  it('means its first occurrence (RFC 5545 §3.3.5), in the store as in the span', () => {
    const [parsed] = parseSegments([redEye('2026-11-01T01:30')], { homeTimeZone: 'Asia/Tokyo' });
    assert.equal(parsed.startsAt.toISOString(), '2026-11-01T08:30:00.000Z');
    assert.equal((parsed.details as FlightSegment).departure.offset, undefined);
  });

  it('means its second occurrence when the booking gives that UTC offset, and keeps the offset', () => {
    const [parsed] = parseSegments([redEye('2026-11-01T01:30-08:00')], { homeTimeZone: 'Asia/Tokyo' });
    assert.equal(parsed.startsAt.toISOString(), '2026-11-01T09:30:00.000Z');
    assert.deepEqual((parsed.details as FlightSegment).departure, { airport: 'LAX', local: '2026-11-01T01:30', offset: '-08:00', timeZone: 'America/Los_Angeles' });
  });

  it('drops an offset that names what the time means anyway, so both forms are the same booking', () => {
    const [plain] = parseSegments([redEye('2026-11-01T01:30')], { homeTimeZone: 'Asia/Tokyo' });
    const [first] = parseSegments([redEye('2026-11-01T01:30:00-07:00')], { homeTimeZone: 'Asia/Tokyo' });
    assert.deepEqual(first.details, plain.details);
    const [summer] = parseSegments([{ ...f.flightHndLax, departure: { airport: 'HND', local: '2026-12-01T17:05+09:00' } }], { homeTimeZone: 'Asia/Tokyo' });
    assert.equal((summer.details as FlightSegment).departure.offset, undefined);
  });

  it('refuses an offset the zone does not have then, and a time the clocks skip, saying why', () => {
    assert.throws(() => parseSegments([redEye('2026-11-01T01:30-05:00')], { homeTimeZone: 'Asia/Tokyo' }), (e: Error & { problems?: unknown }) => {
      assert.deepEqual(e.problems, [{ field: 'segments[0].departure.local', message: '2026-11-01T01:30-05:00: 2026-11-01T01:30 occurs in America/Los_Angeles at -07:00 and at -08:00, not -05:00' }]);
      return true;
    });
    assert.throws(() => parseSegments([redEye('2026-06-01T01:30-08:00')], { homeTimeZone: 'Asia/Tokyo' }), /America\/Los_Angeles is at -07:00 then, not -08:00/);
    const spring = { ...redEye('2026-03-08T02:30'), arrival: { airport: 'SEA', local: '2026-03-08T05:00' } } as SegmentInput;
    assert.throws(() => parseSegments([spring], { homeTimeZone: 'Asia/Tokyo' }), (e: Error & { problems?: unknown }) => {
      assert.deepEqual(e.problems, [{ field: 'segments[0].departure.local', message: '02:30 does not exist in America/Los_Angeles on 2026-03-08: clocks go forward at 02:00 (to 03:00)' }]);
      return true;
    });
  });
});

describe('a car rental or a train', () => {
  const home = { homeTimeZone: 'Asia/Tokyo' };

  it("without a zone of its own is in the traveler's home zone", () => {
    const car: SegmentInput = {
      type: 'car', ref: 'C1', vendor: 'Times Car',
      pickUp: { place: 'Shin-Osaka Station', local: '2026-07-06T12:00' },
      dropOff: { place: 'Shin-Osaka Station', local: '2026-07-08T10:00' },
    };
    const [parsed] = parseSegments([car], home);
    assert.deepEqual(segmentSpan(parsed.details), {
      allDay: false,
      start: { local: '2026-07-06T12:00', timeZone: 'Asia/Tokyo' },
      end: { local: '2026-07-08T10:00', timeZone: 'Asia/Tokyo' },
    });
    assert.equal(parsed.startsAt.toISOString(), '2026-07-06T03:00:00.000Z');
  });

  it('keeps a zone it names: a train from Paris, booked by a traveler living in Tokyo', () => {
    const train: SegmentInput = {
      type: 'rail', ref: 'R1', operator: 'Eurostar', trainNumber: '9014',
      departure: { station: 'Paris Nord', local: '2026-09-01T08:13', timeZone: 'Europe/Paris' },
      arrival: { station: 'London St Pancras', local: '2026-09-01T09:30', timeZone: 'Europe/London' },
    };
    const [parsed] = parseSegments([train], home);
    const span = segmentSpan(parsed.details);
    assert.ok(!span.allDay);
    assert.deepEqual([span.start.timeZone, span.end.timeZone], ['Europe/Paris', 'Europe/London']);
    // 08:13 in Paris (UTC+2) to 09:30 in London (UTC+1): 2 h 17 min.
    assert.equal(parsed.endsAt.getTime() - parsed.startsAt.getTime(), (2 * 60 + 17) * 60_000);
  });

  it('refuses a drop-off before the pick-up, naming the drop-off', () => {
    const problems = checkSegmentSpan({ ...f.laxCar, dropOff: { ...f.laxCar.dropOff, local: '2026-06-09T09:00' } }).problems;
    assert.deepEqual(problems, [{ code: 'end-before-start', field: 'dropOff.local', message: 'must be after the pick-up' }]);
  });
});
