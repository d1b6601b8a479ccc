// createGoogleProvider: the CalendarProvider for Google Calendar, through google-auth-library (a
// service account's JWT grant under domain-wide delegation, or a user's own OAuth 2.0 sign-in with
// PKCE) and the Calendar API v3 client of @googleapis/calendar. The same code talks to Google or to
// sandbox/google/; only the hosts and the extra CA differ.
import { calendar as calendarApi } from '@googleapis/calendar';
import { JWT, OAuth2Client } from 'google-auth-library';
import type { CalendarAccount } from '../account.ts';
import { DELEGATED_USER } from '../../domain/calendar-delegation.ts';
import type { CompanyDelegation } from '../company-grant.ts';
import type { AccessToken, ConnectedAccount, CredentialStore, StoredAccount } from '../connection.ts';
import { CalendarProviderError } from '../errors.ts';
import type { CalendarProvider } from '../provider.ts';
import { createGoogleCalendar } from './calendar-account.ts';
import { classifyError } from './classify-error.ts';
import { DEFAULT_MAX_IN_FLIGHT_PER_CALENDAR, DELEGATED_SCOPES, SIGN_IN_SCOPES } from './constants.ts';
import { transporterOptions, type GoogleHosts } from './network.ts';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry-policy.ts';
import type { ServiceAccountKey } from './settings.ts';

export interface GoogleProviderOptions extends GoogleHosts {
  /** Domain-wide delegation: the service account's key. */
  serviceAccountKey?: ServiceAccountKey;
  /** Per-user sign-in: the OAuth web client. */
  clientId?: string;
  clientSecret?: string;
  /** Extra CA (PEM) to trust for Google's hosts (the sandbox's); undefined in production. */
  caPem?: string;
  /** Calendar requests in flight per calendar; default 4. */
  maxInFlightPerCalendar?: number;
  requestTimeoutMs?: number;
  retryPolicy?: Partial<RetryPolicy>;
  /** Receives diagnostic lines; never a token, assertion, code or secret. */
  log?: (line: string) => void;
}

/** What a per-user connection's sealed credential holds. */
interface UserCredential {
  refresh_token: string;
}

const EARLY_REFRESH_MS = 5 * 60_000;

export function createGoogleProvider(options: GoogleProviderOptions): CalendarProvider {
  const log = (line: string) => options.log?.(line);
  const transport = transporterOptions(options, options.caPem, options.requestTimeoutMs ?? 60_000);
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retryPolicy };
  const maxInFlight = Math.max(1, Math.floor(options.maxInFlightPerCalendar ?? DEFAULT_MAX_IN_FLIGHT_PER_CALENDAR));
  const rootUrl = `${options.apiUrl}/`;
  const endpoints = {
    oauth2AuthBaseUrl: `${options.accountsUrl}/o/oauth2/v2/auth`,
    oauth2TokenUrl: `${options.oauthUrl}/token`,
    oauth2RevokeUrl: `${options.oauthUrl}/revoke`,
    tokenInfoUrl: `${options.oauthUrl}/tokeninfo`,
    oauth2FederatedSignonPemCertsUrl: `${options.apiUrl}/oauth2/v1/certs`,
    oauth2FederatedSignonJwkCertsUrl: `${options.apiUrl}/oauth2/v3/certs`,
  };
  // ID tokens name the accounts host as their issuer (Google: "accounts.google.com" with or without https://).
  const issuers = [options.accountsUrl, new URL(options.accountsUrl).host];

  const guard = async <T>(what: string, fn: () => Promise<T>, delegated = false): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      const error = classifyError(e, { delegated });
      log(`google: ${what} failed: ${error.code}${error.providerCode ? ` (${error.providerCode})` : ''}`);
      throw error;
    }
  };

  const userClient = (redirectUri?: string) => {
    if (!options.clientId || !options.clientSecret) throw new CalendarProviderError('invalid', 'Per-user Google sign-in is not configured (GOOGLE_CLIENT_ID)', { providerCode: 'no_oauth_client' });
    return new OAuth2Client({ clientId: options.clientId, clientSecret: options.clientSecret, ...(redirectUri ? { redirectUri } : {}), endpoints, issuers, transporterOptions: transport });
  };

  const delegatedClient = (subject: string) => {
    const key = options.serviceAccountKey;
    if (!key) throw new CalendarProviderError('consent_missing', 'Domain-wide delegation is not configured (GOOGLE_SERVICE_ACCOUNT_KEY_FILE)', { providerCode: 'no_service_account' });
    return new JWT({ email: key.client_email, key: key.private_key, scopes: [...DELEGATED_SCOPES], subject, transporterOptions: transport });
  };

  /** Seeds a client with the access token stored beside the credential, and stores each new one for every worker. */
  const shareTokens = (client: OAuth2Client, credentials: CredentialStore, extra: Record<string, string> = {}) => {
    const stored = credentials.accessToken;
    if (stored && stored.expiresAt - EARLY_REFRESH_MS > Date.now()) client.setCredentials({ ...client.credentials, ...extra, access_token: stored.token, expiry_date: stored.expiresAt });
    else if (Object.keys(extra).length) client.setCredentials({ ...client.credentials, ...extra });
    client.on('tokens', (tokens) => {
      if (tokens.access_token && tokens.expiry_date) void credentials.saveAccessToken?.({ token: tokens.access_token, expiresAt: tokens.expiry_date }).catch(() => {});
    });
  };

  const accessTokenOf = (tokens: { access_token?: string | null; expiry_date?: number | null }): AccessToken | undefined =>
    tokens.access_token && tokens.expiry_date ? { token: tokens.access_token, expiresAt: tokens.expiry_date } : undefined;

  async function loadUserCredential(credentials: CredentialStore): Promise<UserCredential> {
    const raw = await credentials.load();
    const parsed = raw ? (JSON.parse(raw) as Partial<UserCredential>) : {};
    if (!parsed.refresh_token) throw new CalendarProviderError('auth_lost', 'No Google refresh token is stored for this connection', { providerCode: 'no_refresh_token' });
    return { refresh_token: parsed.refresh_token };
  }

  /** The auth client of a stored connection, ready to use (delegated, or the user's own). */
  function authFor(account: StoredAccount): { client: OAuth2Client; delegated: boolean; ready: () => Promise<void>; renew: () => Promise<void> } {
    const subject = account.details[DELEGATED_USER];
    if (subject) {
      const client = delegatedClient(subject);
      shareTokens(client, account.credentials);
      return {
        client, delegated: true,
        ready: async () => void (await client.getAccessToken()),
        // A new JWT grant (a fresh client: the library keeps its last token until it expires),
        // which fails with unauthorized_client once the delegation is withdrawn.
        renew: async () => {
          const fresh = delegatedClient(subject);
          await fresh.getAccessToken();
          client.setCredentials(fresh.credentials);
          const token = accessTokenOf(fresh.credentials);
          if (token) await account.credentials.saveAccessToken?.(token);
        },
      };
    }
    const client = userClient();
    let loaded = false;
    return {
      client,
      delegated: false,
      ready: async () => {
        if (!loaded) {
          const { refresh_token } = await loadUserCredential(account.credentials);
          shareTokens(client, account.credentials, { refresh_token });
          loaded = true;
        }
        await client.getAccessToken();
      },
      renew: async () => {
        const { refresh_token } = await loadUserCredential(account.credentials);
        client.setCredentials({ refresh_token });
        await client.getAccessToken();
      },
    };
  }

  function calendarOf(account: StoredAccount): CalendarAccount {
    const auth = authFor(account);
    const api = calendarApi({ version: 'v3', auth: auth.client, rootUrl });
    return createGoogleCalendar({
      api, policy, maxInFlight, delegated: auth.delegated, log,
      ensureToken: () => guard('access token', auth.ready, auth.delegated),
      renewToken: () => guard('access token renewal', auth.renew, auth.delegated),
    });
  }

  const delegation: CompanyDelegation | undefined = options.serviceAccountKey
    ? {
      clientId: options.serviceAccountKey.client_id,
      scopes: DELEGATED_SCOPES,
      async verify(username) {
        const details = { [DELEGATED_USER]: username };
        // The grant for the user, then a read of their calendar: both must work.
        const client = delegatedClient(username);
        await guard('delegated access token', () => client.getAccessToken(), true);
        const api = calendarApi({ version: 'v3', auth: client, rootUrl });
        await guard('delegated calendar read', () => api.events.list({ calendarId: 'primary', maxResults: 1 }, { retry: false }), true);
        const domain = username.split('@')[1]?.toLowerCase() ?? '';
        return { key: username.toLowerCase(), username, name: username, organization: domain, details } satisfies ConnectedAccount;
      },
    }
    : undefined;

  return {
    id: 'google',
    ...(delegation ? { delegation } : {}),
    // An event's id is derived from its key and transactionId (map-event.ts), and Google keeps an
    // id reserved even after deletion: an insert sent again answers 409, taken as success.
    idempotentCreates: true,

    connect: {
      kind: 'oauth_code',
      async authorizationUrl(request) {
        // "Using OAuth 2.0 for Web Server Applications": offline access for a refresh token,
        // consent every time (Google gives the refresh token only with consent), PKCE S256.
        return userClient(request.redirectUri).generateAuthUrl({
          access_type: 'offline', prompt: 'consent', scope: SIGN_IN_SCOPES, state: request.state, redirect_uri: request.redirectUri,
          code_challenge: request.codeChallenge, code_challenge_method: 'S256' as never,
          ...(request.loginHint ? { login_hint: request.loginHint } : {}),
          ...(request.organization ? { hd: request.organization } : {}),
          ...(request.locale ? { hl: request.locale } : {}),
        });
      },

      redeemCode({ code, codeVerifier, redirectUri, credentials }) {
        return guard('code redemption', async (): Promise<ConnectedAccount & { accessToken?: AccessToken }> => {
          const client = userClient(redirectUri);
          const { tokens } = await client.getToken({ code, codeVerifier, redirect_uri: redirectUri });
          if (!tokens.refresh_token) throw new CalendarProviderError('invalid', 'Google gave no refresh token (offline access was not granted)', { providerCode: 'no_refresh_token' });
          if (!tokens.id_token) throw new CalendarProviderError('invalid', 'Google gave no ID token', { providerCode: 'no_id_token' });
          const ticket = await client.verifyIdToken({ idToken: tokens.id_token, audience: options.clientId! });
          const claims = ticket.getPayload();
          if (!claims?.sub || !claims.email) throw new CalendarProviderError('invalid', 'The ID token names no account', { providerCode: 'missing_claims' });
          const scopes = (tokens.scope ?? '').split(/\s+/);
          if (tokens.scope && !scopes.includes(SIGN_IN_SCOPES[0]!)) throw new CalendarProviderError('auth_lost', 'The calendar permission was not granted', { providerCode: 'scope_not_granted' });
          await credentials.save(JSON.stringify({ refresh_token: tokens.refresh_token } satisfies UserCredential));
          const accessToken = accessTokenOf(tokens);
          return {
            key: claims.sub,
            username: claims.email,
            name: claims.name ?? claims.email,
            ...(claims.hd ? { organization: claims.hd } : {}),
            details: { email: claims.email },
            ...(accessToken ? { accessToken } : {}),
          };
        });
      },
    },

    delegation,

    account: calendarOf,

    keepAlive: {
      refresh(account) {
        const auth = authFor(account);
        return guard('token refresh', async () => {
          if (auth.delegated) {
            await auth.client.getAccessToken();
            return;
          }
          const { refresh_token } = await loadUserCredential(account.credentials);
          auth.client.setCredentials({ refresh_token });
          const { credentials } = await auth.client.refreshAccessToken();
          const token = accessTokenOf(credentials);
          if (token) await account.credentials.saveAccessToken?.(token);
        }, auth.delegated);
      },
      forget(account) {
        // A user's refresh token is revoked at Google; a delegated connection holds nothing of its own.
        if (account.details[DELEGATED_USER]) return Promise.resolve();
        return guard('forget', async () => {
          const raw = await account.credentials.load().catch(() => null);
          const token = raw ? (JSON.parse(raw) as Partial<UserCredential>).refresh_token : undefined;
          if (token) await userClient().revokeToken(token).catch(() => undefined);
        });
      },
    },
  } as CalendarProvider;
}
