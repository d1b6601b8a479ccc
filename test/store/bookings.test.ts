import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BookingValidationError } from '../../src/domain/parse-booking.ts';
import { BookingError, bookings } from '../../src/store/bookings.ts';
import { QUEUES } from '../../src/store/database.ts';
import { createOrganisation, createUser } from '../../src/store/organisations.ts';
import { findTripByRef, listTripChanges } from '../../src/store/trips.ts';
import { flightHndLax, hotelLa, tripInput } from '../fixtures/trips.ts';
import { blockedBehind, Gate } from '../support/gates.ts';
import { freshStore, storeKinds } from '../support/stores.ts';

for (const kind of storeKinds()) {
  describe(`bookings on ${kind.name}`, () => {
    let store: Awaited<ReturnType<typeof freshStore>>;
    let orgId: string;
    let otherOrgId: string;
    const email = 'taro@example.com';

    before(async () => {
      store = await freshStore(kind);
      orgId = (await createOrganisation(store.db, 'Sakura Trading')).id;
      otherOrgId = (await createOrganisation(store.db, 'Maple Logistics')).id;
      await createUser(store.db, orgId, { email, displayName: '山田 太郎', role: 'traveler', locale: 'ja', timeZone: 'Asia/Tokyo' });
    });
    after(() => store.dispose());

    const mailJobs = async () => (await store.boss.findJobs(QUEUES.itineraryMail)).length;

    test('a new booking stores the trip with flight times in the airports\' zones and queues one email', async () => {
      const before = await mailJobs();
      const { trip, created, change } = await bookings(store).create(orgId, tripInput(email));
      assert.equal(created, true);
      assert.equal(trip.version, 1);
      assert.equal(change?.kind, 'created');
      const flight = trip.segments.find((s) => s.kind === 'flight');
      assert.ok(flight && flight.kind === 'flight');
      assert.equal(flight.departure.timeZone, 'Asia/Tokyo');
      assert.equal(flight.arrival.timeZone, 'America/Los_Angeles');
      assert.equal(flight.sequence, 0);
      assert.equal(await mailJobs(), before + 1);
      const stored = await findTripByRef(store.db, orgId, 'OBT-1001');
      assert.deepEqual(stored, trip);
    });

    test('sending the same booking again changes nothing and sends nothing', async () => {
      const before = await mailJobs();
      const again = await bookings(store).create(orgId, tripInput(email));
      assert.equal(again.created, false);
      assert.equal(again.change, undefined);
      const same = await bookings(store).change(orgId, 'OBT-1001', { title: 'Los Angeles', segments: [flightHndLax, hotelLa] });
      assert.equal(same.change, undefined);
      assert.equal(same.trip.version, 1);
      assert.equal(await mailJobs(), before);
    });

    test('altering one segment keeps its id, bumps its SEQUENCE and the trip version, leaves the other alone', async () => {
      const before = (await findTripByRef(store.db, orgId, 'OBT-1001'))!;
      const moved = { ...flightHndLax, seat: '11K' };
      const { trip, change } = await bookings(store).change(orgId, 'OBT-1001', { segments: [moved, hotelLa] });
      assert.equal(trip.version, 2);
      const oldFlight = before.segments.find((s) => s.ref === 'F1')!;
      const newFlight = trip.segments.find((s) => s.ref === 'F1')!;
      assert.equal(newFlight.id, oldFlight.id);
      assert.equal(newFlight.sequence, oldFlight.sequence + 1);
      assert.equal(trip.segments.find((s) => s.ref === 'H1')!.sequence, 0);
      assert.deepEqual(change?.changedSegmentIds, [newFlight.id]);
    });

    test('a segment left out of a change is cancelled with a higher SEQUENCE', async () => {
      const { trip, change } = await bookings(store).change(orgId, 'OBT-1001', { segments: [{ ...flightHndLax, seat: '11K' }] });
      const hotel = trip.segments.find((s) => s.ref === 'H1')!;
      assert.equal(hotel.status, 'cancelled');
      assert.equal(hotel.sequence, 1);
      assert.deepEqual(change?.cancelledSegmentIds, [hotel.id]);
      assert.equal(trip.status, 'active');
    });

    test('cancelling the whole trip cancels every segment once; a second cancel changes nothing', async () => {
      const { trip, change } = await bookings(store).cancel(orgId, 'OBT-1001');
      assert.equal(trip.status, 'cancelled');
      assert.equal(change?.kind, 'cancelled');
      assert.ok(trip.segments.every((s) => s.status === 'cancelled'));
      const again = await bookings(store).cancel(orgId, 'OBT-1001');
      assert.equal(again.change, undefined);
      const log = await listTripChanges(store.db, trip.id);
      assert.deepEqual(log.map((c) => c.version), [1, 2, 3, 4]);
      assert.deepEqual(log.map((c) => c.kind), ['created', 'changed', 'changed', 'cancelled']);
    });

    test('another company cannot see or change the trip', async () => {
      assert.equal(await findTripByRef(store.db, otherOrgId, 'OBT-1001'), undefined);
      await assert.rejects(bookings(store).cancel(otherOrgId, 'OBT-1001'), (e: unknown) => e instanceof BookingError && e.code === 'trip_not_found');
      await assert.rejects(
        bookings(store).create(otherOrgId, tripInput(email, { bookingRef: 'X-1' })),
        (e: unknown) => e instanceof BookingError && e.field === 'travelerEmail',
      );
    });

    test('a bad segment writes nothing: no trip, no email job', async () => {
      const before = await mailJobs();
      const bad = { ...flightHndLax, ref: 'F9', arrival: { airport: 'ZZZ', local: '2026-12-01T10:50' } };
      await assert.rejects(
        bookings(store).create(orgId, tripInput(email, { bookingRef: 'OBT-BAD', segments: [hotelLa, bad] })),
        (e: unknown) => e instanceof BookingValidationError && e.problems[0].field === 'segments[1].arrival.airport',
      );
      assert.equal(await findTripByRef(store.db, orgId, 'OBT-BAD'), undefined);
      assert.equal(await mailJobs(), before);
    });

    test('a failure after the job is enqueued rolls the job back with the booking', async () => {
      const before = await mailJobs();
      const failing = bookings(store, { onChange: [async () => { throw new Error('crash after enqueue'); }] });
      await assert.rejects(failing.create(orgId, tripInput(email, { bookingRef: 'OBT-ROLLBACK' })), /crash after enqueue/);
      assert.equal(await findTripByRef(store.db, orgId, 'OBT-ROLLBACK'), undefined);
      assert.equal(await mailJobs(), before);
    });

    test('a retried create racing its first try gets the same trip, and writes and sends nothing', async () => {
      const before = await mailJobs();
      const first = new Gate(kind.name);
      const retry = new Gate(kind.name);
      const input = tripInput(email, { bookingRef: 'OBT-TWICE' });
      // The first try holds its transaction open once everything is written; the retry arrives.
      const firstTry = bookings(store, { onChange: [(tx) => first.hold(tx)] }).create(orgId, input);
      await first.arrived;
      const retried = bookings(store, { onChange: [(tx) => retry.hold(tx)] }).create(orgId, input);
      await blockedBehind(store.db, kind.name, first, retry);
      first.release();
      const [made, again] = await Promise.all([firstTry, retried]);
      assert.equal(made.created, true);
      assert.equal(again.created, false);
      assert.equal(again.change, undefined);
      assert.deepEqual(again.trip, made.trip);
      assert.equal(retry.reached, false, 'the retry recorded no change');
      assert.equal((await listTripChanges(store.db, made.trip.id)).length, 1);
      assert.equal(await mailJobs(), before + 1, 'one email');
    });
  });
}
