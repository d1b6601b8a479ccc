// The JSON API of the product's server (contract: src/http/api-types.ts). Cookies carry the session.
import type {
  CompanyOutlookStatus,
  ConsentLinkResponse,
  Locale,
  Me,
  MyOutlookStatus,
  OutboxEmail,
  RedirectResponse,
  SessionResponse,
  TripDetail,
  TripListItem,
} from '../../src/http/api-types.ts';

export type { CompanyOutlookStatus, ConsentLinkResponse, Locale, Me, MyOutlookStatus, TripDetail, TripListItem };

/** Dispatched on window when an API call finds the session gone. */
export const SESSION_ENDED = 'tripcal:session-ended';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
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
    const e = (data ?? {}) as { error?: string; message?: string };
    // The session ended (logged out elsewhere, expired): back to the log-in screen.
    if (res.status === 401 && !url.startsWith('/api/session') && !url.startsWith('/api/me')) window.dispatchEvent(new Event(SESSION_ENDED));
    throw new ApiError(res.status, e.error ?? `http_${res.status}`, e.message ?? res.statusText);
  }
  return data as T;
}

export const api = {
  me: () => call<SessionResponse>('GET', '/api/me').then((r) => r.user),
  login: (email: string, password: string) => call<SessionResponse>('POST', '/api/session', { email, password }).then((r) => r.user),
  logout: () => call<void>('DELETE', '/api/session'),
  setLocale: (locale: Locale) => call<SessionResponse>('PUT', '/api/me', { locale }).then((r) => r.user),
  trips: () => call<TripListItem[] | { trips: TripListItem[] }>('GET', '/api/trips').then((r) => (Array.isArray(r) ? r : r.trips)),
  trip: (id: string) => call<TripDetail>('GET', `/api/trips/${encodeURIComponent(id)}`),
  myOutlook: () => call<MyOutlookStatus>('GET', '/api/me/outlook'),
  connectMyOutlook: () => call<RedirectResponse>('POST', '/api/me/outlook/connect', {}),
  disconnectMyOutlook: (removeEvents: boolean) => call<void>('DELETE', `/api/me/outlook${removeEvents ? '?removeEvents=true' : ''}`),
  dismissPrompt: () => call<void>('POST', '/api/me/outlook/dismiss-prompt', {}),
  companyOutlook: () => call<CompanyOutlookStatus>('GET', '/api/company/outlook'),
  consentLink: () => call<ConsentLinkResponse>('POST', '/api/company/outlook/consent-link', {}),
  connectCompanyOutlook: () => call<RedirectResponse>('POST', '/api/company/outlook/connect', {}),
  setCompanySync: (enabled: boolean) => call<unknown>('PUT', '/api/company/outlook/sync', { enabled }),
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
