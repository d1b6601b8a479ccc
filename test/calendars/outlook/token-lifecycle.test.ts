import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { SAKURA_TRADING, MAPLE_LOGISTICS } from '../../../sandbox/server.ts';
import type { AccessToken, CredentialStore } from '../../../src/calendars/connection.ts';
import { CalendarProviderError } from '../../../src/calendars/errors.ts';
import type { CalendarProvider } from '../../../src/calendars/provider.ts';
import { connect, flightEvent, providerFor, startTestSandbox, tokenShaped } from './support.ts';
import type { TestSandbox } from './support.ts';

const DAY = 86_400_000;

function refreshTokens(serialized: string | null): number {
  if (!serialized) return 0;
  return Object.keys((JSON.parse(serialized) as { RefreshToken?: Record<string, unknown> }).RefreshToken ?? {}).length;
}

async function rejectsWith(p: Promise<unknown>, code: string, providerCode?: string): Promise<CalendarProviderError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof CalendarProviderError, `a CalendarProviderError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (providerCode) assert.equal(e.providerCode, providerCode, e.message);
    return e;
  }
  assert.fail(`expected ${code}`);
}

describe('Outlook provider: the token lifecycle', () => {
  let t: TestSandbox;
  const lines: string[] = [];
  before(async () => {
    t = await startTestSandbox();
    t.sandbox.control.grantConsent(SAKURA_TRADING.id);
    t.sandbox.control.grantConsent(MAPLE_LOGISTICS.id);
  });
  after(() => t.close());
  const provider = () => providerFor(t.sandbox, { log: (l) => lines.push(l) });

  test('refresh gets new tokens and saves them; an access token expired on the server is renewed once and the write goes through', async () => {
    const p = provider();
    const user = SAKURA_TRADING.users[1]!;
    const { account, cache } = await connect(t.sandbox, p, user.userPrincipalName, SAKURA_TRADING.id);
    const before = cache.value;
    await p.keepAlive.refresh({ details: account.details, credentials: cache });
    assert.notEqual(cache.value, before, 'the rotated refresh token was saved');
    // Two hours on: the cached access token has expired for Graph, not for MSAL's own clock.
    t.sandbox.control.advanceClock(2 * 3600_000);
    t.sandbox.control.clearRequestLog();
    const event = flightEvent();
    const [r] = await p.account({ details: account.details, credentials: cache }).write([{ kind: 'create', key: event.key, event, transactionId: randomUUID() }]);
    assert.ok(r?.ok, JSON.stringify(r));
    const log = t.sandbox.control.requestLog();
    assert.equal(log.filter((e) => e.path.includes('/oauth2/v2.0/token')).length, 1, 'one refresh');
    assert.equal(t.sandbox.control.mailboxEvents(user.id).length, 1);
  });

  test('each reconcile opens the mailbox afresh: the access token is reused from memory, not read from the store again, until Graph refuses it', async () => {
    const p = provider();
    const user = SAKURA_TRADING.users[1]!;
    const { account, cache } = await connect(t.sandbox, p, user.userPrincipalName, SAKURA_TRADING.id);
    const eventsBefore = t.sandbox.control.mailboxEvents(user.id).length;
    let loads = 0;
    const counted = { load: () => (loads++, cache.load()), save: (s: string) => cache.save(s) };
    const write = async () => {
      const event = flightEvent();
      const [r] = await p.account({ details: account.details, credentials: counted }).write([{ kind: 'create', key: event.key, event, transactionId: randomUUID() }]);
      assert.ok(r?.ok, JSON.stringify(r));
    };
    await write();
    const afterFirst = loads;
    assert.ok(afterFirst > 0, 'the first opening reads the stored cache');
    await write();
    await write();
    assert.equal(loads, afterFirst, 'later openings use the token kept in memory');
    // Two hours on the service's clock: Graph refuses the kept token (401); it is dropped, refreshed once, and the write goes through.
    t.sandbox.control.advanceClock(2 * 3600_000);
    t.sandbox.control.clearRequestLog();
    await write();
    assert.equal(t.sandbox.control.requestLog().filter((e) => e.path.includes('/oauth2/v2.0/token')).length, 1, 'one refresh');
    assert.ok(loads > afterFirst, 'the refresh read the stored cache');
    assert.equal(t.sandbox.control.mailboxEvents(user.id).length, eventsBefore + 4);
  });

  test("the sign-in's own access token comes back from the code redemption, and a worker writes with it without opening the cache or asking Entra", async () => {
    const user = SAKURA_TRADING.users[1]!;
    const { account, cache } = await connect(t.sandbox, provider(), user.userPrincipalName, SAKURA_TRADING.id);
    assert.ok(account.accessToken && account.accessToken.expiresAt > Date.now() + 30 * 60_000, 'a token good for the next half hour at least');
    t.sandbox.control.clearRequestLog();
    let loads = 0;
    const row: CredentialStore = { accessToken: account.accessToken, load: () => (loads++, cache.load()), save: (s) => cache.save(s), saveAccessToken: async () => assert.fail('nothing new to store') };
    const event = flightEvent();
    const [r] = await provider().account({ details: account.details, credentials: row }).write([{ kind: 'create', key: event.key, event, transactionId: randomUUID() }]);
    assert.ok(r?.ok, JSON.stringify(r));
    assert.equal(loads, 0, 'the cache was not opened');
    assert.equal(t.sandbox.control.requestLog().filter((e) => e.path.includes('/oauth2/v2.0/token')).length, 0, 'Entra was not asked');
  });

  test('worker processes share one access token: another process writes with it without opening the cache or asking Entra, and a refused one is renewed once for all', async () => {
    const user = SAKURA_TRADING.users[1]!;
    const { account, cache } = await connect(t.sandbox, provider(), user.userPrincipalName, SAKURA_TRADING.id);
    const eventsBefore = t.sandbox.control.mailboxEvents(user.id).length;
    // What the database row holds beside the cache; each process reads it with the reconcile's state.
    let shared: AccessToken | null = null;
    let loads = 0;
    let stores = 0;
    const rowAsReadBy = (): CredentialStore => ({
      accessToken: shared,
      load: () => (loads++, cache.load()),
      save: (s: string) => cache.save(s),
      saveAccessToken: async (token: AccessToken) => {
        stores++;
        shared = token;
      },
    });
    const tokenRequests = () => t.sandbox.control.requestLog().filter((e) => e.path.includes('/oauth2/v2.0/token')).length;
    const writeFrom = async (process: CalendarProvider) => {
      const event = flightEvent();
      const [r] = await process.account({ details: account.details, credentials: rowAsReadBy() }).write([{ kind: 'create', key: event.key, event, transactionId: randomUUID() }]);
      assert.ok(r?.ok, JSON.stringify(r));
    };
    // The first process opens the cache for the token, and stores it.
    await writeFrom(provider());
    assert.ok(loads > 0);
    assert.equal(stores, 1);
    // Two more processes (each with empty memory) use it: no cache opened, no token request, nothing stored.
    t.sandbox.control.clearRequestLog();
    const [loadsBefore, storesBefore] = [loads, stores];
    await writeFrom(provider());
    await writeFrom(provider());
    assert.equal(loads, loadsBefore, 'the cache was not opened');
    assert.equal(tokenRequests(), 0, 'Entra was not asked');
    assert.equal(stores, storesBefore);
    // Graph refuses it (expired on the service's clock): one process renews it once, stores the
    // new one, and the next process uses that without asking Entra again.
    const refused = shared!.token;
    t.sandbox.control.advanceClock(2 * 3600_000);
    t.sandbox.control.clearRequestLog();
    await writeFrom(provider());
    assert.equal(tokenRequests(), 1, 'one refresh');
    assert.notEqual(shared!.token, refused, 'the renewed token was stored');
    await writeFrom(provider());
    assert.equal(tokenRequests(), 1, 'the next process used the renewed token');
    assert.equal(t.sandbox.control.mailboxEvents(user.id).length, eventsBefore + 5);
  });

  test('a refresh racing another process\'s refresh uses the newer refresh token it saved, instead of lapsing', async () => {
    const user = SAKURA_TRADING.users[1]!;
    const { account, cache } = await connect(t.sandbox, provider(), user.userPrincipalName, SAKURA_TRADING.id);
    const stale = cache.value;
    // Another worker refreshes first: the sandbox rotates refresh tokens, the old one is spent.
    await provider().keepAlive.refresh({ details: account.details, credentials: cache });
    assert.notEqual(cache.value, stale);
    // This worker read the store before that save: its first reads still see the old blob.
    let staleReads = 2;
    const racing = {
      load: async () => (staleReads-- > 0 ? stale : cache.load()),
      save: (s: string) => cache.save(s),
    };
    await provider().keepAlive.refresh({ details: account.details, credentials: racing });
    assert.equal(refreshTokens(cache.value), 1);
  });

  test('after 91 idle days: refresh → auth_lost (AADSTS700082), and the stored cache holds no refresh token', async () => {
    const p = provider();
    const user = SAKURA_TRADING.users[2]!;
    const { account, cache } = await connect(t.sandbox, p, user.userPrincipalName, SAKURA_TRADING.id);
    assert.equal(refreshTokens(cache.value), 1);
    t.sandbox.control.advanceClock(91 * DAY);
    const err = await rejectsWith(p.keepAlive.refresh({ details: account.details, credentials: cache }), 'auth_lost', 'AADSTS700082');
    assert.deepEqual(tokenShaped(err.message, [t.sandbox.app.clientSecret]), []);
    assert.equal(refreshTokens(cache.value), 0, 'the refused refresh token is gone from the store');
    // A restart reads the store: nothing usable comes back, the mailbox is unreachable.
    const restarted = provider();
    await rejectsWith(restarted.account({ details: account.details, credentials: cache }).findByKeys(['k']), 'auth_lost');
    await rejectsWith(restarted.keepAlive.refresh({ details: account.details, credentials: cache }), 'auth_lost');
  });

  test('a write after 91 idle days: Graph refuses the cached access token, the refresh is refused → write throws auth_lost', async () => {
    const p = provider();
    const user = MAPLE_LOGISTICS.users[0]!;
    const { account, cache } = await connect(t.sandbox, p, user.userPrincipalName, MAPLE_LOGISTICS.id);
    const mailbox = p.account({ details: account.details, credentials: cache });
    await mailbox.findByKeys(['warm-up']);
    t.sandbox.control.advanceClock(91 * DAY);
    const event = flightEvent();
    const seen: unknown[] = [];
    await rejectsWith(mailbox.write([{ kind: 'create', key: event.key, event, transactionId: randomUUID() }], { onResult: async (r) => void seen.push(r) }), 'auth_lost', 'AADSTS700082');
    assert.deepEqual(seen, [], 'no per-op results for an unreachable mailbox');
    assert.equal(t.sandbox.control.mailboxEvents(user.id).length, 0);
    assert.equal(refreshTokens(cache.value), 0);
  });

  test('sessions revoked by the admin → auth_lost (AADSTS50173); a write throws instead of returning results', async () => {
    const p = provider();
    const user = SAKURA_TRADING.users[3]!;
    const { account, cache } = await connect(t.sandbox, p, user.userPrincipalName, SAKURA_TRADING.id);
    t.sandbox.control.revokeUserSessions(user.id);
    await rejectsWith(p.keepAlive.refresh({ details: account.details, credentials: cache }), 'auth_lost', 'AADSTS50173');
    const event = flightEvent();
    await rejectsWith(p.account({ details: account.details, credentials: cache }).write([{ kind: 'create', key: event.key, event, transactionId: randomUUID() }]), 'auth_lost');
  });

  test('consent revoked for the company → consent_missing (AADSTS65001), the account kept for when consent returns', async () => {
    const p = provider();
    const user = MAPLE_LOGISTICS.users[1]!;
    const { account, cache } = await connect(t.sandbox, p, user.userPrincipalName, MAPLE_LOGISTICS.id);
    t.sandbox.control.revokeConsent(MAPLE_LOGISTICS.id);
    await rejectsWith(p.keepAlive.refresh({ details: account.details, credentials: cache }), 'consent_missing', 'AADSTS65001');
    assert.equal(refreshTokens(cache.value), 1);
    t.sandbox.control.grantConsent(MAPLE_LOGISTICS.id);
    await p.keepAlive.refresh({ details: account.details, credentials: cache });
  });

  test('forget removes the account from its cache', async () => {
    const p = provider();
    const user = SAKURA_TRADING.users[0]!;
    const { account, cache } = await connect(t.sandbox, p, user.userPrincipalName, SAKURA_TRADING.id);
    await p.keepAlive.forget({ details: account.details, credentials: cache });
    assert.equal(refreshTokens(cache.value), 0);
    await rejectsWith(p.keepAlive.refresh({ details: account.details, credentials: cache }), 'auth_lost');
  });

  test('no log line carries a token, a code or the client secret', () => {
    for (const line of lines) assert.deepEqual(tokenShaped(line, [t.sandbox.app.clientSecret]), [], line);
    assert.ok(lines.some((l) => l.includes('AADSTS700082')), lines.join('\n'));
  });
});
