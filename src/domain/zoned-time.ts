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
 * The instant a wall-clock time denotes, or undefined when the text is not a real time in that
 * zone (a 25th hour, 31 February, or a time skipped by a daylight-saving jump).
 */
export function toInstant(time: ZonedTime): Date | undefined {
  if (!isValidTimeZone(time.timeZone)) return undefined;
  const dt = DateTime.fromISO(time.local, { zone: time.timeZone });
  if (!dt.isValid) return undefined;
  // A time inside a DST gap does not exist; luxon shifts it forward. Refuse rather than guess.
  if (dt.toFormat("yyyy-MM-dd'T'HH:mm") !== time.local.slice(0, 16)) return undefined;
  return dt.toJSDate();
}

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
