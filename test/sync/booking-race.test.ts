// A booking being committed while its traveler's reconcile is waiting is not lost: the queue keeps
// one waiting job per traveler, so the booking queues nothing new and counts on that job, which
// must not start before the booking has committed. On a PostgreSQL server (the embedded database
// has one session, so there the two cannot overlap).
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { TripChange } from '../../src/domain/types.ts';
import { openStore, QUEUES, type Store } from '../../src/store/database.ts';
import { createOrganisation, createUser } from '../../src/store/organisations.ts';
import { loadSyncState } from '../../src/store/calendar-connections.ts';
import { secretBox } from '../../src/store/secret-box.ts';
import { enqueueSync, syncOnBookingChange } from '../../src/sync/sync-jobs.ts';
import { connectOutlook, enableOutlook } from '../support/connections.ts';
import { storeKinds } from '../support/stores.ts';

const server = storeKinds().find((k) => k.name === 'postgres');

describe('a booking committing while its traveler is being reconciled', { skip: server ? false : 'TEST_DATABASE_URL is not set' }, () => {
  let store: Store;
  let drop: () => Promise<void>;
  let travelerId: string;
  let connectionId: string;
  let organisationId: string;

  before(async () => {
    const created = await server!.create();
    drop = created.drop;
    store = await openStore(created.options);
    const org = await createOrganisation(store.db, 'Sakura Trading');
    organisationId = org.id;
    travelerId = (await createUser(store.db, org.id, { email: 'taro@sakura.example', displayName: '山田 太郎', role: 'traveler', locale: 'ja', timeZone: 'Asia/Tokyo' })).id;
    await enableOutlook(store.db, org.id);
    connectionId = await connectOutlook(store.db, secretBox([randomBytes(32)]), { userId: travelerId, organisationId: org.id, email: 'taro@sakura.example', name: '山田 太郎' });
  });
  after(async () => {
    await store?.close();
    await drop?.();
  });

  test('a waiting reconcile is not started before the booking that counts on it has committed, and then sees its trip', async () => {
    // The traveler's reconcile is waiting (queued, no worker has taken it).
    await enqueueSync(store, undefined, connectionId);
    let commit!: () => void;
    const committing = new Promise<void>((resolve) => (commit = resolve));
    let hookRan!: () => void;
    const hooked = new Promise<void>((resolve) => (hookRan = resolve));
    const booking = store.db.transaction().execute(async (tx) => {
      const tripId = randomUUID();
      await tx.insertInto('trips').values({ id: tripId, organisation_id: organisationId, traveler_id: travelerId, booking_ref: 'RACE-1', title: null, version: 1, status: 'active' }).execute();
      await tx.insertInto('segments').values({
        id: randomUUID(), trip_id: tripId, ref: 'R1', kind: 'rail', status: 'confirmed', sequence: 0, position: 0, starts_at: new Date('2027-06-01T08:00:00+09:00'), ends_at: new Date('2027-06-01T10:30:00+09:00'),
        details: JSON.stringify({ type: 'rail', operator: 'JR東海', trainNumber: 'のぞみ 1号', departure: { station: '東京', local: '2027-06-01T08:00', timeZone: 'Asia/Tokyo' }, arrival: { station: '新大阪', local: '2027-06-01T10:30', timeZone: 'Asia/Tokyo' } }),
      }).execute();
      await syncOnBookingChange(store)(tx, { trip: { travelerId } } as TripChange);
      hookRan();
      await committing;
    });
    await hooked;
    // A worker looks for work while the booking is still being committed: the waiting job is not
    // handed out (the booking queued nothing new: it counts on that one).
    let early: Array<{ id: string }>;
    try {
      early = await store.boss.fetch(QUEUES.calendarSync);
    } finally {
      commit();
      await booking;
    }
    assert.deepEqual(early, []);
    const jobs = await store.boss.fetch<{ connectionId: string }>(QUEUES.calendarSync);
    assert.deepEqual(jobs.map((j) => j.data.connectionId), [connectionId], 'once committed, the one waiting job is handed out');
    const trips = (await loadSyncState(store.db, connectionId))!.work!.trips;
    assert.deepEqual(trips.map((t) => t.bookingRef), ['RACE-1'], 'and its reconcile sees the trip');
    await store.boss.complete(QUEUES.calendarSync, jobs.map((j) => j.id));
  });
});
