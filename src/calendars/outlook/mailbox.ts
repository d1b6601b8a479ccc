// One connected mailbox: WriteOps → Graph requests through paced JSON batches, and the search
// for our events by their key (the single-value extended property).
import { CalendarProviderError } from '../errors.ts';
import type { CalendarAccount, WriteOp, WriteResult } from '../account.ts';
import { findByKeyUrl, mapCreate, mapEvent } from './map-event.ts';
import { runPaced } from './paced-batches.ts';
import type { BatchItemRequest, ItemOutcome, Pacing } from './paced-batches.ts';
import type { RetryPolicy } from './retry-policy.ts';
import type { GraphTransport } from './graph-transport.ts';
import type { TokenSource } from './msal-session.ts';

export interface MailboxDeps {
  tokens: TokenSource;
  transport: GraphTransport;
  pacing: Pacing;
  policy: RetryPolicy;
  log: (line: string) => void;
}

/** Whole-mailbox failures: nothing else can succeed, so the write stops and throws. */
const FATAL = new Set(['auth_lost', 'consent_missing', 'account_refused', 'policy_refused', 'calendar_unavailable']);
const isFatal = (e: CalendarProviderError) => FATAL.has(e.code);

function eventPath(eventId: string): string {
  return `/me/events/${encodeURIComponent(eventId)}`;
}

export function toRequest(op: WriteOp, id: string): BatchItemRequest {
  switch (op.kind) {
    case 'create':
      return { id, method: 'POST', url: '/me/events', body: mapCreate(op.event, op.key, op.transactionId) };
    case 'update':
      // The full mapped event: a PATCH that repeats unchanged values is harmless, one that omits a
      // changed one is a silent bug. transactionId and the key are create-only.
      return { id, method: 'PATCH', url: eventPath(op.eventId), body: mapEvent(op.event) };
    case 'delete':
      return { id, method: 'DELETE', url: eventPath(op.eventId) };
  }
}

/** The WriteResult for an op's final outcome. */
export function toResult(op: WriteOp, outcome: ItemOutcome): WriteResult {
  const base = { key: op.key, kind: op.kind };
  if (outcome.ok) {
    if (op.kind === 'create') {
      const id = (outcome.response.body as { id?: unknown } | undefined)?.id;
      if (typeof id !== 'string' || !id) {
        return { ...base, ok: false, error: new CalendarProviderError('invalid', 'Microsoft Graph created the event but returned no id', { providerCode: 'NoEventId' }) };
      }
      return { ...base, ok: true, eventId: id };
    }
    return { ...base, ok: true, eventId: op.eventId };
  }
  // A delete whose earlier attempt may have gone through (connection dropped, answer lost):
  // the 404 of the retry is our own deletion, not the traveler's.
  if (op.kind === 'delete' && outcome.error.code === 'not_found' && outcome.indeterminate) {
    return { ...base, ok: true, eventId: op.eventId };
  }
  return { ...base, ok: false, error: outcome.error };
}

export function createMailbox(deps: MailboxDeps): CalendarAccount {
  const { tokens, transport, pacing, policy, log } = deps;

  const run = (requests: BatchItemRequest[], onFinal: (id: string, outcome: ItemOutcome) => Promise<void>) =>
    runPaced(requests, {
      pacing,
      policy,
      send: (reqs) => transport.sendBatch(reqs),
      onUnauthorized: () => tokens.refresh(),
      onFinal,
      isFatal,
      log,
    });

  return {
    async write(ops, options = {}) {
      if (ops.length === 0) return [];
      // No token, no writes: the whole mailbox is unreachable (auth_lost, consent_missing) → throw.
      await tokens.get();
      const byId = new Map<string, WriteOp>();
      const requests = ops.map((op, i) => {
        const id = String(i + 1);
        byId.set(id, op);
        return toRequest(op, id);
      });
      const results: WriteResult[] = [];
      const started = Date.now();
      await run(requests, async (id, outcome) => {
        const result = toResult(byId.get(id)!, outcome);
        results.push(result);
        if (options.onResult) await options.onResult(result);
      });
      const failed = results.filter((r) => !r.ok).length;
      log(`outlook: ${ops.length} writes done in ${Date.now() - started} ms, ${failed} failed`);
      return results;
    },

    async findByKeys(keys) {
      const unique = [...new Set(keys)];
      const found = new Map<string, string>();
      if (unique.length === 0) return found;
      await tokens.get();
      const keyById = new Map<string, string>();
      const requests = unique.map((key, i): BatchItemRequest => {
        const id = String(i + 1);
        keyById.set(id, key);
        return { id, method: 'GET', url: findByKeyUrl(key) };
      });
      let failure: CalendarProviderError | undefined;
      await run(requests, async (id, outcome) => {
        if (!outcome.ok) {
          failure ??= outcome.error;
          return;
        }
        const value = (outcome.response.body as { value?: Array<{ id?: unknown }> } | undefined)?.value ?? [];
        const ids = value.map((v) => v.id).filter((v): v is string => typeof v === 'string');
        if (ids.length > 1) log(`outlook: ${ids.length} events carry one segment key; the first is kept in the mapping`);
        if (ids[0]) found.set(keyById.get(id)!, ids[0]);
      });
      // A partial answer would make the sync engine create duplicates: all or nothing.
      if (failure) throw failure;
      return found;
    },
  };
}
