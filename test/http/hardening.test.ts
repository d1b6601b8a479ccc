// What an attacker tries at the log-in and the web API, each refused: a password guessed at quickly (429 with Retry-After, in
// the user's language, across two API processes on one database), cross-site state-changing
// requests (403), the headers of @fastify/helmet, development pages behind an admin's session and
// never in production, a new session id on every log-in, and log-out ending the session.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { LOGIN_LIMITS } from '../../src/http/app-routes.ts';
import { buildServer } from '../../src/http/server.ts';
import { bookings } from '../../src/store/bookings.ts';
import { openStore } from '../../src/store/database.ts';
import { createOrganisation, createUser } from '../../src/store/organisations.ts';
import { hashPassword } from '../../src/store/sessions.ts';
import { ORGANIZER } from '../fixtures/trips.ts';
import { freshStore, storeKinds } from '../support/stores.ts';

const PASSWORD = 'correct horse battery staple';
const PUBLIC_URL = 'http://localhost:3000';
/** The account's limit as deployed; the address's lowered so the test tries fewer accounts. */
const LIMITS = { perAccount: LOGIN_LIMITS.perAccount, perAddress: { max: 30, windowMs: LOGIN_LIMITS.perAddress.windowMs } };

for (const kind of storeKinds()) {
  describe(`hardening (${kind.name})`, () => {
    let store: Awaited<ReturnType<typeof freshStore>>;
    /** Two API processes' servers on one database (on PGlite, both in this process). */
    let apps: FastifyInstance[];
    let second: Awaited<ReturnType<typeof openStore>> | undefined;
    let outbox: string;

    before(async () => {
      const created = await kind.create();
      const opened = await openStore(created.options);
      store = Object.assign(opened, { dispose: async () => { await opened.close(); await created.drop(); } });
      const org = await createOrganisation(store.db, 'Sakura Trading');
      const passwordHash = await hashPassword(PASSWORD);
      await createUser(store.db, org.id, { email: 'hanako@sakura.example', displayName: '佐藤 花子', role: 'admin', locale: 'ja', timeZone: 'Asia/Tokyo', passwordHash });
      await createUser(store.db, org.id, { email: 'taro@sakura.example', displayName: '山田 太郎', role: 'traveler', locale: 'ja', timeZone: 'Asia/Tokyo', passwordHash });
      outbox = mkdtempSync(path.join(tmpdir(), 'tripcal-outbox-'));
      // The second process has its own connections to the same database.
      second = kind.name === 'postgres' ? await openStore(created.options) : undefined;
      apps = [
        await buildServer({ store, bookings: bookings(store), organizer: ORGANIZER, publicUrl: PUBLIC_URL, loginLimits: LIMITS, dev: { outboxDir: outbox, bookingApiKey: 'tc_none' } }),
        await buildServer({ store: second ?? store, bookings: bookings(second ?? store), organizer: ORGANIZER, publicUrl: PUBLIC_URL, loginLimits: LIMITS }),
      ];
    });
    after(async () => {
      for (const app of apps) await app.close();
      await second?.close();
      await store.dispose();
      rmSync(outbox, { recursive: true, force: true });
    });

    const logIn = (app: FastifyInstance, email: string, password: string, headers: Record<string, string> = {}, ip = '192.0.2.1') =>
      app.inject({ method: 'POST', url: '/api/session', payload: { email, password }, headers, remoteAddress: ip });

    test('25 wrong passwords in a row, spread over two API processes: the account is throttled (429, Retry-After, ja/en) and the right password then waits too', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 25; i++) statuses.push((await logIn(apps[i % 2]!, 'taro@sakura.example', `guess ${i}`, { 'accept-language': 'ja' })).statusCode);
      const allowed = LOGIN_LIMITS.perAccount.max;
      assert.deepEqual(statuses.slice(0, allowed), Array(allowed).fill(401));
      assert.deepEqual(statuses.slice(allowed), Array(25 - allowed).fill(429), 'counted across both processes');
      const right = await logIn(apps[0]!, 'taro@sakura.example', PASSWORD, { 'accept-language': 'ja' });
      assert.equal(right.statusCode, 429, 'the 26th, right, does not get in');
      const retryAfter = Number(right.headers['retry-after']);
      assert.ok(retryAfter > 0 && retryAfter <= LOGIN_LIMITS.perAccount.windowMs / 1000, String(right.headers['retry-after']));
      assert.match(right.json().message, /ログインの試行が多すぎます/);
      const en = await logIn(apps[1]!, 'Taro@Sakura.example', PASSWORD, { 'accept-language': 'en' });
      assert.equal(en.statusCode, 429, 'the email in another case is the same account');
      assert.match(en.json().message, /Too many log-in attempts/);
      // Another account is not affected.
      assert.equal((await logIn(apps[0]!, 'hanako@sakura.example', PASSWORD, {}, '192.0.2.2')).statusCode, 200);
    });

    test('one client address trying many accounts is throttled too', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < LIMITS.perAddress.max + 2; i++) statuses.push((await logIn(apps[i % 2]!, `nobody${i}@example.com`, 'x', {}, '198.51.100.7')).statusCode);
      assert.deepEqual(statuses.slice(-2), [429, 429]);
      assert.ok(statuses.slice(0, LIMITS.perAddress.max).every((s) => s === 401));
    });

    test('a new session id on every log-in; the earlier one ends; log-out ends the session everywhere', async () => {
      const first = await logIn(apps[0]!, 'hanako@sakura.example', PASSWORD, {}, '192.0.2.3');
      const token1 = /tripcal_session=([^;]+)/.exec(String(first.headers['set-cookie']))![1]!;
      const second = await logIn(apps[0]!, 'hanako@sakura.example', PASSWORD, { cookie: `tripcal_session=${token1}` }, '192.0.2.3');
      const token2 = /tripcal_session=([^;]+)/.exec(String(second.headers['set-cookie']))![1]!;
      assert.notEqual(token1, token2);
      const me = (app: FastifyInstance, token: string) => app.inject({ url: '/api/me', headers: { cookie: `tripcal_session=${token}` } });
      assert.equal((await me(apps[0]!, token1)).statusCode, 401, 'the id held before the log-in is worth nothing after it');
      assert.equal((await me(apps[1]!, token2)).statusCode, 200);
      assert.equal((await apps[0]!.inject({ method: 'DELETE', url: '/api/session', headers: { cookie: `tripcal_session=${token2}` } })).statusCode, 204);
      assert.equal((await me(apps[1]!, token2)).statusCode, 401, 'ended in the database, which every process reads');
    });

    test('a cookie-authenticated state-changing request from another site is refused (403); from the app itself it is not', async () => {
      const login = await logIn(apps[0]!, 'hanako@sakura.example', PASSWORD, {}, '192.0.2.4');
      const cookie = String(login.headers['set-cookie']).split(';')[0]!;
      const put = (headers: Record<string, string>) => apps[0]!.inject({ method: 'PUT', url: '/api/me', payload: { locale: 'en' }, headers: { cookie, ...headers } });
      const evil = await put({ origin: 'https://evil.example', 'accept-language': 'ja' });
      assert.equal(evil.statusCode, 403);
      assert.match(evil.json().message, /別のサイト/);
      assert.equal((await put({ 'sec-fetch-site': 'cross-site' })).statusCode, 403);
      assert.equal((await put({ 'sec-fetch-site': 'same-site' })).statusCode, 403);
      const bodiless = await apps[0]!.inject({ method: 'POST', url: '/api/company/calendars/outlook/grant-link', headers: { cookie, origin: 'https://evil.example' } });
      assert.equal(bodiless.statusCode, 403);
      assert.equal((await put({ origin: 'null' })).statusCode, 403);
      assert.equal((await put({ origin: PUBLIC_URL, 'sec-fetch-site': 'same-origin' })).statusCode, 200);
      assert.equal((await put({ 'sec-fetch-site': 'same-origin' })).statusCode, 200);
      // A cross-site log-in (log-in CSRF) is refused too.
      assert.equal((await logIn(apps[0]!, 'hanako@sakura.example', PASSWORD, { origin: 'https://evil.example' }, '192.0.2.4')).statusCode, 403);
      // The booking API takes no cookie: a server-to-server call with any Origin is not concerned.
      assert.equal((await apps[0]!.inject({ method: 'POST', url: '/api/v1/trips', payload: {}, headers: { origin: 'https://evil.example' } })).statusCode, 401);
    });

    test("headers: nosniff, no framing, a Content Security Policy", async () => {
      const res = await apps[0]!.inject({ url: '/healthz' });
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
      assert.equal(res.headers['x-frame-options'], 'DENY');
      const csp = String(res.headers['content-security-policy']);
      assert.match(csp, /default-src 'self'/);
      assert.match(csp, /script-src 'self'/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.doesNotMatch(csp, /unsafe-eval/);
    });

    test("development pages need an admin's session, and are never on in production", async () => {
      assert.equal((await apps[0]!.inject({ url: '/dev/api/outbox' })).statusCode, 401);
      const traveler = await logIn(apps[0]!, 'taro@sakura.example', PASSWORD, {}, '192.0.2.5');
      assert.equal(traveler.statusCode, 429, 'still throttled from the first test');
      const admin = await logIn(apps[0]!, 'hanako@sakura.example', PASSWORD, {}, '192.0.2.5');
      const cookie = String(admin.headers['set-cookie']).split(';')[0]!;
      assert.equal((await apps[0]!.inject({ url: '/dev/api/outbox', headers: { cookie } })).statusCode, 200);
      assert.equal((await apps[0]!.inject({ url: '/dev/api/info' })).json().demo, false, 'the log-in page prints no demo password outside the demo');
      const production = await buildServer({ store, bookings: bookings(store), organizer: ORGANIZER, publicUrl: PUBLIC_URL, production: true, dev: { outboxDir: outbox, bookingApiKey: 'tc_none' } });
      try {
        assert.equal((await production.inject({ url: '/dev/api/info' })).statusCode, 404);
        assert.equal((await production.inject({ url: '/dev/api/outbox', headers: { cookie } })).statusCode, 404);
      } finally {
        await production.close();
      }
    });
  });
}
