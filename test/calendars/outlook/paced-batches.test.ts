import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CalendarProviderError } from '../../../src/calendars/contract.ts';
import { chainBatch, concurrentRequests, defaultPacing, runPaced } from '../../../src/calendars/outlook/paced-batches.ts';
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
  test('the default pacing never asks Exchange for more than the mailbox limit at once', () => {
    for (const limit of [1, 2, 4, 10]) assert.ok(concurrentRequests(defaultPacing(limit)) <= limit);
    assert.equal(defaultPacing(4).itemsPerBatch, 4);
    assert.equal(defaultPacing(50).itemsPerBatch, 20);
    const serial = chainBatch(reqs(3), 1);
    assert.deepEqual(serial.map((r) => r.dependsOn), [undefined, ['1'], ['2']]);
  });

  test('each batch\'s results are handed over before the next batch is sent (crash safety)', async () => {
    const events: string[] = [];
    const o = options(async (batch) => {
      events.push(`send ${batch.map((r) => r.id).join(',')}`);
      return batch.map((r) => ok(r.id));
    });
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

  test('an auth failure stops the run and is thrown; nothing after it is sent', async () => {
    const sent: string[] = [];
    const o = options(async (batch) => {
      sent.push(...batch.map((r) => r.id));
      return batch.map((r) => ({ id: r.id, status: 401, body: { error: { code: 'InvalidAuthenticationToken' } } }));
    });
    o.onUnauthorized = async () => {
      throw new CalendarProviderError('auth_lost', 'refused', { providerCode: 'AADSTS700082' });
    };
    await assert.rejects(runPaced(reqs(9), o), (e: unknown) => e instanceof CalendarProviderError && e.code === 'auth_lost');
    assert.deepEqual(sent, ['1', '2', '3', '4']);
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
    await assert.rejects(runPaced(reqs(8), o), /database down/);
    assert.deepEqual(sent, ['1', '2', '3', '4']);
  });
});
