// One calendar connection's reconcile: the events the traveler's bookings call for, against the
// record of events already written to that calendar; only the difference goes to the calendar.
// Safe to run twice, safe to kill at any point: a create is recorded as `creating` before it is
// sent, and its answer as soon as the database can take it (the answer log of
// store/calendar-events.ts); a lost answer is recovered by looking the event up by its key.
// Where the provider can list our events (every calendar of the account, a few paged requests),
// that listing replaces the lookups: on (re)connect, after a lost answer, and before updating
// events we know, so that a moved event is followed and one the traveler deleted stays deleted.
import type { CalendarAccount, WriteResult } from '../calendars/account.ts';
import { CalendarProviderError } from '../calendars/errors.ts';
import type { CalendarProviders } from '../calendars/registry.ts';
import { eventHash, projectTrip } from '../domain/project-segment.ts';
import type { Trip } from '../domain/types.ts';
import { credentialStore, loadSyncState, markCalendarAvailable, markRediscovered, recordSyncOutcome, REMOVING_EVENTS } from '../store/calendar-connections.ts';
import { answerLog, applyMappingChanges, loadMappings } from '../store/calendar-events.ts';
import type { Db } from '../store/database.ts';
import type { SecretBox } from '../store/secret-box.ts';
import { applyConnectionError } from './connection-policy.ts';
import { keysToDiscover, planWrites, updatesKnownEvents, type Desired, type Mapping } from './plan-writes.ts';
import { operatorFault, operatorGate, operatorRecovered, type OperatorAlarmDeps } from './operator-alarm.ts';
import { removeConnectionEvents } from './remove-connection-events.ts';

export interface SyncDeps extends OperatorAlarmDeps {
  db: Db;
  providers: CalendarProviders;
  box: SecretBox;
  now?: () => Date;
}

export type ReconcileOutcome =
  | { status: 'skipped'; reason: 'not_connected' | 'sync_off' | 'no_consent' | 'provider_unavailable' }
  | { status: 'done'; writes: number; failed: number }
  /** A disconnect with removal: our events deleted from the calendar (`left`: those it would not let go). */
  | { status: 'removed'; removed: number; left: number }
  | { status: 'retry'; writes: number; retryAfterMs: number }
  | { status: 'lapsed' | 'revoked'; reason: string };

/**
 * The traveler's desired events: one per confirmed segment of every trip (past ones too), and one
 * per cancelled segment where the company keeps cancelled bookings (the projection marks it).
 */
function desiredEvents(trips: Trip[], locale: 'ja' | 'en', keepCancelled: boolean): Map<string, Desired> {
  const desired = new Map<string, Desired>();
  for (const trip of trips) {
    for (const event of projectTrip(trip, locale, { keepCancelled })) desired.set(event.key, { event, hash: eventHash(event) });
  }
  return desired;
}

export async function reconcileConnection(deps: SyncDeps, connectionId: string): Promise<ReconcileOutcome> {
  const now = deps.now ?? (() => new Date());
  const { db } = deps;
  // State is re-read every time: running the job twice, or after a switch-off, is harmless.
  const context = await loadSyncState(db, connectionId);
  // The user disconnected with removal: this connection's job now removes what was written.
  if (context?.connection.status === 'disconnected' && context.connection.status_reason === REMOVING_EVENTS) return removeConnectionEvents(deps, context);
  if (!context || context.connection.status !== 'connected') return { status: 'skipped', reason: 'not_connected' };
  const { connection } = context;
  const provider = deps.providers.get(connection.provider);
  // A provider this deployment no longer runs: its connections wait until it is configured again.
  if (!provider) return { status: 'skipped', reason: 'provider_unavailable' };
  if (provider.companyGrant && context.grantStatus !== 'granted') return { status: 'skipped', reason: 'no_consent' };
  if (!context.syncEnabled || !context.work) return { status: 'skipped', reason: 'sync_off' };
  const { work } = context;
  // A fault only the operator can fix stops this provider's reconciles until its next try.
  const gate = await operatorGate(deps, provider.id);
  if (!gate.proceed) return { status: 'retry', writes: 0, retryAfterMs: gate.retryAfterMs };

  const calendar: CalendarAccount = provider.account({ details: connection.details, credentials: credentialStore(db, deps.box, connection, now, context.sealedAccessToken) });
  try {
    const desired = desiredEvents(work.trips, context.locale, context.keepCancelled);
    const mappings = new Map<string, Mapping>(work.mappings.map((m) => [m.segmentId, m]));
    const lookup = keysToDiscover(desired, mappings, connection.rediscover, provider.idempotentCreates === true);
    let found = new Map<string, string>();
    let listed: Map<string, string | null> | undefined;
    const discover = async (keys: string[]) => {
      if (calendar.listOurEvents) {
        const ours = await calendar.listOurEvents();
        found = new Map([...ours].map(([key, e]) => [key, e.eventId]));
        listed = new Map([...ours].map(([key, e]) => [key, e.contentHash]));
      } else if (keys.length) {
        found = await calendar.findByKeys(keys);
      }
    };
    if (lookup.length || (calendar.listOurEvents && updatesKnownEvents(desired, mappings))) await discover(lookup);
    const results: WriteResult[] = [];
    // A second pass only when an update found its event deleted by the traveler: the booking
    // changed since, so the event is written again (its answer marked it user_deleted, hash unknown).
    for (let pass = 0; pass < 2; pass++) {
      const plan = planWrites(desired, pass === 0 ? mappings : await loadMappings(db, connectionId), found, undefined, listed);
      await applyMappingChanges(db, connectionId, plan.before, now());
      const log = answerLog(db);
      const recorded: Promise<void>[] = [];
      let round: WriteResult[] = [];
      try {
        round = plan.ops.length
          ? await calendar.write(plan.ops, {
            onResult: async (r) => {
              const pending = log.record({ kind: 'answer', connectionId, result: r, hash: plan.hashes.get(r.key), at: now() });
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
      const gone = round.filter((r) => !r.ok && r.kind === 'update' && r.error.code === 'not_found').map((r) => r.key);
      if (!gone.length) break;
      // Disconnected meanwhile: nothing more is written (a removal may be waiting for this job to end).
      if ((await loadSyncState(db, connectionId))?.connection.status !== 'connected') break;
      // An id that no longer answers: the event was deleted, or moved under a new id. Looked up by
      // its key before it is written again, so a moved event is followed, not duplicated.
      await discover(gone);
    }
    const operator = results.find((r) => !r.ok && r.error.code === 'operator');
    if (operator && !operator.ok) {
      const retryAfterMs = await operatorFault(deps, provider.id, operator.error);
      await answerLog(db).record({ kind: 'outcome', connectionId, at: now(), error: `operator: ${operator.error.providerCode ?? operator.error.code}` });
      return { status: 'retry', writes: results.filter((r) => r.ok).length, retryAfterMs };
    }
    // Only an answer of the provider's clears an alarm: a reconcile with nothing to send proves nothing.
    if (lookup.length || results.length) await operatorRecovered(deps, provider.id, gate.probing);
    // The calendar answered: a reason it was unreachable before goes.
    if (connection.unavailable_since) await markCalendarAvailable(db, connectionId);
    const retryable = results.filter((r) => !r.ok && (r.error.code === 'temporary' || r.error.code === 'throttled'));
    const failed = results.filter((r) => !r.ok && r.error.code === 'invalid').length;
    if (connection.rediscover && !retryable.length) await markRediscovered(db, connectionId);
    if (retryable.length) {
      const retryAfterMs = Math.max(1000, ...retryable.map((r) => (!r.ok && r.error.retryAfterMs) || 0));
      await answerLog(db).record({ kind: 'outcome', connectionId, at: now(), error: `${retryable.length} calendar writes to retry` });
      return { status: 'retry', writes: results.length - retryable.length, retryAfterMs };
    }
    await answerLog(db).record({ kind: 'outcome', connectionId, at: now(), error: failed ? `${failed} events refused by the calendar` : null });
    return { status: 'done', writes: results.length, failed };
  } catch (error) {
    if (error instanceof CalendarProviderError && error.code === 'operator') {
      const retryAfterMs = await operatorFault(deps, provider.id, error);
      await recordSyncOutcome(db, connectionId, now(), `${error.code}: ${error.providerCode ?? ''}`);
      return { status: 'retry', writes: 0, retryAfterMs };
    }
    if (error instanceof CalendarProviderError) {
      const applied = await applyConnectionError(deps, connection, error, now());
      if (applied?.status === 'retry') {
        await recordSyncOutcome(db, connectionId, now(), `${error.code}: ${error.message}`.slice(0, 500));
        return { status: 'retry', writes: 0, retryAfterMs: applied.retryAfterMs };
      }
      if (applied) return applied;
      await recordSyncOutcome(db, connectionId, now(), `${error.code}: ${error.message}`.slice(0, 500));
      return { status: 'retry', writes: 0, retryAfterMs: error.retryAfterMs ?? 30_000 };
    }
    throw error;
  }
}
