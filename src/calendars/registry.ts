// The calendar providers tripcal offers: for each, what it is called (the exact labels the product
// shows, in ja and en), whether a company must first grant access, and how it is built from the
// settings. The HTTP routes and the web app draw their rows, tiles and buttons from here, so a new
// provider is a folder under src/calendars/ and an entry below.
import fs from 'node:fs';
import type { AnyCalendarProvider } from './provider.ts';
import { createCalDavProvider, type CalDavProviderOptions } from './caldav/index.ts';
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
 * - granted: what comes next, shown to the administrator who has just granted access (under a heading saying it was approved).
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

/** Where the provider's identity platform signs users in to tripcal: the log-in button, and the name its sentences use. */
export interface SignInLabels {
  button: string;
  name: string;
}

export interface ProviderDescriptor {
  id: string;
  labels: Record<Locale, ProviderLabels>;
  /** The log-in page's button, where the provider signs users in (docs/labels.md). */
  signIn?: Record<Locale, SignInLabels>;
  messages: Record<Locale, ProviderMessages>;
  /** The company must first be granted access by its own administrator. */
  companyGrant: boolean;
  /** How a user connects: a sign-in at the provider (redirect), or a form with a password. */
  connectMethod: 'oauth_code' | 'password';
  /** For a password form: what to type, and how to make an app-specific password, in the provider's own words. */
  passwordForm?: Record<Locale, { help: string; serverExample: string }>;
}

const DESCRIPTORS: ProviderDescriptor[] = [
  {
    id: 'outlook',
    labels: {
      ja: { integration: 'Outlookカレンダー連携', connect: 'Outlookカレンダーと接続', tile: 'Outlook', calendar: 'Outlookカレンダー' },
      en: { integration: 'Outlook calendar integration', connect: 'Connect to Outlook calendar', tile: 'Outlook', calendar: 'Outlook calendar' },
    },
    signIn: { ja: { button: 'Microsoftでサインイン', name: 'Microsoft' }, en: { button: 'Sign in with Microsoft', name: 'Microsoft' } },
    messages: {
      ja: {
        grantMissing: 'Microsoft Entra 管理者がまだアクセスを承認していません。',
        wrongOrganization: 'このMicrosoftアカウントは会社のMicrosoft組織のものではありません。会社のアカウントでサインインしてください。',
        accountInUse: 'このMicrosoftアカウントは既に別のユーザーに接続されています。',
        refused: 'Microsoftが接続を拒否しました',
        granted: '次に、OBTの管理者に「Outlookカレンダーと接続」を選択するよう伝えてください。',
      },
      en: {
        grantMissing: 'The Microsoft Entra administrator has not approved access yet.',
        wrongOrganization: "This Microsoft account does not belong to your company's Microsoft organization. Sign in with your work account.",
        accountInUse: 'This Microsoft account is already connected to another user.',
        refused: 'Microsoft refused the connection',
        granted: 'Next, tell your OBT administrator to choose "Connect to Outlook calendar".',
      },
    },
    companyGrant: true,
    connectMethod: 'oauth_code',
  },
  {
    id: 'caldav',
    labels: {
      ja: { integration: 'CalDAVカレンダー連携', connect: 'CalDAVカレンダーと接続', tile: 'CalDAV (iCloud・Fastmail・Nextcloud)', calendar: 'CalDAVカレンダー' },
      en: { integration: 'CalDAV calendar integration', connect: 'Connect to a CalDAV calendar', tile: 'CalDAV (iCloud, Fastmail, Nextcloud)', calendar: 'CalDAV calendar' },
    },
    messages: {
      ja: {
        grantMissing: 'CalDAVカレンダーは会社の承認なしで接続できます。',
        wrongOrganization: 'このCalDAVアカウントは接続できません。',
        accountInUse: 'このCalDAVカレンダーは既に別のユーザーに接続されています。',
        refused: 'CalDAVサーバーが接続を拒否しました',
        granted: 'CalDAVカレンダーを接続できます。',
      },
      en: {
        grantMissing: 'A CalDAV calendar needs no approval from your company.',
        wrongOrganization: 'This CalDAV account cannot be connected.',
        accountInUse: 'This CalDAV calendar is already connected to another user.',
        refused: 'The CalDAV server refused the connection',
        granted: 'CalDAV calendars can be connected.',
      },
    },
    companyGrant: false,
    connectMethod: 'password',
    passwordForm: {
      ja: {
        help: 'iCloudの場合: サーバーは https://caldav.icloud.com 、ユーザー名はApple IDのメールアドレスです。パスワードにはApple IDのパスワードではなく、account.apple.com の「サインインとセキュリティ」→「アプリ用パスワード」で作成したパスワードを入力してください。Fastmailは https://caldav.fastmail.com と「設定」→「パスワードとセキュリティ」で作成したアプリパスワード、Nextcloudは会社のNextcloudのアドレスと「個人設定」→「セキュリティ」で作成したアプリパスワードを使います。',
        serverExample: 'https://caldav.icloud.com',
      },
      en: {
        help: 'For iCloud: the server is https://caldav.icloud.com and the username is your Apple ID email. For the password, do not use your Apple ID password: make an app-specific password at account.apple.com, under Sign-In and Security → App-Specific Passwords. Fastmail: https://caldav.fastmail.com with an app password from Settings → Passwords & Security. Nextcloud: your company’s Nextcloud address with an app password from Personal settings → Security.',
        serverExample: 'https://caldav.icloud.com',
      },
    },
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
    connectMethod: 'oauth_code',
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
export type CalendarProviders = ReadonlyMap<string, AnyCalendarProvider>;

export function calendarProviders(...providers: AnyCalendarProvider[]): CalendarProviders {
  for (const p of providers) if (!providerDescriptor(p.id)) throw new Error(`calendar provider "${p.id}" is not in the registry`);
  return new Map(providers.map((p) => [p.id, p]));
}

/** Each provider's settings; a provider whose settings are absent is not run. */
export interface ProviderSettings {
  microsoft?: MicrosoftSettings;
  /** CalDAV needs no app registration: on unless turned off. */
  caldav?: CalDavProviderOptions | false;
  google?: GoogleSettings;
}

/** The providers the settings configure. */
export function providersFromSettings(settings: ProviderSettings): CalendarProviders {
  const providers: AnyCalendarProvider[] = [];
  if (settings.microsoft) {
    const m = settings.microsoft;
    providers.push(createOutlookProvider({
      clientId: m.clientId, clientSecret: m.clientSecret, authorityHost: m.authorityHost, graphUrl: m.graphUrl,
      caPem: m.caFile ? fs.readFileSync(m.caFile, 'utf8') : undefined,
    }));
  }
  if (settings.caldav !== false) providers.push(createCalDavProvider(settings.caldav ?? {}));
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
