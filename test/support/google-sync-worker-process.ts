// Run as a child process: the product's calendar-sync worker with the Google provider, on the store
// the test names, until it is killed (SIGKILL: a crash) or asked to stop (SIGTERM).
//
// JSON in GOOGLE_SYNC_WORKER_CONFIG: the store (a PostgreSQL URL, or the data folder of the embedded
// database, which the parent must have closed), the GOOGLE_* settings, and the credentials' key the
// parent's product used (base64). Prints "ready", then "outcome <connectionId> <status>" per reconcile.
import { readGoogleSettings } from '../../src/calendars/google/index.ts';
import { providersFromSettings } from '../../src/calendars/registry.ts';
import { openStore } from '../../src/store/database.ts';
import { secretBox } from '../../src/store/secret-box.ts';
import { startSyncWorker } from '../../src/sync/sync-jobs.ts';

export interface GoogleSyncWorkerConfig {
  databaseUrl?: string;
  dataDir?: string;
  settings: Record<string, string>;
  boxKey: string;
}

const config = JSON.parse(process.env.GOOGLE_SYNC_WORKER_CONFIG ?? '') as GoogleSyncWorkerConfig;
const store = await openStore({ ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : { dataDir: config.dataDir }), retryDelaySeconds: 1 });
const providers = providersFromSettings({ google: readGoogleSettings(config.settings)! });
const box = secretBox([Buffer.from(config.boxKey, 'base64')]);
const stop = await startSyncWorker({
  store, deps: { db: store.db, providers, box }, pollingIntervalSeconds: 0.5,
  onOutcome: (connectionId, outcome) => process.stdout.write(`outcome ${connectionId} ${outcome.status}\n`),
});
process.stdout.write('ready\n');

process.once('SIGTERM', () => {
  void (async () => {
    await stop();
    await store.close();
    process.exit(0);
  })();
});
