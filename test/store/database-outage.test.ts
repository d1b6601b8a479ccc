// The database server drops this process's connections (a restart, a failover, a pooler closing
// idle ones), on a PostgreSQL server: pg_terminate_backend on every backend of the test's own
// database, and for the outage tests the database refusing connections a while. The process must
// ride it out: idle connections are replaced, a transaction that loses its connection fails whole
// (nothing of it written), pg-boss reconnects its pool and its LISTEN connection, requests in the
// meantime are answered 503 with Retry-After, and /healthz says whether the database answers.
// (What counts as "unreachable", and /healthz on the embedded database, need no server.)
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import pg from 'pg';
import { buildServer } from '../../src/http/server.ts';
import { bookings } from '../../src/store/bookings.ts';
import { startItineraryMailWorker } from '../../src/mail/itinerary-mail-job.ts';
import { createMailTransport } from '../../src/mail/transport.ts';
import { openStore, QUEUES, type Store } from '../../src/store/database.ts';
import { createOrganisation, createUser, issueApiKey } from '../../src/store/organisations.ts';
import { findChangeToEmail } from '../../src/store/trips.ts';
import { isDatabaseUnavailable } from '../../src/store/unavailable.ts';
import { tripInput } from '../fixtures/trips.ts';
import { startSmtpSink } from '../mail/smtp-sink.ts';
import { freePort } from '../support/outlook-world.ts';
import { Gate } from '../support/gates.ts';
import { databaseName, takeDown, terminateBackends } from '../support/outage.ts';
import { freshStore, storeKinds } from '../support/stores.ts';

const adminUrl = process.env.TEST_DATABASE_URL;
const server = storeKinds().find((k) => k.name === 'postgres');

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

for (const preparedStatements of [true, false]) {
  describe(`the database drops its connections (PostgreSQL, prepared statements ${preparedStatements ? 'on' : 'off'})`, { skip: server ? false : 'TEST_DATABASE_URL is not set' }, () => {
    let store: Store;
    let drop: () => Promise<void>;
    let database: string;

    before(async () => {
      const created = await server!.create();
      drop = created.drop;
      database = databaseName(created.options.databaseUrl!);
      store = await openStore({ ...created.options, preparedStatements });
    });
    after(async () => {
      await store?.close();
      await drop?.();
    });

    test('idle connections dropped by the server are replaced; queries and jobs go on', async () => {
      // Several connections in the pool, idle.
      await Promise.all(Array.from({ length: 5 }, () => sql`select pg_sleep(0.05)`.execute(store.db)));
      await store.boss.send('itinerary-mail', { changeId: randomUUID() });
      assert.ok((await terminateBackends(adminUrl!, database)) >= 5);
      // The pool learns of each loss as its socket closes; a statement sent down a connection
      // before that fails with a connection error, never worse.
      await until('a statement answered again', async () => {
        try {
          await sql`select 1`.execute(store.db);
          return true;
        } catch (error) {
          assert.ok(isDatabaseUnavailable(error), String(error));
          return false;
        }
      });
      const org = await createOrganisation(store.db, 'Sakura Trading');
      assert.equal((await store.db.selectFrom('organisations').select('id').where('id', '=', org.id).execute()).length, 1);
      const jobs = await until('pg-boss answering again', async () => (await store.boss.fetch('itinerary-mail').catch(() => null)) !== null).then(() => store.boss.fetch('itinerary-mail'));
      assert.ok(Array.isArray(jobs));
    });

    test('a transaction whose connection is lost fails whole: nothing of it is written', async () => {
      const gate = new Gate('postgres');
      const name = `Blink ${randomUUID()}`;
      const writing = store.db.transaction().execute(async (tx) => {
        await tx.insertInto('organisations').values({ id: randomUUID(), name }).execute();
        await gate.hold(tx);
        await tx.insertInto('organisations').values({ id: randomUUID(), name }).execute();
      });
      const outcome = writing.then(() => undefined, (error: unknown) => error);
      await gate.arrived;
      await terminateBackends(adminUrl!, database);
      gate.release();
      const error = await outcome;
      assert.ok(error, 'the transaction failed');
      assert.ok(isDatabaseUnavailable(error), `a connection error: ${String(error)}`);
      await until('a statement answered again', () => sql`select 1`.execute(store.db).then(() => true, () => false));
      assert.deepEqual(await store.db.selectFrom('organisations').select('id').where('name', '=', name).execute(), []);
    });

    test('a statement running when its connection is lost fails at once with a connection error', async () => {
      const running = sql`select pg_sleep(30)`.execute(store.db).then(() => undefined, (error: unknown) => error);
      await until('the statement running', async () => (await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where datname = current_database() and query like 'select pg_sleep(30)%'`.execute(store.db)).rows[0]!.n === 1);
      const started = Date.now();
      await terminateBackends(adminUrl!, database);
      const error = await running;
      assert.ok(isDatabaseUnavailable(error), `a connection error: ${String(error)}`);
      assert.ok(Date.now() - started < 5000);
    });

    test("pg-boss's LISTEN connection comes back by itself: a queued job wakes its worker at once again", async () => {
      const queue = `outage-probe-${preparedStatements ? 'p' : 'u'}`;
      await store.boss.createQueue(queue, { notify: true });
      const handled: string[] = [];
      // Polling once a minute: a job handled within seconds was woken by NOTIFY.
      await store.boss.work<{ n: string }>(queue, { pollingIntervalSeconds: 60, notifyPollingIntervalSeconds: 60 }, async ([job]) => {
        handled.push(job!.data.n);
      });
      const listening = async () => (await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where datname = current_database() and (query like 'LISTEN %' or query like '%pg_listening_channels()%')`.execute(store.db)).rows[0]!.n;
      await until('pg-boss listening', async () => (await listening()) === 1);
      await terminateBackends(adminUrl!, database);
      await until('pg-boss listening again', async () => (await listening().catch(() => 0)) === 1);
      // The worker's own fetch on reconnect has run (pg-boss fetches once when LISTEN is back).
      await new Promise((r) => setTimeout(r, 200));
      const sent = Date.now();
      await store.boss.send(queue, { n: 'after' });
      await until('the job handled', () => handled.includes('after'), 10_000);
      assert.ok(Date.now() - sent < 10_000);
      await store.boss.offWork(queue);
    });
  });
}

describe('requests while the database is down (PostgreSQL)', { skip: server ? false : 'TEST_DATABASE_URL is not set' }, () => {
  let store: Store;
  let drop: () => Promise<void>;
  let app: FastifyInstance;
  let baseUrl: string;
  let key: string;
  let database: string;
  const email = 'taro@sakura.example';

  before(async () => {
    const created = await server!.create();
    drop = created.drop;
    database = databaseName(created.options.databaseUrl!);
    store = await openStore(created.options);
    const org = await createOrganisation(store.db, 'Sakura Trading');
    await createUser(store.db, org.id, { email, displayName: '山田 太郎', role: 'traveler', locale: 'ja', timeZone: 'Asia/Tokyo' });
    key = await issueApiKey(store.db, org.id);
    app = await buildServer({ store, bookings: bookings(store), organizer: { name: 'tripcal', email: 'itinerary@tripcal.example' }, publicUrl: 'http://localhost:3000' });
    baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  after(async () => {
    await app?.close();
    await store?.close();
    await drop?.();
  });

  const post = (input: unknown) => fetch(`${baseUrl}/api/v1/trips`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(input) });

  test('answered 503 with Retry-After, and /healthz says the database is unreachable; afterwards all is as before', async () => {
    const healthy = await fetch(`${baseUrl}/healthz`);
    assert.equal(healthy.status, 200);
    assert.deepEqual(await healthy.json(), { ok: true, database: 'reachable' });

    const outage = await takeDown(adminUrl!, database);
    try {
      const res = await post(tripInput(email, { bookingRef: 'BLINK-1' }));
      assert.equal(res.status, 503, await res.clone().text());
      assert.match(res.headers.get('retry-after') ?? '', /^\d+$/);
      const body = await res.json() as { error: string; message: string };
      assert.equal(body.error, 'database_unavailable');
      const health = await fetch(`${baseUrl}/healthz`);
      assert.equal(health.status, 503);
      assert.match(health.headers.get('retry-after') ?? '', /^\d+$/);
      assert.deepEqual(await health.json(), { ok: false, database: 'unreachable' });
    } finally {
      await outage.up();
    }

    await until('/healthz reachable', async () => (await fetch(`${baseUrl}/healthz`)).status === 200);
    assert.deepEqual(await (await fetch(`${baseUrl}/healthz`)).json(), { ok: true, database: 'reachable' });
    // The request refused during the outage wrote nothing: sent again, it creates the trip.
    const again = await post(tripInput(email, { bookingRef: 'BLINK-1' }));
    assert.equal(again.status, 201, await again.clone().text());
    assert.equal((await store.db.selectFrom('trip_changes').select('id').execute()).length, 1);
  });
});

describe('an email sent just as the database goes away (PostgreSQL)', { skip: server ? false : 'TEST_DATABASE_URL is not set' }, () => {
  test('its sending is recorded once the database is back; it is sent once and its job completes', async (t) => {
    const created = await server!.create();
    const database = databaseName(created.options.databaseUrl!);
    const store = await openStore({ ...created.options, retryDelaySeconds: 1 });
    const cleanup: Array<() => Promise<unknown> | void> = [() => created.drop(), () => store.close()];
    t.after(async () => {
      for (const fn of cleanup.reverse()) await fn();
    });
    const org = await createOrganisation(store.db, 'Sakura Trading');
    await createUser(store.db, org.id, { email: 'taro@sakura.example', displayName: '山田 太郎', role: 'traveler', locale: 'ja', timeZone: 'Asia/Tokyo' });
    const { change } = await bookings(store).create(org.id, tripInput('taro@sakura.example'));
    // The mail server takes the message, and the database goes down before its "accepted" reaches us.
    let outage: { up(): Promise<void> } | undefined;
    const sink = await startSmtpSink({ user: 'tripcal', pass: 'smtp-pass' }, {
      beforeAccept: async () => {
        outage ??= await takeDown(adminUrl!, database);
      },
    });
    cleanup.push(() => sink.close());
    const transport = createMailTransport({ smtpUrl: sink.url(), outboxDir: os.tmpdir() });
    cleanup.push(() => transport.close());
    const lines: string[] = [];
    const stop = await startItineraryMailWorker({ store, transport, from: { name: 'tripcal', address: 'itinerary@tripcal.example' }, publicUrl: 'http://localhost:3000', pollingIntervalSeconds: 0.5, log: (l) => lines.push(l) });
    cleanup.push(() => stop());
    try {
      await until('the email at the mail server', () => sink.received.length === 1 && outage !== undefined);
      await until('the worker waiting for the database', () => lines.some((l) => /recording it once the database answers again/.test(l)));
      // Down for longer than a job's heartbeat (10 s) would not change the outcome; 2 s keeps the test short.
      await new Promise((r) => setTimeout(r, 2000));
    } finally {
      await outage?.up();
    }
    await until('the job completed', async () => {
      const jobs = await store.boss.findJobs(QUEUES.itineraryMail).catch(() => []);
      return jobs.length > 0 && jobs.every((j) => j.state === 'completed');
    }, 30_000);
    assert.equal(sink.received.length, 1);
    assert.ok((await findChangeToEmail(store.db, change!.id))?.emailedAt);
  });
});

describe('what counts as the database being unreachable', () => {
  test('a refused connection does; a statement the database refuses does not', async () => {
    const port = await freePort();
    const client = new pg.Client({ connectionString: `postgres://tripcal@127.0.0.1:${port}/tripcal`, connectionTimeoutMillis: 2000 });
    const refused = await client.connect().then(() => undefined, (error: unknown) => error);
    assert.ok(isDatabaseUnavailable(refused), String(refused));
    const store = await freshStore(storeKinds()[0]!);
    try {
      const org = await createOrganisation(store.db, 'Sakura Trading');
      const duplicate = await createOrganisation(store.db, 'Sakura Trading', org.id).then(() => undefined, (error: unknown) => error);
      assert.ok(duplicate, 'a duplicate key fails');
      assert.equal(isDatabaseUnavailable(duplicate), false);
      const syntax = await sql`select from where`.execute(store.db).then(() => undefined, (error: unknown) => error);
      assert.equal(isDatabaseUnavailable(syntax), false);
    } finally {
      await store.dispose();
    }
  });
});

describe('/healthz on the embedded database', () => {
  test('says the database is reachable', async () => {
    const store = await freshStore(storeKinds()[0]!);
    const app = await buildServer({ store, bookings: bookings(store), organizer: { name: 'tripcal', email: 'itinerary@tripcal.example' }, publicUrl: 'http://localhost:3000' });
    try {
      const res = await app.inject({ method: 'GET', url: '/healthz' });
      assert.equal(res.statusCode, 200);
      assert.deepEqual(res.json(), { ok: true, database: 'reachable' });
    } finally {
      await app.close();
      await store.dispose();
    }
  });
});
