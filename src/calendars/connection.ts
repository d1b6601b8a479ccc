// How a calendar connection is established and kept alive, whatever the provider. The store keeps
// the connection (account identity, a sealed opaque credential, a status); the provider alone
// knows what the credential holds.

/** An access token for the calendar's API and when it expires (ms since the epoch). */
export interface AccessToken {
  token: string;
  expiresAt: number;
}

/** Where a connection's credential lives; the store seals it at rest. */
export interface CredentialStore {
  load(): Promise<string | null>;
  save(serialized: string): Promise<void>;
  /**
   * The access token last stored beside the credential (saveAccessToken), read with the
   * connection's other state: any worker process uses it until it expires, without opening the credential.
   */
  readonly accessToken?: AccessToken | null;
  /** Stores a newly acquired access token for every worker; without it, a token stays in its process. */
  saveAccessToken?(token: AccessToken): Promise<void>;
}

/** Who connected, as the provider proved it. */
export interface ConnectedAccount {
  /** Unique within the provider: the same account is never connected to two users. */
  key: string;
  /** What the user signs in with (an email address, usually). */
  username: string;
  name: string;
  /** The provider's id of the account's organisation, checked against the company's grant. */
  organization?: string;
  /** What the provider needs to reach the account again (stored as given). */
  details: Record<string, string>;
}

/** A stored connection, as a provider reaches it: its details and its credential. */
export interface StoredAccount {
  details: Record<string, string>;
  credentials: CredentialStore;
}

export interface AuthorizationRequest {
  state: string;
  redirectUri: string;
  /** PKCE S256 challenge (RFC 7636); the verifier stays on our side. */
  codeChallenge: string;
  loginHint?: string;
  /** The company's organisation at the provider, where its grant names one. */
  organization?: string;
  locale?: 'ja' | 'en';
}

/** Connecting by the OAuth 2.0 authorization-code flow with PKCE (RFC 6749 §4.1, RFC 7636). */
export interface OAuthCodeFlow {
  kind: 'oauth_code';
  /** Where to send a user to sign in and let us reach their calendar. */
  authorizationUrl(request: AuthorizationRequest): Promise<string>;
  /**
   * Redeems the authorization code; the credential is saved through `credentials`. The access token
   * that came with it is returned too, so the first reconcile can use it without opening the credential.
   */
  redeemCode(options: {
    code: string; codeVerifier: string; redirectUri: string; credentials: CredentialStore;
    /** The organisation the sign-in was sent to (AuthorizationRequest.organization): the code is redeemed there. */
    organization?: string;
  }): Promise<ConnectedAccount & { accessToken?: AccessToken }>;
}

/** A calendar of the account, as the user chooses among them. */
export interface CalendarChoice {
  /** The provider's id of the calendar (a CalDAV collection's URL). */
  id: string;
  name: string;
}

/**
 * Connecting with a server address, a username and a password (an app-specific one where the
 * service issues them), as CalDAV does. The provider finds the account's calendars from the address
 * (RFC 6764 discovery where the server supports it); with more than one and none chosen yet, it
 * answers with the choice and nothing is stored. The password is saved through `credentials`.
 */
export interface PasswordConnect {
  kind: 'password';
  connect(input: { serverUrl: string; username: string; password: string; calendarId?: string; credentials: CredentialStore }): Promise<
    | { status: 'connected'; account: ConnectedAccount }
    | { status: 'choose_calendar'; calendars: CalendarChoice[] }
  >;
}

/** How a user connects a calendar of this provider. */
export type ConnectMethod = OAuthCodeFlow | PasswordConnect;

/** Keeping a connection alive, and letting it go. */
export interface KeepAlive {
  /** Refreshes the credential now (keeps an idle connection alive); throws CalendarProviderError. */
  refresh(account: StoredAccount): Promise<void>;
  /** Removes what the credential holds for the account (after a refusal that cannot be retried, or a disconnect). */
  forget(account: StoredAccount): Promise<void>;
}
