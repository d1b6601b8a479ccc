// The calendar-sync queue: one reconcile job per calendar connection (coalesced by pg-boss's
// stately policy), enqueued in the same transaction as the booking change that calls for it.
import type { TripChange } from '../domain/types.ts';
import { connectedConnectionIds } from '../store/calendar-connections.ts';
import { addDelegatedConnections } from '../store/delegated-connections.ts';
import { QUEUES, type Store, type Tx } from '../store/database.ts';
import { startDispatcher } from '../store/job-dispatcher.ts';
import { lockWaitingJobs } from '../store/waiting-jobs.ts';
import { retryOperatorAlarmsNow } from '../store/operator-alarms.ts';
import { reconcileConnection, type ReconcileOutcome, type SyncDeps } from './reconcile-connection.ts';

/**
 * A reconcile of one connection. Jobs queued before connections had ids of their own name the
 * traveler instead: such a job reconciles each of the traveler's connected calendars.
 */
export type CalendarSyncJob = { connectionId: string } | { userId: string };

export async function enqueueSync(store: Store, tx: Tx | undefined, connectionId: string, startAfterSeconds?: number): Promise<string | null> {
  return store.enqueue(tx, QUEUES.calendarSync, { connectionId } satisfies CalendarSyncJob, {
    singletonKey: connectionId,
    ...(startAfterSeconds ? { startAfter: startAfterSeconds } : {}),
  });
}

/**
 * Queues the reconcile of each connection, in one statement (turning sync on for a whole company).
 * Inside a transaction, each connection's reconcile is sure to start after it commits (see
 * reconcileAfterCommit); without one, a job already waiting starts later by definition.
 */
export async function enqueueSyncs(store: Store, tx: Tx | undefined, connectionIds: string[]): Promise<void> {
  if (tx) return reconcileAfterCommit(store, tx, connectionIds);
  await store.enqueueMany(tx, QUEUES.calendarSync, connectionIds.map((connectionId) => ({ data: { connectionId } satisfies CalendarSyncJob, singletonKey: connectionId })));
}

/**
 * Makes sure each connection is reconciled by a job that starts after `tx` commits, so that the
 * reconcile reads what `tx` wrote.
 *
 * The queue keeps one waiting job per connection (stately policy: pg-boss's insert is ON CONFLICT
 * DO NOTHING on a unique index of queue, state and connection). So the transaction either queues
 * the waiting job itself, which no worker can see before the commit, or it meets a job queued by
 * someone else and must keep that job from starting until the commit: it locks the job's row, and
 * pg-boss's fetch skips locked rows (FOR UPDATE SKIP LOCKED).
 *
 * The insert comes first. Another booking's job not yet committed is invisible to a SELECT, but
 * the insert meets its unique-index entry, waits for that transaction to end and then adds
 * nothing; only after that is the job visible to lock. Looking first would find nothing to lock,
 * and that job could then run between the other booking's commit and this one's, reading none of
 * this booking, with no job left to read it later (test/sync/booking-race.test.ts). If the job is
 * gone by the time of the lock (a worker took it in between), the insert is tried again: it now
 * adds a job.
 */
export async function reconcileAfterCommit(store: Store, tx: Tx, connectionIds: string[]): Promise<void> {
  let pending = [...new Set(connectionIds)];
  for (let round = 0; pending.length; round++) {
    // Each round needs a worker to take a connection's job in the instant between two statements.
    if (round === MAX_ENQUEUE_ROUNDS) throw new Error(`calendar sync: no waiting job could be held for ${pending.length} connection(s) after ${round} rounds`);
    if (pending.length === 1) {
      // The usual booking: an insert that adds the job needs no lock (it is this transaction's own).
      if (await enqueueSync(store, tx, pending[0]!)) return;
    } else {
      await store.enqueueMany(tx, QUEUES.calendarSync, pending.map((connectionId) => ({ data: { connectionId } satisfies CalendarSyncJob, singletonKey: connectionId })));
    }
    const held = await lockWaitingJobs(tx, QUEUES.calendarSync, pending);
    pending = pending.filter((id) => !held.has(id));
  }
}

const MAX_ENQUEUE_ROUNDS = 10;

/**
 * Booking hook: a change to a traveler's trip schedules the reconcile of each of their connected
 * calendars, to start after the booking commits (reconcileAfterCommit). Connections a company's
 * delegation calls for and that the traveler lacks are made first.
 */
export function syncOnBookingChange(store: Store) {
  return async (tx: Tx, change: TripChange): Promise<void> => {
    // A traveler under the company's delegation gets the connection their first booking needs.
    await addDelegatedConnections(tx, { userId: change.trip.travelerId }, new Date());
    const connectionIds = await connectedConnectionIds(tx, change.trip.travelerId);
    if (connectionIds.length) await reconcileAfterCommit(store, tx, connectionIds);
  };
}

export interface SyncWorkerOptions {
  store: Store;
  deps: SyncDeps;
  /**
   * Connections reconciled at once by this process (each keeps its own calendar's limits); default
   * 64. A reconcile mostly waits on its calendar (Outlook: 4 requests in flight per mailbox at
   * most), so a process's throughput is about this number × 4 / the calendar's latency. With 4, a
   * backfill of 50 travelers ran at 3% of what the calendar allows and a stream of 20 changes/s
   * queued up (p99 14 s): `npm run bench`.
   */
  concurrency?: number;
  pollingIntervalSeconds?: number;
  onOutcome?: (connectionId: string, outcome: ReconcileOutcome) => void;
}

export async function startSyncWorker(opts: SyncWorkerOptions): Promise<() => Promise<void>> {
  // New settings may have fixed what only the operator could: the next reconcile tries at once.
  await retryOperatorAlarmsNow(opts.store.db, (opts.deps.now ?? (() => new Date()))());
  // Each reconcile holds a slot of its own (job-dispatcher.ts): one waiting out a calendar's
  // Retry-After does not hold back the jobs fetched with it. Each job's outcome is its own: one
  // reconcile's error fails (and retries) that job alone.
  const dispatcher = await startDispatcher<CalendarSyncJob>({
    boss: opts.store.boss,
    queue: QUEUES.calendarSync,
    concurrency: opts.concurrency ?? 64,
    // A queued job wakes the loop at once (NOTIFY); the polling interval finds retries coming due
    // (startAfter) and is the floor when NOTIFY is down.
    pollingIntervalSeconds: opts.pollingIntervalSeconds ?? 1,
    // pg-boss's own error event: the store reports it, an outage once per interval (database.ts).
    onError: (error) => void opts.store.boss.emit('error', error),
    handler: async (job) => {
      const connectionIds = 'connectionId' in job.data ? [job.data.connectionId] : await connectedConnectionIds(opts.store.db, job.data.userId);
      for (const connectionId of connectionIds) {
        const outcome = await reconcileConnection(opts.deps, connectionId);
        opts.onOutcome?.(connectionId, outcome);
        // Throttled or unavailable: run again after the calendar's Retry-After; what succeeded is kept.
        if (outcome.status === 'retry') await enqueueSync(opts.store, undefined, connectionId, Math.ceil(outcome.retryAfterMs / 1000));
      }
    },
  });
  // Jobs in hand finish first; the rest stay queued for another worker.
  return () => dispatcher.stop();
}

/** Runs connection maintenance daily (pg-boss cron; one run at a time across workers). */
export async function startMaintenanceWorker(store: Store, run: () => Promise<unknown>, cron = '17 3 * * *'): Promise<() => Promise<void>> {
  const { boss } = store;
  await boss.schedule(QUEUES.connectionMaintenance, cron, {});
  await boss.work(QUEUES.connectionMaintenance, { batchSize: 1, pollingIntervalSeconds: 30 }, async () => {
    await run();
  });
  return () => boss.offWork(QUEUES.connectionMaintenance, { wait: true });
}
