// What the product sent: method, path with query, parsed body and status. Never headers, never
// tokens (token-endpoint bodies are redacted before they get here).

export interface LoggedRequest {
  seq: number;
  /** Sandbox-clock time the answer was ready (= finishedAt), ISO 8601. */
  time: string;
  /** Sandbox-clock time the sandbox began handling the request (body received), ISO 8601. */
  startedAt: string;
  /** Sandbox-clock time the answer was ready (or the connection dropped), ISO 8601. */
  finishedAt: string;
  /** performance.now() in the sandbox's process at start and finish: monotonic, for overlap checks. */
  startedMs: number;
  finishedMs: number;
  method: string;
  path: string;
  /** 0 when the connection was dropped without an answer. */
  status: number;
  /** "drop-after" faults: the status of the answer that was produced and never sent. */
  droppedStatus?: number;
  body?: unknown;
  /** User oid of the mailbox a Graph request touched. */
  mailbox?: string;
  /** Set on the sub-requests of a $batch (logged after the $batch itself). */
  batchId?: string;
}

export class RequestLog {
  private entries: LoggedRequest[] = [];
  private seq = 0;
  private readonly limit: number;

  constructor(limit = 5000) {
    this.limit = limit;
  }

  add(entry: Omit<LoggedRequest, "seq">): void {
    this.entries.push({ seq: ++this.seq, ...entry });
    if (this.entries.length > this.limit) this.entries.splice(0, this.entries.length - this.limit);
  }

  list(): LoggedRequest[] {
    return structuredClone(this.entries);
  }

  clear(): void {
    this.entries = [];
  }
}

/** A request body as the log keeps it: JSON parsed when it is JSON, the text otherwise. */
export function parseLoggedBody(text: string, contentType: string | undefined): unknown {
  if (!text) return undefined;
  if ((contentType ?? "").includes("json")) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}
