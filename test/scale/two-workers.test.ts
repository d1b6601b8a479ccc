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

const TRAVELERS = 20;
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
    const a = await worker('A');
    const b = await worker('B');
    await Promise.all([a.ready, b.ready]);
    // Both are at work and A has finished a few batches; A holds a batch of creates in flight: kill it there.
    const creating = () => tapOf('A').inFlight().filter((r) => r.methods.startsWith('POST'));
    await until('both workers writing, A with creates in flight', () => log.some((r) => r.via === 'B') && log.filter((r) => r.via === 'A').length >= 4 && creating().length > 0, 30_000, 2);
    const killedMailboxes = [...new Set(creating().map((r) => r.mailbox))];
    const killedAt = performance.now();
    a.child.kill('SIGKILL');
    assert.equal((await a.exited).signal, 'SIGKILL');

    // A's job in hand comes back once its heartbeat (10 s) is seen missed. pg-boss looks for missed
    // heartbeats in its queue-monitor pass, which runs every monitorIntervalSeconds (default 60 s,
    // not set by src/store/database.ts), so the job may wait up to ~70 s: hence the long timeout.
    await syncQueueIdle(store.db, 100_000);
    await assertCalendarsComplete();
    for (const mailbox of killedMailboxes) {
      assert.ok(log.some((r) => r.via === 'B' && r.mailbox === mailbox && r.start > killedAt && r.status === 200), `B finished ${mailbox}, where A was killed mid-batch`);
    }
    assert.deepEqual(interleaved(log).map(([x, y]) => `${x.mailbox}: ${x.via} ${x.start.toFixed(0)}-${x.end.toFixed(0)} / ${y.via} ${y.start.toFixed(0)}-${y.end.toFixed(0)}`), []);
    const byProcess = (via: string) => new Set(log.filter((r) => r.via === via).map((r) => r.mailbox)).size;
    const takenOver = Math.min(...log.filter((r) => r.via === 'B' && killedMailboxes.includes(r.mailbox) && r.start > killedAt).map((r) => r.start));
    t.diagnostic(`mailboxes served: A ${byProcess('A')} (killed while in ${killedMailboxes.length}), B ${byProcess('B')}; Graph requests: ${log.length}; A's job in hand back with B ${((takenOver - killedAt) / 1000).toFixed(1)} s after the kill`);
    assert.ok(byProcess('A') >= 1 && byProcess('B') >= 1, 'both workers took part');
  });

  test('SIGTERM mid-backlog: the worker finishes the jobs in hand and exits 0; nothing is lost', async (t) => {
    const c = await worker('C');
    await c.ready;
    const before = log.length;
    // A new backlog: every traveler gets a changed seat and a new trip (one PATCH and four creates each).
    await inParallel(company.travelers, 4, async (trav, i) => {
      const [trip] = tripsOf(trav.email, 4, `S${i}`);
      const segments = trip!.segments.map((s) => (s.type === 'rail' && s.ref === 'R1' ? { ...s, seat: '99A' } : s));
      await bookings.change(company.id, trip!.bookingRef, { segments });
      for (const more of tripsOf(trav.email, 4, `T${i}`)) await bookings.create(company.id, more);
    });
    await until('C with a batch in flight', () => tapOf('C').inFlight().some((r) => r.mailbox !== '?'), 30_000, 5);
    const inHand = [...new Set(tapOf('C').inFlight().map((r) => r.mailbox))];
    const termAt = performance.now();
    c.child.kill('SIGTERM');
    const exit = await c.exited;
    const exitedAt = performance.now();
    assert.deepEqual(exit, { code: 0, signal: null }, c.output().slice(-2000));
    // Jobs in hand were finished by C itself after the SIGTERM, not left for B.
    for (const mailbox of inHand) {
      assert.ok(log.some((r) => r.via === 'C' && r.mailbox === mailbox && r.start >= termAt), `C went on writing to ${mailbox} after SIGTERM`);
    }
    assert.ok(!log.some((r) => r.via === 'C' && r.start > exitedAt), 'no Graph request after exit');

    await syncQueueIdle(store.db, 60_000);
    await assertCalendarsComplete();
    assert.deepEqual(interleaved(log).map(([x, y]) => `${x.mailbox}: ${x.via} / ${y.via}`), []);
    const phase = log.slice(before);
    t.diagnostic(`after SIGTERM: C exited 0 in ${(exitedAt - termAt).toFixed(0)} ms having finished ${inHand.length} traveler(s) in hand; Graph requests this phase: C ${phase.filter((r) => r.via === 'C').length}, B ${phase.filter((r) => r.via === 'B').length}`);
  });
});
