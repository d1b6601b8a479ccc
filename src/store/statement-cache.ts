// Prepared statements for the statements a process runs again and again, on a PostgreSQL server.
//
// Kysely and pg-boss send every statement unnamed, so the server parses, analyses and plans it
// each time. For a sync worker that was most of the server's work: the reconcile's read (a join
// with three JSON subqueries) spent 0.16 ms planning for 0.08 ms executing, and pg-boss's fetch
// and completion about as much again (pg_stat_statements under `npm run bench`). A statement text
// seen PREPARE_AFTER times in this process is sent as a named statement instead: node-postgres
// parses it once per connection and then only binds and executes it, and the server keeps its plan.
//
// Bounded on both ends: at most MAX_NAMED statements per connection (the server keeps them until
// the connection closes), and at most MAX_COUNTED texts counted per process (statements built with
// a varying number of values each have their own text). A plan the server can no longer use
// after a schema change ("cached plan must not change result type") turns naming off for that
// connection; the statement fails once and its job is retried unnamed.
import { createHash } from 'node:crypto';
import pg from 'pg';

const PREPARE_AFTER = 3;
const MAX_NAMED = 200;
const MAX_COUNTED = 5000;

/** Statement text → times seen, and its name once it has one. Process-wide. */
const counted = new Map<string, { seen: number; name?: string }>();

function nameFor(text: string): string | undefined {
  let entry = counted.get(text);
  if (!entry) {
    if (counted.size >= MAX_COUNTED) return undefined;
    counted.set(text, (entry = { seen: 0 }));
  }
  if (++entry.seen < PREPARE_AFTER) return undefined;
  return (entry.name ??= `tripcal_${createHash('sha1').update(text).digest('base64url')}`);
}

type Callback = (error: Error | null, result?: unknown) => void;

/** A node-postgres client that names the parameterised statements its process runs often. */
export class PreparingClient extends pg.Client {
  readonly #named = new Set<string>();
  #off = false;

  // One signature for pg's overloads: (text, values?, callback?) or (config, callback?).
  override query(config: unknown, values?: unknown, callback?: unknown): any {
    const name = !this.#off && typeof config === 'string' && Array.isArray(values) && values.length > 0 ? nameFor(config) : undefined;
    if (!name || (!this.#named.has(name) && this.#named.size >= MAX_NAMED)) return (super.query as any)(config, values, callback);
    this.#named.add(name);
    const named = { name, text: config as string, values: values as unknown[] };
    const noteFailure = (error: unknown) => {
      // 0A000 feature_not_supported: "cached plan must not change result type" after a migration.
      if ((error as { code?: string } | null)?.code === '0A000') this.#off = true;
    };
    if (typeof callback === 'function') {
      return (super.query as any)(named, (error: Error | null, result?: unknown) => {
        if (error) noteFailure(error);
        (callback as Callback)(error, result);
      });
    }
    return (super.query(named) as Promise<unknown>).catch((error: unknown) => {
      noteFailure(error);
      throw error;
    });
  }
}
