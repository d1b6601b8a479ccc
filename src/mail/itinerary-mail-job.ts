// The itinerary-mail job: one per booking change, enqueued in the change's own transaction.
// It renders from the change's snapshot (not the trip as it is now), so a retry or a late run
// sends exactly the email of that change. A failed send throws and pg-boss retries it.
import type { Job } from 'pg-boss';
import { findUser } from '../store/organisations.ts';
import { QUEUES, type Store } from '../store/database.ts';
import { findTripChange } from '../store/trips.ts';
import { composeItineraryEmail } from './compose-itinerary-email.ts';
import { MailTransportError, type MailTransport } from './transport.ts';

export interface ItineraryMailJob {
  changeId: string;
}

export interface MailJobOptions {
  store: Store;
  transport: MailTransport;
  from: { name: string; address: string };
  publicUrl: string;
  /** Whether the traveler's Outlook connection has lapsed (the email then says how to reconnect). */
  outlookReconnect?: (travelerId: string) => Promise<boolean>;
  log?: (line: string) => void;
}

export type SendOutcome = 'sent' | 'dropped';

export async function sendItineraryMail(job: ItineraryMailJob, opts: MailJobOptions): Promise<SendOutcome> {
  const log = opts.log ?? ((line) => console.log(line));
  const change = await findTripChange(opts.store.db, job.changeId);
  if (!change) {
    log(`[mail] change ${job.changeId} no longer exists; nothing to send`);
    return 'dropped';
  }
  const traveler = await findUser(opts.store.db, change.trip.travelerId);
  if (!traveler) {
    log(`[mail] traveler of change ${job.changeId} no longer exists; nothing to send`);
    return 'dropped';
  }
  const message = composeItineraryEmail(change, traveler, {
    from: opts.from,
    publicUrl: opts.publicUrl,
    outlookReconnect: (await opts.outlookReconnect?.(traveler.id)) ?? false,
  });
  try {
    await opts.transport.send(message);
  } catch (error) {
    if (error instanceof MailTransportError && error.permanent) {
      // The server refused this message for good: retrying would only repeat the refusal.
      log(`[mail] change ${job.changeId}: refused permanently (${error.code}); not retried`);
      return 'dropped';
    }
    throw error;
  }
  return 'sent';
}

/** Starts the worker that sends itinerary emails. Returns a function that stops it. */
export async function startItineraryMailWorker(opts: MailJobOptions & { pollingIntervalSeconds?: number }): Promise<() => Promise<void>> {
  const { boss } = opts.store;
  await boss.work<ItineraryMailJob>(
    QUEUES.itineraryMail,
    { batchSize: 1, pollingIntervalSeconds: opts.pollingIntervalSeconds ?? 1 },
    async (jobs: Job<ItineraryMailJob>[]) => {
      for (const job of jobs) await sendItineraryMail(job.data, opts);
    },
  );
  // Jobs in hand finish first; the rest stay queued for another worker.
  return () => boss.offWork(QUEUES.itineraryMail, { wait: true });
}
