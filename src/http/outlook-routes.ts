// The Outlook integration's HTTP side: the company's admin consent and sync switch, each user's
// connection (authorization code + PKCE, `state` bound to the session), and the OAuth callbacks.
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { CalendarProviderError, type CalendarProvider } from '../calendars/contract.ts';
import type { Locale, User } from '../domain/types.ts';
import { escapeHtml } from '../mail/render-itinerary-email.ts';
import type { Store } from '../store/database.ts';
import {
  consumeState, findConnection, issueState, listConnections, markConnected, markDisconnected, memoryTokenCache,
  OAuthStateError, organisationOutlook, recordAdminConnected, recordConsent, setSyncEnabled, tokenCacheStore,
} from '../store/outlook.ts';
import type { SecretBox } from '../store/secret-box.ts';
import { enqueueSync, enqueueSyncs } from '../sync/sync-jobs.ts';
import type { CompanyOutlookStatus, ConnectionStatus, MyOutlookStatus } from './api-types.ts';
import { HttpError } from './errors.ts';
import { requestLocale, requireAdmin, requireUser, sessionHash } from './session.ts';

export interface OutlookRoutesOptions {
  store: Store;
  provider: CalendarProvider;
  box: SecretBox;
  publicUrl: string;
  now?: () => Date;
}

/** A consent link is handed to the Entra administrator, who may open it a while later. */
export const CONSENT_LINK_TTL_MS = 24 * 3600_000;
const COMPANY_RETURN = '/company/settings/integrations/calendar?outlook=connected';

/** A sign-in is finished within minutes. */
export const CONNECT_TTL_MS = 10 * 60_000;

const TEXT = {
  syncOff: { ja: '会社のカレンダー同期がオンになっていません。', en: 'Calendar sync is not turned on for your company.' },
  noConsent: { ja: 'Microsoft Entra 管理者がまだアクセスを承認していません。', en: 'The Microsoft Entra administrator has not approved access yet.' },
  wrongTenant: { ja: 'このMicrosoftアカウントは会社のMicrosoft組織のものではありません。会社のアカウントでサインインしてください。', en: "This Microsoft account does not belong to your company's Microsoft organization. Sign in with your work account." },
  accountInUse: { ja: 'このMicrosoftアカウントは既に別のユーザーに接続されています。', en: 'This Microsoft account is already connected to another user.' },
  badState: { ja: 'この接続リンクは無効か、期限切れか、既に使用されています。もう一度お試しください。', en: 'This connection link is invalid, expired or already used. Please try again.' },
  microsoftRefused: { ja: 'Microsoftが接続を拒否しました', en: 'Microsoft refused the connection' },
  consentGranted: { ja: 'アクセスが承認されました。OBTの管理者に、「Outlookカレンダーと接続」を選択するよう伝えてください。', en: 'Access was approved. Tell your OBT administrator to choose "Connect to Outlook calendar".' },
  consentRefused: { ja: 'アクセスは承認されませんでした', en: 'Access was not approved' },
  consentTitle: { ja: 'Outlookカレンダー連携', en: 'Outlook calendar integration' },
} as const;

function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

function consentPage(reply: FastifyReply, locale: Locale, ok: boolean, detail?: string) {
  const title = TEXT.consentTitle[locale];
  const message = ok ? TEXT.consentGranted[locale] : `${TEXT.consentRefused[locale]}${detail ? `: ${detail}` : ''}`;
  return reply
    .code(ok ? 200 : 400)
    .type('text/html; charset=utf-8')
    .send(`<!doctype html><html lang="${locale}"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><main><h1>${escapeHtml(title)}</h1><p role="${ok ? 'status' : 'alert'}">${escapeHtml(message)}</p></main></body></html>`);
}

export async function outlookRoutes(app: FastifyInstance, opts: OutlookRoutesOptions): Promise<void> {
  const { store, provider, box } = opts;
  const db = store.db;
  const now = opts.now ?? (() => new Date());
  const callbackUrl = `${opts.publicUrl}/oauth/outlook/callback`;
  const consentCallbackUrl = `${opts.publicUrl}/oauth/outlook/consent-callback`;

  async function myStatus(user: User): Promise<MyOutlookStatus> {
    const org = await organisationOutlook(db, user.organisationId);
    const connection = await findConnection(db, user.id);
    const dismissed = await db.selectFrom('users').select('outlook_prompt_dismissed_at').where('id', '=', user.id).executeTakeFirst();
    const status: ConnectionStatus = connection?.status ?? 'not_connected';
    const available = org.sync_enabled && org.consent_status === 'granted';
    const dismissedAt = dismissed?.outlook_prompt_dismissed_at ? new Date(dismissed.outlook_prompt_dismissed_at) : undefined;
    // Closed by mistake or not: the prompt comes back once the connection lapses after that.
    const lapsedSinceDismissal = !!connection && connection.status !== 'connected' && !!dismissedAt && new Date(connection.status_changed_at) > dismissedAt;
    return {
      companySyncEnabled: org.sync_enabled,
      status,
      ...(connection?.status_reason ? { reason: connection.status_reason } : {}),
      ...(connection ? { username: connection.username, connectedAt: new Date(connection.connected_at).toISOString() } : {}),
      showConnectPrompt: available && status !== 'connected' && (!dismissedAt || lapsedSinceDismissal),
    };
  }

  async function companyStatus(user: User): Promise<CompanyOutlookStatus> {
    const org = await organisationOutlook(db, user.organisationId);
    const users = await db.selectFrom('users').select(['id', 'display_name', 'email', 'last_login_at']).where('organisation_id', '=', user.organisationId).orderBy('email').execute();
    const connections = new Map((await listConnections(db, user.organisationId)).map((c) => [c.user_id, c]));
    const connectedBy = org.connected_by ? users.find((u) => u.id === org.connected_by) : undefined;
    const travelers = users.map((u) => {
      const c = connections.get(u.id);
      return {
        userId: u.id, name: u.display_name, email: u.email, status: (c?.status ?? 'not_connected') as ConnectionStatus,
        ...(c?.status_reason ? { reason: c.status_reason } : {}),
        ...(u.last_login_at ? { lastLoginAt: new Date(u.last_login_at).toISOString() } : {}),
      };
    });
    const count = (s: ConnectionStatus) => travelers.filter((t) => t.status === s).length;
    return {
      consent: {
        status: org.consent_status,
        ...(org.tenant_id ? { tenantId: org.tenant_id } : {}),
        ...(org.consent_changed_at ? { changedAt: new Date(org.consent_changed_at).toISOString() } : {}),
        ...(org.consent_error ? { error: org.consent_error } : {}),
      },
      ...(connectedBy && org.connected_at ? { connectedBy: { name: connectedBy.display_name, email: connectedBy.email, at: new Date(org.connected_at).toISOString() } } : {}),
      syncEnabled: org.sync_enabled,
      loginPolicyDays: org.login_policy_days,
      counts: { connected: count('connected'), lapsed: count('lapsed'), revoked: count('revoked'), neverConnected: count('not_connected') + count('disconnected') },
      travelers,
    };
  }

  async function startConnect(user: User, returnTo: string, session: string | undefined, opts: { companyConnect: boolean }): Promise<{ url: string }> {
    if (!session) throw new HttpError(401, 'not_logged_in', 'session');
    const org = await organisationOutlook(db, user.organisationId);
    // A traveler needs the company's consent first. The admin's "Connect to Outlook calendar" is
    // itself the check that the Entra administrator approved: without consent, Microsoft issues
    // no calendar token (and the callback records the tenant that did consent).
    if (!opts.companyConnect && (org.consent_status !== 'granted' || !org.tenant_id)) throw new HttpError(409, 'consent_missing', TEXT.noConsent[user.locale]);
    const { verifier, challenge } = pkce();
    const state = await issueState(db, {
      purpose: 'connect', organisationId: user.organisationId, userId: user.id, sessionHash: session,
      codeVerifier: box.seal(verifier, 'pkce'), returnTo, ttlMs: CONNECT_TTL_MS, now: now(),
    });
    const url = await provider.authorizationUrl({ state, redirectUri: callbackUrl, codeChallenge: challenge, loginHint: user.email, tenantId: org.tenant_id ?? undefined, locale: user.locale });
    return { url };
  }

  // ---- the traveler ----

  app.get('/api/me/outlook', { schema: { hide: true } }, async (request) => myStatus(await requireUser(db, request, now())));

  app.post('/api/me/outlook/connect', { schema: { hide: true } }, async (request) => {
    const user = await requireUser(db, request, now());
    const org = await organisationOutlook(db, user.organisationId);
    if (!org.sync_enabled && user.role !== 'admin') throw new HttpError(409, 'sync_off', TEXT.syncOff[user.locale]);
    return startConnect(user, '/?outlook=connected', sessionHash(request), { companyConnect: false });
  });

  app.post('/api/me/outlook/dismiss-prompt', { schema: { hide: true } }, async (request) => {
    const user = await requireUser(db, request, now());
    await db.updateTable('users').set({ outlook_prompt_dismissed_at: now() }).where('id', '=', user.id).execute();
    return myStatus(user);
  });

  app.delete<{ Querystring: { removeEvents?: 'true' | 'false' } }>('/api/me/outlook', {
    schema: { hide: true, querystring: { type: 'object', additionalProperties: false, properties: { removeEvents: { enum: ['true', 'false'] } } } },
  }, async (request) => {
    const user = await requireUser(db, request, now());
    const connection = await findConnection(db, user.id);
    if (connection?.status === 'connected' && request.query.removeEvents === 'true') {
      const mapped = await db.selectFrom('event_mappings').select(['segment_id', 'event_id']).where('user_id', '=', user.id).where('event_id', 'is not', null).execute();
      const mailbox = provider.mailbox({ homeAccountId: connection.home_account_id, cache: tokenCacheStore(db, box, user.id, now) });
      const results = await mailbox.write(mapped.map((m) => ({ kind: 'delete' as const, key: m.segment_id, eventId: m.event_id! })));
      const gone = results.filter((r) => r.ok || r.error.code === 'not_found').map((r) => r.key);
      if (gone.length) await db.deleteFrom('event_mappings').where('user_id', '=', user.id).where('segment_id', 'in', gone).execute();
    }
    if (connection) await markDisconnected(db, user.id, now());
    return myStatus(user);
  });

  // ---- the company admin ----

  app.get('/api/company/outlook', { schema: { hide: true } }, async (request) => companyStatus(await requireAdmin(db, request, now())));

  app.post('/api/company/outlook/consent-link', { schema: { hide: true } }, async (request) => {
    const admin = await requireAdmin(db, request, now());
    const issuedAt = now();
    const state = await issueState(db, {
      purpose: 'admin_consent', organisationId: admin.organisationId, userId: admin.id, sessionHash: sessionHash(request) ?? '',
      ttlMs: CONSENT_LINK_TTL_MS, now: issuedAt,
    });
    return { url: provider.adminConsentUrl({ state, redirectUri: consentCallbackUrl }), expiresAt: new Date(issuedAt.getTime() + CONSENT_LINK_TTL_MS).toISOString() };
  });

  app.post('/api/company/outlook/connect', { schema: { hide: true } }, async (request) => {
    const admin = await requireAdmin(db, request, now());
    return startConnect(admin, COMPANY_RETURN, sessionHash(request), { companyConnect: true });
  });

  app.put<{ Body: { enabled: boolean } }>('/api/company/outlook/sync', {
    schema: { hide: true, body: { type: 'object', required: ['enabled'], additionalProperties: false, properties: { enabled: { type: 'boolean' } } } },
  }, async (request) => {
    const admin = await requireAdmin(db, request, now());
    const org = await organisationOutlook(db, admin.organisationId);
    if (request.body.enabled && (org.consent_status !== 'granted' || !org.connected_by)) {
      throw new HttpError(409, 'consent_missing', TEXT.noConsent[admin.locale], 'enabled');
    }
    // The switch and the reconciles it calls for commit together: every connected traveler's
    // calendar is brought up to date, queued in one statement.
    await db.transaction().execute(async (tx) => {
      await setSyncEnabled(tx, admin.organisationId, request.body.enabled, now());
      if (!request.body.enabled) return;
      const connected = (await listConnections(tx, admin.organisationId)).filter((c) => c.status === 'connected');
      await enqueueSyncs(store, tx, connected.map((c) => c.user_id));
    });
    return companyStatus(admin);
  });

  // ---- Microsoft's redirects ----

  // The Entra administrator lands here, usually without an OBT session: the state alone (one use,
  // 24 hours, bound to the company and the OBT admin who made the link) says for whom.
  app.get<{ Querystring: Record<string, string> }>('/oauth/outlook/consent-callback', { schema: { hide: true } }, async (request, reply) => {
    const q = request.query;
    const locale = requestLocale(request);
    let state;
    try {
      state = await consumeState(db, q.state ?? '', 'admin_consent', now());
    } catch (error) {
      if (error instanceof OAuthStateError) return consentPage(reply, locale, false, TEXT.badState[locale]);
      throw error;
    }
    if (q.error) {
      await recordConsent(db, state.organisation_id, { status: 'refused', error: `${q.error}${q.error_description ? `: ${q.error_description}` : ''}`.slice(0, 500), ...(q.tenant ? { tenantId: q.tenant } : {}) }, now());
      return consentPage(reply, locale, false, q.error_description ?? q.error);
    }
    if (q.admin_consent?.toLowerCase() !== 'true' || !q.tenant) return consentPage(reply, locale, false, 'admin_consent');
    // Recorded, not yet trusted: the admin's "Connect to Outlook calendar" proves the tenant.
    await recordConsent(db, state.organisation_id, { status: 'granted', tenantId: q.tenant }, now());
    return consentPage(reply, locale, true);
  });

  app.get<{ Querystring: Record<string, string> }>('/oauth/outlook/callback', { schema: { hide: true } }, async (request, reply) => {
    const q = request.query;
    const user = await requireUser(db, request, now());
    const fail = (code: string, message: string, returnTo = user.role === 'admin' ? '/company/settings/integrations/calendar' : '/') =>
      reply.redirect(`${returnTo.split('?')[0]}?outlook=error&code=${encodeURIComponent(code)}&message=${encodeURIComponent(message)}`);

    let state;
    try {
      state = await consumeState(db, q.state ?? '', 'connect', now(), sessionHash(request));
    } catch (error) {
      if (error instanceof OAuthStateError) return fail(error.code, TEXT.badState[user.locale]);
      throw error;
    }
    if (state.user_id !== user.id) return fail('state_wrong_session', TEXT.badState[user.locale]);
    const returnTo = state.return_to ?? '/';
    if (q.error) return fail(q.error, `${TEXT.microsoftRefused[user.locale]}: ${q.error_description ?? q.error}`, returnTo);
    if (!q.code) return fail('missing_code', TEXT.badState[user.locale], returnTo);

    const org = await organisationOutlook(db, user.organisationId);
    const cache = memoryTokenCache();
    let account;
    try {
      account = await provider.redeemCode({ code: q.code, codeVerifier: box.open(state.code_verifier!, 'pkce'), redirectUri: callbackUrl, cache });
    } catch (error) {
      if (error instanceof CalendarProviderError) return fail(error.providerCode ?? error.code, `${TEXT.microsoftRefused[user.locale]}: ${error.message}`, returnTo);
      throw error;
    }
    // The consent callback's `tenant` is only a claim; the signed-in account's tenant proves it.
    const companyConnect = user.role === 'admin' && returnTo === COMPANY_RETURN;
    if (org.consent_status === 'granted' && org.tenant_id) {
      if (account.tenantId !== org.tenant_id) return fail('wrong_tenant', TEXT.wrongTenant[user.locale], returnTo);
    } else if (companyConnect) {
      // Microsoft issued a calendar token to an account of this tenant: its admin has consented
      // (perhaps from the Entra admin centre rather than through our link).
      await recordConsent(db, user.organisationId, { status: 'granted', tenantId: account.tenantId }, now());
    } else {
      return fail('consent_missing', TEXT.noConsent[user.locale], returnTo);
    }

    const owner = await db.selectFrom('outlook_connections').select('user_id').where('tenant_id', '=', account.tenantId).where('object_id', '=', account.objectId).executeTakeFirst();
    if (owner && owner.user_id !== user.id) return fail('account_in_use', TEXT.accountInUse[user.locale], returnTo);
    await markConnected(db, box, { userId: user.id, organisationId: user.organisationId, account, tokenCache: cache.value ?? '', accessToken: account.accessToken, at: now() });
    if (companyConnect) await recordAdminConnected(db, user.organisationId, user.id, now());
    // Backfill: every booking, upcoming, current and past; after a lapse, a full reconcile.
    await enqueueSync(store, undefined, user.id);
    return reply.redirect(returnTo);
  });
}
