// A calendar provider, as the rest of tripcal sees it: how a user connects, how a connection is
// kept alive, what a connected account can do, and, where the provider has one, the company-wide
// grant. Each provider implements it in its own folder (src/calendars/<id>/); the registry lists them.
import type { CalendarAccount } from './account.ts';
import type { CompanyDelegation, CompanyGrant } from './company-grant.ts';
import type { ConnectMethod, KeepAlive, OAuthCodeFlow, StoredAccount } from './connection.ts';
import type { IdentitySignIn } from './sign-in.ts';

/** `C`: how a user connects (a sign-in redirect by default, or a password form). */
export interface CalendarProvider<C extends ConnectMethod = OAuthCodeFlow> {
  /** The registry's id, also the `provider` of every row kept for it ("outlook"). */
  readonly id: string;
  readonly connect: C;
  readonly keepAlive: KeepAlive;
  readonly companyGrant?: CompanyGrant;
  /** Where the provider has one: access delegated for the whole organisation, no user signing in. */
  readonly delegation?: CompanyDelegation;
  /** Where the provider's identity platform signs users in to tripcal (OpenID Connect). */
  readonly signIn?: IdentitySignIn;
  /** The calendar of a connected account. */
  account(account: StoredAccount): CalendarAccount;
}

/** A provider of any connect method, as the registry and the routes hold them. */
export type AnyCalendarProvider = CalendarProvider<ConnectMethod>;
