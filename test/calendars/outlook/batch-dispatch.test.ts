// The Outlook provider under both of the sandbox's `$batch` dispatch modes: every item at once
// (the stricter default) and Graph's own, at most 4 items of a batch at a time. The provider's
// pacing never relies on Graph queueing items: in either mode a backfill of 45 creates is written
// once each, with no 429, never more than 4 requests in the mailbox at once.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { SAKURA_TRADING } from '../../../sandbox/server.ts';
import type { BatchDispatch } from '../../../sandbox/config.ts';
import type { CalendarAccount, WriteOp } from '../../../src/calendars/account.ts';
import { connect, flightEvent, providerFor, startTestSandbox } from './support.ts';
import type { TestSandbox } from './support.ts';

const HANAKO = SAKURA_TRADING.users[1]!;

describe('Outlook provider: writes under either $batch dispatch mode', () => {
  let t: TestSandbox;
  let mailbox: CalendarAccount;
  before(async () => {
    t = await startTestSandbox();
    t.sandbox.control.grantConsent(SAKURA_TRADING.id);
    const provider = providerFor(t.sandbox, { retryPolicy: { baseDelayMs: 100 } });
    const c = await connect(t.sandbox, provider, HANAKO.userPrincipalName, SAKURA_TRADING.id);
    mailbox = provider.account({ details: c.account.details, credentials: c.cache });
  });
  after(() => t.close());

  for (const mode of ['all-at-once', 'four-at-a-time'] as BatchDispatch[]) {
    test(`${mode}: 45 creates, one event each, no 429, at most 4 requests in the mailbox at once`, async () => {
      assert.equal(t.sandbox.control.setThrottle({ batchDispatch: mode }).batchDispatch, mode);
      t.sandbox.control.clearMailbox(HANAKO.id);
      t.sandbox.control.clearRequestLog();
      t.sandbox.control.setLatency(30);
      const ops: WriteOp[] = Array.from({ length: 45 }, () => {
        const event = flightEvent();
        return { kind: 'create', key: event.key, event, transactionId: randomUUID() };
      });
      const results = await mailbox.write(ops);
      assert.equal(results.filter((r) => r.ok).length, 45);
      assert.equal(t.sandbox.control.mailboxEvents(HANAKO.id).length, 45);
      assert.deepEqual(t.sandbox.control.requestLog().filter((r) => r.status === 429).map((r) => r.path), []);
      assert.equal(t.sandbox.control.peakConcurrency(HANAKO.id), 4);
    });
  }
});
