// Entra ID endpoints: instance discovery, OIDC discovery, JWKS, authorize (sign-in + consent),
// token (authorization_code with PKCE, refresh_token with rotation), adminconsent, logout.
import { createHash, randomUUID } from "node:crypto";
import type { SandboxClock } from "../clock.ts";
import { formBody, html, json, redirect } from "../http-types.ts";
import type { SbRequest, SbResponse } from "../http-types.ts";
import { signJwt, jwks } from "../jwt.ts";
import type { SigningKey } from "../jwt.ts";
import type { SeedApp, SeedTenant } from "../seed.ts";
import { GRAPH_RESOURCE } from "../seed.ts";
import { randomToken } from "../store.ts";
import type { DirectoryUser, Store } from "../store.ts";
import { AAD, aadErrorBody, aadErrorResponse } from "./errors.ts";
import type { AadError } from "./errors.ts";
import { consentPage, errorPage, needAdminApprovalPage, pickLocale, signInPage, strings } from "./pages.ts";
import type { Locale } from "./pages.ts";
import { needsAdmin, parseScopes } from "./scopes.ts";
import type { ParsedScopes } from "./scopes.ts";

export interface EntraDeps {
  store: Store;
  clock: SandboxClock;
  key: SigningKey;
  /** Injected faults for the token endpoint (target "login"). */
  fault?: (method: string, path: string) => { kind: "drop" } | { kind: "error"; status: number; retryAfter?: string } | null;
}

interface AuthCode {
  clientId: string;
  redirectUri: string;
  userId: string;
  tenantId: string;
  scope: string;
  codeChallenge: string;
  nonce?: string;
  authTime: number;
  expiresAt: number;
  redeemed: boolean;
}

/** The path's tenant segment: a known tenant, or one of the multi-tenant aliases. */
type TenantRef = { kind: "tenant"; tenant: SeedTenant; segment: string } | { kind: "organizations" | "common"; segment: string };

const CODE_LIFETIME_MS = 10 * 60_000;
const DAY_MS = 24 * 3600_000;

export function isAllowedRedirect(app: SeedApp, uri: string): boolean {
  if (app.redirectUris.includes(uri)) return true;
  // Entra ignores the port of http://localhost and http://127.0.0.1 redirect URIs (loopback rule).
  try {
    const u = new URL(uri);
    return u.protocol === "http:" && (u.hostname === "localhost" || u.hostname === "127.0.0.1") && !u.hash;
  } catch {
    return false;
  }
}

export function createEntra(deps: EntraDeps): { handle(req: SbRequest): SbResponse | null } {
  const { store, clock, key } = deps;
  const codes = new Map<string, AuthCode>();

  function resolveTenant(segment: string): TenantRef | null {
    const lower = segment.toLowerCase();
    if (lower === "organizations" || lower === "common") return { kind: lower, segment: lower };
    const tenant = store.tenant(segment);
    return tenant ? { kind: "tenant", tenant, segment } : null;
  }

  function authorityBase(req: SbRequest, ref: TenantRef): string {
    return `${req.baseUrl}/${ref.kind === "tenant" ? ref.tenant.id : ref.kind}`;
  }

  function aadError(req: SbRequest, e: AadError): SbResponse {
    return aadErrorResponse(e, clock.now(), req.baseUrl, req.headers["client-request-id"]);
  }

  // ---- discovery -------------------------------------------------------------------------------

  function openidConfiguration(req: SbRequest, ref: TenantRef): SbResponse {
    const base = authorityBase(req, ref);
    const issuer = ref.kind === "tenant" ? `${req.baseUrl}/${ref.tenant.id}/v2.0` : `${req.baseUrl}/{tenantid}/v2.0`;
    return json(200, {
      token_endpoint: `${base}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
      jwks_uri: `${base}/discovery/v2.0/keys`,
      response_modes_supported: ["query", "fragment", "form_post"],
      subject_types_supported: ["pairwise"],
      id_token_signing_alg_values_supported: ["RS256"],
      response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
      scopes_supported: ["openid", "profile", "email", "offline_access"],
      issuer,
      request_uri_parameter_supported: false,
      userinfo_endpoint: `${req.baseUrl}/oidc/userinfo`,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      claims_supported: [
        "sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name", "msgraph_host",
        "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name", "tid", "ver", "at_hash",
        "c_hash", "email",
      ],
      kerberos_endpoint: `${base}/kerberos`,
      tenant_region_scope: "AS",
      cloud_instance_name: "microsoftonline.com",
      cloud_graph_host_name: "graph.windows.net",
      msgraph_host: "graph.microsoft.com",
      rbac_url: "https://pas.windows.net",
    });
  }

  function instanceDiscovery(req: SbRequest): SbResponse {
    const host = new URL(req.baseUrl).host;
    const endpoint = req.query.get("authorization_endpoint") ?? `${req.baseUrl}/common/oauth2/v2.0/authorize`;
    let tenantSegment = "common";
    try {
      tenantSegment = new URL(endpoint).pathname.split("/")[1] || "common";
    } catch {
      // keep "common"
    }
    return json(200, {
      tenant_discovery_endpoint: `${req.baseUrl}/${tenantSegment}/v2.0/.well-known/openid-configuration`,
      "api-version": "1.1",
      metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
    });
  }

  // ---- authorize and adminconsent --------------------------------------------------------------

  type Flow = "authorize" | "adminconsent";

  interface Validated {
    ref: TenantRef;
    app: SeedApp;
    params: URLSearchParams;
    redirectUri: string;
    locale: Locale;
  }

  /** Validation whose failure is shown on a page: Entra never redirects to an unverified URI. */
  function validateInteractive(req: SbRequest, segment: string, params: URLSearchParams): Validated | SbResponse {
    const locale = pickLocale(params.get("ui_locales"), req.headers["accept-language"]);
    const page = (e: AadError) => html(400, errorPage(locale, `AADSTS${e.code}: ${e.message}`));
    const ref = resolveTenant(segment);
    if (!ref) return page(AAD.unknownTenant(segment));
    const clientId = params.get("client_id") ?? "";
    const app = store.app(clientId);
    if (!app) return page(AAD.unknownClient(clientId, ref.segment));
    const redirectUri = params.get("redirect_uri") ?? "";
    if (!redirectUri) return page({ status: 400, error: "invalid_request", code: 900971, message: "No reply address provided." });
    if (!isAllowedRedirect(app, redirectUri)) return page(AAD.redirectMismatch(app.clientId));
    return { ref, app, params, redirectUri, locale };
  }

  function redirectWith(v: Validated, values: Record<string, string>): SbResponse {
    const mode = v.params.get("response_mode") ?? "query";
    const state = v.params.get("state");
    const all: Record<string, string> = { ...values };
    if (state !== null) all.state = state;
    if (mode === "form_post") {
      const inputs = Object.entries(all)
        .map(([k, val]) => `<input type="hidden" name="${k}" value="${val.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;")}">`)
        .join("");
      return html(
        200,
        `<!doctype html><html><head><title>Working...</title></head><body onload="document.forms[0].submit()"><form method="POST" name="hiddenform" action="${v.redirectUri.replace(/"/g, "&quot;")}">${inputs}<noscript><p>Script is disabled. Click Submit to continue.</p><input type="submit" value="Submit"></noscript></form></body></html>`,
      );
    }
    const url = new URL(v.redirectUri);
    const qs = new URLSearchParams(all).toString();
    if (mode === "fragment") return redirect(`${url.toString()}#${qs}`);
    for (const [k, val] of Object.entries(all)) url.searchParams.set(k, val);
    return redirect(url.toString());
  }

  function redirectError(v: Validated, e: AadError, extra: Record<string, string> = {}): SbResponse {
    const body = aadErrorBody(e, clock.now(), "https://login.microsoftonline.com");
    return redirectWith(v, {
      error: e.error,
      error_description: String(body.error_description),
      ...extra,
      error_uri: String(body.error_uri),
    });
  }

  function encodeCtx(params: URLSearchParams): string {
    return Buffer.from(params.toString()).toString("base64url");
  }

  function decodeCtx(ctx: string | null): URLSearchParams {
    return new URLSearchParams(Buffer.from(ctx ?? "", "base64url").toString("utf8"));
  }

  function usersFor(ref: TenantRef): DirectoryUser[] {
    return ref.kind === "tenant" ? store.allUsers().filter((u) => u.tenantId === ref.tenant.id) : store.allUsers();
  }

  function requestedGraphScopes(v: Validated, parsed: ParsedScopes): string[] {
    if (!parsed.graphDefault) return parsed.graph;
    // "/.default" means the permissions configured on the app registration.
    const required = v.app.requiredScopes ?? ["User.Read", "Calendars.ReadWrite"];
    return [...new Set([...parsed.graph, ...required])];
  }

  function showSignIn(req: SbRequest, flow: Flow, v: Validated, error?: string): SbResponse {
    const action = flow === "authorize" ? `/${v.ref.segment}/oauth2/v2.0/authorize` : `/${v.ref.segment}/v2.0/adminconsent`;
    return html(
      200,
      signInPage({
        locale: v.locale,
        action,
        ctx: encodeCtx(v.params),
        users: usersFor(v.ref),
        loginHint: v.params.get("login_hint"),
        error,
      }),
    );
  }

  function authorizeGet(req: SbRequest, segment: string, flow: Flow): SbResponse {
    const v = validateInteractive(req, segment, req.query);
    if ("status" in v) return v;
    if (flow === "authorize") {
      const early = authorizeRequestErrors(v);
      if (early) return early;
      // No browser session is kept: prompt=none can never be satisfied silently.
      if (v.params.get("prompt") === "none") {
        return redirectError(v, {
          status: 400,
          error: "login_required",
          code: 50058,
          message: "A silent sign-in request was sent but no user is signed in.",
        });
      }
    } else if (parseScopes(v.params.get("scope")).unknown.length || !v.params.get("scope")) {
      return redirectError(v, invalidScope(v.params.get("scope") ?? ""), { tenant: v.ref.kind === "tenant" ? v.ref.tenant.id : "" });
    }
    return showSignIn(req, flow, v);
  }

  function invalidScope(scope: string): AadError {
    return {
      status: 400,
      error: "invalid_scope",
      code: 70011,
      message: `The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope ${scope} is not valid.`,
    };
  }

  function authorizeRequestErrors(v: Validated): SbResponse | null {
    const responseType = v.params.get("response_type");
    if (responseType !== "code") {
      return redirectError(v, {
        status: 400,
        error: "unsupported_response_type",
        code: 700054,
        message: `response_type '${responseType ?? ""}' is not enabled for the application.`,
      });
    }
    const parsed = parseScopes(v.params.get("scope"));
    if (parsed.unknown.length || (!parsed.graph.length && !parsed.oidc.length && !parsed.graphDefault)) {
      return redirectError(v, invalidScope(v.params.get("scope") ?? ""));
    }
    if (!v.params.get("code_challenge")) return redirectError(v, AAD.pkceRequired());
    if ((v.params.get("code_challenge_method") ?? "plain") !== "S256") return redirectError(v, AAD.pkcePlainRefused());
    return null;
  }

  function issueCode(v: Validated, user: DirectoryUser): SbResponse {
    const code = `1.SBX${randomToken(64)}`;
    codes.set(code, {
      clientId: v.app.clientId,
      redirectUri: v.redirectUri,
      userId: user.id,
      tenantId: user.tenantId,
      scope: v.params.get("scope") ?? "",
      codeChallenge: v.params.get("code_challenge") ?? "",
      nonce: v.params.get("nonce") ?? undefined,
      authTime: clock.now(),
      expiresAt: clock.now() + CODE_LIFETIME_MS,
      redeemed: false,
    });
    const values: Record<string, string> = { code };
    if (v.params.get("client_info") === "1") values.client_info = clientInfo(user);
    values.session_state = randomUUID();
    return redirectWith(v, values);
  }

  /** access_denied back to the app; the admin-consent endpoint also names the tenant. */
  function declined(v: Validated, tenantId: string | undefined, code: 65004 | 90094, tenantParam = true): SbResponse {
    const tenantName = (tenantId && store.tenant(tenantId)?.displayName) || "your organization";
    const message =
      code === 65004
        ? "User declined to consent to access the app."
        : `An administrator of ${tenantName} has set a policy that prevents you from granting ${v.app.consentDisplayName} the permissions it is requesting. Contact an administrator of ${tenantName}, who can grant permissions to this app on your behalf.`;
    const extra: Record<string, string> = { error_subcode: "cancel" };
    if (tenantId && tenantParam) extra.tenant = tenantId;
    return redirectError(v, { status: 400, error: "access_denied", code, message }, extra);
  }

  function authorizePost(req: SbRequest, segment: string, flow: Flow): SbResponse {
    const form = formBody(req);
    const params = decodeCtx(form.get("ctx"));
    const v = validateInteractive(req, segment, params);
    if ("status" in v) return v;
    if (flow === "authorize") {
      const early = authorizeRequestErrors(v);
      if (early) return early;
    }
    const login = (form.get("login") ?? "").trim();
    const user = login ? store.user(login) : undefined;
    if (!user) return showSignIn(req, flow, v, `AADSTS50034: ${strings(v.locale).unknownUser}`);
    if (v.ref.kind === "tenant" && v.ref.tenant.id !== user.tenantId) {
      const e = AAD.wrongTenantUser(user.userPrincipalName, v.ref.tenant.displayName);
      return html(400, errorPage(v.locale, `AADSTS${e.code}: ${e.message}`));
    }
    const tenant = store.tenant(user.tenantId)!;
    const parsed = parseScopes(params.get("scope"));
    const wanted = requestedGraphScopes(v, parsed);
    const consented = store.consentedScopes(tenant.id, v.app.clientId, user.id);
    const missing = wanted.filter((s) => !consented.has(s.toLowerCase()));
    const adminOnly = needsAdmin(missing);
    const step = form.get("step");
    const action = flow === "authorize" ? `/${v.ref.segment}/oauth2/v2.0/authorize` : `/${v.ref.segment}/v2.0/adminconsent`;
    const ctx = encodeCtx(params);
    const signInAgainUrl = `${action}?${params.toString()}`;
    const appName = v.app.consentDisplayName;

    if (flow === "adminconsent") {
      if (!user.isAdmin) {
        if (step === "consent") return declined(v, tenant.id, 90094);
        return html(200, needAdminApprovalPage({ locale: v.locale, action, ctx, appName, user, signInAgainUrl }));
      }
      if (step === "consent") {
        if (form.get("decision") !== "accept") return declined(v, tenant.id, 65004);
        if (form.get("consent_org") !== "true") {
          // The admin-consent endpoint only grants tenant-wide; refuse a half-answer instead of guessing.
          return html(
            200,
            consentPage({ locale: v.locale, action, ctx, appName, publisher: v.app.publisher, user, scopes: wanted, orgCheckbox: "optional" }).replace(
              "<h1>",
              `<p class="error" role="alert">${strings(v.locale).consentOrg}</p><h1>`,
            ),
          );
        }
        store.grantConsent({ tenantId: tenant.id, clientId: v.app.clientId, principal: "AllPrincipals", scopes: wanted, grantedAt: clock.now() });
        const scopeOut = parsed.graphDefault ? `${GRAPH_RESOURCE}/.default` : wanted.map((s) => `${GRAPH_RESOURCE}/${s}`).join(" ");
        return redirectWith(v, { admin_consent: "True", tenant: tenant.id, scope: scopeOut });
      }
      return html(
        200,
        consentPage({ locale: v.locale, action, ctx, appName, publisher: v.app.publisher, user, scopes: wanted, orgCheckbox: "optional" }),
      );
    }

    // flow === "authorize"
    if (step === "consent") {
      if (adminOnly.length && !user.isAdmin) return declined(v, tenant.id, 90094, false);
      if (form.get("decision") !== "accept") return declined(v, undefined, 65004);
      const principal = user.isAdmin && form.get("consent_org") === "true" ? "AllPrincipals" : user.id;
      store.grantConsent({ tenantId: tenant.id, clientId: v.app.clientId, principal, scopes: wanted, grantedAt: clock.now() });
      return issueCode(v, user);
    }
    if (missing.length === 0 && params.get("prompt") !== "consent") return issueCode(v, user);
    if (adminOnly.length === 0) {
      // Low-impact permissions (User.Read): user consent is allowed, recorded silently.
      store.grantConsent({ tenantId: tenant.id, clientId: v.app.clientId, principal: user.id, scopes: missing, grantedAt: clock.now() });
      if (params.get("prompt") !== "consent") return issueCode(v, user);
    }
    if (adminOnly.length && !user.isAdmin) {
      return html(200, needAdminApprovalPage({ locale: v.locale, action, ctx, appName, user, signInAgainUrl }));
    }
    return html(
      200,
      consentPage({
        locale: v.locale,
        action,
        ctx,
        appName,
        publisher: v.app.publisher,
        user,
        scopes: wanted,
        orgCheckbox: user.isAdmin ? "optional" : "none",
      }),
    );
  }

  // ---- token -----------------------------------------------------------------------------------

  function clientInfo(user: DirectoryUser): string {
    return Buffer.from(JSON.stringify({ uid: user.id, utid: user.tenantId })).toString("base64url");
  }

  function issueTokens(
    req: SbRequest,
    form: URLSearchParams,
    app: SeedApp,
    user: DirectoryUser,
    parsed: ParsedScopes,
    graphScopes: string[],
    authTime: number,
    nonce?: string,
  ): SbResponse {
    const now = clock.now();
    const iat = Math.floor(now / 1000);
    const lifetime = store.config.accessTokenLifetimeSeconds;
    const scp = [...graphScopes, ...parsed.oidc.filter((s) => s !== "offline_access")];
    const tenant = store.tenant(user.tenantId)!;
    const accessToken = signJwt(key, {
      aud: GRAPH_RESOURCE,
      iss: `https://sts.windows.net/${user.tenantId}/`,
      iat,
      nbf: iat,
      exp: iat + lifetime,
      acct: 0,
      app_displayname: app.displayName,
      appid: app.clientId,
      appidacr: "1",
      family_name: user.surname,
      given_name: user.givenName,
      idtyp: "user",
      name: user.displayName,
      oid: user.id,
      scp: scp.join(" "),
      sub: createHash("sha256").update(`${user.id}:${GRAPH_RESOURCE}`).digest("base64url").slice(0, 43),
      tenant_region_scope: "AS",
      tid: user.tenantId,
      unique_name: user.userPrincipalName,
      upn: user.userPrincipalName,
      uti: randomToken(16),
      ver: "1.0",
      xms_tcdt: 0,
    });
    const body: Record<string, unknown> = {
      token_type: "Bearer",
      scope: parsed.echo.join(" "),
      expires_in: lifetime,
      ext_expires_in: lifetime,
      access_token: accessToken,
    };
    if (parsed.oidc.includes("offline_access")) {
      body.refresh_token = store.issueRefreshToken({
        userId: user.id,
        tenantId: user.tenantId,
        clientId: app.clientId,
        scopes: graphScopes,
        authTime,
        issuedAt: now,
      });
      body.refresh_token_expires_in = store.config.refreshTokenIdleDays * 86400;
    }
    if (parsed.oidc.includes("openid")) {
      const claims: Record<string, unknown> = {
        aud: app.clientId,
        iss: `${req.baseUrl}/${user.tenantId}/v2.0`,
        iat,
        nbf: iat,
        exp: iat + lifetime,
        name: user.displayName,
        oid: user.id,
        preferred_username: user.userPrincipalName,
        sub: createHash("sha256").update(`${user.id}:${app.clientId}`).digest("base64url").slice(0, 43),
        tid: user.tenantId,
        uti: randomToken(16),
        ver: "2.0",
      };
      if (parsed.oidc.includes("email")) claims.email = user.userPrincipalName;
      if (nonce) claims.nonce = nonce;
      void tenant;
      body.id_token = signJwt(key, claims);
    }
    if (form.get("client_info") === "1") body.client_info = clientInfo(user);
    return json(200, body, { "cache-control": "no-store, no-cache", pragma: "no-cache" });
  }

  function authenticateClient(req: SbRequest, form: URLSearchParams, ref: TenantRef): SeedApp | SbResponse {
    let clientId = form.get("client_id") ?? "";
    let secret = form.get("client_secret");
    const basic = req.headers.authorization;
    if (basic?.toLowerCase().startsWith("basic ")) {
      const decoded = Buffer.from(basic.slice(6), "base64").toString("utf8");
      const i = decoded.indexOf(":");
      clientId = decodeURIComponent(decoded.slice(0, i));
      secret = decodeURIComponent(decoded.slice(i + 1));
    }
    const app = store.app(clientId);
    if (!app) return aadError(req, AAD.unknownClient(clientId, ref.segment));
    if (!secret) return aadError(req, AAD.missingSecret());
    if (secret !== app.clientSecret) return aadError(req, AAD.badSecret(app.clientId));
    return app;
  }

  function token(req: SbRequest, segment: string): SbResponse {
    const ref = resolveTenant(segment);
    if (!ref) return aadError(req, AAD.unknownTenant(segment));
    const form = formBody(req);
    const grantType = form.get("grant_type") ?? "";
    const appOrError = authenticateClient(req, form, ref);
    if ("status" in appOrError) return appOrError;
    const app = appOrError;
    if (grantType === "authorization_code") {
      const codeValue = form.get("code") ?? "";
      const code = codes.get(codeValue);
      if (!code || code.clientId !== app.clientId) {
        return aadError(req, { status: 400, error: "invalid_grant", code: 70000, message: "The provided value for the 'code' parameter is not valid." });
      }
      if (code.redeemed) return aadError(req, AAD.codeRedeemed());
      if (clock.now() > code.expiresAt) return aadError(req, AAD.codeExpired());
      if (ref.kind === "tenant" && ref.tenant.id !== code.tenantId) {
        const u = store.user(code.userId)!;
        return aadError(req, { ...AAD.wrongTenantUser(u.userPrincipalName, ref.tenant.displayName), error: "invalid_grant" });
      }
      if ((form.get("redirect_uri") ?? "") !== code.redirectUri) {
        return aadError(req, {
          status: 400,
          error: "invalid_grant",
          code: 500117,
          message: "The reply uri specified in the request does not match the reply uri used when acquiring the authorization code.",
        });
      }
      const verifier = form.get("code_verifier");
      if (!verifier) {
        return aadError(req, {
          status: 400,
          error: "invalid_request",
          code: 50148,
          message: "The code_verifier does not match the code_challenge supplied in the authorization request for PKCE.",
        });
      }
      const challenge = createHash("sha256").update(verifier).digest("base64url");
      if (challenge !== code.codeChallenge) return aadError(req, AAD.pkceMismatch());
      code.redeemed = true;
      const user = store.user(code.userId)!;
      // The token request's scope wins when given (MSAL repeats it); the code's otherwise.
      const parsed = parseScopes(form.get("scope") ?? code.scope);
      const consented = store.consentedScopes(user.tenantId, app.clientId, user.id);
      const graph = parsed.graphDefault ? [...consented].map(canonical) : parsed.graph;
      if (graph.some((s) => !consented.has(s.toLowerCase()))) return aadError(req, AAD.consentRequired(app.clientId, app.consentDisplayName));
      return issueTokens(req, form, app, user, parsed, graph, code.authTime, code.nonce);
    }
    if (grantType === "refresh_token") {
      const rt = form.get("refresh_token") ?? "";
      const rec = store.refreshToken(rt);
      if (!rec || rec.clientId.toLowerCase() !== app.clientId.toLowerCase()) return aadError(req, AAD.refreshTokenInvalid());
      if (ref.kind === "tenant" && ref.tenant.id !== rec.tenantId) return aadError(req, AAD.refreshTokenInvalid());
      if (rec.redeemedAt !== undefined) return aadError(req, AAD.refreshTokenRedeemed());
      const now = clock.now();
      const validFrom = store.tokensValidFrom(rec.userId);
      if (validFrom > rec.authTime) return aadError(req, AAD.grantRevoked(rec.authTime, validFrom));
      const idleDays = store.config.refreshTokenIdleDays;
      if (now - rec.issuedAt > idleDays * DAY_MS) return aadError(req, AAD.refreshTokenInactive(rec.issuedAt, idleDays));
      const user = store.user(rec.userId);
      if (!user) return aadError(req, AAD.refreshTokenInvalid());
      const parsed = parseScopes(form.get("scope") ?? rec.scopes.join(" "));
      if (parsed.unknown.length) return aadError(req, invalidScope(form.get("scope") ?? ""));
      const consented = store.consentedScopes(user.tenantId, app.clientId, user.id);
      const graph = parsed.graphDefault ? [...consented].map(canonical) : parsed.graph.length ? parsed.graph : rec.scopes;
      if (graph.length === 0 || graph.some((s) => !consented.has(s.toLowerCase()))) {
        return aadError(req, AAD.consentRequired(app.clientId, app.consentDisplayName));
      }
      store.markRefreshTokenRedeemed(rt, now);
      if (!parsed.oidc.includes("offline_access")) parsed.oidc.push("offline_access");
      return issueTokens(req, form, app, user, parsed, graph, rec.authTime);
    }
    return aadError(req, AAD.unsupportedGrant(grantType));
  }

  function canonical(lower: string): string {
    const p = parseScopes(lower);
    return p.graph[0] ?? lower;
  }

  function logout(req: SbRequest): SbResponse {
    const target = req.query.get("post_logout_redirect_uri");
    if (target) return redirect(target);
    return html(200, errorPage(pickLocale(req.query.get("ui_locales"), req.headers["accept-language"]), "You signed out of your account."));
  }

  function redactForm(req: SbRequest): unknown {
    const form = formBody(req);
    const out: Record<string, string> = {};
    for (const [k, val] of form) {
      out[k] = ["code", "refresh_token", "client_secret", "code_verifier", "client_assertion", "ctx"].includes(k) ? "[redacted]" : val;
    }
    return out;
  }

  function handle(req: SbRequest): SbResponse | null {
    const parts = req.path.split("/").filter(Boolean);
    if (parts.length < 2) return null;
    const [segment, ...rest] = parts as [string, ...string[]];
    const tail = rest.join("/");
    let res: SbResponse | null = null;
    if (tail === "discovery/instance" && req.method === "GET") res = instanceDiscovery(req);
    else if (tail === "v2.0/.well-known/openid-configuration" && req.method === "GET") {
      const ref = resolveTenant(segment);
      res = ref ? openidConfiguration(req, ref) : aadError(req, AAD.unknownTenant(segment));
    } else if ((tail === "discovery/v2.0/keys" || tail === "discovery/keys") && req.method === "GET") res = json(200, jwks(key));
    else if (tail === "oauth2/v2.0/authorize") res = req.method === "POST" ? authorizePost(req, segment, "authorize") : authorizeGet(req, segment, "authorize");
    else if (tail === "v2.0/adminconsent") res = req.method === "POST" ? authorizePost(req, segment, "adminconsent") : authorizeGet(req, segment, "adminconsent");
    else if (tail === "oauth2/v2.0/token" && req.method === "POST") {
      const f = deps.fault?.(req.method, req.path);
      if (f?.kind === "drop") res = { status: 0, drop: true };
      else if (f?.kind === "error") {
        const e: AadError =
          f.status === 429
            ? { status: 429, error: "temporarily_unavailable", code: 50196, message: "The server terminated an operation because it encountered a client request loop." }
            : { status: f.status, error: "temporarily_unavailable", code: 90033, message: "A transient error has occurred. Please try again." };
        res = aadError(req, e);
        if (f.retryAfter) res.headers = { ...res.headers, "retry-after": f.retryAfter };
      } else res = token(req, segment);
    }
    else if (tail === "oauth2/v2.0/logout") res = logout(req);
    if (res && req.method === "POST") res.logRequestBody = redactForm(req);
    return res;
  }

  return { handle };
}
