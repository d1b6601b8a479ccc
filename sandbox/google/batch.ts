// The batch endpoint (POST /batch/calendar/v3, "Sending Batch Requests"): a multipart/mixed body
// whose parts are application/http requests; the answer is multipart/mixed with one
// application/http response per part, Content-ID "response-<id>". Each inner request counts
// against the user's quota as if sent alone; the outer Authorization applies to parts without one.
import { randomBytes } from "node:crypto";
import type { SbRequest, SbResponse } from "../http-types.ts";
import { apiError, ERRORS } from "./errors.ts";
import type { CalendarAnswer } from "./calendar.ts";

export const MAX_BATCH_PARTS = 1000;

const STATUS_TEXT: Record<number, string> = { 200: "OK", 204: "No Content", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 409: "Conflict", 410: "Gone", 429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable" };

interface Part {
  contentId: string;
  request: SbRequest;
}

function splitHead(text: string): [string, string] {
  const i = text.search(/\r?\n\r?\n/);
  if (i < 0) return [text, ""];
  const sep = /\r?\n\r?\n/.exec(text.slice(i))![0];
  return [text.slice(0, i), text.slice(i + sep.length)];
}

function headerMap(block: string): Record<string, string> {
  const h: Record<string, string> = {};
  for (const line of block.split(/\r?\n/)) {
    const i = line.indexOf(":");
    if (i > 0) h[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return h;
}

export function parseBatch(req: SbRequest): Part[] | string {
  const boundary = /boundary="?([^";]+)"?/i.exec(req.headers["content-type"] ?? "")?.[1];
  if (!/^multipart\/mixed/i.test(req.headers["content-type"] ?? "") || !boundary) return "Content-Type must be multipart/mixed with a boundary.";
  const chunks = req.bodyText.split(`--${boundary}`).slice(1);
  const parts: Part[] = [];
  for (const chunk of chunks) {
    if (chunk.startsWith("--")) break;
    const [outerHead, inner] = splitHead(chunk.replace(/^\r?\n/, ""));
    const outer = headerMap(outerHead);
    if (!/application\/http/i.test(outer["content-type"] ?? "")) return "Each part must be Content-Type: application/http.";
    const [requestHead, body] = splitHead(inner);
    const [requestLine = "", ...headerLines] = requestHead.split(/\r?\n/);
    const m = /^([A-Z]+) (\S+)(?: HTTP\/1\.1)?$/.exec(requestLine.trim());
    if (!m) return `Bad request line in a part: ${requestLine.slice(0, 80)}`;
    const url = new URL(m[2]!, req.baseUrl);
    const headers = { ...headerMap(headerLines.join("\n")) };
    if (!headers.authorization && req.headers.authorization) headers.authorization = req.headers.authorization;
    parts.push({
      contentId: (outer["content-id"] ?? String(parts.length + 1)).replace(/^<|>$/g, ""),
      request: { method: m[1]!, path: url.pathname, rawUrl: `${url.pathname}${url.search}`, query: url.searchParams, headers, bodyText: body.replace(/\r?\n$/, ""), baseUrl: req.baseUrl, inBatch: true },
    });
  }
  if (parts.length > MAX_BATCH_PARTS) return `A batch may hold at most ${MAX_BATCH_PARTS} requests.`;
  return parts;
}

export async function handleBatch(req: SbRequest, run: (inner: SbRequest) => Promise<CalendarAnswer | null>, onItem?: (inner: SbRequest, out: CalendarAnswer) => void): Promise<SbResponse> {
  const parts = parseBatch(req);
  if (typeof parts === "string") return apiError(ERRORS.invalid(parts));
  const outs = await Promise.all(parts.map(async (p) => {
    const out = (await run(p.request)) ?? apiError(ERRORS.notFound());
    onItem?.(p.request, out);
    return out;
  }));
  // A dropped item takes the whole batch's connection with it, once every item has run.
  if (outs.some((o) => o.drop)) return { status: 0, drop: true };
  const boundary = `batch_${randomBytes(12).toString("hex")}`;
  const body = parts.map((p, i) => {
    const o = outs[i]!;
    const head = [`HTTP/1.1 ${o.status} ${STATUS_TEXT[o.status] ?? ""}`.trim(), ...Object.entries(o.headers ?? {}).map(([k, v]) => `${k}: ${v}`)].join("\r\n");
    return `--${boundary}\r\nContent-Type: application/http\r\nContent-ID: <response-${p.contentId}>\r\n\r\n${head}\r\n\r\n${o.body ?? ""}\r\n`;
  }).join("") + `--${boundary}--\r\n`;
  return { status: 200, headers: { "content-type": `multipart/mixed; boundary=${boundary}` }, body };
}
