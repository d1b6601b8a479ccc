// What a connected calendar account can do, whatever the provider: apply writes idempotently and
// find the events we wrote by their key. A provider hands back this interface, never its SDK's types.
import type { DesiredEvent } from '../domain/project-segment.ts';
import type { CalendarProviderError } from './errors.ts';

/** One calendar write. `transactionId` makes a retried create idempotent at the provider. */
export type WriteOp =
  | { kind: 'create'; key: string; event: DesiredEvent; transactionId: string }
  | { kind: 'update'; key: string; eventId: string; event: DesiredEvent }
  | { kind: 'delete'; key: string; eventId: string };

export type WriteResult =
  | { key: string; kind: WriteOp['kind']; ok: true; eventId: string }
  | { key: string; kind: WriteOp['kind']; ok: false; error: CalendarProviderError };

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
}
