// What went wrong at a calendar provider, reduced to the few codes the sync engine acts on. A
// provider classifies its own errors (its codes stay in `providerCode`); src/sync maps each code to
// what happens to the connection, in one table.

/**
 * What went wrong, reduced to what decides the sync engine's next step (one table in
 * src/sync maps each code to a state change):
 * - temporary: try again later (5xx, a dropped connection, a timeout);
 * - throttled: try again after `retryAfterMs` (429);
 * - auth_lost: the user must sign in again (the credential expired or was revoked);
 * - consent_missing: the grant this account relies on is missing (the company-wide grant, or a
 *   grant not yet in effect); whether the company's grant is gone is checked apart;
 * - account_refused: the provider refuses this one account, not the company (no mailbox licence,
 *   the account blocked from its mailbox); only that connection changes;
 * - policy_refused: the account's organisation's sign-in policy (multi-factor, sign-in frequency,
 *   a blocked location or device) refuses the credential; the user must sign in where it allows;
 * - calendar_unavailable: the account has no calendar the provider can reach (a mailbox hosted on
 *   premises, inactive, or none); the connection stays and is tried again later;
 * - operator: a fault only the deployment's operator can fix, the same for every account (the
 *   app's credential expired, a redirect URI not registered, the provider's storage quota): one
 *   alarm for the operator, and reconciles wait for it instead of trying every account;
 * - not_found: the event is gone (deleted in the calendar by the user);
 * - invalid: the provider refused the request as malformed (a bug of ours; never retried as is).
 */
export type ProviderErrorCode =
  | 'temporary' | 'throttled' | 'auth_lost' | 'consent_missing' | 'account_refused' | 'policy_refused' | 'calendar_unavailable' | 'operator' | 'not_found' | 'invalid';

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

/**
 * The `providerCode` of a code redemption refused because the account signed in belongs to another
 * organisation than the one the sign-in was sent to (the company's).
 */
export const WRONG_ORGANIZATION = 'wrong_organization';
