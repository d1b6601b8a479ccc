// A worker process for test/store/job-dispatcher.test.ts: a job dispatcher on the queue QUEUE of
// the PostgreSQL database DATABASE_URL. Each job prints "took <id>" and then waits HOLD_MS (or for
// ever with HOLD_MS=forever) before it completes; SIGTERM stops the dispatcher and exits 0 once the
// jobs in hand have completed.
import { openStore } from '../../src/store/database.ts';
import { startDispatcher } from '../../src/store/job-dispatcher.ts';

const store = await openStore({ databaseUrl: process.env.DATABASE_URL! });
const hold = process.env.HOLD_MS === 'forever' ? undefined : Number(process.env.HOLD_MS ?? 0);
const dispatcher = await startDispatcher<object>({
  boss: store.boss,
  queue: process.env.QUEUE!,
  concurrency: Number(process.env.CONCURRENCY ?? 2),
  handler: async (job) => {
    process.stdout.write(`took ${job.id}\n`);
    await new Promise((resolve) => (hold === undefined ? undefined : setTimeout(resolve, hold)));
    process.stdout.write(`done ${job.id}\n`);
  },
});
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  void (async () => {
    await dispatcher.stop();
    await store.close();
    process.exit(0);
  })();
});
