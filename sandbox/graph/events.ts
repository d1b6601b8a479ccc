// Event storage operations and the way Graph presents events: all properties with defaults,
// start/end in UTC unless Prefer: outlook.timezone asks otherwise, text bodies returned as HTML
// unless Prefer: outlook.body-content-type="text", @odata.etag = W/"changeKey".
import { randomBytes } from "node:crypto";
import { DateTime } from "luxon";
import type { DirectoryUser, StoredEvent } from "../store.ts";
import { normalizeExtPropId } from "./filter.ts";
import { resolveTimeZone } from "./timezones.ts";
import { instantMillis, localDateTime } from "./zoned.ts";

export interface DateTimeTimeZone {
  dateTime: string;
  timeZone: string;
}

/** Graph's timestamp style: 7 fractional digits. */
export function graphInstant(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$10000Z");
}

export function toInstant(dtz: DateTimeTimeZone): DateTime {
  const zone = resolveTimeZone(dtz.timeZone) ?? "UTC";
  return DateTime.fromISO(dtz.dateTime.slice(0, 23), { zone });
}

/** toInstant(dtz).toMillis(), without luxon on the common path (zoned.ts). */
export function instantOf(dtz: DateTimeTimeZone): number {
  return instantMillis(dtz.dateTime.slice(0, 23), resolveTimeZone(dtz.timeZone) ?? "UTC");
}

export function normalizeDtz(dtz: DateTimeTimeZone): DateTimeTimeZone {
  return { dateTime: localDateTime(dtz.dateTime.slice(0, 23), resolveTimeZone(dtz.timeZone) ?? "UTC"), timeZone: dtz.timeZone };
}

function present(dtz: DateTimeTimeZone, targetZone: string, allDay: boolean): DateTimeTimeZone {
  if (allDay) return { dateTime: normalizeDtz(dtz).dateTime, timeZone: targetZone };
  const zone = resolveTimeZone(targetZone) ?? "UTC";
  return { dateTime: localDateTime(dtz.dateTime.slice(0, 23), resolveTimeZone(dtz.timeZone) ?? "UTC", zone), timeZone: targetZone };
}

/** Random bytes handed out from one larger randomBytes() draw (one call per few dozen ids, not three per event). */
let randomPool = Buffer.alloc(0);
let randomAt = 0;
function random(n: number): Buffer {
  if (randomAt + n > randomPool.length) {
    randomPool = randomBytes(Math.max(8192, n));
    randomAt = 0;
  }
  const out = randomPool.subarray(randomAt, randomAt + n);
  randomAt += n;
  return out;
}

export function newEventId(): string {
  // Exchange ids are long base64 strings; keep '-', '_' and '=' so clients must URL-encode.
  return `AAMkAGSandbox${random(96).toString("base64").replace(/\+/g, "-").replace(/\//g, "_")}`;
}

export function newChangeKey(): string {
  return `DwAAABYAAAA${random(18).toString("base64")}`;
}

function newICalUId(): string {
  return `040000008200E00074C5B7101A82E00800000000${random(24).toString("hex").toUpperCase()}`;
}

function normalizeLocation(loc: unknown): Record<string, unknown> {
  const l = (loc ?? {}) as Record<string, unknown>;
  const displayName = typeof l.displayName === "string" ? l.displayName : "";
  return {
    displayName,
    locationType: l.locationType ?? "default",
    ...(displayName ? { uniqueId: l.uniqueId ?? displayName, uniqueIdType: l.uniqueIdType ?? "private" } : { uniqueIdType: l.uniqueIdType ?? "unknown" }),
    ...(l.locationUri !== undefined ? { locationUri: l.locationUri } : {}),
    ...(l.locationEmailAddress !== undefined ? { locationEmailAddress: l.locationEmailAddress } : {}),
    address: l.address ?? {},
    coordinates: l.coordinates ?? {},
  };
}

function textOf(body: unknown): string {
  const b = (body ?? {}) as { contentType?: string; content?: string };
  const content = b.content ?? "";
  if (b.contentType === "html") return content.replace(/<style[\s\S]*?<\/style>/gi, "").replace(/<[^>]+>/g, "").replace(/&nbsp;/g, " ").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&").trim();
  return content;
}

function asHtml(text: string): string {
  const escaped = text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/\r?\n/g, "<br>\r\n");
  return `<html>\r\n<head>\r\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\r\n</head>\r\n<body>\r\n<div class="PlainText">${escaped}</div>\r\n</body>\r\n</html>\r\n`;
}

function mergeExtended(existing: unknown, incoming: unknown): Array<Record<string, unknown>> {
  const out = Array.isArray(existing) ? (structuredClone(existing) as Array<Record<string, unknown>>) : [];
  for (const item of (incoming as Array<Record<string, unknown>>) ?? []) {
    const key = normalizeExtPropId(String(item.id));
    const i = out.findIndex((p) => normalizeExtPropId(String(p.id)) === key);
    const clean = { id: String(item.id).trim(), value: item.value };
    if (i >= 0) out[i] = clean;
    else out.push(clean);
  }
  return out;
}

function applyBody(ev: StoredEvent, body: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(body)) {
    if (key === "singleValueExtendedProperties" || key === "multiValueExtendedProperties") {
      ev[key] = mergeExtended(ev[key], value);
    } else if (key === "start" || key === "end") {
      const dtz = normalizeDtz(value as DateTimeTimeZone);
      ev[key] = dtz;
      ev[key === "start" ? "originalStartTimeZone" : "originalEndTimeZone"] = dtz.timeZone;
    } else if (key === "location") {
      ev.location = normalizeLocation(value);
      if (!("locations" in body)) ev.locations = (ev.location as { displayName: string }).displayName ? [ev.location] : [];
    } else if (key === "locations") {
      ev.locations = ((value as unknown[]) ?? []).map(normalizeLocation);
    } else if (key === "body") {
      const b = (value ?? { contentType: "text", content: "" }) as Record<string, unknown>;
      ev.body = { contentType: b.contentType ?? "text", content: b.content ?? "" };
    } else if (key === "attendees") {
      ev.attendees = ((value as Array<Record<string, unknown>>) ?? []).map((a) => ({
        type: a.type ?? "required",
        status: { response: "none", time: "0001-01-01T00:00:00Z" },
        emailAddress: a.emailAddress,
      }));
    } else {
      ev[key] = value;
    }
  }
  ev.bodyPreview = textOf(ev.body).slice(0, 255);
}

/**
 * An immutable id (Graph "Obtain immutable identifiers for Outlook resources"): kept for the
 * event's life in the mailbox, while its regular id changes whenever the event moves to another
 * folder or calendar.
 */
export function newImmutableId(): string {
  return `AAkALgSandboxImm${random(72).toString("base64").replace(/\+/g, "-").replace(/\//g, "_")}`;
}

/** Sandbox bookkeeping on a stored event (its folder, its immutable id): never presented. */
export const isBookkeeping = (key: string): boolean => key.startsWith("_");

export function createEvent(owner: DirectoryUser, body: Record<string, unknown>, nowMs: number, webLinkBase: string, folder?: string): StoredEvent {
  const id = newEventId();
  const ev: StoredEvent = {
    _immutableId: newImmutableId(),
    ...(folder ? { _folder: folder } : {}),
    id,
    createdDateTime: graphInstant(nowMs),
    lastModifiedDateTime: graphInstant(nowMs),
    changeKey: newChangeKey(),
    categories: [],
    transactionId: null,
    originalStartTimeZone: "UTC",
    originalEndTimeZone: "UTC",
    iCalUId: newICalUId(),
    reminderMinutesBeforeStart: 15,
    isReminderOn: true,
    hasAttachments: false,
    subject: "",
    bodyPreview: "",
    importance: "normal",
    sensitivity: "normal",
    isAllDay: false,
    isCancelled: false,
    isOrganizer: true,
    responseRequested: true,
    seriesMasterId: null,
    showAs: "busy",
    type: "singleInstance",
    webLink: `${webLinkBase}?itemid=${encodeURIComponent(id)}`,
    onlineMeetingUrl: null,
    isOnlineMeeting: false,
    onlineMeetingProvider: "unknown",
    allowNewTimeProposals: true,
    isDraft: false,
    hideAttendees: false,
    responseStatus: { response: "organizer", time: "0001-01-01T00:00:00Z" },
    body: { contentType: "text", content: "" },
    start: null,
    end: null,
    location: normalizeLocation({}),
    locations: [],
    recurrence: null,
    attendees: [],
    organizer: { emailAddress: { name: owner.displayName, address: owner.userPrincipalName } },
    onlineMeeting: null,
  };
  applyBody(ev, body);
  return ev;
}

export function updateEvent(ev: StoredEvent, body: Record<string, unknown>, nowMs: number): void {
  applyBody(ev, body);
  ev.lastModifiedDateTime = graphInstant(nowMs);
  ev.changeKey = newChangeKey();
}

export interface PresentOptions {
  timeZone: string;
  bodyAsText: boolean;
  select?: string[];
  /** Prefer: IdType="ImmutableId": the event's immutable id in place of its regular id. */
  immutableIds?: boolean;
  /** Extended properties to include (already filtered), by collection name. */
  expand?: { single?: (p: Record<string, unknown>) => boolean; multi?: (p: Record<string, unknown>) => boolean };
}

const utcCache = new WeakMap<StoredEvent, { changeKey: unknown; start: DateTimeTimeZone | null; end: DateTimeTimeZone | null }>();

/** What $filter sees: stored values (not copied), start/end in UTC as Graph compares them. */
export function filterView(ev: StoredEvent): Record<string, unknown> {
  let utc = utcCache.get(ev);
  if (!utc || utc.changeKey !== ev.changeKey) {
    const allDay = ev.isAllDay === true;
    utc = {
      changeKey: ev.changeKey,
      start: ev.start ? present(ev.start as DateTimeTimeZone, "UTC", allDay) : null,
      end: ev.end ? present(ev.end as DateTimeTimeZone, "UTC", allDay) : null,
    };
    utcCache.set(ev, utc);
  }
  // The stored event as prototype: property reads fall through, nothing is copied.
  return Object.assign(Object.create(ev) as Record<string, unknown>, {
    start: utc.start,
    end: utc.end,
    singleValueExtendedProperties: ev.singleValueExtendedProperties ?? [],
    multiValueExtendedProperties: ev.multiValueExtendedProperties ?? [],
  });
}

/**
 * structuredClone for what events hold (JSON data: plain objects, arrays, primitives), without its
 * fixed cost per call; anything else goes to structuredClone itself.
 */
export function cloneData<T>(value: T): T {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype) return structuredClone(value);
    const out = new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) return structuredClone(value);
      out[i] = cloneData(value[i]);
    }
    return out as T;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return structuredClone(value);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value)) {
    if (k === "__proto__") return structuredClone(value);
    out[k] = cloneData((value as Record<string, unknown>)[k]);
  }
  return out as T;
}

export function presentEvent(ev: StoredEvent, opts: PresentOptions): Record<string, unknown> {
  const allDay = ev.isAllDay === true;
  const out: Record<string, unknown> = { "@odata.etag": `W/"${String(ev.changeKey)}"` };
  const full: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(ev)) {
    if (k === "singleValueExtendedProperties" || k === "multiValueExtendedProperties" || isBookkeeping(k)) continue;
    full[k] = cloneData(v);
  }
  if (ev.start) full.start = present(ev.start as DateTimeTimeZone, opts.timeZone, allDay);
  if (ev.end) full.end = present(ev.end as DateTimeTimeZone, opts.timeZone, allDay);
  const body = (ev.body ?? { contentType: "text", content: "" }) as { contentType: string; content: string };
  if (opts.bodyAsText) full.body = { contentType: "text", content: textOf(body) };
  else full.body = { contentType: "html", content: body.contentType === "html" ? body.content : asHtml(body.content) };
  if (opts.immutableIds && typeof ev._immutableId === "string") full.id = ev._immutableId;
  if (opts.select) {
    out.id = full.id;
    for (const p of opts.select) if (p in full) out[p] = full[p];
  } else {
    Object.assign(out, full);
  }
  if (opts.expand?.single) {
    out.singleValueExtendedProperties = ((ev.singleValueExtendedProperties as Array<Record<string, unknown>>) ?? []).filter(opts.expand.single).map((p) => ({ ...p }));
  }
  if (opts.expand?.multi) {
    out.multiValueExtendedProperties = ((ev.multiValueExtendedProperties as Array<Record<string, unknown>>) ?? []).filter(opts.expand.multi).map((p) => ({ ...p }));
  }
  return out;
}
