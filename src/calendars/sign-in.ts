// Signing users in to tripcal through a calendar provider's identity platform (OpenID Connect:
// Sign in with Microsoft, through the same app registration as the calendar connection). Optional:
// a provider that has it offers it on the log-in page.

export interface SignInRequest {
  state: string;
  /** OpenID Connect nonce: the id token must carry it back. */
  nonce: string;
  redirectUri: string;
  /** PKCE S256 challenge (RFC 7636). */
  codeChallenge: string;
  loginHint?: string;
  locale?: 'ja' | 'en';
}

/** Who signed in, as the provider's id token says. */
export interface SignedInAccount {
  /** The account's organisation at the provider (Microsoft: the tenant id, `tid`). */
  organization: string;
  /** The account's id within that organisation (Microsoft: the object id, `oid`). */
  subject: string;
  /**
   * The account's sign-in name (Microsoft: `preferred_username`, the UPN, whose domain the tenant
   * verified); used once, to link the account to the user of that email in a company that proved
   * this organisation. Never the `email` claim: a user without a mailbox sets that to anything.
   */
  signInName: string;
  name: string;
}

export interface IdentitySignIn {
  /** Where to send the browser to sign in. */
  authorizationUrl(request: SignInRequest): Promise<string>;
  /**
   * Redeems the code (with the PKCE verifier) and checks the id token: its nonce, audience and
   * issuer. Throws CalendarProviderError when the provider refuses or the token does not hold.
   */
  redeem(options: { code: string; codeVerifier: string; nonce: string; state: string; redirectUri: string }): Promise<SignedInAccount>;
}
