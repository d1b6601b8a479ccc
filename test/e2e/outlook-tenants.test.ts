// Outlook against what real Microsoft 365 tenants do beyond the happy path, each behaviour a
// setting of the sandbox's tenant or user: a forged consent redirect, a tenant that allows user
// consent, one traveler refused by Graph (403), Conditional Access, consent still propagating, and
// a mailbox Graph cannot reach (MailboxNotEnabledForRESTAPI).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { answerConsent, firstForm, postForm } from '../../sandbox/test/helpers.ts';
import { CalendarProviderError } from '../../src/calendars/errors.ts';
import { calendarProviders } from '../../src/calendars/registry.ts';
import { findConnection } from '../../src/store/calendar-connections.ts';
import { companyCalendar } from '../../src/store/company-calendars.ts';
import { applyConnectionError, GRANT_PROPAGATION_MS, UNAVAILABLE_FIRST_RETRY_MS, UNAVAILABLE_MAX_RETRY_MS } from '../../src/sync/connection-policy.ts';
import { reconcileConnection } from '../../src/sync/reconcile-connection.ts';
import { connectTraveler, objectId, setUpCompany, startWorld, type Browser, type World } from '../support/outlook-world.ts';

describe('Outlook on real Microsoft 365 tenants', () => {
  let world: World;
  let admin: Browser;
  const taro = () => world.sakura.travelers[0];
  const emily = () => world.sakura.travelers[1];

  before(async () => {
    world = await startWorld();
    admin = await setUpCompany(world, world.sakura, 'it-admin@sakura-trading.example');
  });
  after(() => world?.close());

  const rail = (ref: string, date: string) => ({
    type: 'rail' as const, ref, operator: 'JR東海', trainNumber: 'のぞみ 1号',
    departure: { station: '東京', local: `${date}T08:00`, timeZone: 'Asia/Tokyo' }, arrival: { station: '新大阪', local: `${date}T10:30`, timeZone: 'Asia/Tokyo' },
  });
  const book = (ref: string, email: string, date = '2027-06-01') => world.bookings.create(world.sakura.id, { bookingRef: ref, travelerEmail: email, segments: [rail('R1', date)] });
  const statusOf = async (email: string) => {
    const b = world.browser();
    await b.logIn(email);
    return (await b.api('GET', '/api/me/calendars/outlook')).body;
  };
  const policyDeps = () => ({ db: world.store.db, providers: calendarProviders(world.provider), box: world.box });
  const company = async () => (await admin.api('GET', '/api/company/calendars/outlook')).body;

  test("in a tenant that allows user consent, the company admin's own consent is not taken for the organisation's", async () => {
    world.sandbox.control.setTenantSettings(world.maple.tenantId, { userConsent: true });
    const mapleAdmin = world.browser();
    await mapleAdmin.logIn(world.maple.admin.email);
    const connect = await mapleAdmin.api('POST', '/api/company/calendars/outlook/connect');
    const page = await (await fetch(connect.body.url)).text();
    const form = firstForm(page, connect.body.url);
    const consentPage = await postForm(form.action, { ...form.fields, login: world.maple.admin.email });
    const answered = await answerConsent(consentPage, connect.body.url, 'accept', false);
    const landed = await mapleAdmin.follow(new URL(answered.headers.get('location')!));
    assert.deepEqual([landed.searchParams.get('result'), landed.searchParams.get('code')], ['error', 'consent_missing']);
    const maple = (await mapleAdmin.api('GET', '/api/company/calendars/outlook')).body;
    assert.equal(maple.grant.status, 'none');
    assert.equal(maple.connectedBy, undefined);
    assert.equal((await mapleAdmin.api('PUT', '/api/company/calendars/outlook/sync', { enabled: true })).status, 409);
  });

  test("a forged consent callback claiming another tenant replaces nothing: the proven tenant stays, and travelers still connect", async () => {
    const link = await admin.api('POST', '/api/company/calendars/outlook/grant-link');
    const state = new URL(link.body.url).searchParams.get('state')!;
    const forged = await fetch(`${world.baseUrl}/oauth/outlook/consent-callback?${new URLSearchParams({ admin_consent: 'True', tenant: world.maple.tenantId, state })}`);
    assert.equal(forged.status, 200);
    const status = await company();
    assert.deepEqual([status.grant.status, status.grant.organization, status.grant.claimed], ['granted', world.sakura.tenantId, world.maple.tenantId]);
    await connectTraveler(world, emily().email);
    assert.equal((await statusOf(emily().email)).status, 'connected');

    // A company with no proven tenant is not shown as granted by a claim, and its travelers cannot connect.
    const mapleAdmin = world.browser();
    await mapleAdmin.logIn(world.maple.admin.email);
    const mapleLink = await mapleAdmin.api('POST', '/api/company/calendars/outlook/grant-link');
    const mapleState = new URL(mapleLink.body.url).searchParams.get('state')!;
    await fetch(`${world.baseUrl}/oauth/outlook/consent-callback?${new URLSearchParams({ admin_consent: 'True', tenant: world.sakura.tenantId, state: mapleState })}`);
    const maple = (await mapleAdmin.api('GET', '/api/company/calendars/outlook')).body;
    assert.deepEqual([maple.grant.status, maple.grant.organization, maple.grant.claimed], ['none', undefined, world.sakura.tenantId]);
    const ken = world.browser();
    await ken.logIn(world.maple.travelers[0]?.email ?? world.maple.admin.email);
    assert.equal((await ken.api('POST', '/api/me/calendars/outlook/connect')).status, 409);
  });

  test("Graph refusing one traveler (403 ErrorAccessDenied: no licence, blocked) lapses that traveler alone; the company's consent and the others' sync go on", async () => {
    await connectTraveler(world, taro().email);
    await world.syncIdle();
    world.sandbox.control.setUserSettings(taro().email, { mailboxAccess: 'denied' });
    await book('DENIED-1', taro().email);
    await book('OTHERS-1', emily().email);
    await world.syncIdle();
    const status = await statusOf(taro().email);
    assert.deepEqual([status.status, status.reason], ['lapsed', 'ErrorAccessDenied']);
    const c = await company();
    assert.equal(c.grant.status, 'granted');
    assert.equal((await statusOf(emily().email)).status, 'connected');
    assert.ok(world.sandbox.control.mailboxEvents(emily().email).some((e) => String(e.subject).includes('のぞみ')), "Emily's booking reached her calendar");
    world.sandbox.control.setUserSettings(taro().email, { mailboxAccess: 'allowed' });
  });

  test("Conditional Access (AADSTS53003) lapses the traveler with a reason naming the company's policy, and the admin view counts it", async () => {
    await connectTraveler(world, taro().email);
    await world.syncIdle();
    world.sandbox.control.setUserSettings(taro().email, { conditionalAccess: 'block' });
    world.sandbox.control.advanceClock(2 * 3600_000); // the access token in hand expires
    await book('POLICY-1', taro().email, '2027-07-01');
    await world.syncIdle();
    const status = await statusOf(taro().email);
    assert.deepEqual([status.status, status.reason], ['lapsed', 'company_policy (AADSTS53003)']);
    const c = await company();
    assert.equal(c.grant.status, 'granted');
    assert.equal(c.counts.companyPolicy, 1);
    world.sandbox.control.setUserSettings(taro().email, { conditionalAccess: 'none' });
  });

  test('a mailbox Graph cannot reach (MailboxNotEnabledForRESTAPI) keeps the connection and its events, shows the reason, and is retried on a bounded schedule', async () => {
    const connectionId = (await findConnection(world.store.db, emily().id, 'outlook'))!.id;
    const before = await world.store.db.selectFrom('calendar_events').select(['segment_id', 'event_id', 'state']).where('connection_id', '=', connectionId).orderBy('segment_id').execute();
    assert.ok(before.length >= 1 && before.every((m) => m.state === 'synced'));
    world.sandbox.control.setUserSettings(emily().email, { mailbox: 'onPremises' });
    await world.bookings.change(world.sakura.id, 'OTHERS-1', { segments: [rail('R1', '2027-06-02')] });
    let outcome;
    for (let i = 0; i < 100 && !outcome; i++) {
      outcome = world.outcomes.find((o) => o.connectionId === connectionId && o.outcome.status === 'retry')?.outcome;
      if (!outcome) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(outcome && outcome.status === 'retry', 'the reconcile ends in a retry, not "done"');
    assert.equal(outcome.retryAfterMs, UNAVAILABLE_FIRST_RETRY_MS);
    const status = await statusOf(emily().email);
    assert.deepEqual([status.status, status.reason], ['connected', 'MailboxNotEnabledForRESTAPI']);
    const traveler = (await company()).travelers.find((t: { email: string }) => t.email === emily().email);
    assert.equal(traveler.reason, 'MailboxNotEnabledForRESTAPI');
    const after = await world.store.db.selectFrom('calendar_events').select(['segment_id', 'event_id', 'state']).where('connection_id', '=', connectionId).orderBy('segment_id').execute();
    assert.deepEqual(after, before, 'no event taken for deleted by the traveler');

    // Retries are spaced by how long the mailbox has been unreachable, at most 6 hours apart.
    const later = await applyConnectionError(policyDeps(), (await findConnection(world.store.db, emily().id, 'outlook'))!, new CalendarProviderError('calendar_unavailable', 'x', { providerCode: 'MailboxNotEnabledForRESTAPI' }), new Date(world.now().getTime() + 3 * 86_400_000));
    assert.deepEqual(later, { status: 'retry', reason: 'MailboxNotEnabledForRESTAPI', retryAfterMs: UNAVAILABLE_MAX_RETRY_MS });

    // The mailbox moves to Exchange Online: the next try writes the change and the reason goes.
    world.sandbox.control.setUserSettings(emily().email, { mailbox: 'exchangeOnline' });
    const deps = { ...policyDeps(), now: world.now };
    assert.equal((await reconcileConnection(deps, connectionId)).status, 'done');
    const back = await statusOf(emily().email);
    assert.deepEqual([back.status, back.reason], ['connected', undefined]);
    assert.ok(world.sandbox.control.mailboxEvents(emily().email).some((e) => JSON.stringify(e.start).includes('2027-06-01T23:00') || JSON.stringify(e.start).includes('2027-06-02')));
  });

  test('AADSTS65001 within minutes of a fresh admin consent is retried, not taken for a revoked consent; after that it revokes', async () => {
    const link = await admin.api('POST', '/api/company/calendars/outlook/grant-link');
    world.sandbox.control.setTenantSettings(world.sakura.tenantId, { consentPropagationSeconds: 3600 });
    const page = await admin.adminConsent(link.body.url, 'it-admin@sakura-trading.example');
    assert.equal(page.status, 200);
    const grant = await companyCalendar(world.store.db, world.sakura.id, 'outlook');
    assert.equal(grant.grant_status, 'granted');
    const connection = (await findConnection(world.store.db, emily().id, 'outlook'))!;
    const refused = new CalendarProviderError('consent_missing', 'AADSTS65001', { providerCode: 'AADSTS65001' });
    const early = await applyConnectionError(policyDeps(), connection, refused, new Date(new Date(grant.grant_changed_at!).getTime() + 60_000));
    assert.equal(early?.status, 'retry');
    assert.equal((await findConnection(world.store.db, emily().id, 'outlook'))!.status, 'connected');
    const late = await applyConnectionError(policyDeps(), connection, refused, new Date(new Date(grant.grant_changed_at!).getTime() + GRANT_PROPAGATION_MS + 1));
    assert.deepEqual(late, { status: 'revoked', reason: 'AADSTS65001' });
  });
});
