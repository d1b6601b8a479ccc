// The reconcile plan: desired events against what we already wrote → only the difference. Pure.
import { randomUUID } from 'node:crypto';
import type { WriteOp } from '../calendars/account.ts';
import type { DesiredEvent } from '../domain/project-segment.ts';
import type { StoredMapping } from '../store/calendar-connections.ts';
import type { MappingChange } from '../store/calendar-events.ts';

export interface Desired {
  event: DesiredEvent;
  hash: string;
}

/** A record of an event written (or being written) to the calendar. */
export type Mapping = StoredMapping;

/**
 * Whether the plan would update an event we know: before an update, a provider that can list our
 * events is asked where they are (a moved event is followed; one in no calendar was deleted by the
 * traveler, whatever its id still answers).
 */
export function updatesKnownEvents(desired: Map<string, Desired>, mappings: Map<string, Mapping>): boolean {
  for (const [key, d] of desired) {
    const m = mappings.get(key);
    if (m?.eventId && (m.state === 'synced' || m.state === 'failed') && m.contentHash !== d.hash) return true;
  }
  return false;
}

/**
 * Keys whose event may exist without our knowing its id: look them up before writing. Where the
 * provider's creates are idempotent by transactionId, a create whose content is unchanged is sent
 * again with the same transactionId (planWrites) instead: no look-up for it.
 */
export function keysToDiscover(desired: Map<string, Desired>, mappings: Map<string, Mapping>, rediscover: boolean, idempotentCreates = false): string[] {
  const keys = new Set<string>();
  for (const m of mappings.values()) {
    if (m.state !== 'creating' || m.eventId) continue;
    if (idempotentCreates && desired.get(m.segmentId)?.hash === m.contentHash) continue;
    keys.add(m.segmentId);
  }
  if (rediscover) for (const key of desired.keys()) if (!mappings.has(key)) keys.add(key);
  return [...keys];
}

/** A record to write before the calendar writes are sent (so a crash loses nothing). */
export type MappingWrite = MappingChange;

export interface Plan {
  /** Written before any calendar write. */
  before: MappingWrite[];
  ops: WriteOp[];
  /** The hash each op makes current, by key (for the mapping once the op succeeds). */
  hashes: Map<string, string>;
}

/**
 * `listed`, when given, says `found` is a complete listing of our events in the calendar (every
 * event of ours the traveler can see, wherever they keep it), with the content hash each carries:
 * a mapped event missing from it was deleted by the traveler, and a found event already holding
 * the desired content needs no write.
 *
 * - no mapping: create (or adopt the event found under our key, writing it only when its content
 *   differs);
 * - synced: update when the content hash differs, else nothing;
 * - creating (a create whose answer was lost): adopt the found event, or create again with the
 *   SAME transactionId, which the provider de-duplicates;
 * - user_deleted / failed: nothing until the content changes, then write again;
 * - a mapping no longer desired (cancelled): delete the event.
 */
export function planWrites(
  desired: Map<string, Desired>,
  mappings: Map<string, Mapping>,
  found: Map<string, string>,
  newId: () => string = randomUUID,
  listed?: Map<string, string | null>,
): Plan {
  const before: MappingWrite[] = [];
  const ops: WriteOp[] = [];
  const hashes = new Map<string, string>();

  const create = (key: string, d: Desired, transactionId: string) => {
    before.push({ kind: 'upsert', mapping: { segmentId: key, eventId: null, contentHash: d.hash, transactionId, state: 'creating' } });
    ops.push({ kind: 'create', key, event: d.event, transactionId, contentHash: d.hash });
    hashes.set(key, d.hash);
  };
  const update = (key: string, d: Desired, eventId: string) => {
    ops.push({ kind: 'update', key, eventId, event: d.event, contentHash: d.hash });
    hashes.set(key, d.hash);
  };
  /** Listed and not found: the traveler deleted it (or put it where no calendar shows it). */
  const goneFromListing = (key: string) => listed !== undefined && !found.has(key);

  for (const [key, d] of desired) {
    const m = mappings.get(key);
    const foundId = found.get(key);
    if (!m) {
      if (foundId && listed?.get(key) === d.hash) {
        // Written before, and it holds what the booking says: adopt it, no write.
        before.push({ kind: 'upsert', mapping: { segmentId: key, eventId: foundId, contentHash: d.hash, transactionId: newId(), state: 'synced' } });
      } else if (foundId) {
        // Written before (then the mapping was lost): adopt it, and make its content right.
        before.push({ kind: 'upsert', mapping: { segmentId: key, eventId: foundId, contentHash: '', transactionId: newId(), state: 'synced' } });
        update(key, d, foundId);
      } else {
        create(key, d, newId());
      }
      continue;
    }
    switch (m.state) {
      case 'creating':
        if (m.eventId || foundId) {
          const eventId = (m.eventId ?? foundId)!;
          before.push({ kind: 'upsert', mapping: { ...m, eventId, state: 'synced' } });
          if (m.contentHash !== d.hash) update(key, d, eventId);
        } else {
          create(key, d, m.contentHash === d.hash ? m.transactionId : newId());
        }
        break;
      case 'synced':
      case 'failed':
        if (goneFromListing(key) && (m.state === 'synced' || m.eventId)) {
          // Deleted by the traveler: written again only when the booking changed, as after a 404.
          if (m.contentHash !== d.hash) create(key, d, newId());
          else before.push({ kind: 'upsert', mapping: { ...m, eventId: null, state: 'user_deleted' } });
          break;
        }
        if (foundId && m.eventId && foundId !== m.eventId) {
          // Found under another id (moved by the traveler, its old id gone): followed there.
          before.push({ kind: 'upsert', mapping: { ...m, eventId: foundId } });
        }
        if (m.contentHash !== d.hash) {
          const eventId = foundId ?? m.eventId;
          if (eventId) update(key, d, eventId);
          else create(key, d, newId());
        }
        break;
      case 'user_deleted':
        if (foundId) {
          // Back in a calendar under our key (moved, or restored from Deleted Items): followed.
          const hash = listed?.get(key) ?? m.contentHash;
          before.push({ kind: 'upsert', mapping: { ...m, eventId: foundId, contentHash: hash, state: 'synced' } });
          if (hash !== d.hash) update(key, d, foundId);
        } else if (m.contentHash !== d.hash) create(key, d, newId());
        break;
    }
  }

  for (const [key, m] of mappings) {
    if (desired.has(key)) continue;
    const eventId = m.eventId ?? found.get(key);
    if (eventId && m.state !== 'user_deleted') ops.push({ kind: 'delete', key, eventId });
    else before.push({ kind: 'remove', segmentId: key });
  }
  return { before, ops, hashes };
}
