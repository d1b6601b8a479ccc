import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../src/http/server.ts';
import { bookings } from '../../src/store/bookings.ts';
import { QUEUES } from '../../src/store/database.ts';
import { createOrganisation, createUser, issueApiKey } from '../../src/store/organisations.ts';
import { flightHndLax, hotelLa, ORGANIZER, tripInput } from '../fixtures/trips.ts';
import { freshStore, storeKinds } from '../support/stores.ts';

const [pglite] = storeKinds();

describe('booking API', () => {
  let store: Awaited<ReturnType<typeof freshStore>>;
  let app: FastifyInstance;
  let key: string;
  let otherKey: string;
  const email = 'emily@example.com';

  before(async () => {
    store = await freshStore(pglite);
    const org = await createOrganisation(store.db, 'Sakura Trading');
    const other = await createOrganisation(store.db, 'Maple Logistics');
    await createUser(store.db, org.id, { email, displayName: 'Emily Clark', role: 'traveler', locale: 'en', timeZone: 'America/Los_Angeles' });
    await createUser(store.db, other.id, { email: 'ken@example.com', displayName: '伊藤 健', role: 'traveler', locale: 'ja', timeZone: 'Asia/Tokyo' });
    key = await issueApiKey(store.db, org.id);
    otherKey = await issueApiKey(store.db, other.id);
    app = await buildServer({ store, bookings: bookings(store), organizer: ORGANIZER, publicUrl: 'http://localhost:3000' });
  });
  after(async () => {
    await app.close();
    await store.dispose();
  });

  const call = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown, apiKey: string | null = key, headers: Record<string, string> = {}) =>
    app.inject({ method, url, payload: payload as object, headers: { ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}), ...headers } });

  /** Rows and jobs, to show that a refused request wrote nothing. */
  const written = async () => ({
    trips: (await store.db.selectFrom('trips').select('id').execute()).length,
    segments: (await store.db.selectFrom('segments').select('id').execute()).length,
    changes: (await store.db.selectFrom('trip_changes').select('id').execute()).length,
    mails: (await store.boss.findJobs(QUEUES.itineraryMail)).length,
  });

  test('creates a trip (201), and the same request again returns it unchanged (200)', async () => {
    const first = await call('POST', '/api/v1/trips', tripInput(email));
    assert.equal(first.statusCode, 201, first.body);
    assert.equal(first.json().trip.version, 1);
    const snapshot = await written();
    const again = await call('POST', '/api/v1/trips', tripInput(email));
    assert.equal(again.statusCode, 200);
    assert.equal(again.json().changed, false);
    assert.deepEqual(again.json().trip, first.json().trip);
    assert.deepEqual(await written(), snapshot);
  });

  test('a change, a retried change, and a segment cancellation', async () => {
    const changed = await call('PUT', '/api/v1/trips/OBT-1001', { segments: [{ ...flightHndLax, seat: '1A' }, hotelLa] });
    assert.equal(changed.statusCode, 200, changed.body);
    assert.equal(changed.json().trip.version, 2);
    const snapshot = await written();
    const retried = await call('PUT', '/api/v1/trips/OBT-1001', { segments: [{ ...flightHndLax, seat: '1A' }, hotelLa] });
    assert.equal(retried.json().changed, false);
    assert.deepEqual(await written(), snapshot);
    const cancelled = await call('POST', '/api/v1/trips/OBT-1001/segments/H1/cancel');
    assert.equal(cancelled.statusCode, 200);
    assert.equal(cancelled.json().trip.segments.find((s: { ref: string }) => s.ref === 'H1').status, 'cancelled');
  });

  test('the traveler itinerary downloads as text/calendar', async () => {
    const res = await call('GET', '/api/v1/trips/OBT-1001/itinerary.ics');
    assert.equal(res.statusCode, 200);
    assert.match(res.headers['content-type'] as string, /^text\/calendar/);
    assert.match(res.body, /METHOD:PUBLISH/);
    assert.match(res.body, /SUMMARY:NH 6/);
  });

  test("a cancelled trip's download is still a calendar: its segments, each STATUS:CANCELLED", async () => {
    const created = await call('POST', '/api/v1/trips', tripInput(email, { bookingRef: 'OBT-GONE' }));
    assert.equal(created.statusCode, 201, created.body);
    assert.equal((await call('POST', '/api/v1/trips/OBT-GONE/cancel')).statusCode, 200);
    const res = await call('GET', '/api/v1/trips/OBT-GONE/itinerary.ics');
    assert.equal(res.statusCode, 200);
    assert.equal(res.body.match(/^BEGIN:VEVENT\r$/gm)?.length, 2);
    assert.equal(res.body.match(/^STATUS:CANCELLED\r$/gm)?.length, 2);
    assert.match(res.body, /^SUMMARY:Canceled: NH 6 /m);
  });

  test('serves an OpenAPI document describing the booking routes', async () => {
    const res = await app.inject({ method: 'GET', url: '/openapi.json' });
    const doc = res.json();
    assert.equal(doc.openapi, '3.1.0');
    assert.ok(doc.paths['/api/v1/trips'].post.requestBody);
    assert.ok(doc.paths['/api/v1/trips/{bookingRef}'].put);
  });

  const badInputs: { name: string; body: unknown; status: number; field: RegExp }[] = [
    {
      name: 'an unknown airport',
      body: tripInput(email, { bookingRef: 'B1', segments: [{ ...flightHndLax, arrival: { airport: 'QQQ', local: '2026-12-01T10:50' } }] }),
      status: 422, field: /^segments\[0\]\.arrival\.airport$/,
    },
    {
      name: 'an arrival before the departure',
      body: tripInput(email, { bookingRef: 'B2', segments: [{ ...flightHndLax, arrival: { airport: 'LAX', local: '2026-11-30T10:50' } }] }),
      status: 422, field: /^segments\[0\]\.arrival\.local$/,
    },
    {
      name: 'a check-out before the check-in',
      body: tripInput(email, { bookingRef: 'B3', segments: [{ ...hotelLa, checkOut: { date: '2026-11-30' } }] }),
      status: 422, field: /^segments\[0\]\.checkOut\.date$/,
    },
    {
      name: 'a missing field',
      body: { bookingRef: 'B4', travelerEmail: email, segments: [{ type: 'flight', ref: 'F1', carrier: 'NH', departure: flightHndLax.departure, arrival: flightHndLax.arrival }] },
      status: 400, field: /^segments\[0\]\.flightNumber$/,
    },
    {
      name: 'a wrong type',
      body: { ...tripInput(email, { bookingRef: 'B5' }), segments: [{ ...hotelLa, checkIn: { date: 20261201 } }] },
      status: 400, field: /^segments\[0\]\.checkIn\.date$/,
    },
    {
      name: 'an unknown segment type',
      body: { ...tripInput(email, { bookingRef: 'B6' }), segments: [{ type: 'boat', ref: 'X' }] },
      status: 400, field: /^segments\[0\]\.type$/,
    },
    {
      name: 'an unknown time zone',
      body: tripInput(email, { bookingRef: 'B7', segments: [{ ...hotelLa, timeZone: 'Mars/Olympus' }] }),
      status: 422, field: /^segments\[0\]\.timeZone$/,
    },
    {
      name: 'a traveler of another company',
      body: tripInput('ken@example.com', { bookingRef: 'B8' }),
      status: 422, field: /^travelerEmail$/,
    },
    {
      name: 'a NUL character in a text field',
      body: tripInput(email, { bookingRef: 'B9', title: 'Los Angeles\u0000' }),
      status: 400, field: /^title$/,
    },
    {
      name: 'a lone surrogate in a segment\'s text',
      body: tripInput(email, { bookingRef: 'B10', segments: [{ ...hotelLa, property: 'Westin \ud800' }] }),
      status: 400, field: /^segments\[0\]\.property$/,
    },
    {
      name: 'a NUL character in the booking reference',
      body: tripInput(email, { bookingRef: 'B11\u0000' }),
      status: 400, field: /^bookingRef$/,
    },
    {
      name: 'a departure the clocks skip',
      body: tripInput(email, { bookingRef: 'B12', segments: [{ ...flightHndLax, ref: 'F9', departure: { airport: 'LAX', local: '2026-03-08T02:30' }, arrival: { airport: 'SFO', local: '2026-03-08T05:00' } }] }),
      status: 422, field: /^segments\[0\]\.departure\.local$/,
    },
    {
      name: 'an offset the zone does not have then',
      body: tripInput(email, { bookingRef: 'B13', segments: [{ ...flightHndLax, departure: { airport: 'HND', local: '2026-12-01T17:05-08:00' } }] }),
      status: 422, field: /^segments\[0\]\.departure\.local$/,
    },
  ];

  test("a skipped time's 422 says why", async () => {
    const res = await call('POST', '/api/v1/trips', badInputs.find((b) => b.name === 'a departure the clocks skip')!.body);
    assert.equal(res.json().message, 'segments[0].departure.local: 02:30 does not exist in America/Los_Angeles on 2026-03-08: clocks go forward at 02:00 (to 03:00)');
  });

  test('refuses text the database cannot hold in a change, a path and a query with 400, and writes nothing', async () => {
    const snapshot = await written();
    const change = await call('PUT', '/api/v1/trips/OBT-1001', { segments: [{ ...hotelLa, address: 'Figueroa \udc00 St' }] });
    assert.equal(change.statusCode, 400, change.body);
    assert.equal(change.json().field, 'segments[0].address');
    const path = await call('POST', '/api/v1/trips/OBT%00/cancel');
    assert.equal(path.statusCode, 400, path.body);
    assert.equal(path.json().field, 'bookingRef');
    const raw = await call('POST', '/api/v1/trips', JSON.stringify(tripInput(email, { bookingRef: 'B14' })).replace('"Los Angeles"', '"Los \\ud800Angeles"'), key, { 'content-type': 'application/json' });
    assert.equal(raw.statusCode, 400, raw.body);
    assert.equal(raw.json().field, 'title');
    assert.deepEqual(await written(), snapshot);
  });

  for (const bad of badInputs) {
    test(`refuses ${bad.name} with ${bad.status}, naming the field, and writes nothing`, async () => {
      const snapshot = await written();
      const res = await call('POST', '/api/v1/trips', bad.body);
      assert.equal(res.statusCode, bad.status, res.body);
      assert.match(res.json().field, bad.field);
      assert.match(res.json().message, new RegExp(bad.field.source.slice(1, -1)));
      assert.deepEqual(await written(), snapshot);
    });
  }

  test('refuses a 10 MB body with 413 and writes nothing', async () => {
    const snapshot = await written();
    const huge = { ...tripInput(email, { bookingRef: 'HUGE' }), title: 'x'.repeat(10 * 1024 * 1024) };
    const res = await call('POST', '/api/v1/trips', JSON.stringify(huge), key, { 'content-type': 'application/json' });
    assert.equal(res.statusCode, 413);
    assert.match(res.json().message, /body/);
    assert.deepEqual(await written(), snapshot);
  });

  test('refuses malformed JSON with 400', async () => {
    const res = await call('POST', '/api/v1/trips', '{"bookingRef": ', key, { 'content-type': 'application/json' });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error, 'invalid_json');
  });

  test("another company's key cannot read, change or cancel the trip", async () => {
    const snapshot = await written();
    for (const [method, url, body] of [
      ['GET', '/api/v1/trips/OBT-1001', undefined],
      ['PUT', '/api/v1/trips/OBT-1001', { segments: [hotelLa] }],
      ['POST', '/api/v1/trips/OBT-1001/cancel', undefined],
      ['GET', '/api/v1/trips/OBT-1001/itinerary.ics', undefined],
    ] as const) {
      const res = await call(method, url, body, otherKey);
      assert.equal(res.statusCode, 404, `${method} ${url}`);
      assert.equal(res.json().field, 'bookingRef');
    }
    assert.deepEqual(await written(), snapshot);
  });

  test('refuses a missing or unknown API key with 401', async () => {
    assert.equal((await call('GET', '/api/v1/trips/OBT-1001', undefined, null)).statusCode, 401);
    const res = await call('GET', '/api/v1/trips/OBT-1001', undefined, 'tc_not_a_key');
    assert.equal(res.statusCode, 401);
    assert.doesNotMatch(res.body, /tc_not_a_key/);
  });
});

// A booking engine that times out and sends the same create again while the first is still being
// written: both requests at once, over HTTP. Each pair must give one 201 and one 200 with the same
// trip, and one trip, one change and one email. Several pairs, so that on a server the two of a
// pair overlap at least once (test/store/bookings.test.ts makes the overlap deterministic).
for (const kind of storeKinds()) {
  describe(`booking API: two identical creates at once (${kind.name})`, () => {
    let store: Awaited<ReturnType<typeof freshStore>>;
    let app: FastifyInstance;
    let baseUrl: string;
    let key: string;
    const email = 'emily@example.com';

    before(async () => {
      store = await freshStore(kind);
      const org = await createOrganisation(store.db, 'Sakura Trading');
      await createUser(store.db, org.id, { email, displayName: 'Emily Clark', role: 'traveler', locale: 'en', timeZone: 'America/Los_Angeles' });
      key = await issueApiKey(store.db, org.id);
      app = await buildServer({ store, bookings: bookings(store), organizer: { name: 'tripcal', email: 'itinerary@tripcal.example' }, publicUrl: 'http://localhost:3000' });
      baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });
    });
    after(async () => {
      await app.close();
      await store.dispose();
    });

    const post = async (input: unknown) => {
      const res = await fetch(`${baseUrl}/api/v1/trips`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(input) });
      return { status: res.status, body: await res.json() as { trip: { id: string; version: number }; changed: boolean } };
    };

    test('one 201 and one 200 with the same trip; one change and one email', async () => {
      for (let i = 1; i <= 8; i++) {
        const input = tripInput(email, { bookingRef: `OBT-PAIR-${i}` });
        const answers = await Promise.all([post(input), post(input)]);
        assert.deepEqual(answers.map((a) => a.status).sort(), [200, 201], JSON.stringify(answers));
        const [a, b] = answers;
        assert.equal(a!.body.trip.id, b!.body.trip.id);
        assert.deepEqual(a!.body.trip, b!.body.trip);
        assert.deepEqual(answers.map((x) => x.body.changed).sort(), [false, true]);
      }
      const trips = await store.db.selectFrom('trips').select('id').execute();
      assert.equal(trips.length, 8);
      assert.equal((await store.db.selectFrom('trip_changes').select('id').execute()).length, 8);
      assert.equal((await store.boss.findJobs(QUEUES.itineraryMail)).length, 8);
    });
  });
}
