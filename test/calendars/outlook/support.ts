// Test support for the Outlook provider: a sandbox per suite, an in-memory token cache store,
// PKCE pairs, and "signing in like a browser" on the sandbox's HTML sign-in page.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { Agent, fetch as undiciFetch } from 'undici';
import { startSandbox } from '../../../sandbox/server.ts';
import type { Sandbox } from '../../../sandbox/server.ts';
import type { AccessToken, ConnectedAccount, CredentialStore } from '../../../src/calendars/connection.ts';
import type { CalendarProvider } from '../../../src/calendars/provider.ts';
import type { DesiredEvent } from '../../../src/domain/project-segment.ts';
import { createOutlookProvider } from '../../../src/calendars/outlook/index.ts';
import type { OutlookProviderOptions } from '../../../src/calendars/outlook/index.ts';

export const REDIRECT_URI = 'http://localhost:3000/oauth/outlook/callback';

export interface TestSandbox {
  sandbox: Sandbox;
  close(): Promise<void>;
}

export async function startTestSandbox(): Promise<TestSandbox> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tripcal-outlook-'));
  const sandbox = await startSandbox({ dataDir, port: 0, config: { persist: false } });
  return {
    sandbox,
    async close() {
      await sandbox.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A CredentialStore in memory; `saves` counts writes, `value` is what a database row would hold. */
export class MemoryCacheStore implements CredentialStore {
  value: string | null = null;
  saves = 0;
  async load(): Promise<string | null> {
    return this.value;
  }
  async save(serialized: string): Promise<void> {
    this.value = serialized;
    this.saves++;
  }
}

export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export function providerFor(sb: Sandbox, extra: Partial<OutlookProviderOptions> = {}): CalendarProvider {
  return createOutlookProvider({
    clientId: sb.app.clientId,
    clientSecret: sb.app.clientSecret,
    authorityHost: sb.url,
    graphUrl: sb.url,
    caPem: sb.caPem,
    ...extra,
  });
}

function browserAgent(sb: Sandbox): Agent {
  return new Agent({ connect: { ca: [...rootCertificates, sb.caPem] } });
}

/**
 * Opens the authorize URL, picks `upn` on the sign-in form, posts it, and returns the query of the
 * redirect (code and state, or error). Accepts a consent page when one is shown.
 */
export async function signInLikeABrowser(sb: Sandbox, authorizeUrl: string, upn: string): Promise<URLSearchParams> {
  const dispatcher = browserAgent(sb);
  try {
    const first = await undiciFetch(authorizeUrl, { dispatcher, redirect: 'manual' });
    let html = await first.text();
    if (first.status === 302) return new URL(first.headers.get('location')!).searchParams;
    let form: Record<string, string> = { login: upn };
    for (let step = 0; step < 3; step++) {
      const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
      const ctx = /name="ctx" value="([^"]*)"/.exec(html)?.[1];
      if (!action || ctx === undefined) throw new Error(`no sign-in form on the page (status ${first.status}): ${html.slice(0, 300)}`);
      const body = new URLSearchParams({ ctx: ctx.replace(/&amp;/g, '&').replace(/&quot;/g, '"'), ...form });
      const res = await undiciFetch(new URL(action.replace(/&amp;/g, '&'), sb.url), {
        dispatcher,
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: body.toString(),
      });
      html = await res.text();
      if (res.status === 302) return new URL(res.headers.get('location')!).searchParams;
      if (res.status !== 200) throw new Error(`sign-in answered ${res.status}: ${html.slice(0, 300)}`);
      // A consent page: accept it.
      form = { login: upn, step: 'consent', decision: 'accept' };
    }
    throw new Error('sign-in did not redirect');
  } finally {
    await dispatcher.close();
  }
}

/** Admin consent granted, then `upn` connects: the account and its filled cache store. */
export async function connect(sb: Sandbox, provider: CalendarProvider, upn: string, tenantId: string): Promise<{ account: ConnectedAccount & { accessToken?: AccessToken }; cache: MemoryCacheStore }> {
  const { verifier, challenge } = pkce();
  const state = randomBytes(12).toString('base64url');
  const url = await provider.connect.authorizationUrl({ state, redirectUri: REDIRECT_URI, codeChallenge: challenge, loginHint: upn, organization: tenantId });
  const answer = await signInLikeABrowser(sb, url, upn);
  const code = answer.get('code');
  if (!code) throw new Error(`no code: ${answer.get('error')} ${answer.get('error_description')}`);
  if (answer.get('state') !== state) throw new Error('state not echoed');
  const cache = new MemoryCacheStore();
  const account = await provider.connect.redeemCode({ code, codeVerifier: verifier, redirectUri: REDIRECT_URI, credentials: cache });
  return { account, cache };
}

let n = 0;
export function flightEvent(over: Partial<DesiredEvent> = {}): DesiredEvent {
  n++;
  return {
    key: `seg-${n}`,
    subject: `✈ NH ${100 + n} Tokyo (HND) → Osaka (ITM)`,
    body: 'Flight NH 100\n\nBooking reference: BK-1',
    location: 'Haneda Airport (HND)',
    start: { dateTime: '2026-12-01T09:00:00', timeZone: 'Asia/Tokyo' },
    end: { dateTime: '2026-12-01T10:10:00', timeZone: 'Asia/Tokyo' },
    isAllDay: false,
    showAs: 'tentative',
    categories: ['Travel'],
    reminderMinutesBeforeStart: 180,
    ...over,
  };
}

/** Token-shaped text: JWTs, long opaque runs (refresh tokens, codes), the client secret. */
export function tokenShaped(text: string, secrets: string[] = []): string[] {
  const hits: string[] = [];
  for (const m of text.matchAll(/eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g)) hits.push(m[0]);
  for (const m of text.matchAll(/[A-Za-z0-9._~+/=-]{40,}/g)) hits.push(m[0]);
  for (const s of secrets) if (s && text.includes(s)) hits.push(s);
  return hits;
}
