// The company setting for cancelled bookings in Google Calendar, end to end through
// google-auth-library and the Calendar client against the sandbox (domain-wide delegation): a
// cancelled booking is deleted by default; kept, in the traveler's language, as "Canceled: …",
// transparent, with no reminder once the company turns the setting on; never duplicated.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DateTime } from 'luxon';
import { SEGMENT_KEY_PROPERTY } from '../../src/calendars/google/index.ts';
import type { SegmentInput } from '../../src/domain/booking-schema.ts';
import { startGoogleWorld, type GoogleWorld } from '../support/google-world.ts';
import type { Browser } from '../support/outlook-world.ts';

const day = (offset: number) => DateTime.now().setZone('America/Los_Angeles').plus({ days: offset }).toISODate()!;

const flight = (ref: string, offset: number): SegmentInput => ({
  type: 'flight', ref, carrier: 'UA', flightNumber: 'UA 32', departure: { airport: 'LAX', local: `${day(offset)}T09:05` }, arrival: { airport: 'JFK', local: `${day(offset)}T17:30` },
});
const hotel = (ref: string, offset: number): SegmentInput => ({
  type: 'hotel', ref, property: 'The Roosevelt Hotel', address: '45 E 45th St, New York', checkIn: { date: day(offset) }, checkOut: { date: day(offset + 2) }, timeZone: 'America/New_York',
});

describe('cancelled bookings in Google Calendar: removed, or kept as the company chooses', () => {
  let world: GoogleWorld;
  let admin: Browser;
  let emily: string;
  const events = () => world.google.control.events(emily).filter((e) => e.status !== 'cancelled');
  const keys = () => {
    const all = events().map((e) => e.extendedProperties?.private?.[SEGMENT_KEY_PROPERTY] ?? '');
    assert.equal(new Set(all).size, all.length, 'one event per segment');
    return all;
  };

  before(async () => {
    world = await startGoogleWorld();
    emily = world.sakura.travelers.find((t) => t.locale === 'en')!.email;
    admin = world.browser();
    await admin.logIn(world.sakura.admin.email);
    const status = await admin.api('GET', '/api/company/calendars/google');
    assert.equal((await world.adminConsole('add', status.body.delegation.clientId, status.body.delegation.scopes)).status, 200);
    assert.equal((await admin.api('POST', '/api/company/calendars/google/delegation')).status, 200);
    assert.equal((await admin.api('PUT', '/api/company/calendars/google/sync', { enabled: true })).status, 200);
    const res = await fetch(`${world.baseUrl}/api/v1/trips`, {
      method: 'POST', headers: { authorization: `Bearer ${world.sakura.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ bookingRef: 'NYC-1', travelerEmail: emily, segments: [flight('F1', 10), hotel('H1', 10)] }),
    });
    assert.equal(res.status, 201, await res.text());
    await world.syncIdle();
    assert.equal(keys().length, 2);
  });
  after(() => world?.close());

  const cancel = async (ref: string) => {
    const res = await fetch(`${world.baseUrl}/api/v1/trips/NYC-1/segments/${ref}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${world.sakura.apiKey}` } });
    assert.ok(res.status < 300, await res.text());
    await world.syncIdle();
  };

  test('by default a cancelled segment is deleted', async () => {
    await cancel('F1');
    assert.equal(keys().length, 1);
    assert.ok(!events().some((e) => e.summary?.startsWith('Canceled')));
  });

  test('with the setting on, it is in the calendar again as "Canceled: …" in English, transparent, with no reminder, once', async () => {
    assert.equal((await admin.api('PATCH', '/api/company/settings', { keepCancelledEvents: true })).status, 200);
    await world.syncIdle();
    assert.equal(keys().length, 2);
    const kept = events().find((e) => e.summary?.startsWith('Canceled: '));
    assert.ok(kept, events().map((e) => e.summary).join(' | '));
    assert.match(kept.summary!, /^Canceled: UA 32 /);
    assert.equal(kept.transparency, 'transparent');
    assert.equal(kept.status, 'confirmed', "a visible event, not Google's deleted state");
    assert.deepEqual(kept.reminders, { useDefault: false, overrides: [] });
    assert.match(kept.description!, /^This booking was cancelled\./);
    const live = events().find((e) => !e.summary?.startsWith('Canceled'))!;
    assert.equal(live.status, 'tentative');
  });

  test('a segment cancelled with the setting on is patched in place', async () => {
    const hotelEvent = events().find((e) => !e.summary?.startsWith('Canceled'))!;
    await cancel('H1');
    assert.equal(keys().length, 2);
    const after = events().find((e) => e.id === hotelEvent.id)!;
    assert.match(after.summary!, /^Canceled: /);
    assert.equal(after.transparency, 'transparent');
  });

  test('turning it off deletes the kept cancellations', async () => {
    assert.equal((await admin.api('PATCH', '/api/company/settings', { keepCancelledEvents: false })).status, 200);
    await world.syncIdle();
    assert.equal(keys().length, 0);
  });
});
