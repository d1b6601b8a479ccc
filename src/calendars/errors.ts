// What went wrong at a calendar provider, reduced to the few codes the sync engine acts on. A
// provider classifies its own errors (its codes stay in `providerCode`); src/sync maps each code to
// what happens to the connection, in one table.

/**
 * What went wrong, reduced to what decides the sync engine's next step (one table in
 * src/sync maps each code to a state change):
 * - temporary: try again later (5xx, a dropped connection, a timeout);
 * - throttled: try again after `retryAfterMs` (429);
 * - auth_lost: the user must sign in again (the credential expired or was revoked);
 * - consent_missing: the company-wide grant is missing or was revoked;
 * - not_found: the event is gone (deleted in the calendar by the user);
 * - invalid: the provider refused the request as malformed (a bug of ours; never retried as is).
 */
export type ProviderErrorCode = 'temporary' | 'throttled' | 'auth_lost' | 'consent_missing' | 'not_found' | 'invalid';

export class CalendarProviderError extends Error {
  readonly code: ProviderErrorCode;
  /** The provider's own code, for people and logs; never a token. */
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
