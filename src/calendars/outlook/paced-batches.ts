// Runs Graph requests through JSON batches within the mailbox's limits, retrying what may be
// retried, and hands each request's final outcome over as soon as it is known.
//
// Pacing. Exchange runs the items of one $batch in parallel and counts each against Outlook's
// limit of 4 concurrent requests per app and mailbox ("MailboxConcurrency"), so a batch of 20
// parallel items has 16 refused with 429. Graph accepts only fully parallel or fully serial
// (each item dependsOn the previous) batches; a serial batch has one item in service at a time.
// So the mailbox has 4 lanes, and a batch takes one lane per parallel item, or one lane for a
// whole serial chain. Measured with test/calendars/outlook/pacing.test.ts (MEASURE_PACING=1),
// 45 creates, against the sandbox, which enforces the limit:
//
//   per-item latency / added round trip               20/0 ms   100/0 ms   100/100 ms   $batch calls
//   A  ≤4 parallel items per batch, 1 in flight        347 ms    1285 ms     2454 ms        12
//   B  20 serial items per batch, 4 in flight          428 ms    2027 ms     2133 ms         3
//   C  1 item per batch, 4 in flight                   341 ms    1275 ms     2466 ms        45
//   D  20 parallel items per batch, 1 in flight       4165 ms    5440 ms     5027 ms  (73-113 × 429)
//   E  balanced: 4 serial chains of n/4 (default)      256 ms    1218 ms     1318 ms         4
//
// A waits for the slowest of its 4 items and then a round trip before the lanes fill again; B is
// slow only because its chains are uneven (20, 20, 5). E (`balanced`) splits what is ready evenly
// over the free lanes: 40 events go as 4 chains of 10, so each lane stays in service without a
// round trip between items, and one mailbox's backfill is 4 $batch calls instead of 10 (each call
// costs CPU at both ends: TLS, HTTP, JSON). When what is ready fits the free lanes one item each,
// it goes as one parallel batch (a single change: one call, no chain). A failed item in a chain
// answers 424 Failed Dependency for the rest of its chain; those are sent again at once, with no
// attempt spent.
import type { CalendarProviderError } from '../errors.ts';
import { classifyError, classifyGraphResponse } from './classify-error.ts';
import { MAX_BATCH_REQUESTS } from './constants.ts';
import { decideRetry } from './retry-policy.ts';
import type { RetryPolicy } from './retry-policy.ts';

export interface BatchItemRequest {
  id: string;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Relative to the Graph version root, e.g. "/me/events". */
  url: string;
  body?: unknown;
  headers?: Record<string, string>;
  dependsOn?: string[];
}

export interface BatchItemResponse {
  id: string;
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface Pacing {
  /** Requests Exchange may run at once for the mailbox: a parallel item takes a lane, a serial chain one. */
  lanes: number;
  /** Requests per $batch (≤ 20). */
  itemsPerBatch: number;
  /**
   * parallel: batches of parallel items, as many as there are free lanes (and itemsPerBatch);
   * serial: chains of itemsPerBatch items, one lane each;
   * balanced: what is ready, spread evenly over the free lanes as serial chains, or as one parallel
   * batch when it fits the free lanes one item each.
   */
  shape: 'parallel' | 'serial' | 'balanced';
}

/** The pacing we use (see above). */
export function defaultPacing(maxInFlight: number): Pacing {
  return { lanes: Math.max(1, maxInFlight), itemsPerBatch: MAX_BATCH_REQUESTS, shape: 'balanced' };
}

/** The next batch to send from what is ready, given the lanes free: its size and whether it is a serial chain. */
export function nextBatch(p: Pacing, ready: number, freeLanes: number): { size: number; serial: boolean } | undefined {
  const most = Math.min(p.itemsPerBatch, MAX_BATCH_REQUESTS);
  if (ready === 0 || freeLanes <= 0) return undefined;
  switch (p.shape) {
    case 'parallel':
      return { size: Math.min(ready, freeLanes, most), serial: false };
    case 'serial':
      return { size: Math.min(ready, most), serial: true };
    case 'balanced':
      if (ready <= freeLanes) return { size: Math.min(ready, most), serial: false };
      return { size: Math.min(most, Math.ceil(ready / freeLanes)), serial: true };
  }
}

export type ItemOutcome =
  | { ok: true; response: BatchItemResponse; indeterminate: boolean }
  | { ok: false; error: CalendarProviderError; response?: BatchItemResponse; indeterminate: boolean };

export interface PacedRunOptions {
  pacing: Pacing;
  policy: RetryPolicy;
  /** Sends one $batch; resolves with its item responses; throws when the batch as a whole failed. */
  send(requests: BatchItemRequest[]): Promise<BatchItemResponse[]>;
  /** Called on a 401: get a fresh token, or throw (auth_lost) when there is none to get. */
  onUnauthorized(): Promise<void>;
  /** Awaited for each request as soon as its outcome is final, one at a time. */
  onFinal(id: string, outcome: ItemOutcome): Promise<void>;
  /** Decides whether a whole-batch failure ends the run (mailbox unreachable). */
  isFatal(error: CalendarProviderError): boolean;
  log?: (line: string) => void;
  random?: () => number;
}

interface Pending {
  request: BatchItemRequest;
  attempts: number;
  notBefore: number;
  /** A previous attempt may have been carried out without us seeing the answer. */
  indeterminate: boolean;
  unauthorizedRetries: number;
  dependencyRetries: number;
}

/** serial: each item depends on the one before (a serial batch); otherwise unchanged (parallel). */
export function chainBatch(requests: BatchItemRequest[], serial: boolean): BatchItemRequest[] {
  if (!serial || requests.length < 2) return requests;
  return requests.map((r, i) => (i > 0 ? { ...r, dependsOn: [requests[i - 1]!.id] } : r));
}

const MAX_DEPENDENCY_RETRIES = 10;

export async function runPaced(requests: BatchItemRequest[], opts: PacedRunOptions): Promise<void> {
  const queue: Pending[] = requests.map((request) => ({ request, attempts: 0, notBefore: 0, indeterminate: false, unauthorizedRetries: 0, dependencyRetries: 0 }));
  const running = new Set<Promise<void>>();
  let lanesInUse = 0;
  let fatal: unknown;
  let finals: Promise<void> = Promise.resolve();
  let refreshing: Promise<void> | null = null;
  const log = opts.log ?? (() => {});

  const final = (p: Pending, outcome: ItemOutcome): Promise<void> => {
    finals = finals.then(() => (fatal === undefined ? opts.onFinal(p.request.id, outcome) : undefined));
    return finals.catch((e: unknown) => {
      fatal ??= e;
    });
  };

  const unauthorized = async (): Promise<void> => {
    refreshing ??= opts.onUnauthorized().finally(() => {
      refreshing = null;
    });
    await refreshing;
  };

  const retryOrFinal = async (p: Pending, error: CalendarProviderError, response?: BatchItemResponse): Promise<void> => {
    const decision = decideRetry(error, p.attempts, opts.policy, opts.random);
    if (decision.retry) {
      log(`outlook: ${p.request.method} ${error.code} (${error.providerCode ?? ''}), attempt ${p.attempts}, retrying in ${decision.delayMs} ms`);
      p.notBefore = Date.now() + decision.delayMs;
      queue.push(p);
      return;
    }
    await final(p, { ok: false, error, ...(response ? { response } : {}), indeterminate: p.indeterminate });
  };

  const runBatch = async (batch: Pending[], serial: boolean): Promise<void> => {
    for (const p of batch) p.attempts++;
    const reqs = chainBatch(
      batch.map((p) => p.request),
      serial,
    );
    let responses: BatchItemResponse[];
    try {
      responses = await opts.send(reqs);
    } catch (e) {
      const error = classifyError(e);
      const status = (e as { statusCode?: unknown }).statusCode;
      if (status === 401 && batch.every((p) => p.unauthorizedRetries < 1)) {
        await unauthorized();
        for (const p of batch) {
          p.unauthorizedRetries++;
          p.attempts--;
          p.notBefore = 0;
          queue.push(p);
        }
        return;
      }
      if (opts.isFatal(error)) {
        fatal ??= error;
        return;
      }
      // The batch may have been carried out before the answer was lost.
      const unknownOutcome = error.code === 'temporary';
      for (const p of batch) {
        if (unknownOutcome) p.indeterminate = true;
        await retryOrFinal(p, error);
      }
      return;
    }
    const byId = new Map(responses.map((r) => [String(r.id), r]));
    // The access token was refused (expired on the service's clock, revoked): one refresh for
    // the whole batch, then its refused items go again.
    const unauthorizedItems: Pending[] = [];
    for (const p of batch) {
      const r = byId.get(p.request.id);
      if (!r) {
        p.indeterminate = true;
        await retryOrFinal(p, classifyGraphResponse({ status: 0 }));
        continue;
      }
      if (r.status >= 200 && r.status < 300) {
        await final(p, { ok: true, response: r, indeterminate: p.indeterminate });
        continue;
      }
      if (r.status === 424 && p.dependencyRetries < MAX_DEPENDENCY_RETRIES) {
        // Not carried out because an earlier item of its chain failed: send again, no attempt spent.
        p.dependencyRetries++;
        p.attempts--;
        queue.push(p);
        continue;
      }
      if (r.status === 401 && p.unauthorizedRetries < 1) {
        unauthorizedItems.push(p);
        continue;
      }
      const error = classifyGraphResponse(r);
      if (r.status === 401 || opts.isFatal(error)) {
        fatal ??= error;
        return;
      }
      await retryOrFinal(p, error, r);
    }
    if (unauthorizedItems.length > 0 && fatal === undefined) {
      try {
        await unauthorized();
      } catch (e) {
        fatal ??= e;
        return;
      }
      for (const p of unauthorizedItems) {
        p.unauthorizedRetries++;
        p.attempts--;
        p.notBefore = 0;
        queue.push(p);
      }
    }
  };

  while (fatal === undefined && (queue.length > 0 || running.size > 0)) {
    const now = Date.now();
    const ready = queue.filter((p) => p.notBefore <= now);
    const next = nextBatch(opts.pacing, ready.length, opts.pacing.lanes - lanesInUse);
    if (next) {
      const take = ready.slice(0, next.size);
      for (const p of take) queue.splice(queue.indexOf(p), 1);
      const lanes = next.serial ? 1 : take.length;
      lanesInUse += lanes;
      const task: Promise<void> = runBatch(take, next.serial)
        .catch((e: unknown) => {
          fatal ??= e;
        })
        .finally(() => {
          lanesInUse -= lanes;
          running.delete(task);
        });
      running.add(task);
      continue;
    }
    const wake = queue.length > 0 ? Math.max(1, Math.min(...queue.map((p) => p.notBefore)) - now) : undefined;
    // A plain timer, cleared when a batch ends first. (An AbortController here cost a DOMException
    // per loop turn: 4% of the product's CPU in `npm run bench`'s backfill.)
    let timer: NodeJS.Timeout | undefined;
    const woken = wake !== undefined ? new Promise<void>((resolve) => (timer = setTimeout(resolve, wake))) : null;
    await Promise.race([...running, ...(woken ? [woken] : [])]);
    clearTimeout(timer);
  }
  await Promise.allSettled([...running]);
  await finals.catch(() => {});
  if (fatal !== undefined) throw fatal;
}
