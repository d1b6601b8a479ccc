// PGlite has one session. Kysely and pg-boss both talk to it, so both go through ONE lock:
// otherwise a pg-boss statement could land inside an open Kysely transaction.
import type { PGlite } from '@electric-sql/pglite';
import type { PostgresPool, PostgresPoolClient } from 'kysely';

export class SessionLock {
  #tail: Promise<void> = Promise.resolve();

  /**
   * Resolves with a release function once every earlier holder has released, and the event loop
   * has had a turn. PGlite answers a query without any I/O, so a queue of holders handed on from
   * one to the next as microtasks never let the event loop reach its I/O phase: 50 reconciles
   * reading one after another held every socket write (their calendar writes, HTTP answers) back
   * for half a second (`npm run bench`). setImmediate lets pending I/O run between holders.
   */
  acquire(): Promise<() => void> {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const granted = this.#tail.then(() => new Promise<() => void>((resolve) => setImmediate(() => resolve(release))));
    this.#tail = this.#tail.then(() => released);
    return granted;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

function commandOf(sql: string): string {
  const m = /^\s*(?:with\b[\s\S]*?\)\s*)?(\w+)/i.exec(sql);
  return (m?.[1] ?? '').toUpperCase();
}

/** A pool of size one, in the shape Kysely's PostgresDialect expects. */
export function pglitePool(pg: PGlite, lock: SessionLock): PostgresPool {
  return {
    async connect(): Promise<PostgresPoolClient> {
      const release = await lock.acquire();
      let released = false;
      return {
        async query(sql: string, parameters: ReadonlyArray<unknown>) {
          const result = await pg.query(sql, parameters as unknown[]);
          return {
            command: commandOf(sql) as 'SELECT',
            rowCount: result.affectedRows ?? result.rows.length,
            rows: result.rows,
          };
        },
        release() {
          if (released) return;
          released = true;
          release();
        },
      } as unknown as PostgresPoolClient;
    },
    async end() {},
    options: {},
  };
}

/**
 * The subset of PGlite pg-boss's fromPglite adapter needs, with every call under the lock.
 * `listen` lets pg-boss's LISTEN/NOTIFY wake workers the moment a job is queued (PGlite delivers
 * its own NOTIFYs in-process); its LISTEN statement must not land inside a Kysely transaction either.
 */
export function lockedPglite(pg: PGlite, lock: SessionLock) {
  return {
    query: <T>(text: string, params?: unknown[]) => lock.run(() => pg.query<T>(text, params)),
    exec: (text: string) => lock.run(() => pg.exec(text)),
    listen: async (channel: string, callback: (payload: string) => void) => {
      const unlisten = await lock.run(() => pg.listen(channel, callback));
      return () => lock.run(() => unlisten());
    },
  };
}
