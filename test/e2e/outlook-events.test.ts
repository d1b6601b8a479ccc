// How Outlook events are written and found on a real mailbox, end to end through the product and
// the sandbox: a first connect finds our events with one paged query per calendar, a reconnect to a
// mailbox already holding them writes nothing, an event the traveler moved to another calendar is
// followed and one moved to Deleted Items counts as deleted, a booking change keeps the traveler's
// categories and reminder, a past event has no reminder, and a create whose transactionId was spent
// ends synced, not failed.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { LoggedRequest } from '../../sandbox/request-log.ts';
import type { SegmentInput } from '../../src/domain/booking-schema.ts';
import { calendarProviders } from '../../src/calendars/registry.ts';
import { findTripByRef } from '../../src/store/trips.ts';
import { reconcileConnection } from '../../src/sync/reconcile-connection.ts';
import { connectTraveler, objectId, setUpCompany, startWorld, type World } from '../support/outlook-world.ts';

const SEGMENTS = 40;

const rail = (ref: string, date: string, hour = 8, seat = '12E'): SegmentInput => ({
  type: 'rail', ref, operator: 'JR東海', trainNumber: `のぞみ ${ref}`, car: '7', seat,
  departure: { station: '東京', local: `${date}T${String(hour).padStart(2, '0')}:00`, timeZone: 'Asia/Tokyo' },
  arrival: { station: '新大阪', local: `${date}T${String(hour + 2).padStart(2, '0')}:30`, timeZone: 'Asia/Tokyo' },
});
/** A date `days` from the sandbox clock's today, in Tokyo. */
const dayFrom = (world: World, days: number) => new Date(world.now().getTime() + days * 86_400_000 + 9 * 3_600_000).toISOString().slice(0, 10);

type StoredEvent = Record<string, unknown> & { id: string };
const keyOf = (e: StoredEvent) => ((e.singleValueExtendedProperties as Array<{ id: string; value: string }> | undefined) ?? []).find((p) => p.id.endsWith('tripcalSegmentKey'))?.value;

describe('Outlook events on a real mailbox: found, followed, kept', () => {
  let world: World;
  let taroOid: string;
  let connectionId: string;
  const taro = () => world.sakura.travelers[0]!;
  const mailbox = () => world.sandbox.control.mailboxEvents(taroOid) as StoredEvent[];
  const items = () => world.sandbox.control.requestLog().filter((r: LoggedRequest) => r.batchId !== undefined && r.mailbox === taroOid);
  const writes = (log: LoggedRequest[]) => log.filter((r) => r.method !== 'GET');
  const mappings = () => world.store.db.selectFrom('calendar_events').selectAll().where('connection_id', '=', connectionId).execute();
  const segmentIdOf = async (bookingRef: string, ref: string) => {
    const trip = await findTripByRef(world.store.db, world.sakura.id, bookingRef);
    return trip!.segments.find((s) => s.ref === ref)!.id;
  };
  const eventOf = async (bookingRef: string, ref: string) => {
    const key = await segmentIdOf(bookingRef, ref);
    return mailbox().find((e) => keyOf(e) === key)!;
  };

  before(async () => {
    world = await startWorld();
    await setUpCompany(world, world.sakura, 'it-admin@sakura-trading.example');
    taroOid = objectId(world, taro().email);
    // Four trips of ten segments each, booked before Taro connects.
    for (let t = 0; t < SEGMENTS / 10; t++) {
      const segments = Array.from({ length: 10 }, (_, i) => rail(`R${i + 1}`, dayFrom(world, 10 + t * 10 + i)));
      await world.bookings.create(world.sakura.id, { bookingRef: `OSA-${t + 1}`, travelerEmail: taro().email, segments });
    }
  });
  after(() => world?.close());

  test('a first connect finds existing events with one paged query per calendar: at most 1.05 Graph requests per event', async () => {
    world.sandbox.control.clearRequestLog();
    await connectTraveler(world, taro().email);
    await world.syncIdle();
    connectionId = (await world.connectionOf(taro().id))!;
    const log = items();
    // The calendars and the default calendar's events, together; the mailbox has no other calendar.
    const reads = log.filter((r) => r.method === 'GET').map((r) => r.path.split('?')[0]);
    assert.deepEqual(reads.sort(), ['/v1.0/me/calendar/events', '/v1.0/me/calendars']);
    assert.equal(writes(log).length, SEGMENTS, 'one POST per event');
    assert.ok(log.length / SEGMENTS <= 1.05, `${log.length} requests for ${SEGMENTS} events`);
    assert.equal(mailbox().length, SEGMENTS);
  });

  test('a reconnect to a mailbox already holding the events writes none of them', async () => {
    // The product's record of what it wrote is gone (a fresh deployment pointed at the same
    // mailboxes, say); the traveler signs in again.
    await world.store.db.deleteFrom('calendar_events').where('connection_id', '=', connectionId).execute();
    world.sandbox.control.clearRequestLog();
    await connectTraveler(world, taro().email);
    await world.syncIdle();
    const log = items();
    assert.equal(writes(log).length, 0, JSON.stringify(writes(log).map((r) => `${r.method} ${r.path}`)));
    assert.equal(log.length, 2, 'the calendars, and our events in the one calendar');
    const rows = await mappings();
    assert.equal(rows.length, SEGMENTS);
    assert.ok(rows.every((r) => r.state === 'synced' && r.event_id));
    assert.equal(mailbox().length, SEGMENTS);
  });

  test('an event the traveler moved to another calendar is updated where it now is, never duplicated', async () => {
    const trips = world.sandbox.control.addCalendar(taroOid, '出張');
    const before = await eventOf('OSA-1', 'R1');
    world.sandbox.control.moveEvent(taroOid, before.id, trips.id);
    const segments = Array.from({ length: 10 }, (_, i) => rail(`R${i + 1}`, dayFrom(world, 10 + i), i === 0 ? 13 : 8));
    await world.bookings.change(world.sakura.id, 'OSA-1', { segments });
    await world.syncIdle();
    const after = await eventOf('OSA-1', 'R1');
    assert.equal(after._immutableId, before._immutableId, 'the same event');
    assert.equal(after._folder, trips.id, 'still in the calendar the traveler chose');
    assert.match(String((after.start as { dateTime: string }).dateTime), /T13:00:00/);
    assert.equal(mailbox().length, SEGMENTS);
    const row = (await mappings()).find((r) => r.event_id === before._immutableId);
    assert.equal(row?.state, 'synced');
  });

  test('an event recorded under its regular id (no longer answering once moved) is found by its key where it now is, and updated there', async () => {
    // Records from before immutable ids hold the regular id, which a move changes.
    const before = await eventOf('OSA-1', 'R2');
    const key = await segmentIdOf('OSA-1', 'R2');
    await world.store.db.updateTable('calendar_events').set({ event_id: before.id }).where('connection_id', '=', connectionId).where('segment_id', '=', key).execute();
    world.sandbox.control.moveEvent(taroOid, before.id, '出張');
    world.sandbox.control.clearRequestLog();
    const segments = Array.from({ length: 10 }, (_, i) => rail(`R${i + 1}`, dayFrom(world, 10 + i), i === 0 ? 13 : i === 1 ? 14 : 8));
    await world.bookings.change(world.sakura.id, 'OSA-1', { segments });
    await world.syncIdle();
    // The listing before the update finds it under its new id: one PATCH, no 404, no second event.
    assert.deepEqual(writes(items()).map((r) => [r.method, r.status]), [['PATCH', 200]]);
    const after = await eventOf('OSA-1', 'R2');
    assert.equal(after._immutableId, before._immutableId);
    assert.match(String((after.start as { dateTime: string }).dateTime), /T14:00:00/);
    assert.equal(mailbox().length, SEGMENTS);
    assert.equal((await mappings()).find((r) => r.segment_id === key)?.event_id, before._immutableId);
  });

  test('an event in Deleted Items counts as deleted by the traveler: it is not updated there, and a changed booking is written anew', async () => {
    const deleted = await eventOf('OSA-2', 'R2');
    world.sandbox.control.moveEvent(taroOid, deleted.id, 'deleteditems');
    const segments = Array.from({ length: 10 }, (_, i) => rail(`R${i + 1}`, dayFrom(world, 20 + i), i === 1 ? 15 : 8));
    world.sandbox.control.clearRequestLog();
    await world.bookings.change(world.sakura.id, 'OSA-2', { segments });
    await world.syncIdle();
    const all = mailbox();
    const inBin = all.find((e) => e._immutableId === deleted._immutableId)!;
    assert.equal(inBin._folder, 'deleteditems');
    assert.deepEqual(inBin.start, deleted.start, 'the event in Deleted Items was not written');
    const key = await segmentIdOf('OSA-2', 'R2');
    const live = all.filter((e) => keyOf(e) === key && e._folder !== 'deleteditems');
    assert.equal(live.length, 1, 'the changed booking is written again, once');
    assert.match(String((live[0]!.start as { dateTime: string }).dateTime), /T15:00:00/);
    assert.deepEqual(writes(items()).map((r) => r.method), ['POST']);
  });

  test("a booking change keeps the categories and reminder the traveler set, and rewrites times and subject", async () => {
    const mine = await eventOf('OSA-3', 'R1');
    world.sandbox.control.editEvent(taroOid, mine.id, { categories: ['出張', '顧客訪問'], reminderMinutesBeforeStart: 45, isReminderOn: true });
    const segments = Array.from({ length: 10 }, (_, i) => (i === 0 ? { ...rail('R1', dayFrom(world, 31), 9), trainNumber: 'のぞみ 99号' } : rail(`R${i + 1}`, dayFrom(world, 30 + i))));
    await world.bookings.change(world.sakura.id, 'OSA-3', { segments });
    await world.syncIdle();
    const after = await eventOf('OSA-3', 'R1');
    assert.deepEqual(after.categories, ['出張', '顧客訪問']);
    assert.equal(after.reminderMinutesBeforeStart, 45);
    assert.equal(after.isReminderOn, true);
    assert.match(String(after.subject), /のぞみ 99号/);
    assert.notEqual(after.subject, mine.subject);
    assert.match(String((after.start as { dateTime: string }).dateTime), new RegExp(`^${dayFrom(world, 31)}T09:00:00`));
  });

  test('a past event is written without a reminder; an upcoming one with it', async () => {
    await world.bookings.create(world.sakura.id, { bookingRef: 'PAST-1', travelerEmail: taro().email, segments: [rail('R1', dayFrom(world, -20))] });
    await world.syncIdle();
    const past = await eventOf('PAST-1', 'R1');
    assert.equal(past.isReminderOn, false);
    assert.equal((await eventOf('OSA-4', 'R1')).isReminderOn, true);
  });

  test('a create whose transactionId was spent (its event deleted before the answer was recorded) ends synced, with one event', async () => {
    await world.bookings.create(world.sakura.id, { bookingRef: 'TXN-1', travelerEmail: taro().email, segments: [rail('R1', dayFrom(world, 60))] });
    await world.syncIdle();
    const key = await segmentIdOf('TXN-1', 'R1');
    const first = await eventOf('TXN-1', 'R1');
    // As if the create's answer had been lost: the record says "creating", no event id; meanwhile
    // the event was deleted for good, so its transactionId is spent.
    await world.store.db.updateTable('calendar_events').set({ state: 'creating', event_id: null }).where('connection_id', '=', connectionId).where('segment_id', '=', key).execute();
    world.sandbox.control.deleteEvent(taroOid, first.id);
    world.sandbox.control.clearRequestLog();
    const outcome = await reconcileConnection({ db: world.store.db, providers: calendarProviders(world.provider), box: world.box, now: world.now }, connectionId);
    assert.deepEqual(outcome, { status: 'done', writes: 1, failed: 0 });
    const refused = items().filter((r) => r.status === 400);
    assert.equal(refused.length, 1, 'Graph refused the spent transactionId once');
    const row = (await mappings()).find((r) => r.segment_id === key)!;
    assert.equal(row.state, 'synced');
    const now = mailbox().filter((e) => keyOf(e) === key);
    assert.equal(now.length, 1);
    assert.equal(now[0]!._immutableId, row.event_id);
  });
});
