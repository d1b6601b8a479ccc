// startSandbox(): the local stand-in for Microsoft Entra ID and Microsoft Graph (calendar), over
// HTTPS with a CA of its own. See sandbox/README.md for what it emulates and the control API.
import { constants as h2, createSecureServer } from "node:http2";
import type { Http2ServerRequest, Http2ServerResponse, Http2Session } from "node:http2";
import type { IncomingMessage, ServerResponse } from "node:http";
import { mkdirSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { createClock } from "./clock.ts";
import type { SandboxClock } from "./clock.ts";
import { resolveConfig } from "./config.ts";
import type { SandboxConfig } from "./config.ts";
import { createControl, handleControl } from "./control.ts";
import type { SandboxControl } from "./control.ts";
import { createEntra } from "./entra/routes.ts";
import { createGraph } from "./graph/routes.ts";
import { Traffic } from "./graph/traffic.ts";
import { decodeSegment, html, json } from "./http-types.ts";
import type { SbRequest, SbResponse } from "./http-types.ts";
import { loadOrCreateSigningKey } from "./jwt.ts";
import { parseLoggedBody, RequestLog } from "./request-log.ts";
import { TRIPCAL_APP } from "./seed.ts";
import type { SeedApp, SeedTenant } from "./seed.ts";
import { Store } from "./store.ts";
import { loadOrCreateTls } from "./tls-material.ts";
import { calendarPage, indexPage } from "./web/calendar-view.ts";

export type { SandboxConfig } from "./config.ts";
export type { SandboxControl } from "./control.ts";
export type { SandboxClock } from "./clock.ts";
export type { FaultRule, LatencyRule } from "./graph/traffic.ts";
export type { LoggedRequest } from "./request-log.ts";
export * from "./seed.ts";

export interface StartSandboxOptions {
  /** 0 or absent: a random free port. Give a fixed port to keep MSAL cache keys stable. */
  port?: number;
  /** Interface to listen on (default 127.0.0.1). URLs always use "localhost". */
  host?: string;
  /** CA, server certificate, signing key, sandbox-config.json and state.json live here. */
  dataDir: string;
  config?: SandboxConfig;
  /** A clock to share with the test; the sandbox makes its own otherwise. */
  clock?: SandboxClock;
}

export interface Sandbox {
  /** "https://localhost:PORT" */
  url: string;
  port: number;
  /** PEM file of the local CA (trust it: NODE_EXTRA_CA_CERTS, tls.setDefaultCACertificates, ...). */
  caPath: string;
  caPem: string;
  /** MSAL authority for a tenant id, "organizations" or "common". */
  authority(tenant?: string): string;
  /** Graph client baseUrl: the host root with a trailing slash (the client adds "v1.0"). */
  graphBaseUrl: string;
  /** MSAL knownAuthorities entry: "localhost:PORT". */
  knownAuthority: string;
  app: SeedApp;
  apps: SeedApp[];
  tenants: SeedTenant[];
  clock: SandboxClock;
  control: SandboxControl;
  close(): Promise<void>;
}

const MAX_BODY = 4 * 1024 * 1024;

type RawRequest = IncomingMessage | Http2ServerRequest;
type RawResponse = ServerResponse | Http2ServerResponse;

function send(res: RawResponse, status: number, headers: Record<string, string>, body: string | Buffer): void {
  // The two response types write alike; TypeScript cannot call a union of their overloads.
  (res as ServerResponse).writeHead(status, headers);
  (res as ServerResponse).end(body);
}

function readBody(req: RawRequest): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error("body too large"));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

export async function startSandbox(opts: StartSandboxOptions): Promise<Sandbox> {
  mkdirSync(opts.dataDir, { recursive: true });
  const config = resolveConfig(opts.dataDir, opts.config);
  const tls = loadOrCreateTls(opts.dataDir);
  const key = loadOrCreateSigningKey(opts.dataDir);
  const clock = opts.clock ?? createClock();
  const store = new Store(opts.dataDir, config);
  const log = new RequestLog();
  const traffic = new Traffic(clock, config.throttle, (idOrUpn) => store.user(idOrUpn)?.id);
  const control = createControl(store, clock, traffic, log);
  const entra = createEntra({
    store,
    clock,
    key,
    fault: (method, path) => {
      const v = traffic.fault(method, path, undefined, "login");
      if (!v) return null;
      if (v.kind === "drop" || v.kind === "drop-after") return { kind: v.kind };
      if (v.kind === "error") return { kind: "error", status: v.error.status, retryAfter: v.error.headers?.["retry-after"] };
      return null;
    },
  });
  const graph = createGraph({ store, clock, key, traffic, log: (e) => log.add(e) });
  let port = 0;
  const defaultBase = () => `https://localhost:${port}`;

  const info = () => ({
    url: defaultBase(),
    caPath: tls.caPath,
    graphBaseUrl: `${defaultBase()}/`,
    knownAuthority: `localhost:${port}`,
    now: new Date(clock.now()).toISOString(),
    apps: config.apps.map((a) => ({ clientId: a.clientId, displayName: a.displayName, consentDisplayName: a.consentDisplayName })),
    tenants: config.tenants.map((t) => ({
      id: t.id,
      displayName: t.displayName,
      domain: t.domain,
      users: t.users.map((u) => ({ id: u.id, userPrincipalName: u.userPrincipalName, displayName: u.displayName, isAdmin: u.isAdmin })),
    })),
  });

  async function dispatch(req: SbRequest): Promise<SbResponse> {
    if (req.path.startsWith("/_sandbox/")) {
      const segs = req.path.split("/").filter(Boolean);
      if (segs[1] === "calendar" && segs[2] && req.method === "GET") return calendarPage(req, store, clock.now(), decodeSegment(segs[2]));
      return handleControl(req, control, info) ?? json(404, { error: { code: "NotFound", message: `no control route ${req.method} ${req.path}` } });
    }
    if (req.path === "/" || req.path === "/_sandbox") return indexPage(store, req.baseUrl);
    if (req.path === "/error" && req.method === "GET") {
      // Where error_uri points: Microsoft's page names the AADSTS code; so does ours.
      const code = (req.query.get("code") ?? "").replace(/\D/g, "");
      return html(200, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>AADSTS${code}</title></head><body><h1>AADSTS${code}</h1><p>See Microsoft's AADSTS error code reference for error ${code}.</p></body></html>`);
    }
    const g = graph.handle(req);
    if (g) return g;
    const e = entra.handle(req);
    if (e) return e;
    return json(404, { error: { code: "NotFound", message: `${req.method} ${req.path} is not emulated by the sandbox` } });
  }

  async function onRequest(raw: RawRequest, res: RawResponse): Promise<void> {
    let bodyText = "";
    try {
      bodyText = await readBody(raw);
    } catch {
      send(res, 413, {}, "");
      return;
    }
    // HTTP/2 names the host in :authority, HTTP/1.1 in Host.
    const host = String(raw.headers.host ?? raw.headers[":authority"] ?? "");
    // Echo the host the client used (localhost or 127.0.0.1) so issuers match its authority.
    const baseUrl = /^(localhost|127\.0\.0\.1|\[::1\]):\d+$/.test(host) ? `https://${host}` : defaultBase();
    const url = new URL(raw.url ?? "/", baseUrl);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(raw.headers)) if (v !== undefined && !k.startsWith(":")) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v;
    const req: SbRequest = {
      method: (raw.method ?? "GET").toUpperCase(),
      path: url.pathname,
      rawUrl: `${url.pathname}${url.search}`,
      query: url.searchParams,
      headers,
      bodyText,
      baseUrl,
    };
    const startedAt = clock.now();
    const startedMs = performance.now();
    let out: SbResponse;
    try {
      out = await dispatch(req);
    } catch (err) {
      out = json(500, { error: { code: "InternalServerError", message: `sandbox error: ${(err as Error).message}` } });
    }
    if (!req.path.startsWith("/_sandbox")) {
      const finishedAt = new Date(clock.now()).toISOString();
      log.add({
        time: finishedAt,
        startedAt: new Date(startedAt).toISOString(),
        finishedAt,
        startedMs,
        finishedMs: performance.now(),
        method: req.method,
        path: req.rawUrl,
        status: out.drop ? 0 : out.status,
        ...(out.drop && out.status ? { droppedStatus: out.status } : {}),
        body: out.logRequestBody ?? parseLoggedBody(bodyText, headers["content-type"]),
        ...(out.mailbox ? { mailbox: out.mailbox } : {}),
      });
    }
    if (out.drop) {
      // No answer. Over HTTP/1.1 the connection closes; over HTTP/2 only this request's stream is
      // reset, as a front end does when its backend goes away, and the connection's other
      // requests go on.
      if ("stream" in raw) raw.stream.close(h2.NGHTTP2_INTERNAL_ERROR);
      else raw.socket.destroy();
      return;
    }
    send(res, out.status, out.headers ?? {}, out.body ?? "");
  }

  // HTTP/2 and HTTP/1.1 on one port, chosen by ALPN, as Graph and Entra do (Graph has answered
  // HTTP/2 since 2023). 100 streams per connection, the least RFC 9113 §6.5.2 recommends: a client
  // with more in flight must open another connection or wait. The per-mailbox limit (4 in
  // service) is counted per request, whatever the connection.
  const server = createSecureServer({ key: tls.keyPem, cert: tls.certPem, allowHTTP1: true, settings: { maxConcurrentStreams: 100 } }, (req, res) => {
    void onRequest(req, res);
  });
  const sessions = new Set<Http2Session>();
  server.on("session", (session: Http2Session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
    // A client that goes away mid-stream is its own business; never crash the sandbox for it.
    session.on("error", () => {});
  });
  // Track raw sockets ourselves: closeAllConnections() misses sockets still in the TLS handshake,
  // and one of those would keep close() waiting forever.
  const sockets = new Set<import("node:net").Socket>();
  server.on("connection", (socket: import("node:net").Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const url = defaultBase();

  return {
    url,
    port,
    caPath: tls.caPath,
    caPem: tls.caPem,
    authority: (tenant = "organizations") => `${url}/${tenant}`,
    graphBaseUrl: `${url}/`,
    knownAuthority: `localhost:${port}`,
    app: config.apps.find((a) => a.clientId === TRIPCAL_APP.clientId) ?? config.apps[0]!,
    apps: config.apps,
    tenants: config.tenants,
    clock,
    control,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const session of sessions) session.destroy();
        for (const socket of sockets) socket.destroy();
      });
      store.close();
    },
  };
}
