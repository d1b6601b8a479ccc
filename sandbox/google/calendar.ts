// Calendar API v3 events ("Events" reference: insert, get, patch, update, delete, list) on each
// user's primary calendar, reached with an access token of the token endpoint.
import { createHash } from "node:crypto";
import { json } from "../http-types.ts";
import type { SbRequest, SbResponse } from "../http-types.ts";
import type { SandboxClock } from "../clock.ts";
import { apiError, ERRORS } from "./errors.ts";
import type { ApiErrorSpec } from "./errors.ts";
import { CALENDAR_EVENTS_SCOPE, CALENDAR_SCOPE } from "./seed.ts";
import type { GoogleState, GoogleTime, StoredGoogleEvent } from "./state.ts";
import type { GoogleTraffic } from "./traffic.ts";

export interface CalendarDeps {
  state: GoogleState;
  clock: SandboxClock;
  traffic: GoogleTraffic;
}

/** What a Calendar request resolved to, for the request log. */
export interface CalendarAnswer extends SbResponse {
  user?: string;
}

const EVENTS_PATH = /^\/calendar\/v3\/calendars\/([^/]+)\/events(?:\/([^/]+))?$/;
/** Event ids a client chooses: base32hex characters (a–v, 0–9), 5 to 1024 of them. */
const EVENT_ID = /^[a-v0-9]{5,1024}$/;
const WRITABLE = new Set(["id", "summary", "description", "location", "start", "end", "status", "transparency", "visibility", "reminders", "extendedProperties", "colorId"]);
/** Read-only fields a client may send back as it received them (an update of a fetched event). */
const READ_ONLY = new Set(["kind", "etag", "htmlLink", "created", "updated", "iCalUID", "sequence", "creator", "organizer", "eventType"]);

const fail = (spec: ApiErrorSpec): CalendarAnswer => apiError(spec);

function validZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** An EventDateTime: `date` (all-day) or `dateTime` (RFC 3339; the offset may be left out when `timeZone` is given). */
function checkTime(value: unknown, field: "start" | "end"): ApiErrorSpec | null {
  if (!value || typeof value !== "object" || Array.isArray(value)) return ERRORS.required(`Missing ${field} time.`);
  const t = value as Record<string, unknown>;
  for (const k of Object.keys(t)) if (!["date", "dateTime", "timeZone"].includes(k)) return ERRORS.invalid(`Invalid field ${field}.${k}.`, `${field}.${k}`);
  if (t.timeZone !== undefined && (typeof t.timeZone !== "string" || !validZone(t.timeZone))) return ERRORS.invalid(`Invalid time zone definition for ${field} time.`, `${field}.timeZone`);
  if (t.date !== undefined && t.dateTime !== undefined) return ERRORS.invalid(`Invalid ${field} time: both date and dateTime.`, field);
  if (t.date !== undefined) {
    if (typeof t.date !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(t.date)) return ERRORS.invalid(`Invalid ${field} date.`, `${field}.date`);
    return null;
  }
  if (typeof t.dateTime !== "string") return ERRORS.required(`Missing ${field} time.`);
  const m = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$/.exec(t.dateTime);
  if (!m) return ERRORS.invalid(`Invalid ${field} time.`, `${field}.dateTime`);
  if (!m[3] && t.timeZone === undefined) return ERRORS.invalid(`Missing time zone definition for ${field} time.`, `${field}.timeZone`);
  return null;
}

/** The instant of an EventDateTime, for ordering start and end (all-day dates as UTC midnights). */
function instant(t: GoogleTime): number {
  if (t.date) return Date.parse(`${t.date}T00:00:00Z`);
  const dt = t.dateTime!;
  if (/(Z|[+-]\d{2}:\d{2})$/.test(dt)) return Date.parse(dt);
  // A wall-clock time in its zone: find the offset by formatting the UTC guess in the zone.
  const guess = Date.parse(`${dt}Z`);
  const parts = new Intl.DateTimeFormat("en-US", { timeZone: t.timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" }).formatToParts(new Date(guess));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
  return guess - (asUtc - guess);
}

/** Checks a body's fields; an insert needs start and end. Returns the error, or null. */
export function checkEventBody(body: unknown, mode: "insert" | "patch" | "update"): ApiErrorSpec | null {
  if (!body || typeof body !== "object" || Array.isArray(body)) return ERRORS.invalid("Parse Error");
  const b = body as Record<string, unknown>;
  for (const k of Object.keys(b)) {
    // Google ignores fields it does not know; the stand-in refuses them, so a misspelt field fails a test instead of vanishing.
    if (!WRITABLE.has(k) && !READ_ONLY.has(k)) return ERRORS.invalid(`Unknown field ${k} (the sandbox refuses fields the Events resource does not have).`, k);
  }
  if (b.id !== undefined && (typeof b.id !== "string" || !EVENT_ID.test(b.id))) return ERRORS.invalid("Invalid resource id value.", "id");
  for (const f of ["summary", "description", "location", "colorId", "visibility"] as const) {
    if (b[f] !== undefined && typeof b[f] !== "string") return ERRORS.invalid(`Invalid value for ${f}.`, f);
  }
  if (b.status !== undefined && !["confirmed", "tentative", "cancelled"].includes(b.status as string)) return ERRORS.invalid("Invalid value for status.", "status");
  if (b.transparency !== undefined && !["opaque", "transparent"].includes(b.transparency as string)) return ERRORS.invalid("Invalid value for transparency.", "transparency");
  if (mode !== "patch" || b.start !== undefined) {
    const e = checkTime(b.start, "start");
    if (e) return e;
  }
  if (mode !== "patch" || b.end !== undefined) {
    const e = checkTime(b.end, "end");
    if (e) return e;
  }
  if (b.reminders !== undefined) {
    const r = b.reminders as Record<string, unknown>;
    if (!r || typeof r !== "object" || typeof r.useDefault !== "boolean") return ERRORS.invalid("Invalid reminders.", "reminders.useDefault");
    const overrides = r.overrides ?? [];
    if (!Array.isArray(overrides) || overrides.length > 5) return ERRORS.invalid("Too many reminders.", "reminders.overrides");
    if (r.useDefault && overrides.length) return ERRORS.invalid("Cannot specify both default reminders and overrides at the same time.", "reminders");
    for (const o of overrides as Array<Record<string, unknown>>) {
      if (!["email", "popup"].includes(o?.method as string) || !Number.isInteger(o?.minutes) || (o.minutes as number) < 0 || (o.minutes as number) > 40320) return ERRORS.invalid("Invalid reminder.", "reminders.overrides");
    }
  }
  if (b.extendedProperties !== undefined) {
    const x = b.extendedProperties as Record<string, unknown>;
    if (!x || typeof x !== "object") return ERRORS.invalid("Invalid extendedProperties.", "extendedProperties");
    for (const scope of ["private", "shared"]) {
      const m = x[scope];
      if (m === undefined) continue;
      if (!m || typeof m !== "object" || Object.values(m).some((v) => typeof v !== "string")) return ERRORS.invalid(`Invalid extendedProperties.${scope}.`, `extendedProperties.${scope}`);
    }
  }
  return null;
}

function etag(ev: StoredGoogleEvent): string {
  return `"${createHash("sha1").update(`${ev.id}|${ev.updated}|${ev.sequence}`).digest("hex").slice(0, 16)}"`;
}

function applyFields(ev: StoredGoogleEvent, b: Record<string, unknown>, mode: "patch" | "update"): void {
  const optional = ["summary", "description", "location", "transparency", "visibility", "colorId", "reminders"] as const;
  for (const f of optional) {
    if (b[f] !== undefined) (ev as unknown as Record<string, unknown>)[f] = structuredClone(b[f]);
    else if (mode === "update") delete (ev as unknown as Record<string, unknown>)[f];
  }
  if (b.start !== undefined) ev.start = structuredClone(b.start) as GoogleTime;
  if (b.end !== undefined) ev.end = structuredClone(b.end) as GoogleTime;
  if (b.status !== undefined) ev.status = b.status as StoredGoogleEvent["status"];
  if (b.extendedProperties !== undefined) {
    // A patch merges the maps of extendedProperties key by key, as Google's patch semantics do for maps.
    const x = b.extendedProperties as StoredGoogleEvent["extendedProperties"] & object;
    if (mode === "update") ev.extendedProperties = structuredClone(x);
    else {
      ev.extendedProperties = {
        ...(x.private || ev.extendedProperties?.private ? { private: { ...ev.extendedProperties?.private, ...x.private } } : {}),
        ...(x.shared || ev.extendedProperties?.shared ? { shared: { ...ev.extendedProperties?.shared, ...x.shared } } : {}),
      };
    }
  }
}

function newId(): string {
  const alphabet = "0123456789abcdefghijklmnopqrstuv";
  let s = "";
  for (let i = 0; i < 26; i++) s += alphabet[Math.floor(Math.random() * 32)];
  return s;
}

export function createCalendar(deps: CalendarDeps) {
  const { state, clock, traffic } = deps;

  /** The user an access token speaks for, or the 401/403 answer. */
  function authorize(req: SbRequest): { email: string } | { error: ApiErrorSpec } {
    const m = /^Bearer (.+)$/i.exec(req.headers.authorization ?? "");
    const grant = m ? state.accessTokens.get(m[1]!.trim()) : undefined;
    if (!grant || grant.expiresAt <= clock.now()) return { error: ERRORS.authError() };
    if (!grant.scopes.includes(CALENDAR_SCOPE) && !grant.scopes.includes(CALENDAR_EVENTS_SCOPE)) return { error: ERRORS.insufficientScope() };
    return { email: grant.email };
  }

  function eventsOf(email: string) {
    return state.calendar(email);
  }

  function view(ev: StoredGoogleEvent): StoredGoogleEvent {
    return structuredClone(ev);
  }

  function list(req: SbRequest, email: string): SbResponse {
    const cal = eventsOf(email);
    const filters = req.query.getAll("privateExtendedProperty").map((p) => {
      const i = p.indexOf("=");
      return i < 0 ? null : ([p.slice(0, i), p.slice(i + 1)] as const);
    });
    if (filters.some((f) => f === null)) return apiError(ERRORS.invalid("Invalid privateExtendedProperty: expected propertyName=value.", "privateExtendedProperty"));
    const maxResults = Math.min(2500, Math.max(1, Number(req.query.get("maxResults") ?? 250) || 250));
    const showDeleted = req.query.get("showDeleted") === "true";
    const all = [...cal.events.values()]
      .filter((e) => showDeleted || e.status !== "cancelled")
      .filter((e) => filters.every((f) => e.extendedProperties?.private?.[f![0]] === f![1]))
      .sort((a, b) => instant(a.start) - instant(b.start) || a.id.localeCompare(b.id));
    const offset = Number(req.query.get("pageToken") ? Buffer.from(req.query.get("pageToken")!, "base64url").toString("utf8") : 0) || 0;
    const page = all.slice(offset, offset + maxResults);
    const body: Record<string, unknown> = {
      kind: "calendar#events", etag: `"${all.length}"`, summary: email, updated: new Date(clock.now()).toISOString(), timeZone: "UTC", accessRole: "owner",
      defaultReminders: [{ method: "popup", minutes: 10 }], items: page.map(view),
    };
    if (offset + maxResults < all.length) body.nextPageToken = Buffer.from(String(offset + maxResults)).toString("base64url");
    return json(200, body);
  }

  function insert(req: SbRequest, email: string, body: Record<string, unknown>): SbResponse {
    const err = checkEventBody(body, "insert");
    if (err) return apiError(err);
    const cal = eventsOf(email);
    const id = (body.id as string | undefined) ?? newId();
    // A client-chosen id stays taken after its event is deleted.
    if (cal.events.has(id) || cal.deleted.has(id)) return apiError(ERRORS.duplicate());
    if (instant(body.end as GoogleTime) < instant(body.start as GoogleTime)) return apiError({ status: 400, domain: "calendar", reason: "timeRangeEmpty", message: "The specified time range is empty.", locationType: "parameter", location: "end" });
    const now = new Date(clock.now()).toISOString();
    const ev: StoredGoogleEvent = {
      kind: "calendar#event", id, etag: "", status: "confirmed", htmlLink: `${req.baseUrl}/calendar/event?eid=${Buffer.from(`${id} ${email}`).toString("base64url")}`,
      created: now, updated: now, start: { date: "" }, end: { date: "" }, iCalUID: `${id}@google.com`, sequence: 0,
      creator: { email, self: true }, organizer: { email, self: true }, eventType: "default",
    };
    applyFields(ev, body, "update");
    ev.etag = etag(ev);
    cal.events.set(id, ev);
    return json(200, view(ev));
  }

  function change(req: SbRequest, email: string, id: string, body: Record<string, unknown>, mode: "patch" | "update"): SbResponse {
    const err = checkEventBody(body, mode);
    if (err) return apiError(err);
    const cal = eventsOf(email);
    const ev = cal.events.get(id);
    if (!ev) return apiError(cal.deleted.has(id) ? ERRORS.deleted() : ERRORS.notFound());
    const next = structuredClone(ev);
    applyFields(next, body, mode);
    if (instant(next.end) < instant(next.start)) return apiError({ status: 400, domain: "calendar", reason: "timeRangeEmpty", message: "The specified time range is empty.", locationType: "parameter", location: "end" });
    next.updated = new Date(clock.now()).toISOString();
    next.sequence = ev.sequence + 1;
    next.etag = etag(next);
    cal.events.set(id, next);
    return json(200, view(next));
  }

  function remove(email: string, id: string): SbResponse {
    const cal = eventsOf(email);
    if (!cal.events.has(id)) return apiError(cal.deleted.has(id) ? ERRORS.deleted() : ERRORS.notFound());
    cal.events.delete(id);
    cal.deleted.add(id);
    return { status: 204, headers: {}, body: "" };
  }

  /** One Calendar API request, already admitted; `email` is the token's user. */
  function perform(req: SbRequest, email: string, calendarId: string, eventId: string | undefined): SbResponse {
    // A user reaches their own primary calendar, as "primary" or by their address.
    if (calendarId !== "primary" && calendarId.toLowerCase() !== email) return apiError(ERRORS.notFound());
    let body: Record<string, unknown> = {};
    if (req.method === "POST" || req.method === "PATCH" || req.method === "PUT") {
      try {
        body = JSON.parse(req.bodyText || "null") as Record<string, unknown>;
      } catch {
        return apiError({ status: 400, domain: "global", reason: "parseError", message: "Parse Error" });
      }
    }
    if (eventId === undefined) {
      if (req.method === "GET") return list(req, email);
      if (req.method === "POST") return insert(req, email, body);
      return apiError({ status: 405, domain: "global", reason: "httpMethodNotAllowed", message: "Method Not Allowed" });
    }
    const cal = eventsOf(email);
    if (req.method === "GET") {
      const ev = cal.events.get(eventId);
      return ev ? json(200, view(ev)) : apiError(cal.deleted.has(eventId) ? ERRORS.deleted() : ERRORS.notFound());
    }
    if (req.method === "PATCH") return change(req, email, eventId, body, "patch");
    if (req.method === "PUT") return change(req, email, eventId, body, "update");
    if (req.method === "DELETE") return remove(email, eventId);
    return apiError({ status: 405, domain: "global", reason: "httpMethodNotAllowed", message: "Method Not Allowed" });
  }

  /**
   * A Calendar API request from the wire or from a batch: authorization, faults, the user's quota,
   * latency, then the operation. Null for a path that is not the Calendar API's.
   */
  async function handle(req: SbRequest): Promise<CalendarAnswer | null> {
    const m = EVENTS_PATH.exec(req.path);
    if (!m) return req.path.startsWith("/calendar/v3/") ? apiError(ERRORS.notFound()) : null;
    const auth = authorize(req);
    if ("error" in auth) return fail(auth.error);
    const email = auth.email;
    const calendarId = decodeURIComponent(m[1]!);
    const eventId = m[2] === undefined ? undefined : decodeURIComponent(m[2]);
    const fault = traffic.fault("calendar", req.method, req.rawUrl, email);
    if (fault?.kind === "error") return { ...apiError(fault.error), user: email };
    if (fault?.kind === "drop") return { status: 0, drop: true, user: email };
    const admitted = traffic.admit(email);
    if (!admitted.ok) return { ...apiError(admitted.error), user: email };
    try {
      if (traffic.latencyMs > 0) await new Promise((r) => setTimeout(r, traffic.latencyMs));
      const out = perform(req, email, calendarId, eventId);
      if (fault?.kind === "drop-after") return { ...out, drop: true, user: email };
      return { ...out, user: email };
    } finally {
      admitted.release();
    }
  }

  return { handle, checkEventBody };
}
