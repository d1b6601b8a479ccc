// When a failed Calendar request is tried again, and when we stop. Google's guidance for its
// quota answers (403 userRateLimitExceeded / rateLimitExceeded, 429) and 5xx is exponential
// backoff with jitter ("Handle API errors"); where an answer carries Retry-After, it is honoured.
// The client's own retries are switched off for our requests (`retry: false`), so this is the one place.
import type { CalendarProviderError } from '../errors.ts';

export interface RetryPolicy {
  /** Attempts per request in total (the first included) for 5xx and dropped connections. */
  maxAttempts: number;
  /** Attempts per request in total for quota answers. */
  maxThrottledAttempts: number;
  /** First backoff; doubled per attempt, with up to 20 % jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A wait longer than this ends the request as `throttled`: the job is rescheduled instead of sleeping. */
  maxInlineWaitMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 4, maxThrottledAttempts: 6, baseDelayMs: 1000, maxDelayMs: 16_000, maxInlineWaitMs: 30_000 };

export type RetryDecision = { retry: true; delayMs: number } | { retry: false };

export function decideRetry(error: CalendarProviderError, attempts: number, policy: RetryPolicy, random: () => number = Math.random): RetryDecision {
  const limit = error.code === 'throttled' ? policy.maxThrottledAttempts : error.code === 'temporary' ? policy.maxAttempts : 0;
  if (attempts >= limit) return { retry: false };
  const backoff = Math.round(Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempts - 1)) * (1 + 0.2 * random()));
  // Never sooner than the service asked.
  const wait = Math.max(backoff, error.retryAfterMs ?? 0);
  if (wait > policy.maxInlineWaitMs) return { retry: false };
  return { retry: true, delayMs: wait };
}
