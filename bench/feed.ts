// The private calendar feed under polling: calendar apps fetch each traveler's feed again and again,
// and almost every fetch finds it unchanged. Measured on one store (the embedded database in a data
// folder, as `npm start` runs it, or a PostgreSQL server): the HTTP server of the product in this
// process, `concurrency` clients in a closed loop, each request for a random traveler's feed,
// first conditional (If-None-Match with the current ETag: 304 after one statement), then not (200,
// the feed rendered). Requests per second and latency percentiles for each.
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { calendarProviders } from '../src/calendars/registry.ts';
import type { TripInput } from '../src/domain/booking-schema.ts';
import { buildServer } from '../src/http/server.ts';
import { bookings as makeBookings } from '../src/store/bookings.ts';
import { replaceFeedToken } from '../src/store/calendar-feeds.ts';
import { openStore, type StoreOptions } from '../src/store/database.ts';
import { createOrganisation, createUser } from '../src/store/organisations.ts';
import { secretBox } from '../src/store/secret-box.ts';

export interface FeedBenchOptions {
  store: StoreOptions;
  travelers: number;
  /** Trips per traveler, each a flight out, a hotel and a flight back. */
  trips: number;
  concurrency: number;
  seconds: number;
}

export interface FeedRun {
  requests: number;
  perSecond: number;
  /** Latencies in ms, as the clients saw them. */
  latencies: number[];
  /** Answers other than the expected status. */
  unexpected: number;
}

export interface FeedBenchResult {
  notModified: FeedRun;
  full: FeedRun;
  /** Bytes of one traveler's feed. */
  feedBytes: number;
}

function tripOf(email: string, i: number, t: number): TripInput {
  const day = String(1 + ((t * 3) % 25)).padStart(2, '0');
  const back = String(3 + ((t * 3) % 25)).padStart(2, '0');
  return {
    bookingRef: `FEED-${i}-${t}`, travelerEmail: email, title: `Trip ${t}`,
    segments: [
      { type: 'flight', ref: 'OUT', carrier: 'NH', flightNumber: 'NH 6', departure: { airport: 'HND', local: `2027-03-${day}T17:05` }, arrival: { airport: 'LAX', local: `2027-03-${day}T10:50` } },
      { type: 'hotel', ref: 'H', property: 'The Westin Bonaventure', address: '404 S Figueroa St, Los Angeles', checkIn: { date: `2027-03-${day}` }, checkOut: { date: `2027-03-${back}` }, timeZone: 'America/Los_Angeles' },
      { type: 'flight', ref: 'BACK', carrier: 'NH', flightNumber: 'NH 5', departure: { airport: 'LAX', local: `2027-03-${back}T12:00` }, arrival: { airport: 'HND', local: `2027-03-${String(Number(back) + 1).padStart(2, '0')}T16:30` } },
    ],
  };
}

async function closedLoop(base: string, paths: string[], etags: Map<string, string>, conditional: boolean, concurrency: number, seconds: number): Promise<FeedRun> {
  const latencies: number[] = [];
  let unexpected = 0;
  const expected = conditional ? 304 : 200;
  const end = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < end) {
      const path = paths[Math.floor(Math.random() * paths.length)]!;
      const t0 = performance.now();
      const res = await request(`${base}${path}`, { headers: conditional ? { 'if-none-match': etags.get(path)! } : {} });
      await res.body.dump();
      latencies.push(performance.now() - t0);
      if (res.statusCode !== expected) unexpected++;
    }
  }));
  const elapsed = (performance.now() - started) / 1000;
  return { requests: latencies.length, perSecond: latencies.length / elapsed, latencies, unexpected };
}

export async function feedBench(options: FeedBenchOptions): Promise<FeedBenchResult> {
  const store = await openStore(options.store);
  try {
    const bookings = makeBookings(store);
    const box = secretBox([randomBytes(32)]);
    const org = await createOrganisation(store.db, 'Feed Bench Co');
    const paths: string[] = [];
    for (let i = 0; i < options.travelers; i++) {
      const user = await createUser(store.db, org.id, { email: `feed-${i}@bench.example`, displayName: `Traveler ${i}`, role: 'traveler', locale: i % 2 ? 'en' : 'ja', timeZone: 'Asia/Tokyo' });
      for (let t = 0; t < options.trips; t++) await bookings.create(org.id, tripOf(user.email, i, t));
      const feed = await replaceFeedToken(store.db, box, { id: user.id, organisationId: org.id }, new Date());
      paths.push(`/calendar-feed/${feed.token}.ics`);
    }
    const app = await buildServer({
      store, bookings, organizer: { name: 'tripcal', email: 'itinerary@tripcal.example' }, publicUrl: 'http://127.0.0.1',
      calendars: { providers: calendarProviders(), box },
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
      const etags = new Map<string, string>();
      let feedBytes = 0;
      for (const path of paths) {
        const res = await request(`${base}${path}`);
        const text = await res.body.text();
        feedBytes = Buffer.byteLength(text);
        etags.set(path, String(res.headers.etag));
      }
      // A short warm-up of each kind, unmeasured (cold code, the statement cache).
      await closedLoop(base, paths, etags, true, options.concurrency, Math.min(1, options.seconds / 4));
      await closedLoop(base, paths, etags, false, options.concurrency, Math.min(1, options.seconds / 4));
      const notModified = await closedLoop(base, paths, etags, true, options.concurrency, options.seconds);
      const full = await closedLoop(base, paths, etags, false, options.concurrency, options.seconds);
      return { notModified, full, feedBytes };
    } finally {
      await app.close();
    }
  } finally {
    await store.close();
  }
}
