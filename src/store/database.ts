// The database factory: PGlite in a data folder by default, a PostgreSQL server when a URL is
// given. Both are PostgreSQL, reached through Kysely (queries) and pg-boss (jobs).
import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, type Transaction } from 'kysely';
import { Migrator, type MigrationResultSet } from 'kysely/migration';
import pg from 'pg';
import { PgBoss, fromKysely, fromPglite } from 'pg-boss';
import { migrations } from './migrations/index.ts';
import { pgliteOptions } from './pglite-options.ts';
import { lockedPglite, pglitePool, SessionLock } from './pglite-pool.ts';
import { PreparingClient } from './statement-cache.ts';
import type { Database } from './schema.ts';

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

async function migrate(db: Db): Promise<void> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const result: MigrationResultSet = await migrator.migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error');
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${String(result.error)}`);
  }
}

export async function openStore(options: StoreOptions): Promise<Store> {
  let db: Db;
  let boss: PgBoss;
  let closeDriver: () => Promise<void>;
  let kind: Store['kind'];

  if (options.databaseUrl) {
    kind = 'postgres';
    // Statements run often are prepared once per connection (statement-cache.ts), unless turned off
    // (a pooler in transaction mode cannot keep them).
    const Client = options.preparedStatements === false ? pg.Client : PreparingClient;
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 10, Client });
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    boss = new PgBoss({ connectionString: options.databaseUrl, max: 4, useListenNotify: true, ...SUPERVISION, ...({ Client } as object) });
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
  boss.on('error', (err: Error) => console.error(`[jobs] ${err.message}`));
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
    async close() {
      await boss.stop({ graceful: true, timeout: 5000 });
      await db.destroy();
      await closeDriver().catch(() => {});
    },
  };
}
