// A traveler's CalDAV calendar end to end, against each real server the test starts (Radicale and
// Xandikos): the product's HTTP routes, booking service, sync and mail workers on a real store.
// Connect (a wrong password first where the server has passwords: Radicale; Xandikos has no
// accounts of its own and takes any), choosing one of the account's calendars, backfill, change,
// cancel, the calendar deleted at the server, reconnect, disconnect with removal; after each step
// the calendar holds exactly one object per live segment (0 duplicated, 0 lost), and itinerary
// emails go out throughout.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import ICAL from 'ical.js';
import { createCalDavProvider } from '../../src/calendars/caldav/index.ts';
import { calendarProviders } from '../../src/calendars/registry.ts';
import type { MyCalendarStatus, PasswordConnectResponse } from '../../src/http/api-types.ts';
import { buildServer } from '../../src/http/server.ts';
import { startItineraryMailWorker } from '../../src/mail/itinerary-mail-job.ts';
import { createMailTransport } from '../../src/mail/transport.ts';
import { bookings as makeBookings, type Bookings } from '../../src/store/bookings.ts';
import { findConnection } from '../../src/store/calendar-connections.ts';
import { setSyncEnabled } from '../../src/store/company-calendars.ts';
import { createOrganisation, createUser } from '../../src/store/organisations.ts';
import { secretBox } from '../../src/store/secret-box.ts';
import { hashPassword } from '../../src/store/sessions.ts';
import { startSyncWorker, syncOnBookingChange } from '../../src/sync/sync-jobs.ts';
import { flightHndLax, hotelLa, ORGANIZER, tripInput } from '../fixtures/trips.ts';
import { startRadicale, startXandikos, type CalDavServer } from '../support/caldav-servers.ts';
import { freshStore, storeKinds } from '../support/stores.ts';

const DAV_USER = 'hanako';
const DAV_PASSWORD = 'abcd-efgh-ijkl-mnop';
const OBT_PASSWORD = 'obt-password';
const auth = `Basic ${Buffer.from(`${DAV_USER}:${DAV_PASSWORD}`).toString('base64')}`;

/** The UIDs of the calendar's objects, one entry per object (a duplicate shows twice). */
async function uids(calendarUrl: string): Promise<string[]> {
  const res = await fetch(calendarUrl, {
    method: 'REPORT', headers: { authorization: auth, depth: '1', 'content-type': 'application/xml' },
    body: '<?xml version="1.0"?><c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><c:calendar-data/></d:prop><c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT"/></c:comp-filter></c:filter></c:calendar-query>',
  });
  assert.equal(res.status, 207);
  const xml = await res.text();
  return [...xml.matchAll(/BEGIN:VCALENDAR[\s\S]*?END:VCALENDAR/g)]
    .map((m) => m[0].replace(/&#13;/g, '\r').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'))
    .map((text) => String(new ICAL.Component(ICAL.parse(text)).getFirstSubcomponent('vevent')!.getFirstPropertyValue('uid')))
    .sort();
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

const SERVERS = [
  /** Radicale with one account (htpasswd): a wrong password is refused; the account holds the two calendars made here. */
  { name: 'Radicale', start: () => startRadicale({ [DAV_USER]: DAV_PASSWORD }), user: DAV_USER, refusesPasswords: true, otherCalendars: 0 },
  /** Xandikos's one principal (/user/), which also holds the calendar its --defaults make. */
  { name: 'Xandikos', start: () => startXandikos(), user: 'user', refusesPasswords: false, otherCalendars: 1 },
];

for (const server of SERVERS) describe(`CalDAV calendar sync, end to end (${server.name})`, () => {
  let dav: CalDavServer;
  let store: Awaited<ReturnType<typeof freshStore>>;
  let app: FastifyInstance;
  let bookings: Bookings;
  let stops: Array<() => Promise<void>> = [];
  let outboxDir: string;
  let orgId: string;
  let userId: string;
  let cookie: string;
  let work: string;
  let family: string;

  before(async () => {
    dav = await server.start();
    work = await dav.makeCalendar(server.user, DAV_PASSWORD, 'work', '仕事');
    family = await dav.makeCalendar(server.user, DAV_PASSWORD, 'family', '家族');
    store = await freshStore(storeKinds()[0]!);
    const org = await createOrganisation(store.db, 'CalDAV Co');
    orgId = org.id;
    userId = (await createUser(store.db, org.id, { email: 'hanako@caldav.example', displayName: '佐藤 花子', role: 'traveler', locale: 'ja', timeZone: 'Asia/Tokyo', passwordHash: await hashPassword(OBT_PASSWORD) })).id;
    await setSyncEnabled(store.db, org.id, 'caldav', true, new Date());
    const box = secretBox([Buffer.alloc(32, 3)]);
    const providers = calendarProviders(createCalDavProvider({ timeoutMs: 3000 }));
    bookings = makeBookings(store, { onChange: [syncOnBookingChange(store)] });
    app = await buildServer({ store, bookings, organizer: ORGANIZER, publicUrl: 'http://localhost', calendars: { providers, box } });
    outboxDir = await mkdtemp(path.join(os.tmpdir(), 'tripcal-caldav-outbox-'));
    const transport = createMailTransport({ outboxDir });
    stops.push(await startItineraryMailWorker({ store, transport, from: { name: 'tripcal', address: 'itinerary@tripcal.example' }, publicUrl: 'http://localhost', pollingIntervalSeconds: 0.5, lapsedCalendars: async () => [], log: () => {} }));
    stops.push(async () => transport.close());
    stops.push(await startSyncWorker({ store, deps: { db: store.db, providers, box }, pollingIntervalSeconds: 0.5, concurrency: 4 }));
    const login = await app.inject({ method: 'POST', url: '/api/session', payload: { email: 'hanako@caldav.example', password: OBT_PASSWORD } });
    cookie = String(login.headers['set-cookie']).split(';')[0]!;
  });
  after(async () => {
    for (const stop of stops.reverse()) await stop();
    await app?.close();
    await store?.dispose();
    await dav?.stop();
    if (outboxDir) await rm(outboxDir, { recursive: true, force: true });
  });

  const connect = (body: Record<string, string>) => app.inject({ method: 'POST', url: '/api/me/calendars/caldav/connect-password', headers: { cookie }, payload: body });
  const status = async () => (await app.inject({ method: 'GET', url: '/api/me/calendars/caldav', headers: { cookie } })).json() as MyCalendarStatus;
  const segmentUids = async () => (await store.db.selectFrom('segments').innerJoin('trips', 'trips.id', 'segments.trip_id').select('segments.id').where('trips.traveler_id', '=', userId).where('segments.status', '=', 'confirmed').where('trips.status', '=', 'active').execute()).map((r) => `${r.id}@tripcal`).sort();
  const exact = async (url: string) => {
    const want = await segmentUids();
    await until(`the calendar holds exactly ${want.length} events`, async () => JSON.stringify(await uids(url)) === JSON.stringify(want));
  };
  const emails = async () => (await readdir(outboxDir)).filter((f) => f.endsWith('.eml')).length;

  test('a bad server address is refused naming the field, in the traveler’s language, and nothing is stored', async () => {
    const badUrl = await connect({ serverUrl: 'caldav.example', username: server.user, password: DAV_PASSWORD });
    assert.equal(badUrl.statusCode, 400);
    assert.equal(badUrl.json().field, 'serverUrl');
    assert.match(badUrl.json().message, /https:\/\//);
    assert.equal((await status()).status, 'not_connected');
  });

  if (server.refusesPasswords) {
    test('a wrong password is refused naming the field, in the traveler’s language, and nothing is stored', async () => {
      const wrong = await connect({ serverUrl: dav.url, username: server.user, password: 'not-the-password' });
      assert.equal(wrong.statusCode, 400);
      assert.equal(wrong.json().field, 'password');
      assert.match(wrong.json().message, /アプリ用パスワード/);
      assert.ok(!wrong.body.includes('not-the-password'));
      assert.equal((await status()).status, 'not_connected');
    });
  }

  test('connect: the account’s two calendars to choose from, then the chosen one is backfilled', async () => {
    await bookings.create(orgId, tripInput('hanako@caldav.example', { bookingRef: 'DAV-1' }));
    await bookings.create(orgId, tripInput('hanako@caldav.example', { bookingRef: 'DAV-2', title: 'Past', segments: [{ ...hotelLa, ref: 'P', checkIn: { date: '2025-03-01' }, checkOut: { date: '2025-03-03' } }] }));
    const choose = await connect({ serverUrl: dav.url, username: server.user, password: DAV_PASSWORD });
    assert.equal(choose.statusCode, 200, choose.body);
    const offered = choose.json() as PasswordConnectResponse;
    assert.equal(offered.result, 'choose_calendar');
    const names = offered.result === 'choose_calendar' ? offered.calendars.map((c) => c.name) : [];
    assert.equal(names.length, 2 + server.otherCalendars, names.join(', '));
    assert.deepEqual(names.filter((n) => n === '仕事' || n === '家族').sort(), ['仕事', '家族']);
    assert.equal((await status()).status, 'not_connected', 'nothing stored before the choice');
    const done = await connect({ serverUrl: dav.url, username: server.user, password: DAV_PASSWORD, calendarId: work });
    assert.equal(done.statusCode, 200, done.body);
    assert.equal((done.json() as PasswordConnectResponse).result, 'connected');
    assert.equal((await status()).status, 'connected');
    const row = await store.db.selectFrom('calendar_connections').select('credential').where('user_id', '=', userId).executeTakeFirstOrThrow();
    assert.ok(row.credential && !row.credential.includes(DAV_PASSWORD), 'the password is sealed');
    await exact(work);
    assert.equal((await uids(work)).length, 3, 'past, current and upcoming: 3 segments');
    assert.deepEqual(await uids(family), [], 'the other calendar is left alone');
  });

  test('a change updates its event, a cancellation removes it; never a second copy', async () => {
    await bookings.change(orgId, 'DAV-1', { ...tripInput('hanako@caldav.example', { bookingRef: 'DAV-1' }), segments: [{ ...flightHndLax, seat: '1A' }, hotelLa] });
    await until('the seat change reaches the calendar', async () => {
      const res = await fetch(work, { method: 'REPORT', headers: { authorization: auth, depth: '1', 'content-type': 'application/xml' }, body: '<?xml version="1.0"?><c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><c:calendar-data/></d:prop><c:filter><c:comp-filter name="VCALENDAR"/></c:filter></c:calendar-query>' });
      return (await res.text()).includes('1A');
    });
    await exact(work);
    await bookings.cancel(orgId, 'DAV-1', 'H1');
    await exact(work);
    assert.equal((await uids(work)).length, 2);
  });

  test('the calendar deleted at the server: the connection lapses, emails go on; reconnecting to another calendar backfills it', async () => {
    const before = await emails();
    assert.ok([200, 204].includes(await dav.remove(work, server.user, DAV_PASSWORD)));
    await bookings.create(orgId, tripInput('hanako@caldav.example', { bookingRef: 'DAV-3', title: 'After' }));
    await until('the connection lapses', async () => (await findConnection(store.db, userId, 'caldav'))?.status === 'lapsed');
    const lapsed = await status();
    assert.equal(lapsed.reason, 'caldav_calendar_gone');
    assert.equal(lapsed.showConnectPrompt, true);
    await until('the booking’s itinerary email is sent', async () => (await emails()) > before);
    const again = await connect({ serverUrl: dav.url, username: server.user, password: DAV_PASSWORD, calendarId: family });
    assert.equal(again.statusCode, 200, again.body);
    await exact(family);
    assert.equal((await uids(family)).length, 4);
  });

  test('disconnect with removal empties the calendar of our events', async () => {
    const res = await app.inject({ method: 'DELETE', url: '/api/me/calendars/caldav?removeEvents=true', headers: { cookie } });
    assert.equal(res.statusCode, 200);
    assert.equal((res.json() as MyCalendarStatus).status, 'disconnected');
    await until('the removal job has emptied the calendar', async () => (await uids(family)).length === 0);
  });
});
