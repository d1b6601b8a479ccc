// What was written to each calendar: one row per connection and segment, with the event's id at
// the provider, a content hash, the create's idempotency key and a state (creating, synced, deleted
// by the user, failed). A reconcile plans against these rows and records its calendar's answers here.
import { sql } from 'kysely';
import type { WriteResult } from '../calendars/account.ts';
import { recordSyncOutcomes, type StoredMapping } from './calendar-connections.ts';
import { coalesce, perHandle } from './coalesce.ts';
import type { Db } from './database.ts';
import type { MappingState } from './schema.ts';

export async function loadMappings(db: Db, connectionId: string): Promise<Map<string, StoredMapping>> {
  const rows = await db.selectFrom('calendar_events').select(['segment_id', 'event_id', 'content_hash', 'transaction_id', 'state']).where('connection_id', '=', connectionId).execute();
  return new Map(rows.map((r) => [r.segment_id, { segmentId: r.segment_id, eventId: r.event_id, contentHash: r.content_hash, transactionId: r.transaction_id, state: r.state }]));
}

/** The events written to a connection's calendar that have an id there (to remove them on disconnect). */
export async function writtenEvents(db: Db, connectionId: string): Promise<Array<{ segmentId: string; eventId: string }>> {
  const rows = await db.selectFrom('calendar_events').select(['segment_id', 'event_id']).where('connection_id', '=', connectionId).where('event_id', 'is not', null).execute();
  return rows.map((r) => ({ segmentId: r.segment_id, eventId: r.event_id! }));
}

export async function forgetEvents(db: Db, connectionId: string, segmentIds: string[]): Promise<void> {
  if (segmentIds.length) await db.deleteFrom('calendar_events').where('connection_id', '=', connectionId).where('segment_id', 'in', segmentIds).execute();
}

/** Each of a user's connections' record of the given segments (the trip page's calendar states). */
export async function eventStates(db: Db, userId: string, segmentIds: string[]): Promise<Array<{ connectionId: string; segmentId: string; state: MappingState; error: string | null }>> {
  if (!segmentIds.length) return [];
  const rows = await db
    .selectFrom('calendar_events as e')
    .innerJoin('calendar_connections as c', 'c.id', 'e.connection_id')
    .select(['e.connection_id', 'e.segment_id', 'e.state', 'e.error'])
    .where('c.user_id', '=', userId)
    .where('e.segment_id', 'in', segmentIds)
    .execute();
  return rows.map((r) => ({ connectionId: r.connection_id, segmentId: r.segment_id, state: r.state, error: r.error }));
}

/** A row to write before the calendar writes are sent (so a crash loses nothing), or to remove. */
export type MappingChange = { kind: 'upsert'; mapping: StoredMapping } | { kind: 'remove'; segmentId: string };

/**
 * The rows a plan writes before its calendar writes. A backfill of 40 events was 40 upserts one
 * after the other, which on the embedded database (one session) held up every other traveler's
 * reconcile (see `npm run bench`): now one statement per plan, and the plans of reconciles that
 * start together share one (coalesce.ts), as their state reads do. The upsert takes one array per
 * column rather than parameters per row: the embedded database encodes parameters one by one in
 * JavaScript, and the statement's text stays the same whatever the number of rows.
 */
export async function applyMappingChanges(db: Db, connectionId: string, changes: MappingChange[], at: Date): Promise<void> {
  await forgetEvents(db, connectionId, changes.flatMap((w) => (w.kind === 'remove' ? [w.segmentId] : [])));
  const upserts = changes.flatMap((w) => (w.kind === 'upsert' ? [w.mapping] : []));
  if (upserts.length) await mappingUpserts(db)({ connectionId, mappings: upserts, at });
}

interface MappingUpserts {
  connectionId: string;
  mappings: StoredMapping[];
  at: Date;
}

const mappingUpserts = perHandle((db: Db) =>
  coalesce(async (plans: MappingUpserts[]) => {
    const rows = plans.flatMap((p) => p.mappings.map((m) => ({ ...m, connectionId: p.connectionId, at: p.at.toISOString() })));
    await sql`
      insert into calendar_events (connection_id, segment_id, event_id, content_hash, transaction_id, state, error, updated_at)
      select m.connection_id, m.segment_id, m.event_id, m.content_hash, m.transaction_id, m.state, null, m.at
      from unnest(
        ${rows.map((m) => m.connectionId)}::uuid[], ${rows.map((m) => m.segmentId)}::uuid[], ${rows.map((m) => m.eventId)}::text[],
        ${rows.map((m) => m.contentHash)}::text[], ${rows.map((m) => m.transactionId)}::text[], ${rows.map((m) => m.state)}::text[],
        ${rows.map((m) => m.at)}::timestamptz[]
      ) as m(connection_id, segment_id, event_id, content_hash, transaction_id, state, at)
      on conflict (connection_id, segment_id) do update set
        event_id = excluded.event_id, content_hash = excluded.content_hash, transaction_id = excluded.transaction_id,
        state = excluded.state, error = null, updated_at = excluded.updated_at`.execute(db);
    return plans.map(() => undefined);
  }, { maxGroup: 100 }));

/** One calendar answer waiting to be recorded. */
export interface Answer {
  kind: 'answer';
  connectionId: string;
  result: WriteResult;
  /** The content hash the write made current (creates and updates). */
  hash: string | undefined;
  at: Date;
}

/** How a reconcile ended, for the connection's last_synced_at / last_sync_error. */
export interface Outcome {
  kind: 'outcome';
  connectionId: string;
  at: Date;
  error: string | null;
}

/**
 * Records calendar writes' answers, and how each reconcile ended, for every reconcile of this
 * process, without holding up the writes: they queue here and are written together, every
 * LINGER_MS at most, in one statement per kind (group commit). Recording each answer, or each
 * traveler's answers, as they came meant 1,000 UPDATEs for a backfill of 50 travelers × 40 events,
 * 0.55 s of the embedded database's one session in the middle of every calendar's writes (`npm run
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
export const answerLog = perHandle((db: Db) => new AnswerLog(db));

/** Writes a group of answers and outcomes: one statement per kind, the rare refusals one by one. */
async function recordAnswers(db: Db, entries: Array<Answer | Outcome>): Promise<void> {
  const answers = entries.filter((e): e is Answer => e.kind === 'answer');
  // The latest outcome per connection (a retried reconcile's first outcome may share the group).
  const outcomes = new Map(entries.flatMap((e) => (e.kind === 'outcome' ? [[e.connectionId, e] as const] : [])));
  await recordSyncOutcomes(db, [...outcomes.values()]);
  const synced = answers.flatMap((a) => (a.result.ok && a.result.kind !== 'delete' ? [{ ...a, eventId: a.result.eventId }] : []));
  const deleted = answers.filter((a) => a.result.kind === 'delete' && (a.result.ok || a.result.error.code === 'not_found'));
  if (synced.length) {
    // One array per column, as applyMappingChanges: one statement text whatever the group's size.
    await sql`
      update calendar_events as m
      set event_id = v.event_id, content_hash = v.content_hash, state = 'synced', error = null, updated_at = v.at
      from unnest(
        ${synced.map((a) => a.connectionId)}::uuid[], ${synced.map((a) => a.result.key)}::uuid[], ${synced.map((a) => a.eventId)}::text[],
        ${synced.map((a) => a.hash ?? '')}::text[], ${synced.map((a) => a.at.toISOString())}::timestamptz[]
      ) as v(connection_id, segment_id, event_id, content_hash, at)
      where m.connection_id = v.connection_id and m.segment_id = v.segment_id`.execute(db);
  }
  if (deleted.length) {
    const keys = sql.join(deleted.map((a) => sql`(${a.connectionId}::uuid, ${a.result.key}::uuid)`));
    await sql`delete from calendar_events where (connection_id, segment_id) in (${keys})`.execute(db);
  }
  for (const { connectionId, result, hash, at } of answers) {
    if (result.ok || result.kind === 'delete') continue;
    const row = () => db.updateTable('calendar_events').where('connection_id', '=', connectionId).where('segment_id', '=', result.key);
    switch (result.error.code) {
      case 'not_found':
        // Deleted in the calendar by the traveler. Found out by an update, i.e. because the booking
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
