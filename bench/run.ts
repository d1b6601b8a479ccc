// `npm run bench`: how fast bookings reach Outlook calendars, against the sandbox with realistic
// Graph behaviour, compared with a naive integration and with what Graph's limits allow. One run
// measures everything and prints one table (README, "Benchmark", says how to read it).
//
//   npm run bench -- [--travelers 50] [--segments 40] [--latency 100] [--rate 20] [--steady-seconds 10]
//                    [--scale-travelers 2000] [--scale-segments 2] [--naive-travelers 2]
//                    [--fault-share 0.01] [--database-url postgres://…] [--sections embedded,google,naive,postgres,feed,connect]
//                    [--connect-travelers 10] [--connect-segments 40]
//                    [--feed-travelers 200] [--feed-trips 10] [--feed-concurrency 16] [--feed-seconds 5]
//                    [--google-travelers 20] [--google-segments 40] [--google-quota 20]
//                    [--batch-dispatch all-at-once|four-at-a-time]
//
// --batch-dispatch: how the sandbox runs a $batch's items (sandbox/README.md, `batchDispatch`):
// every item at once (the default, stricter: a 5th item to one mailbox is a 429) or 4 at a time,
// as Graph dispatches them. The header line of the output names the mode used.
//                    [--airline-travelers 100] [--airline-clients 8] (--sections airline)
//                    [--minutes 10] (the long run: --sections long, not in the default set)
//
// 1. The product as `npm start` runs it (one process, HTTP server + workers, embedded PGlite), a
//    child process pointed at the sandbox by settings alone: backfill from "sync on", a stream of
//    booking changes, one change and one no-op, and the process's peak RSS.
// 2. The naive baseline (bench/naive.ts), same sandbox and settings.
// 3. One, then two `tripcal worker` processes on PostgreSQL, same backfill of many travelers with
//    few segments each (skipped when no PostgreSQL server answers).
// 4. The private calendar feed polled by calendar apps (bench/feed.ts): requests per second and
//    latency of 304s and of full feeds, on the embedded database and on PostgreSQL.
// 5. The traveler-connect path (`connect`): travelers whose bookings exist connect; Graph requests
//    per event on that first connect, then writes when they connect again to mailboxes already
//    holding the events after the product's record of them is gone. Counted from the sandbox's
//    request log, not timed.
// 6. Google (bench/google.ts): the same product against the Google stand-in, a company under
//    domain-wide delegation, backfilled from "sync on" against Google's per-user quota.
// 7. `--sections airline` (named, not in the defaults): one flight retimed for the travelers of 20
//    companies, sent through the booking API by autocannon; calendar and email rates against
//    references measured in the same run (PostgreSQL).
// 8. `--sections long` (named, not in the defaults): `npm start` under steady changes for --minutes;
//    RSS growth after warm-up and p99 change-to-calendar.
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import pg from 'pg';
import autocannon from 'autocannon';
import nodemailer from 'nodemailer';
import type { SeedTenant } from '../sandbox/seed.ts';
import { SMTP_MAX_CONNECTIONS } from '../src/mail/transport.ts';
import { createOrganisation, createUser, issueApiKey } from '../src/store/organisations.ts';
import { startSmtpSink } from '../test/mail/smtp-sink.ts';
import type { TestSandbox } from '../sandbox/test/helpers.ts';
import { createOutlookProvider } from '../src/calendars/outlook/index.ts';
import type { TripInput } from '../src/domain/booking-schema.ts';
import { bookings as makeBookings } from '../src/store/bookings.ts';
import { openStore, type Store } from '../src/store/database.ts';
import { secretBox } from '../src/store/secret-box.ts';
import { hashPassword } from '../src/store/sessions.ts';
import { enqueueSyncs, syncOnBookingChange } from '../src/sync/sync-jobs.ts';
import { setSyncEnabled } from '../src/store/company-calendars.ts';
import type { Db } from '../src/store/database.ts';
import {
  browsingWorld, createFleetCompany, fleetTenant, freePort, inParallel, objectIdOf, productEnv, spawnProduct, spawnWorker, startProductServer,
  syncQueueIdle, tripsOf, until, type WorkerProcess,
} from '../test/scale/fleet.ts';
import { startTestSandbox } from '../sandbox/test/helpers.ts';
import { BATCH_DISPATCH_MODES, type BatchDispatch } from '../sandbox/config.ts';
import { PASSWORD, connectTraveler, setUpCompany, type Browser, type Company } from '../test/support/outlook-world.ts';
import { segmentKey, seeded } from '../test/support/sync-faults.ts';
import { adminQuery } from '../test/support/stores.ts';
import { ceiling, faultedCeiling } from './ceiling.ts';
import { afterEachMailboxRequest, startMeter } from './graph-meter.ts';
import { eventsOf, naiveBackfill, naiveSteady, openNaiveMailbox } from './naive.ts';
import { feedBench, type FeedBenchOptions, type FeedBenchResult } from './feed.ts';
import { googleBackfill } from './google.ts';

const { values: args } = parseArgs({
  options: {
    travelers: { type: 'string', default: '50' },
    segments: { type: 'string', default: '40' },
    latency: { type: 'string', default: '100' },
    rate: { type: 'string', default: '20' },
    'steady-seconds': { type: 'string', default: '10' },
    'scale-travelers': { type: 'string', default: '2000' },
    'scale-segments': { type: 'string', default: '2' },
    'naive-travelers': { type: 'string', default: '2' },
    'naive-steady-seconds': { type: 'string', default: '3' },
    'fault-share': { type: 'string', default: '0.01' },
    sections: { type: 'string', default: 'embedded,google,naive,postgres,feed,connect' },
    'connect-travelers': { type: 'string', default: '10' },
    'connect-segments': { type: 'string', default: '40' },
    'feed-travelers': { type: 'string', default: '200' },
    'feed-trips': { type: 'string', default: '10' },
    'feed-concurrency': { type: 'string', default: '16' },
    'feed-seconds': { type: 'string', default: '5' },
    'google-travelers': { type: 'string', default: '20' },
    'google-segments': { type: 'string', default: '40' },
    // Google's default is 600 requests per minute per user; a backfill of 40 events per traveler
    // would never meet it, so the run scales it down until it does (the ceiling follows).
    'google-quota': { type: 'string', default: '20' },
    minutes: { type: 'string', default: '10' },
    'airline-travelers': { type: 'string', default: '100' },
    'airline-clients': { type: 'string', default: '8' },
    'database-url': { type: 'string', default: process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
    'batch-dispatch': { type: 'string', default: 'all-at-once' },
  },
});
const T = Number(args.travelers);
const S = Number(args.segments);
const L = Number(args.latency);
const RATE = Number(args.rate);
const STEADY_S = Number(args['steady-seconds']);
const ST = Number(args['scale-travelers']);
const SS = Number(args['scale-segments']);
const NT = Number(args['naive-travelers']);
const NAIVE_STEADY_S = Number(args['naive-steady-seconds']);
const FAULT_SHARE = Number(args['fault-share']);
const CT = Number(args['connect-travelers']);
const CS = Number(args['connect-segments']);
const MAILBOX_CONCURRENCY = 4;
/** Travelers of the long run (at most T). */
const LONG_RUN_TRAVELERS = 20;
const BATCH_DISPATCH = args['batch-dispatch'] as BatchDispatch;
if (!BATCH_DISPATCH_MODES.includes(BATCH_DISPATCH)) throw new Error(`--batch-dispatch: one of ${BATCH_DISPATCH_MODES.join(', ')}`);
const BUDGET = 10_000;

const say = (line: string) => process.stderr.write(`bench: ${line}\n`);
const pct = (xs: number[], p: number) => {
  if (!xs.length) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};
const ms = (x: number) => (Number.isFinite(x) ? `${Math.round(x)} ms` : 'n/a');
const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');

const LIMITS = { concurrency: MAILBOX_CONCURRENCY, budget: BUDGET, latencyMs: L };
/** Retry-After on the injected 429s and 503s (startFaults). */
const FAULT_RETRY_AFTER_S = 1;

/**
 * Occasional 429s and 503s: after each answered mailbox request, with probability `share`, the
 * next Graph request fails once (half 429, half 503, Retry-After 1 s). Proportional to requests,
 * so a client sending few requests meets as few faults per request as one sending many.
 */
function startFaults(sandbox: TestSandbox, share: number): () => void {
  if (share <= 0) return () => {};
  const random = seeded(2026);
  const stop = afterEachMailboxRequest(() => {
    const r = random();
    if (r < share / 2) sandbox.control.addFault({ kind: 429, times: 1, retryAfterSeconds: FAULT_RETRY_AFTER_S });
    else if (r < share) sandbox.control.addFault({ kind: 503, times: 1, retryAfterSeconds: FAULT_RETRY_AFTER_S });
  });
  return () => {
    stop();
    sandbox.control.clearFaults();
  };
}

/** The travelers' calendar connections (a reconcile job is a connection's). */
async function connectionIds(db: Db, userIds: string[]): Promise<string[]> {
  return (await db.selectFrom('calendar_connections').select('id').where('user_id', 'in', userIds).execute()).map((r) => r.id);
}

/** Forgets what was written to these travelers' calendars, so that the next run writes it all again. */
async function clearCalendarEvents(db: Db, userIds: string[]): Promise<void> {
  await db.deleteFrom('calendar_events').where('connection_id', 'in', db.selectFrom('calendar_connections').select('id').where('user_id', 'in', userIds)).execute();
}

async function api(baseUrl: string, apiKey: string, method: 'POST' | 'PUT', route: string, body: unknown): Promise<void> {
  const res = await fetch(`${baseUrl}/api/v1${route}`, { method, headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (res.status >= 300) throw new Error(`${method} ${route}: ${res.status} ${await res.text()}`);
  await res.arrayBuffer();
}

async function setSync(admin: Browser, enabled: boolean): Promise<void> {
  const res = await admin.api('PUT', '/api/company/calendars/outlook/sync', { enabled });
  if (res.status !== 200) throw new Error(`sync switch: ${res.status}`);
}

/** Checks that each mailbox holds exactly one event per expected segment key count. */
function calendarsExact(sandbox: TestSandbox, emails: string[], perMailbox: number): string[] {
  const problems: string[] = [];
  for (const email of emails) {
    const events = sandbox.control.mailboxEvents(objectIdOf(sandbox, email));
    const keys = new Set(events.map((e) => segmentKey(e)));
    if (events.length !== perMailbox || keys.size !== perMailbox) problems.push(`${email}: ${events.length} events, ${keys.size} keys (expected ${perMailbox})`);
  }
  return problems;
}

/** Messages in the product's outbox folder (one .eml file each). */
function emailsIn(outbox: string): number {
  try {
    return readdirSync(outbox).filter((f) => f.endsWith('.eml')).length;
  } catch {
    return 0;
  }
}

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

interface Backfill {
  events: number;
  seconds: number;
  /** From "sync on" to the first answered Graph request. */
  firstSeconds: number;
  /** Share of the machine's CPU time (all cores) busy meanwhile, whoever used it. */
  cpuBusy: number;
  /** CPU of this process (the sandbox, in cores) meanwhile. */
  sandboxCpu: number;
  http: number;
  items: number;
  throttled: number;
  unavailable: number;
  /** CPU the product's processes used per event written (user + system), in ms; 0 when not measured. */
  productCpuMsPerEvent: number;
  /** CPU of the machine's PostgreSQL server processes alive at both ends, in cores; negative (shown n/a) when backends ended meanwhile. */
  postgresCpu: number;
  /** CPU of the PostgreSQL backends serving the benchmark's database per event written, in ms (NaN when not measured). */
  postgresCpuMsPerEvent: number;
  /** Backends of that database that ended during the run (their CPU is not counted). */
  backendsEnded: number;
  /** Median over mailboxes of the requests in service on average from its first request to its last answer (≤ 4). */
  inService: number;
}

/** The machine's CPU time so far, busy and total (all cores), from /proc/stat. */
function machineCpu(): { busy: number; total: number } {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
  const n = fields.map(Number);
  const total = n.reduce((a, b) => a + b, 0);
  return { busy: total - n[3]! - (n[4] ?? 0), total };
}

/** Turns sync on and waits for `events` distinct creates; the clock stops at the last write. */
/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
function processCpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return 0;
  }
}

/** CPU seconds used so far by this machine's PostgreSQL server processes (all of them, whoever they serve). */
function postgresCpuSeconds(): number {
  let sum = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres') sum += processCpuSeconds(Number(pid));
    } catch {}
  }
  return sum;
}

/**
 * The PostgreSQL backends (server processes, one per connection) serving one database, and the CPU
 * seconds each has used so far: pg_stat_activity names them, /proc/<pid>/stat counts their CPU.
 */
async function backendCpu(database: string): Promise<Map<number, number>> {
  const client = new pg.Client({ connectionString: args['database-url'] });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>('select pid from pg_stat_activity where datname = $1', [database]);
    return new Map(rows.map((r) => [r.pid, processCpuSeconds(r.pid)]));
  } finally {
    await client.end();
  }
}

async function measureBackfill(start: () => Promise<void>, events: number, timeoutMs: number, productPids: number[] = [], database?: string): Promise<Backfill> {
  const meter = startMeter();
  const product0 = productPids.reduce((sum, pid) => sum + processCpuSeconds(pid), 0);
  const postgres0 = postgresCpuSeconds();
  const backends0 = database ? await backendCpu(database) : undefined;
  const cpu0 = machineCpu();
  const own0 = process.cpuUsage();
  const t0 = performance.now();
  const hr0 = process.hrtime.bigint() / 1000n;
  await start();
  await until(`${events} events written`, () => meter.created.size >= events, timeoutMs, 20);
  meter.stop();
  const cpu1 = machineCpu();
  const cpuBusy = (cpu1.busy - cpu0.busy) / Math.max(1, cpu1.total - cpu0.total);
  const own = process.cpuUsage(own0);
  const productCpuMs = (productPids.reduce((sum, pid) => sum + processCpuSeconds(pid), 0) - product0) * 1000;
  const postgresCpu = (postgresCpuSeconds() - postgres0) / ((performance.now() - t0) / 1000);
  // The database's own backends, alive at the end (a backend that started meanwhile counts from 0;
  // one that ended meanwhile is lost, and counted in backendsEnded).
  let postgresCpuMsPerEvent = NaN;
  let backendsEnded = 0;
  if (backends0 && database) {
    const backends1 = await backendCpu(database);
    let cpu = 0;
    for (const [pid, used] of backends1) cpu += used - (backends0.get(pid) ?? 0);
    backendsEnded = [...backends0.keys()].filter((pid) => !backends1.has(pid)).length;
    postgresCpuMsPerEvent = (cpu * 1000) / Math.max(1, meter.created.size);
  }
  const sandboxCpu = (own.user + own.system) / 1000 / (performance.now() - t0);
  // Per mailbox: when its first request started, its last answer, and how many requests it had
  // in service on average between the two (4 is Outlook's limit, so the most there can be).
  const byMailbox = new Map<string, typeof meter.spans>();
  for (const sp of meter.spans) byMailbox.set(sp.mailbox, [...(byMailbox.get(sp.mailbox) ?? []), sp]);
  const firsts: number[] = [], lasts: number[] = [], inService: number[] = [], services: number[] = [];
  for (const spans of byMailbox.values()) {
    const first = Math.min(...spans.map((sp) => sp.start));
    const last = Math.max(...spans.map((sp) => sp.finish));
    firsts.push(first - t0);
    lasts.push(last - t0);
    const busy = spans.reduce((sum, sp) => sum + (sp.finish - sp.start), 0);
    inService.push(busy / Math.max(1, last - first));
    services.push(...spans.map((sp) => sp.finish - sp.start));
  }
  if (process.env.BENCH_TRACE) {
    // The run's window on the machine's monotonic clock, in µs: the clock of a CPU profile's
    // timestamps (BENCH_NODE_ARGS="--cpu-prof …"), to look at the run alone.
    say(`run window (monotonic µs): ${hr0}-${process.hrtime.bigint() / 1000n}`);
    const buckets = new Map<number, number>();
    for (const at of meter.createdAt) buckets.set(Math.floor((at - t0) / 250), (buckets.get(Math.floor((at - t0) / 250)) ?? 0) + 1);
    say(`events created per 250 ms: ${[...buckets].sort((a, b) => a[0] - b[0]).map(([b, n]) => `${(b * 0.25).toFixed(2)}s:${n}`).join(' ')}`);
    const q = (xs: number[]) => `p10 ${ms(pct(xs, 10))} p50 ${ms(pct(xs, 50))} p90 ${ms(pct(xs, 90))} max ${ms(pct(xs, 100))}`;
    const f2 = (xs: number[]) => `p10 ${pct(xs, 10).toFixed(2)} p50 ${pct(xs, 50).toFixed(2)} p90 ${pct(xs, 90).toFixed(2)}`;
    say(`token requests (Entra): ${meter.tokens}`);
    say(`mailboxes: first request ${q(firsts)}; last answer ${q(lasts)}; request service ${q(services)}; requests in service on average ${f2(inService)}`);
  }
  return { cpuBusy, sandboxCpu, events: meter.created.size, seconds: (meter.lastWriteAt - t0) / 1000, firstSeconds: (meter.firstAt - t0) / 1000, http: meter.http, items: meter.items, throttled: meter.throttled, unavailable: meter.unavailable, inService: pct(inService, 50), productCpuMsPerEvent: productCpuMs / Math.max(1, meter.created.size), postgresCpu, postgresCpuMsPerEvent, backendsEnded };
}

// ---- 1. the product as `npm start` runs it (embedded PGlite, one process) ------------------------

async function embedded(sandbox: TestSandbox, tokenKey: Buffer, passwordHash: string) {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tripcal-bench-'));
  // The company and its people exist before the product starts (no API creates them); the
  // embedded database belongs to one process, so it is written here first, then handed over.
  let company: Company;
  {
    const store = await openStore({ dataDir });
    company = await createFleetCompany(store.db, sandbox, passwordHash, { from: 0, count: T });
    await store.close();
  }
  const port = await freePort();
  const product = spawnProduct(['src/main.ts'], productEnv({ dataDir, tokenKey, sandbox, extra: { PORT: String(port), DEV_TOOLS: 'false' } }), 'listening on');
  await product.ready;
  // Peak RSS: the kernel's high-water mark (VmHWM, start-up included), and the highest RSS sampled
  // while the workloads run.
  let rssUnderLoad = 0;
  const sampler = setInterval(() => {
    try {
      const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${product.child.pid}/status`, 'utf8'))?.[1] ?? 0);
      rssUnderLoad = Math.max(rssUnderLoad, kb / 1024);
    } catch {}
  }, 100);
  const baseUrl = `http://localhost:${port}`;
  const world = browsingWorld(baseUrl);
  say(`embedded: product running (pid ${product.child.pid}); consent, ${T} travelers connecting`);
  const admin = await setUpCompany(world, company, 'it-admin@fleet.example');
  await inParallel(company.travelers, 6, async (t) => {
    await connectTraveler(world, t.email);
  });
  // Bookings go in with sync off, so the backfill starts, all at once, when sync is turned on.
  // (First the connections' own first reconciles finish: they look up events written before.)
  await new Promise((r) => setTimeout(r, 3000));
  await setSync(admin, false);
  const outbox = path.join(dataDir, 'outbox');
  let booked = 0;
  const book = async (prefix: string) => {
    const made = new Map<string, TripInput[]>();
    for (const [i, t] of company.travelers.entries()) made.set(t.email, tripsOf(t.email, S, `${prefix}${i}`));
    const all = [...made.values()].flat();
    say(`embedded: booking ${all.length} trips (${T * S} segments)`);
    await inParallel(all, 8, (trip) => api(baseUrl, company.apiKey, 'POST', '/trips', trip));
    booked += all.length;
    // Each booking's itinerary email goes out first (the .eml files in the outbox): "sync on"
    // comes later, on a system that has finished the bookings. The reconciles the bookings queued
    // find sync off and end at once.
    await until('every itinerary email sent', () => emailsIn(outbox) >= booked, 300_000, 200);
    await new Promise((r) => setTimeout(r, 1000));
    return made;
  };
  const trips = await book('E');
  sandbox.control.setLatency(L);
  // 1. No injected faults: what the ceiling's arithmetic assumes, so the fair comparison with it.
  say(`embedded: backfill ${T} × ${S}, no injected faults`);
  const clean = await measureBackfill(() => setSync(admin, true), T * S, 600_000, [product.child.pid!]);
  await new Promise((r) => setTimeout(r, 1000));
  const cleanProblems = calendarsExact(sandbox, company.travelers.map((t) => t.email), S);
  // 2. The same again with occasional 429s and 503s: sync off, another S segments per traveler
  // booked, sync on. The reconciles find the first S events written and write only the new ones.
  await setSync(admin, false);
  sandbox.control.setLatency(0);
  await book('F');
  sandbox.control.setLatency(L);
  const stopFaults = startFaults(sandbox, FAULT_SHARE);
  say(`embedded: backfill ${T} × ${S} more, ${FAULT_SHARE * 100}% of requests answered 429 or 503`);
  const backfill = await measureBackfill(() => setSync(admin, true), T * S, 600_000, [product.child.pid!]);
  await new Promise((r) => setTimeout(r, 1000));
  const problems = calendarsExact(sandbox, company.travelers.map((t) => t.email), 2 * S);

  // Steady state: a seat change on a different trip each time, `RATE` per second.
  const changes = Math.round(RATE * STEADY_S);
  say(`embedded: steady state, ${changes} changes at ${RATE}/s`);
  const emails = company.travelers.map((t) => t.email);
  const sent = new Map<number, number>();
  const latencies = new Map<number, number>();
  const tripOf = (n: number) => {
    const email = emails[n % emails.length]!;
    const list = trips.get(email)!;
    return list[Math.floor(n / emails.length) % list.length]!;
  };
  // A PATCH carrying change n's seat also delivers every earlier change to the same trip (changes
  // made during a reconcile coalesce into the next one).
  const onPatch = (_mailbox: string, body: unknown, at: number) => {
    const m = /mk(\d+)x/.exec(JSON.stringify(body));
    if (!m) return;
    const n = Number(m[1]);
    const ref = tripOf(n).bookingRef;
    for (const [k, t] of sent) if (k <= n && !latencies.has(k) && tripOf(k).bookingRef === ref) latencies.set(k, at - t);
  };
  const meter = startMeter();
  meter.onPatch = onPatch;
  const change = (n: number, seat: string) => {
    const trip = tripOf(n);
    return { route: `/trips/${trip.bookingRef}`, body: { title: trip.title, segments: trip.segments.map((s) => (s.ref === 'R1' && s.type === 'rail' ? { ...s, seat } : s)) } };
  };
  const start = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let n = 0; n < changes; n++) {
    const wait = start + (n * 1000) / RATE - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const c = change(n, `mk${n}x`);
    sent.set(n, performance.now());
    inFlight.push(api(baseUrl, company.apiKey, 'PUT', c.route, c.body));
  }
  await Promise.all(inFlight);
  const achievedRate = changes / ((performance.now() - start) / 1000);
  await until('every change in its calendar', () => latencies.size >= changes, 120_000, 50).catch((e: Error) => say(`${e.message}: ${latencies.size} written; Graph requests ${meter.items}, writes ${meter.writes}\n${product.output().slice(-3000)}`));
  meter.stop();
  const steady = { changes, latencies: [...latencies.values()], writes: meter.writes, throttled: meter.throttled, achievedRate };

  // One change, then the same booking again (a no-op), on a quiet system.
  await new Promise((r) => setTimeout(r, 2000));
  const one = startMeter();
  one.onPatch = onPatch;
  const single = change(changes, `mk${changes}x`);
  sent.set(changes, performance.now());
  await api(baseUrl, company.apiKey, 'PUT', single.route, single.body);
  await until('the single change written', () => latencies.has(changes), 30_000).catch((e: Error) => say(e.message));
  await new Promise((r) => setTimeout(r, 2000));
  one.stop();
  const noop = startMeter();
  await api(baseUrl, company.apiKey, 'PUT', single.route, single.body);
  await new Promise((r) => setTimeout(r, 3000));
  noop.stop();
  stopFaults();

  clearInterval(sampler);
  const rss = peakRssMb(product.child.pid!);
  product.child.kill('SIGTERM');
  const exit = await product.exited;
  await rm(dataDir, { recursive: true, force: true });
  return { clean, cleanProblems, backfill, problems, steady, oneChangeWrites: one.writes, noopWrites: noop.writes, rss, rssUnderLoad, exit };
}

// ---- 5. the traveler-connect path ----------------------------------------------------------------

interface ConnectPath {
  events: number;
  first: { items: number; reads: number; writes: number };
  again: { items: number; reads: number; writes: number };
  problems: string[];
}

/** Waits until the sandbox has answered no mailbox request for `quietMs` (the product's reconciles are done). */
async function quiet(meter: { items: number }, quietMs: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let seen = -1;
  let since = Date.now();
  while (Date.now() < deadline) {
    if (meter.items !== seen) {
      seen = meter.items;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Graph traffic did not settle within ${timeoutMs} ms`);
}

/**
 * CT travelers with CS segments each, booked before they connect (the company's sync is on). They
 * connect: what that first connect costs in Graph requests per event. Then the product's record
 * of those events is deleted (a fresh deployment pointed at the same mailboxes) and they connect
 * again: what that costs in writes. The product runs as `npm start` does, on its own database.
 */
async function connectPath(sandbox: TestSandbox, tokenKey: Buffer, passwordHash: string): Promise<ConnectPath> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tripcal-bench-connect-'));
  let company: Company;
  {
    const store = await openStore({ dataDir });
    company = await createFleetCompany(store.db, sandbox, passwordHash, { from: T + ST + NT, count: CT });
    await store.close();
  }
  const port = await freePort();
  const start = async () => {
    const p = spawnProduct(['src/main.ts'], productEnv({ dataDir, tokenKey, sandbox, extra: { PORT: String(port), DEV_TOOLS: 'false' } }), 'listening on');
    await p.ready;
    return p;
  };
  const stop = async (p: { child: { kill(signal: NodeJS.Signals): boolean }; exited: Promise<unknown> }) => {
    p.child.kill('SIGTERM');
    await p.exited;
  };
  let product = await start();
  try {
    sandbox.control.clearFaults();
    sandbox.control.setLatency(L);
    const baseUrl = `http://localhost:${port}`;
    const world = browsingWorld(baseUrl);
    await setUpCompany(world, company, 'it-admin@fleet.example');
    const emails = company.travelers.map((t) => t.email);
    const trips = company.travelers.flatMap((t, i) => tripsOf(t.email, CS, `C${i}`));
    say(`connect: ${CT} travelers with ${CS} segments each booked, then connecting`);
    await inParallel(trips, 8, (trip) => api(baseUrl, company.apiKey, 'POST', '/trips', trip));
    // The bookings' own reconciles find no connection and end.
    await new Promise((r) => setTimeout(r, 2000));
    const first = startMeter();
    await inParallel(company.travelers, 4, async (t) => void (await connectTraveler(world, t.email)));
    await until('every event written', () => calendarsExact(sandbox, emails, CS).length === 0, 300_000, 100);
    await quiet(first, 1500, 60_000);
    first.stop();

    say('connect: the product forgets what it wrote; the travelers connect again');
    await stop(product);
    {
      const store = await openStore({ dataDir });
      await clearCalendarEvents(store.db, company.travelers.map((t) => t.id));
      await store.close();
    }
    product = await start();
    const again = startMeter();
    const world2 = browsingWorld(baseUrl);
    await inParallel(company.travelers, 4, async (t) => void (await connectTraveler(world2, t.email)));
    await until('every reconnect looked for its events', () => again.items >= 2 * CT, 120_000, 100);
    await quiet(again, 1500, 60_000);
    again.stop();
    const counts = (m: { items: number; writes: number }) => ({ items: m.items, reads: m.items - m.writes, writes: m.writes });
    return { events: CT * CS, first: counts(first), again: counts(again), problems: calendarsExact(sandbox, emails, CS) };
  } finally {
    await stop(product);
    await rm(dataDir, { recursive: true, force: true });
  }
}

// ---- 7. an airline's schedule change (PostgreSQL) ------------------------------------------------------

const AIRLINE_COMPANIES = 20;
const airlineDomain = (c: number) => `airline${String(c + 1).padStart(2, '0')}.example`;

/** One Entra tenant per company of the airline section (fixed GUIDs of their own). */
function airlineTenant(c: number, travelers: number): SeedTenant {
  const guid = (n: number) => `a1e1${String(c).padStart(2, '0')}00-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
  const domain = airlineDomain(c);
  const user = (n: number, upn: string, name: string, isAdmin = false) => ({
    id: guid(n), userPrincipalName: `${upn}@${domain}`, displayName: name, givenName: name, surname: `Airline ${c + 1}`, isAdmin, preferredLanguage: n % 2 ? 'ja-JP' : 'en-US',
  });
  return {
    id: guid(0xffffff), displayName: `Airline Customer ${c + 1}`, domain,
    users: [user(1, 'it-admin', 'IT Admin', true), user(2, 'admin', 'Travel Admin'), ...Array.from({ length: travelers }, (_, i) => user(100 + i, `traveler${String(i + 1).padStart(4, '0')}`, `Traveler ${i + 1}`))],
  };
}

/** The flight every traveler of the airline section is booked on, departing at `departs` (HH:MM). */
function flightTrip(email: string, bookingRef: string, date: string, departs: string, arrives: string): TripInput {
  return {
    bookingRef, travelerEmail: email, title: 'Osaka',
    segments: [{ type: 'flight', ref: 'F1', carrier: 'NH', flightNumber: 'NH 21', departure: { airport: 'HND', local: `${date}T${departs}` }, arrival: { airport: 'ITM', local: `${date}T${arrives}` } }],
  } as TripInput;
}

/**
 * One flight retimed for every traveler on it, 20 companies' worth, sent by the airline's booking
 * engine through the booking API: `autocannon` with several connections, one PUT per trip. Then,
 * in the same run: the same number of reconciles queued at once (the reference for the calendar
 * rate), the same number of emails sent to the same SMTP server by a plain nodemailer loop (the
 * reference for the email rate), and the product's own email capacity (a retime's emails left
 * queued while the worker is stopped, then sent by a new one).
 */
async function airline(sandbox: TestSandbox, tokenKey: Buffer, passwordHash: string, serverUrl: string, perCompany: number, clients: number) {
  const name = `tripcal_bench_air_${randomBytes(4).toString('hex')}`;
  await adminQuery(serverUrl, `create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tripcal-bench-air-'));
  const sink = await startSmtpSink({ user: 'bench', pass: 'bench-secret' });
  const children: WorkerProcess[] = [];
  let store: Store | undefined;
  try {
    store = await openStore({ databaseUrl });
    const s = store;
    const box = secretBox([tokenKey]);
    const provider = createOutlookProvider({ clientId: sandbox.app.clientId, clientSecret: sandbox.app.clientSecret, authorityHost: sandbox.url, graphUrl: sandbox.url, caPem: sandbox.caPem });
    const bookings = makeBookings(s, { onChange: [syncOnBookingChange(s)] });
    const { server, baseUrl } = await startProductServer({ store: s, bookings, provider, box });
    const world = browsingWorld(baseUrl);
    sandbox.control.setLatency(0);
    const date = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
    const companies: Array<Company & { adminBrowser: Browser }> = [];
    say(`airline: ${AIRLINE_COMPANIES} companies × ${perCompany} travelers connecting`);
    for (let c = 0; c < AIRLINE_COMPANIES; c++) {
      const tenant = sandbox.tenants.find((t) => t.domain === airlineDomain(c))!;
      const org = await createOrganisation(s.db, `Airline Customer ${c + 1}`);
      const [, adminEntry, ...users] = tenant.users;
      const admin = await createUser(s.db, org.id, { email: adminEntry!.userPrincipalName, displayName: adminEntry!.displayName, role: 'admin', locale: 'en', timeZone: 'Asia/Tokyo', passwordHash });
      const travelers = [];
      for (const u of users.slice(0, perCompany)) {
        const t = await createUser(s.db, org.id, { email: u.userPrincipalName, displayName: u.displayName, role: 'traveler', locale: u.preferredLanguage?.startsWith('ja') ? 'ja' : 'en', timeZone: 'Asia/Tokyo', passwordHash });
        travelers.push({ id: t.id, email: t.email, locale: t.locale });
      }
      const company: Company = { id: org.id, apiKey: await issueApiKey(s.db, org.id), tenantId: tenant.id, admin: { id: admin.id, email: admin.email }, travelers };
      const adminBrowser = await setUpCompany(world, company, `it-admin@${airlineDomain(c)}`);
      await inParallel(company.travelers, 6, async (t) => void (await connectTraveler(world, t.email)));
      await setSync(adminBrowser, false);
      companies.push({ ...company, adminBrowser });
    }
    const all = companies.flatMap((c) => c.travelers.map((t, i) => ({ company: c, email: t.email, userId: t.id, ref: `AIR-${i}` })));
    const workerEnv = { databaseUrl, dataDir, tokenKey, sandbox, extra: { SMTP_URL: sink.url() } };
    let worker = spawnWorker(workerEnv);
    children.push(worker);
    await worker.ready;
    say(`airline: booking ${all.length} travelers on NH 21 ${date}, backfill`);
    for (const b of all) await bookings.create(b.company.id, flightTrip(b.email, b.ref, date, '09:00', '10:10'));
    await syncQueueIdle(s.db, 300_000, 'itinerary-mail');
    await syncQueueIdle(s.db, 120_000);
    sandbox.control.setLatency(L);
    const backfill = startMeter();
    for (const c of companies) await setSync(c.adminBrowser, true);
    await until('the airline backfill written', () => backfill.created.size >= all.length, 600_000, 50);
    backfill.stop();
    await syncQueueIdle(s.db, 120_000);

    // Reference 1: the same number of one-event updates queued at once. Sync off, the flight
    // retimed (each traveler's email goes out; the reconciles find sync off), then sync on for
    // every company and every connection's reconcile in one insert.
    //
    // Reference 3, the product's own email capacity: the worker is stopped while the retime is
    // recorded, so that its emails wait queued; a new worker then sends them all. Counted from its
    // first email to its last (its start-up is not the mail path's).
    for (const c of companies) await setSyncEnabled(s.db, c.id, 'outlook', false, new Date());
    sandbox.control.setLatency(0);
    worker.child.kill('SIGTERM');
    await worker.exited;
    for (const b of all) await bookings.change(b.company.id, b.ref, { title: 'Osaka', segments: flightTrip(b.email, b.ref, date, '10:20', '11:30').segments });
    say(`airline: reference, ${all.length} emails queued at once`);
    const backlogFrom = sink.received.length;
    const backlogAt: number[] = [];
    const backlogWatch = setInterval(() => {
      while (backlogAt.length < sink.received.length - backlogFrom) backlogAt.push(performance.now());
    }, 5);
    worker = spawnWorker(workerEnv);
    children.push(worker);
    await worker.ready;
    const backlogCpu0 = processCpuSeconds(worker.child.pid!);
    await until('the first retime\'s emails sent', () => sink.received.length >= 2 * all.length, 300_000, 5);
    clearInterval(backlogWatch);
    while (backlogAt.length < sink.received.length - backlogFrom) backlogAt.push(performance.now());
    const backlogCpuMs = ((processCpuSeconds(worker.child.pid!) - backlogCpu0) * 1000) / all.length;
    const mailBacklogRate = (backlogAt.length - 1) / ((backlogAt.at(-1)! - backlogAt[0]!) / 1000);
    await syncQueueIdle(s.db, 120_000);
    await syncQueueIdle(s.db, 300_000, 'itinerary-mail');
    await sql`vacuum analyze pgboss.job_common, calendar_events, calendar_connections`.execute(s.db);
    sandbox.control.setLatency(L);
    const patched = (meter: ReturnType<typeof startMeter>, minutes: string) => {
      const seen = new Map<string, number>();
      meter.onPatch = (mailbox, body, at) => {
        if (JSON.stringify(body).includes(`:${minutes}:`)) seen.set(mailbox, at);
      };
      return seen;
    };
    say(`airline: reference, ${all.length} one-event updates queued at once`);
    const ref = startMeter();
    const refSeen = patched(ref, '20');
    const refT0 = performance.now();
    for (const c of companies) await setSyncEnabled(s.db, c.id, 'outlook', true, new Date());
    await enqueueSyncs(s, undefined, await connectionIds(s.db, all.map((b) => b.userId)));
    await until('the reference updates written', () => refSeen.size >= all.length, 300_000, 20);
    ref.stop();
    const refRate = all.length / ((Math.max(...refSeen.values()) - refT0) / 1000);
    await syncQueueIdle(s.db, 120_000);

    // Reference 2: a plain nodemailer loop, as many at once as the product's SMTP pool allows, each
    // sending a copy of a real itinerary email to the same server.
    const sample = sink.received.at(-1)!;
    const loopTransport = nodemailer.createTransport({ url: sink.url(), pool: true, maxConnections: SMTP_MAX_CONNECTIONS } as never);
    say(`airline: reference, ${all.length} emails through a plain nodemailer loop`);
    const loopT0 = performance.now();
    let next = 0;
    await Promise.all(Array.from({ length: SMTP_MAX_CONNECTIONS }, async () => {
      while (next < all.length) {
        const i = next++;
        await loopTransport.sendMail({ envelope: { from: sample.from, to: [all[i]!.email] }, raw: sample.raw });
      }
    }));
    const loopRate = all.length / ((performance.now() - loopT0) / 1000);
    loopTransport.close();

    // The schedule change: the airline's booking engine sends every trip's new times, to a
    // `tripcal serve` process of its own (the server in this process served the sign-ins only).
    const apiPort = await freePort();
    const api = spawnProduct(['src/cli.ts', 'serve'], productEnv({ ...workerEnv, extra: { ...workerEnv.extra, PORT: String(apiPort), DEV_TOOLS: 'false' } }), 'listening on');
    children.push(api);
    await api.ready;
    const apiUrl = `http://localhost:${apiPort}`;
    const mailFrom = sink.received.length;
    const bodies = all.map((b) => ({ path: `/api/v1/trips/${b.ref}`, auth: `Bearer ${b.company.apiKey}`, body: JSON.stringify({ title: 'Osaka', segments: flightTrip(b.email, b.ref, date, '11:35', '12:45').segments }) }));
    const meter = startMeter();
    const seen = patched(meter, '35');
    const mailAt: number[] = [];
    const apiCpu0 = processCpuSeconds(api.child.pid!);
    const workerCpu0 = processCpuSeconds(worker.child.pid!);
    const t0 = performance.now();
    const mailWatch = setInterval(() => {
      while (mailAt.length < sink.received.length - mailFrom) mailAt.push(performance.now());
    }, 10);
    say(`airline: the schedule change, ${all.length} PUTs from ${clients} autocannon connections`);
    let nextBody = 0;
    const result = await autocannon({
      url: apiUrl, connections: clients, amount: all.length,
      requests: [{
        method: 'PUT',
        setupRequest: (req: autocannon.Request) => {
          const b = bodies[nextBody++ % bodies.length]!;
          return { ...req, path: b.path, headers: { authorization: b.auth, 'content-type': 'application/json' }, body: b.body };
        },
      }],
    });
    const apiSeconds = (performance.now() - t0) / 1000;
    const apiCpuMs = ((processCpuSeconds(api.child.pid!) - apiCpu0) * 1000) / all.length;
    await until('every calendar updated', () => seen.size >= all.length, 300_000, 20).catch((e: Error) => say(e.message));
    await until('every change emailed', () => sink.received.length - mailFrom >= all.length, 300_000, 20).catch((e: Error) => say(e.message));
    clearInterval(mailWatch);
    const workerCpuMs = ((processCpuSeconds(worker.child.pid!) - workerCpu0) * 1000) / all.length;
    while (mailAt.length < sink.received.length - mailFrom) mailAt.push(performance.now());
    meter.stop();
    // Emails: each traveler's change emailed once, and nothing more (a second copy would show in a while).
    await new Promise((r) => setTimeout(r, 2000));
    const mailed = new Map<string, number>();
    for (const m of sink.received.slice(mailFrom)) for (const to of m.to) mailed.set(to, (mailed.get(to) ?? 0) + 1);
    const mailProblems = all.filter((b) => mailed.get(b.email) !== 1).map((b) => `${b.email}: ${mailed.get(b.email) ?? 0} emails`);
    // Calendars: one event per traveler, at the new time.
    const calendarProblems = calendarsExact(sandbox, all.map((b) => b.email), 1);
    for (const b of all) {
      const [event] = sandbox.control.mailboxEvents(objectIdOf(sandbox, b.email));
      if (event && !JSON.stringify(event.start).includes(':35:')) calendarProblems.push(`${b.email}: event starts ${JSON.stringify(event.start)}`);
    }
    const lastWrite = Math.max(...seen.values()) - t0;
    const lastMail = Math.max(...mailAt) - t0;
    await server.close();
    return {
      apiCpuMs, workerCpuMs, travelers: all.length, clients, apiPerSecond: all.length / apiSeconds, p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx + result.errors,
      lastWriteSeconds: lastWrite / 1000, lastMailSeconds: lastMail / 1000, calendarRate: all.length / (lastWrite / 1000), refRate,
      mailRate: all.length / (lastMail / 1000), loopRate, mailBacklogRate, backlogCpuMs, written: seen.size, emailed: sink.received.length - mailFrom, calendarProblems, mailProblems,
    };
  } finally {
    sandbox.control.setLatency(0);
    for (const w of children) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM');
    await Promise.all(children.map((w) => w.exited));
    await store?.close();
    await sink.close();
    await adminQuery(serverUrl, `drop database if exists ${name} with (force)`);
    await rm(dataDir, { recursive: true, force: true });
  }
}

// ---- 8. the long run (a named section, not in the default set) -----------------------------------------

/**
 * `npm start` under steady booking changes for `--minutes` (default 10): a small company connected
 * and backfilled, then a seat change every 1/RATE s, each on a different trip in turn. Samples the
 * process's RSS every second and each change's time to its calendar (the PATCH that carries it).
 * The first fifth of the run (at least 30 s, at most 2 minutes) is warm-up: RSS growth and p99 are
 * measured after it.
 */
async function longRun(sandbox: TestSandbox, tokenKey: Buffer, passwordHash: string, minutes: number) {
  const travelers = Math.min(T, LONG_RUN_TRAVELERS);
  const segments = 8;
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tripcal-bench-long-'));
  let company: Company;
  {
    const store = await openStore({ dataDir });
    company = await createFleetCompany(store.db, sandbox, passwordHash, { from: T + ST + NT + CT, count: travelers });
    await store.close();
  }
  const port = await freePort();
  const product = spawnProduct(['src/main.ts'], productEnv({ dataDir, tokenKey, sandbox, extra: { PORT: String(port), DEV_TOOLS: 'false' } }), 'listening on');
  try {
    await product.ready;
    const baseUrl = `http://localhost:${port}`;
    const world = browsingWorld(baseUrl);
    say(`long run: ${travelers} travelers × ${segments} segments connecting and backfilling`);
    const admin = await setUpCompany(world, company, 'it-admin@fleet.example');
    await inParallel(company.travelers, 6, async (t) => void (await connectTraveler(world, t.email)));
    // Bookings go in with sync off; the backfill starts when sync is turned on.
    await setSync(admin, false);
    const trips = new Map<string, TripInput[]>();
    for (const [i, t] of company.travelers.entries()) trips.set(t.email, tripsOf(t.email, segments, `LR${i}`));
    await inParallel([...trips.values()].flat(), 8, (trip) => api(baseUrl, company.apiKey, 'POST', '/trips', trip));
    sandbox.control.setLatency(L);
    const backfill = startMeter();
    await setSync(admin, true);
    await until('the long run\'s backfill written', () => backfill.created.size >= travelers * segments, 300_000, 50);
    backfill.stop();

    const emails = company.travelers.map((t) => t.email);
    const tripOf = (n: number) => {
      const list = trips.get(emails[n % emails.length]!)!;
      return list[Math.floor(n / emails.length) % list.length]!;
    };
    const sent = new Map<number, number>();
    // Changes sent and not yet seen in a calendar.
    const pending = new Map<number, number>();
    const latencies = new Map<number, { at: number; ms: number }>();
    const meter = startMeter();
    meter.onPatch = (_mailbox, body, at) => {
      // The event may name the seat it replaces as well as the new one: the new one is the latest.
      const seats = [...JSON.stringify(body).matchAll(/lr(\d+)x/g)].map((m) => Number(m[1]));
      if (!seats.length) return;
      const n = Math.max(...seats);
      const ref = tripOf(n).bookingRef;
      if (process.env.BENCH_TRACE && n % 37 === 0) {
        const latest = Math.max(...[...sent.keys()].filter((k) => tripOf(k).bookingRef === ref));
        say(`PATCH of ${ref} carries change ${n} (${Math.round(at - sent.get(n)!)} ms after it was sent); latest change sent to it: ${latest}`);
      }
      for (const [k, t] of pending) if (k <= n && tripOf(k).bookingRef === ref) {
        latencies.set(k, { at, ms: at - t });
        pending.delete(k);
      }
    };
    const rss: Array<{ at: number; mb: number }> = [];
    const start = performance.now();
    const sampler = setInterval(() => {
      try {
        const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${product.child.pid}/status`, 'utf8'))?.[1] ?? 0);
        rss.push({ at: performance.now() - start, mb: kb / 1024 });
      } catch {}
    }, 1000);
    const durationMs = minutes * 60_000;
    const changes = Math.round((RATE * durationMs) / 1000);
    say(`long run: ${changes} changes at ${RATE}/s over ${minutes} min`);
    const inFlight: Promise<void>[] = [];
    for (let n = 0; n < changes; n++) {
      const wait = start + (n * 1000) / RATE - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const trip = tripOf(n);
      sent.set(n, performance.now());
      pending.set(n, sent.get(n)!);
      inFlight.push(api(baseUrl, company.apiKey, 'PUT', `/trips/${trip.bookingRef}`, { title: trip.title, segments: trip.segments.map((sg) => (sg.ref === 'R1' && sg.type === 'rail' ? { ...sg, seat: `lr${n}x` } : sg)) }));
      if (inFlight.length > 1000) await Promise.all(inFlight.splice(0, inFlight.length));
    }
    await Promise.all(inFlight);
    await until('every change in its calendar', () => latencies.size >= changes, 120_000, 50).catch((e: Error) => say(e.message));
    clearInterval(sampler);
    meter.stop();
    const warmUpMs = Math.min(120_000, Math.max(30_000, durationMs / 5));
    const afterWarmUp = [...latencies.entries()].filter(([n]) => sent.get(n)! - start >= warmUpMs).map(([, v]) => v.ms);
    const rssAfter = rss.filter((r) => r.at >= warmUpMs);
    // RSS at the end of warm-up and at the end: medians of 10 s around each, not single samples.
    const median = (xs: number[]) => pct(xs, 50);
    const rssStart = median(rssAfter.slice(0, 10).map((r) => r.mb));
    const rssEnd = median(rssAfter.slice(-10).map((r) => r.mb));
    return {
      minutes, changes, written: latencies.size, warmUpSeconds: warmUpMs / 1000, latencies: afterWarmUp, rssStart, rssEnd,
      rssMax: Math.max(...rss.map((r) => r.mb)), problems: calendarsExact(sandbox, emails, segments),
    };
  } finally {
    sandbox.control.setLatency(0);
    product.child.kill('SIGTERM');
    await product.exited;
    await rm(dataDir, { recursive: true, force: true });
  }
}

// ---- 2. the naive baseline ------------------------------------------------------------------------

async function naive(sandbox: TestSandbox) {
  const tenant = sandbox.tenants.find((t) => t.domain === 'fleet.example')!;
  const users = tenant.users.slice(2 + T + ST, 2 + T + ST + NT);
  sandbox.control.setLatency(L);
  const stopFaults = startFaults(sandbox, FAULT_SHARE);
  const work: Array<{ mailbox: Awaited<ReturnType<typeof openNaiveMailbox>>; events: ReturnType<typeof eventsOf>; trips: TripInput[] }> = [];
  for (const [i, u] of users.entries()) {
    const events = tripsOf(u.userPrincipalName, S, `N${i}`).flatMap((trip) => eventsOf(trip));
    work.push({ mailbox: await openNaiveMailbox(sandbox, u.userPrincipalName, tenant.id), events, trips: tripsOf(u.userPrincipalName, S, `N${i}`) });
  }
  say(`naive: backfill ${NT} × ${S}, one request per event, in sequence`);
  const bf = startMeter();
  const t0 = performance.now();
  const events = await naiveBackfill(work);
  const seconds = (performance.now() - t0) / 1000;
  bf.stop();
  // Changes: the same seat change, re-projected; arrival at RATE per second.
  const count = Math.round(RATE * NAIVE_STEADY_S);
  const changes = Array.from({ length: count }, (_, n) => {
    const w = work[n % work.length]!;
    const trip = w.trips[Math.floor(n / work.length) % w.trips.length]!;
    const changed = { ...trip, segments: trip.segments.map((s) => (s.ref === 'R1' && s.type === 'rail' ? { ...s, seat: `mk${n}x` } : s)) };
    return { mailbox: w.mailbox, event: eventsOf(changed).find((e) => e.key.endsWith('-R1'))! };
  });
  say(`naive: steady state, ${count} changes at ${RATE}/s`);
  const st = startMeter();
  const latencies = await naiveSteady(changes, RATE);
  st.stop();
  stopFaults();
  return {
    backfill: { events, seconds, http: bf.http, items: bf.items, throttled: bf.throttled, unavailable: bf.unavailable },
    steady: { changes: count, latencies, writes: st.writes },
  };
}

// ---- 3. one and two worker processes on PostgreSQL -----------------------------------------------

async function serverAnswers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

async function scaling(sandbox: TestSandbox, tokenKey: Buffer, passwordHash: string, serverUrl: string) {
  const name = `tripcal_bench_${randomBytes(4).toString('hex')}`;
  await adminQuery(serverUrl, `create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tripcal-bench-pg-'));
  let store: Store | undefined;
  const workers: WorkerProcess[] = [];
  try {
    store = await openStore({ databaseUrl });
    const box = secretBox([tokenKey]);
    const provider = createOutlookProvider({ clientId: sandbox.app.clientId, clientSecret: sandbox.app.clientSecret, authorityHost: sandbox.url, graphUrl: sandbox.url, caPem: sandbox.caPem });
    const bookings = makeBookings(store, { onChange: [syncOnBookingChange(store)] });
    const { server, baseUrl } = await startProductServer({ store, bookings, provider, box });
    const company = await createFleetCompany(store.db, sandbox, passwordHash, { from: T, count: ST });
    const world = browsingWorld(baseUrl);
    sandbox.control.setLatency(0);
    say(`postgres: ${ST} travelers connecting`);
    const admin = await setUpCompany(world, company, 'it-admin@fleet.example');
    await inParallel(company.travelers, 6, async (t) => {
      await connectTraveler(world, t.email);
    });
    await setSync(admin, false);
    for (const [i, t] of company.travelers.entries()) for (const trip of tripsOf(t.email, SS, `P${i}`)) await bookings.create(company.id, trip);
    const runs: Backfill[] = [];
    const s = store;
    const reset = async () => {
      await setSyncEnabled(s.db, company.id, 'outlook', false, new Date());
      await clearCalendarEvents(s.db, company.travelers.map((t) => t.id));
      for (const t of company.travelers) sandbox.control.clearMailbox(objectIdOf(sandbox, t.email));
      // Each measured run starts from the same database: the dead rows that the earlier passes
      // left in the job and mapping tables are vacuumed first. Otherwise the last run met several
      // passes' worth of them and the server's CPU per event doubled.
      await sql`vacuum analyze pgboss.job_common, calendar_events, calendar_connections`.execute(s.db);
    };
    const backlogAtOnce = async () => {
      await setSyncEnabled(s.db, company.id, 'outlook', true, new Date());
      await enqueueSyncs(s, undefined, await connectionIds(s.db, company.travelers.map((t) => t.id)));
    };
    // Runs, each doing the same work from the same start:
    //   1 worker: the backlog queued at once (one insert of every traveler's job, enqueueSyncs), then
    //   from the sync switch (the HTTP route queues every traveler's reconcile in its transaction),
    //   both without injected faults, so the two compare like with like; then from the switch again
    //   with the occasional 429s and 503s that every other run of the benchmark meets.
    //   2 worker processes: the backlog queued at once.
    // Each set of processes first runs a warm-up pass, not measured: a new process's first
    // reconciles run on cold code (JIT), and a run of a few seconds would measure mostly that.
    // Workers in production run for days before a company turns sync on.
    const plan: Array<{ workers: 1 | 2; how: 'backlog' | 'switch'; faults: boolean }> = [
      { workers: 1, how: 'backlog', faults: false },
      { workers: 1, how: 'switch', faults: false },
      { workers: 1, how: 'switch', faults: true },
      { workers: 2, how: 'backlog', faults: false },
    ];
    let mine: WorkerProcess[] = [];
    for (const step of plan) {
      if (mine.length !== step.workers) {
        for (const w of mine) w.child.kill('SIGTERM');
        await Promise.all(mine.map((w) => w.exited));
        mine = Array.from({ length: step.workers }, () => spawnWorker({ databaseUrl, dataDir, tokenKey, sandbox }));
        workers.push(...mine);
        await Promise.all(mine.map((w) => w.ready));
        // Jobs queued while sync was off (the bookings) run first, and find sync off; the bookings'
        // itinerary emails go out before "sync on", as in the embedded section.
        await syncQueueIdle(s.db, 120_000);
        await syncQueueIdle(s.db, 300_000, 'itinerary-mail');
        await reset();
        const warm = startMeter();
        await backlogAtOnce();
        await until('the warm-up pass written', () => warm.created.size >= ST * SS, 300_000, 50);
        warm.stop();
        await syncQueueIdle(s.db, 120_000);
      }
      await reset();
      sandbox.control.setLatency(L);
      const stopFaults = startFaults(sandbox, step.faults ? FAULT_SHARE : 0);
      say(`postgres: backfill ${ST} × ${SS} with ${step.workers} worker process${step.workers > 1 ? 'es' : ''}, ${step.how === 'switch' ? 'from the sync switch' : 'backlog queued at once'}, ${step.faults ? `${FAULT_SHARE * 100}% 429/503` : 'no injected faults'}`);
      // BENCH_TRACE: how many reconciles are in hand (active jobs), sampled every 100 ms.
      const inHand: number[] = [];
      const sampling = process.env.BENCH_TRACE ? setInterval(() => {
        void sql<{ n: number }>`select count(*)::int as n from pgboss.job where name = 'calendar-sync' and state = 'active'`.execute(s.db).then((r) => inHand.push(r.rows[0]!.n), () => {});
      }, 100) : undefined;
      runs.push(await measureBackfill(async () => {
        if (step.how === 'switch') return setSync(admin, true);
        await backlogAtOnce();
      }, ST * SS, 300_000, mine.map((w) => w.child.pid!), name));
      clearInterval(sampling);
      if (inHand.length) say(`reconciles in hand every 100 ms: ${inHand.join(' ')}`);
      stopFaults();
      sandbox.control.setLatency(0);
      await syncQueueIdle(s.db, 120_000);
      await setSync(admin, false);
    }
    for (const w of mine) w.child.kill('SIGTERM');
    await Promise.all(mine.map((w) => w.exited));
    await server.close();
    return { runs, problems: calendarsExact(sandbox, company.travelers.map((t) => t.email), SS) };
  } finally {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    await store?.close();
    await adminQuery(serverUrl, `drop database if exists ${name} with (force)`);
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** The feed section: on a fresh embedded database in a temporary folder, then in a fresh PostgreSQL database. */
async function feeds(serverUrl: string | undefined): Promise<{ embedded: FeedBenchResult; postgres?: FeedBenchResult }> {
  const sizes: Omit<FeedBenchOptions, 'store'> = {
    travelers: Number(args['feed-travelers']), trips: Number(args['feed-trips']), concurrency: Number(args['feed-concurrency']), seconds: Number(args['feed-seconds']),
  };
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tripcal-bench-feed-'));
  let embeddedResult: FeedBenchResult;
  try {
    say(`feed: ${sizes.travelers} travelers × ${sizes.trips} trips, ${sizes.concurrency} clients, embedded database`);
    embeddedResult = await feedBench({ ...sizes, store: { dataDir } });
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
  if (!serverUrl) return { embedded: embeddedResult };
  const name = `tripcal_bench_feed_${randomBytes(4).toString('hex')}`;
  await adminQuery(serverUrl, `create database ${name}`);
  try {
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    say(`feed: the same on PostgreSQL`);
    return { embedded: embeddedResult, postgres: await feedBench({ ...sizes, store: { databaseUrl: url.toString() } }) };
  } finally {
    await adminQuery(serverUrl, `drop database if exists ${name} with (force)`);
  }
}

// ---- the run ---------------------------------------------------------------------------------------

const started = Date.now();
const loadAtStart = os.loadavg()[0]!.toFixed(1);
// The fleet's travelers: the embedded section's, the PostgreSQL section's, the naive ones, the
// connect section's, then the long run's 20.
const tenant = fleetTenant(T + ST + NT + CT + LONG_RUN_TRAVELERS);
const airlineSection = args.sections!.split(',').includes('airline');
const sandbox = await startTestSandbox({
  seed: { tenants: [tenant, ...(airlineSection ? Array.from({ length: AIRLINE_COMPANIES }, (_, c) => airlineTenant(c, Number(args['airline-travelers']))) : [])] },
  persist: false, throttle: { batchDispatch: BATCH_DISPATCH },
});
const tokenKey = randomBytes(32);
const passwordHash = await hashPassword(PASSWORD);
say(`sandbox at ${sandbox.url}; Graph latency ${L} ms per request, MailboxConcurrency ${MAILBOX_CONCURRENCY}, $batch items ${BATCH_DISPATCH}, ${BUDGET} requests / 10 min / mailbox, ${FAULT_SHARE * 100}% of requests answered 429 or 503`);
try {
  const sections = new Set(args.sections!.split(','));
  const emb = sections.has('embedded') ? await embedded(sandbox, tokenKey, passwordHash) : undefined;
  const gg = sections.has('google')
    ? await googleBackfill({ travelers: Number(args['google-travelers']), segments: Number(args['google-segments']), latencyMs: L, quotaPerMinute: Number(args['google-quota']), microsoft: sandbox, tokenKey, passwordHash, say })
    : undefined;
  const nv = sections.has('naive') ? await naive(sandbox) : undefined;
  const pgUrl = args['database-url']!;
  const pgUp = sections.has('postgres') && (await serverAnswers(pgUrl));
  if (sections.has('postgres') && !pgUp) say(`no PostgreSQL server at ${pgUrl}: the worker-scaling rows are skipped`);
  const sc = pgUp ? await scaling(sandbox, tokenKey, passwordHash, pgUrl) : undefined;
  const feedPgUp = sections.has('feed') && (pgUp || (await serverAnswers(pgUrl)));
  const fd = sections.has('feed') ? await feeds(feedPgUp ? pgUrl : undefined) : undefined;
  const cp = sections.has('connect') ? await connectPath(sandbox, tokenKey, passwordHash) : undefined;
  const airPgUp = sections.has('airline') && (pgUp || (await serverAnswers(pgUrl)));
  if (sections.has('airline') && !airPgUp) say(`no PostgreSQL server at ${pgUrl}: the airline section is skipped`);
  const air = airPgUp ? await airline(sandbox, tokenKey, passwordHash, pgUrl, Number(args['airline-travelers']), Number(args['airline-clients'])) : undefined;
  const lr = sections.has('long') ? await longRun(sandbox, tokenKey, passwordHash, Number(args.minutes)) : undefined;

  const cap = ceiling(T, S, LIMITS);
  const capFaulted = faultedCeiling(T, S, LIMITS, FAULT_SHARE, FAULT_RETRY_AFTER_S * 1000, seeded(2027));
  const naiveRate = nv ? nv.backfill.events / nv.backfill.seconds : NaN;
  const rows: string[][] = [];
  const row = (...cells: string[]) => rows.push(cells);
  const pcts = (xs: number[]) => `${ms(pct(xs, 50))} / ${ms(pct(xs, 95))} / ${ms(pct(xs, 99))}`;
  row('measure', 'tripcal', 'naive', 'ratio / target');
  if (emb) {
    const cleanRate = emb.clean.events / emb.clean.seconds;
    const ours = emb.backfill.events / emb.backfill.seconds;
    const timing = (b: Backfill) => `${b.firstSeconds.toFixed(2)} / ${b.seconds.toFixed(2)} s (machine CPU ${Math.round(100 * b.cpuBusy)}% busy; sandbox ${b.sandboxCpu.toFixed(2)} cores; product ${b.productCpuMsPerEvent.toFixed(2)} ms CPU/event)`;
    row(`backfill ${T}×${S} @${L} ms, no injected faults: events/s`, f1(cleanRate), '', `${f1((100 * cleanRate) / cap.eventsPerSecond)}% of ceiling (target ≥ 70%)`);
    row('  ceiling (4 in service/mailbox, budget)', `${f1(cap.eventsPerSecond)} ev/s (${cap.seconds.toFixed(2)} s)`, '', '');
    row('  time from sync on to first / last event', timing(emb.clean), '', '');
    row('  Graph HTTP requests / mailbox requests', `${emb.clean.http} / ${emb.clean.items}`, '', '');
    row('  requests in service per mailbox (≤ 4)', `${emb.clean.inService.toFixed(2)} on average, first to last request`, '', '');
    row('  calendars exact (1 event/segment)', emb.cleanProblems.length ? `NO: ${emb.cleanProblems.slice(0, 2).join('; ')}` : 'yes', '', '');
    row(`backfill ${T}×${S} more, ${FAULT_SHARE * 100}% 429/503: events/s`, f1(ours), f1(naiveRate), `${f1(ours / naiveRate)}× naive (target ≥ 20×); ${f1((100 * ours) / cap.eventsPerSecond)}% of ceiling`);
    row(`  ceiling with these faults (simulated; Retry-After ${FAULT_RETRY_AFTER_S} s, nothing else lost)`, `${f1(capFaulted.eventsPerSecond)} ev/s (${capFaulted.seconds.toFixed(2)} s)`, '', `${f1((100 * ours) / capFaulted.eventsPerSecond)}% of it`);
    row('  time from sync on to first / last event', timing(emb.backfill), `${f1((T * S) / naiveRate)} s (est.)`, '');
    row('  Graph HTTP requests / mailbox requests', `${emb.backfill.http} / ${emb.backfill.items}`, nv ? `${nv.backfill.http} / ${nv.backfill.items} (${NT}×${S})` : '', '');
    row('  429s / 503s received', `${emb.backfill.throttled} / ${emb.backfill.unavailable}`, nv ? `${nv.backfill.throttled} / ${nv.backfill.unavailable}` : '', '');
    row('  calendars exact (1 event/segment)', emb.problems.length ? `NO: ${emb.problems.slice(0, 2).join('; ')}` : 'yes', '', '');
    const lat = emb.steady.latencies;
    row(`steady ${RATE} changes/s: p50 / p95 / p99`, pcts(lat), nv ? pcts(nv.steady.latencies) : '', `p99 < 2 s: ${pct(lat, 99) < 2000 ? 'met' : 'MISSED'}`);
    row('  changes measured (written / sent)', `${lat.length} / ${emb.steady.changes} (${f1(emb.steady.achievedRate)}/s sent)`, nv ? `${nv.steady.latencies.length} / ${nv.steady.changes}` : '', '');
    row('  Graph writes per change', (emb.steady.writes / emb.steady.changes).toFixed(2), nv ? (nv.steady.writes / nv.steady.changes).toFixed(2) : '', '');
    row('one-segment change: Graph writes', String(emb.oneChangeWrites), '1', `exactly 1: ${emb.oneChangeWrites === 1 ? 'met' : 'MISSED'}`);
    row('no-op change: Graph writes', String(emb.noopWrites), '', `0: ${emb.noopWrites === 0 ? 'met' : 'MISSED'}`);
    row('peak RSS, npm start-style process', `${f1(emb.rss)} MB (VmHWM, start-up incl.)`, '', `< 512 MB: ${emb.rss < 512 ? 'met' : 'MISSED'}`);
    row('  highest RSS sampled under the workloads', `${f1(emb.rssUnderLoad)} MB`, '', `< 512 MB: ${emb.rssUnderLoad < 512 ? 'met' : 'MISSED'}`);
  } else if (nv) {
    row(`naive backfill ${NT}×${S} @${L} ms: events/s`, '', f1(naiveRate), '');
    row(`naive steady ${RATE} changes/s: p50 / p95 / p99`, '', pcts(nv.steady.latencies), '');
  }
  if (gg) {
    const rate = gg.events / gg.seconds;
    row(`Google backfill ${args['google-travelers']}×${args['google-segments']} @${L} ms, quota ${args['google-quota']} requests/min/user, no injected faults: events/s`, f1(rate), '', `${f1((100 * rate) / gg.ceiling.eventsPerSecond)}% of ceiling (target ≥ 70%)`);
    row(`  ceiling (per-user quota per minute, ${gg.inFlight} in flight/calendar)`, `${f1(gg.ceiling.eventsPerSecond)} ev/s (${gg.ceiling.seconds.toFixed(2)} s)`, '', '');
    row('  time from sync on to first / last event', `${gg.firstSeconds.toFixed(2)} / ${gg.seconds.toFixed(2)} s`, '', '');
    row('  Calendar requests / quota answers (403, 429) / 5xx', `${gg.requests} / ${gg.quotaAnswers} / ${gg.unavailable}`, '', '');
    row('  calendars exact (1 event/segment)', gg.problems.length ? `NO: ${gg.problems.slice(0, 2).join('; ')}` : 'yes', '', '');
  }
  if (sc) {
    const [one, viaSwitch, viaSwitchFaults, two] = sc.runs.map((r) => r.events / r.seconds) as [number, number, number, number];
    const capScale = ceiling(ST, SS, LIMITS);
    const span = (r: Backfill) => `first ${r.firstSeconds.toFixed(2)} s, last ${r.seconds.toFixed(2)} s, machine CPU ${Math.round(100 * r.cpuBusy)}% busy, sandbox ${r.sandboxCpu.toFixed(2)} cores`;
    const cpu = (r: Backfill) => `workers ${r.productCpuMsPerEvent.toFixed(3)} ms; PostgreSQL ${Number.isFinite(r.postgresCpuMsPerEvent) ? `${r.postgresCpuMsPerEvent.toFixed(3)} ms` : 'n/a'}${r.backendsEnded ? ` (${r.backendsEnded} backends ended meanwhile, not counted)` : ''}`;
    const oneRun = sc.runs[0]!;
    row(`PostgreSQL backfill ${ST}×${SS}, backlog queued at once, no injected faults: 1 worker`, `${f1(one)} ev/s (${span(oneRun)})`, '', `${f1((100 * one) / capScale.eventsPerSecond)}% of ceiling ${f1(capScale.eventsPerSecond)} ev/s`);
    row('  CPU per event written: worker processes; PostgreSQL backends of this database', cpu(oneRun), '', `workers ≤ 0.25 ms: ${oneRun.productCpuMsPerEvent <= 0.25 ? 'met' : 'MISSED'}`);
    row('  from the sync switch, no injected faults: 1 worker', `${f1(viaSwitch)} ev/s (${span(sc.runs[1]!)})`, '', `${f1((100 * viaSwitch) / one)}% of the backlog at once (target ≥ 80%): ${viaSwitch >= 0.8 * one ? 'met' : 'MISSED'}`);
    row('    CPU per event written', cpu(sc.runs[1]!), '', '');
    row(`  from the sync switch, ${FAULT_SHARE * 100}% 429/503: 1 worker`, `${f1(viaSwitchFaults)} ev/s (${span(sc.runs[2]!)})`, '', `${f1((100 * viaSwitchFaults) / one)}% of the backlog at once without faults`);
    row('  backlog queued at once, no injected faults: 2 worker processes', `${f1(two)} ev/s (${span(sc.runs[3]!)})`, '', `${(two / one).toFixed(2)}× one (target ≥ 1.7×)`);
    row('    CPU per event written', cpu(sc.runs[3]!), '', '');
    row('  429s / 503s (the four runs)', sc.runs.map((r) => `${r.throttled} / ${r.unavailable}`).join('; '), '', '');
    row('  calendars exact', sc.problems.length ? `NO: ${sc.problems.slice(0, 2).join('; ')}` : 'yes', '', '');
  }
  if (fd) {
    const ms1 = (x: number) => (Number.isFinite(x) ? `${x.toFixed(1)} ms` : 'n/a');
    const feedRow = (where: string, r: FeedBenchResult) => {
      const unexpected = r.notModified.unexpected + r.full.unexpected;
      row(`feed polled, ${where}: 304 (If-None-Match) requests/s, p50 / p99`, `${f1(r.notModified.perSecond)}/s, ${ms1(pct(r.notModified.latencies, 50))} / ${ms1(pct(r.notModified.latencies, 99))}`, '', unexpected ? `${unexpected} unexpected answers` : '');
      row(`  full feed (200, ${f1(r.feedBytes / 1024)} KB): requests/s, p50 / p99`, `${f1(r.full.perSecond)}/s, ${ms1(pct(r.full.latencies, 50))} / ${ms1(pct(r.full.latencies, 99))}`, '', '');
    };
    const size = `${args['feed-travelers']} travelers × ${args['feed-trips']} trips, ${args['feed-concurrency']} clients`;
    feedRow(`embedded (${size})`, fd.embedded);
    if (fd.postgres) feedRow('PostgreSQL', fd.postgres);
  }
  if (cp) {
    const perEvent = cp.first.items / cp.events;
    row(`traveler connect, ${CT}×${CS} bookings made before: Graph requests per event`, `${perEvent.toFixed(3)} (${cp.first.items} mailbox requests: ${cp.first.reads} reads, ${cp.first.writes} writes)`, '', `≤ 1.05: ${perEvent <= 1.05 ? 'met' : 'MISSED'}`);
    row('  connect again, calendars already holding the events (records gone): Graph writes', `${cp.again.writes} (${cp.again.reads} reads)`, '', `0: ${cp.again.writes === 0 ? 'met' : 'MISSED'}`);
    row('  calendars exact (1 event/segment)', cp.problems.length ? `NO: ${cp.problems.slice(0, 2).join('; ')}` : 'yes', '', '');
  }
  if (air) {
    row(`airline schedule change, ${air.travelers} travelers of ${AIRLINE_COMPANIES} companies (PostgreSQL; 1 tripcal serve, 1 tripcal worker): booking API changes/s, p50 / p99`, `${f1(air.apiPerSecond)}/s from ${air.clients} autocannon connections, ${ms(air.p50)} / ${ms(air.p99)}${air.non2xx ? `, ${air.non2xx} errors or non-2xx` : ''}`, '', '');
    row('  first call to last calendar write / last email', `${air.lastWriteSeconds.toFixed(2)} s / ${air.lastMailSeconds.toFixed(2)} s`, '', '');
    row('  CPU per change: tripcal serve (the API call) / tripcal worker (calendar write and email)', `${air.apiCpuMs.toFixed(2)} ms / ${air.workerCpuMs.toFixed(2)} ms`, '', '');
    row('  calendar updates/s vs the same updates queued at once', `${f1(air.calendarRate)} vs ${f1(air.refRate)} ev/s`, '', `${f1((100 * air.calendarRate) / air.refRate)}% (target ≥ 80%): ${air.calendarRate >= 0.8 * air.refRate ? 'met' : 'MISSED'}`);
    // One email per change: the rate cannot pass the booking API's, which bounds the ratio too.
    row('  emails/s vs a plain nodemailer loop to the same SMTP server', `${f1(air.mailRate)} vs ${f1(air.loopRate)} /s (at most the API's ${f1(air.apiPerSecond)}/s: ${f1((100 * air.apiPerSecond) / air.loopRate)}%)`, '', `${f1((100 * air.mailRate) / air.loopRate)}% (target ≥ 70%): ${air.mailRate >= 0.7 * air.loopRate ? 'met' : 'MISSED'}`);
    row('  the same emails queued at once, sent by one tripcal worker: emails/s; worker CPU per email (with its change\'s reconcile, sync off)', `${f1(air.mailBacklogRate)}/s; ${air.backlogCpuMs.toFixed(2)} ms`, '', `${f1((100 * air.mailBacklogRate) / air.loopRate)}% of the plain loop`);
    row('  every calendar exact (one event, new time) / every email sent once', `${air.calendarProblems.length ? `NO: ${air.calendarProblems.slice(0, 2).join('; ')}` : `yes (${air.written})`} / ${air.mailProblems.length ? `NO: ${air.mailProblems.slice(0, 2).join('; ')}` : `yes (${air.emailed})`}`, '', `${!air.calendarProblems.length && !air.mailProblems.length ? 'met' : 'MISSED'}`);
  }
  if (lr) {
    const growth = (100 * (lr.rssEnd - lr.rssStart)) / lr.rssStart;
    const p99 = pct(lr.latencies, 99);
    row(`long run, ${lr.minutes} min at ${RATE} changes/s (embedded): change to calendar p50 / p95 / p99 after ${lr.warmUpSeconds} s warm-up`, pcts(lr.latencies), '', `p99 < 2 s: ${p99 < 2000 ? 'met' : 'MISSED'}`);
    row('  RSS after warm-up → at the end (medians of 10 s); highest', `${f1(lr.rssStart)} → ${f1(lr.rssEnd)} MB (${growth >= 0 ? '+' : ''}${f1(growth)}%); ${f1(lr.rssMax)} MB`, '', `grows < 10%: ${growth < 10 ? 'met' : 'MISSED'}`);
    row('  changes written / sent; calendars exact', `${lr.written} / ${lr.changes}; ${lr.problems.length ? `NO: ${lr.problems.slice(0, 2).join('; ')}` : 'yes'}`, '', '');
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const out = [line(rows[0]!), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)];
  process.stdout.write(`\ntripcal benchmark, ${new Date().toISOString().slice(0, 16)}Z, ${os.cpus().length} cores (load average at start ${loadAtStart}, at end ${os.loadavg()[0]!.toFixed(1)}), Node ${process.version}; Graph latency ${L} ms, ${FAULT_SHARE * 100}% of requests answered 429/503; ${((Date.now() - started) / 1000).toFixed(0)} s\n$batch items at the sandbox: ${BATCH_DISPATCH} (--batch-dispatch)\n\n${out.join('\n')}\n`);
} finally {
  await sandbox.stop();
}
