// Behind a load balancer (TRUST_PROXY): the per-address log-in limit and the cross-site check see
// the client's address and scheme from X-Forwarded-For / X-Forwarded-Proto / X-Forwarded-Host.
// Without the setting those headers are ignored: anyone could otherwise write themselves a fresh
// address per attempt.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { LOGIN_LIMITS } from '../../src/http/app-routes.ts';
import { buildServer } from '../../src/http/server.ts';
import { bookings } from '../../src/store/bookings.ts';
import { createOrganisation, createUser } from '../../src/store/organisations.ts';
import { hashPassword } from '../../src/store/sessions.ts';
import { ORGANIZER } from '../fixtures/trips.ts';
import { freshStore, storeKinds } from '../support/stores.ts';

const PROXY = '10.0.0.5';
const LIMITS = { perAccount: LOGIN_LIMITS.perAccount, perAddress: { max: 3, windowMs: LOGIN_LIMITS.perAddress.windowMs } };

for (const kind of storeKinds()) {
  describe(`trustProxy (${kind.name})`, () => {
    let store: Awaited<ReturnType<typeof freshStore>>;
    let behindProxy: FastifyInstance;
    let direct: FastifyInstance;

    before(async () => {
      store = await freshStore(kind);
      const org = await createOrganisation(store.db, 'Sakura Trading');
      await createUser(store.db, org.id, { email: 'hanako@sakura.example', displayName: '佐藤 花子', role: 'admin', locale: 'ja', timeZone: 'Asia/Tokyo', passwordHash: await hashPassword('correct horse battery staple') });
      // Both servers count on the same database; the address keys differ only by what each trusts.
      behindProxy = await buildServer({ store, bookings: bookings(store), organizer: ORGANIZER, publicUrl: 'https://travel.example', loginLimits: LIMITS, trustProxy: true });
      direct = await buildServer({ store, bookings: bookings(store), organizer: ORGANIZER, publicUrl: 'https://travel.example', loginLimits: LIMITS });
    });
    after(async () => {
      await behindProxy.close();
      await direct.close();
      await store.dispose();
    });

    /** A wrong log-in for a new account each time (so only the address's limit can apply). */
    let n = 0;
    const attempt = (app: FastifyInstance, clientAddress: string) =>
      app.inject({ method: 'POST', url: '/api/session', remoteAddress: PROXY, headers: { 'x-forwarded-for': clientAddress }, payload: { email: `nobody${n++}@example.com`, password: 'x' } });

    test('with TRUST_PROXY on, two clients behind the proxy are limited separately', async () => {
      const a: number[] = [];
      for (let i = 0; i < LIMITS.perAddress.max + 1; i++) a.push((await attempt(behindProxy, '203.0.113.10')).statusCode);
      assert.deepEqual(a, [401, 401, 401, 429], 'the first client reaches its limit');
      assert.equal((await attempt(behindProxy, '203.0.113.20')).statusCode, 401, 'the second client, behind the same proxy, still may try');
      assert.equal((await attempt(behindProxy, '203.0.113.10')).statusCode, 429);
    });

    test('with it off, X-Forwarded-For is ignored: every client behind the proxy is the proxy', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < LIMITS.perAddress.max; i++) statuses.push((await attempt(direct, `198.51.100.${i + 1}`)).statusCode);
      assert.deepEqual(statuses, [401, 401, 401]);
      assert.equal((await attempt(direct, '198.51.100.99')).statusCode, 429, 'a fresh forwarded address buys nothing');
      const ip = await direct.inject({ method: 'POST', url: '/api/session', remoteAddress: PROXY, headers: { 'x-forwarded-for': '192.0.2.77' }, payload: { email: 'someone@example.com', password: 'x' } });
      assert.equal(ip.statusCode, 429);
    });

    test('the cross-site check takes the scheme and host the proxy forwards only when trusted', async () => {
      // The browser reached https://book.travel.example (a second name the proxy serves); the
      // server itself is reached over plain http on an internal address.
      const headers = { origin: 'https://book.travel.example', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'book.travel.example', 'accept-language': 'en' };
      const put = (app: FastifyInstance) => app.inject({ method: 'DELETE', url: '/api/session', remoteAddress: PROXY, headers });
      assert.equal((await put(behindProxy)).statusCode, 204, 'same origin as the proxy says the browser sees it');
      const refused = await put(direct);
      assert.equal(refused.statusCode, 403, 'untrusted: the forwarded scheme and host are not believed');
      assert.equal(refused.json().error, 'cross_site_request');
    });
  });
}
