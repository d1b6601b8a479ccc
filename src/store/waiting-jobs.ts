// Row locks on pg-boss's waiting jobs, for a transaction that counts on one (sync-jobs.ts).
import { sql } from 'kysely';
import type { Tx } from './database.ts';

/**
 * Locks the queue's waiting (not yet started) job with this singleton key, if there is one, until
 * the transaction ends: pg-boss's fetch skips locked rows, so the job is not handed out before then.
 * Returns whether one was locked.
 */
export async function lockWaitingJob(tx: Tx, queue: string, singletonKey: string): Promise<boolean> {
  const { rows } = await sql<{ id: string }>`select id from pgboss.job where name = ${queue} and singleton_key = ${singletonKey} and state = 'created' for update`.execute(tx);
  return rows.length > 0;
}
