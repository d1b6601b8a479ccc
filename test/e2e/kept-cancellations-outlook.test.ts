// The company setting for cancelled bookings, end to end through the real MSAL and Graph client
// against the sandbox: removed by default; kept as 「キャンセル: …」 / "Canceled: …", free, with no
// reminder once the company admin turns it on (the events already written change, none is
// duplicated); removed again when turned off. Also the setting's API and the itinerary email.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DateTime } from 'luxon';
import type { SegmentInput } from '../../src/domain/booking-schema.ts';
import { connectTraveler, objectId, setUpCompany, startWorld, type Browser, type World } from '../support/outlook-world.ts';

const day = (offset: number) => DateTime.now().setZone('Asia/Tokyo').plus({ days: offset }).toISODate()!;

const train = (ref: string, offset: number, seat: string): SegmentInput => ({
  type: 'rail', ref, operator: 'JR東海', trainNumber: 'のぞみ 15号', departure: { station: '東京', local: `${day(offset)}T08:00`, timeZone: 'Asia/Tokyo' },
  arrival: { station: '新大阪', local: `${day(offset)}T10:27`, timeZone: 'Asia/Tokyo' }, car: '7', seat,
});
const hotel = (ref: string, offset: number): SegmentInput => ({
  type: 'hotel', ref, property: 'ホテル阪急インターナショナル', address: '大阪府大阪市北区茶屋町19-19', checkIn: { date: day(offset) }, checkOut: { date: day(offset + 2) }, timeZone: 'Asia/Tokyo',
});

async function booking(world: World, method: 'POST' | 'PUT', route: string, body?: unknown) {
  const res = await fetch(`${world.baseUrl}/api/v1${route}`, {
    method, headers: { authorization: `Bearer ${world.sakura.apiKey}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined,
  });
  assert.ok(res.status < 300, `${method} ${route}: ${res.status} ${await res.text()}`);
}

type GraphEvent = { id: string; subject: string; showAs: string; isReminderOn: boolean; body: { content: string } };

describe('cancelled bookings in Outlook calendars: removed, or kept as the company chooses', () => {
  let world: World;
  let admin: Browser;
  let mailbox: string;
  const events = () => world.sandbox.control.mailboxEvents(mailbox) as unknown as GraphEvent[];
  const bySubject = (part: string) => events().filter((e) => e.subject.includes(part));

  before(async () => {
    world = await startWorld();
    admin = await setUpCompany(world, world.sakura, 'it-admin@sakura-trading.example');
    const taro = world.sakura.travelers.find((t) => t.locale === 'ja')!;
    mailbox = objectId(world, taro.email);
    await connectTraveler(world, taro.email);
    await booking(world, 'POST', '/trips', { bookingRef: 'KEEP-1', travelerEmail: taro.email, segments: [train('R1', 7, '12E'), hotel('H1', 7), train('R2', 9, '3A')] });
    await world.syncIdle();
    assert.equal(events().length, 3);
  });
  after(() => world?.close());

  test('the setting is off by default, and refuses a value that is not true or false in the admin\'s language, naming the field', async () => {
    assert.deepEqual((await admin.api('GET', '/api/company/settings')).body, { keepCancelledEvents: false });
    const bad = await admin.api('PATCH', '/api/company/settings', { keepCancelledEvents: 'yes' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.field, 'keepCancelledEvents');
    assert.match(bad.body.message, /キャンセルされた予約をカレンダーに残すかどうか/);
    const unknown = await admin.api('PATCH', '/api/company/settings', { keepCancelled: true });
    assert.deepEqual([unknown.status, unknown.body.field], [400, 'keepCancelled']);
    const traveler = world.browser();
    await traveler.logIn(world.sakura.travelers[0]!.email);
    assert.equal((await traveler.api('PATCH', '/api/company/settings', { keepCancelledEvents: true })).status, 403);
    assert.deepEqual((await admin.api('GET', '/api/company/settings')).body, { keepCancelledEvents: false }, 'nothing changed');
  });

  test('/openapi.json documents the setting: the web app\'s endpoint and the operator API\'s settings', async () => {
    const doc = (await (await fetch(`${world.baseUrl}/openapi.json`)).json()) as { paths: Record<string, Record<string, any>> };
    const web = doc.paths['/api/company/settings']!;
    assert.ok(web.get && web.patch, 'GET and PATCH');
    const schema = web.patch.requestBody.content['application/json'].schema;
    assert.equal(schema.properties.keepCancelledEvents.type, 'boolean');
    assert.match(schema.properties.keepCancelledEvents.description, /Canceled: …/);
    assert.deepEqual(web.patch.security, [{ sessionCookie: [] }]);
    assert.equal(web.get.responses['200'].content['application/json'].schema.properties.keepCancelledEvents.type, 'boolean');
  });

  test('by default a cancelled segment is deleted from the calendar', async () => {
    world.sandbox.control.clearRequestLog();
    await booking(world, 'POST', '/trips/KEEP-1/segments/R2/cancel');
    await world.syncIdle();
    assert.equal(events().length, 2);
    assert.equal(bySubject('キャンセル').length, 0);
  });

  test('turning the setting on brings the cancelled segment back as 「キャンセル: …」, free, without reminder, saying so in its body', async () => {
    const on = await admin.api('PATCH', '/api/company/settings', { keepCancelledEvents: true });
    assert.deepEqual([on.status, on.body], [200, { keepCancelledEvents: true }]);
    await world.syncIdle();
    assert.equal(events().length, 3, 'the cancelled segment once, the live ones untouched');
    const [kept] = bySubject('キャンセル: ');
    assert.ok(kept, events().map((e) => e.subject).join(' | '));
    assert.match(kept.subject, /^キャンセル: /);
    assert.equal(kept.showAs, 'free');
    assert.equal(kept.isReminderOn, false);
    assert.match(kept.body.content, /^この予約はキャンセルされました。/);
    for (const live of events().filter((e) => e.id !== kept.id)) assert.equal(live.showAs, 'tentative', live.subject);
  });

  test('a segment cancelled while the setting is on is changed in place, not deleted or duplicated', async () => {
    const before = bySubject('宿泊')[0] ?? events().find((e) => e.subject.includes('ホテル'))!;
    assert.ok(before);
    await booking(world, 'POST', '/trips/KEEP-1/segments/H1/cancel');
    await world.syncIdle();
    assert.equal(events().length, 3);
    const after = events().find((e) => e.id === before.id)!;
    assert.match(after.subject, /^キャンセル: /);
    assert.equal(after.showAs, 'free');
    // The same setting sent again reconciles nothing.
    world.sandbox.control.clearRequestLog();
    await admin.api('PATCH', '/api/company/settings', { keepCancelledEvents: true });
    await world.syncIdle();
    assert.equal(world.sandbox.control.requestLog().filter((r) => r.mailbox === mailbox && ['POST', 'PATCH', 'DELETE'].includes(r.method)).length, 0);
  });

  test('the itinerary email of a cancellation, for a company that keeps them, is a REQUEST that keeps the event marked cancelled', async () => {
    const deadline = Date.now() + 15_000;
    let ics = '';
    while (!ics && Date.now() < deadline) {
      for (const name of await readdir(world.outboxDir)) {
        const text = await readFile(path.join(world.outboxDir, name), 'utf8');
        if (text.includes('cancellation-KEEP-1-H1.ics') && text.includes('method=REQUEST')) ics = text;
      }
      if (!ics) await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(ics, 'an email with the hotel cancellation as a REQUEST');
    assert.ok(!/method=CANCEL/i.test(ics), 'no CANCEL: it would remove the event in clients that apply it');
    // The email before the setting (R2's cancellation) was a CANCEL.
    const earlier = await Promise.all((await readdir(world.outboxDir)).map((n) => readFile(path.join(world.outboxDir, n), 'utf8')));
    assert.ok(earlier.some((t) => t.includes('cancellation-KEEP-1-R2.ics') && /method=CANCEL/.test(t)));
  });

  test('turning it off removes the kept cancellations and leaves the live bookings', async () => {
    await admin.api('PATCH', '/api/company/settings', { keepCancelledEvents: false });
    await world.syncIdle();
    assert.equal(events().length, 1);
    assert.equal(bySubject('キャンセル').length, 0);
    assert.equal(events()[0]!.showAs, 'tentative');
  });
});
