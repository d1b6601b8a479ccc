// The database goes away under a busy product, on PostgreSQL: `tripcal serve` and `tripcal worker`
// run as their own processes (as deployed), bookings stream in through the booking API, and the
// worker sends their emails over SMTP and writes their calendars in the sandbox's Graph. Then every
// backend of the database is terminated and the database refuses connections for a few seconds
// (not a server restart: other tests share the server). No process may exit; a request in the
// meantime is answered 503 with Retry-After (or succeeds); the booking engine sends a refused
// request again after Retry-After, as it should. Once it is over, every change the database holds
// has had its email and its calendar events, each exactly once.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { TestSandbox } from '../../sandbox/test/helpers.ts';
import type { TripInput } from '../../src/domain/booking-schema.ts';
import { openStore, type Store } from '../../src/store/database.ts';
import { hashPassword } from '../../src/store/sessions.ts';
import { startSmtpSink, type SmtpSink } from '../mail/smtp-sink.ts';
import {
  browsingWorld, createFleetCompany, freePort, inParallel, objectIdOf, productEnv, spawnProduct, startFleetSandbox, syncQueueIdle, tripsOf, until,
  type WorkerProcess,
} from '../scale/fleet.ts';
import { databaseName, takeDown } from '../support/outage.ts';
import { PASSWORD, connectTraveler, setUpCompany, type Company } from '../support/outlook-world.ts';
import { storeKinds } from '../support/stores.ts';
import { calendarProblems, confirmedSegments } from '../support/sync-faults.ts';

const TRAVELERS = 6;
const OUTAGE_MS = 3000;
const adminUrl = process.env.TEST_DATABASE_URL;

describe('the database blinks under a busy serve and worker (PostgreSQL)', { skip: adminUrl ? false : 'TEST_DATABASE_URL is not set: the outage is made on a PostgreSQL server' }, () => {
  let sandbox: TestSandbox;
  let sink: SmtpSink;
  let store: Store;
  let company: Company;
  let database: string;
  let dropDatabase: () => Promise<void>;
  let dataDir: string;
  let baseUrl: string;
  const processes: WorkerProcess[] = [];
  let serve: WorkerProcess;
  let worker: WorkerProcess;

  before(async () => {
    const created = await storeKinds().find((k) => k.name === 'postgres')!.create();
    dropDatabase = created.drop;
    const databaseUrl = created.options.databaseUrl!;
    database = databaseName(databaseUrl);
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'tripcal-outage-'));
    sandbox = await startFleetSandbox(TRAVELERS);
    sink = await startSmtpSink({ user: 'tripcal', pass: 'smtp-pass' });
    store = await openStore(created.options);
    company = await createFleetCompany(store.db, sandbox, await hashPassword(PASSWORD));

    const port = await freePort();
    baseUrl = `http://localhost:${port}`;
    const tokenKey = randomBytes(32);
    const env = (extra: Record<string, string>) => productEnv({ databaseUrl, dataDir, tokenKey, sandbox, extra: { SMTP_URL: sink.url(), ...extra } });
    serve = spawnProduct(['src/cli.ts', 'serve'], env({ PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: baseUrl, DEV_TOOLS: 'false' }), 'listening on');
    worker = spawnProduct(['src/cli.ts', 'worker'], env({}));
    processes.push(serve, worker);
    await Promise.all([serve.ready, worker.ready]);

    const world = browsingWorld(baseUrl);
    await setUpCompany(world, company, `it-admin@${company.admin.email.split('@')[1]}`);
    await inParallel(company.travelers, 3, async (t) => {
      await connectTraveler(world, t.email);
    });
    // Each calendar write takes a while, so that reconciles are in flight when the database goes.
    sandbox.control.setLatency(100);
  });

  after(async () => {
    for (const p of processes) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await Promise.all(processes.map((p) => p.exited));
    await store?.close();
    await sink?.close();
    await sandbox?.stop();
    await dropDatabase?.();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  test('no process exits, requests meanwhile get 503 with Retry-After, and every change gets its email and its events exactly once', async (t) => {
    const answers: Array<{ status: number; retryAfter: string | null; during: boolean }> = [];
    let down = false;
    /** The booking engine: sends a request until it is answered, again after Retry-After when refused with 503. */
    const send = async (method: 'POST' | 'PUT', route: string, body: unknown): Promise<number> => {
      for (;;) {
        const res = await fetch(`${baseUrl}${route}`, { method, headers: { authorization: `Bearer ${company.apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
        await res.arrayBuffer();
        answers.push({ status: res.status, retryAfter: res.headers.get('retry-after'), during: down });
        if (res.status !== 503) return res.status;
        await new Promise((r) => setTimeout(r, Number(res.headers.get('retry-after')) * 1000));
      }
    };
    // Per traveler, one after another: two new trips, a seat change on the first, a cancelled segment on the second.
    const work = async (traveler: Company['travelers'][number], i: number) => {
      const [first] = tripsOf(traveler.email, 4, `OUT${i}A`) as [TripInput];
      const [second] = tripsOf(traveler.email, 3, `OUT${i}B`) as [TripInput];
      const pause = () => new Promise((r) => setTimeout(r, 150));
      assert.ok([200, 201].includes(await send('POST', '/api/v1/trips', first)));
      await pause();
      assert.ok([200, 201].includes(await send('POST', '/api/v1/trips', second)));
      await pause();
      const seats = first.segments.map((s) => (s.type === 'rail' && s.ref === 'R1' ? { ...s, seat: '12A' } : s));
      assert.equal(await send('PUT', `/api/v1/trips/${first.bookingRef}`, { segments: seats }), 200);
      await pause();
      assert.equal(await send('POST', `/api/v1/trips/${second.bookingRef}/segments/H1/cancel`, {}), 200);
    };
    const traffic = inParallel(company.travelers, TRAVELERS, work);

    // The database goes once the first bookings are in and their emails and reconciles under way.
    await until('bookings accepted', () => answers.filter((a) => a.status < 300).length >= TRAVELERS, 30_000);
    const outage = await takeDown(adminUrl!, database);
    down = true;
    const health: number[] = [];
    try {
      const end = Date.now() + OUTAGE_MS;
      while (Date.now() < end) {
        const res = await fetch(`${baseUrl}/healthz`);
        health.push(res.status);
        if (res.status === 503) assert.match(res.headers.get('retry-after') ?? '', /^\d+$/);
        await new Promise((r) => setTimeout(r, 250));
      }
    } finally {
      down = false;
      await outage.up();
    }
    await traffic;
    await until('/healthz reachable again', async () => (await fetch(`${baseUrl}/healthz`)).status === 200, 15_000);

    // Every change the database holds has been mailed and reconciled.
    await syncQueueIdle(store.db, 45_000, 'itinerary-mail');
    await syncQueueIdle(store.db, 45_000);

    for (const p of [serve, worker]) assert.deepEqual({ code: p.child.exitCode, signal: p.child.signalCode }, { code: null, signal: null }, p.output().slice(-3000));
    assert.ok(health.includes(503), `/healthz said 503 while the database was down (${health.join(' ')})`);
    assert.deepEqual([...new Set(answers.map((a) => a.status))].filter((s) => ![200, 201, 503].includes(s)), [], 'every answer a 200, 201 or 503');
    assert.ok(answers.some((a) => a.status === 503 && a.during), 'a request during the outage was refused');
    assert.ok(answers.filter((a) => a.status === 503).every((a) => /^\d+$/.test(a.retryAfter ?? '')), 'every 503 carries Retry-After');

    const changes = await store.db.selectFrom('trip_changes').select(['id']).execute();
    assert.equal(changes.length, TRAVELERS * 4, 'each request made its one change');
    const mailed = new Map<string, number>();
    for (const m of sink.received) {
      const id = /^Message-ID:\s*<change-([0-9a-f-]+)@/im.exec(m.raw.toString('utf8'))?.[1];
      assert.ok(id, 'an itinerary email');
      mailed.set(id, (mailed.get(id) ?? 0) + 1);
    }
    assert.deepEqual(changes.filter((c) => mailed.get(c.id) !== 1).map((c) => `${c.id}: ${mailed.get(c.id) ?? 0} emails`), [], 'one email per change');
    assert.equal(sink.received.length, changes.length);

    for (const traveler of company.travelers) {
      const segments = await confirmedSegments(store.db, traveler.id);
      const events = sandbox.control.mailboxEvents(objectIdOf(sandbox, traveler.email));
      assert.deepEqual(calendarProblems(events, segments), [], traveler.email);
      assert.equal(events.length, segments.size, traveler.email);
    }
    const refused = answers.filter((a) => a.status === 503).length;
    const retried = await store.db.selectFrom('pgboss.job' as any).select(['name' as any]).where('retry_count' as any, '>', 0).execute();
    const outageLines = (p: WorkerProcess) => p.output().split('\n').filter((l) => /database unreachable|database answers again/.test(l)).length;
    t.diagnostic(`${answers.length} booking API answers, ${refused} of them 503; /healthz during the outage: ${health.join(' ')}; ${sink.received.length} emails; jobs run again: ${retried.length}; outage lines logged: serve ${outageLines(serve)}, worker ${outageLines(worker)}`);
  });
});
