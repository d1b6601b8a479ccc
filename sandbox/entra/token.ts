// The token endpoint: authorization_code (PKCE) and refresh_token (rotation, 90-day idle limit,
// revoked sessions, consent) grants, and the tokens themselves.
import { createHash } from "node:crypto";
import { formBody, json } from "../http-types.ts";
import type { SbRequest, SbResponse } from "../http-types.ts";
import { signJwt } from "../jwt.ts";
import type { SeedApp } from "../seed.ts";
import { GRAPH_RESOURCE } from "../seed.ts";
import { randomToken } from "../store.ts";
import type { DirectoryUser } from "../store.ts";
import { aadError as aadErrorOf, clientInfo, invalidScope, isAllowedRedirect, resolveTenant } from "./context.ts";
import type { EntraContext, TenantRef } from "./context.ts";
import { AAD } from "./errors.ts";
import type { AadError } from "./errors.ts";
import { parseScopes } from "./scopes.ts";
import type { ParsedScopes } from "./scopes.ts";

const DAY_MS = 24 * 3600_000;

export function createTokenEndpoint(ctx: EntraContext): { token(req: SbRequest, segment: string): SbResponse } {
  const { store, clock, key, codes } = ctx;
  const aadError = (req: SbRequest, e: AadError) => aadErrorOf(ctx, req, e);


  function issueTokens(
    req: SbRequest,
    form: URLSearchParams,
    app: SeedApp,
    user: DirectoryUser,
    parsed: ParsedScopes,
    graphScopes: string[],
    authTime: number,
    tenantId: string,
    nonce?: string,
  ): SbResponse {
    const now = clock.now();
    const iat = Math.floor(now / 1000);
    const lifetime = store.config.accessTokenLifetimeSeconds;
    const scp = [...graphScopes, ...parsed.oidc.filter((s) => s !== "offline_access")];
    const accessToken = signJwt(key, {
      aud: GRAPH_RESOURCE,
      iss: `https://sts.windows.net/${tenantId}/`,
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
      tid: tenantId,
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
        tenantId,
        clientId: app.clientId,
        scopes: graphScopes,
        authTime,
        issuedAt: now,
      });
    }
    if (parsed.oidc.includes("openid")) {
      const claims: Record<string, unknown> = {
        aud: app.clientId,
        iss: `${req.baseUrl}/${tenantId}/v2.0`,
        iat,
        nbf: iat,
        exp: iat + lifetime,
        name: user.displayName,
        oid: user.id,
        preferred_username: user.userPrincipalName,
        sub: createHash("sha256").update(`${user.id}:${app.clientId}`).digest("base64url").slice(0, 43),
        tid: tenantId,
        uti: randomToken(16),
        ver: "2.0",
      };
      // The optional `email` claim is the user's mail attribute, which a user without a mailbox can
      // set to anything ("Migrate away from using email claims for user identification or
      // authorization"); `preferred_username` is the UPN, of a domain the tenant has verified.
      if (parsed.oidc.includes("email")) claims.email = user.mail ?? user.userPrincipalName;
      if (nonce) claims.nonce = nonce;
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
    if (store.appSettings(app.clientId).secretExpired) return aadError(req, AAD.expiredSecret(app.clientId));
    return app;
  }

  function token(req: SbRequest, segment: string): SbResponse {
    const ref = resolveTenant(store, segment);
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
      // An unregistered redirect URI is refused at redemption too (AADSTS50011), before the match with the code's.
      if (!isAllowedRedirect(app, form.get("redirect_uri") ?? "")) return aadError(req, AAD.redirectMismatch(app.clientId));
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
      const policy = conditionalAccess(user.id);
      if (policy) return aadError(req, policy);
      // The token request's scope wins when given (MSAL repeats it); the code's otherwise.
      const parsed = parseScopes(form.get("scope") ?? code.scope);
      const consented = store.consentedScopes(code.tenantId, app.clientId, user.id, clock.now());
      const graph = parsed.graphDefault ? [...consented].map(canonical) : parsed.graph;
      if (graph.some((s) => !consented.has(s.toLowerCase()))) return aadError(req, AAD.consentRequired(app.clientId, app.consentDisplayName));
      return issueTokens(req, form, app, user, parsed, graph, code.authTime, code.tenantId, code.nonce);
    }
    if (grantType === "refresh_token") {
      const rt = form.get("refresh_token") ?? "";
      const rec = store.refreshToken(rt);
      if (!rec || rec.clientId.toLowerCase() !== app.clientId.toLowerCase()) return aadError(req, AAD.refreshTokenInvalid());
      // The tenant the new tokens are for: the authority's (the user's home tenant, or one they are a
      // guest of), or at organizations/common the user's home tenant, whatever tenant the refresh
      // token came from. A guest's refresh at their home tenant is a request to that tenant, where
      // the company's consent does not reach (AADSTS65001 unless the home tenant consented too).
      const refUser = store.user(rec.userId);
      const target = refUser && store.sessionTenant(refUser, ref.kind === "tenant" ? ref.tenant.id : undefined);
      if (!target) return aadError(req, AAD.refreshTokenInvalid());
      if (target !== rec.tenantId && target !== refUser!.tenantId) return aadError(req, AAD.refreshTokenInvalid());
      if (rec.redeemedAt !== undefined) return aadError(req, AAD.refreshTokenRedeemed());
      const now = clock.now();
      const validFrom = store.tokensValidFrom(rec.userId);
      if (validFrom > rec.authTime) return aadError(req, AAD.grantRevoked(rec.authTime, validFrom));
      const idleDays = store.config.refreshTokenIdleDays;
      if (now - rec.issuedAt > idleDays * DAY_MS) return aadError(req, AAD.refreshTokenInactive(rec.issuedAt, idleDays));
      const user = store.user(rec.userId);
      if (!user) return aadError(req, AAD.refreshTokenInvalid());
      const policy = conditionalAccess(user.id);
      if (policy) return aadError(req, policy);
      const parsed = parseScopes(form.get("scope") ?? rec.scopes.join(" "));
      if (parsed.unknown.length) return aadError(req, invalidScope(form.get("scope") ?? ""));
      const consented = store.consentedScopes(target, app.clientId, user.id, now);
      const graph = parsed.graphDefault ? [...consented].map(canonical) : parsed.graph.length ? parsed.graph : rec.scopes;
      if (graph.length === 0 || graph.some((s) => !consented.has(s.toLowerCase()))) {
        return aadError(req, AAD.consentRequired(app.clientId, app.consentDisplayName));
      }
      store.markRefreshTokenRedeemed(rt, now);
      if (!parsed.oidc.includes("offline_access")) parsed.oidc.push("offline_access");
      return issueTokens(req, form, app, user, parsed, graph, rec.authTime, target);
    }
    return aadError(req, AAD.unsupportedGrant(grantType));
  }

  /** The refusal of a Conditional Access policy set on the user (control API), if any. */
  function conditionalAccess(userId: string): AadError | undefined {
    switch (store.userSettings(userId).conditionalAccess) {
      case "mfa":
        return AAD.mfaRequired();
      case "signInFrequency":
        return AAD.signInFrequency();
      case "block":
        return AAD.blockedByConditionalAccess();
      default:
        return undefined;
    }
  }

  function canonical(lower: string): string {
    const p = parseScopes(lower);
    return p.graph[0] ?? lower;
  }


  return { token };
}
