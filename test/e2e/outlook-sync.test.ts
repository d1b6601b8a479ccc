// The source document end to end, through the real MSAL and Graph client against the sandbox:
// admin consent → admin connect → sync on → traveler connect → backfill → change → cancel; then a
// lapse after 90 idle days and a reconnect with no duplicates. Also refusals and the wrong tenant.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DateTime } from 'luxon';
import type { SegmentInput } from '../../src/domain/booking-schema.ts';
import { connectWithMsal } from '../../sandbox/test/helpers.ts';
import { startWorld, type Browser, type World } from '../support/outlook-world.ts';

const DAY = 86_400_000;

function day(offset: number): string {
  return DateTime.now().setZone('Asia/Tokyo').plus({ days: offset }).toISODate()!;
}

const shinkansen = (ref: string, offset: number, seat = '12E'): SegmentInput => ({
  type: 'rail', ref, operator: 'JR東海', trainNumber: 'のぞみ 15号', departure: { station: '東京', local: `${day(offset)}T08:00`, timeZone: 'Asia/Tokyo' },
  arrival: { station: '新大阪', local: `${day(offset)}T10:27`, timeZone: 'Asia/Tokyo' }, car: '7', seat,
});
const hotel = (ref: string, offset: number): SegmentInput => ({
  type: 'hotel', ref, property: 'ホテル阪急インターナショナル', address: '大阪府大阪市北区茶屋町19-19', checkIn: { date: day(offset) }, checkOut: { date: day(offset + 2) }, timeZone: 'Asia/Tokyo',
});
const flight = (ref: string, offset: number): SegmentInput => ({
  type: 'flight', ref, carrier: 'NH', flightNumber: 'NH 6', departure: { airport: 'HND', terminal: '3', local: `${day(offset)}T17:05` }, arrival: { airport: 'LAX', terminal: 'B', local: `${day(offset)}T10:50` },
});

async function book(world: World, key: string, method: 'POST' | 'PUT', route: string, body?: unknown) {
  const res = await fetch(`${world.baseUrl}/api/v1${route}`, {
    method, headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined,
  });
  assert.ok(res.status < 300, `${method} ${route}: ${res.status} ${await res.text()}`);
}

const graphWrites = (world: World, mailbox: string) =>
  world.sandbox.control.requestLog().filter((r) => r.mailbox === mailbox && r.batchId !== undefined ? ['POST', 'PATCH', 'DELETE'].includes(r.method) : r.mailbox === mailbox && ['POST', 'PATCH', 'DELETE'].includes(r.method) && !r.path.includes('$batch'));

describe('Outlook calendar sync, end to end', () => {
  let world: World;
  let admin: Browser;
  let taro: Browser;
  let taroOid: string;

  before(async () => {
    world = await startWorld();
    taroOid = world.sandbox.tenants[0].users.find((u) => u.userPrincipalName === world.sakura.travelers[0].email)!.id;
    const key = world.sakura.apiKey;
    const email = world.sakura.travelers[0].email;
    // Past, current and upcoming bookings exist before anyone connects.
    await book(world, key, 'POST', '/trips', { bookingRef: 'PAST-1', travelerEmail: email, segments: [shinkansen('R1', -30)] });
    await book(world, key, 'POST', '/trips', { bookingRef: 'NOW-1', travelerEmail: email, segments: [hotel('H1', -1)] });
    await book(world, key, 'POST', '/trips', { bookingRef: 'OSA-1', travelerEmail: email, segments: [shinkansen('R1', 7), hotel('H1', 7), shinkansen('R2', 9, '3A')] });
  });
  after(() => world?.close());

  test('a traveler cannot connect before the company has approved and turned sync on', async () => {
    taro = world.browser();
    await taro.logIn(world.sakura.travelers[0].email);
    const status = await taro.api('GET', '/api/me/calendars/outlook');
    assert.deepEqual([status.body.companySyncEnabled, status.body.status, status.body.showConnectPrompt], [false, 'not_connected', false]);
    const attempt = await taro.api('POST', '/api/me/calendars/outlook/connect');
    assert.equal(attempt.status, 409);
  });

  test('the Entra administrator refusing consent is shown clearly', async () => {
    admin = world.browser();
    await admin.logIn(world.sakura.admin.email);
    const link = await admin.api('POST', '/api/company/calendars/outlook/grant-link');
    const page = await admin.adminConsent(link.body.url, 'it-admin@sakura-trading.example', 'cancel');
    assert.equal(page.status, 400);
    assert.match(await page.text(), /role="alert"/);
    const status = await admin.api('GET', '/api/company/calendars/outlook');
    assert.equal(status.body.grant.status, 'refused');
    assert.match(status.body.grant.error, /access_denied/);
  });

  test('admin consent, then the admin connects their own calendar and turns sync on', async () => {
    const link = await admin.api('POST', '/api/company/calendars/outlook/grant-link');
    assert.match(link.body.url, /\/v2\.0\/adminconsent\?/);
    const page = await admin.adminConsent(link.body.url, 'it-admin@sakura-trading.example');
    assert.equal(page.status, 200);
    let status = await admin.api('GET', '/api/company/calendars/outlook');
    // The redirect's tenant is a claim until the admin's own sign-in proves it.
    assert.deepEqual([status.body.grant.status, status.body.grant.organization, status.body.grant.claimed], ['refused', undefined, world.sakura.tenantId]);
    // Sync cannot go on before the admin's connection has proved the tenant.
    assert.equal((await admin.api('PUT', '/api/company/calendars/outlook/sync', { enabled: true })).status, 409);

    const connect = await admin.api('POST', '/api/company/calendars/outlook/connect');
    const url = new URL(connect.body.url);
    assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
    assert.ok(url.searchParams.get('code_challenge'));
    const landed = await admin.signInWithMicrosoft(connect.body.url, world.sakura.admin.email);
    assert.equal(landed.pathname, '/company/settings/integrations/calendar');
    assert.equal(landed.searchParams.get('result'), 'connected');
    status = await admin.api('GET', '/api/company/calendars/outlook');
    assert.deepEqual([status.body.grant.status, status.body.grant.organization, status.body.grant.claimed], ['granted', world.sakura.tenantId, undefined]);

    status = await admin.api('PUT', '/api/company/calendars/outlook/sync', { enabled: true });
    assert.equal(status.status, 200);
    assert.equal(status.body.syncEnabled, true);
    assert.equal(status.body.connectedBy.email, world.sakura.admin.email);
  });

  test('a traveler connects from the home prompt and gets every booking, past to upcoming, as tentative events', async () => {
    const before = await taro.api('GET', '/api/me/calendars/outlook');
    assert.equal(before.body.showConnectPrompt, true);
    const connect = await taro.api('POST', '/api/me/calendars/outlook/connect');
    const landed = await taro.signInWithMicrosoft(connect.body.url, world.sakura.travelers[0].email);
    assert.equal(landed.searchParams.get('result'), 'connected');
    await world.syncIdle();

    const events = world.sandbox.control.mailboxEvents(taroOid);
    assert.equal(events.length, 5, 'PAST-1 train, NOW-1 hotel, OSA-1 train + hotel + train');
    assert.ok(events.every((e) => e.showAs === 'tentative'));
    const subjects = events.map((e) => String(e.subject)).sort();
    assert.equal(subjects.filter((s) => s.includes('のぞみ')).length, 3);
    const stay = events.find((e) => e.isAllDay === true);
    assert.ok(stay, 'the hotel stay is an all-day event');
    const after = await taro.api('GET', '/api/me/calendars/outlook');
    assert.deepEqual([after.body.status, after.body.showConnectPrompt], ['connected', false]);
    // The reconcile's outcome is recorded on the connection (with the answers, in one group write).
    const outcome = await world.store.db.selectFrom('calendar_connections').select(['last_synced_at', 'last_sync_error']).where('user_id', '=', world.sakura.travelers[0].id).executeTakeFirstOrThrow();
    assert.ok(outcome.last_synced_at instanceof Date, 'last_synced_at is set');
    assert.equal(outcome.last_sync_error, null);
  });

  test('an unchanged booking sent again writes nothing; a one-segment change is one Graph write', async () => {
    world.sandbox.control.clearRequestLog();
    const key = world.sakura.apiKey;
    await book(world, key, 'PUT', '/trips/OSA-1', { segments: [shinkansen('R1', 7), hotel('H1', 7), shinkansen('R2', 9, '3A')] });
    await world.syncIdle();
    assert.deepEqual(graphWrites(world, taroOid), []);

    await book(world, key, 'PUT', '/trips/OSA-1', { segments: [shinkansen('R1', 7), hotel('H1', 7), shinkansen('R2', 9, '5D')] });
    await world.syncIdle();
    const writes = graphWrites(world, taroOid);
    assert.equal(writes.length, 1, JSON.stringify(writes.map((w) => [w.method, w.path])));
    assert.equal(writes[0].method, 'PATCH');
    const changed = world.sandbox.control.mailboxEvents(taroOid).filter((e) => String((e.body as { content?: string })?.content ?? '').includes('5D'));
    assert.equal(changed.length, 1);
  });

  test('a cancelled segment disappears from the calendar; the trip page shows each event\'s state', async () => {
    const key = world.sakura.apiKey;
    await book(world, key, 'POST', '/trips/OSA-1/segments/H1/cancel');
    await world.syncIdle();
    const events = world.sandbox.control.mailboxEvents(taroOid);
    assert.equal(events.length, 4);
    assert.equal(events.filter((e) => e.isAllDay === true).length, 1, 'only the NOW-1 hotel stay is left');
    const trips = await taro.api('GET', '/api/trips');
    const osa = trips.body.trips.find((t: { bookingRef: string }) => t.bookingRef === 'OSA-1');
    const detail = await taro.api('GET', `/api/trips/${osa.id}`);
    assert.deepEqual(detail.body.calendars.map((c: { provider: { id: string } }) => c.provider.id), ['outlook'], 'one calendar: the traveler\'s Outlook');
    const states = Object.values(detail.body.calendars[0].segments).map((c) => (c as { state: string }).state).sort();
    assert.deepEqual(states, ['not_synced', 'synced', 'synced']);
  });

  test('an event the traveler deleted in Outlook is not recreated until its booking changes', async () => {
    const key = world.sakura.apiKey;
    const r2 = world.sandbox.control.mailboxEvents(taroOid).find((e) => String((e.body as { content?: string })?.content ?? '').includes('5D'))!;
    assert.equal(world.sandbox.control.mailboxEvents(taroOid).length, 4);
    await deleteAsTraveler(world, world.sakura.travelers[0].email, r2.id);
    await book(world, key, 'PUT', '/trips/OSA-1', { title: 'Osaka', segments: [shinkansen('R1', 7), shinkansen('R2', 9, '5D')] });
    await world.syncIdle();
    assert.equal(world.sandbox.control.mailboxEvents(taroOid).length, 3, 'not recreated by an unrelated change');
    await book(world, key, 'PUT', '/trips/OSA-1', { title: 'Osaka', segments: [shinkansen('R1', 7), shinkansen('R2', 9, '6A')] });
    await world.syncIdle();
    assert.equal(world.sandbox.control.mailboxEvents(taroOid).length, 4, 'recreated once its booking changed');
  });

  test('a Microsoft account of another organisation is refused with a clear message', async () => {
    const emily = world.browser();
    await emily.logIn(world.sakura.travelers[1].email);
    const connect = await emily.api('POST', '/api/me/calendars/outlook/connect');
    // The sandbox lets anyone of any tenant sign in at /organizations; the consent of Maple is needed for a token.
    world.sandbox.control.grantConsent(world.maple.tenantId);
    const organizationsUrl = connect.body.url.replace(`/${world.sakura.tenantId}/`, '/organizations/');
    const landed = await emily.signInWithMicrosoft(organizationsUrl, 'ken.ito@maple-logistics.example');
    assert.equal(landed.searchParams.get('result'), 'error');
    assert.equal(landed.searchParams.get('code'), 'wrong_organization');
    assert.match(landed.searchParams.get('message') ?? '', /does not belong to your company/);
    assert.equal((await emily.api('GET', '/api/me/calendars/outlook')).body.status, 'not_connected');
  });

  test('90 idle days: the token lapses, the home prompt returns, emails say how to reconnect; reconnecting completes the calendar with no duplicates', async () => {
    const key = world.sakura.apiKey;
    await world.stopSync();
    world.sandbox.control.advanceClock(91 * DAY);
    await book(world, key, 'POST', '/trips', { bookingRef: 'LAX-1', travelerEmail: world.sakura.travelers[0].email, segments: [flight('F1', 20)] });
    await world.startSync();
    await world.syncIdle();
    // Three months on, the OBT session is long gone: the traveler logs in again and sees the home screen.
    await taro.logIn(world.sakura.travelers[0].email);
    const status = await taro.api('GET', '/api/me/calendars/outlook');
    assert.equal(status.body.status, 'lapsed');
    assert.equal(status.body.reason, 'AADSTS700082');
    assert.equal(status.body.showConnectPrompt, true);
    assert.equal(world.sandbox.control.mailboxEvents(taroOid).length, 4, 'nothing written while lapsed');

    const connect = await taro.api('POST', '/api/me/calendars/outlook/connect');
    await taro.signInWithMicrosoft(connect.body.url, world.sakura.travelers[0].email);
    await world.syncIdle();
    const events = world.sandbox.control.mailboxEvents(taroOid);
    assert.equal(events.length, 5, 'the flight booked while lapsed is there, nothing twice');
    const keys = events.map((e) => JSON.stringify(e.singleValueExtendedProperties));
    assert.equal(new Set(keys).size, keys.length);
  });

  test('disconnecting with "remove events" takes our events out of the calendar, and the prompt returns', async () => {
    const res = await taro.api('DELETE', '/api/me/calendars/outlook?removeEvents=true');
    assert.equal(res.status, 200);
    assert.deepEqual([res.body.status, res.body.showConnectPrompt], ['disconnected', true]);
    await world.syncIdle();
    assert.equal(world.sandbox.control.mailboxEvents(taroOid).length, 0);
    // A later booking change writes nothing to a disconnected calendar.
    await book(world, world.sakura.apiKey, 'POST', '/trips/LAX-1/cancel');
    await world.syncIdle();
    assert.equal(world.sandbox.control.mailboxEvents(taroOid).length, 0);
  });

  test('company status counts connected, lapsed and never-connected travelers', async () => {
    await admin.logIn(world.sakura.admin.email);
    const status = await admin.api('GET', '/api/company/calendars/outlook');
    assert.equal(status.body.counts.connected, 1, 'the admin');
    assert.equal(status.body.counts.neverConnected, 2, 'Emily, and Taro who disconnected');
    const taroRow = status.body.travelers.find((t: { email: string }) => t.email === world.sakura.travelers[0].email);
    assert.equal(taroRow.status, 'disconnected');
  });
});

/** The traveler deletes an event in Outlook: a Graph DELETE with their own token, as Outlook would send. */
async function deleteAsTraveler(world: World, upn: string, eventId: string): Promise<void> {
  const { result } = await connectWithMsal(world.sandbox, upn);
  const res = await fetch(`${world.sandbox.url}/v1.0/me/events/${eventId}`, { method: 'DELETE', headers: { authorization: `Bearer ${result.accessToken}` } });
  assert.equal(res.status, 204);
}
