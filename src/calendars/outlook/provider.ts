// createOutlookProvider: the CalendarProvider for Outlook (Microsoft Entra ID through MSAL Node,
// Microsoft Graph through its JS client). The same code talks to Microsoft or to sandbox/; only
// the hosts and the extra CA differ.
import type { AccessToken, ConnectedAccount, StoredAccount } from '../connection.ts';
import { CalendarProviderError, WRONG_ORGANIZATION } from '../errors.ts';
import type { CalendarProvider } from '../provider.ts';
import { classifyError } from './classify-error.ts';
import { ADMIN_CONSENT_SCOPE, DEFAULT_MAX_IN_FLIGHT_PER_MAILBOX, LOG_IN_SCOPES, MAX_BATCH_REQUESTS, SIGN_IN_SCOPES } from './constants.ts';
import { createGraphTransport } from './graph-transport.ts';
import { createMailbox } from './mailbox.ts';
import { AccessTokenMemo, authorityFor, createMsalApp, createTokenSource } from './msal-session.ts';
import type { MsalSettings } from './msal-session.ts';
import { HttpsConnections } from './connections.ts';
import { createDispatcher, createMsalNetworkClient, trustWith } from './network.ts';
import { defaultPacing } from './paced-batches.ts';
import type { Pacing } from './paced-batches.ts';
import { DEFAULT_RETRY_POLICY } from './retry-policy.ts';
import type { RetryPolicy } from './retry-policy.ts';
import { redact } from './redact.ts';

export interface OutlookProviderOptions {
  clientId: string;
  clientSecret: string;
  /** Identity host root, e.g. "https://login.microsoftonline.com" or the sandbox's "https://localhost:PORT". */
  authorityHost: string;
  /** Graph host root, e.g. "https://graph.microsoft.com" or the sandbox's "https://localhost:PORT". */
  graphUrl: string;
  /** Extra CA (PEM) to trust for those hosts (the sandbox's local CA); undefined in production. */
  caPem?: string;
  /** Requests in flight per mailbox (Outlook allows 4 per app and mailbox); default 4. */
  maxInFlightPerMailbox?: number;
  /** Requests per JSON batch, at most 20 (Graph's limit); default 20. Pacing may use fewer (see paced-batches.ts). */
  maxBatchSize?: number;
  /** Time allowed for one Graph $batch request before it counts as a temporary failure; default 120 s. */
  requestTimeoutMs?: number;
  /** Retry tuning (tests shorten the waits); defaults in retry-policy.ts. */
  retryPolicy?: Partial<RetryPolicy>;
  /** Overrides the batch shape; for measurements only (see test/calendars/outlook/pacing.test.ts). */
  pacing?: Pacing;
  /** The clock that decides whether an event has already ended (written without a reminder); default Date.now. */
  now?: () => number;
  /** Receives diagnostic lines; never a token, code, secret or header. */
  log?: (line: string) => void;
}

const trimSlash = (s: string) => s.replace(/\/+$/, '');

function requireHttps(name: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CalendarProviderError('invalid', `${name} is not a URL`);
  }
  if (url.protocol !== 'https:') throw new CalendarProviderError('invalid', `${name} must be https:// (MSAL and the Graph client refuse anything else)`);
  return trimSlash(`${url.protocol}//${url.host}${url.pathname}`);
}

export function createOutlookProvider(options: OutlookProviderOptions): CalendarProvider {
  const log = (line: string) => options.log?.(redact(line));
  const secureContext = trustWith(options.caPem);
  const dispatcher = createDispatcher(secureContext);
  const connections = new HttpsConnections({ secureContext, dispatcher });
  const authorityHost = requireHttps('authorityHost', options.authorityHost);
  const graphUrl = requireHttps('graphUrl', options.graphUrl);
  const msal: MsalSettings = { clientId: options.clientId, clientSecret: options.clientSecret, authorityHost, network: createMsalNetworkClient(dispatcher), accessTokens: new AccessTokenMemo(), log };
  const maxInFlight = Math.max(1, Math.floor(options.maxInFlightPerMailbox ?? DEFAULT_MAX_IN_FLIGHT_PER_MAILBOX));
  const maxBatch = Math.max(1, Math.min(MAX_BATCH_REQUESTS, Math.floor(options.maxBatchSize ?? MAX_BATCH_REQUESTS)));
  const base = defaultPacing(maxInFlight);
  const pacing: Pacing = options.pacing ?? { ...base, itemsPerBatch: Math.min(base.itemsPerBatch, maxBatch) };
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retryPolicy };

  const guard = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      const error = classifyError(e);
      log(`outlook: ${what} failed: ${error.code}${error.providerCode ? ` (${error.providerCode})` : ''}`);
      throw error;
    }
  };

  /** The MSAL account a stored connection names, and its sealed token cache. */
  // The tenant tokens are refreshed at is the one the account signed in to (the id token's `tid`),
  // not the home tenant in its MSAL home account id: they differ for a B2B guest of the company.
  const msalAccount = (account: StoredAccount) => ({
    homeAccountId: account.details.homeAccountId ?? '', cache: account.credentials, ...(account.details.tenantId ? { tenantId: account.details.tenantId } : {}),
  });

  return {
    id: 'outlook',

    companyGrant: {
      grantUrl({ state, redirectUri, organization }) {
        // Microsoft identity platform v2.0 admin consent endpoint ("Admin consent on the Microsoft
        // identity platform"): /{tenant}/v2.0/adminconsent with client_id, scope, redirect_uri, state.
        const url = new URL(`${authorityFor({ authorityHost }, organization)}/v2.0/adminconsent`);
        url.searchParams.set('client_id', options.clientId);
        url.searchParams.set('scope', ADMIN_CONSENT_SCOPE);
        url.searchParams.set('redirect_uri', redirectUri);
        url.searchParams.set('state', state);
        return url.toString();
      },
      readRedirect(q) {
        // The redirect carries admin_consent=True and the tenant, or error and error_description.
        if (q.error) return { status: 'refused', error: `${q.error}${q.error_description ? `: ${q.error_description}` : ''}`.slice(0, 500), ...(q.tenant ? { organization: q.tenant } : {}) };
        if (q.admin_consent?.toLowerCase() !== 'true') return { status: 'incomplete', missing: 'admin_consent' };
        if (!q.tenant) return { status: 'incomplete', missing: 'tenant' };
        return { status: 'granted', organization: q.tenant };
      },
    },

    connect: {
      kind: 'oauth_code',
      authorizationUrl(request) {
        return guard('authorization URL', () =>
          createMsalApp(msal, { tenantId: request.organization }).getAuthCodeUrl({
            scopes: SIGN_IN_SCOPES,
            redirectUri: request.redirectUri,
            state: request.state,
            codeChallenge: request.codeChallenge,
            codeChallengeMethod: 'S256',
            responseMode: 'query',
            ...(request.loginHint ? { loginHint: request.loginHint } : {}),
            ...(request.locale ? { extraQueryParameters: { ui_locales: request.locale } } : {}),
          }),
        );
      },

      redeemCode({ code, codeVerifier, redirectUri, credentials, organization }) {
        return guard('code redemption', async (): Promise<ConnectedAccount & { accessToken?: AccessToken }> => {
          // Redeemed at the tenant the sign-in was sent to: for a B2B guest, the company's tenant.
          const app = createMsalApp(msal, { cache: credentials, ...(organization ? { tenantId: organization } : {}) });
          const result = await app.acquireTokenByCode({ code, codeVerifier, redirectUri, scopes: SIGN_IN_SCOPES }).catch((e: unknown) => {
            // AADSTS50020: the code is of another tenant's account than the company's.
            const error = classifyError(e);
            if (error.providerCode === 'AADSTS50020') throw new CalendarProviderError('auth_lost', error.message, { providerCode: WRONG_ORGANIZATION });
            throw error;
          });
          const claims = (result.idTokenClaims ?? {}) as Record<string, unknown>;
          const str = (v: unknown) => (typeof v === 'string' ? v : '');
          const tenantId = str(claims.tid) || result.account?.tenantId || '';
          const objectId = str(claims.oid) || result.account?.localAccountId || '';
          const homeAccountId = result.account?.homeAccountId ?? '';
          if (!tenantId || !objectId || !homeAccountId) {
            throw new CalendarProviderError('invalid', 'The sign-in answer carries no tenant, object id or account', { providerCode: 'missing_claims' });
          }
          return {
            // A user of Entra ID is its object id within its tenant.
            key: `${tenantId}/${objectId}`,
            username: str(claims.preferred_username) || result.account?.username || '',
            name: str(claims.name) || result.account?.name || '',
            organization: tenantId,
            details: { tenantId, objectId, homeAccountId },
            ...(result.accessToken && result.expiresOn ? { accessToken: { token: result.accessToken, expiresAt: result.expiresOn.getTime() } } : {}),
          };
        });
      },
    },

    signIn: {
      // Sign in with Microsoft: OpenID Connect's authorization code flow with PKCE through MSAL
      // ("Microsoft identity platform and OpenID Connect protocol"), authority /organizations (work
      // and school accounts of any tenant; which tenant may sign in is tripcal's decision).
      authorizationUrl(request) {
        return guard('sign-in URL', () =>
          createMsalApp(msal).getAuthCodeUrl({
            scopes: LOG_IN_SCOPES,
            redirectUri: request.redirectUri,
            state: request.state,
            nonce: request.nonce,
            codeChallenge: request.codeChallenge,
            codeChallengeMethod: 'S256',
            responseMode: 'query',
            prompt: 'select_account',
            ...(request.loginHint ? { loginHint: request.loginHint } : {}),
            ...(request.locale ? { extraQueryParameters: { ui_locales: request.locale } } : {}),
          }),
        );
      },
      redeem({ code, codeVerifier, nonce, state, redirectUri }) {
        return guard('sign-in code redemption', async () => {
          // MSAL checks the returned state and the id token's nonce (the authCodePayload carries
          // both); the token comes straight from the token endpoint over TLS (OpenID Connect Core
          // 3.1.3.7). The claims tripcal relies on are checked here as well.
          const result = await createMsalApp(msal).acquireTokenByCode({ code, codeVerifier, redirectUri, scopes: LOG_IN_SCOPES, nonce, state }, { code, state, nonce } as never);
          const claims = (result.idTokenClaims ?? {}) as Record<string, unknown>;
          const str = (v: unknown) => (typeof v === 'string' ? v : '');
          const tid = str(claims.tid);
          const oid = str(claims.oid);
          const problem =
            !tid || !oid ? 'the id token carries no tid or oid'
            : str(claims.nonce) !== nonce ? 'the id token does not carry the sign-in\'s nonce'
            : str(claims.aud) !== options.clientId ? 'the id token is not for this app'
            : !str(claims.iss).endsWith(`/${tid}/v2.0`) ? 'the id token\'s issuer is not its tenant'
            : undefined;
          if (problem) throw new CalendarProviderError('invalid', `Microsoft sign-in: ${problem}`, { providerCode: 'id_token_invalid' });
          return {
            organization: tid,
            subject: oid,
            signInName: str(claims.preferred_username),
            name: str(claims.name),
          };
        });
      },
    },

    account(account) {
      // A calendar is asked for when a reconcile has work: its requests (up to maxInFlight at
      // once) find the connection open by the time the reconcile has recorded what it sends.
      connections.warm(graphUrl, maxInFlight);
      const tokens = createTokenSource(msal, msalAccount(account));
      const transport = createGraphTransport({ graphUrl, connections, ...(options.requestTimeoutMs ? { timeoutMs: options.requestTimeoutMs } : {}) }, tokens);
      return createMailbox({ tokens, transport, pacing, policy, log, ...(options.now ? { now: options.now } : {}) });
    },

    keepAlive: {
      refresh(account) {
        return guard('token refresh', () => createTokenSource(msal, msalAccount(account)).refresh());
      },
      forget(account) {
        return guard('forget', () => createTokenSource(msal, msalAccount(account)).forget());
      },
    },
  };
}
