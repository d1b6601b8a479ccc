// Row locks on pg-boss's waiting jobs, for a transaction that counts on them (src/sync/sync-jobs.ts).
import { sql } from 'kysely';
import type { Tx } from './database.ts';

/**
 * Locks the queue's waiting (not yet started) jobs with these singleton keys until the transaction
 * ends: pg-boss's fetch skips locked rows, so they are not handed out before then. Returns the keys
 * whose job was locked. Rows are locked in one order, so that two transactions locking several
 * jobs each cannot deadlock.
 */
export async function lockWaitingJobs(tx: Tx, queue: string, singletonKeys: string[]): Promise<Set<string>> {
  const { rows } = await sql<{ singleton_key: string }>`
    select singleton_key from pgboss.job
    where name = ${queue} and singleton_key = any(${singletonKeys}::text[]) and state = 'created'
    order by singleton_key
    for update`.execute(tx);
  return new Set(rows.map((r) => r.singleton_key));
}
