// Entra ID endpoints: instance discovery, OIDC discovery, JWKS, authorize (sign-in + consent),
// token (authorization_code with PKCE, refresh_token with rotation), adminconsent, logout.
import { formBody, html, json, redirect } from "../http-types.ts";
import type { SbRequest, SbResponse } from "../http-types.ts";
import { jwks } from "../jwt.ts";
import { aadError as aadErrorOf, resolveTenant } from "./context.ts";
import type { EntraContext, EntraDeps } from "./context.ts";
import { instanceDiscovery, openidConfiguration } from "./discovery.ts";
import { AAD } from "./errors.ts";
import type { AadError } from "./errors.ts";
import { createInteractive } from "./interactive.ts";
import { errorPage, pickLocale } from "./pages.ts";
import { createTokenEndpoint } from "./token.ts";

export type { EntraDeps } from "./context.ts";
export { isAllowedRedirect } from "./context.ts";

export function createEntra(deps: EntraDeps): { handle(req: SbRequest): SbResponse | null } {
  const ctx: EntraContext = { ...deps, codes: new Map() };
  const { store, key } = ctx;
  const { authorizeGet, authorizePost } = createInteractive(ctx);
  const { token } = createTokenEndpoint(ctx);
  const aadError = (req: SbRequest, e: AadError) => aadErrorOf(ctx, req, e);

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
      const ref = resolveTenant(store, segment);
      res = ref ? openidConfiguration(req, ref) : aadError(req, AAD.unknownTenant(segment));
    } else if ((tail === "discovery/v2.0/keys" || tail === "discovery/keys") && req.method === "GET") res = json(200, jwks(key));
    else if (tail === "oauth2/v2.0/authorize") res = req.method === "POST" ? authorizePost(req, segment, "authorize") : authorizeGet(req, segment, "authorize");
    else if (tail === "v2.0/adminconsent") res = req.method === "POST" ? authorizePost(req, segment, "adminconsent") : authorizeGet(req, segment, "adminconsent");
    else if (tail === "oauth2/v2.0/token" && req.method === "POST") {
      const f = deps.fault?.(req.method, req.path);
      if (f?.kind === "drop") res = { status: 0, drop: true };
      // The grant is carried out (codes used, refresh tokens rotated), then the answer is lost.
      else if (f?.kind === "drop-after") res = { ...token(req, segment), drop: true };
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
