// A deployment with SEED_DEMO=false, from an empty database (PostgreSQL with TEST_DATABASE_URL,
// else PGlite), driven only by the documented calls: the operator API onboards a company, its
// admin accepts the invitation and sets up Outlook sync against the sandbox, SCIM (shaped as
// Entra ID sends it) provisions a traveler, who resets their password by email, connects their
// calendar, and gets an itinerary email and a synced event for a booking. Then the identity
// provider deprovisions the traveler: the next change sends no email and writes no event; it
// reactivates them: emails resume, and once they connect again their one event catches up. The
// README's runbook ("Running tripcal for real companies") is this path.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DateTime } from 'luxon';
import { simpleParser } from 'mailparser';
import type { FastifyInstance } from 'fastify';
import { startTestSandbox, type TestSandbox } from '../../sandbox/test/helpers.ts';
import { createOutlookProvider } from '../../src/calendars/outlook/index.ts';
import { calendarProviders, providerLabels } from '../../src/calendars/registry.ts';
import { buildServer } from '../../src/http/server.ts';
import { startItineraryMailWorker } from '../../src/mail/itinerary-mail-job.ts';
import { createMailTransport } from '../../src/mail/transport.ts';
import { bookings as makeBookings } from '../../src/store/bookings.ts';
import { providersToReconnect } from '../../src/store/calendar-connections.ts';
import { openStore, type Store } from '../../src/store/database.ts';
import { secretBox } from '../../src/store/secret-box.ts';
import { startSyncWorker, syncOnBookingChange } from '../../src/sync/sync-jobs.ts';
import { Browser, freePort, type World } from '../support/outlook-world.ts';
import { storeKinds } from '../support/stores.ts';

const OPERATOR_TOKEN = `op_${randomBytes(24).toString('base64url')}`;
const day = (offset: number) => DateTime.now().setZone('Asia/Tokyo').plus({ days: offset }).toISODate()!;

describe('a real company, from an empty database with SEED_DEMO=false', () => {
  const kind = storeKinds().at(-1)!;
  let sandbox: TestSandbox;
  let store: Store;
  let drop: () => Promise<void>;
  let server: FastifyInstance;
  let baseUrl: string;
  let outboxDir: string;
  const stops: Array<() => Promise<void>> = [];
  let world: World;

  before(async () => {
    sandbox = await startTestSandbox();
    const created = await kind.create();
    drop = created.drop;
    store = await openStore({ retryDelaySeconds: 1, ...created.options });
    const now = () => new Date(sandbox.control.now());
    const provider = createOutlookProvider({ clientId: sandbox.app.clientId, clientSecret: sandbox.app.clientSecret, authorityHost: sandbox.url, graphUrl: sandbox.url, caPem: sandbox.caPem });
    const providers = calendarProviders(provider);
    const box = secretBox([randomBytes(32)]);
    const port = await freePort();
    baseUrl = `http://localhost:${port}`;
    outboxDir = await mkdtemp(path.join(os.tmpdir(), 'tripcal-outbox-'));
    const transport = createMailTransport({ outboxDir });
    const from = { name: 'tripcal', address: 'itinerary@tripcal.example' };
    const bookings = makeBookings(store, { onChange: [syncOnBookingChange(store)], now });
    server = await buildServer({
      store, bookings, organizer: { name: 'tripcal', email: from.address }, publicUrl: baseUrl, calendars: { providers, box }, now,
      operator: { token: OPERATOR_TOKEN }, mail: { send: (m) => transport.send(m), from },
    });
    await server.listen({ port, host: '127.0.0.1' });
    stops.push(await startItineraryMailWorker({
      store, transport, from, publicUrl: baseUrl, pollingIntervalSeconds: 0.5, log: () => {},
      lapsedCalendars: async (traveler) => providerLabels(await providersToReconnect(store.db, traveler.id), traveler.locale),
    }));
    stops.push(await startSyncWorker({ store, deps: { db: store.db, providers, box, now }, pollingIntervalSeconds: 0.5, concurrency: 2 }));
    stops.push(async () => transport.close());
    world = { baseUrl } as World;
  });
  after(async () => {
    for (const stop of stops) await stop();
    await server?.close();
    await store?.close();
    await drop?.();
    await sandbox?.stop();
    await rm(outboxDir, { recursive: true, force: true });
  });

  const call = async (method: string, route: string, token: string, body?: unknown, contentType = 'application/json') => {
    const res = await fetch(`${baseUrl}${route}`, { method, headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': contentType } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  /** The emails in the outbox sent to `address`, parsed. */
  const emailsTo = async (address: string) => {
    const mails = await Promise.all((await readdir(outboxDir)).filter((n) => n.endsWith('.eml')).map(async (n) => simpleParser(await readFile(path.join(outboxDir, n)))));
    return mails.filter((m) => JSON.stringify(m.to).includes(address));
  };
  const until = async <T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await check();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}`);
      await new Promise((r) => setTimeout(r, 150));
    }
  };
  /** Every queued job of the queue has been worked (completed, or dropped by the worker). */
  const queueIdle = (queue: string) => until(`${queue} idle`, async () => {
    const busy = await store.db.selectFrom('pgboss.job' as any).select('id' as any).where('name' as any, '=', queue).where('state' as any, 'in', ['created', 'retry', 'active']).execute();
    return busy.length === 0;
  });

  test('onboarding, SCIM, a booking: the traveler gets an itinerary email and a synced event; deprovisioned, nothing more; reactivated, emails again and, once reconnected, the same event caught up', async () => {
    const tenant = sandbox.tenants[0]!;
    const [adminEntry, travelerEntry] = tenant.users.filter((u) => !u.isAdmin);
    const entraAdmin = tenant.users.find((u) => u.isAdmin)!.userPrincipalName;
    assert.equal((await store.db.selectFrom('organisations').select('id').execute()).length, 0, 'an empty database');

    // 1. The platform onboards the company (operator API).
    const company = await call('POST', '/api/operator/v1/companies', OPERATOR_TOKEN, { name: 'Sakura Trading', admin: { email: adminEntry!.userPrincipalName, name: adminEntry!.displayName, locale: 'ja', timeZone: 'Asia/Tokyo' } });
    assert.equal(company.status, 201, JSON.stringify(company.body));
    const apiKey = await call('POST', `/api/operator/v1/companies/${company.body.id}/api-keys`, OPERATOR_TOKEN, { name: 'booking engine' });
    const scimToken = await call('POST', `/api/operator/v1/companies/${company.body.id}/scim-tokens`, OPERATOR_TOKEN, { name: 'Entra ID' });
    assert.deepEqual([apiKey.status, scimToken.status], [201, 201]);

    // 2. The admin opens the invitation, sets a password, and sets up Outlook sync.
    const admin = new Browser(world);
    const token = new URL(company.body.admin.inviteUrl).searchParams.get('token');
    const accepted = await admin.api('POST', '/api/password-links', { token, password: 'the admin chose this one' });
    assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
    const link = await admin.api('POST', '/api/company/calendars/outlook/grant-link');
    assert.equal((await admin.adminConsent(link.body.url, entraAdmin)).status, 200);
    const connect = await admin.api('POST', '/api/company/calendars/outlook/connect');
    assert.equal((await admin.signInWithMicrosoft(connect.body.url, adminEntry!.userPrincipalName)).searchParams.get('result'), 'connected');
    assert.equal((await admin.api('PUT', '/api/company/calendars/outlook/sync', { enabled: true })).status, 200);

    // 3. Entra ID provisions a traveler (SCIM).
    const email = travelerEntry!.userPrincipalName;
    const provisioned = await call('POST', '/scim/v2/Users', scimToken.body.token, {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'],
      externalId: travelerEntry!.id, userName: email, active: true, displayName: travelerEntry!.displayName,
      emails: [{ primary: true, type: 'work', value: email }], name: { formatted: travelerEntry!.displayName }, preferredLanguage: travelerEntry!.preferredLanguage ?? 'ja-JP',
    }, 'application/scim+json');
    assert.equal(provisioned.status, 201, JSON.stringify(provisioned.body));

    // 4. The traveler sets a password through an emailed reset link, and connects their calendar.
    const traveler = new Browser(world);
    assert.equal((await traveler.api('POST', '/api/password-reset', { email })).status, 202);
    const resetMail = await until('the reset email', async () => (await emailsTo(email)).find((m) => /password|パスワード/.test(m.subject ?? '')));
    const resetUrl = new URL(/(http:\/\/\S+\/reset-password\?token=[\w%-]+)/.exec(resetMail.text ?? '')![1]!);
    const reset = await traveler.api('POST', '/api/password-links', { token: resetUrl.searchParams.get('token'), password: 'the traveler chose this' });
    assert.equal(reset.status, 200, JSON.stringify(reset.body));
    const travelerConnect = await traveler.api('POST', '/api/me/calendars/outlook/connect');
    assert.equal((await traveler.signInWithMicrosoft(travelerConnect.body.url, email)).searchParams.get('result'), 'connected');

    // 5. A booking: an itinerary email and a synced event.
    const trip = {
      bookingRef: 'SKR-1', travelerEmail: email,
      segments: [{ type: 'rail', ref: 'R1', operator: 'JR東海', trainNumber: 'のぞみ 15号', departure: { station: '東京', local: `${day(7)}T08:00`, timeZone: 'Asia/Tokyo' }, arrival: { station: '新大阪', local: `${day(7)}T10:27`, timeZone: 'Asia/Tokyo' } }],
    };
    assert.equal((await call('POST', '/api/v1/trips', apiKey.body.key, trip)).status, 201);
    await until('the itinerary email', async () => (await emailsTo(email)).find((m) => m.attachments.some((a) => a.contentType === 'text/calendar')));
    const events = await until('the synced event', async () => {
      const e = sandbox.control.mailboxEvents(travelerEntry!.id);
      return e.length === 1 && e;
    });
    assert.match(String(events[0]!.subject), /のぞみ/);
    const emailsBefore = (await emailsTo(email)).length;
    const writesBefore = sandbox.control.requestLog().filter((r) => r.mailbox === travelerEntry!.id && ['POST', 'PATCH', 'DELETE'].includes(r.method)).length;

    // 6. Entra ID deprovisions the traveler: sessions end, the calendar connection closes.
    const off = await call('PATCH', `/scim/v2/Users/${provisioned.body.id}`, scimToken.body.token, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] }, 'application/scim+json');
    assert.equal(off.status, 200);
    assert.equal((await traveler.api('GET', '/api/me')).status, 401);
    const connection = await store.db.selectFrom('calendar_connections').select(['status', 'status_reason', 'credential']).where('user_id', '=', provisioned.body.id).executeTakeFirstOrThrow();
    assert.deepEqual(connection, { status: 'disconnected', status_reason: 'deprovisioned', credential: null });

    // 7. A change to their booking: recorded, but no email and no calendar write.
    const moved = { segments: [{ ...trip.segments[0]!, departure: { ...trip.segments[0]!.departure, local: `${day(7)}T09:00` }, arrival: { ...trip.segments[0]!.arrival, local: `${day(7)}T11:27` } }] };
    const changed = await call('PUT', '/api/v1/trips/SKR-1', apiKey.body.key, moved);
    assert.equal(changed.status, 200);
    assert.equal(changed.body.changed, true);
    await queueIdle('itinerary-mail');
    await queueIdle('calendar-sync');
    assert.equal((await emailsTo(email)).length, emailsBefore, 'no itinerary email to a deprovisioned traveler');
    const writesAfter = sandbox.control.requestLog().filter((r) => r.mailbox === travelerEntry!.id && ['POST', 'PATCH', 'DELETE'].includes(r.method)).length;
    assert.equal(writesAfter, writesBefore, 'no calendar write');
    assert.equal(sandbox.control.mailboxEvents(travelerEntry!.id)[0]!.subject, events[0]!.subject, 'the event stays as it was');

    // 8. Entra ID reactivates the traveler: they log in again and get emails again. Their
    // per-user Outlook connection lost its tokens when they were deprovisioned, so the home screen
    // asks them to connect again; nothing is written until they do.
    const on = await call('PATCH', `/scim/v2/Users/${provisioned.body.id}`, scimToken.body.token, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'Replace', path: 'active', value: 'True' }] }, 'application/scim+json');
    assert.equal(on.status, 200);
    assert.equal(on.body.active, true);
    assert.equal((await traveler.api('POST', '/api/session', { email, password: 'the traveler chose this' })).status, 200);
    const calendar = await traveler.api('GET', '/api/me/calendars/outlook');
    assert.equal(calendar.body.showConnectPrompt, true, 'the connect prompt is back');
    const rebooked = { segments: [{ ...moved.segments[0]!, seat: '12C' }] };
    assert.equal((await call('PUT', '/api/v1/trips/SKR-1', apiKey.body.key, rebooked)).body.changed, true);
    await until('an itinerary email again', async () => (await emailsTo(email)).length > emailsBefore);
    await queueIdle('calendar-sync');
    assert.equal(sandbox.control.requestLog().filter((r) => r.mailbox === travelerEntry!.id && ['POST', 'PATCH', 'DELETE'].includes(r.method)).length, writesBefore, 'not connected yet: no write');

    // 9. They connect again: the calendar catches up on both changes, with the one event it had.
    const again = await traveler.api('POST', '/api/me/calendars/outlook/connect');
    assert.equal((await traveler.signInWithMicrosoft(again.body.url, email)).searchParams.get('result'), 'connected');
    const caughtUp = await until('the event at its new time', async () => {
      const e = sandbox.control.mailboxEvents(travelerEntry!.id);
      return e.length === 1 && JSON.stringify(e[0]!.start).includes('T09:00') && e;
    });
    assert.equal(caughtUp.length, 1, 'no duplicate');
    assert.equal(caughtUp[0]!.id, events[0]!.id, 'the same event, updated');
    assert.equal((await traveler.api('GET', '/api/me/calendars/outlook')).body.showConnectPrompt, false);
  });
});
