// Everything the sandbox remembers: the directory (from config), consent grants, refresh tokens,
// session revocations and mailboxes. Mutable state is written to <dataDir>/state.json on change so
// a demo survives a restart.
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ResolvedConfig } from "./config.ts";
import type { SeedApp, SeedTenant, SeedUser } from "./seed.ts";

export interface DirectoryUser extends SeedUser {
  tenantId: string;
}

export interface ConsentGrant {
  tenantId: string;
  clientId: string;
  /** "AllPrincipals" for admin (tenant-wide) consent, or a user's oid. */
  principal: string;
  /** Short Graph scope names, e.g. "Calendars.ReadWrite". */
  scopes: string[];
  grantedAt: number;
}

export interface RefreshTokenRecord {
  userId: string;
  tenantId: string;
  clientId: string;
  scopes: string[];
  /** When the user signed in (start of this grant chain). Compared to tokensValidFrom (AADSTS50173). */
  authTime: number;
  /** When this token was issued; inactivity is measured from here (AADSTS700082). */
  issuedAt: number;
  /** Set when redeemed: a rotated token is no longer valid. */
  redeemedAt?: number;
}

/** A Graph event as stored: Graph property names, plus sandbox bookkeeping. */
export type StoredEvent = Record<string, unknown> & { id: string };

/**
 * A tenant's settings beyond the seed, as its administrator sets them in Entra (control API).
 * - userConsent: users may consent to Calendars.* for themselves ("Allow user consent for apps");
 * - consentPropagationSeconds: a new tenant-wide consent is not yet seen by the token endpoint for
 *   this long (Microsoft: consent "can take a few minutes" to take effect).
 */
export interface TenantSettings {
  userConsent?: boolean;
  consentPropagationSeconds?: number;
}

/**
 * A user's settings beyond the seed (control API).
 * - mailbox: where the user's mailbox is. "exchangeOnline" (default) answers Graph; "onPremises",
 *   "inactive" and "none" answer 404 MailboxNotEnabledForRESTAPI;
 * - mailboxAccess "denied": Graph answers 403 ErrorAccessDenied (no Exchange Online licence, or
 *   the mailbox blocked for the user);
 * - conditionalAccess: a Conditional Access policy the token endpoint applies to every token
 *   request of the user: "mfa" AADSTS50076, "signInFrequency" AADSTS70043, "block" AADSTS53003;
 * */
export interface UserSettings {
  mailbox?: "exchangeOnline" | "onPremises" | "inactive" | "none";
  mailboxAccess?: "allowed" | "denied";
  conditionalAccess?: "none" | "mfa" | "signInFrequency" | "block";
  /** Tenants (ids) the user is a B2B guest of; their home tenant is their own `tenantId`. */
  guestIn?: string[];
}

/** An app registration's state beyond the seed (control API). */
export interface AppSettings {
  /** The client secret's end date has passed: every token request answers invalid_client AADSTS7000222. */
  secretExpired?: boolean;
}

/** A calendar folder of a mailbox. Every mailbox has its default "Calendar"; others are added (control API). */
export interface SandboxCalendar {
  id: string;
  name: string;
  /**
   * A calendar another user shared with this one (its owner's UPN): listed by /me/calendars, but
   * its events need Calendars.ReadWrite.Shared, so with Calendars.ReadWrite they answer 403.
   */
  sharedBy?: string;
}

/**
 * Where a stored event lives (sandbox bookkeeping, never presented): a calendar's id, or the
 * mailbox's Deleted Items folder. Events stored without one are in the default calendar.
 */
export const DELETED_ITEMS = "deleteditems";

interface PersistedState {
  appSettings?: Record<string, AppSettings>;
  tenantSettings?: Record<string, TenantSettings>;
  /** Calendars beyond the default one, by user id. */
  calendars?: Record<string, SandboxCalendar[]>;
  /** transactionIds of events deleted from the mailbox, by user id (ErrorDuplicateTransactionId). */
  spentTransactionIds?: Record<string, string[]>;
  userSettings?: Record<string, UserSettings>;
  consents: ConsentGrant[];
  tokensValidFrom: Record<string, number>;
  refreshTokens: Record<string, RefreshTokenRecord>;
  mailboxes: Record<string, StoredEvent[]>;
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("base64url");
}

export function randomToken(bytes = 48): string {
  return randomBytes(bytes).toString("base64url");
}

export class Store {
  readonly config: ResolvedConfig;
  private readonly statePath: string;
  private state: PersistedState;
  private saveScheduled = false;
  private pendingTimer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  constructor(dataDir: string, config: ResolvedConfig) {
    this.config = config;
    this.statePath = join(dataDir, "state.json");
    this.state = { consents: [], tokensValidFrom: {}, refreshTokens: {}, mailboxes: {} };
    if (config.persist && existsSync(this.statePath)) {
      try {
        this.state = { ...this.state, ...(JSON.parse(readFileSync(this.statePath, "utf8")) as PersistedState) };
      } catch {
        // A corrupt state file is replaced on the next write; the directory comes from config anyway.
      }
    } else {
      for (const c of config.consents) {
        this.state.consents.push({ ...c, principal: "AllPrincipals", grantedAt: 0 });
      }
    }
  }

  // ---- directory -------------------------------------------------------------------------------

  get tenants(): SeedTenant[] {
    return this.config.tenants;
  }

  get apps(): SeedApp[] {
    return this.config.apps;
  }

  app(clientId: string): SeedApp | undefined {
    return this.config.apps.find((a) => a.clientId.toLowerCase() === clientId.toLowerCase());
  }

  /** By GUID or verified domain. */
  tenant(idOrDomain: string): SeedTenant | undefined {
    const key = idOrDomain.toLowerCase();
    return this.config.tenants.find((t) => t.id.toLowerCase() === key || t.domain.toLowerCase() === key);
  }

  allUsers(): DirectoryUser[] {
    return this.config.tenants.flatMap((t) => t.users.map((u) => ({ ...u, tenantId: t.id })));
  }

  /** By oid or userPrincipalName (case-insensitive). */
  user(idOrUpn: string): DirectoryUser | undefined {
    const key = idOrUpn.toLowerCase();
    // The index answers what the scan would: the first user whose oid or UPN matches. A miss, or an
    // entry that no longer carries the key, takes the scan. A fresh copy every time, as before.
    const hit = this.userIndex().get(key);
    if (hit && (hit.user.id.toLowerCase() === key || hit.user.userPrincipalName.toLowerCase() === key)) {
      return { ...hit.user, tenantId: hit.tenant.id };
    }
    return this.allUsers().find((u) => u.id.toLowerCase() === key || u.userPrincipalName.toLowerCase() === key);
  }

  private index: Map<string, { tenant: SeedTenant; user: SeedUser }> | undefined;
  /** What the index was built from: each tenant, its users array and its length. */
  private indexedFrom: unknown[] = [];

  /** Lower-case oid and UPN → user; rebuilt when the directory's tenants or user lists change. */
  private userIndex(): Map<string, { tenant: SeedTenant; user: SeedUser }> {
    const tenants = this.config.tenants;
    let same = this.index !== undefined && this.indexedFrom.length === tenants.length * 3;
    for (let i = 0; same && i < tenants.length; i++) {
      const t = tenants[i]!;
      same = this.indexedFrom[i * 3] === t && this.indexedFrom[i * 3 + 1] === t.users && this.indexedFrom[i * 3 + 2] === t.users.length;
    }
    if (same) return this.index!;
    const index = new Map<string, { tenant: SeedTenant; user: SeedUser }>();
    this.indexedFrom = [];
    for (const tenant of tenants) {
      this.indexedFrom.push(tenant, tenant.users, tenant.users.length);
      for (const user of tenant.users) {
        // First match wins, as in the scan (oid or UPN, user by user).
        for (const k of [user.id.toLowerCase(), user.userPrincipalName.toLowerCase()]) if (!index.has(k)) index.set(k, { tenant, user });
      }
    }
    this.index = index;
    return index;
  }

  // ---- consent ---------------------------------------------------------------------------------

  consents(tenantId?: string): ConsentGrant[] {
    return this.state.consents.filter((c) => !tenantId || c.tenantId === tenantId);
  }

  /**
   * Scopes the app may use for this user: tenant-wide grants plus the user's own. With `now`, a
   * tenant-wide grant younger than the tenant's consentPropagationSeconds does not count yet.
   */
  consentedScopes(tenantId: string, clientId: string, userId: string, now?: number): Set<string> {
    const out = new Set<string>();
    const propagationMs = (this.tenantSettings(tenantId).consentPropagationSeconds ?? 0) * 1000;
    for (const c of this.state.consents) {
      if (c.tenantId !== tenantId || c.clientId.toLowerCase() !== clientId.toLowerCase()) continue;
      if (c.principal !== "AllPrincipals" && c.principal !== userId) continue;
      if (now !== undefined && c.principal === "AllPrincipals" && propagationMs > 0 && now < c.grantedAt + propagationMs) continue;
      for (const s of c.scopes) out.add(s.toLowerCase());
    }
    return out;
  }

  grantConsent(grant: ConsentGrant): void {
    const existing = this.state.consents.find(
      (c) => c.tenantId === grant.tenantId && c.clientId === grant.clientId && c.principal === grant.principal,
    );
    if (existing) {
      const merged = new Set([...existing.scopes, ...grant.scopes]);
      existing.scopes = [...merged];
      existing.grantedAt = grant.grantedAt;
    } else {
      this.state.consents.push({ ...grant, scopes: [...new Set(grant.scopes)] });
    }
    this.save();
  }

  /** Removes every grant (admin and user) of the app in the tenant; all apps when clientId is omitted. */
  revokeConsent(tenantId: string, clientId?: string): number {
    const before = this.state.consents.length;
    this.state.consents = this.state.consents.filter(
      (c) => !(c.tenantId === tenantId && (!clientId || c.clientId.toLowerCase() === clientId.toLowerCase())),
    );
    this.save();
    return before - this.state.consents.length;
  }

  // ---- tenant and user settings ----------------------------------------------------------------

  tenantSettings(tenantId: string): TenantSettings {
    return this.state.tenantSettings?.[tenantId] ?? {};
  }

  setTenantSettings(tenantId: string, patch: TenantSettings): TenantSettings {
    const all = (this.state.tenantSettings ??= {});
    all[tenantId] = { ...all[tenantId], ...patch };
    this.save();
    return all[tenantId]!;
  }

  appSettings(clientId: string): AppSettings {
    return this.state.appSettings?.[clientId.toLowerCase()] ?? {};
  }

  setAppSettings(clientId: string, patch: AppSettings): AppSettings {
    const all = (this.state.appSettings ??= {});
    const key = clientId.toLowerCase();
    all[key] = { ...all[key], ...patch };
    this.save();
    return all[key]!;
  }

  userSettings(userId: string): UserSettings {
    return this.state.userSettings?.[userId] ?? {};
  }

  /**
   * The tenant a sign-in or token request at `tenantId` (undefined: organizations/common) is for:
   * the user's home tenant, or a tenant they are a guest of; undefined when they are neither.
   */
  sessionTenant(user: DirectoryUser, tenantId: string | undefined): string | undefined {
    if (tenantId === undefined || tenantId === user.tenantId) return user.tenantId;
    return this.userSettings(user.id).guestIn?.includes(tenantId) ? tenantId : undefined;
  }

  setUserSettings(userId: string, patch: UserSettings): UserSettings {
    const all = (this.state.userSettings ??= {});
    all[userId] = { ...all[userId], ...patch };
    this.save();
    return all[userId]!;
  }

  // ---- sessions and refresh tokens -------------------------------------------------------------

  tokensValidFrom(userId: string): number {
    return this.state.tokensValidFrom[userId] ?? 0;
  }

  revokeSessions(userId: string, at: number): void {
    this.state.tokensValidFrom[userId] = at;
    this.save();
  }

  issueRefreshToken(record: RefreshTokenRecord): string {
    const token = `1.SBX${randomToken(96)}`;
    this.state.refreshTokens[hashToken(token)] = record;
    this.save();
    return token;
  }

  refreshToken(token: string): RefreshTokenRecord | undefined {
    return this.state.refreshTokens[hashToken(token)];
  }

  markRefreshTokenRedeemed(token: string, at: number): void {
    const rec = this.state.refreshTokens[hashToken(token)];
    if (rec) rec.redeemedAt = at;
    this.save();
  }

  // ---- mailboxes -------------------------------------------------------------------------------

  mailbox(userId: string): StoredEvent[] {
    let box = this.state.mailboxes[userId];
    if (!box) {
      box = [];
      this.state.mailboxes[userId] = box;
    }
    return box;
  }

  clearMailbox(userId: string): void {
    this.state.mailboxes[userId] = [];
    if (this.state.spentTransactionIds) delete this.state.spentTransactionIds[userId];
    this.save();
  }

  /** The default calendar's id: stable for the user, base64-shaped like Exchange's folder ids. */
  defaultCalendarId(userId: string): string {
    return `AQMkADefaultCalendar${userId.replace(/[^A-Za-z0-9]/g, "")}`;
  }

  /** The mailbox's calendars, the default one first. */
  calendars(userId: string): SandboxCalendar[] {
    return [{ id: this.defaultCalendarId(userId), name: "Calendar" }, ...(this.state.calendars?.[userId] ?? [])];
  }

  addCalendar(userId: string, calendar: SandboxCalendar): void {
    const all = (this.state.calendars ??= {});
    (all[userId] ??= []).push(calendar);
    this.save();
  }

  /** The folder an event is in: a calendar id, or DELETED_ITEMS. */
  folderOf(userId: string, ev: StoredEvent): string {
    return typeof ev._folder === "string" ? ev._folder : this.defaultCalendarId(userId);
  }

  spendTransactionId(userId: string, transactionId: string): void {
    const all = (this.state.spentTransactionIds ??= {});
    (all[userId] ??= []).push(transactionId);
  }

  transactionIdSpent(userId: string, transactionId: string): boolean {
    return this.state.spentTransactionIds?.[userId]?.includes(transactionId) ?? false;
  }

  resetAll(): void {
    this.state = { consents: [], tokensValidFrom: {}, refreshTokens: {}, mailboxes: {} };
    for (const c of this.config.consents) {
      this.state.consents.push({ ...c, principal: "AllPrincipals", grantedAt: 0 });
    }
    this.save();
  }

  /**
   * Writes within 200 ms are batched into one file write (a busy mailbox would otherwise rewrite
   * the whole file per request); close() flushes.
   */
  save(): void {
    if (!this.config.persist || this.saveScheduled || this.closed) return;
    this.saveScheduled = true;
    const timer = setTimeout(() => this.flush(), 200);
    timer.unref();
    this.pendingTimer = timer;
  }

  /**
   * The last write. A request still being answered while the server closes may change the state
   * after this; it is not written (its folder may be gone by then).
   */
  close(): void {
    this.flush();
    this.closed = true;
  }

  flush(): void {
    if (this.pendingTimer) clearTimeout(this.pendingTimer);
    this.pendingTimer = undefined;
    this.saveScheduled = false;
    if (!this.config.persist) return;
    const tmp = `${this.statePath}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.state));
    renameSync(tmp, this.statePath);
  }
}
