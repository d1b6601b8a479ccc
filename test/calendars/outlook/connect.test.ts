import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MAPLE_LOGISTICS, SAKURA_TRADING } from '../../../sandbox/server.ts';
import { connect, providerFor, REDIRECT_URI, startTestSandbox } from './support.ts';
import type { TestSandbox } from './support.ts';

describe('Outlook provider: connecting through the real MSAL against the sandbox', () => {
  let t: TestSandbox;
  before(async () => {
    t = await startTestSandbox();
    t.sandbox.control.grantConsent(SAKURA_TRADING.id);
  });
  after(() => t.close());

  test('authorization code + PKCE gives the account Entra proved, and fills the token cache', async () => {
    const provider = providerFor(t.sandbox);
    const hanako = SAKURA_TRADING.users[1]!;
    const { account: { accessToken, ...account }, cache } = await connect(t.sandbox, provider, hanako.userPrincipalName, SAKURA_TRADING.id);
    assert.ok(accessToken?.token, 'the access token that came with the sign-in');
    assert.deepEqual(account, {
      key: `${SAKURA_TRADING.id}/${hanako.id}`,
      username: hanako.userPrincipalName,
      name: hanako.displayName,
      organization: SAKURA_TRADING.id,
      details: { tenantId: SAKURA_TRADING.id, objectId: hanako.id, homeAccountId: `${hanako.id}.${SAKURA_TRADING.id}` },
    });
    assert.ok(cache.value, 'the cache was saved');
    const parsed = JSON.parse(cache.value!) as { RefreshToken: Record<string, unknown> };
    assert.equal(Object.keys(parsed.RefreshToken).length, 1);
  });

  test('a new provider instance (a restart) gets a token silently from the same store and reaches Graph', async () => {
    const emily = SAKURA_TRADING.users[3]!;
    const { account, cache } = await connect(t.sandbox, providerFor(t.sandbox), emily.userPrincipalName, SAKURA_TRADING.id);
    t.sandbox.control.clearRequestLog();
    const restarted = providerFor(t.sandbox);
    const found = await restarted.account({ details: account.details, credentials: cache }).findByKeys(['nothing-here']);
    assert.equal(found.size, 0);
    const log = t.sandbox.control.requestLog();
    // Silent: the access token came from the cache, no token request.
    assert.equal(log.filter((r) => r.path.includes('/oauth2/v2.0/token')).length, 0, JSON.stringify(log.map((r) => r.path)));
    assert.ok(log.some((r) => r.path === '/v1.0/$batch' && r.status === 200));
  });

  test('the authorization URL asks for the calendar with PKCE S256, our state, the login hint and the locale', async () => {
    const provider = providerFor(t.sandbox);
    const url = new URL(
      await provider.connect.authorizationUrl({ state: 'state-1', redirectUri: REDIRECT_URI, codeChallenge: 'c'.repeat(43), loginHint: 'emily.clark@sakura-trading.example', organization: SAKURA_TRADING.id, locale: 'ja' }),
    );
    assert.equal(`${url.origin}${url.pathname}`, `${t.sandbox.url}/${SAKURA_TRADING.id}/oauth2/v2.0/authorize`);
    const q = url.searchParams;
    assert.equal(q.get('client_id'), t.sandbox.app.clientId);
    assert.equal(q.get('response_type'), 'code');
    assert.equal(q.get('redirect_uri'), REDIRECT_URI);
    assert.equal(q.get('state'), 'state-1');
    assert.equal(q.get('code_challenge'), 'c'.repeat(43));
    assert.equal(q.get('code_challenge_method'), 'S256');
    assert.equal(q.get('login_hint'), 'emily.clark@sakura-trading.example');
    assert.equal(q.get('ui_locales'), 'ja');
    const scopes = new Set(q.get('scope')!.split(' '));
    for (const s of ['https://graph.microsoft.com/Calendars.ReadWrite', 'offline_access', 'openid', 'profile']) assert.ok(scopes.has(s), s);
    assert.equal(q.get('client_secret'), null);
    const organizations = new URL(await provider.connect.authorizationUrl({ state: 's', redirectUri: REDIRECT_URI, codeChallenge: 'c'.repeat(43) }));
    assert.equal(organizations.pathname, '/organizations/oauth2/v2.0/authorize');
  });

  test('the admin-consent URL is Microsoft\'s v2.0 adminconsent endpoint for our app', () => {
    const provider = providerFor(t.sandbox);
    const url = new URL(provider.companyGrant!.grantUrl({ state: 's-1', redirectUri: 'http://localhost:3000/oauth/outlook/consent-callback', organization: MAPLE_LOGISTICS.id }));
    assert.equal(`${url.origin}${url.pathname}`, `${t.sandbox.url}/${MAPLE_LOGISTICS.id}/v2.0/adminconsent`);
    assert.equal(url.searchParams.get('client_id'), t.sandbox.app.clientId);
    assert.equal(url.searchParams.get('scope'), 'https://graph.microsoft.com/.default');
    assert.equal(url.searchParams.get('redirect_uri'), 'http://localhost:3000/oauth/outlook/consent-callback');
    assert.equal(url.searchParams.get('state'), 's-1');
    const common = new URL(provider.companyGrant!.grantUrl({ state: 's', redirectUri: 'http://localhost:3000/oauth/outlook/consent-callback' }));
    assert.equal(common.pathname, '/organizations/v2.0/adminconsent');
  });
});
