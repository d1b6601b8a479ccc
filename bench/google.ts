// The Google backfill of `npm run bench` (section "google"): the product as `npm start` runs it
// (one process, embedded PGlite), pointed at the Google stand-in by its GOOGLE_* settings alone, a
// Workspace company under domain-wide delegation, and its travelers' bookings written to their
// Google calendars from "sync on", with Google's per-user quota and Calendar latency in force.
// Measured like the Outlook clean backfill: events/s from the switch to the last insert, against
// the ceiling that the stand-in's limits set (bench/ceiling.ts).
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startGoogleSandbox, TRIPCAL_SERVICE_ACCOUNT, TRIPCAL_WEB_CLIENT, type GoogleSandbox, type WorkspaceDomain } from '../sandbox/google/server.ts';
import type { TestSandbox } from '../sandbox/test/helpers.ts';
import { SEGMENT_KEY_PROPERTY } from '../src/calendars/google/index.ts';
import { openStore } from '../src/store/database.ts';
import { createOrganisation, createUser, issueApiKey } from '../src/store/organisations.ts';
import { browsingWorld, freePort, inParallel, productEnv, spawnProduct, tripsOf, until } from '../test/scale/fleet.ts';
import { PASSWORD } from '../test/support/outlook-world.ts';
import { ceiling, type Ceiling } from './ceiling.ts';
import { onEachLoggedRequest } from './graph-meter.ts';

export const GOOGLE_FLEET_DOMAIN = 'fleet-google.example';
/** The stand-in's requests in flight per calendar (its default; Google publishes no number). */
const IN_FLIGHT_PER_CALENDAR = 10;

export interface GoogleBenchOptions {
  travelers: number;
  segments: number;
  latencyMs: number;
  /** Requests per minute per user (Google's default quota is 600). */
  quotaPerMinute: number;
  /** The Microsoft stand-in of the run: the product is given its settings, so that it starts no stand-in of its own. */
  microsoft: TestSandbox;
  tokenKey: Buffer;
  passwordHash: string;
  say: (line: string) => void;
}

export interface GoogleBenchResult {
  events: number;
  /** From "sync on" to the last insert. */
  seconds: number;
  /** From "sync on" to the first answered Calendar request. */
  firstSeconds: number;
  /** Calendar API requests (inserts and anything else), and those answered 403/429 (quota) or 5xx. */
  requests: number;
  quotaAnswers: number;
  unavailable: number;
  ceiling: Ceiling;
  inFlight: number;
  /** Calendars that do not hold exactly one event per segment. */
  problems: string[];
}

function workspace(travelers: number): WorkspaceDomain {
  return {
    domain: GOOGLE_FLEET_DOMAIN, customerId: 'C09fleet01', displayName: 'Fleet Travel (Google)',
    users: [
      { email: `it-admin@${GOOGLE_FLEET_DOMAIN}`, name: 'IT Admin', superAdmin: true, locale: 'en' },
      { email: `admin@${GOOGLE_FLEET_DOMAIN}`, name: 'Travel Admin', superAdmin: false, locale: 'en' },
      ...Array.from({ length: travelers }, (_, i) => ({ email: `traveler${String(i + 1).padStart(4, '0')}@${GOOGLE_FLEET_DOMAIN}`, name: `Traveler ${i + 1}`, superAdmin: false, locale: (i % 2 ? 'ja' : 'en') as 'ja' | 'en' })),
    ],
  };
}

async function api(baseUrl: string, apiKey: string, route: string, body: unknown): Promise<void> {
  const res = await fetch(`${baseUrl}/api/v1${route}`, { method: 'POST', headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (res.status >= 300) throw new Error(`POST ${route}: ${res.status} ${await res.text()}`);
  await res.arrayBuffer();
}

export async function googleBackfill(opts: GoogleBenchOptions): Promise<GoogleBenchResult> {
  const T = opts.travelers;
  const S = opts.segments;
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tripcal-bench-google-'));
  const domain = workspace(T);
  let google: GoogleSandbox | undefined;
  let product: ReturnType<typeof spawnProduct> | undefined;
  try {
    google = await startGoogleSandbox({
      dataDir: path.join(dataDir, 'google-sandbox'), port: 0, seed: { domains: [domain], webClients: [TRIPCAL_WEB_CLIENT], serviceAccount: TRIPCAL_SERVICE_ACCOUNT },
      limits: { perUserPerMinute: opts.quotaPerMinute, perCalendarConcurrency: IN_FLIGHT_PER_CALENDAR },
    });
    // The company and its people exist before the product starts (the embedded database belongs to one process).
    const productDir = path.join(dataDir, 'product');
    const store = await openStore({ dataDir: productDir });
    const org = await createOrganisation(store.db, 'Fleet Travel (Google)');
    const [, adminEntry, ...travelerEntries] = domain.users;
    await createUser(store.db, org.id, { email: adminEntry!.email, displayName: adminEntry!.name, role: 'admin', locale: 'en', timeZone: 'Asia/Tokyo', passwordHash: opts.passwordHash });
    for (const u of travelerEntries) await createUser(store.db, org.id, { email: u.email, displayName: u.name, role: 'traveler', locale: u.locale, timeZone: 'Asia/Tokyo', passwordHash: opts.passwordHash });
    const apiKey = await issueApiKey(store.db, org.id);
    await store.close();

    const port = await freePort();
    const baseUrl = `http://localhost:${port}`;
    product = spawnProduct(['src/main.ts'], productEnv({
      dataDir: productDir, tokenKey: opts.tokenKey, sandbox: opts.microsoft,
      extra: {
        PORT: String(port), DEV_TOOLS: 'false',
        GOOGLE_SERVICE_ACCOUNT_KEY_FILE: google.serviceAccountKeyPath, GOOGLE_CLIENT_ID: google.webClient.clientId, GOOGLE_CLIENT_SECRET: google.webClient.clientSecret,
        GOOGLE_ACCOUNTS_URL: google.url, GOOGLE_OAUTH_URL: google.url, GOOGLE_API_URL: google.url, GOOGLE_CA_FILE: google.caPath,
      },
    }), 'listening on');
    await product.ready;

    // The Workspace administrator authorizes our client id; the OBT admin's check proves it.
    const admin = browsingWorld(baseUrl).browser();
    await admin.logIn(adminEntry!.email, PASSWORD);
    google.control.authorizeDelegation(GOOGLE_FLEET_DOMAIN);
    const check = await admin.api('POST', '/api/company/calendars/google/delegation');
    if (check.status !== 200) throw new Error(`the delegation check: ${check.status} ${JSON.stringify(check.body)}`);

    // Bookings go in with sync off; their itinerary emails go out first.
    const trips = travelerEntries.flatMap((u, i) => tripsOf(u.email, S, `G${i}`));
    opts.say(`google: booking ${trips.length} trips (${T * S} segments)`);
    await inParallel(trips, 8, (trip) => api(baseUrl, apiKey, '/trips', trip));
    const outbox = path.join(productDir, 'outbox');
    await until('every itinerary email sent', async () => (await readdir(outbox).catch(() => [])).filter((f) => f.endsWith('.eml')).length >= trips.length, 300_000, 200);
    await new Promise((r) => setTimeout(r, 1000));

    // Everything the stand-in answers from here on (the Calendar API and its batch items; tokens apart).
    google.control.setLatency(opts.latencyMs);
    const created = new Set<string>();
    let requests = 0, quotaAnswers = 0, unavailable = 0, firstAt = 0, lastWriteAt = 0;
    const stop = onEachLoggedRequest((e, at) => {
      if (!e.path.startsWith('/calendar/v3/') || !e.mailbox?.endsWith(`@${GOOGLE_FLEET_DOMAIN}`)) return;
      requests++;
      firstAt ||= at;
      if (e.status === 429 || e.status === 403) quotaAnswers++;
      if (e.status >= 500) unavailable++;
      const id = (e.body as { id?: string } | undefined)?.id;
      if (e.method === 'POST' && e.status === 200 && id && !created.has(`${e.mailbox}|${id}`)) {
        created.add(`${e.mailbox}|${id}`);
        lastWriteAt = at;
      }
    });
    opts.say(`google: backfill ${T} × ${S} from the sync switch, ${opts.quotaPerMinute} requests/min/user`);
    const t0 = performance.now();
    const sync = await admin.api('PUT', '/api/company/calendars/google/sync', { enabled: true });
    if (sync.status !== 200) throw new Error(`sync switch: ${sync.status}`);
    try {
      await until(`${T * S} Google events written`, () => created.size >= T * S, 600_000, 20);
    } finally {
      stop();
    }
    await new Promise((r) => setTimeout(r, 1000));
    const problems: string[] = [];
    for (const u of travelerEntries) {
      const keys = google.control.events(u.email).map((ev) => ev.extendedProperties?.private?.[SEGMENT_KEY_PROPERTY] ?? '');
      if (keys.length !== S || new Set(keys).size !== S) problems.push(`${u.email}: ${keys.length} events, ${new Set(keys).size} keys (expected ${S})`);
    }
    return {
      events: created.size, seconds: (lastWriteAt - t0) / 1000, firstSeconds: (firstAt - t0) / 1000, requests, quotaAnswers, unavailable, problems,
      ceiling: ceiling(T, S, { concurrency: IN_FLIGHT_PER_CALENDAR, budget: opts.quotaPerMinute, latencyMs: opts.latencyMs, windowSeconds: 60 }),
      inFlight: IN_FLIGHT_PER_CALENDAR,
    };
  } finally {
    if (product && product.child.exitCode === null) {
      product.child.kill('SIGTERM');
      await product.exited;
    }
    await google?.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}
