// A job loop on pg-boss's own fetch, complete, fail and touch, for a queue whose jobs are many,
// short and independent (calendar sync): each job holds one slot of its own, and a slot that frees
// is filled by the next fetch, whatever the jobs fetched with it are doing.
//
// Why not pg-boss's work(): a work() poller hands its handler a batch and fetches again only when
// the whole batch has settled. One reconcile waiting out a calendar's Retry-After inline (a second
// or more) kept the seven jobs fetched beside it from being replaced, and a company's "sync on" on
// PostgreSQL ran at about a third of the rate of the same backlog with no faults. With batches of
// one, every poller pauses its polling interval after each job (burst mode needs a full batch of
// more than one, or pg-boss's cached queue counts, which lag by seconds), and a NOTIFY wakes every
// idle poller at once.
//
// What pg-boss's work() guarantees is kept, by pg-boss's own statements:
// - a fetched job is claimed (state active, FOR UPDATE SKIP LOCKED): no other worker is given it;
// - each job in hand has its heartbeat refreshed (touch) every half heartbeat period, so a worker
//   that dies (SIGKILL, a lost machine) stops refreshing and pg-boss's supervisor sends its jobs
//   back to the queue (retry) once the heartbeat lapses;
// - complete and fail name the attempt they settle (id and retryCount), so a job that came back to
//   the queue and was claimed again elsewhere is not settled by the worker that lost it;
// - stop() fetches nothing more and resolves when the jobs in hand have settled.
//
// Wake-ups: the queue's NOTIFY (pg-boss inserts send one on a notify-enabled queue) through the
// database's own LISTEN (pg-boss's db.listen: one connection, shared by every dispatcher of the same
// pg-boss instance), and polling as the floor (jobs whose startAfter comes due send no NOTIFY).
import { createHash } from 'node:crypto';
import type { Job, PgBoss } from 'pg-boss';

export interface DispatcherOptions<T> {
  boss: PgBoss;
  queue: string;
  /** Jobs in hand at once in this process. */
  concurrency: number;
  /** Seconds between fetches while the queue has nothing (default 1). */
  pollingIntervalSeconds?: number;
  /** Runs one job: resolves to complete it, rejects to fail it (pg-boss then retries it as the queue says). */
  handler: (job: Job<T>) => Promise<void>;
  /** A failed fetch, settle or heartbeat (the loop goes on). */
  onError?: (error: Error) => void;
}

export interface Dispatcher {
  /** Jobs in hand now. */
  inHand(): number;
  /** Fetches nothing more; resolves when the jobs in hand have settled. */
  stop(): Promise<void>;
}

/** pg-boss's NOTIFY channel for its schema (pg-boss plans.notifyChannelSql: 'pgboss_' and 24 hex digits of sha224 of the schema name). */
export function notifyChannel(schema = 'pgboss'): string {
  return `pgboss_${createHash('sha224').update(schema).digest('hex').slice(0, 24)}`;
}

/** One LISTEN per pg-boss instance; each dispatcher subscribes with its queue's wake-up. */
interface SharedListen {
  subscribers: Set<(payload: string | undefined) => void>;
  ready: Promise<{ close(): Promise<void> } | undefined>;
}
const listens = new WeakMap<PgBoss, SharedListen>();

/** Subscribes to the boss's NOTIFY channel (a payload is a queue's name; undefined after a reconnect). */
async function subscribe(boss: PgBoss, onPayload: (payload: string | undefined) => void, report: (error: unknown) => void): Promise<() => Promise<void>> {
  const db = boss.getDb();
  if (!db.listen) return async () => {};
  let shared = listens.get(boss);
  if (!shared) {
    const subscribers = new Set<(payload: string | undefined) => void>();
    const ready = db.listen(notifyChannel(), (payload) => { for (const s of subscribers) s(payload); }, () => { for (const s of subscribers) s(undefined); })
      .catch((error: unknown) => {
        report(error);
        listens.delete(boss);
        return undefined;
      });
    shared = { subscribers, ready };
    listens.set(boss, shared);
  }
  const current = shared;
  current.subscribers.add(onPayload);
  await current.ready;
  return async () => {
    current.subscribers.delete(onPayload);
    if (current.subscribers.size || listens.get(boss) !== current) return;
    listens.delete(boss);
    await (await current.ready)?.close().catch(() => {});
  };
}

export async function startDispatcher<T>(opts: DispatcherOptions<T>): Promise<Dispatcher> {
  const { boss, queue, handler } = opts;
  const concurrency = Math.max(1, opts.concurrency);
  const pollMs = (opts.pollingIntervalSeconds ?? 1) * 1000;
  const report = (error: unknown) => opts.onError?.(error instanceof Error ? error : new Error(String(error)));
  const inHand = new Map<string, Job<T>>();
  let stopping = false;
  // Whether something may be waiting: a NOTIFY or a freed slot after a full fetch.
  let wake: (() => void) | undefined;
  let nudged = true;
  const nudge = () => {
    nudged = true;
    wake?.();
  };
  const sleep = (ms: number) => new Promise<void>((resolve) => {
    const timer = setTimeout(() => { wake = undefined; resolve(); }, ms);
    wake = () => { clearTimeout(timer); wake = undefined; resolve(); };
  });

  // Settles are gathered for a moment and sent as one statement per kind: a backfill settles
  // hundreds of jobs a second.
  const toComplete: Array<{ id: string; retryCount: number }> = [];
  let flushing: Promise<void> | undefined;
  const flushCompletes = async () => {
    while (toComplete.length) {
      const ids = toComplete.splice(0, toComplete.length);
      await boss.complete(queue, ids).catch(report);
    }
  };
  const scheduleFlush = () => {
    flushing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(flushCompletes).finally(() => (flushing = undefined));
    return flushing;
  };

  const run = async (job: Job<T>) => {
    let failure: unknown;
    try {
      await handler(job);
    } catch (error) {
      failure = error;
    }
    const attempt = { id: job.id, retryCount: job.retryCount };
    if (failure === undefined) {
      toComplete.push(attempt);
      await scheduleFlush();
    } else {
      await boss.fail(queue, attempt, { message: failure instanceof Error ? failure.message : String(failure) }).catch(report);
    }
    inHand.delete(job.id);
    releaseSlot?.();
    // A settled job may free a job waiting behind it (a queue with a singleton policy keeps one
    // waiting per key while one is active, and its NOTIFY came while the key was busy): fetch again.
    nudge();
  };

  let releaseSlot: (() => void) | undefined;
  const slotFree = () => new Promise<void>((resolve) => (releaseSlot = () => { releaseSlot = undefined; resolve(); }));

  // Heartbeats of the jobs in hand (a queue with heartbeatSeconds; every job of a queue has the same).
  let heartbeatTimer: NodeJS.Timeout | undefined;
  const beat = async () => {
    const held = [...inHand.values()].map((j) => ({ id: j.id, retryCount: j.retryCount }));
    if (held.length) await boss.touch(queue, held).catch(report);
  };
  const startHeartbeat = (seconds: number | null) => {
    if (heartbeatTimer || !seconds) return;
    heartbeatTimer = setInterval(() => void beat(), (seconds * 1000) / 2);
    heartbeatTimer.unref();
  };

  const unsubscribe = await subscribe(boss, (payload) => { if (payload === undefined || payload === queue) nudge(); }, report);

  const loop = (async () => {
    while (!stopping) {
      const free = concurrency - inHand.size;
      if (free === 0) {
        await slotFree();
        continue;
      }
      nudged = false;
      let jobs: Job<T>[] = [];
      try {
        jobs = (await boss.fetch<T>(queue, { batchSize: free })) ?? [];
      } catch (error) {
        report(error);
      }
      for (const job of jobs) {
        inHand.set(job.id, job);
        startHeartbeat(job.heartbeatSeconds);
        void run(job);
      }
      if (stopping) break;
      // A full fetch: more may be waiting, so fetch again as soon as a slot frees. A short one:
      // the queue had no more; wait for a NOTIFY or the polling interval.
      if (jobs.length === free) continue;
      if (!nudged) await sleep(pollMs);
    }
  })();

  return {
    inHand: () => inHand.size,
    async stop() {
      stopping = true;
      wake?.();
      releaseSlot?.();
      await loop;
      while (inHand.size) await slotFree();
      await flushing;
      await flushCompletes();
      if (heartbeatTimer) clearInterval(heartbeatTimer);
      await unsubscribe();
    },
  };
}
