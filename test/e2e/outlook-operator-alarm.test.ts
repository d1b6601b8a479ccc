// Faults only tripcal's operator can fix: the app's client secret expired (AADSTS7000222) and
// Graph's 507 (storage quota). One alarm: one error line without secrets, the health endpoint
// degraded with the reason, a banner flag for company admins; reconciles wait instead of trying
// every traveler (the token requests during the fault are counted), and recovery clears it all.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connectTraveler, setUpCompany, startWorld, type Browser, type World } from '../support/outlook-world.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Outlook: faults only the operator can fix', () => {
  let world: World;
  let admin: Browser;
  const everyone = () => [world.sakura.admin.email, ...world.sakura.travelers.map((t) => t.email)];
  const rail = (seat: string) => ({
    type: 'rail' as const, ref: 'R1', operator: 'JR東海', trainNumber: 'のぞみ 1号', seat,
    departure: { station: '東京', local: '2027-06-01T08:00', timeZone: 'Asia/Tokyo' }, arrival: { station: '新大阪', local: '2027-06-01T10:30', timeZone: 'Asia/Tokyo' },
  });
  const bookAll = async (seat: string) => {
    for (const email of everyone()) {
      const ref = `OPS-${email.split('@')[0]}`;
      const trip = { bookingRef: ref, travelerEmail: email, segments: [rail(seat)] };
      if (seat === '1A') await world.bookings.create(world.sakura.id, trip);
      else await world.bookings.change(world.sakura.id, ref, trip);
    }
  };
  /** Whether each person's calendar holds exactly one event, showing this seat (an update names the old one too, as a change). */
  const showsSeat = (seat: string) => everyone().every((email) => {
    const events = world.sandbox.control.mailboxEvents(email);
    return events.length === 1 && JSON.stringify(events[0]).includes(seat);
  });
  const health = async () => (await (await fetch(`${world.baseUrl}/healthz`)).json()) as { ok: boolean; status?: string; calendars?: Array<{ provider: string; reason: string }> };
  const tokenRequests = () => world.sandbox.control.requestLog().filter((r) => r.path.includes('/oauth2/v2.0/token'));

  before(async () => {
    // One reconcile at a time: each traveler's reconcile after the first meets the alarm, not the
    // fault. (With N reconciles in flight when the fault starts, each of those meets it once.)
    world = await startWorld({ operatorBackoff: { firstMs: 3000, maxMs: 6000 }, syncConcurrency: 1 });
    admin = await setUpCompany(world, world.sakura, 'it-admin@sakura-trading.example');
    for (const t of world.sakura.travelers) await connectTraveler(world, t.email);
    await bookAll('1A');
    await world.syncIdle();
    assert.ok(showsSeat('1A'));
  });
  after(() => world?.close());

  test('an expired client secret: one alarm, no request per traveler while it lasts; recovery catches up and clears it', async () => {
    world.sandbox.control.setAppSettings({ secretExpired: true });
    world.sandbox.control.advanceClock(2 * 3_600_000); // every access token has expired: each write needs the token endpoint
    world.sandbox.control.clearRequestLog();
    await bookAll('2B');
    await sleep(2500);
    assert.ok(!showsSeat('2B'), 'nothing written during the fault');

    const during = tokenRequests();
    assert.equal(during.length, 1, `${during.length} token requests for ${everyone().length} travelers with changes`);
    assert.ok(during.every((r) => r.status === 401));
    const errors = world.syncLog.filter((l) => l.level === 'error');
    assert.equal(errors.length, 1, 'one error line, not one per traveler');
    assert.match(errors[0]!.line, /AADSTS7000222/);
    assert.ok(!errors[0]!.line.includes(world.sandbox.app.clientSecret), 'no secret in the log');
    const degraded = await health();
    assert.equal(degraded.status, 'degraded');
    assert.deepEqual(degraded.calendars?.map((c) => [c.provider, c.reason]), [['outlook', 'AADSTS7000222']]);
    const company = await admin.api('GET', '/api/company/calendars/outlook');
    assert.ok(company.body.operatorAlarm?.since, 'the admin’s banner is on');

    // The operator puts a new secret in place: the next try succeeds and everyone catches up.
    world.sandbox.control.setAppSettings({ secretExpired: false });
    const deadline = Date.now() + 30_000;
    while ((await health()).status === 'degraded') {
      assert.ok(Date.now() < deadline, 'the alarm clears after the fault is gone');
      await sleep(300);
    }
    await world.syncIdle(60_000);
    assert.ok(showsSeat('2B'), 'every booking made during the fault reached its calendar');
    assert.ok(world.syncLog.some((l) => l.level === 'info' && /works again/.test(l.line)));
    assert.equal((await admin.api('GET', '/api/company/calendars/outlook')).body.operatorAlarm, undefined);
  });

  test("Graph's 507 (storage quota) raises the alarm too, and the next successful try clears it", async () => {
    const before = world.syncLog.length;
    world.sandbox.control.addFault({ kind: 507, target: 'graph', pathContains: '/events', times: 1 });
    await bookAll('3C');
    const deadline = Date.now() + 30_000;
    while (!world.syncLog.slice(before).some((l) => l.level === 'error')) {
      assert.ok(Date.now() < deadline, 'the 507 raised the alarm');
      await sleep(200);
    }
    assert.match(world.syncLog.slice(before).find((l) => l.level === 'error')!.line, /ErrorQuotaExceeded/);
    await world.syncIdle(60_000);
    assert.ok(showsSeat('3C'));
    assert.equal((await health()).status, undefined, 'healthy again');
  });
});
