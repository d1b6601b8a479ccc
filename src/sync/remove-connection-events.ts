// Removing our events from a calendar the user disconnected with removal. It runs as the
// connection's calendar-sync job (same queue, same singleton key), so never beside a reconcile of
// that connection: a reconcile in flight when the user disconnected finishes first and records
// its answers, and the removal then sees everything it wrote. Creates whose answers were never
// recorded (a dropped connection, a crash) are found in the calendar by their key. Provider-neutral.
import type { CalendarAccount, WriteResult } from '../calendars/account.ts';
import { CalendarProviderError } from '../calendars/errors.ts';
import { credentialStore, EVENTS_NOT_REMOVED, transition, type SyncState } from '../store/calendar-connections.ts';
import { forgetEvents, loadMappings } from '../store/calendar-events.ts';
import { DEPROVISIONED, isActiveUser } from '../store/users.ts';
import type { ReconcileOutcome, SyncDeps } from './reconcile-connection.ts';

/** How long a removal is retried (a calendar down, throttling) before its events are left where they are. */
export const REMOVAL_GIVE_UP_MS = 24 * 3_600_000;

export async function removeConnectionEvents(deps: SyncDeps, state: SyncState): Promise<ReconcileOutcome> {
  const now = deps.now ?? (() => new Date());
  const { db } = deps;
  const { connection } = state;
  const provider = deps.providers.get(connection.provider);
  if (!provider) return { status: 'skipped', reason: 'provider_unavailable' };
  const giveUp = async (left: number): Promise<ReconcileOutcome> => {
    await transition(db, connection.id, 'disconnected', EVENTS_NOT_REMOVED, now());
    return { status: 'removed', removed: 0, left };
  };

  const calendar: CalendarAccount = provider.account({ details: connection.details, credentials: credentialStore(db, deps.box, connection, now, state.sealedAccessToken) });
  const mappings = [...(await loadMappings(db, connection.id)).values()];
  const results: WriteResult[] = [];
  try {
    // A create sent but not answered (its row has no event id) may have reached the calendar.
    const unanswered = mappings.filter((m) => !m.eventId).map((m) => m.segmentId);
    const found = unanswered.length ? await calendar.findByKeys(unanswered) : new Map<string, string>();
    const targets = [
      ...mappings.flatMap((m) => (m.eventId ? [{ key: m.segmentId, eventId: m.eventId }] : [])),
      ...[...found].map(([key, eventId]) => ({ key, eventId })),
    ];
    if (targets.length) results.push(...(await calendar.write(targets.map((t) => ({ kind: 'delete' as const, ...t })))));
    // Gone from the calendar, or never there: the record goes.
    const gone = new Set(results.filter((r) => r.ok || r.error.code === 'not_found').map((r) => r.key));
    for (const key of unanswered) if (!found.has(key)) gone.add(key);
    await forgetEvents(db, connection.id, [...gone]);
    const retryable = results.filter((r) => !r.ok && (r.error.code === 'temporary' || r.error.code === 'throttled'));
    const left = mappings.length - gone.size;
    if (retryable.length) {
      if (now().getTime() - connection.status_changed_at.getTime() > REMOVAL_GIVE_UP_MS) return giveUp(left);
      return { status: 'retry', writes: gone.size, retryAfterMs: Math.max(1000, ...retryable.map((r) => (!r.ok && r.error.retryAfterMs) || 0)) };
    }
    // Done: the credential goes; records of events the calendar refused to delete stay, with the reason.
    if (left) return giveUp(left);
    // A traveler deprovisioned by the company's identity provider: closed as deprovisioned, so a
    // reactivation finds it (src/store/users.ts).
    await transition(db, connection.id, 'disconnected', (await isActiveUser(db, connection.user_id)) ? null : DEPROVISIONED, now());
    return { status: 'removed', removed: gone.size, left: 0 };
  } catch (error) {
    if (!(error instanceof CalendarProviderError)) throw error;
    const passing = error.code === 'temporary' || error.code === 'throttled' || error.code === 'calendar_unavailable' || error.code === 'operator';
    if (passing && now().getTime() - connection.status_changed_at.getTime() <= REMOVAL_GIVE_UP_MS) {
      return { status: 'retry', writes: 0, retryAfterMs: error.retryAfterMs ?? 30_000 };
    }
    // The calendar no longer lets us in (credential refused, grant gone): the events cannot be reached.
    return giveUp(mappings.length);
  }
}
