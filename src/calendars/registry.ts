// The calendar providers tripcal offers: for each, what it is called (the exact labels the product
// shows, in ja and en), whether a company must first grant access, and how it is built from the
// settings. The HTTP routes and the web app draw their rows, tiles and buttons from here, so a new
// provider is a folder under src/calendars/ and an entry below.
import fs from 'node:fs';
import type { CalendarProvider } from './provider.ts';
import { createOutlookProvider, type MicrosoftSettings } from './outlook/index.ts';
import { createGoogleProvider, type GoogleSettings } from './google/index.ts';

export type Locale = 'ja' | 'en';

/**
 * - integration: the row on the company's Calendar tab and its dialog's title;
 * - connect: the button, home-screen prompt and tile action that connects a calendar;
 * - tile: the tile's name under Connected apps;
 * - calendar: what the traveler's calendar is called in sentences (emails, the trip page).
 */
export interface ProviderLabels {
  integration: string;
  connect: string;
  tile: string;
  calendar: string;
}

/**
 * What the server says in the provider's name, where a generic sentence would be vaguer:
 * - grantMissing: the company's administrator has not granted access yet;
 * - wrongOrganization: the account signed in belongs to another organisation than the one that granted it;
 * - accountInUse: the account is connected to another user already;
 * - refused: the provider refused the connection (followed by its reason);
 * - granted: shown to the administrator who has just granted access.
 */
export interface ProviderMessages {
  grantMissing: string;
  wrongOrganization: string;
  accountInUse: string;
  refused: string;
  granted: string;
  /** Where the provider offers delegation: the check on the administrator's own calendar failed (followed by the provider's reason). */
  delegationMissing?: string;
}

export interface ProviderDescriptor {
  id: string;
  labels: Record<Locale, ProviderLabels>;
  messages: Record<Locale, ProviderMessages>;
  /** The company must first be granted access by its own administrator. */
  companyGrant: boolean;
}

const DESCRIPTORS: ProviderDescriptor[] = [
  {
    id: 'outlook',
    labels: {
      ja: { integration: 'Outlookカレンダー連携', connect: 'Outlookカレンダーと接続', tile: 'Outlook', calendar: 'Outlookカレンダー' },
      en: { integration: 'Outlook calendar integration', connect: 'Connect to Outlook calendar', tile: 'Outlook', calendar: 'Outlook calendar' },
    },
    messages: {
      ja: {
        grantMissing: 'Microsoft Entra 管理者がまだアクセスを承認していません。',
        wrongOrganization: 'このMicrosoftアカウントは会社のMicrosoft組織のものではありません。会社のアカウントでサインインしてください。',
        accountInUse: 'このMicrosoftアカウントは既に別のユーザーに接続されています。',
        refused: 'Microsoftが接続を拒否しました',
        granted: 'アクセスが承認されました。OBTの管理者に、「Outlookカレンダーと接続」を選択するよう伝えてください。',
      },
      en: {
        grantMissing: 'The Microsoft Entra administrator has not approved access yet.',
        wrongOrganization: "This Microsoft account does not belong to your company's Microsoft organization. Sign in with your work account.",
        accountInUse: 'This Microsoft account is already connected to another user.',
        refused: 'Microsoft refused the connection',
        granted: 'Access was approved. Tell your OBT administrator to choose "Connect to Outlook calendar".',
      },
    },
    companyGrant: true,
  },
  {
    id: 'google',
    labels: {
      ja: { integration: 'Googleカレンダー連携', connect: 'Googleカレンダーと接続', tile: 'Google', calendar: 'Googleカレンダー' },
      en: { integration: 'Google Calendar integration', connect: 'Connect to Google Calendar', tile: 'Google', calendar: 'Google Calendar' },
    },
    messages: {
      ja: {
        grantMissing: 'Google Workspace 管理者がまだアクセスを承認していません。',
        wrongOrganization: 'このGoogleアカウントは会社のGoogle Workspaceのものではありません。会社のアカウントでログインしてください。',
        accountInUse: 'このGoogleアカウントは既に別のユーザーに接続されています。',
        refused: 'Googleが接続を拒否しました',
        granted: 'ドメイン全体の委任を確認しました。全員の予定がGoogleカレンダーに追加されます。',
        delegationMissing: 'ドメイン全体の委任を確認できませんでした。Google 管理コンソールで、下記のクライアントIDとスコープを承認してください',
      },
      en: {
        grantMissing: 'The Google Workspace administrator has not approved access yet.',
        wrongOrganization: "This Google account does not belong to your company's Google Workspace. Sign in with your work account.",
        accountInUse: 'This Google account is already connected to another user.',
        refused: 'Google refused the connection',
        granted: "Domain-wide delegation works. Everyone's bookings will be added to their Google Calendar.",
        delegationMissing: 'Domain-wide delegation could not be confirmed. In the Google Admin console, authorize the client ID and scopes below',
      },
    },
    companyGrant: false,
  },
];

/** Every provider's descriptor, in the order the product shows them. */
export function providerDescriptors(): readonly ProviderDescriptor[] {
  return DESCRIPTORS;
}

export function providerDescriptor(id: string): ProviderDescriptor | undefined {
  return DESCRIPTORS.find((d) => d.id === id);
}

/** The names of the providers whose ids are given, in one language (emails quote them); unknown ids are left out. */
export function providerLabels(ids: readonly string[], locale: Locale): ProviderLabels[] {
  return ids.flatMap((id) => {
    const d = providerDescriptor(id);
    return d ? [d.labels[locale]] : [];
  });
}

/** The providers this deployment runs, by id. */
export type CalendarProviders = ReadonlyMap<string, CalendarProvider>;

export function calendarProviders(...providers: CalendarProvider[]): CalendarProviders {
  for (const p of providers) if (!providerDescriptor(p.id)) throw new Error(`calendar provider "${p.id}" is not in the registry`);
  return new Map(providers.map((p) => [p.id, p]));
}

/** Each provider's settings; a provider whose settings are absent is not run. */
export interface ProviderSettings {
  microsoft?: MicrosoftSettings;
  google?: GoogleSettings;
}

/** The providers the settings configure. */
export function providersFromSettings(settings: ProviderSettings): CalendarProviders {
  const providers: CalendarProvider[] = [];
  if (settings.microsoft) {
    const m = settings.microsoft;
    providers.push(createOutlookProvider({
      clientId: m.clientId, clientSecret: m.clientSecret, authorityHost: m.authorityHost, graphUrl: m.graphUrl,
      caPem: m.caFile ? fs.readFileSync(m.caFile, 'utf8') : undefined,
    }));
  }
  if (settings.google) {
    const g = settings.google;
    providers.push(createGoogleProvider({
      ...(g.serviceAccountKey ? { serviceAccountKey: g.serviceAccountKey } : {}),
      ...(g.clientId && g.clientSecret ? { clientId: g.clientId, clientSecret: g.clientSecret } : {}),
      accountsUrl: g.accountsUrl, oauthUrl: g.oauthUrl, apiUrl: g.apiUrl,
      caPem: g.caFile ? fs.readFileSync(g.caFile, 'utf8') : undefined,
    }));
  }
  return calendarProviders(...providers);
}
