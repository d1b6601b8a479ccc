// What the product sent: method, path with query, parsed body and status. Never headers, never
// tokens (token-endpoint bodies are redacted before they get here).

export interface LoggedRequest {
  seq: number;
  /** Sandbox-clock time, ISO 8601. */
  time: string;
  method: string;
  path: string;
  status: number;
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
