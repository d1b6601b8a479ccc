// What the itinerary-mail job reads for one change, in one statement: the change as it was, whether
// its email went out, the traveler it goes to (or that it must not: gone, deprovisioned) and the
// company's setting for cancellations.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { bookings } from '../../src/store/bookings.ts';
import { createOrganisation, createUser, updateCompanySettings } from '../../src/store/organisations.ts';
import { findChangeToEmail, listTripChanges, markChangeEmailed } from '../../src/store/trips.ts';
import { setActive } from '../../src/store/users.ts';
import { flightHndLax, hotelLa, tripInput } from '../fixtures/trips.ts';
import { freshStore, storeKinds } from '../support/stores.ts';

for (const kind of storeKinds()) {
  describe(`the email of a booking change on ${kind.name}`, () => {
    let store: Awaited<ReturnType<typeof freshStore>>;
    let orgId: string;
    let travelerId: string;
    const email = 'hanako@example.com';

    before(async () => {
      store = await freshStore(kind);
      orgId = (await createOrganisation(store.db, 'Sakura Trading')).id;
      // A second company's setting must not leak into this one's emails.
      const other = await createOrganisation(store.db, 'Maple Logistics');
      await updateCompanySettings(store.db, other.id, { keepCancelledEvents: true });
      travelerId = (await createUser(store.db, orgId, { email, displayName: '佐藤 花子', role: 'traveler', locale: 'ja', timeZone: 'Asia/Tokyo' })).id;
    });
    after(() => store.dispose());

    test('a new change: the change as recorded, not yet emailed, its active traveler in their language, cancellations removed', async () => {
      const { change } = await bookings(store).create(orgId, tripInput(email));
      const found = await findChangeToEmail(store.db, change!.id);
      const [recorded] = await listTripChanges(store.db, change!.tripId);
      assert.deepEqual(found?.change, recorded);
      assert.equal(found?.emailedAt, null);
      assert.deepEqual(found?.traveler, { id: travelerId, organisationId: orgId, email, displayName: '佐藤 花子', role: 'traveler', locale: 'ja', timeZone: 'Asia/Tokyo', active: true });
      assert.equal(found?.keepCancelled, false);
    });

    test('the company keeping cancelled bookings, an email sent, a traveler deprovisioned: each is read back', async () => {
      const { change } = await bookings(store).change(orgId, 'OBT-1001', { segments: [{ ...flightHndLax, seat: '11K' }, hotelLa] });
      await updateCompanySettings(store.db, orgId, { keepCancelledEvents: true });
      assert.equal((await findChangeToEmail(store.db, change!.id))?.keepCancelled, true);

      const sentAt = new Date('2026-12-05T01:02:03Z');
      await markChangeEmailed(store.db, change!.id, sentAt);
      assert.equal((await findChangeToEmail(store.db, change!.id))?.emailedAt?.toISOString(), sentAt.toISOString());

      await setActive(store.db, orgId, travelerId, false);
      assert.equal((await findChangeToEmail(store.db, change!.id))?.traveler?.active, false);
    });

    test('an unknown change is not found', async () => {
      assert.equal(await findChangeToEmail(store.db, '00000000-0000-4000-8000-000000000000'), undefined);
    });
  });
}
