// Sign in with Microsoft, end to end: the product's routes drive the real MSAL Node against the
// sandbox's Entra ID (authorization code + PKCE, nonce, id token), and a "browser" holding its own
// cookies signs in on the sandbox's page. A user is matched by tenant and object id: the first
// sign-in links them (the tenant must be the one their company proved), afterwards only the ids
// count; an email claim alone never signs anyone in.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { firstForm, postForm } from '../../sandbox/test/helpers.ts';
import { MAPLE_LOGISTICS } from '../../sandbox/seed.ts';
import { calendarProviders } from '../../src/calendars/registry.ts';
import { buildServer } from '../../src/http/server.ts';
import { onboardCompany } from '../../src/store/organisations.ts';
import { peekPasswordLink } from '../../src/store/password-links.ts';
import { setActive } from '../../src/store/users.ts';
import { userIdentities } from '../../src/store/sign-in.ts';
import { objectId, setUpCompany, startWorld, type World } from '../support/outlook-world.ts';

const TARO = 'taro.yamada@sakura-trading.example';
const EMILY = 'emily.clark@sakura-trading.example';
/** A user of the Maple tenant whose mail attribute (the id token's `email`) is Taro's address. */
const MALLORY = { id: 'b2f6d1e3-4c5a-4b7f-9d0e-1a2b3c4d5e03', userPrincipalName: 'mallory@maple-logistics.example', displayName: 'Mallory', givenName: 'Mallory', surname: 'M', isAdmin: false, preferredLanguage: 'en-US', mail: TARO };
/** Another tenant, proven by no company, whose user also claims Taro's address. */
const CONTOSO = {
  id: '0e6b3c1d-8a4f-4d2e-9b7c-5a1f2e3d4c55', displayName: 'Contoso Phish', domain: 'contoso-phish.example',
  users: [{ id: '0e6b3c1d-8a4f-4d2e-9b7c-5a1f2e3d4c01', userPrincipalName: 'eve@contoso-phish.example', displayName: 'Eve', givenName: 'Eve', surname: 'E', isAdmin: true, mail: TARO }],
};

/** A company onboarded by the operator whose admin has an invitation and nothing else yet. */
const KAEDE = {
  id: '5b2e7d41-9c3a-4f6e-8d1b-3a7c9e2f4d10', displayName: 'Kaede Travel', domain: 'kaede.example',
  users: [{ id: '5b2e7d41-9c3a-4f6e-8d1b-3a7c9e2f4d01', userPrincipalName: 'ichiro@kaede.example', displayName: '楓 一郎', givenName: '一郎', surname: '楓', isAdmin: true, preferredLanguage: 'ja-JP' }],
};

/** A browser: its own cookie jar, following the product's redirects by hand. */
class Browser {
  readonly cookies = new Map<string, string>();
  readonly world: World;
  constructor(world: World) {
    this.world = world;
  }
  get cookieHeader() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  private keep(res: Response) {
    for (const c of res.headers.getSetCookie()) {
      const [pair, ...attrs] = c.split(';');
      const [name, value] = [pair!.slice(0, pair!.indexOf('=')), pair!.slice(pair!.indexOf('=') + 1)];
      const expired = attrs.some((a) => /^\s*expires=Thu, 01 Jan 1970/i.test(a)) || attrs.some((a) => /^\s*max-age=0$/i.test(a.trim()));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  async get(url: string | URL): Promise<Response> {
    const res = await fetch(new URL(url, this.world.baseUrl), { redirect: 'manual', headers: this.cookies.size ? { cookie: this.cookieHeader } : {} });
    this.keep(res);
    return res;
  }
  async logIn(email: string, password: string) {
    const res = await fetch(`${this.world.baseUrl}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json', ...(this.cookies.size ? { cookie: this.cookieHeader } : {}) }, body: JSON.stringify({ email, password }) });
    this.keep(res);
    assert.equal(res.status, 200);
  }
  /** Clicks 「Microsoftでサインイン」: the product's redirect to Microsoft's sign-in page. */
  async startSignIn(locale: 'ja' | 'en' = 'ja', invitation?: string, next?: string): Promise<URL> {
    const res = await this.get(`/sign-in/outlook?locale=${locale}${invitation ? `&invitation=${invitation}` : ''}${next ? `&next=${encodeURIComponent(next)}` : ''}`);
    assert.equal(res.status, 302);
    return new URL(res.headers.get('location')!);
  }
  /** Picks `login` on the sandbox's sign-in page; returns Microsoft's redirect back (not followed). */
  async atMicrosoft(url: URL, login: string): Promise<URL> {
    const page = await (await fetch(url)).text();
    const form = firstForm(page, url.toString());
    const res = await postForm(form.action, { ...form.fields, login });
    const location = res.headers.get('location');
    assert.ok(location, `the sandbox redirected back (${res.status})`);
    return new URL(location);
  }
  /** The whole sign-in; returns where the product sent the browser in the end. */
  async signInWithMicrosoft(login: string, invitation?: string, next?: string): Promise<string> {
    const back = await this.atMicrosoft(await this.startSignIn('ja', invitation, next), login);
    const res = await this.get(back);
    assert.equal(res.status, 302);
    return res.headers.get('location')!;
  }
  async me(): Promise<{ status: number; email?: string }> {
    const res = await this.get('/api/me');
    return { status: res.status, ...(res.status === 200 ? { email: ((await res.json()) as { user: { email: string } }).user.email } : {}) };
  }
}

describe('Sign in with Microsoft', () => {
  let world: World;
  before(async () => {
    world = await startWorld({ startSync: false, sandboxConfig: { seed: { tenants: [{ ...MAPLE_LOGISTICS, users: [...MAPLE_LOGISTICS.users, MALLORY] }, CONTOSO, KAEDE] } } });
  });
  after(async () => {
    await world?.close();
  });

  const lastLogin = async (email: string) => (await world.store.db.selectFrom('users').select('last_login_at').where('email', '=', email).executeTakeFirstOrThrow()).last_login_at;

  test('before the company has proven its tenant, nobody of it signs in with Microsoft', async () => {
    const b = new Browser(world);
    assert.equal(await b.signInWithMicrosoft(TARO), '/login?signIn=organization_not_proven&provider=outlook');
    assert.equal((await b.me()).status, 401);
    assert.equal(b.cookies.has('tripcal_sign_in'), false, 'the sign-in cookie is cleared');
  });

  test('the first sign-in links the user by tid+oid; it is a log-in (new session id, the 90-day rule counts it)', async () => {
    // The company admin consents and connects: the Sakura tenant is proven.
    await setUpCompany(world, world.sakura, 'it-admin@sakura-trading.example');
    await world.store.db.updateTable('users').set({ last_login_at: new Date('2026-01-01T00:00:00Z') }).where('email', '=', TARO).execute();
    const b = new Browser(world);
    await b.logIn(TARO, 'correct horse battery staple');
    const before = b.cookies.get('tripcal_session')!;
    const start = await b.startSignIn('ja');
    assert.equal(start.searchParams.get('ui_locales'), 'ja');
    assert.equal(start.searchParams.get('code_challenge_method'), 'S256');
    assert.ok(start.searchParams.get('nonce'), 'an OpenID Connect nonce is sent');
    assert.ok(b.cookies.has('tripcal_sign_in'), 'the state is bound to this browser');
    const landed = await b.get(await b.atMicrosoft(start, TARO));
    assert.equal(landed.headers.get('location'), '/');
    const after = b.cookies.get('tripcal_session')!;
    assert.notEqual(after, before, 'a new session id');
    assert.deepEqual(await b.me(), { status: 200, email: TARO });
    const old = new Browser(world);
    old.cookies.set('tripcal_session', before);
    assert.equal((await old.me()).status, 401, 'the session held before the sign-in ended');
    assert.ok(new Date((await lastLogin(TARO))!) > new Date('2026-06-01'), 'counted as an OBT log-in');
    const taro = world.sakura.travelers.find((t) => t.email === TARO)!;
    assert.deepEqual(await userIdentities(world.store.db, taro.id), [{ provider: 'outlook', organization: world.sakura.tenantId, subject: objectId(world, TARO) }]);
  });

  test('once linked, only tid+oid match: a changed email in tripcal does not stop the user', async () => {
    const taro = world.sakura.travelers.find((t) => t.email === TARO)!;
    await world.store.db.updateTable('users').set({ email: 'taro.y@sakura-trading.example' }).where('id', '=', taro.id).execute();
    try {
      const b = new Browser(world);
      assert.equal(await b.signInWithMicrosoft(TARO), '/');
      assert.deepEqual(await b.me(), { status: 200, email: 'taro.y@sakura-trading.example' });
    } finally {
      await world.store.db.updateTable('users').set({ email: TARO }).where('id', '=', taro.id).execute();
    }
  });

  test('a sign-in started from the log-in page of a link (a trip in an itinerary email) ends on that page; another site is never the landing', async () => {
    const trip = '/trips/3f2c9a4e-7d3c-4b1a-9e0f-2a6b8c1d5e7f?from=email';
    assert.equal(await new Browser(world).signInWithMicrosoft(TARO, undefined, trip), trip);
    for (const elsewhere of ['//evil.example/trips', '/\\evil.example', 'https://evil.example/', '/trips/x\r\nSet-Cookie: a=b']) {
      const b = new Browser(world);
      assert.equal(await b.signInWithMicrosoft(TARO, undefined, elsewhere), '/', elsewhere);
      assert.deepEqual(await b.me(), { status: 200, email: TARO });
    }
    // A refused sign-in goes back to the log-in page with the page still to go to after a log-in.
    assert.equal(await new Browser(world).signInWithMicrosoft('eve@contoso-phish.example', undefined, trip),
      `/login?signIn=organization_not_proven&provider=outlook&next=${encodeURIComponent(trip)}`);
  });

  test("an account of another tenant whose email claim is Taro's address is refused (tenant not proven)", async () => {
    const b = new Browser(world);
    assert.equal(await b.signInWithMicrosoft('eve@contoso-phish.example'), '/login?signIn=organization_not_proven&provider=outlook');
    assert.equal((await b.me()).status, 401);
  });

  test("in another proven tenant, the same email claim signs in only that tenant's own user, never Taro", async () => {
    await setUpCompany(world, world.maple, 'admin@maple-logistics.example');
    const b = new Browser(world);
    assert.equal(await b.signInWithMicrosoft(MALLORY.userPrincipalName), '/');
    assert.deepEqual(await b.me(), { status: 200, email: MALLORY.userPrincipalName }, 'matched by her UPN in her own company, not by the email claim');
    // A user of the proven tenant who is no user of tripcal gets in nowhere.
    await world.store.db.deleteFrom('user_identities').where('subject', '=', MALLORY.id).execute();
    await world.store.db.updateTable('users').set({ email: 'mallory.old@maple-logistics.example' }).where('email', '=', MALLORY.userPrincipalName).execute();
    const c = new Browser(world);
    assert.equal(await c.signInWithMicrosoft(MALLORY.userPrincipalName), '/login?signIn=user_not_found&provider=outlook');
    assert.equal((await c.me()).status, 401);
  });

  test('a deactivated (deprovisioned) user is refused, linked or not', async () => {
    const emily = world.sakura.travelers.find((t) => t.email === EMILY)!;
    const b = new Browser(world);
    assert.equal(await b.signInWithMicrosoft(EMILY), '/', 'linked while active');
    await setActive(world.store.db, world.sakura.id, emily.id, false);
    assert.equal((await b.me()).status, 401, 'deprovisioning ended the session');
    const c = new Browser(world);
    assert.equal(await c.signInWithMicrosoft(EMILY), '/login?signIn=user_deactivated&provider=outlook');
    assert.equal((await c.me()).status, 401);
    await setActive(world.store.db, world.sakura.id, emily.id, true);
    assert.equal(await new Browser(world).signInWithMicrosoft(EMILY), '/', 'reactivated, she signs in again');
  });

  test("from an invitation, the invited address's account accepts it instead of a password, before any tenant is proven", async () => {
    const onboarded = await onboardCompany(world.store.db, { name: 'Kaede Travel', admin: { email: 'ichiro@kaede.example', name: '楓 一郎', locale: 'ja', timeZone: 'Asia/Tokyo' } }, world.now());
    assert.ok(!('problem' in onboarded));
    const invitation = onboarded.inviteToken;
    // Another account (even one that exists in tripcal) does not accept it, and the link still works.
    const other = new Browser(world);
    assert.equal(await other.signInWithMicrosoft('ken.ito@maple-logistics.example', invitation), '/login?signIn=invitation_other_account&provider=outlook');
    assert.equal((await other.me()).status, 401);
    // The invited admin's own Microsoft account: logged in, the invitation used.
    const ichiro = new Browser(world);
    assert.equal(await ichiro.signInWithMicrosoft('ichiro@kaede.example', invitation), '/');
    assert.deepEqual(await ichiro.me(), { status: 200, email: 'ichiro@kaede.example' });
    assert.deepEqual(await peekPasswordLink(world.store.db, invitation, world.now()), { problem: 'used' });
    assert.deepEqual(await userIdentities(world.store.db, onboarded.adminId), [], 'nothing linked while the tenant is not proven');
    // Without the invitation, the rule holds: the company's tenant is not proven yet.
    assert.equal(await new Browser(world).signInWithMicrosoft('ichiro@kaede.example'), '/login?signIn=organization_not_proven&provider=outlook');
    const used = await new Browser(world).get(`/sign-in/outlook?locale=ja&invitation=${invitation}`);
    assert.equal(used.headers.get('location'), '/login?signIn=expired&provider=outlook', 'a used invitation does not start a sign-in');
  });

  test('cancelled at Microsoft: back to the log-in page, saying so', async () => {
    const b = new Browser(world);
    const start = await b.startSignIn('en');
    // What Microsoft sends back when the user cancels (OAuth 2.0 authorization code flow, error response).
    const back = new URL(start.searchParams.get('redirect_uri')!);
    back.search = new URLSearchParams({ error: 'access_denied', error_subcode: 'cancel', error_description: 'AADSTS65004: User declined to consent to access the app.', state: start.searchParams.get('state')! }).toString();
    const res = await b.get(back);
    assert.equal(res.headers.get('location'), '/login?signIn=cancelled&provider=outlook');
    assert.equal((await b.me()).status, 401);
  });

  test('sign-ins started from one address count against its log-in limit; over it, the log-in page says so', async () => {
    const limited = await buildServer({
      store: world.store, bookings: world.bookings, organizer: { name: 'tripcal', email: 'itinerary@tripcal.example' }, publicUrl: world.baseUrl,
      calendars: { providers: calendarProviders(world.provider), box: world.box }, loginLimits: { perAccount: { max: 10, windowMs: 60_000 }, perAddress: { max: 3, windowMs: 60_000 } },
    });
    try {
      const start = (ip: string) => limited.inject({ url: '/sign-in/outlook?locale=ja', remoteAddress: ip });
      const answers = [];
      for (let i = 0; i < 4; i++) answers.push((await start('203.0.113.5')).headers.location as string);
      assert.ok(answers.slice(0, 3).every((l) => l.startsWith(world.sandbox.url)), 'the first three go to Microsoft');
      assert.equal(answers[3], '/login?signIn=throttled&provider=outlook');
      assert.ok(String((await start('203.0.113.5')).headers.location).includes('throttled'));
      assert.ok(String((await start('203.0.113.6')).headers.location).startsWith(world.sandbox.url), 'another address is not affected');
    } finally {
      await limited.close();
    }
  });

  test("the state is bound to the browser that started the sign-in; another sign-in's code is refused", async () => {
    const victim = new Browser(world);
    const attacker = new Browser(world);
    const back = await victim.atMicrosoft(await victim.startSignIn(), TARO);
    // The callback URL (code and state) replayed in another browser: refused, and Taro's own
    // browser can still finish.
    const stolen = await attacker.get(back);
    assert.equal(stolen.headers.get('location'), '/login?signIn=expired&provider=outlook');
    assert.equal((await attacker.me()).status, 401);
    // A code of the attacker's own sign-in (another PKCE verifier, another nonce) pushed into
    // the victim's sign-in: the token endpoint refuses it.
    const attackerBack = await attacker.atMicrosoft(await attacker.startSignIn(), 'ken.ito@maple-logistics.example');
    const spliced = new URL(back);
    spliced.searchParams.set('code', attackerBack.searchParams.get('code')!);
    const forged = await victim.get(spliced);
    assert.equal(forged.headers.get('location'), '/login?signIn=failed&provider=outlook');
    assert.equal((await victim.me()).status, 401, 'nobody is signed in by a spliced code');
    // A state is used once.
    assert.equal((await victim.get(back)).headers.get('location'), '/login?signIn=expired&provider=outlook');
  });
});
