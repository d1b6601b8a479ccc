// The web app's JSON API: the only thing web/ may import from the server (types only).
// Authentication: the `tripcal_session` cookie set by POST /api/session. Errors:
// { error: code, message, field? } with `message` in the user's language where a person sees it.

export type Locale = 'ja' | 'en';

export interface Me {
  id: string;
  email: string;
  displayName: string;
  role: 'traveler' | 'admin';
  locale: Locale;
  timeZone: string;
  organisation: { id: string; name: string };
}

/** POST /api/session { email, password } → 200 { user } | 401; DELETE /api/session → 204. GET /api/me → { user }. PUT /api/me { locale } → { user }. */
export interface SessionResponse {
  user: Me;
}

/** GET /api/session → 200 { user }, null when nobody is signed in (never a 401). */
export interface CurrentSessionResponse {
  user: Me | null;
}

export type TripTiming = 'upcoming' | 'current' | 'past';

/** GET /api/trips */
export interface TripListItem {
  id: string;
  bookingRef: string;
  title: string | null;
  status: 'active' | 'cancelled';
  startsAt: string | null;
  endsAt: string | null;
  timing: TripTiming;
}

export type CalendarEventState = 'synced' | 'pending' | 'failed' | 'deleted_in_calendar' | 'not_synced';


/** A calendar provider's id in the registry (`src/calendars/registry.ts`): "outlook", later "google", "caldav". */
export type ProviderId = string;

/**
 * The names a provider shows, in one language (the provider registry holds them; the exact
 * wording of each is fixed by the product's label list):
 * - integration: the row on the company's Calendar tab and its dialog's title ("Outlookカレンダー連携");
 * - connect: the button, home-screen prompt and tile action that connects a calendar ("Outlookカレンダーと接続");
 * - tile: the tile's name under Connected apps ("Outlook");
 * - calendar: what the traveler's calendar is called in sentences ("Outlookカレンダー").
 */
export interface ProviderLabels {
  integration: string;
  connect: string;
  tile: string;
  calendar: string;
}

/** What the registry says of a provider: its id, names in both languages, and what it needs. */
export interface ProviderDescriptor {
  id: ProviderId;
  labels: Record<Locale, ProviderLabels>;
  /** The company must first be granted access by its own administrator (an admin consent for the whole organisation). */
  companyGrant: boolean;
  /** How a user connects: a sign-in at the provider (POST …/connect → { url }), or a form (POST …/connect-password). */
  connectMethod: 'oauth_code' | 'password';
  /** For a password form: how to fill it in (an app-specific password, where to make one), and an example server address. */
  passwordForm?: Record<Locale, { help: string; serverExample: string }>;
}

/** GET /api/session/sign-in: the providers whose sign-in the log-in page offers, with the button's words. */
export interface SignInProvidersResponse {
  providers: { id: ProviderId; labels: Record<Locale, { button: string; name: string }> }[];
}

export type ConnectionStatus = 'not_connected' | 'connected' | 'lapsed' | 'revoked' | 'disconnected';

/**
 * GET /api/me/calendars → { calendars: MyCalendarStatus[] } (one per provider this deployment runs);
 * GET /api/me/calendars/:provider; POST /api/me/calendars/:provider/connect { returnTo?: 'home' | 'tile' } → { url };
 * DELETE /api/me/calendars/:provider?removeEvents=true; POST /api/me/calendars/:provider/dismiss-prompt.
 *
 * After the provider's sign-in the browser comes back to the place the connection started from
 * (home: "/", tile: "/profile/connected-apps", the company dialog: "/company/settings/integrations/calendar")
 * with `?calendar=<provider>&result=connected`, or `&result=error&code=…&message=…` (message in the user's language).
 */
export interface MyCalendarStatus {
  provider: ProviderDescriptor;
  /** The company turned calendar sync on for this provider. */
  companySyncEnabled: boolean;
  status: ConnectionStatus;
  /** Why it lapsed or was revoked (the provider's code, e.g. "AADSTS700082", or "obt_login_expired"). */
  reason?: string;
  username?: string;
  connectedAt?: string;
  /** Show the home-screen connect prompt. */
  showConnectPrompt: boolean;
  /** The company delegated access for everyone (domain-wide delegation): the traveler connects nothing. */
  managedByCompany?: boolean;
}

/**
 * GET /api/trips/:id → the trip with each segment's state in each of the traveler's calendars:
 * one entry per provider the traveler is connected to (or was: a lapsed connection shows its
 * segments as not synced). With none, one entry per provider the company has turned sync on for,
 * every segment not synced. GET /api/trips/:id/itinerary.ics downloads it.
 */
export interface TripDetail {
  trip: import('../domain/types.ts').Trip;
  calendars: Array<{ provider: ProviderDescriptor; segments: Record<string, { state: CalendarEventState; error?: string }> }>;
}

export interface MyCalendarsResponse {
  calendars: MyCalendarStatus[];
}

export interface RedirectResponse {
  url: string;
}

export type GrantStatus = 'none' | 'granted' | 'refused' | 'revoked';

/**
 * GET /api/company/calendars → { calendars: CompanyCalendarStatus[] } (every provider of the registry);
 * GET /api/company/calendars/:provider (company admins); PUT /api/company/calendars/:provider/sync { enabled };
 * POST /api/company/calendars/:provider/grant-link → { url, expiresAt }; POST /api/company/calendars/:provider/connect → { url }
 */
export interface CompanyCalendarStatus {
  provider: ProviderDescriptor;
  /** The company-wide grant, where the provider has one. */
  grant?: {
    status: GrantStatus;
    /** The provider's own id of the organisation that granted it (shown to IT). */
    organization?: string;
    changedAt?: string;
    error?: string;
    /** The organisation a grant redirect named, until the company admin's own sign-in proves it. */
    claimed?: string;
  };
  connectedBy?: { name: string; email: string; at: string };
  /**
   * Where the provider offers it: delegation for the whole organisation in the provider's admin
   * console (the recommended mode). What the administrator enters there (our client id and the
   * exact scopes), and whether it is the company's mode. POST /api/company/calendars/:provider/delegation
   * checks it on the admin's own calendar and, when it works, makes it the company's mode.
   */
  delegation?: { clientId: string; scopes: string[]; active: boolean };
  syncEnabled: boolean;
  /**
   * Sync with this provider is stopped for every company by a fault only tripcal's operators can
   * fix (the banner): since when. The reason stays with the operators (health endpoint, logs).
   */
  operatorAlarm?: { since: string };
  loginPolicyDays: number | null;
  /** companyPolicy: of the lapsed, those the company's own sign-in policy (e.g. Conditional Access) refused. */
  counts: { connected: number; lapsed: number; revoked: number; neverConnected: number; companyPolicy: number };
  travelers: Array<{ userId: string; name: string; email: string; status: ConnectionStatus; reason?: string; lastLoginAt?: string }>;
}

export interface CompanyCalendarsResponse {
  calendars: CompanyCalendarStatus[];
}

export interface GrantLinkResponse {
  url: string;
  expiresAt: string;
}

/** GET /dev/api/outbox (development pages only, src/http/dev-routes.ts) → { emails } */
export interface OutboxEmail {
  file: string;
  subject: string;
  to: string;
  date: string | null;
  attachments: Array<{ index: number; filename: string; contentType: string; size: number }>;
}

/**
 * GET /api/password-links?token=… → what a one-use link is for (404 invalid, 410 expired or used);
 * POST /api/password-links { token, password } → 200 { user } (logged in); POST /api/password-reset { email } → 202.
 */
export interface PasswordLinkInfo {
  purpose: 'invitation' | 'reset';
  email: string;
  locale: Locale;
}

/**
 * The traveler's private subscription feed (Connected apps): GET /api/me/calendar-feed;
 * POST turns it on or replaces its URL (the old one answers 404 from then on); DELETE turns it off.
 * Calendar apps fetch `httpsUrl` (or open `webcalUrl`) with no session; the URL is the secret.
 */
export interface CalendarFeedStatus {
  enabled: boolean;
  /** What the feed asks clients for (REFRESH-INTERVAL, an ISO 8601 duration: "PT1H"); each client decides. */
  refreshInterval: string;
  httpsUrl?: string;
  webcalUrl?: string;
  createdAt?: string;
}

/**
 * POST /api/me/calendars/:provider/connect-password { serverUrl, username, password, calendarId? }
 * (providers whose connectMethod is 'password'): the account's calendars to choose from when it
 * holds several and none is chosen (nothing is stored yet; send the form again with `calendarId`),
 * or the connection made. A refused password, an unreachable server or a bad address is a 4xx/502
 * naming the field, in the user's language.
 */
export type PasswordConnectResponse =
  | { result: 'choose_calendar'; calendars: Array<{ id: string; name: string }> }
  | { result: 'connected'; calendar: MyCalendarStatus };

/**
 * GET /api/company/settings, PATCH /api/company/settings { keepCancelledEvents } (company admins):
 * whether a cancelled booking stays in travelers' calendars as "Canceled: …", free, with no
 * reminder (true), or is removed (false, the default). A change reconciles every connected
 * calendar of the company. A bad value is a 400 naming the field, in the admin's language.
 */
export interface CompanySettingsResponse {
  keepCancelledEvents: boolean;
}
