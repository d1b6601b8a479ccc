// Throttling as Outlook documents it for Graph (per app and mailbox: 4 concurrent requests,
// 10,000 requests per 10 minutes; 429 with Retry-After), plus injected latency and faults.
import type { ThrottleConfig } from "../config.ts";
import type { SandboxClock } from "../clock.ts";
import type { GraphErrorSpec } from "./errors.ts";

/**
 * "drop": close the connection without performing the request. "drop-after": perform it (the
 * event is created, changed or deleted), then close the connection without answering: the answer
 * lost after the write happened. On a $batch item either one drops the whole batch's connection
 * once every item has run; on the $batch itself "drop-after" runs the whole batch first.
 */
export type FaultKind = 429 | 503 | 504 | 507 | "drop" | "drop-after";

export interface FaultRule {
  kind: FaultKind;
  /** "graph" (default): Graph requests; "login": the token endpoint. */
  target?: "graph" | "login";
  /** A mailbox (user oid or UPN); every Graph request when absent. */
  mailbox?: string;
  /** Only requests whose method matches. */
  method?: string;
  /** Only requests whose path contains this text. */
  pathContains?: string;
  /** How many requests to fail; unlimited when absent. */
  times?: number;
  /** Retry-After seconds on 429/503 answers (default 1). */
  retryAfterSeconds?: number;
}

export interface LatencyRule {
  ms: number;
  mailbox?: string;
}

export type TrafficVerdict =
  | { kind: "ok"; release: () => void }
  | { kind: "error"; error: GraphErrorSpec }
  | { kind: "drop" }
  | { kind: "drop-after" };

const WINDOW_MS = 10 * 60_000;

export class Traffic {
  private faults: Array<FaultRule & { used: number }> = [];
  private latency: LatencyRule[] = [];
  private inflight = new Map<string, number>();
  private history = new Map<string, number[]>();
  /** Graph calendar requests in progress per mailbox (admitted or not), and the highest count seen. */
  private active = new Map<string, number>();
  private peaks = new Map<string, number>();
  private readonly clock: SandboxClock;
  private readonly throttle: ThrottleConfig;
  /** Maps a UPN to an oid so rules may name either. */
  private readonly resolveMailbox: (idOrUpn: string) => string | undefined;

  constructor(clock: SandboxClock, throttle: ThrottleConfig, resolveMailbox: (idOrUpn: string) => string | undefined) {
    this.clock = clock;
    this.throttle = throttle;
    this.resolveMailbox = resolveMailbox;
  }

  setFaults(rules: FaultRule[]): void {
    this.faults = rules.map((r) => ({ ...r, used: 0 }));
  }

  addFault(rule: FaultRule): void {
    this.faults.push({ ...rule, used: 0 });
  }

  listFaults(): FaultRule[] {
    return this.faults.map(({ used, ...r }) => ({ ...r, ...(r.times !== undefined ? { times: r.times - used } : {}) }));
  }

  setLatency(rules: LatencyRule[]): void {
    this.latency = rules;
  }

  listLatency(): LatencyRule[] {
    return [...this.latency];
  }

  setThrottle(patch: Partial<ThrottleConfig>): void {
    Object.assign(this.throttle, patch);
  }

  throttleConfig(): ThrottleConfig {
    return { ...this.throttle };
  }

  reset(): void {
    this.faults = [];
    this.latency = [];
    this.history.clear();
    this.clearPeaks();
  }

  /**
   * Counts a calendar request to a mailbox as in progress until the returned function is called,
   * whatever becomes of it (answered, throttled with 429, faulted, dropped).
   */
  enter(mailbox: string): () => void {
    const n = (this.active.get(mailbox) ?? 0) + 1;
    this.active.set(mailbox, n);
    if (n > (this.peaks.get(mailbox) ?? 0)) this.peaks.set(mailbox, n);
    let left = false;
    return () => {
      if (left) return;
      left = true;
      const m = (this.active.get(mailbox) ?? 1) - 1;
      if (m <= 0) this.active.delete(mailbox);
      else this.active.set(mailbox, m);
    };
  }

  /** The most calendar requests a mailbox (oid or UPN) had in progress at once; all mailboxes' maximum without one. */
  peakConcurrency(mailbox?: string): number {
    if (mailbox === undefined) return Math.max(0, ...this.peaks.values());
    return this.peaks.get(this.resolveMailbox(mailbox) ?? mailbox) ?? 0;
  }

  /** Peak per mailbox oid. */
  peaksByMailbox(): Record<string, number> {
    return Object.fromEntries(this.peaks);
  }

  /** Starts counting peaks afresh (from what is in progress right now). */
  clearPeaks(): void {
    this.peaks = new Map(this.active);
  }

  private matches(ruleMailbox: string | undefined, mailbox: string | undefined): boolean {
    if (!ruleMailbox) return true;
    if (!mailbox) return false;
    return (this.resolveMailbox(ruleMailbox) ?? ruleMailbox) === mailbox;
  }

  /** An injected fault for this request, if a rule matches (consumes one use). */
  fault(method: string, path: string, mailbox: string | undefined, target: "graph" | "login" = "graph"): TrafficVerdict | null {
    for (const rule of this.faults) {
      if ((rule.target ?? "graph") !== target) continue;
      if (rule.times !== undefined && rule.used >= rule.times) continue;
      if (!this.matches(rule.mailbox, mailbox)) continue;
      if (rule.method && rule.method.toUpperCase() !== method.toUpperCase()) continue;
      if (rule.pathContains && !path.includes(rule.pathContains)) continue;
      rule.used++;
      const retryAfter = String(rule.retryAfterSeconds ?? 1);
      if (rule.kind === "drop") return { kind: "drop" };
      if (rule.kind === "drop-after") return { kind: "drop-after" };
      if (rule.kind === 429) {
        return {
          kind: "error",
          error: { status: 429, code: "TooManyRequests", message: "Too many requests. Please try again later.", headers: { "retry-after": retryAfter } },
        };
      }
      if (rule.kind === 503) {
        return {
          kind: "error",
          error: { status: 503, code: "ServiceNotAvailable", message: "The service is temporarily unavailable. Please try again later.", headers: { "retry-after": retryAfter } },
        };
      }
      if (rule.kind === 507) {
        // Graph's "Insufficient Storage: the maximum storage quota has been reached" (Microsoft Graph error responses).
        return { kind: "error", error: { status: 507, code: "ErrorQuotaExceeded", message: "The maximum storage quota has been reached." } };
      }
      return { kind: "error", error: { status: 504, code: "UnknownError", message: "The gateway did not receive a timely response." } };
    }
    return null;
  }

  latencyFor(mailbox: string | undefined): number {
    let ms = 0;
    for (const rule of this.latency) if (this.matches(rule.mailbox, mailbox)) ms = Math.max(ms, rule.ms);
    return ms;
  }

  /**
   * Admits a request against the app+mailbox limits. On "ok" the caller must call release() when
   * the request finishes (the concurrency slot is held until then).
   */
  admit(appId: string, mailbox: string): Extract<TrafficVerdict, { kind: "ok" | "error" }> {
    const key = `${appId}|${mailbox}`;
    const now = this.clock.now();
    const times = (this.history.get(key) ?? []).filter((t) => t > now - WINDOW_MS);
    this.history.set(key, times);
    if (times.length >= this.throttle.requestsPerTenMinutes) {
      const retryAfter = Math.max(1, Math.ceil((times[0]! + WINDOW_MS - now) / 1000));
      return {
        kind: "error",
        error: {
          status: 429,
          code: "ApplicationThrottled",
          message: "Application is over its MailboxRequests limit.",
          headers: { "retry-after": String(retryAfter) },
        },
      };
    }
    const current = this.inflight.get(key) ?? 0;
    if (current >= this.throttle.mailboxConcurrency) {
      return {
        kind: "error",
        error: {
          status: 429,
          code: "ApplicationThrottled",
          message: "Application is over its MailboxConcurrency limit.",
          headers: { "retry-after": "1" },
        },
      };
    }
    times.push(now);
    this.inflight.set(key, current + 1);
    let released = false;
    return {
      kind: "ok",
      release: () => {
        if (released) return;
        released = true;
        const n = (this.inflight.get(key) ?? 1) - 1;
        if (n <= 0) this.inflight.delete(key);
        else this.inflight.set(key, n);
      },
    };
  }
}
