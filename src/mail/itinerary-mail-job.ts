// The itinerary-mail job: one per booking change, enqueued in the change's own transaction.
// It renders from the change's snapshot (not the trip as it is now), so a retry or a late run
// sends exactly the email of that change (same Message-ID). A failed send fails its job alone, and
// pg-boss retries it with the queue's backoff. A sent email is recorded on its change before the
// job completes, so a job run again (its completion lost with the database) does not send it twice.
import type { User } from '../domain/types.ts';
import type { CalendarNames } from '../i18n/messages.ts';
import { QUEUES, type Store } from '../store/database.ts';
import { findChangeToEmail, markChangeEmailed } from '../store/trips.ts';
import { startDispatcher } from '../store/job-dispatcher.ts';
import { isDatabaseUnavailable } from '../store/unavailable.ts';
import { composeItineraryEmail } from './compose-itinerary-email.ts';
import { MailTransportError, SMTP_MAX_CONNECTIONS, type MailTransport } from './transport.ts';

export interface ItineraryMailJob {
  changeId: string;
}

export interface MailJobOptions {
  store: Store;
  transport: MailTransport;
  from: { name: string; address: string };
  publicUrl: string;
  /** The traveler's lapsed calendar connections, named in their language (the email then says how to reconnect each). */
  lapsedCalendars?: (traveler: User) => Promise<CalendarNames[]>;
  log?: (line: string) => void;
}

export type SendOutcome = 'sent' | 'already_sent' | 'dropped';

/**
 * How long a sent email's record is retried while the database cannot be reached. Until it is
 * recorded, a retry of the job would send the email again; after this long the job fails and is
 * retried, and the traveler may get the email twice.
 */
const RECORD_PATIENCE_MS = 5 * 60_000;

export async function sendItineraryMail(job: ItineraryMailJob, opts: MailJobOptions): Promise<SendOutcome> {
  const log = opts.log ?? ((line) => console.log(line));
  const found = await findChangeToEmail(opts.store.db, job.changeId);
  if (!found) {
    log(`[mail] change ${job.changeId} no longer exists; nothing to send`);
    return 'dropped';
  }
  if (found.emailedAt) {
    log(`[mail] change ${job.changeId}: already sent; not sent again`);
    return 'already_sent';
  }
  const { change, traveler: foundTraveler } = found;
  if (!foundTraveler) {
    log(`[mail] traveler of change ${job.changeId} no longer exists; nothing to send`);
    return 'dropped';
  }
  const { active, ...traveler } = foundTraveler;
  if (!active) {
    // Deprovisioned by the company: their trips are kept, but nothing is sent to them.
    log(`[mail] traveler of change ${job.changeId} is deprovisioned; nothing sent`);
    return 'dropped';
  }
  const message = composeItineraryEmail(change, traveler, {
    from: opts.from,
    publicUrl: opts.publicUrl,
    lapsedCalendars: (await opts.lapsedCalendars?.(traveler)) ?? [],
    keepCancelled: found.keepCancelled,
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
  await recordSent(opts.store, job.changeId, log);
  return 'sent';
}

/** Records that the change's email went out, waiting out a database outage (RECORD_PATIENCE_MS). */
async function recordSent(store: Store, changeId: string, log: (line: string) => void): Promise<void> {
  const deadline = Date.now() + RECORD_PATIENCE_MS;
  for (let waitMs = 250, told = false; ; waitMs = Math.min(waitMs * 2, 1000)) {
    try {
      await markChangeEmailed(store.db, changeId, new Date());
      if (told) log(`[mail] change ${changeId}: its sending recorded`);
      return;
    } catch (error) {
      if (!isDatabaseUnavailable(error) || Date.now() + waitMs > deadline) throw error;
      if (!told) log(`[mail] change ${changeId}: sent; recording it once the database answers again`);
      told = true;
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  }
}

export interface MailWorkerOptions extends MailJobOptions {
  /**
   * Emails this process sends at once; default SMTP_MAX_CONNECTIONS (8), the SMTP connections the
   * transport keeps (transport.ts), so that every send has a connection of its own and the SMTP
   * server sees a steady few connections rather than a flood. More than the transport's
   * connections only queues the extra sends inside the transport.
   */
  concurrency?: number;
  pollingIntervalSeconds?: number;
}

/** Starts the worker that sends itinerary emails. Returns a function that stops it. */
export async function startItineraryMailWorker(opts: MailWorkerOptions): Promise<() => Promise<void>> {
  const log = opts.log ?? ((line) => console.log(line));
  // Each email holds a slot of its own (store/job-dispatcher.ts), and a slot that frees is filled
  // at once: a send held by a slow server holds back no other. (pg-boss's work() hands out jobs in
  // batches and fetches again only when a whole batch has settled.) Each job's outcome is its own:
  // a failed send fails (and retries, with the queue's backoff) that job alone. The queue's NOTIFY
  // wakes the loop when a job is queued; polling finds a failed send's retry when it comes due.
  const dispatcher = await startDispatcher<ItineraryMailJob>({
    boss: opts.store.boss,
    queue: QUEUES.itineraryMail,
    concurrency: Math.max(1, Math.floor(opts.concurrency ?? SMTP_MAX_CONNECTIONS)),
    pollingIntervalSeconds: opts.pollingIntervalSeconds ?? 1,
    onError: (error) => void opts.store.boss.emit('error', error),
    handler: async (job) => {
      try {
        await sendItineraryMail(job.data, opts);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        log(`[mail] change ${job.data.changeId}: not sent (${message}); the queue retries it`);
        throw error;
      }
    },
  });
  // Jobs in hand finish first; the rest stay queued for another worker.
  return () => dispatcher.stop();
}
