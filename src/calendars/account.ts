// What a connected calendar account can do, whatever the provider: apply writes idempotently, find
// the events we wrote by their key and, where the provider can do it in a few paged requests, list
// every event of ours in the account. A provider hands back this interface, never its SDK's types.
import type { DesiredEvent } from '../domain/project-segment.ts';
import type { CalendarProviderError } from './errors.ts';

/**
 * One calendar write. `transactionId` makes a retried create idempotent at the provider.
 * `contentHash` (the sync engine's hash of `event`), where given, is kept with the event where the
 * provider can keep it, so that a listing tells which events already hold what the booking says.
 */
export type WriteOp =
  | { kind: 'create'; key: string; event: DesiredEvent; transactionId: string; contentHash?: string }
  | { kind: 'update'; key: string; eventId: string; event: DesiredEvent; contentHash?: string }
  | { kind: 'delete'; key: string; eventId: string };

export type WriteResult =
  | { key: string; kind: WriteOp['kind']; ok: true; eventId: string }
  | { key: string; kind: WriteOp['kind']; ok: false; error: CalendarProviderError };

/** An event of ours found in the account: its id, and the content hash kept with it (null: none kept). */
export interface FoundEvent {
  eventId: string;
  contentHash: string | null;
}

/** One calendar, reachable with a credential the provider uses (and refreshes) itself. */
export interface CalendarAccount {
  /**
   * Applies the writes, batched and paced within the provider's limits; one result per op, in any
   * order. Throws CalendarProviderError only when the whole account is unreachable (auth_lost,
   * consent_missing); per-op failures are in the results.
   */
  write(ops: WriteOp[], options?: { onResult?: (result: WriteResult) => Promise<void> }): Promise<WriteResult[]>;
  /** The events carrying our key, for the keys given: key → event id. */
  findByKeys(keys: string[]): Promise<Map<string, string>>;
  /**
   * Every event carrying our key, wherever the traveler keeps it in the account (every calendar,
   * not only the default one; never a deleted one): key → event. All or nothing: throws when any
   * part of the listing fails. Providers that can only look keys up one by one leave it out.
   */
  listOurEvents?(): Promise<Map<string, FoundEvent>>;
}
