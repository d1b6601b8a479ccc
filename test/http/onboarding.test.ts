// The operator API as a platform's tooling calls it: a company onboarded with its admin, whose
// invitation link sets a password once; booking-API keys and SCIM tokens issued, used and revoked;
// travelers provisioned by the bookings that name them. On PGlite, and on PostgreSQL with TEST_DATABASE_URL.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../src/http/server.ts';
import { bookings } from '../../src/store/bookings.ts';
import { hotelLa, ORGANIZER } from '../fixtures/trips.ts';
import { freshStore, storeKinds } from '../support/stores.ts';

const OPERATOR = 'test-operator-token-0123456789abcdef';

for (const kind of storeKinds()) {
  describe(`operator API and provisioning (${kind.name})`, () => {
    let store: Awaited<ReturnType<typeof freshStore>>;
    let app: FastifyInstance;
    const access = { token: OPERATOR as string | undefined };

    before(async () => {
      store = await freshStore(kind);
      app = await buildServer({ store, bookings: bookings(store), organizer: ORGANIZER, publicUrl: 'https://tripcal.example', operator: access });
    });
    after(async () => {
      await app.close();
      await store.dispose();
    });

    const op = (method: 'GET' | 'POST' | 'DELETE' | 'PATCH', url: string, payload?: unknown, token: string | null = OPERATOR) =>
      app.inject({ method, url: `/api/operator/v1${url}`, ...(payload !== undefined ? { payload: payload as object } : {}), headers: token ? { authorization: `Bearer ${token}` } : {} });
    const book = (key: string, payload: unknown) => app.inject({ method: 'POST', url: '/api/v1/trips', payload: payload as object, headers: { authorization: `Bearer ${key}` } });
    const admin = { email: 'aiko.tanaka@fuji-travel.example', name: '田中 愛子', locale: 'ja', timeZone: 'Asia/Tokyo' };
    let companyId: string;
    let inviteUrl: string;

    test('without the operator token, or a wrong one, nothing is onboarded (401); with none configured the API is off (404)', async () => {
      assert.equal((await op('POST', '/companies', { name: 'X', admin }, null)).statusCode, 401);
      assert.equal((await op('POST', '/companies', { name: 'X', admin }, 'wrong-token-wrong-token-wrong')).statusCode, 401);
      access.token = undefined;
      assert.equal((await op('POST', '/companies', { name: 'X', admin })).statusCode, 404);
      access.token = OPERATOR;
      assert.equal((await store.db.selectFrom('organisations').select('id').execute()).length, 0);
    });

    test('onboards a company: 201 with its id, the admin and a one-use invitation link', async () => {
      const res = await op('POST', '/companies', { name: 'Fuji Travel', admin });
      assert.equal(res.statusCode, 201, res.body);
      const body = res.json();
      assert.match(body.id, /^[0-9a-f-]{36}$/);
      assert.match(body.admin.id, /^[0-9a-f-]{36}$/);
      assert.match(body.admin.inviteUrl, /^https:\/\/tripcal\.example\/invitation\?token=[\w-]{40,}$/);
      companyId = body.id;
      inviteUrl = body.admin.inviteUrl;
      // The admin cannot log in before setting a password.
      assert.equal((await app.inject({ method: 'POST', url: '/api/session', payload: { email: admin.email, password: 'anything at all' } })).statusCode, 401);
    });

    test('bad onboarding input names the field, and writes nothing', async () => {
      const before = (await store.db.selectFrom('users').select('id').execute()).length;
      const noZone = await op('POST', '/companies', { name: 'Y', admin: { ...admin, email: 'y@y.example', timeZone: 'Mars/Olympus' } });
      assert.equal(noZone.statusCode, 422);
      assert.equal(noZone.json().field, 'admin.timeZone');
      const noEmail = await op('POST', '/companies', { name: 'Y', admin: { ...admin, email: 'not an email' } });
      assert.equal(noEmail.statusCode, 400);
      assert.equal(noEmail.json().field, 'admin.email');
      const taken = await op('POST', '/companies', { name: 'Z', admin });
      assert.equal(taken.statusCode, 409);
      assert.equal(taken.json().field, 'admin.email');
      assert.equal((await store.db.selectFrom('users').select('id').execute()).length, before);
      assert.equal((await store.db.selectFrom('organisations').select('id').execute()).length, 1);
    });

    test('the invitation sets the password once and logs the admin in; used again it is refused in their language', async () => {
      const token = new URL(inviteUrl).searchParams.get('token')!;
      const info = await app.inject({ url: `/api/password-links?token=${encodeURIComponent(token)}` });
      assert.deepEqual(info.json(), { purpose: 'invitation', email: admin.email, locale: 'ja' });
      const short = await app.inject({ method: 'POST', url: '/api/password-links', payload: { token, password: 'short' }, headers: { 'accept-language': 'ja' } });
      assert.equal(short.statusCode, 400);
      assert.match(short.json().message, /10文字以上/);
      const set = await app.inject({ method: 'POST', url: '/api/password-links', payload: { token, password: 'a long enough password' } });
      assert.equal(set.statusCode, 200, set.body);
      assert.equal(set.json().user.role, 'admin');
      assert.match(String(set.headers['set-cookie']), /tripcal_session=/);
      const again = await app.inject({ method: 'POST', url: '/api/password-links', payload: { token, password: 'another long password' }, headers: { 'accept-language': 'ja' } });
      assert.equal(again.statusCode, 410);
      assert.match(again.json().message, /既に使用されています/);
      const login = await app.inject({ method: 'POST', url: '/api/session', payload: { email: admin.email, password: 'a long enough password' } });
      assert.equal(login.statusCode, 200);
    });

    test('API keys: shown once, stored hashed, several at once, last use recorded, and a revoked key is refused at once', async () => {
      const first = await op('POST', `/companies/${companyId}/api-keys`, { name: 'booking engine' });
      assert.equal(first.statusCode, 201, first.body);
      const second = await op('POST', `/companies/${companyId}/api-keys`, { name: 'booking engine (new)' });
      const { id, key } = first.json();
      assert.match(key, /^tc_/);
      const stored = await store.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      assert.notEqual(stored.key_hash, key);
      assert.ok(!JSON.stringify(stored).includes(key), 'the key itself is not stored');
      assert.equal(stored.last_used_at, null);

      const trip = { bookingRef: 'FJ-1', traveler: { email: 'ren.ito@fuji-travel.example', name: '伊藤 蓮', locale: 'ja', timeZone: 'Asia/Tokyo' }, segments: [hotelLa] };
      assert.equal((await book(key, trip)).statusCode, 201);
      assert.ok((await store.db.selectFrom('api_keys').select('last_used_at').where('id', '=', id).executeTakeFirstOrThrow()).last_used_at);
      const listing = (await op('GET', `/companies/${companyId}`)).json();
      assert.equal(listing.credentials.length, 2);
      assert.ok(!JSON.stringify(listing).includes(key));

      assert.equal((await op('DELETE', `/companies/${companyId}/api-keys/${id}`)).statusCode, 204);
      assert.equal((await app.inject({ url: '/api/v1/trips/FJ-1', headers: { authorization: `Bearer ${key}` } })).statusCode, 401);
      assert.equal((await app.inject({ url: '/api/v1/trips/FJ-1', headers: { authorization: `Bearer ${second.json().key}` } })).statusCode, 200, 'the other key keeps working');
      assert.equal((await op('DELETE', `/companies/${companyId}/api-keys/00000000-0000-4000-8000-000000000000`)).statusCode, 404);
    });

    test('SCIM tokens are issued and revoked the same way, and are no booking-API keys', async () => {
      const res = await op('POST', `/companies/${companyId}/scim-tokens`);
      assert.equal(res.statusCode, 201, res.body);
      const { id, token } = res.json();
      assert.equal((await book(token, { bookingRef: 'X', travelerEmail: admin.email, segments: [hotelLa] })).statusCode, 401);
      const scim = () => app.inject({ url: '/scim/v2/Users', headers: { authorization: `Bearer ${token}` } });
      assert.equal((await scim()).statusCode, 200);
      assert.equal((await op('DELETE', `/companies/${companyId}/scim-tokens/${id}`)).statusCode, 204);
      assert.equal((await scim()).statusCode, 401);
    });

    test('a booking naming its traveler creates them, updates them when they change, and the company can turn creation off', async () => {
      const { key } = (await op('POST', `/companies/${companyId}/api-keys`, { name: 'engine' })).json();
      const ren = await store.db.selectFrom('users').selectAll().where('email', '=', 'ren.ito@fuji-travel.example').executeTakeFirstOrThrow();
      assert.deepEqual([ren.organisation_id, ren.display_name, ren.locale, ren.time_zone, ren.role], [companyId, '伊藤 蓮', 'ja', 'Asia/Tokyo', 'traveler']);

      const moved = await book(key, { bookingRef: 'FJ-2', traveler: { email: 'Ren.Ito@fuji-travel.example', name: 'Ren Ito', locale: 'en', timeZone: 'Europe/London' }, segments: [hotelLa] });
      assert.equal(moved.statusCode, 201, moved.body);
      const after = await store.db.selectFrom('users').selectAll().where('id', '=', ren.id).executeTakeFirstOrThrow();
      assert.deepEqual([after.display_name, after.locale, after.time_zone], ['Ren Ito', 'en', 'Europe/London']);
      assert.equal((await store.db.selectFrom('users').select('id').where('organisation_id', '=', companyId).execute()).length, 2, 'no second user');

      // travelerEmail keeps working.
      assert.equal((await book(key, { bookingRef: 'FJ-3', travelerEmail: 'ren.ito@fuji-travel.example', segments: [hotelLa] })).statusCode, 201);

      const badZone = await book(key, { bookingRef: 'FJ-4', traveler: { email: 'new@fuji-travel.example', name: 'N', locale: 'en', timeZone: 'Nowhere/Else' }, segments: [hotelLa] });
      assert.equal(badZone.statusCode, 422);
      assert.equal(badZone.json().field, 'traveler.timeZone');
      const both = await book(key, { bookingRef: 'FJ-4', travelerEmail: admin.email, traveler: { email: 'new@fuji-travel.example', name: 'N', locale: 'en', timeZone: 'UTC' }, segments: [hotelLa] });
      assert.equal(both.statusCode, 422);
      const neither = await book(key, { bookingRef: 'FJ-4', segments: [hotelLa] });
      assert.equal(neither.statusCode, 422);
      assert.equal(neither.json().field, 'travelerEmail');

      const off = await op('PATCH', `/companies/${companyId}/settings`, { travelersFromBookings: false });
      assert.equal(off.json().travelersFromBookings, false);
      assert.equal(off.json().keepCancelledEvents, false, 'cancelled bookings are removed from calendars by default');
      const keep = await op('PATCH', `/companies/${companyId}/settings`, { keepCancelledEvents: true });
      assert.deepEqual(keep.json(), { travelersFromBookings: false, removeEventsOnDeprovision: false, keepCancelledEvents: true });
      const badKeep = await op('PATCH', `/companies/${companyId}/settings`, { keepCancelledEvents: 'sometimes' });
      assert.deepEqual([badKeep.statusCode, badKeep.json().field], [400, 'keepCancelledEvents']);
      const refused = await book(key, { bookingRef: 'FJ-5', traveler: { email: 'new@fuji-travel.example', name: 'N', locale: 'en', timeZone: 'UTC' }, segments: [hotelLa] });
      assert.equal(refused.statusCode, 422);
      assert.equal(refused.json().field, 'traveler.email');
      assert.equal(await store.db.selectFrom('users').select('id').where('email', '=', 'new@fuji-travel.example').executeTakeFirst(), undefined);
    });

    test("another company's user cannot be named as a traveler", async () => {
      const other = (await op('POST', '/companies', { name: 'Other', admin: { ...admin, email: 'boss@other.example' } })).json();
      const { key } = (await op('POST', `/companies/${other.id}/api-keys`, {})).json();
      const res = await book(key, { bookingRef: 'O-1', traveler: { email: 'ren.ito@fuji-travel.example', name: 'Ren', locale: 'en', timeZone: 'UTC' }, segments: [hotelLa] });
      assert.equal(res.statusCode, 422);
      assert.equal(res.json().field, 'traveler.email');
    });

    test('`tripcal operator` calls the same API for people', async () => {
      await app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = app.server.address() as { port: number };
      const env = { ...process.env, TRIPCAL_URL: `http://127.0.0.1:${port}`, OPERATOR_TOKEN: OPERATOR };
      const run = (...args: string[]) => promisify(execFile)(process.execPath, ['src/cli.ts', 'operator', ...args], { env }).catch((e: { code: number; stdout: string; stderr: string }) => e);
      const created = await run('companies', 'create', '--name', 'CLI Co', '--admin-email', 'cli@cli.example', '--admin-name', 'Cli Admin', '--locale', 'en', '--time-zone', 'Europe/Paris');
      const company = JSON.parse(created.stdout);
      assert.match(company.admin.inviteUrl, /\/invitation\?token=/);
      const key = JSON.parse((await run('api-keys', 'create', company.id, '--name', 'engine')).stdout);
      assert.match(key.key, /^tc_/);
      assert.match((await run('api-keys', 'revoke', company.id, key.id)).stdout, /204/);
      const missing = await run('companies', 'create', '--name', 'X');
      assert.equal((missing as { code: number }).code, 2);
      assert.match(missing.stderr, /--admin-email: is required/);
    });

    test('the operator API is in /openapi.json', async () => {
      const doc = (await app.inject({ url: '/openapi.json' })).json();
      assert.ok(doc.paths['/api/operator/v1/companies'].post);
      assert.ok(doc.paths['/api/operator/v1/companies/{id}/api-keys/{keyId}'].delete);
      assert.ok(doc.paths['/api/operator/v1/companies/{id}/scim-tokens'].post);
      const settings = doc.paths['/api/operator/v1/companies/{id}/settings'].patch.requestBody.content['application/json'].schema;
      assert.equal(settings.properties.keepCancelledEvents.type, 'boolean');
      assert.equal(doc.components.securitySchemes.operatorToken.scheme, 'bearer');
    });
  });
}
