// Fault tests of the Google sync, end to end against the Google sandbox under domain-wide
// delegation: quota answers (403 userRateLimitExceeded, 429) and 503s during a backfill,
// connections dropped before and after inserts, answers lost for good, and a worker process
// SIGKILLed mid-backfill. Each ends with the traveler's calendar holding exactly one tentative event
// per confirmed segment (nothing lost, nothing twice), and the connection still connected.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { StoredGoogleEvent } from '../../sandbox/google/server.ts';
import { SEGMENT_KEY_PROPERTY } from '../../src/calendars/google/index.ts';
import { findConnection } from '../../src/store/calendar-connections.ts';
import { openStore, type Store, type StoreOptions } from '../../src/store/database.ts';
import { startSyncWorker } from '../../src/sync/sync-jobs.ts';
import { startGoogleWorld, type GoogleWorld } from '../support/google-world.ts';
import type { GoogleSyncWorkerConfig } from '../support/google-sync-worker-process.ts';
import { confirmedSegments, manyTrips } from '../support/sync-faults.ts';
import { storeKinds } from '../support/stores.ts';
import type { Company } from '../support/outlook-world.ts';

/** What is wrong with the calendar, in words: empty when it holds exactly one tentative event per confirmed segment, showing its booking. */
function calendarProblems(events: StoredGoogleEvent[], segments: Map<string, string>): string[] {
  const problems: string[] = [];
  const byKey = new Map<string, StoredGoogleEvent[]>();
  for (const e of events) {
    const key = e.extendedProperties?.private?.[SEGMENT_KEY_PROPERTY];
    if (!key) problems.push(`an event without a segment key: ${e.summary}`);
    else byKey.set(key, [...(byKey.get(key) ?? []), e]);
  }
  for (const [key, list] of byKey) {
    if (!segments.has(key)) problems.push(`an event for no confirmed segment: ${key}`);
    if (list.length > 1) problems.push(`${list.length} events for segment ${key}`);
  }
  for (const [key, ref] of segments) {
    const e = byKey.get(key)?.[0];
    if (!e) problems.push(`no event for segment ${key} of ${ref}`);
    else {
      if (e.status !== 'tentative') problems.push(`segment ${key}: status ${e.status}`);
      if (!e.description?.includes(ref)) problems.push(`segment ${key}: the event does not show booking ${ref}`);
    }
  }
  return problems;
}

async function bookMany(world: GoogleWorld, company: Company, email: string, trips: number, prefix: string): Promise<void> {
  for (const trip of manyTrips(email, trips, prefix)) await world.bookings.create(company.id, trip);
}

/** The company's delegation authorized, checked by its admin, and sync on. */
async function setUpDelegation(world: GoogleWorld, company: Company, domain: string): Promise<void> {
  world.google.control.authorizeDelegation(domain);
  const admin = world.browser();
  await admin.logIn(company.admin.email);
  const check = await admin.api('POST', '/api/company/calendars/google/delegation');
  assert.equal(check.status, 200, JSON.stringify(check.body));
  assert.equal((await admin.api('PUT', '/api/company/calendars/google/sync', { enabled: true })).status, 200);
}

const answered = (world: GoogleWorld, email: string, status: number, method = 'POST') =>
  world.google.control.requestLog().filter((r) => r.mailbox === email && r.method === method && r.status === status && r.path.includes('/calendar/v3/')).length;

async function assertComplete(world: GoogleWorld, store: Store, userId: string, email: string, expected: number): Promise<void> {
  const segments = await confirmedSegments(store.db, userId);
  assert.equal(segments.size, expected);
  const events = world.google.control.events(email);
  assert.deepEqual(calendarProblems(events, segments), []);
  assert.equal(events.length, expected);
}

describe('Google sync under faults', () => {
  let world: GoogleWorld;
  const TARO = 'taro.yamada@sakura-trading.example';
  const EMILY = 'emily.clark@sakura-trading.example';
  const HANAKO = 'hanako.sato@sakura-trading.example';

  before(async () => {
    world = await startGoogleWorld();
    const [taro, emily] = world.sakura.travelers;
    await bookMany(world, world.sakura, taro!.email, 8, 'STORM');
    await bookMany(world, world.sakura, emily!.email, 8, 'DROP');
  });
  after(() => world?.close());

  test('403 userRateLimitExceeded, 429 and 503 during the backfill: every segment once, the connection still connected', async (t) => {
    const [taro, emily] = world.sakura.travelers;
    world.google.control.setLatency(60);
    // Taro's first requests meet quota answers and an outage; Emily's meet dropped connections,
    // before the insert is carried out and after it (the answer lost).
    world.google.control.setFaults([
      { kind: 403, user: TARO, times: 6 }, { kind: 429, user: TARO, retryAfterSeconds: 1, times: 6 }, { kind: 503, user: TARO, times: 4 },
      { kind: 'drop-after', user: EMILY, method: 'POST', times: 5 }, { kind: 'drop', user: EMILY, method: 'POST', times: 3 },
    ]);
    await setUpDelegation(world, world.sakura, 'sakura-trading.example');
    await world.syncIdle(90_000);
    world.google.control.setLatency(0);
    world.google.control.clearFaults();

    t.diagnostic(`taro: 403×${answered(world, TARO, 403)} 429×${answered(world, TARO, 429)} 503×${answered(world, TARO, 503)}; emily: dropped×${answered(world, EMILY, 0)} 409×${answered(world, EMILY, 409)}`);
    assert.equal(answered(world, TARO, 403) + answered(world, TARO, 429) + answered(world, TARO, 503), 16, 'every injected refusal was met');
    await assertComplete(world, world.store, taro!.id, TARO, 32);
    assert.equal(answered(world, EMILY, 0), 8, 'inserts were dropped');
    // Inserts carried out whose answers were lost came back 409 on their retry: the same event.
    assert.ok(answered(world, EMILY, 409) >= 1, 'a retried insert met its own event');
    await assertComplete(world, world.store, emily!.id, EMILY, 32);
    for (const u of [taro!, emily!]) assert.equal((await findConnection(world.store.db, u.id, 'google'))?.status, 'connected');
  });

  test('answers lost for good (every retry dropped): the next run writes nothing twice', async (t) => {
    // The company admin, connected since the set-up: a plain reconcile of two new trips.
    const admin = world.sakura.admin;
    world.google.control.clearRequestLog();
    world.google.control.setFaults([{ kind: 'drop-after', user: HANAKO, method: 'POST' }]);
    await bookMany(world, world.sakura, admin.email, 2, 'LOST');
    // Longer than the 4 attempts' backoff: the run gives up and is rescheduled.
    await new Promise((r) => setTimeout(r, 9000));
    world.google.control.clearFaults();
    await world.syncIdle(60_000);
    const connectionId = (await findConnection(world.store.db, admin.id, 'google'))!.id;
    const outcomes = world.outcomes.filter((o) => o.connectionId === connectionId).map((o) => o.outcome.status);
    t.diagnostic(`reconciles: ${outcomes.join(' ')}; inserts dropped after being carried out: ${answered(world, HANAKO, 0)}`);
    assert.ok(outcomes.includes('retry'), 'a run gave up on inserts whose answers never came');
    assert.equal(answered(world, HANAKO, 200), 0, 'no insert was answered while dropped');
    await assertComplete(world, world.store, admin.id, HANAKO, 8);
  });
});

/** Starts the Google sync worker in a child process; resolves once it is working. */
async function spawnWorker(config: GoogleSyncWorkerConfig): Promise<ChildProcess> {
  const child = spawn(process.execPath, [fileURLToPath(new URL('../support/google-sync-worker-process.ts', import.meta.url))], {
    env: { ...process.env, GOOGLE_SYNC_WORKER_CONFIG: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the sync worker was not ready within 30 s')), 30_000);
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('ready\n')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the sync worker exited before it was ready (${code ?? signal})`));
    });
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

describe('a Google sync worker process killed mid-backfill', () => {
  test('killed right after the first events appear, then halfway: after a restart, one event per segment, none lost', async (t) => {
    const server = storeKinds().find((k) => k.name === 'postgres');
    const created = server ? await server.create() : undefined;
    const dataDir = server ? undefined : await mkdtemp(path.join(os.tmpdir(), 'tripcal-google-kill-'));
    const storeOptions: StoreOptions = created ? created.options : { dataDir };
    const boxKey = randomBytes(32);
    const world = await startGoogleWorld({ store: storeOptions, startSync: false, boxKey });
    const children: ChildProcess[] = [];
    try {
      const traveler = world.sakura.travelers[0]!;
      await bookMany(world, world.sakura, traveler.email, 10, 'KILL');
      await setUpDelegation(world, world.sakura, 'sakura-trading.example');
      const segments = await confirmedSegments(world.store.db, traveler.id);
      assert.equal(segments.size, 40);
      await world.closeProduct();

      const config: GoogleSyncWorkerConfig = { ...(created ? { databaseUrl: storeOptions.databaseUrl } : { dataDir }), settings: world.settings, boxKey: boxKey.toString('base64') };
      // Each Calendar request takes 250 ms: the backfill takes a few seconds, and the worker can be killed in the middle of it.
      world.google.control.setLatency(250);
      const written = () => world.google.control.events(traveler.email).length;
      for (const killAt of [1, 20]) {
        const child = await spawnWorker(config);
        children.push(child);
        await waitFor(`${killAt} events in the calendar`, () => written() >= killAt, 60_000);
        await kill(child);
        t.diagnostic(`killed with ${written()} of 40 events in the calendar`);
        assert.ok(written() < 40, 'killed before the backfill was over');
      }

      // A fresh worker on the same store finishes the job once pg-boss has seen the killed worker's heartbeat stop.
      const store = await openStore({ ...storeOptions, retryDelaySeconds: 1 });
      try {
        const stop = await startSyncWorker({ store, deps: { db: store.db, providers: world.providers, box: world.box }, pollingIntervalSeconds: 0.5 });
        await waitFor('the sync queue to be idle', async () => (await store.db.selectFrom('pgboss.job' as any).select('state' as any).where('name' as any, '=', 'calendar-sync').where('state' as any, 'in', ['created', 'retry', 'active']).execute()).length === 0, 90_000, 200);
        await stop();
        assert.deepEqual(calendarProblems(world.google.control.events(traveler.email), segments), []);
        assert.equal(written(), 40);
        assert.equal((await findConnection(store.db, traveler.id, 'google'))?.status, 'connected');
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
