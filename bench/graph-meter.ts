// Counts what reaches the sandbox's Graph, request by request, as the sandbox itself logs it: the
// sandbox runs in the benchmark's process, and every request it answers passes through its
// RequestLog. A meter is a window over that stream (one workload at a time), so counts need no
// guessing about which client sent what. Times are this process's performance.now().
import type { LoggedRequest } from '../sandbox/request-log.ts';
import { RequestLog } from '../sandbox/request-log.ts';

export class GraphMeter {
  /** HTTP requests to Graph ($batch calls, or single REST calls). */
  http = 0;
  /** Requests against mailboxes: the items of each $batch, or a single REST call; what Outlook's limits count. */
  items = 0;
  /** Event writes (POST/PATCH/DELETE) that succeeded. */
  writes = 0;
  throttled = 0;
  unavailable = 0;
  /** Distinct events created (mailbox + transactionId: a retried create is one event). */
  readonly created = new Set<string>();
  lastWriteAt = 0;
  /** When the first mailbox request was answered. */
  firstAt = 0;
  /** When each event was created. */
  readonly createdAt: number[] = [];
  readonly started = performance.now();
  /** Each mailbox request's service span (sandbox clock = this process's performance.now()), for BENCH_TRACE. */
  readonly spans: Array<{ mailbox: string; batchId: string | undefined; start: number; finish: number; status: number }> = [];
  /** Called for each successful PATCH with its body. */
  onPatch?: (mailbox: string, body: unknown, at: number) => void;

  /** Token requests (a code redeemed or a refresh token used) answered by the sandbox's Entra. */
  tokens = 0;

  see(e: LoggedRequest, at: number): void {
    const isItem = e.batchId !== undefined;
    if (!isItem && e.path.endsWith('/oauth2/v2.0/token')) this.tokens++;
    if (!isItem && !e.path.startsWith('/v1.0/')) return; // sign-in and token traffic
    if (!isItem) this.http++;
    const isBatch = !isItem && e.path.startsWith('/v1.0/$batch');
    if (!isBatch) {
      this.items++;
      this.spans.push({ mailbox: e.mailbox ?? '', batchId: e.batchId, start: e.startedMs, finish: e.finishedMs, status: e.status });
      this.firstAt ||= at;
    }
    if (e.status === 429) this.throttled++;
    if (e.status === 503 || e.status === 504) this.unavailable++;
    if (isBatch || e.status < 200 || e.status >= 300 || e.method === 'GET') return;
    this.writes++;
    this.lastWriteAt = at;
    if (e.method === 'POST') {
      const txn = (e.body as { transactionId?: string } | undefined)?.transactionId ?? `${e.seq}`;
      if (!this.created.has(`${e.mailbox}|${txn}`)) this.createdAt.push(at);
      this.created.add(`${e.mailbox}|${txn}`);
    }
    if (e.method === 'PATCH') this.onPatch?.(e.mailbox ?? '', e.body, at);
  }
}

const meters = new Set<GraphMeter>();
const listeners = new Set<(e: Omit<LoggedRequest, 'seq'>) => void>();
let installed = false;

function install(): void {
  if (installed) return;
  installed = true;
  const add = RequestLog.prototype.add;
  RequestLog.prototype.add = function (entry) {
    const at = performance.now();
    for (const m of meters) m.see({ seq: 0, ...entry }, at);
    for (const l of listeners) l(entry);
    add.call(this, entry);
  };
}

/** Starts a meter (and, the first time, taps the sandbox's request log). */
export function startMeter(): GraphMeter & { stop(): void } {
  install();
  const m = Object.assign(new GraphMeter(), { stop: () => void meters.delete(m) });
  meters.add(m);
  return m;
}

/** Calls `fn` after each request to a mailbox (a $batch item or a single REST call) has been answered. */
export function afterEachMailboxRequest(fn: () => void): () => void {
  install();
  const l = (e: Omit<LoggedRequest, 'seq'>) => {
    if (e.batchId !== undefined || (e.path.startsWith('/v1.0/') && !e.path.startsWith('/v1.0/$batch'))) fn();
  };
  listeners.add(l);
  return () => void listeners.delete(l);
}

/**
 * Calls `fn` with every request a sandbox in this process logs, Microsoft's or Google's (both log
 * through a RequestLog), as it is logged, with this process's performance.now().
 */
export function onEachLoggedRequest(fn: (e: Omit<LoggedRequest, 'seq'>, at: number) => void): () => void {
  install();
  const l = (e: Omit<LoggedRequest, 'seq'>) => fn(e, performance.now());
  listeners.add(l);
  return () => void listeners.delete(l);
}
