// What a booking request does to a trip's segments: pure, so "a retried call changes nothing"
// is a property of this function (same input → no changed ids → nothing written).
import { randomUUID } from 'node:crypto';
import type { ParsedSegment } from './parse-booking.ts';
import { segmentChanges } from './segment-changes.ts';
import type { SegmentTimes } from './segment-span.ts';
import type { Segment, SegmentDetails } from './types.ts';

/** JSON with sorted keys: equal details give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function detailsOf(segment: Segment): SegmentDetails {
  const { id: _id, ref: _ref, status: _status, sequence: _sequence, lastChange: _lastChange, ...details } = segment;
  return details as SegmentDetails;
}

export interface AppliedChange {
  segments: Segment[];
  times: Map<string, SegmentTimes>;
  changedSegmentIds: string[];
  cancelledSegmentIds: string[];
}

/**
 * The booking as it now stands (`wanted`) against what we hold (`current`): a new ref is added,
 * a known ref whose details differ is altered (SEQUENCE + 1), a ref no longer listed is
 * cancelled (SEQUENCE + 1), a cancelled ref listed again is reinstated (SEQUENCE + 1).
 */
export function applyBooking(current: Segment[], wanted: ParsedSegment[], newId: () => string = randomUUID): AppliedChange {
  const byRef = new Map(current.map((s) => [s.ref, s]));
  const wantedRefs = new Set(wanted.map((w) => w.ref));
  const segments: Segment[] = [];
  const times = new Map<string, SegmentTimes>();
  const changedSegmentIds: string[] = [];
  const cancelledSegmentIds: string[] = [];

  for (const w of wanted) {
    const existing = byRef.get(w.ref);
    if (!existing) {
      const id = newId();
      segments.push({ id, ref: w.ref, status: 'confirmed', sequence: 0, ...w.details } as Segment);
      changedSegmentIds.push(id);
    } else if (existing.status === 'cancelled' || canonicalJson(detailsOf(existing)) !== canonicalJson(w.details)) {
      // An altered segment says what changed; a reinstated one is as new.
      const lastChange = existing.status === 'confirmed' ? segmentChanges(detailsOf(existing), w.details) : [];
      segments.push({ id: existing.id, ref: w.ref, status: 'confirmed', sequence: existing.sequence + 1, ...w.details, ...(lastChange.length ? { lastChange } : {}) } as Segment);
      changedSegmentIds.push(existing.id);
    } else {
      segments.push(existing);
    }
    times.set(segments[segments.length - 1].id, { startsAt: w.startsAt, endsAt: w.endsAt });
  }
  for (const s of current) {
    if (wantedRefs.has(s.ref)) continue;
    if (s.status === 'confirmed') {
      segments.push({ ...s, status: 'cancelled', sequence: s.sequence + 1 });
      cancelledSegmentIds.push(s.id);
    } else {
      segments.push(s);
    }
  }
  return { segments, times, changedSegmentIds, cancelledSegmentIds };
}

/** Cancels the given segments (all confirmed ones when `refs` is undefined). */
export function cancelSegments(current: Segment[], refs?: Set<string>): { segments: Segment[]; cancelledSegmentIds: string[] } {
  const cancelledSegmentIds: string[] = [];
  const segments = current.map((s) => {
    if (s.status !== 'confirmed' || (refs && !refs.has(s.ref))) return s;
    cancelledSegmentIds.push(s.id);
    return { ...s, status: 'cancelled' as const, sequence: s.sequence + 1 };
  });
  return { segments, cancelledSegmentIds };
}
