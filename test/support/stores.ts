// The stores every store-backed test runs on: PGlite always, and the PostgreSQL server named by
// TEST_DATABASE_URL (CI sets it) in a fresh database of its own, dropped afterwards.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openStore, type Store, type StoreOptions } from '../../src/store/database.ts';

export interface StoreKind {
  name: 'pglite' | 'postgres';
  /** Options for a new, empty database (and a function that removes it). */
  create(): Promise<{ options: StoreOptions; drop(): Promise<void> }>;
}

/** One statement on a PostgreSQL server (create or drop a database). */
export async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

export function storeKinds(): StoreKind[] {
  const kinds: StoreKind[] = [{ name: 'pglite', create: async () => ({ options: {}, drop: async () => {} }) }];
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (serverUrl) {
    kinds.push({
      name: 'postgres',
      async create() {
        const name = `tripcal_test_${randomBytes(6).toString('hex')}`;
        await adminQuery(serverUrl, `create database ${name}`);
        const url = new URL(serverUrl);
        url.pathname = `/${name}`;
        return {
          options: { databaseUrl: url.toString() },
          drop: () => adminQuery(serverUrl, `drop database if exists ${name} with (force)`),
        };
      },
    });
  }
  return kinds;
}

/** Opens a fresh store of the given kind; `close` also removes its database. */
export async function freshStore(kind: StoreKind): Promise<Store & { dispose(): Promise<void> }> {
  const { options, drop } = await kind.create();
  const store = await openStore(options);
  return Object.assign(store, {
    async dispose() {
      await store.close();
      await drop();
    },
  });
}
