// Measures batch shapes against the sandbox's MailboxConcurrency (4) and prints a table.
// Opt-in (MEASURE_PACING=1): it takes ~30 s. The default pacing's correctness is asserted in
// write.test.ts on every run.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { SAKURA_TRADING } from '../../../sandbox/server.ts';
import type { WriteOp } from '../../../src/calendars/account.ts';
import { createGraphTransport } from '../../../src/calendars/outlook/graph-transport.ts';
import { createMailbox } from '../../../src/calendars/outlook/mailbox.ts';
import { createTokenSource } from '../../../src/calendars/outlook/msal-session.ts';
import { HttpsConnections } from '../../../src/calendars/outlook/connections.ts';
import { createDispatcher, createMsalNetworkClient, trustWith } from '../../../src/calendars/outlook/network.ts';
import { defaultPacing } from '../../../src/calendars/outlook/paced-batches.ts';
import type { Pacing } from '../../../src/calendars/outlook/paced-batches.ts';
import { DEFAULT_RETRY_POLICY } from '../../../src/calendars/outlook/retry-policy.ts';
import { connect, flightEvent, providerFor, startTestSandbox } from './support.ts';
import type { MemoryCacheStore, TestSandbox } from './support.ts';

const SHAPES: Record<string, Pacing> = {
  'A: ≤4 parallel items per batch, 1 batch in flight': { lanes: 4, itemsPerBatch: 4, shape: 'parallel' },
  'B: 20 serial items per batch (dependsOn), 4 batches in flight': { lanes: 4, itemsPerBatch: 20, shape: 'serial' },
  'C: 1 item per batch, 4 batches in flight': { lanes: 4, itemsPerBatch: 1, shape: 'parallel' },
  'D: 20 parallel items per batch, 1 in flight (over the limit)': { lanes: 20, itemsPerBatch: 20, shape: 'parallel' },
  'E: balanced, 4 serial chains of n/4 (default)': defaultPacing(4),
};

describe('Outlook provider: pacing shapes measured against MailboxConcurrency', { skip: !process.env.MEASURE_PACING }, () => {
  let t: TestSandbox;
  let homeAccountId: string;
  let cache: MemoryCacheStore;
  const user = SAKURA_TRADING.users[1]!;
  before(async () => {
    t = await startTestSandbox();
    t.sandbox.control.grantConsent(SAKURA_TRADING.id);
    const c = await connect(t.sandbox, providerFor(t.sandbox), user.userPrincipalName, SAKURA_TRADING.id);
    homeAccountId = c.account.details.homeAccountId!;
    cache = c.cache;
  });
  after(() => t.close());

  test('45 creates per shape, per item latency and simulated round trip', async () => {
    const rows: string[] = [];
    const secureContext = trustWith(t.sandbox.caPem);
    const dispatcher = createDispatcher(secureContext);
    const connections = new HttpsConnections({ secureContext, dispatcher });
    const settings = { clientId: t.sandbox.app.clientId, clientSecret: t.sandbox.app.clientSecret, authorityHost: t.sandbox.url, network: createMsalNetworkClient(dispatcher), log: () => {} };
    for (const [itemMs, rttMs] of [[20, 0], [100, 0], [100, 100]] as const) {
      for (const [name, pacing] of Object.entries(SHAPES)) {
        t.sandbox.control.clearMailbox(user.id);
        t.sandbox.control.clearRequestLog();
        t.sandbox.control.setLatency(itemMs);
        const tokens = createTokenSource(settings, { homeAccountId, cache });
        const graph = createGraphTransport({ graphUrl: t.sandbox.url, connections }, tokens);
        // The round trip to Microsoft that a local sandbox lacks, added around each $batch.
        const transport = { sendBatch: async (r: Parameters<typeof graph.sendBatch>[0]) => (await sleep(rttMs / 2), await graph.sendBatch(r).finally(() => sleep(rttMs / 2))) };
        const mailbox = createMailbox({ tokens, transport, pacing, policy: DEFAULT_RETRY_POLICY, log: () => {} });
        const ops: WriteOp[] = Array.from({ length: 45 }, () => {
          const event = flightEvent();
          return { kind: 'create', key: event.key, event, transactionId: randomUUID() };
        });
        const started = performance.now();
        const results = await mailbox.write(ops);
        const ms = Math.round(performance.now() - started);
        const log = t.sandbox.control.requestLog();
        const throttled = log.filter((r) => r.status === 429).length;
        // D is over the limit on purpose: its refused items may run out of attempts.
        if (pacing.lanes <= 4) {
          assert.equal(t.sandbox.control.mailboxEvents(user.id).length, 45);
          assert.ok(results.every((r) => r.ok));
        }
        rows.push(`item ${itemMs} ms, rtt ${rttMs} ms | ${name.padEnd(66)} | ${String(ms).padStart(5)} ms | ${log.filter((r) => r.path === '/v1.0/$batch').length} batches | ${throttled} × 429 | ${t.sandbox.control.mailboxEvents(user.id).length} created | ≤${pacing.lanes} at once`);
      }
    }
    t.sandbox.control.setLatency(0);
    console.log(`\n${rows.join('\n')}\n`);
  });
});
