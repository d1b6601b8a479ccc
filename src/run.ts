// The composition root: settings → store → booking service → HTTP server and workers.
// `npm start` runs both roles in one process; `tripcal serve` and `tripcal worker` run one each,
// any number of them against one PostgreSQL server.
import path from 'node:path';
import { providerLabels, providersFromSettings } from './calendars/registry.ts';
import { readMicrosoftSettings } from './calendars/outlook/index.ts';
import { readGoogleSettings } from './calendars/google/index.ts';
import { loadSettings, SettingsError, type Settings } from './config/settings.ts';
import { loadTokenKeys } from './config/token-keys.ts';
import { startDevGoogleSandbox, startDevSandbox } from './dev-sandbox.ts';
import { buildServer } from './http/server.ts';
import { startItineraryMailWorker } from './mail/itinerary-mail-job.ts';
import { composeReconnectReminder } from './mail/reconnect-reminder-email.ts';
import { createMailTransport } from './mail/transport.ts';
import { bookings as makeBookings } from './store/bookings.ts';
import { openStore } from './store/database.ts';
import { secretBox } from './store/secret-box.ts';
import { DEMO_API_KEY, DEMO_PASSWORD, DEMO_USERS } from './store/seed-demo.ts';
import { seedDemoThroughApi } from './http/demo-seed.ts';
import type { OperatorAccess } from './http/operator-routes.ts';
import { loadOperatorToken } from './config/operator-token.ts';
import { randomBytes } from 'node:crypto';
import { providersToReconnect } from './store/calendar-connections.ts';
import { runConnectionMaintenance } from './sync/connection-maintenance.ts';
import { startMaintenanceWorker, startSyncWorker, syncOnBookingChange } from './sync/sync-jobs.ts';

/** Reads settings; a bad one stops the process with a message naming the variable. */
function settingsOrExit<T>(load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (error instanceof SettingsError) {
      console.error(`tripcal: bad setting ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
}

export interface Roles {
  /** The HTTP server: booking API, web app, OAuth callbacks. */
  api: boolean;
  /** The mail, calendar-sync and maintenance workers. */
  workers: boolean;
}

export async function run(roles: Roles): Promise<void> {
  const settings: Settings = settingsOrExit(() => loadSettings());
  const tokenKeys = settingsOrExit(() => loadTokenKeys(undefined, { dataDir: settings.dataDir, embedded: !settings.databaseUrl }));
  const box = secretBox(tokenKeys);

  let microsoft = settingsOrExit(() => readMicrosoftSettings(settings.environment));
  // No Microsoft app configured: the local sandbox stands in for Entra ID and Graph.
  const localSandbox = !microsoft;
  let stopSandbox = () => {};
  if (!microsoft) {
    const sandbox = await startDevSandbox({ port: settings.sandboxPort, dataDir: path.join(settings.dataDir, 'sandbox'), log: console.log });
    microsoft = sandbox.settings;
    stopSandbox = sandbox.stop;
  }
  // Google Calendar runs where its settings are given (a service account key, an OAuth client, or
  // both). In the local set-up (the Microsoft stand-in in use) with none given, the Google stand-in
  // runs beside it, so that the demo shows Google too.
  let google = settingsOrExit(() => readGoogleSettings(settings.environment));
  if (!google && localSandbox) {
    const googleSandbox = await startDevGoogleSandbox({ port: settings.sandboxGooglePort, dataDir: path.join(settings.dataDir, 'sandbox'), log: console.log });
    google = googleSandbox.settings;
    const stopMicrosoft = stopSandbox;
    stopSandbox = () => {
      googleSandbox.stop();
      stopMicrosoft();
    };
  }
  const providers = providersFromSettings({ microsoft, caldav: {}, ...(google ? { google } : {}) });

  const operatorToken = settingsOrExit(() => loadOperatorToken(settings.environment, { dataDir: settings.dataDir, embedded: !settings.databaseUrl }));
  const store = await openStore({ databaseUrl: settings.databaseUrl, dataDir: settings.dataDir, preparedStatements: settings.databasePreparedStatements });
  const bookings = makeBookings(store, { onChange: [syncOnBookingChange(store)] });

  const organizer = { name: settings.mail.from.name, email: settings.mail.from.address };
  const transport = createMailTransport({ smtpUrl: settings.mail.smtpUrl, outboxDir: settings.mail.outboxDir });
  const stops: (() => Promise<void>)[] = [];
  if (roles.workers) {
    stops.push(await startItineraryMailWorker({
      store, transport, from: settings.mail.from, publicUrl: settings.publicUrl,
      lapsedCalendars: async (traveler) => providerLabels(await providersToReconnect(store.db, traveler.id), traveler.locale),
    }));
    const syncDeps = {
      db: store.db, providers, box,
      // A fault only the operator can fix is said once, at error level, on stderr (no secrets in it).
      log: (level: 'error' | 'info', line: string) => (level === 'error' ? console.error : console.log)(`tripcal: ${level === 'error' ? 'ERROR ' : ''}${line}`),
    };
    stops.push(await startSyncWorker({ store, deps: syncDeps }));
    stops.push(await startMaintenanceWorker(store, () =>
      runConnectionMaintenance({
        ...syncDeps,
        remind: async (user, policyDays, deadline, provider) => {
          const [calendar] = providerLabels([provider], user.locale);
          if (calendar) await transport.send(composeReconnectReminder(user, { policyDays, deadline, from: settings.mail.from, publicUrl: settings.publicUrl, calendar }));
        },
      }),
    ));
    console.log(`tripcal: workers running (itinerary mail, calendar sync, connection maintenance)`);
  }

  if (roles.api) {
    const operator: OperatorAccess = { token: operatorToken?.token };
    const app = await buildServer({
      store, bookings, organizer, publicUrl: settings.publicUrl, calendars: { providers, box }, logger: true, operator, production: settings.production, trustProxy: settings.trustProxy,
      mail: { send: (message) => transport.send(message), from: settings.mail.from },
      web: { webDist: path.resolve(import.meta.dirname, '../web/dist') },
      // Development pages list every company's outbox: on by default only in a local set-up (the
      // sandbox stands in for the calendars) outside production; DEV_TOOLS decides otherwise.
      ...((settings.devTools ?? (!settings.production && localSandbox)) ? { dev: { outboxDir: settings.mail.outboxDir, bookingApiKey: DEMO_API_KEY } } : {}),
    });
    if (settings.seedDemo) {
      // The demo goes through the operator API; with none configured, through a token that lives
      // only for the seeding and is never shown.
      operator.token ??= `seed-${randomBytes(32).toString('base64url')}`;
      if (await seedDemoThroughApi(app, store, operator.token)) {
        console.log(`tripcal: seeded the demo company (${DEMO_USERS.map((u) => u.email).join(', ')}; password ${DEMO_PASSWORD}; booking API key ${DEMO_API_KEY})`);
      }
      operator.token = operatorToken?.token;
    }
    await app.listen({ port: settings.port, host: settings.host });
    if (operatorToken?.file) console.log(`tripcal: operator API on ${settings.publicUrl}/api/operator/v1; its token (OPERATOR_TOKEN) is in ${operatorToken.file}`);
    else if (!operatorToken) console.log('tripcal: OPERATOR_TOKEN not set; the operator API is off');
    // The HTTP server stops first: no new bookings while the workers finish what they hold.
    stops.unshift(() => app.close());
    console.log(`tripcal: listening on ${settings.publicUrl} (${store.kind === 'pglite' ? `embedded database in ${settings.dataDir}` : 'PostgreSQL server'})`);
    if (!settings.mail.smtpUrl) console.log(`tripcal: SMTP_URL not set; itinerary emails are written to ${settings.mail.outboxDir}`);
  }

  // SIGTERM/SIGINT: jobs in hand finish (or, past the timeout, go back to the queue when their
  // heartbeat stops); nothing new is taken.
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`tripcal: ${signal}, stopping`);
    for (const s of stops) await s();
    transport.close();
    await store.close();
    stopSandbox();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}
