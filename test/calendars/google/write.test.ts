import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, test } from 'node:test';
import { SAKURA_WORKSPACE } from '../../../sandbox/google/server.ts';
import type { CalendarAccount, WriteOp } from '../../../src/calendars/account.ts';
import { DELEGATED_USER } from '../../../src/domain/calendar-delegation.ts';
import { CalendarProviderError } from '../../../src/calendars/errors.ts';
import { SEGMENT_KEY_PROPERTY } from '../../../src/calendars/google/index.ts';
import type { CalendarProvider } from '../../../src/calendars/provider.ts';
import { flightEvent, googleProviderFor, hotelEvent, MemoryCredentials, startTestGoogle } from './support.ts';
import type { TestGoogle } from './support.ts';

const DOMAIN = SAKURA_WORKSPACE.domain;
const TARO = 'taro.yamada@sakura-trading.example';

describe('Google provider under domain-wide delegation: writing to a traveler\'s calendar', () => {
  let t: TestGoogle;
  let provider: CalendarProvider;
  let calendar: CalendarAccount;
  let credentials: MemoryCredentials;

  before(async () => {
    t = await startTestGoogle();
    provider = googleProviderFor(t.google);
  });
  after(() => t.close());
  beforeEach(() => {
    t.google.control.reset();
    t.google.control.authorizeDelegation(DOMAIN);
    credentials = new MemoryCredentials();
    calendar = provider.account({ details: { [DELEGATED_USER]: TARO }, credentials });
  });

  const events = () => t.google.control.events(TARO);
  const create = (event = flightEvent()): Extract<WriteOp, { kind: 'create' }> => ({ kind: 'create', key: event.key, event, transactionId: randomUUID() });

  test('create, update and delete appear in the calendar: tentative, zoned per field, our key private, reminders as booked', async () => {
    const op = create();
    const [created] = await calendar.write([op]);
    assert.ok(created?.ok);
    const [ev] = events();
    assert.equal(ev!.id, created.eventId);
    assert.match(ev!.id, /^[a-v0-9]{32}$/);
    assert.equal(ev!.status, 'tentative');
    assert.equal(ev!.transparency, 'opaque');
    assert.equal(ev!.summary, op.event.subject);
    assert.deepEqual(ev!.start, { dateTime: '2026-12-01T09:00:00', timeZone: 'Asia/Tokyo' });
    assert.deepEqual(ev!.extendedProperties?.private, { [SEGMENT_KEY_PROPERTY]: op.key });
    assert.deepEqual(ev!.reminders, { useDefault: false, overrides: [{ method: 'popup', minutes: 180 }] });
    // The access token is stored beside the credential for every worker.
    assert.equal(credentials.tokenSaves, 1);

    const [updated] = await calendar.write([{ kind: 'update', key: op.key, eventId: created.eventId, event: { ...op.event, subject: '✈ NH 999 変更' } }]);
    assert.ok(updated?.ok);
    assert.equal(events()[0]!.summary, '✈ NH 999 変更');

    const [deleted] = await calendar.write([{ kind: 'delete', key: op.key, eventId: created.eventId }]);
    assert.ok(deleted?.ok);
    assert.equal(events().length, 0);
  });

  test('a hotel stay is an all-day, transparent, tentative event without a reminder', async () => {
    await calendar.write([create(hotelEvent())]);
    const [ev] = events();
    assert.deepEqual(ev!.start, { date: '2026-12-01' });
    assert.deepEqual(ev!.end, { date: '2026-12-03' });
    assert.equal(ev!.transparency, 'transparent');
    assert.equal(ev!.status, 'tentative');
    assert.deepEqual(ev!.reminders, { useDefault: false, overrides: [] });
  });

  test('a create sent again (its first answer lost) names the same id: one event, and the same id comes back', async () => {
    const op = create();
    t.google.control.addFault({ kind: 'drop-after', method: 'POST', times: 1 });
    const [first] = await calendar.write([op]);
    assert.ok(first?.ok, JSON.stringify(first));
    const [again] = await calendar.write([op]);
    assert.ok(again?.ok);
    assert.equal(again.eventId, first.eventId);
    assert.equal(events().length, 1);
  });

  test('findByKeys finds our events by their private property, and nothing else', async () => {
    const ops = Array.from({ length: 12 }, () => create());
    const results = await calendar.write(ops);
    const ids = new Map(results.map((r) => [r.key, r.ok ? r.eventId : '']));
    const found = await calendar.findByKeys([...ops.map((o) => o.key), 'seg-not-there']);
    assert.equal(found.size, 12);
    for (const op of ops) assert.equal(found.get(op.key), ids.get(op.key));
  });

  test('quota answers (403 userRateLimitExceeded, 429) and 503 are waited out; nothing is lost or doubled', async () => {
    t.google.control.setFaults([{ kind: 403, times: 2 }, { kind: 429, times: 2, retryAfterSeconds: 0 }, { kind: 503, times: 2 }]);
    const ops = Array.from({ length: 10 }, () => create());
    const results = await calendar.write(ops);
    assert.ok(results.every((r) => r.ok), JSON.stringify(results.filter((r) => !r.ok)));
    assert.equal(events().length, 10);
  });

  test('a Retry-After too long to wait is handed back as throttled, with its wait', async () => {
    t.google.control.setFaults([{ kind: 429, retryAfterSeconds: 120 }]);
    const [r] = await calendar.write([create()]);
    assert.ok(r && !r.ok);
    assert.equal(r.error.code, 'throttled');
    assert.equal(r.error.retryAfterMs, 120_000);
  });

  test('an event the traveler deleted: the update says not_found', async () => {
    const op = create();
    const [c] = await calendar.write([op]);
    assert.ok(c?.ok);
    t.google.control.deleteEvent(TARO, c.eventId);
    const [u] = await calendar.write([{ kind: 'update', key: op.key, eventId: c.eventId, event: op.event }]);
    assert.ok(u && !u.ok);
    assert.equal(u.error.code, 'not_found');
  });

  test('delegation withdrawn in the Admin console: the whole write stops with consent_missing, also with a token issued before', async () => {
    const [before] = await calendar.write([create()]);
    assert.ok(before?.ok);
    t.google.control.withdrawDelegation(DOMAIN);
    // The token stored beside the credential was issued before the withdrawal: Google stops honouring it, and no new one is granted.
    await assert.rejects(calendar.write([create()]), (e: unknown) => e instanceof CalendarProviderError && e.code === 'consent_missing' && e.providerCode === 'unauthorized_client');
    const fresh = provider.account({ details: { [DELEGATED_USER]: TARO }, credentials: new MemoryCredentials() });
    await assert.rejects(fresh.write([create()]), (e: unknown) => e instanceof CalendarProviderError && e.code === 'consent_missing');
    assert.equal(t.google.control.events(TARO).length, 1);
  });

  test('a scope missing from the delegation is refused as unauthorized_client', async () => {
    t.google.control.authorizeDelegation(DOMAIN, ['https://www.googleapis.com/auth/calendar.readonly']);
    const fresh = provider.account({ details: { [DELEGATED_USER]: TARO }, credentials: new MemoryCredentials() });
    await assert.rejects(fresh.write([create()]), (e: unknown) => e instanceof CalendarProviderError && e.code === 'consent_missing');
  });

  test('a suspended user is refused as that account alone (account_refused); so is a user outside the domain', async () => {
    t.google.control.suspendUser(TARO);
    const fresh = provider.account({ details: { [DELEGATED_USER]: TARO }, credentials: new MemoryCredentials() });
    await assert.rejects(fresh.write([create()]), (e: unknown) => e instanceof CalendarProviderError && e.code === 'account_refused' && e.providerCode === 'invalid_grant');
    await assert.rejects(provider.delegation!.verify('someone@elsewhere.example'), (e: unknown) => e instanceof CalendarProviderError && e.code === 'account_refused');
  });

  test('verify proves the delegation on the admin\'s own calendar and names the domain', async () => {
    const account = await provider.delegation!.verify('it-admin@sakura-trading.example');
    assert.equal(account.organization, DOMAIN);
    assert.deepEqual(account.details, { [DELEGATED_USER]: 'it-admin@sakura-trading.example' });
    t.google.control.withdrawDelegation(DOMAIN);
    await assert.rejects(provider.delegation!.verify('it-admin@sakura-trading.example'), (e: unknown) => e instanceof CalendarProviderError && e.code === 'consent_missing');
  });
});
