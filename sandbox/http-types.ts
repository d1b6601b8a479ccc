// The sandbox's own request/response shapes. Every route is a function from SbRequest to
// SbResponse, so $batch can run sub-requests through the same code as the wire.

export interface SbRequest {
  method: string;
  /** Decoded path without query, e.g. "/v1.0/me/events". */
  path: string;
  /** Raw path with query as received, for the request log and paging links. */
  rawUrl: string;
  query: URLSearchParams;
  /** Lower-case header names. */
  headers: Record<string, string>;
  bodyText: string;
  /** "https://localhost:PORT" */
  baseUrl: string;
  /** Set for sub-requests of a $batch. */
  inBatch?: boolean;
}

export interface SbResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Close the socket without answering (fault injection). */
  drop?: boolean;
  /** What the request log should record as the request body (already redacted). */
  logRequestBody?: unknown;
  /** Mailbox (user oid) the request touched, for the request log. */
  mailbox?: string;
  /**
   * Set by json(): the value `body` is the JSON of, so $batch can embed an item's answer without
   * parsing its JSON again. Fresh values only: nothing may change it after json().
   */
  jsonValue?: unknown;
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): SbResponse {
  return {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
    body: JSON.stringify(body),
    jsonValue: body,
  };
}

export function html(status: number, page: string, headers: Record<string, string> = {}): SbResponse {
  return { status, headers: { "content-type": "text/html; charset=utf-8", ...headers }, body: page };
}

export function redirect(location: string): SbResponse {
  return { status: 302, headers: { location, "cache-control": "no-store" }, body: "" };
}

export function escapeHtml(value: string): string {
  return value
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** application/x-www-form-urlencoded bodies (token endpoint, HTML forms). */
export function formBody(req: SbRequest): URLSearchParams {
  return new URLSearchParams(req.bodyText);
}

/** decodeURIComponent that keeps a malformed segment as it is (it then fails validation, not the server). */
export function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
