// Wall-clock times in IANA zones, resolved to instants.
import { DateTime, IANAZone } from 'luxon';
import { boundedMemo } from './bounded-memo.ts';
import type { ZonedTime } from './types.ts';

/**
 * Zone names already checked. luxon's check builds an Intl.DateTimeFormat every time; a backfill
 * checks the same few zones thousands of times (`npm run bench` profile: 4% of a reconcile's CPU).
 * Bounded, because the names come from API callers.
 */
const zoneValidity = boundedMemo((zone) => IANAZone.isValidZone(zone), 2000);

export function isValidTimeZone(zone: string): boolean {
  return zoneValidity(zone);
}

/**
 * What a wall-clock time in a zone denotes. Most times denote one instant. Where clocks go back, a
 * time occurs twice (01:30 on the night US clocks go back is 08:30Z in PDT and 09:30Z in PST);
 * where they go forward, a time does not occur at all (02:30 when clocks jump from 02:00 to 03:00).
 */
export type LocalTimeMeaning =
  | { kind: 'one'; instant: Date; offsetMinutes: number }
  | { kind: 'twice'; earlier: Date; later: Date; offsetsMinutes: [earlier: number, later: number] }
  | { kind: 'skipped'; date: string; jumpsAt: string; jumpsTo: string }
  | { kind: 'invalid' };

const LOCAL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** "YYYY-MM-DDTHH:mm" of an instant in a zone. */
function localAt(instant: number, zone: IANAZone): string {
  return new Date(instant + zone.offset(instant) * MINUTE).toISOString().slice(0, 16);
}

/**
 * Every instant a wall-clock time denotes in its zone, found from the zone's offsets a day either
 * side (no zone changes its offset twice within a day).
 */
export function localTimeMeaning(time: ZonedTime): LocalTimeMeaning {
  return meanings(`${time.timeZone}\n${time.local}`);
}

/**
 * Answers kept by zone and wall-clock time: each reconcile projects all of a traveler's segments
 * again, and each answer asks the zone for its offset four or five times (luxon formats a date for
 * each; in a worker's CPU profile the largest single function of the projection).
 */
const meanings = boundedMemo((key) => {
  const cut = key.indexOf('\n');
  return computeMeaning({ timeZone: key.slice(0, cut), local: key.slice(cut + 1) });
}, 20_000);

function computeMeaning(time: ZonedTime): LocalTimeMeaning {
  if (!isValidTimeZone(time.timeZone)) return { kind: 'invalid' };
  const m = LOCAL.exec(time.local.slice(0, 16));
  if (!m) return { kind: 'invalid' };
  const [y, mo, d, h, mi] = m.slice(1).map(Number);
  const asUtc = Date.UTC(y, mo - 1, d, h, mi);
  // Date.UTC rolls 31 February over into March and hour 24 into the next day: refuse instead.
  if (new Date(asUtc).toISOString().slice(0, 16) !== time.local.slice(0, 16)) return { kind: 'invalid' };
  const zone = IANAZone.create(time.timeZone);
  const offsets = [...new Set([zone.offset(asUtc - 24 * HOUR), zone.offset(asUtc), zone.offset(asUtc + 24 * HOUR)])];
  const instants = offsets
    .map((offset) => ({ offset, instant: asUtc - offset * MINUTE }))
    .filter(({ offset, instant }) => zone.offset(instant) === offset)
    .sort((a, b) => a.instant - b.instant);
  if (instants.length === 1) return { kind: 'one', instant: new Date(instants[0].instant), offsetMinutes: instants[0].offset };
  if (instants.length >= 2) {
    const [earlier, later] = [instants[0], instants[instants.length - 1]];
    return { kind: 'twice', earlier: new Date(earlier.instant), later: new Date(later.instant), offsetsMinutes: [earlier.offset, later.offset] };
  }
  // Skipped: find the jump between the instants the two offsets around it would give.
  const before = zone.offset(asUtc - 24 * HOUR);
  let lo = asUtc - before * MINUTE - 24 * HOUR;
  let hi = asUtc - zone.offset(asUtc + 24 * HOUR) * MINUTE + 24 * HOUR;
  while (hi - lo > MINUTE) {
    const mid = lo + Math.floor((hi - lo) / 2 / MINUTE) * MINUTE;
    if (zone.offset(mid) === before) lo = mid;
    else hi = mid;
  }
  return { kind: 'skipped', date: time.local.slice(0, 10), jumpsAt: new Date(hi + before * MINUTE).toISOString().slice(11, 16), jumpsTo: localAt(hi, zone).slice(11, 16) };
}

/** "+09:00" / "-07:00" from minutes east of UTC. */
export function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/**
 * The instant a wall-clock time denotes, or undefined when the text is not a real time in that
 * zone (a 25th hour, 31 February, or a time skipped by a daylight-saving jump).
 *
 * The rule for a time that occurs twice: its first occurrence (RFC 5545 §3.3.5 gives this rule
 * for a DATE-TIME with a TZID), unless the time carries the UTC offset that names the other
 * (`offset`, which the booking API accepts as "2026-11-01T01:30-08:00").
 */
export function toInstant(time: ZonedTime): Date | undefined {
  const meaning = localTimeMeaning(time);
  if (meaning.kind === 'one') return meaning.instant;
  if (meaning.kind !== 'twice') return undefined;
  return time.offset === formatOffset(meaning.offsetsMinutes[1]) ? meaning.later : meaning.earlier;
}

/** Whether a wall-clock time occurs twice in its zone: calendars are then given its instant in UTC. */
export function occursTwice(time: ZonedTime): boolean {
  return twice(`${time.timeZone} ${time.local}`);
}

/** By zone and wall clock: a backfill asks about the same times of many events. Bounded. */
const twice = boundedMemo((key) => {
  const [timeZone, local] = key.split(' ');
  return localTimeMeaning({ local, timeZone }).kind === 'twice';
}, 10_000);

export function isValidDate(date: string): boolean {
  return DateTime.fromISO(date).isValid && /^\d{4}-\d{2}-\d{2}$/.test(date);
}

/** "2026-06-01" plus 1 day → "2026-06-02": calendar arithmetic, in no zone (no zone moves a date). */
export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** Midnight starting `date` in `timeZone`. */
export function startOfDay(date: string, timeZone: string): Date {
  return DateTime.fromISO(date, { zone: timeZone }).startOf('day').toJSDate();
}

/** "2026-12-01T22:55:00+09:00": the instant a wall-clock time means (`toInstant`), with its zone's offset. */
export function isoWithOffset(time: ZonedTime): string | undefined {
  const instant = toInstant(time);
  return instant ? DateTime.fromJSDate(instant, { zone: time.timeZone }).toISO({ suppressMilliseconds: true }) ?? undefined : undefined;
}
