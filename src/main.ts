// The composition root: settings → store → booking service → HTTP server and workers.
import { loadSettings, SettingsError } from './config/settings.ts';
import { buildServer } from './http/server.ts';
import { startItineraryMailWorker } from './mail/itinerary-mail-job.ts';
import { createMailTransport } from './mail/transport.ts';
import { bookings as makeBookings } from './store/bookings.ts';
import { openStore } from './store/database.ts';
import { DEMO_API_KEY, DEMO_USERS, seedDemoIfEmpty } from './store/seed-demo.ts';

async function main(): Promise<void> {
  let settings;
  try {
    settings = loadSettings();
  } catch (error) {
    if (error instanceof SettingsError) {
      console.error(`tripcal: bad setting ${error.message}`);
      process.exit(2);
    }
    throw error;
  }

  const store = await openStore({ databaseUrl: settings.databaseUrl, dataDir: settings.dataDir });
  const bookings = makeBookings(store);
  if (settings.seedDemo && (await seedDemoIfEmpty(store, bookings))) {
    console.log(`tripcal: seeded the demo company (${DEMO_USERS.map((u) => u.email).join(', ')}; booking API key ${DEMO_API_KEY})`);
  }

  const organizer = { name: settings.mail.from.name, email: settings.mail.from.address };
  const transport = createMailTransport({ smtpUrl: settings.mail.smtpUrl, outboxDir: settings.mail.outboxDir });
  const stopMail = await startItineraryMailWorker({ store, transport, from: settings.mail.from, publicUrl: settings.publicUrl });

  const app = await buildServer({ store, bookings, organizer, publicUrl: settings.publicUrl, logger: true });
  await app.listen({ port: settings.port, host: settings.host });
  console.log(`tripcal: listening on ${settings.publicUrl} (${store.kind === 'pglite' ? `embedded database in ${settings.dataDir}` : 'PostgreSQL server'})`);
  if (!settings.mail.smtpUrl) console.log(`tripcal: SMTP_URL not set; itinerary emails are written to ${settings.mail.outboxDir}`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`tripcal: ${signal}, stopping`);
    await app.close();
    await stopMail();
    transport.close();
    await store.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

await main();
