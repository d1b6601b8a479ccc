// The benchmark's yardsticks: the ceiling the sandbox's limits set, and the best a client that
// honours Retry-After can do when some requests fail.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ceiling, faultedCeiling } from '../../bench/ceiling.ts';
import { seeded } from '../support/sync-faults.ts';

const GRAPH = { concurrency: 4, budget: 10_000, latencyMs: 100 };

describe('benchmark ceiling', () => {
  test('50 mailboxes × 40 events at 100 ms, 4 in service: one second, 2,000 events/s', () => {
    assert.deepEqual(ceiling(50, 40, GRAPH), { seconds: 1, eventsPerSecond: 2000 });
  });

  test('past the 10-minute budget a mailbox waits for the next window', () => {
    // 10,000 in the first window, then 5,000 more at 4 × 10 per second.
    assert.equal(ceiling(1, 15_000, GRAPH).seconds, 600 + 125);
  });

  test('Google\'s per-user quota counts per minute: past it a calendar waits for the minute to pass', () => {
    const quota = { concurrency: 10, budget: 20, latencyMs: 100, windowSeconds: 60 };
    // 20 requests at 10 in flight take 0.2 s; the next 20 go once the first have left the minute.
    assert.equal(ceiling(1, 20, quota).seconds, 0.2);
    assert.ok(Math.abs(ceiling(10, 40, quota).seconds - 60.2) < 1e-9);
    assert.ok(Math.abs(ceiling(10, 40, quota).eventsPerSecond - 400 / 60.2) < 1e-9);
  });

  test('with no faults the simulated client meets the ceiling exactly', () => {
    assert.deepEqual(faultedCeiling(50, 40, GRAPH, 0, 1000, seeded(1)), { seconds: 1, eventsPerSecond: 2000 });
  });

  test('1% of requests failing with Retry-After 1 s roughly doubles the backfill, even for a client that loses nothing else', () => {
    const c = faultedCeiling(50, 40, GRAPH, 0.01, 1000, seeded(7));
    // About 20 of 2,000 requests fail; the last of them fails near the end of the first second
    // and may go again only a second later.
    assert.ok(c.seconds > 1.8 && c.seconds < 2.2, `${c.seconds} s`);
    // Each failure waits its own Retry-After: a longer one lengthens the backfill by as much.
    const longer = faultedCeiling(50, 40, GRAPH, 0.01, 3000, seeded(7));
    assert.ok(longer.seconds > c.seconds + 1.5, `${longer.seconds} s vs ${c.seconds} s`);
  });

  test('one mailbox whose every other request fails still finishes, later', () => {
    const c = faultedCeiling(1, 8, GRAPH, 0.5, 1000, seeded(3), 11);
    assert.ok(c.seconds >= 1.2, `${c.seconds} s`);
  });
});
