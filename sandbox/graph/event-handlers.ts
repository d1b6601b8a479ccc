// The event operations behind /events and /calendarView: list (filter, select, expand, order,
// paging), create (validation, transactionId), get, update (If-Match), delete.
import type { SandboxClock } from "../clock.ts";
import { json } from "../http-types.ts";
import type { SbRequest, SbResponse } from "../http-types.ts";
import type { DirectoryUser, StoredEvent, Store } from "../store.ts";
import { GE, graphError } from "./errors.ts";
import type { GraphErrorSpec } from "./errors.ts";
import { cloneData, createEvent, filterView, instantOf, presentEvent, updateEvent } from "./events.ts";
import type { DateTimeTimeZone, PresentOptions } from "./events.ts";
import { evaluate, FilterError, parseFilter, topLevelProps } from "./filter.ts";
import { resolveTimeZone } from "./timezones.ts";
import { isEventProperty, validateEventBody } from "./validate-event.ts";

const DEFAULT_PAGE = 10;
const MAX_PAGE = 1000;

export interface EventHandlers {
  /** The events of one calendar (the default one unless `calendarId` names another). */
  listEvents(req: SbRequest, owner: DirectoryUser, window?: { start: number; end: number }, calendarId?: string): SbResponse;
  createOne(req: SbRequest, owner: DirectoryUser, calendarId?: string): SbResponse;
  listCalendars(req: SbRequest, owner: DirectoryUser): SbResponse;
  getCalendar(req: SbRequest, owner: DirectoryUser, calendarId: string): SbResponse;
  /** The calendar's id when the mailbox has it ("Calendar" for the default one), else undefined. */
  calendarOf(owner: DirectoryUser, idOrDefault: string): string | undefined;
  sharedCalendar(owner: DirectoryUser, calendarId: string): boolean;
  getOne(req: SbRequest, owner: DirectoryUser, id: string): SbResponse;
  patchOne(req: SbRequest, owner: DirectoryUser, id: string): SbResponse;
  deleteOne(req: SbRequest, owner: DirectoryUser, id: string): SbResponse;
}

export function createEventHandlers(store: Store, clock: SandboxClock): EventHandlers {
  const err = (req: SbRequest, e: GraphErrorSpec) => graphError(req, clock.now(), e);

  function preferences(req: SbRequest): { timeZone: string; bodyAsText: boolean; immutableIds: boolean; applied: string[]; badTimeZone?: string } {
    const prefer = req.headers.prefer ?? "";
    const applied: string[] = [];
    let timeZone = "UTC";
    let badTimeZone: string | undefined;
    const tz = /outlook\.timezone\s*=\s*"([^"]*)"/i.exec(prefer);
    if (tz && resolveTimeZone(tz[1]!)) {
      timeZone = tz[1]!;
      applied.push(`outlook.timezone="${timeZone}"`);
    } else if (tz) {
      badTimeZone = tz[1]!;
    }
    const bodyType = /outlook\.body-content-type\s*=\s*"?(text|html)"?/i.exec(prefer);
    const bodyAsText = bodyType?.[1]?.toLowerCase() === "text";
    if (bodyType) applied.push(`outlook.body-content-type="${bodyType[1]!.toLowerCase()}"`);
    // "Obtain immutable identifiers for Outlook resources": the header applies to its request only.
    const immutableIds = /IdType\s*=\s*"?ImmutableId"?/i.test(prefer);
    if (immutableIds) applied.push(`IdType="ImmutableId"`);
    return { timeZone, bodyAsText, immutableIds, applied, badTimeZone };
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
    if (prefs.badTimeZone !== undefined) {
      // Graph refuses an unknown Prefer time zone instead of falling back to UTC.
      return {
        status: 400,
        code: "TimeZoneNotSupportedException",
        message: `A valid TimeZone value must be specified. The following TimeZone value is not supported: '${prefs.badTimeZone}'.`,
      };
    }
    const opts: PresentOptions = { timeZone: prefs.timeZone, bodyAsText: prefs.bodyAsText, immutableIds: prefs.immutableIds };
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

  /** By regular or immutable id, in any folder of the mailbox (Deleted Items included), as Exchange finds items. */
  function findEvent(owner: DirectoryUser, id: string): StoredEvent | undefined {
    return store.mailbox(owner.id).find((e) => e.id === id || e._immutableId === id);
  }

  function calendarOf(owner: DirectoryUser, idOrDefault: string): string | undefined {
    const calendars = store.calendars(owner.id);
    return calendars.find((c) => c.id === idOrDefault)?.id;
  }

  /** A calendar shared by another user, when `calendarId` is one: its events are refused (403). */
  function sharedCalendar(owner: DirectoryUser, calendarId: string): boolean {
    return store.calendars(owner.id).some((c) => c.id === calendarId && c.sharedBy);
  }

  function presentCalendar(owner: DirectoryUser, c: { id: string; name: string; sharedBy?: string }): Record<string, unknown> {
    const isDefault = c.id === store.defaultCalendarId(owner.id);
    return {
      id: c.id,
      name: c.name,
      color: "auto",
      hexColor: "",
      isDefaultCalendar: isDefault,
      changeKey: "fJKVL07sbkmIfHqjbDnRgQAAAAAAAA==",
      canShare: true,
      canViewPrivateItems: true,
      canEdit: true,
      allowedOnlineMeetingProviders: ["teamsForBusiness"],
      defaultOnlineMeetingProvider: "teamsForBusiness",
      isTallyingResponses: true,
      isRemovable: !isDefault,
      owner: c.sharedBy ? { name: store.user(c.sharedBy)?.displayName ?? c.sharedBy, address: store.user(c.sharedBy)?.userPrincipalName ?? c.sharedBy } : { name: owner.displayName, address: owner.userPrincipalName },
      ...(c.sharedBy ? { canShare: false, isRemovable: true } : {}),
    };
  }

  /** GET /me/calendars: every calendar of the mailbox ($select, $top/$skip paging with nextLink). */
  function listCalendars(req: SbRequest, owner: DirectoryUser): SbResponse {
    const all = store.calendars(owner.id);
    const top = req.query.get("$top") === null ? DEFAULT_PAGE : Number(req.query.get("$top"));
    const skip = req.query.get("$skip") === null ? 0 : Number(req.query.get("$skip"));
    if (!Number.isInteger(top) || top < 0 || !Number.isInteger(skip) || skip < 0) {
      return err(req, { status: 400, code: "BadRequest", message: `Invalid value for $top or $skip query option.` });
    }
    const select = req.query.get("$select")?.split(",").map((x) => x.trim()).filter(Boolean);
    const page = all.slice(skip, skip + Math.min(top, MAX_PAGE)).map((c) => {
      const full = presentCalendar(owner, c);
      return select ? Object.fromEntries(Object.entries(full).filter(([k]) => k === "id" || select.includes(k))) : full;
    });
    const body: Record<string, unknown> = { "@odata.context": `${req.baseUrl}/v1.0/$metadata#users('${owner.id}')/calendars`, value: page };
    if (skip + Math.min(top, MAX_PAGE) < all.length) {
      const q = new URLSearchParams(req.query);
      q.set("$top", String(Math.min(top, MAX_PAGE)));
      q.set("$skip", String(skip + Math.min(top, MAX_PAGE)));
      body["@odata.nextLink"] = `${req.baseUrl}${req.path}?${q.toString().replace(/%24/g, "$")}`;
    }
    return json(200, body);
  }

  function getCalendar(req: SbRequest, owner: DirectoryUser, calendarId: string): SbResponse {
    const c = store.calendars(owner.id).find((x) => x.id === calendarId);
    if (!c) return err(req, GE.notFound());
    return json(200, { "@odata.context": `${req.baseUrl}/v1.0/$metadata#users('${owner.id}')/calendars/$entity`, ...presentCalendar(owner, c) });
  }

  // ---- events ----------------------------------------------------------------------------------

  function listEvents(req: SbRequest, owner: DirectoryUser, window?: { start: number; end: number }, calendarId?: string): SbResponse {
    const opts = readOptions(req);
    if ("status" in opts) return err(req, opts);
    // A collection is one calendar: /me/events and /me/calendar/events are the default calendar's
    // (Graph's user resource: "Default is to show Events under the Default Calendar"); Deleted
    // Items is no calendar and never listed.
    const folder = calendarId ?? store.defaultCalendarId(owner.id);
    let events = store.mailbox(owner.id).filter((e) => store.folderOf(owner.id, e) === folder);
    if (window) {
      events = events.filter((e) => {
        if (!e.start || !e.end) return false;
        // All-day events float: Exchange matches them to the window as UTC midnight to midnight.
        const zoned = (d: DateTimeTimeZone) => (e.isAllDay === true ? { dateTime: d.dateTime, timeZone: "UTC" } : d);
        const s = instantOf(zoned(e.start as DateTimeTimeZone));
        const en = instantOf(zoned(e.end as DateTimeTimeZone));
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
      events = events.filter((e) => evaluate(node, filterView(e)));
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
          return v ? instantOf(v) : null;
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
      events.sort((a, b) => instantOf(a.start as DateTimeTimeZone) - instantOf(b.start as DateTimeTimeZone));
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

  function createOne(req: SbRequest, owner: DirectoryUser, calendarId?: string): SbResponse {
    const parsed = parseBody(req);
    if (!parsed.ok) return err(req, GE.badJson());
    const v = validateEventBody(parsed.value, "create");
    if (!v.ok) return err(req, v.error);
    const box = store.mailbox(owner.id);
    const opts = readOptions(req);
    if ("status" in opts) return err(req, opts);
    const txn = v.body.transactionId;
    const ev = createEvent(owner, v.body, clock.now(), webLinkBase(req, owner), calendarId);
    if (typeof txn === "string") {
      // transactionId: a retried POST returns the event the first POST created, never a second one.
      // Reused for a different event, or after its event was deleted, it is refused (as reported
      // of Exchange): 400 ErrorDuplicateTransactionId.
      const existing = box.find((e) => e.transactionId === txn);
      if (existing && sameEvent(existing, ev)) {
        return withPrefs(req, json(201, { "@odata.context": `${contextFor(req, owner)}/$entity`, ...presentEvent(existing, opts) }, locationHeader(req, owner, existing)));
      }
      if (existing || store.transactionIdSpent(owner.id, txn)) {
        return err(req, { status: 400, code: "ErrorDuplicateTransactionId", message: `The transaction id '${txn}' has already been used by another item.` });
      }
    }
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
    if (instantOf(e) < instantOf(s)) {
      return { status: 400, code: "ErrorPropertyValidationFailure", message: "At least one property failed validation." };
    }
    if (ev.isAllDay === true) {
      const midnight = (d: DateTimeTimeZone) => /T00:00:00(\.0+)?$/.test(d.dateTime);
      if (!midnight(s) || !midnight(e) || s.timeZone !== e.timeZone || instantOf(e) === instantOf(s)) {
        return {
          status: 400,
          code: "ErrorInvalidRequest",
          message: "Your request can't be completed. If the event is an all-day event, the start and end times must be set to midnight, and in the same time zone.",
        };
      }
    }
    return null;
  }

  /** The same event as far as a retried create can tell: subject, start and end. */
  function sameEvent(a: StoredEvent, b: StoredEvent): boolean {
    const at = (d: unknown) => (d ? instantOf(d as DateTimeTimeZone) : null);
    return a.subject === b.subject && at(a.start) === at(b.start) && at(a.end) === at(b.end);
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
    const opts = readOptions(req);
    if ("status" in opts) return err(req, opts);
    if (ifMatchFails(req, ev)) return err(req, CONFLICT);
    if ("transactionId" in v.body && ev.transactionId !== null && v.body.transactionId !== ev.transactionId) {
      return err(req, { status: 400, code: "ErrorInvalidRequest", message: "The transactionId of an event cannot be changed once it is set." });
    }
    const next = cloneData(ev);
    updateEvent(next, v.body, clock.now());
    const badRange = invalidRange(next);
    if (badRange) return err(req, badRange);
    Object.assign(ev, next);
    store.save();
    return withPrefs(req, json(200, { "@odata.context": `${contextFor(req, owner)}/$entity`, ...presentEvent(ev, opts) }));
  }

  function deleteOne(req: SbRequest, owner: DirectoryUser, id: string): SbResponse {
    const box = store.mailbox(owner.id);
    const i = box.findIndex((e) => e.id === id || e._immutableId === id);
    if (i < 0) return err(req, GE.notFound());
    if (ifMatchFails(req, box[i]!)) return err(req, CONFLICT);
    const [gone] = box.splice(i, 1);
    if (typeof gone?.transactionId === "string") store.spendTransactionId(owner.id, gone.transactionId);
    store.save();
    return { status: 204, headers: {}, body: "" };
  }

  return { listEvents, createOne, getOne, patchOne, deleteOne, listCalendars, getCalendar, calendarOf, sharedCalendar };
}
