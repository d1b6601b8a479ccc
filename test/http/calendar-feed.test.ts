// The traveler's private feed, as a calendar app meets it: the URL from Connected apps serves the
// trips as one calendar (read back by ical.js), answers 304 to a conditional request until a booking
// changes, keeps UIDs and bumps SEQUENCE, and answers 404 once replaced or turned off. The token is
// never logged. On PGlite, and on PostgreSQL with TEST_DATABASE_URL.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import ICAL from 'ical.js';
import type { CalendarFeedStatus } from '../../src/http/api-types.ts';
import { buildServer } from '../../src/http/server.ts';
import { calendarProviders } from '../../src/calendars/registry.ts';
import { bookings as makeBookings, type Bookings } from '../../src/store/bookings.ts';
import { createOrganisation, createUser, setUserLocale } from '../../src/store/organisations.ts';
import { secretBox } from '../../src/store/secret-box.ts';
import { hashPassword } from '../../src/store/sessions.ts';
import { flightHndLax, hotelLa, ORGANIZER, tripInput } from '../fixtures/trips.ts';
import { parseIcs } from '../ics/ics-checks.ts';
import { freshStore, storeKinds } from '../support/stores.ts';

const PASSWORD = 'feed-test-password';
const PUBLIC_URL = 'https://travel.example.com';

for (const kind of storeKinds()) {
  describe(`calendar feed (${kind.name})`, () => {
    let store: Awaited<ReturnType<typeof freshStore>>;
    let app: FastifyInstance;
    let bookings: Bookings;
    let orgId: string;
    let userId: string;
    let cookie: string;
    let logged = '';
    // Two weeks before the trip: the feed's window of past segments is counted from here.
    let clock = new Date('2026-11-17T03:00:00Z');
    const now = () => clock;

    before(async () => {
      store = await freshStore(kind);
      const org = await createOrganisation(store.db, 'Feed Test Co');
      orgId = org.id;
      const user = await createUser(store.db, org.id, { email: 'emily@feed.example', displayName: 'Emily Clark', role: 'traveler', locale: 'en', timeZone: 'Asia/Tokyo', passwordHash: await hashPassword(PASSWORD) });
      userId = user.id;
      bookings = makeBookings(store, { now });
      const logStream = new PassThrough();
      logStream.on('data', (d) => (logged += d));
      app = await buildServer({
        store, bookings, organizer: ORGANIZER, publicUrl: PUBLIC_URL, now, logger: true, logStream,
        calendars: { providers: calendarProviders(), box: secretBox([Buffer.alloc(32, 7)]) },
      });
      const login = await app.inject({ method: 'POST', url: '/api/session', payload: { email: 'emily@feed.example', password: PASSWORD } });
      assert.equal(login.statusCode, 200);
      cookie = String(login.headers['set-cookie']).split(';')[0]!;
    });
    after(async () => {
      await app?.close();
      await store?.dispose();
    });

    const feedPath = (status: CalendarFeedStatus) => new URL(status.httpsUrl!).pathname;
    const me = (method: 'GET' | 'POST' | 'DELETE') => app.inject({ method, url: '/api/me/calendar-feed', headers: { cookie } }).then((r) => {
      assert.equal(r.statusCode, 200, r.body);
      return r.json() as CalendarFeedStatus;
    });

    let feed: CalendarFeedStatus;
    let etag: string;

    test('off until the traveler turns it on; then an https and a webcal URL holding a long token', async () => {
      assert.equal((await me('GET')).enabled, false);
      const anonymous = await app.inject({ method: 'GET', url: '/api/me/calendar-feed' });
      assert.equal(anonymous.statusCode, 401);
      feed = await me('POST');
      assert.equal(feed.enabled, true);
      assert.match(feed.httpsUrl!, /^https:\/\/travel\.example\.com\/calendar-feed\/[A-Za-z0-9_-]{43}\.ics$/);
      assert.equal(feed.webcalUrl, feed.httpsUrl!.replace('https://', 'webcal://'));
      assert.deepEqual(await me('GET'), feed, 'the same URL is shown again');
    });

    test('the feed serves every live segment, with VTIMEZONEs, stable UIDs, SEQUENCE and refresh hints', async () => {
      await bookings.create(orgId, tripInput('emily@feed.example', { bookingRef: 'FEED-1' }));
      // A trip that ended 120 days ago is left out; one that ended 10 days ago stays.
      await bookings.create(orgId, tripInput('emily@feed.example', {
        bookingRef: 'FEED-OLD', title: 'Old', segments: [{ ...hotelLa, ref: 'OLD', checkIn: { date: '2026-07-10' }, checkOut: { date: '2026-07-12' } }],
      }));
      await bookings.create(orgId, tripInput('emily@feed.example', {
        bookingRef: 'FEED-RECENT', title: 'Recent', segments: [{ ...hotelLa, ref: 'RECENT', checkIn: { date: '2026-11-05' }, checkOut: { date: '2026-11-07' } }],
      }));
      const res = await app.inject({ method: 'GET', url: feedPath(feed) });
      assert.equal(res.statusCode, 200);
      assert.match(String(res.headers['content-type']), /^text\/calendar; charset=utf-8/);
      assert.equal(res.headers['referrer-policy'], 'no-referrer');
      etag = String(res.headers.etag);
      assert.match(etag, /^"[A-Za-z0-9_-]+"$/);

      const parsed = parseIcs(res.body);
      assert.equal(parsed.method, 'PUBLISH');
      assert.deepEqual([...parsed.tzids].sort(), ['America/Los_Angeles', 'Asia/Tokyo']);
      const summaries = parsed.events.map((e) => e.summary);
      assert.equal(parsed.events.length, 3, summaries.join(' | '));
      const starts = parsed.events.map((e) => e.start);
      assert.ok(!starts.includes('2026-07-10'), 'a stay ended 120 days ago is not in the feed');
      assert.ok(starts.includes('2026-11-05'), 'a stay ended 10 days ago is');
      const flight = parsed.events.find((e) => e.startTzid === 'Asia/Tokyo')!;
      assert.equal(flight.start, '2026-12-01T08:05:00.000Z');
      assert.equal(flight.end, '2026-12-01T18:50:00.000Z');
      assert.equal(flight.sequence, 0);
      assert.match(flight.uid, /^[0-9a-f-]{36}@tripcal$/);
      assert.equal(flight.busyStatus, 'TENTATIVE');

      const calendar = new ICAL.Component(ICAL.parse(res.body));
      assert.equal(calendar.getFirstPropertyValue('x-wr-calname'), 'Trips (tripcal)');
      assert.equal(String(calendar.getFirstPropertyValue('x-published-ttl')), 'PT1H');
      assert.match(res.body, /\r\nREFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n/);

      // The same feed again is byte for byte the same.
      const again = await app.inject({ method: 'GET', url: feedPath(feed) });
      assert.equal(again.body, res.body);
      assert.equal(again.headers.etag, etag);
    });

    test('If-None-Match with the current ETag: 304 and no body, until a booking changes', async () => {
      const notModified = await app.inject({ method: 'GET', url: feedPath(feed), headers: { 'if-none-match': etag } });
      assert.equal(notModified.statusCode, 304);
      assert.equal(notModified.body, '');
      assert.equal(notModified.headers.etag, etag);
      const listed = await app.inject({ method: 'GET', url: feedPath(feed), headers: { 'if-none-match': `"other", W/${etag}` } });
      assert.equal(listed.statusCode, 304, 'a weak or listed ETag matches too');

      const before = parseIcs((await app.inject({ method: 'GET', url: feedPath(feed) })).body);
      const flightBefore = before.events.find((e) => e.startTzid === 'Asia/Tokyo')!;
      clock = new Date(clock.getTime() + 60_000);
      await bookings.change(orgId, 'FEED-1', { ...tripInput('emily@feed.example', { bookingRef: 'FEED-1' }), segments: [{ ...flightHndLax, seat: '1A' }, hotelLa] });
      const changed = await app.inject({ method: 'GET', url: feedPath(feed), headers: { 'if-none-match': etag } });
      assert.equal(changed.statusCode, 200, 'a booking change makes the old ETag stale');
      assert.notEqual(changed.headers.etag, etag);
      const flightAfter = parseIcs(changed.body).events.find((e) => e.startTzid === 'Asia/Tokyo')!;
      assert.equal(flightAfter.uid, flightBefore.uid, 'the same event');
      assert.equal(flightAfter.sequence, flightBefore.sequence + 1);
      assert.match(flightAfter.description, /1A/);
      etag = String(changed.headers.etag);

      // A cancelled segment leaves the feed (the client removes the event).
      await bookings.cancel(orgId, 'FEED-RECENT');
      const cancelled = await app.inject({ method: 'GET', url: feedPath(feed), headers: { 'if-none-match': etag } });
      assert.equal(cancelled.statusCode, 200);
      assert.equal(parseIcs(cancelled.body).events.length, 2);
      etag = String(cancelled.headers.etag);

      // The traveler's language is the feed's language.
      await setUserLocale(store.db, userId, 'ja');
      const ja = await app.inject({ method: 'GET', url: feedPath(feed), headers: { 'if-none-match': etag } });
      assert.equal(ja.statusCode, 200);
      assert.equal(new ICAL.Component(ICAL.parse(ja.body)).getFirstPropertyValue('x-wr-calname'), '出張（tripcal）');
      await setUserLocale(store.db, userId, 'en');
    });

    test('a replaced URL answers 404 at once, and so does every URL once the feed is off', async () => {
      const old = feed;
      feed = await me('POST');
      assert.notEqual(feed.httpsUrl, old.httpsUrl);
      const gone = await app.inject({ method: 'GET', url: feedPath(old), headers: { 'accept-language': 'ja' } });
      assert.equal(gone.statusCode, 404);
      assert.equal(gone.body, 'このカレンダーフィードは存在しないか、オフになっています。');
      assert.equal((await app.inject({ method: 'GET', url: feedPath(feed) })).statusCode, 200);
      assert.equal((await me('DELETE')).enabled, false);
      assert.equal((await app.inject({ method: 'GET', url: feedPath(feed) })).statusCode, 404);
      assert.equal((await app.inject({ method: 'GET', url: '/calendar-feed/not-a-token.ics' })).statusCode, 404);
    });

    test('no feed token in the server log', () => {
      assert.match(logged, /\/calendar-feed\/\[redacted\]/);
      assert.ok(!/calendar-feed\/[A-Za-z0-9_-]{43}/.test(logged), 'a token was logged');
    });
  });
}
