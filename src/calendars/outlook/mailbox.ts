// One connected mailbox: WriteOps → Graph requests through paced JSON batches, and the listing of
// our events (those carrying our key, a single-value extended property) in every calendar of it.
import { randomUUID } from 'node:crypto';
import { CalendarProviderError } from '../errors.ts';
import type { CalendarAccount, FoundEvent, WriteOp, WriteResult } from '../account.ts';
import { CONTENT_HASH_PROPERTY_ID, SEGMENT_KEY_PROPERTY_ID } from './constants.ts';
import { CALENDARS_URL, mapCreate, mapUpdate, ourEventsUrl } from './map-event.ts';
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
  now?: () => number;
}

/** Whole-mailbox failures: nothing else can succeed, so the write stops and throws. */
const FATAL = new Set(['auth_lost', 'consent_missing', 'account_refused', 'policy_refused', 'calendar_unavailable']);
const isFatal = (e: CalendarProviderError) => FATAL.has(e.code);

function eventPath(eventId: string): string {
  return `/me/events/${encodeURIComponent(eventId)}`;
}

export function toRequest(op: WriteOp, id: string, now = Date.now()): BatchItemRequest {
  switch (op.kind) {
    case 'create':
      return { id, method: 'POST', url: '/me/events', body: mapCreate(op.event, op.key, op.transactionId, op.contentHash, now) };
    case 'update':
      // Every property the booking owns, always (a PATCH that repeats unchanged values is harmless,
      // one that omits a changed one is a silent bug), and nothing the traveler may have set.
      return { id, method: 'PATCH', url: eventPath(op.eventId), body: mapUpdate(op.event, op.contentHash, now) };
    case 'delete':
      return { id, method: 'DELETE', url: eventPath(op.eventId) };
  }
}

/** A create Graph refused because its transactionId was used before (another event, or a deleted one). */
function duplicateTransaction(op: WriteOp, outcome: ItemOutcome): boolean {
  return op.kind === 'create' && !outcome.ok && outcome.error.providerCode === 'ErrorDuplicateTransactionId';
}

interface ListedEvent {
  id?: unknown;
  singleValueExtendedProperties?: Array<{ id?: unknown; value?: unknown }>;
}

const sameProperty = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** The key and content hash an event carries (extended property ids compare without case). */
function keyOf(e: ListedEvent): { key?: string; hash: string | null } {
  let key: string | undefined;
  let hash: string | null = null;
  for (const p of e.singleValueExtendedProperties ?? []) {
    if (typeof p.id !== 'string' || typeof p.value !== 'string') continue;
    if (sameProperty(p.id, SEGMENT_KEY_PROPERTY_ID)) key = p.value;
    else if (sameProperty(p.id, CONTENT_HASH_PROPERTY_ID)) hash = p.value;
  }
  return { key, hash };
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
  const now = deps.now ?? Date.now;

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

  /** A nextLink (absolute) as the relative URL a $batch item takes. */
  const relative = (link: string): string => {
    const url = new URL(link);
    return `${url.pathname.replace(/^\/v1\.0(?=\/)/, '')}${url.search}`;
  };

  /**
   * Every page of each URL (following @odata.nextLink), the first pages of all URLs in one paced
   * run, then their next pages, and so on. All or nothing: the first failure is thrown.
   */
  const readPages = async (urls: string[], onItem: (item: unknown, from: number) => void): Promise<void> => {
    let pending = urls.map((url, from) => ({ url, from }));
    while (pending.length) {
      const next: typeof pending = [];
      let failure: CalendarProviderError | undefined;
      await run(pending.map(({ url }, i) => ({ id: String(i + 1), method: 'GET', url })), async (id, outcome) => {
        if (!outcome.ok) {
          failure ??= outcome.error;
          return;
        }
        const { from } = pending[Number(id) - 1]!;
        const page = (outcome.response.body ?? {}) as { value?: unknown[]; '@odata.nextLink'?: unknown };
        for (const item of page.value ?? []) onItem(item, from);
        if (typeof page['@odata.nextLink'] === 'string') next.push({ url: relative(page['@odata.nextLink']), from });
      });
      if (failure) throw failure;
      pending = next;
    }
  };

  /**
   * Our events in every calendar of the mailbox: the calendars and the default calendar's query go
   * together (one round trip, and all there is for most travelers), then one paged query for each
   * other calendar.
   */
  const listOurEvents = async (): Promise<Map<string, FoundEvent>> => {
    await tokens.get();
    const others: string[] = [];
    const found = new Map<string, FoundEvent>();
    let duplicates = 0;
    const take = (item: unknown) => {
      const e = item as ListedEvent;
      const { key, hash } = keyOf(e);
      if (!key || typeof e.id !== 'string') return;
      if (found.has(key)) duplicates++;
      else found.set(key, { eventId: e.id, contentHash: hash });
    };
    const calendars: Array<{ id: string; isDefault: boolean; owner?: string }> = [];
    await readPages([CALENDARS_URL, ourEventsUrl('default')], (item, from) => {
      if (from === 1) return take(item);
      const c = item as { id?: unknown; isDefaultCalendar?: unknown; owner?: { address?: unknown } };
      const owner = typeof c.owner?.address === 'string' ? c.owner.address.toLowerCase() : undefined;
      if (typeof c.id === 'string' && c.id) calendars.push({ id: c.id, isDefault: c.isDefaultCalendar === true, ...(owner ? { owner } : {}) });
    });
    // Only the traveler's own calendars: ours can be nowhere else, and a calendar another user
    // shared is out of Calendars.ReadWrite's reach (403, which would read as this traveler refused).
    const self = calendars.find((c) => c.isDefault)?.owner;
    for (const c of calendars) if (!c.isDefault && (!self || !c.owner || c.owner === self)) others.push(c.id);
    if (others.length) await readPages(others.map(ourEventsUrl), take);
    if (duplicates) log(`outlook: ${duplicates} more events carry a segment key already found; the first found is kept in the mapping`);
    return found;
  };

  const write: CalendarAccount['write'] = async (ops, options = {}) => {
    if (ops.length === 0) return [];
    // No token, no writes: the whole mailbox is unreachable (auth_lost, consent_missing) → throw.
    await tokens.get();
    const byId = new Map<string, WriteOp>();
    const at = now();
    const requests = ops.map((op, i) => {
      const id = String(i + 1);
      byId.set(id, op);
      return toRequest(op, id, at);
    });
    const results: WriteResult[] = [];
    const reused: WriteOp[] = [];
    const started = Date.now();
    await run(requests, async (id, outcome) => {
      const op = byId.get(id)!;
      // Answered after the others: the event is adopted by its key, or created anew.
      if (duplicateTransaction(op, outcome)) return void reused.push(op);
      const result = toResult(op, outcome);
      results.push(result);
      if (options.onResult) await options.onResult(result);
    });
    if (reused.length) results.push(...(await adoptReused(reused, options)));
    const failed = results.filter((r) => !r.ok).length;
    log(`outlook: ${ops.length} writes done in ${Date.now() - started} ms, ${failed} failed`);
    return results;
  };

  /**
   * Creates refused with ErrorDuplicateTransactionId (the transactionId was used for another event,
   * or for one since deleted): the event carrying the op's key, wherever it is, is adopted and
   * brought up to date; where there is none, the event is created with a new transactionId. Either
   * way the op's result is the event that now holds the booking: no orphan, no failed mapping.
   */
  const adoptReused = async (ops: WriteOp[], options: { onResult?: (result: WriteResult) => Promise<void> }): Promise<WriteResult[]> => {
    const ours = await listOurEvents();
    log(`outlook: ${ops.length} creates met a transactionId used before; adopting ${ops.filter((op) => ours.has(op.key)).length} events found by their key`);
    const again: WriteOp[] = ops.map((op) => {
      if (op.kind !== 'create') return op;
      const existing = ours.get(op.key);
      return existing
        ? { kind: 'update', key: op.key, eventId: existing.eventId, event: op.event, ...(op.contentHash ? { contentHash: op.contentHash } : {}) }
        : { ...op, transactionId: randomUUID() };
    });
    const results: WriteResult[] = [];
    await write(again, {
      onResult: async (r) => {
        // The op was a create: its answer is the create's, with the event that now holds it.
        const result: WriteResult = { ...r, kind: 'create' };
        results.push(result);
        if (options.onResult) await options.onResult(result);
      },
    });
    return results;
  };

  return {
    write,
    listOurEvents,
    async findByKeys(keys) {
      const found = new Map<string, string>();
      if (keys.length === 0) return found;
      const ours = await listOurEvents();
      for (const key of keys) {
        const e = ours.get(key);
        if (e) found.set(key, e.eventId);
      }
      return found;
    },
  };
}
