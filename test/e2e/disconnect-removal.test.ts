// Disconnect with removal while the backfill is still writing: the traveler connects, and 300 ms
// later (creates in flight, some of them answered only after the disconnect, one batch's answers
// lost) disconnects asking for our events to go. The removal runs as the connection's job after
// the reconcile in flight has ended, and the calendar ends empty, for Outlook and for Google.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { findConnection } from '../../src/store/calendar-connections.ts';
import { issueCredential } from '../../src/store/company-credentials.ts';
import { updateCompanySettings } from '../../src/store/organisations.ts';
import { startGoogleWorld, type GoogleWorld } from '../support/google-world.ts';
import { connectTraveler, setUpCompany, startWorld, type World } from '../support/outlook-world.ts';
import { manyTrips } from '../support/sync-faults.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('disconnect with removal during a backfill (Outlook)', () => {
  let world: World;
  before(async () => {
    world = await startWorld();
    await setUpCompany(world, world.sakura, 'it-admin@sakura-trading.example');
    await world.syncIdle();
  });
  after(() => world?.close());

  test('300 ms after connecting, writes in flight and one batch answer lost: nothing of ours is left in the mailbox', async () => {
    const traveler = world.sakura.travelers[0]!;
    for (const trip of manyTrips(traveler.email, 6, 'RACE')) await world.bookings.create(world.sakura.id, trip);
    // Slow Graph, so the backfill of 24 events is still writing when the traveler disconnects; the
    // second $batch is carried out but its answer never arrives (creates whose answers are not recorded).
    world.sandbox.control.setLatency({ ms: 120, mailbox: traveler.email });
    world.sandbox.control.addFault({ kind: 'drop-after', target: 'graph', pathContains: '$batch', mailbox: traveler.email, times: 1 });
    const browser = await connectTraveler(world, traveler.email);
    await sleep(300);
    const written = world.sandbox.control.mailboxEvents(traveler.email).length;
    assert.ok(written < 24, `the backfill is still under way when the traveler disconnects (${written} of 24 written)`);

    const res = await browser.api('DELETE', '/api/me/calendars/outlook?removeEvents=true');
    assert.equal(res.status, 200);
    assert.equal(res.body.status, 'disconnected', 'the answer comes at once; the removal is a job');
    await world.syncIdle(60_000);
    assert.deepEqual(world.sandbox.control.mailboxEvents(traveler.email).map((e) => e.subject), []);
    const connection = (await findConnection(world.store.db, traveler.id, 'outlook'))!;
    assert.deepEqual([connection.status, connection.status_reason], ['disconnected', null]);
    const credential = await world.store.db.selectFrom('calendar_connections').select(['credential', 'access_token']).where('id', '=', connection.id).executeTakeFirstOrThrow();
    assert.deepEqual(credential, { credential: null, access_token: null }, 'the credential goes once the removal is done');
    const records = await world.store.db.selectFrom('calendar_events').select('segment_id').where('connection_id', '=', connection.id).execute();
    assert.equal(records.length, 0);
    world.sandbox.control.setLatency(0);

    // A booking change later writes nothing to the disconnected calendar.
    await world.bookings.create(world.sakura.id, manyTrips(traveler.email, 1, 'LATER')[0]!);
    await world.syncIdle();
    assert.equal(world.sandbox.control.mailboxEvents(traveler.email).length, 0);
  });
});

describe('deprovisioned with removal during a backfill (Outlook, SCIM)', () => {
  let world: World;
  before(async () => {
    world = await startWorld();
    await setUpCompany(world, world.sakura, 'it-admin@sakura-trading.example');
    await updateCompanySettings(world.store.db, world.sakura.id, { removeEventsOnDeprovision: true });
    await world.syncIdle();
  });
  after(() => world?.close());

  test('the identity provider deactivates the traveler 300 ms after they connect: nothing of ours is left, the connection closed as deprovisioned', async () => {
    const traveler = world.sakura.travelers[1]!;
    const scimToken = (await issueCredential(world.store.db, world.sakura.id, 'scim')).key;
    for (const trip of manyTrips(traveler.email, 6, 'SCIM')) await world.bookings.create(world.sakura.id, trip);
    world.sandbox.control.setLatency({ ms: 120, mailbox: traveler.email });
    world.sandbox.control.addFault({ kind: 'drop-after', target: 'graph', pathContains: '$batch', mailbox: traveler.email, times: 1 });
    await connectTraveler(world, traveler.email);
    await sleep(300);
    const written = world.sandbox.control.mailboxEvents(traveler.email).length;
    assert.ok(written < 24, `the backfill is still under way when the traveler is deactivated (${written} of 24 written)`);

    const res = await fetch(`${world.baseUrl}/scim/v2/Users/${traveler.id}`, {
      method: 'PATCH', headers: { authorization: `Bearer ${scimToken}`, 'content-type': 'application/scim+json' },
      body: JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] }),
    });
    assert.equal(res.status, 200, await res.text());
    await world.syncIdle(60_000);
    assert.deepEqual(world.sandbox.control.mailboxEvents(traveler.email).map((e) => e.subject), []);
    const connection = (await findConnection(world.store.db, traveler.id, 'outlook'))!;
    assert.deepEqual([connection.status, connection.status_reason], ['disconnected', 'deprovisioned']);
    const credential = await world.store.db.selectFrom('calendar_connections').select(['credential', 'access_token']).where('id', '=', connection.id).executeTakeFirstOrThrow();
    assert.deepEqual(credential, { credential: null, access_token: null });
    world.sandbox.control.setLatency(0);
  });
});

describe('disconnect with removal during a backfill (Google)', () => {
  let world: GoogleWorld;
  before(async () => {
    world = await startGoogleWorld();
    const admin = world.browser();
    await admin.logIn(world.sakura.admin.email);
    assert.equal((await admin.api('PUT', '/api/company/calendars/google/sync', { enabled: true })).status, 200);
  });
  after(() => world?.close());

  test('300 ms after connecting, writes in flight and one insert answer lost: nothing of ours is left in the calendar', async () => {
    const traveler = world.sakura.travelers[0]!;
    for (const trip of manyTrips(traveler.email, 6, 'RACE')) await world.bookings.create(world.sakura.id, trip);
    world.google.control.setLatency(80);
    world.google.control.setFaults([{ kind: 'drop-after', user: traveler.email, method: 'POST', pathContains: '/events', times: 1 }]);
    const browser = world.browser();
    await browser.logIn(traveler.email);
    const start = await browser.api('POST', '/api/me/calendars/google/connect', { returnTo: 'home' });
    const landed = await browser.follow(await world.googleRedirect(start.body.url, traveler.email));
    assert.equal(landed.searchParams.get('result'), 'connected');
    await sleep(300);
    const written = world.google.control.events(traveler.email).length;
    assert.ok(written < 24, `the backfill is still under way when the traveler disconnects (${written} of 24 written)`);

    const res = await browser.api('DELETE', '/api/me/calendars/google?removeEvents=true');
    assert.equal(res.status, 200);
    assert.equal(res.body.status, 'disconnected');
    await world.syncIdle(60_000);
    assert.deepEqual(world.google.control.events(traveler.email).map((e) => e.summary), []);
    const connection = (await findConnection(world.store.db, traveler.id, 'google'))!;
    assert.deepEqual([connection.status, connection.status_reason], ['disconnected', null]);
    world.google.control.setLatency(0);
  });
});
