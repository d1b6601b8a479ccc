// An optional company-level capability: access granted once for the whole company by its own
// administrator (an admin-consent link), which every user's connection then relies on.

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
