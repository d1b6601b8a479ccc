// A fleet for scale tests and the benchmark: a sandbox tenant with many users, a company whose
// travelers connect through the real flows (the product's HTTP routes, MSAL, the sandbox's sign-in
// pages), `tripcal worker` child processes, and a Graph "tap": an HTTPS pass-through in front of
// the sandbox, one per worker process, that records which process sent which mailbox request when.
import { freePort } from '../support/outlook-world.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:https';
import net from 'node:net';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { SeedTenant } from '../../sandbox/seed.ts';
import { loadOrCreateTls } from '../../sandbox/tls-material.ts';
import { startTestSandbox, type TestSandbox } from '../../sandbox/test/helpers.ts';
import type { SegmentInput, TripInput } from '../../src/domain/booking-schema.ts';
import { LOGIN_LIMITS } from '../../src/http/app-routes.ts';
import { buildServer } from '../../src/http/server.ts';
import type { CalendarProvider } from '../../src/calendars/provider.ts';
import { calendarProviders } from '../../src/calendars/registry.ts';
import type { Bookings } from '../../src/store/bookings.ts';
import type { Db, Store } from '../../src/store/database.ts';
import { createOrganisation, createUser, issueApiKey } from '../../src/store/organisations.ts';
import type { SecretBox } from '../../src/store/secret-box.ts';
import { Browser, PASSWORD, type Company, type World } from '../support/outlook-world.ts';
import { npmStartNodeFlags, tripcalCommandNodeFlags } from '../support/npm-start.ts';
import { manyTrips } from '../support/sync-faults.ts';

export const REPO = path.resolve(import.meta.dirname, '../..');
export const FLEET_DOMAIN = 'fleet.example';

/** A tenant with an Entra admin, the company's OBT admin and `travelers` travelers (fixed GUIDs). */
export function fleetTenant(travelers: number): SeedTenant {
  const guid = (n: number) => `f1ee7000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
  const user = (n: number, upn: string, name: string, isAdmin = false) => ({
    id: guid(n), userPrincipalName: `${upn}@${FLEET_DOMAIN}`, displayName: name, givenName: name, surname: 'Fleet', isAdmin, preferredLanguage: n % 2 ? 'ja-JP' : 'en-US',
  });
  return {
    id: 'f1ee7000-0000-4000-8000-ffffffffffff', displayName: 'Fleet Travel', domain: FLEET_DOMAIN,
    users: [user(1, 'it-admin', 'IT Admin', true), user(2, 'admin', 'Travel Admin'), ...Array.from({ length: travelers }, (_, i) => user(100 + i, `traveler${String(i + 1).padStart(4, '0')}`, `Traveler ${i + 1}`))],
  };
}

/** The sandbox with the fleet tenant; nothing persisted (a mailbox of thousands is rewritten on every save otherwise). */
export function startFleetSandbox(travelers: number): Promise<TestSandbox> {
  return startTestSandbox({ seed: { tenants: [fleetTenant(travelers)] }, persist: false });
}

/** The company in the store: the OBT admin and one traveler per fleet user (or per user of a range of them). */
export async function createFleetCompany(db: Db, sandbox: TestSandbox, passwordHash: string, range?: { from: number; count: number }): Promise<Company> {
  const tenant = sandbox.tenants.find((t) => t.domain === FLEET_DOMAIN)!;
  const org = await createOrganisation(db, 'Fleet Travel');
  const [, adminEntry, ...all] = tenant.users;
  const rest = range ? all.slice(range.from, range.from + range.count) : all;
  const admin = await createUser(db, org.id, { email: adminEntry!.userPrincipalName, displayName: adminEntry!.displayName, role: 'admin', locale: 'en', timeZone: 'Asia/Tokyo', passwordHash });
  const travelers = [];
  for (const u of rest) {
    const locale = u.preferredLanguage?.startsWith('ja') ? 'ja' : 'en';
    const t = await createUser(db, org.id, { email: u.userPrincipalName, displayName: u.displayName, role: 'traveler', locale, timeZone: 'Asia/Tokyo', passwordHash });
    travelers.push({ id: t.id, email: t.email, locale: t.locale });
  }
  return { id: org.id, apiKey: await issueApiKey(db, org.id), tenantId: tenant.id, admin: { id: admin.id, email: admin.email }, travelers };
}

export function objectIdOf(sandbox: TestSandbox, email: string): string {
  return sandbox.tenants.flatMap((t) => t.users).find((u) => u.userPrincipalName === email)!.id;
}

export { freePort };

/** `segments` segments in trips of up to four (manyTrips), booking refs `${prefix}-nn`. */
export function tripsOf(email: string, segments: number, prefix: string): TripInput[] {
  const trips = manyTrips(email, Math.ceil(segments / 4), prefix);
  const last = trips[trips.length - 1]!;
  last.segments = last.segments.slice(0, segments - 4 * (trips.length - 1)) as SegmentInput[];
  return trips;
}


/** The product's HTTP server in this process (no workers: those run as child processes). */
export async function startProductServer(opts: { store: Store; bookings: Bookings; provider: CalendarProvider; box: SecretBox }): Promise<{ server: FastifyInstance; baseUrl: string }> {
  const port = await freePort();
  const baseUrl = `http://localhost:${port}`;
  // The whole fleet (up to thousands of travelers) logs in from this one address; each account still
  // has its own limit.
  const loginLimits = { ...LOGIN_LIMITS, perAddress: { ...LOGIN_LIMITS.perAddress, max: 1_000_000 } };
  const server = await buildServer({ store: opts.store, bookings: opts.bookings, organizer: { name: 'tripcal', email: 'itinerary@tripcal.example' }, publicUrl: baseUrl, calendars: { providers: calendarProviders(opts.provider), box: opts.box }, loginLimits });
  await server.listen({ port, host: '127.0.0.1' });
  return { server, baseUrl };
}

/** What the harness's browser helpers (setUpCompany, connectTraveler) need of a World: where the product is. */
export function browsingWorld(baseUrl: string): World {
  const world = { baseUrl, browser: () => new Browser(world as unknown as World) };
  return world as unknown as World;
}

export async function logInAs(world: World, email: string): Promise<Browser> {
  const b = world.browser();
  await b.logIn(email, PASSWORD);
  return b;
}

/** Runs `fn` over `items`, `width` at a time. */
export async function inParallel<T>(items: T[], width: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  }));
}

// ---- the Graph tap -------------------------------------------------------------------------------

export interface TappedRequest {
  /** Which worker process sent it (the tap it came through). */
  via: string;
  /** The mailbox (oid claim of the bearer token; the token itself is never kept). */
  mailbox: string;
  start: number;
  end: number;
  status: number;
  /** Requests inside the $batch. */
  items: number;
  /** Their methods, e.g. "POST POST PATCH". */
  methods: string;
}

export interface GraphTap {
  url: string;
  label: string;
  inFlight(): TappedRequest[];
  close(): Promise<void>;
}

function mailboxOf(authorization: string | undefined): string {
  const payload = (authorization ?? '').replace(/^bearer\s+/i, '').split('.')[1];
  try {
    return String(JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')).oid ?? '?');
  } catch {
    return '?';
  }
}

/**
 * An HTTPS pass-through to the sandbox's Graph with the sandbox's own certificate, so a worker
 * pointed at it (MICROSOFT_GRAPH_URL) trusts it through the same CA. Every request it forwards is
 * appended to `log` with its timing, in this process's clock (performance.now()).
 */
export async function startGraphTap(sandbox: TestSandbox, label: string, log: TappedRequest[]): Promise<GraphTap> {
  const tls = loadOrCreateTls(sandbox.dataDir);
  const pending = new Set<TappedRequest>();
  const server = createServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      let items = 1;
      let methods = req.method ?? '';
      try {
        const requests = (JSON.parse(body.toString('utf8')) as { requests?: Array<{ method?: string }> }).requests ?? [];
        items = requests.length;
        methods = requests.map((r) => r.method).join(' ');
      } catch {}
      const entry: TappedRequest = { via: label, mailbox: mailboxOf(req.headers.authorization), start: performance.now(), end: 0, status: 0, items, methods };
      pending.add(entry);
      try {
        const headers: Record<string, string> = {};
        for (const k of ['authorization', 'content-type', 'accept', 'prefer']) if (typeof req.headers[k] === 'string') headers[k] = req.headers[k] as string;
        const answer = await fetch(`${sandbox.url}${req.url}`, { method: req.method, headers, ...(body.length ? { body } : {}) });
        const text = Buffer.from(await answer.arrayBuffer());
        entry.status = answer.status;
        const out: Record<string, string> = {};
        answer.headers.forEach((v, k) => {
          if (['content-type', 'retry-after', 'request-id'].includes(k)) out[k] = v;
        });
        res.writeHead(answer.status, out).end(text);
      } catch {
        res.destroy();
      } finally {
        entry.end = performance.now();
        pending.delete(entry);
        log.push(entry);
      }
    });
  });
  const sockets = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `https://localhost:${port}`,
    label,
    inFlight: () => [...pending],
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    }),
  };
}

/** Pairs of requests to one mailbox from two different processes whose times overlap. */
export function interleaved(log: TappedRequest[]): Array<[TappedRequest, TappedRequest]> {
  const byMailbox = new Map<string, TappedRequest[]>();
  for (const r of log) byMailbox.set(r.mailbox, [...(byMailbox.get(r.mailbox) ?? []), r]);
  const clashes: Array<[TappedRequest, TappedRequest]> = [];
  for (const list of byMailbox.values()) {
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length; j++) {
        const a = list[i]!;
        const b = list[j]!;
        if (a.via !== b.via && a.start < b.end && b.start < a.end) clashes.push([a, b]);
      }
    }
  }
  return clashes;
}

// ---- worker processes ----------------------------------------------------------------------------

export interface WorkerProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code (null when killed by a signal) and the signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once the process says its workers are running. */
  ready: Promise<void>;
}

export interface WorkerEnv {
  databaseUrl?: string;
  dataDir: string;
  tokenKey: Buffer;
  sandbox: TestSandbox;
  graphUrl?: string;
  extra?: Record<string, string>;
}

/** The environment `tripcal` needs to reach the sandbox as it would reach Microsoft. */
export function productEnv(opts: WorkerEnv): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('MICROSOFT_') && k !== 'DATABASE_URL' && !k.startsWith('NODE_TEST')) env[k] = v;
  return {
    ...env,
    ...(opts.databaseUrl ? { DATABASE_URL: opts.databaseUrl } : {}),
    DATA_DIR: opts.dataDir,
    TOKEN_ENCRYPTION_KEYS: opts.tokenKey.toString('base64'),
    MICROSOFT_CLIENT_ID: opts.sandbox.app.clientId,
    MICROSOFT_CLIENT_SECRET: opts.sandbox.app.clientSecret,
    MICROSOFT_AUTHORITY_HOST: opts.sandbox.url,
    MICROSOFT_GRAPH_URL: opts.graphUrl ?? opts.sandbox.url,
    MICROSOFT_CA_FILE: opts.sandbox.caPath,
    SEED_DEMO: 'false',
    ...(opts.extra ?? {}),
  };
}

/** Spawns `node src/cli.ts <args>` (or another entry) with the product's environment and `npm start`'s Node flags. */
export function spawnProduct(args: string[], env: Record<string, string>, readyText = 'workers running'): WorkerProcess {
  // BENCH_NODE_ARGS: extra Node flags for the product's processes (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").
  const nodeArgs = process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(' ') : [];
  // `src/cli.ts serve|worker` runs as the `tripcal` command does, anything else as `npm start` does.
  const productFlags = args[0] === 'src/cli.ts' ? tripcalCommandNodeFlags() : npmStartNodeFlags();
  const child = spawn(process.execPath, [...productFlags, ...nodeArgs, ...args], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const onData = (d: Buffer) => {
    out += d.toString('utf8');
    if (out.includes(readyText)) markReady();
    // Keep the tail only: a long benchmark run logs every HTTP request.
    if (out.length > 256_000) out = out.slice(-128_000);
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, output: () => out, exited, ready: Promise.race([ready, exited.then(() => { throw new Error(`the process exited before it was ready:\n${out.slice(-2000)}`); })]) };
}

export function spawnWorker(opts: WorkerEnv): WorkerProcess {
  return spawnProduct(['src/cli.ts', 'worker'], productEnv(opts));
}

/** Resolves once no calendar-sync job (or job of `queue`) is waiting, retrying or running. */
export async function syncQueueIdle(db: Db, timeoutMs: number, queue = 'calendar-sync'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const jobs = await db.selectFrom('pgboss.job' as any).selectAll().where('name' as any, '=', queue).where('state' as any, 'in', ['created', 'retry', 'active']).execute();
    if (jobs.length === 0) return;
    if (Date.now() > deadline) {
      const rows = (jobs as Record<string, unknown>[]).map((j) => `${String(j.singleton_key)} ${String(j.state)} retries ${String(j.retry_count)} start_after ${String(j.start_after)} started ${String(j.started_on)} heartbeat ${String(j.heartbeat_on)}`);
      throw new Error(`${queue} still busy after ${timeoutMs} ms:\n${rows.join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number, stepMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
