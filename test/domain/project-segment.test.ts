// The projection of a trip into calendar events, for a company that removes cancelled bookings
// (the default) and for one that keeps them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventHash, projectTrip } from '../../src/domain/project-segment.ts';
import type { Trip } from '../../src/domain/types.ts';
import * as f from '../fixtures/trips.ts';

describe('projectTrip and cancelled bookings', () => {
  const partly = f.cancelledFlightTrip; // HND–LAX live, LAX–JFK cancelled
  const whole: Trip = { ...partly, status: 'cancelled', segments: partly.segments.map((s) => ({ ...s, status: 'cancelled' as const })) };

  it('by default: only the live segments, tentative, with their reminders', () => {
    const events = projectTrip(partly, 'en');
    assert.deepEqual(events.map((e) => e.key), partly.segments.filter((s) => s.status === 'confirmed').map((s) => s.id));
    assert.deepEqual(projectTrip(whole, 'en'), [], 'a cancelled trip has none');
    assert.ok(events.every((e) => e.showAs === 'tentative' && e.reminderMinutesBeforeStart === 180 && !('cancelled' in e)));
  });

  it('kept: every segment, the cancelled ones titled and described as cancelled, free, without reminder', () => {
    const events = projectTrip(partly, 'ja', { keepCancelled: true });
    assert.equal(events.length, partly.segments.length);
    const kept = events.find((e) => e.cancelled)!;
    assert.equal(kept.key, partly.segments.find((s) => s.status === 'cancelled')!.id);
    assert.match(kept.subject, /^キャンセル: NH 7518 /);
    assert.match(kept.body, /^この予約はキャンセルされました。\n\n/);
    assert.deepEqual([kept.showAs, kept.reminderMinutesBeforeStart], ['free', null]);
    const wholeKept = projectTrip(whole, 'en', { keepCancelled: true });
    assert.equal(wholeKept.length, whole.segments.length, "a cancelled trip's segments are all kept");
    assert.ok(wholeKept.every((e) => e.cancelled && e.subject.startsWith('Canceled: ') && e.showAs === 'free'));
  });

  it("a live booking's event is the same whatever the setting, so turning it on rewrites no live event", () => {
    const removed = projectTrip(partly, 'en');
    const kept = projectTrip(partly, 'en', { keepCancelled: true }).filter((e) => !e.cancelled);
    assert.deepEqual(kept.map(eventHash), removed.map(eventHash));
  });
});
