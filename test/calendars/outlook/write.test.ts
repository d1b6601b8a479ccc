import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, test } from 'node:test';
import { SAKURA_TRADING } from '../../../sandbox/server.ts';
import type { LoggedRequest } from '../../../sandbox/server.ts';
import type { CalendarAccount, WriteOp, WriteResult } from '../../../src/calendars/account.ts';
import type { CredentialStore } from '../../../src/calendars/connection.ts';
import { SEGMENT_KEY_PROPERTY_ID } from '../../../src/calendars/outlook/index.ts';
import { connect, flightEvent, providerFor, startTestSandbox } from './support.ts';
import type { TestSandbox } from './support.ts';

const TARO = SAKURA_TRADING.users[2]!;

describe('Outlook provider: writing to a mailbox through paced JSON batches', () => {
  let t: TestSandbox;
  let mailbox: CalendarAccount;
  let account: { details: Record<string, string>; credentials: CredentialStore };

  before(async () => {
    t = await startTestSandbox();
    t.sandbox.control.grantConsent(SAKURA_TRADING.id);
    // The fixtures' flights are in December 2026: "now" is before them, so they are written with reminders.
    const provider = providerFor(t.sandbox, { retryPolicy: { baseDelayMs: 100 }, now: () => Date.parse('2026-11-01T00:00:00Z') });
    const c = await connect(t.sandbox, provider, TARO.userPrincipalName, SAKURA_TRADING.id);
    account = { details: c.account.details, credentials: c.cache };
    mailbox = provider.account(account);
  });
  after(() => t.close());
  beforeEach(() => {
    t.sandbox.control.clearMailbox(TARO.id);
    t.sandbox.control.clearFaults();
    t.sandbox.control.setLatency(0);
    t.sandbox.control.clearRequestLog();
  });

  const events = () => t.sandbox.control.mailboxEvents(TARO.id);
  const create = (over = {}): Extract<WriteOp, { kind: 'create' }> => {
    const event = flightEvent(over);
    return { kind: 'create', key: event.key, event, transactionId: randomUUID() };
  };
  const batchItems = (log: LoggedRequest[]) => log.filter((r) => r.batchId !== undefined);

  test('create, update and delete are seen in the mailbox; each result is handed over as it is known', async () => {
    const op = create();
    const seen: WriteResult[] = [];
    const [created] = await mailbox.write([op], { onResult: async (r) => void seen.push(r) });
    assert.ok(created?.ok);
    assert.deepEqual(seen, [created]);
    let stored = events();
    assert.equal(stored.length, 1);
    const ev = stored[0]!;
    // Immutable ids (Prefer: IdType="ImmutableId"): the id we keep is not the regular one.
    assert.equal(ev._immutableId, created.eventId);
    assert.equal(ev.subject, op.event.subject);
    assert.equal(ev.showAs, 'tentative');
    assert.deepEqual(ev.categories, ['Travel']);
    assert.equal(ev.isReminderOn, true);
    assert.equal(ev.reminderMinutesBeforeStart, 180);
    assert.deepEqual(ev.start, { dateTime: '2026-12-01T09:00:00.0000000', timeZone: 'Tokyo Standard Time' });
    assert.equal(ev.transactionId, op.transactionId);
    assert.deepEqual(ev.singleValueExtendedProperties, [{ id: SEGMENT_KEY_PROPERTY_ID, value: op.key }]);

    const moved = { ...op.event, subject: 'NH 999 moved', start: { dateTime: '2026-12-02T11:00:00', timeZone: 'Asia/Tokyo' }, end: { dateTime: '2026-12-02T12:00:00', timeZone: 'Asia/Tokyo' }, reminderMinutesBeforeStart: null };
    const [updated] = await mailbox.write([{ kind: 'update', key: op.key, eventId: created.eventId, event: moved }]);
    assert.deepEqual(updated, { key: op.key, kind: 'update', ok: true, eventId: created.eventId });
    stored = events();
    assert.equal(stored[0]!.subject, 'NH 999 moved');
    // A booking change rewrites what the booking owns; the reminder is left as it is.
    assert.equal(stored[0]!.isReminderOn, true);
    assert.deepEqual(stored[0]!.categories, ['Travel']);
    assert.match(String((stored[0]!.start as { dateTime: string }).dateTime), /^2026-12-02T11:00:00/);
    // The key and transactionId written at create time are untouched by the PATCH.
    assert.equal(stored[0]!.transactionId, op.transactionId);

    const [deleted] = await mailbox.write([{ kind: 'delete', key: op.key, eventId: created.eventId }]);
    assert.deepEqual(deleted, { key: op.key, kind: 'delete', ok: true, eventId: created.eventId });
    assert.equal(events().length, 0);
  });

  test('each reconcile opens the mailbox afresh, yet the authority\'s metadata is fetched once, not per opening', async () => {
    const provider = providerFor(t.sandbox);
    for (let i = 0; i < 3; i++) {
      const [r] = await provider.account(account).write([create()]);
      assert.ok(r?.ok);
    }
    assert.equal(events().length, 3);
    const metadata = t.sandbox.control.requestLog().filter((r) => r.method === 'GET' && r.path.includes('openid-configuration'));
    assert.equal(metadata.length, 1, metadata.map((r) => r.path).join(', '));
  });

  test('an update or delete of an event the traveler deleted ends as not_found', async () => {
    const results = await mailbox.write([
      { kind: 'update', key: 'gone-1', eventId: 'AAMkAGI2-does-not-exist', event: flightEvent() },
      { kind: 'delete', key: 'gone-2', eventId: 'AAMkAGI2-does-not-exist' },
    ]);
    assert.equal(results.length, 2);
    for (const r of results) {
      assert.equal(r.ok, false);
      assert.equal(!r.ok && r.error.code, 'not_found');
      assert.equal(!r.ok && r.error.providerCode, 'ErrorItemNotFound');
    }
  });

  test('45 creates: batches of at most 20, never more than 4 requests at once, no self-inflicted 429', async () => {
    // Latency makes the items in service overlap in the sandbox, so any excess over 4 would be refused.
    t.sandbox.control.setLatency(40);
    const ops = Array.from({ length: 45 }, () => create());
    const results = await mailbox.write(ops);
    assert.equal(results.length, 45);
    assert.ok(results.every((r) => r.ok));
    assert.equal(events().length, 45);
    assert.equal(new Set(results.map((r) => r.ok && r.eventId)).size, 45);
    const log = t.sandbox.control.requestLog();
    const batches = log.filter((r) => r.path === '/v1.0/$batch');
    for (const b of batches) {
      const requests = (b.body as { requests: Array<{ id: string; dependsOn?: string[] }> }).requests ?? [];
      assert.ok(requests.length >= 1 && requests.length <= 20, `batch of ${requests.length}`);
      // Exchange runs a parallel batch's items at once, so one holds at most the mailbox's 4; a
      // serial one (each item depends on the one before) has one item in service at a time.
      const serial = requests.every((r, i) => (i === 0 ? !r.dependsOn : r.dependsOn?.length === 1 && r.dependsOn[0] === requests[i - 1]!.id));
      assert.ok(serial || requests.length <= 4, `parallel batch of ${requests.length} would exceed MailboxConcurrency`);
    }
    // 45 creates over 4 lanes: 4 serial chains (12, 11, 11, 11), not 12 batches of 4.
    assert.equal(batches.length, 4);
    assert.equal(batches.reduce((s, b) => s + (b.body as { requests: unknown[] }).requests.length, 0), 45);
    // The items as the sandbox ran them: never more than 4 in service at once.
    const items = log.filter((r) => r.path === '/v1.0/me/events' && r.method === 'POST');
    const edges = items.flatMap((r) => [[r.startedMs!, 1], [r.finishedMs!, -1]] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let inService = 0;
    let most = 0;
    for (const [, d] of edges) most = Math.max(most, (inService += d));
    assert.ok(most <= 4, `${most} requests in service at once`);
    assert.equal(most, 4, 'the mailbox\'s 4 lanes were all used');
    assert.deepEqual(log.filter((r) => r.status === 429), [], 'no 429 at all');
  });

  test('a $batch refused as a whole (503, Retry-After: 1) is sent again after its Retry-After, once', async () => {
    t.sandbox.control.addFault({ kind: 503, method: 'POST', pathContains: '/$batch', times: 1, retryAfterSeconds: 1 });
    const started = Date.now();
    const results = await mailbox.write([create(), create()]);
    assert.ok(results.every((r) => r.ok), JSON.stringify(results));
    // The answer's status and Retry-After header reached the retry policy (its own backoff is 100 ms here).
    assert.ok(Date.now() - started >= 900, 'waited for the Retry-After');
    const batches = t.sandbox.control.requestLog().filter((r) => r.path === '/v1.0/$batch');
    assert.deepEqual(batches.map((b) => b.status), [503, 200]);
    assert.equal(events().length, 2);
  });

  test('injected 429, 503 and 504 answers are retried, ending with exactly one event each', async () => {
    t.sandbox.control.addFault({ kind: 429, method: 'POST', pathContains: '/events', times: 1, retryAfterSeconds: 1 });
    t.sandbox.control.addFault({ kind: 503, method: 'POST', pathContains: '/events', times: 1, retryAfterSeconds: 0 });
    t.sandbox.control.addFault({ kind: 504, method: 'POST', pathContains: '/events', times: 1 });
    const ops = [create(), create()];
    const started = Date.now();
    const results = await mailbox.write(ops);
    assert.ok(results.every((r) => r.ok), JSON.stringify(results));
    assert.ok(Date.now() - started >= 900, 'the 429 waited for its Retry-After');
    const stored = events();
    assert.equal(stored.length, 2);
    assert.deepEqual(stored.map((e) => e.transactionId).sort(), ops.map((o) => o.transactionId).sort());
    const items = batchItems(t.sandbox.control.requestLog());
    assert.deepEqual(items.map((r) => r.status).sort(), [201, 201, 429, 503, 504]);
  });

  test('a dropped connection mid-batch is retried; transactionId keeps it to one event per create', async () => {
    t.sandbox.control.addFault({ kind: 'drop', method: 'POST', pathContains: '/events', times: 1 });
    const ops = [create(), create(), create()];
    const results = await mailbox.write(ops);
    assert.ok(results.every((r) => r.ok), JSON.stringify(results));
    assert.equal(events().length, 3);
    const log = t.sandbox.control.requestLog();
    assert.ok(log.some((r) => r.path === '/v1.0/$batch' && r.status === 0), 'the connection was dropped once');
  });

  test('a delete carried out before the connection dropped is not reported as not_found on its retry', async () => {
    const created = await mailbox.write([create(), create()]);
    const [a, b] = created.map((r) => (r.ok ? r.eventId : ''));
    // The batch runs A, then B's connection drops: the answer for A is lost with it.
    t.sandbox.control.addFault({ kind: 'drop', method: 'DELETE', pathContains: encodeURIComponent(b!), times: 1 });
    const results = await mailbox.write([
      { kind: 'delete', key: 'a', eventId: a! },
      { kind: 'delete', key: 'b', eventId: b! },
    ]);
    assert.deepEqual(results.map((r) => r.ok).sort(), [true, true], JSON.stringify(results));
    assert.equal(events().length, 0);
    const deletes = t.sandbox.control.requestLog().filter((r) => r.method === 'DELETE').map((r) => r.status);
    // A deleted and B dropped (the answer to both lost); then A 404 (our own deletion) and B deleted.
    assert.deepEqual(deletes.sort(), [0, 204, 204, 404]);
  });

  test('a create sent again with the same transactionId returns the first event, not a second one', async () => {
    const op = create();
    const [first] = await mailbox.write([op]);
    const [again] = await mailbox.write([op]);
    assert.ok(first?.ok && again?.ok);
    assert.equal(again.eventId, first.eventId);
    assert.equal(events().length, 1);
  });

  test('503s that never end are reported as temporary after bounded attempts', async () => {
    t.sandbox.control.addFault({ kind: 503, method: 'POST', pathContains: '/events', retryAfterSeconds: 0 });
    const [r] = await mailbox.write([create()]);
    assert.equal(r?.ok, false);
    assert.equal(!r!.ok && r!.error.code, 'temporary');
    const attempts = batchItems(t.sandbox.control.requestLog()).length;
    assert.equal(attempts, 4);
  });

  test('a request that hangs times out as temporary; the create it carried still makes one event only', async () => {
    const provider = providerFor(t.sandbox, { requestTimeoutMs: 300, retryPolicy: { baseDelayMs: 100, maxAttempts: 2 } });
    const slow = provider.account(account);
    t.sandbox.control.setLatency(1200);
    const [r] = await slow.write([create()]);
    assert.equal(r?.ok, false);
    assert.equal(!r!.ok && r!.error.code, 'temporary');
    // The sandbox finishes what it was sent; transactionId folds the two attempts into one event.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(events().length, 1);
  });

  test('a booking change keeps the categories and reminder the traveler set; a past event gets no reminder', async () => {
    const op = create();
    const [created] = await mailbox.write([op]);
    assert.ok(created?.ok);
    t.sandbox.control.editEvent(TARO.id, created.eventId, { categories: ['Travel', 'Customer visit'], reminderMinutesBeforeStart: 30 });
    const later = { ...op.event, subject: 'NH 999 later', start: { dateTime: '2026-12-01T15:00:00', timeZone: 'Asia/Tokyo' }, end: { dateTime: '2026-12-01T16:10:00', timeZone: 'Asia/Tokyo' } };
    const [updated] = await mailbox.write([{ kind: 'update', key: op.key, eventId: created.eventId, event: later, contentHash: 'h2' }]);
    assert.ok(updated?.ok);
    const [ev] = events();
    assert.equal(ev!.subject, 'NH 999 later');
    assert.match(String((ev!.start as { dateTime: string }).dateTime), /^2026-12-01T15:00:00/);
    assert.deepEqual(ev!.categories, ['Travel', 'Customer visit']);
    assert.equal(ev!.reminderMinutesBeforeStart, 30);
    assert.equal(ev!.isReminderOn, true);

    // The same mailbox when "now" is after the flight: created without a reminder, and a change
    // to it turns the reminder off (Outlook would pop it up as overdue).
    const afterwards = providerFor(t.sandbox, { now: () => Date.parse('2027-01-15T00:00:00Z') }).account(account);
    const past = create({ key: 'seg-past' });
    const [pastCreated] = await afterwards.write([past]);
    assert.ok(pastCreated?.ok);
    const stored = () => events().find((e) => e._immutableId === pastCreated.eventId)!;
    assert.equal(stored().isReminderOn, false);
    assert.deepEqual(stored().categories, ['Travel']);
    await afterwards.write([{ kind: 'update', key: op.key, eventId: created.eventId, event: later }]);
    assert.equal(events().find((e) => e._immutableId === created.eventId)!.isReminderOn, false);
  });

  test('a create whose transactionId was used before adopts the event carrying its key, or creates it anew', async () => {
    // Created, its answer lost, then edited by the traveler: the retry's transactionId now names a
    // different event, and Graph refuses it. The event is adopted by its key and brought up to date.
    const op = create();
    const [first] = await mailbox.write([op]);
    assert.ok(first?.ok);
    t.sandbox.control.editEvent(TARO.id, first.eventId, { subject: 'renamed by the traveler' });
    const seen: WriteResult[] = [];
    const [retried] = await mailbox.write([op], { onResult: async (r) => void seen.push(r) });
    assert.deepEqual(retried, { key: op.key, kind: 'create', ok: true, eventId: first.eventId });
    assert.deepEqual(seen, [retried]);
    assert.equal(events().length, 1);
    assert.equal(events()[0]!.subject, op.event.subject);
    const refusals = batchItems(t.sandbox.control.requestLog()).filter((r) => r.status === 400);
    assert.equal(refusals.length, 1, 'Graph refused the reused transactionId once');

    // Deleted since: its transactionId is spent, and nothing carries the key: created anew.
    t.sandbox.control.deleteEvent(TARO.id, first.eventId);
    const [again] = await mailbox.write([op]);
    assert.ok(again?.ok, JSON.stringify(again));
    assert.notEqual(again.eventId, first.eventId);
    assert.equal(events().length, 1);
    assert.notEqual(events()[0]!.transactionId, op.transactionId);
  });

  test('listOurEvents finds our events in every calendar, with the content hash each carries', async () => {
    const travel = t.sandbox.control.calendars(TARO.id).find((c) => c.name === 'Trips') ?? t.sandbox.control.addCalendar(TARO.id, 'Trips');
    const a = create({ key: 'seg-a' });
    const b = { ...create({ key: 'seg-b' }), contentHash: 'hash-b' };
    const [ra, rb] = await mailbox.write([a, b]);
    assert.ok(ra?.ok && rb?.ok);
    t.sandbox.control.moveEvent(TARO.id, rb.key === 'seg-b' ? rb.eventId : ra.eventId, travel.id);
    const ours = await mailbox.listOurEvents!();
    assert.deepEqual(new Map([...ours].sort()), new Map([
      ['seg-a', { eventId: ra.key === 'seg-a' ? ra.eventId : rb.eventId, contentHash: null }],
      ['seg-b', { eventId: rb.key === 'seg-b' ? rb.eventId : ra.eventId, contentHash: 'hash-b' }],
    ]));
    t.sandbox.control.moveEvent(TARO.id, rb.key === 'seg-b' ? rb.eventId : ra.eventId, 'deleteditems');
    assert.deepEqual([...(await mailbox.listOurEvents!()).keys()], ['seg-a'], 'an event in Deleted Items is in no calendar');
    // A calendar another user shared with the traveler is listed by Graph but not searched: its
    // events would answer 403 to Calendars.ReadWrite.
    const shared = t.sandbox.control.calendars(TARO.id).find((c) => c.sharedBy) ?? t.sandbox.control.addCalendar(TARO.id, 'Team', { sharedBy: SAKURA_TRADING.users[1]!.userPrincipalName });
    t.sandbox.control.clearRequestLog();
    assert.deepEqual([...(await mailbox.listOurEvents!()).keys()], ['seg-a']);
    const paths = batchItems(t.sandbox.control.requestLog()).map((r) => r.path);
    assert.ok(!paths.some((p) => p.includes(encodeURIComponent(shared.id))), 'the shared calendar is not queried');
    assert.ok(paths.some((p) => p.includes(encodeURIComponent(travel.id))), 'the traveler\'s own other calendar is');
  });

  test('findByKeys finds our events again when the mapping is lost', async () => {
    const ops = Array.from({ length: 7 }, (_, i) => create({ key: `trip-9/seg-${i}'quote` }));
    const results = await mailbox.write(ops);
    const byKey = new Map(results.map((r) => [r.key, r.ok ? r.eventId : '']));
    const found = await mailbox.findByKeys([...ops.map((o) => o.key), 'never-written']);
    assert.equal(found.size, 7);
    for (const o of ops) assert.equal(found.get(o.key), byKey.get(o.key));
    assert.equal(found.has('never-written'), false);
    // One listing, not a lookup per key: the calendars with the default calendar's query, then
    // one paged query per other calendar.
    const gets = batchItems(t.sandbox.control.requestLog()).filter((r) => r.method === 'GET');
    const others = t.sandbox.control.calendars(TARO.id).slice(1).filter((c) => !c.sharedBy).map((c) => `/v1.0/me/calendars/${encodeURIComponent(c.id)}/events`);
    assert.deepEqual(gets.map((g) => g.path.split('?')[0]).sort(), ['/v1.0/me/calendar/events', '/v1.0/me/calendars', ...others].sort());
  });

});
