// A whole world for end-to-end tests of the Outlook integration: the sandbox (Microsoft's stand-in),
// the product's HTTP server and its sync and mail workers on one store, and "browsers" that hold an
// OBT session cookie and sign in on the sandbox's pages like a person would.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { answerConsent, firstForm, postForm, startTestSandbox, type TestSandbox } from '../../sandbox/test/helpers.ts';
import { createOutlookProvider } from '../../src/calendars/outlook/index.ts';
import type { CalendarProvider } from '../../src/calendars/provider.ts';
import { buildServer } from '../../src/http/server.ts';
import { startItineraryMailWorker } from '../../src/mail/itinerary-mail-job.ts';
import { createMailTransport } from '../../src/mail/transport.ts';
import { bookings as makeBookings, type Bookings } from '../../src/store/bookings.ts';
import { openStore, type Store, type StoreOptions } from '../../src/store/database.ts';
import { createOrganisation, createUser, issueApiKey } from '../../src/store/organisations.ts';
import { secretBox, type SecretBox } from '../../src/store/secret-box.ts';
import { hashPassword } from '../../src/store/sessions.ts';
import { calendarProviders, providerLabels } from '../../src/calendars/registry.ts';
import { findConnection, providersToReconnect } from '../../src/store/calendar-connections.ts';
import type { ReconcileOutcome } from '../../src/sync/reconcile-connection.ts';
import { startSyncWorker, syncOnBookingChange } from '../../src/sync/sync-jobs.ts';

export const PASSWORD = 'correct horse battery staple';

/** A free local TCP port (listen on 0, close, reuse its number). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface Company {
  id: string;
  apiKey: string;
  tenantId: string;
  admin: { id: string; email: string };
  travelers: { id: string; email: string; locale: 'ja' | 'en' }[];
}

export interface World {
  sandbox: TestSandbox;
  store: Store;
  provider: CalendarProvider;
  box: SecretBox;
  bookings: Bookings;
  server: FastifyInstance;
  baseUrl: string;
  outboxDir: string;
  sakura: Company;
  maple: Company;
  outcomes: { connectionId: string; outcome: ReconcileOutcome }[];
  /** What the sync worker said (its operator alarms), in order. */
  syncLog: Array<{ level: 'error' | 'info'; line: string }>;
  /** The id of the user's Outlook connection (reconcile outcomes are the connection's). */
  connectionOf(userId: string): Promise<string | undefined>;
  /** The sandbox clock, as the product sees it too. */
  now(): Date;
  browser(): Browser;
  /** Resolves once every queued calendar-sync job has run. */
  syncIdle(timeoutMs?: number): Promise<void>;
  startSync(): Promise<void>;
  stopSync(): Promise<void>;
  /** Stops the product (HTTP server, workers, store); the sandbox keeps running until close(). */
  closeProduct(): Promise<void>;
  close(): Promise<void>;
}

export class Browser {
  cookie = '';
  readonly world: World;
  constructor(world: World) {
    this.world = world;
  }

  async api<T = any>(method: string, route: string, body?: unknown): Promise<{ status: number; body: T; headers: Headers }> {
    const res = await fetch(`${this.world.baseUrl}${route}`, {
      method,
      redirect: 'manual',
      headers: { ...(this.cookie ? { cookie: this.cookie } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const setCookie = res.headers.get('set-cookie');
    if (setCookie) this.cookie = setCookie.split(';')[0];
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {}
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  async logIn(email: string, password = PASSWORD) {
    const res = await this.api('POST', '/api/session', { email, password });
    if (res.status !== 200) throw new Error(`log-in of ${email} failed: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.user;
  }

  /** Signs in as `login` on the sandbox's page for a Microsoft sign-in URL; returns the redirect back to the product, not followed. */
  async microsoftRedirect(url: string, login: string): Promise<URL> {
    const page = await (await fetch(url)).text();
    const form = firstForm(page, url);
    const res = await postForm(form.action, { ...form.fields, login });
    const location = res.headers.get('location');
    if (!location) throw new Error(`the sandbox did not redirect after sign-in (${res.status}): ${(await res.text()).slice(0, 300)}`);
    return new URL(location);
  }

  /** Opens a URL of the product with this browser's cookie; returns where the product redirected. */
  async follow(url: URL): Promise<URL> {
    const res = await fetch(url, { redirect: 'manual', headers: this.cookie ? { cookie: this.cookie } : {} });
    const location = res.headers.get('location');
    if (!location) throw new Error(`the product did not redirect (${res.status}): ${(await res.text()).slice(0, 300)}`);
    return new URL(location, this.world.baseUrl);
  }

  /**
   * Opens a Microsoft sign-in URL, signs in as `login` on the sandbox's page, and follows the
   * redirect back into the product with this browser's cookie. Returns where the product sent us.
   */
  async signInWithMicrosoft(url: string, login: string): Promise<URL> {
    return this.follow(await this.microsoftRedirect(url, login));
  }

  /** The Entra administrator: opens the consent link, signs in, ticks "on behalf of your organization", accepts or cancels. */
  async adminConsent(url: string, login: string, decision: 'accept' | 'cancel' = 'accept'): Promise<Response> {
    const page = await (await fetch(url)).text();
    const form = firstForm(page, url);
    const signedIn = await postForm(form.action, { ...form.fields, login });
    const answered = await answerConsent(signedIn, url, decision);
    const location = answered.headers.get('location');
    if (!location) throw new Error(`no redirect after consent (${answered.status})`);
    return fetch(location, { redirect: 'manual' });
  }
}

/** Consent, the admin's connection and sync on for a company: the source document's steps 1-3. */
export async function setUpCompany(world: World, company: Company, entraAdmin: string): Promise<Browser> {
  const admin = world.browser();
  await admin.logIn(company.admin.email);
  const link = await admin.api('POST', '/api/company/calendars/outlook/grant-link');
  const page = await admin.adminConsent(link.body.url, entraAdmin);
  if (page.status !== 200) throw new Error(`admin consent failed: ${page.status}`);
  const connect = await admin.api('POST', '/api/company/calendars/outlook/connect');
  const landed = await admin.signInWithMicrosoft(connect.body.url, company.admin.email);
  if (landed.searchParams.get('result') !== 'connected') throw new Error(`admin connect failed: ${landed}`);
  const sync = await admin.api('PUT', '/api/company/calendars/outlook/sync', { enabled: true });
  if (sync.status !== 200) throw new Error(`sync switch failed: ${sync.status}`);
  return admin;
}

/** A traveler logs in and connects their own Outlook calendar. */
export async function connectTraveler(world: World, email: string): Promise<Browser> {
  const traveler = world.browser();
  await traveler.logIn(email);
  const connect = await traveler.api('POST', '/api/me/calendars/outlook/connect');
  const landed = await traveler.signInWithMicrosoft(connect.body.url, email);
  if (landed.searchParams.get('result') !== 'connected') throw new Error(`traveler connect failed: ${landed}`);
  return traveler;
}

export interface WorldOptions {
  store?: StoreOptions;
  syncConcurrency?: number;
  /** Start the in-process sync worker (default true); false when another process runs it. */
  startSync?: boolean;
  /** The sync worker's wait after a fault only the operator can fix (default: the product's). */
  operatorBackoff?: { firstMs: number; maxMs: number };
  /** The token caches' key (32 bytes), for another process to share; random by default. */
  boxKey?: Buffer;
  /** The sandbox's configuration (extra tenants and users). */
  sandboxConfig?: Parameters<typeof startTestSandbox>[0];
}

export async function startWorld(options: WorldOptions = {}): Promise<World> {
  const sandbox = await startTestSandbox(options.sandboxConfig);
  const store = await openStore({ retryDelaySeconds: 1, ...options.store });
  const box = secretBox([options.boxKey ?? randomBytes(32)]);
  const now = () => new Date(sandbox.control.now());
  const provider = createOutlookProvider({
    clientId: sandbox.app.clientId, clientSecret: sandbox.app.clientSecret,
    authorityHost: sandbox.url, graphUrl: sandbox.url, caPem: sandbox.caPem,
  });
  const bookings = makeBookings(store, { onChange: [syncOnBookingChange(store)], now });
  const port = await freePort();
  const baseUrl = `http://localhost:${port}`;
  const server = await buildServer({
    store, bookings, organizer: { name: 'tripcal', email: 'itinerary@tripcal.example' }, publicUrl: baseUrl, calendars: { providers: calendarProviders(provider), box }, now,
  });
  await server.listen({ port, host: '127.0.0.1' });

  const passwordHash = await hashPassword(PASSWORD);
  const [sakuraTenant, mapleTenant] = sandbox.tenants as [typeof sandbox.tenants[number], typeof sandbox.tenants[number]];
  async function company(name: string, tenant: typeof sakuraTenant): Promise<Company> {
    const org = await createOrganisation(store.db, name);
    const [adminEntry, ...rest] = tenant.users.filter((u) => !u.isAdmin);
    const admin = await createUser(store.db, org.id, { email: adminEntry.userPrincipalName, displayName: adminEntry.displayName, role: 'admin', locale: 'ja', timeZone: 'Asia/Tokyo', passwordHash });
    const travelers = [];
    for (const u of rest) {
      const locale = u.preferredLanguage?.startsWith('ja') ? 'ja' : 'en';
      const t = await createUser(store.db, org.id, { email: u.userPrincipalName, displayName: u.displayName, role: 'traveler', locale, timeZone: locale === 'ja' ? 'Asia/Tokyo' : 'America/Los_Angeles', passwordHash });
      travelers.push({ id: t.id, email: t.email, locale: t.locale });
    }
    return { id: org.id, apiKey: await issueApiKey(store.db, org.id), tenantId: tenant.id, admin: { id: admin.id, email: admin.email }, travelers };
  }
  const sakura = await company('Sakura Trading', sakuraTenant);
  const maple = await company('Maple Logistics', mapleTenant);

  const outboxDir = await mkdtemp(path.join(os.tmpdir(), 'tripcal-outbox-'));
  const transport = createMailTransport({ outboxDir });
  const stopMail = await startItineraryMailWorker({
    store, transport, from: { name: 'tripcal', address: 'itinerary@tripcal.example' }, publicUrl: baseUrl, pollingIntervalSeconds: 0.5,
    lapsedCalendars: async (traveler) => providerLabels(await providersToReconnect(store.db, traveler.id), traveler.locale), log: () => {},
  });

  const outcomes: World['outcomes'] = [];
  const syncLog: World['syncLog'] = [];
  let stopSync: (() => Promise<void>) | undefined;
  const world: World = {
    sandbox, store, provider, box, bookings, server, baseUrl, outboxDir, sakura, maple, outcomes, syncLog, now,
    connectionOf: async (userId) => (await findConnection(store.db, userId, 'outlook'))?.id,
    browser: () => new Browser(world),
    async startSync() {
      stopSync ??= await startSyncWorker({
        store, deps: {
          db: store.db, providers: calendarProviders(provider), box, now, log: (level, line) => syncLog.push({ level, line }),
          ...(options.operatorBackoff ? { operatorBackoff: options.operatorBackoff } : {}),
        },
        pollingIntervalSeconds: 0.5, concurrency: options.syncConcurrency ?? 4,
        onOutcome: (connectionId, outcome) => outcomes.push({ connectionId, outcome }),
      });
    },
    async stopSync() {
      await stopSync?.();
      stopSync = undefined;
    },
    async syncIdle(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const jobs = await store.db.selectFrom('pgboss.job' as any).select('state' as any).where('name' as any, '=', 'calendar-sync').where('state' as any, 'in', ['created', 'retry', 'active']).execute();
        if (jobs.length === 0) return;
        if (Date.now() > deadline) throw new Error(`calendar sync still busy after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 150));
      }
    },
    async closeProduct() {
      productClosed ??= (async () => {
        await stopSync?.();
        stopSync = undefined;
        await stopMail();
        transport.close();
        await server.close();
        await store.close();
      })();
      await productClosed;
    },
    async close() {
      await world.closeProduct();
      await sandbox.stop();
      await rm(outboxDir, { recursive: true, force: true });
    },
  };
  let productClosed: Promise<void> | undefined;
  if (options.startSync !== false) await world.startSync();
  return world;
}

/** The user's object id in the sandbox's directory (their mailbox). */
export function objectId(world: World, email: string): string {
  const user = world.sandbox.tenants.flatMap((t) => t.users).find((u) => u.userPrincipalName === email);
  if (!user) throw new Error(`no sandbox user ${email}`);
  return user.id;
}
