// The calendar-provider contract the sync engine is written against. A provider (Outlook through
// Microsoft Graph first) hands back these interfaces, never its SDK's types.
import type { DesiredEvent } from '../domain/project-segment.ts';

/**
 * What went wrong, reduced to what decides the sync engine's next step (one table in
 * src/sync maps each code to a state change):
 * - temporary: try again later (5xx, a dropped connection, a timeout);
 * - throttled: try again after `retryAfterMs` (429);
 * - auth_lost: the user must sign in again (refresh token expired or revoked: AADSTS700082, 50173, InteractionRequired);
 * - consent_missing: the organisation's admin consent is missing or was revoked (AADSTS65001);
 * - not_found: the event is gone (deleted in the calendar by the user);
 * - invalid: the provider refused the request as malformed (a bug of ours; never retried as is).
 */
export type ProviderErrorCode = 'temporary' | 'throttled' | 'auth_lost' | 'consent_missing' | 'not_found' | 'invalid';

export class CalendarProviderError extends Error {
  readonly code: ProviderErrorCode;
  /** The provider's own code, e.g. "AADSTS700082" or "ErrorItemNotFound"; never a token. */
  readonly providerCode?: string;
  readonly retryAfterMs?: number;
  constructor(code: ProviderErrorCode, message: string, options: { providerCode?: string; retryAfterMs?: number } = {}) {
    super(message);
    this.name = 'CalendarProviderError';
    this.code = code;
    this.providerCode = options.providerCode;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** One calendar write. `transactionId` makes a retried create idempotent at the provider. */
export type WriteOp =
  | { kind: 'create'; key: string; event: DesiredEvent; transactionId: string }
  | { kind: 'update'; key: string; eventId: string; event: DesiredEvent }
  | { kind: 'delete'; key: string; eventId: string };

export type WriteResult =
  | { key: string; kind: WriteOp['kind']; ok: true; eventId: string }
  | { key: string; kind: WriteOp['kind']; ok: false; error: CalendarProviderError };

/** One mailbox, reachable with a token the provider obtains (and refreshes) itself. */
export interface CalendarMailbox {
  /**
   * Applies the writes, batched and paced within the provider's limits; one result per op, in any
   * order. Throws CalendarProviderError only when the whole mailbox is unreachable (auth_lost,
   * consent_missing); per-op failures are in the results.
   */
  write(ops: WriteOp[], options?: { onResult?: (result: WriteResult) => Promise<void> }): Promise<WriteResult[]>;
  /** The events carrying our key, for the keys given: key → event id. */
  findByKeys(keys: string[]): Promise<Map<string, string>>;
}

/** An access token for the calendar's API and when it expires (ms since the epoch). */
export interface AccessToken {
  token: string;
  expiresAt: number;
}

/** Where a connection's token cache lives; the store encrypts it at rest. */
export interface TokenCacheStore {
  load(): Promise<string | null>;
  save(serialized: string): Promise<void>;
  /**
   * The access token last stored beside the cache (saveAccessToken), read with the connection's
   * other state: any worker process uses it until it expires, without opening the cache.
   */
  readonly accessToken?: AccessToken | null;
  /** Stores a newly acquired access token for every worker; without it, a token stays in its process. */
  saveAccessToken?(token: AccessToken): Promise<void>;
}

/** Who signed in, as the identity provider proved it. */
export interface ConnectedAccount {
  tenantId: string;
  objectId: string;
  username: string;
  name: string;
  homeAccountId: string;
}

export interface AuthorizationRequest {
  state: string;
  redirectUri: string;
  /** PKCE S256 challenge (RFC 7636); the verifier stays on our side. */
  codeChallenge: string;
  loginHint?: string;
  /** A tenant id to send the user to (the company's), or undefined for "organizations". */
  tenantId?: string;
  locale?: 'ja' | 'en';
}

export interface CalendarProvider {
  /** The organisation-wide admin-consent URL for our app (Microsoft's v2.0 adminconsent endpoint). */
  adminConsentUrl(options: { state: string; redirectUri: string; tenantId?: string }): string;
  /** Where to send a user to sign in and let us reach their calendar. */
  authorizationUrl(request: AuthorizationRequest): Promise<string>;
  /**
   * Redeems the authorization code; the token cache is saved through `cache`. The access token
   * that came with it is returned too, so the first reconcile can use it without opening the cache.
   */
  redeemCode(options: { code: string; codeVerifier: string; redirectUri: string; cache: TokenCacheStore }): Promise<ConnectedAccount & { accessToken?: AccessToken }>;
  /** The mailbox of a connected account. */
  mailbox(account: { homeAccountId: string; cache: TokenCacheStore }): CalendarMailbox;
  /** Refreshes the account's tokens now (keeps an idle connection alive); throws CalendarProviderError. */
  refresh(account: { homeAccountId: string; cache: TokenCacheStore }): Promise<void>;
  /** Removes the account from its cache (after a refusal that cannot be retried, or a disconnect). */
  forget(account: { homeAccountId: string; cache: TokenCacheStore }): Promise<void>;
}
