// The counters of @fastify/rate-limit kept in the database, so a limit holds across every API
// process of a deployment (and across restarts). One row per key: its hits in the current window
// and when the window ends; the first hit after the end starts a new window. The database's clock
// decides, so processes on machines whose clocks differ agree.
import { sql } from 'kysely';
import type { Db } from './database.ts';

/** One hit on `key`: the hits in its window so far (this one included) and the milliseconds left of it. */
export async function countHit(db: Db, key: string, windowMs: number): Promise<{ current: number; ttl: number }> {
  const window = `${Math.max(1, Math.round(windowMs))} milliseconds`;
  const row = await sql<{ hits: number; ttl_ms: number }>`
    insert into rate_limits as r (key, hits, window_ends_at) values (${key}, 1, clock_timestamp() + ${window}::interval)
    on conflict (key) do update set
      hits = case when r.window_ends_at <= clock_timestamp() then 1 else r.hits + 1 end,
      window_ends_at = case when r.window_ends_at <= clock_timestamp() then excluded.window_ends_at else r.window_ends_at end
    returning hits, greatest(0, extract(epoch from (window_ends_at - clock_timestamp())) * 1000)::float8 as ttl_ms`.execute(db);
  const r = row.rows[0]!;
  return { current: Number(r.hits), ttl: Math.ceil(Number(r.ttl_ms)) };
}

/** Removes counters whose window ended long ago. */
export async function forgetOldHits(db: Db): Promise<void> {
  await sql`delete from rate_limits where window_ends_at < clock_timestamp() - interval '1 hour'`.execute(db);
}

/**
 * A store for @fastify/rate-limit (its `store` option takes a class). Every route's limit shares
 * the table; keys carry the limit's name.
 */
export function rateLimitStore(db: Db) {
  let sinceCleanup = 0;
  return class DatabaseRateLimitStore {
    incr(key: string, callback: (error: Error | null, result?: { current: number; ttl: number }) => void, timeWindow: number): void {
      if (++sinceCleanup >= 1000) {
        sinceCleanup = 0;
        void forgetOldHits(db).catch(() => {});
      }
      countHit(db, key, timeWindow).then((r) => callback(null, r), (error: Error) => callback(error));
    }
    child(): DatabaseRateLimitStore {
      return new DatabaseRateLimitStore();
    }
  };
}
