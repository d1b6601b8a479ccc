// Errors provoked on purpose through the real MSAL and Graph client: no message and no log line may
// carry a token, an authorization code, a PKCE verifier, the client secret or a header.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { SAKURA_TRADING } from '../../../sandbox/server.ts';
import { CalendarProviderError } from '../../../src/calendars/errors.ts';
import { connect, flightEvent, MemoryCacheStore, pkce, providerFor, REDIRECT_URI, signInLikeABrowser, startTestSandbox, tokenShaped } from './support.ts';
import type { TestSandbox } from './support.ts';

function secretsIn(serialized: string | null): string[] {
  if (!serialized) return [];
  const cache = JSON.parse(serialized) as Record<string, Record<string, { secret?: string }>>;
  return ['AccessToken', 'RefreshToken', 'IdToken'].flatMap((k) => Object.values(cache[k] ?? {}).map((v) => v.secret ?? '')).filter(Boolean);
}

describe('Outlook provider: no secret in an error message or a log line', () => {
  let t: TestSandbox;
  const lines: string[] = [];
  const messages: string[] = [];
  const secrets: string[] = [];
  const user = SAKURA_TRADING.users[1]!;
  before(async () => {
    t = await startTestSandbox();
    t.sandbox.control.grantConsent(SAKURA_TRADING.id);
    secrets.push(t.sandbox.app.clientSecret);
  });
  after(() => t.close());
  const provider = (over = {}) => providerFor(t.sandbox, { log: (l: string) => lines.push(l), retryPolicy: { baseDelayMs: 10 }, ...over });

  async function codeFor(p: ReturnType<typeof provider>) {
    const { verifier, challenge } = pkce();
    const url = await p.connect.authorizationUrl({ state: 'st', redirectUri: REDIRECT_URI, codeChallenge: challenge, loginHint: user.userPrincipalName });
    const code = (await signInLikeABrowser(t.sandbox, url, user.userPrincipalName)).get('code')!;
    secrets.push(code, verifier);
    return { code, verifier };
  }

  async function failure(p: Promise<unknown>): Promise<CalendarProviderError> {
    try {
      await p;
    } catch (e) {
      assert.ok(e instanceof CalendarProviderError, String(e));
      messages.push(e.message);
      return e;
    }
    assert.fail('expected a failure');
  }

  test('a wrong client secret: a fault only the operator can fix (AADSTS7000215)', async () => {
    const p = provider({ clientSecret: `wrong-${randomBytes(24).toString('base64url')}` });
    const { code, verifier } = await codeFor(p);
    const e = await failure(p.connect.redeemCode({ code, codeVerifier: verifier, redirectUri: REDIRECT_URI, credentials: new MemoryCacheStore() }));
    assert.equal(e.code, 'operator');
    assert.equal(e.providerCode, 'AADSTS7000215');
  });

  test('a wrong PKCE verifier, then a replayed code', async () => {
    const p = provider();
    const { code } = await codeFor(p);
    const wrongVerifier = randomBytes(32).toString('base64url');
    secrets.push(wrongVerifier);
    const mismatch = await failure(p.connect.redeemCode({ code, codeVerifier: wrongVerifier, redirectUri: REDIRECT_URI, credentials: new MemoryCacheStore() }));
    assert.notEqual(mismatch.code, 'temporary');
    const second = await codeFor(p);
    const cache = new MemoryCacheStore();
    await p.connect.redeemCode({ code: second.code, codeVerifier: second.verifier, redirectUri: REDIRECT_URI, credentials: cache });
    secrets.push(...secretsIn(cache.value));
    const replay = await failure(p.connect.redeemCode({ code: second.code, codeVerifier: second.verifier, redirectUri: REDIRECT_URI, credentials: new MemoryCacheStore() }));
    assert.equal(replay.providerCode, 'AADSTS54005');
  });

  test('Graph refusals (an unknown time zone; throttling without end) and a lost refresh token', async () => {
    const p = provider({ retryPolicy: { baseDelayMs: 10, maxThrottledAttempts: 2 } });
    const { account, cache } = await connect(t.sandbox, p, user.userPrincipalName, SAKURA_TRADING.id);
    secrets.push(...secretsIn(cache.value));
    const mailbox = p.account({ details: account.details, credentials: cache });
    const bad = flightEvent({ start: { dateTime: '2026-12-01T09:00:00', timeZone: 'Mars/Olympus_Mons' } });
    const [r] = await mailbox.write([{ kind: 'create', key: bad.key, event: bad, transactionId: randomUUID() }]);
    assert.equal(!r!.ok && r!.error.code, 'invalid');
    assert.equal(!r!.ok && r!.error.providerCode, 'TimeZoneNotSupportedException');
    if (!r!.ok) messages.push(r!.error.message);
    t.sandbox.control.addFault({ kind: 429, pathContains: '/events', retryAfterSeconds: 0 });
    const ev = flightEvent();
    const [thr] = await mailbox.write([{ kind: 'create', key: ev.key, event: ev, transactionId: randomUUID() }]);
    t.sandbox.control.clearFaults();
    assert.equal(!thr!.ok && thr!.error.code, 'throttled');
    if (!thr!.ok) messages.push(thr!.error.message);
    t.sandbox.control.revokeUserSessions(user.id);
    const lost = await failure(p.keepAlive.refresh({ details: account.details, credentials: cache }));
    assert.equal(lost.code, 'auth_lost');
  });

  test('none of it leaked', () => {
    assert.ok(messages.length >= 6 && lines.length >= 3);
    for (const text of [...messages, ...lines]) {
      assert.deepEqual(tokenShaped(text, secrets), [], text);
      assert.doesNotMatch(text, /authorization:|bearer\s/i, text);
    }
  });
});
