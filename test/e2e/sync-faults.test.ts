// Fault tests of the Outlook sync, end to end against the sandbox: a 429 storm, 503s and 504s,
// dropped connections during creates, and a worker process killed mid-backfill. Each ends with the
// traveler's calendar holding exactly one tentative event per confirmed segment, nothing lost,
// nothing twice, and the connection still connected.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openStore, type Store, type StoreOptions } from '../../src/store/database.ts';
import { calendarProviders } from '../../src/calendars/registry.ts';
import { findConnection } from '../../src/store/calendar-connections.ts';
import { startSyncWorker } from '../../src/sync/sync-jobs.ts';
import { storeKinds } from '../support/stores.ts';
import type { SyncWorkerConfig } from '../support/sync-worker-process.ts';
import { connectTraveler, objectId, setUpCompany, startWorld, type Browser, type World } from '../support/outlook-world.ts';
import { calendarProblems, confirmedSegments, countStatus, firstRequest, manyTrips, storm } from '../support/sync-faults.ts';

async function bookMany(world: World, company: World['sakura'], email: string, trips: number, prefix: string): Promise<void> {
  for (const trip of manyTrips(email, trips, prefix)) await world.bookings.create(company.id, trip);
}

/** What the run went through, for the test's output: Graph answers by status, reconcile outcomes. */
function summary(world: World, connectionId: string | undefined, oid: string): string {
  const statuses = new Map<string, number>();
  for (const r of world.sandbox.control.requestLog()) {
    if (r.mailbox !== oid || r.batchId === undefined) continue;
    const k = `${r.method} ${r.status}`;
    statuses.set(k, (statuses.get(k) ?? 0) + 1);
  }
  const outcomes = world.outcomes.filter((o) => o.connectionId === connectionId).map((o) => o.outcome.status);
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
    // The worker is paused while the traveler connects, so the backfill starts once the stage is set.
    await world.stopSync();
    const { browser, oid } = await connect(world, traveler.email);
    world.sandbox.control.setLatency({ ms: 150, mailbox: oid });
    await world.startSync();
    // Once the creates have begun (after the look-up of events written before), for 4 s: 70 % of
    // the time every request of the mailbox is answered 429 with Retry-After: 1.
    await firstRequest(world.sandbox.control, oid, 'POST');
    const s = storm(world.sandbox.control, [{ kind: 429, mailbox: oid, retryAfterSeconds: 1 }], { share: 0.7, minMs: 4000, seed: 429 });
    await s.done;
    await world.syncIdle(60_000);
    world.sandbox.control.setLatency(0);

    t.diagnostic(summary(world, await world.connectionOf(traveler.id), oid));
    assert.ok(countStatus(world.sandbox.control, oid, 429, 'POST') >= 10, 'the storm hit the creates');
    await assertCalendarComplete(world, traveler.id, oid, 32);
    assert.equal((await browser.api('GET', '/api/me/calendars/outlook')).body.status, 'connected');
  });

  test('503s and 504s on a share of the requests: every segment once, the connection still connected', async (t) => {
    const traveler = world.sakura.travelers[1];
    await bookMany(world, world.sakura, traveler.email, 7, 'UNAV');
    await world.stopSync();
    const { browser, oid } = await connect(world, traveler.email);
    world.sandbox.control.setLatency({ ms: 150, mailbox: oid });
    await world.startSync();
    // Once the creates have begun, for up to 3 s: most slices fail two requests each (some items of
    // a batch fail, the others go through), with a 503 (Retry-After 1 s) or a 504 (no Retry-After).
    // 3 s is shorter than the 4 attempts' backoff, so these are all retried inline.
    await firstRequest(world.sandbox.control, oid, 'POST');
    const s = storm(
      world.sandbox.control,
      [{ kind: 503, mailbox: oid, retryAfterSeconds: 1, times: 2 }, { kind: 504, mailbox: oid, times: 2 }],
      {
        share: 0.6, minMs: 1500, maxMs: 3000, seed: 503, sliceMs: 60,
        until: () => countStatus(world.sandbox.control, oid, 503, 'POST') >= 4 && countStatus(world.sandbox.control, oid, 504, 'POST') >= 4,
      },
    );
    await s.done;
    await world.syncIdle(60_000);
    world.sandbox.control.setLatency(0);

    t.diagnostic(summary(world, await world.connectionOf(traveler.id), oid));
    assert.ok(countStatus(world.sandbox.control, oid, 503, 'POST') >= 1, '503s were answered');
    assert.ok(countStatus(world.sandbox.control, oid, 504, 'POST') >= 1, '504s were answered');
    assert.ok(countStatus(world.sandbox.control, oid, 503, 'POST') + countStatus(world.sandbox.control, oid, 504, 'POST') >= 6, 'a share of the creates failed');
    await assertCalendarComplete(world, traveler.id, oid, 28);
    assert.equal((await browser.api('GET', '/api/me/calendars/outlook')).body.status, 'connected');
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

    t.diagnostic(summary(world, await world.connectionOf(traveler.id), oid));
    const log = world.sandbox.control.requestLog().filter((r) => r.mailbox === oid && r.batchId !== undefined && r.method === 'POST');
    assert.ok(log.some((r) => r.status === 0), 'some creates were dropped');
    // More creates carried out than events: those were answers we never saw.
    assert.ok(log.filter((r) => r.status === 201).length > 32, 'Graph carried out creates whose answers were lost');
    await assertCalendarComplete(world, traveler.id, oid, 32);
    assert.equal((await browser.api('GET', '/api/me/calendars/outlook')).body.status, 'connected');
  });

  test('answers lost for good (every retry dropped): the next run finds the created events by their key, nothing created twice', async (t) => {
    // The company admin, connected since before(): their new bookings are written by a plain
    // reconcile (no look-up first).
    const traveler = world.sakura.admin;
    const oid = objectId(world, traveler.email);
    await world.stopSync();
    await bookMany(world, world.sakura, traveler.email, 2, 'LOST');
    world.sandbox.control.clearRequestLog();
    world.sandbox.control.setLatency({ ms: 40, mailbox: oid });
    // The first batch loses one create and with it the answers of the three Graph carried out;
    // then every create is dropped for longer than the 4 attempts' backoff, so the run gives up.
    const dropCreates = { kind: 'drop' as const, mailbox: oid, method: 'POST', pathContains: '/events' };
    world.sandbox.control.setFaults([{ ...dropCreates, times: 1 }]);
    await world.startSync();
    await waitFor('a dropped create', () => countStatus(world.sandbox.control, oid, 0, 'POST') > 0, 20_000);
    world.sandbox.control.setFaults([dropCreates]);
    await new Promise((r) => setTimeout(r, 5000));
    world.sandbox.control.clearFaults();
    await world.syncIdle(60_000);
    world.sandbox.control.setLatency(0);

    t.diagnostic(summary(world, await world.connectionOf(traveler.id), oid));
    const connectionId = await world.connectionOf(traveler.id);
    const outcomes = world.outcomes.filter((o) => o.connectionId === connectionId).map((o) => o.outcome.status);
    assert.ok(outcomes.includes('retry'), 'a run gave up on creates whose answers never came');
    assert.equal(countStatus(world.sandbox.control, oid, 201, 'POST'), 8, 'no create carried out twice: the lost ones were found by their key');
    await assertCalendarComplete(world, traveler.id, oid, 8);
  });
});

/** Starts the sync worker in a child process; resolves once it is working. */
async function spawnWorker(config: SyncWorkerConfig): Promise<ChildProcess> {
  const child = spawn(process.execPath, [fileURLToPath(new URL('../support/sync-worker-process.ts', import.meta.url))], {
    env: { ...process.env, SYNC_WORKER_CONFIG: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (process.env.SYNC_WORKER_DEBUG) child.stdout!.on('data', (chunk: Buffer) => process.stderr.write(`[worker ${child.pid}] ${chunk}`));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the sync worker was not ready within 30 s')), 30_000);
    child.once('exit', () => clearTimeout(timer));
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('ready\n')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code, signal) => reject(new Error(`the sync worker exited before it was ready (${code ?? signal})`)));
  });
  return child;
}

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 10): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

async function kill(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

const syncJobsPending = async (store: Store) =>
  (await store.db.selectFrom('pgboss.job' as any).select('state' as any).where('name' as any, '=', 'calendar-sync').where('state' as any, 'in', ['created', 'retry', 'active']).execute()).length > 0;

describe('a sync worker process killed mid-backfill', () => {
  test('killed right after the first events appear, then halfway: after a restart, one event per segment, none lost', async (t) => {
    // The same store for the product, the worker processes and the restarted worker: PostgreSQL
    // when the tests have a server, else the embedded database in a folder (one process at a time:
    // each closes it before the next opens it).
    const server = storeKinds().find((k) => k.name === 'postgres');
    const created = server ? await server.create() : undefined;
    const dataDir = server ? undefined : await mkdtemp(path.join(os.tmpdir(), 'tripcal-kill-'));
    const storeOptions: StoreOptions = created ? created.options : { dataDir };
    const boxKey = randomBytes(32);
    const world = await startWorld({ store: storeOptions, startSync: false, boxKey });
    const children: ChildProcess[] = [];
    try {
      await setUpCompany(world, world.sakura, 'it-admin@sakura-trading.example');
      const traveler = world.sakura.travelers[0];
      await bookMany(world, world.sakura, traveler.email, 10, 'KILL');
      await connectTraveler(world, traveler.email);
      const oid = objectId(world, traveler.email);
      const segments = await confirmedSegments(world.store.db, traveler.id);
      assert.equal(segments.size, 40);
      await world.closeProduct();

      const config: SyncWorkerConfig = {
        ...(created ? { databaseUrl: storeOptions.databaseUrl } : { dataDir }),
        sandboxUrl: world.sandbox.url, clientId: world.sandbox.app.clientId, clientSecret: world.sandbox.app.clientSecret,
        caPem: world.sandbox.caPem, boxKey: boxKey.toString('base64'),
      };
      // Each Graph request of the traveler takes 250 ms: the backfill (a look-up, then 10 batches
      // of 4 creates) takes a few seconds, and the worker can be killed in the middle of it.
      world.sandbox.control.setLatency({ ms: 250, mailbox: oid });
      const written = () => world.sandbox.control.mailboxEvents(oid).length;
      for (const killAt of [1, 20]) {
        const child = await spawnWorker(config);
        children.push(child);
        await waitFor(`${killAt} events in the mailbox`, () => written() >= killAt, 60_000);
        const atKill = written();
        await kill(child);
        // Graph carries on with the $batch chains it has already received; the items still queued
        // in them are refused here, so that the next worker finds the backfill unfinished. The
        // items in service when the worker died land without their answers being recorded.
        world.sandbox.control.setFaults([{ kind: 503, mailbox: oid }]);
        await new Promise((r) => setTimeout(r, 1_000));
        world.sandbox.control.clearFaults();
        t.diagnostic(`killed with ${atKill} of 40 events in the mailbox; ${written()} once Graph's batches in service ended`);
        assert.ok(written() < 40, 'killed before the backfill was over');
      }

      // A fresh worker on the same store (in this process) finishes the job once pg-boss has seen
      // that the killed worker's heartbeat stopped.
      const store = await openStore({ ...storeOptions, retryDelaySeconds: 1 });
      try {
        // The last kill usually lands between Graph's answers and the worker's record of them.
        const mapped = await store.db.selectFrom('calendar_events').select('segment_id').where('connection_id', '=', (await findConnection(store.db, traveler.id, 'outlook'))!.id).where('event_id', 'is not', null).execute();
        t.diagnostic(`when the worker died, ${written()} events were in the mailbox and ${mapped.length} recorded in the mapping`);
        const outcomes: string[] = [];
        const stop = await startSyncWorker({
          store, deps: { db: store.db, providers: calendarProviders(world.provider), box: world.box }, pollingIntervalSeconds: 0.5,
          onOutcome: (_connectionId, outcome) => outcomes.push(outcome.status),
        });
        await waitFor('the sync queue to be idle', async () => !(await syncJobsPending(store)), 60_000, 200);
        await stop();
        t.diagnostic(`after the restart: ${outcomes.join(' ')}`);

        assert.deepEqual(calendarProblems(world.sandbox.control.mailboxEvents(oid), segments), []);
        assert.equal(written(), 40);
        assert.equal((await findConnection(store.db, traveler.id, 'outlook'))?.status, 'connected');
      } finally {
        await store.close();
      }
    } finally {
      for (const child of children) if (child.exitCode === null && child.signalCode === null) await kill(child);
      await world.close();
      await created?.drop();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    }
  });
});
