// What deprovisioning (SCIM active=false) and reactivation do to a traveler's calendar, end to end
// under Google Workspace's domain-wide delegation (a company-wide grant: tripcal makes every
// traveler's connection itself) against the Google sandbox: by default the events stay as they
// are and nothing more is written; where the company chose removal, the events are removed.
// Reactivation connects the calendar again: it catches up, complete, with no duplicates, and
// itinerary emails resume. The same removal for Outlook, where each traveler connected their own
// calendar: it is done with their tokens before deprovisioning drops them.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DateTime } from 'luxon';
import { SEGMENT_KEY_PROPERTY } from '../../src/calendars/google/index.ts';
import type { SegmentInput } from '../../src/domain/booking-schema.ts';
import { issueCredential } from '../../src/store/company-credentials.ts';
import { updateCompanySettings } from '../../src/store/organisations.ts';
import { startGoogleWorld, type GoogleWorld } from '../support/google-world.ts';
import { connectTraveler, objectId, setUpCompany, startWorld, type World } from '../support/outlook-world.ts';

const day = (offset: number) => DateTime.now().setZone('Asia/Tokyo').plus({ days: offset }).toISODate()!;
const rail = (ref: string, offset: number, seat = '12E'): SegmentInput => ({
  type: 'rail', ref, operator: 'JR東海', trainNumber: 'のぞみ 15号', departure: { station: '東京', local: `${day(offset)}T08:00`, timeZone: 'Asia/Tokyo' },
  arrival: { station: '新大阪', local: `${day(offset)}T10:27`, timeZone: 'Asia/Tokyo' }, car: '7', seat,
});
const hotel = (ref: string, offset: number): SegmentInput => ({
  type: 'hotel', ref, property: 'ホテル阪急インターナショナル', address: '大阪府大阪市北区茶屋町19-19', checkIn: { date: day(offset) }, checkOut: { date: day(offset + 2) }, timeZone: 'Asia/Tokyo',
});

describe('deprovisioning and reactivation, under a company-wide delegation', () => {
  let world: GoogleWorld;
  let scimToken: string;
  let taro: { id: string; email: string };
  let emily: { id: string; email: string };

  const book = async (method: 'POST' | 'PUT', route: string, body: unknown) => {
    const res = await fetch(`${world.baseUrl}/api/v1${route}`, { method, headers: { authorization: `Bearer ${world.sakura.apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.ok(res.status < 300, `${method} ${route}: ${res.status} ${await res.text()}`);
  };
  const scimActive = async (userId: string, active: 'True' | 'False') => {
    const res = await fetch(`${world.baseUrl}/scim/v2/Users/${userId}`, {
      method: 'PATCH', headers: { authorization: `Bearer ${scimToken}`, 'content-type': 'application/scim+json' },
      body: JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'Replace', path: 'active', value: active }] }),
    });
    assert.equal(res.status, 200, await res.text());
  };
  /** Our events in the user's calendar, by segment key; fails on a duplicate. */
  const ours = (email: string) => {
    const events = world.google.control.events(email).filter((e) => e.extendedProperties?.private?.[SEGMENT_KEY_PROPERTY]);
    const keys = events.map((e) => e.extendedProperties!.private![SEGMENT_KEY_PROPERTY]!);
    assert.equal(new Set(keys).size, keys.length, `duplicates in ${email}'s calendar`);
    return events;
  };
  const writes = (email: string) => world.google.control.requestLog().filter((r) => r.mailbox === email && ['POST', 'PATCH', 'DELETE'].includes(r.method) && r.path.includes('/calendar/v3/')).length;
  const emailsTo = async (address: string) => (await Promise.all((await world.emails()).map((f) => readFile(path.join(world.outboxDir, f), 'utf8')))).filter((m) => m.includes(address)).length;
  const connection = (userId: string) => world.store.db.selectFrom('calendar_connections').select(['status', 'status_reason']).where('user_id', '=', userId).where('provider', '=', 'google').executeTakeFirstOrThrow();
  const until = async (what: string, check: () => Promise<boolean> | boolean, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}`);
      await new Promise((r) => setTimeout(r, 150));
    }
  };

  before(async () => {
    world = await startGoogleWorld();
    taro = world.sakura.travelers[0]!;
    emily = world.sakura.travelers[1]!;
    scimToken = (await issueCredential(world.store.db, world.sakura.id, 'scim')).key;
    await book('POST', '/trips', { bookingRef: 'TARO-1', travelerEmail: taro.email, segments: [rail('R1', 7), hotel('H1', 7), rail('R2', 9, '3A')] });
    await book('POST', '/trips', { bookingRef: 'EMI-1', travelerEmail: emily.email, segments: [rail('R1', 14), hotel('H1', 14)] });
    const admin = world.browser();
    await admin.logIn(world.sakura.admin.email);
    const status = await admin.api('GET', '/api/company/calendars/google');
    await world.adminConsole('add', status.body.delegation.clientId, status.body.delegation.scopes);
    assert.equal((await admin.api('POST', '/api/company/calendars/google/delegation')).status, 200);
    assert.equal((await admin.api('PUT', '/api/company/calendars/google/sync', { enabled: true })).status, 200);
    await world.syncIdle();
    assert.equal(ours(taro.email).length, 3);
    assert.equal(ours(emily.email).length, 2);
  });
  after(() => world?.close());

  test('the company keeps events (the default): a deprovisioned traveler\'s events stay; nothing is written or emailed', async () => {
    await scimActive(emily.id, 'False');
    assert.deepEqual(await connection(emily.id), { status: 'disconnected', status_reason: 'deprovisioned' });
    assert.equal(ours(emily.email).length, 2, 'the events stay');
    const [writesBefore, emailsBefore] = [writes(emily.email), await emailsTo(emily.email)];
    await book('PUT', '/trips/EMI-1', { segments: [rail('R1', 14, '1A'), hotel('H1', 14), rail('R2', 16)] });
    await world.syncIdle();
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(writes(emily.email), writesBefore, 'no calendar write');
    assert.equal(await emailsTo(emily.email), emailsBefore, 'no itinerary email');
    assert.ok(!ours(emily.email).some((e) => e.description?.includes('1A')), 'the events stay as they were');
  });

  test('reactivated: the connection comes back and the calendar catches up, complete and without duplicates; emails resume', async () => {
    const emailsBefore = await emailsTo(emily.email);
    await scimActive(emily.id, 'True');
    assert.deepEqual(await connection(emily.id), { status: 'connected', status_reason: null });
    await world.syncIdle();
    await until('the change made meanwhile', () => ours(emily.email).length === 3 && ours(emily.email).some((e) => e.description?.includes('1A')));
    await book('PUT', '/trips/EMI-1', { segments: [rail('R1', 14, '2B'), hotel('H1', 14), rail('R2', 16)] });
    await until('an itinerary email again', async () => (await emailsTo(emily.email)) > emailsBefore);
    await world.syncIdle();
    await until('the next change too', () => ours(emily.email).some((e) => e.description?.includes('2B')));
    assert.equal(ours(emily.email).length, 3);
  });

  test('the company chose removal: a deprovisioned traveler\'s events are removed; reactivated, they come back once each', async () => {
    await updateCompanySettings(world.store.db, world.sakura.id, { removeEventsOnDeprovision: true });
    await scimActive(taro.id, 'False');
    // The removal is the connection's own job: the identity provider's request is answered first.
    await world.syncIdle();
    assert.equal(ours(taro.email).length, 0, 'removed from the calendar');
    assert.deepEqual(await connection(taro.id), { status: 'disconnected', status_reason: 'deprovisioned' });
    // Emily's calendar, under the same company, is untouched.
    assert.equal(ours(emily.email).length, 3);
    await scimActive(taro.id, 'True');
    await world.syncIdle();
    await until('the events written again', () => ours(taro.email).length === 3);
    await world.syncIdle();
    assert.equal(ours(taro.email).length, 3, 'once each');
  });
});

describe('deprovisioning with removal, on per-user Outlook connections', () => {
  let world: World;
  let scimToken: string;
  const TARO = 'taro.yamada@sakura-trading.example';
  const EMILY = 'emily.clark@sakura-trading.example';
  const book = async (body: unknown) => {
    const res = await fetch(`${world.baseUrl}/api/v1/trips`, { method: 'POST', headers: { authorization: `Bearer ${world.sakura.apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal(res.status, 201, await res.text());
  };
  const scimActive = async (userId: string, active: 'True' | 'False') => {
    const res = await fetch(`${world.baseUrl}/scim/v2/Users/${userId}`, {
      method: 'PATCH', headers: { authorization: `Bearer ${scimToken}`, 'content-type': 'application/scim+json' },
      body: JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'Replace', path: 'active', value: active }] }),
    });
    assert.equal(res.status, 200, await res.text());
  };
  const events = (upn: string) => world.sandbox.control.mailboxEvents(objectId(world, upn));

  before(async () => {
    world = await startWorld();
    scimToken = (await issueCredential(world.store.db, world.sakura.id, 'scim')).key;
    await setUpCompany(world, world.sakura, 'it-admin@sakura-trading.example');
    await connectTraveler(world, TARO);
    await connectTraveler(world, EMILY);
    await book({ bookingRef: 'T-1', travelerEmail: TARO, segments: [rail('R1', 7), hotel('H1', 7)] });
    await book({ bookingRef: 'E-1', travelerEmail: EMILY, segments: [rail('R1', 8), hotel('H1', 8)] });
    await world.syncIdle();
    assert.equal(events(TARO).length, 2);
    assert.equal(events(EMILY).length, 2);
  });
  after(() => world?.close());

  test('kept by default; removed where the company chose removal', async () => {
    const emily = world.sakura.travelers.find((t) => t.email === EMILY)!;
    const taro = world.sakura.travelers.find((t) => t.email === TARO)!;
    await scimActive(emily.id, 'False');
    assert.equal(events(EMILY).length, 2, 'the default keeps them');
    await updateCompanySettings(world.store.db, world.sakura.id, { removeEventsOnDeprovision: true });
    await scimActive(taro.id, 'False');
    await world.syncIdle();
    assert.equal(events(TARO).length, 0, 'removed with the traveler\'s own tokens, before they are dropped');
    const connection = await world.store.db.selectFrom('calendar_connections').select(['status', 'status_reason', 'credential']).where('user_id', '=', taro.id).executeTakeFirstOrThrow();
    assert.deepEqual(connection, { status: 'disconnected', status_reason: 'deprovisioned', credential: null });
  });
});
