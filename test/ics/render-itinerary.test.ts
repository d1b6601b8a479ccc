// Golden .ics files: generated text compared byte for byte with reviewed files in golden/, then
// parsed back by ical.js and checked. UPDATE_GOLDEN=1 rewrites the files (review the diff!).

import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { describeSegment } from '../../src/domain/describe-segment.ts';
import type { Locale, Segment, Trip } from '../../src/domain/types.ts';
import { IcsError } from '../../src/ics/ics-error.ts';
import { itineraryCalendars, itineraryDownload } from '../../src/ics/itinerary-calendars.ts';
import { renderItineraryIcs, segmentUid } from '../../src/ics/render-itinerary.ts';
import * as f from '../fixtures/trips.ts';
import { parseIcs, unfold, type ParsedCalendar } from './ics-checks.ts';
import { independentReadersMissing, readIndependently } from './independent-readers.ts';

const GOLDEN = new URL('./golden/', import.meta.url);

function golden(name: string, actual: string): void {
  const file = new URL(name, GOLDEN);
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, actual);
  const expected = readFileSync(file, 'utf8');
  assert.equal(actual, expected, `${name} differs from the reviewed golden file (UPDATE_GOLDEN=1 rewrites it)`);
}

/** Expected instants: UTC ISO strings for DATE-TIME, "YYYY-MM-DD" for DATE. */
type Expected = Record<string, { start: string; end: string; startTzid?: string; endTzid?: string }>;

function checkEvents(
  parsed: ParsedCalendar,
  trip: Trip,
  segments: Segment[],
  locale: Locale,
  expected: Expected,
): void {
  assert.deepEqual(
    parsed.events.map((e) => e.uid),
    segments.map((s) => segmentUid(s)),
    'one VEVENT per segment, UID from the segment id',
  );
  for (const [i, segment] of segments.entries()) {
    const event = parsed.events[i];
    const want = expected[segment.id];
    assert.ok(want, `expected times for ${segment.id}`);
    assert.equal(event.start, want.start, `${segment.id} DTSTART instant`);
    assert.equal(event.end, want.end, `${segment.id} DTEND instant`);
    if (want.startTzid) assert.equal(event.startTzid, want.startTzid);
    if (want.endTzid) assert.equal(event.endTzid, want.endTzid);
    assert.equal(event.sequence, segment.sequence, 'SEQUENCE is the segment sequence');
    assert.equal(event.busyStatus, 'TENTATIVE', 'shows as tentative (labels.md)');
    assert.equal(event.transp, segment.kind === 'hotel' ? 'TRANSPARENT' : 'OPAQUE');
    assert.equal(event.organizer, `mailto:${f.ORGANIZER.email}`);
    // TEXT escaping and folding survive a round trip through another parser.
    const text = describeSegment(segment, locale);
    assert.equal(event.summary, text.summary);
    assert.equal(event.location, text.location);
    assert.equal(event.description, text.description);
  }
  assert.ok(trip.segments.length >= segments.length);
}

const hndLaxTimes = {
  start: '2026-06-01T13:55:00.000Z',
  end: '2026-06-02T00:05:00.000Z', // 17:05 PDT (UTC-7) on 1 June
  startTzid: 'Asia/Tokyo',
  endTzid: 'America/Los_Angeles',
};

describe('itinerary .ics golden files', () => {
  it('a flight with a connection across time zones: HND → LAX → JFK', () => {
    const ics = renderItineraryIcs(f.flightTrip, f.flightTrip.segments, f.icsOptions('REQUEST', 'en'));
    golden('flight-connection.ics', ics);
    const parsed = parseIcs(ics);
    assert.equal(parsed.method, 'REQUEST');
    assert.deepEqual(parsed.tzids, ['America/Los_Angeles', 'America/New_York', 'Asia/Tokyo']);
    checkEvents(parsed, f.flightTrip, f.flightTrip.segments, 'en', {
      [f.hndLax.id]: hndLaxTimes,
      [f.laxJfk.id]: {
        start: '2026-06-02T04:30:00.000Z',
        end: '2026-06-02T10:05:00.000Z',
        startTzid: 'America/Los_Angeles',
        endTzid: 'America/New_York',
      },
    });
    for (const event of parsed.events) {
      assert.equal(event.status, 'CONFIRMED');
      assert.deepEqual(event.attendees, [`mailto:${f.ATTENDEE_EN.email}`]);
      const attendee = event.component.getFirstProperty('attendee')!;
      assert.equal(attendee.getParameter('cn'), f.ATTENDEE_EN.name);
      assert.equal(attendee.getParameter('role'), 'REQ-PARTICIPANT');
      assert.equal(attendee.getParameter('partstat'), 'NEEDS-ACTION');
      assert.equal(attendee.getParameter('rsvp'), 'FALSE');
    }
  });

  it('a hotel stay is all-day from check-in to check-out (exclusive) and transparent', () => {
    const ics = renderItineraryIcs(f.hotelTrip, f.hotelTrip.segments, f.icsOptions('REQUEST', 'en'));
    golden('hotel-stay.ics', ics);
    const parsed = parseIcs(ics);
    assert.deepEqual(parsed.tzids, [], 'DATE values need no VTIMEZONE');
    checkEvents(parsed, f.hotelTrip, f.hotelTrip.segments, 'en', {
      [f.nycHotel.id]: { start: '2026-06-02', end: '2026-06-05' },
    });
    assert.ok(unfold(ics).includes('DTSTART;VALUE=DATE:20260602'));
    assert.ok(unfold(ics).includes('DTEND;VALUE=DATE:20260605'));
    // The confirmation holds "," and ";": escaped in the file, intact after parsing.
    assert.match(ics, /84512937\\; room: king\\, non-smoking/);
  });

  it('a car rental runs from pick-up to drop-off', () => {
    const ics = renderItineraryIcs(f.carTrip, f.carTrip.segments, f.icsOptions('REQUEST', 'en'));
    golden('car-rental.ics', ics);
    checkEvents(parseIcs(ics), f.carTrip, f.carTrip.segments, 'en', {
      [f.laxCar.id]: { start: '2026-06-10T16:00:00.000Z', end: '2026-06-13T01:00:00.000Z' },
    });
  });

  it('a train: Tokaido Shinkansen Nozomi', () => {
    const ics = renderItineraryIcs(f.trainTrip, f.trainTrip.segments, f.icsOptions('REQUEST', 'en'));
    golden('train.ics', ics);
    const parsed = parseIcs(ics);
    assert.deepEqual(parsed.tzids, ['Asia/Tokyo']);
    checkEvents(parsed, f.trainTrip, f.trainTrip.segments, 'en', {
      [f.nozomiEn.id]: { start: '2026-06-15T00:00:00.000Z', end: '2026-06-15T02:27:00.000Z' },
    });
  });

  it('a Japanese-language trip: のぞみ, a hotel in Osaka and a flight back', () => {
    const ics = renderItineraryIcs(f.japaneseTrip, f.japaneseTrip.segments, f.icsOptions('REQUEST', 'ja'));
    golden('japanese-trip.ics', ics);
    const parsed = parseIcs(ics);
    checkEvents(parsed, f.japaneseTrip, f.japaneseTrip.segments, 'ja', {
      [f.nozomiJa.id]: { start: '2026-07-06T00:00:00.000Z', end: '2026-07-06T02:27:00.000Z' },
      [f.osakaHotel.id]: { start: '2026-07-06', end: '2026-07-08' },
      [f.itmHnd.id]: { start: '2026-07-08T09:00:00.000Z', end: '2026-07-08T10:10:00.000Z' },
    });
    assert.equal(parsed.events[0].summary, 'JR東海 東海道新幹線 のぞみ15号 東京 → 新大阪');
    assert.equal(parsed.events[2].summary, 'JL 124 大阪(ITM) → 東京(HND)');
    const attendee = parsed.events[0].component.getFirstProperty('attendee')!;
    assert.equal(attendee.getParameter('cn'), f.ATTENDEE_JA.name);
  });

  it('a change is a REQUEST for the changed segment alone: same UID, higher SEQUENCE', () => {
    const original = parseIcs(
      renderItineraryIcs(f.flightTrip, f.flightTrip.segments, f.icsOptions('REQUEST', 'en')),
    );
    const objects = itineraryCalendars(
      { trip: f.changedFlightTrip, changedSegmentIds: [f.laxJfk.id], cancelledSegmentIds: [] },
      { ...f.icsOptions('REQUEST', 'en') },
    );
    assert.equal(objects.length, 1, 'the unchanged flight is not sent again');
    const [object] = objects;
    assert.equal(object.method, 'REQUEST');
    assert.equal(object.filename, 'itinerary-OBT-1001-S2.ics');
    assert.equal(object.segmentId, f.laxJfk.id);
    golden('change.ics', object.content);
    const changed = parseIcs(object.content);
    assert.equal(changed.method, 'REQUEST');
    assert.deepEqual(
      changed.events.map((e) => e.uid),
      [original.events[1].uid],
      'the same UID: the calendar updates the event instead of adding one',
    );
    assert.deepEqual(changed.events.map((e) => e.sequence), [1]);
    assert.ok(changed.events[0].sequence > original.events[1].sequence);
    checkEvents(changed, f.changedFlightTrip, [f.laxJfkChanged], 'en', {
      [f.laxJfk.id]: { start: '2026-06-02T06:15:00.000Z', end: '2026-06-02T11:50:00.000Z' },
    });
  });

  it('a cancellation is METHOD:CANCEL with STATUS:CANCELLED and a higher SEQUENCE', () => {
    const objects = itineraryCalendars(
      { trip: f.cancelledFlightTrip, changedSegmentIds: [], cancelledSegmentIds: [f.laxJfk.id] },
      { ...f.icsOptions('CANCEL', 'en') },
    );
    assert.deepEqual(
      objects.map((o) => [o.method, o.filename]),
      [['CANCEL', 'cancellation-OBT-1001-S2.ics']],
    );
    golden('cancellation.ics', objects[0].content);
    const parsed = parseIcs(objects[0].content);
    assert.equal(parsed.method, 'CANCEL');
    assert.equal(parsed.events.length, 1);
    const [event] = parsed.events;
    assert.equal(event.uid, segmentUid(f.laxJfk));
    assert.equal(event.status, 'CANCELLED');
    assert.equal(event.sequence, 2);
    assert.ok(event.sequence > f.laxJfkChanged.sequence);
    assert.deepEqual(event.attendees, [`mailto:${f.ATTENDEE_EN.email}`], 'RFC 5546 §3.2.5: ATTENDEE in CANCEL');
  });

  it("the traveler's download is METHOD:PUBLISH without ATTENDEE", () => {
    const object = itineraryDownload(f.japaneseTrip, {
      locale: 'ja',
      organizer: f.ORGANIZER,
      dtstamp: f.DTSTAMP,
    });
    assert.equal(object.method, 'PUBLISH');
    assert.equal(object.filename, 'itinerary-OBT-2001.ics');
    golden('download-ja.ics', object.content);
    const parsed = parseIcs(object.content);
    assert.equal(parsed.method, 'PUBLISH');
    assert.equal(parsed.events.length, 3);
    for (const event of parsed.events) {
      assert.deepEqual(event.attendees, [], 'RFC 5546 §3.2.1: no ATTENDEE in PUBLISH');
      assert.equal(event.status, 'CONFIRMED');
    }
  });
});

describe('renderItineraryIcs', () => {
  it('is deterministic', () => {
    const a = renderItineraryIcs(f.japaneseTrip, f.japaneseTrip.segments, f.icsOptions('REQUEST', 'ja'));
    const b = renderItineraryIcs(f.japaneseTrip, f.japaneseTrip.segments, f.icsOptions('REQUEST', 'ja'));
    assert.equal(a, b);
  });

  it('writes DTSTAMP in UTC whatever the Date was built from', () => {
    const ics = renderItineraryIcs(f.hotelTrip, f.hotelTrip.segments, {
      ...f.icsOptions('REQUEST', 'en'),
      dtstamp: new Date('2026-05-20T17:30:45.678+09:00'),
    });
    assert.ok(unfold(ics).includes('DTSTAMP:20260520T083045Z'));
  });

  it('refuses a REQUEST or CANCEL without the traveler as ATTENDEE', () => {
    for (const method of ['REQUEST', 'CANCEL'] as const) {
      assert.throws(
        () => renderItineraryIcs(f.flightTrip, f.flightTrip.segments, { ...f.icsOptions(method, 'en'), attendee: undefined }),
        (e: unknown) => e instanceof IcsError && e.code === 'ics.attendee-required',
      );
    }
  });

  it('refuses a cancelled segment in a REQUEST', () => {
    assert.throws(
      () => renderItineraryIcs(f.cancelledFlightTrip, f.cancelledFlightTrip.segments, f.icsOptions('REQUEST', 'en')),
      (e: unknown) => e instanceof IcsError && e.code === 'ics.cancelled-segment-in-request',
    );
  });

  it('refuses a segment that ends before it starts', () => {
    const bad = { ...f.laxCar, dropOff: { ...f.laxCar.dropOff, local: '2026-06-09T09:00' } };
    assert.throws(
      () => renderItineraryIcs(f.carTrip, [bad], f.icsOptions('PUBLISH', 'en')),
      (e: unknown) => e instanceof IcsError && e.code === 'ics.end-before-start',
    );
  });

  it('refuses an unknown time zone', () => {
    const bad = { ...f.nozomiEn, departure: { ...f.nozomiEn.departure, timeZone: 'Mars/Olympus_Mons' } };
    assert.throws(
      () => renderItineraryIcs(f.trainTrip, [bad], f.icsOptions('PUBLISH', 'en')),
      (e: unknown) => e instanceof IcsError && e.code === 'ics.invalid-local-time',
    );
  });

  it('uses the TZID the VTIMEZONE declares when the zone is an alias (UTC → Etc/UTC)', () => {
    const utc = {
      ...f.nozomiEn,
      departure: { ...f.nozomiEn.departure, timeZone: 'UTC' },
      arrival: { ...f.nozomiEn.arrival, timeZone: 'UTC' },
    };
    const ics = renderItineraryIcs(f.trainTrip, [utc], f.icsOptions('PUBLISH', 'en'));
    const parsed = parseIcs(ics);
    assert.deepEqual(parsed.tzids, ['Etc/UTC']);
    assert.equal(parsed.events[0].start, '2026-06-15T09:00:00.000Z');
  });

  it('a check-out on the check-in day still gives DTEND after DTSTART', () => {
    const dayUse = { ...f.nycHotel, checkOut: { date: '2026-06-02', time: '18:00' } };
    const parsed = parseIcs(renderItineraryIcs(f.hotelTrip, [dayUse], f.icsOptions('PUBLISH', 'en')));
    assert.equal(parsed.events[0].start, '2026-06-02');
    assert.equal(parsed.events[0].end, '2026-06-03');
  });

  it('folds long Japanese and emoji text at 75 octets without splitting a character', () => {
    const hotel = {
      ...f.osakaHotel,
      property: 'ホテル'.repeat(40) + '🏨'.repeat(30) + 'é'.repeat(50),
      address: 'a,b;c\\d\ne\r\nf',
    };
    const ics = renderItineraryIcs(f.japaneseTrip, [hotel], f.icsOptions('PUBLISH', 'ja'));
    const parsed = parseIcs(ics); // checks every physical line is ≤ 75 octets and well formed
    const text = describeSegment(hotel, 'ja');
    assert.equal(parsed.events[0].summary, text.summary);
    assert.equal(parsed.events[0].description, text.description.replace(/\r\n?/g, '\n'), 'CRLF becomes \\n');
    assert.ok(ics.includes('a\\,b\\;c\\\\d\\ne\\nf'), 'TEXT escaping of , ; \\ and newlines');
  });
});

describe('itineraryCalendars', () => {
  const calendarOptions = { locale: 'en' as const, organizer: f.ORGANIZER, attendee: f.ATTENDEE_EN, dtstamp: f.DTSTAMP };

  it('a change that alters one segment and cancels another yields a REQUEST and a CANCEL, one event each', () => {
    const trip: Trip = {
      ...f.flightTrip,
      version: 2,
      segments: [{ ...f.hndLax, sequence: 1, seat: '8A' }, f.laxJfkCancelled],
    };
    const objects = itineraryCalendars(
      { trip, changedSegmentIds: [f.hndLax.id], cancelledSegmentIds: [f.laxJfk.id] },
      calendarOptions,
    );
    assert.deepEqual(
      objects.map((o) => [o.method, o.filename]),
      [
        ['REQUEST', 'itinerary-OBT-1001-S1.ics'],
        ['CANCEL', 'cancellation-OBT-1001-S2.ics'],
      ],
    );
    const request = parseIcs(objects[0].content);
    assert.equal(request.method, 'REQUEST');
    assert.deepEqual(request.events.map((e) => e.uid), [segmentUid(f.hndLax)]);
    const cancel = parseIcs(objects[1].content);
    assert.equal(cancel.method, 'CANCEL');
    assert.deepEqual(cancel.events.map((e) => [e.uid, e.status]), [[segmentUid(f.laxJfk), 'CANCELLED']]);
  });

  it('a new trip yields one REQUEST per segment, each with that one UID, in the trip order', () => {
    const objects = itineraryCalendars(
      { trip: f.japaneseTrip, changedSegmentIds: [...f.japaneseTrip.segments.map((s) => s.id)].reverse(), cancelledSegmentIds: [] },
      { ...calendarOptions, locale: 'ja', attendee: f.ATTENDEE_JA },
    );
    assert.deepEqual(objects.map((o) => o.method), ['REQUEST', 'REQUEST', 'REQUEST']);
    assert.deepEqual(
      objects.map((o) => parseIcs(o.content).events.map((e) => e.uid)),
      f.japaneseTrip.segments.map((s) => [segmentUid(s)]),
    );
    assert.deepEqual(objects.map((o) => o.filename), ['itinerary-OBT-2001-R1.ics', 'itinerary-OBT-2001-H1.ics', 'itinerary-OBT-2001-F1.ics']);
  });

  it('a cancelled trip yields one CANCEL per segment and no REQUEST', () => {
    const trip: Trip = {
      ...f.flightTrip,
      status: 'cancelled',
      segments: f.flightTrip.segments.map((s) => ({ ...s, status: 'cancelled' as const, sequence: s.sequence + 1 })),
    };
    const objects = itineraryCalendars(
      { trip, changedSegmentIds: [], cancelledSegmentIds: trip.segments.map((s) => s.id) },
      calendarOptions,
    );
    assert.deepEqual(objects.map((o) => o.method), ['CANCEL', 'CANCEL']);
    assert.deepEqual(
      objects.map((o) => parseIcs(o.content).events.map((e) => [e.uid, e.status, e.sequence])),
      trip.segments.map((s) => [[segmentUid(s), 'CANCELLED', 1]]),
    );
  });

  it('says which segment is missing when a cancelled one is not in the snapshot', () => {
    assert.throws(
      () =>
        itineraryCalendars(
          { trip: f.flightTrip, changedSegmentIds: [], cancelledSegmentIds: ['no-such-segment'] },
          calendarOptions,
        ),
      (e: unknown) => e instanceof IcsError && e.code === 'ics.unknown-segment' && /no-such-segment/.test(e.message),
    );
  });

  it('makes the booking and segment references safe for a file name', () => {
    const [object] = itineraryCalendars(
      { trip: { ...f.hotelTrip, bookingRef: 'AB/12 3:x', segments: [{ ...f.nycHotel, ref: 'H 1/a' }] }, changedSegmentIds: [f.nycHotel.id], cancelledSegmentIds: [] },
      calendarOptions,
    );
    assert.equal(object.filename, 'itinerary-AB-12-3-x-H-1-a.ics');
  });
});

describe('reminders and cancelled bookings', () => {
  it('a VALARM as the calendar events have it: 3 h before a flight, 1 h before a train or a car, none for a stay', () => {
    const ics = renderItineraryIcs(f.japaneseTrip, f.japaneseTrip.segments, f.icsOptions('REQUEST', 'ja'));
    const triggers = parseIcs(ics).events.map((e) => e.component.getAllSubcomponents('valarm').map((a) => [String(a.getFirstPropertyValue('action')), String(a.getFirstPropertyValue('trigger'))]));
    assert.deepEqual(triggers, [[['DISPLAY', '-PT1H']], [], [['DISPLAY', '-PT3H']]]);
    const car = parseIcs(renderItineraryIcs(f.carTrip, f.carTrip.segments, f.icsOptions('PUBLISH', 'en')));
    assert.equal(String(car.events[0].component.getFirstSubcomponent('valarm')?.getFirstPropertyValue('trigger')), '-PT1H');
  });

  it('no VALARM for a segment that has started when the object is made', () => {
    const options = { ...f.icsOptions('REQUEST', 'en'), dtstamp: new Date('2026-06-01T20:00:00Z') };
    const parsed = parseIcs(renderItineraryIcs(f.flightTrip, f.flightTrip.segments, options));
    assert.deepEqual(parsed.events.map((e) => e.component.getAllSubcomponents('valarm').length), [0, 1], 'HND–LAX left at 13:55Z; LAX–JFK leaves at 04:30Z the next day');
  });

  it("a cancelled trip's download is a calendar of its segments, each cancelled, free and without reminder", () => {
    const cancelled: Trip = { ...f.cancelledFlightTrip, status: 'cancelled', segments: f.cancelledFlightTrip.segments.map((s) => ({ ...s, status: 'cancelled' as const })) };
    const object = itineraryDownload(cancelled, { locale: 'en', organizer: f.ORGANIZER, dtstamp: f.DTSTAMP });
    golden('download-cancelled.ics', object.content);
    const parsed = parseIcs(object.content);
    assert.equal(parsed.method, 'PUBLISH');
    assert.deepEqual(parsed.events.map((e) => [e.uid, e.status, e.transp, e.busyStatus]), cancelled.segments.map((s) => [segmentUid(s), 'CANCELLED', 'TRANSPARENT', 'FREE']));
    assert.equal(parsed.events[0].summary, 'Canceled: NH 6 Tokyo (HND) → Los Angeles (LAX)');
    assert.ok(!object.content.includes('BEGIN:VALARM'));
  });

  it('a cancellation the company keeps in calendars: a REQUEST titled キャンセル, free, without STATUS (RFC 5546 §3.2.2) or reminder', () => {
    const options = { ...f.icsOptions('REQUEST', 'ja'), keepCancelled: true };
    const ics = renderItineraryIcs(f.cancelledFlightTrip, [f.laxJfkCancelled], options);
    golden('cancellation-kept-ja.ics', ics);
    const [event] = parseIcs(ics).events;
    assert.equal(event.summary, 'キャンセル: NH 7518 ロサンゼルス(LAX) → ニューヨーク(JFK)');
    assert.equal(event.component.getFirstPropertyValue('status'), null);
    assert.deepEqual([event.transp, event.busyStatus, event.sequence], ['TRANSPARENT', 'FREE', 2]);
    assert.match(String(event.component.getFirstPropertyValue('description')), /^この予約はキャンセルされました。\n\n便: NH 7518/);
    assert.ok(!ics.includes('BEGIN:VALARM'));
  });
});

describe('every golden file, read by independent engines', { skip: independentReadersMissing }, () => {
  it("passes libical's RFC 5546 restriction check, and python-icalendar and vobject read the instants ical.js reads", () => {
    const files = readdirSync(GOLDEN).filter((name) => name.endsWith('.ics')).sort();
    assert.ok(files.length >= 10, files.join());
    const texts = files.map((name) => readFileSync(new URL(name, GOLDEN), 'utf8'));
    const readings = readIndependently(texts);
    for (const [i, name] of files.entries()) {
      const ours = parseIcs(texts[i]).events.map((e) => [e.uid, e.sequence, e.start.replace('.000Z', 'Z'), e.end.replace('.000Z', 'Z'), e.summary]);
      assert.ok(ours.length > 0, `${name}: at least one component (RFC 5545 §3.6)`);
      assert.deepEqual(readings[i].libical, [], name);
      for (const engine of ['icalendar', 'vobject'] as const) {
        assert.deepEqual(readings[i][engine].map((e) => [e.uid, e.sequence, e.start, e.end, e.summary]), ours, `${name}, ${engine}`);
      }
    }
  });
});
