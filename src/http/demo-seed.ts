// Seeds the demo companies into an empty database through the product's own front doors, as a
// platform would: the operator API onboards each company and issues its booking-API key and SCIM
// token, the invitation link sets the admin's password, the booking API's trips name their
// travelers in full (which provisions them), and SCIM provisions the traveler who has no trip.
// The demo's documented key and password are the only things set beside those paths.
import { DateTime } from 'luxon';
import type { FastifyInstance } from 'fastify';
import type { Store } from '../store/database.ts';
import { issueApiKey } from '../store/organisations.ts';
import { issuePasswordLink } from '../store/password-links.ts';
import { databaseIsEmpty, DEMO_API_KEY, DEMO_ORGANISATION, DEMO_PASSWORD, DEMO_USERS, demoTrips, OTHER_DEMO_ORGANISATION, OTHER_DEMO_USERS } from '../store/seed-demo.ts';
import { findActiveUserByEmail } from '../store/users.ts';

async function call<T>(app: FastifyInstance, method: 'POST' | 'DELETE', url: string, token: string | undefined, body?: unknown, contentType = 'application/json'): Promise<T> {
  const res = await app.inject({ method, url, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': contentType } : {}) }, ...(body !== undefined ? { payload: JSON.stringify(body) } : {}) });
  if (res.statusCode >= 300) throw new Error(`demo seed: ${method} ${url} answered ${res.statusCode}: ${res.body}`);
  return (res.body ? res.json() : undefined) as T;
}

/** Sets a demo user's password through a one-use link, as the invitation or a reset would. */
async function setPassword(app: FastifyInstance, token: string): Promise<void> {
  const res = await app.inject({ method: 'POST', url: '/api/password-links', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ token, password: DEMO_PASSWORD }) });
  if (res.statusCode !== 200) throw new Error(`demo seed: setting a password answered ${res.statusCode}: ${res.body}`);
  // The session it opened is not anyone's browser's.
  const cookie = String(res.headers['set-cookie'] ?? '').split(';')[0];
  await app.inject({ method: 'DELETE', url: '/api/session', headers: { cookie } });
}

const inviteToken = (inviteUrl: string) => new URL(inviteUrl).searchParams.get('token')!;

/** Seeds the demo when the database holds no company. Returns whether it did. */
export async function seedDemoThroughApi(app: FastifyInstance, store: Store, operatorToken: string, now: Date = new Date()): Promise<boolean> {
  if (!(await databaseIsEmpty(store))) return false;
  const op = (path: string, body?: unknown) => call<any>(app, 'POST', `/api/operator/v1${path}`, operatorToken, body);
  const [hanako, ...sakuraTravelers] = DEMO_USERS;
  const sakura = await op('/companies', { name: DEMO_ORGANISATION.name, admin: { email: hanako.email, name: hanako.displayName, locale: hanako.locale, timeZone: hanako.timeZone } });
  await setPassword(app, inviteToken(sakura.admin.inviteUrl));
  const { key } = await op(`/companies/${sakura.id}/api-keys`, { name: 'demo booking engine' });
  const today = DateTime.fromJSDate(now, { zone: 'Asia/Tokyo' }).startOf('day');
  for (const trip of demoTrips(today)) await call(app, 'POST', '/api/v1/trips', key, trip);
  // The key the README documents, beside the one issued above.
  await issueApiKey(store.db, sakura.id, DEMO_API_KEY);

  const [mapleAdmin, ...mapleTravelers] = OTHER_DEMO_USERS;
  const maple = await op('/companies', { name: OTHER_DEMO_ORGANISATION.name, admin: { email: mapleAdmin.email, name: mapleAdmin.displayName, locale: mapleAdmin.locale, timeZone: mapleAdmin.timeZone } });
  await setPassword(app, inviteToken(maple.admin.inviteUrl));
  const { token: scim } = await op(`/companies/${maple.id}/scim-tokens`, { name: 'demo identity provider' });
  for (const u of mapleTravelers) {
    await call(app, 'POST', '/scim/v2/Users', scim, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: u.email, displayName: u.displayName, preferredLanguage: u.locale, timezone: u.timeZone, active: true }, 'application/scim+json');
  }

  // Every demo traveler's password is the documented one.
  for (const u of [...sakuraTravelers, ...mapleTravelers]) {
    const user = await findActiveUserByEmail(store.db, u.email);
    if (user) await setPassword(app, await issuePasswordLink(store.db, user.id, 'reset', now));
  }
  return true;
}
