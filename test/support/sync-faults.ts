// Shared by the fault tests of the Outlook sync: a traveler with many bookings, what their calendar
// must hold, and "storms" of sandbox faults that hit a share of a mailbox's Graph requests.
import { DateTime } from 'luxon';
import type { SandboxControl } from '../../sandbox/control.ts';
import type { FaultRule } from '../../sandbox/graph/traffic.ts';
import type { StoredEvent } from '../../sandbox/store.ts';
import { SEGMENT_KEY_PROPERTY_ID } from '../../src/calendars/outlook/constants.ts';
import type { SegmentInput, TripInput } from '../../src/domain/booking-schema.ts';
import type { Db } from '../../src/store/database.ts';

function day(offset: number): string {
  return DateTime.now().setZone('Asia/Tokyo').plus({ days: offset }).toISODate()!;
}

/**
 * `count` trips of four segments each (out by train, a hotel stay, a flight, back by train), from
 * a month ago to a few months ahead: a traveler's calendar with 4 × count events.
 */
export function manyTrips(travelerEmail: string, count: number, prefix = 'TRIP'): TripInput[] {
  const trips: TripInput[] = [];
  for (let i = 0; i < count; i++) {
    const d = -30 + i * 9;
    const segments: SegmentInput[] = [
      {
        type: 'rail', ref: 'R1', operator: 'JR東海', trainNumber: `のぞみ ${10 + i}号`,
        departure: { station: '東京', local: `${day(d)}T08:00`, timeZone: 'Asia/Tokyo' },
        arrival: { station: '新大阪', local: `${day(d)}T10:27`, timeZone: 'Asia/Tokyo' }, car: '7', seat: `${i + 1}E`,
      },
      { type: 'hotel', ref: 'H1', property: 'ホテル阪急インターナショナル', address: '大阪府大阪市北区茶屋町19-19', checkIn: { date: day(d) }, checkOut: { date: day(d + 2) }, timeZone: 'Asia/Tokyo' },
      {
        type: 'flight', ref: 'F1', carrier: 'NH', flightNumber: `NH ${100 + i}`,
        departure: { airport: 'ITM', local: `${day(d + 2)}T09:00` }, arrival: { airport: 'HND', local: `${day(d + 2)}T10:10` },
      },
      {
        type: 'rail', ref: 'R2', operator: 'JR東日本', trainNumber: `やまびこ ${40 + i}号`,
        departure: { station: '東京', local: `${day(d + 2)}T13:00`, timeZone: 'Asia/Tokyo' },
        arrival: { station: '仙台', local: `${day(d + 2)}T14:30`, timeZone: 'Asia/Tokyo' },
      },
    ];
    trips.push({ bookingRef: `${prefix}-${String(i + 1).padStart(2, '0')}`, travelerEmail, title: `Trip ${i + 1}`, segments });
  }
  return trips;
}

/** Confirmed segments of the traveler's active trips: segment id → booking reference. */
export async function confirmedSegments(db: Db, userId: string): Promise<Map<string, string>> {
  const rows = await db
    .selectFrom('segments')
    .innerJoin('trips', 'trips.id', 'segments.trip_id')
    .select(['segments.id', 'trips.booking_ref'])
    .where('trips.traveler_id', '=', userId)
    .where('trips.status', '=', 'active')
    .where('segments.status', '=', 'confirmed')
    .execute();
  return new Map(rows.map((r) => [r.id, r.booking_ref]));
}

/** The segment key an event carries (our single-value extended property), if any. */
export function segmentKey(event: StoredEvent): string | undefined {
  const props = event.singleValueExtendedProperties as Array<{ id: string; value: string }> | undefined;
  return props?.find((p) => p.id.toLowerCase() === SEGMENT_KEY_PROPERTY_ID.toLowerCase())?.value;
}

/**
 * What is wrong with the calendar, in words (empty when it holds exactly one tentative event per
 * confirmed segment, each showing its own booking reference, and nothing else).
 */
export function calendarProblems(events: StoredEvent[], segments: Map<string, string>): string[] {
  const problems: string[] = [];
  const byKey = new Map<string, StoredEvent[]>();
  for (const e of events) {
    const key = segmentKey(e);
    if (!key) {
      problems.push(`an event without a segment key: ${String(e.subject)}`);
      continue;
    }
    byKey.set(key, [...(byKey.get(key) ?? []), e]);
  }
  for (const [key, list] of byKey) {
    if (!segments.has(key)) problems.push(`an event for no confirmed segment: ${key} (${String(list[0]!.subject)})`);
    if (list.length > 1) problems.push(`${list.length} events for segment ${key} (${String(list[0]!.subject)})`);
  }
  for (const [key, ref] of segments) {
    const list = byKey.get(key);
    if (!list) {
      problems.push(`no event for segment ${key} of ${ref}`);
      continue;
    }
    const e = list[0]!;
    if (e.showAs !== 'tentative') problems.push(`segment ${key}: showAs ${String(e.showAs)}`);
    const body = String((e.body as { content?: string } | undefined)?.content ?? '');
    if (!body.includes(ref)) problems.push(`segment ${key}: the event does not show booking ${ref}`);
  }
  return problems;
}

/** A seeded generator, so a storm's pattern is the same on every run. */
export function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A storm: time is cut into slices of `sliceMs`; in a random share of them one of `rules` (in
 * turn) is in force (fresh each slice, so a rule with `times` fails that many requests of its slice and lets
 * the rest of a batch through). It lasts at least `minMs`, then until `until()` holds, at most
 * `maxMs`; `done` resolves once it is over and the faults are cleared.
 */
export function storm(
  control: SandboxControl,
  rules: FaultRule[],
  options: { share: number; minMs: number; maxMs?: number; until?: () => boolean; sliceMs?: number; seed?: number },
): { done: Promise<void>; stop(): void } {
  const random = seeded(options.seed ?? 1);
  const sliceMs = options.sliceMs ?? 100;
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  let turn = 0;
  let finish!: () => void;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const stop = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    control.clearFaults();
    finish();
  };
  const tick = () => {
    const elapsed = Date.now() - started;
    if (elapsed >= (options.maxMs ?? options.minMs) || (elapsed >= options.minMs && (options.until?.() ?? true))) return stop();
    // A rule with `times` that no request has used yet stays for the next slice, so each rule in
    // turn really fails requests, however bursty the traffic.
    const current = control.faults()[0];
    const unused = current && current.times !== undefined && current.times === rules[(turn - 1 + rules.length) % rules.length]!.times;
    if (!unused) {
      const on = random() < options.share;
      control.setFaults(on ? [rules[turn++ % rules.length]!] : []);
    }
    timer = setTimeout(tick, sliceMs);
  };
  tick();
  return { done, stop };
}

/** Resolves once the mailbox has received a request matching `method` (polling the request log). */
export async function firstRequest(control: SandboxControl, mailbox: string, method: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!control.requestLog().some((r) => r.mailbox === mailbox && r.method === method)) {
    if (Date.now() > deadline) throw new Error(`no ${method} to ${mailbox} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Graph requests (batch items) of a mailbox answered with `status` (0: dropped), optionally of one method. */
export function countStatus(control: SandboxControl, mailbox: string, status: number, method?: string): number {
  return control.requestLog().filter((r) => r.mailbox === mailbox && r.batchId !== undefined && r.status === status && (!method || r.method === method)).length;
}
