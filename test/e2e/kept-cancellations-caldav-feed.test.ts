// The company setting for cancelled bookings in a CalDAV calendar (a Radicale server the test
// starts) and in the private calendar feed: removed by default; kept as 「キャンセル: …」, free
// (TRANSP:TRANSPARENT), with no alarm and no STATUS that would hide it, once the company admin turns
// the setting on; one object per segment throughout; removed again when turned off.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import ICAL from 'ical.js';
import { createCalDavProvider } from '../../src/calendars/caldav/index.ts';
import { calendarProviders } from '../../src/calendars/registry.ts';
import type { CalendarFeedStatus } from '../../src/http/api-types.ts';
import { buildServer } from '../../src/http/server.ts';
import { bookings as makeBookings, type Bookings } from '../../src/store/bookings.ts';
import { setSyncEnabled } from '../../src/store/company-calendars.ts';
import { createOrganisation, createUser } from '../../src/store/organisations.ts';
import { secretBox } from '../../src/store/secret-box.ts';
import { hashPassword } from '../../src/store/sessions.ts';
import { startSyncWorker, syncOnBookingChange } from '../../src/sync/sync-jobs.ts';
import { flightHndLax, hotelLa, ORGANIZER, tripInput } from '../fixtures/trips.ts';
import { startRadicale, type CalDavServer } from '../support/caldav-servers.ts';
import { freshStore, storeKinds } from '../support/stores.ts';

const DAV_USER = 'hanako';
const DAV_PASSWORD = 'abcd-efgh-ijkl-mnop';
const OBT_PASSWORD = 'obt-password';
const auth = `Basic ${Buffer.from(`${DAV_USER}:${DAV_PASSWORD}`).toString('base64')}`;

interface Seen {
  uid: string;
  summary: string;
  description: string;
  status: string | null;
  transp: string;
  busy: string;
  alarms: number;
}

function eventsOf(texts: string[]): Seen[] {
  return texts.flatMap((text) => new ICAL.Component(ICAL.parse(text)).getAllSubcomponents('vevent')).map((e) => ({
    uid: String(e.getFirstPropertyValue('uid')),
    summary: String(e.getFirstPropertyValue('summary')),
    description: String(e.getFirstPropertyValue('description')),
    status: (e.getFirstPropertyValue('status') as string | null) ?? null,
    transp: String(e.getFirstPropertyValue('transp')),
    busy: String(e.getFirstPropertyValue('x-microsoft-cdo-busystatus')),
    alarms: e.getAllSubcomponents('valarm').length,
  })).sort((a, b) => (a.uid < b.uid ? -1 : 1));
}

/** Every object of the CalDAV calendar (a duplicate shows twice). */
async function calendarEvents(calendarUrl: string): Promise<Seen[]> {
  const res = await fetch(calendarUrl, {
    method: 'REPORT', headers: { authorization: auth, depth: '1', 'content-type': 'application/xml' },
    body: '<?xml version="1.0"?><c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><c:calendar-data/></d:prop><c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT"/></c:comp-filter></c:filter></c:calendar-query>',
  });
  assert.equal(res.status, 207);
  const xml = await res.text();
  return eventsOf([...xml.matchAll(/BEGIN:VCALENDAR[\s\S]*?END:VCALENDAR/g)].map((m) => m[0].replace(/&#13;/g, '\r').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&')));
}

async function until<T>(what: string, read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what} (last: ${JSON.stringify(value)})`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

describe('cancelled bookings in a CalDAV calendar (Radicale) and the calendar feed, as the company chooses', () => {
  let dav: CalDavServer;
  let store: Awaited<ReturnType<typeof freshStore>>;
  let app: FastifyInstance;
  let bookings: Bookings;
  const stops: Array<() => Promise<void>> = [];
  let orgId: string;
  let calendar: string;
  let traveler: string;
  let admin: string;
  let feedPath: string;

  const logIn = async (email: string) => String((await app.inject({ method: 'POST', url: '/api/session', payload: { email, password: OBT_PASSWORD } })).headers['set-cookie']).split(';')[0]!;
  const setting = (value: unknown) => app.inject({ method: 'PATCH', url: '/api/company/settings', headers: { cookie: admin }, payload: { keepCancelledEvents: value } });
  const feed = async (etag?: string) => app.inject({ method: 'GET', url: feedPath, headers: etag ? { 'if-none-match': etag } : {} });

  before(async () => {
    dav = await startRadicale({ [DAV_USER]: DAV_PASSWORD });
    calendar = await dav.makeCalendar(DAV_USER, DAV_PASSWORD, 'work', '仕事');
    store = await freshStore(storeKinds()[0]!);
    const org = await createOrganisation(store.db, 'CalDAV Co');
    orgId = org.id;
    const passwordHash = await hashPassword(OBT_PASSWORD);
    await createUser(store.db, org.id, { email: 'hanako@caldav.example', displayName: '佐藤 花子', role: 'traveler', locale: 'ja', timeZone: 'Asia/Tokyo', passwordHash });
    await createUser(store.db, org.id, { email: 'admin@caldav.example', displayName: '管理 太郎', role: 'admin', locale: 'en', timeZone: 'Asia/Tokyo', passwordHash });
    await setSyncEnabled(store.db, org.id, 'caldav', true, new Date());
    const box = secretBox([Buffer.alloc(32, 5)]);
    const providers = calendarProviders(createCalDavProvider({ timeoutMs: 3000 }));
    bookings = makeBookings(store, { onChange: [syncOnBookingChange(store)] });
    app = await buildServer({ store, bookings, organizer: ORGANIZER, publicUrl: 'https://travel.example.com', calendars: { providers, box } });
    stops.push(await startSyncWorker({ store, deps: { db: store.db, providers, box }, pollingIntervalSeconds: 0.5, concurrency: 4 }));
    traveler = await logIn('hanako@caldav.example');
    admin = await logIn('admin@caldav.example');
    const connected = await app.inject({ method: 'POST', url: '/api/me/calendars/caldav/connect-password', headers: { cookie: traveler }, payload: { serverUrl: dav.url, username: DAV_USER, password: DAV_PASSWORD } });
    assert.equal(connected.statusCode, 200, connected.body);
    const on = await app.inject({ method: 'POST', url: '/api/me/calendar-feed', headers: { cookie: traveler } });
    feedPath = new URL((on.json() as CalendarFeedStatus).httpsUrl!).pathname;
    await bookings.create(orgId, tripInput('hanako@caldav.example', { bookingRef: 'DAV-1', segments: [flightHndLax, hotelLa] }));
    await until('the backfill', () => calendarEvents(calendar), (e) => e.length === 2);
  });
  after(async () => {
    for (const stop of stops.reverse()) await stop();
    await app?.close();
    await store?.dispose();
    await dav?.stop();
  });

  test('an admin of an English company is refused a bad value in English, naming the field', async () => {
    const bad = await setting(1);
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().field, 'keepCancelledEvents');
    assert.match(bad.json().message, /choose whether cancelled bookings stay in calendars/);
  });

  test('by default a cancellation removes its object from the CalDAV calendar and its event from the feed', async () => {
    await bookings.cancel(orgId, 'DAV-1', 'F1');
    const events = await until('the flight removed', () => calendarEvents(calendar), (e) => e.length === 1);
    assert.ok(!events[0]!.summary.startsWith('キャンセル'));
    const text = (await feed()).body;
    assert.equal(eventsOf([text]).length, 1);
    assert.ok(!text.includes('キャンセル'));
  });

  test('with the setting on, the CalDAV calendar and the feed hold it as 「キャンセル: …」, free, without alarm or STATUS, once', async () => {
    const before = await feed();
    assert.equal((await setting(true)).statusCode, 200);
    const events = await until('the kept cancellation', () => calendarEvents(calendar), (e) => e.length === 2 && e.some((x) => x.summary.startsWith('キャンセル: ')));
    const kept = events.find((e) => e.summary.startsWith('キャンセル: '))!;
    assert.match(kept.summary, /^キャンセル: NH 6 /);
    assert.deepEqual([kept.status, kept.transp, kept.busy, kept.alarms], [null, 'TRANSPARENT', 'FREE', 0]);
    assert.match(kept.description, /^この予約はキャンセルされました。/);
    const live = events.find((e) => e !== kept)!;
    assert.equal(live.status, 'TENTATIVE');

    // The feed: a new ETag (the old one no longer answers 304), and the same event with the same UID.
    assert.equal((await feed(before.headers.etag as string)).statusCode, 200, 'the setting changes the feed, so its ETag');
    const inFeed = eventsOf([(await feed()).body]);
    assert.equal(inFeed.length, 2);
    const keptInFeed = inFeed.find((e) => e.uid === kept.uid)!;
    assert.deepEqual([keptInFeed.summary, keptInFeed.status, keptInFeed.transp, keptInFeed.busy, keptInFeed.alarms], [kept.summary, null, 'TRANSPARENT', 'FREE', 0]);
  });

  test('a cancellation with the setting on changes the object in place', async () => {
    const hotelUid = (await calendarEvents(calendar)).find((e) => !e.summary.startsWith('キャンセル'))!.uid;
    await bookings.cancel(orgId, 'DAV-1', 'H1');
    const events = await until('the hotel kept as cancelled', () => calendarEvents(calendar), (e) => e.filter((x) => x.summary.startsWith('キャンセル: ')).length === 2);
    assert.equal(events.length, 2);
    assert.ok(events.some((e) => e.uid === hotelUid && e.transp === 'TRANSPARENT'));
    assert.equal(eventsOf([(await feed()).body]).filter((e) => e.summary.startsWith('キャンセル: ')).length, 2);
  });

  test('turned off, the kept cancellations go from the calendar and the feed', async () => {
    assert.equal((await setting(false)).statusCode, 200);
    await until('the calendar emptied', () => calendarEvents(calendar), (e) => e.length === 0);
    assert.equal(eventsOf([(await feed()).body]).length, 0);
  });
});
