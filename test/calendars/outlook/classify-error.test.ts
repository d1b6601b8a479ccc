import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InteractionRequiredAuthError, ServerError, ClientAuthError } from '@azure/msal-node';
import { GraphError } from '@microsoft/microsoft-graph-client';
import { CalendarProviderError } from '../../../src/calendars/errors.ts';
import { classifyError, classifyGraphResponse, parseRetryAfter } from '../../../src/calendars/outlook/classify-error.ts';
import { redact } from '../../../src/calendars/outlook/redact.ts';
import { decideRetry, DEFAULT_RETRY_POLICY } from '../../../src/calendars/outlook/retry-policy.ts';
import { tokenShaped } from './support.ts';

const JWT = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL2dyYXBoLm1pY3Jvc29mdC5jb20ifQ.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU';
const REFRESH = '0.AUoA' + 'x'.repeat(60) + 'refreshtokenvalue';

function aad(code: number, text: string): string {
  return `AADSTS${code}: ${text} Trace ID: 4b3c1d2e-0000-4000-8000-000000000000 Correlation ID: 5c3c1d2e-0000-4000-8000-000000000000 Timestamp: 2026-11-25 03:00:00Z`;
}

describe('classify-error: MSAL refusals', () => {
  test('AADSTS700082 (refresh token inactive 90 days) → auth_lost', () => {
    const e = classifyError(new InteractionRequiredAuthError('invalid_grant', 'corr', aad(700082, 'The refresh token has expired due to inactivity.'), 'bad_token', '', '', '', '700082'));
    assert.equal(e.code, 'auth_lost');
    assert.equal(e.providerCode, 'AADSTS700082');
    assert.doesNotMatch(e.message, /Trace ID/);
  });

  test('AADSTS50173 (sessions revoked) → auth_lost, even as a plain ServerError', () => {
    const e = classifyError(new ServerError('invalid_grant', 'corr', aad(50173, 'The provided grant has expired due to it being revoked.'), '', '50173', 400));
    assert.equal(e.code, 'auth_lost');
    assert.equal(e.providerCode, 'AADSTS50173');
  });

  test('AADSTS65001 (consent missing or revoked) → consent_missing', () => {
    const e = classifyError(new InteractionRequiredAuthError('invalid_grant', 'corr', aad(65001, 'The user or administrator has not consented.'), 'consent_required', '', '', '', '65001'));
    assert.equal(e.code, 'consent_missing');
    assert.equal(e.providerCode, 'AADSTS65001');
  });

  test('any other InteractionRequired error → auth_lost', () => {
    assert.equal(classifyError(new InteractionRequiredAuthError('interaction_required', 'corr', 'AADSTS50078: MFA claim expired')).code, 'auth_lost');
    assert.equal(classifyError(new InteractionRequiredAuthError('login_required', 'corr', 'no session')).code, 'auth_lost');
  });

  test("the organisation's Conditional Access (AADSTS50076, 70043, 53003) → policy_refused, with the code", () => {
    for (const code of [50076, 70043, 53003]) {
      const e = classifyError(new InteractionRequiredAuthError('invalid_grant', 'corr', aad(code, 'Conditional Access'), '', '', '', '', String(code)));
      assert.deepEqual([e.code, e.providerCode], ['policy_refused', `AADSTS${code}`]);
    }
  });

  test('network failures and 5xx from the token endpoint → temporary', () => {
    assert.equal(classifyError(new ClientAuthError('network_error', 'Network request failed')).code, 'temporary');
    assert.equal(classifyError(new ServerError('temporarily_unavailable', 'corr', 'AADSTS90033: busy', '', '90033', 503)).code, 'temporary');
  });

  test('the app registration refused (secret invalid 7000215 or expired 7000222, redirect URI 50011) → operator, and the message never holds the secret', () => {
    const secret = 'sandbox-secret~tripcal.Outlook.Integration.0001';
    const e = classifyError(new ServerError('invalid_client', 'corr', aad(7000215, `Invalid client secret provided: ${secret}`), '', '7000215', 401));
    assert.equal(e.code, 'operator');
    assert.deepEqual(tokenShaped(e.message, [secret]), []);
    const expired = classifyError(new ServerError('invalid_client', 'corr', aad(7000222, "The provided client secret keys for app '3f6c' are expired."), '', '7000222', 401));
    assert.deepEqual([expired.code, expired.providerCode], ['operator', 'AADSTS7000222']);
    assert.equal(classifyError(new ServerError('invalid_request', 'corr', aad(50011, 'The redirect URI specified in the request does not match.'), '', '50011', 400)).code, 'operator');
  });
});

describe('classify-error: Graph answers', () => {
  test('429 → throttled with Retry-After in ms (seconds or HTTP date)', () => {
    const e = classifyGraphResponse({ status: 429, headers: { 'Retry-After': '7' }, body: { error: { code: 'ApplicationThrottled', message: 'Application is over its MailboxConcurrency limit.' } } });
    assert.equal(e.code, 'throttled');
    assert.equal(e.retryAfterMs, 7000);
    assert.equal(e.providerCode, 'ApplicationThrottled');
    assert.equal(parseRetryAfter('Wed, 25 Nov 2026 03:00:10 GMT', Date.parse('2026-11-25T03:00:00Z')), 10_000);
    assert.equal(parseRetryAfter(undefined), undefined);
  });

  test('5xx, 408 and a lost answer → temporary; 404 → not_found, unless the mailbox is not served; 403 → account_refused; other 4xx → invalid', () => {
    assert.equal(classifyGraphResponse({ status: 503 }).code, 'temporary');
    assert.equal(classifyGraphResponse({ status: 504 }).code, 'temporary');
    // 507: the storage quota is reached; retrying changes nothing, the operator must act.
    assert.equal(classifyGraphResponse({ status: 507, body: { error: { code: 'ErrorQuotaExceeded', message: 'The maximum storage quota has been reached.' } } }).code, 'operator');
    assert.equal(classifyGraphResponse({ status: 0 }).code, 'temporary');
    // Not carried out because an earlier item of its chain failed: never the request's own fault.
    assert.equal(classifyGraphResponse({ status: 424, body: { error: { code: 'FailedDependency' } } }).code, 'temporary');
    assert.equal(classifyGraphResponse({ status: 404, body: { error: { code: 'ErrorItemNotFound', message: 'The specified object was not found in the store.' } } }).code, 'not_found');
    const noMailbox = classifyGraphResponse({ status: 404, body: { error: { code: 'MailboxNotEnabledForRESTAPI', message: 'The mailbox is either inactive, soft-deleted, or is hosted on-premise.' } } });
    assert.deepEqual([noMailbox.code, noMailbox.providerCode], ['calendar_unavailable', 'MailboxNotEnabledForRESTAPI']);
    // One user refused their mailbox (no licence, blocked): about that user, not the company's consent.
    assert.equal(classifyGraphResponse({ status: 403, body: { error: { code: 'ErrorAccessDenied', message: 'Access is denied.' } } }).code, 'account_refused');
    const bad = classifyGraphResponse({ status: 400, body: { error: { code: 'RequestBodyRead', message: "The property 'foo' does not exist" } } });
    assert.equal(bad.code, 'invalid');
    assert.equal(bad.providerCode, 'RequestBodyRead');
  });

  test('GraphError from the client: statusCode -1 (fetch failed) → temporary; 404 → not_found', () => {
    const dropped = new GraphError(-1, 'fetch failed');
    assert.equal(classifyError(dropped).code, 'temporary');
    const missing = new GraphError(404, 'The specified object was not found in the store.');
    missing.code = 'ErrorItemNotFound';
    assert.equal(classifyError(missing).code, 'not_found');
  });

  test('fetch failures are temporary, a bug of ours is not', () => {
    assert.equal(classifyError(new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } })).code, 'temporary');
    assert.equal(classifyError(new TypeError("Cannot read properties of undefined (reading 'id')")).code, 'invalid');
    const already = new CalendarProviderError('auth_lost', 'x');
    assert.equal(classifyError(already), already);
  });

  test('messages never carry a token, an Authorization header or a code, whatever Microsoft echoed', () => {
    const echo = `Bearer ${JWT} code=${REFRESH} refresh_token=${REFRESH} ${REFRESH}`;
    const fromGraph = classifyGraphResponse({ status: 400, body: { error: { code: 'BadRequest', message: echo } } });
    const fromMsal = classifyError(new ServerError('invalid_request', 'corr', aad(900144, echo), '', '900144', 400));
    const fromBug = classifyError(new Error(echo));
    for (const e of [fromGraph, fromMsal, fromBug]) assert.deepEqual(tokenShaped(e.message), [], e.message);
    assert.equal(redact('client 3f6c1a52-8d4e-4b7a-9c21-5e0f7d2b9a14'), 'client 3f6c1a52-8d4e-4b7a-9c21-5e0f7d2b9a14', 'ids are kept');
  });
});

describe('retry policy', () => {
  const p = DEFAULT_RETRY_POLICY;
  test('throttled waits its Retry-After; too long a wait or too many attempts ends as throttled', () => {
    assert.deepEqual(decideRetry(new CalendarProviderError('throttled', '', { retryAfterMs: 2000 }), 1, p), { retry: true, delayMs: 2000 });
    assert.deepEqual(decideRetry(new CalendarProviderError('throttled', '', { retryAfterMs: 120_000 }), 1, p), { retry: false });
    assert.deepEqual(decideRetry(new CalendarProviderError('throttled', '', { retryAfterMs: 1000 }), p.maxThrottledAttempts, p), { retry: false });
  });
  test('temporary backs off exponentially, bounded', () => {
    const at = (n: number) => decideRetry(new CalendarProviderError('temporary', ''), n, p, () => 0);
    assert.deepEqual(at(1), { retry: true, delayMs: 500 });
    assert.deepEqual(at(2), { retry: true, delayMs: 1000 });
    assert.deepEqual(at(3), { retry: true, delayMs: 2000 });
    assert.deepEqual(at(4), { retry: false });
  });
  test('not_found, invalid and auth errors are never retried', () => {
    for (const code of ['not_found', 'invalid', 'auth_lost', 'consent_missing'] as const) {
      assert.deepEqual(decideRetry(new CalendarProviderError(code, ''), 1, p), { retry: false });
    }
  });
});
