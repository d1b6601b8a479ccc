// The Outlook integration refuses what it must: forged or replayed OAuth states, a callback meant
// for another session or company, another company's admin, a traveler reaching past their own
// data; and it keeps tokens out of the database's plain text.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connectTraveler, setUpCompany, startWorld, type Browser, type World } from '../support/outlook-world.ts';

describe('Outlook integration security', () => {
  let world: World;
  let sakuraAdmin: Browser;

  before(async () => {
    world = await startWorld();
    sakuraAdmin = await setUpCompany(world, world.sakura, 'it-admin@sakura-trading.example');
  });
  after(() => world?.close());

  const connections = async () => world.store.db.selectFrom('calendar_connections').select(['user_id', 'account_name as username', 'status']).execute();

  test('a forged state is refused and connects nothing', async () => {
    const traveler = world.browser();
    await traveler.logIn(world.sakura.travelers[0].email);
    const before = await connections();
    const landed = await traveler.follow(new URL(`${world.baseUrl}/oauth/outlook/callback?code=forged-code&state=forged-state`));
    assert.equal(landed.searchParams.get('result'), 'error');
    assert.equal(landed.searchParams.get('code'), 'state_invalid');
    assert.deepEqual(await connections(), before);
  });

  test('a replayed callback (same code and state) is refused', async () => {
    const traveler = world.browser();
    await traveler.logIn(world.sakura.travelers[0].email);
    const connect = await traveler.api('POST', '/api/me/calendars/outlook/connect');
    const callback = await traveler.microsoftRedirect(connect.body.url, world.sakura.travelers[0].email);
    assert.equal((await traveler.follow(callback)).searchParams.get('result'), 'connected');
    const replay = await traveler.follow(callback);
    assert.equal(replay.searchParams.get('result'), 'error');
    assert.equal(replay.searchParams.get('code'), 'state_used');
  });

  test("a callback carried into another person's session is refused: the state is bound to the session that started it", async () => {
    const emily = world.browser();
    await emily.logIn(world.sakura.travelers[1].email);
    const connect = await emily.api('POST', '/api/me/calendars/outlook/connect');
    const callback = await emily.microsoftRedirect(connect.body.url, world.sakura.travelers[1].email);
    // An attacker (another company's admin, logged in to the OBT) tries to finish Emily's sign-in as themselves.
    const mallory = world.browser();
    await mallory.logIn(world.maple.admin.email);
    const landed = await mallory.follow(callback);
    assert.equal(landed.searchParams.get('result'), 'error');
    assert.equal(landed.searchParams.get('code'), 'state_wrong_session');
    const rows = await connections();
    assert.ok(!rows.some((r) => r.user_id === world.maple.admin.id), 'nothing connected to the attacker');
    // Emily, in her own session, still finishes her sign-in.
    assert.equal((await emily.follow(callback)).searchParams.get('result'), 'connected');
  });

  test("an admin-consent callback cannot be steered to another company, and a forged one changes nothing", async () => {
    const mapleAdmin = world.browser();
    await mapleAdmin.logIn(world.maple.admin.email);
    const forged = await fetch(`${world.baseUrl}/oauth/outlook/consent-callback?admin_consent=True&tenant=${world.maple.tenantId}&state=forged`);
    assert.equal(forged.status, 400);
    const sakura = await sakuraAdmin.api('GET', '/api/company/calendars/outlook');
    assert.equal(sakura.body.grant.organization, world.sakura.tenantId, "Sakura's consent is untouched");
    const maple = await mapleAdmin.api('GET', '/api/company/calendars/outlook');
    assert.equal(maple.body.grant.status, 'none');
  });

  test('an admin cannot connect the company while Microsoft has no consent: the refusal is shown and nothing is recorded', async () => {
    const mapleAdmin = world.browser();
    await mapleAdmin.logIn(world.maple.admin.email);
    const connect = await mapleAdmin.api('POST', '/api/company/calendars/outlook/connect');
    assert.equal(connect.status, 200);
    const landed = await mapleAdmin.signInWithMicrosoft(connect.body.url, world.maple.admin.email).catch((e: Error) => e);
    // Microsoft (the sandbox) either shows its "needs admin approval" page or redirects with an error.
    if (landed instanceof URL) assert.equal(landed.searchParams.get('result'), 'error');
    const status = await mapleAdmin.api('GET', '/api/company/calendars/outlook');
    assert.equal(status.body.grant.status, 'none');
    assert.equal(status.body.connectedBy, undefined);
  });

  test("another company's admin sees only their own company; a traveler sees no company settings", async () => {
    const mapleAdmin = world.browser();
    await mapleAdmin.logIn(world.maple.admin.email);
    const maple = await mapleAdmin.api('GET', '/api/company/calendars/outlook');
    assert.equal(maple.status, 200);
    const emails = maple.body.travelers.map((t: { email: string }) => t.email);
    assert.ok(emails.every((e: string) => e.endsWith('@maple-logistics.example')), JSON.stringify(emails));
    assert.equal(maple.body.syncEnabled, false);

    const traveler = world.browser();
    await traveler.logIn(world.sakura.travelers[0].email);
    for (const [method, route] of [['GET', '/api/company/calendars/outlook'], ['POST', '/api/company/calendars/outlook/grant-link'], ['PUT', '/api/company/calendars/outlook/sync']] as const) {
      const res = await traveler.api(method, route, method === 'PUT' ? { enabled: false } : undefined);
      assert.equal(res.status, 403, `${method} ${route}`);
    }
  });

  test("a traveler cannot read another traveler's trips or calendar status", async () => {
    await world.bookings.create(world.sakura.id, {
      bookingRef: 'EMILY-1', travelerEmail: world.sakura.travelers[1].email,
      segments: [{ type: 'hotel', ref: 'H1', property: 'Hotel Gajoen Tokyo', checkIn: { date: '2026-12-10' }, checkOut: { date: '2026-12-12' }, timeZone: 'Asia/Tokyo' }],
    });
    const emilyTrip = await world.store.db.selectFrom('trips').select('id').where('booking_ref', '=', 'EMILY-1').executeTakeFirstOrThrow();
    const taro = world.browser();
    await taro.logIn(world.sakura.travelers[0].email);
    assert.equal((await taro.api('GET', `/api/trips/${emilyTrip.id}`)).status, 404);
    assert.equal((await taro.api('GET', `/api/trips/${emilyTrip.id}/itinerary.ics`)).status, 404);
    const trips = await taro.api('GET', '/api/trips');
    assert.ok(!trips.body.trips.some((t: { bookingRef: string }) => t.bookingRef === 'EMILY-1'));
    // The only Outlook status a traveler can read is their own.
    const mine = await taro.api('GET', '/api/me/calendars/outlook');
    assert.notEqual(mine.body.username, world.sakura.travelers[1].email);
    // Not logged in: nothing.
    assert.equal((await world.browser().api('GET', '/api/me/calendars/outlook')).status, 401);
  });

  test('tokens are stored encrypted: the database holds no refresh or access token in plain text', async () => {
    await connectTraveler(world, world.sakura.travelers[0].email);
    const rows = await world.store.db.selectFrom('calendar_connections').select(['user_id', 'credential as token_cache']).where('status', '=', 'connected').execute();
    assert.ok(rows.length >= 2);
    for (const row of rows) {
      assert.ok(row.token_cache?.startsWith('v1.'));
      const plain = world.box.open(row.token_cache!, `outlook-token-cache:${row.user_id}`);
      // The tokens themselves, read from the decrypted MSAL cache, appear nowhere in the stored text.
      const cache = JSON.parse(plain) as Record<string, Record<string, { secret: string }>>;
      const secrets = [...Object.values(cache.RefreshToken ?? {}), ...Object.values(cache.AccessToken ?? {})].map((t) => t.secret);
      assert.ok(secrets.length >= 2, 'the sealed cache does hold a refresh and an access token');
      for (const secret of secrets) assert.ok(!row.token_cache!.includes(secret) && !row.token_cache!.includes(secret.slice(0, 24)));
      assert.ok(!row.token_cache!.includes('RefreshToken'));
      // Sealed for one user, it cannot be passed off as another's.
      assert.throws(() => world.box.open(row.token_cache!, 'outlook-token-cache:someone-else'));
    }
  });

  test('the access token kept for other workers is sealed too, for its own user only', async () => {
    await connectTraveler(world, world.sakura.travelers[1].email);
    // Writing the traveler's booking to Outlook gets an access token, stored for every worker.
    await world.bookings.create(world.sakura.id, {
      bookingRef: 'EMILY-2', travelerEmail: world.sakura.travelers[1].email,
      segments: [{ type: 'hotel', ref: 'H1', property: 'Hotel Gajoen Tokyo', checkIn: { date: '2026-12-14' }, checkOut: { date: '2026-12-15' }, timeZone: 'Asia/Tokyo' }],
    });
    await world.syncIdle();
    const rows = await world.store.db.selectFrom('calendar_connections').select(['user_id', 'access_token']).where('status', '=', 'connected').execute();
    const stored = rows.filter((r) => r.access_token !== null);
    assert.ok(stored.length >= 1, 'a reconciled connection has its access token stored');
    for (const row of stored) {
      assert.ok(row.access_token!.startsWith('v1.'));
      const { token, expiresAt } = JSON.parse(world.box.open(row.access_token!, `outlook-access-token:${row.user_id}`)) as { token: string; expiresAt: number };
      assert.ok(token.length > 100 && expiresAt > world.now().getTime());
      assert.ok(!row.access_token!.includes(token) && !row.access_token!.includes(token.slice(0, 24)));
      assert.throws(() => world.box.open(row.access_token!, 'outlook-access-token:someone-else'));
      assert.throws(() => world.box.open(row.access_token!, `outlook-token-cache:${row.user_id}`), 'not interchangeable with the token cache');
    }
  });

  test('every redirect URI the product sends is exactly one registered for the app: the sign-in link, its code redemption and the consent link', async () => {
    const email = world.sakura.travelers[0].email;
    const traveler = world.browser();
    await traveler.logIn(email);
    world.sandbox.control.clearRequestLog();
    const connect = await traveler.api('POST', '/api/me/calendars/outlook/connect');
    const callback = `${world.baseUrl}/oauth/outlook/callback`;
    assert.equal(new URL(connect.body.url).searchParams.get('redirect_uri'), callback);
    assert.equal((await traveler.signInWithMicrosoft(connect.body.url, email)).searchParams.get('result'), 'connected');
    const redemption = world.sandbox.control.requestLog().find((r) => r.path.includes('/oauth2/v2.0/token') && (r.body as { grant_type?: string }).grant_type === 'authorization_code');
    assert.equal((redemption?.body as { redirect_uri?: string }).redirect_uri, callback);
    const link = await sakuraAdmin.api('POST', '/api/company/calendars/outlook/grant-link');
    assert.equal(new URL(link.body.url).searchParams.get('redirect_uri'), `${world.baseUrl}/oauth/outlook/consent-callback`);
    // The sandbox matches by exact path (only the localhost port is free): both are registered as such.
    const registered = world.sandbox.app.redirectUris.map((u) => new URL(u)).filter((u) => u.hostname === 'localhost').map((u) => u.pathname);
    assert.deepEqual(registered.sort(), ['/oauth/outlook/callback', '/oauth/outlook/consent-callback', '/oauth/outlook/sign-in-callback']);
  });
});
