// The interactive endpoints: authorize (sign-in, consent, code) and adminconsent.
import { randomUUID } from "node:crypto";
import { randomToken } from "../store.ts";
import type { DirectoryUser } from "../store.ts";
import { formBody, html, redirect } from "../http-types.ts";
import type { SbRequest, SbResponse } from "../http-types.ts";
import type { SeedApp } from "../seed.ts";
import { GRAPH_RESOURCE } from "../seed.ts";
import { CODE_LIFETIME_MS, clientInfo, invalidScope, isAllowedRedirect, resolveTenant } from "./context.ts";
import type { EntraContext, TenantRef } from "./context.ts";
import { AAD, aadErrorBody } from "./errors.ts";
import type { AadError } from "./errors.ts";
import { consentPage, errorPage, needAdminApprovalPage, pickLocale, signInPage, strings } from "./pages.ts";
import type { Locale } from "./pages.ts";
import { needsAdmin, parseScopes } from "./scopes.ts";
import type { ParsedScopes } from "./scopes.ts";

export type Flow = "authorize" | "adminconsent";

export function createInteractive(ctx: EntraContext): {
  authorizeGet(req: SbRequest, segment: string, flow: Flow): SbResponse;
  authorizePost(req: SbRequest, segment: string, flow: Flow): SbResponse;
} {
  const { store, clock, codes } = ctx;

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
    const ref = resolveTenant(store, segment);
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

  function issueCode(v: Validated, user: DirectoryUser, tenantId: string): SbResponse {
    const code = `1.SBX${randomToken(64)}`;
    codes.set(code, {
      clientId: v.app.clientId,
      redirectUri: v.redirectUri,
      userId: user.id,
      tenantId,
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
    // At a tenant's own authority, a B2B guest of that tenant signs in to it; at organizations or
    // common everyone lands in their home tenant.
    const sessionTenantId = store.sessionTenant(user, v.ref.kind === "tenant" ? v.ref.tenant.id : undefined);
    if (!sessionTenantId) {
      const e = AAD.wrongTenantUser(user.userPrincipalName, v.ref.kind === "tenant" ? v.ref.tenant.displayName : "");
      return html(400, errorPage(v.locale, `AADSTS${e.code}: ${e.message}`));
    }
    const tenant = store.tenant(sessionTenantId)!;
    // A guest is never an administrator of the tenant that invited them.
    const isAdmin = user.isAdmin && tenant.id === user.tenantId;
    const parsed = parseScopes(params.get("scope"));
    const wanted = requestedGraphScopes(v, parsed);
    const consented = store.consentedScopes(tenant.id, v.app.clientId, user.id);
    const missing = wanted.filter((s) => !consented.has(s.toLowerCase()));
    // A tenant that allows user consent lets any user consent to Calendars.* for themselves.
    const adminOnly = store.tenantSettings(tenant.id).userConsent ? [] : needsAdmin(missing);
    const step = form.get("step");
    const action = flow === "authorize" ? `/${v.ref.segment}/oauth2/v2.0/authorize` : `/${v.ref.segment}/v2.0/adminconsent`;
    const ctx = encodeCtx(params);
    const signInAgainUrl = `${action}?${params.toString()}`;
    const appName = v.app.consentDisplayName;

    if (flow === "adminconsent") {
      if (!isAdmin) {
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
      if (adminOnly.length && !isAdmin) return declined(v, tenant.id, 90094, false);
      if (form.get("decision") !== "accept") return declined(v, undefined, 65004);
      const principal = isAdmin && form.get("consent_org") === "true" ? "AllPrincipals" : user.id;
      store.grantConsent({ tenantId: tenant.id, clientId: v.app.clientId, principal, scopes: wanted, grantedAt: clock.now() });
      return issueCode(v, user, tenant.id);
    }
    if (missing.length === 0 && params.get("prompt") !== "consent") return issueCode(v, user, tenant.id);
    if (adminOnly.length === 0 && needsAdmin(missing).length === 0) {
      // Low-impact permissions (User.Read): user consent is allowed, recorded silently.
      store.grantConsent({ tenantId: tenant.id, clientId: v.app.clientId, principal: user.id, scopes: missing, grantedAt: clock.now() });
      if (params.get("prompt") !== "consent") return issueCode(v, user, tenant.id);
    }
    if (adminOnly.length && !isAdmin) {
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
        orgCheckbox: isAdmin ? "optional" : "none",
      }),
    );
  }

  return { authorizeGet, authorizePost };
}
