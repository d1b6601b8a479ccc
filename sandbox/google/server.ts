// startGoogleSandbox(): the local stand-in for Google's identity platform (OAuth 2.0, OpenID
// Connect, service accounts with domain-wide delegation, the Admin console's delegation page) and
// the Calendar API v3. Its own HTTPS server beside the Microsoft one (see sandbox/README.md), with
// the same local CA when given the same data folder.
import { randomBytes } from "node:crypto";
import { createSecureServer, constants as h2 } from "node:http2";
import type { Http2ServerRequest, Http2ServerResponse, Http2Session } from "node:http2";
import type { AddressInfo, Socket } from "node:net";
import { join } from "node:path";
import { createClock } from "../clock.ts";
import type { SandboxClock } from "../clock.ts";
import { formBody, json, redirect } from "../http-types.ts";
import type { SbRequest, SbResponse } from "../http-types.ts";
import { jwks, loadOrCreateSigningKey, signJwt } from "../jwt.ts";
import { parseLoggedBody, RequestLog } from "../request-log.ts";
import type { LoggedRequest } from "../request-log.ts";
import { loadOrCreateTls } from "../tls-material.ts";
import { handleBatch } from "./batch.ts";
import { createCalendar } from "./calendar.ts";
import { accountChooser, consentPage, delegationPage, errorPage } from "./pages.ts";
import { CALENDAR_EVENTS_SCOPE, DEFAULT_GOOGLE_SEED } from "./seed.ts";
import type { GoogleSeed, WebClient } from "./seed.ts";
import { GoogleState, loadOrCreateServiceAccountKey } from "./state.ts";
import type { StoredGoogleEvent } from "./state.ts";
import { handleRevoke, handleToken } from "./token.ts";
import { GoogleTraffic } from "./traffic.ts";
import type { GoogleFaultRule, GoogleLimits } from "./traffic.ts";

export * from "./seed.ts";
export type { GoogleFaultRule, GoogleLimits } from "./traffic.ts";
export type { StoredGoogleEvent } from "./state.ts";

export interface StartGoogleSandboxOptions {
  port?: number;
  host?: string;
  /** The CA and certificate (tls/), the service account key (google/). */
  dataDir: string;
  seed?: GoogleSeed;
  limits?: Partial<GoogleLimits>;
  clock?: SandboxClock;
}

export interface GoogleSandboxControl {
  /** What the Admin console's delegation page does: authorize a client id for scopes in a domain (default: our service account, calendar.events). */
  authorizeDelegation(domain: string, scopes?: string[], clientId?: string): void;
  /** Deletes the client id from the domain's list: delegated grants fail with unauthorized_client. */
  withdrawDelegation(domain: string, clientId?: string): boolean;
  delegations(domain: string): Array<{ clientId: string; scopes: string[] }>;
  /** Suspends (or restores) a Workspace user: grants for them fail with invalid_grant. */
  suspendUser(email: string, suspended?: boolean): void;
  /** The user revokes the app's access (Google Account → Security → Third-party access): refresh tokens stop working. */
  revokeUserGrants(email: string, clientId?: string): number;
  /** The events of a user's primary calendar (deleted ones left out). */
  events(email: string): StoredGoogleEvent[];
  /** What the user does in Google Calendar: delete an event. */
  deleteEvent(email: string, eventId: string): boolean;
  setFaults(rules: GoogleFaultRule[]): void;
  addFault(rule: GoogleFaultRule): void;
  clearFaults(): void;
  setLatency(ms: number): void;
  setLimits(patch: Partial<GoogleLimits>): GoogleLimits;
  /** The most Calendar requests in flight at once for a user's calendar since the last reset. */
  peakConcurrency(email: string): number;
  requestLog(): LoggedRequest[];
  clearRequestLog(): void;
  reset(): void;
}

export interface GoogleSandbox {
  /** "https://localhost:PORT": accounts, token endpoint and Calendar API alike. */
  url: string;
  port: number;
  caPath: string;
  caPem: string;
  /** The service account's JSON key file (token_uri names this sandbox) and its path. */
  serviceAccountKey: Record<string, string>;
  serviceAccountKeyPath: string;
  webClient: WebClient;
  seed: GoogleSeed;
  clock: SandboxClock;
  control: GoogleSandboxControl;
  close(): Promise<void>;
}

const SESSION_COOKIE = "SBXGSID";

function cookie(req: SbRequest, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? "").split(/;\s*/)) {
    const i = part.indexOf("=");
    if (i > 0 && part.slice(0, i) === name) return decodeURIComponent(part.slice(i + 1));
  }
  return undefined;
}

function langOf(req: SbRequest): "ja" | "en" {
  const hl = req.query.get("hl") ?? req.headers["accept-language"] ?? "";
  return /^ja/i.test(hl) ? "ja" : "en";
}

/** Redirect URIs Google accepts for a web client: the registered ones, and loopback ones for development. */
function redirectAllowed(client: WebClient, uri: string): boolean {
  if (client.redirectUris.includes(uri)) return true;
  try {
    const u = new URL(uri);
    return u.protocol === "http:" && (u.hostname === "localhost" || u.hostname === "127.0.0.1");
  } catch {
    return false;
  }
}

export async function startGoogleSandbox(opts: StartGoogleSandboxOptions): Promise<GoogleSandbox> {
  const tls = loadOrCreateTls(opts.dataDir);
  const signingKey = loadOrCreateSigningKey(join(opts.dataDir, "google"));
  const clock = opts.clock ?? createClock();
  const seed = opts.seed ?? DEFAULT_GOOGLE_SEED;
  const state = new GoogleState(seed);
  const traffic = new GoogleTraffic(clock, { perUserPerMinute: 600, perCalendarConcurrency: 10, ...opts.limits });
  const log = new RequestLog();
  let base = "";
  let saKey: ReturnType<typeof loadOrCreateServiceAccountKey> | undefined;
  const calendar = createCalendar({ state, clock, traffic });

  const idToken = (email: string, name: string, audience: string, nonce?: string) => {
    const now = Math.floor(clock.now() / 1000);
    const user = state.user(email);
    return signJwt(signingKey, {
      iss: base, aud: audience, azp: audience, sub: `sbx-${Buffer.from(email.toLowerCase()).toString("hex").slice(0, 20)}`, email, email_verified: true, name,
      ...(user ? { hd: user.domain.domain } : {}), iat: now, exp: now + 3600, ...(nonce ? { nonce } : {}),
    });
  };
  const tokenDeps = { state, clock, key: () => saKey!, tokenUrl: () => `${base}/token`, idToken };

  function signedIn(req: SbRequest): string | undefined {
    const id = cookie(req, SESSION_COOKIE);
    return id ? state.sessions.get(id) : undefined;
  }

  function chooser(req: SbRequest, appName?: string, onlyAdmins = false): SbResponse {
    const accounts = state.domains.flatMap((d) => d.users.filter((u) => !onlyAdmins || u.superAdmin).map((u) => ({ email: u.email, name: u.name })));
    return accountChooser(langOf(req), accounts, req.rawUrl, appName);
  }

  function authorize(req: SbRequest): SbResponse {
    const q = req.query;
    const lang = langOf(req);
    const client = state.webClients.find((c) => c.clientId === q.get("client_id"));
    if (!client) return errorPage(lang, 401, "Error 401: invalid_client", "The OAuth client was not found.");
    const redirectUri = q.get("redirect_uri") ?? "";
    if (!redirectAllowed(client, redirectUri)) return errorPage(lang, 400, "Error 400: redirect_uri_mismatch", `You can't sign in to this app because it doesn't comply with Google's OAuth 2.0 policy. redirect_uri=${redirectUri}`);
    const back = (params: Record<string, string>) => {
      const u = new URL(redirectUri);
      for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
      if (q.get("state")) u.searchParams.set("state", q.get("state")!);
      return redirect(u.toString());
    };
    if (q.get("response_type") !== "code") return back({ error: "unsupported_response_type" });
    const scopes = (q.get("scope") ?? "").split(/\s+/).filter(Boolean);
    if (!scopes.length) return back({ error: "invalid_request", error_description: "Missing required parameter: scope" });
    const method = q.get("code_challenge_method") ?? (q.get("code_challenge") ? "plain" : undefined);
    if (method && method !== "S256" && method !== "plain") return back({ error: "invalid_request", error_description: "Invalid code_challenge_method" });
    const email = signedIn(req);
    if (!email) return chooser(req, client.name);
    const fields: Record<string, string> = {};
    for (const [k, v] of q) fields[k] = v;
    return consentPage(lang, client.name, email, scopes, fields);
  }

  function consentDecision(req: SbRequest): SbResponse {
    const f = formBody(req);
    const email = signedIn(req);
    const client = state.webClients.find((c) => c.clientId === f.get("client_id"));
    const redirectUri = f.get("redirect_uri") ?? "";
    if (!email || !client || !redirectAllowed(client, redirectUri)) return errorPage("en", 400, "Error 400: invalid_request", "The sign-in was not started correctly.");
    const u = new URL(redirectUri);
    if (f.get("state")) u.searchParams.set("state", f.get("state")!);
    if (f.get("decision") !== "allow") {
      u.searchParams.set("error", "access_denied");
      return redirect(u.toString());
    }
    const code = `4/sbx-${randomBytes(24).toString("base64url")}`;
    state.codes.set(code, {
      email: email.toLowerCase(), clientId: client.clientId, scopes: (f.get("scope") ?? "").split(/\s+/).filter(Boolean), redirectUri,
      ...(f.get("code_challenge") ? { codeChallenge: f.get("code_challenge")!, codeChallengeMethod: f.get("code_challenge_method") ?? "plain" } : {}),
      ...(f.get("nonce") ? { nonce: f.get("nonce")! } : {}),
      offline: f.get("access_type") === "offline", expiresAt: clock.now() + 10 * 60_000,
    });
    u.searchParams.set("code", code);
    u.searchParams.set("scope", f.get("scope") ?? "");
    return redirect(u.toString());
  }

  function signIn(req: SbRequest): SbResponse {
    const f = formBody(req);
    const email = f.get("email") ?? "";
    if (!state.user(email)) return errorPage("en", 400, "Couldn't find your Google Account", email);
    const id = randomBytes(18).toString("base64url");
    state.sessions.set(id, email.toLowerCase());
    const next = f.get("continue") ?? "/";
    return { status: 302, headers: { location: next.startsWith("/") ? next : "/", "set-cookie": `${SESSION_COOKIE}=${id}; Path=/; Secure; HttpOnly; SameSite=Lax` }, body: "" };
  }

  function adminConsole(req: SbRequest): SbResponse {
    const email = signedIn(req);
    const admin = email ? state.user(email) : undefined;
    if (!admin) return chooser(req, "Google Admin", true);
    if (!admin.superAdmin) return errorPage("en", 403, "You need permission", `${email} is not an administrator of ${admin.domain.domain}.`);
    const domain = admin.domain.domain;
    let message: string | undefined;
    if (req.method === "POST") {
      const f = formBody(req);
      const clientId = (f.get("client_id") ?? "").trim();
      if (f.get("action") === "delete") {
        state.withdrawDelegation(domain, clientId);
        message = `Deleted ${clientId}`;
      } else {
        const scopes = (f.get("scopes") ?? "").split(",").map((s) => s.trim()).filter(Boolean);
        if (!/^\d{10,30}$/.test(clientId)) return { ...delegationPage(admin.domain, admin.email, control.delegations(domain), "Client ID must be a service account's numeric unique ID."), status: 400 };
        if (!scopes.length) return { ...delegationPage(admin.domain, admin.email, control.delegations(domain), "Enter at least one OAuth scope."), status: 400 };
        state.authorizeDelegation(domain, clientId, scopes);
        message = `Authorized ${clientId}`;
      }
    }
    return delegationPage(admin.domain, admin.email, control.delegations(domain), message);
  }

  const control: GoogleSandboxControl = {
    authorizeDelegation(domain, scopes = [CALENDAR_EVENTS_SCOPE], clientId = state.serviceAccount.clientId) {
      if (!state.domainOf(domain)) throw new Error(`unknown Workspace domain '${domain}'`);
      state.authorizeDelegation(domain, clientId, scopes);
    },
    withdrawDelegation: (domain, clientId = state.serviceAccount.clientId) => state.withdrawDelegation(domain, clientId),
    delegations: (domain) => [...(state.delegations.get(domain)?.entries() ?? [])].map(([clientId, scopes]) => ({ clientId, scopes: [...scopes] })),
    suspendUser(email, suspended = true) {
      if (!state.user(email)) throw new Error(`unknown user '${email}'`);
      state.setSuspended(email, suspended);
    },
    revokeUserGrants(email, clientId) {
      let n = 0;
      for (const [t, g] of state.refreshTokens) {
        if (g.email === email.toLowerCase() && (!clientId || g.clientId === clientId)) {
          state.refreshTokens.delete(t);
          n++;
        }
      }
      for (const [t, g] of state.accessTokens) if (g.via === "user" && g.email === email.toLowerCase() && (!clientId || g.clientId === clientId)) state.accessTokens.delete(t);
      return n;
    },
    events: (email) => [...state.calendar(email).events.values()].map((e) => structuredClone(e)),
    deleteEvent(email, eventId) {
      const cal = state.calendar(email);
      if (!cal.events.delete(eventId)) return false;
      cal.deleted.add(eventId);
      return true;
    },
    setFaults: (rules) => traffic.setFaults(rules),
    addFault: (rule) => traffic.addFault(rule),
    clearFaults: () => traffic.setFaults([]),
    setLatency(ms) {
      traffic.latencyMs = Math.max(0, ms);
    },
    setLimits(patch) {
      Object.assign(traffic.limits, patch);
      return { ...traffic.limits };
    },
    peakConcurrency: (email) => traffic.peak(email),
    requestLog: () => log.list(),
    clearRequestLog: () => log.clear(),
    reset() {
      state.reset();
      traffic.reset();
      log.clear();
    },
  };

  async function dispatch(req: SbRequest): Promise<SbResponse & { user?: string }> {
    const p = req.path;
    if (p === "/.well-known/openid-configuration" && req.method === "GET") {
      // OpenID Connect discovery ("OpenID Connect" guide: https://accounts.google.com/.well-known/openid-configuration).
      return json(200, {
        issuer: base, authorization_endpoint: `${base}/o/oauth2/v2/auth`, token_endpoint: `${base}/token`, userinfo_endpoint: `${base}/v1/userinfo`,
        revocation_endpoint: `${base}/revoke`, jwks_uri: `${base}/oauth2/v3/certs`, response_types_supported: ["code"], subject_types_supported: ["public"],
        id_token_signing_alg_values_supported: ["RS256"], scopes_supported: ["openid", "email", "profile"], token_endpoint_auth_methods_supported: ["client_secret_post", "client_secret_basic"],
        claims_supported: ["aud", "email", "email_verified", "exp", "hd", "iat", "iss", "name", "sub"], code_challenge_methods_supported: ["plain", "S256"],
        grant_types_supported: ["authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:jwt-bearer"],
      });
    }
    if (p === "/oauth2/v3/certs" && req.method === "GET") return json(200, jwks(signingKey));
    // The same key as PEM, keyed by kid (the v1 certs document; google-auth-library reads this one in Node).
    if (p === "/oauth2/v1/certs" && req.method === "GET") return json(200, { [signingKey.kid]: signingKey.publicKey.export({ type: "spki", format: "pem" }).toString() }, { "cache-control": "public, max-age=3600" });
    if (p === "/token" && req.method === "POST") {
      const fault = traffic.fault("token", req.method, req.rawUrl, undefined);
      if (fault?.kind === "drop") return { status: 0, drop: true };
      if (fault?.kind === "error") return json(fault.error.status, { error: "internal_failure", error_description: fault.error.message }, fault.error.headers ?? {});
      const out = handleToken(tokenDeps, req);
      return fault?.kind === "drop-after" ? { ...out, drop: true } : out;
    }
    if (p === "/revoke" && req.method === "POST") return handleRevoke(tokenDeps, req);
    if (p === "/o/oauth2/v2/auth" && req.method === "GET") return authorize(req);
    if (p === "/o/oauth2/v2/auth/consent" && req.method === "POST") return consentDecision(req);
    if (p === "/ServiceLogin" && req.method === "POST") return signIn(req);
    if (p === "/ac/owl/domainwidedelegation" && (req.method === "GET" || req.method === "POST")) return adminConsole(req);
    if (p === "/batch/calendar/v3" && req.method === "POST") {
      return handleBatch(req, (inner) => calendar.handle(inner), (inner, out) => logRequest(inner, out, performance.now()));
    }
    if (p === "/_sandbox/info" && req.method === "GET") {
      return json(200, { url: base, serviceAccount: { clientId: state.serviceAccount.clientId, email: state.serviceAccount.email, keyFile: saKey?.path }, webClient: { clientId: seed.webClients[0]?.clientId }, domains: state.domains.map((d) => ({ domain: d.domain, users: d.users.map((u) => u.email), delegations: control.delegations(d.domain) })) });
    }
    const c = await calendar.handle(req);
    if (c) return c;
    return json(404, { error: { code: 404, message: `${req.method} ${req.path} is not emulated by the Google sandbox`, errors: [{ domain: "global", reason: "notFound", message: "Not Found" }] } });
  }

  function logRequest(req: SbRequest, out: SbResponse & { user?: string }, startedMs: number) {
    if (req.path.startsWith("/_sandbox")) return;
    const now = new Date(clock.now()).toISOString();
    log.add({
      time: now, startedAt: now, finishedAt: now, startedMs, finishedMs: performance.now(), method: req.method, path: req.rawUrl,
      status: out.drop ? 0 : out.status, ...(out.drop && out.status ? { droppedStatus: out.status } : {}),
      // Token requests carry assertions, codes and secrets: never logged.
      body: req.path === "/token" || req.path === "/revoke" || req.path.startsWith("/batch/") ? undefined : parseLoggedBody(req.bodyText, req.headers["content-type"]),
      ...(out.user ? { mailbox: out.user } : {}),
      ...(req.inBatch ? { batchId: "batch" } : {}),
    });
  }

  async function onRequest(raw: Http2ServerRequest, res: Http2ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of raw) chunks.push(c as Buffer);
    const host = String(raw.headers.host ?? raw.headers[":authority"] ?? "");
    const reqBase = /^(localhost|127\.0\.0\.1):\d+$/.test(host) ? `https://${host}` : base;
    const url = new URL(raw.url ?? "/", reqBase);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(raw.headers)) if (v !== undefined && !k.startsWith(":")) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : String(v);
    const req: SbRequest = { method: (raw.method ?? "GET").toUpperCase(), path: url.pathname, rawUrl: `${url.pathname}${url.search}`, query: url.searchParams, headers, bodyText: Buffer.concat(chunks).toString("utf8"), baseUrl: reqBase };
    const startedMs = performance.now();
    let out: SbResponse & { user?: string };
    try {
      out = await dispatch(req);
    } catch (err) {
      out = json(500, { error: { code: 500, message: `sandbox error: ${(err as Error).message}`, errors: [{ domain: "global", reason: "backendError", message: "Backend Error" }] } });
    }
    logRequest(req, out, startedMs);
    if (out.drop) {
      if ("stream" in raw && raw.stream) raw.stream.close(h2.NGHTTP2_INTERNAL_ERROR);
      else (raw as unknown as { socket: Socket }).socket.destroy();
      return;
    }
    res.writeHead(out.status, out.headers ?? {});
    res.end(out.body ?? "");
  }

  const server = createSecureServer({ key: tls.keyPem, cert: tls.certPem, allowHTTP1: true }, (req, res) => {
    void onRequest(req, res);
  });
  const sessions = new Set<Http2Session>();
  server.on("session", (s: Http2Session) => {
    sessions.add(s);
    s.once("close", () => sessions.delete(s));
    s.on("error", () => {});
  });
  const sockets = new Set<Socket>();
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.once("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  base = `https://localhost:${port}`;
  saKey = loadOrCreateServiceAccountKey(opts.dataDir, state.serviceAccount, `${base}/token`);

  return {
    url: base, port, caPath: tls.caPath, caPem: tls.caPem, serviceAccountKey: saKey.file, serviceAccountKeyPath: saKey.path,
    webClient: seed.webClients[0]!, seed, clock, control,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of sessions) s.destroy();
      for (const s of sockets) s.destroy();
    }),
  };
}
