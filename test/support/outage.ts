// A database that blinks, on the PostgreSQL server of TEST_DATABASE_URL, without restarting the
// server (other tests share it): every backend of one database is terminated, and the database can
// refuse new connections for a while. Run from a connection to another database (the admin URL).
import pg from 'pg';
import { adminQuery } from './stores.ts';

export function databaseName(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`not a test database name: ${name}`);
  return name;
}

export async function adminRows<T>(adminUrl: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as T[];
  } finally {
    await client.end();
  }
}

/** Terminates every backend of the database (as a restart or failover would) and waits until they are gone. */
export async function terminateBackends(adminUrl: string, database: string): Promise<number> {
  // The call in the select list, not in the WHERE clause: the planner may evaluate WHERE terms in
  // any order, and pg_terminate_backend must only ever see this database's backends.
  const ended = await adminRows<{ pid: number; ended: boolean }>(adminUrl, `select pid, pg_terminate_backend(pid) as ended from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()`, [databaseName(`postgres://x/${database}`)]);
  const pids = ended.filter((r) => r.ended).map((r) => r.pid);
  const deadline = Date.now() + 10_000;
  while ((await adminRows(adminUrl, `select 1 from pg_stat_activity where pid = any($1::int[])`, [pids])).length) {
    if (Date.now() > deadline) throw new Error(`backends of ${database} still there 10 s after they were terminated`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return pids.length;
}

/** The database refuses new connections ("… is not currently accepting connections") until allowed again. */
export async function refuseConnections(adminUrl: string, database: string, refuse: boolean): Promise<void> {
  await adminQuery(adminUrl, `alter database ${databaseName(`postgres://x/${database}`)} with allow_connections ${refuse ? 'false' : 'true'}`);
}

/** The database down: it refuses connections and has no backend left. `up()` lets it accept connections again. */
export async function takeDown(adminUrl: string, database: string): Promise<{ up(): Promise<void> }> {
  await refuseConnections(adminUrl, database, true);
  await terminateBackends(adminUrl, database);
  return { up: () => refuseConnections(adminUrl, database, false) };
}
