// An upgrade loses nothing. A database of the release before calendar connections had ids of
// their own (Outlook-only tables: organisation_outlook, outlook_connections, event_mappings) holds
// a company with consent and sync on, two connected travelers whose events are in their Outlook
// calendars, and a lapsed one. After the upgrade, the next reconcile writes nothing for unchanged
// bookings and exactly one event for a changed one; the lapsed traveler stays lapsed.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Migrator } from 'kysely/migration';
import { SAKURA_TRADING } from '../../sandbox/server.ts';
import { calendarProviders } from '../../src/calendars/registry.ts';
import type { CalendarProvider } from '../../src/calendars/provider.ts';
import { eventHash, projectTrip } from '../../src/domain/project-segment.ts';
import type { Trip } from '../../src/domain/types.ts';
import { bookings as makeBookings } from '../../src/store/bookings.ts';
import { findConnection, userConnections } from '../../src/store/calendar-connections.ts';
import { companyCalendar, loginPolicyDays } from '../../src/store/company-calendars.ts';
import { openStore, type Db, type Store } from '../../src/store/database.ts';
import { migrations } from '../../src/store/migrations/index.ts';
import { createOrganisation, createUser } from '../../src/store/organisations.ts';
import { secretBox } from '../../src/store/secret-box.ts';
import { findTripByRef } from '../../src/store/trips.ts';
import { reconcileConnection } from '../../src/sync/reconcile-connection.ts';
import { connect, providerFor, startTestSandbox, type TestSandbox } from '../calendars/outlook/support.ts';
import { tripInput } from '../fixtures/trips.ts';
import { storeKinds } from '../support/stores.ts';

const BEFORE_CALENDAR_CONNECTIONS = '0004-shared-access-token';

function migrator(db: Db): Migrator {
  return new Migrator({ db, provider: { getMigrations: async () => migrations } });
}

async function migrateTo(db: Db, name: string): Promise<void> {
  const result = await migrator(db).migrateTo(name);
  if (result.error) throw result.error;
}

for (const kind of storeKinds()) {
  describe(`upgrading a deployment to calendar connections (${kind.name})`, () => {
    let sb: TestSandbox;
    let store: Store;
    let drop: () => Promise<void>;
    let provider: CalendarProvider;
    const box = secretBox([randomBytes(32)]);
    const org = { id: '', tenantId: SAKURA_TRADING.id };
    const travelers: Array<{ id: string; upn: string; oid: string; lapsed: boolean; events: number }> = [];
    const at = new Date('2026-11-20T09:00:00Z');

    /** What the earlier release wrote for a connected traveler: the row, its sealed MSAL cache, its events and their record. */
    async function connectAsTheEarlierReleaseDid(db: Db, userId: string, upn: string, lapsed: boolean): Promise<number> {
      const { account, cache } = await connect(sb.sandbox, provider, upn, org.tenantId);
      const trips = await Promise.all(['UP-1', 'UP-2'].map(async (ref) => (await findTripByRef(db, org.id, `${ref}-${userId.slice(0, 8)}`))!));
      const events = trips.flatMap((trip: Trip) => projectTrip(trip, 'ja'));
      const calendar = provider.account({ details: account.details, credentials: cache });
      const creates = events.map((event) => ({ kind: 'create' as const, key: event.key, event, transactionId: randomUUID() }));
      const results = await calendar.write(creates);
      assert.ok(results.every((r) => r.ok), 'the earlier release wrote every event');
      await db.insertInto('outlook_connections' as any).values({
        user_id: userId, organisation_id: org.id, tenant_id: account.details.tenantId, object_id: account.details.objectId,
        home_account_id: account.details.homeAccountId, username: account.username,
        status: lapsed ? 'lapsed' : 'connected', status_reason: lapsed ? 'AADSTS700082' : null, status_changed_at: at,
        token_cache: lapsed ? null : box.seal(cache.value!, `outlook-token-cache:${userId}`), access_token: null,
        connected_at: at, last_refreshed_at: at, last_synced_at: at, last_sync_error: null, reminder_sent_at: null, rediscover: false,
      }).execute();
      for (const r of results) {
        if (!r.ok) continue;
        const create = creates.find((c) => c.key === r.key)!;
        await db.insertInto('event_mappings' as any).values({
          user_id: userId, segment_id: r.key, event_id: r.eventId, content_hash: eventHash(create.event), transaction_id: create.transactionId, state: 'synced', error: null, updated_at: at,
        }).execute();
      }
      return results.length;
    }

    before(async () => {
      sb = await startTestSandbox();
      sb.sandbox.control.grantConsent(SAKURA_TRADING.id);
      provider = providerFor(sb.sandbox);
      const created = await kind.create();
      drop = created.drop;
      store = await openStore(created.options);
      const bookings = makeBookings(store);
      org.id = (await createOrganisation(store.db, 'Sakura Trading')).id;
      const people = SAKURA_TRADING.users.filter((u) => !u.isAdmin);
      assert.ok(people.length >= 3, 'three travelers with Microsoft accounts');
      const admin = await createUser(store.db, org.id, { email: 'travel-admin@sakura-trading.example', displayName: '佐藤 花子', role: 'admin', locale: 'ja', timeZone: 'Asia/Tokyo' });
      const users = [];
      for (const [i, p] of people.slice(0, 3).entries()) {
        const user = await createUser(store.db, org.id, { email: p.userPrincipalName, displayName: p.displayName, role: 'traveler', locale: 'ja', timeZone: 'Asia/Tokyo' });
        for (const ref of ['UP-1', 'UP-2']) await bookings.create(org.id, tripInput(p.userPrincipalName, { bookingRef: `${ref}-${user.id.slice(0, 8)}` }));
        users.push({ id: user.id, upn: p.userPrincipalName, oid: p.id, lapsed: i === 2 });
      }

      // Back to the earlier release's schema (no calendar data exists yet), and its rows as it wrote them.
      await migrateTo(store.db, BEFORE_CALENDAR_CONNECTIONS);
      await store.db.insertInto('organisation_outlook' as any).values({
        organisation_id: org.id, tenant_id: org.tenantId, consent_status: 'granted', consent_changed_at: at, consent_error: null,
        connected_by: admin.id, connected_at: at, sync_enabled: true, sync_changed_at: at, login_policy_days: 60,
      }).execute();
      for (const u of users) travelers.push({ ...u, events: await connectAsTheEarlierReleaseDid(store.db, u.id, u.upn, u.lapsed) });

      await migrator(store.db).migrateToLatest();
    });
    after(async () => {
      await store?.close();
      await drop?.();
      await sb?.close();
    });

    test('the company, its connections, their sealed tokens and every written event are carried over', async () => {
      const company = await companyCalendar(store.db, org.id, 'outlook');
      assert.deepEqual([company.grant_status, company.grant_organization, company.sync_enabled], ['granted', org.tenantId, true]);
      assert.ok(company.connected_by, 'who connected the company');
      assert.equal(await loginPolicyDays(store.db, org.id), 60, "the company's log-in rule");
      for (const t of travelers) {
        const [c, ...others] = await userConnections(store.db, t.id);
        assert.equal(others.length, 0);
        assert.equal(c!.provider, 'outlook');
        assert.equal(c!.status, t.lapsed ? 'lapsed' : 'connected');
        assert.equal(c!.details.objectId, t.oid);
        assert.equal(c!.account_organization, org.tenantId);
        const events = await store.db.selectFrom('calendar_events').select(['event_id', 'state']).where('connection_id', '=', c!.id).execute();
        assert.equal(events.length, t.events);
        assert.ok(events.every((e) => e.event_id && e.state === 'synced'));
      }
    });

    test('the next reconcile writes nothing for unchanged bookings, and one event for a changed one', async () => {
      const deps = { db: store.db, providers: calendarProviders(provider), box };
      sb.sandbox.control.clearRequestLog();
      for (const t of travelers.filter((x) => !x.lapsed)) {
        const c = (await findConnection(store.db, t.id, 'outlook'))!;
        const outcome = await reconcileConnection(deps, c.id);
        assert.deepEqual(outcome, { status: 'done', writes: 0, failed: 0 }, 'the sealed token cache opens and nothing is rewritten');
      }
      const writes = () => sb.sandbox.control.requestLog().filter((r) => r.batchId !== undefined && r.method !== 'GET');
      assert.deepEqual(writes(), []);

      const taro = travelers[0]!;
      const ref = `UP-2-${taro.id.slice(0, 8)}`;
      const trip = (await findTripByRef(store.db, org.id, ref))!;
      const seat = trip.segments.find((s) => s.kind === 'flight')!;
      await makeBookings(store).change(org.id, ref, tripInput(taro.upn, {
        bookingRef: ref,
        segments: tripInput(taro.upn).segments.map((s) => (s.ref === seat.ref && s.type === 'flight' ? { ...s, seat: '31K' } : s)),
      }));
      const c = (await findConnection(store.db, taro.id, 'outlook'))!;
      assert.deepEqual(await reconcileConnection(deps, c.id), { status: 'done', writes: 1, failed: 0 });
      assert.deepEqual(writes().map((r) => r.method), ['PATCH'], 'one update, no create: nothing duplicated');
      assert.equal(sb.sandbox.control.mailboxEvents(taro.oid).length, taro.events, 'one event per segment, as before');
    });

    test('the lapsed traveler stays lapsed, with its reason, and nothing is written for it', async () => {
      const lapsed = travelers.find((t) => t.lapsed)!;
      const c = (await findConnection(store.db, lapsed.id, 'outlook'))!;
      assert.deepEqual([c.status, c.status_reason], ['lapsed', 'AADSTS700082']);
      const outcome = await reconcileConnection({ db: store.db, providers: calendarProviders(provider), box }, c.id);
      assert.deepEqual(outcome, { status: 'skipped', reason: 'not_connected' });
    });
  });
}
