// A whole world for end-to-end tests of the Google integration: the Google sandbox, the product's
// HTTP server with the Google provider configured by its settings alone, its sync and mail workers
// on one store, "browsers" with an OBT session, and the Workspace administrator at the sandbox's
// Admin console.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { mkdtemp as mkdtempAsync, readdir, rm as rmAsync } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Agent, fetch as undiciFetch } from 'undici';
import { rootCertificates } from 'node:tls';
import { startGoogleSandbox, type GoogleSandbox } from '../../sandbox/google/server.ts';
import { readGoogleSettings } from '../../src/calendars/google/index.ts';
import { providerLabels, providersFromSettings } from '../../src/calendars/registry.ts';
import { buildServer } from '../../src/http/server.ts';
import { startItineraryMailWorker } from '../../src/mail/itinerary-mail-job.ts';
import { createMailTransport } from '../../src/mail/transport.ts';
import { bookings as makeBookings, type Bookings } from '../../src/store/bookings.ts';
import { findConnection, providersToReconnect } from '../../src/store/calendar-connections.ts';
import { openStore, type Store, type StoreOptions } from '../../src/store/database.ts';
import { createOrganisation, createUser, issueApiKey } from '../../src/store/organisations.ts';
import { secretBox, type SecretBox } from '../../src/store/secret-box.ts';
import { hashPassword } from '../../src/store/sessions.ts';
import type { ReconcileOutcome } from '../../src/sync/reconcile-connection.ts';
import { startSyncWorker, syncOnBookingChange } from '../../src/sync/sync-jobs.ts';
import { Browser, freePort, PASSWORD, type Company } from './outlook-world.ts';
import type { CalendarProviders } from '../../src/calendars/registry.ts';

export interface GoogleWorld {
  google: GoogleSandbox;
  store: Store;
  providers: CalendarProviders;
  box: SecretBox;
  bookings: Bookings;
  server: FastifyInstance;
  baseUrl: string;
  outboxDir: string;
  sakura: Company;
  maple: Company;
  outcomes: { connectionId: string; outcome: ReconcileOutcome }[];
  connectionOf(userId: string): Promise<string | undefined>;
  browser(): Browser;
  syncIdle(timeoutMs?: number): Promise<void>;
  /** The .eml files in the outbox. */
  emails(): Promise<string[]>;
  /**
   * A person at Google's sign-in: opens the authorization URL, picks `email` in the account chooser,
   * allows (or cancels) on the consent screen. Returns the redirect back to the product, not followed.
   */
  googleRedirect(url: string, email: string, decision?: 'allow' | 'deny'): Promise<URL>;
  /** The Workspace super administrator at the Admin console: authorizes (or deletes) a client id for scopes. */
  adminConsole(action: 'add' | 'delete', clientId: string, scopes?: string[]): Promise<{ status: number; text: string }>;
  /** The settings the product runs with (another process may build its providers from them). */
  settings: Record<string, string>;
  /** Stops the product (HTTP server, workers, store); the Google sandbox keeps running until close(). */
  closeProduct(): Promise<void>;
  close(): Promise<void>;
}

export interface GoogleWorldOptions {
  store?: StoreOptions;
  /** Start the in-process sync worker (default true); false when another process runs it. */
  startSync?: boolean;
  /** The credentials' key (32 bytes), for another process to share; random by default. */
  boxKey?: Buffer;
}

export async function startGoogleWorld(options: GoogleWorldOptions = {}): Promise<GoogleWorld> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tripcal-google-world-'));
  const google = await startGoogleSandbox({ dataDir, port: 0 });
  // The settings a deployment against this sandbox has: nothing else points the provider at it.
  const env = {
    GOOGLE_SERVICE_ACCOUNT_KEY_FILE: google.serviceAccountKeyPath, GOOGLE_CLIENT_ID: google.webClient.clientId, GOOGLE_CLIENT_SECRET: google.webClient.clientSecret,
    GOOGLE_ACCOUNTS_URL: google.url, GOOGLE_OAUTH_URL: google.url, GOOGLE_API_URL: google.url, GOOGLE_CA_FILE: google.caPath,
  };
  const settings = readGoogleSettings(env)!;
  const providers = providersFromSettings({ google: settings });
  const store = await openStore({ retryDelaySeconds: 1, ...options.store });
  const box = secretBox([options.boxKey ?? randomBytes(32)]);
  // The product's clock is the sandbox's, so a test can let time pass for both (a grant's propagation window, token lifetimes).
  const now = () => new Date(google.clock.now());
  const bookings = makeBookings(store, { onChange: [syncOnBookingChange(store)], now });
  const port = await freePort();
  const baseUrl = `http://localhost:${port}`;
  const server = await buildServer({ store, bookings, organizer: { name: 'tripcal', email: 'itinerary@tripcal.example' }, publicUrl: baseUrl, calendars: { providers, box }, now });
  await server.listen({ port, host: '127.0.0.1' });

  const passwordHash = await hashPassword(PASSWORD);
  async function company(name: string, domain: (typeof google.seed.domains)[number]): Promise<Company> {
    const org = await createOrganisation(store.db, name);
    const [adminEntry, ...rest] = domain.users.filter((u) => !u.superAdmin);
    const admin = await createUser(store.db, org.id, { email: adminEntry!.email, displayName: adminEntry!.name, role: 'admin', locale: 'ja', timeZone: 'Asia/Tokyo', passwordHash });
    const travelers = [];
    for (const u of rest) {
      const t = await createUser(store.db, org.id, { email: u.email, displayName: u.name, role: 'traveler', locale: u.locale, timeZone: u.locale === 'ja' ? 'Asia/Tokyo' : 'America/Los_Angeles', passwordHash });
      travelers.push({ id: t.id, email: t.email, locale: t.locale });
    }
    return { id: org.id, apiKey: await issueApiKey(store.db, org.id), tenantId: domain.domain, admin: { id: admin.id, email: admin.email }, travelers };
  }
  const sakura = await company('Sakura Trading', google.seed.domains[0]!);
  const maple = await company('Maple Logistics', google.seed.domains[1]!);

  const outboxDir = await mkdtempAsync(path.join(os.tmpdir(), 'tripcal-outbox-'));
  const transport = createMailTransport({ outboxDir });
  const stopMail = await startItineraryMailWorker({
    store, transport, from: { name: 'tripcal', address: 'itinerary@tripcal.example' }, publicUrl: baseUrl, pollingIntervalSeconds: 0.5,
    lapsedCalendars: async (traveler) => providerLabels(await providersToReconnect(store.db, traveler.id), traveler.locale), log: () => {},
  });
  const outcomes: GoogleWorld['outcomes'] = [];
  const stopSync = options.startSync === false
    ? async () => {}
    : await startSyncWorker({
      store, deps: { db: store.db, providers, box, now }, pollingIntervalSeconds: 0.5, concurrency: 4,
      onOutcome: (connectionId, outcome) => outcomes.push({ connectionId, outcome }),
    });

  // The Workspace administrator's browser: a cookie jar of one, trusting the sandbox's CA.
  const dispatcher = new Agent({ connect: { ca: [...rootCertificates, google.caPem] } });
  let consoleCookie = '';
  const superAdmin = google.seed.domains[0]!.users.find((u) => u.superAdmin)!.email;

  const world: GoogleWorld = {
    google, store, providers, box, bookings, server, baseUrl, outboxDir, sakura, maple, outcomes, settings: env,
    connectionOf: async (userId) => (await findConnection(store.db, userId, 'google'))?.id,
    browser: () => new Browser(world as never),
    async syncIdle(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const jobs = await store.db.selectFrom('pgboss.job' as any).select('state' as any).where('name' as any, '=', 'calendar-sync').where('state' as any, 'in', ['created', 'retry', 'active']).execute();
        if (jobs.length === 0) return;
        if (Date.now() > deadline) throw new Error(`calendar sync still busy after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 150));
      }
    },
    async googleRedirect(url, email, decision = 'allow') {
      const target = new URL(url);
      const signIn = await undiciFetch(`${google.url}/ServiceLogin`, {
        dispatcher, method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ email, continue: `${target.pathname}${target.search}` }).toString(),
      });
      const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0]!;
      const consent = await (await undiciFetch(url, { dispatcher, headers: { cookie } })).text();
      const fields = Object.fromEntries([...consent.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)].map((m) => [m[1]!, m[2]!.replace(/&amp;/g, '&').replace(/&quot;/g, '"')]));
      const answered = await undiciFetch(`${google.url}/o/oauth2/v2/auth/consent`, {
        dispatcher, method: 'POST', redirect: 'manual', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ ...fields, decision }).toString(),
      });
      const location = answered.headers.get('location');
      if (!location) throw new Error(`no redirect after Google's consent (${answered.status}): ${consent.slice(0, 300)}`);
      return new URL(location);
    },
    emails: async () => (await readdir(outboxDir)).filter((f) => f.endsWith('.eml')),
    async adminConsole(action, clientId, scopes = []) {
      const url = `${google.url}/ac/owl/domainwidedelegation`;
      if (!consoleCookie) {
        const signIn = await undiciFetch(`${google.url}/ServiceLogin`, {
          dispatcher, method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ email: superAdmin, continue: '/ac/owl/domainwidedelegation' }).toString(),
        });
        consoleCookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0]!;
      }
      const res = await undiciFetch(url, {
        dispatcher, method: 'POST', headers: { cookie: consoleCookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ action, client_id: clientId, scopes: scopes.join(',') }).toString(),
      });
      return { status: res.status, text: await res.text() };
    },
    async closeProduct() {
      productClosed ??= (async () => {
        await stopSync();
        await stopMail();
        transport.close();
        await server.close();
        await store.close();
      })();
      await productClosed;
    },
    async close() {
      await world.closeProduct();
      await google.close();
      await dispatcher.close();
      await rmAsync(outboxDir, { recursive: true, force: true });
      await rmAsync(dataDir, { recursive: true, force: true });
    },
  };
  let productClosed: Promise<void> | undefined;
  return world;
}
