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

export type CalendarEventState = 'synced' | 'pending' | 'failed' | 'deleted_in_outlook' | 'not_synced';

/** GET /api/trips/:id → the trip with each segment's calendar status. GET /api/trips/:id/itinerary.ics downloads it. */
export interface TripDetail {
  trip: import('../domain/types.ts').Trip;
  calendar: Record<string, { state: CalendarEventState; error?: string }>;
}

export type ConnectionStatus = 'not_connected' | 'connected' | 'lapsed' | 'revoked' | 'disconnected';

/** GET /api/me/outlook; POST /api/me/outlook/connect → { url }; DELETE /api/me/outlook?removeEvents=true; POST /api/me/outlook/dismiss-prompt */
export interface MyOutlookStatus {
  /** The company turned calendar sync on. */
  companySyncEnabled: boolean;
  status: ConnectionStatus;
  /** Why it lapsed or was revoked (e.g. "AADSTS700082", "obt_login_expired"). */
  reason?: string;
  username?: string;
  connectedAt?: string;
  /** Show the home-screen "Connect to Outlook calendar" prompt. */
  showConnectPrompt: boolean;
}

export interface RedirectResponse {
  url: string;
}

/** GET /api/company/outlook (company admins); PUT /api/company/outlook/sync { enabled }; POST /api/company/outlook/consent-link → { url, expiresAt }; POST /api/company/outlook/connect → { url } */
export interface CompanyOutlookStatus {
  consent: { status: 'none' | 'granted' | 'refused' | 'revoked'; tenantId?: string; changedAt?: string; error?: string };
  connectedBy?: { name: string; email: string; at: string };
  syncEnabled: boolean;
  loginPolicyDays: number | null;
  counts: { connected: number; lapsed: number; revoked: number; neverConnected: number };
  travelers: Array<{ userId: string; name: string; email: string; status: ConnectionStatus; reason?: string; lastLoginAt?: string }>;
}

export interface ConsentLinkResponse {
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
