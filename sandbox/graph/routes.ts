// Microsoft Graph v1.0: /me, /users/{id}, events CRUD under /me and /users/{id} (also
// /calendar/events), calendarView, and $batch. Bearer tokens are validated (signature, audience,
// expiry on the sandbox clock, scopes); throttling and injected faults come before the handler.
import { randomUUID } from "node:crypto";
import { setImmediate as yieldTurn, setTimeout as sleep } from "node:timers/promises";
import type { SandboxClock } from "../clock.ts";
import { json } from "../http-types.ts";
import type { SbRequest, SbResponse } from "../http-types.ts";
import { verifyJwt } from "../jwt.ts";
import type { SigningKey } from "../jwt.ts";
import { parseLoggedBody } from "../request-log.ts";
import type { LoggedRequest } from "../request-log.ts";
import { GRAPH_RESOURCE } from "../seed.ts";
import type { DirectoryUser, StoredEvent, Store } from "../store.ts";
import { GE, graphError } from "./errors.ts";
import type { GraphErrorSpec } from "./errors.ts";
import { createEvent, presentEvent, toInstant, updateEvent } from "./events.ts";
import type { DateTimeTimeZone, PresentOptions } from "./events.ts";
import { evaluate, FilterError, parseFilter, topLevelProps } from "./filter.ts";
import type { Traffic } from "./traffic.ts";
import { resolveTimeZone } from "./timezones.ts";
import { isEventProperty, validateEventBody } from "./validate-event.ts";

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

const MAX_BATCH = 20;
const DEFAULT_PAGE = 10;
const MAX_PAGE = 1000;

export function createGraph(deps: GraphDeps): { handle(req: SbRequest): Promise<SbResponse> | null } {
  const { store, clock, key, traffic } = deps;
  const err = (req: SbRequest, e: GraphErrorSpec) => graphError(req, clock.now(), e);

  function authenticate(req: SbRequest): Caller | SbResponse {
    const header = req.headers.authorization ?? "";
    const wwwAuth = {
      "www-authenticate": `Bearer realm="", authorization_uri="${req.baseUrl}/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"`,
    };
    const unauthorized = (message: string) => err(req, { status: 401, code: "InvalidAuthenticationToken", message, headers: wwwAuth });
    if (!/^bearer\s+\S/i.test(header)) return unauthorized("Access token is empty.");
    const token = header.replace(/^bearer\s+/i, "").trim();
    if (token.split(".").length !== 3) return unauthorized("IDX14100: JWT is not well formed, there are no dots (.).");
    const claims = verifyJwt(key, token);
    if (!claims) return unauthorized("Access token validation failure. Invalid signature.");
    if (claims.aud !== GRAPH_RESOURCE && claims.aud !== "00000003-0000-0000-c000-000000000000") {
      return unauthorized("Access token validation failure. Invalid audience.");
    }
    const nowSec = clock.now() / 1000;
    if (typeof claims.exp !== "number" || claims.exp < nowSec) return unauthorized("Lifetime validation failed, the token is expired.");
    if (typeof claims.nbf === "number" && claims.nbf > nowSec + 300) return unauthorized("Lifetime validation failed, the token is not yet valid.");
    const user = store.user(String(claims.oid ?? ""));
    if (!user || user.tenantId !== claims.tid) return unauthorized("Access token validation failure.");
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

  function preferences(req: SbRequest): { timeZone: string; bodyAsText: boolean; applied: string[] } {
    const prefer = req.headers.prefer ?? "";
    const applied: string[] = [];
    let timeZone = "UTC";
    const tz = /outlook\.timezone\s*=\s*"([^"]*)"/i.exec(prefer);
    if (tz && resolveTimeZone(tz[1]!)) {
      timeZone = tz[1]!;
      applied.push(`outlook.timezone="${timeZone}"`);
    }
    const bodyType = /outlook\.body-content-type\s*=\s*"?(text|html)"?/i.exec(prefer);
    const bodyAsText = bodyType?.[1]?.toLowerCase() === "text";
    if (bodyType) applied.push(`outlook.body-content-type="${bodyType[1]!.toLowerCase()}"`);
    return { timeZone, bodyAsText, applied };
  }

  function parseBody(req: SbRequest): { ok: true; value: unknown } | { ok: false } {
    try {
      return { ok: true, value: JSON.parse(req.bodyText) };
    } catch {
      return { ok: false };
    }
  }

  /** $select, $expand and Prefer, shared by GET one and GET many. */
  function readOptions(req: SbRequest): PresentOptions | GraphErrorSpec {
    const prefs = preferences(req);
    const opts: PresentOptions = { timeZone: prefs.timeZone, bodyAsText: prefs.bodyAsText };
    const select = req.query.get("$select");
    if (select) {
      const names = select.split(",").map((s) => s.trim()).filter(Boolean);
      for (const n of names) {
        if (!isEventProperty(n)) {
          return { status: 400, code: "RequestBroker--ParseUri", message: `Could not find a property named '${n}' on type 'Microsoft.OutlookServices.Event'.` };
        }
      }
      opts.select = names;
    }
    const expand = req.query.get("$expand");
    if (expand) {
      opts.expand = {};
      for (const part of splitTopLevel(expand)) {
        const m = /^(singleValueExtendedProperties|multiValueExtendedProperties)(\((.*)\))?$/i.exec(part.trim());
        if (!m) {
          return { status: 400, code: "BadRequest", message: `Parsing OData Select and Expand failed: Could not find a property named '${part.trim()}' on type 'microsoft.graph.event'.` };
        }
        let predicate: (p: Record<string, unknown>) => boolean = () => true;
        const inner = m[3];
        if (inner) {
          const f = /^\$filter=(.*)$/i.exec(inner.trim());
          if (!f) return GE.invalidFilter(inner);
          try {
            const node = parseFilter(f[1]!);
            predicate = (p) => evaluate(node, p);
          } catch (e) {
            return GE.invalidFilter((e as Error).message);
          }
        }
        if (m[1]!.toLowerCase().startsWith("single")) opts.expand.single = predicate;
        else opts.expand.multi = predicate;
      }
    }
    return opts;
  }

  function splitTopLevel(s: string): string[] {
    const out: string[] = [];
    let depth = 0;
    let cur = "";
    for (const c of s) {
      if (c === "(") depth++;
      if (c === ")") depth--;
      if (c === "," && depth === 0) {
        out.push(cur);
        cur = "";
      } else cur += c;
    }
    if (cur) out.push(cur);
    return out;
  }

  function withPrefs(req: SbRequest, res: SbResponse): SbResponse {
    const applied = preferences(req).applied;
    if (applied.length) res.headers = { ...res.headers, "preference-applied": applied.join(",") };
    return res;
  }

  function contextFor(req: SbRequest, owner: DirectoryUser): string {
    return `${req.baseUrl}/v1.0/$metadata#users('${owner.id}')/events`;
  }

  function webLinkBase(req: SbRequest, owner: DirectoryUser): string {
    return `${req.baseUrl}/_sandbox/calendar/${encodeURIComponent(owner.userPrincipalName)}`;
  }

  function findEvent(owner: DirectoryUser, id: string): StoredEvent | undefined {
    return store.mailbox(owner.id).find((e) => e.id === id);
  }

  // ---- events ----------------------------------------------------------------------------------

  function listEvents(req: SbRequest, owner: DirectoryUser, window?: { start: number; end: number }): SbResponse {
    const opts = readOptions(req);
    if ("status" in opts) return err(req, opts);
    let events = [...store.mailbox(owner.id)];
    if (window) {
      events = events.filter((e) => {
        if (!e.start || !e.end) return false;
        const s = toInstant(e.start as DateTimeTimeZone).toMillis();
        const en = toInstant(e.end as DateTimeTimeZone).toMillis();
        return s < window.end && en > window.start;
      });
    }
    const filter = req.query.get("$filter");
    if (filter) {
      let node;
      try {
        node = parseFilter(filter);
      } catch (e) {
        return err(req, GE.invalidFilter(e instanceof FilterError ? e.message : undefined));
      }
      for (const p of topLevelProps(node)) {
        if (!isEventProperty(p)) {
          return err(req, { status: 400, code: "RequestBroker--ParseUri", message: `Could not find a property named '${p}' on type 'Microsoft.OutlookServices.Event'.` });
        }
      }
      events = events.filter((e) => {
        const view = presentEvent(e, { timeZone: "UTC", bodyAsText: true });
        view.singleValueExtendedProperties = e.singleValueExtendedProperties ?? [];
        view.multiValueExtendedProperties = e.multiValueExtendedProperties ?? [];
        return evaluate(node, view);
      });
    }
    const orderby = req.query.get("$orderby");
    if (orderby) {
      const clauses = orderby.split(",").map((c) => c.trim().split(/\s+/));
      for (const [path] of clauses) {
        if (!isEventProperty(path!.split("/")[0]!)) {
          return err(req, { status: 400, code: "RequestBroker--ParseUri", message: `Could not find a property named '${path}' on type 'Microsoft.OutlookServices.Event'.` });
        }
      }
      const keyOf = (e: StoredEvent, path: string): unknown => {
        if (path === "start/dateTime" || path === "end/dateTime") {
          const v = e[path.split("/")[0]!] as DateTimeTimeZone | null;
          return v ? toInstant(v).toMillis() : null;
        }
        return path.split("/").reduce<unknown>((o, p) => (o && typeof o === "object" ? (o as Record<string, unknown>)[p] : undefined), e);
      };
      events.sort((a, b) => {
        for (const [path, dir] of clauses) {
          const x = keyOf(a, path!);
          const y = keyOf(b, path!);
          const c = x === y ? 0 : x === null || x === undefined ? -1 : y === null || y === undefined ? 1 : x < y ? -1 : 1;
          if (c !== 0) return dir?.toLowerCase() === "desc" ? -c : c;
        }
        return 0;
      });
    } else if (window) {
      events.sort((a, b) => toInstant(a.start as DateTimeTimeZone).toMillis() - toInstant(b.start as DateTimeTimeZone).toMillis());
    }
    const topRaw = req.query.get("$top");
    const skipRaw = req.query.get("$skip");
    const top = topRaw === null ? DEFAULT_PAGE : Number(topRaw);
    const skip = skipRaw === null ? 0 : Number(skipRaw);
    if (!Number.isInteger(top) || top < 0 || !Number.isInteger(skip) || skip < 0) {
      return err(req, { status: 400, code: "BadRequest", message: `Invalid value for $top or $skip query option.` });
    }
    const pageSize = Math.min(top, MAX_PAGE);
    const page = events.slice(skip, skip + pageSize);
    const body: Record<string, unknown> = { "@odata.context": contextFor(req, owner) };
    if (req.query.get("$count") === "true") body["@odata.count"] = events.length;
    body.value = page.map((e) => presentEvent(e, opts));
    if (skip + pageSize < events.length) {
      const q = new URLSearchParams(req.query);
      q.set("$top", String(pageSize));
      q.set("$skip", String(skip + pageSize));
      body["@odata.nextLink"] = `${req.baseUrl}${req.path}?${q.toString().replace(/%24/g, "$")}`;
    }
    return withPrefs(req, json(200, body));
  }

  function createOne(req: SbRequest, owner: DirectoryUser): SbResponse {
    const parsed = parseBody(req);
    if (!parsed.ok) return err(req, GE.badJson());
    const v = validateEventBody(parsed.value, "create");
    if (!v.ok) return err(req, v.error);
    const box = store.mailbox(owner.id);
    const opts = readOptions(req);
    if ("status" in opts) return err(req, opts);
    const txn = v.body.transactionId;
    if (typeof txn === "string") {
      // transactionId: a retried POST returns the event the first POST created, never a second one.
      const existing = box.find((e) => e.transactionId === txn);
      if (existing) {
        return withPrefs(req, json(201, { "@odata.context": `${contextFor(req, owner)}/$entity`, ...presentEvent(existing, opts) }, locationHeader(req, owner, existing)));
      }
    }
    const ev = createEvent(owner, v.body, clock.now(), webLinkBase(req, owner));
    const badRange = invalidRange(ev);
    if (badRange) return err(req, badRange);
    box.push(ev);
    store.save();
    return withPrefs(req, json(201, { "@odata.context": `${contextFor(req, owner)}/$entity`, ...presentEvent(ev, opts) }, locationHeader(req, owner, ev)));
  }

  /** End before start, or an all-day event not on midnight boundaries, as Exchange refuses them. */
  function invalidRange(ev: StoredEvent): GraphErrorSpec | null {
    const s = ev.start as DateTimeTimeZone | null;
    const e = ev.end as DateTimeTimeZone | null;
    if (!s || !e) return null;
    if (toInstant(e).toMillis() < toInstant(s).toMillis()) {
      return { status: 400, code: "ErrorPropertyValidationFailure", message: "At least one property failed validation." };
    }
    if (ev.isAllDay === true) {
      const midnight = (d: DateTimeTimeZone) => /T00:00:00(\.0+)?$/.test(d.dateTime);
      if (!midnight(s) || !midnight(e) || s.timeZone !== e.timeZone || toInstant(e).toMillis() === toInstant(s).toMillis()) {
        return {
          status: 400,
          code: "ErrorInvalidRequest",
          message: "Your request can't be completed. If the event is an all-day event, the start and end times must be set to midnight, and in the same time zone.",
        };
      }
    }
    return null;
  }

  function locationHeader(req: SbRequest, owner: DirectoryUser, ev: StoredEvent): Record<string, string> {
    return { location: `${req.baseUrl}/v1.0/Users('${owner.id}')/Events('${ev.id}')` };
  }

  function getOne(req: SbRequest, owner: DirectoryUser, id: string): SbResponse {
    const ev = findEvent(owner, id);
    if (!ev) return err(req, GE.notFound());
    const opts = readOptions(req);
    if ("status" in opts) return err(req, opts);
    return withPrefs(req, json(200, { "@odata.context": `${contextFor(req, owner)}/$entity`, ...presentEvent(ev, opts) }));
  }

  function ifMatchFails(req: SbRequest, ev: StoredEvent): boolean {
    const ifMatch = req.headers["if-match"];
    if (!ifMatch || ifMatch === "*") return false;
    const tag = ifMatch.replace(/^W\//, "").replace(/^"|"$/g, "");
    return tag !== ev.changeKey;
  }

  const CONFLICT: GraphErrorSpec = {
    status: 412,
    code: "ErrorIrresolvableConflict",
    message: "The send or update operation could not be performed because the change key passed in the request does not match the current change key for the item.",
  };

  function patchOne(req: SbRequest, owner: DirectoryUser, id: string): SbResponse {
    const ev = findEvent(owner, id);
    if (!ev) return err(req, GE.notFound());
    const parsed = parseBody(req);
    if (!parsed.ok) return err(req, GE.badJson());
    const v = validateEventBody(parsed.value, "update");
    if (!v.ok) return err(req, v.error);
    if (ifMatchFails(req, ev)) return err(req, CONFLICT);
    if ("transactionId" in v.body && ev.transactionId !== null && v.body.transactionId !== ev.transactionId) {
      return err(req, { status: 400, code: "ErrorInvalidRequest", message: "The transactionId of an event cannot be changed once it is set." });
    }
    const next = structuredClone(ev);
    updateEvent(next, v.body, clock.now());
    const badRange = invalidRange(next);
    if (badRange) return err(req, badRange);
    Object.assign(ev, next);
    store.save();
    const opts = readOptions(req);
    if ("status" in opts) return err(req, opts);
    return withPrefs(req, json(200, { "@odata.context": `${contextFor(req, owner)}/$entity`, ...presentEvent(ev, opts) }));
  }

  function deleteOne(req: SbRequest, owner: DirectoryUser, id: string): SbResponse {
    const box = store.mailbox(owner.id);
    const i = box.findIndex((e) => e.id === id);
    if (i < 0) return err(req, GE.notFound());
    if (ifMatchFails(req, box[i]!)) return err(req, CONFLICT);
    box.splice(i, 1);
    store.save();
    return { status: 204, headers: {}, body: "" };
  }

  // ---- dispatch --------------------------------------------------------------------------------

  async function handleGraph(req: SbRequest): Promise<SbResponse> {
    const segs = req.path.split("/").slice(2).map((s) => decodeURIComponent(s));
    if (segs.length === 1 && segs[0] === "$batch") {
      if (req.method !== "POST") return err(req, GE.methodNotAllowed());
      if (req.inBatch) return err(req, { status: 400, code: "BadRequest", message: "Batch requests cannot be nested." });
      return batch(req);
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

    if (rest[0] === "calendar") rest = rest.slice(1);
    const isView = rest[0] === "calendarView" || rest[0] === "calendarview";
    if ((rest[0] !== "events" && !isView) || rest.length > 2 || (isView && rest.length > 1)) {
      return err(req, GE.noResource(rest.join("/")));
    }
    const reading = req.method === "GET";
    if (!hasScope(caller, "Calendars.ReadWrite", ...(reading ? ["Calendars.Read"] : []))) return err(req, GE.accessDenied());

    const mailbox = owner.id;
    const verdict = traffic.admit(caller.appId, mailbox);
    if (verdict.kind === "error") return { ...err(req, verdict.error), mailbox };
    if (verdict.kind === "drop") return { status: 0, drop: true };
    try {
      const latency = traffic.latencyFor(mailbox);
      // Batch items yield once so items of one batch overlap, as they do in Exchange.
      if (latency > 0) await sleep(latency);
      else if (req.inBatch) await yieldTurn();
      const res = route(req, owner, rest, isView);
      res.mailbox = mailbox;
      return res;
    } finally {
      verdict.release();
    }
  }

  function route(req: SbRequest, owner: DirectoryUser, rest: string[], isView: boolean): SbResponse {
    if (isView) {
      if (req.method !== "GET") return err(req, GE.methodNotAllowed());
      const s = Date.parse(req.query.get("startDateTime") ?? "");
      const e = Date.parse(req.query.get("endDateTime") ?? "");
      if (Number.isNaN(s) || Number.isNaN(e)) {
        return err(req, { status: 400, code: "ErrorInvalidParameter", message: "This request requires a time window specified by the query string parameters StartDateTime and EndDateTime." });
      }
      return listEvents(req, owner, { start: s, end: e });
    }
    if (rest.length === 1) {
      if (req.method === "GET") return listEvents(req, owner);
      if (req.method === "POST") return createOne(req, owner);
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
    const segs = req.path.split("/").slice(2).map((s) => decodeURIComponent(s));
    let mailbox: string | undefined;
    if (segs[0] === "users" && segs[1]) mailbox = store.user(segs[1])?.id;
    else if (segs[0] === "me") mailbox = meOf(req);
    const fault = traffic.fault(req.method, req.path, mailbox);
    if (fault?.kind === "drop") return { status: 0, drop: true, mailbox };
    if (fault?.kind === "error") return { ...err(req, fault.error), mailbox };
    return handleGraph(req);
  }

  /** The caller's oid, for fault rules aimed at a mailbox reached through /me. */
  function meOf(req: SbRequest): string | undefined {
    const token = (req.headers.authorization ?? "").replace(/^bearer\s+/i, "");
    const claims = token ? verifyJwt(key, token) : null;
    return typeof claims?.oid === "string" ? claims.oid : undefined;
  }

  // ---- $batch (JSON batching: at most 20 requests, dependsOn, 424 Failed Dependency) -----------

  interface BatchItem {
    id: string;
    method: string;
    url: string;
    headers?: Record<string, string>;
    body?: unknown;
    dependsOn?: string[];
  }

  async function batch(req: SbRequest): Promise<SbResponse> {
    const parsed = parseBody(req);
    const invalid = (message = "Invalid batch payload format.") => err(req, { status: 400, code: "BadRequest", message });
    if (!parsed.ok || !parsed.value || typeof parsed.value !== "object") return invalid();
    const requests = (parsed.value as { requests?: unknown }).requests;
    if (!Array.isArray(requests) || requests.length === 0) return invalid();
    if (requests.length > MAX_BATCH) return invalid(`The number of requests in the batch exceeds the limit of ${MAX_BATCH}.`);
    const items = new Map<string, BatchItem>();
    for (const raw of requests as BatchItem[]) {
      if (!raw || typeof raw.id !== "string" || !raw.id || typeof raw.method !== "string" || typeof raw.url !== "string") return invalid();
      if (items.has(raw.id)) return invalid(`Batch request ids must be unique; '${raw.id}' appears more than once.`);
      if (/^https?:/i.test(raw.url)) return invalid("Batch request urls must be relative.");
      const headers = Object.fromEntries(Object.entries(raw.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]));
      if (raw.body !== undefined && raw.body !== null && !headers["content-type"]) {
        return invalid(`Content-Type header must be specified for request '${raw.id}' because it has a body.`);
      }
      items.set(raw.id, { ...raw, headers });
    }
    for (const item of items.values()) {
      for (const dep of item.dependsOn ?? []) {
        if (!items.has(dep) || dep === item.id) return invalid(`Request '${item.id}' depends on unknown request '${dep}'.`);
      }
    }
    const runs = new Map<string, Promise<SbResponse>>();
    const completed: Array<{ id: string; res: SbResponse }> = [];
    const run = (item: BatchItem, chain: Set<string>): Promise<SbResponse> => {
      const memo = runs.get(item.id);
      if (memo) return memo;
      const p = (async () => {
        if (chain.has(item.id)) return err(req, { status: 400, code: "BadRequest", message: "Circular dependsOn." });
        const deps = await Promise.all((item.dependsOn ?? []).map((d) => run(items.get(d)!, new Set([...chain, item.id]))));
        let res: SbResponse;
        if (deps.some((d) => d.status >= 400 || d.drop)) {
          res = err(req, { status: 424, code: "FailedDependency", message: "The request could not be executed because a request it depends on failed." });
        } else {
          const url = item.url.startsWith("/") ? item.url : `/${item.url}`;
          const u = new URL(`https://batch.invalid/v1.0${url}`);
          const sub: SbRequest = {
            method: item.method.toUpperCase(),
            path: u.pathname,
            rawUrl: `${u.pathname}${u.search}`,
            query: u.searchParams,
            headers: { ...item.headers!, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) },
            bodyText: item.body === undefined || item.body === null ? "" : JSON.stringify(item.body),
            baseUrl: req.baseUrl,
            inBatch: true,
          };
          res = await withFaults(sub);
          deps_log(sub, res, item);
        }
        completed.push({ id: item.id, res });
        return res;
      })();
      runs.set(item.id, p);
      return p;
    };
    const deps_log = (sub: SbRequest, res: SbResponse, item: BatchItem) => {
      deps.log({
        time: new Date(clock.now()).toISOString(),
        method: sub.method,
        path: sub.rawUrl,
        status: res.drop ? 0 : res.status,
        body: item.body ?? undefined,
        mailbox: res.mailbox,
        batchId: item.id,
      });
    };
    await Promise.all([...items.values()].map((i) => run(i, new Set())));
    if (completed.some((c) => c.res.drop)) return { status: 0, drop: true };
    // Answers come in completion order, not request order: match them by id.
    const responses = completed.map(({ id, res }) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers ?? {})) {
        if (["content-type", "retry-after", "location", "etag", "preference-applied"].includes(k)) headers[k === "content-type" ? "Content-Type" : k === "retry-after" ? "Retry-After" : k === "location" ? "Location" : k] = v;
      }
      const out: Record<string, unknown> = { id, status: res.status, headers };
      if (res.body) out.body = parseLoggedBody(res.body, res.headers?.["content-type"]);
      return out;
    });
    return json(200, { responses }, { "request-id": randomUUID() });
  }

  function handle(req: SbRequest): Promise<SbResponse> | null {
    if (!req.path.startsWith("/v1.0/")) return null;
    return withFaults(req);
  }

  return { handle };
}
