// Google's OAuth 2.0 token endpoint (POST /token, "oauth2.googleapis.com/token") and revocation
// endpoint (POST /revoke):
// - the JWT bearer grant of a service account (RFC 7523; "Using OAuth 2.0 for Server to Server
//   Applications"), with `sub` naming the Workspace user it acts for under domain-wide delegation;
// - the authorization code grant with PKCE, and the refresh token grant ("Using OAuth 2.0 for Web
//   Server Applications").
import { createHash, verify } from "node:crypto";
import { formBody, json } from "../http-types.ts";
import type { SbRequest, SbResponse } from "../http-types.ts";
import type { SandboxClock } from "../clock.ts";
import { oauthError } from "./errors.ts";
import type { GoogleState, ServiceAccountKey } from "./state.ts";

/** The audience Google requires in an assertion: its token endpoint's URL. */
export const GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token";
const JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const ACCESS_TOKEN_SECONDS = 3599;

/** Google's words when the domain has not authorized the client id for every scope asked for. */
export const UNAUTHORIZED_CLIENT_DESCRIPTION = "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.";

export interface TokenDeps {
  state: GoogleState;
  clock: SandboxClock;
  key: () => ServiceAccountKey;
  /** This endpoint's own URL: an assertion may name it as its audience too. */
  tokenUrl: () => string;
  /** Signs an OpenID Connect ID token for a user. */
  idToken: (email: string, name: string, audience: string, nonce?: string) => string;
}

function decodePart(part: string): Record<string, unknown> | null {
  try {
    return JSON.parse(Buffer.from(part, "base64url").toString("utf8")) as Record<string, unknown>;
  } catch {
    return null;
  }
}

function scopesOf(value: unknown): string[] {
  return typeof value === "string" ? value.split(/\s+/).filter(Boolean) : [];
}

function tokenAnswer(body: Record<string, unknown>): SbResponse {
  return json(200, body, { "cache-control": "no-cache, no-store, max-age=0, must-revalidate", pragma: "no-cache" });
}

function jwtBearer(deps: TokenDeps, form: URLSearchParams): SbResponse {
  const assertion = form.get("assertion") ?? "";
  const parts = assertion.split(".");
  if (parts.length !== 3) return oauthError(400, "invalid_request", "Invalid JWT: assertion is not a JWS compact serialization.");
  const header = decodePart(parts[0]!);
  const claims = decodePart(parts[1]!);
  if (!header || !claims) return oauthError(400, "invalid_grant", "Invalid JWT Signature.");
  if (header.alg !== "RS256") return oauthError(400, "invalid_grant", "Invalid JWT Signature.");
  const key = deps.key();
  const sa = deps.state.serviceAccount;
  if (claims.iss !== sa.email) return oauthError(400, "invalid_grant", "Invalid JWT Signature.");
  const ok = verify("sha256", Buffer.from(`${parts[0]}.${parts[1]}`), key.publicKey, Buffer.from(parts[2]!, "base64url"));
  if (!ok) return oauthError(400, "invalid_grant", "Invalid JWT Signature.");
  if (claims.aud !== GOOGLE_TOKEN_AUDIENCE && claims.aud !== deps.tokenUrl()) return oauthError(400, "invalid_grant", "Invalid JWT: Failed audience check.");
  // The assertion is the client's statement, judged on the wall clock (the sandbox clock may be
  // moved ahead by tests; tokens issued here expire on it).
  const nowS = Date.now() / 1000;
  const iat = Number(claims.iat);
  const exp = Number(claims.exp);
  if (!Number.isFinite(iat) || !Number.isFinite(exp) || exp - iat > 3600 || exp < nowS - 300 || iat > nowS + 300) {
    return oauthError(400, "invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.");
  }
  const scopes = scopesOf(claims.scope);
  if (!scopes.length) return oauthError(400, "invalid_scope", "Invalid OAuth scope or ID token audience provided.");
  const expiresAt = deps.clock.now() + ACCESS_TOKEN_SECONDS * 1000;
  const sub = typeof claims.sub === "string" ? claims.sub : undefined;
  if (!sub) {
    const token = deps.state.issueAccessToken({ email: sa.email, clientId: sa.clientId, scopes, expiresAt, via: "delegation" });
    return tokenAnswer({ access_token: token, expires_in: ACCESS_TOKEN_SECONDS, token_type: "Bearer" });
  }
  const user = deps.state.user(sub);
  // A user Google does not know (outside every Workspace domain), or one suspended by the admin.
  if (!user || deps.state.suspended.has(user.email.toLowerCase())) return oauthError(400, "invalid_grant", "Invalid email or User ID");
  const delegated = deps.state.delegatedScopes(user.domain.domain, sa.clientId);
  if (!delegated || !scopes.every((s) => delegated.includes(s))) return oauthError(401, "unauthorized_client", UNAUTHORIZED_CLIENT_DESCRIPTION);
  const token = deps.state.issueAccessToken({ email: user.email, clientId: sa.clientId, scopes, expiresAt, via: "delegation" });
  return tokenAnswer({ access_token: token, expires_in: ACCESS_TOKEN_SECONDS, token_type: "Bearer" });
}

function clientOf(deps: TokenDeps, req: SbRequest, form: URLSearchParams) {
  let clientId = form.get("client_id") ?? "";
  let secret = form.get("client_secret") ?? "";
  const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? "");
  if (basic) {
    const [id, s] = Buffer.from(basic[1]!, "base64").toString("utf8").split(":");
    clientId = decodeURIComponent(id ?? "");
    secret = decodeURIComponent(s ?? "");
  }
  const client = deps.state.webClients.find((c) => c.clientId === clientId);
  if (!client || client.clientSecret !== secret) return undefined;
  return client;
}

function authorizationCode(deps: TokenDeps, req: SbRequest, form: URLSearchParams): SbResponse {
  const client = clientOf(deps, req, form);
  if (!client) return oauthError(401, "invalid_client", "Unauthorized");
  const code = form.get("code") ?? "";
  const grant = deps.state.codes.get(code);
  deps.state.codes.delete(code);
  if (!grant || grant.clientId !== client.clientId || grant.expiresAt < deps.clock.now()) return oauthError(400, "invalid_grant", "Malformed auth code.");
  if (grant.redirectUri !== (form.get("redirect_uri") ?? "")) return oauthError(400, "redirect_uri_mismatch", "Bad Request");
  if (grant.codeChallenge) {
    const verifier = form.get("code_verifier") ?? "";
    const computed = grant.codeChallengeMethod === "S256" ? createHash("sha256").update(verifier).digest("base64url") : verifier;
    if (!verifier || computed !== grant.codeChallenge) return oauthError(400, "invalid_grant", "Invalid code verifier.");
  }
  const user = deps.state.user(grant.email);
  if (!user || deps.state.suspended.has(grant.email)) return oauthError(400, "invalid_grant", "Account has been deleted");
  const expiresAt = deps.clock.now() + ACCESS_TOKEN_SECONDS * 1000;
  const access = deps.state.issueAccessToken({ email: grant.email, clientId: client.clientId, scopes: grant.scopes, expiresAt, via: "user" });
  const body: Record<string, unknown> = { access_token: access, expires_in: ACCESS_TOKEN_SECONDS, token_type: "Bearer", scope: grant.scopes.join(" ") };
  // A refresh token only for access_type=offline, as Google gives it.
  if (grant.offline) {
    body.refresh_token = deps.state.issueRefreshToken({ email: grant.email, clientId: client.clientId, scopes: grant.scopes, issuedAt: deps.clock.now() });
  }
  if (grant.scopes.includes("openid")) body.id_token = deps.idToken(user.email, user.name, client.clientId, grant.nonce);
  return tokenAnswer(body);
}

function refreshToken(deps: TokenDeps, req: SbRequest, form: URLSearchParams): SbResponse {
  const client = clientOf(deps, req, form);
  if (!client) return oauthError(401, "invalid_client", "Unauthorized");
  const grant = deps.state.refreshTokens.get(form.get("refresh_token") ?? "");
  if (!grant || grant.clientId !== client.clientId) return oauthError(400, "invalid_grant", "Token has been expired or revoked.");
  const expiresAt = deps.clock.now() + ACCESS_TOKEN_SECONDS * 1000;
  const access = deps.state.issueAccessToken({ email: grant.email, clientId: client.clientId, scopes: grant.scopes, expiresAt, via: "user" });
  return tokenAnswer({ access_token: access, expires_in: ACCESS_TOKEN_SECONDS, token_type: "Bearer", scope: grant.scopes.join(" ") });
}

export function handleToken(deps: TokenDeps, req: SbRequest): SbResponse {
  const form = formBody(req);
  const grantType = form.get("grant_type") ?? "";
  if (grantType === JWT_BEARER) return jwtBearer(deps, form);
  if (grantType === "authorization_code") return authorizationCode(deps, req, form);
  if (grantType === "refresh_token") return refreshToken(deps, req, form);
  return oauthError(400, "unsupported_grant_type", `Invalid grant_type: ${grantType}`);
}

/** POST /revoke?token=… or a form body: a refresh token revokes itself and every access token of its grant. */
export function handleRevoke(deps: TokenDeps, req: SbRequest): SbResponse {
  const token = req.query.get("token") ?? formBody(req).get("token") ?? "";
  const refresh = deps.state.refreshTokens.get(token);
  if (refresh) {
    deps.state.refreshTokens.delete(token);
    for (const [t, g] of deps.state.accessTokens) if (g.via === "user" && g.email === refresh.email && g.clientId === refresh.clientId) deps.state.accessTokens.delete(t);
    return json(200, {});
  }
  if (deps.state.accessTokens.delete(token)) return json(200, {});
  return oauthError(400, "invalid_token", "Token expired or revoked");
}
