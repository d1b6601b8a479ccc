// MSAL Node for one token cache: a ConfidentialClientApplication whose cache plugin reads and
// writes the injected CredentialStore (which encrypts at rest), and a token source for Graph that
// refreshes one at a time (a shared in-flight promise), as the token-manager pattern in STYLE.md.
import { ConfidentialClientApplication, LogLevel } from '@azure/msal-node';
import type { AccountInfo, Configuration, ICachePlugin, INetworkModule, TokenCacheContext } from '@azure/msal-node';
import { CalendarProviderError } from '../errors.ts';
import type { AccessToken, CredentialStore } from '../connection.ts';
import { classifyError } from './classify-error.ts';
import { TOKEN_SCOPES } from './constants.ts';
import { redact } from './redact.ts';

export interface MsalSettings {
  clientId: string;
  clientSecret: string;
  /** "https://login.microsoftonline.com" or "https://localhost:PORT", no trailing slash. */
  authorityHost: string;
  /** One per provider (createMsalNetworkClient): it keeps the identity metadata every app asks for. */
  network: INetworkModule;
  /** One per provider: access tokens kept in memory between one mailbox opening and the next. */
  accessTokens?: AccessTokenMemo;
  log: (line: string) => void;
}

/** Hosts of Microsoft's clouds: MSAL knows them (instance discovery); any other host is named in knownAuthorities. */
const MICROSOFT_AUTHORITY_HOSTS = new Set([
  'login.microsoftonline.com',
  'login.microsoft.com',
  'login.windows.net',
  'login.microsoftonline.us',
  'login.chinacloudapi.cn',
  'login.partner.microsoftonline.cn',
]);

export function authorityFor(settings: Pick<MsalSettings, 'authorityHost'>, tenantId?: string): string {
  return `${settings.authorityHost}/${tenantId ?? 'organizations'}`;
}

/** The plugin, and the last blob it read or wrote (to notice another process's write). */
interface TrackedPlugin extends ICachePlugin {
  lastSeen(): string | null;
}

function cachePlugin(store: CredentialStore): TrackedPlugin {
  let seen: string | null = null;
  return {
    async beforeCacheAccess(context: TokenCacheContext): Promise<void> {
      const serialized = await store.load();
      seen = serialized;
      if (serialized) context.tokenCache.deserialize(serialized);
    },
    async afterCacheAccess(context: TokenCacheContext): Promise<void> {
      if (!context.cacheHasChanged) return;
      const serialized = context.tokenCache.serialize();
      await store.save(serialized);
      seen = serialized;
    },
    lastSeen: () => seen,
  };
}

export function createMsalApp(settings: MsalSettings, options: { cache?: CredentialStore; tenantId?: string; plugin?: ICachePlugin } = {}): ConfidentialClientApplication {
  const plugin = options.plugin ?? (options.cache ? cachePlugin(options.cache) : undefined);
  const host = new URL(settings.authorityHost).host;
  const config: Configuration = {
    auth: {
      clientId: settings.clientId,
      clientSecret: settings.clientSecret,
      authority: authorityFor(settings, options.tenantId),
      ...(MICROSOFT_AUTHORITY_HOSTS.has(host.toLowerCase()) ? {} : { knownAuthorities: [host] }),
    },
    ...(plugin ? { cache: { cachePlugin: plugin } } : {}),
    system: {
      networkClient: settings.network,
      loggerOptions: {
        piiLoggingEnabled: false,
        logLevel: LogLevel.Warning,
        loggerCallback: (level, message, containsPii) => {
          if (containsPii || level > LogLevel.Warning) return;
          settings.log(`msal: ${redact(message)}`);
        },
      },
    },
  };
  return new ConfidentialClientApplication(config);
}

/** The tenant of an MSAL home account id ("<oid>.<tid>"). */
export function tenantOfHomeAccountId(homeAccountId: string): string | undefined {
  const dot = homeAccountId.lastIndexOf('.');
  return dot > 0 ? homeAccountId.slice(dot + 1) : undefined;
}

export interface TokenSource {
  /** A usable access token for Graph; throws CalendarProviderError (auth_lost, consent_missing, temporary). */
  get(): Promise<string>;
  /** Gets a new access token from the refresh token now (after a 401, or to keep a grant alive). */
  refresh(): Promise<void>;
  /** Removes the account (and its refresh token) from the cache, saved through the store. */
  forget(): Promise<void>;
}

/** Refresh this long before an access token's expiry, so it never expires in flight. */
const EXPIRY_MARGIN_MS = 5 * 60_000;

const usable = (t: AccessToken | null | undefined): t is AccessToken => !!t && t.expiresAt - EXPIRY_MARGIN_MS > Date.now();

/**
 * Access tokens by home account id, in this process's memory only (never stored), as MSAL keeps
 * them itself. Each reconcile opens its mailbox afresh; without this, each one built an MSAL app,
 * loaded and decrypted the stored cache twice and asked MSAL for the token it had handed out a
 * moment before (a fifth of a sync worker's CPU in `npm run bench`). A token Graph refuses (401) is
 * dropped and refreshed; a refused refresh, a forget or a forced refresh drops it too. Bounded.
 */
export class AccessTokenMemo {
  readonly #tokens = new Map<string, AccessToken>();
  readonly #max: number;
  constructor(max = 10_000) {
    this.#max = max;
  }

  get(homeAccountId: string): AccessToken | undefined {
    const t = this.#tokens.get(homeAccountId);
    if (t && !usable(t)) this.#tokens.delete(homeAccountId);
    return usable(t) ? t : undefined;
  }

  set(homeAccountId: string, token: AccessToken): void {
    this.#tokens.delete(homeAccountId);
    this.#tokens.set(homeAccountId, token);
    if (this.#tokens.size > this.#max) this.#tokens.delete(this.#tokens.keys().next().value!);
  }

  delete(homeAccountId: string): void {
    this.#tokens.delete(homeAccountId);
  }
}

export function createTokenSource(settings: MsalSettings, account: { homeAccountId: string; cache: CredentialStore; tenantId?: string }): TokenSource {
  const plugin = cachePlugin(account.cache);
  // Built on first need: a token kept in memory needs no MSAL app at all.
  let msalApp: ConfidentialClientApplication | undefined;
  // The account's own tenant (the company's, for a guest); the home tenant only when it is not known.
  const appFor = () => (msalApp ??= createMsalApp(settings, { plugin, tenantId: account.tenantId ?? tenantOfHomeAccountId(account.homeAccountId) }));
  // The provider's memo; a token source made without one keeps its token in one of its own.
  const memo = settings.accessTokens ?? new AccessTokenMemo(1);
  let inFlight: Promise<string> | null = null;
  const remember = (t: AccessToken | null) => {
    if (t) memo.set(account.homeAccountId, t);
    else memo.delete(account.homeAccountId);
  };
  // The token stored for the other worker processes, as this token source knows it.
  let stored = account.cache.accessToken ?? null;
  async function share(t: AccessToken): Promise<void> {
    if (!account.cache.saveAccessToken || stored?.token === t.token) return;
    stored = t;
    // If it cannot be stored, the other workers open the cache for a token, as without it.
    await account.cache.saveAccessToken(t).catch((e: unknown) => settings.log(`outlook: could not store the access token for other workers: ${classifyError(e).message}`));
  }

  async function findAccount(): Promise<AccountInfo> {
    const found = await appFor().getTokenCache().getAccountByHomeId(account.homeAccountId);
    if (!found) throw new CalendarProviderError('auth_lost', 'The account is not in its token cache (never connected, or forgotten after a refusal)', { providerCode: 'no_account' });
    return found;
  }

  async function acquire(forceRefresh: boolean, secondTry = false): Promise<string> {
    const found = await findAccount();
    try {
      const result = await appFor().acquireTokenSilent({ account: found, scopes: TOKEN_SCOPES, forceRefresh });
      if (!result?.accessToken) throw new CalendarProviderError('auth_lost', 'Microsoft sign-in returned no access token', { providerCode: 'no_access_token' });
      const fresh = { token: result.accessToken, expiresAt: result.expiresOn?.getTime() ?? Date.now() + 60_000 };
      remember(fresh);
      await share(fresh);
      return result.accessToken;
    } catch (e) {
      const error = classifyError(e);
      if (error.code === 'auth_lost' && !secondTry && (await account.cache.load()) !== plugin.lastSeen()) {
        // Another process refreshed this account meanwhile (a sync job beside a keep-alive
        // refresh) and saved a newer refresh token; ours was the older one. Try again with theirs.
        return acquire(forceRefresh, true);
      }
      if (error.code === 'auth_lost') {
        // AADSTS700082 and friends: MSAL drops the refresh token in memory only; the stored blob
        // would bring it back on the next load. Remove the account so the store forgets it too.
        remember(null);
        try {
          await appFor().getTokenCache().removeAccount(found);
        } catch (removeError) {
          settings.log(`outlook: could not remove a refused account from its cache: ${classifyError(removeError).message}`);
        }
      }
      throw error;
    }
  }

  let inFlightForced = false;
  let sharedRefused = false;
  function single(forceRefresh: boolean): Promise<string> {
    if (!inFlight) {
      inFlightForced = forceRefresh;
      inFlight = acquire(forceRefresh).finally(() => {
        inFlight = null;
      });
    }
    return inFlight;
  }

  return {
    async get() {
      const kept = memo.get(account.homeAccountId);
      if (kept) {
        // Kept from before a reconnect (which clears the stored one): stored again, once.
        if (!stored) await share(kept);
        return kept.token;
      }
      // Stored beside the cache by whichever worker got it last (read with the reconcile's state).
      if (usable(stored) && !sharedRefused) {
        remember(stored);
        return stored.token;
      }
      return single(false);
    },
    async refresh() {
      // Graph refused a token (or a refresh is due): the stored one is no better.
      sharedRefused = true;
      // A forced refresh already running counts: its token is as new as ours would be.
      if (inFlight && inFlightForced) {
        await inFlight;
        return;
      }
      if (inFlight) await inFlight.catch(() => {});
      remember(null);
      await single(true);
    },
    async forget() {
      remember(null);
      const found = await appFor().getTokenCache().getAccountByHomeId(account.homeAccountId);
      if (found) await appFor().getTokenCache().removeAccount(found);
    },
  };
}
