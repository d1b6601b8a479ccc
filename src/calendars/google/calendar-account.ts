// One connected Google calendar: WriteOps → Calendar API requests (a few in flight at a time, each
// retried by the retry policy), and the search for our events by their private extended property.
import type { calendar_v3 } from '@googleapis/calendar';
import type { CalendarAccount, WriteOp, WriteResult } from '../account.ts';
import { CalendarProviderError } from '../errors.ts';
import { classifyError, reasonOf } from './classify-error.ts';
import { SEGMENT_KEY_PROPERTY } from './constants.ts';
import { eventIdFor, mapCreate, mapEvent } from './map-event.ts';
import { decideRetry, type RetryPolicy } from './retry-policy.ts';

export interface GoogleCalendarDeps {
  api: calendar_v3.Calendar;
  /** Makes sure an access token is at hand; throws CalendarProviderError (auth_lost, consent_missing) when none can be had. */
  ensureToken: () => Promise<void>;
  /**
   * Gets a new access token after Google refused the current one (401): the library does not, for
   * a token whose expiry has not come. Throws CalendarProviderError when none is granted.
   */
  renewToken: () => Promise<void>;
  policy: RetryPolicy;
  maxInFlight: number;
  delegated: boolean;
  log: (line: string) => void;
  sleep?: (ms: number) => Promise<void>;
}

const CALENDAR = 'primary';
/** Our requests are retried by the retry policy, never by the client as well. */
const NO_CLIENT_RETRY = { retry: false } as const;

/** Whole-account failures: nothing else can succeed, so the write stops and throws. */
const isFatal = (e: CalendarProviderError) => e.code === 'auth_lost' || e.code === 'consent_missing' || e.code === 'account_refused' || e.code === 'policy_refused' || e.code === 'calendar_unavailable';

/** Runs `work` over `items`, at most `limit` at a time; stops taking new items once `stop()` says so. */
async function pool<T>(items: T[], limit: number, work: (item: T) => Promise<void>, stop: () => boolean): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length && !stop()) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

export function createGoogleCalendar(deps: GoogleCalendarDeps): CalendarAccount {
  const { api, policy, log } = deps;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const classify = (e: unknown) => classifyError(e, { delegated: deps.delegated });
  // Requests in flight that meet a refused token share one renewal.
  let renewal: Promise<void> | undefined;
  const renewing = () => {
    renewal ??= deps.renewToken().finally(() => {
      setTimeout(() => {
        renewal = undefined;
      }, 0);
    });
    return renewal;
  };

  /** One request with retries. `attempt` tells it whether an earlier attempt may have gone through. */
  async function withRetries<T>(what: string, fn: (retried: boolean) => Promise<T>): Promise<T> {
    let renewed = false;
    for (let attempts = 1; ; attempts++) {
      try {
        return await fn(attempts > 1);
      } catch (raw) {
        const error = classify(raw);
        if (error.code === 'auth_lost' && !renewed && (raw as { response?: { status?: number } }).response?.status === 401) {
          // The token was refused before its expiry (a delegation withdrawn, access revoked): one
          // new token, which throws when Google grants none, and the request again.
          renewed = true;
          await renewing();
          continue;
        }
        if (isFatal(error)) throw error;
        const decision = decideRetry(error, attempts, policy);
        if (!decision.retry) throw error;
        log(`google: ${what} answered ${error.providerCode ?? error.code}; again in ${decision.delayMs} ms`);
        await sleep(decision.delayMs);
      }
    }
  }

  async function perform(op: WriteOp): Promise<WriteResult> {
    const base = { key: op.key, kind: op.kind };
    try {
      switch (op.kind) {
        case 'create': {
          const id = eventIdFor(op.key, op.transactionId);
          return await withRetries('insert', async () => {
            try {
              const res = await api.events.insert({ calendarId: CALENDAR, requestBody: mapCreate(op.event, op.key, op.transactionId) }, NO_CLIENT_RETRY);
              return { ...base, ok: true as const, eventId: res.data.id ?? id };
            } catch (raw) {
              // The id is ours and deterministic: 409 means this create (or an earlier try of it
              // whose answer was lost) already made the event. It is the event, unless the
              // traveler has deleted it since, which the next update will find.
              if ((raw as { response?: { status?: number } }).response?.status === 409 && reasonOf(raw as never) === 'duplicate') return { ...base, ok: true as const, eventId: id };
              throw raw;
            }
          });
        }
        case 'update':
          return await withRetries('patch', async () => {
            await api.events.patch({ calendarId: CALENDAR, eventId: op.eventId, requestBody: mapEvent(op.event) }, NO_CLIENT_RETRY);
            return { ...base, ok: true as const, eventId: op.eventId };
          });
        case 'delete':
          return await withRetries('delete', async (retried) => {
            try {
              await api.events.delete({ calendarId: CALENDAR, eventId: op.eventId }, NO_CLIENT_RETRY);
            } catch (raw) {
              // A retry's 404/410 after an attempt that may have gone through is our own deletion.
              if (retried && classify(raw).code === 'not_found') return { ...base, ok: true as const, eventId: op.eventId };
              throw raw;
            }
            return { ...base, ok: true as const, eventId: op.eventId };
          });
      }
    } catch (raw) {
      const error = classify(raw);
      if (isFatal(error)) throw error;
      return { ...base, ok: false, error };
    }
  }

  return {
    async write(ops, options = {}) {
      if (ops.length === 0) return [];
      await deps.ensureToken();
      const results: WriteResult[] = [];
      let fatal: CalendarProviderError | undefined;
      const started = Date.now();
      await pool(ops, deps.maxInFlight, async (op) => {
        let result: WriteResult;
        try {
          result = await perform(op);
        } catch (e) {
          fatal ??= classify(e);
          return;
        }
        results.push(result);
        if (options.onResult) await options.onResult(result);
      }, () => fatal !== undefined);
      if (fatal) throw fatal;
      log(`google: ${ops.length} writes done in ${Date.now() - started} ms, ${results.filter((r) => !r.ok).length} failed`);
      return results;
    },

    async findByKeys(keys) {
      const unique = [...new Set(keys)];
      const found = new Map<string, string>();
      if (!unique.length) return found;
      await deps.ensureToken();
      let failure: CalendarProviderError | undefined;
      await pool(unique, deps.maxInFlight, async (key) => {
        try {
          const res = await withRetries('list', () => api.events.list({ calendarId: CALENDAR, privateExtendedProperty: [`${SEGMENT_KEY_PROPERTY}=${key}`], maxResults: 2, showDeleted: false }, NO_CLIENT_RETRY));
          const ids = (res.data.items ?? []).map((e) => e.id).filter((id): id is string => typeof id === 'string');
          if (ids.length > 1) log(`google: ${ids.length} events carry one segment key; the first is kept in the mapping`);
          if (ids[0]) found.set(key, ids[0]);
        } catch (e) {
          failure ??= classify(e);
        }
      }, () => failure !== undefined);
      // A partial answer would make the sync engine create duplicates: all or nothing.
      if (failure) throw failure;
      return found;
    },
  };
}
