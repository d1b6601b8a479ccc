// The server side of the web app: index.html for client routes (a reload of /trips/… works), JSON
// 404s for the API's paths, immutable hashed assets; the development routes' outbox listing and
// the booking changes they send through the booking API, each only for an admin of the company
// whose emails and bookings they are.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { brotliCompressSync, brotliDecompressSync, constants, gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import type { SegmentInput } from '../../src/domain/booking-schema.ts';
import type { Trip } from '../../src/domain/types.ts';
import { devRoutes, shiftSegment, toChangeInput } from '../../src/http/dev-routes.ts';
import { webAppRoutes } from '../../src/http/web-app.ts';
import { createMailTransport } from '../../src/mail/transport.ts';
import cookie from '@fastify/cookie';
import { openStore, type Store } from '../../src/store/database.ts';
import { createOrganisation, createUser, issueApiKey } from '../../src/store/organisations.ts';
import { startSession } from '../../src/store/sessions.ts';

/** A script as a bundle is: repetitive enough to compress well. */
const BIG_SCRIPT = Array.from({ length: 400 }, (_, i) => `export function f${i}(a, b) { return a + b * ${i}; }`).join('\n');
const PACKED_BR = brotliCompressSync(BIG_SCRIPT, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } });
const FAVICON = readFileSync(path.join(import.meta.dirname, '../../web/public/favicon.ico'));

describe('webAppRoutes', () => {
  let dir: string;
  let app: FastifyInstance;
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'tripcal-webdist-'));
    mkdirSync(path.join(dir, 'assets'));
    writeFileSync(path.join(dir, 'index.html'), '<!doctype html><html><head><title>t</title></head><body><div id="root"></div></body></html>');
    writeFileSync(path.join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
    writeFileSync(path.join(dir, 'assets', 'big-def456.js'), BIG_SCRIPT);
    writeFileSync(path.join(dir, 'favicon.ico'), FAVICON);
    writeFileSync(path.join(dir, 'assets', 'packed-0a1b2c.js'), BIG_SCRIPT);
    writeFileSync(path.join(dir, 'assets', 'packed-0a1b2c.js.br'), PACKED_BR);
    app = Fastify();
    app.get('/api/me', async () => ({ user: 'x' }));
    app.get('/api/big', async () => ({ text: BIG_SCRIPT }));
    await app.register(webAppRoutes, { webDist: dir });
  });
  after(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers the app’s own routes with index.html, never cached', async () => {
    for (const url of ['/', '/login', '/trips/6f1c?x=1', '/company/settings/integrations/calendar/outlook', '/company/settings/integrations/calendar/google', '/profile/connected-apps?calendar=outlook&result=connected', '/profile/connected-apps']) {
      const res = await app.inject({ url });
      assert.equal(res.statusCode, 200, url);
      assert.match(res.headers['content-type'] as string, /text\/html/);
      assert.equal(res.headers['cache-control'], 'no-cache');
      assert.match(res.body, /id="root"/);
    }
  });

  it('tells the app in index.html whether the server runs its development pages (the app asks nothing a production server would answer with a 404)', async () => {
    assert.doesNotMatch((await app.inject({ url: '/' })).body, /tripcal-dev-tools/);
    const dev = Fastify();
    await dev.register(webAppRoutes, { webDist: dir, devTools: true });
    for (const url of ['/', '/company']) assert.match((await dev.inject({ url })).body, /<meta name="tripcal-dev-tools" content="on" \/><\/head>|<meta name="tripcal-dev-tools" content="on" \/>/);
    await dev.close();
  });

  it('serves hashed assets as immutable', async () => {
    const res = await app.inject({ url: '/assets/index-abc123.js' });
    assert.equal(res.statusCode, 200);
    assert.match(res.headers['cache-control'] as string, /immutable/);
  });

  it('sends the app’s scripts compressed to a browser that accepts it (br first, else gzip), and as they are to one that does not', async () => {
    const br = await app.inject({ url: '/assets/big-def456.js', headers: { 'accept-encoding': 'gzip, deflate, br, zstd' } });
    assert.equal(br.statusCode, 200);
    assert.equal(br.headers['content-encoding'], 'br');
    assert.match(br.headers['cache-control'] as string, /immutable/);
    assert.equal(brotliDecompressSync(br.rawPayload).toString(), BIG_SCRIPT);
    assert.ok(br.rawPayload.length < BIG_SCRIPT.length / 4, `${br.rawPayload.length} bytes compressed`);
    const gz = await app.inject({ url: '/assets/big-def456.js', headers: { 'accept-encoding': 'gzip' } });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.equal(gunzipSync(gz.rawPayload).toString(), BIG_SCRIPT);
    const plain = await app.inject({ url: '/assets/big-def456.js' });
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(plain.body, BIG_SCRIPT);
  });

  it('sends the build’s own compressed copy of a file where there is one', async () => {
    const res = await app.inject({ url: '/assets/packed-0a1b2c.js', headers: { 'accept-encoding': 'gzip, br' } });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-encoding'], 'br');
    assert.deepEqual(res.rawPayload, PACKED_BR, 'the .br file as written, not compressed again');
    assert.match(res.headers['cache-control'] as string, /immutable/);
    assert.match(res.headers.vary as string, /accept-encoding/i);
    const plain = await app.inject({ url: '/assets/packed-0a1b2c.js' });
    assert.equal(plain.body, BIG_SCRIPT);
  });

  it('leaves the JSON API’s answers to the API (the app’s compression stays with the app’s files)', async () => {
    const res = await app.inject({ url: '/api/big', headers: { 'accept-encoding': 'br, gzip' } });
    assert.equal(res.headers['content-encoding'], undefined);
    assert.equal(res.json().text, BIG_SCRIPT);
  });

  it('has a favicon.ico (no 404 in the browser’s console)', async () => {
    const res = await app.inject({ url: '/favicon.ico' });
    assert.equal(res.statusCode, 200);
    assert.match(res.headers['content-type'] as string, /icon/);
    assert.deepEqual(res.rawPayload, FAVICON);
  });

  it('keeps the API’s paths JSON: an unknown one is a 404, not the app', async () => {
    for (const url of ['/api/nope', '/api/v1/nope', '/oauth/outlook/nope', '/dev/api/nope', '/assets/missing.js', '/openapi.json']) {
      const res = await app.inject({ url });
      assert.equal(res.statusCode, 404, url);
      assert.match(res.headers['content-type'] as string, /application\/json/, url);
    }
    assert.equal((await app.inject({ url: '/trips/x', method: 'POST' })).statusCode, 404);
    assert.deepEqual((await app.inject({ url: '/api/me' })).json(), { user: 'x' });
  });
});

describe('devRoutes', () => {
  let dir: string;
  let app: FastifyInstance;
  const seen: Array<{ method: string; url: string; auth?: string; body?: unknown }> = [];
  const stored: Trip = {
    id: 't1', organisationId: 'o1', travelerId: 'u1', bookingRef: 'DEMO-1', title: 'Trip', version: 2, status: 'active',
    segments: [
      { id: 's1', ref: 'R1', status: 'confirmed', sequence: 0, kind: 'rail', operator: 'JR', trainNumber: '1', departure: { station: 'A', local: '2026-12-01T23:30', timeZone: 'Asia/Tokyo' }, arrival: { station: 'B', local: '2026-12-02T00:10', timeZone: 'Asia/Tokyo' } },
      { id: 's2', ref: 'H1', status: 'confirmed', sequence: 1, kind: 'hotel', property: 'H', checkIn: { date: '2026-12-02' }, checkOut: { date: '2026-12-03' }, timeZone: 'Asia/Tokyo' },
      { id: 's3', ref: 'R2', status: 'cancelled', sequence: 2, kind: 'rail', operator: 'JR', trainNumber: '2', departure: { station: 'B', local: '2026-12-03T10:00', timeZone: 'Asia/Tokyo' }, arrival: { station: 'A', local: '2026-12-03T12:00', timeZone: 'Asia/Tokyo' } },
    ],
  };

  let store: Store;
  /** Cookie headers: an admin of the demo company, its traveler, and the admin of another company. */
  const as: Record<'admin' | 'traveler' | 'otherAdmin', { cookie: string }> = {} as never;

  before(async () => {
    store = await openStore({});
    const demo = await createOrganisation(store.db, 'Sakura Trading');
    const other = await createOrganisation(store.db, 'Maple Logistics');
    await issueApiKey(store.db, demo.id, 'tc_test_key');
    const people = {
      admin: await createUser(store.db, demo.id, { email: 'hanako@example.com', displayName: '佐藤 花子', role: 'admin', locale: 'ja', timeZone: 'Asia/Tokyo' }),
      traveler: await createUser(store.db, demo.id, { email: 'taro@example.com', displayName: '山田 太郎', role: 'traveler', locale: 'ja', timeZone: 'Asia/Tokyo' }),
      otherAdmin: await createUser(store.db, other.id, { email: 'morgan@example.com', displayName: 'Morgan Lee', role: 'admin', locale: 'en', timeZone: 'America/Toronto' }),
    };
    for (const [who, user] of Object.entries(people)) as[who as keyof typeof as] = { cookie: `tripcal_session=${(await startSession(store.db, user.id, new Date())).token}` };
    dir = mkdtempSync(path.join(tmpdir(), 'tripcal-outbox-'));
    const transport = createMailTransport({ outboxDir: dir });
    await transport.send({
      from: 'itinerary@tripcal.example', to: '山田 太郎 <taro@example.com>', subject: '【旅程のご案内】大阪出張', text: 'x', date: new Date('2026-11-25T03:00:00Z'),
      icalEvent: { method: 'REQUEST', content: 'BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n' },
      attachments: [{ filename: 'itinerary-DEMO-1.ics', content: 'BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n', contentType: 'text/calendar' }],
    });
    transport.close();
    app = Fastify();
    await app.register(cookie);
    // The booking API as the dev routes see it: what they send is recorded.
    app.all('/api/v1/*', async (request) => {
      seen.push({ method: request.method, url: request.url, auth: request.headers.authorization, body: request.body });
      return { trip: stored, version: stored.version + 1 };
    });
    await app.register(devRoutes, { outboxDir: dir, bookingApiKey: 'tc_test_key', store });
  });
  after(async () => {
    await app.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists the outbox with subject, recipient, date and the .ics files, and downloads them', async () => {
    const { emails } = (await app.inject({ url: '/dev/api/outbox', headers: as.admin })).json() as { emails: Array<{ file: string; subject: string; to: string; date: string; attachments: Array<{ index: number; filename: string }> }> };
    assert.equal(emails.length, 1);
    const [mail] = emails;
    assert.equal(mail!.subject, '【旅程のご案内】大阪出張');
    assert.match(mail!.to, /taro@example\.com/);
    assert.equal(mail!.date, '2026-11-25T03:00:00.000Z');
    const names = mail!.attachments.map((a) => a.filename);
    assert.ok(names.includes('itinerary-DEMO-1.ics'), names.join());
    assert.ok(names.every((n) => n.endsWith('.ics')), names.join());
    const eml = await app.inject({ url: `/dev/api/outbox/${encodeURIComponent(mail!.file)}`, headers: as.admin });
    assert.equal(eml.statusCode, 200);
    assert.match(eml.headers['content-type'] as string, /message\/rfc822/);
    const ics = await app.inject({ url: `/dev/api/outbox/${encodeURIComponent(mail!.file)}/attachments/${mail!.attachments.find((a) => a.filename === 'itinerary-DEMO-1.ics')!.index}`, headers: as.admin });
    assert.equal(ics.statusCode, 200);
    assert.match(ics.body, /BEGIN:VCALENDAR/);
  });

  it('refuses paths outside the outbox', async () => {
    for (const file of ['..%2F..%2Fetc%2Fpasswd', '..%2Fx.eml', 'x.txt']) assert.equal((await app.inject({ url: `/dev/api/outbox/${file}`, headers: as.admin })).statusCode, 404, file);
  });

  it("shows nothing without an admin's session, and another company's admin sees none of this company's emails or bookings", async () => {
    assert.equal((await app.inject({ url: '/dev/api/outbox' })).statusCode, 401);
    assert.equal((await app.inject({ url: '/dev/api/outbox', headers: as.traveler })).statusCode, 403);
    const theirs = (await app.inject({ url: '/dev/api/outbox', headers: as.otherAdmin })).json() as { emails: Array<{ file: string }> };
    assert.deepEqual(theirs.emails, []);
    const file = ((await app.inject({ url: '/dev/api/outbox', headers: as.admin })).json() as { emails: Array<{ file: string }> }).emails[0]!.file;
    assert.equal((await app.inject({ url: `/dev/api/outbox/${encodeURIComponent(file)}`, headers: as.otherAdmin })).statusCode, 404);
    seen.length = 0;
    assert.equal((await app.inject({ method: 'POST', url: '/dev/api/bookings/DEMO-1/cancel' })).statusCode, 401);
    assert.equal((await app.inject({ method: 'POST', url: '/dev/api/bookings/DEMO-1/cancel', headers: as.otherAdmin })).statusCode, 404);
    assert.deepEqual(seen, [], 'nothing reached the booking API');
  });

  it('changes a booking through the booking API with the company’s key, as a booking engine would', async () => {
    seen.length = 0;
    const res = await app.inject({ method: 'POST', url: '/dev/api/bookings/DEMO-1/segments/R1/shift', payload: { minutes: 60 }, headers: as.admin });
    assert.equal(res.statusCode, 200);
    const put = seen.find((s) => s.method === 'PUT')!;
    assert.equal(put.url, '/api/v1/trips/DEMO-1');
    assert.equal(put.auth, 'Bearer tc_test_key');
    const body = put.body as { segments: SegmentInput[] };
    assert.deepEqual(body.segments.map((s) => s.ref), ['R1', 'H1'], 'the cancelled segment stays out');
    const r1 = body.segments[0] as Extract<SegmentInput, { type: 'rail' }>;
    assert.equal(r1.departure.local, '2026-12-02T00:30', 'across midnight');
    assert.equal(r1.arrival.local, '2026-12-02T01:10');

    seen.length = 0;
    await app.inject({ method: 'POST', url: '/dev/api/bookings/DEMO-1/segments/H1/cancel', headers: as.admin });
    await app.inject({ method: 'POST', url: '/dev/api/bookings/DEMO-1/cancel', headers: as.admin });
    assert.deepEqual(seen.map((s) => `${s.method} ${s.url} ${s.auth}`), ['POST /api/v1/trips/DEMO-1/segments/H1/cancel Bearer tc_test_key', 'POST /api/v1/trips/DEMO-1/cancel Bearer tc_test_key']);
  });

  it('turns a stored trip back into the booking API’s input, and moves a hotel stay by whole nights', () => {
    const input = toChangeInput(stored);
    assert.equal(input.title, 'Trip');
    assert.equal(input.segments[0]!.type, 'rail');
    assert.ok(!('id' in input.segments[0]!) && !('sequence' in input.segments[0]!));
    const hotel = shiftSegment(input.segments[1]!, 60) as Extract<SegmentInput, { type: 'hotel' }>;
    assert.equal(hotel.checkOut.date, '2026-12-04');
  });
});
