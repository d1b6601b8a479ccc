// Calendar providers on the HTTP side, whatever the provider: the company's grant and sync switch,
// each user's connection (authorization code + PKCE, `state` bound to the session), and the
// providers' redirects. Which providers exist, and what they are called, comes from the registry.
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CalendarProviderError, WRONG_ORGANIZATION } from '../calendars/errors.ts';
import type { AnyCalendarProvider as CalendarProvider } from '../calendars/provider.ts';
import { providerDescriptor, type CalendarProviders, type ProviderDescriptor } from '../calendars/registry.ts';
import type { Locale, User } from '../domain/types.ts';
import { messages } from '../i18n/messages.ts';
import { escapeHtml } from '../mail/render-itinerary-email.ts';
import {
  accountOwner, dismissConnectPrompt, findConnection, listConnections, markConnected, memoryCredentialStore, promptDismissedAt, REMOVING_EVENTS, transition,
} from '../store/calendar-connections.ts';
import { companyCalendar, loginPolicyDays, proveGrant, recordAdminConnected, recordGrant, recordGrantClaim, setSyncEnabled } from '../store/company-calendars.ts';
import { addDelegatedConnections, recordDelegation, restoreDelegatedConnections } from '../store/delegated-connections.ts';
import type { Store } from '../store/database.ts';
import { consumeState, issueState, OAuthStateError } from '../store/oauth-states.ts';
import { companySettings, listUsers } from '../store/organisations.ts';
import { operatorAlarms } from '../store/operator-alarms.ts';
import type { SecretBox } from '../store/secret-box.ts';
import { COMPANY_POLICY_REASON } from '../sync/connection-policy.ts';
import { enqueueSync, enqueueSyncs, reconcileAfterCommit } from '../sync/sync-jobs.ts';
import type { CompanyCalendarStatus, ConnectionStatus, MyCalendarStatus, PasswordConnectResponse, ProviderDescriptor as ApiProviderDescriptor } from './api-types.ts';
import { changeCompanySettings } from './company-settings.ts';
import { HttpError } from './errors.ts';
import { requestLocale, requireAdmin, requireUser, sessionHash } from './session.ts';

export interface CalendarRoutesOptions {
  store: Store;
  providers: CalendarProviders;
  box: SecretBox;
  publicUrl: string;
  now?: () => Date;
}

/** A grant link is handed to the company's IT administrator, who may open it a while later. */
export const CONSENT_LINK_TTL_MS = 24 * 3600_000;

/** A sign-in is finished within minutes. */
export const CONNECT_TTL_MS = 10 * 60_000;


/** Where each place a connection starts from gets the user back to, with the outcome in the query. */
const RETURN_PATHS = { home: '/', tile: '/profile/connected-apps', company: '/company/settings/integrations/calendar' } as const;
type ReturnPlace = keyof typeof RETURN_PATHS;

function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** The descriptor as the web app's API gives it (labels, whether a company grant comes first). */
function publicDescriptor(d: ProviderDescriptor): ApiProviderDescriptor {
  return { id: d.id, labels: d.labels, companyGrant: d.companyGrant, connectMethod: d.connectMethod, ...(d.passwordForm ? { passwordForm: d.passwordForm } : {}) };
}

/** The grant page's look: self-contained (no script, no file of the web app), readable on a phone. */
const GRANT_PAGE_STYLE = `
*{box-sizing:border-box}
body{margin:0;min-height:100vh;display:grid;place-items:center;background:#f6f7f9;color:#1b1f24;line-height:1.6;
font-family:system-ui,-apple-system,"Hiragino Sans","Noto Sans JP","Yu Gothic UI","Segoe UI",sans-serif}
main{background:#fff;border:1px solid #c9ced6;border-radius:10px;padding:2rem 2.25rem;width:min(34rem,calc(100vw - 2rem));margin:1rem 0;box-shadow:0 2px 10px rgba(0,0,0,.06)}
.brand{margin:0 0 1.25rem;font-weight:700;color:#08457f}
h1{font-size:1.05rem;margin:0;color:#4a5360;font-weight:600}
h2{font-size:1.45rem;margin:.25rem 0 1rem;display:flex;gap:.6rem;align-items:center}
.mark{display:inline-grid;place-items:center;flex:none;width:2rem;height:2rem;border-radius:50%;color:#fff;font-size:1.1rem}
.ok .mark{background:#1e7b3a}.refused .mark{background:#a4161a}
p{margin:.5rem 0}
.muted{color:#4a5360;font-size:.95rem;margin-top:1.25rem}
details{margin-top:1rem;font-size:.9rem;color:#4a5360}
summary{cursor:pointer}
details p{word-break:break-all;background:#f6f7f9;padding:.5rem .75rem;border-radius:4px;font-family:ui-monospace,monospace}
`;

/**
 * What the company's IT administrator sees after answering a grant link, in their browser's
 * language: the outcome as a heading, what to do next, and the provider's own text (its codes,
 * trace ids) folded away for IT.
 */
function grantPage(reply: FastifyReply, locale: Locale, title: string, ok: boolean, message: string, detail?: string) {
  const words = messages(locale).grantPage;
  const outcome = ok ? words.approved : words.refused;
  const body = [
    `<p class="brand">tripcal</p>`,
    `<h1>${escapeHtml(title)}</h1>`,
    `<div class="${ok ? 'ok' : 'refused'}" role="${ok ? 'status' : 'alert'}">`,
    `<h2><span class="mark" aria-hidden="true">${ok ? '✓' : '!'}</span>${escapeHtml(outcome)}</h2>`,
    message ? `<p>${escapeHtml(message)}</p>` : '',
    ok ? '' : `<p>${escapeHtml(words.refusedNext)}</p>`,
    '</div>',
    detail ? `<details><summary>${escapeHtml(words.detail)}</summary><p>${escapeHtml(detail)}</p></details>` : '',
    `<p class="muted">${escapeHtml(words.close)}</p>`,
  ].join('');
  return reply
    .code(ok ? 200 : 400)
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(`<!doctype html><html lang="${locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(`${outcome} – ${title}`)}</title><link rel="icon" href="/favicon.svg" type="image/svg+xml"><style>${GRANT_PAGE_STYLE}</style></head><body><main>${body}</main></body></html>`);
}

const providerParam = { type: 'object', required: ['provider'], properties: { provider: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,31}$' } } } as const;

export async function calendarRoutes(app: FastifyInstance, opts: CalendarRoutesOptions): Promise<void> {
  const { store, providers, box } = opts;
  const db = store.db;
  const now = opts.now ?? (() => new Date());
  const callbackUrl = (provider: string) => `${opts.publicUrl}/oauth/${provider}/callback`;
  const grantCallbackUrl = (provider: string) => `${opts.publicUrl}/oauth/${provider}/consent-callback`;

  /** The provider the route names, with its descriptor; 404 for one this deployment does not run. */
  function providerOf(request: FastifyRequest, locale: Locale): { provider: CalendarProvider; descriptor: ProviderDescriptor } {
    const id = (request.params as { provider?: string }).provider ?? '';
    const provider = providers.get(id);
    const descriptor = providerDescriptor(id);
    if (!provider || !descriptor) throw new HttpError(404, 'provider_not_found', messages(locale).calendars.noProvider, 'provider');
    return { provider, descriptor };
  }

  async function myStatus(user: User, provider: CalendarProvider, descriptor: ProviderDescriptor): Promise<MyCalendarStatus> {
    const company = await companyCalendar(db, user.organisationId, provider.id);
    const connection = await findConnection(db, user.id, provider.id);
    const dismissedAt = await promptDismissedAt(db, user.id);
    const status: ConnectionStatus = connection?.status ?? 'not_connected';
    const available = company.sync_enabled && (!provider.companyGrant || company.grant_status === 'granted');
    // Closed by mistake or not: the prompt comes back once the connection lapses after that.
    const lapsedSinceDismissal = !!connection && connection.status !== 'connected' && !!dismissedAt && new Date(connection.status_changed_at) > dismissedAt;
    return {
      provider: publicDescriptor(descriptor),
      companySyncEnabled: company.sync_enabled,
      status,
      ...(connection?.status_reason ? { reason: connection.status_reason } : {}),
      ...(connection ? { username: connection.account_name, connectedAt: new Date(connection.connected_at).toISOString() } : {}),
      // Under the company's delegation the traveler connects nothing: tripcal makes the connection.
      showConnectPrompt: available && !company.delegated && status !== 'connected' && (!dismissedAt || lapsedSinceDismissal),
      ...(company.delegated ? { managedByCompany: true } : {}),
    };
  }

  async function companyStatus(user: User, provider: CalendarProvider, descriptor: ProviderDescriptor): Promise<CompanyCalendarStatus> {
    const company = await companyCalendar(db, user.organisationId, provider.id);
    const users = await listUsers(db, user.organisationId);
    const connections = new Map((await listConnections(db, user.organisationId, provider.id)).map((c) => [c.user_id, c]));
    const connectedBy = company.connected_by ? users.find((u) => u.id === company.connected_by) : undefined;
    const travelers = users.map((u) => {
      const c = connections.get(u.id);
      return {
        userId: u.id, name: u.displayName, email: u.email, status: (c?.status ?? 'not_connected') as ConnectionStatus,
        ...(c?.status_reason ? { reason: c.status_reason } : {}),
        ...(u.lastLoginAt ? { lastLoginAt: u.lastLoginAt.toISOString() } : {}),
      };
    });
    const count = (s: ConnectionStatus) => travelers.filter((t) => t.status === s).length;
    return {
      provider: publicDescriptor(descriptor),
      ...(provider.companyGrant || provider.delegation
        ? {
          grant: {
            status: company.grant_status,
            ...(company.grant_organization ? { organization: company.grant_organization } : {}),
            ...(company.grant_changed_at ? { changedAt: new Date(company.grant_changed_at).toISOString() } : {}),
            ...(company.grant_error ? { error: company.grant_error } : {}),
            ...(company.grant_claim ? { claimed: company.grant_claim } : {}),
          },
        }
        : {}),
      ...(connectedBy && company.connected_at ? { connectedBy: { name: connectedBy.displayName, email: connectedBy.email, at: new Date(company.connected_at).toISOString() } } : {}),
      ...(provider.delegation ? { delegation: { clientId: provider.delegation.clientId, scopes: [...provider.delegation.scopes], active: company.delegated && company.grant_status === 'granted' } } : {}),
      syncEnabled: company.sync_enabled,
      ...((alarm) => (alarm ? { operatorAlarm: { since: alarm.since.toISOString() } } : {}))((await operatorAlarms(db)).find((a) => a.provider === provider.id)),
      loginPolicyDays: await loginPolicyDays(db, user.organisationId),
      counts: {
        connected: count('connected'), lapsed: count('lapsed'), revoked: count('revoked'), neverConnected: count('not_connected') + count('disconnected'),
        // Of the lapsed: those the company's own sign-in policy (e.g. Conditional Access) refused.
        companyPolicy: travelers.filter((t) => t.status === 'lapsed' && t.reason?.startsWith(COMPANY_POLICY_REASON)).length,
      },
      travelers,
    };
  }

  async function startConnect(user: User, provider: CalendarProvider, descriptor: ProviderDescriptor, place: ReturnPlace, session: string | undefined): Promise<{ url: string }> {
    if (!session) throw new HttpError(401, 'not_logged_in', 'session');
    const company = await companyCalendar(db, user.organisationId, provider.id);
    // A traveler needs the company's grant first. The admin's connect from the company dialog is
    // itself the check that the grant was given: without it, the provider issues no calendar
    // access (and the callback records the organisation that did grant it).
    if (provider.companyGrant && place !== 'company' && (company.grant_status !== 'granted' || !company.grant_organization)) {
      throw new HttpError(409, 'consent_missing', descriptor.messages[user.locale].grantMissing);
    }
    // A provider connected through a form (a password) has no sign-in page to send the user to.
    if (provider.connect.kind !== 'oauth_code') throw new HttpError(409, 'connect_with_form', messages(user.locale).calendars.noProvider);
    const { verifier, challenge } = pkce();
    const state = await issueState(db, {
      provider: provider.id, purpose: 'connect', organisationId: user.organisationId, userId: user.id, sessionHash: session,
      codeVerifier: box.seal(verifier, 'pkce'), returnTo: place, ttlMs: CONNECT_TTL_MS, now: now(),
    });
    const url = await provider.connect.authorizationUrl({
      state, redirectUri: callbackUrl(provider.id), codeChallenge: challenge, loginHint: user.email,
      organization: company.grant_organization ?? undefined, locale: user.locale,
    });
    return { url };
  }

  // ---- the traveler ----

  app.get('/api/me/calendars', { schema: { hide: true } }, async (request) => {
    const user = await requireUser(db, request, now());
    const calendars: MyCalendarStatus[] = [];
    for (const provider of providers.values()) calendars.push(await myStatus(user, provider, providerDescriptor(provider.id)!));
    return { calendars };
  });

  app.get('/api/me/calendars/:provider', { schema: { hide: true, params: providerParam } }, async (request) => {
    const user = await requireUser(db, request, now());
    const { provider, descriptor } = providerOf(request, user.locale);
    return myStatus(user, provider, descriptor);
  });

  app.post<{ Body: { returnTo?: 'home' | 'tile' } | undefined }>('/api/me/calendars/:provider/connect', {
    schema: { hide: true, params: providerParam, body: { type: ['object', 'null'], additionalProperties: false, properties: { returnTo: { enum: ['home', 'tile'] } } } },
  }, async (request) => {
    const user = await requireUser(db, request, now());
    const { provider, descriptor } = providerOf(request, user.locale);
    const company = await companyCalendar(db, user.organisationId, provider.id);
    if (!company.sync_enabled && user.role !== 'admin') throw new HttpError(409, 'sync_off', messages(user.locale).calendars.syncOff);
    return startConnect(user, provider, descriptor, request.body?.returnTo ?? 'home', sessionHash(request));
  });

  // A provider connected with a form: the server's address, a username and a password. Nothing is
  // stored until the account has proved itself and a calendar is chosen; the password is then sealed
  // as the connection's credential, and the backfill is queued.
  app.post<{ Body: { serverUrl: string; username: string; password: string; calendarId?: string } }>('/api/me/calendars/:provider/connect-password', {
    schema: {
      hide: true, params: providerParam,
      body: {
        type: 'object', required: ['serverUrl', 'username', 'password'], additionalProperties: false,
        properties: { serverUrl: { type: 'string', maxLength: 500 }, username: { type: 'string', minLength: 1, maxLength: 254 }, password: { type: 'string', minLength: 1, maxLength: 500 }, calendarId: { type: 'string', maxLength: 1000 } },
      },
    },
  }, async (request): Promise<PasswordConnectResponse> => {
    const user = await requireUser(db, request, now());
    const { provider, descriptor } = providerOf(request, user.locale);
    const words = messages(user.locale).calendarPassword;
    if (provider.connect.kind !== 'password') throw new HttpError(409, 'connect_with_sign_in', messages(user.locale).calendars.noProvider);
    const company = await companyCalendar(db, user.organisationId, provider.id);
    if (!company.sync_enabled && user.role !== 'admin') throw new HttpError(409, 'sync_off', messages(user.locale).calendars.syncOff);
    const { serverUrl, username, password, calendarId } = request.body;
    let url: URL | undefined;
    try {
      url = new URL(serverUrl.trim());
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password) throw new HttpError(400, 'invalid_server_url', words.badServerUrl, 'serverUrl');
    const credential = memoryCredentialStore();
    let outcome;
    try {
      outcome = await provider.connect.connect({ serverUrl: url.href, username: username.trim(), password, ...(calendarId ? { calendarId } : {}), credentials: credential });
    } catch (error) {
      if (!(error instanceof CalendarProviderError)) throw error;
      if (error.code === 'auth_lost') throw new HttpError(400, 'credentials_refused', words.refused, 'password');
      if (error.code === 'temporary' || error.code === 'throttled') throw new HttpError(502, 'server_unreachable', words.unreachable, 'serverUrl');
      if (error.providerCode === 'caldav_calendar_not_found') throw new HttpError(400, 'calendar_not_found', words.calendarMissing, 'calendarId');
      if (error.code === 'not_found') throw new HttpError(400, 'no_calendar', words.noCalendar, 'serverUrl');
      throw new HttpError(400, 'not_a_calendar_server', words.notCalendarServer, 'serverUrl');
    }
    if (outcome.status === 'choose_calendar') return { result: 'choose_calendar', calendars: outcome.calendars };
    const owner = await accountOwner(db, provider.id, outcome.account.key);
    if (owner && owner !== user.id) throw new HttpError(409, 'account_in_use', descriptor.messages[user.locale].accountInUse, 'calendarId');
    const connectionId = await markConnected(db, box, {
      userId: user.id, organisationId: user.organisationId, provider: provider.id, account: outcome.account, credential: credential.value ?? '', at: now(),
    });
    // Backfill: every booking, upcoming, current and past.
    await enqueueSync(store, undefined, connectionId);
    return { result: 'connected', calendar: await myStatus(user, provider, descriptor) };
  });

  app.post('/api/me/calendars/:provider/dismiss-prompt', { schema: { hide: true, params: providerParam } }, async (request) => {
    const user = await requireUser(db, request, now());
    const { provider, descriptor } = providerOf(request, user.locale);
    await dismissConnectPrompt(db, user.id, now());
    return myStatus(user, provider, descriptor);
  });

  app.delete<{ Querystring: { removeEvents?: 'true' | 'false' } }>('/api/me/calendars/:provider', {
    schema: { hide: true, params: providerParam, querystring: { type: 'object', additionalProperties: false, properties: { removeEvents: { enum: ['true', 'false'] } } } },
  }, async (request) => {
    const user = await requireUser(db, request, now());
    const { provider, descriptor } = providerOf(request, user.locale);
    const connection = await findConnection(db, user.id, provider.id);
    if (connection?.status === 'connected' && request.query.removeEvents === 'true') {
      // The removal is the connection's own job: it runs after any reconcile in flight has ended,
      // and finds by key the creates whose answers were not recorded (src/sync/remove-connection-events.ts).
      await db.transaction().execute(async (tx) => {
        await transition(tx, connection.id, 'removingEvents', REMOVING_EVENTS, now());
        await reconcileAfterCommit(store, tx, [connection.id]);
      });
    } else if (connection && connection.status_reason !== REMOVING_EVENTS) await transition(db, connection.id, 'disconnected', null, now());
    return myStatus(user, provider, descriptor);
  });

  // ---- the company admin ----

  // The company's settings the web app's 会社 → 設定 shows (session of a company admin).
  const companySettingsSchema = {
    type: 'object',
    additionalProperties: false,
    properties: {
      keepCancelledEvents: {
        type: 'boolean',
        description: 'A cancelled booking stays in travelers\' calendars (Outlook, Google, CalDAV, the calendar feed) as 「キャンセル: …」 / "Canceled: …", free, with no reminder; false (the default) removes it. Changing it reconciles every connected calendar of the company.',
      },
    },
  } as const;
  const companySettingsDoc = { tags: ['web app'], security: [{ sessionCookie: [] }] };
  const settingsView = (s: { keepCancelledEvents: boolean }) => ({ keepCancelledEvents: s.keepCancelledEvents });

  app.get('/api/company/settings', {
    schema: { ...companySettingsDoc, summary: "The company's settings (company admins)", response: { 200: { ...companySettingsSchema, required: ['keepCancelledEvents'] } } },
  }, async (request) => {
    const admin = await requireAdmin(db, request, now());
    const settings = await companySettings(db, admin.organisationId);
    return settingsView(settings!);
  });

  app.patch<{ Body: { keepCancelledEvents?: boolean } }>('/api/company/settings', {
    // Validated here rather than by the schema alone, so the admin reads the refusal in their language.
    attachValidation: true,
    schema: {
      ...companySettingsDoc, summary: "Changes the company's settings (company admins)", body: companySettingsSchema,
      response: { 200: { ...companySettingsSchema, required: ['keepCancelledEvents'] } },
    },
  }, async (request) => {
    const admin = await requireAdmin(db, request, now());
    const body = request.body as unknown;
    const value = body !== null && typeof body === 'object' ? (body as Record<string, unknown>).keepCancelledEvents : undefined;
    const extra = body !== null && typeof body === 'object' ? Object.keys(body).find((k) => k !== 'keepCancelledEvents') : undefined;
    const words = messages(admin.locale).companySettings;
    if (extra !== undefined) throw new HttpError(400, 'invalid_request', words.unknownField(extra), extra);
    if (request.validationError || typeof value !== 'boolean') throw new HttpError(400, 'invalid_request', words.keepCancelledEvents, 'keepCancelledEvents');
    const settings = await changeCompanySettings(store, admin.organisationId, { keepCancelledEvents: value });
    return settingsView(settings!);
  });

  app.get('/api/company/calendars', { schema: { hide: true } }, async (request) => {
    const admin = await requireAdmin(db, request, now());
    const calendars: CompanyCalendarStatus[] = [];
    for (const provider of providers.values()) calendars.push(await companyStatus(admin, provider, providerDescriptor(provider.id)!));
    return { calendars };
  });

  app.get('/api/company/calendars/:provider', { schema: { hide: true, params: providerParam } }, async (request) => {
    const admin = await requireAdmin(db, request, now());
    const { provider, descriptor } = providerOf(request, admin.locale);
    return companyStatus(admin, provider, descriptor);
  });

  app.post('/api/company/calendars/:provider/grant-link', { schema: { hide: true, params: providerParam } }, async (request) => {
    const admin = await requireAdmin(db, request, now());
    const { provider } = providerOf(request, admin.locale);
    if (!provider.companyGrant) throw new HttpError(404, 'no_company_grant', messages(admin.locale).calendars.noProvider, 'provider');
    const issuedAt = now();
    const state = await issueState(db, {
      provider: provider.id, purpose: 'admin_consent', organisationId: admin.organisationId, userId: admin.id, sessionHash: sessionHash(request) ?? '',
      ttlMs: CONSENT_LINK_TTL_MS, now: issuedAt,
    });
    return { url: provider.companyGrant.grantUrl({ state, redirectUri: grantCallbackUrl(provider.id) }), expiresAt: new Date(issuedAt.getTime() + CONSENT_LINK_TTL_MS).toISOString() };
  });

  app.post('/api/company/calendars/:provider/connect', { schema: { hide: true, params: providerParam } }, async (request) => {
    const admin = await requireAdmin(db, request, now());
    const { provider, descriptor } = providerOf(request, admin.locale);
    return startConnect(admin, provider, descriptor, 'company', sessionHash(request));
  });

  app.put<{ Body: { enabled: boolean } }>('/api/company/calendars/:provider/sync', {
    schema: { hide: true, params: providerParam, body: { type: 'object', required: ['enabled'], additionalProperties: false, properties: { enabled: { type: 'boolean' } } } },
  }, async (request) => {
    const admin = await requireAdmin(db, request, now());
    const { provider, descriptor } = providerOf(request, admin.locale);
    const company = await companyCalendar(db, admin.organisationId, provider.id);
    if (request.body.enabled && provider.companyGrant && (company.grant_status !== 'granted' || !company.connected_by)) {
      throw new HttpError(409, 'consent_missing', descriptor.messages[admin.locale].grantMissing, 'enabled');
    }
    // The switch and the reconciles it calls for commit together: every connected traveler's
    // calendar is brought up to date, queued in one statement.
    await db.transaction().execute(async (tx) => {
      await setSyncEnabled(tx, admin.organisationId, provider.id, request.body.enabled, now());
      if (!request.body.enabled) return;
      // Under a delegation, every user of the company gets a connection of tripcal's making.
      await addDelegatedConnections(tx, { organisationId: admin.organisationId, provider: provider.id }, now());
      const connected = (await listConnections(tx, admin.organisationId, provider.id)).filter((c) => c.status === 'connected');
      await enqueueSyncs(store, tx, connected.map((c) => c.id));
    });
    return companyStatus(admin, provider, descriptor);
  });

  // The administrator has authorized our client id for the scopes in the provider's admin console;
  // the check reaches the administrator's own calendar under the delegation. When it works the
  // delegation is the company's mode: every user's connection is made (or restored after the
  // delegation was withdrawn) and reconciled once sync is on.
  app.post('/api/company/calendars/:provider/delegation', { schema: { hide: true, params: providerParam } }, async (request) => {
    const admin = await requireAdmin(db, request, now());
    const { provider, descriptor } = providerOf(request, admin.locale);
    if (!provider.delegation) throw new HttpError(404, 'no_delegation', messages(admin.locale).calendars.noProvider, 'provider');
    let account;
    try {
      account = await provider.delegation.verify(admin.email);
    } catch (error) {
      if (!(error instanceof CalendarProviderError)) throw error;
      const reason = error.providerCode ?? error.code;
      await recordGrant(db, admin.organisationId, provider.id, { status: 'refused', error: reason }, now());
      throw new HttpError(409, 'delegation_missing', `${descriptor.messages[admin.locale].delegationMissing ?? descriptor.messages[admin.locale].refused}: ${reason}`);
    }
    await db.transaction().execute(async (tx) => {
      await recordDelegation(tx, admin.organisationId, provider.id, account.organization ?? '', admin.id, now());
      const restored = await restoreDelegatedConnections(tx, admin.organisationId, provider.id, now());
      const added = await addDelegatedConnections(tx, { organisationId: admin.organisationId, provider: provider.id }, now());
      const company = await companyCalendar(tx, admin.organisationId, provider.id);
      if (company.sync_enabled) await enqueueSyncs(store, tx, [...restored, ...added]);
    });
    return companyStatus(admin, provider, descriptor);
  });

  // ---- the providers' redirects ----

  // The company's IT administrator lands here, usually without an OBT session: the state alone
  // (one use, 24 hours, bound to the company and the OBT admin who made the link) says for whom.
  app.get<{ Params: { provider: string }; Querystring: Record<string, string> }>('/oauth/:provider/consent-callback', { schema: { hide: true, params: providerParam } }, async (request, reply) => {
    const locale = requestLocale(request);
    const { provider, descriptor } = providerOf(request, locale);
    const title = descriptor.labels[locale].integration;
    if (!provider.companyGrant) throw new HttpError(404, 'no_company_grant', messages(locale).calendars.noProvider);
    let state;
    try {
      state = await consumeState(db, request.query.state ?? '', { provider: provider.id, purpose: 'admin_consent' }, now());
    } catch (error) {
      if (error instanceof OAuthStateError) return grantPage(reply, locale, title, false, messages(locale).calendars.badState, error.code);
      throw error;
    }
    const outcome = provider.companyGrant.readRedirect(request.query);
    if (outcome.status === 'incomplete') return grantPage(reply, locale, title, false, '', outcome.missing);
    if (outcome.status === 'refused') {
      // A refusal says nothing about a grant already proven (that grant stays as the provider holds
      // it); its organisation is a claim, never recorded as the company's.
      const company = await companyCalendar(db, state.organisation_id, provider.id);
      if (company.grant_status !== 'granted') await recordGrant(db, state.organisation_id, provider.id, { status: 'refused', error: outcome.error }, now());
      return grantPage(reply, locale, title, false, '', request.query.error_description ?? outcome.error);
    }
    // A claim, not yet trusted: the admin's own connection proves the organisation, and a claim
    // never replaces an organisation already proven. The same organisation granting again renews
    // its grant (after a revocation, or to restart it).
    await recordGrantClaim(db, state.organisation_id, provider.id, outcome.organization, now());
    return grantPage(reply, locale, title, true, descriptor.messages[locale].granted);
  });

  app.get<{ Params: { provider: string }; Querystring: Record<string, string> }>('/oauth/:provider/callback', { schema: { hide: true, params: providerParam } }, async (request, reply) => {
    const q = request.query;
    const user = await requireUser(db, request, now());
    const { provider, descriptor } = providerOf(request, user.locale);
    const inItsName = descriptor.messages[user.locale];
    const back = (place: ReturnPlace, query: Record<string, string>) =>
      reply.redirect(`${RETURN_PATHS[place]}?${new URLSearchParams({ calendar: provider.id, ...query })}`);
    // `message` is ours, in the user's language; `detail` is the provider's own text (for IT), and
    // `code` the provider's own code where its text starts with one ("AADSTS90094: …").
    const fail = (code: string, message: string, place: ReturnPlace = user.role === 'admin' ? 'company' : 'home', detail?: string) =>
      back(place, { result: 'error', code, message, ...(detail ? { detail } : {}) });
    const refusedBy = (fallbackCode: string, detail: string, place: ReturnPlace) => fail(/^([A-Z]+\d+):/.exec(detail)?.[1] ?? fallbackCode, inItsName.refused, place, detail);

    let state;
    try {
      state = await consumeState(db, q.state ?? '', { provider: provider.id, purpose: 'connect' }, now(), sessionHash(request));
    } catch (error) {
      if (error instanceof OAuthStateError) return fail(error.code, messages(user.locale).calendars.badState);
      throw error;
    }
    if (state.user_id !== user.id) return fail('state_wrong_session', messages(user.locale).calendars.badState);
    const place: ReturnPlace = state.return_to && state.return_to in RETURN_PATHS ? (state.return_to as ReturnPlace) : 'home';
    if (q.error) return refusedBy(q.error, q.error_description ?? q.error, place);
    if (!q.code) return fail('missing_code', messages(user.locale).calendars.badState, place);

    const company = await companyCalendar(db, user.organisationId, provider.id);
    const credential = memoryCredentialStore();
    if (provider.connect.kind !== 'oauth_code') return fail('connect_with_form', messages(user.locale).calendars.noProvider, place);
    let account;
    try {
      account = await provider.connect.redeemCode({
        code: q.code, codeVerifier: box.open(state.code_verifier!, 'pkce'), redirectUri: callbackUrl(provider.id), credentials: credential,
        // Where startConnect sent the sign-in: the company's organisation, if it has one.
        ...(company.grant_organization ? { organization: company.grant_organization } : {}),
      });
    } catch (error) {
      if (error instanceof CalendarProviderError && error.providerCode === WRONG_ORGANIZATION) return fail('wrong_organization', inItsName.wrongOrganization, place);
      if (error instanceof CalendarProviderError) return fail(error.providerCode ?? error.code, inItsName.refused, place, error.message);
      throw error;
    }
    const companyConnect = user.role === 'admin' && place === 'company';
    if (provider.companyGrant) {
      // The grant redirect's organisation is only a claim; the company admin's signed-in account
      // proves it. Calendar access alone proves nothing about the organisation: where its users
      // may consent for themselves, the admin's own consent gives it too.
      if (company.grant_status === 'granted' && company.grant_organization) {
        if (account.organization !== company.grant_organization) return fail('wrong_organization', inItsName.wrongOrganization, place);
      } else if (companyConnect && account.organization && company.grant_claim === account.organization) {
        await proveGrant(db, user.organisationId, provider.id, account.organization, now());
      } else if (companyConnect && company.grant_claim && account.organization !== company.grant_claim) {
        return fail('wrong_organization', inItsName.wrongOrganization, place);
      } else {
        return fail('consent_missing', inItsName.grantMissing, place);
      }
    }

    const owner = await accountOwner(db, provider.id, account.key);
    if (owner && owner !== user.id) return fail('account_in_use', inItsName.accountInUse, place);
    const connectionId = await markConnected(db, box, {
      userId: user.id, organisationId: user.organisationId, provider: provider.id, account, credential: credential.value ?? '', accessToken: account.accessToken, at: now(),
    });
    if (companyConnect) await recordAdminConnected(db, user.organisationId, provider.id, user.id, now());
    // Backfill: every booking, upcoming, current and past; after a lapse, a full reconcile.
    await enqueueSync(store, undefined, connectionId);
    return back(place, { result: 'connected' });
  });
}
