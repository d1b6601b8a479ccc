// The calendar-sync job loop (src/store/job-dispatcher.ts) on pg-boss's own statements: each job
// holds its own slot, a job in hand is given to no other worker, a killed worker's jobs come back
// to the queue, and stopping lets the jobs in hand finish.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, describe, test } from 'node:test';
import { openStore, type Store } from '../../src/store/database.ts';
import { startDispatcher } from '../../src/store/job-dispatcher.ts';
import { REPO, until } from '../scale/fleet.ts';
import { freshStore, storeKinds } from '../support/stores.ts';

const QUEUE = 'dispatcher-test';

async function makeQueue(store: Store): Promise<void> {
  // The calendar-sync queue's settings, but a retry at once (the heartbeat's 10 s is pg-boss's least).
  await store.boss.createQueue(QUEUE, { heartbeatSeconds: 10, retryLimit: 5, retryDelay: 0, notify: true });
}

async function jobStates(store: Store): Promise<Map<string, string>> {
  const rows = await store.boss.findJobs(QUEUE);
  return new Map(rows.map((j) => [j.id, j.state]));
}

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};

for (const kind of storeKinds()) {
  describe(`job dispatcher (${kind.name})`, () => {
    test('a job that takes long holds its own slot only: the jobs fetched beside it are replaced as they finish', async () => {
      const store = await freshStore(kind);
      after(() => store.dispose());
      await makeQueue(store);
      const slow = deferred();
      const done: string[] = [];
      const slowId = (await store.boss.send(QUEUE, { slow: true }))!;
      const fastIds = await Promise.all(Array.from({ length: 12 }, (_, i) => store.boss.send(QUEUE, { i })));
      const dispatcher = await startDispatcher<{ slow?: boolean }>({
        boss: store.boss, queue: QUEUE, concurrency: 2, pollingIntervalSeconds: 1,
        handler: async (job) => {
          if (job.data.slow) await slow.promise;
          else await new Promise((r) => setTimeout(r, 10));
          done.push(job.id);
        },
      });
      // With two slots and one of them held, all twelve others run through the other slot.
      after(() => dispatcher.stop());
      await until('the twelve quick jobs done', () => done.length === 12, 20_000);
      assert.deepEqual(new Set(done), new Set(fastIds));
      // The last quick job leaves the worker's hands once it is settled.
      await until('only the slow job in hand', () => dispatcher.inHand() === 1, 5000);
      assert.ok(!done.includes(slowId));
      slow.resolve();
      await until('the slow job done', () => done.includes(slowId), 5000);
      await until('every job completed in the queue', async () => [...(await jobStates(store)).values()].every((s) => s === 'completed'), 10_000, 50);
    });

    test('two workers on one queue: every job is run once, never by both', async () => {
      const store = await freshStore(kind);
      after(() => store.dispose());
      await makeQueue(store);
      // On PostgreSQL the second worker is a second connection pool and pg-boss instance, as a
      // second process has; the embedded database has one of each per process.
      const second = kind.name === 'postgres' ? await openStore({ databaseUrl: (await kindUrl(store))! }) : store;
      after(async () => { if (second !== store) await second.close(); });
      const runs = new Map<string, number>();
      const inHandNow = new Set<string>();
      let overlaps = 0;
      const handler = async (job: { id: string }) => {
        if (inHandNow.has(job.id)) overlaps++;
        inHandNow.add(job.id);
        runs.set(job.id, (runs.get(job.id) ?? 0) + 1);
        await new Promise((r) => setTimeout(r, 5 + Math.random() * 20));
        inHandNow.delete(job.id);
      };
      const a = await startDispatcher({ boss: store.boss, queue: QUEUE, concurrency: 8, handler });
      const b = await startDispatcher({ boss: second.boss, queue: QUEUE, concurrency: 8, handler });
      after(async () => { await a.stop(); await b.stop(); });
      const ids: string[] = [];
      for (let i = 0; i < 200; i++) ids.push((await store.boss.send(QUEUE, { i }))!);
      await until('every job run', () => runs.size === 200, 30_000, 20);
      await a.stop();
      await b.stop();
      assert.equal(overlaps, 0);
      assert.deepEqual([...runs.values()].filter((n) => n !== 1), []);
      const states = await jobStates(store);
      assert.deepEqual(ids.filter((id) => states.get(id) !== 'completed'), []);
    });

    test('a job held longer than its heartbeat period stays with its worker: its heartbeat is kept, no second worker gets it', async () => {
      const store = await freshStore(kind);
      after(() => store.dispose());
      await makeQueue(store);
      const runs: string[] = [];
      const held = async (job: { id: string }) => {
        runs.push(job.id);
        // Two and a half heartbeat periods (10 s): without heartbeats pg-boss's supervisor (every
        // 5 s) would send the job back to the queue and the other worker would take it.
        await new Promise((r) => setTimeout(r, 25_000));
      };
      const a = await startDispatcher({ boss: store.boss, queue: QUEUE, concurrency: 1, handler: held });
      const b = await startDispatcher({ boss: store.boss, queue: QUEUE, concurrency: 1, handler: held });
      after(async () => { await a.stop(); await b.stop(); });
      const id = (await store.boss.send(QUEUE, {}))!;
      await until('the job completed', async () => (await jobStates(store)).get(id) === 'completed', 60_000, 200);
      assert.deepEqual(runs, [id]);
      const [row] = await store.boss.findJobs(QUEUE, { id });
      assert.equal(row!.retryCount, 0);
    });

    test('a job whose handler throws is failed alone and retried by the queue', async () => {
      const store = await freshStore(kind);
      after(() => store.dispose());
      await makeQueue(store);
      const tries = new Map<number, number>();
      const dispatcher = await startDispatcher<{ i: number }>({
        boss: store.boss, queue: QUEUE, concurrency: 4,
        handler: async (job) => {
          tries.set(job.data.i, (tries.get(job.data.i) ?? 0) + 1);
          if (job.data.i === 0 && tries.get(0) === 1) throw new Error('calendar unavailable');
        },
      });
      for (let i = 0; i < 4; i++) await store.boss.send(QUEUE, { i });
      await until('every job completed', async () => { const s = [...(await jobStates(store)).values()]; return s.length === 4 && s.every((x) => x === 'completed'); }, 15_000, 50);
      await dispatcher.stop();
      assert.deepEqual([...tries.entries()].sort(), [[0, 2], [1, 1], [2, 1], [3, 1]]);
    });
  });
}

/** The PostgreSQL URL of a fresh store (its database name is the one the store opened). */
async function kindUrl(store: Store): Promise<string | undefined> {
  const { rows } = await store.boss.getDb().executeSql('select current_database() as name');
  const url = new URL(process.env.TEST_DATABASE_URL!);
  url.pathname = `/${rows[0].name}`;
  return url.toString();
}

const pgKind = storeKinds().find((k) => k.name === 'postgres');
describe('job dispatcher processes (PostgreSQL)', { skip: pgKind ? false : 'TEST_DATABASE_URL not set' }, () => {
  function spawnDispatcher(databaseUrl: string, hold: string) {
    const child = spawn(process.execPath, ['test/support/dispatcher-process.ts'], { cwd: REPO, env: { ...process.env, DATABASE_URL: databaseUrl, QUEUE, HOLD_MS: hold, CONCURRENCY: '2' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    return { child, output: () => out, exited };
  }

  test('a killed worker\'s jobs come back to the queue and another worker runs them', async () => {
    const store = await freshStore(pgKind!);
    after(() => store.dispose());
    await makeQueue(store);
    const url = (await kindUrl(store))!;
    const killed = spawnDispatcher(url, 'forever');
    await until('the worker ready', () => killed.output().includes('ready'), 20_000, 50);
    const ids = [(await store.boss.send(QUEUE, { n: 1 }))!, (await store.boss.send(QUEUE, { n: 2 }))!];
    await until('both jobs in the worker\'s hands', () => ids.every((id) => killed.output().includes(`took ${id}`)), 10_000, 50);
    killed.child.kill('SIGKILL');
    await killed.exited;
    const seen: string[] = [];
    const rescuer = await startDispatcher({ boss: store.boss, queue: QUEUE, concurrency: 2, handler: async (job) => void seen.push(job.id) });
    after(() => rescuer.stop());
    // The heartbeat (10 s) lapses; pg-boss's supervisor (every 5 s) sends the jobs back.
    await until('both jobs run again', () => ids.every((id) => seen.includes(id)), 40_000, 100);
    await until('both completed', async () => { const states = await jobStates(store); return ids.every((id) => states.get(id) === 'completed'); }, 5000, 100);
    const rows = await store.boss.findJobs(QUEUE);
    for (const row of rows) assert.equal(row.retryCount, 1, `job ${row.id} was claimed a second time once`);
  });

  test('the dispatchers of one process share one LISTEN connection, and close it when the last stops', async () => {
    const store = await freshStore(pgKind!);
    after(() => store.dispose());
    await makeQueue(store);
    await store.boss.createQueue(`${QUEUE}-2`, { notify: true });
    const listeners = async () => {
      const { rows } = await store.boss.getDb().executeSql(
        "select count(*)::int as n from pg_stat_activity where datname = current_database() and (query ilike 'listen %' or query ilike '%pg_listening_channels%') and pid <> pg_backend_pid()",
      );
      return rows[0].n as number;
    };
    const before = await listeners();
    const seen: string[] = [];
    const a = await startDispatcher({ boss: store.boss, queue: QUEUE, concurrency: 2, pollingIntervalSeconds: 30, handler: async (job) => void seen.push(job.id) });
    const b = await startDispatcher({ boss: store.boss, queue: `${QUEUE}-2`, concurrency: 2, pollingIntervalSeconds: 30, handler: async (job) => void seen.push(job.id) });
    after(async () => { await a.stop(); await b.stop(); });
    assert.equal(await listeners(), before + 1);
    // Each queue's NOTIFY still wakes its own dispatcher at once (the polling interval is 30 s).
    const first = (await store.boss.send(QUEUE, {}))!;
    const second = (await store.boss.send(`${QUEUE}-2`, {}))!;
    await until('both jobs run', () => seen.includes(first) && seen.includes(second), 10_000, 20);
    await a.stop();
    assert.equal(await listeners(), before + 1, 'still listening for the other dispatcher');
    await b.stop();
    await until('the LISTEN connection closed', async () => (await listeners()) === before, 5000, 50);
  });

  test('SIGTERM: the jobs in hand finish and complete, the others stay queued', async () => {
    const store = await freshStore(pgKind!);
    after(() => store.dispose());
    await makeQueue(store);
    const url = (await kindUrl(store))!;
    const worker = spawnDispatcher(url, '1500');
    await until('the worker ready', () => worker.output().includes('ready'), 20_000, 50);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await store.boss.send(QUEUE, { i }))!);
    await until('two jobs in hand', () => (worker.output().match(/took /g) ?? []).length === 2, 10_000, 20);
    worker.child.kill('SIGTERM');
    assert.equal(await worker.exited, 0);
    const taken = ids.filter((id) => worker.output().includes(`took ${id}`));
    assert.equal(taken.length, 2, worker.output());
    for (const id of taken) assert.ok(worker.output().includes(`done ${id}`), `job ${id} finished`);
    const states = await jobStates(store);
    assert.deepEqual(taken.map((id) => states.get(id)), ['completed', 'completed']);
    assert.deepEqual(ids.filter((id) => !taken.includes(id)).map((id) => states.get(id)), ['created', 'created', 'created']);
  });
});
