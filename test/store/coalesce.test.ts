// Calls that arrive together are served by one statement; each caller still gets its own answer,
// and one caller's bad input fails that caller alone.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { coalesce } from '../../src/store/coalesce.ts';
import { openStore, type Store } from '../../src/store/database.ts';
import { createOrganisation, createUser } from '../../src/store/organisations.ts';
import { loadSyncState } from '../../src/store/calendar-connections.ts';
import { connectOutlook, enableOutlook } from '../support/connections.ts';
import { secretBox } from '../../src/store/secret-box.ts';
import { bookings } from '../../src/store/bookings.ts';
import { manyTrips } from '../support/sync-faults.ts';
import { storeKinds } from '../support/stores.ts';

describe('coalesce', () => {
  test('calls of the same turn share one run; calls made while it runs share the next', async () => {
    const runs: number[][] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const double = coalesce(async (keys: number[]) => {
      runs.push(keys);
      if (runs.length === 1) await held;
      return keys.map((k) => k * 2);
    }, { maxGroup: 100 });
    const first = [1, 2, 3].map((k) => double(k));
    await new Promise((r) => setImmediate(r));
    const second = [4, 5].map((k) => double(k));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(runs, [[1, 2, 3]], 'the second group waits for the first to end');
    release();
    assert.deepEqual(await Promise.all([...first, ...second]), [2, 4, 6, 8, 10]);
    assert.deepEqual(runs, [[1, 2, 3], [4, 5]]);
  });

  test('a lone call is not delayed: it runs at once, alone', async () => {
    const runs: string[][] = [];
    const echo = coalesce(async (keys: string[]) => (runs.push(keys), keys), { maxGroup: 10 });
    assert.equal(await echo('a'), 'a');
    assert.equal(await echo('b'), 'b');
    assert.deepEqual(runs, [['a'], ['b']]);
  });

  test('no group is larger than maxGroup', async () => {
    const sizes: number[] = [];
    const id = coalesce(async (keys: number[]) => (sizes.push(keys.length), keys), { maxGroup: 4 });
    await Promise.all(Array.from({ length: 10 }, (_, i) => id(i)));
    assert.deepEqual(sizes, [4, 4, 2]);
  });

  test('when a group fails, each key is tried alone: only the bad key\'s caller sees the error', async () => {
    const runs: number[][] = [];
    const check = coalesce(async (keys: number[]) => {
      runs.push(keys);
      if (keys.includes(13)) throw new Error('13 breaks a constraint');
      return keys.map(() => 'ok');
    }, { maxGroup: 10 });
    const outcomes = await Promise.allSettled([12, 13, 14].map((k) => check(k)));
    assert.deepEqual(outcomes.map((o) => o.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.match(String((outcomes[1] as PromiseRejectedResult).reason), /13 breaks a constraint/);
    assert.deepEqual(runs, [[12, 13, 14], [12], [13], [14]]);
  });
});

for (const kind of storeKinds()) {
  describe(`reconcile state read together, each traveler their own (${kind.name})`, () => {
    let store: Store;
    let drop: () => Promise<void>;
    const travelers: Array<{ id: string; connectionId: string; email: string; organisationId: string; locale: 'ja' | 'en' }> = [];

    before(async () => {
      const created = await kind.create();
      drop = created.drop;
      store = await openStore(created.options);
      const box = secretBox([randomBytes(32)]);
      const book = bookings(store);
      // Two companies, two travelers each, with different numbers of trips: a mix-up would show.
      for (const [c, name] of ['Sakura Trading', 'Fuji Logistics'].entries()) {
        const org = await createOrganisation(store.db, name);
        await enableOutlook(store.db, org.id, c === 0);
        for (const [i, locale] of (['ja', 'en'] as const).entries()) {
          const email = `t${c}${i}@c${c}.example`;
          const user = await createUser(store.db, org.id, { email, displayName: `T${c}${i}`, role: 'traveler', locale, timeZone: 'Asia/Tokyo' });
          const connectionId = await connectOutlook(store.db, box, { userId: user.id, organisationId: org.id, email });
          for (const trip of manyTrips(email, 1 + 2 * c + i, `C${c}${i}`)) await book.create(org.id, trip);
          travelers.push({ id: user.id, connectionId, email, organisationId: org.id, locale });
        }
      }
    });
    after(async () => {
      await store?.close();
      await drop?.();
    });

    test('reads made at once give each traveler their own connection, language and trips', async () => {
      const unknown = randomUUID();
      const states = await Promise.all([...travelers.map((t) => loadSyncState(store.db, t.connectionId)), loadSyncState(store.db, unknown)]);
      assert.equal(states.at(-1), undefined, 'an unknown connection has no state');
      for (const [i, t] of travelers.entries()) {
        const s = states[i]!;
        assert.equal(s.connection.user_id, t.id);
        assert.equal(s.connection.organisation_id, t.organisationId);
        assert.equal(s.connection.account_name, t.email);
        assert.equal(s.locale, t.locale);
        const c = Number(t.email[1]);
        if (c === 0) {
          assert.equal(s.syncEnabled, true);
          // manyTrips(…, n): n trips, each the traveler's own.
          assert.equal(s.work!.trips.length, 1 + Number(t.email[2]));
          assert.ok(s.work!.trips.every((trip) => trip.travelerId === t.id && trip.organisationId === t.organisationId));
        } else {
          // The other company has sync off: no trips are read for its travelers.
          assert.equal(s.syncEnabled, false);
          assert.equal(s.work, undefined);
        }
      }
    });
  });
}
