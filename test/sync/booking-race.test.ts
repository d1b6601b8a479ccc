// Every committed booking change reaches a reconcile that reads it. The queue keeps one waiting
// job per traveler, so a change that meets a waiting job queues nothing new and counts on that job,
// which must then not start before the change has committed, whatever order two changes and a
// worker meet in. The first suite needs a PostgreSQL server (on the embedded database, with one
// session, a worker cannot look while a booking is being committed); the second runs on both.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { fromKysely } from 'pg-boss';
import type { TripChange } from '../../src/domain/types.ts';
import { bookings as makeBookings, type Bookings } from '../../src/store/bookings.ts';
import { openStore, QUEUES, type Db, type Store, type Tx } from '../../src/store/database.ts';
import { createOrganisation, createUser } from '../../src/store/organisations.ts';
import { loadSyncState } from '../../src/store/calendar-connections.ts';
import { secretBox } from '../../src/store/secret-box.ts';
import { parseTravelerTrips, travelerTripsJson } from '../../src/store/trips.ts';
import { enqueueSync, enqueueSyncs, syncOnBookingChange } from '../../src/sync/sync-jobs.ts';
import { tripInput } from '../fixtures/trips.ts';
import { connectOutlook, enableOutlook } from '../support/connections.ts';
import { blockedBehind, Gate } from '../support/gates.ts';
import { freshStore, storeKinds } from '../support/stores.ts';

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

  test('queueing several travelers in one transaction (turning sync on) keeps their waiting reconciles until it has committed', async () => {
    const emily = (await createUser(store.db, organisationId, { email: 'emily@sakura.example', displayName: 'Emily Clark', role: 'traveler', locale: 'en', timeZone: 'Asia/Tokyo' })).id;
    const other = await connectOutlook(store.db, secretBox([randomBytes(32)]), { userId: emily, organisationId, email: 'emily@sakura.example' });
    await enqueueSync(store, undefined, connectionId);
    await enqueueSync(store, undefined, other);
    let commit!: () => void;
    const committing = new Promise<void>((resolve) => (commit = resolve));
    let queued!: () => void;
    const inTx = new Promise<void>((resolve) => (queued = resolve));
    const switching = store.db.transaction().execute(async (tx) => {
      // (The sync switch writes the setting here too.)
      await enqueueSyncs(store, tx, [connectionId, other]);
      queued();
      await committing;
    });
    await inTx;
    let early: Array<{ id: string }>;
    try {
      early = await store.boss.fetch(QUEUES.calendarSync, { batchSize: 10 });
    } finally {
      commit();
      await switching;
    }
    assert.deepEqual(early, [], 'no reconcile starts before the switch has committed');
    const jobs = await store.boss.fetch<{ connectionId: string }>(QUEUES.calendarSync, { batchSize: 10 });
    assert.deepEqual(jobs.map((j) => j.data.connectionId).sort(), [connectionId, other].sort());
    await store.boss.complete(QUEUES.calendarSync, jobs.map((j) => j.id));
  });
});

// Two booking changes for one traveler committing at the same moment. Change A has queued the
// traveler's reconcile and not yet committed; change B meets A's job (one waiting job per
// traveler) and queues nothing of its own. B must still end up reconciled after it commits,
// whatever a worker does in between. The interleavings are made with gates (a booking hook that
// waits before its transaction commits) and observed through the server's lock waits, never timed.
// The embedded database has one session, so there B cannot start before A ends; the same scenario
// must still hold.
for (const kind of storeKinds()) {
  describe(`two changes for one traveler committing at once (${kind.name})`, () => {
    let store: Store & { dispose(): Promise<void> };
    let organisationId: string;
    const gates = new Map<string, Gate>();
    let bookings: Bookings;

    before(async () => {
      store = await freshStore(kind);
      organisationId = (await createOrganisation(store.db, 'Sakura Trading')).id;
      await enableOutlook(store.db, organisationId);
      // After the sync hook, a booking whose reference has a gate holds its transaction open there.
      bookings = makeBookings(store, {
        onChange: [syncOnBookingChange(store), async (tx, change) => {
          const gate = gates.get(change.trip.bookingRef);
          if (gate) await gate.hold(tx);
        }],
      });
    });
    after(async () => {
      for (const gate of gates.values()) gate.release();
      await store?.dispose();
    });

    /** A traveler with their Outlook connected: the user (whose trips a reconcile reads) and the connection (whose job it runs). */
    async function connectedTraveler(email: string): Promise<{ userId: string; connectionId: string }> {
      const userId = (await createUser(store.db, organisationId, { email, displayName: '山田 太郎', role: 'traveler', locale: 'ja', timeZone: 'Asia/Tokyo' })).id;
      return { userId, connectionId: await connectOutlook(store.db, secretBox([randomBytes(32)]), { userId, organisationId, email, name: '山田 太郎' }) };
    }

    const gate = (bookingRef: string): Gate => {
      const g = new Gate(kind.name);
      gates.set(bookingRef, g);
      return g;
    };

    /** A worker's reconcile: takes the connection's waiting job, reads the traveler's trips as a reconcile does, completes it. */
    async function reconcile(traveler: { userId: string; connectionId: string }, seen: string[][]): Promise<boolean> {
      const jobs = (await store.boss.fetch<{ connectionId: string }>(QUEUES.calendarSync, { batchSize: 10 })).filter((j) => j.data.connectionId === traveler.connectionId);
      if (!jobs.length) return false;
      for (const _ of jobs) seen.push(await tripsRead(traveler.userId));
      await store.boss.complete(QUEUES.calendarSync, jobs.map((j) => j.id));
      return true;
    }

    async function tripsRead(userId: string, db: Db | Tx = store.db): Promise<string[]> {
      const { rows } = await sql<{ trips: string }>`select ${travelerTripsJson(userId)} as trips`.execute(db);
      return parseTravelerTrips(rows[0]!.trips).map((t) => t.bookingRef).sort();
    }

    async function drain(traveler: { userId: string; connectionId: string }, seen: string[][]): Promise<void> {
      while (await reconcile(traveler, seen));
    }

    function assertEverySeen(committed: string[], seen: string[][]): void {
      for (const ref of committed) {
        assert.ok(seen.some((refs) => refs.includes(ref)), `${ref} committed but no reconcile read it afterwards (reconciles read: ${JSON.stringify(seen)})`);
      }
    }

    test("B's enqueue meets A's uncommitted job; a worker runs A's job before B commits: B is still reconciled after it commits", async () => {
      const email = 'a-then-b@sakura.example';
      const traveler = await connectedTraveler(email);
      const seen: string[][] = [];
      const a = gate('RACE-A');
      const b = gate('RACE-B');
      const changeA = bookings.create(organisationId, tripInput(email, { bookingRef: 'RACE-A' }));
      await a.arrived;
      // A has queued the traveler's reconcile and holds its transaction open. B comes in.
      const changeB = bookings.create(organisationId, tripInput(email, { bookingRef: 'RACE-B' }));
      await blockedBehind(store.db, kind.name, a, b);
      a.release();
      await changeA;
      await b.arrived;
      // B's hooks have run; B has not committed. A worker takes the traveler's job now (on the
      // embedded database it waits for B's transaction to end).
      const early = reconcile(traveler, seen);
      if (kind.name === 'postgres') await early;
      b.release();
      await changeB;
      await early;
      await drain(traveler, seen);
      assertEverySeen(['RACE-A', 'RACE-B'], seen);
    });

    test("a worker claims the waiting job after B's enqueue met it and before B locked it: B queues another and is reconciled", async () => {
      const email = 'claimed-between@sakura.example';
      const traveler = await connectedTraveler(email);
      const seen: string[][] = [];
      await bookings.create(organisationId, tripInput(email, { bookingRef: 'CLAIM-A' }));
      // A worker is in the middle of claiming A's waiting job: it holds the job's row.
      let claimed!: () => void;
      const claim = new Promise<void>((resolve) => (claimed = resolve));
      const worker = new Gate(kind.name);
      const b = gate('CLAIM-B');
      const claiming = store.db.transaction().execute(async (tx) => {
        await sql`select id from pgboss.job where name = ${QUEUES.calendarSync} and singleton_key = ${traveler.connectionId} and state = 'created' for update`.execute(tx);
        await worker.hold(tx);
        const jobs = await store.boss.fetch<{ connectionId: string }>(QUEUES.calendarSync, { batchSize: 10, db: fromKysely(tx) });
        claimed();
        return jobs.filter((j) => j.data.connectionId === traveler.connectionId);
      });
      await worker.arrived;
      const changeB = bookings.create(organisationId, tripInput(email, { bookingRef: 'CLAIM-B' }));
      await blockedBehind(store.db, kind.name, worker, b);
      worker.release();
      const jobs = await claiming;
      await claim;
      assert.equal(jobs.length, 1, "the worker claimed A's job");
      await b.arrived;
      // The claimed job's reconcile reads before B commits (on the embedded database, after). Its
      // completion may wait for B: B's lock attempt on the job, though it found the job taken,
      // holds the row until B ends.
      const early = tripsRead(traveler.userId).then((refs) => seen.push(refs));
      if (kind.name === 'postgres') await early;
      b.release();
      await changeB;
      await early;
      await store.boss.complete(QUEUES.calendarSync, jobs.map((j) => j.id));
      await drain(traveler, seen);
      assertEverySeen(['CLAIM-A', 'CLAIM-B'], seen);
    });
  });
}
