// The embedded database has one session, shared in turn (src/store/pglite-pool.ts). PGlite answers
// without any I/O, so the turns must still let the event loop reach its I/O phase: otherwise a
// queue of queries (50 reconciles reading at once) holds back every socket write and HTTP answer
// until the whole queue is done.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { openStore, type Store } from '../../src/store/database.ts';

describe('embedded database session', () => {
  let store: Store;
  before(async () => {
    store = await openStore({});
  });
  after(() => store.close());

  test('a long queue of queries lets timers and I/O run between its turns', async () => {
    let answered = 0;
    let answeredWhenTheTimerRan = -1;
    setTimeout(() => (answeredWhenTheTimerRan = answered), 0);
    await Promise.all(Array.from({ length: 300 }, async () => {
      await sql`select 1`.execute(store.db);
      answered++;
    }));
    assert.ok(answeredWhenTheTimerRan >= 0, 'the timer ran');
    assert.ok(answeredWhenTheTimerRan < 300, `the timer waited for all ${answered} queries`);
  });
});
