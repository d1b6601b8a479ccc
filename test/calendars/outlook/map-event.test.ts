import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { validateEventBody } from '../../../sandbox/graph/validate-event.ts';
import { graphTimeZone, hasEnded, mapCreate, mapEvent, mapUpdate, odataString, ourEventsUrl } from '../../../src/calendars/outlook/map-event.ts';
import { CONTENT_HASH_PROPERTY_ID, SEGMENT_KEY_PROPERTY_ID } from '../../../src/calendars/outlook/constants.ts';
import type { DesiredEvent } from '../../../src/domain/project-segment.ts';

const flight: DesiredEvent = {
  key: 'seg-nh6',
  subject: 'NH 6 東京(HND) → ロサンゼルス(LAX)',
  body: 'NH 6\n\n予約番号: BK-2026-0042',
  location: '羽田空港 (HND)',
  start: { dateTime: '2026-12-01T22:55:00', timeZone: 'Asia/Tokyo' },
  end: { dateTime: '2026-12-01T16:50:00', timeZone: 'America/Los_Angeles' },
  isAllDay: false,
  showAs: 'tentative',
  categories: ['出張'],
  reminderMinutesBeforeStart: 180,
};

const hotel: DesiredEvent = {
  ...flight,
  key: 'seg-hotel',
  subject: 'Hotel <Sunset> & Spa',
  start: { dateTime: '2026-12-01T00:00:00', timeZone: 'America/Los_Angeles' },
  end: { dateTime: '2026-12-04T00:00:00', timeZone: 'America/Los_Angeles' },
  isAllDay: true,
  reminderMinutesBeforeStart: null,
};

describe('map-event: DesiredEvent → Graph event JSON', () => {
  test('a flight: tentative, text body, category, reminder, location, each end in its own zone (Windows names)', () => {
    assert.deepEqual(mapEvent(flight), {
      subject: flight.subject,
      body: { contentType: 'text', content: flight.body },
      start: { dateTime: '2026-12-01T22:55:00', timeZone: 'Tokyo Standard Time' },
      end: { dateTime: '2026-12-01T16:50:00', timeZone: 'Pacific Standard Time' },
      isAllDay: false,
      showAs: 'tentative',
      categories: ['出張'],
      isReminderOn: true,
      reminderMinutesBeforeStart: 180,
      location: { displayName: '羽田空港 (HND)' },
    });
  });

  test('a hotel stay: all day, no reminder', () => {
    const body = mapEvent(hotel);
    assert.equal(body.isAllDay, true);
    assert.equal(body.isReminderOn, false);
    assert.equal('reminderMinutesBeforeStart' in body, false);
  });

  test('create carries the transactionId and our key in a single-value extended property; update carries neither', () => {
    const create = mapCreate(flight, flight.key, 'txn-1');
    assert.equal(create.transactionId, 'txn-1');
    assert.deepEqual(create.singleValueExtendedProperties, [{ id: SEGMENT_KEY_PROPERTY_ID, value: 'seg-nh6' }]);
    assert.match(SEGMENT_KEY_PROPERTY_ID, /^String \{[0-9a-f-]{36}\} Name tripcalSegmentKey$/);
    const update = mapEvent(flight);
    assert.equal('transactionId' in update, false);
    assert.equal('singleValueExtendedProperties' in update, false);
  });

  test('a booking change PATCHes only what the booking owns, with the content hash; a past event loses its reminder', () => {
    const before = Date.parse('2026-11-01T00:00:00Z');
    const update = mapUpdate(flight, 'h1', before);
    assert.deepEqual(Object.keys(update).sort(), ['body', 'end', 'isAllDay', 'location', 'showAs', 'singleValueExtendedProperties', 'start', 'subject']);
    assert.deepEqual(update.singleValueExtendedProperties, [{ id: CONTENT_HASH_PROPERTY_ID, value: 'h1' }]);
    // The flight lands 2026-12-01 16:50 in Los Angeles (2026-12-02 00:50 UTC).
    assert.equal(hasEnded(flight, Date.parse('2026-12-02T00:49:00Z')), false);
    assert.equal(hasEnded(flight, Date.parse('2026-12-02T00:51:00Z')), true);
    const after = Date.parse('2027-01-01T00:00:00Z');
    assert.equal(mapUpdate(flight, 'h1', after).isReminderOn, false);
    assert.equal('categories' in mapUpdate(flight, 'h1', after), false);
    const pastCreate = mapCreate(flight, flight.key, 'txn', 'h1', after);
    assert.equal(pastCreate.isReminderOn, false);
    assert.equal('reminderMinutesBeforeStart' in pastCreate, false);
    assert.deepEqual(mapCreate(flight, flight.key, 'txn', 'h1', before).singleValueExtendedProperties, [{ id: SEGMENT_KEY_PROPERTY_ID, value: 'seg-nh6' }, { id: CONTENT_HASH_PROPERTY_ID, value: 'h1' }]);
    const valid = validateEventBody(JSON.parse(JSON.stringify(mapUpdate(flight, 'h1', after))), 'update');
    assert.ok(valid.ok, JSON.stringify(!valid.ok && valid.error));
  });

  test('the bodies pass strict validation against Graph v1.0 CSDL (the sandbox validator)', () => {
    for (const e of [flight, hotel]) {
      const created = validateEventBody(JSON.parse(JSON.stringify(mapCreate(e, e.key, 'txn'))), 'create');
      assert.ok(created.ok, JSON.stringify(!created.ok && created.error));
      const patched = validateEventBody(JSON.parse(JSON.stringify(mapEvent(e))), 'update');
      assert.ok(patched.ok, JSON.stringify(!patched.ok && patched.error));
    }
  });

  test('IANA zones become Windows names through CLDR; an alias CLDR lacks stays IANA', () => {
    assert.equal(graphTimeZone('Asia/Tokyo'), 'Tokyo Standard Time');
    assert.equal(graphTimeZone('Asia/Kolkata'), 'India Standard Time');
    assert.equal(graphTimeZone('Europe/London'), 'GMT Standard Time');
    assert.equal(graphTimeZone('UTC'), 'UTC');
    assert.ok(['FLE Standard Time', 'Europe/Kyiv'].includes(graphTimeZone('Europe/Kyiv')));
  });

  test('a subject over 255 characters is shortened (Exchange refuses longer ones)', () => {
    const long = mapEvent({ ...flight, subject: 'あ'.repeat(400) });
    assert.equal([...long.subject].length, 255);
    assert.ok(long.subject.endsWith('…'));
  });

  test('OData strings are quoted; the listing filters on our key property and expands the key and the hash', () => {
    assert.equal(odataString("it's"), "'it''s'");
    const url = new URL(ourEventsUrl('AQMk/cal='), 'https://x.invalid');
    assert.equal(url.pathname, '/me/calendars/AQMk%2Fcal%3D/events');
    assert.equal(url.searchParams.get('$filter'), `singleValueExtendedProperties/Any(ep: ep/id eq '${SEGMENT_KEY_PROPERTY_ID}' and ep/value ne null)`);
    assert.equal(url.searchParams.get('$expand'), `singleValueExtendedProperties($filter=id eq '${SEGMENT_KEY_PROPERTY_ID}' or id eq '${CONTENT_HASH_PROPERTY_ID}')`);
    assert.equal(url.searchParams.get('$select'), 'id');
    assert.equal(new URL(ourEventsUrl('default'), 'https://x.invalid').pathname, '/me/calendar/events');
  });
});
