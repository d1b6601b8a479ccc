// Test and demo controls, usable in-process (Sandbox.control) and over HTTP under /_sandbox/.
import type { SandboxClock } from "./clock.ts";
import type { FaultRule, LatencyRule, Traffic } from "./graph/traffic.ts";
import { BATCH_DISPATCH_MODES, type ThrottleConfig } from "./config.ts";
import { decodeSegment, json } from "./http-types.ts";
import type { SbRequest, SbResponse } from "./http-types.ts";
import type { LoggedRequest, RequestLog } from "./request-log.ts";
import { DELETED_ITEMS } from "./store.ts";
import type { AppSettings, ConsentGrant, SandboxCalendar, StoredEvent, Store, TenantSettings, UserSettings } from "./store.ts";
import { TRIPCAL_APP } from "./seed.ts";
import { newChangeKey, newEventId, updateEvent } from "./graph/events.ts";
import { validateEventBody } from "./graph/validate-event.ts";

export interface SandboxControl {
  /** Sandbox-clock now, ms since epoch. */
  now(): number;
  advanceClock(ms: number): number;
  /** Revoke every refresh token of the user issued before now (AADSTS50173 on the next refresh). */
  revokeUserSessions(userIdOrUpn: string): void;
  /** Remove the app's consent (admin and user grants) in a tenant (AADSTS65001 on the next refresh). */
  revokeConsent(tenantIdOrDomain: string, clientId?: string): number;
  /** Grant tenant-wide admin consent without the browser flow. */
  grantConsent(tenantIdOrDomain: string, scopes?: string[], clientId?: string): void;
  consents(tenantIdOrDomain?: string): ConsentGrant[];
  /** A tenant's settings (user consent allowed, consent propagation delay); returns them all. */
  setTenantSettings(tenantIdOrDomain: string, patch: TenantSettings): TenantSettings;
  /** A user's settings (mailbox location, mailbox access, Conditional Access, guest of tenants); returns them all. */
  setUserSettings(userIdOrUpn: string, patch: UserSettings): UserSettings;
  /** An app registration's settings (its client secret expired); the tripcal app by default. */
  setAppSettings(patch: AppSettings, clientId?: string): AppSettings;
  setFaults(rules: FaultRule[]): void;
  addFault(rule: FaultRule): void;
  faults(): FaultRule[];
  clearFaults(): void;
  setLatency(rules: LatencyRule[] | LatencyRule | number): void;
  setThrottle(patch: Partial<ThrottleConfig>): ThrottleConfig;
  /** Events of a mailbox as stored (start/end in their original time zone). */
  mailboxEvents(userIdOrUpn: string): StoredEvent[];
  clearMailbox(userIdOrUpn: string): void;
  /** What the traveler does in Outlook: edit an event (a Graph PATCH body; new changeKey) ... */
  editEvent(userIdOrUpn: string, eventId: string, patch: Record<string, unknown>): StoredEvent;
  /** ... or delete it for good. Returns false when there was no such event. */
  deleteEvent(userIdOrUpn: string, eventId: string): boolean;
  /**
   * ... or move it: to another calendar (its id or name), or to Deleted Items ("deleteditems", what
   * Outlook's Delete does). The event gets a new regular id; its immutable id stays. Returns it.
   */
  moveEvent(userIdOrUpn: string, eventId: string, destination: string): StoredEvent;
  /** The mailbox's calendars, the default one first. */
  calendars(userIdOrUpn: string): SandboxCalendar[];
  /** A calendar the traveler adds in Outlook; returns it (with its id). */
  addCalendar(userIdOrUpn: string, name: string, options?: { sharedBy?: string }): SandboxCalendar;
  requestLog(): LoggedRequest[];
  /** Empties the request log and restarts the peak-concurrency counters. */
  clearRequestLog(): void;
  /**
   * The most Graph requests into a mailbox (user oid or UPN; events, calendarView, ... including
   * $batch items and requests refused with 429 or faulted) in progress at once since the last
   * clearRequestLog()/reset(). Without a mailbox: the highest of any mailbox.
   */
  peakConcurrency(userIdOrUpn?: string): number;
  /** Back to the seed: no consents, sessions, events, faults or log entries. */
  reset(): void;
}

export function createControl(store: Store, clock: SandboxClock, traffic: Traffic, log: RequestLog): SandboxControl {
  const tenantId = (idOrDomain: string) => {
    const t = store.tenant(idOrDomain);
    if (!t) throw new ControlError(404, `unknown tenant '${idOrDomain}'`);
    return t.id;
  };
  const userId = (idOrUpn: string) => {
    const u = store.user(idOrUpn);
    if (!u) throw new ControlError(404, `unknown user '${idOrUpn}'`);
    return u.id;
  };
  return {
    now: () => clock.now(),
    advanceClock(ms) {
      if (!Number.isFinite(ms)) throw new ControlError(400, "ms must be a number");
      clock.advance(ms);
      return clock.now();
    },
    revokeUserSessions(idOrUpn) {
      // tokensValidFrom = now: grants that started before now are refused; a sign-in right after works.
      store.revokeSessions(userId(idOrUpn), clock.now());
    },
    revokeConsent: (t, clientId) => store.revokeConsent(tenantId(t), clientId),
    grantConsent(t, scopes = ["User.Read", "Calendars.ReadWrite"], clientId = TRIPCAL_APP.clientId) {
      store.grantConsent({ tenantId: tenantId(t), clientId, principal: "AllPrincipals", scopes, grantedAt: clock.now() });
    },
    consents: (t) => store.consents(t ? tenantId(t) : undefined),
    setTenantSettings(t, patch) {
      const { userConsent, consentPropagationSeconds } = patch;
      if (userConsent !== undefined && typeof userConsent !== "boolean") throw new ControlError(400, "userConsent must be true or false");
      if (consentPropagationSeconds !== undefined && !(Number.isFinite(consentPropagationSeconds) && consentPropagationSeconds >= 0)) {
        throw new ControlError(400, "consentPropagationSeconds must be a number of seconds, 0 or more");
      }
      return store.setTenantSettings(tenantId(t), {
        ...(userConsent !== undefined ? { userConsent } : {}),
        ...(consentPropagationSeconds !== undefined ? { consentPropagationSeconds } : {}),
      });
    },
    setUserSettings(u, patch) {
      const { mailbox, mailboxAccess, conditionalAccess, guestIn } = patch;
      const check = (name: string, value: unknown, allowed: readonly string[]) => {
        if (value !== undefined && !allowed.includes(value as string)) throw new ControlError(400, `${name} must be one of ${allowed.join(", ")}`);
      };
      check("mailbox", mailbox, ["exchangeOnline", "onPremises", "inactive", "none"]);
      check("mailboxAccess", mailboxAccess, ["allowed", "denied"]);
      check("conditionalAccess", conditionalAccess, ["none", "mfa", "signInFrequency", "block"]);
      if (guestIn !== undefined && (!Array.isArray(guestIn) || guestIn.some((t) => typeof t !== "string" || !store.tenant(t)))) {
        throw new ControlError(400, "guestIn must be a list of known tenants (ids or domains)");
      }
      const home = store.user(userId(u))?.tenantId;
      if (guestIn?.some((t) => tenantId(t) === home)) throw new ControlError(400, "guestIn cannot name the user's home tenant");
      return store.setUserSettings(userId(u), {
        ...(guestIn !== undefined ? { guestIn: guestIn.map(tenantId) } : {}),
        ...(mailbox !== undefined ? { mailbox } : {}),
        ...(mailboxAccess !== undefined ? { mailboxAccess } : {}),
        ...(conditionalAccess !== undefined ? { conditionalAccess } : {}),
      });
    },
    setAppSettings(patch, clientId = TRIPCAL_APP.clientId) {
      if (!store.app(clientId)) throw new ControlError(404, `unknown app '${clientId}'`);
      if (patch.secretExpired !== undefined && typeof patch.secretExpired !== "boolean") throw new ControlError(400, "secretExpired must be true or false");
      return store.setAppSettings(clientId, { ...(patch.secretExpired !== undefined ? { secretExpired: patch.secretExpired } : {}) });
    },
    setFaults: (rules) => traffic.setFaults(rules),
    addFault: (rule) => traffic.addFault(rule),
    faults: () => traffic.listFaults(),
    clearFaults: () => traffic.setFaults([]),
    setLatency(rules) {
      if (typeof rules === "number") traffic.setLatency(rules > 0 ? [{ ms: rules }] : []);
      else traffic.setLatency(Array.isArray(rules) ? rules : [rules]);
    },
    setThrottle(patch) {
      if (patch.batchDispatch !== undefined && !(BATCH_DISPATCH_MODES as readonly string[]).includes(patch.batchDispatch)) {
        throw new ControlError(400, `batchDispatch must be one of ${BATCH_DISPATCH_MODES.join(", ")}`);
      }
      traffic.setThrottle(patch);
      return traffic.throttleConfig();
    },
    mailboxEvents: (u) => structuredClone(store.mailbox(userId(u))),
    editEvent(u, eventId, patch) {
      const ev = store.mailbox(userId(u)).find((e) => e.id === eventId || e._immutableId === eventId);
      if (!ev) throw new ControlError(404, `no event '${eventId}' in that mailbox`);
      const v = validateEventBody(patch, "update");
      if (!v.ok) throw new ControlError(400, `${v.error.code}: ${v.error.message}`);
      updateEvent(ev, v.body, clock.now());
      store.save();
      return structuredClone(ev);
    },
    deleteEvent(u, eventId) {
      const box = store.mailbox(userId(u));
      const i = box.findIndex((e) => e.id === eventId || e._immutableId === eventId);
      if (i < 0) return false;
      const [gone] = box.splice(i, 1);
      if (typeof gone?.transactionId === "string") store.spendTransactionId(userId(u), gone.transactionId);
      store.save();
      return true;
    },
    moveEvent(u, eventId, destination) {
      const id = userId(u);
      const ev = store.mailbox(id).find((e) => e.id === eventId || e._immutableId === eventId);
      if (!ev) throw new ControlError(404, `no event '${eventId}' in that mailbox`);
      const calendar = store.calendars(id).find((c) => c.id === destination || c.name === destination);
      const folder = destination.toLowerCase() === DELETED_ITEMS ? DELETED_ITEMS : calendar?.id;
      if (!folder) throw new ControlError(400, `destination must be a calendar of the mailbox (id or name) or "${DELETED_ITEMS}"`);
      if (store.folderOf(id, ev) === folder) return structuredClone(ev);
      // Moving an Outlook item gives it a new (regular) id; the immutable id stays.
      ev._folder = folder;
      ev.id = newEventId();
      ev.changeKey = newChangeKey();
      store.save();
      return structuredClone(ev);
    },
    calendars: (u) => store.calendars(userId(u)),
    addCalendar(u, name, options = {}) {
      const id = userId(u);
      const sharedBy = options.sharedBy === undefined ? undefined : store.user(options.sharedBy)?.userPrincipalName;
      if (options.sharedBy !== undefined && !sharedBy) throw new ControlError(400, `sharedBy must be a user of the directory`);
      if (typeof name !== "string" || !name.trim()) throw new ControlError(400, "name must be a calendar name");
      if (store.calendars(id).some((c) => c.name === name)) throw new ControlError(400, `the mailbox already has a calendar named '${name}'`);
      const calendar = { id: `AQMkADCalendar${newEventId().slice(13, 60)}`, name, ...(sharedBy ? { sharedBy } : {}) };
      store.addCalendar(id, calendar);
      return calendar;
    },
    clearMailbox: (u) => store.clearMailbox(userId(u)),
    requestLog: () => log.list(),
    clearRequestLog() {
      log.clear();
      traffic.clearPeaks();
    },
    peakConcurrency(u) {
      return traffic.peakConcurrency(u === undefined ? undefined : userId(u));
    },
    reset() {
      store.resetAll();
      traffic.reset();
      log.clear();
    },
  };
}

export class ControlError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** JSON routes under /_sandbox/ (see sandbox/README.md for the list). */
export function handleControl(req: SbRequest, control: SandboxControl, info: () => unknown): SbResponse | null {
  const segs = req.path.split("/").filter(Boolean).slice(1).map(decodeSegment);
  const body = (): Record<string, unknown> => {
    if (!req.bodyText) return {};
    try {
      return JSON.parse(req.bodyText) as Record<string, unknown>;
    } catch {
      throw new ControlError(400, "body must be JSON");
    }
  };
  const m = req.method;
  const route = segs.join("/");
  try {
    if (route === "info" && m === "GET") return json(200, info());
    if (route === "clock" && m === "GET") return json(200, { now: new Date(control.now()).toISOString() });
    if (route === "clock/advance" && m === "POST") {
      const b = body();
      const ms = Number(b.ms ?? 0) + Number(b.seconds ?? 0) * 1000 + Number(b.minutes ?? 0) * 60_000 + Number(b.hours ?? 0) * 3600_000 + Number(b.days ?? 0) * 86_400_000;
      return json(200, { now: new Date(control.advanceClock(ms)).toISOString() });
    }
    if (segs[0] === "users" && segs[2] === "revoke-sessions" && m === "POST") {
      control.revokeUserSessions(segs[1]!);
      return json(200, { ok: true });
    }
    if (segs[0] === "tenants" && segs[2] === "settings" && segs.length === 3 && (m === "PUT" || m === "PATCH")) {
      return json(200, control.setTenantSettings(segs[1]!, body() as TenantSettings));
    }
    if (segs[0] === "apps" && segs[2] === "settings" && segs.length === 3 && (m === "PUT" || m === "PATCH")) {
      return json(200, control.setAppSettings(body() as AppSettings, segs[1]!));
    }
    if (segs[0] === "users" && segs[2] === "settings" && segs.length === 3 && (m === "PUT" || m === "PATCH")) {
      return json(200, control.setUserSettings(segs[1]!, body() as UserSettings));
    }
    if (segs[0] === "tenants" && segs[2] === "consent" && segs.length === 3) {
      if (m === "GET") return json(200, { value: control.consents(segs[1]!) });
      if (m === "POST") {
        const b = body();
        control.grantConsent(segs[1]!, b.scopes as string[] | undefined, b.clientId as string | undefined);
        return json(200, { value: control.consents(segs[1]!) });
      }
      if (m === "DELETE") return json(200, { removed: control.revokeConsent(segs[1]!, req.query.get("clientId") ?? undefined) });
    }
    if (route === "faults") {
      if (m === "GET") return json(200, { value: control.faults() });
      if (m === "PUT") {
        control.setFaults(((body().faults ?? []) as FaultRule[]));
        return json(200, { value: control.faults() });
      }
      if (m === "POST") {
        control.addFault(body() as unknown as FaultRule);
        return json(200, { value: control.faults() });
      }
      if (m === "DELETE") {
        control.clearFaults();
        return json(200, { value: [] });
      }
    }
    if (route === "latency" && (m === "PUT" || m === "POST")) {
      const b = body();
      control.setLatency(Array.isArray(b.rules) ? (b.rules as LatencyRule[]) : { ms: Number(b.ms ?? 0), mailbox: b.mailbox as string | undefined });
      return json(200, { ok: true });
    }
    if (route === "throttle" && (m === "PUT" || m === "POST")) return json(200, control.setThrottle(body() as Partial<ThrottleConfig>));
    if (segs[0] === "mailboxes" && segs[2] === "events" && segs.length === 3) {
      if (m === "GET") return json(200, { value: control.mailboxEvents(segs[1]!) });
      if (m === "DELETE") {
        control.clearMailbox(segs[1]!);
        return json(200, { value: [] });
      }
    }
    if (segs[0] === "mailboxes" && segs[2] === "calendars" && segs.length === 3) {
      if (m === "GET") return json(200, { value: control.calendars(segs[1]!) });
      if (m === "POST") {
        const b = body();
        return json(201, control.addCalendar(segs[1]!, String(b.name ?? ""), b.sharedBy === undefined ? {} : { sharedBy: String(b.sharedBy) }));
      }
    }
    if (segs[0] === "mailboxes" && segs[2] === "events" && segs[4] === "move" && segs.length === 5 && m === "POST") {
      return json(200, control.moveEvent(segs[1]!, segs[3]!, String(body().destination ?? "")));
    }
    if (segs[0] === "mailboxes" && segs[2] === "events" && segs.length === 4) {
      if (m === "PATCH") return json(200, control.editEvent(segs[1]!, segs[3]!, body()));
      if (m === "DELETE") return control.deleteEvent(segs[1]!, segs[3]!) ? json(200, { deleted: true }) : json(404, { error: { code: "SandboxControlError", message: "no such event" } });
    }
    if (route === "requests") {
      if (m === "GET") return json(200, { value: control.requestLog() });
      if (m === "DELETE") {
        control.clearRequestLog();
        return json(200, { value: [] });
      }
    }
    if (route === "peak-concurrency" && m === "GET") {
      const mailbox = req.query.get("mailbox") ?? undefined;
      return json(200, { peak: control.peakConcurrency(mailbox), ...(mailbox ? { mailbox } : {}) });
    }
    if (route === "reset" && m === "POST") {
      control.reset();
      return json(200, { ok: true });
    }
    return null;
  } catch (e) {
    if (e instanceof ControlError) return json(e.status, { error: { code: "SandboxControlError", message: e.message } });
    throw e;
  }
}
