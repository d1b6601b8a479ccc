// JSON batching ($batch): at most 20 requests, unique ids, dependsOn (parallel, serial or all on
// one request; other shapes are a 400), 424 Failed Dependency for dependents of a failure, answers
// in completion order. Items without dependencies start together,
// so they compete for the mailbox's concurrency slots as they do in Exchange.
import { randomUUID } from "node:crypto";
import type { SandboxClock } from "../clock.ts";
import { json } from "../http-types.ts";
import type { SbRequest, SbResponse } from "../http-types.ts";
import { parseLoggedBody } from "../request-log.ts";
import type { LoggedRequest } from "../request-log.ts";
import { graphError } from "./errors.ts";
import type { GraphErrorSpec } from "./errors.ts";

const MAX_BATCH = 20;

export interface BatchDeps {
  clock: SandboxClock;
  /** Runs one sub-request through faults, throttling and the Graph routes. */
  execute: (sub: SbRequest) => Promise<SbResponse>;
  log: (entry: Omit<LoggedRequest, "seq">) => void;
  /** Items of this batch running at once at most (Graph: 4); unlimited when absent. */
  itemConcurrency?: number;
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

export interface BatchItem {
  id: string;
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
  dependsOn?: string[];
}

export async function runBatch(req: SbRequest, deps: BatchDeps): Promise<SbResponse> {
  const { clock } = deps;
  const err = (r: SbRequest, e: GraphErrorSpec) => graphError(r, clock.now(), e);
  const parsed = parseJson(req.bodyText);
  const invalid = (message = "Invalid batch payload format.") => err(req, { status: 400, code: "BadRequest", message });
  if (!parsed.ok || !parsed.value || typeof parsed.value !== "object") return invalid();
  const requests = (parsed.value as { requests?: unknown }).requests;
  if (!Array.isArray(requests) || requests.length === 0) return invalid();
  if (requests.length > MAX_BATCH) return invalid(`The number of requests in the batch exceeds the limit of ${MAX_BATCH}.`);
  const items = new Map<string, BatchItem>();
  for (const raw of requests as BatchItem[]) {
    if (!raw || typeof raw.id !== "string" || !raw.id || typeof raw.method !== "string" || typeof raw.url !== "string") return invalid();
    if (items.has(raw.id)) return invalid(`Batch request ids must be unique; '${raw.id}' appears more than once.`);
    if (/^https?:/i.test(raw.url)) return invalid("Batch request urls must be relative.");
    if (raw.dependsOn !== undefined && (!Array.isArray(raw.dependsOn) || raw.dependsOn.some((d) => typeof d !== "string"))) return invalid();
    const headers = Object.fromEntries(Object.entries(raw.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]));
    if (raw.body !== undefined && raw.body !== null && !headers["content-type"]) {
      return invalid(`Content-Type header must be specified for request '${raw.id}' because it has a body.`);
    }
    items.set(raw.id, { ...raw, headers });
  }
  for (const item of items.values()) {
    for (const dep of item.dependsOn ?? []) {
      if (!items.has(dep) || dep === item.id) return invalid(`Request '${item.id}' depends on unknown request '${dep}'.`);
    }
  }
  if (!dependencyShapeAllowed([...items.values()])) return invalid("Batch should be either fully sequential or fully parallel");
  const runs = new Map<string, Promise<SbResponse>>();
  const dispatch = slots(deps.itemConcurrency);
  const completed: Array<{ id: string; res: SbResponse }> = [];
  const run = (item: BatchItem, chain: Set<string>): Promise<SbResponse> => {
    const memo = runs.get(item.id);
    if (memo) return memo;
    const p = (async () => {
      if (chain.has(item.id)) return err(req, { status: 400, code: "BadRequest", message: "Circular dependsOn." });
      const depResults = await Promise.all((item.dependsOn ?? []).map((d) => run(items.get(d)!, new Set([...chain, item.id]))));
      let res: SbResponse;
      // A "drop" item was not performed (status 0); a "drop-after" one was, so its dependents run.
      if (depResults.some((d) => d.status >= 400 || d.status === 0)) {
        res = err(req, { status: 424, code: "FailedDependency", message: "The request could not be executed because a request it depends on failed." });
      } else {
        const url = item.url.startsWith("/") ? item.url : `/${item.url}`;
        const u = new URL(`https://batch.invalid/v1.0${url}`);
        const sub: SbRequest = {
          method: item.method.toUpperCase(),
          path: u.pathname,
          rawUrl: `${u.pathname}${u.search}`,
          query: u.searchParams,
          headers: { ...item.headers!, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) },
          bodyText: item.body === undefined || item.body === null ? "" : JSON.stringify(item.body),
          baseUrl: req.baseUrl,
          inBatch: true,
        };
        const release = await dispatch();
        try {
          const started = { at: clock.now(), ms: performance.now() };
          res = await deps.execute(sub);
          logItem(sub, res, item, started);
        } finally {
          release();
        }
      }
      completed.push({ id: item.id, res });
      return res;
    })();
    runs.set(item.id, p);
    return p;
  };
  const logItem = (sub: SbRequest, res: SbResponse, item: BatchItem, started: { at: number; ms: number }) => {
    const finishedAt = clock.now();
    deps.log({
      time: new Date(finishedAt).toISOString(),
      startedAt: new Date(started.at).toISOString(),
      finishedAt: new Date(finishedAt).toISOString(),
      startedMs: started.ms,
      finishedMs: performance.now(),
      method: sub.method,
      path: sub.rawUrl,
      status: res.drop ? 0 : res.status,
      ...(res.drop && res.status ? { droppedStatus: res.status } : {}),
      body: item.body ?? undefined,
      mailbox: res.mailbox,
      batchId: item.id,
    });
  };
  await Promise.all([...items.values()].map((i) => run(i, new Set())));
  // Answers come in completion order, not request order: match them by id.
  const responses = completed.map(({ id, res }) => {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers ?? {})) {
      if (["content-type", "retry-after", "location", "etag", "preference-applied"].includes(k)) headers[k === "content-type" ? "Content-Type" : k === "retry-after" ? "Retry-After" : k === "location" ? "Location" : k] = v;
    }
    const out: Record<string, unknown> = { id, status: res.status, headers };
    if (res.body) {
      // The answer's own value when it has one: JSON.parse(res.body) would be an equal copy.
      const contentType = res.headers?.["content-type"];
      out.body = res.jsonValue !== undefined && (contentType ?? "").includes("json") ? res.jsonValue : parseLoggedBody(res.body, contentType);
    }
    return out;
  });
  const out: SbResponse = json(200, { responses }, { "request-id": randomUUID() });
  // The request log keeps the $batch body as parsed JSON: it was parsed above already.
  if ((req.headers["content-type"] ?? "").includes("json")) out.logRequestBody = parsed.value;
  // A dropped item ("drop" or "drop-after") drops the whole batch's connection, after every item ran.
  return completed.some((c) => c.res.drop) ? { ...out, drop: true } : out;
}

/** A counting semaphore: at most `limit` holders at once, the others wait in order. */
function slots(limit: number | undefined): () => Promise<() => void> {
  if (!limit) return async () => () => {};
  let held = 0;
  const waiting: Array<() => void> = [];
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else held--;
  };
  return () => {
    if (held < limit) {
      held++;
      return Promise.resolve(release);
    }
    return new Promise((resolve) => waiting.push(() => resolve(release)));
  };
}

/**
 * Graph refuses dependency graphs other than these with 400 "Batch should be either fully
 * sequential or fully parallel" (public reports; the Graph SDKs check the same three shapes):
 * parallel (no dependsOn), serial (each request depends on exactly the previous one, in order),
 * or one request that all the others depend on (each with exactly that one dependency).
 */
export function dependencyShapeAllowed(items: Array<Pick<BatchItem, "id" | "dependsOn">>): boolean {
  const deps = items.map((i) => i.dependsOn ?? []);
  if (deps.every((d) => d.length === 0)) return true;
  const serial = deps.every((d, i) => (i === 0 ? d.length === 0 : d.length === 1 && d[0] === items[i - 1]!.id));
  if (serial) return true;
  const roots = items.filter((_, i) => deps[i]!.length === 0);
  if (roots.length !== 1) return false;
  const root = roots[0]!.id;
  return deps.every((d, i) => items[i]!.id === root || (d.length === 1 && d[0] === root));
}
