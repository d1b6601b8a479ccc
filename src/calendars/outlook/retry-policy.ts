// When a failed Graph request is tried again, and when we stop. One place for the whole provider:
// the Graph client's own RetryHandler is switched off for our requests (see graph-transport.ts),
// because per-item answers inside a $batch never reach it, and a Retry-After longer than we may wait
// inline must become a `throttled` result for the sync engine, not a sleep inside a job.
import type { CalendarProviderError } from '../errors.ts';

export interface RetryPolicy {
  /** Attempts per request in total (the first included) for 5xx, 408 and dropped connections. */
  maxAttempts: number;
  /** Attempts per request in total for 429 answers (each waits its Retry-After). */
  maxThrottledAttempts: number;
  /** First backoff; doubled per attempt (exponential), with up to 20 % jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this ends the request as `throttled` (the job is rescheduled instead). */
  maxInlineWaitMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 4,
  maxThrottledAttempts: 6,
  baseDelayMs: 500,
  maxDelayMs: 8_000,
  maxInlineWaitMs: 30_000,
};

export type RetryDecision = { retry: true; delayMs: number } | { retry: false };

/**
 * After `attempts` attempts (≥ 1) ended in `error`: wait and retry, or stop. `random` is injectable
 * so tests can pin the jitter.
 */
export function decideRetry(error: CalendarProviderError, attempts: number, policy: RetryPolicy, random: () => number = Math.random): RetryDecision {
  if (error.code === 'throttled') {
    const wait = error.retryAfterMs ?? policy.baseDelayMs;
    if (attempts >= policy.maxThrottledAttempts || wait > policy.maxInlineWaitMs) return { retry: false };
    return { retry: true, delayMs: wait };
  }
  if (error.code === 'temporary') {
    if (attempts >= policy.maxAttempts) return { retry: false };
    const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempts - 1));
    const jittered = Math.round(backoff * (1 + 0.2 * random()));
    // A 503 may carry Retry-After too; never retry sooner than the service asked.
    const wait = Math.max(jittered, error.retryAfterMs ?? 0);
    if (wait > policy.maxInlineWaitMs) return { retry: false };
    return { retry: true, delayMs: wait };
  }
  return { retry: false };
}
