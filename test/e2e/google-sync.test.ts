// Google Calendar for a company on Google Workspace, end to end through google-auth-library and
// the Calendar client against the sandbox: the OBT admin's dialog shows our client id and scopes,
// the Workspace administrator authorizes them in the Admin console, the check on the admin's own
// calendar turns delegation on, sync on backfills every traveler's past, current and upcoming
// bookings with no traveler signing in; a change, a cancellation, a new traveler's first booking;
// the delegation withdrawn (a clear state, emails continue) and restored, with no duplicates.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DateTime } from 'luxon';
import type { SegmentInput } from '../../src/domain/booking-schema.ts';
import { SEGMENT_KEY_PROPERTY } from '../../src/calendars/google/index.ts';
import { startGoogleWorld, type GoogleWorld } from '../support/google-world.ts';
import type { Browser } from '../support/outlook-world.ts';

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

async function book(world: GoogleWorld, key: string, method: 'POST' | 'PUT', route: string, body?: unknown) {
  const res = await fetch(`${world.baseUrl}/api/v1${route}`, {
    method, headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined,
  });
  assert.ok(res.status < 300, `${method} ${route}: ${res.status} ${await res.text()}`);
}

/** The Calendar writes the product sent for a user (inserts, patches, deletes). */
const writes = (world: GoogleWorld, email: string) =>
  world.google.control.requestLog().filter((r) => r.mailbox === email && ['POST', 'PATCH', 'DELETE'].includes(r.method) && r.path.includes('/calendar/v3/'));

/** One event per segment key: the calendar has no duplicates. */
function keysOf(world: GoogleWorld, email: string): string[] {
  const keys = world.google.control.events(email).map((e) => e.extendedProperties?.private?.[SEGMENT_KEY_PROPERTY] ?? '');
  assert.equal(new Set(keys).size, keys.length, `duplicates in ${email}'s calendar`);
  return keys;
}

describe('Google Calendar under domain-wide delegation, end to end', () => {
  let world: GoogleWorld;
  let admin: Browser;
  let taro: Browser;
  let taroEmail: string;
  let emilyEmail: string;

  before(async () => {
    world = await startGoogleWorld();
    taroEmail = world.sakura.travelers[0]!.email;
    emilyEmail = world.sakura.travelers[1]!.email;
    const key = world.sakura.apiKey;
    // Past, current and upcoming bookings exist before the company sets anything up.
    await book(world, key, 'POST', '/trips', { bookingRef: 'PAST-1', travelerEmail: taroEmail, segments: [shinkansen('R1', -30)] });
    await book(world, key, 'POST', '/trips', { bookingRef: 'NOW-1', travelerEmail: taroEmail, segments: [hotel('H1', -1)] });
    await book(world, key, 'POST', '/trips', { bookingRef: 'OSA-1', travelerEmail: taroEmail, segments: [shinkansen('R1', 7), hotel('H1', 7), shinkansen('R2', 9, '3A')] });
    admin = world.browser();
    await admin.logIn(world.sakura.admin.email);
    taro = world.browser();
    await taro.logIn(taroEmail);
  });
  after(() => world?.close());

  test('the dialog names the row as labels.md does and shows our client id and the exact scopes', async () => {
    const all = await admin.api('GET', '/api/company/calendars');
    const google = all.body.calendars.find((c: { provider: { id: string } }) => c.provider.id === 'google');
    assert.equal(google.provider.labels.ja.integration, 'Googleカレンダー連携');
    assert.equal(google.provider.labels.en.integration, 'Google Calendar integration');
    assert.deepEqual(google.delegation, { clientId: world.google.serviceAccountKey.client_id, scopes: ['https://www.googleapis.com/auth/calendar.events'], active: false });
  });

  test('the check fails clearly, in the admin\'s language, until the Workspace administrator has authorized the client id', async () => {
    const check = await admin.api('POST', '/api/company/calendars/google/delegation');
    assert.equal(check.status, 409);
    assert.equal(check.body.error, 'delegation_missing');
    assert.match(check.body.message, /ドメイン全体の委任を確認できませんでした.*unauthorized_client/);
    const status = await admin.api('GET', '/api/company/calendars/google');
    assert.equal(status.body.grant.status, 'refused');
    assert.equal(status.body.delegation.active, false);
  });

  test('authorized in the Admin console, the check passes and sync on backfills every traveler without a sign-in', async () => {
    const status = await admin.api('GET', '/api/company/calendars/google');
    const page = await world.adminConsole('add', status.body.delegation.clientId, status.body.delegation.scopes);
    assert.equal(page.status, 200);
    assert.match(page.text, /Authorized/);

    const check = await admin.api('POST', '/api/company/calendars/google/delegation');
    assert.equal(check.status, 200, JSON.stringify(check.body));
    assert.equal(check.body.delegation.active, true);
    assert.equal(check.body.grant.status, 'granted');
    assert.equal(check.body.grant.organization, 'sakura-trading.example');

    const sync = await admin.api('PUT', '/api/company/calendars/google/sync', { enabled: true });
    assert.equal(sync.status, 200);
    // Everyone of the company is connected: the admin and both travelers.
    assert.equal(sync.body.counts.connected, 3);
    await world.syncIdle();

    const events = world.google.control.events(taroEmail);
    assert.equal(events.length, 5);
    assert.equal(keysOf(world, taroEmail).length, 5);
    assert.ok(events.every((e) => e.status === 'tentative'));
    const stays = events.filter((e) => e.start.date);
    assert.equal(stays.length, 2);
    assert.ok(stays.every((e) => e.transparency === 'transparent'));
    const train = events.find((e) => e.start.dateTime?.startsWith(`${day(9)}T08:00`));
    assert.equal(train?.start.timeZone, 'Asia/Tokyo');

    // The traveler has nothing to do: no prompt, and the calendar is the company's doing.
    const mine = await taro.api('GET', '/api/me/calendars/google');
    assert.equal(mine.body.status, 'connected');
    assert.equal(mine.body.showConnectPrompt, false);
    assert.equal(mine.body.managedByCompany, true);
    // Another company's users are untouched.
    assert.equal(world.google.control.events('ken.ito@maple-logistics.example').length, 0);
  });

  test('a change is one patch; a cancellation deletes its event', async () => {
    world.google.control.clearRequestLog();
    await book(world, world.sakura.apiKey, 'PUT', '/trips/OSA-1', { segments: [shinkansen('R1', 7, '1A'), hotel('H1', 7), shinkansen('R2', 9, '3A')] });
    await world.syncIdle();
    assert.deepEqual(writes(world, taroEmail).map((r) => r.method), ['PATCH']);
    assert.ok(world.google.control.events(taroEmail).some((e) => e.description?.includes('1A')));

    world.google.control.clearRequestLog();
    await book(world, world.sakura.apiKey, 'POST', '/trips/OSA-1/segments/R2/cancel');
    await world.syncIdle();
    assert.deepEqual(writes(world, taroEmail).map((r) => r.method), ['DELETE']);
    assert.equal(keysOf(world, taroEmail).length, 4);
  });

  test('a traveler\'s first booking after set-up reaches their calendar', async () => {
    await book(world, world.sakura.apiKey, 'POST', '/trips', { bookingRef: 'EMI-1', travelerEmail: emilyEmail, segments: [shinkansen('R1', 14)] });
    await world.syncIdle();
    assert.equal(keysOf(world, emilyEmail).length, 1);
  });

  test('delegation withdrawn: the connection is revoked, the admin sees why, emails go on; restored: only the difference is written', async () => {
    const clientId = world.google.serviceAccountKey.client_id!;
    // Past the window in which a refusal is taken for a grant still reaching Google's servers.
    world.google.clock.advance(11 * 60_000);
    const deleted = await world.adminConsole('delete', clientId);
    assert.equal(deleted.status, 200);
    const emailsBefore = (await world.emails()).length;

    await book(world, world.sakura.apiKey, 'PUT', '/trips/OSA-1', { segments: [shinkansen('R1', 7, '2B'), hotel('H1', 7)] });
    await world.syncIdle();
    const mine = await taro.api('GET', '/api/me/calendars/google');
    assert.equal(mine.body.status, 'revoked');
    assert.equal(mine.body.reason, 'unauthorized_client');
    const status = await admin.api('GET', '/api/company/calendars/google');
    assert.equal(status.body.grant.status, 'revoked');
    assert.equal(status.body.delegation.active, false);
    // The itinerary email of the change went out all the same.
    for (let i = 0; i < 40 && (await world.emails()).length === emailsBefore; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal((await world.emails()).length, emailsBefore + 1);
    assert.ok(!world.google.control.events(taroEmail).some((e) => e.description?.includes('2B')));

    // Restored: authorized again, checked again.
    await world.adminConsole('add', clientId, ['https://www.googleapis.com/auth/calendar.events']);
    world.google.control.clearRequestLog();
    const check = await admin.api('POST', '/api/company/calendars/google/delegation');
    assert.equal(check.status, 200);
    await world.syncIdle();
    assert.equal((await taro.api('GET', '/api/me/calendars/google')).body.status, 'connected');
    assert.deepEqual(writes(world, taroEmail).map((r) => r.method), ['PATCH']);
    assert.ok(world.google.control.events(taroEmail).some((e) => e.description?.includes('2B')));
    assert.equal(keysOf(world, taroEmail).length, 4);
  });

  test("a user suspended in Workspace: that connection alone lapses, the company's delegation holds; restored by the check", async () => {
    world.google.control.suspendUser(emilyEmail);
    await book(world, world.sakura.apiKey, 'POST', '/trips', { bookingRef: 'EMI-2', travelerEmail: emilyEmail, segments: [shinkansen('R1', 21)] });
    await book(world, world.sakura.apiKey, 'POST', '/trips', { bookingRef: 'TARO-9', travelerEmail: taroEmail, segments: [shinkansen('R1', 21)] });
    await world.syncIdle();
    const status = await admin.api('GET', '/api/company/calendars/google');
    const emily = status.body.travelers.find((t: { email: string }) => t.email === emilyEmail);
    assert.deepEqual([emily.status, emily.reason], ['lapsed', 'invalid_grant']);
    assert.equal(status.body.grant.status, 'granted');
    assert.equal(keysOf(world, taroEmail).length, 5, 'the others go on syncing');
    assert.equal(keysOf(world, emilyEmail).length, 1);

    world.google.control.suspendUser(emilyEmail, false);
    assert.equal((await admin.api('POST', '/api/company/calendars/google/delegation')).status, 200);
    await world.syncIdle();
    assert.equal(keysOf(world, emilyEmail).length, 2);
  });
});

describe('Google Calendar with per-user sign-in, end to end', () => {
  let world: GoogleWorld;
  let admin: Browser;
  let taro: Browser;
  let taroEmail: string;

  before(async () => {
    world = await startGoogleWorld();
    taroEmail = world.sakura.travelers[0]!.email;
    await book(world, world.sakura.apiKey, 'POST', '/trips', { bookingRef: 'PAST-1', travelerEmail: taroEmail, segments: [shinkansen('R1', -30)] });
    await book(world, world.sakura.apiKey, 'POST', '/trips', { bookingRef: 'OSA-1', travelerEmail: taroEmail, segments: [shinkansen('R1', 7), hotel('H1', 7)] });
    admin = world.browser();
    await admin.logIn(world.sakura.admin.email);
    taro = world.browser();
    await taro.logIn(taroEmail);
  });
  after(() => world?.close());

  test('sync on without a delegation: the traveler sees the home prompt and connects by signing in at Google; a backfill follows', async () => {
    assert.equal((await admin.api('PUT', '/api/company/calendars/google/sync', { enabled: true })).status, 200);
    const before = await taro.api('GET', '/api/me/calendars/google');
    assert.equal(before.body.showConnectPrompt, true);
    assert.equal(before.body.managedByCompany, undefined);

    const start = await taro.api('POST', '/api/me/calendars/google/connect', { returnTo: 'home' });
    const authorize = new URL(start.body.url);
    assert.equal(authorize.searchParams.get('access_type'), 'offline');
    assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(authorize.searchParams.get('hl'), 'ja');
    const landed = await taro.follow(await world.googleRedirect(start.body.url, taroEmail));
    assert.equal(landed.searchParams.get('result'), 'connected', landed.toString());
    await world.syncIdle();
    assert.equal(keysOf(world, taroEmail).length, 3);
    const after = await taro.api('GET', '/api/me/calendars/google');
    assert.deepEqual([after.body.status, after.body.username, after.body.showConnectPrompt], ['connected', taroEmail, false]);
  });

  test('cancelling at Google\'s consent screen comes back as a clear error', async () => {
    const start = await taro.api('POST', '/api/me/calendars/google/connect', { returnTo: 'tile' });
    const landed = await taro.follow(await world.googleRedirect(start.body.url, taroEmail, 'deny'));
    assert.equal(landed.pathname, '/profile/connected-apps');
    assert.equal(landed.searchParams.get('code'), 'access_denied');
    assert.match(landed.searchParams.get('message') ?? '', /Googleが接続を拒否しました/);
  });

  test('access revoked at Google: the connection lapses and the prompt returns; reconnecting writes no duplicate', async () => {
    world.google.control.revokeUserGrants(taroEmail);
    await book(world, world.sakura.apiKey, 'PUT', '/trips/OSA-1', { segments: [shinkansen('R1', 7, '5C'), hotel('H1', 7)] });
    await world.syncIdle();
    const lapsed = await taro.api('GET', '/api/me/calendars/google');
    assert.deepEqual([lapsed.body.status, lapsed.body.reason, lapsed.body.showConnectPrompt], ['lapsed', 'invalid_grant', true]);

    const start = await taro.api('POST', '/api/me/calendars/google/connect', { returnTo: 'home' });
    const landed = await taro.follow(await world.googleRedirect(start.body.url, taroEmail));
    assert.equal(landed.searchParams.get('result'), 'connected');
    await world.syncIdle();
    assert.equal(keysOf(world, taroEmail).length, 3);
    assert.ok(world.google.control.events(taroEmail).some((e) => e.description?.includes('5C')));
  });

  test('disconnecting with removal deletes our events from the calendar', async () => {
    const res = await taro.api('DELETE', '/api/me/calendars/google?removeEvents=true');
    assert.equal(res.status, 200);
    assert.equal(res.body.status, 'disconnected');
    await world.syncIdle();
    assert.equal(world.google.control.events(taroEmail).length, 0);
  });
});
