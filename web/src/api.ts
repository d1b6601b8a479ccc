// The JSON API of the product's server (contract: src/http/api-types.ts). Cookies carry the session.
import type {
  CalendarFeedStatus,
  CompanyCalendarsResponse,
  PasswordConnectResponse,
  CompanyCalendarStatus,
  CompanySettingsResponse,
  CurrentSessionResponse,
  GrantLinkResponse,
  Locale,
  Me,
  MyCalendarsResponse,
  MyCalendarStatus,
  OutboxEmail,
  PasswordLinkInfo,
  ProviderDescriptor,
  ProviderId,
  ProviderLabels,
  RedirectResponse,
  SessionResponse,
  TripDetail,
  TripListItem,
  SignInProvidersResponse,
} from '../../src/http/api-types.ts';

export type SignInProvider = SignInProvidersResponse['providers'][number];
export type { CalendarFeedStatus, CompanyCalendarStatus, GrantLinkResponse, Locale, Me, MyCalendarStatus, ProviderDescriptor, ProviderId, ProviderLabels, RedirectResponse, TripDetail, TripListItem };

/** Where the server sends a traveler back after connecting: the home screen or the Connected apps tile. */
export type ConnectFrom = 'home' | 'tile';

/** Dispatched on window when an API call finds the session gone. */
export const SESSION_ENDED = 'tripcal:session-ended';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  /** The request field the error is about, where the server names one. */
  readonly field?: string;
  constructor(status: number, code: string, message: string, field?: string) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

async function call<T>(method: string, url: string, body?: unknown): Promise<T> {
  const res = await fetch(url, {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) {
    const e = (data ?? {}) as { error?: string; message?: string; field?: string };
    // The session ended (logged out elsewhere, expired): back to the log-in screen.
    if (res.status === 401 && !url.startsWith('/api/session') && !url.startsWith('/api/me')) window.dispatchEvent(new Event(SESSION_ENDED));
    throw new ApiError(res.status, e.error ?? `http_${res.status}`, e.message ?? res.statusText, e.field);
  }
  return data as T;
}

const me = (provider: ProviderId) => `/api/me/calendars/${encodeURIComponent(provider)}`;
const company = (provider: ProviderId) => `/api/company/calendars/${encodeURIComponent(provider)}`;

export const api = {
  /** Who is signed in: null when nobody is (a 200, so a first visit logs no failed request). */
  me: () => call<CurrentSessionResponse>('GET', '/api/session').then((r) => r.user),
  login: (email: string, password: string) => call<SessionResponse>('POST', '/api/session', { email, password }).then((r) => r.user),
  /** A one-use link (invitation, reset): what it is for; then setting the password through it logs the user in. */
  passwordLink: (token: string) => call<PasswordLinkInfo>('GET', `/api/password-links?token=${encodeURIComponent(token)}`),
  usePasswordLink: (token: string, password: string) => call<SessionResponse>('POST', '/api/password-links', { token, password }).then((r) => r.user),
  /** The providers whose sign-in the log-in page offers, with their buttons' words. */
  signInProviders: () => call<SignInProvidersResponse>('GET', '/api/session/sign-in').then((r) => r.providers),
  requestPasswordReset: (email: string) => call<unknown>('POST', '/api/password-reset', { email }),
  logout: () => call<void>('DELETE', '/api/session'),
  setLocale: (locale: Locale) => call<SessionResponse>('PUT', '/api/me', { locale }).then((r) => r.user),
  trips: () => call<TripListItem[] | { trips: TripListItem[] }>('GET', '/api/trips').then((r) => (Array.isArray(r) ? r : r.trips)),
  trip: (id: string) => call<TripDetail>('GET', `/api/trips/${encodeURIComponent(id)}`),
  // The traveler's own calendars: one per provider the company offers.
  myCalendars: () => call<MyCalendarsResponse>('GET', '/api/me/calendars').then((r) => r.calendars),
  myCalendar: (provider: ProviderId) => call<MyCalendarStatus>('GET', me(provider)),
  connectMyCalendar: (provider: ProviderId, from: ConnectFrom) => call<RedirectResponse>('POST', `${me(provider)}/connect`, { returnTo: from }),
  connectMyCalendarWithPassword: (provider: ProviderId, form: { serverUrl: string; username: string; password: string; calendarId?: string }) =>
    call<PasswordConnectResponse>('POST', `${me(provider)}/connect-password`, form),
  disconnectMyCalendar: (provider: ProviderId, removeEvents: boolean) => call<MyCalendarStatus>('DELETE', `${me(provider)}?removeEvents=${removeEvents}`),
  dismissPrompt: (provider: ProviderId) => call<MyCalendarStatus>('POST', `${me(provider)}/dismiss-prompt`, {}),
  // The company's side (admins): every provider of the registry.
  companyCalendars: () => call<CompanyCalendarsResponse>('GET', '/api/company/calendars').then((r) => r.calendars),
  companyCalendar: (provider: ProviderId) => call<CompanyCalendarStatus>('GET', company(provider)),
  grantLink: (provider: ProviderId) => call<GrantLinkResponse>('POST', `${company(provider)}/grant-link`, {}),
  connectCompanyCalendar: (provider: ProviderId) => call<RedirectResponse>('POST', `${company(provider)}/connect`, {}),
  setCompanySync: (provider: ProviderId, enabled: boolean) => call<CompanyCalendarStatus>('PUT', `${company(provider)}/sync`, { enabled }),
  checkDelegation: (provider: ProviderId) => call<CompanyCalendarStatus>('POST', `${company(provider)}/delegation`, {}),
  companySettings: () => call<CompanySettingsResponse>('GET', '/api/company/settings'),
  setCompanySettings: (settings: CompanySettingsResponse) => call<CompanySettingsResponse>('PATCH', '/api/company/settings', settings),
  // The traveler's private subscription feed.
  calendarFeed: () => call<CalendarFeedStatus>('GET', '/api/me/calendar-feed'),
  enableCalendarFeed: () => call<CalendarFeedStatus>('POST', '/api/me/calendar-feed', {}),
  disableCalendarFeed: () => call<CalendarFeedStatus>('DELETE', '/api/me/calendar-feed'),
};

/** Development pages (src/http/dev-routes.ts); absent in production. */
export type { OutboxEmail };

export const devApi = {
  outbox: () => call<{ emails: OutboxEmail[] }>('GET', '/dev/api/outbox').then((r) => r.emails),
  booking: (ref: string) => call<{ trip: TripDetail['trip'] }>('GET', `/dev/api/bookings/${encodeURIComponent(ref)}`).then((r) => r.trip),
  shiftSegment: (ref: string, segmentRef: string, minutes: number) =>
    call<unknown>('POST', `/dev/api/bookings/${encodeURIComponent(ref)}/segments/${encodeURIComponent(segmentRef)}/shift`, { minutes }),
  cancelSegment: (ref: string, segmentRef: string) => call<unknown>('POST', `/dev/api/bookings/${encodeURIComponent(ref)}/segments/${encodeURIComponent(segmentRef)}/cancel`, {}),
  cancelTrip: (ref: string) => call<unknown>('POST', `/dev/api/bookings/${encodeURIComponent(ref)}/cancel`, {}),
};
