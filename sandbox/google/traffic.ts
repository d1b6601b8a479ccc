// The Calendar API's per-user quota ("Usage limits": requests per minute per user per project,
// calculated over a sliding window; 600 by default), an operational limit on requests in flight
// per calendar, injected latency, and injected faults.
import type { SandboxClock } from "../clock.ts";
import { ERRORS } from "./errors.ts";
import type { ApiErrorSpec } from "./errors.ts";

/**
 * 429 rateLimitExceeded, 503 backendError, 403 userRateLimitExceeded; "drop": the connection closes
 * before the request is performed; "drop-after": it is performed, then the connection closes
 * without an answer (the answer lost after the write).
 */
export type GoogleFaultKind = 429 | 503 | 403 | "drop" | "drop-after";

export interface GoogleFaultRule {
  kind: GoogleFaultKind;
  /** "calendar" (default): Calendar API requests; "token": the token endpoint. */
  target?: "calendar" | "token";
  /** Only requests for this user's calendar (email). */
  user?: string;
  method?: string;
  pathContains?: string;
  /** How many requests to fail; unlimited when absent. */
  times?: number;
  /** Retry-After seconds on 429/503 (Google often sends none; absent: none). */
  retryAfterSeconds?: number;
}

export interface GoogleLimits {
  /** Requests per minute per user (sliding window); Google's default quota is 600. */
  perUserPerMinute: number;
  /** Requests in flight per calendar before 403 rateLimitExceeded (an operational limit; Google publishes no number). */
  perCalendarConcurrency: number;
}

export type Verdict = { kind: "error"; error: ApiErrorSpec } | { kind: "drop" } | { kind: "drop-after" };

const WINDOW_MS = 60_000;

export class GoogleTraffic {
  private rules: Array<GoogleFaultRule & { used: number }> = [];
  private windows = new Map<string, number[]>();
  private inflight = new Map<string, number>();
  private peaks = new Map<string, number>();
  latencyMs = 0;
  readonly limits: GoogleLimits;
  private readonly clock: SandboxClock;

  constructor(clock: SandboxClock, limits: GoogleLimits) {
    this.clock = clock;
    this.limits = limits;
  }

  setFaults(rules: GoogleFaultRule[]): void {
    this.rules = rules.map((r) => ({ ...r, used: 0 }));
  }

  addFault(rule: GoogleFaultRule): void {
    this.rules.push({ ...rule, used: 0 });
  }

  fault(target: "calendar" | "token", method: string, path: string, user: string | undefined): Verdict | null {
    for (const rule of this.rules) {
      if ((rule.target ?? "calendar") !== target) continue;
      if (rule.times !== undefined && rule.used >= rule.times) continue;
      if (rule.user && rule.user.toLowerCase() !== user) continue;
      if (rule.method && rule.method.toUpperCase() !== method) continue;
      if (rule.pathContains && !path.includes(rule.pathContains)) continue;
      rule.used++;
      const retryAfter = rule.retryAfterSeconds !== undefined ? String(rule.retryAfterSeconds) : undefined;
      if (rule.kind === "drop") return { kind: "drop" };
      if (rule.kind === "drop-after") return { kind: "drop-after" };
      if (rule.kind === 429) return { kind: "error", error: ERRORS.rateLimitExceeded429(retryAfter) };
      if (rule.kind === 403) return { kind: "error", error: ERRORS.userRateLimitExceeded() };
      return { kind: "error", error: ERRORS.backendError(retryAfter) };
    }
    return null;
  }

  /** Counts a request against the user's quota and the calendar's in-flight limit; call release() when answered. */
  admit(user: string): { ok: true; release: () => void } | { ok: false; error: ApiErrorSpec } {
    const now = this.clock.now();
    const times = (this.windows.get(user) ?? []).filter((t) => t > now - WINDOW_MS);
    this.windows.set(user, times);
    if (times.length >= this.limits.perUserPerMinute) return { ok: false, error: ERRORS.userRateLimitExceeded() };
    const n = this.inflight.get(user) ?? 0;
    if (n >= this.limits.perCalendarConcurrency) return { ok: false, error: ERRORS.rateLimitExceeded403() };
    times.push(now);
    this.inflight.set(user, n + 1);
    if (n + 1 > (this.peaks.get(user) ?? 0)) this.peaks.set(user, n + 1);
    let done = false;
    return {
      ok: true,
      release: () => {
        if (done) return;
        done = true;
        this.inflight.set(user, (this.inflight.get(user) ?? 1) - 1);
      },
    };
  }

  peak(user: string): number {
    return this.peaks.get(user.toLowerCase()) ?? 0;
  }

  reset(): void {
    this.rules = [];
    this.windows.clear();
    this.peaks.clear();
    this.latencyMs = 0;
  }
}
