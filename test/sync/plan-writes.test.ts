import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DesiredEvent } from '../../src/domain/project-segment.ts';
import { keysToDiscover, planWrites, type Desired, type Mapping } from '../../src/sync/plan-writes.ts';

const event = (key: string, subject = `Flight ${key}`): DesiredEvent => ({
  key, subject, body: '', location: '', showAs: 'tentative', categories: ['Travel'], reminderMinutesBeforeStart: 180, isAllDay: false,
  start: { dateTime: '2026-12-01T10:00:00', timeZone: 'Asia/Tokyo' }, end: { dateTime: '2026-12-01T12:00:00', timeZone: 'Asia/Tokyo' },
});
const desired = (...entries: [string, string][]) => new Map<string, Desired>(entries.map(([key, hash]) => [key, { event: event(key), hash }]));
const mapping = (segmentId: string, state: Mapping['state'], contentHash: string, eventId: string | null = `evt-${segmentId}`): Mapping => ({ segmentId, eventId, contentHash, transactionId: `tx-${segmentId}`, state });
const mappings = (...ms: Mapping[]) => new Map(ms.map((m) => [m.segmentId, m]));
let n = 0;
const ids = () => `new-${++n}`;

describe('reconcile plan', () => {
  test('an unchanged booking needs no write', () => {
    const plan = planWrites(desired(['a', 'h1'], ['b', 'h2']), mappings(mapping('a', 'synced', 'h1'), mapping('b', 'synced', 'h2')), new Map());
    assert.deepEqual(plan.ops, []);
    assert.deepEqual(plan.before, []);
  });

  test('a one-segment change is exactly one update', () => {
    const plan = planWrites(desired(['a', 'h1-changed'], ['b', 'h2']), mappings(mapping('a', 'synced', 'h1'), mapping('b', 'synced', 'h2')), new Map());
    assert.deepEqual(plan.ops.map((o) => [o.kind, o.key]), [['update', 'a']]);
  });

  test('a new segment is created, recorded as creating before it is sent', () => {
    const plan = planWrites(desired(['a', 'h1']), new Map(), new Map(), ids);
    assert.equal(plan.ops[0].kind, 'create');
    assert.equal(plan.before[0].kind, 'upsert');
    assert.deepEqual(plan.before[0].kind === 'upsert' && [plan.before[0].mapping.state, plan.before[0].mapping.transactionId], ['creating', plan.ops[0].kind === 'create' && plan.ops[0].transactionId]);
  });

  test('a cancelled segment is deleted', () => {
    const plan = planWrites(desired(), mappings(mapping('a', 'synced', 'h1')), new Map());
    assert.deepEqual(plan.ops, [{ kind: 'delete', key: 'a', eventId: 'evt-a' }]);
  });

  test('a create whose answer was lost is adopted when found, never created twice', () => {
    const lost = mappings(mapping('a', 'creating', 'h1', null));
    assert.deepEqual(keysToDiscover(desired(['a', 'h1']), lost, false), ['a']);
    const plan = planWrites(desired(['a', 'h1']), lost, new Map([['a', 'evt-found']]));
    assert.deepEqual(plan.ops, []);
    assert.deepEqual(plan.before, [{ kind: 'upsert', mapping: { ...lost.get('a')!, eventId: 'evt-found', state: 'synced' } }]);
  });

  test('a create whose answer was lost and which is not found is sent again with the same transactionId', () => {
    const plan = planWrites(desired(['a', 'h1']), mappings(mapping('a', 'creating', 'h1', null)), new Map());
    assert.equal(plan.ops[0].kind === 'create' && plan.ops[0].transactionId, 'tx-a');
  });

  test('where creates are idempotent by transactionId, an unanswered create of unchanged content is sent again without a look-up', () => {
    const lost = mappings(mapping('a', 'creating', 'h1', null), mapping('b', 'creating', 'h2', null));
    // b's booking changed since: its create goes with a new transactionId, so it is looked up first.
    const want = desired(['a', 'h1'], ['b', 'h3']);
    assert.deepEqual(keysToDiscover(want, lost, false, true), ['b']);
    assert.deepEqual(keysToDiscover(want, lost, false, false).sort(), ['a', 'b']);
    const plan = planWrites(want, lost, new Map(), ids);
    assert.equal(plan.ops.find((o) => o.key === 'a')?.kind === 'create' && (plan.ops.find((o) => o.key === 'a') as { transactionId: string }).transactionId, 'tx-a');
  });

  test('an event the traveler deleted is not recreated until the booking changes', () => {
    assert.deepEqual(planWrites(desired(['a', 'h1']), mappings(mapping('a', 'user_deleted', 'h1', null)), new Map()).ops, []);
    const changed = planWrites(desired(['a', 'h2']), mappings(mapping('a', 'user_deleted', 'h1', null)), new Map(), ids);
    assert.deepEqual(changed.ops.map((o) => o.kind), ['create']);
  });

  test('after a reconnect, events found by their key are adopted and corrected, not duplicated', () => {
    const want = desired(['a', 'h1'], ['b', 'h2']);
    assert.deepEqual(keysToDiscover(want, new Map(), true).sort(), ['a', 'b']);
    assert.deepEqual(keysToDiscover(want, new Map(), false), []);
    const plan = planWrites(want, new Map(), new Map([['a', 'evt-a']]), ids);
    assert.deepEqual(plan.ops.map((o) => [o.kind, o.key]), [['update', 'a'], ['create', 'b']]);
  });

  describe('with a complete listing of our events (every calendar of the account)', () => {
    test('a reconnect adopts events already holding the booking without writing them; others are updated or created', () => {
      const want = desired(['a', 'h1'], ['b', 'h2'], ['c', 'h3']);
      const found = new Map([['a', 'evt-a'], ['b', 'evt-b']]);
      const listed = new Map<string, string | null>([['a', 'h1'], ['b', null]]);
      const plan = planWrites(want, new Map(), found, ids, listed);
      assert.deepEqual(plan.ops.map((o) => [o.kind, o.key]), [['update', 'b'], ['create', 'c']]);
      const adopted = plan.before.find((c) => c.kind === 'upsert' && c.mapping.segmentId === 'a');
      assert.deepEqual(adopted?.kind === 'upsert' && [adopted.mapping.eventId, adopted.mapping.contentHash, adopted.mapping.state], ['evt-a', 'h1', 'synced']);
    });

    test('an event in no calendar was deleted by the traveler: written again only when the booking changed', () => {
      const unchanged = planWrites(desired(['a', 'h1']), mappings(mapping('a', 'synced', 'h1')), new Map(), ids, new Map());
      assert.deepEqual(unchanged.ops, []);
      assert.deepEqual(unchanged.before.map((c) => c.kind === 'upsert' && [c.mapping.state, c.mapping.eventId]), [['user_deleted', null]]);
      const changed = planWrites(desired(['a', 'h2']), mappings(mapping('a', 'synced', 'h1')), new Map(), ids, new Map());
      assert.deepEqual(changed.ops.map((o) => [o.kind, o.key]), [['create', 'a']]);
    });

    test('an event found under another id (moved) is followed, never created twice', () => {
      const plan = planWrites(desired(['a', 'h2']), mappings(mapping('a', 'synced', 'h1')), new Map([['a', 'evt-moved']]), ids, new Map([['a', 'h1']]));
      assert.deepEqual(plan.ops.map((o) => [o.kind, o.kind === 'update' && o.eventId]), [['update', 'evt-moved']]);
      const back = planWrites(desired(['a', 'h2']), mappings(mapping('a', 'user_deleted', '', null)), new Map([['a', 'evt-moved']]), ids, new Map([['a', 'h1']]));
      assert.deepEqual(back.ops.map((o) => [o.kind, o.kind === 'update' && o.eventId]), [['update', 'evt-moved']]);
    });

    test('creates and updates carry the content hash the provider keeps with the event', () => {
      const plan = planWrites(desired(['a', 'h1'], ['b', 'h9']), mappings(mapping('b', 'synced', 'h2')), new Map(), ids);
      assert.deepEqual(plan.ops.map((o) => o.kind !== 'delete' && o.contentHash), ['h1', 'h9']);
    });
  });
});
