import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  // A fault of a calendar provider that only the deployment's operator can fix (the app's secret
  // expired, a redirect URI not registered, the provider's storage quota): one row per provider
  // while it lasts. Reconciles wait for `next_probe_at`; one of them then tries again.
  await db.schema
    .createTable('operator_alarms')
    .addColumn('provider', 'text', (c) => c.primaryKey())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('since', 'timestamptz', (c) => c.notNull())
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('next_probe_at', 'timestamptz', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('operator_alarms').execute();
}
