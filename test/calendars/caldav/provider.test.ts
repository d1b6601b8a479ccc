// The CalDAV provider against real servers the test starts (Radicale with passwords, Xandikos):
// connecting by discovery and choosing a calendar, idempotent creates by UID, ETag-guarded changes
// that keep the traveler's own edits, deletes, and the account's failures as the sync engine sees them.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import ICAL from 'ical.js';
import { createCalDavProvider } from '../../../src/calendars/caldav/index.ts';
import type { StoredAccount } from '../../../src/calendars/connection.ts';
import { CalendarProviderError } from '../../../src/calendars/errors.ts';
import { projectTrip, type DesiredEvent } from '../../../src/domain/project-segment.ts';
import { memoryCredentialStore } from '../../../src/store/calendar-connections.ts';
import { flightTrip, hotelTrip } from '../../fixtures/trips.ts';
import { startRadicale, startXandikos, type CalDavServer } from '../../support/caldav-servers.ts';

const USER = 'emily';
const PASSWORD = 'app-specific-password-1';
const provider = createCalDavProvider({ timeoutMs: 5000 });
const [flight, flight2] = projectTrip(flightTrip, 'en') as [DesiredEvent, DesiredEvent];
const [hotel] = projectTrip(hotelTrip, 'ja') as [DesiredEvent];

const auth = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
async function objects(calendarUrl: string): Promise<string[]> {
  const res = await fetch(calendarUrl, {
    method: 'PROPFIND', headers: { authorization: auth, depth: '1', 'content-type': 'application/xml' },
    body: '<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop><d:getetag/></d:prop></d:propfind>',
  });
  const text = await res.text();
  return [...text.matchAll(/<(?:\w+:)?href>([^<]+\.ics)<\/(?:\w+:)?href>/g)].map((m) => decodeURIComponent(m[1]!)).sort();
}
const vevent = (text: string) => new ICAL.Component(ICAL.parse(text)).getFirstSubcomponent('vevent')!;

async function rejects(run: () => Promise<unknown>, code: CalendarProviderError['code'], providerCode?: RegExp) {
  await assert.rejects(run, (error: unknown) => {
    assert.ok(error instanceof CalendarProviderError, String(error));
    assert.equal(error.code, code, error.message);
    if (providerCode) assert.match(error.providerCode ?? '', providerCode);
    assert.ok(!error.message.includes(PASSWORD), 'no password in the error');
    return true;
  });
}

describe('CalDAV provider on Radicale', () => {
  let server: CalDavServer;
  let work: string;
  let stored: StoredAccount;

  before(async () => {
    server = await startRadicale({ [USER]: PASSWORD });
    work = await server.makeCalendar(USER, PASSWORD, 'work', 'Work');
    await server.makeCalendar(USER, PASSWORD, 'family', '家族');
  });
  after(async () => {
    await server?.stop();
  });

  test('a wrong password is refused at connect, and nothing is stored', async () => {
    const credentials = memoryCredentialStore();
    await rejects(() => provider.connect.connect({ serverUrl: server.url, username: USER, password: 'wrong', credentials }), 'auth_lost');
    assert.equal(credentials.value, null);
  });

  test('discovery from the server address finds both calendars; the chosen one is connected', async () => {
    const credentials = memoryCredentialStore();
    const first = await provider.connect.connect({ serverUrl: server.url, username: USER, password: PASSWORD, credentials });
    assert.equal(first.status, 'choose_calendar');
    assert.deepEqual(first.status === 'choose_calendar' && first.calendars.map((c) => c.name).sort(), ['Work', '家族']);
    assert.equal(credentials.value, null, 'nothing stored before the choice');
    const chosen = await provider.connect.connect({ serverUrl: server.url, username: USER, password: PASSWORD, calendarId: work, credentials });
    assert.equal(chosen.status, 'connected');
    if (chosen.status !== 'connected') return;
    assert.equal(chosen.account.details.calendarUrl, work);
    assert.equal(credentials.value, PASSWORD);
    stored = { details: chosen.account.details, credentials };
  });

  test('creates are idempotent by UID: a create sent again changes the same object', async () => {
    const calendar = provider.account(stored);
    const results = await calendar.write([
      { kind: 'create', key: flight.key, event: flight, transactionId: 't1' },
      { kind: 'create', key: hotel.key, event: hotel, transactionId: 't2' },
    ]);
    assert.ok(results.every((r) => r.ok), JSON.stringify(results));
    const again = await calendar.write([{ kind: 'create', key: flight.key, event: flight, transactionId: 't1' }]);
    assert.ok(again[0]!.ok);
    assert.equal((await objects(work)).length, 2, 'two objects, not three');
    const text = await (await fetch(new URL(`${flight.key}.ics`, work), { headers: { authorization: auth } })).text();
    const event = vevent(text);
    assert.equal(event.getFirstPropertyValue('uid'), `${flight.key}@tripcal`);
    assert.equal(event.getFirstPropertyValue('status'), 'TENTATIVE');
    assert.equal(event.getFirstPropertyValue('transp'), 'OPAQUE');
    assert.equal(event.getFirstProperty('dtstart')!.getParameter('tzid'), 'Asia/Tokyo');
    const stay = vevent(await (await fetch(new URL(`${hotel.key}.ics`, work), { headers: { authorization: auth } })).text());
    assert.equal(stay.getFirstPropertyValue('transp'), 'TRANSPARENT', 'a stay shows as free');
    assert.deepEqual(await calendar.findByKeys([flight.key, hotel.key, flight2.key]), new Map([[flight.key, `${work}${flight.key}.ics`], [hotel.key, `${work}${hotel.key}.ics`]]));
  });

  test('a change keeps what the traveler added to the event, and bumps SEQUENCE', async () => {
    const url = `${work}${flight.key}.ics`;
    const read = await fetch(url, { headers: { authorization: auth } });
    const mine = new ICAL.Component(ICAL.parse(await read.text()));
    const ev = mine.getFirstSubcomponent('vevent')!;
    const sequenceBefore = Number(ev.getFirstPropertyValue('sequence'));
    ev.addPropertyWithValue('color', 'tomato');
    const alarm = new ICAL.Component('valarm');
    alarm.addPropertyWithValue('action', 'DISPLAY');
    alarm.addPropertyWithValue('trigger', ICAL.Duration.fromString('-P1D'));
    alarm.addPropertyWithValue('description', 'pack');
    ev.addSubcomponent(alarm);
    const put = await fetch(url, { method: 'PUT', headers: { authorization: auth, 'if-match': read.headers.get('etag')!, 'content-type': 'text/calendar' }, body: mine.toString() });
    assert.ok(put.ok, `the traveler's edit: ${put.status}`);

    const moved: DesiredEvent = { ...flight, subject: `${flight.subject} (moved)`, start: { ...flight.start, dateTime: '2026-06-01T23:55:00' } };
    const [result] = await provider.account(stored).write([{ kind: 'update', key: flight.key, eventId: url, event: moved }]);
    assert.ok(result!.ok, JSON.stringify(result));
    const after = vevent(await (await fetch(url, { headers: { authorization: auth } })).text());
    assert.equal(after.getFirstPropertyValue('summary'), moved.subject);
    assert.equal(String(after.getFirstPropertyValue('dtstart')), '2026-06-01T23:55:00');
    assert.equal(after.getFirstPropertyValue('sequence'), sequenceBefore + 1);
    assert.equal(after.getFirstPropertyValue('color'), 'tomato', "the traveler's colour is kept");
    const alarms = after.getAllSubcomponents('valarm').map((a) => String(a.getFirstPropertyValue('description')));
    assert.ok(alarms.includes('pack'), "the traveler's alarm is kept");
    assert.equal(alarms.length, 2, 'ours is replaced, not added again');
  });

  test('a delete removes the object; deleting it again is not_found', async () => {
    const url = `${work}${hotel.key}.ics`;
    const [gone] = await provider.account(stored).write([{ kind: 'delete', key: hotel.key, eventId: url }]);
    assert.ok(gone!.ok);
    const [again] = await provider.account(stored).write([{ kind: 'delete', key: hotel.key, eventId: url }]);
    assert.ok(!again!.ok && again!.error.code === 'not_found');
    assert.deepEqual(await objects(work), [`/${USER}/work/${flight.key}.ics`]);
  });

  test('a password changed at the server, and a deleted calendar, fail the whole account', async () => {
    const wrong = memoryCredentialStore();
    await wrong.save('no-longer-valid');
    await rejects(() => provider.account({ details: stored.details, credentials: wrong }).write([{ kind: 'create', key: flight2.key, event: flight2, transactionId: 't3' }]), 'auth_lost', /caldav_40[13]/);
    const spare = await server.makeCalendar(USER, PASSWORD, 'spare', 'Spare');
    assert.ok([200, 204].includes(await server.remove(spare, USER, PASSWORD)));
    await rejects(() => provider.account({ details: { ...stored.details, calendarUrl: spare }, credentials: stored.credentials }).write([{ kind: 'create', key: flight2.key, event: flight2, transactionId: 't4' }]), 'auth_lost', /caldav_calendar_gone/);
  });

  test('an unreachable server is temporary', async () => {
    await server.stop();
    await rejects(() => provider.account(stored).write([{ kind: 'create', key: flight2.key, event: flight2, transactionId: 't5' }]), 'temporary', /caldav_unreachable/);
    await rejects(() => provider.connect.connect({ serverUrl: server.url, username: USER, password: PASSWORD, credentials: memoryCredentialStore() }), 'temporary');
  });
});

describe('CalDAV provider on Xandikos', () => {
  let server: CalDavServer;
  before(async () => {
    server = await startXandikos();
  });
  after(async () => {
    await server?.stop();
  });

  test('connects to its one calendar by discovery, and writes, finds and deletes by key', async () => {
    const credentials = memoryCredentialStore();
    const result = await provider.connect.connect({ serverUrl: server.url, username: 'user', password: 'any', credentials });
    assert.equal(result.status, 'connected', JSON.stringify(result));
    if (result.status !== 'connected') return;
    const calendar = provider.account({ details: result.account.details, credentials });
    const created = await calendar.write([{ kind: 'create', key: flight.key, event: flight, transactionId: 'x1' }, { kind: 'create', key: hotel.key, event: hotel, transactionId: 'x2' }]);
    assert.ok(created.every((r) => r.ok), JSON.stringify(created));
    const found = await calendar.findByKeys([flight.key, hotel.key]);
    assert.equal(found.size, 2);
    const [changed] = await calendar.write([{ kind: 'update', key: flight.key, eventId: found.get(flight.key)!, event: { ...flight, subject: 'changed' } }]);
    assert.ok(changed!.ok, JSON.stringify(changed));
    const [deleted] = await calendar.write([{ kind: 'delete', key: hotel.key, eventId: found.get(hotel.key)! }]);
    assert.ok(deleted!.ok);
    assert.deepEqual([...(await calendar.findByKeys([flight.key, hotel.key])).keys()], [flight.key]);
  });
});
