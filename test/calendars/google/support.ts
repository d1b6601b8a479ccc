// Test support for the Google provider: a Google sandbox per suite, and the provider pointed at it
// by its settings alone (hosts, CA, the service account's key, the OAuth client).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGoogleSandbox } from '../../../sandbox/google/server.ts';
import type { GoogleSandbox } from '../../../sandbox/google/server.ts';
import type { AccessToken, CredentialStore } from '../../../src/calendars/connection.ts';
import type { CalendarProvider } from '../../../src/calendars/provider.ts';
import { createGoogleProvider } from '../../../src/calendars/google/index.ts';
import type { GoogleProviderOptions } from '../../../src/calendars/google/index.ts';
import type { DesiredEvent } from '../../../src/domain/project-segment.ts';

export interface TestGoogle {
  google: GoogleSandbox;
  close(): Promise<void>;
}

export async function startTestGoogle(): Promise<TestGoogle> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tripcal-google-'));
  const google = await startGoogleSandbox({ dataDir, port: 0 });
  return {
    google,
    async close() {
      await google.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The provider as the settings build it against the sandbox. */
export function googleProviderFor(g: GoogleSandbox, extra: Partial<GoogleProviderOptions> = {}): CalendarProvider {
  const key = g.serviceAccountKey;
  return createGoogleProvider({
    serviceAccountKey: { client_email: key.client_email!, private_key: key.private_key!, client_id: key.client_id! },
    clientId: g.webClient.clientId,
    clientSecret: g.webClient.clientSecret,
    accountsUrl: g.url, oauthUrl: g.url, apiUrl: g.url,
    caPem: g.caPem,
    retryPolicy: { baseDelayMs: 20, maxDelayMs: 100 },
    ...extra,
  });
}

/** A CredentialStore in memory, with the shared access token a database row would hold. */
export class MemoryCredentials implements CredentialStore {
  value: string | null = null;
  accessToken: AccessToken | null = null;
  tokenSaves = 0;
  async load() {
    return this.value;
  }
  async save(serialized: string) {
    this.value = serialized;
  }
  async saveAccessToken(token: AccessToken) {
    this.accessToken = token;
    this.tokenSaves++;
  }
}

let n = 0;
export function flightEvent(over: Partial<DesiredEvent> = {}): DesiredEvent {
  n++;
  return {
    key: `seg-${n}-${Math.random().toString(36).slice(2, 8)}`,
    subject: `✈ NH ${100 + n} 東京 (HND) → 大阪 (ITM)`,
    body: 'NH 100\n\n予約番号: BK-1',
    location: '羽田空港 (HND)',
    start: { dateTime: '2026-12-01T09:00:00', timeZone: 'Asia/Tokyo' },
    end: { dateTime: '2026-12-01T10:10:00', timeZone: 'Asia/Tokyo' },
    isAllDay: false,
    showAs: 'tentative',
    categories: ['出張'],
    reminderMinutesBeforeStart: 180,
    ...over,
  };
}

export function hotelEvent(over: Partial<DesiredEvent> = {}): DesiredEvent {
  return flightEvent({
    subject: '🏨 ホテル大阪', location: '大阪市北区', start: { dateTime: '2026-12-01T00:00:00', timeZone: 'Asia/Tokyo' },
    end: { dateTime: '2026-12-03T00:00:00', timeZone: 'Asia/Tokyo' }, isAllDay: true, reminderMinutesBeforeStart: null, ...over,
  });
}
