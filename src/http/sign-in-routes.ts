// Sign in with Microsoft (and any provider whose identity platform signs users in): OpenID
// Connect's authorization code flow with PKCE, its `state` bound to the browser that started it
// (a cookie only that browser holds), its nonce checked in the id token. The account is matched
// to a user by the provider's ids (src/store/sign-in.ts); a sign-in is a log-in like a password's:
// a new session id, and the log-in time the company's 90-day rule counts from.
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CalendarProviderError } from '../calendars/errors.ts';
import { providerDescriptor, type CalendarProviders } from '../calendars/registry.ts';
import { OAuthStateError, sha256 } from '../store/oauth-states.ts';
import type { SecretBox } from '../store/secret-box.ts';
import { startSession } from '../store/sessions.ts';
import { acceptInvitation, peekPasswordLink } from '../store/password-links.ts';
import { consumeSignInState, issueSignInState, matchSignIn, SIGN_IN_TTL_MS } from '../store/sign-in.ts';
import type { Store } from '../store/database.ts';
import type { SignInProvidersResponse } from './api-types.ts';
import { LOGIN_LIMITS } from './app-routes.ts';
import { HttpError } from './errors.ts';
import { throttle } from './hardening.ts';
import { sessionToken, setSessionCookie } from './session.ts';

export interface SignInRoutesOptions {
  store: Store;
  providers: CalendarProviders;
  box: SecretBox;
  publicUrl: string;
  secureCookies: boolean;
  /** The log-in limits (app-routes.ts LOGIN_LIMITS by default): a sign-in started counts against the address's. */
  loginLimits?: typeof LOGIN_LIMITS;
  now?: () => Date;
}

/** Binds a sign-in in progress to the browser that started it. */
export const SIGN_IN_COOKIE = 'tripcal_sign_in';

/**
 * Why a sign-in did not log the user in: the log-in page says it in the user's language
 * (`/login?signIn=<problem>`); the provider's own text is never shown.
 */
export type SignInProblem =
  | 'cancelled' | 'organization_not_proven' | 'user_not_found' | 'user_deactivated' | 'other_account_linked' | 'expired' | 'failed' | 'throttled'
  | 'invitation_other_account';

const providerParam = { type: 'object', required: ['provider'], properties: { provider: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,31}$' } } } as const;

export async function signInRoutes(app: FastifyInstance, opts: SignInRoutesOptions): Promise<void> {
  const { store, providers, box } = opts;
  const now = opts.now ?? (() => new Date());
  const callbackUrl = (provider: string) => `${opts.publicUrl}/oauth/${provider}/sign-in-callback`;
  const signInProvider = (request: FastifyRequest) => {
    const provider = providers.get((request.params as { provider: string }).provider);
    return provider?.signIn ? { id: provider.id, signIn: provider.signIn } : undefined;
  };
  const backToLogIn = (reply: FastifyReply, problem: SignInProblem, provider: string, next?: string) =>
    reply.clearCookie(SIGN_IN_COOKIE, { path: '/' }).header('cache-control', 'no-store')
      .redirect(`/login?signIn=${problem}&provider=${provider}${next ? `&next=${encodeURIComponent(next)}` : ''}`);

  // Each sign-in started writes a state: counted, per client address, with the password log-ins.
  const addressThrottle = throttle(app, [{ name: 'login-address', ...(opts.loginLimits ?? LOGIN_LIMITS).perAddress, key: (request) => request.ip }]);

  /** Which providers the log-in page offers a sign-in button for. */
  app.get('/api/session/sign-in', { schema: { hide: true } }, async (): Promise<SignInProvidersResponse> => ({
    providers: [...providers.values()].flatMap((p) => {
      const labels = providerDescriptor(p.id)?.signIn;
      return p.signIn && labels ? [{ id: p.id, labels }] : [];
    }),
  }));

  // The log-in page's button: a top-level navigation to the provider's sign-in page. From an invitation (`invitation=<the link's token>`), a sign-in with the account of the invited
  // address accepts the invitation instead of a password, before the company's organisation at the
  // provider is proven: the link already lets its holder choose the password.
  // `next`: the web app's page the log-in page was opened for (a trip an itinerary email links to);
  // the sign-in ends there. Only a path of this site is kept (safeNextPath).
  app.get<{ Querystring: { locale?: 'ja' | 'en'; hint?: string; invitation?: string; next?: string } }>('/sign-in/:provider', {
    schema: {
      hide: true, params: providerParam,
      querystring: {
        type: 'object', additionalProperties: false,
        properties: {
          locale: { enum: ['ja', 'en'] }, hint: { type: 'string', maxLength: 254 }, invitation: { type: 'string', maxLength: 100 },
          next: { type: 'string', maxLength: 2000 },
        },
      },
    },
  }, async (request, reply) => {
    const provider = signInProvider(request);
    if (!provider) return reply.code(404).send({ error: 'not_found', message: 'This sign-in is not offered here' });
    const next = safeNextPath(request.query.next);
    try {
      await addressThrottle(request, reply);
    } catch (e) {
      if (e instanceof HttpError && e.statusCode === 429) return backToLogIn(reply, 'throttled', provider.id, next);
      throw e;
    }
    const invitation = request.query.invitation;
    if (invitation) {
      const link = await peekPasswordLink(store.db, invitation, now());
      if ('problem' in link || link.purpose !== 'invitation') return backToLogIn(reply, 'expired', provider.id, next);
    }
    const browser = randomBytes(32).toString('base64url');
    const verifier = randomBytes(32).toString('base64url');
    const nonce = randomBytes(24).toString('base64url');
    const state = await issueSignInState(store.db, box, { provider: provider.id, browserHash: sha256(browser), codeVerifier: verifier, nonce, ...(invitation ? { invitation } : {}), ...(next ? { next } : {}), now: now() });
    let url: string;
    try {
      url = await provider.signIn.authorizationUrl({
        state, nonce, redirectUri: callbackUrl(provider.id), codeChallenge: createHash('sha256').update(verifier).digest('base64url'),
        ...(request.query.hint ? { loginHint: request.query.hint } : {}), ...(request.query.locale ? { locale: request.query.locale } : {}),
      });
    } catch (e) {
      if (!(e instanceof CalendarProviderError)) throw e;
      request.log.warn({ code: e.code, providerCode: e.providerCode }, 'sign-in: no authorization URL');
      return backToLogIn(reply, 'failed', provider.id, next);
    }
    // SameSite=Lax: the provider's redirect back is a top-level GET navigation, which carries it.
    reply.setCookie(SIGN_IN_COOKIE, browser, { httpOnly: true, sameSite: 'lax', secure: opts.secureCookies, path: '/', maxAge: SIGN_IN_TTL_MS / 1000 });
    return reply.header('cache-control', 'no-store').redirect(url);
  });

  /** The invitation the sign-in started from, accepted when the account is the invited address's. */
  async function byInvitation(invitation: string, signInName: string): Promise<{ userId: string } | { problem: SignInProblem }> {
    const link = await peekPasswordLink(store.db, invitation, now());
    if ('problem' in link || link.purpose !== 'invitation') return { problem: 'expired' };
    if (link.email.toLowerCase() !== signInName.trim().toLowerCase()) return { problem: 'invitation_other_account' };
    const accepted = await acceptInvitation(store.db, invitation, now());
    return 'problem' in accepted ? { problem: 'expired' } : accepted;
  }

  app.get<{ Querystring: Record<string, string | undefined> }>('/oauth/:provider/sign-in-callback', { schema: { hide: true, params: providerParam } }, async (request, reply) => {
    const provider = signInProvider(request);
    if (!provider) return reply.code(404).send({ error: 'not_found', message: 'This sign-in is not offered here' });
    const q = request.query;
    if (!q.state) return backToLogIn(reply, 'expired', provider.id);
    let pending: { codeVerifier: string; nonce: string; invitation?: string; next?: string };
    try {
      const browser = request.cookies[SIGN_IN_COOKIE];
      pending = await consumeSignInState(store.db, box, q.state, { provider: provider.id, browserHash: browser ? sha256(browser) : undefined }, now());
    } catch (e) {
      if (e instanceof OAuthStateError) return backToLogIn(reply, 'expired', provider.id);
      throw e;
    }
    // The user cancelled at Microsoft (access_denied), or it refused: its text is for the log only.
    if (q.error) {
      request.log.info({ error: q.error.slice(0, 100) }, 'sign-in: the provider answered with an error');
      return backToLogIn(reply, q.error === 'access_denied' ? 'cancelled' : 'failed', provider.id, pending.next);
    }
    if (!q.code) return backToLogIn(reply, 'failed', provider.id, pending.next);
    let account;
    try {
      account = await provider.signIn.redeem({ code: q.code, codeVerifier: pending.codeVerifier, nonce: pending.nonce, state: q.state, redirectUri: callbackUrl(provider.id) });
    } catch (e) {
      if (!(e instanceof CalendarProviderError)) throw e;
      request.log.warn({ code: e.code, providerCode: e.providerCode }, 'sign-in: code redemption refused');
      return backToLogIn(reply, 'failed', provider.id, pending.next);
    }
    let match: { userId: string } | { problem: SignInProblem } = await matchSignIn(store.db, { provider: provider.id, organization: account.organization, subject: account.subject, signInName: account.signInName }, now());
    if (pending.invitation && ('problem' in match ? match.problem === 'organization_not_proven' || match.problem === 'user_not_found' : true)) {
      // Signed in from an invitation: it is accepted (no password to choose) when the account is
      // the invited address's; a sign-in that matched by the ids already must be that user's too.
      const invited = await byInvitation(pending.invitation, account.signInName);
      if ('problem' in match || 'problem' in invited || invited.userId === match.userId) match = invited;
    }
    if ('problem' in match) {
      request.log.info({ problem: match.problem }, 'sign-in: no user for this account');
      return backToLogIn(reply, match.problem, provider.id, pending.next);
    }
    const session = await startSession(store.db, match.userId, now(), sessionToken(request));
    setSessionCookie(reply, session.token, opts.secureCookies);
    return reply.clearCookie(SIGN_IN_COOKIE, { path: '/' }).header('cache-control', 'no-store').redirect(pending.next ?? '/');
  });
}

/**
 * `next` as a path of this site, or undefined. A value a browser would read as another site's
 * address (`//host`, `/\host`, a scheme) or that carries control characters is dropped: the
 * sign-in then ends on the home page.
 */
export function safeNextPath(next: string | undefined): string | undefined {
  return next !== undefined && /^\/(?![/\\])[^\\\u0000-\u001f\u007f]*$/.test(next) ? next : undefined;
}
