// Run as a child process: the product's calendar-sync worker on the store the test names, writing
// to the sandbox, until it is killed (SIGKILL: a crash) or asked to stop (SIGTERM).
//
// Settings come from the environment (JSON in SYNC_WORKER_CONFIG): the store (a PostgreSQL URL, or
// the data folder of the embedded database, which the parent must have closed), the sandbox's URL,
// app credentials and CA (PEM), and the token-cache key the parent's product used (base64).
// Prints one line per event: "ready", then "outcome <connectionId> <status>" after each reconcile.
// SYNC_WORKER_DEBUG=1 also prints the calendar-sync jobs' states every 2 s (on stderr).
import { createOutlookProvider } from '../../src/calendars/outlook/index.ts';
import { calendarProviders } from '../../src/calendars/registry.ts';
import { openStore } from '../../src/store/database.ts';
import { secretBox } from '../../src/store/secret-box.ts';
import { startSyncWorker } from '../../src/sync/sync-jobs.ts';

export interface SyncWorkerConfig {
  databaseUrl?: string;
  dataDir?: string;
  sandboxUrl: string;
  clientId: string;
  clientSecret: string;
  caPem: string;
  boxKey: string;
}

const config = JSON.parse(process.env.SYNC_WORKER_CONFIG ?? '') as SyncWorkerConfig;
const store = await openStore({
  ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : { dataDir: config.dataDir }),
  retryDelaySeconds: 1,
});
const provider = createOutlookProvider({
  clientId: config.clientId, clientSecret: config.clientSecret,
  authorityHost: config.sandboxUrl, graphUrl: config.sandboxUrl, caPem: config.caPem,
});
const box = secretBox([Buffer.from(config.boxKey, 'base64')]);
const stop = await startSyncWorker({
  store, deps: { db: store.db, providers: calendarProviders(provider), box }, pollingIntervalSeconds: 0.5,
  onOutcome: (connectionId, outcome) => process.stdout.write(`outcome ${connectionId} ${outcome.status}\n`),
});
process.stdout.write('ready\n');

if (process.env.SYNC_WORKER_DEBUG) {
  setInterval(() => {
    void store.db.selectFrom('pgboss.job' as never).selectAll().where('name' as never, '=', 'calendar-sync' as never).execute().then((jobs) => {
      process.stderr.write(`[worker ${process.pid}] ${new Date().toISOString()} ${JSON.stringify((jobs as Record<string, unknown>[]).map((j) => [j.state, j.start_after, j.heartbeat_on, j.retry_count]))}\n`);
    });
  }, 2000).unref();
}

process.once('SIGTERM', () => {
  void (async () => {
    await stop();
    await store.close();
    process.exit(0);
  })();
});
