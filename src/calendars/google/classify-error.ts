// A failure of google-auth-library or the Calendar client → CalendarProviderError. Google's codes
// stay in `providerCode`; messages never carry a token, assertion or header.
import { CalendarProviderError } from '../errors.ts';

interface GaxiosLike {
  status?: number;
  code?: string | number;
  message?: string;
  response?: { status?: number; data?: unknown; headers?: { get?(name: string): string | null } | Record<string, string> };
  config?: { url?: string | URL };
}

function header(e: GaxiosLike, name: string): string | undefined {
  const h = e.response?.headers;
  if (!h) return undefined;
  if (typeof (h as { get?: unknown }).get === 'function') return (h as { get(n: string): string | null }).get(name) ?? undefined;
  return (h as Record<string, string>)[name];
}

/** Retry-After in ms (seconds or an HTTP date), if the answer had one. */
export function retryAfterMs(e: GaxiosLike, now = Date.now()): number | undefined {
  const v = header(e, 'retry-after');
  if (!v) return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

/** The Calendar API's reason ("userRateLimitExceeded", "duplicate", …) from its JSON error body. */
export function reasonOf(e: GaxiosLike): string | undefined {
  const data = e.response?.data as { error?: { errors?: Array<{ reason?: string }> } } | undefined;
  return typeof data?.error === 'object' ? data.error.errors?.[0]?.reason : undefined;
}

/** The token endpoint's OAuth error ("invalid_grant", "unauthorized_client", …). */
function oauthErrorOf(e: GaxiosLike): string | undefined {
  const data = e.response?.data as { error?: unknown } | undefined;
  return typeof data?.error === 'string' ? data.error : undefined;
}

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ABORT_ERR']);

export function classifyError(error: unknown, options: { delegated?: boolean } = {}): CalendarProviderError {
  if (error instanceof CalendarProviderError) return error;
  const e = (error ?? {}) as GaxiosLike;
  const status = e.response?.status ?? (typeof e.status === 'number' ? e.status : undefined);
  const oauth = oauthErrorOf(e);
  if (oauth) {
    // The token endpoint refused the grant.
    if (oauth === 'unauthorized_client' || oauth === 'access_denied') {
      // Under domain-wide delegation: the Workspace admin has not authorized (or has removed) our
      // client id for these scopes. For a user's own sign-in: the client may no longer use it.
      return new CalendarProviderError(options.delegated ? 'consent_missing' : 'auth_lost', 'Google refused the access token: the client is not authorized for the calendar scope', { providerCode: oauth });
    }
    if (oauth === 'invalid_grant') {
      // Under delegation: this one user is unknown to the domain or suspended, the company's grant
      // is not in question. A user's own sign-in: the refresh token was revoked or expired.
      return options.delegated
        ? new CalendarProviderError('account_refused', 'Google refused the grant for this user (unknown in the domain, or suspended)', { providerCode: oauth })
        : new CalendarProviderError('auth_lost', 'Google refused the grant (the refresh token was revoked or expired)', { providerCode: oauth });
    }
    if (oauth === 'invalid_client') return new CalendarProviderError('invalid', 'Google does not know our OAuth client (check GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET)', { providerCode: oauth });
    if (status !== undefined && status >= 500) return new CalendarProviderError('temporary', `Google's token endpoint answered ${status}`, { providerCode: oauth, ...(retryAfterMs(e) !== undefined ? { retryAfterMs: retryAfterMs(e) } : {}) });
    return new CalendarProviderError('invalid', `Google's token endpoint refused the request (${oauth})`, { providerCode: oauth });
  }
  if (status === undefined) {
    const code = typeof e.code === 'string' ? e.code : undefined;
    const cause = (error as { cause?: { code?: string } } | undefined)?.cause?.code;
    if ((code && NETWORK_CODES.has(code)) || (cause && NETWORK_CODES.has(cause)) || /fetch failed|socket|network|timeout|aborted/i.test(e.message ?? '')) {
      return new CalendarProviderError('temporary', 'The connection to Google failed', { providerCode: code ?? cause ?? 'network' });
    }
    return new CalendarProviderError('invalid', `Google client error: ${(e.message ?? String(error)).slice(0, 200)}`, { providerCode: 'client' });
  }
  const reason = reasonOf(e);
  const wait = retryAfterMs(e);
  const base = { ...(reason ? { providerCode: reason } : { providerCode: String(status) }), ...(wait !== undefined ? { retryAfterMs: wait } : {}) };
  if (status === 429 || (status === 403 && (reason === 'userRateLimitExceeded' || reason === 'rateLimitExceeded' || reason === 'quotaExceeded'))) {
    return new CalendarProviderError('throttled', 'Google Calendar asked us to slow down', base);
  }
  if (status === 401) return new CalendarProviderError('auth_lost', 'Google Calendar refused the access token', base);
  if (status === 404 || status === 410) return new CalendarProviderError('not_found', 'The event is not in the calendar', base);
  if (status >= 500 || status === 408) return new CalendarProviderError('temporary', `Google Calendar answered ${status}`, base);
  // Any other 403 is about this account's calendar (its Calendar service turned off, access denied), not the company's grant.
  if (status === 403) return new CalendarProviderError('account_refused', 'Google Calendar refused access to this account\'s calendar', base);
  return new CalendarProviderError('invalid', `Google Calendar refused the request (${status}${reason ? ` ${reason}` : ''})`, base);
}
