// Two `tripcal worker` processes on one PostgreSQL server sharing one backlog of calendar syncs:
// every event written exactly once, no traveler reconciled by both at once, one worker killed with
// SIGKILL mid-backlog and the other finishing its work, and a SIGTERM that lets a worker finish
// the jobs in hand and exit 0. Needs a PostgreSQL server (TEST_DATABASE_URL; CI sets it): PGlite
// belongs to a single process.
//
// Who did what is read off the Graph traffic, not off the workers' word: each worker reaches the
// sandbox's Graph through a tap of its own (fleet.ts), which records the mailbox, the process and
// the time of every request. "Never reconciled by both at once" is checked as: no request of one
// process to a mailbox overlaps in time with a request of the other to that mailbox. Each reconcile
// keeps a batch in flight from its first Graph request to its last (latency 120 ms per request
// here), so two reconciles of one traveler at once would show as overlapping requests.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { TestSandbox } from '../../sandbox/test/helpers.ts';
import { createOutlookProvider } from '../../src/calendars/outlook/index.ts';
import { bookings as makeBookings, type Bookings } from '../../src/store/bookings.ts';
import { openStore, type Store } from '../../src/store/database.ts';
import { secretBox } from '../../src/store/secret-box.ts';
import { hashPassword } from '../../src/store/sessions.ts';
import { syncOnBookingChange } from '../../src/sync/sync-jobs.ts';
import { PASSWORD, connectTraveler, setUpCompany, type Company, type World } from '../support/outlook-world.ts';
import { storeKinds } from '../support/stores.ts';
import { calendarProblems, confirmedSegments } from '../support/sync-faults.ts';
import {
  browsingWorld, createFleetCompany, inParallel, interleaved, objectIdOf, spawnWorker, startFleetSandbox, startGraphTap, startProductServer, syncQueueIdle,
  tripsOf, until, type GraphTap, type TappedRequest, type WorkerProcess,
} from './fleet.ts';

// More travelers than one worker process takes at once (64), so both are sure to get a share.
const TRAVELERS = 80;
const SEGMENTS = 5;
const LATENCY_MS = 120;
const serverUrl = process.env.TEST_DATABASE_URL;

describe('two worker processes on PostgreSQL', { skip: serverUrl ? false : 'TEST_DATABASE_URL is not set: two worker processes need a PostgreSQL server (PGlite is single-process)' }, () => {
  let sandbox: TestSandbox;
  let store: Store;
  let bookings: Bookings;
  let company: Company;
  let world: World;
  let databaseUrl: string;
  let dropDatabase: () => Promise<void>;
  let closeServer: () => Promise<void>;
  let dataDir: string;
  const tokenKey = randomBytes(32);
  const log: TappedRequest[] = [];
  const taps: GraphTap[] = [];
  const workers: WorkerProcess[] = [];
  let survivorLabel = 'B';

  const worker = async (label: string): Promise<WorkerProcess> => {
    const tap = await startGraphTap(sandbox, label, log);
    taps.push(tap);
    const w = spawnWorker({ databaseUrl, dataDir, tokenKey, sandbox, graphUrl: tap.url });
    workers.push(w);
    return w;
  };
  const tapOf = (label: string) => taps.find((t) => t.label === label)!;

  async function assertCalendarsComplete(): Promise<void> {
    for (const t of company.travelers) {
      const segments = await confirmedSegments(store.db, t.id);
      const events = sandbox.control.mailboxEvents(objectIdOf(sandbox, t.email));
      assert.deepEqual(calendarProblems(events, segments), [], t.email);
      assert.equal(events.length, segments.size, t.email);
    }
  }

  before(async () => {
    const kind = storeKinds().find((k) => k.name === 'postgres')!;
    const created = await kind.create();
    databaseUrl = created.options.databaseUrl!;
    dropDatabase = created.drop;
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'tripcal-scale-'));
    sandbox = await startFleetSandbox(TRAVELERS);
    store = await openStore({ ...created.options, retryDelaySeconds: 1 });
    const box = secretBox([tokenKey]);
    const provider = createOutlookProvider({ clientId: sandbox.app.clientId, clientSecret: sandbox.app.clientSecret, authorityHost: sandbox.url, graphUrl: sandbox.url, caPem: sandbox.caPem });
    bookings = makeBookings(store, { onChange: [syncOnBookingChange(store)] });
    const { server, baseUrl } = await startProductServer({ store, bookings, provider, box });
    closeServer = () => server.close().then(() => {});
    company = await createFleetCompany(store.db, sandbox, await hashPassword(PASSWORD));
    world = browsingWorld(baseUrl);
    // The bookings exist before anyone connects: connecting queues each traveler's backfill. No
    // worker runs yet, so the whole backlog is waiting when the two start.
    for (const [i, t] of company.travelers.entries()) for (const trip of tripsOf(t.email, SEGMENTS, `S${i}`)) await bookings.create(company.id, trip);
    await setUpCompany(world, company, `it-admin@${company.admin.email.split('@')[1]}`);
    await inParallel(company.travelers, 4, async (t) => {
      await connectTraveler(world, t.email);
    });
    sandbox.control.setLatency(LATENCY_MS);
  });

  after(async () => {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    for (const t of taps) await t.close();
    await closeServer?.();
    await store?.close();
    await sandbox?.stop();
    await dropDatabase?.();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  test('one killed with SIGKILL mid-backlog: the other finishes, every event once, no traveler reconciled by both at once', async (t) => {
    const pair = { A: await worker('A'), B: await worker('B') };
    await Promise.all([pair.A.ready, pair.B.ready]);
    // Both are at work, and one holds a batch of creates in flight: kill that one there.
    const creating = (via: 'A' | 'B') => tapOf(via).inFlight().filter((r) => r.methods.startsWith('POST'));
    let victim: 'A' | 'B' = 'A';
    await until('both workers writing, one with creates in flight', () => {
      if (log.filter((r) => r.via === 'A').length < 2 || log.filter((r) => r.via === 'B').length < 2) return false;
      victim = creating('A').length ? 'A' : 'B';
      return creating(victim).length > 0;
    }, 30_000, 2);
    const survivor = victim === 'A' ? 'B' : 'A';
    const killedMailboxes = [...new Set(creating(victim).map((r) => r.mailbox))];
    const killedAt = performance.now();
    pair[victim].child.kill('SIGKILL');
    assert.equal((await pair[victim].exited).signal, 'SIGKILL');

    // The job in hand comes back once its heartbeat (10 s) is seen missed. pg-boss looks for missed
    // heartbeats in its queue-monitor pass, which runs every monitorIntervalSeconds (default 60 s,
    // not set by src/store/database.ts), so the job may wait up to ~70 s: hence the long timeout.
    await syncQueueIdle(store.db, 100_000);
    await assertCalendarsComplete();
    for (const mailbox of killedMailboxes) {
      assert.ok(log.some((r) => r.via === survivor && r.mailbox === mailbox && r.start > killedAt && r.status === 200), `${survivor} finished ${mailbox}, where ${victim} was killed mid-batch`);
    }
    assert.deepEqual(interleaved(log).map(([x, y]) => `${x.mailbox}: ${x.via} ${x.start.toFixed(0)}-${x.end.toFixed(0)} / ${y.via} ${y.start.toFixed(0)}-${y.end.toFixed(0)}`), []);
    const byProcess = (via: string) => new Set(log.filter((r) => r.via === via).map((r) => r.mailbox)).size;
    const takenOver = Math.min(...log.filter((r) => r.via === survivor && killedMailboxes.includes(r.mailbox) && r.start > killedAt).map((r) => r.start));
    t.diagnostic(`mailboxes served: ${victim} ${byProcess(victim)} (killed while creating in ${killedMailboxes.length}), ${survivor} ${byProcess(survivor)}; Graph requests: ${log.length}; the killed jobs back with ${survivor} ${((takenOver - killedAt) / 1000).toFixed(1)} s after the kill`);
    survivorLabel = survivor;
  });

  test('SIGTERM mid-backlog: the worker finishes the jobs in hand and exits 0; nothing is lost', async (t) => {
    const retriedJobs = async () =>
      (await store.db.selectFrom('pgboss.job' as any).select('id' as any).where('name' as any, '=', 'calendar-sync').where('retry_count' as any, '>', 0).execute()).map((r) => String((r as { id: unknown }).id));
    const retriedBefore = new Set(await retriedJobs());
    const c = await worker('C');
    await c.ready;
    const before = log.length;
    // A new backlog: every traveler gets a changed seat and a new trip (one PATCH and four creates each),
    // while the survivor of the first test works beside C.
    await inParallel(company.travelers, 4, async (trav, i) => {
      const [trip] = tripsOf(trav.email, 4, `S${i}`);
      const segments = trip!.segments.map((s) => (s.type === 'rail' && s.ref === 'R1' ? { ...s, seat: '99A' } : s));
      await bookings.change(company.id, trip!.bookingRef, { segments });
      for (const more of tripsOf(trav.email, 4, `T${i}`)) await bookings.create(company.id, more);
    });
    await until('C with a batch in flight', () => tapOf('C').inFlight().some((r) => r.mailbox !== '?'), 30_000, 5);
    const inFlightAtTerm = tapOf('C').inFlight();
    const inHand = [...new Set(inFlightAtTerm.map((r) => r.mailbox))];
    const termAt = performance.now();
    c.child.kill('SIGTERM');
    const exit = await c.exited;
    const exitedAt = performance.now();
    assert.deepEqual(exit, { code: 0, signal: null }, c.output().slice(-2000));
    // The batches in flight at SIGTERM were answered and C exited after their answers, not before.
    for (const r of inFlightAtTerm) assert.ok(r.status === 200 && r.end <= exitedAt, `C's batch to ${r.mailbox} answered before C exited`);
    assert.ok(!log.some((r) => r.via === 'C' && r.start > exitedAt), 'no Graph request after exit');

    await syncQueueIdle(store.db, 60_000);
    // C finished its jobs: none of them was failed by pg-boss (a missed heartbeat, an expiry) and retried.
    assert.deepEqual((await retriedJobs()).filter((id) => !retriedBefore.has(id)), []);
    await assertCalendarsComplete();
    assert.deepEqual(interleaved(log).map(([x, y]) => `${x.mailbox}: ${x.via} / ${y.via}`), []);
    const phase = log.slice(before);
    t.diagnostic(`after SIGTERM: C exited 0 in ${(exitedAt - termAt).toFixed(0)} ms finishing its jobs in hand: after SIGTERM, ${log.filter((r) => r.via === 'C' && r.start >= termAt).length} Graph requests to ${new Set(log.filter((r) => r.via === 'C' && r.start >= termAt).map((r) => r.mailbox)).size} mailboxes; Graph requests this phase: C ${phase.filter((r) => r.via === 'C').length}, ${survivorLabel} ${phase.filter((r) => r.via === survivorLabel).length}`);
  });
});
