// Connections made by tripcal under a company's delegation, on each database: who gets one (every
// user of a company whose delegation is granted, with sync on; nobody else), what a withdrawn
// delegation's restoration brings back, and that the company's log-in rule never lapses them.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { DELEGATED_USER } from '../../src/domain/calendar-delegation.ts';
import { calendarProviders } from '../../src/calendars/registry.ts';
import { findConnection, markConnected, transition } from '../../src/store/calendar-connections.ts';
import { setLoginPolicyDays, setSyncEnabled } from '../../src/store/company-calendars.ts';
import { addDelegatedConnections, recordDelegation, restoreDelegatedConnections } from '../../src/store/delegated-connections.ts';
import { createOrganisation, createUser } from '../../src/store/organisations.ts';
import { secretBox } from '../../src/store/secret-box.ts';
import { runConnectionMaintenance } from '../../src/sync/connection-maintenance.ts';
import { freshStore, storeKinds } from '../support/stores.ts';

const DAY = 86_400_000;

for (const kind of storeKinds()) {
  describe(`connections under a company's delegation (${kind.name})`, () => {
    let store: Awaited<ReturnType<typeof freshStore>>;
    before(async () => {
      store = await freshStore(kind);
    });
    after(() => store.dispose());

    async function company(name: string, domain: string) {
      const org = await createOrganisation(store.db, name);
      const user = (local: string, role: 'admin' | 'traveler' = 'traveler') =>
        createUser(store.db, org.id, { email: `${local}@${domain}`, displayName: local, role, locale: 'ja', timeZone: 'Asia/Tokyo' });
      return { org, admin: await user('admin', 'admin'), a: await user('a'), b: await user('b') };
    }

    test('made for every user of a company with a granted delegation and sync on, for nobody else; a user\'s own connection is left alone', async () => {
      const at = new Date('2026-12-01T00:00:00Z');
      const sakura = await company('Sakura', 'sakura.example');
      const maple = await company('Maple', 'maple.example');
      // Maple has sync on but no delegation; Sakura a delegation but sync still off.
      await setSyncEnabled(store.db, maple.org.id, 'google', true, at);
      await recordDelegation(store.db, sakura.org.id, 'google', 'sakura.example', sakura.admin.id, at);
      assert.deepEqual(await addDelegatedConnections(store.db, { organisationId: sakura.org.id, provider: 'google' }, at), []);
      assert.deepEqual(await addDelegatedConnections(store.db, { userId: maple.a.id }, at), []);

      // B connected their own calendar of this provider before: it stays theirs.
      const box = secretBox([randomBytes(32)]);
      await markConnected(store.db, box, { userId: sakura.b.id, organisationId: sakura.org.id, provider: 'google', account: { key: 'sub-b', username: 'b@sakura.example', name: 'b', details: { email: 'b@sakura.example' } }, credential: '{}', at });
      await setSyncEnabled(store.db, sakura.org.id, 'google', true, at);
      const made = await addDelegatedConnections(store.db, { organisationId: sakura.org.id, provider: 'google' }, at);
      assert.equal(made.length, 2);
      const a = await findConnection(store.db, sakura.a.id, 'google');
      assert.deepEqual([a?.status, a?.account_key, a?.account_organization, a?.details], ['connected', 'a@sakura.example', 'sakura.example', { [DELEGATED_USER]: 'a@sakura.example' }]);
      assert.equal(a?.rediscover, false);
      assert.deepEqual((await findConnection(store.db, sakura.b.id, 'google'))?.details, { email: 'b@sakura.example' });
      // Made once: a booking's call finds nothing more to make.
      assert.deepEqual(await addDelegatedConnections(store.db, { userId: sakura.a.id }, at), []);
      assert.equal(await findConnection(store.db, maple.a.id, 'google'), undefined);
    });

    test('restored after a withdrawal: revoked and lapsed delegated connections come back, looking their events up first; a disconnected one does not', async () => {
      const at = new Date('2026-12-02T00:00:00Z');
      const c = await company('Restore', 'restore.example');
      await recordDelegation(store.db, c.org.id, 'google', 'restore.example', c.admin.id, at);
      await setSyncEnabled(store.db, c.org.id, 'google', true, at);
      await addDelegatedConnections(store.db, { organisationId: c.org.id, provider: 'google' }, at);
      const [admin, a, b] = await Promise.all([c.admin, c.a, c.b].map((u) => findConnection(store.db, u.id, 'google')));
      await transition(store.db, admin!.id, 'revoked', 'unauthorized_client', at);
      await transition(store.db, a!.id, 'lapsed', 'invalid_grant', at);
      await transition(store.db, b!.id, 'disconnected', null, at);
      const restored = await restoreDelegatedConnections(store.db, c.org.id, 'google', at);
      assert.deepEqual(new Set(restored), new Set([admin!.id, a!.id]));
      const back = await findConnection(store.db, c.a.id, 'google');
      assert.deepEqual([back?.status, back?.status_reason, back?.rediscover], ['connected', null, true]);
      assert.equal((await findConnection(store.db, c.b.id, 'google'))?.status, 'disconnected');
    });

    test('the company\'s log-in rule never lapses a delegated connection; a user\'s own still does', async () => {
      const at = new Date('2026-12-03T00:00:00Z');
      const c = await company('Policy', 'policy.example');
      await setLoginPolicyDays(store.db, c.org.id, 90);
      await recordDelegation(store.db, c.org.id, 'google', 'policy.example', c.admin.id, at);
      await setSyncEnabled(store.db, c.org.id, 'google', true, at);
      await addDelegatedConnections(store.db, { organisationId: c.org.id, provider: 'google' }, at);
      const box = secretBox([randomBytes(32)]);
      await markConnected(store.db, box, { userId: c.a.id, organisationId: c.org.id, provider: 'outlook', account: { key: 'oid-a', username: 'a@policy.example', name: 'a', details: {} }, credential: '{}', at });
      // Nobody logs in to the OBT for 100 days; no provider is asked anything.
      await runConnectionMaintenance({ db: store.db, providers: calendarProviders(), box, now: () => new Date(at.getTime() + 100 * DAY) });
      assert.equal((await findConnection(store.db, c.a.id, 'google'))?.status, 'connected');
      assert.equal((await findConnection(store.db, c.b.id, 'google'))?.status, 'connected');
      const own = await findConnection(store.db, c.a.id, 'outlook');
      assert.deepEqual([own?.status, own?.status_reason], ['lapsed', 'obt_login_expired']);
    });
  });
}
