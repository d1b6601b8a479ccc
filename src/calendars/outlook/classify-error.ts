// MSAL and Graph failures → CalendarProviderError. Pure: it reads only the error values given.
// Messages are built from codes plus Microsoft's description with tokens scrubbed (redact.ts);
// a token, code, secret or Authorization header never reaches them.
import { GraphError } from '@microsoft/microsoft-graph-client';
import { CalendarProviderError } from '../errors.ts';
import type { ProviderErrorCode } from '../errors.ts';
import { redact } from './redact.ts';

/** AADSTS codes that mean "the user must sign in again". */
const AUTH_LOST_AADSTS = new Set([
  700082, // refresh token expired: inactive for 90 days
  50173, // grant revoked: password reset or sessions revoked
  70008, // refresh token or code expired
  50078, // MFA claim expired
  54005, // authorization code already redeemed
  700084, // refresh token for a SPA expired (24 h)
  9002313, // invalid or malformed request (a refresh token that is not ours)
  50126, // bad credentials
  50057, // user account disabled
  50034, // user does not exist in the directory
]);

/**
 * AADSTS codes of the organisation's Conditional Access policies ("Microsoft Entra authentication
 * and authorization error codes"): the user must sign in again in a way the policy allows.
 */
const POLICY_AADSTS = new Set([
  50076, // multi-factor authentication required
  50079, // multi-factor registration required
  50158, // external security challenge not satisfied
  70043, // refresh token older than the sign-in frequency allows
  53000, // device not compliant / not managed
  53001, // device not domain-joined
  53003, // access blocked by Conditional Access policies
]);

/** AADSTS codes that mean "the grant this account relies on is missing". */
const CONSENT_AADSTS = new Set([
  65001, // the user or administrator has not consented
  65004, // user declined to consent
  90094, // admin consent required
  90008, // the app needs an admin to authorize it
]);

/**
 * Refusals about our app registration, not about any user: only the operator can fix them
 * (AADSTS7000222 the client secret expired, 7000215 an invalid secret, 50011 the redirect URI not
 * registered, 700016 the app not found in the directory).
 */
const OPERATOR_AADSTS = new Set([7000222, 7000215, 50011, 700016]);

interface MsalLike {
  errorCode: string;
  errorMessage?: string;
  subError?: string;
  errorNo?: string | number;
  status?: number;
  httpStatus?: number;
  name?: string;
}

interface GraphLike {
  statusCode: number;
  code?: string | null;
  message?: string;
  headers?: Headers | Record<string, string>;
}

/** A response from Graph, top-level or inside a $batch: status, headers and parsed body. */
export interface GraphResponseLike {
  status: number;
  headers?: Headers | Record<string, string>;
  body?: unknown;
}

function isMsalError(e: unknown): e is MsalLike {
  return typeof e === 'object' && e !== null && typeof (e as MsalLike).errorCode === 'string';
}

function isGraphError(e: unknown): e is GraphLike {
  if (e instanceof GraphError) return true;
  // Another copy of the client: its GraphError carries statusCode, requestId and body.
  return typeof e === 'object' && e !== null && typeof (e as GraphLike).statusCode === 'number' && 'requestId' in e && 'body' in e;
}

function header(headers: Headers | Record<string, string> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const rec = headers as Record<string, string>;
  const key = Object.keys(rec).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : rec[key];
}

/** Retry-After: delta-seconds or an HTTP-date (RFC 9110 §10.2.3), in ms; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined | null, nowMs = Date.now()): number | undefined {
  if (value === undefined || value === null || value.trim() === '') return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/** Microsoft's description, shortened: the part before "Trace ID", tokens scrubbed, at most 300 chars. */
function describe(text: string | undefined): string {
  if (!text) return '';
  // MSAL prefixes the server's text: "Error(s): 7000215 - Timestamp: … - Description: AADSTS7000215: …".
  const described = /Description:\s*([\s\S]*)$/.exec(text)?.[1] ?? text;
  const head = described.split(/\r?\n|\s+Trace ID:/)[0] ?? '';
  const clean = redact(head).trim();
  return clean.length > 300 ? `${clean.slice(0, 299)}…` : clean;
}

function aadstsOf(e: MsalLike): number | undefined {
  const n = Number(e.errorNo);
  if (e.errorNo !== undefined && e.errorNo !== '' && Number.isInteger(n)) return n;
  const m = /AADSTS(\d+)/.exec(e.errorMessage ?? '');
  return m ? Number(m[1]) : undefined;
}

function make(code: ProviderErrorCode, message: string, providerCode?: string, retryAfterMs?: number): CalendarProviderError {
  return new CalendarProviderError(code, message, {
    ...(providerCode ? { providerCode } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
}

/** An MSAL error (token endpoint refusal, interaction required, network failure, empty cache). */
export function classifyMsalError(e: MsalLike): CalendarProviderError {
  const aadsts = aadstsOf(e);
  const providerCode = aadsts !== undefined ? `AADSTS${aadsts}` : e.errorCode;
  const detail = describe(e.errorMessage);
  const what = `Microsoft sign-in refused the token request (${[providerCode, e.errorCode !== providerCode ? e.errorCode : '', e.subError ?? ''].filter(Boolean).join(', ')})${detail ? `: ${detail}` : ''}`;
  if (aadsts !== undefined && OPERATOR_AADSTS.has(aadsts)) return make('operator', what, providerCode);
  if (aadsts !== undefined && CONSENT_AADSTS.has(aadsts)) return make('consent_missing', what, providerCode);
  if (e.subError === 'consent_required') return make('consent_missing', what, providerCode);
  if (aadsts !== undefined && POLICY_AADSTS.has(aadsts)) return make('policy_refused', what, providerCode);
  if (aadsts !== undefined && AUTH_LOST_AADSTS.has(aadsts)) return make('auth_lost', what, providerCode);
  const status = e.status ?? e.httpStatus;
  // Network failures and the identity service's own outages: try again later.
  if (e.errorCode === 'network_error' || e.errorCode === 'endpoints_resolution_error' || e.errorCode === 'temporarily_unavailable' || (status !== undefined && status >= 500)) {
    return make('temporary', `Microsoft sign-in could not be reached or is unavailable (${e.errorCode})`, providerCode);
  }
  if (status === 429) return make('throttled', `Microsoft sign-in is throttling (${e.errorCode})`, providerCode);
  if (e.name === 'InteractionRequiredAuthError' || e.errorCode === 'invalid_grant' || e.errorCode === 'interaction_required' || e.errorCode === 'login_required') {
    return make('auth_lost', what, providerCode);
  }
  // The cache holds no usable account or refresh token: only a new sign-in helps.
  if (['no_account_in_silent_request', 'no_tokens_found', 'token_refresh_required', 'no_account_found', 'refresh_token_expired'].includes(e.errorCode)) {
    return make('auth_lost', `No usable sign-in for this account in its token cache (${e.errorCode})`, e.errorCode);
  }
  return make('invalid', what, providerCode);
}

/** A Graph answer that is not a success, top-level or a $batch item. */
export function classifyGraphResponse(res: GraphResponseLike, nowMs = Date.now()): CalendarProviderError {
  const err = (res.body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  const graphCode = typeof err?.code === 'string' ? err.code : undefined;
  const detail = describe(typeof err?.message === 'string' ? err.message : undefined);
  const message = `Microsoft Graph answered ${res.status}${graphCode ? ` ${graphCode}` : ''}${detail ? `: ${detail}` : ''}`;
  const providerCode = graphCode ?? `HTTP${res.status}`;
  if (res.status === 429) {
    return make('throttled', message, providerCode, parseRetryAfter(header(res.headers, 'retry-after'), nowMs) ?? 1000);
  }
  // 507 Insufficient Storage: the storage quota is reached; nothing a traveler or a retry changes.
  if (res.status === 507) return make('operator', message, providerCode);
  // 424 Failed Dependency: an earlier request of its $batch chain failed, so this one was not
  // carried out. Nothing is wrong with it; under a 429 storm a chain's tail meets this many times.
  if (res.status >= 500 || res.status === 408 || res.status === 424 || res.status <= 0) {
    return make('temporary', message, providerCode, parseRetryAfter(header(res.headers, 'retry-after'), nowMs));
  }
  // The mailbox is on premises, inactive, soft-deleted, or there is none (Exchange: "REST API is
  // not yet supported for this mailbox"): nothing of this account's calendar is reachable.
  if (graphCode === 'MailboxNotEnabledForRESTAPI' || graphCode === 'MailboxNotSupportedForRESTAPI') return make('calendar_unavailable', message, providerCode);
  if (res.status === 404 || graphCode === 'ErrorItemNotFound') return make('not_found', message, providerCode);
  if (res.status === 401) return make('auth_lost', message, providerCode);
  // 403 on a user's own calendar, with a token Entra issued for it: this user may not use the
  // mailbox (no Exchange Online licence, blocked). The company's consent is what the token shows;
  // a missing consent is refused by Entra at the token endpoint (AADSTS65001), not here.
  if (res.status === 403 && (graphCode === 'ErrorAccessDenied' || graphCode === 'Authorization_RequestDenied')) {
    return make('account_refused', message, providerCode);
  }
  return make('invalid', message, providerCode);
}

/** fetch's own failure ("fetch failed" with a socket or TLS cause), not a bug of ours. */
export function isNetworkFailure(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return true;
  const cause = (e as { cause?: { code?: unknown; message?: unknown } }).cause;
  const text = `${e.message} ${typeof cause?.code === 'string' ? cause.code : ''} ${typeof cause?.message === 'string' ? cause.message : ''}`;
  return /fetch failed|ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|UND_ERR|socket hang up|other side closed/i.test(text);
}

/** Any failure from MSAL, the Graph client, or fetch. */
export function classifyError(e: unknown, nowMs = Date.now()): CalendarProviderError {
  if (e instanceof CalendarProviderError) return e;
  if (isMsalError(e)) return classifyMsalError(e);
  if (isGraphError(e)) {
    // The Graph client reports a failed request (refused, reset, TLS, timed out) as statusCode -1.
    if (e.statusCode <= 0) return make('temporary', 'Microsoft Graph could not be reached (connection failed)', 'network');
    const body = e.code || e.message ? { error: { code: e.code ?? undefined, message: e.message } } : undefined;
    return classifyGraphResponse({ status: e.statusCode, headers: e.headers, body }, nowMs);
  }
  if (isNetworkFailure(e)) {
    return make('temporary', 'Microsoft Graph could not be reached (connection failed)', 'network');
  }
  const text = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return make('invalid', `Unexpected failure in the Outlook provider: ${describe(text)}`);
}
