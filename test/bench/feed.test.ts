// The benchmark's feed section works end to end on a small size: every conditional request is a
// 304 and every plain one a 200 with the feed (the benchmark's own numbers come from `npm run bench`).
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { feedBench } from '../../bench/feed.ts';

test('feed bench: 304s to conditional requests, full feeds otherwise, none unexpected', async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tripcal-feed-bench-'));
  try {
    const result = await feedBench({ store: { dataDir }, travelers: 3, trips: 2, concurrency: 2, seconds: 0.5 });
    assert.ok(result.notModified.requests > 0 && result.full.requests > 0);
    assert.equal(result.notModified.unexpected, 0);
    assert.equal(result.full.unexpected, 0);
    assert.ok(result.feedBytes > 2000, `a feed of 2 trips is ${result.feedBytes} bytes`);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
