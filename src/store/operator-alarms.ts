// Faults of a calendar provider that only the deployment's operator can fix (an expired app
// secret, an unregistered redirect URI, the provider's storage quota): one row per provider while
// the fault lasts. Every reconcile of that provider waits for the row's next_probe_at, then exactly
// one of them (claimProbe) tries again; a success clears the row. So a fault costs one request per
// back-off period, not one per traveler.
import { sql } from 'kysely';
import type { Db } from './database.ts';

export interface OperatorAlarm {
  provider: string;
  reason: string;
  since: Date;
  failures: number;
  nextProbeAt: Date;
}

/** Every alarm, oldest first (the health endpoint, the admin's banner). */
export async function operatorAlarms(db: Db): Promise<OperatorAlarm[]> {
  const rows = await db.selectFrom('operator_alarms').selectAll().orderBy('since').execute();
  return rows.map((r) => ({ provider: r.provider, reason: r.reason, since: new Date(r.since), failures: r.failures, nextProbeAt: new Date(r.next_probe_at) }));
}

/**
 * Records a failed try: a new alarm (returns true) or one more failure of the current one, with
 * the next try `backoffMs(failures)` later.
 */
export async function raiseOperatorAlarm(db: Db, provider: string, reason: string, at: Date, backoffMs: (failures: number) => number): Promise<{ isNew: boolean; nextProbeAt: Date }> {
  const existing = await db.selectFrom('operator_alarms').select(['failures']).where('provider', '=', provider).executeTakeFirst();
  const failures = (existing?.failures ?? 0) + 1;
  const nextProbeAt = new Date(at.getTime() + backoffMs(failures));
  const row = await db.insertInto('operator_alarms')
    .values({ provider, reason, since: at, failures, next_probe_at: nextProbeAt })
    .onConflict((oc) => oc.column('provider').doUpdateSet({ reason, failures: sql`operator_alarms.failures + 1`, next_probe_at: nextProbeAt }))
    .returning(['failures'])
    .executeTakeFirstOrThrow();
  return { isNew: row.failures === 1, nextProbeAt };
}

/**
 * Whether this caller may try the provider now: true for exactly one caller once next_probe_at has
 * come (it moves next_probe_at on by `holdMs`, the time a try may take); others wait.
 */
export async function claimProbe(db: Db, provider: string, at: Date, holdMs: number): Promise<boolean> {
  const row = await db.updateTable('operator_alarms')
    .set({ next_probe_at: new Date(at.getTime() + holdMs) })
    .where('provider', '=', provider).where('next_probe_at', '<=', at)
    .returning('provider')
    .executeTakeFirst();
  return !!row;
}

/** The provider answered: the alarm goes. Returns the alarm that went, if there was one. */
export async function clearOperatorAlarm(db: Db, provider: string): Promise<{ reason: string; since: Date } | undefined> {
  const row = await db.deleteFrom('operator_alarms').where('provider', '=', provider).returning(['reason', 'since']).executeTakeFirst();
  return row && { reason: row.reason, since: new Date(row.since) };
}

/** A worker starting (after the operator changed its settings, say) tries every alarmed provider at once. */
export async function retryOperatorAlarmsNow(db: Db, at: Date): Promise<void> {
  await db.updateTable('operator_alarms').set({ next_probe_at: at }).execute();
}
