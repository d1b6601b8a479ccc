// What the server logs about a request never holds a credential: no Authorization header, no
// session cookie, no OAuth code or state from a callback's query string.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../src/http/server.ts';
import { bookings } from '../../src/store/bookings.ts';
import { freshStore, storeKinds } from '../support/stores.ts';

let store: Awaited<ReturnType<typeof freshStore>>;
let app: FastifyInstance;
let logged = '';

before(async () => {
  store = await freshStore(storeKinds()[0]);
  const stream = new PassThrough();
  stream.on('data', (d) => (logged += d));
  app = await buildServer({ store, bookings: bookings(store), organizer: { name: 'tripcal', email: 'itinerary@tripcal.example' }, publicUrl: 'http://localhost:3000', logger: true, logStream: stream });
});
after(async () => {
  await app.close();
  await store.dispose();
});

test('request logs hold no Authorization header, cookie, OAuth code or state', async () => {
  await app.inject({ method: 'GET', url: '/api/v1/trips/X', headers: { authorization: 'Bearer tc_SECRET_API_KEY' } });
  await app.inject({ method: 'GET', url: '/oauth/outlook/callback?code=SECRET_AUTH_CODE&state=SECRET_STATE', headers: { cookie: 'tripcal_session=SECRET_SESSION' } });
  await app.inject({ method: 'POST', url: '/api/session', payload: { email: 'a@b.example', password: 'SECRET_PASSWORD' } });
  assert.match(logged, /\/oauth\/outlook\/callback\?code=\[redacted\]&state=\[redacted\]/, 'the request is logged, redacted');
  for (const secret of ['SECRET_API_KEY', 'SECRET_AUTH_CODE', 'SECRET_STATE', 'SECRET_SESSION', 'SECRET_PASSWORD']) {
    assert.ok(!logged.includes(secret), `${secret} must not be logged: ${logged.split('\n').filter((l) => l.includes(secret)).join('\n')}`);
  }
});
