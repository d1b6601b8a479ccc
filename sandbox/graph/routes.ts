// Microsoft Graph v1.0: /me, /users/{id}, events CRUD under /me and /users/{id} (also
// /calendar/events), calendarView, and $batch. Bearer tokens are validated (signature, audience,
// expiry on the sandbox clock, scopes); throttling and injected faults come before the handler.
import { setImmediate as yieldTurn, setTimeout as sleep } from "node:timers/promises";
import type { SandboxClock } from "../clock.ts";
import { decodeSegment, json } from "../http-types.ts";
import type { SbRequest, SbResponse } from "../http-types.ts";
import { cachedJwtVerifier } from "../jwt.ts";
import type { SigningKey } from "../jwt.ts";
import type { LoggedRequest } from "../request-log.ts";
import { GRAPH_RESOURCE } from "../seed.ts";
import type { DirectoryUser, Store } from "../store.ts";
import { runBatch } from "./batch.ts";
import { GE, graphError } from "./errors.ts";
import type { GraphErrorSpec } from "./errors.ts";
import { createEventHandlers } from "./event-handlers.ts";
import type { Traffic } from "./traffic.ts";

/** Items of one `$batch` Graph dispatches to the Outlook service at once. */
const GRAPH_BATCH_DISPATCH = 4;

export interface GraphDeps {
  store: Store;
  clock: SandboxClock;
  key: SigningKey;
  traffic: Traffic;
  log: (entry: Omit<LoggedRequest, "seq">) => void;
}

interface Caller {
  user: DirectoryUser;
  appId: string;
  scopes: Set<string>;
}


export function createGraph(deps: GraphDeps): { handle(req: SbRequest): Promise<SbResponse> | null } {
  const { store, clock, key, traffic } = deps;
  const err = (req: SbRequest, e: GraphErrorSpec) => graphError(req, clock.now(), e);
  const verifyJwt = cachedJwtVerifier(key, () => clock.now());

  function authenticate(req: SbRequest): Caller | SbResponse {
    const header = req.headers.authorization ?? "";
    const wwwAuth = {
      "www-authenticate": `Bearer realm="", authorization_uri="${req.baseUrl}/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"`,
    };
    const unauthorized = (message: string) => err(req, { status: 401, code: "InvalidAuthenticationToken", message, headers: wwwAuth });
    if (!/^bearer\s+\S/i.test(header)) return unauthorized("Access token is empty.");
    const token = header.replace(/^bearer\s+/i, "").trim();
    if (token.split(".").length !== 3) return unauthorized("IDX14100: JWT is not well formed, there are no dots (.).");
    const claims = verifyJwt(token);
    if (!claims) return unauthorized("Access token validation failure. Invalid signature.");
    if (claims.aud !== GRAPH_RESOURCE && claims.aud !== "00000003-0000-0000-c000-000000000000") {
      return unauthorized("Access token validation failure. Invalid audience.");
    }
    const nowSec = clock.now() / 1000;
    if (typeof claims.exp !== "number" || claims.exp < nowSec) return unauthorized("Lifetime validation failed, the token is expired.");
    if (typeof claims.nbf === "number" && claims.nbf > nowSec + 300) return unauthorized("Lifetime validation failed, the token is not yet valid.");
    const user = store.user(String(claims.oid ?? ""));
    // A token of the user's home tenant, or of a tenant they are a guest of.
    if (!user || store.sessionTenant(user, String(claims.tid ?? "")) === undefined) return unauthorized("Access token validation failure.");
    const scopes = new Set(String(claims.scp ?? "").toLowerCase().split(" ").filter(Boolean));
    return { user, appId: String(claims.appid ?? ""), scopes };
  }

  function hasScope(caller: Caller, ...any: string[]): boolean {
    return any.some((s) => caller.scopes.has(s.toLowerCase()));
  }

  function userResource(req: SbRequest, u: DirectoryUser): Record<string, unknown> {
    return {
      "@odata.context": `${req.baseUrl}/v1.0/$metadata#users/$entity`,
      businessPhones: [],
      displayName: u.displayName,
      givenName: u.givenName,
      jobTitle: null,
      mail: u.userPrincipalName,
      mobilePhone: null,
      officeLocation: null,
      preferredLanguage: u.preferredLanguage ?? null,
      surname: u.surname,
      userPrincipalName: u.userPrincipalName,
      id: u.id,
    };
  }

  const { listEvents, createOne, getOne, patchOne, deleteOne, listCalendars, getCalendar, calendarOf, sharedCalendar } = createEventHandlers(store, clock);

  // ---- dispatch --------------------------------------------------------------------------------

  async function handleGraph(req: SbRequest): Promise<SbResponse> {
    const segs = req.path.split("/").slice(2).map(decodeSegment);
    if (segs.length === 1 && segs[0] === "$batch") {
      if (req.method !== "POST") return err(req, GE.methodNotAllowed());
      if (req.inBatch) return err(req, { status: 400, code: "BadRequest", message: "Batch requests cannot be nested." });
      // Graph's own dispatch ("four-at-a-time"), or every independent item at once (the stricter default).
      const itemConcurrency = traffic.throttleConfig().batchDispatch === "four-at-a-time" ? GRAPH_BATCH_DISPATCH : undefined;
      return runBatch(req, { clock, execute: withFaults, log: deps.log, ...(itemConcurrency ? { itemConcurrency } : {}) });
    }
    const caller = authenticate(req);
    if ("status" in caller) return caller;

    let owner: DirectoryUser | undefined;
    let rest: string[];
    if (segs[0] === "me") {
      owner = caller.user;
      rest = segs.slice(1);
    } else if (segs[0] === "users" && segs[1]) {
      const target = store.user(segs[1]);
      rest = segs.slice(2);
      if (!target || target.tenantId !== caller.user.tenantId) {
        if (rest.length === 0) {
          return err(req, { status: 404, code: "Request_ResourceNotFound", message: `Resource '${segs[1]}' does not exist or one of its queried reference-property objects are not present.` });
        }
        return err(req, { status: 404, code: "ErrorInvalidUser", message: `The requested user '${segs[1]}' is invalid.` });
      }
      if (target.id !== caller.user.id) {
        if (rest.length === 0) return err(req, { status: 403, code: "Authorization_RequestDenied", message: "Insufficient privileges to complete the operation." });
        return err(req, GE.accessDenied());
      }
      owner = target;
    } else {
      return err(req, GE.noResource(segs[0] ?? ""));
    }

    if (rest.length === 0) {
      if (req.method !== "GET") return err(req, GE.methodNotAllowed());
      if (!hasScope(caller, "User.Read", "User.ReadWrite", "User.ReadBasic.All", "User.Read.All", "openid", "profile")) return err(req, GE.accessDenied());
      return json(200, userResource(req, owner));
    }

    // /calendars (the list), /calendars/{id} (one), /calendars/{id}/events|calendarView (its events);
    // /calendar/... is the default calendar.
    let calendarId: string | undefined;
    let calendarRequest: "list" | "one" | undefined;
    if (rest[0] === "calendar") rest = rest.slice(1);
    else if (rest[0] === "calendars") {
      if (rest.length === 1) calendarRequest = "list";
      else {
        calendarId = rest[1]!;
        rest = rest.slice(2);
        if (rest.length === 0) calendarRequest = "one";
      }
    }
    const isView = rest[0] === "calendarView" || rest[0] === "calendarview";
    if (!calendarRequest && ((rest[0] !== "events" && !isView) || rest.length > 2 || (isView && rest.length > 1))) {
      return err(req, GE.noResource(rest.join("/")));
    }
    const reading = req.method === "GET";
    if (!hasScope(caller, "Calendars.ReadWrite", ...(reading ? ["Calendars.Read"] : []))) return err(req, GE.accessDenied());

    const mailbox = owner.id;
    // Where the user's mailbox is, and whether they may use it (control API: user settings).
    const settings = store.userSettings(owner.id);
    if (settings.mailbox && settings.mailbox !== "exchangeOnline") return { ...err(req, GE.mailboxNotEnabled()), mailbox };
    if (settings.mailboxAccess === "denied") return { ...err(req, GE.accessDenied()), mailbox };
    const verdict = traffic.admit(caller.appId, mailbox);
    if (verdict.kind === "error") return { ...err(req, verdict.error), mailbox };
    try {
      const latency = traffic.latencyFor(mailbox);
      // Batch items yield once so items of one batch overlap, as they do in Exchange.
      if (latency > 0) await sleep(latency);
      else if (req.inBatch) await yieldTurn();
      let res: SbResponse;
      if (calendarRequest === "list") res = req.method === "GET" ? listCalendars(req, owner) : err(req, GE.methodNotAllowed());
      else if (calendarRequest === "one") res = req.method === "GET" ? getCalendar(req, owner, calendarId!) : err(req, GE.methodNotAllowed());
      else if (calendarId !== undefined && !calendarOf(owner, calendarId)) res = err(req, GE.notFound());
      // Another user's calendar: Calendars.ReadWrite covers the user's own mailbox only.
      else if (calendarId !== undefined && sharedCalendar(owner, calendarId) && !hasScope(caller, "Calendars.ReadWrite.Shared", ...(reading ? ["Calendars.Read.Shared"] : []))) res = err(req, GE.accessDenied());
      else res = route(req, owner, rest, isView, calendarId);
      res.mailbox = mailbox;
      return res;
    } finally {
      verdict.release();
    }
  }

  function route(req: SbRequest, owner: DirectoryUser, rest: string[], isView: boolean, calendarId?: string): SbResponse {
    if (isView) {
      if (req.method !== "GET") return err(req, GE.methodNotAllowed());
      const s = Date.parse(req.query.get("startDateTime") ?? "");
      const e = Date.parse(req.query.get("endDateTime") ?? "");
      if (Number.isNaN(s) || Number.isNaN(e)) {
        return err(req, { status: 400, code: "ErrorInvalidParameter", message: "This request requires a time window specified by the query string parameters StartDateTime and EndDateTime." });
      }
      if (e - s > 1825 * 86_400_000) {
        // Observed on Microsoft: windows over 1825 days are refused.
        return err(req, { status: 400, code: "ErrorInvalidRequest", message: "The time window is too big; it may not exceed 1825 days." });
      }
      return listEvents(req, owner, { start: s, end: e }, calendarId);
    }
    if (rest.length === 1) {
      if (req.method === "GET") return listEvents(req, owner, undefined, calendarId);
      if (req.method === "POST") return createOne(req, owner, calendarId);
      return err(req, GE.methodNotAllowed());
    }
    const id = rest[1]!;
    // Exchange ids are base64 (URL-safe variants allowed); anything else, e.g. a double-encoded id, is malformed.
    if (!/^[A-Za-z0-9+/_=-]{20,}$/.test(id)) return err(req, { status: 400, code: "ErrorInvalidIdMalformed", message: "Id is malformed." });
    if (req.method === "GET") return getOne(req, owner, id);
    if (req.method === "PATCH") return patchOne(req, owner, id);
    if (req.method === "DELETE") return deleteOne(req, owner, id);
    return err(req, GE.methodNotAllowed());
  }

  async function withFaults(req: SbRequest): Promise<SbResponse> {
    const segs = req.path.split("/").slice(2).map(decodeSegment);
    let mailbox: string | undefined;
    let inMailbox = false;
    if (segs[0] === "users" && segs[1]) {
      mailbox = store.user(segs[1])?.id;
      inMailbox = segs.length > 2;
    } else if (segs[0] === "me") {
      mailbox = meOf(req);
      inMailbox = segs.length > 1;
    }
    // Requests into a mailbox (events, calendarView, ...) count toward its peak concurrency from
    // here on, whether they are then faulted, throttled or answered.
    const leave = mailbox && inMailbox ? traffic.enter(mailbox) : undefined;
    try {
      const fault = traffic.fault(req.method, req.path, mailbox);
      if (fault?.kind === "drop") return { status: 0, drop: true, mailbox };
      if (fault?.kind === "error") return { ...err(req, fault.error), mailbox };
      const res = await handleGraph(req);
      if (fault?.kind === "drop-after") return { ...res, drop: true, mailbox: res.mailbox ?? mailbox };
      return res;
    } finally {
      leave?.();
    }
  }

  /** The caller's oid, for fault rules aimed at a mailbox reached through /me. */
  function meOf(req: SbRequest): string | undefined {
    const token = (req.headers.authorization ?? "").replace(/^bearer\s+/i, "");
    const claims = token ? verifyJwt(token) : null;
    return typeof claims?.oid === "string" ? claims.oid : undefined;
  }

  function handle(req: SbRequest): Promise<SbResponse> | null {
    if (!req.path.startsWith("/v1.0/")) return null;
    return withFaults(req);
  }

  return { handle };
}
