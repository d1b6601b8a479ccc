// A traveler who is a B2B guest in the company's Microsoft 365 tenant (their own account lives in
// another tenant): they connect at the company's tenant, and their tokens are refreshed there too,
// never at their home tenant, where the company's consent does not reach.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { findConnection } from '../../src/store/calendar-connections.ts';
import { createUser } from '../../src/store/organisations.ts';
import { hashPassword } from '../../src/store/sessions.ts';
import { connectTraveler, PASSWORD, setUpCompany, startWorld, type World } from '../support/outlook-world.ts';

// Maple's own IT administrator, who also travels for Sakura as a guest of Sakura's tenant.
const GUEST = 'admin@maple-logistics.example';

describe('Outlook: a B2B guest traveler', () => {
  let world: World;
  let guestId: string;
  before(async () => {
    world = await startWorld();
    await setUpCompany(world, world.sakura, 'it-admin@sakura-trading.example');
    // This traveler works for Sakura from Maple's tenant: Sakura's Entra invited him as a guest.
    world.sandbox.control.setUserSettings(GUEST, { guestIn: [world.sakura.tenantId] });
    guestId = (await createUser(world.store.db, world.sakura.id, { email: GUEST, displayName: 'Maple Admin', role: 'traveler', locale: 'ja', timeZone: 'Asia/Tokyo', passwordHash: await hashPassword(PASSWORD) })).id;
  });
  after(() => world?.close());

  const rail = (ref: string, date: string) => ({
    type: 'rail' as const, ref, operator: 'JR東海', trainNumber: 'のぞみ 1号',
    departure: { station: '東京', local: `${date}T08:00`, timeZone: 'Asia/Tokyo' }, arrival: { station: '新大阪', local: `${date}T10:30`, timeZone: 'Asia/Tokyo' },
  });

  test("connects at the company's tenant, and keeps syncing after its access token has expired (refreshed at the company's tenant, not at Maple)", async () => {
    await connectTraveler(world, GUEST);
    const connection = (await findConnection(world.store.db, guestId, 'outlook'))!;
    assert.equal(connection.status, 'connected');
    assert.equal(connection.account_organization, world.sakura.tenantId, 'the account is Sakura’s guest, not Maple’s member');
    await world.bookings.create(world.sakura.id, { bookingRef: 'GUEST-1', travelerEmail: GUEST, segments: [rail('R1', '2027-06-01')] });
    await world.syncIdle();
    assert.equal(world.sandbox.control.mailboxEvents(GUEST).length, 1);

    // Two hours on, every access token has expired: the next write needs a refresh.
    world.sandbox.control.advanceClock(2 * 3_600_000);
    world.sandbox.control.clearRequestLog();
    await world.bookings.create(world.sakura.id, { bookingRef: 'GUEST-2', travelerEmail: GUEST, segments: [rail('R1', '2027-06-08')] });
    await world.syncIdle();
    const after = (await findConnection(world.store.db, guestId, 'outlook'))!;
    assert.deepEqual([after.status, after.status_reason], ['connected', null]);
    assert.equal(world.sandbox.control.mailboxEvents(GUEST).length, 2);
    const refreshes = world.sandbox.control.requestLog().filter((r) => r.path.includes('/oauth2/v2.0/token'));
    assert.ok(refreshes.length >= 1, 'the token was refreshed');
    for (const r of refreshes) {
      assert.ok(r.path.startsWith(`/${world.sakura.tenantId}/`), `refreshed at ${r.path}, not at the company's tenant`);
      assert.equal(r.status, 200);
    }
  });
});
