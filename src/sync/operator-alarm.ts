// What a reconcile does about a provider fault only the operator can fix (code `operator`): the
// first one raises an alarm (one log line at error level, the health endpoint degraded, a banner
// for company admins); meanwhile every reconcile of that provider waits, and one per back-off
// period tries again; the first success clears the alarm. Provider-neutral.
import type { CalendarProviderError } from '../calendars/errors.ts';
import type { Db } from '../store/database.ts';
import { claimProbe, clearOperatorAlarm, operatorAlarms, raiseOperatorAlarm, type OperatorAlarm } from '../store/operator-alarms.ts';

export interface OperatorAlarmDeps {
  db: Db;
  now?: () => Date;
  /** Where the alarm and its end are said (error and info level); never given a secret. */
  log?: (level: 'error' | 'info', line: string) => void;
  /** The wait after the first failed try, doubled after each one, up to `maxMs`. */
  operatorBackoff?: { firstMs: number; maxMs: number };
}

export const OPERATOR_BACKOFF = { firstMs: 60_000, maxMs: 15 * 60_000 };
/** How long a try holds the probe (another reconcile may try after that if it never reports). */
const PROBE_HOLD_MS = 2 * 60_000;
/** Alarms are re-read at most this often per process: a reconcile without an alarm costs no query. */
const CACHE_MS = 1000;

const cache = new WeakMap<Db, { readAt: number; alarms: Promise<Map<string, OperatorAlarm>> }>();

function alarmsOf(db: Db): Promise<Map<string, OperatorAlarm>> {
  const hit = cache.get(db);
  if (hit && Date.now() - hit.readAt < CACHE_MS) return hit.alarms;
  const alarms = operatorAlarms(db).then((list) => new Map(list.map((a) => [a.provider, a])));
  alarms.catch(() => cache.delete(db));
  cache.set(db, { readAt: Date.now(), alarms });
  return alarms;
}

const backoff = (deps: OperatorAlarmDeps) => (failures: number) => {
  const { firstMs, maxMs } = deps.operatorBackoff ?? OPERATOR_BACKOFF;
  return Math.min(maxMs, firstMs * 2 ** Math.max(0, failures - 1));
};

export type Gate = { proceed: true; probing: boolean } | { proceed: false; retryAfterMs: number };

/** Before a reconcile talks to the provider: go ahead, or wait for the alarm's next try. */
export async function operatorGate(deps: OperatorAlarmDeps, provider: string): Promise<Gate> {
  const alarm = (await alarmsOf(deps.db)).get(provider);
  if (!alarm) return { proceed: true, probing: false };
  const now = (deps.now ?? (() => new Date()))();
  if (alarm.nextProbeAt.getTime() <= now.getTime() && (await claimProbe(deps.db, provider, now, PROBE_HOLD_MS))) {
    cache.delete(deps.db);
    return { proceed: true, probing: true };
  }
  return { proceed: false, retryAfterMs: Math.max(1000, alarm.nextProbeAt.getTime() - now.getTime()) };
}

/** The provider refused us in a way only the operator can fix: the alarm, and when to try again. */
export async function operatorFault(deps: OperatorAlarmDeps, provider: string, error: CalendarProviderError): Promise<number> {
  const now = (deps.now ?? (() => new Date()))();
  const reason = error.providerCode ?? error.code;
  const { isNew, nextProbeAt } = await raiseOperatorAlarm(deps.db, provider, reason, now, backoff(deps));
  cache.delete(deps.db);
  // One line per alarm, not per traveler; the provider's message carries no token or secret.
  if (isNew) deps.log?.('error', `calendar sync for ${provider} is stopped until the operator acts: ${reason}: ${error.message}`);
  return Math.max(1000, nextProbeAt.getTime() - now.getTime());
}

/** The provider answered: an alarm, if there was one, goes. */
export async function operatorRecovered(deps: OperatorAlarmDeps, provider: string, probing: boolean): Promise<void> {
  if (!probing && !(await alarmsOf(deps.db)).has(provider)) return;
  const cleared = await clearOperatorAlarm(deps.db, provider);
  cache.delete(deps.db);
  if (cleared) deps.log?.('info', `calendar sync for ${provider} works again (the fault ${cleared.reason} since ${cleared.since.toISOString()} is gone)`);
}
