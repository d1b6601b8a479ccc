// Matching a provider's account to a user (src/store/sign-in.ts), on each database: the first
// sign-in links by the sign-in name only in a company that proved the account's organisation;
// afterwards only the ids count; a user holds one account per provider.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { proveGrant, recordAdminConnected } from '../../src/store/company-calendars.ts';
import { createOrganisation, createUser } from '../../src/store/organisations.ts';
import { matchSignIn, userIdentities } from '../../src/store/sign-in.ts';
import { setActive } from '../../src/store/users.ts';
import { freshStore, storeKinds } from '../support/stores.ts';

const TENANT = '7d1c2b8e-4f3a-4e6b-9a5d-2c8f1e0b6a31';
const OTHER_TENANT = 'c4b9e6f1-2a7d-4c3e-b8f0-9d6a5e4c3b72';
const now = new Date('2026-12-04T09:00:00Z');

for (const kind of storeKinds()) {
  describe(`sign-in matching (${kind.name})`, () => {
    let store: Awaited<ReturnType<typeof freshStore>>;
    let org: { id: string };
    let taro: { id: string };
    let adminId: string;
    before(async () => {
      store = await freshStore(kind);
      org = await createOrganisation(store.db, 'Sakura Trading');
      const admin = await createUser(store.db, org.id, { email: 'hanako@sakura.example', displayName: '佐藤 花子', role: 'admin', locale: 'ja', timeZone: 'Asia/Tokyo' });
      taro = await createUser(store.db, org.id, { email: 'Taro@Sakura.example', displayName: '山田 太郎', role: 'traveler', locale: 'ja', timeZone: 'Asia/Tokyo' });
      await createUser(store.db, org.id, { email: 'jiro@sakura.example', displayName: '山田 次郎', role: 'traveler', locale: 'ja', timeZone: 'Asia/Tokyo' });
      // The grant's organisation, before the company admin's own connection from it.
      await proveGrant(store.db, org.id, 'outlook', TENANT, now);
      adminId = admin.id;
    });
    after(async () => {
      await store.dispose();
    });
    const account = (subject: string, signInName: string, organization = TENANT) => ({ provider: 'outlook', organization, subject, signInName });

    test('a tenant named but not proven by the admin\'s own connection signs nobody in', async () => {
      assert.deepEqual(await matchSignIn(store.db, account('oid-taro', 'taro@sakura.example'), now), { problem: 'organization_not_proven' });
    });

    test('linked once by the sign-in name (any case), then by the ids alone; one account per user and provider', async () => {
      await recordAdminConnected(store.db, org.id, 'outlook', adminId, now);
      assert.deepEqual(await matchSignIn(store.db, account('oid-taro', 'TARO@sakura.example'), now), { userId: taro.id, linked: true });
      assert.deepEqual(await matchSignIn(store.db, account('oid-taro', 'renamed@elsewhere.example'), now), { userId: taro.id, linked: false }, 'the ids decide');
      assert.deepEqual(await matchSignIn(store.db, account('oid-second', 'taro@sakura.example'), now), { problem: 'other_account_linked' }, 'another account of the tenant claiming the same name');
      assert.deepEqual(await matchSignIn(store.db, account('oid-taro', 'taro@sakura.example', OTHER_TENANT), now), { problem: 'organization_not_proven' }, 'the same oid in another tenant is another account');
      assert.deepEqual(await userIdentities(store.db, taro.id), [{ provider: 'outlook', organization: TENANT, subject: 'oid-taro' }]);
    });

    test('no user of that name in the proven company, or a deactivated one: refused', async () => {
      assert.deepEqual(await matchSignIn(store.db, account('oid-x', 'nobody@sakura.example'), now), { problem: 'user_not_found' });
      const jiro = (await store.db.selectFrom('users').select('id').where('email', '=', 'jiro@sakura.example').executeTakeFirstOrThrow()).id;
      await setActive(store.db, org.id, jiro, false, now);
      assert.deepEqual(await matchSignIn(store.db, account('oid-jiro', 'jiro@sakura.example'), now), { problem: 'user_deactivated' });
      assert.deepEqual(await userIdentities(store.db, jiro), [], 'nothing linked');
    });

    test('a company that proves another tenant later no longer signs in the accounts of the first', async () => {
      await proveGrant(store.db, org.id, 'outlook', OTHER_TENANT, now);
      assert.deepEqual(await matchSignIn(store.db, account('oid-taro', 'taro@sakura.example'), now), { problem: 'organization_not_proven' });
      await proveGrant(store.db, org.id, 'outlook', TENANT, now);
    });
  });
}
