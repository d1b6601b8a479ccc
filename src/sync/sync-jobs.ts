// The calendar-sync queue: one reconcile job per traveler (coalesced by pg-boss's stately policy),
// enqueued in the same transaction as the booking change that calls for it.
import type { Job } from 'pg-boss';
import type { TripChange } from '../domain/types.ts';
import { QUEUES, type Store, type Tx } from '../store/database.ts';
import { reconcileTraveler, type ReconcileOutcome, type SyncDeps } from './reconcile-traveler.ts';

export interface CalendarSyncJob {
  userId: string;
}

export async function enqueueSync(store: Store, tx: Tx | undefined, userId: string, startAfterSeconds?: number): Promise<void> {
  await store.enqueue(tx, QUEUES.calendarSync, { userId } satisfies CalendarSyncJob, {
    singletonKey: userId,
    ...(startAfterSeconds ? { startAfter: startAfterSeconds } : {}),
  });
}

/** Booking hook: a change to a connected traveler's trip schedules their reconcile. */
export function syncOnBookingChange(store: Store) {
  return async (tx: Tx, change: TripChange): Promise<void> => {
    const connected = await tx
      .selectFrom('outlook_connections')
      .select('user_id')
      .where('user_id', '=', change.trip.travelerId)
      .where('status', '=', 'connected')
      .executeTakeFirst();
    if (connected) await enqueueSync(store, tx, change.trip.travelerId);
  };
}

export interface SyncWorkerOptions {
  store: Store;
  deps: SyncDeps;
  /**
   * Travelers reconciled at once by this process (each keeps its own mailbox limits); default 50.
   * A reconcile mostly waits on Graph (4 requests in flight per mailbox at most), so the process's
   * throughput is this number × 4 / Graph's latency. pg-boss gives each of these its own poller,
   * which after a job waits the polling interval before the next: with 4, a backfill of 50
   * travelers ran at 3% of what Graph allows and a stream of 20 changes/s queued up (p99 14 s);
   * see `npm run bench`.
   */
  concurrency?: number;
  pollingIntervalSeconds?: number;
  onOutcome?: (userId: string, outcome: ReconcileOutcome) => void;
}

export async function startSyncWorker(opts: SyncWorkerOptions): Promise<() => Promise<void>> {
  const { boss } = opts.store;
  await boss.work<CalendarSyncJob>(
    QUEUES.calendarSync,
    { batchSize: 1, localConcurrency: opts.concurrency ?? 50, pollingIntervalSeconds: opts.pollingIntervalSeconds ?? 1 },
    async (jobs: Job<CalendarSyncJob>[]) => {
      for (const job of jobs) {
        const outcome = await reconcileTraveler(opts.deps, job.data.userId);
        opts.onOutcome?.(job.data.userId, outcome);
        // Throttled or unavailable: run again after the calendar's Retry-After; what succeeded is kept.
        if (outcome.status === 'retry') await enqueueSync(opts.store, undefined, job.data.userId, Math.ceil(outcome.retryAfterMs / 1000));
      }
    },
  );
  // Jobs in hand finish first; the rest stay queued for another worker.
  return () => boss.offWork(QUEUES.calendarSync, { wait: true });
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

/** Whether the traveler's itinerary emails should say how to reconnect Outlook. */
export async function needsOutlookReconnect(store: Store, userId: string): Promise<boolean> {
  const row = await store.db
    .selectFrom('outlook_connections')
    .innerJoin('organisation_outlook', 'organisation_outlook.organisation_id', 'outlook_connections.organisation_id')
    .select(['outlook_connections.status', 'organisation_outlook.sync_enabled'])
    .where('outlook_connections.user_id', '=', userId)
    .executeTakeFirst();
  return !!row && row.sync_enabled && (row.status === 'lapsed' || row.status === 'revoked');
}
