// The database factory: PGlite in a data folder by default, a PostgreSQL server when a URL is
// given. Both are PostgreSQL, reached through Kysely (queries) and pg-boss (jobs).
import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, sql, type Transaction } from 'kysely';
import { Migrator, type MigrationResultSet } from 'kysely/migration';
import pg from 'pg';
import { PgBoss, fromKysely, fromPglite } from 'pg-boss';
import { migrations } from './migrations/index.ts';
import { pgliteOptions } from './pglite-options.ts';
import { lockedPglite, pglitePool, SessionLock } from './pglite-pool.ts';
import { PreparingClient } from './statement-cache.ts';
import type { Database } from './schema.ts';
import { DatabaseUnavailableError, isDatabaseUnavailable } from './unavailable.ts';

export type Db = Kysely<Database>;
export type Tx = Transaction<Database>;

export interface StoreOptions {
  /** postgres://… for a server; otherwise the embedded database. */
  databaseUrl?: string;
  /** Folder of the embedded database; undefined keeps it in memory (tests). */
  dataDir?: string;
  /** Seconds before the first retry of a failed job (doubling after each failure). */
  retryDelaySeconds?: number;
  /** On a PostgreSQL server: prepare the statements run often (default true; false behind a pooler in transaction mode). */
  preparedStatements?: boolean;
}

export interface Store {
  kind: 'pglite' | 'postgres';
  db: Db;
  boss: PgBoss;
  /**
   * Enqueues a job inside `tx`: it exists if and only if the transaction commits. Resolves with its
   * id, or null when the queue's policy kept it out (a job with its singletonKey already waiting).
   */
  enqueue(tx: Tx | undefined, queue: string, data: object, options?: { singletonKey?: string; startAfter?: number }): Promise<string | null>;
  /** Enqueues many jobs in one statement per thousand, inside `tx` (a job whose singletonKey is already waiting is skipped). */
  enqueueMany(tx: Tx | undefined, queue: string, jobs: Array<{ data: object; singletonKey?: string }>): Promise<void>;
  /** Whether the database answers a statement within a few seconds (/healthz). */
  reachable(): Promise<boolean>;
  close(): Promise<void>;
}

export const QUEUES = {
  itineraryMail: 'itinerary-mail',
  calendarSync: 'calendar-sync',
  connectionMaintenance: 'connection-maintenance',
} as const;

/** Retries with backoff: an SMTP server or a calendar down for a while loses nothing. */
const RETRIES = { retryLimit: 12, retryDelay: 5, retryBackoff: true, retryDelayMax: 600 };

/**
 * A worker that dies (SIGKILL, a lost machine) stops sending heartbeats; after this many seconds
 * its job goes back to the queue for another worker instead of waiting out a 15-minute expiry.
 */
const HEARTBEAT = { heartbeatSeconds: 10 };

/**
 * Queues whose workers are woken by a NOTIFY the moment a job is queued (pg-boss `notify` with
 * `useListenNotify`), instead of at their next poll: "sync on" for 50 travelers waited up to a
 * polling interval before the first calendar write (`npm run bench`). Polling stays as the floor.
 */
const NOTIFY = { notify: true };

const QUEUE_OPTIONS: Record<string, { policy?: 'stately' | 'singleton'; notify?: boolean } & typeof RETRIES & Partial<typeof HEARTBEAT>> = {
  [QUEUES.itineraryMail]: { ...RETRIES, ...HEARTBEAT, ...NOTIFY },
  // One reconcile per traveler (singletonKey = user id): at most one running and one waiting, so
  // changes during a run coalesce into the next one and no traveler is reconciled twice at once.
  [QUEUES.calendarSync]: { ...RETRIES, ...HEARTBEAT, ...NOTIFY, policy: 'stately' },
  [QUEUES.connectionMaintenance]: { ...RETRIES, policy: 'singleton' },
};

/**
 * How often pg-boss looks for jobs whose worker went silent (see HEARTBEAT). pg-boss fails a
 * silent job only in a queue's monitor pass, which runs at most every monitorIntervalSeconds
 * (default 60) whatever the supervise interval: a sync worker SIGKILLed twice within a minute
 * (test/e2e/sync-faults.test.ts) left the traveler's job active for 60 s more, so both are set.
 */
const SUPERVISE_SECONDS = 5;
const SUPERVISION = { superviseIntervalSeconds: SUPERVISE_SECONDS, monitorIntervalSeconds: SUPERVISE_SECONDS };

/**
 * How long a statement waits for a connection before it fails as "database unreachable" (503 with
 * Retry-After to an API client, a retry for a job). pg's default is to wait for ever: during a
 * failover to an address that does not answer, every request would hang instead.
 */
const CONNECT_TIMEOUT_MS = 10_000;

/** How long /healthz waits for the database's answer. */
const PING_TIMEOUT_MS = 3000;

/**
 * The pool Kysely uses on a PostgreSQL server, made to ride out the server dropping connections
 * (a restart, a failover, a pooler or firewall closing idle ones).
 *
 * pg-pool listens for a connection's 'error' only while it is idle, and passes it on as the pool's
 * own 'error' event: with no listener there, one idle connection closed by the server ended the
 * whole process. A connection checked out (a transaction between two statements, a statement
 * running) has no listener at all, and its 'error' ended the process the same way. Both are heard
 * here. A checked-out connection's loss needs nothing more: its statement fails (now or at the
 * next one), the server has rolled its transaction back, and pg-pool discards a connection that
 * can no longer be queried when it is released. Failing to get a connection is marked as the
 * database being unreachable, whatever the reason the server or the network gave.
 */
class ResilientPool extends pg.Pool {
  constructor(config: pg.PoolConfig, report: (error: Error) => void) {
    super(config);
    // The connection is gone from the pool already; the next statement gets a new one.
    this.on('error', report);
    this.on('connect', (client) => client.on('error', () => {}));
  }

  // Kysely asks for a connection with no arguments; pg-pool's own callers pass a callback.
  override connect(...args: unknown[]): any {
    if (args.length) return (super.connect as (...a: unknown[]) => unknown)(...args);
    return super.connect().catch((error: unknown) => {
      throw error instanceof DatabaseUnavailableError ? error : new DatabaseUnavailableError(error);
    });
  }
}

/**
 * Writes a "database unreachable" line at most once per interval, with the count of those left
 * out, so that an outage does not print a line per poller per second; other errors as they come.
 */
function quietOutages(log: (line: string) => void, intervalMs = 10_000): (prefix: string, error: Error) => void {
  let lastAt = 0;
  let leftOut = 0;
  return (prefix, error) => {
    if (!isDatabaseUnavailable(error)) return log(`${prefix} ${error.message}`);
    const now = Date.now();
    if (now - lastAt < intervalMs) {
      leftOut++;
      return;
    }
    log(`${prefix} database unreachable, retrying: ${error.message}${leftOut ? ` (${leftOut} more such errors since the last line)` : ''}`);
    lastAt = now;
    leftOut = 0;
  };
}

async function migrate(db: Db): Promise<void> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const result: MigrationResultSet = await migrator.migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error');
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${String(result.error)}`);
  }
}

export async function openStore(options: StoreOptions): Promise<Store> {
  const report = quietOutages(console.error);
  let db: Db;
  let boss: PgBoss;
  let closeDriver: () => Promise<void>;
  let kind: Store['kind'];

  if (options.databaseUrl) {
    kind = 'postgres';
    // Statements run often are prepared once per connection (statement-cache.ts), unless turned off
    // (a pooler in transaction mode cannot keep them).
    const Client = options.preparedStatements === false ? pg.Client : PreparingClient;
    // keepAlive: a connection the network dropped without a word is found out, not waited on for ever.
    const pool = new ResilientPool({ connectionString: options.databaseUrl, max: 10, Client, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, keepAlive: true }, (error) => report('[db]', error));
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    // pg-boss needs nothing of the kind: its pool and its LISTEN connection listen for errors and
    // report them as its own 'error' event (below), the LISTEN connection reconnects with backoff
    // and a heartbeat, every statement on a connection it holds has a listener, and its workers
    // keep polling through failed fetches (pg-boss 12: dist/db.js, dist/worker.js).
    boss = new PgBoss({ connectionString: options.databaseUrl, max: 4, useListenNotify: true, ...SUPERVISION, ...({ Client, keepAlive: true } as object) });
    closeDriver = () => pool.end();
  } else {
    kind = 'pglite';
    let dataPath: string | undefined;
    if (options.dataDir) {
      dataPath = path.join(options.dataDir, 'pgdata');
      fs.mkdirSync(dataPath, { recursive: true });
    }
    // Memory settings measured for `npm start` to stay under 512 MB (pglite-options.ts).
    const pgliteSettings = await pgliteOptions(dataPath);
    const pglite = dataPath ? new PGlite(dataPath, pgliteSettings) : new PGlite(pgliteSettings);
    const lock = new SessionLock();
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: pglitePool(pglite, lock) }) });
    boss = new PgBoss({ db: fromPglite(lockedPglite(pglite, lock)), backend: 'pglite', useListenNotify: true, ...SUPERVISION });
    closeDriver = () => pglite.close();
  }

  // pg-boss reports background errors as events; without a listener Node would throw them.
  boss.on('error', (err: Error) => report('[jobs]', err));
  await migrate(db);
  await boss.start();
  for (const queue of Object.values(QUEUES)) {
    const { policy, heartbeatSeconds, ...retries } = QUEUE_OPTIONS[queue];
    const queueOptions = { ...retries, ...(options.retryDelaySeconds ? { retryDelay: options.retryDelaySeconds } : {}) };
    // A queue's policy and heartbeat are fixed when it is created.
    if (!(await boss.getQueue(queue))) await boss.createQueue(queue, { ...queueOptions, ...(policy ? { policy } : {}), ...(heartbeatSeconds ? { heartbeatSeconds } : {}) });
    else await boss.updateQueue(queue, queueOptions);
  }

  return {
    kind,
    db,
    boss,
    async enqueue(tx, queue, data, jobOptions) {
      return boss.send(queue, data, { ...jobOptions, ...(tx ? { db: fromKysely(tx) } : {}) });
    },
    async enqueueMany(tx, queue, jobs) {
      for (let i = 0; i < jobs.length; i += 1000) {
        await boss.insert(queue, jobs.slice(i, i + 1000), tx ? { db: fromKysely(tx) } : {});
      }
    },
    async reachable() {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), PING_TIMEOUT_MS)));
      try {
        return await Promise.race([sql`select 1`.execute(db).then(() => true, () => false), late]);
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      await boss.stop({ graceful: true, timeout: 5000 });
      await db.destroy();
      await closeDriver().catch(() => {});
    },
  };
}
