// One traveler's reconcile: the events their bookings call for, against the mapping of events
// already written; only the difference goes to the calendar. Safe to run twice, safe to kill at
// any point: a create is recorded as `creating` before it is sent, and its answer as soon as the
// database can take it (AnswerLog); a lost answer is recovered by looking the event up by its key.
import { CalendarProviderError, type CalendarMailbox, type CalendarProvider, type WriteResult } from '../calendars/contract.ts';
import { eventHash, projectTrip } from '../domain/project-segment.ts';
import { sql } from 'kysely';
import { coalesce, perHandle } from '../store/coalesce.ts';
import type { Db } from '../store/database.ts';
import { loadSyncState, recordSyncOutcome, tokenCacheStore } from '../store/outlook.ts';
import type { SecretBox } from '../store/secret-box.ts';
import type { Trip } from '../domain/types.ts';
import { applyConnectionError } from './connection-policy.ts';
import { keysToDiscover, planWrites, type Desired, type Mapping, type MappingWrite } from './plan-writes.ts';

export interface SyncDeps {
  db: Db;
  provider: CalendarProvider;
  box: SecretBox;
  now?: () => Date;
}

export type ReconcileOutcome =
  | { status: 'skipped'; reason: 'not_connected' | 'sync_off' | 'no_consent' }
  | { status: 'done'; writes: number; failed: number }
  | { status: 'retry'; writes: number; retryAfterMs: number }
  | { status: 'lapsed' | 'revoked'; reason: string };

/** The traveler's desired events: one per confirmed segment of every trip (past ones too). */
function desiredEvents(trips: Trip[], locale: 'ja' | 'en'): Map<string, Desired> {
  const desired = new Map<string, Desired>();
  for (const trip of trips) {
    for (const event of projectTrip(trip, locale)) desired.set(event.key, { event, hash: eventHash(event) });
  }
  return desired;
}

async function loadMappings(db: Db, userId: string): Promise<Map<string, Mapping>> {
  const rows = await db.selectFrom('event_mappings').select(['segment_id', 'event_id', 'content_hash', 'transaction_id', 'state']).where('user_id', '=', userId).execute();
  return new Map(rows.map((r) => [r.segment_id, { segmentId: r.segment_id, eventId: r.event_id, contentHash: r.content_hash, transactionId: r.transaction_id, state: r.state }]));
}

/**
 * The mapping rows a plan writes before its calendar writes. A backfill of 40 events was 40
 * upserts one after the other, which on the embedded database (one session) held up every other
 * traveler's reconcile (see `npm run bench`): now one statement per plan, and the plans of
 * reconciles that start together share one (coalesce.ts), as their state reads do. The upsert takes
 * one array per column rather than parameters per row: the embedded database encodes parameters
 * one by one in JavaScript, and the statement's text stays the same whatever the number of rows.
 */
async function applyMappingWrites(db: Db, userId: string, writes: MappingWrite[], at: Date): Promise<void> {
  const removed = writes.flatMap((w) => (w.kind === 'remove' ? [w.segmentId] : []));
  if (removed.length) await db.deleteFrom('event_mappings').where('user_id', '=', userId).where('segment_id', 'in', removed).execute();
  const upserts = writes.flatMap((w) => (w.kind === 'upsert' ? [w.mapping] : []));
  if (upserts.length) await mappingUpserts(db)({ userId, mappings: upserts, at });
}

interface MappingUpserts {
  userId: string;
  mappings: Mapping[];
  at: Date;
}

const mappingUpserts = perHandle((db: Db) =>
  coalesce(async (plans: MappingUpserts[]) => {
    const rows = plans.flatMap((p) => p.mappings.map((m) => ({ ...m, userId: p.userId, at: p.at.toISOString() })));
    await sql`
      insert into event_mappings (user_id, segment_id, event_id, content_hash, transaction_id, state, error, updated_at)
      select m.user_id, m.segment_id, m.event_id, m.content_hash, m.transaction_id, m.state, null, m.at
      from unnest(
        ${rows.map((m) => m.userId)}::uuid[], ${rows.map((m) => m.segmentId)}::uuid[], ${rows.map((m) => m.eventId)}::text[],
        ${rows.map((m) => m.contentHash)}::text[], ${rows.map((m) => m.transactionId)}::text[], ${rows.map((m) => m.state)}::text[],
        ${rows.map((m) => m.at)}::timestamptz[]
      ) as m(user_id, segment_id, event_id, content_hash, transaction_id, state, at)
      on conflict (user_id, segment_id) do update set
        event_id = excluded.event_id, content_hash = excluded.content_hash, transaction_id = excluded.transaction_id,
        state = excluded.state, error = null, updated_at = excluded.updated_at`.execute(db);
    return plans.map(() => undefined);
  }, { maxGroup: 100 }));

/** One calendar answer waiting to be recorded. */
interface Answer {
  kind: 'answer';
  userId: string;
  result: WriteResult;
  /** The content hash the write made current (creates and updates). */
  hash: string | undefined;
  at: Date;
}

/** How a reconcile ended, for the connection's last_synced_at / last_sync_error. */
interface Outcome {
  kind: 'outcome';
  userId: string;
  at: Date;
  error: string | null;
}

/**
 * Records calendar writes' answers, and how each reconcile ended, for every reconcile of this
 * process, without holding up the writes: they queue here and are written together, every
 * LINGER_MS at most, in one statement per kind (group commit). Recording each answer, or each
 * traveler's answers, as they came meant 1,000 UPDATEs for a backfill of 50 travelers × 40 events,
 * 0.55 s of the embedded database's one session in the middle of every mailbox's writes (`npm run
 * bench`; now about one statement per LINGER_MS). A crash before an answer is recorded loses
 * nothing: its row says `creating`, and the next run finds the event by its key (or re-sends it
 * with the same transactionId); a reconcile's job completes only after its outcome is recorded.
 */
const LINGER_MS = 20;
const MAX_ROWS = 1000;

class AnswerLog {
  #queued: Array<(Answer | Outcome) & { done: (error?: unknown) => void }> = [];
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /** Resolves once the answer (or outcome) is recorded; rejects if it could not be. */
  record(answer: Answer | Outcome): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#queued.push({ ...answer, done: (error) => (error === undefined ? resolve() : reject(error)) });
      if (this.#queued.length >= MAX_ROWS) this.#flushSoon(0);
      else this.#flushSoon(LINGER_MS);
    });
  }

  #flushSoon(delayMs: number): void {
    if (this.#timer && delayMs > 0) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#flushing = this.#flushing.then(() => this.#flush());
    }, delayMs);
  }

  async #flush(): Promise<void> {
    while (this.#queued.length) {
      const batch = this.#queued.splice(0, MAX_ROWS);
      try {
        await recordAnswers(this.#db, batch);
        for (const a of batch) a.done();
      } catch (error) {
        for (const a of batch) a.done(error ?? new Error('recording calendar answers failed'));
      }
    }
  }
}

/** One log per database handle: every reconcile of the process shares it. */
const answerLog = perHandle((db: Db) => new AnswerLog(db));

/** Writes a group of answers and outcomes: one statement per kind, the rare refusals one by one. */
async function recordAnswers(db: Db, entries: Array<Answer | Outcome>): Promise<void> {
  const answers = entries.filter((e): e is Answer => e.kind === 'answer');
  // The latest outcome per traveler (a retried reconcile's first outcome may share the group).
  const outcomes = new Map(entries.flatMap((e) => (e.kind === 'outcome' ? [[e.userId, e] as const] : [])));
  if (outcomes.size) {
    const latest = [...outcomes.values()];
    await sql`
      update outlook_connections as c
      set last_synced_at = v.at, last_sync_error = v.error
      from unnest(${latest.map((o) => o.userId)}::uuid[], ${latest.map((o) => o.at.toISOString())}::timestamptz[], ${latest.map((o) => o.error)}::text[]) as v(user_id, at, error)
      where c.user_id = v.user_id`.execute(db);
  }
  const synced = answers.flatMap((a) => (a.result.ok && a.result.kind !== 'delete' ? [{ ...a, eventId: a.result.eventId }] : []));
  const deleted = answers.filter((a) => a.result.kind === 'delete' && (a.result.ok || a.result.error.code === 'not_found'));
  if (synced.length) {
    // One array per column, as applyMappingWrites: one statement text whatever the group's size.
    await sql`
      update event_mappings as m
      set event_id = v.event_id, content_hash = v.content_hash, state = 'synced', error = null, updated_at = v.at
      from unnest(
        ${synced.map((a) => a.userId)}::uuid[], ${synced.map((a) => a.result.key)}::uuid[], ${synced.map((a) => a.eventId)}::text[],
        ${synced.map((a) => a.hash ?? '')}::text[], ${synced.map((a) => a.at.toISOString())}::timestamptz[]
      ) as v(user_id, segment_id, event_id, content_hash, at)
      where m.user_id = v.user_id and m.segment_id = v.segment_id`.execute(db);
  }
  if (deleted.length) {
    const keys = sql.join(deleted.map((a) => sql`(${a.userId}::uuid, ${a.result.key}::uuid)`));
    await sql`delete from event_mappings where (user_id, segment_id) in (${keys})`.execute(db);
  }
  for (const { userId, result, hash, at } of answers) {
    if (result.ok || result.kind === 'delete') continue;
    const row = () => db.updateTable('event_mappings').where('user_id', '=', userId).where('segment_id', '=', result.key);
    switch (result.error.code) {
      case 'not_found':
        // Deleted in Outlook by the traveler. Found out by an update, i.e. because the booking
        // changed: the hash is cleared so the changed booking is written again. An unchanged
        // booking is never written, so a deleted event stays deleted until its booking changes.
        await row().set({ event_id: null, content_hash: '', state: 'user_deleted', error: null, updated_at: at }).execute();
        break;
      case 'invalid':
        await row().set({ content_hash: hash ?? '', state: 'failed', error: result.error.message.slice(0, 500), updated_at: at }).execute();
        break;
      default:
      // temporary / throttled: left as it is; the job runs again and picks it up.
    }
  }
}

export async function reconcileTraveler(deps: SyncDeps, userId: string): Promise<ReconcileOutcome> {
  const now = deps.now ?? (() => new Date());
  const { db } = deps;
  // State is re-read every time: running the job twice, or after a switch-off, is harmless.
  const context = await loadSyncState(db, userId);
  if (!context || context.connection.status !== 'connected') return { status: 'skipped', reason: 'not_connected' };
  if (!context.consentGranted) return { status: 'skipped', reason: 'no_consent' };
  if (!context.syncEnabled || !context.work) return { status: 'skipped', reason: 'sync_off' };
  const { connection, work } = context;

  const mailbox: CalendarMailbox = deps.provider.mailbox({ homeAccountId: connection.home_account_id, cache: tokenCacheStore(db, deps.box, userId, now, context.sealedAccessToken) });
  try {
    const desired = desiredEvents(work.trips, context.locale);
    const mappings = new Map<string, Mapping>(work.mappings.map((m) => [m.segmentId, m]));
    const lookup = keysToDiscover(desired, mappings, connection.rediscover);
    const found = lookup.length ? await mailbox.findByKeys(lookup) : new Map<string, string>();
    const results: WriteResult[] = [];
    // A second pass only when an update found its event deleted in Outlook: the booking changed
    // since, so the event is written again (its answer marked it user_deleted, hash unknown).
    for (let pass = 0; pass < 2; pass++) {
      const plan = planWrites(desired, pass === 0 ? mappings : await loadMappings(db, userId), found);
      await applyMappingWrites(db, userId, plan.before, now());
      const log = answerLog(db);
      const recorded: Promise<void>[] = [];
      let round: WriteResult[] = [];
      try {
        round = plan.ops.length
          ? await mailbox.write(plan.ops, {
            onResult: async (r) => {
              const pending = log.record({ kind: 'answer', userId, result: r, hash: plan.hashes.get(r.key), at: now() });
              pending.catch(() => {}); // awaited below, with the others
              recorded.push(pending);
            },
          })
          : [];
      } finally {
        // What was answered is recorded even when the write as a whole ended in an error.
        await Promise.all(recorded);
      }
      results.push(...round);
      if (!round.some((r) => !r.ok && r.kind === 'update' && r.error.code === 'not_found')) break;
    }
    const retryable = results.filter((r) => !r.ok && (r.error.code === 'temporary' || r.error.code === 'throttled'));
    const failed = results.filter((r) => !r.ok && r.error.code === 'invalid').length;
    if (connection.rediscover && !retryable.length) {
      await db.updateTable('outlook_connections').set({ rediscover: false }).where('user_id', '=', userId).execute();
    }
    if (retryable.length) {
      const retryAfterMs = Math.max(1000, ...retryable.map((r) => (!r.ok && r.error.retryAfterMs) || 0));
      await answerLog(db).record({ kind: 'outcome', userId, at: now(), error: `${retryable.length} calendar writes to retry` });
      return { status: 'retry', writes: results.length - retryable.length, retryAfterMs };
    }
    await answerLog(db).record({ kind: 'outcome', userId, at: now(), error: failed ? `${failed} events refused by the calendar` : null });
    return { status: 'done', writes: results.length, failed };
  } catch (error) {
    if (error instanceof CalendarProviderError) {
      const applied = await applyConnectionError(db, { userId, organisationId: connection.organisation_id }, error, now());
      if (applied) return applied;
      await recordSyncOutcome(db, userId, now(), `${error.code}: ${error.message}`.slice(0, 500));
      return { status: 'retry', writes: 0, retryAfterMs: error.retryAfterMs ?? 30_000 };
    }
    throw error;
  }
}
