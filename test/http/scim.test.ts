// SCIM 2.0 as Microsoft Entra ID's provisioning service and Okta send it (request bodies as their
// documentation shows them): create, match by filter, update, deactivate, reactivate, delete;
// paging; bad input answered with SCIM error bodies; another company's users never visible.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../src/http/server.ts';
import { bookings } from '../../src/store/bookings.ts';
import { issueCredential } from '../../src/store/company-credentials.ts';
import { createOrganisation, createUser } from '../../src/store/organisations.ts';
import { hashPassword, startSession } from '../../src/store/sessions.ts';
import { ORGANIZER } from '../fixtures/trips.ts';
import { freshStore, storeKinds } from '../support/stores.ts';

const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

for (const kind of storeKinds()) {
  describe(`SCIM 2.0 (${kind.name})`, () => {
    let store: Awaited<ReturnType<typeof freshStore>>;
    let app: FastifyInstance;
    let token: string;
    let otherToken: string;
    let otherUserId: string;

    before(async () => {
      store = await freshStore(kind);
      const org = await createOrganisation(store.db, 'Sakura Trading');
      const other = await createOrganisation(store.db, 'Maple Logistics');
      await createUser(store.db, org.id, { email: 'hanako@sakura.example', displayName: '佐藤 花子', role: 'admin', locale: 'ja', timeZone: 'Asia/Tokyo' });
      otherUserId = (await createUser(store.db, other.id, { email: 'ken@maple.example', displayName: '伊藤 健', role: 'traveler', locale: 'ja', timeZone: 'Asia/Tokyo' })).id;
      token = (await issueCredential(store.db, org.id, 'scim')).key;
      otherToken = (await issueCredential(store.db, other.id, 'scim')).key;
      app = await buildServer({ store, bookings: bookings(store), organizer: ORGANIZER, publicUrl: 'https://tripcal.example' });
    });
    after(async () => {
      await app.close();
      await store.dispose();
    });

    const scim = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, body?: unknown, bearer: string | null = token, contentType = 'application/scim+json') =>
      app.inject({
        method, url: `/scim/v2${url}`,
        headers: { ...(bearer ? { authorization: `Bearer ${bearer}` } : {}), ...(body !== undefined ? { 'content-type': contentType } : {}) },
        ...(body !== undefined ? { payload: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
      });
    const filterBy = (expr: string) => `/Users?filter=${encodeURIComponent(expr)}`;

    let entraId: string;

    test('Entra ID: looks the user up by userName, finds none, creates them (201, Location, the resource)', async () => {
      const none = await scim('GET', filterBy('userName eq "taro.yamada@sakura.example"'));
      assert.equal(none.statusCode, 200);
      assert.match(String(none.headers['content-type']), /application\/scim\+json/);
      assert.deepEqual([none.json().totalResults, none.json().Resources], [0, []]);
      // Entra's POST as its documentation shows it (enterprise extension, roles, meta included).
      const created = await scim('POST', '/Users', {
        schemas: [USER, 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'],
        externalId: '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef',
        userName: 'taro.yamada@sakura.example',
        active: true,
        emails: [{ primary: true, type: 'work', value: 'taro.yamada@sakura.example' }],
        meta: { resourceType: 'User' },
        name: { formatted: '山田 太郎', familyName: '山田', givenName: '太郎' },
        preferredLanguage: 'ja-JP',
        roles: [],
        'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: '営業部', employeeNumber: '1001' },
      });
      assert.equal(created.statusCode, 201, created.body);
      const body = created.json();
      entraId = body.id;
      assert.equal(created.headers.location, `https://tripcal.example/scim/v2/Users/${entraId}`);
      assert.deepEqual([body.userName, body.displayName, body.preferredLanguage, body.timezone, body.active, body.externalId], ['taro.yamada@sakura.example', '山田 太郎', 'ja', 'Asia/Tokyo', true, '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef']);
      const found = await scim('GET', filterBy('userName eq "Taro.Yamada@sakura.example"'));
      assert.equal(found.json().totalResults, 1);
      assert.equal(found.json().Resources[0].id, entraId);
      assert.equal((await scim('GET', filterBy('externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"'))).json().Resources[0].id, entraId);
    });

    test('Entra ID: PATCH with "Replace" operations, a filtered email path, and active as the string "False", then "True"', async () => {
      const renamed = await scim('PATCH', `/Users/${entraId}`, {
        schemas: [PATCH],
        Operations: [
          { op: 'Replace', path: 'displayName', value: '山田 太郎 (営業)' },
          { op: 'Replace', path: 'emails[type eq "work"].value', value: 'taro.yamada@sakura.example' },
          { op: 'Replace', path: 'name.familyName', value: '山田' },
          { op: 'Add', path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager', value: 'x' },
        ],
      });
      assert.equal(renamed.statusCode, 200, renamed.body);
      assert.equal(renamed.json().displayName, '山田 太郎 (営業)');

      const user = await store.db.selectFrom('users').select(['id']).where('id', '=', entraId).executeTakeFirstOrThrow();
      await store.db.updateTable('users').set({ password_hash: await hashPassword('a long enough password') }).where('id', '=', user.id).execute();
      const session = await startSession(store.db, user.id, new Date());
      const me = () => app.inject({ url: '/api/me', headers: { cookie: `tripcal_session=${session.token}` } });
      assert.equal((await me()).statusCode, 200);

      const off = await scim('PATCH', `/Users/${entraId}`, { schemas: [PATCH], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] });
      assert.equal(off.statusCode, 200, off.body);
      assert.equal(off.json().active, false);
      assert.equal((await me()).statusCode, 401, 'the session ended');
      const login = await app.inject({ method: 'POST', url: '/api/session', payload: { email: 'taro.yamada@sakura.example', password: 'a long enough password' } });
      assert.equal(login.statusCode, 401, 'a deprovisioned user cannot log in');

      const on = await scim('PATCH', `/Users/${entraId}`, { schemas: [PATCH], Operations: [{ op: 'Replace', path: 'active', value: 'True' }] });
      assert.equal(on.json().active, true);
      const again = await app.inject({ method: 'POST', url: '/api/session', payload: { email: 'taro.yamada@sakura.example', password: 'a long enough password' } });
      assert.equal(again.statusCode, 200, 'reactivated, they log in again');
    });

    let oktaId: string;
    test('Okta: create, PUT the whole user, deactivate by a path-less replace, and list with paging', async () => {
      const created = await scim('POST', '/Users', {
        schemas: [USER], userName: 'emily.clark@sakura.example', name: { givenName: 'Emily', familyName: 'Clark' },
        emails: [{ primary: true, value: 'emily.clark@sakura.example', type: 'work' }], displayName: 'Emily Clark', locale: 'en-US', timezone: 'America/Los_Angeles', externalId: '00u1abcd', groups: [], password: 'ignored-by-us', active: true,
      }, token, 'application/json');
      assert.equal(created.statusCode, 201, created.body);
      oktaId = created.json().id;
      assert.deepEqual([created.json().preferredLanguage, created.json().timezone], ['en', 'America/Los_Angeles']);

      const put = await scim('PUT', `/Users/${oktaId}`, {
        schemas: [USER], id: oktaId, userName: 'emily.clark@sakura.example', name: { givenName: 'Emily', familyName: 'Clark-Sato' }, displayName: 'Emily Clark-Sato',
        emails: [{ primary: true, value: 'emily.clark@sakura.example', type: 'work' }], locale: 'en-US', timezone: 'Asia/Tokyo', active: true, groups: [],
      });
      assert.equal(put.statusCode, 200, put.body);
      assert.deepEqual([put.json().displayName, put.json().timezone], ['Emily Clark-Sato', 'Asia/Tokyo']);

      const off = await scim('PATCH', `/Users/${oktaId}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: false } }] });
      assert.equal(off.json().active, false);

      const page1 = (await scim('GET', '/Users?startIndex=1&count=2')).json();
      const page2 = (await scim('GET', '/Users?startIndex=3&count=2')).json();
      assert.equal(page1.totalResults, 3, 'the admin and the two provisioned users; not the other company\'s');
      assert.deepEqual([page1.startIndex, page1.itemsPerPage, page2.startIndex, page2.itemsPerPage], [1, 2, 3, 1]);
      const ids = [...page1.Resources, ...page2.Resources].map((r: { id: string }) => r.id);
      assert.equal(new Set(ids).size, 3);
      assert.ok(!ids.includes(otherUserId));
    });

    test('DELETE removes the user from SCIM (404 afterwards) and deprovisions them; a new POST brings them back', async () => {
      assert.equal((await scim('DELETE', `/Users/${oktaId}`)).statusCode, 204);
      const gone = await scim('GET', `/Users/${oktaId}`);
      assert.equal(gone.statusCode, 404);
      assert.deepEqual(gone.json().schemas, [ERROR]);
      assert.equal((await scim('GET', filterBy('userName eq "emily.clark@sakura.example"'))).json().totalResults, 0);
      const back = await scim('POST', '/Users', { schemas: [USER], userName: 'emily.clark@sakura.example', displayName: 'Emily Clark', active: true });
      assert.equal(back.statusCode, 201, back.body);
      assert.equal(back.json().id, oktaId, 'the same user, with their trips');
      assert.equal(back.json().active, true);
    });

    test('bad input is answered with SCIM error bodies', async () => {
      const check = async (res: Awaited<ReturnType<typeof scim>>, status: number, scimType: string | undefined, detail: RegExp) => {
        assert.equal(res.statusCode, status, res.body);
        const body = res.json();
        assert.deepEqual(body.schemas, [ERROR]);
        assert.equal(body.status, String(status));
        assert.equal(body.scimType, scimType);
        assert.match(body.detail, detail);
      };
      await check(await scim('GET', filterBy('title eq "Engineer"')), 400, 'invalidFilter', /title/);
      await check(await scim('GET', filterBy('userName sw "taro"')), 400, 'invalidFilter', /eq/);
      await check(await scim('GET', filterBy('userName eq "a" or userName eq "b"')), 400, 'invalidFilter', /filter/);
      await check(await scim('PATCH', `/Users/${entraId}`, { schemas: [PATCH], Operations: [{ op: 'Frobnicate', path: 'active', value: true }] }), 400, 'invalidSyntax', /op/);
      await check(await scim('PATCH', `/Users/${entraId}`, { schemas: [PATCH] }), 400, 'invalidSyntax', /Operations/);
      await check(await scim('PATCH', `/Users/${entraId}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'active', value: 'maybe' }] }), 400, 'invalidValue', /active/);
      await check(await scim('PATCH', `/Users/${entraId}`, { schemas: [PATCH], Operations: [{ op: 'remove' }] }), 400, 'noTarget', /path/);
      await check(await scim('PATCH', `/Users/${entraId}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'emails[type eq "work"', value: 'x' }] }), 400, 'invalidPath', /path/);
      await check(await scim('PATCH', `/Users/${entraId}`, '{"Operations": [', token), 400, 'invalidSyntax', /JSON/);
      await check(await scim('POST', '/Users', { schemas: [USER], displayName: 'No Name' }), 400, 'invalidValue', /userName/);
      await check(await scim('POST', '/Users', { schemas: [USER], userName: 'x@y.example', timezone: 'Tokyo' }), 400, 'invalidValue', /timezone/);
      await check(await scim('POST', '/Users', { schemas: [USER], userName: 'taro.yamada@sakura.example' }), 409, 'uniqueness', /userName/);
      await check(await scim('POST', '/Users', { schemas: [USER], userName: 'ken@maple.example' }), 409, 'uniqueness', /userName/);
      await check(await scim('GET', '/Users', undefined, null), 401, undefined, /token/);
      await check(await scim('GET', '/Users', undefined, 'tcs_not_a_token'), 401, undefined, /token/);
      // Nothing half-written: the user is as before.
      assert.equal((await scim('GET', `/Users/${entraId}`)).json().active, true);
    });

    test("another company's token never sees, changes or deletes this company's users", async () => {
      assert.equal((await scim('GET', `/Users/${entraId}`, undefined, otherToken)).statusCode, 404);
      assert.equal((await scim('GET', filterBy('userName eq "taro.yamada@sakura.example"'), undefined, otherToken)).json().totalResults, 0);
      assert.equal((await scim('PATCH', `/Users/${entraId}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'active', value: false }] }, otherToken)).statusCode, 404);
      assert.equal((await scim('DELETE', `/Users/${entraId}`, undefined, otherToken)).statusCode, 404);
      assert.equal((await scim('GET', '/Users', undefined, otherToken)).json().totalResults, 1);
      assert.equal((await scim('GET', `/Users/${entraId}`)).json().active, true);
    });

    test('discovery: ServiceProviderConfig, ResourceTypes and Schemas', async () => {
      const config = (await scim('GET', '/ServiceProviderConfig')).json();
      assert.equal(config.patch.supported, true);
      assert.equal(config.filter.supported, true);
      assert.equal(config.authenticationSchemes[0].type, 'oauthbearertoken');
      assert.equal((await scim('GET', '/ResourceTypes')).json().Resources[0].endpoint, '/Users');
      const schemas = (await scim('GET', '/Schemas')).json();
      assert.equal(schemas.Resources[0].id, USER);
      assert.ok(schemas.Resources[0].attributes.some((a: { name: string }) => a.name === 'userName'));
    });
  });
}
