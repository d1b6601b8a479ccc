import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CalendarProviderError } from '../../../src/calendars/errors.ts';
import { chainBatch, defaultPacing, nextBatch, runPaced } from '../../../src/calendars/outlook/paced-batches.ts';
import type { BatchItemRequest, BatchItemResponse, ItemOutcome, PacedRunOptions } from '../../../src/calendars/outlook/paced-batches.ts';
import { DEFAULT_RETRY_POLICY } from '../../../src/calendars/outlook/retry-policy.ts';

const reqs = (n: number): BatchItemRequest[] => Array.from({ length: n }, (_, i) => ({ id: String(i + 1), method: 'POST', url: '/me/events', body: { i } }));
const ok = (id: string): BatchItemResponse => ({ id, status: 201, body: { id: `ev-${id}` } });

function options(send: PacedRunOptions['send'], over: Partial<PacedRunOptions> = {}): PacedRunOptions & { finals: Array<[string, ItemOutcome]> } {
  const finals: Array<[string, ItemOutcome]> = [];
  return {
    pacing: defaultPacing(4),
    policy: { ...DEFAULT_RETRY_POLICY, baseDelayMs: 5 },
    send,
    onUnauthorized: async () => {},
    onFinal: async (id, outcome) => void finals.push([id, outcome]),
    isFatal: (e) => e.code === 'auth_lost' || e.code === 'consent_missing',
    random: () => 0,
    ...over,
    finals,
  };
}

describe('paced batches', () => {
  test('the default pacing spreads what is ready evenly over the free lanes, as serial chains of at most 20', () => {
    for (const limit of [1, 2, 4, 10]) assert.ok(defaultPacing(limit).lanes <= limit);
    const p = defaultPacing(4);
    assert.deepEqual(nextBatch(p, 40, 4), { size: 10, serial: true });
    assert.deepEqual(nextBatch(p, 30, 3), { size: 10, serial: true });
    assert.deepEqual(nextBatch(p, 5, 4), { size: 2, serial: true });
    assert.deepEqual(nextBatch(p, 100, 4), { size: 20, serial: true });
    // What fits the free lanes one item each goes as one parallel batch: a single change is one call.
    assert.deepEqual(nextBatch(p, 3, 4), { size: 3, serial: false });
    assert.deepEqual(nextBatch(p, 1, 4), { size: 1, serial: false });
    assert.equal(nextBatch(p, 3, 0), undefined);
    const serial = chainBatch(reqs(3), true);
    assert.deepEqual(serial.map((r) => r.dependsOn), [undefined, ['1'], ['2']]);
  });

  test('40 requests go as 4 chains of 10, never more than 4 requests in service at once', async () => {
    let inService = 0;
    let most = 0;
    const batches: Array<{ ids: string[]; dependsOn: Array<string[] | undefined> }> = [];
    const o = options(async (batch) => {
      const lanes = batch.some((r) => r.dependsOn) ? 1 : batch.length;
      inService += lanes;
      most = Math.max(most, inService);
      batches.push({ ids: batch.map((r) => r.id), dependsOn: batch.map((r) => r.dependsOn) });
      await new Promise((r) => setTimeout(r, 5));
      inService -= lanes;
      return batch.map((r) => ok(r.id));
    });
    await runPaced(reqs(40), o);
    assert.equal(batches.length, 4);
    assert.deepEqual(batches.map((b) => b.ids.length), [10, 10, 10, 10]);
    for (const b of batches) assert.deepEqual(b.dependsOn.slice(1), b.ids.slice(0, -1).map((id) => [id]));
    assert.ok(most <= 4, `${most} requests in service at once`);
    assert.equal(o.finals.length, 40);
    assert.ok(o.finals.every(([, f]) => f.ok));
  });

  test('a batch that fills the lanes hands its results over before the next batch is sent', async () => {
    const events: string[] = [];
    const o = options(async (batch) => {
      events.push(`send ${batch.map((r) => r.id).join(',')}`);
      return batch.map((r) => ok(r.id));
    });
    o.pacing = { lanes: 4, itemsPerBatch: 4, shape: 'parallel' };
    o.onFinal = async (id) => {
      await new Promise((r) => setTimeout(r, 2));
      events.push(`final ${id}`);
    };
    await runPaced(reqs(6), o);
    assert.deepEqual(events, ['send 1,2,3,4', 'final 1', 'final 2', 'final 3', 'final 4', 'send 5,6', 'final 5', 'final 6']);
  });

  test('a 429 item waits its Retry-After and is sent again alone; its neighbours are final at once', async () => {
    let calls = 0;
    const sent: string[][] = [];
    const o = options(async (batch) => {
      calls++;
      sent.push(batch.map((r) => r.id));
      return batch.map((r) => (calls === 1 && r.id === '2' ? { id: r.id, status: 429, headers: { 'Retry-After': '0.05' } } : ok(r.id)));
    });
    const started = Date.now();
    await runPaced(reqs(3), o);
    assert.deepEqual(sent, [['1', '2', '3'], ['2']]);
    assert.ok(Date.now() - started >= 45);
    assert.deepEqual(o.finals.map(([id, f]) => [id, f.ok]), [['1', true], ['3', true], ['2', true]]);
  });

  test('a whole batch lost to a dropped connection is sent again and marked indeterminate', async () => {
    let calls = 0;
    const o = options(async (batch) => {
      if (++calls === 1) throw new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } });
      return batch.map((r) => (r.id === '1' ? { id: r.id, status: 404, body: { error: { code: 'ErrorItemNotFound' } } } : ok(r.id)));
    });
    await runPaced(reqs(2), o);
    const byId = new Map(o.finals);
    assert.equal(byId.get('1')!.ok, false);
    assert.equal(byId.get('1')!.indeterminate, true);
    assert.equal(byId.get('2')!.ok, true);
  });

  test('424 Failed Dependency is sent again without spending an attempt', async () => {
    let calls = 0;
    const o = options(async (batch) => {
      calls++;
      return batch.map((r) => (calls === 1 && r.id === '2' ? { id: r.id, status: 424 } : ok(r.id)));
    });
    await runPaced(reqs(2), o);
    assert.deepEqual(o.finals.map(([id, f]) => [id, f.ok]), [['1', true], ['2', true]]);
  });

  test('an item behind a chain refused again and again ends temporary (tried again later), never invalid', async () => {
    // The head of the chain is throttled for longer than the dependency retries last: the item
    // behind it meets 424 every time.
    let calls = 0;
    const o = options(async (batch) => {
      calls++;
      return batch.map((r) => (r.id === '1' ? { id: r.id, status: 429, headers: { 'Retry-After': '0' } } : { id: r.id, status: 424 }));
    }, { pacing: { lanes: 1, itemsPerBatch: 20, shape: 'serial' }, policy: { ...DEFAULT_RETRY_POLICY, baseDelayMs: 1, maxThrottledAttempts: 30 } });
    await runPaced(reqs(2), o);
    const second = o.finals.find(([id]) => id === '2')![1];
    assert.equal(second.ok, false);
    assert.equal(!second.ok && second.error.code, 'temporary');
    assert.ok(calls > 10, `${calls} batches`);
  });

  test('an auth failure stops the run and is thrown; nothing after it is sent', async () => {
    const sent: string[] = [];
    const o = options(async (batch) => {
      sent.push(...batch.map((r) => r.id));
      return batch.map((r) => ({ id: r.id, status: 401, body: { error: { code: 'InvalidAuthenticationToken' } } }));
    });
    o.onUnauthorized = async () => {
      throw new CalendarProviderError('auth_lost', 'refused', { providerCode: 'AADSTS700082' });
    };
    // 100 requests: the first four chains of 20 go out, and nothing after them.
    await assert.rejects(runPaced(reqs(100), o), (e: unknown) => e instanceof CalendarProviderError && e.code === 'auth_lost');
    assert.equal(sent.length, 80);
    assert.deepEqual(o.finals, []);
  });

  test('a 401 is answered by one token refresh and the items are sent again', async () => {
    let refreshed = 0;
    const o = options(async (batch) => batch.map((r) => (refreshed === 0 ? { id: r.id, status: 401 } : ok(r.id))));
    o.onUnauthorized = async () => void refreshed++;
    await runPaced(reqs(4), o);
    assert.equal(refreshed, 1);
    assert.ok(o.finals.every(([, f]) => f.ok));
  });

  test('a failing onResult (the mapping could not be written) stops the run', async () => {
    const sent: string[] = [];
    const o = options(async (batch) => {
      sent.push(...batch.map((r) => r.id));
      return batch.map((r) => ok(r.id));
    });
    o.onFinal = async () => {
      throw new Error('database down');
    };
    await assert.rejects(runPaced(reqs(100), o), /database down/);
    assert.equal(sent.length, 80);
  });
});
