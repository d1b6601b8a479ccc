// Optional company-level capabilities: access granted once for the whole company by its own
// administrator (an admin-consent link), which every user's connection then relies on; or access
// delegated for every user of the organisation, which needs no user's connection at all.
import type { ConnectedAccount } from './connection.ts';

/** What the provider's redirect after the administrator's decision says. */
export type GrantOutcome =
  | { status: 'granted'; organization: string }
  | { status: 'refused'; error: string; organization?: string }
  /** Not an answer at all (a parameter missing). */
  | { status: 'incomplete'; missing: string };

export interface CompanyGrant {
  /**
   * The link the company's administrator opens to grant access; `state` comes back on the
   * redirect. `organization` sends the administrator to that organisation's sign-in directly.
   */
  grantUrl(options: { state: string; redirectUri: string; organization?: string }): string;
  /** Reads the redirect's query. The organisation it names is a claim until a user of it connects. */
  readRedirect(query: Record<string, string | undefined>): GrantOutcome;
}

/**
 * An optional company-level capability: the company's administrator delegates calendar access for
 * every user of the organisation to our application, in the provider's own admin console (Google
 * Workspace's domain-wide delegation). Users then connect nothing themselves: each user's
 * connection is made by tripcal, its details being `{ [DELEGATED_USER]: <the user's sign-in name> }`
 * (DELEGATED_USER of src/domain/calendar-delegation.ts).
 */
export interface CompanyDelegation {
  /** What the administrator enters in the admin console: our client id… */
  readonly clientId: string;
  /** …and the exact scopes. */
  readonly scopes: readonly string[];
  /**
   * Reaches the calendar of one user of the organisation under the delegation (the administrator's
   * own, as the proof that the delegation works). Throws CalendarProviderError: consent_missing when
   * the delegation is not in place, auth_lost when the provider refuses that user.
   */
  verify(username: string): Promise<ConnectedAccount>;
}
