// Tokens over months: an active traveler is kept alive past Microsoft's 90 idle days; the company's
// OBT log-in rule lapses a traveler after a reminder; revoked sessions and revoked consent end the
// connection with the reason; while lapsed, itinerary emails say how to reconnect.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { simpleParser } from 'mailparser';
import { composeReconnectReminder } from '../../src/mail/reconnect-reminder-email.ts';
import { createMailTransport } from '../../src/mail/transport.ts';
import { calendarProviders, providerLabels } from '../../src/calendars/registry.ts';
import { setLoginPolicyDays } from '../../src/store/company-calendars.ts';
import { runConnectionMaintenance } from '../../src/sync/connection-maintenance.ts';
import { connectTraveler, setUpCompany, startWorld, type Browser, type World } from '../support/outlook-world.ts';

const DAY = 86_400_000;

describe('token lifecycle', () => {
  let world: World;
  let admin: Browser;
  const taroEmail = () => world.sakura.travelers[0].email;
  const emilyEmail = () => world.sakura.travelers[1].email;

  before(async () => {
    world = await startWorld();
    admin = await setUpCompany(world, world.sakura, 'it-admin@sakura-trading.example');
  });
  after(() => world?.close());

  const maintain = () => {
    const transport = createMailTransport({ outboxDir: world.outboxDir });
    return runConnectionMaintenance({
      db: world.store.db, providers: calendarProviders(world.provider), box: world.box, now: world.now,
      remind: async (user, policyDays, deadline, provider) => {
        const [calendar] = providerLabels([provider], user.locale);
        await transport.send(composeReconnectReminder(user, { policyDays, deadline, from: { name: 'tripcal', address: 'itinerary@tripcal.example' }, publicUrl: world.baseUrl, calendar: calendar! }));
      },
    });
  };
  const statusOf = async (email: string) => {
    const b = world.browser();
    await b.logIn(email);
    return (await b.api('GET', '/api/me/calendars/outlook')).body;
  };
  const outboxMails = async () => Promise.all((await readdir(world.outboxDir)).filter((f) => f.endsWith('.eml')).sort().map(async (f) => simpleParser(await readFile(path.join(world.outboxDir, f)))));
  const book = (ref: string, email: string) =>
    world.bookings.create(world.sakura.id, {
      bookingRef: ref, travelerEmail: email,
      segments: [{ type: 'rail', ref: 'R1', operator: 'JR東海', trainNumber: 'のぞみ 1号', departure: { station: '東京', local: '2027-06-01T08:00', timeZone: 'Asia/Tokyo' }, arrival: { station: '新大阪', local: '2027-06-01T10:30', timeZone: 'Asia/Tokyo' } }],
    });

  test("an active traveler's tokens are refreshed before Microsoft's 90 idle days, so they never lapse", async () => {
    await setLoginPolicyDays(world.store.db, world.sakura.id, null);
    await connectTraveler(world, taroEmail());
    for (let month = 1; month <= 4; month++) {
      world.sandbox.control.advanceClock(31 * DAY);
      const report = await maintain();
      assert.ok(report.refreshed >= 1, `month ${month}: refreshed`);
      assert.equal(report.lapsedByProvider, 0);
    }
    // 124 days after connecting, the calendar still follows a new booking.
    await book('KEEP-1', taroEmail());
    await world.syncIdle();
    const oid = world.sandbox.tenants[0].users.find((u) => u.userPrincipalName === taroEmail())!.id;
    assert.equal(world.sandbox.control.mailboxEvents(oid).length, 1);
    assert.equal((await statusOf(taroEmail())).status, 'connected');
  });

  test("the company's 90-day OBT log-in rule: a reminder first, then the connection lapses and the emails say how to reconnect", async () => {
    await setLoginPolicyDays(world.store.db, world.sakura.id, 90);
    const emily = await connectTraveler(world, emilyEmail());
    void emily;
    world.sandbox.control.advanceClock(84 * DAY);
    let report = await maintain();
    assert.ok(report.reminded >= 1);
    const reminder = (await outboxMails()).find((m) => m.to && JSON.stringify(m.to).includes(emilyEmail()) && /expire/i.test(m.subject ?? ''));
    assert.ok(reminder, 'a reminder email to Emily');
    assert.match(reminder.text ?? '', /Connect to Outlook calendar/);

    world.sandbox.control.advanceClock(7 * DAY);
    report = await maintain();
    assert.ok(report.lapsedByPolicy >= 1);
    const status = await statusOf(emilyEmail());
    assert.deepEqual([status.status, status.reason, status.showConnectPrompt], ['lapsed', 'obt_login_expired', true]);

    // While lapsed, the itinerary email goes out as always, with its .ics, and says how to reconnect.
    await book('LAPSED-1', emilyEmail());
    let mail;
    for (let i = 0; i < 100 && !mail; i++) {
      mail = (await outboxMails()).find((m) => (m.subject ?? '').includes('LAPSED-1'));
      if (!mail) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(mail, 'the itinerary email was sent');
    assert.match(mail.text ?? '', /Connect to Outlook calendar/);
    assert.ok(mail.attachments.some((a) => a.contentType === 'text/calendar'));
  });

  test('revoked sessions (AADSTS50173) lapse the connection; reconnecting restores it', async () => {
    await setLoginPolicyDays(world.store.db, world.sakura.id, null);
    const taro = await connectTraveler(world, taroEmail());
    world.sandbox.control.revokeUserSessions(taroEmail());
    world.sandbox.control.advanceClock(2 * 3600_000); // the access token in hand expires
    await book('REVOKED-1', taroEmail());
    await world.syncIdle();
    const status = await statusOf(taroEmail());
    assert.deepEqual([status.status, status.reason], ['lapsed', 'AADSTS50173']);
    const row = await world.store.db.selectFrom('calendar_connections').select(['credential as token_cache', 'access_token']).where('user_id', '=', world.sakura.travelers[0].id).executeTakeFirstOrThrow();
    assert.deepEqual(row, { token_cache: null, access_token: null }, 'a lapsed connection keeps no token for any worker');
    await taro.logIn(taroEmail());
    const connect = await taro.api('POST', '/api/me/calendars/outlook/connect');
    assert.equal((await taro.signInWithMicrosoft(connect.body.url, taroEmail())).searchParams.get('result'), 'connected');
    await world.syncIdle();
    const oid = world.sandbox.tenants[0].users.find((u) => u.userPrincipalName === taroEmail())!.id;
    const refs = world.sandbox.control.mailboxEvents(oid).map((e) => String(e.subject));
    assert.equal(refs.length, 2, 'KEEP-1 and REVOKED-1, once each');
  });

  test("consent revoked by the organisation (AADSTS65001): the refused traveler's connection is revoked, another account confirms it, and the company status says so", async () => {
    await connectTraveler(world, emilyEmail());
    world.sandbox.control.revokeConsent(world.sakura.tenantId);
    world.sandbox.control.advanceClock(2 * 3600_000);
    await book('NOCONSENT-1', taroEmail());
    await world.syncIdle();
    const status = await statusOf(taroEmail());
    assert.deepEqual([status.status, status.reason], ['revoked', 'AADSTS65001']);
    await admin.logIn(world.sakura.admin.email);
    const company = await admin.api('GET', '/api/company/calendars/outlook');
    assert.equal(company.body.grant.status, 'revoked');
    assert.equal(company.body.counts.revoked, 2, "Taro's connection, and Emily's, whose refresh was refused the same way");
    assert.equal((await statusOf(emilyEmail())).reason, 'AADSTS65001');
  });
});
